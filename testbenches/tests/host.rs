//! The host interface `seedchip_host` (the AXI4-Lite slave built from the register map of
//! the iCE40 preset) on the IR interpreter and on Verilator, driven by
//! `testbenches::axil`: every register's reset value, read-write registers with byte
//! strobes, read-only inputs, one-cycle pulses, consistent 64-bit counter reads while
//! the counter runs, SLVERR cases, command pushes under random backpressure (exactly
//! once, in order; a full queue holds the write), one write and one read per cycle, no
//! combinational path from a ready to a valid, and the two simulators cycle by cycle.
//! With `controller.counter_bits = 32`: the same map, 32-bit counter inputs, each `_LO`
//! register the counter as it is and each `_HI` register 0.
//! Plus: `docs/registers.md` is the generator's output, and the C header compiles.

use ip_blocks::blocks::host;
use ip_blocks::regmap::{regmap, Access, Kind, RegMap};
use ip_blocks::Config;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rtl_gen::sim::{Interp, PortDir, PortInfo, Simulator};
use rtl_gen::{Bits, Design};
use std::collections::HashMap;
use testbenches::axil::{AxilDriver, AxilOptions, Resp};
use testbenches::lockstep::run_lockstep;

#[derive(Clone, Copy, Debug)]
enum Engine {
    Interp,
    Verilator,
}

fn ice40() -> (Config, RegMap) {
    with_counters(64)
}

/// The iCE40 preset with `counter_bits`-bit performance counters.
fn with_counters(counter_bits: u32) -> (Config, RegMap) {
    let mut cfg = Config::preset("ice40").expect("preset");
    cfg.controller.counter_bits = counter_bits;
    let map = regmap(&cfg.geometry(), cfg.array.dataflow);
    (cfg, map)
}

fn simulator_of(engine: Engine, counter_bits: u32) -> Box<dyn Simulator> {
    let (cfg, map) = with_counters(counter_bits);
    let mut d = Design::new();
    let top = host::build(&mut d, &cfg.name, &map).unwrap_or_else(|e| panic!("{e}"));
    match engine {
        Engine::Interp => Box::new(Interp::new(&d, top).expect("interpreter")),
        Engine::Verilator => Box::new(testbenches::verilate(&d, top).unwrap_or_else(|e| panic!("{e}")).instantiate()),
    }
}

/// The host with the bus driver, a command sink with random `cmd_ready_i`, and a record
/// of everything that came out of the register side.
struct Bench {
    engine: Engine,
    sim: Box<dyn Simulator>,
    bus: AxilDriver,
    map: RegMap,
    rng: ChaCha8Rng,
    /// Probability that `cmd_ready_i` is high in a cycle.
    cmd_ready: f64,
    /// Commands taken: (cycle, {w0, w1, w2, w3}).
    pushed: Vec<(u64, [u32; 4])>,
    /// `cmd_data_o` of a command offered and not taken in the previous cycle.
    offered: Option<Bits>,
    /// Non-zero `control_o` values: (cycle, value).
    pulses: Vec<(u64, u32)>,
    /// Counters advancing every cycle by a random step below `1 << 31`, with their
    /// value in each cycle.
    running: Vec<(String, Vec<(u64, u64)>)>,
    /// Flip each ready input every cycle and check that no valid output follows.
    probe_ready_paths: bool,
}

impl Bench {
    fn new(engine: Engine, opts: AxilOptions, cmd_ready: f64) -> Bench {
        Bench::with_counters(engine, 64, opts, cmd_ready)
    }

    fn with_counters(engine: Engine, counter_bits: u32, opts: AxilOptions, cmd_ready: f64) -> Bench {
        let mut sim = simulator_of(engine, counter_bits);
        let (_, map) = with_counters(counter_bits);
        // The controller's inputs at their values after reset.
        for r in &map.registers {
            if let Some(p) = map.port(r).filter(|p| p.dir == PortDir::Input) {
                sim.set(&p.name, i64::from(r.reset));
            }
        }
        sim.set("cmd_ready_i", 0);
        let bus = AxilDriver::new(&*sim, opts).unwrap_or_else(|e| panic!("{e}"));
        sim.reset(2);
        Bench {
            engine,
            sim,
            bus,
            map,
            rng: ChaCha8Rng::seed_from_u64(opts.seed ^ 0x5eed),
            cmd_ready,
            pushed: Vec::new(),
            offered: None,
            pulses: Vec::new(),
            running: Vec::new(),
            probe_ready_paths: false,
        }
    }

    fn offset(&self, name: &str) -> u32 {
        self.map.by_name(name).unwrap_or_else(|| panic!("no register {name}")).offset
    }

    fn cycle(&mut self) {
        let e = self.engine;
        let cycle = self.sim.cycle();
        let bits = self.map.counter_bits;
        let keep = u64::MAX >> (64 - bits);
        for (port, history) in &mut self.running {
            let last = history.last().map_or(0xFFFF_FF00, |(_, v)| *v);
            let v = last.wrapping_add(self.rng.gen_range(0..1u64 << 31)) & keep;
            let id = self.sim.port(port).expect("counter port");
            self.sim.poke(id, &Bits::from_u64(v, bits)).expect("a counter's width");
            history.push((cycle, v));
        }
        self.bus.drive(&mut *self.sim);
        let ready = self.rng.gen_bool(self.cmd_ready);
        self.sim.set("cmd_ready_i", ready.into());
        if self.probe_ready_paths {
            self.probe();
        }
        self.bus.sample(&mut *self.sim).unwrap_or_else(|err| panic!("{e:?}: {err}"));
        let valid = self.sim.get("cmd_valid_o") == 1;
        let data = self.sim.peek(self.sim.port("cmd_data_o").expect("cmd_data_o"));
        if let Some(was) = self.offered.take() {
            assert!(valid, "{e:?} cycle {cycle}: cmd_valid_o dropped before cmd_ready_i");
            assert_eq!(data, was, "{e:?} cycle {cycle}: cmd_data_o changed while waiting for cmd_ready_i");
        }
        if valid && ready {
            let w = data.words();
            let words = [w[0] as u32, (w[0] >> 32) as u32, w[1] as u32, (w[1] >> 32) as u32];
            self.pushed.push((cycle, words));
        } else if valid {
            self.offered = Some(data);
        }
        let pulse = self.sim.get("control_o") as u32;
        if pulse != 0 {
            self.pulses.push((cycle, pulse));
        }
        self.sim.step();
    }

