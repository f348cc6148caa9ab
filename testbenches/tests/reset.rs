//! Reset in the middle of a running program (Verilator): at many cut points (DMA reads
//! in flight, an R burst half delivered, W beats pending, a B response owed, compute with
//! the bus quiet, and spread over the run; at every third one a register read owed as
//! well) `rst_i` is raised for one or three cycles; the accelerator must come back idle,
//! without error, with every readable register at its documented reset value
//! (docs/registers.md, from `ip_blocks::regmap`, not from the RTL), make no bus access of
//! its own, and run the next program exactly as the golden model does.
//!
//! The rule for the buses, tested exactly: `rst_i` is the reset of both interfaces, as
//! ARESETn is in AXI ("a global reset for the interface"). Main memory's AXI4 slave is
//! reset with the accelerator: it drops every burst in flight (the bytes already written
//! stay written, those not yet written never are) and owes no R beat or B response
//! afterwards; the host's AXI4-Lite master abandons its transactions. While `rst_i` is
//! high every input is held at zero, and from the first edge in reset on the
//! accelerator's VALID outputs are low. A slave that keeps answering a burst of before
//! the reset is outside the rule (the DMA would take its beats for a new burst).
//!
//! The same cut points with `CONTROL.reset` instead (written through the host interface,
//! behind the pushes not yet taken; documented as taken once everything in flight has
//! finished, so the buses are left alone): the controller's registers (STATUS, ERROR,
//! ERROR_INDEX, QUEUE_LEVELS) at their reset values, the host's (the window) kept.
//!
//! The next program starts from the memory image as the interrupted one left it; the
//! golden model runs it from that same image.
//!
//! Every test runs on its configuration and on the same without the scoreboard
//! (`controller.scoreboard = false`, trackers and command queue of one command).

use ip_blocks::isa::Instr;
use ip_blocks::model::{Memory, Model, Window};
use ip_blocks::quant::{Activation, RequantParams};
use ip_blocks::regmap::{regmap, RegMap};
use ip_blocks::tiler::{random_matmul, reference_matmul, tile_matmul, MatmulSpec};
use ip_blocks::Config;
use rtl_gen::sim::{PortDir, Simulator};
use rtl_gen::Bits;
use testbenches::axi::{AxiConfig, AxiMemory};
use testbenches::axil::{AxilDriver, AxilOptions, Resp, WriteTicket};
use testbenches::cosim::DEFAULT_LATENCY;
use testbenches::programs::{self, random_memory, random_program};
use testbenches::VerilatorSim;

/// Cycle budget of one program.
const BUDGET: u64 = 2_000_000;

struct Bench {
    sim: VerilatorSim,
    axi: AxiMemory,
    host: AxilDriver,
    map: RegMap,
    timing: AxiConfig,
}

/// What the bus looked like in one cycle of a run.
#[derive(Clone, Copy, Debug, Default)]
struct Look {
    idle: bool,
    reads: usize,
    writes: usize,
    responses: usize,
    r_beat: bool,
    w_beat: bool,
    /// An R beat with more of its burst to come.
    r_mid: bool,
    /// A W beat with more of its burst to come.
    w_mid: bool,
}

impl Bench {
    fn new(cfg: &Config, mem: &Memory, timing: AxiConfig, power_up: Option<u64>) -> Bench {
        let gen = ip_blocks::generate(cfg).expect("generates");
        let model = testbenches::verilate(&gen.design, gen.top).unwrap_or_else(|e| panic!("{e}"));
        let mut sim = match power_up {
            Some(seed) => model.instantiate_seeded(seed),
            None => model.instantiate(),
        };
        let axi = AxiMemory::new(&sim, "m_axi_", mem.base, mem.bytes.clone(), timing.clone()).expect("AXI ports");
        let host = AxilDriver::new(&sim, AxilOptions::default()).expect("AXI4-Lite ports");
        sim.reset(4);
        Bench { sim, axi, host, map: regmap(&cfg.geometry(), cfg.array.dataflow), timing }
    }

    fn reg(&self, name: &str) -> u32 {
        self.map.by_name(name).unwrap_or_else(|| panic!("no register {name}")).offset
    }

