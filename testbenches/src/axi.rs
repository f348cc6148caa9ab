//! An AXI4 slave memory for simulations: a byte image behind the five AXI4 channels of
//! a master design (single ID, responses in order), with configurable latencies, random
//! backpressure, error responses, a protocol checker and counters.
//!
//! The model attaches to a [`Simulator`] by port names (`<prefix>arvalid_o`,
//! `<prefix>arready_i`, …; the suffixes are the master's). Each cycle is two phases, so
//! several agents can share one simulator:
//!
//! 1. [`AxiMemory::drive`] pokes every slave output (`*ready`, `rvalid`, `rdata`, …) from
//!    the model's state and this cycle's random draws;
//! 2. after every agent drove, [`AxiMemory::sample`] peeks the master's outputs, takes
//!    the handshakes that complete at the coming edge, checks the protocol and updates
//!    the image;
//! 3. the caller steps the clock.
//!
//! ```no_run
//! # use rtl_gen::sim::Simulator;
//! # fn demo(sim: &mut dyn Simulator) -> Result<(), Box<dyn std::error::Error>> {
//! use testbenches::axi::{AxiConfig, AxiMemory};
//! let mut mem = AxiMemory::new(&*sim, "m_axi_", 0x1000_0000, vec![0; 65536], AxiConfig::ideal(10))?;
//! for _ in 0..100 {
//!     mem.drive(sim);
//!     // ... other agents drive here ...
//!     mem.sample(sim)?;
//!     sim.step();
//! }
//! # Ok(()) }
//! ```
//!
//! Checked (an [`AxiError`] names the cycle, the channel, the signal, what was expected and
//! what came): `arsize`/`awsize` equal to the bus width, `arburst`/`awburst` INCR, no
//! burst crossing a 4 KB boundary, bursts inside the image, valid held high and payload
//! stable until ready (AR, AW, W), `wlast` exactly on each burst's last beat, WSTRB only
//! on bytes of the burst. W beats are taken only once their burst's AW has been taken.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rtl_gen::sim::{PortId, SimError, Simulator};
use rtl_gen::Bits;
use std::collections::VecDeque;
use thiserror::Error;

/// Timing, backpressure and error injection of an [`AxiMemory`].
#[derive(Clone, Debug, PartialEq)]
pub struct AxiConfig {
    /// Cycles from an AR handshake to its first R beat (at least 1).
    pub read_latency: u32,
    /// Cycles from a burst's last W beat to its B response (at least 1).
    pub write_latency: u32,
    /// Probability that `arready` is low in a cycle.
    pub ar_stall: f64,
    /// Probability that `awready` is low in a cycle.
    pub aw_stall: f64,
    /// Probability that `wready` is low in a cycle (it is also low while no AW waits).
    pub w_stall: f64,
    /// Probability that an R beat that could start in a cycle waits one more.
    pub r_gap: f64,
    /// Probability that a B response that could start in a cycle waits one more.
    pub b_delay: f64,
    /// Seed of the random draws.
    pub seed: u64,
    /// Bytes `[start, end)` answering SLVERR: a burst touching them gets SLVERR on every
    /// beat (reads) or in its B response (writes, which then change nothing).
    pub error_window: Option<(u32, u32)>,
}

impl AxiConfig {
    /// No backpressure, `latency` cycles for reads and write responses.
    pub fn ideal(latency: u32) -> Self {
        AxiConfig {
            read_latency: latency,
            write_latency: latency,
            ar_stall: 0.0,
            aw_stall: 0.0,
            w_stall: 0.0,
            r_gap: 0.0,
            b_delay: 0.0,
            seed: 0,
            error_window: None,
        }
    }

    /// Random latencies (1 to 12 cycles) and backpressure on every channel (10% to 50%),
    /// drawn from `seed`.
    pub fn random(seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xa5a5_5a5a);
        AxiConfig {
            read_latency: rng.gen_range(1..=12),
            write_latency: rng.gen_range(1..=12),
            ar_stall: rng.gen_range(0.1..0.5),
            aw_stall: rng.gen_range(0.1..0.5),
            w_stall: rng.gen_range(0.1..0.5),
            r_gap: rng.gen_range(0.1..0.5),
            b_delay: rng.gen_range(0.1..0.5),
            seed,
            error_window: None,
        }
    }
}