    /// Flip every ready input in turn: no valid output may change.
    fn probe(&mut self) {
        let valids = ["s_axil_bvalid_o", "s_axil_rvalid_o", "cmd_valid_o"];
        for ready in ["s_axil_bready_i", "s_axil_rready_i", "cmd_ready_i"] {
            let id = self.sim.port(ready).expect("ready port");
            let was = self.sim.peek(id);
            let before: Vec<u64> = valids.iter().map(|v| self.sim.get(v)).collect();
            self.sim.poke(id, &Bits::from_u64(1 - was.to_u64(), 1)).expect("1 bit");
            let after: Vec<u64> = valids.iter().map(|v| self.sim.get(v)).collect();
            self.sim.poke(id, &was).expect("1 bit");
            assert_eq!(before, after, "{:?} cycle {}: {valids:?} follow {ready}", self.engine, self.sim.cycle());
        }
    }

    /// Cycle until the bus is idle.
    fn settle(&mut self, budget: u64) {
        let start = self.sim.cycle();
        while !self.bus.idle() {
            assert!(self.sim.cycle() - start < budget, "{:?}: stuck: {}", self.engine, self.bus.pending());
            self.cycle();
        }
    }

    fn write(&mut self, name: &str, data: u32, strb: u8) -> Resp {
        let t = self.bus.write(self.offset(name), data, strb);
        self.settle(200);
        self.bus.write_resp(t).expect("settled")
    }

    fn read(&mut self, name: &str) -> (u32, Resp) {
        let t = self.bus.read(self.offset(name));
        self.settle(200);
        self.bus.read_data(t).expect("settled")
    }
}

/// Byte mask of a 4-bit strobe.
fn strobe_mask(strb: u8) -> u32 {
    (0..4).filter(|i| strb >> i & 1 == 1).map(|i| 0xFFu32 << (8 * i)).fold(0, |a, b| a | b)
}

macro_rules! on_both {
    ($($f:ident => $interp:ident, $verilator:ident;)*) => {$(
        #[test]
        fn $interp() {
            $f(Engine::Interp);
        }
        #[test]
        fn $verilator() {
            $f(Engine::Verilator);
        }
    )*};
}

on_both! {
    reset_values => every_register_reads_its_reset_value_on_interpreter, every_register_reads_its_reset_value_on_verilator;
    rw_strobes => rw_registers_read_back_with_byte_strobes_on_interpreter, rw_registers_read_back_with_byte_strobes_on_verilator;
    ro_inputs => ro_inputs_and_counters_are_visible_on_interpreter, ro_inputs_and_counters_are_visible_on_verilator;
    pulses => control_bits_pulse_for_one_cycle_on_interpreter, control_bits_pulse_for_one_cycle_on_verilator;
    counter_snapshot => counter_lo_hi_reads_are_consistent_while_counting_on_interpreter, counter_lo_hi_reads_are_consistent_while_counting_on_verilator;
    slverr => bad_accesses_answer_slverr_and_change_nothing_on_interpreter, bad_accesses_answer_slverr_and_change_nothing_on_verilator;
    commands => commands_arrive_once_in_order_under_backpressure_on_interpreter, commands_arrive_once_in_order_under_backpressure_on_verilator;
    full_queue => full_queue_holds_the_cmd3_write_on_interpreter, full_queue_holds_the_cmd3_write_on_verilator;
    throughput => one_write_and_one_read_per_cycle_on_interpreter, one_write_and_one_read_per_cycle_on_verilator;
    ready_paths => no_combinational_path_from_ready_to_valid_on_interpreter, no_combinational_path_from_ready_to_valid_on_verilator;
    counters32 => counters_of_32_bits_read_as_lo_with_hi_zero_across_the_wrap_on_interpreter, counters_of_32_bits_read_as_lo_with_hi_zero_across_the_wrap_on_verilator;
    ro_inputs32 => ro_inputs_and_32_bit_counters_are_visible_on_interpreter, ro_inputs_and_32_bit_counters_are_visible_on_verilator;
}

fn ro_inputs32(e: Engine) {
    ro_inputs_with(e, 32);
}

