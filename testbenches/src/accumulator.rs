//! Driver and Rust model of the accumulator memory block, usable on any [`Simulator`].
//!
//! [`AccModel`] is a plain memory of rows with the write/accumulate semantics (wrapping
//! at `acc_bits`) whose requantized reads go through [`ip_blocks::quant::requantize`].
//! [`AccBench`] drives the block one cycle at a time: a write (or none), a read request
//! offered on the read channel (held until accepted, as valid/ready requires) and
//! `out_ready_i`; every output beat is compared with the model and a disagreement names
//! the cycle, the column, the expected and the got values. [`run_random`] makes random
//! traffic with random stalls on both channels.

use ip_blocks::blocks::accumulator::AccumulatorParams;
use ip_blocks::quant::{requantize, wrap, Activation, RequantParams};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rtl_gen::sim::{PortId, Simulator};
use rtl_gen::Bits;
use std::collections::VecDeque;
use std::fmt;

/// The read-out settings the controller holds stable: requantization and bias row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Readout {
    /// Multiplier, shift, activation, ReLU6 clamp.
    pub requant: RequantParams,
    /// One bias per column (signed, `acc_bits`).
    pub bias: Vec<i64>,
}

impl Readout {
    /// Scale 0.5, no shift, no activation, zero bias.
    pub fn neutral(cols: u32) -> Self {
        Readout {
            requant: RequantParams { multiplier: 1 << 30, shift: 0, activation: Activation::None, relu6_max: 0 },
            bias: vec![0; cols as usize],
        }
    }
}

/// The accumulator memory's contents and read-out, as the Rust reference sees them.
#[derive(Clone, Debug)]
pub struct AccModel {
    p: AccumulatorParams,
    rows: Vec<Vec<i64>>,
}

impl AccModel {
    /// A memory of zeros.
    pub fn new(p: AccumulatorParams) -> Self {
        AccModel { p, rows: vec![vec![0; p.cols as usize]; p.rows as usize] }
    }

    /// Overwrite row `addr` with `data`, or add `data` to it (wrapping at `acc_bits`).
    pub fn write(&mut self, addr: u32, accumulate: bool, data: &[i64]) {
        let bits = self.p.acc_bits;
        for (stored, d) in self.rows[addr as usize].iter_mut().zip(data) {
            let v = if accumulate { stored.wrapping_add(*d) } else { *d };
            *stored = wrap(v, bits);
        }
    }

    /// The stored row `addr`.
    pub fn row(&self, addr: u32) -> &[i64] {
        &self.rows[addr as usize]
    }

    /// What a read of row `addr` returns: the stored row, or its requantization.
    pub fn read(&self, addr: u32, raw: bool, ro: &Readout) -> Vec<i64> {
        let row = self.row(addr);
        if raw {
            return row.to_vec();
        }
        let (ab, ob) = (self.p.acc_bits, self.p.out_bits);
        row.iter().zip(&ro.bias).map(|(a, b)| requantize(*a, *b, ab, ob, &ro.requant)).collect()
    }
}

/// One row on the write port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteBeat {
    /// The row.
    pub addr: u32,
    /// Add to the stored row (true) or overwrite it.
    pub accumulate: bool,
    /// One value per column.
    pub data: Vec<i64>,
}

/// One request on the read channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadReq {
    /// The row.
    pub addr: u32,
    /// Raw accumulators (true) or requantized.
    pub raw: bool,
}

/// The first disagreement between the block and the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The cycle (clock edges since the simulation began) the beat was seen in.
    pub cycle: u64,
    /// What was wrong.
    pub what: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cycle {}: {}", self.cycle, self.what)
    }
}

/// Counters of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Rows written or accumulated.
    pub writes: u64,
    /// Reads accepted.
    pub reads: u64,
    /// Cycles a read was offered and `rd_ready_o` was low.
    pub rd_stalls: u64,
    /// Cycles a write was offered and `wr_ready_o` was low.
    pub wr_stalls: u64,
    /// Raw beats checked.
    pub raw_beats: u64,
    /// Requantized beats checked.
    pub q_beats: u64,
}