    /// One cycle: both agents drive, both sample, the clock ticks.
    fn step(&mut self) -> Look {
        self.axi.drive(&mut self.sim);
        self.host.drive(&mut self.sim);
        self.axi.sample(&mut self.sim).unwrap_or_else(|e| panic!("AXI4: {e}"));
        self.host.sample(&mut self.sim).unwrap_or_else(|e| panic!("AXI4-Lite: {e}"));
        let (reads, writes, responses) = self.axi.outstanding();
        let (r_beat, w_beat) = (self.sim.get("m_axi_rvalid_i") == 1, self.sim.get("m_axi_wvalid_o") == 1);
        let look = Look {
            idle: self.sim.get("idle_o") == 1,
            reads,
            writes,
            responses,
            r_beat,
            w_beat,
            r_mid: r_beat && self.sim.get("m_axi_rlast_i") == 0,
            w_mid: w_beat && self.sim.get("m_axi_wlast_o") == 0,
        };
        self.sim.step();
        look
    }

    /// Queue the window and every command; the ticket of the last push.
    fn push(&mut self, window: Window, program: &[[u32; 4]]) -> Option<WriteTicket> {
        let (base, limit) = (self.reg("WINDOW_BASE"), self.reg("WINDOW_LIMIT"));
        self.host.write(base, window.base, 0xf);
        self.host.write(limit, window.limit, 0xf);
        let cmd = ["CMD0", "CMD1", "CMD2", "CMD3"].map(|n| self.reg(n));
        let mut last = None;
        for w in program {
            for (k, word) in w.iter().enumerate() {
                let t = self.host.write(cmd[k], *word, 0xf);
                if k == 3 {
                    last = Some(t);
                }
            }
        }
        last
    }

    /// Run until every command was pushed and the machine is idle (or `limit` cycles);
    /// every cycle's look.
    fn run(&mut self, last: Option<WriteTicket>, limit: u64) -> Vec<Look> {
        let mut looks = Vec::new();
        loop {
            let look = self.step();
            looks.push(look);
            let pushed = last.is_none_or(|t| self.host.write_resp(t).is_some());
            if (pushed && look.idle && self.axi.idle()) || looks.len() as u64 >= limit {
                return looks;
            }
        }
    }

    /// Read `names` through the host interface.
    fn read(&mut self, names: &[&str]) -> Vec<u32> {
        let tickets: Vec<_> = names.iter().map(|n| self.host.read(self.reg(n))).collect();
        for _ in 0..10_000 {
            if tickets.iter().all(|t| self.host.read_data(*t).is_some()) {
                break;
            }
            self.step();
        }
        tickets
            .iter()
            .zip(names)
            .map(|(t, n)| match self.host.read_data(*t) {
                Some((v, Resp::Okay)) => v,
                other => panic!("read of {n}: {other:?}"),
            })
            .collect()
    }

    /// Raise `rst_i` for `cycles` cycles with every input at zero, then reset the bus
    /// agents (the rule of the module documentation). Checks the accelerator's VALIDs
    /// from the first edge in reset on, and idle/error right after it.
    fn hard_reset(&mut self, cycles: u64, what: &str) {
        let inputs: Vec<(String, u32)> = self
            .sim
            .ports()
            .iter()
            .filter(|p| p.dir == PortDir::Input && p.name != "clk_i" && p.name != "rst_i")
            .map(|p| (p.name.clone(), p.width))
            .collect();
        for (name, width) in &inputs {
            let id = self.sim.port(name).expect("a port");
            self.sim.poke(id, &Bits::zero(*width)).expect("an input");
        }
        self.sim.set("rst_i", 1);
        for k in 0..cycles {
            self.sim.step();
            self.valids_low(&format!("{what}: after edge {} of the reset", k + 1));
        }
        self.sim.set("rst_i", 0);
        self.valids_low(&format!("{what}: right after the reset"));
        assert_eq!(self.sim.get("idle_o"), 1, "{what}: idle_o right after the reset");
        assert_eq!(self.sim.get("error_o"), 0, "{what}: error_o right after the reset");
        let bytes = std::mem::take(&mut self.axi.bytes);
        self.axi = AxiMemory::new(&self.sim, "m_axi_", self.axi.base, bytes, self.timing.clone()).expect("AXI ports");
        self.host = AxilDriver::new(&self.sim, AxilOptions::default()).expect("AXI4-Lite ports");
    }

    fn valids_low(&mut self, when: &str) {
        for v in ["m_axi_arvalid_o", "m_axi_awvalid_o", "m_axi_wvalid_o", "s_axil_bvalid_o", "s_axil_rvalid_o"] {
            assert_eq!(self.sim.get(v), 0, "{when}: {v} must be low");
        }
    }
}

const R_MID: &str = "an R burst half delivered";
const W_MID: &str = "a W burst half written";

