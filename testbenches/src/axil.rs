//! An AXI4-Lite master for simulations: queue writes and reads, and it drives them onto
//! a slave's `<prefix>aw*`, `w*`, `b*`, `ar*`, `r*` ports (default prefix `s_axil_`,
//! ports suffixed `_i`/`_o` as the slave sees them), while checking the slave's side of
//! the protocol.
//!
//! Each cycle runs in two phases, so that several agents can share one simulator:
//! [`AxilDriver::drive`] pokes the master's outputs, then (after every agent has
//! driven) [`AxilDriver::sample`] peeks the slave's outputs and completes the
//! handshakes of this cycle; the caller then steps the clock.
//!
//! By default a write's AW and W are offered in the same cycle, as soon as the previous
//! ones are taken (several writes in flight, one per cycle), and BREADY and RREADY stay
//! high. [`AxilOptions`] adds random delays (hence random skew between AW and W, either
//! first) and random BREADY/RREADY, from a seed. While a channel has nothing to offer,
//! its payload lines carry random values, so a slave that looks at them without VALID
//! is caught.
//!
//! ```no_run
//! # use testbenches::axil::{AxilDriver, AxilOptions, Resp};
//! # fn demo(sim: &mut dyn rtl_gen::sim::Simulator) {
//! let mut bus = AxilDriver::new(&*sim, AxilOptions::default()).expect("AXI4-Lite ports");
//! let w = bus.write(0x050, 0x1000, 0xf);
//! let r = bus.read(0x050);
//! bus.run(sim, 100).unwrap_or_else(|e| panic!("{e}"));
//! assert_eq!(bus.write_resp(w), Some(Resp::Okay));
//! assert_eq!(bus.read_data(r), Some((0x1000, Resp::Okay)));
//! # }
//! ```

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rtl_gen::sim::{PortId, SimError, Simulator};
use rtl_gen::Bits;
use std::collections::VecDeque;
use std::fmt;
use thiserror::Error;

/// An AXI response code (`xRESP`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resp {
    /// `2'b00`.
    Okay,
    /// `2'b01`, exclusive access okay (not allowed in AXI4-Lite).
    ExOkay,
    /// `2'b10`, slave error.
    SlvErr,
    /// `2'b11`, decode error.
    DecErr,
}

impl Resp {
    /// The response of a 2-bit code.
    pub fn from_bits(code: u64) -> Resp {
        match code & 3 {
            0 => Resp::Okay,
            1 => Resp::ExOkay,
            2 => Resp::SlvErr,
            _ => Resp::DecErr,
        }
    }
}

/// How the master behaves.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AxilOptions {
    /// Seed of every random choice.
    pub seed: u64,
    /// Each AW, W and AR waits a random 0 to `max_delay` cycles at the head of its
    /// channel before it is offered. 0: offered at once, AW and W of a write together.
    pub max_delay: u32,
    /// Probability that BREADY is high in a cycle.
    pub bready: f64,
    /// Probability that RREADY is high in a cycle.
    pub rready: f64,
}

impl Default for AxilOptions {
    fn default() -> Self {
        AxilOptions { seed: 0, max_delay: 0, bready: 1.0, rready: 1.0 }
    }
}

impl AxilOptions {
    /// Random delays of up to `max_delay` cycles and BREADY/RREADY high with
    /// probability `ready`, from `seed`.
    pub fn random(seed: u64, max_delay: u32, ready: f64) -> Self {
        AxilOptions { seed, max_delay, bready: ready, rready: ready }
    }
}

/// A queued write, in issue order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WriteTicket(pub usize);

/// A queued read, in issue order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReadTicket(pub usize);

/// A breach of the AXI4-Lite protocol by the slave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtocolError {
    /// The cycle ([`Simulator::cycle`]) in which it was seen.
    pub cycle: u64,
    /// `B` or `R`.
    pub channel: &'static str,
    /// The port.
    pub signal: String,
    /// What the protocol requires.
    pub expected: String,
    /// What the slave did.
    pub got: String,
    /// The rule.
    pub rule: &'static str,
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cycle {}: {} channel: `{}` expected {}, got {} ({})",
            self.cycle, self.channel, self.signal, self.expected, self.got, self.rule
        )
    }
}