/// 32-bit counters: a `_LO` read returns the counter as it was in the cycle the read was
/// accepted, a `_HI` read 0 (OKAY), while the counters run across 2^32 many times; reads
/// of the other registers in between change nothing.
fn counters32(e: Engine) {
    let mut b = Bench::with_counters(e, 32, AxilOptions::random(45, 2, 0.6), 1.0);
    let counters: Vec<_> =
        b.map.counters().into_iter().map(|(c, lo, hi)| (c.to_lowercase(), lo.offset, hi.offset)).collect();
    b.running = counters.iter().map(|(c, _, _)| (format!("{c}_i"), Vec::new())).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(46);
    let value_at = |b: &Bench, i: usize, cycle: u64| {
        b.running[i].1.iter().find(|(c, _)| *c == cycle).map(|(_, v)| *v).expect("recorded")
    };
    for round in 0..60 {
        let i = rng.gen_range(0..counters.len());
        let (lo_first, other) = (rng.gen_bool(0.5), rng.gen_bool(0.5));
        let order = if lo_first { [counters[i].1, counters[i].2] } else { [counters[i].2, counters[i].1] };
        let first = b.bus.read(order[0]);
        if other {
            b.bus.read(b.offset("STATUS"));
        }
        let second = b.bus.read(order[1]);
        b.settle(100);
        let (lo, hi) = if lo_first { (first, second) } else { (second, first) };
        let want = value_at(&b, i, b.bus.read_accepted_at(lo).expect("taken"));
        assert!(want >> 32 == 0, "a 32-bit input");
        assert_eq!(b.bus.read_data(lo), Some((want as u32, Resp::Okay)), "{e:?} round {round}: {} LO", counters[i].0);
        assert_eq!(b.bus.read_data(hi), Some((0, Resp::Okay)), "{e:?} round {round}: {} HI", counters[i].0);
        for _ in 0..rng.gen_range(0..3) {
            b.cycle();
        }
    }
    let values = &b.running[0].1;
    let wraps = values.windows(2).filter(|w| w[1].1 < w[0].1).count();
    assert!(wraps > 20, "the counters wrapped at 2^32 many times: {wraps}");
}

fn reset_values(e: Engine) {
    let (cfg, _) = ice40();
    let mut b = Bench::new(e, AxilOptions::default(), 1.0);
    for (port, want) in [("window_base_o", 0), ("window_limit_o", 0xFFFF_FFFF), ("control_o", 0), ("cmd_valid_o", 0)] {
        assert_eq!(b.sim.get(port), want, "{e:?}: {port} after reset");
    }
    for r in b.map.registers.clone() {
        let want = if r.access.readable() { (r.reset, Resp::Okay) } else { (0, Resp::SlvErr) };
        assert_eq!(b.read(r.name), want, "{e:?}: {} after reset", r.name);
    }
    // The constants, from the configuration rather than from the map.
    let a = &cfg.array;
    let consts = [
        ("ID", u32::from_be_bytes(*b"SEED")),
        ("VERSION", 1),
        ("HW_ARRAY", a.rows | a.cols << 8 | a.input_bits << 16 | a.acc_bits << 24),
        ("HW_SP_ROWS", cfg.scratchpad.banks * cfg.scratchpad.rows_per_bank),
        ("HW_ACC_ROWS", cfg.accumulator.rows),
        ("HW_DMA", cfg.dma.data_bits | u32::from(a.dataflow.has_ws()) << 16 | u32::from(a.dataflow.has_os()) << 17),
        ("STATUS", 1),
    ];
    for (name, want) in consts {
        assert_eq!(b.read(name), (want, Resp::Okay), "{e:?}: {name}");
    }
    assert!(b.pushed.is_empty() && b.pulses.is_empty());
}

fn rw_strobes(e: Engine) {
    let mut b = Bench::new(e, AxilOptions::random(11, 3, 0.6), 1.0);
    let rw: Vec<_> = b.map.registers.iter().filter(|r| r.access == Access::Rw).cloned().collect();
    assert_eq!(rw.iter().map(|r| r.name).collect::<Vec<_>>(), ["WINDOW_BASE", "WINDOW_LIMIT"]);
    let mut model: HashMap<&str, u32> = rw.iter().map(|r| (r.name, r.reset)).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    for i in 0..300 {
        let r = &rw[rng.gen_range(0..rw.len())];
        let (data, strb) = (rng.gen::<u32>(), if i % 7 == 0 { 0xF } else { rng.gen_range(0..16u8) });
        assert_eq!(b.write(r.name, data, strb), Resp::Okay, "{e:?}");
        let m = model.get_mut(r.name).expect("modelled");
        *m = (*m & !strobe_mask(strb)) | (data & strobe_mask(strb));
        for q in &rw {
            let port = b.map.port(q).expect("an output").name;
            assert_eq!(b.sim.get(&port) as u32, model[q.name], "{e:?}: {port} after write {i}");
        }
        if i % 3 == 0 {
            assert_eq!(b.read(r.name), (model[r.name], Resp::Okay), "{e:?}: {} after write {i}", r.name);
        }
    }
}

fn ro_inputs(e: Engine) {
    ro_inputs_with(e, 64);
}

fn ro_inputs_with(e: Engine, counter_bits: u32) {
    let mut b = Bench::with_counters(e, counter_bits, AxilOptions::random(21, 2, 0.7), 1.0);
    let mut rng = ChaCha8Rng::seed_from_u64(22);
    let inputs: Vec<_> =
        b.map.registers.iter().filter(|r| r.kind == Kind::Plain && r.access == Access::Ro).cloned().collect();
    assert_eq!(inputs.len(), 5, "STATUS, ERROR, ERROR_INDEX, CMD_COUNT, QUEUE_LEVELS");
    let counters: Vec<_> = b.map.counters().into_iter().map(|(c, lo, hi)| (c, lo.name, hi.name)).collect();
    for round in 0..20 {
        let mut want = Vec::new();
        for r in &inputs {
            // Bits outside the fields are not implemented: they read 0.
            let v: u32 = rng.gen();
            b.sim.set(&b.map.port(r).expect("an input").name, i64::from(v));
            want.push((r.name, v & r.implemented()));
        }
        for (c, lo, hi) in &counters {
            let v: u64 = rng.gen::<u64>() >> (64 - counter_bits);
            let id = b.sim.port(&format!("{}_i", c.to_lowercase())).expect("port");
            b.sim.poke(id, &Bits::from_u64(v, counter_bits)).expect("a counter's width");
            want.push((lo, v as u32));
            want.push((hi, (v >> 32) as u32));
        }
        let offsets: Vec<u32> = want.iter().map(|(n, _)| b.offset(n)).collect();
        let tickets: Vec<_> = offsets.iter().map(|a| b.bus.read(*a)).collect();
        b.settle(500);
        for ((name, v), t) in want.iter().zip(tickets) {
            assert_eq!(b.bus.read_data(t), Some((*v, Resp::Okay)), "{e:?} round {round}: {name}");
        }
    }
}