/// A protocol violation or an access the memory cannot serve.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("cycle {cycle}: AXI {channel} channel: `{signal}`: expected {expected}, got {got}")]
pub struct AxiError {
    /// Clock edges since the simulation began.
    pub cycle: u64,
    /// `AR`, `R`, `AW`, `W` or `B`.
    pub channel: &'static str,
    /// The port.
    pub signal: String,
    /// What the protocol or the image allows.
    pub expected: String,
    /// What the master drove.
    pub got: String,
}

/// Counters of an [`AxiMemory`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AxiStats {
    /// Read bursts taken.
    pub ar_bursts: u64,
    /// R beats delivered.
    pub r_beats: u64,
    /// Write bursts taken.
    pub aw_bursts: u64,
    /// W beats taken.
    pub w_beats: u64,
    /// B responses delivered.
    pub b_responses: u64,
    /// Bytes delivered on R (whole beats).
    pub bytes_read: u64,
    /// Bytes written (strobed lanes).
    pub bytes_written: u64,
    /// Cycles with `arvalid` high and `arready` low.
    pub ar_waits: u64,
    /// Cycles with `awvalid` high and `awready` low.
    pub aw_waits: u64,
    /// Cycles with `wvalid` high and `wready` low.
    pub w_waits: u64,
    /// Cycles with `rvalid` high and `rready` low.
    pub r_waits: u64,
    /// Cycle of the first and of the last R beat.
    pub r_span: Option<(u64, u64)>,
    /// Cycle of the first and of the last W beat.
    pub w_span: Option<(u64, u64)>,
}

fn widen(span: &mut Option<(u64, u64)>, cycle: u64) {
    *span = Some(span.map_or((cycle, cycle), |(first, _)| (first, cycle)));
}

/// OKAY and SLVERR.
const OKAY: u64 = 0;
const SLVERR: u64 = 2;

struct Ports {
    ar_valid: PortId,
    ar_ready: PortId,
    ar_addr: PortId,
    ar_len: PortId,
    ar_size: PortId,
    ar_burst: PortId,
    r_valid: PortId,
    r_ready: PortId,
    r_data: PortId,
    r_resp: PortId,
    r_last: PortId,
    aw_valid: PortId,
    aw_ready: PortId,
    aw_addr: PortId,
    aw_len: PortId,
    aw_size: PortId,
    aw_burst: PortId,
    w_valid: PortId,
    w_ready: PortId,
    w_data: PortId,
    w_strb: PortId,
    w_last: PortId,
    b_valid: PortId,
    b_ready: PortId,
    b_resp: PortId,
}

/// An address channel's payload: address, len, size, burst.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Request {
    addr: u64,
    len: u64,
    size: u64,
    burst: u64,
}

struct ReadBurst {
    addr: u32,
    beats: u32,
    sent: u32,
    first_due: u64,
    resp: u64,
}

struct WriteBurst {
    addr: u32,
    beats: u32,
    got: u32,
    resp: u64,
}

/// An AXI4 slave memory over the bytes `[base, base + bytes.len())` (modulo 2^32).
pub struct AxiMemory {
    /// Address of `bytes[0]`.
    pub base: u32,
    /// The image.
    pub bytes: Vec<u8>,
    /// Counters so far.
    pub stats: AxiStats,
    cfg: AxiConfig,
    rng: ChaCha8Rng,
    ports: Ports,
    data_bits: u32,
    beat_bytes: u32,
    reads: VecDeque<ReadBurst>,
    r_beat: Option<(Bits, bool, u64)>,
    writes: VecDeque<WriteBurst>,
    responses: VecDeque<(u64, u64)>,
    b_out: Option<u64>,
    ar_ready: bool,
    aw_ready: bool,
    w_ready: bool,
    ar_held: Option<Request>,
    aw_held: Option<Request>,
    w_held: Option<(Bits, u64, bool)>,
}