/// Why [`AxilDriver::run`] stopped.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum AxilError {
    /// The slave broke the protocol.
    #[error("AXI4-Lite protocol: {0}")]
    Protocol(ProtocolError),
    /// Transactions were still pending after the cycle budget.
    #[error("cycle {cycle}: AXI4-Lite transactions still pending after {budget} cycles: {pending}")]
    Timeout {
        /// The cycle when it gave up.
        cycle: u64,
        /// The budget.
        budget: u64,
        /// What was still waiting.
        pending: String,
    },
}

impl From<ProtocolError> for AxilError {
    fn from(e: ProtocolError) -> Self {
        AxilError::Protocol(e)
    }
}

/// One channel's queue: the head is offered (VALID high) after its delay, and stays
/// offered until taken.
#[derive(Debug)]
struct Channel<T> {
    queue: VecDeque<T>,
    offered: bool,
    wait: Option<u32>,
}

impl<T> Channel<T> {
    fn new() -> Self {
        Channel { queue: VecDeque::new(), offered: false, wait: None }
    }

    /// Decide this cycle's VALID.
    fn offer(&mut self, rng: &mut ChaCha8Rng, max_delay: u32) -> Option<&T> {
        if !self.offered && !self.queue.is_empty() {
            let w = self.wait.get_or_insert_with(|| rng.gen_range(0..=max_delay));
            if *w == 0 {
                self.offered = true;
                self.wait = None;
            } else {
                *w -= 1;
            }
        }
        if self.offered {
            self.queue.front()
        } else {
            None
        }
    }

    /// The head was taken.
    fn take(&mut self) -> Option<T> {
        self.offered = false;
        self.queue.pop_front()
    }
}

/// Port ids of the slave's AXI4-Lite ports.
#[derive(Clone, Copy, Debug)]
struct Ports {
    awvalid: PortId,
    awready: PortId,
    awaddr: PortId,
    awprot: PortId,
    wvalid: PortId,
    wready: PortId,
    wdata: PortId,
    wstrb: PortId,
    bvalid: PortId,
    bready: PortId,
    bresp: PortId,
    arvalid: PortId,
    arready: PortId,
    araddr: PortId,
    arprot: PortId,
    rvalid: PortId,
    rready: PortId,
    rdata: PortId,
    rresp: PortId,
}

/// What a response channel showed in a cycle: VALID, our READY, (data, resp).
#[derive(Clone, Copy, Debug, Default)]
struct Shown {
    valid: bool,
    ready: bool,
    payload: (u64, u64),
}

/// An AXI4-Lite master driving one slave; see the module documentation.
#[derive(Debug)]
pub struct AxilDriver {
    prefix: String,
    ports: Ports,
    addr_bits: u32,
    data_bits: u32,
    opts: AxilOptions,
    rng: ChaCha8Rng,
    aw: Channel<(usize, u32)>,
    w: Channel<(usize, u32, u8)>,
    ar: Channel<(usize, u32)>,
    /// Per write: (AW taken, W taken).
    write_parts: Vec<(bool, bool)>,
    write_accepted: Vec<Option<u64>>,
    write_results: Vec<Option<Resp>>,
    read_accepted: Vec<Option<u64>>,
    read_results: Vec<Option<(u32, Resp)>>,
    /// Writes with AW and W taken, waiting for B, in order.
    b_pending: VecDeque<usize>,
    /// Reads taken, waiting for R, in order.
    r_pending: VecDeque<usize>,
    bready: bool,
    rready: bool,
    last_b: Shown,
    last_r: Shown,
}