fn pulses(e: Engine) {
    let mut b = Bench::new(e, AxilOptions::random(31, 2, 0.5), 1.0);
    let mut rng = ChaCha8Rng::seed_from_u64(32);
    let at = b.offset("CONTROL");
    let implemented = b.map.by_name("CONTROL").expect("CONTROL").implemented();
    assert_eq!(implemented, 0b11, "reset and clear_counters");
    let mut expected = Vec::new();
    for burst in 0..40 {
        // Back-to-back writes in bursts: each 1-bit pulses for exactly one cycle.
        let writes: Vec<_> = (0..rng.gen_range(1..4))
            .map(|_| {
                let (data, strb) = (rng.gen_range(0..4u32) | (rng.gen::<u32>() & 0xFFFF_0000), rng.gen_range(0..16u8));
                (b.bus.write(at, data, strb), data & strobe_mask(strb) & implemented)
            })
            .collect();
        b.settle(100);
        for (t, v) in writes {
            assert_eq!(b.bus.write_resp(t), Some(Resp::Okay), "{e:?} burst {burst}");
            if v != 0 {
                expected.push((b.bus.write_accepted_at(t).expect("taken") + 1, v));
            }
        }
        b.cycle();
    }
    assert!(expected.len() > 20, "too few pulses: {}", expected.len());
    assert_eq!(b.pulses, expected, "{e:?}: control_o");
    assert_eq!(b.read("CONTROL"), (0, Resp::SlvErr), "{e:?}: CONTROL is write-only");
}

fn counter_snapshot(e: Engine) {
    let mut b = Bench::new(e, AxilOptions::random(41, 2, 0.6), 1.0);
    let counters: Vec<_> =
        b.map.counters().into_iter().map(|(c, lo, hi)| (c.to_lowercase(), lo.offset, hi.offset)).collect();
    b.running = counters.iter().map(|(c, _, _)| (format!("{c}_i"), Vec::new())).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let value_at = |b: &Bench, i: usize, cycle: u64| {
        b.running[i].1.iter().find(|(c, _)| *c == cycle).map(|(_, v)| *v).expect("recorded")
    };
    for round in 0..60 {
        // Two counters: LO(A), LO(B), HI(A), HI(B), with other reads mixed in.
        let (i, j) = (rng.gen_range(0..counters.len()), rng.gen_range(0..counters.len()));
        let lo_a = b.bus.read(counters[i].1);
        let lo_b = b.bus.read(counters[j].1);
        b.bus.read(b.offset("STATUS"));
        let hi_a = b.bus.read(counters[i].2);
        let hi_b = b.bus.read(counters[j].2);
        b.settle(100);
        let pairs =
            if i == j { vec![(i, lo_b, hi_a), (j, lo_b, hi_b)] } else { vec![(i, lo_a, hi_a), (j, lo_b, hi_b)] };
        for (k, lo, hi) in pairs {
            let (l, r1) = b.bus.read_data(lo).expect("done");
            let (h, r2) = b.bus.read_data(hi).expect("done");
            assert_eq!((r1, r2), (Resp::Okay, Resp::Okay));
            let got = u64::from(h) << 32 | u64::from(l);
            let want = value_at(&b, k, b.bus.read_accepted_at(lo).expect("taken"));
            assert_eq!(
                got, want,
                "{e:?} round {round}: {} read as {got:#x}, was {want:#x} at its LO read",
                counters[k].0
            );
        }
        // The high word stays the snapshot while the counter runs on.
        for _ in 0..rng.gen_range(0..5) {
            b.cycle();
        }
        let hi = b.bus.read(counters[j].2);
        b.settle(100);
        let snap = value_at(&b, j, b.bus.read_accepted_at(lo_b).expect("taken")) >> 32;
        assert_eq!(b.bus.read_data(hi), Some((snap as u32, Resp::Okay)), "{e:?}: HI re-read");
    }
    let last = b.running[0].1.last().expect("ran").1;
    assert!(last > 0x20_0000_0000, "the counters crossed many 32-bit carries: {last:#x}");
}

fn slverr(e: Engine) {
    let mut b = Bench::new(e, AxilOptions::random(51, 1, 0.8), 1.0);
    let mut rng = ChaCha8Rng::seed_from_u64(52);
    assert_eq!(b.write("WINDOW_BASE", 0x1234_5678, 0xF), Resp::Okay);
    assert_eq!(b.write("WINDOW_LIMIT", 0x9ABC_DEF0, 0xF), Resp::Okay);
    let macs = b.sim.port("macs_i").expect("port");
    b.sim.poke(macs, &Bits::from_u64(0x1111_2222_3333_4444, 64)).expect("64");
    assert_eq!(b.read("MACS_LO"), (0x3333_4444, Resp::Okay));
    b.sim.poke(macs, &Bits::from_u64(0x5555_6666_7777_8888, 64)).expect("64");
    let mut writes = Vec::new();
    let mut reads = Vec::new();
    for word in 0..1024u32 {
        let addr = 4 * word + rng.gen_range(0..4);
        match b.map.at(addr) {
            None => {
                writes.push((addr, b.bus.write(addr, rng.gen(), rng.gen_range(0..16))));
                reads.push((addr, b.bus.read(addr), (0, Resp::SlvErr)));
            }
            Some(r) if r.access == Access::Ro => writes.push((addr, b.bus.write(addr, rng.gen(), 0xF))),
            Some(r) if r.access == Access::Wo => reads.push((addr, b.bus.read(addr), (0, Resp::SlvErr))),
            Some(_) => {}
        }
    }
    b.settle(5000);
    for (addr, t) in writes {
        assert_eq!(b.bus.write_resp(t), Some(Resp::SlvErr), "{e:?}: write to {addr:#05x}");
    }
    for (addr, t, want) in reads {
        assert_eq!(b.bus.read_data(t), Some(want), "{e:?}: read of {addr:#05x}");
    }
    assert!(b.pushed.is_empty() && b.pulses.is_empty(), "{e:?}: SLVERR writes had effects");
    assert_eq!(b.read("WINDOW_BASE"), (0x1234_5678, Resp::Okay));
    assert_eq!(b.read("WINDOW_LIMIT"), (0x9ABC_DEF0, Resp::Okay));
    assert_eq!(b.read("MACS_HI"), (0x1111_2222, Resp::Okay), "{e:?}: the snapshot survives writes to MACS_HI");
    assert_eq!(b.read("ID"), (u32::from_be_bytes(*b"SEED"), Resp::Okay));
    // The low two address bits are ignored: a byte address selects its word.
    let t = b.bus.write(b.offset("WINDOW_BASE") + 3, 0xAB00_0000, 0b1000);
    b.settle(50);
    assert_eq!(b.bus.write_resp(t), Some(Resp::Okay));
    assert_eq!(b.read("WINDOW_BASE"), (0xAB34_5678, Resp::Okay));
}