impl AxiMemory {
    /// A memory of `bytes` at `base`, attached to the master ports `<prefix>*` of `sim`
    /// (the data width comes from `<prefix>rdata_i`).
    pub fn new(sim: &dyn Simulator, prefix: &str, base: u32, bytes: Vec<u8>, cfg: AxiConfig) -> Result<Self, SimError> {
        let p = |name: &str| sim.port(&format!("{prefix}{name}"));
        let ports = Ports {
            ar_valid: p("arvalid_o")?,
            ar_ready: p("arready_i")?,
            ar_addr: p("araddr_o")?,
            ar_len: p("arlen_o")?,
            ar_size: p("arsize_o")?,
            ar_burst: p("arburst_o")?,
            r_valid: p("rvalid_i")?,
            r_ready: p("rready_o")?,
            r_data: p("rdata_i")?,
            r_resp: p("rresp_i")?,
            r_last: p("rlast_i")?,
            aw_valid: p("awvalid_o")?,
            aw_ready: p("awready_i")?,
            aw_addr: p("awaddr_o")?,
            aw_len: p("awlen_o")?,
            aw_size: p("awsize_o")?,
            aw_burst: p("awburst_o")?,
            w_valid: p("wvalid_o")?,
            w_ready: p("wready_i")?,
            w_data: p("wdata_o")?,
            w_strb: p("wstrb_o")?,
            w_last: p("wlast_o")?,
            b_valid: p("bvalid_i")?,
            b_ready: p("bready_o")?,
            b_resp: p("bresp_i")?,
        };
        let data_bits = sim.ports()[ports.r_data.0].width;
        let rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        Ok(AxiMemory {
            base,
            bytes,
            stats: AxiStats::default(),
            cfg,
            rng,
            ports,
            data_bits,
            beat_bytes: data_bits / 8,
            reads: VecDeque::new(),
            r_beat: None,
            writes: VecDeque::new(),
            responses: VecDeque::new(),
            b_out: None,
            ar_ready: false,
            aw_ready: false,
            w_ready: false,
            ar_held: None,
            aw_held: None,
            w_held: None,
        })
    }

    /// True when `[addr, addr + len)` lies inside the image (which may wrap around the
    /// top of the 32-bit address space: its bytes are at `base + i` modulo 2^32).
    pub fn contains(&self, addr: u32, len: u32) -> bool {
        let start = u64::from(addr.wrapping_sub(self.base));
        start + u64::from(len) <= self.bytes.len() as u64
    }

    /// The `len` bytes at `addr`.
    ///
    /// # Panics
    /// When they are not all inside the image.
    pub fn read(&self, addr: u32, len: u32) -> &[u8] {
        assert!(self.contains(addr, len), "{len} bytes at {addr:#x} are outside the image");
        let i = addr.wrapping_sub(self.base) as usize;
        &self.bytes[i..i + len as usize]
    }

    /// Overwrite the bytes at `addr` with `data`.
    ///
    /// # Panics
    /// When they are not all inside the image.
    pub fn write(&mut self, addr: u32, data: &[u8]) {
        assert!(self.contains(addr, data.len() as u32), "{} bytes at {addr:#x} are outside the image", data.len());
        let i = addr.wrapping_sub(self.base) as usize;
        self.bytes[i..i + data.len()].copy_from_slice(data);
    }

    /// True when no burst is in flight and no response is waiting.
    pub fn idle(&self) -> bool {
        self.reads.is_empty()
            && self.r_beat.is_none()
            && self.writes.is_empty()
            && self.responses.is_empty()
            && self.b_out.is_none()
    }

    /// What is in flight: read bursts taken and not fully answered, write bursts taken
    /// and still waiting for W beats, and B responses not yet taken by the master.
    pub fn outstanding(&self) -> (usize, usize, usize) {
        (self.reads.len(), self.writes.len(), self.responses.len() + usize::from(self.b_out.is_some()))
    }