impl AxilDriver {
    /// A driver for the slave ports `s_axil_*` of `sim`.
    pub fn new<S: Simulator + ?Sized>(sim: &S, opts: AxilOptions) -> Result<Self, SimError> {
        Self::with_prefix(sim, "s_axil_", opts)
    }

    /// A driver for the slave ports `<prefix>aw*`, … of `sim`.
    pub fn with_prefix<S: Simulator + ?Sized>(sim: &S, prefix: &str, opts: AxilOptions) -> Result<Self, SimError> {
        let p = |n: &str| sim.port(&format!("{prefix}{n}"));
        let ports = Ports {
            awvalid: p("awvalid_i")?,
            awready: p("awready_o")?,
            awaddr: p("awaddr_i")?,
            awprot: p("awprot_i")?,
            wvalid: p("wvalid_i")?,
            wready: p("wready_o")?,
            wdata: p("wdata_i")?,
            wstrb: p("wstrb_i")?,
            bvalid: p("bvalid_o")?,
            bready: p("bready_i")?,
            bresp: p("bresp_o")?,
            arvalid: p("arvalid_i")?,
            arready: p("arready_o")?,
            araddr: p("araddr_i")?,
            arprot: p("arprot_i")?,
            rvalid: p("rvalid_o")?,
            rready: p("rready_i")?,
            rdata: p("rdata_o")?,
            rresp: p("rresp_o")?,
        };
        Ok(AxilDriver {
            prefix: prefix.to_string(),
            addr_bits: sim.ports()[ports.awaddr.0].width,
            data_bits: sim.ports()[ports.wdata.0].width,
            ports,
            opts,
            rng: ChaCha8Rng::seed_from_u64(opts.seed),
            aw: Channel::new(),
            w: Channel::new(),
            ar: Channel::new(),
            write_parts: Vec::new(),
            write_accepted: Vec::new(),
            write_results: Vec::new(),
            read_accepted: Vec::new(),
            read_results: Vec::new(),
            b_pending: VecDeque::new(),
            r_pending: VecDeque::new(),
            bready: false,
            rready: false,
            last_b: Shown::default(),
            last_r: Shown::default(),
        })
    }

    /// Queue a write of `data` to byte address `addr` with byte strobes `strb`.
    pub fn write(&mut self, addr: u32, data: u32, strb: u8) -> WriteTicket {
        let id = self.write_parts.len();
        self.write_parts.push((false, false));
        self.write_accepted.push(None);
        self.write_results.push(None);
        self.aw.queue.push_back((id, addr));
        self.w.queue.push_back((id, data, strb));
        WriteTicket(id)
    }

    /// Queue a read of byte address `addr`.
    pub fn read(&mut self, addr: u32) -> ReadTicket {
        let id = self.read_results.len();
        self.read_accepted.push(None);
        self.read_results.push(None);
        self.ar.queue.push_back((id, addr));
        ReadTicket(id)
    }

    /// The response of a write, once it has come.
    pub fn write_resp(&self, t: WriteTicket) -> Option<Resp> {
        self.write_results.get(t.0).copied().flatten()
    }

    /// The data and response of a read, once they have come.
    pub fn read_data(&self, t: ReadTicket) -> Option<(u32, Resp)> {
        self.read_results.get(t.0).copied().flatten()
    }

    /// Write responses received so far, in write order.
    pub fn write_responses(&self) -> Vec<Resp> {
        self.write_results.iter().map_while(|r| *r).collect()
    }

    /// The cycle whose clock edge took the write (its AW and W both taken).
    pub fn write_accepted_at(&self, t: WriteTicket) -> Option<u64> {
        self.write_accepted.get(t.0).copied().flatten()
    }

    /// The cycle whose clock edge took the read's AR.
    pub fn read_accepted_at(&self, t: ReadTicket) -> Option<u64> {
        self.read_accepted.get(t.0).copied().flatten()
    }

    /// Nothing queued, offered or waiting for a response.
    pub fn idle(&self) -> bool {
        self.aw.queue.is_empty()
            && self.w.queue.is_empty()
            && self.ar.queue.is_empty()
            && self.b_pending.is_empty()
            && self.r_pending.is_empty()
    }

