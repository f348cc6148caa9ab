//! [`SimUartLink`]: a [`Link`] to a simulated board top. It drives the board's
//! `uart_rx_i` bit by bit and decodes `uart_tx_o`, advancing the clock of any
//! [`Simulator`] (Verilator or the IR interpreter) as it sends and receives, so the
//! host runtime runs unchanged against the RTL. Time is the board's: a [`Duration`] is
//! turned into clock cycles with [`SimUartOptions::clock_hz`].
//!
//! The host's bit time is its own ([`SimUartOptions::bit_cycles`], fractional), so a
//! test can make the host a few percent fast or slow against the board's divider.

use super::link::{Link, LinkError};
use rtl_gen::sim::{PortId, SimError, Simulator};
use rtl_gen::Bits;
use std::collections::VecDeque;
use std::time::Duration;

/// How a [`SimUartLink`] talks to the board.
#[derive(Clone, Debug, PartialEq)]
pub struct SimUartOptions {
    /// The board clock, to turn time into cycles.
    pub clock_hz: u32,
    /// Cycles per bit the host sends with (the board's divider, or a little off it).
    pub bit_cycles: f64,
    /// Cycles per bit the board sends with (its divider): the host samples each bit
    /// `divider / 2` cycles after its start.
    pub board_divider: u32,
    /// Idle bit times the host leaves between the characters it sends.
    pub gap_bits: f64,
}

impl SimUartOptions {
    /// A host exactly at the board's rate, sending back to back.
    pub fn matched(clock_hz: u32, divider: u32) -> Self {
        SimUartOptions { clock_hz, bit_cycles: f64::from(divider), board_divider: divider, gap_bits: 0.0 }
    }
}

/// What went over a [`SimUartLink`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimUartStats {
    /// Characters sent to the board.
    pub sent: u64,
    /// Characters received from the board.
    pub received: u64,
    /// Characters from the board with a low stop bit (dropped).
    pub framing_errors: u64,
}

enum Decoder {
    Idle,
    /// A character whose start bit began at this cycle.
    Receiving {
        start: u64,
        shift: u8,
    },
}

/// A UART link to the `uart_rx_i` / `uart_tx_o` ports of a simulated board top.
pub struct SimUartLink<S: Simulator> {
    sim: S,
    rx: PortId,
    tx: PortId,
    opts: SimUartOptions,
    /// Line levels to drive, (from cycle, level), in time order.
    schedule: VecDeque<(u64, bool)>,
    /// When the line is free for the next character, in fractional cycles.
    free_at: f64,
    decoder: Decoder,
    received: VecDeque<u8>,
    last_rx: u64,
    stats: SimUartStats,
}

impl<S: Simulator> SimUartLink<S> {
    /// A link on `sim`'s ports `uart_rx_i` and `uart_tx_o`; the line starts idle (high).
    pub fn new(mut sim: S, opts: SimUartOptions) -> Result<Self, SimError> {
        let rx = sim.port("uart_rx_i")?;
        let tx = sim.port("uart_tx_o")?;
        sim.poke(rx, &Bits::from_u64(1, 1))?;
        let now = sim.cycle();
        Ok(SimUartLink {
            sim,
            rx,
            tx,
            opts,
            schedule: VecDeque::new(),
            free_at: now as f64,
            decoder: Decoder::Idle,
            received: VecDeque::new(),
            last_rx: now,
            stats: SimUartStats::default(),
        })
    }

    /// The simulator.
    pub fn sim(&self) -> &S {
        &self.sim
    }

    /// The simulator, to look at other ports.
    pub fn sim_mut(&mut self) -> &mut S {
        &mut self.sim
    }

    /// The options.
    pub fn options(&self) -> &SimUartOptions {
        &self.opts
    }

    /// Change the host's bit time (cycles per bit) for the characters sent from now.
    pub fn set_bit_cycles(&mut self, bit_cycles: f64) {
        self.opts.bit_cycles = bit_cycles;
    }

    /// What went over the link so far.
    pub fn stats(&self) -> SimUartStats {
        self.stats
    }

    /// Clock edges since the simulation began.
    pub fn cycle(&self) -> u64 {
        self.sim.cycle()
    }

    /// Run `cycles` clock cycles (driving and decoding the line as usual).
    pub fn idle(&mut self, cycles: u64) {
        for _ in 0..cycles {
            self.tick();
        }
    }

    fn cycles_of(&self, d: Duration) -> u64 {
        (d.as_secs_f64() * f64::from(self.opts.clock_hz)).ceil() as u64
    }

    /// One clock cycle: drive the host's line, sample the board's, step.
    fn tick(&mut self) {
        let now = self.sim.cycle();
        while let Some(&(at, level)) = self.schedule.front() {
            if at > now {
                break;
            }
            self.sim.poke(self.rx, &Bits::from_u64(level.into(), 1)).expect("uart_rx_i is a 1-bit input");
            self.schedule.pop_front();
        }
        let line = self.sim.peek(self.tx).to_u64() == 1;
        let d = u64::from(self.opts.board_divider);
        match &mut self.decoder {
            Decoder::Idle => {
                if !line {
                    self.decoder = Decoder::Receiving { start: now, shift: 0 };
                }
            }
            Decoder::Receiving { start, shift } => {
                let t = now - *start;
                if t >= d / 2 && (t - d / 2).is_multiple_of(d) {
                    match (t - d / 2) / d {
                        0 if line => self.decoder = Decoder::Idle, // a glitch, not a start bit
                        0 => {}
                        k @ 1..=8 => *shift |= u8::from(line) << (k - 1),
                        _ => {
                            if line {
                                self.received.push_back(*shift);
                                self.stats.received += 1;
                                self.last_rx = now;
                            } else {
                                self.stats.framing_errors += 1;
                            }
                            self.decoder = Decoder::Idle;
                        }
                    }
                }
            }
        }
        self.sim.step();
    }
}

impl<S: Simulator> Link for SimUartLink<S> {
    fn send(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        let p = self.opts.bit_cycles;
        let mut t = self.free_at.max(self.sim.cycle() as f64);
        for &b in bytes {
            for j in 0..10 {
                let level = match j {
                    0 => false,
                    9 => true,
                    _ => (b >> (j - 1)) & 1 == 1,
                };
                self.schedule.push_back(((t + f64::from(j) * p).ceil() as u64, level));
            }
            t += (10.0 + self.opts.gap_bits) * p;
            self.stats.sent += 1;
        }
        self.free_at = t;
        while !self.schedule.is_empty() || (self.sim.cycle() as f64) < self.free_at {
            self.tick();
        }
        Ok(())
    }

    fn recv(&mut self, n: usize, idle: Duration) -> Result<Vec<u8>, LinkError> {
        let limit = self.cycles_of(idle).max(1);
        let mut quiet_since = self.sim.cycle().max(self.last_rx);
        let mut seen = self.received.len();
        while self.received.len() < n {
            if self.received.len() != seen {
                seen = self.received.len();
                quiet_since = self.sim.cycle();
            }
            if self.sim.cycle() - quiet_since >= limit {
                return Err(LinkError::Timeout { wanted: n, got: self.received.drain(..).collect(), idle });
            }
            self.tick();
        }
        Ok(self.received.drain(..n).collect())
    }
}