    fn poke(sim: &mut dyn Simulator, port: PortId, value: u64) {
        let width = sim.ports()[port.0].width;
        sim.poke(port, &Bits::from_u64(value, width)).expect("an input port of the master");
    }

    fn in_error_window(&self, start: u32, len: u32) -> bool {
        self.cfg.error_window.is_some_and(|(lo, hi)| {
            u64::from(start) < u64::from(hi) && u64::from(start) + u64::from(len) > u64::from(lo)
        })
    }

    /// Phase 1 of a cycle: drive every slave output.
    pub fn drive(&mut self, sim: &mut dyn Simulator) {
        let cycle = sim.cycle();
        let cfg = &self.cfg;
        self.ar_ready = !self.rng.gen_bool(cfg.ar_stall);
        self.aw_ready = !self.rng.gen_bool(cfg.aw_stall);
        let w_stall = self.rng.gen_bool(cfg.w_stall);
        self.w_ready = !self.writes.is_empty() && !w_stall;
        let r_gap = self.rng.gen_bool(cfg.r_gap);
        if self.r_beat.is_none() {
            if let Some(burst) = self.reads.front().filter(|b| b.first_due <= cycle && !r_gap) {
                let b = self.beat_bytes;
                let beat_addr = (burst.addr & !(b - 1)).wrapping_add(burst.sent * b);
                let data = bytes_to_bits(self.read(beat_addr, b), self.data_bits);
                self.r_beat = Some((data, burst.sent + 1 == burst.beats, burst.resp));
            }
        }
        let b_delay = self.rng.gen_bool(self.cfg.b_delay);
        if self.b_out.is_none() && !b_delay && self.responses.front().is_some_and(|(due, _)| *due <= cycle) {
            self.b_out = self.responses.pop_front().map(|(_, resp)| resp);
        }
        let p = &self.ports;
        Self::poke(sim, p.ar_ready, self.ar_ready.into());
        Self::poke(sim, p.aw_ready, self.aw_ready.into());
        Self::poke(sim, p.w_ready, self.w_ready.into());
        Self::poke(sim, p.r_valid, self.r_beat.is_some().into());
        let (data, last, resp) = match &self.r_beat {
            Some((d, l, r)) => (d.clone(), *l, *r),
            None => (Bits::zero(self.data_bits), false, OKAY),
        };
        sim.poke(p.r_data, &data).expect("rdata has the bus width");
        Self::poke(sim, p.r_last, last.into());
        Self::poke(sim, p.r_resp, resp);
        Self::poke(sim, p.b_valid, self.b_out.is_some().into());
        Self::poke(sim, p.b_resp, self.b_out.unwrap_or(OKAY));
    }

    fn flag(sim: &mut dyn Simulator, port: PortId) -> bool {
        sim.peek(port).to_u64() == 1
    }

    fn request(sim: &mut dyn Simulator, ports: [PortId; 4]) -> Request {
        let [addr, len, size, burst] = ports.map(|p| sim.peek(p).to_u64());
        Request { addr, len, size, burst }
    }

    /// Check a burst's attributes and place; `Ok` with (start, beats).
    fn check_request(
        &self,
        cycle: u64,
        channel: &'static str,
        prefix: &str,
        r: Request,
    ) -> Result<(u32, u32), AxiError> {
        let fail = |signal: &str, expected: String, got: String| {
            Err(AxiError { cycle, channel, signal: format!("{prefix}{signal}_o"), expected, got })
        };
        let size_bits = self.beat_bytes.trailing_zeros();
        if r.size != u64::from(size_bits) {
            return fail("size", format!("{size_bits} (the bus width, {} bytes)", self.beat_bytes), r.size.to_string());
        }
        if r.burst != 1 {
            return fail("burst", "1 (INCR)".into(), r.burst.to_string());
        }
        let b = u64::from(self.beat_bytes);
        let beats = r.len + 1;
        let first = r.addr & !(b - 1);
        let last = first + beats * b - 1;
        if first / 4096 != last / 4096 {
            return fail(
                "addr",
                "a burst inside one 4 KB page".into(),
                format!("{:#x} with {beats} beats of {b} bytes, up to {last:#x}", r.addr),
            );
        }
        if last > u64::from(u32::MAX) || !self.contains(first as u32, (beats * b) as u32) {
            return fail(
                "addr",
                format!(
                    "a burst inside the image [{:#x}, {:#x})",
                    self.base,
                    u64::from(self.base) + self.bytes.len() as u64
                ),
                format!("{:#x} with {beats} beats of {b} bytes", r.addr),
            );
        }
        Ok((r.addr as u32, beats as u32))
    }