/// The cut points of a run: (what is going on, cycle).
fn cut_points(looks: &[Look]) -> Vec<(&'static str, usize)> {
    let n = looks.len();
    let find = |what: &'static str, f: &dyn Fn(&Look) -> bool| looks.iter().position(f).map(|c| (what, c));
    let mut cuts: Vec<(&'static str, usize)> = [
        find("AR taken, waiting for the first R beat", &|l| l.reads > 0 && !l.r_beat),
        find(R_MID, &|l| l.r_mid),
        find(W_MID, &|l| l.w_mid),
        find("AW taken, W beats not all taken", &|l| l.writes > 0),
        find("B response owed", &|l| l.responses > 0),
        find("reads and writes in flight together", &|l| l.reads > 0 && (l.writes > 0 || l.responses > 0)),
    ]
    .into_iter()
    .flatten()
    .collect();
    // Compute with the bus quiet: the middle of the longest such stretch.
    let quiet = |l: &Look| !l.idle && l.reads + l.writes + l.responses == 0 && !l.r_beat && !l.w_beat;
    let (mut best, mut run_start) = ((0, 0), None);
    for (i, l) in looks.iter().enumerate() {
        match (quiet(l), run_start) {
            (true, None) => run_start = Some(i),
            (false, Some(s)) => {
                if i - s > best.1 - best.0 {
                    best = (s, i);
                }
                run_start = None;
            }
            _ => {}
        }
    }
    if best.1 > best.0 {
        cuts.push(("busy with the bus quiet (compute)", (best.0 + best.1) / 2));
    }
    cuts.extend([("first cycle", 0), ("a quarter in", n / 4), ("half way", n / 2), ("three quarters in", 3 * n / 4)]);
    cuts.push(("last cycle", n.saturating_sub(1)));
    cuts
}

fn whole(mem: &Memory) -> Window {
    Window { base: mem.base, limit: mem.base + mem.bytes.len() as u32 - 1 }
}

/// How the machine is reset at a cut point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ResetKind {
    /// `rst_i` for one or three cycles, the bus agents reset with it.
    Hard,
    /// `CONTROL.reset` written through the host interface (queued behind the pushes not
    /// yet taken); the buses are not touched.
    Soft,
}