/// Queue command `words` (CMD0 to CMD3 in order) and return them.
fn queue_command(b: &mut Bench, words: [u32; 4]) -> [u32; 4] {
    for (i, w) in words.iter().enumerate() {
        b.bus.write(b.offset(&format!("CMD{i}")), *w, 0xF);
    }
    words
}

fn commands(e: Engine) {
    for (seed, delay, ready, cmd_ready) in [(61, 0, 1.0, 0.3), (62, 3, 0.6, 0.5), (63, 1, 0.9, 0.8)] {
        let mut b = Bench::new(e, AxilOptions::random(seed, delay, ready), cmd_ready);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut sent = Vec::new();
        for _ in 0..150 {
            sent.push(queue_command(&mut b, rng.gen()));
            if rng.gen_bool(0.3) {
                b.bus.read(b.offset("STATUS"));
            }
            for _ in 0..rng.gen_range(0..6) {
                b.cycle();
            }
        }
        b.settle(20_000);
        let got: Vec<[u32; 4]> = b.pushed.iter().map(|(_, w)| *w).collect();
        assert_eq!(got.len(), sent.len(), "{e:?} seed {seed}: commands pushed");
        for (i, (g, s)) in got.iter().zip(&sent).enumerate() {
            assert_eq!(g, s, "{e:?} seed {seed}: command {i}");
        }
        let resps = b.bus.write_responses();
        assert!(resps.len() == 600 && resps.iter().all(|r| *r == Resp::Okay), "{e:?}: {resps:?}");
    }
}

fn full_queue(e: Engine) {
    let mut b = Bench::new(e, AxilOptions::default(), 0.0);
    let words = [0x0000_0010, 0x100, 0x8000_0004, 0x0004_0002];
    queue_command(&mut b, words);
    for _ in 0..30 {
        b.cycle();
    }
    let resps = b.bus.write_responses();
    assert_eq!(resps, [Resp::Okay; 3], "{e:?}: CMD0 to CMD2 complete, CMD3 waits");
    assert_eq!(b.sim.get("cmd_valid_o"), 1, "{e:?}: the command is offered");
    assert_eq!((b.sim.get("s_axil_awready_o"), b.sim.get("s_axil_wready_o")), (0, 0), "{e:?}: the write is held");
    // Reads go on while the write waits.
    let r = b.bus.read(b.offset("STATUS"));
    for _ in 0..3 {
        b.cycle();
    }
    assert_eq!(b.bus.read_data(r), Some((1, Resp::Okay)), "{e:?}: a read while the write is held");
    assert_eq!(b.bus.write_responses().len(), 3);
    assert!(b.pushed.is_empty());
    b.cmd_ready = 1.0;
    b.settle(10);
    assert_eq!(b.pushed.len(), 1, "{e:?}: pushed exactly once");
    assert_eq!(b.pushed[0].1, words);
    let t3 = testbenches::axil::WriteTicket(3);
    assert_eq!(b.bus.write_accepted_at(t3), Some(b.pushed[0].0), "{e:?}: accepted in the push cycle");
    assert_eq!(b.bus.write_resp(t3), Some(Resp::Okay));
    for _ in 0..5 {
        b.cycle();
    }
    assert_eq!(b.pushed.len(), 1, "{e:?}: no second push");
}