    fn poke<S: Simulator + ?Sized>(&self, sim: &mut S, port: PortId, value: u64) {
        let width = sim.ports()[port.0].width;
        sim.poke(port, &Bits::from_u64(value, width)).unwrap_or_else(|e| panic!("{e}"));
    }

    /// Phase 1 of a cycle: drive VALIDs, payloads (random while not valid), BREADY and
    /// RREADY.
    pub fn drive<S: Simulator + ?Sized>(&mut self, sim: &mut S) {
        let (p, d) = (self.ports, self.opts.max_delay);
        let junk: [u64; 4] = [self.rng.gen(), self.rng.gen(), self.rng.gen(), self.rng.gen()];
        let aw = self.aw.offer(&mut self.rng, d).map(|(_, a)| u64::from(*a));
        let w = self.w.offer(&mut self.rng, d).map(|(_, v, s)| (u64::from(*v), u64::from(*s)));
        let ar = self.ar.offer(&mut self.rng, d).map(|(_, a)| u64::from(*a));
        self.bready = self.rng.gen_bool(self.opts.bready);
        self.rready = self.rng.gen_bool(self.opts.rready);
        self.poke(sim, p.awvalid, aw.is_some().into());
        self.poke(sim, p.awaddr, aw.unwrap_or(junk[0]));
        self.poke(sim, p.awprot, 0);
        self.poke(sim, p.wvalid, w.is_some().into());
        self.poke(sim, p.wdata, w.map_or(junk[1], |w| w.0));
        self.poke(sim, p.wstrb, w.map_or(junk[2], |w| w.1));
        self.poke(sim, p.arvalid, ar.is_some().into());
        self.poke(sim, p.araddr, ar.unwrap_or(junk[3]));
        self.poke(sim, p.arprot, 0);
        self.poke(sim, p.bready, self.bready.into());
        self.poke(sim, p.rready, self.rready.into());
    }

    fn breach(
        &self,
        cycle: u64,
        channel: &'static str,
        port: &str,
        expected: String,
        got: String,
        rule: &'static str,
    ) -> ProtocolError {
        ProtocolError { cycle, channel, signal: format!("{}{port}", self.prefix), expected, got, rule }
    }

    /// A response channel held from the previous cycle must still be valid with the
    /// same payload.
    fn check_held(&self, cycle: u64, channel: &'static str, last: Shown, now: Shown) -> Result<(), ProtocolError> {
        let lc = channel.to_lowercase();
        // Only a response offered and not taken last cycle is bound.
        if !last.valid || last.ready {
            return Ok(());
        }
        if !now.valid {
            let rule = "VALID must stay high until READY";
            return Err(self.breach(cycle, channel, &format!("{lc}valid_o"), "1".into(), "0".into(), rule));
        }
        // B carries no data: its data slot is always 0.
        let names = if channel == "B" { ["", "bresp_o"] } else { ["rdata_o", "rresp_o"] };
        for (i, (was, is)) in [(last.payload.0, now.payload.0), (last.payload.1, now.payload.1)].into_iter().enumerate()
        {
            if was != is {
                let rule = "payload must stay stable while VALID waits for READY";
                return Err(self.breach(cycle, channel, names[i], format!("{was:#x}"), format!("{is:#x}"), rule));
            }
        }
        Ok(())
    }