/// The scenario: `first` is interrupted at every cut point; after the reset `second`
/// runs and must match the golden model from the image the reset left.
fn interrupt_and_rerun(
    cfg: &Config,
    mem: &Memory,
    first: &[[u32; 4]],
    second: &[[u32; 4]],
    timing: AxiConfig,
    power_up: Option<u64>,
    kind: ResetKind,
) -> (Vec<&'static str>, Vec<Memory>) {
    let window = whole(mem);
    let mut reference = Bench::new(cfg, mem, timing.clone(), power_up);
    let last = reference.push(window, first);
    let looks = reference.run(last, BUDGET);
    assert!(looks.last().is_some_and(|l| l.idle), "{}: the first program did not finish", cfg.name);
    let cuts = cut_points(&looks);
    assert!(cuts.len() >= 10, "{}: only {} cut points found: {cuts:?}", cfg.name, cuts.len());
    let readable: Vec<&str> = reference.map.registers.iter().filter(|r| r.access.readable()).map(|r| r.name).collect();
    let mut finals = Vec::new();
    let labels = cuts.iter().map(|c| c.0).collect();
    for (i, (what, cut)) in cuts.into_iter().enumerate() {
        // One-cycle and three-cycle resets, alternately.
        let length = [1, 3][i % 2];
        let what = format!("{}: {kind:?} reset at cycle {cut} of {} ({what})", cfg.name, looks.len());
        let mut b = Bench::new(cfg, mem, timing.clone(), power_up);
        let last = b.push(window, first);
        let seen = b.run(last, cut as u64 + 1);
        assert_eq!(seen.len(), cut + 1, "{what}: the run is not the reference run");
        match kind {
            ResetKind::Hard => {
                if i % 3 == 2 {
                    // A register read taken and its R response owed at the reset, too.
                    let status = b.reg("STATUS");
                    let t = b.host.read(status);
                    while b.host.read_accepted_at(t).is_none() {
                        b.step();
                    }
                    assert_eq!(b.sim.get("s_axil_rvalid_o"), 1, "{what}: the read's response is owed at the reset");
                }
                b.hard_reset(length, &format!("{what}, {length} cycles"));
                // Every readable register at its documented reset value.
                let values = b.read(&readable);
                for (name, got) in readable.iter().zip(&values) {
                    let want = b.map.by_name(name).expect("listed").reset;
                    assert_eq!(*got, want, "{what}: {name} after the reset: expected {want:#x}, got {got:#x}");
                }
            }
            ResetKind::Soft => {
                let control = b.reg("CONTROL");
                let t = b.host.write(control, 1, 0xf);
                for _ in 0..BUDGET {
                    if b.host.write_resp(t).is_some() && b.sim.get("idle_o") == 1 && b.axi.idle() {
                        break;
                    }
                    b.step();
                }
                assert_eq!(b.host.write_resp(t), Some(Resp::Okay), "{what}: CONTROL.reset not taken");
                // The controller's registers at their reset values, the host's kept.
                let names = ["STATUS", "ERROR", "ERROR_INDEX", "QUEUE_LEVELS", "WINDOW_BASE", "WINDOW_LIMIT"];
                let values = b.read(&names);
                for (name, got) in names.iter().zip(&values) {
                    let want = match *name {
                        "WINDOW_BASE" => window.base,
                        "WINDOW_LIMIT" => window.limit,
                        _ => b.map.by_name(name).expect("listed").reset,
                    };
                    assert_eq!(*got, want, "{what}: {name} after the soft reset: expected {want:#x}, got {got:#x}");
                }
                b.axi.stats = Default::default();
            }
        }
        let image = Memory { base: mem.base, bytes: b.axi.bytes.clone() };
        // Quiet: no bus access of its own, nothing written.
        for _ in 0..64 {
            b.step();
        }
        let s = b.axi.stats;
        assert_eq!((s.ar_bursts, s.aw_bursts), (0, 0), "{what}: bus accesses after the reset with no command");
        assert_eq!(b.axi.bytes, image.bytes, "{what}: memory changed after the reset with no command");

        // The next program, against the golden model from the same image.
        let mut expected = image.clone();
        let outcome = Model::new(cfg).run(second, &mut expected, window);
        assert!(outcome.is_clean(), "{what}: the second program is not clean on the model: {outcome:?}");
        let last = b.push(window, second);
        let looks2 = b.run(last, BUDGET);
        assert!(looks2.last().is_some_and(|l| l.idle), "{what}: the second program did not finish");
        let after = b.read(&["ERROR", "MACS_LO", "MACS_HI", "CMD_COUNT"]);
        assert_eq!(after[0], 0, "{what}: ERROR after the second program");
        if kind == ResetKind::Hard {
            let macs = u64::from(after[1]) | u64::from(after[2]) << 32;
            assert_eq!(macs, outcome.macs, "{what}: MACS counts the second program only (cleared by the reset)");
            assert_eq!(after[3] as usize, second.len(), "{what}: CMD_COUNT counts the second program only");
        }
        if let Some(i) = expected.bytes.iter().zip(&b.axi.bytes).position(|(e, g)| e != g) {
            let count = expected.bytes.iter().zip(&b.axi.bytes).filter(|(e, g)| e != g).count();
            panic!(
                "{what}: after the second program {count} bytes differ from the golden model; the first: address \
                 {:#010x}: expected {:#04x}, got {:#04x}",
                mem.base + i as u32,
                expected.bytes[i],
                b.axi.bytes[i]
            );
        }
        finals.push(Memory { base: mem.base, bytes: b.axi.bytes.clone() });
    }
    (labels, finals)
}

fn words(p: &[Instr]) -> Vec<[u32; 4]> {
    p.iter().map(|i| i.encode()).collect()
}

/// `cfg`, and `cfg` without the scoreboard with trackers (and command queue) of one.
fn with_lean(cfg: Config) -> [Config; 2] {
    let mut lean = cfg.clone();
    lean.name = format!("{}_lean", cfg.name);
    lean.controller.scoreboard = false;
    lean.controller.queue_depth = 1;
    [cfg, lean]
}

#[test]
fn a_reset_in_the_middle_of_a_matmul_leaves_a_clean_machine_that_runs_it_again() {
    for cfg in with_lean(Config::preset("ice40").expect("preset")) {
        reset_in_a_matmul(&cfg);
    }
}