    /// Valid must stay high, with the same payload, until ready.
    fn check_held<T: PartialEq + std::fmt::Debug>(
        cycle: u64,
        channel: &'static str,
        valid_name: &str,
        held: &Option<T>,
        valid: bool,
        now: &T,
    ) -> Result<(), AxiError> {
        if let Some(before) = held {
            if !valid {
                return Err(AxiError {
                    cycle,
                    channel,
                    signal: valid_name.to_string(),
                    expected: "1 (held until ready)".into(),
                    got: "0".into(),
                });
            }
            if before != now {
                return Err(AxiError {
                    cycle,
                    channel,
                    signal: format!("{channel} payload"),
                    expected: format!("{before:?} (stable until ready)"),
                    got: format!("{now:?}"),
                });
            }
        }
        Ok(())
    }

    /// Phase 2 of a cycle: see the master's outputs, take this cycle's handshakes, check
    /// the protocol.
    pub fn sample(&mut self, sim: &mut dyn Simulator) -> Result<(), AxiError> {
        let cycle = sim.cycle();
        let p = &self.ports;
        let (arp, awp) = ([p.ar_addr, p.ar_len, p.ar_size, p.ar_burst], [p.aw_addr, p.aw_len, p.aw_size, p.aw_burst]);
        let (ar_valid_p, aw_valid_p, r_ready_p, w_valid_p, b_ready_p) =
            (p.ar_valid, p.aw_valid, p.r_ready, p.w_valid, p.b_ready);
        let (w_data_p, w_strb_p, w_last_p) = (p.w_data, p.w_strb, p.w_last);

        // AR
        let ar_valid = Self::flag(sim, ar_valid_p);
        let ar = Self::request(sim, arp);
        Self::check_held(cycle, "AR", "m_axi_arvalid_o", &self.ar_held, ar_valid, &ar)?;
        self.ar_held = None;
        if ar_valid && self.ar_ready {
            let (addr, beats) = self.check_request(cycle, "AR", "m_axi_ar", ar)?;
            let resp = if self.in_error_window(addr, beats * self.beat_bytes) { SLVERR } else { OKAY };
            let first_due = cycle + u64::from(self.cfg.read_latency.max(1));
            self.reads.push_back(ReadBurst { addr, beats, sent: 0, first_due, resp });
            self.stats.ar_bursts += 1;
        } else if ar_valid {
            self.ar_held = Some(ar);
            self.stats.ar_waits += 1;
        }

        // R
        if self.r_beat.is_some() {
            if Self::flag(sim, r_ready_p) {
                self.r_beat = None;
                let burst = self.reads.front_mut().expect("a beat belongs to a burst");
                burst.sent += 1;
                if burst.sent == burst.beats {
                    self.reads.pop_front();
                }
                self.stats.r_beats += 1;
                self.stats.bytes_read += u64::from(self.beat_bytes);
                widen(&mut self.stats.r_span, cycle);
            } else {
                self.stats.r_waits += 1;
            }
        }

        // AW
        let aw_valid = Self::flag(sim, aw_valid_p);
        let aw = Self::request(sim, awp);
        Self::check_held(cycle, "AW", "m_axi_awvalid_o", &self.aw_held, aw_valid, &aw)?;
        self.aw_held = None;
        let mut new_write = None;
        if aw_valid && self.aw_ready {
            let (addr, beats) = self.check_request(cycle, "AW", "m_axi_aw", aw)?;
            let resp = if self.in_error_window(addr, beats * self.beat_bytes) { SLVERR } else { OKAY };
            new_write = Some(WriteBurst { addr, beats, got: 0, resp });
            self.stats.aw_bursts += 1;
        } else if aw_valid {
            self.aw_held = Some(aw);
            self.stats.aw_waits += 1;
        }

        // W (only into bursts whose AW was taken before this cycle)
        let w_valid = Self::flag(sim, w_valid_p);
        let w = (sim.peek(w_data_p), sim.peek(w_strb_p).to_u64(), Self::flag(sim, w_last_p));
        Self::check_held(cycle, "W", "m_axi_wvalid_o", &self.w_held, w_valid, &w)?;
        self.w_held = None;
        if w_valid && self.w_ready {
            self.take_w_beat(cycle, &w)?;
        } else if w_valid {
            self.w_held = Some(w);
            self.stats.w_waits += 1;
        }
        if let Some(burst) = new_write {
            self.writes.push_back(burst);
        }

        // B
        if self.b_out.is_some() && Self::flag(sim, b_ready_p) {
            self.b_out = None;
            self.stats.b_responses += 1;
        }
        Ok(())
    }