#[derive(Clone, Debug)]
struct Expected {
    read: ReadReq,
    accepted: u64,
    stored: Vec<i64>,
    values: Vec<i64>,
}

#[derive(Clone)]
struct Ports {
    wr_valid: PortId,
    wr_ready: PortId,
    wr_addr: PortId,
    wr_accumulate: PortId,
    wr_data: Vec<PortId>,
    rd_valid: PortId,
    rd_ready: PortId,
    rd_addr: PortId,
    rd_raw: PortId,
    out_valid: PortId,
    out_ready: PortId,
    out_raw: PortId,
    out_acc: Vec<PortId>,
    out_q: Vec<PortId>,
    cfg_multiplier: PortId,
    cfg_shift: PortId,
    cfg_activation: PortId,
    cfg_relu6_max: PortId,
    bias_load: PortId,
}

impl Ports {
    fn new(sim: &dyn Simulator, cols: u32) -> Self {
        let one = |n: &str| sim.port(n).unwrap_or_else(|e| panic!("{e}"));
        let each = |f: &str| (0..cols).map(|c| one(&f.replace("<n>", &c.to_string()))).collect();
        Ports {
            wr_valid: one("wr_valid_i"),
            wr_ready: one("wr_ready_o"),
            wr_addr: one("wr_addr_i"),
            wr_accumulate: one("wr_accumulate_i"),
            wr_data: each("wr_data_c<n>_i"),
            rd_valid: one("rd_valid_i"),
            rd_ready: one("rd_ready_o"),
            rd_addr: one("rd_addr_i"),
            rd_raw: one("rd_raw_i"),
            out_valid: one("out_valid_o"),
            out_ready: one("out_ready_i"),
            out_raw: one("out_raw_o"),
            out_acc: each("out_acc_c<n>_o"),
            out_q: each("out_q_c<n>_o"),
            cfg_multiplier: one("cfg_multiplier_i"),
            cfg_shift: one("cfg_shift_i"),
            cfg_activation: one("cfg_activation_i"),
            cfg_relu6_max: one("cfg_relu6_max_i"),
            bias_load: one("bias_load_i"),
        }
    }
}

/// Drives an accumulator block on a simulator, cycle by cycle, against [`AccModel`].
pub struct AccBench<'s> {
    sim: &'s mut dyn Simulator,
    p: AccumulatorParams,
    ports: Ports,
    /// The reference.
    pub model: AccModel,
    readout: Readout,
    reads: VecDeque<ReadReq>,
    presenting: bool,
    writes: VecDeque<WriteBeat>,
    expected: VecDeque<Expected>,
    out_waiting: bool,
    /// Counters so far.
    pub stats: Stats,
    /// For each beat checked: (its read, cycles from acceptance to the beat).
    pub latencies: Vec<(ReadReq, u64)>,
    /// The cycle of each beat checked.
    pub beat_cycles: Vec<u64>,
}

impl<'s> AccBench<'s> {
    /// Reset the block, idle its inputs and set a neutral read-out.
    ///
    /// # Panics
    /// When the simulated design does not have the accumulator's ports.
    pub fn new(sim: &'s mut dyn Simulator, p: AccumulatorParams) -> Self {
        let ports = Ports::new(sim, p.cols);
        let mut bench = AccBench {
            sim,
            p,
            ports,
            model: AccModel::new(p),
            readout: Readout::neutral(p.cols),
            reads: VecDeque::new(),
            presenting: false,
            writes: VecDeque::new(),
            expected: VecDeque::new(),
            out_waiting: false,
            stats: Stats::default(),
            latencies: Vec::new(),
            beat_cycles: Vec::new(),
        };
        for port in [bench.ports.wr_valid, bench.ports.rd_valid, bench.ports.out_ready, bench.ports.bias_load] {
            bench.poke(port, 0);
        }
        bench.set_readout(Readout::neutral(p.cols));
        bench.sim.reset(2);
        bench
    }