fn reset_in_a_matmul(cfg: &Config) {
    let spec = MatmulSpec {
        m: 17,
        k: 33,
        n: 9,
        bias: true,
        requant: RequantParams { multiplier: 1 << 30, shift: 7, activation: Activation::Relu, relu6_max: 40 },
    };
    let t = tile_matmul(cfg, &spec, 0x100).unwrap_or_else(|e| panic!("{e}"));
    let (a, b, bias) = random_matmul(&spec, cfg, 5);
    let mem = t.memory(&a, &b, &bias);
    let want = reference_matmul(&spec, cfg.array.acc_bits, cfg.array.input_bits, &a, &b, &bias);
    for kind in [ResetKind::Hard, ResetKind::Soft] {
        let timing = AxiConfig::ideal(DEFAULT_LATENCY);
        let (_, finals) = interrupt_and_rerun(cfg, &mem, &t.words(), &t.words(), timing, None, kind);
        for m in finals {
            assert_eq!(
                t.read_c(&m),
                want,
                "{}: {kind:?}: C after the rerun differs from the independent reference",
                cfg.name
            );
        }
    }
}

#[test]
fn a_reset_with_bursts_held_by_backpressure_leaves_a_clean_machine() {
    // Random latency and backpressure hold bursts on every channel; random power-up state.
    let text = "name = \"odd\"\n[array]\nrows = 3\ncols = 5\ndataflow = \"both\"\ndsp_multipliers = 6\n\
                [scratchpad]\nbanks = 2\nrows_per_bank = 64\n[accumulator]\nrows = 64\n[dma]\ndata_bits = 64\n";
    for cfg in with_lean(Config::from_toml(text, "odd").expect("valid")) {
        let mem = random_memory(13);
        let first = words(&random_program(&cfg, 13, 60, &programs::ALL));
        let second = words(&random_program(&cfg, 14, 60, &programs::ALL));
        for kind in [ResetKind::Hard, ResetKind::Soft] {
            let (labels, _) = interrupt_and_rerun(&cfg, &mem, &first, &second, AxiConfig::random(3), Some(7), kind);
            for want in [R_MID, W_MID] {
                assert!(labels.contains(&want), "{}: no cut point with {want}: {labels:?}", cfg.name);
            }
        }
    }
}

/// After an error the documented recovery (docs/driver.md, step 6) is `CONTROL.reset`,
/// written by the host that pushed the program, in order, after its pushes.
#[test]
fn after_an_error_the_host_can_still_reset_the_controller_and_run_the_next_program() {
    // The bug this catches (found while writing the reset tests, fixed): the controller
    // popped its command queue only on a dispatch, and dispatch stops at an error; the
    // 2-entry queue filled, `cmd_ready_o` stayed low, `<name>_host` held the next CMD3
    // write forever, and an AXI4-Lite master cannot offer a later write (CONTROL) before
    // that one is taken. Now commands after an error leave the queue without effect.
    for cfg in with_lean(Config::preset("ice40").expect("preset")) {
        recover_after_an_error(&cfg);
    }
}

fn recover_after_an_error(cfg: &Config) {
    let cfg = cfg.clone();
    let mem = random_memory(17);
    let window = whole(&mem);
    let body = random_program(&cfg, 17, 20, &programs::ALL);
    let faulty = programs::with_fault(&cfg, &body, 5, programs::Fault::IllegalOpcode, (window.base, window.limit));
    let mut b = Bench::new(&cfg, &mem, AxiConfig::ideal(DEFAULT_LATENCY), None);
    b.push(window, &faulty);
    let control = b.reg("CONTROL");
    let t = b.host.write(control, 1, 0xf);
    // The soft reset takes effect once the machine is quiet, a few cycles after the
    // write's response: wait for error_o to fall, then read the registers.
    for _ in 0..50_000 {
        if b.host.write_resp(t).is_some() && b.sim.get("idle_o") == 1 && b.sim.get("error_o") == 0 {
            break;
        }
        b.step();
    }
    assert_eq!(
        b.host.write_resp(t),
        Some(Resp::Okay),
        "CONTROL.reset after a faulting program was not taken in 50000 cycles: {}",
        b.host.pending()
    );
    let after = b.read(&["ERROR", "QUEUE_LEVELS"]);
    assert_eq!(after, [0, 0], "ERROR and QUEUE_LEVELS after the soft reset");
    let image = Memory { base: mem.base, bytes: b.axi.bytes.clone() };
    let next = words(&random_program(&cfg, 18, 30, &programs::ALL));
    let mut expected = image.clone();
    assert!(Model::new(&cfg).run(&next, &mut expected, window).is_clean());
    let last = b.push(window, &next);
    b.run(last, BUDGET);
    assert!(expected.bytes == b.axi.bytes, "the program after the recovery differs from the golden model");
}