    fn take_w_beat(&mut self, cycle: u64, (data, strb, last): &(Bits, u64, bool)) -> Result<(), AxiError> {
        let b = self.beat_bytes;
        let fail = |signal: &str, expected: String, got: String| {
            Err(AxiError { cycle, channel: "W", signal: signal.to_string(), expected, got })
        };
        let burst = self.writes.front().expect("wready only while an AW waits");
        let (start, index, beats, resp) = (burst.addr, burst.got, burst.beats, burst.resp);
        let want_last = index + 1 == beats;
        if *last != want_last {
            return fail(
                "m_axi_wlast_o",
                format!("{} (beat {} of {beats} of the burst at {start:#x})", want_last as u8, index + 1),
                (*last as u8).to_string(),
            );
        }
        let beat_addr = (start & !(b - 1)).wrapping_add(index * b);
        let bytes = bits_to_bytes(data, b);
        for lane in 0..b {
            if strb >> lane & 1 == 0 {
                continue;
            }
            let addr = beat_addr.wrapping_add(lane);
            if addr < start {
                return fail(
                    "m_axi_wstrb_o",
                    format!("lane {lane} off: byte {addr:#x} is before the burst's start {start:#x}"),
                    format!("{strb:#x}"),
                );
            }
            if resp == OKAY {
                self.write(addr, &bytes[lane as usize..lane as usize + 1]);
                self.stats.bytes_written += 1;
            }
        }
        self.stats.w_beats += 1;
        widen(&mut self.stats.w_span, cycle);
        let burst = self.writes.front_mut().expect("checked above");
        burst.got += 1;
        if want_last {
            self.writes.pop_front();
            self.responses.push_back((cycle + u64::from(self.cfg.write_latency.max(1)), resp));
        }
        Ok(())
    }
}

/// `bytes` as a `width`-bit value, byte `i` at bits `[8i +: 8]`.
pub fn bytes_to_bits(bytes: &[u8], width: u32) -> Bits {
    let words: Vec<u64> = bytes
        .chunks(8)
        .map(|chunk| chunk.iter().enumerate().fold(0u64, |w, (i, byte)| w | u64::from(*byte) << (8 * i)))
        .collect();
    Bits::from_words(&words, width)
}