    fn poke(&mut self, port: PortId, value: i64) {
        let width = self.sim.ports()[port.0].width;
        self.sim.poke(port, &Bits::from_i64(value, width)).unwrap_or_else(|e| panic!("{e}"));
    }

    fn peek(&mut self, port: PortId) -> i64 {
        self.sim.peek(port).to_i64()
    }

    fn flag(&mut self, port: PortId) -> bool {
        self.sim.peek(port).to_u64() == 1
    }

    /// The simulator's cycle count.
    pub fn cycle_count(&self) -> u64 {
        self.sim.cycle()
    }

    /// True when no read is queued or outstanding.
    pub fn idle(&self) -> bool {
        self.reads.is_empty() && self.expected.is_empty() && self.writes.is_empty()
    }

    /// Reads queued or accepted whose beats have not been seen yet.
    pub fn outstanding(&self) -> usize {
        self.reads.len() + self.expected.len()
    }

    /// Drive new read-out settings (the controller's job).
    ///
    /// # Panics
    /// When reads are outstanding: the block samples these inputs as rows go through.
    pub fn set_readout(&mut self, ro: Readout) {
        assert!(self.idle(), "the read-out settings change only while no read is outstanding");
        assert_eq!(ro.bias.len(), self.p.cols as usize, "one bias per column");
        let r = ro.requant;
        self.poke(self.ports.cfg_multiplier, r.multiplier.into());
        self.poke(self.ports.cfg_shift, r.shift.into());
        self.poke(self.ports.cfg_activation, r.activation.code() as i64);
        self.poke(self.ports.cfg_relu6_max, r.relu6_max.into());
        if ro.bias != self.readout.bias {
            self.load_bias(&ro.bias);
        }
        self.readout = ro;
    }

    /// Load `bias` as the controller does, through a row: row 0 is overwritten with it,
    /// read raw with `bias_load_i` high on its beat, then written back (the model's row 0
    /// is unchanged). Takes a few cycles; the bench must be idle.
    fn load_bias(&mut self, bias: &[i64]) {
        let old = self.model.row(0).to_vec();
        let p = self.ports.clone();
        let write = |b: &mut Self, data: &[i64]| {
            b.poke(p.wr_valid, 1);
            b.poke(p.wr_addr, 0);
            b.poke(p.wr_accumulate, 0);
            for (c, d) in data.iter().enumerate() {
                b.poke(p.wr_data[c], *d);
            }
            assert!(b.flag(p.wr_ready), "an overwrite is taken at once");
            b.sim.step();
            b.poke(p.wr_valid, 0);
        };
        write(self, bias);
        self.poke(p.rd_valid, 1);
        self.poke(p.rd_addr, 0);
        self.poke(p.rd_raw, 1);
        self.poke(p.out_ready, 0);
        for _ in 0..8 {
            let ready = self.flag(p.rd_ready);
            self.sim.step();
            if ready {
                break;
            }
        }
        self.poke(p.rd_valid, 0);
        for _ in 0..8 {
            if self.flag(p.out_valid) {
                break;
            }
            self.sim.step();
        }
        assert!(self.flag(p.out_valid) && self.flag(p.out_raw), "the bias row's raw beat");
        self.poke(p.bias_load, 1);
        self.poke(p.out_ready, 1);
        self.sim.step();
        self.poke(p.bias_load, 0);
        self.poke(p.out_ready, 0);
        write(self, &old);
        self.sim.step();
    }

    /// Queue a read; it is offered on the read channel in order.
    pub fn queue_read(&mut self, r: ReadReq) {
        self.reads.push_back(r);
    }