fn throughput(e: Engine) {
    let mut b = Bench::new(e, AxilOptions::default(), 1.0);
    let mut rng = ChaCha8Rng::seed_from_u64(71);
    let n = 64;
    // Writes: commands and window registers, back to back.
    let mut tickets = Vec::new();
    let start = b.sim.cycle();
    for i in 0..n / 4 {
        let words: [u32; 4] = rng.gen();
        for (k, w) in words.iter().enumerate() {
            let name = if i % 2 == 0 { format!("CMD{k}") } else { ["WINDOW_BASE", "WINDOW_LIMIT"][k % 2].to_string() };
            tickets.push(b.bus.write(b.offset(&name), *w, 0xF));
        }
    }
    b.settle(500);
    let cycles = b.sim.cycle() - start;
    let accepted: Vec<u64> = tickets.iter().map(|t| b.bus.write_accepted_at(*t).expect("taken")).collect();
    assert!(accepted.windows(2).all(|w| w[1] == w[0] + 1), "{e:?}: writes accepted at {accepted:?}");
    assert_eq!(accepted[0], start, "{e:?}: the first write is accepted in its first cycle");
    // n acceptances, then the last response one cycle later.
    assert_eq!(cycles, n as u64 + 1, "{e:?}: {n} writes took {cycles} cycles");
    assert_eq!(b.pushed.len(), n / 8);
    println!("{e:?}: {n} writes in {cycles} cycles ({:.2} writes per cycle)", n as f64 / cycles as f64);
    // Reads, and reads and writes together.
    let start = b.sim.cycle();
    let reads: Vec<_> = (0..n).map(|i| b.bus.read(b.map.registers[i % b.map.registers.len()].offset)).collect();
    let base = b.offset("WINDOW_BASE");
    let writes: Vec<_> = (0..n).map(|i| b.bus.write(base, i as u32, 0xF)).collect();
    b.settle(500);
    let cycles = b.sim.cycle() - start;
    let r_at: Vec<u64> = reads.iter().map(|t| b.bus.read_accepted_at(*t).expect("taken")).collect();
    let w_at: Vec<u64> = writes.iter().map(|t| b.bus.write_accepted_at(*t).expect("taken")).collect();
    assert!(r_at.windows(2).all(|w| w[1] == w[0] + 1), "{e:?}: reads accepted at {r_at:?}");
    assert!(w_at.windows(2).all(|w| w[1] == w[0] + 1), "{e:?}: writes accepted at {w_at:?}");
    assert_eq!((r_at[0], w_at[0]), (start, start));
    assert_eq!(cycles, n as u64 + 1, "{e:?}: {n} reads and {n} writes took {cycles} cycles");
    println!("{e:?}: {n} reads and {n} writes in {cycles} cycles");
}

fn ready_paths(e: Engine) {
    let mut b = Bench::new(e, AxilOptions::random(81, 2, 0.5), 0.5);
    b.probe_ready_paths = true;
    let mut rng = ChaCha8Rng::seed_from_u64(82);
    for _ in 0..60 {
        queue_command(&mut b, rng.gen());
        b.bus.read(b.offset("CYCLES_LO"));
        // Anywhere but the command words.
        let addr = rng.gen_range(0..0x1000);
        if !b.map.at(addr).is_some_and(|r| matches!(r.kind, Kind::CommandWord(_))) {
            b.bus.write(addr, rng.gen(), 0xF);
        }
        b.bus.read(rng.gen_range(0..0x1000));
    }
    b.settle(5000);
    assert_eq!(b.pushed.len(), 60);
}

#[test]
fn interpreter_and_verilator_agree_cycle_by_cycle_on_random_inputs() {
    for counter_bits in [64, 32] {
        let mut a = simulator_of(Engine::Interp, counter_bits);
        let mut v = simulator_of(Engine::Verilator, counter_bits);
        run_lockstep(&mut *a, &mut *v, ("interpreter", "verilator"), 4000, 91)
            .unwrap_or_else(|e| panic!("{counter_bits}-bit counters: {e}"));
    }
}

#[test]
fn counter_bits_32_keeps_the_map_and_drops_the_snapshots() {
    let (_, wide) = ice40();
    let (cfg, narrow) = with_counters(32);
    assert_eq!(
        narrow.registers.iter().map(|r| (r.name, r.offset, r.access, r.kind)).collect::<Vec<_>>(),
        wide.registers.iter().map(|r| (r.name, r.offset, r.access, r.kind)).collect::<Vec<_>>(),
        "one register map"
    );
    assert_eq!(
        narrow.c_header("seedchip").lines().filter(|l| l.starts_with("#define")).count(),
        wide.c_header("seedchip").lines().filter(|l| l.starts_with("#define")).count()
    );
    let mut d = Design::new();
    let top = host::build(&mut d, &cfg.name, &narrow).unwrap_or_else(|e| panic!("{e}"));
    let m = d.module(top);
    let ports = PortInfo::of_module(m);
    for (c, _, _) in narrow.counters() {
        let name = format!("{}_i", c.to_lowercase());
        assert_eq!(ports.iter().find(|p| p.name == name).map(|p| p.width), Some(32), "{name}");
        assert!(!m.registers.iter().any(|r| r.name == format!("{}_hi", c.to_lowercase())), "no snapshot of {c}");
    }
    let md = narrow.markdown();
    assert!(md.contains("Each counter is 32 bits here") && !md.contains("snapshot"), "{md}");
}

#[test]
fn host_ports_are_the_bus_the_command_channel_and_the_map() {
    let (cfg, map) = ice40();
    let mut d = Design::new();
    let top = host::build(&mut d, &cfg.name, &map).unwrap_or_else(|e| panic!("{e}"));
    let ports = PortInfo::of_module(d.module(top));
    let port = |name: &str, width, dir| PortInfo { name: name.into(), width, dir };
    let (i, o) = (PortDir::Input, PortDir::Output);
    let mut want = vec![port("clk_i", 1, i), port("rst_i", 1, i)];
    for (n, w, dir) in [
        ("awvalid_i", 1, i),
        ("awready_o", 1, o),
        ("awaddr_i", 12, i),
        ("awprot_i", 3, i),
        ("wvalid_i", 1, i),
        ("wready_o", 1, o),
        ("wdata_i", 32, i),
        ("wstrb_i", 4, i),
        ("bvalid_o", 1, o),
        ("bready_i", 1, i),
        ("bresp_o", 2, o),
        ("arvalid_i", 1, i),
        ("arready_o", 1, o),
        ("araddr_i", 12, i),
        ("arprot_i", 3, i),
        ("rvalid_o", 1, o),
        ("rready_i", 1, i),
        ("rdata_o", 32, o),
        ("rresp_o", 2, o),
    ] {
        want.push(port(&format!("s_axil_{n}"), w, dir));
    }
    want.extend([port("cmd_valid_o", 1, o), port("cmd_ready_i", 1, i), port("cmd_data_o", 128, o)]);
    want.extend(map.registers.iter().filter_map(|r| map.port(r)));
    assert_eq!(ports, want);
    let names: Vec<&str> = ports[24..].iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "control_o",
            "status_i",
            "error_i",
            "error_index_i",
            "cmd_count_i",
            "queue_levels_i",
            "window_base_o",
            "window_limit_o",
            "cycles_i",
            "engine_busy_i",
            "macs_i",
            "dma_bytes_i",
            "dma_stall_i",
            "dep_stall_i"
        ]
    );
}