/// The first `n` bytes of `value`, byte `i` from bits `[8i +: 8]`.
pub fn bits_to_bytes(value: &Bits, n: u32) -> Vec<u8> {
    let words = value.words();
    (0..n as usize).map(|i| words.get(i / 8).map_or(0, |w| (w >> (8 * (i % 8))) as u8)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtl_gen::sim::Interp;
    use rtl_gen::{Design, ModuleBuilder};

    /// A "master" whose AXI4 outputs are its inputs `drive_<signal>_i`, so that a test
    /// can play any master, legal or not; the slave's outputs come back as `see_*_o`.
    fn puppet(data_bits: u32) -> Interp {
        let b = data_bits / 8;
        let outputs = [
            ("arvalid", 1),
            ("araddr", 32),
            ("arlen", 8),
            ("arsize", 3),
            ("arburst", 2),
            ("rready", 1),
            ("awvalid", 1),
            ("awaddr", 32),
            ("awlen", 8),
            ("awsize", 3),
            ("awburst", 2),
            ("wvalid", 1),
            ("wdata", data_bits),
            ("wstrb", b),
            ("wlast", 1),
            ("bready", 1),
        ];
        let inputs = [
            ("arready", 1),
            ("rvalid", 1),
            ("rdata", data_bits),
            ("rresp", 2),
            ("rlast", 1),
            ("awready", 1),
            ("wready", 1),
            ("bvalid", 1),
            ("bresp", 2),
        ];
        let mut m = ModuleBuilder::new("puppet");
        for (name, width) in outputs {
            let drive = m.input(format!("drive_{name}_i"), width);
            let out = m.output(format!("m_axi_{name}_o"), width);
            m.assign(out, drive);
        }
        for (name, width) in inputs {
            let from = m.input(format!("m_axi_{name}_i"), width);
            let see = m.output(format!("see_{name}_o"), width);
            m.assign(see, from);
        }
        let mut d = Design::new();
        let top = d.add(m).expect("a well-formed puppet");
        Interp::new(&d, top).expect("interpreter")
    }

    const BASE: u32 = 0x1000;

    fn memory(sim: &Interp, cfg: AxiConfig) -> AxiMemory {
        let image = (0..8192u32).map(|i| (i * 7 + 3) as u8).collect();
        AxiMemory::new(sim, "m_axi_", BASE, image, cfg).expect("the puppet has every port")
    }

    /// One cycle: drive the memory, set the puppet's outputs, sample, step.
    fn cycle(sim: &mut Interp, mem: &mut AxiMemory, set: &[(&str, u64)]) -> Result<(), AxiError> {
        mem.drive(sim);
        for (name, value) in set {
            sim.set(&format!("drive_{name}_i"), *value as i64);
        }
        let r = mem.sample(sim);
        sim.step();
        r
    }

    fn ar(addr: u64, len: u64) -> Vec<(&'static str, u64)> {
        vec![("arvalid", 1), ("araddr", addr), ("arlen", len), ("arsize", 2), ("arburst", 1)]
    }

    #[test]
    fn reads_arrive_after_the_latency_in_order_with_rlast() {
        let mut sim = puppet(32);
        let mut mem = memory(&sim, AxiConfig::ideal(3));
        let mut beats = Vec::new();
        cycle(&mut sim, &mut mem, &ar(0x1ff0, 1)).unwrap(); // cycle 0: AR taken
        for _ in 0..6 {
            mem.drive(&mut sim);
            sim.set("drive_arvalid_i", 0);
            sim.set("drive_rready_i", 1);
            if sim.get("see_rvalid_o") == 1 {
                beats.push((sim.cycle(), sim.get("see_rdata_o"), sim.get("see_rlast_o")));
            }
            mem.sample(&mut sim).unwrap();
            sim.step();
        }
        let word = |a: u32| u64::from(u32::from_le_bytes(mem.read(a, 4).try_into().unwrap()));
        assert_eq!(beats, vec![(3, word(0x1ff0), 0), (4, word(0x1ff4), 1)]);
        assert_eq!((mem.stats.ar_bursts, mem.stats.r_beats, mem.stats.r_span), (1, 2, Some((3, 4))));
        assert!(mem.idle());
    }

    #[test]
    fn writes_follow_the_strobes_and_answer_after_the_latency() {
        let mut sim = puppet(64);
        let mut mem = memory(&sim, AxiConfig::ideal(2));
        let aw = [("awvalid", 1), ("awaddr", 0x1008), ("awlen", 1), ("awsize", 3), ("awburst", 1), ("bready", 1)];
        cycle(&mut sim, &mut mem, &aw).unwrap();
        let w =
            |data: u64, strb, last| [("awvalid", 0), ("wvalid", 1), ("wdata", data), ("wstrb", strb), ("wlast", last)];
        cycle(&mut sim, &mut mem, &w(0x1122_3344_5566_7788, 0x0f, 0)).unwrap();
        cycle(&mut sim, &mut mem, &w(0x99aa_bbcc_ddee_ff00, 0x81, 1)).unwrap();
        let mut b_seen = None;
        for _ in 0..4 {
            mem.drive(&mut sim);
            sim.set("drive_wvalid_i", 0);
            if sim.get("see_bvalid_o") == 1 && b_seen.is_none() {
                b_seen = Some(sim.cycle());
            }
            mem.sample(&mut sim).unwrap();
            sim.step();
        }
        assert_eq!(b_seen, Some(4), "B two cycles after the last W beat (cycle 2)");
        assert_eq!(mem.read(0x1008, 4), [0x88, 0x77, 0x66, 0x55]);
        assert_eq!(mem.read(0x1010, 1), [0x00]);
        assert_eq!(mem.read(0x1017, 1), [0x99]);
        assert_eq!(mem.stats.bytes_written, 6);
    }

    fn first_error(data_bits: u32, cfg: AxiConfig, cycles: &[Vec<(&'static str, u64)>]) -> AxiError {
        let mut sim = puppet(data_bits);
        let mut mem = memory(&sim, cfg);
        for set in cycles {
            if let Err(e) = cycle(&mut sim, &mut mem, set) {
                return e;
            }
        }
        panic!("no protocol error found");
    }

    #[test]
    fn bad_bursts_are_named() {
        let e = first_error(32, AxiConfig::ideal(1), &[ar(0x1ffc, 1)]);
        assert_eq!((e.cycle, e.channel, e.signal.as_str()), (0, "AR", "m_axi_araddr_o"), "{e}");
        assert!(e.to_string().contains("4 KB"), "{e}");
        let mut wrong_size = ar(0x1000, 0);
        wrong_size[3].1 = 3;
        let e = first_error(32, AxiConfig::ideal(1), &[wrong_size]);
        assert_eq!((e.signal.as_str(), e.got.as_str()), ("m_axi_arsize_o", "3"), "{e}");
        let mut fixed = ar(0x1000, 0);
        fixed[4].1 = 0;
        let e = first_error(32, AxiConfig::ideal(1), &[fixed]);
        assert_eq!(e.signal, "m_axi_arburst_o", "{e}");
        let e = first_error(32, AxiConfig::ideal(1), &[ar(0x3000, 0)]);
        assert!(e.expected.contains("inside the image"), "{e}");
    }

    #[test]
    fn valid_and_payload_are_held_until_ready() {
        let mut never = AxiConfig::ideal(1);
        never.ar_stall = 1.0;
        let e = first_error(32, never.clone(), &[ar(0x1000, 0), vec![("arvalid", 0)]]);
        assert_eq!((e.cycle, e.signal.as_str(), e.got.as_str()), (1, "m_axi_arvalid_o", "0"), "{e}");
        let e = first_error(32, never, &[ar(0x1000, 0), ar(0x1004, 0)]);
        assert_eq!((e.cycle, e.signal.as_str()), (1, "AR payload"), "{e}");
    }

    #[test]
    fn wlast_and_strobes_are_checked() {
        let aw = vec![("awvalid", 1), ("awaddr", 0x1002), ("awlen", 1), ("awsize", 2), ("awburst", 1)];
        let w = |strb, last| vec![("awvalid", 0), ("wvalid", 1), ("wstrb", strb), ("wlast", last)];
        let e = first_error(32, AxiConfig::ideal(1), &[aw.clone(), w(0xc, 1)]);
        assert_eq!((e.cycle, e.channel, e.signal.as_str(), e.got.as_str()), (1, "W", "m_axi_wlast_o", "1"), "{e}");
        let e = first_error(32, AxiConfig::ideal(1), &[aw, w(0xe, 0)]);
        assert_eq!(e.signal, "m_axi_wstrb_o", "{e}");
        assert!(e.expected.contains("before the burst's start 0x1002"), "{e}");
    }
}