    /// One clock cycle: `write` queued behind any write still waiting for `wr_ready_o`,
    /// the oldest queued write offered on the write port, the next queued read offered if
    /// `offer_read` (a read already offered stays offered until accepted), `out_ready`
    /// on the output channel. Checks the beat taken in this cycle, if any.
    pub fn cycle(&mut self, write: Option<&WriteBeat>, offer_read: bool, out_ready: bool) -> Result<(), Box<Failure>> {
        let cycle = self.sim.cycle();
        let fail = |what: String| Err(Box::new(Failure { cycle, what }));
        self.writes.extend(write.cloned());
        let write = self.writes.front().cloned();
        let write = write.as_ref();
        let ports = &self.ports;
        let (wr_valid, wr_addr, wr_acc) = (ports.wr_valid, ports.wr_addr, ports.wr_accumulate);
        self.poke(wr_valid, write.is_some().into());
        if let Some(w) = write {
            self.poke(wr_addr, w.addr.into());
            self.poke(wr_acc, w.accumulate.into());
            for (c, d) in w.data.iter().enumerate() {
                self.poke(self.ports.wr_data[c], *d);
            }
        }
        if !self.presenting && offer_read && !self.reads.is_empty() {
            self.presenting = true;
        }
        self.poke(self.ports.rd_valid, self.presenting.into());
        if let Some(r) = self.reads.front().copied().filter(|_| self.presenting) {
            self.poke(self.ports.rd_addr, r.addr.into());
            self.poke(self.ports.rd_raw, r.raw.into());
        }
        self.poke(self.ports.out_ready, out_ready.into());

        if self.presenting {
            if self.flag(self.ports.rd_ready) {
                let read = self.reads.pop_front().expect("a read is being offered");
                let values = self.model.read(read.addr, read.raw, &self.readout);
                let stored = self.model.row(read.addr).to_vec();
                self.expected.push_back(Expected { read, accepted: cycle, stored, values });
                self.presenting = false;
                self.stats.reads += 1;
            } else {
                self.stats.rd_stalls += 1;
            }
        }
        let out_valid = self.flag(self.ports.out_valid);
        if self.out_waiting && !out_valid {
            return fail("out_valid_o fell before its beat was taken".into());
        }
        if out_valid && out_ready {
            let beat = self.stats.raw_beats + self.stats.q_beats;
            let Some(e) = self.expected.pop_front() else {
                return fail(format!("beat {beat} on the output with no read outstanding"));
            };
            let raw = self.flag(self.ports.out_raw);
            let kind = |raw: bool| if raw { "raw" } else { "requantized" };
            let what = format!(
                "beat {beat} (read of row {}, {}, accepted at cycle {})",
                e.read.addr,
                kind(e.read.raw),
                e.accepted
            );
            if raw != e.read.raw {
                return fail(format!("{what}: out_raw_o says {}", kind(raw)));
            }
            for (c, want) in e.values.iter().enumerate() {
                let (port, name) =
                    if raw { (self.ports.out_acc[c], "out_acc") } else { (self.ports.out_q[c], "out_q") };
                let got = self.peek(port);
                if got != *want {
                    return fail(format!(
                        "{what}: column {c} (`{name}_c{c}_o`): expected {want}, got {got}; row when read {:?}, \
                         bias {:?}, {:?}",
                        e.stored, self.readout.bias, self.readout.requant
                    ));
                }
            }
            if raw {
                self.stats.raw_beats += 1;
            } else {
                self.stats.q_beats += 1;
            }
            self.latencies.push((e.read, cycle - e.accepted));
            self.beat_cycles.push(cycle);
        }
        self.out_waiting = out_valid && !out_ready;
        // A read accepted in this cycle saw the row before this cycle's write.
        if let Some(w) = write {
            if self.flag(self.ports.wr_ready) {
                self.model.write(w.addr, w.accumulate, &w.data);
                self.stats.writes += 1;
                self.writes.pop_front();
            } else {
                self.stats.wr_stalls += 1;
            }
        }
        self.sim.step();
        Ok(())
    }