#[test]
fn a_broken_map_is_refused_with_its_problems() {
    let (_, mut map) = ice40();
    map.registers.retain(|r| r.name != "CMD1");
    map.registers[0].offset = 0x004;
    let e = host::build(&mut Design::new(), "sc", &map).unwrap_err().to_string();
    for want in [
        "module `sc_host`: parameter `map`: VERSION offset 0x004 is out of range: an offset of its own (ID is there)",
        "command word 1 described 0 times",
    ] {
        assert!(e.contains(want), "missing {want:?} in:\n{e}");
    }
}

/// Set to rewrite `docs/registers.md` from the generator.
const BLESS: &str = "SEEDCHIP_BLESS";

#[test]
fn registers_md_is_the_generated_map_of_the_ice40_preset() {
    let (_, map) = ice40();
    let want = map.markdown();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/registers.md");
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    if have == want {
        return;
    }
    if std::env::var_os(BLESS).is_some_and(|v| v == "1") {
        // Written beside it and renamed over it, so a reader never sees half a file.
        let dir = path.parent().expect("docs/");
        let mut tmp = tempfile::NamedTempFile::new_in(dir).expect("a temporary file in docs/");
        std::io::Write::write_all(&mut tmp, want.as_bytes()).expect("write");
        // A temporary file is private (0600); keep the permissions of the file it replaces.
        if let Ok(meta) = std::fs::metadata(&path) {
            std::fs::set_permissions(tmp.path(), meta.permissions()).expect("permissions");
        }
        tmp.persist(&path).unwrap_or_else(|e| panic!("cannot replace {}: {e}", path.display()));
        return;
    }
    let line = have
        .lines()
        .zip(want.lines())
        .position(|(a, b)| a != b)
        .unwrap_or(have.lines().count().min(want.lines().count()));
    panic!(
        "docs/registers.md is not what ip_blocks::regmap generates for the ice40 preset (first difference at line {}).\n\
         Regenerate it with:\n    {BLESS}=1 cargo test --release -p testbenches --test host registers_md\n",
        line + 1
    );
}