    /// Phase 2 of a cycle: peek the slave's outputs, check its protocol, and complete
    /// this cycle's handshakes (the caller steps the clock next).
    pub fn sample<S: Simulator + ?Sized>(&mut self, sim: &mut S) -> Result<(), ProtocolError> {
        let p = self.ports;
        let cycle = sim.cycle();
        let mut get = |port: PortId| sim.peek(port).to_u64();
        let (awready, wready, arready) = (get(p.awready) == 1, get(p.wready) == 1, get(p.arready) == 1);
        let b = Shown { valid: get(p.bvalid) == 1, ready: self.bready, payload: (0, get(p.bresp)) };
        let r = Shown { valid: get(p.rvalid) == 1, ready: self.rready, payload: (get(p.rdata), get(p.rresp)) };
        self.check_held(cycle, "B", self.last_b, b)?;
        self.check_held(cycle, "R", self.last_r, r)?;
        (self.last_b, self.last_r) = (b, r);
        // Responses first: a response must follow its request's handshake, so one for a
        // request taken in this very cycle is a breach.
        if b.valid && b.ready {
            let resp = Resp::from_bits(b.payload.1);
            let Some(id) = self.b_pending.pop_front() else {
                let rule = "a write response needs a write whose AW and W were taken";
                return Err(self.breach(cycle, "B", "bvalid_o", "0".into(), "1".into(), rule));
            };
            if resp == Resp::ExOkay {
                let rule = "AXI4-Lite has no exclusive accesses";
                return Err(self.breach(cycle, "B", "bresp_o", "OKAY, SLVERR or DECERR".into(), "EXOKAY".into(), rule));
            }
            self.write_results[id] = Some(resp);
        }
        if r.valid && r.ready {
            let resp = Resp::from_bits(r.payload.1);
            let Some(id) = self.r_pending.pop_front() else {
                let rule = "read data needs a read whose AR was taken";
                return Err(self.breach(cycle, "R", "rvalid_o", "0".into(), "1".into(), rule));
            };
            if resp == Resp::ExOkay {
                let rule = "AXI4-Lite has no exclusive accesses";
                return Err(self.breach(cycle, "R", "rresp_o", "OKAY, SLVERR or DECERR".into(), "EXOKAY".into(), rule));
            }
            let mask = if self.data_bits >= 32 { u32::MAX } else { (1u32 << self.data_bits) - 1 };
            self.read_results[id] = Some((r.payload.0 as u32 & mask, resp));
        }
        if self.aw.offered && awready {
            if let Some((id, _)) = self.aw.take() {
                self.write_parts[id].0 = true;
                self.complete_write(id, cycle);
            }
        }
        if self.w.offered && wready {
            if let Some((id, _, _)) = self.w.take() {
                self.write_parts[id].1 = true;
                self.complete_write(id, cycle);
            }
        }
        if self.ar.offered && arready {
            if let Some((id, _)) = self.ar.take() {
                self.read_accepted[id] = Some(cycle);
                self.r_pending.push_back(id);
            }
        }
        Ok(())
    }

    fn complete_write(&mut self, id: usize, cycle: u64) {
        if self.write_parts[id] == (true, true) {
            self.write_accepted[id] = Some(cycle);
            self.b_pending.push_back(id);
        }
    }

    /// For a driver alone on its simulator: drive, sample and step until everything
    /// queued has completed, at most `budget` cycles. Returns the cycles taken.
    pub fn run<S: Simulator + ?Sized>(&mut self, sim: &mut S, budget: u64) -> Result<u64, AxilError> {
        let start = sim.cycle();
        while !self.idle() {
            if sim.cycle() - start >= budget {
                return Err(AxilError::Timeout { cycle: sim.cycle(), budget, pending: self.pending() });
            }
            self.drive(sim);
            self.sample(sim)?;
            sim.step();
        }
        Ok(sim.cycle() - start)
    }