    /// Run cycles without writes (reads offered with probability `rd_valid`, output
    /// ready with probability `out_ready`) until every queued read has left; fails after
    /// `limit` cycles.
    pub fn drain(
        &mut self,
        rng: &mut ChaCha8Rng,
        rd_valid: f64,
        out_ready: f64,
        limit: u64,
    ) -> Result<(), Box<Failure>> {
        let start = self.sim.cycle();
        while !self.idle() {
            if self.sim.cycle() - start > limit {
                return Err(Box::new(Failure {
                    cycle: self.sim.cycle(),
                    what: format!("{} reads still outstanding after {limit} cycles", self.outstanding()),
                }));
            }
            let (r, o) = (rng.gen_bool(rd_valid), rng.gen_bool(out_ready));
            self.cycle(None, r, o)?;
        }
        // Let the write pipeline settle too.
        self.cycle(None, false, true)?;
        self.cycle(None, false, true)
    }
}

/// Probabilities of random traffic.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Traffic {
    /// A write in a cycle.
    pub write: f64,
    /// A write is an accumulate.
    pub accumulate: f64,
    /// A new read queued in a cycle (at most 4 outstanding).
    pub read: f64,
    /// A read is raw.
    pub raw: f64,
    /// `rd_valid_i` offered in a cycle.
    pub rd_valid: f64,
    /// `out_ready_i` high in a cycle.
    pub out_ready: f64,
    /// An address is one of the four hot rows (same-row hazards).
    pub hot: f64,
}

impl Traffic {
    /// Busy traffic with stalls on both channels and frequent same-row hazards.
    pub const BUSY: Traffic =
        Traffic { write: 0.7, accumulate: 0.7, read: 0.4, raw: 0.4, rd_valid: 0.7, out_ready: 0.7, hot: 0.5 };
}

/// A random signed value of `bits` bits, biased towards the corners (min, max, 0, -1, 1).
pub fn random_value(rng: &mut ChaCha8Rng, bits: u32) -> i64 {
    let max = if bits >= 64 { i64::MAX } else { (1i64 << (bits - 1)) - 1 };
    let min = -max - 1;
    match rng.gen_range(0..10) {
        0 => min,
        1 => max,
        2 => 0,
        3 => -1,
        4 => 1,
        5 => rng.gen_range(-300..300),
        _ => wrap(rng.gen(), bits),
    }
}

/// A random row of `cols` values of `acc_bits`.
pub fn random_row(rng: &mut ChaCha8Rng, p: &AccumulatorParams) -> Vec<i64> {
    (0..p.cols).map(|_| random_value(rng, p.acc_bits)).collect()
}

fn pick_row(rng: &mut ChaCha8Rng, p: &AccumulatorParams, hot: f64) -> u32 {
    if rng.gen_bool(hot) {
        rng.gen_range(0..4.min(p.rows))
    } else {
        rng.gen_range(0..p.rows)
    }
}

/// Overwrite every row with random values, one per cycle, so the contents are known.
pub fn fill(bench: &mut AccBench, rng: &mut ChaCha8Rng) -> Result<(), Box<Failure>> {
    let p = bench.p;
    for addr in 0..p.rows {
        let w = WriteBeat { addr, accumulate: false, data: random_row(rng, &p) };
        bench.cycle(Some(&w), false, true)?;
    }
    Ok(())
}

/// `cycles` cycles of random writes, accumulates and reads (raw and requantized) with
/// random `rd_valid_i` and `out_ready_i`, every beat checked.
pub fn run_random(bench: &mut AccBench, rng: &mut ChaCha8Rng, cycles: u64, t: &Traffic) -> Result<(), Box<Failure>> {
    let p = bench.p;
    for _ in 0..cycles {
        let write = rng.gen_bool(t.write).then(|| WriteBeat {
            addr: pick_row(rng, &p, t.hot),
            accumulate: rng.gen_bool(t.accumulate),
            data: random_row(rng, &p),
        });
        if rng.gen_bool(t.read) && bench.outstanding() < 4 {
            let read = ReadReq { addr: pick_row(rng, &p, t.hot), raw: rng.gen_bool(t.raw) };
            bench.queue_read(read);
        }
        let (r, o) = (rng.gen_bool(t.rd_valid), rng.gen_bool(t.out_ready));
        bench.cycle(write.as_ref(), r, o)?;
    }
    Ok(())
}