#[test]
fn c_header_compiles_as_c99_with_every_warning() {
    let (cfg, map) = ice40();
    let header = map.c_header(&cfg.name);
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::write(dir.path().join("seedchip_regs.h"), &header).expect("write");
    // Included twice (the guard), every macro used, and each value checked by the
    // preprocessor against the map.
    let mut c = String::from("#include \"seedchip_regs.h\"\n#include \"seedchip_regs.h\"\n");
    let mut names = Vec::new();
    let mut check = |name: String, value: u64| {
        c.push_str(&format!("#if {name} != {value}\n#error \"{name} is not {value}\"\n#endif\n"));
        names.push(name);
    };
    for r in &map.registers {
        check(format!("SEEDCHIP_{}_OFFSET", r.name), r.offset.into());
        if r.access.readable() {
            check(format!("SEEDCHIP_{}_RESET", r.name), r.reset.into());
        }
        for f in r.fields.iter().filter(|f| f.width < 32) {
            let n = format!("SEEDCHIP_{}_{}", r.name, f.name.to_uppercase());
            check(format!("{n}_SHIFT"), f.lsb.into());
            check(format!("{n}_MASK"), f.mask().into());
        }
    }
    for code in ip_blocks::isa::ErrorCode::ALL {
        check(format!("SEEDCHIP_ERR_{}", code.name().to_uppercase()), code.code().into());
    }
    c.push_str(&format!("const unsigned long seedchip_all[] = {{\n  {}\n}};\n", names.join(",\n  ")));
    let src = dir.path().join("check.c");
    std::fs::write(&src, c).expect("write");
    let args = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-fsyntax-only"];
    let out = std::process::Command::new("cc").args(args).arg(&src).current_dir(dir.path()).output().unwrap_or_else(|e| {
        panic!("cannot run `cc` ({e}): a C compiler is needed to check the header; install build-essential (scripts/setup-tools.sh)")
    });
    assert!(
        out.status.success(),
        "cc {} rejects the header:\n{}\n--- header ---\n{header}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(names.len(), header.matches("#define SEEDCHIP_").count() - 1, "every macro checked (the guard aside)");
}

/// With `hold_command_words`, a write to `CMD0`, `CMD1` or `CMD2` waits like a `CMD3`
/// push while `cmd_ready_i` is low (AWREADY and WREADY low, the stored word unchanged),
/// and completes in the cycle `cmd_ready_i` rises; without it, the write completes at
/// once. Other registers never wait.
#[test]
fn command_word_writes_wait_for_the_queue_when_held() {
    let (cfg, map) = ice40();
    let offset = |name: &str| map.registers.iter().find(|r| r.name == name).expect("register").offset;
    for hold in [false, true] {
        let mut d = Design::new();
        let opts = host::HostOptions { hold_command_words: hold, ..Default::default() };
        let top = host::build_with(&mut d, &cfg.name, &map, opts).unwrap_or_else(|e| panic!("{e}"));
        let mut sim = Interp::new(&d, top).expect("interpreter");
        sim.reset(2);
        for (name, waits) in [("CMD0", hold), ("CMD1", hold), ("CMD2", hold), ("WINDOW_BASE", false)] {
            let value = 0x1234_5600 | i64::from(offset(name));
            sim.set("cmd_ready_i", 0);
            sim.set("s_axil_awvalid_i", 1);
            sim.set("s_axil_awaddr_i", i64::from(offset(name)));
            sim.set("s_axil_wvalid_i", 1);
            sim.set("s_axil_wdata_i", value);
            sim.set("s_axil_wstrb_i", 0xf);
            sim.set("s_axil_bready_i", 1);
            for _ in 0..3 {
                let ready = sim.get("s_axil_awready_o") == 1 && sim.get("s_axil_wready_o") == 1;
                assert_eq!(ready, !waits, "{name}, hold {hold}: accepted while cmd_ready_i is low");
                if ready {
                    break;
                }
                sim.step();
            }
            sim.set("cmd_ready_i", 1);
            assert_eq!(sim.get("s_axil_awready_o"), 1, "{name}, hold {hold}: not accepted once cmd_ready_i is high");
            sim.step();
            sim.set("s_axil_awvalid_i", 0);
            sim.set("s_axil_wvalid_i", 0);
            sim.step();
            let stored = if name == "WINDOW_BASE" {
                sim.get("window_base_o")
            } else {
                let word = u32::from(name.as_bytes()[3] - b'0');
                let port = sim.port("cmd_data_o").expect("the command port");
                let bits = sim.peek(port);
                (bits.words()[(word / 2) as usize] >> (32 * (word % 2))) & 0xffff_ffff
            };
            assert_eq!(stored, value as u64, "{name}, hold {hold}: the word written");
        }
    }
}

/// With `turn_window`, `CMD1`, `WINDOW_BASE` and `WINDOW_LIMIT` turn right by one bit in
/// every cycle `window_turn_i` is high (bit `j` at bit 0 after `j` turns) and are back
/// after 32; meanwhile reads and writes of the window registers wait (`CMD1` waits for
/// `cmd_ready_i`, low while the controller turns), and every other register answers
/// as usual.
#[test]
fn turning_registers_come_back_after_32_turns_and_their_reads_and_writes_wait() {
    let (cfg, map) = ice40();
    let offset = |name: &str| i64::from(map.registers.iter().find(|r| r.name == name).expect("register").offset);
    let mut d = Design::new();
    let opts = host::HostOptions { hold_command_words: true, turn_window: true };
    let top = host::build_with(&mut d, &cfg.name, &map, opts).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Interp::new(&d, top).expect("interpreter");
    sim.reset(2);
    sim.set("cmd_ready_i", 1);
    sim.set("s_axil_bready_i", 1);
    sim.set("s_axil_rready_i", 1);
    let values = [("CMD1", 0x8765_4321_i64), ("WINDOW_BASE", 0x0000_1235), ("WINDOW_LIMIT", 0xf00d_cafe)];
    let write = |sim: &mut Interp, name: &str, value: i64| {
        sim.set("s_axil_awvalid_i", 1);
        sim.set("s_axil_awaddr_i", offset(name));
        sim.set("s_axil_wvalid_i", 1);
        sim.set("s_axil_wdata_i", value);
        sim.set("s_axil_wstrb_i", 0xf);
    };
    let idle = |sim: &mut Interp| {
        sim.set("s_axil_awvalid_i", 0);
        sim.set("s_axil_wvalid_i", 0);
        sim.set("s_axil_arvalid_i", 0);
    };
    for (name, value) in values {
        write(&mut sim, name, value);
        sim.step();
    }
    idle(&mut sim);
    sim.step();
    let now = |sim: &mut Interp| -> [u64; 3] {
        let port = sim.port("cmd_data_o").expect("the command port");
        let w1 = sim.peek(port).words()[0] >> 32;
        [w1, sim.get("window_base_o"), sim.get("window_limit_o")]
    };
    sim.set("cmd_ready_i", 0);
    sim.set("window_turn_i", 1);
    for j in 0..32 {
        let got = now(&mut sim);
        for ((name, value), got) in values.iter().zip(got) {
            assert_eq!(got, u64::from((*value as u32).rotate_right(j)), "{name} after {j} turns");
        }
        // Reads and writes of the window registers wait; STATUS answers.
        let (reg, is_write) = [("WINDOW_BASE", false), ("WINDOW_LIMIT", true), ("CMD1", true)][j as usize % 3];
        if is_write {
            write(&mut sim, reg, 0);
            assert_eq!(sim.get("s_axil_awready_o"), 0, "a write of {reg} while turning");
        } else {
            sim.set("s_axil_arvalid_i", 1);
            sim.set("s_axil_araddr_i", offset(reg));
            assert_eq!(sim.get("s_axil_arready_o"), 0, "a read of {reg} while turning");
            sim.set("s_axil_araddr_i", offset("STATUS"));
            assert_eq!(sim.get("s_axil_arready_o"), 1, "a read of STATUS while turning");
            sim.set("s_axil_arvalid_i", 0);
        }
        idle(&mut sim);
        sim.step();
    }
    sim.set("window_turn_i", 0);
    let got = now(&mut sim);
    for ((name, value), got) in values.iter().zip(got) {
        assert_eq!(got, *value as u64 & 0xffff_ffff, "{name} after 32 turns");
    }
    // A read of WINDOW_LIMIT answers at once again, with its value.
    sim.set("s_axil_arvalid_i", 1);
    sim.set("s_axil_araddr_i", offset("WINDOW_LIMIT"));
    assert_eq!(sim.get("s_axil_arready_o"), 1, "a read of WINDOW_LIMIT after the turn");
    sim.step();
    idle(&mut sim);
    assert_eq!(sim.get("s_axil_rdata_o"), 0xf00d_cafe, "WINDOW_LIMIT read after the turn");
}