    /// What is still waiting, for error messages.
    pub fn pending(&self) -> String {
        format!(
            "{} AW and {} W not taken, {} writes waiting for B, {} AR not taken, {} reads waiting for R \
             (addresses are {} bits)",
            self.aw.queue.len(),
            self.w.queue.len(),
            self.b_pending.len(),
            self.ar.queue.len(),
            self.r_pending.len(),
            self.addr_bits
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtl_gen::sim::Interp;
    use rtl_gen::{Design, ModuleBuilder};

    /// How a deliberately broken slave breaks the protocol.
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Breach {
        /// BVALID for one cycle only, whatever BREADY.
        DropsB,
        /// RVALID held, RDATA changing every cycle.
        MovesRdata,
        /// BVALID from reset on, with no write.
        UnaskedB,
    }

    fn broken_slave(breach: Breach) -> Interp {
        let mut m = ModuleBuilder::new("broken");
        let i = |m: &mut ModuleBuilder, n: &str, w| m.input(format!("s_axil_{n}"), w);
        let (awvalid, wvalid, arvalid) =
            (i(&mut m, "awvalid_i", 1), i(&mut m, "wvalid_i", 1), i(&mut m, "arvalid_i", 1));
        let unused: Vec<_> = [("awaddr_i", 12), ("awprot_i", 3), ("wdata_i", 32), ("wstrb_i", 4), ("bready_i", 1)]
            .into_iter()
            .chain([("araddr_i", 12), ("arprot_i", 3), ("rready_i", 1)])
            .map(|(n, w)| i(&mut m, n, w))
            .collect();
        let one = m.lit(1, 1);
        for n in ["awready_o", "wready_o", "arready_o"] {
            let o = m.output(format!("s_axil_{n}"), 1);
            m.assign(o, one);
        }
        let b = m.reg("b", 1).reset(u64::from(breach == Breach::UnaskedB)).build();
        let fire = m.and(awvalid, wvalid);
        let b_next = if breach == Breach::UnaskedB { m.or(b, fire) } else { fire };
        m.next(b, b_next);
        let r = m.reg("r", 1).reset(0).build();
        let r_next = m.or(r, arvalid);
        m.next(r, r_next);
        let count = m.reg("count", 32).reset(0).build();
        let inc = m.lit(1, 32);
        let count_next = m.add(count, inc);
        m.next(count, count_next);
        for (n, w, v) in [("bvalid_o", 1, m.sig(b.q)), ("rvalid_o", 1, m.sig(r.q)), ("rdata_o", 32, m.sig(count.q))] {
            let o = m.output(format!("s_axil_{n}"), w);
            m.assign(o, v);
        }
        let zero = m.lit(0, 2);
        for n in ["bresp_o", "rresp_o"] {
            let o = m.output(format!("s_axil_{n}"), 2);
            m.assign(o, zero);
        }
        for s in unused {
            m.mark_unused(s);
        }
        let mut d = Design::new();
        let top = d.add(m).unwrap_or_else(|e| panic!("{e}"));
        Interp::new(&d, top).expect("interpreter")
    }

    #[test]
    fn slave_protocol_breaches_name_cycle_channel_and_signal() {
        let cases = [
            (Breach::DropsB, "B channel: `s_axil_bvalid_o` expected 1, got 0 (VALID must stay high until READY)"),
            (Breach::MovesRdata, "R channel: `s_axil_rdata_o` expected 0x"),
            (Breach::UnaskedB, "B channel: `s_axil_bvalid_o` expected 0, got 1 (a write response needs a write"),
        ];
        for (breach, want) in cases {
            let mut sim = broken_slave(breach);
            sim.reset(1);
            let ready = if breach == Breach::UnaskedB { 1.0 } else { 0.0 };
            let opts = AxilOptions { bready: ready, rready: ready, ..AxilOptions::default() };
            let mut bus = AxilDriver::new(&sim, opts).unwrap_or_else(|e| panic!("{e}"));
            match breach {
                Breach::DropsB => drop(bus.write(0, 1, 0xF)),
                Breach::MovesRdata => drop(bus.read(0)),
                Breach::UnaskedB => {}
            }
            let err = (0..5)
                .find_map(|_| {
                    bus.drive(&mut sim);
                    let r = bus.sample(&mut sim).err();
                    sim.step();
                    r
                })
                .unwrap_or_else(|| panic!("{breach:?} went unnoticed"));
            let text = err.to_string();
            assert!(text.starts_with("cycle ") && text.contains(want), "{breach:?}: {text}");
        }
    }
}
