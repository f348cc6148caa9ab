//! The random configuration sweep: random valid accelerator configurations, each taken
//! through every check the project has for one configuration.
//!
//! For each configuration ([`random_config`]), [`check_config`] runs, in order, stopping
//! at the first stage that fails:
//! 1. **validate**: the configuration survives its own TOML (what a replay reads back);
//! 2. **generate**: `ip_blocks::generate` builds the whole accelerator;
//! 3. **lint**: `verilator --lint-only -Wall` on `<name>_top`, as `seedchip lint` does;
//! 4. **build**: the Verilator model of the top;
//! 5. **lockstep**: the IR interpreter and Verilator driven with the same random inputs
//!    on every port, every output compared after every edge;
//! 6. **interp-vs-verilator**: one random program co-simulated on both simulators, each
//!    checked against the golden model, and the two runs identical (cycles, counters,
//!    error, memory);
//! 7. **rtl-vs-model**: more random programs on Verilator, main memory and error outcome
//!    equal to the golden model's, under ideal and random AXI4 timing; then a tiled
//!    matmul of a random awkward shape in each dataflow the engine has, its C also
//!    equal to an independent reference.
//!
//! Expected values come from the golden model, never from the RTL. Everything is drawn
//! from fixed seeds: configuration `i` of sweep seed `s` is the same on every machine
//! and in every shard, and the programs a configuration runs are drawn from a hash of
//! its own TOML, so the TOML alone replays a failure exactly.
//!
//! ```
//! use testbenches::sweep::{random_config, Shard};
//! let cfg = random_config(1, 0);
//! assert_eq!(cfg.name, "sweep_1_0");
//! let shard: Shard = "2/3".parse().unwrap();
//! assert!(shard.contains(1) && !shard.contains(2));
//! assert!("0/3".parse::<Shard>().is_err());
//! ```

mod draw;
mod junit;

pub use draw::{program_seed, random_config, Shard};
pub use junit::junit_xml;

use crate::axi::AxiConfig;
use crate::cosim::{self, CosimOptions, CosimReport, Engine};
use crate::lockstep::run_lockstep;
use crate::programs::{self, random_memory, random_program};
use ip_blocks::isa::Mode;
use ip_blocks::quant::{Activation, RequantParams};
use ip_blocks::tiler::{random_matmul, reference_matmul, tile_matmul_with, MatmulSpec};
use ip_blocks::Config;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rtl_gen::sim::Interp;
use std::fmt;
use std::path::PathBuf;
use std::time::Instant;

/// How much each configuration runs.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// Random programs run on Verilator against the golden model (the first with ideal
    /// AXI4 timing, the others with random latency and backpressure).
    pub programs: usize,
    /// Instructions per program.
    pub program_len: usize,
    /// Instructions of the program that also runs on the IR interpreter (it is slow).
    pub interp_program_len: usize,
    /// Cycles of random stimulus on every port, interpreter against Verilator.
    pub lockstep_cycles: u64,
    /// A stand-in for a broken RTL, to test the sweep's own failure path: the RTL runs
    /// each program of the last stage without its last `mvout` while the model runs all
    /// of it.
    pub drop_last_store: bool,
    /// Where the waveform of a failing co-simulation goes; `None`: the system temporary
    /// folder.
    pub waveform_dir: Option<PathBuf>,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            programs: 4,
            program_len: 250,
            interp_program_len: 120,
            lockstep_cycles: 10_000,
            drop_last_store: false,
            waveform_dir: None,
        }
    }
}

impl CheckOptions {
    /// The `seedchip sweep` flags that set these options where they differ from the
    /// defaults (empty for the defaults).
    pub fn flags(&self) -> String {
        let d = CheckOptions::default();
        let mut s = String::new();
        if self.programs != d.programs {
            s.push_str(&format!(" --programs {}", self.programs));
        }
        if self.program_len != d.program_len {
            s.push_str(&format!(" --program-len {}", self.program_len));
        }
        if self.interp_program_len != d.interp_program_len {
            s.push_str(&format!(" --interp-program-len {}", self.interp_program_len));
        }
        if self.lockstep_cycles != d.lockstep_cycles {
            s.push_str(&format!(" --lockstep-cycles {}", self.lockstep_cycles));
        }
        s
    }
}

/// The stages of [`check_config`], in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The configuration reads back from its own TOML and validates.
    Validate,
    /// The accelerator generates.
    Generate,
    /// `verilator --lint-only -Wall` is clean.
    Lint,
    /// The Verilator model builds.
    Build,
    /// Interpreter and Verilator agree on random port stimulus, cycle by cycle.
    Lockstep,
    /// Interpreter and Verilator run one random program identically.
    InterpVsVerilator,
    /// Verilator runs random programs exactly as the golden model does.
    RtlVsModel,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 7] = [
        Stage::Validate,
        Stage::Generate,
        Stage::Lint,
        Stage::Build,
        Stage::Lockstep,
        Stage::InterpVsVerilator,
        Stage::RtlVsModel,
    ];

    /// Short name, as in reports and JUnit failure types.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Validate => "validate",
            Stage::Generate => "generate",
            Stage::Lint => "lint",
            Stage::Build => "build",
            Stage::Lockstep => "lockstep",
            Stage::InterpVsVerilator => "interp-vs-verilator",
            Stage::RtlVsModel => "rtl-vs-model",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a configuration failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The stage that failed.
    pub stage: Stage,
    /// What was found (several lines for a co-simulation difference).
    pub message: String,
}

/// The outcome of one configuration.
#[derive(Clone, Debug)]
pub struct ConfigResult {
    /// The configuration.
    pub config: Config,
    /// Stages passed, in order, with the seconds each took.
    pub passed: Vec<(Stage, f64)>,
    /// The first failure, if any.
    pub failure: Option<Failure>,
    /// Wall-clock seconds spent (a cached Verilator model makes a rerun faster).
    pub seconds: f64,
    /// Instructions run on the RTL, all programs together.
    pub instructions: usize,
    /// RTL cycles simulated in co-simulation, all programs together.
    pub cycles: u64,
    /// Multiply-accumulates the programs did (from the golden model).
    pub macs: u64,
}

impl ConfigResult {
    /// True when every stage passed.
    pub fn pass(&self) -> bool {
        self.failure.is_none()
    }

    /// The configuration as a replay file: a comment saying what failed, then the TOML.
    pub fn replay_toml(&self) -> String {
        let mut s = format!("# seedchip sweep: configuration `{}`", self.config.name);
        match &self.failure {
            Some(f) => s.push_str(&format!(", failed at stage {}\n", f.stage)),
            None => s.push_str(", passed\n"),
        }
        s.push_str(&self.config.to_toml());
        s
    }

    /// The account of a failure: the stage, what was found, the configuration as TOML
    /// and the one command that replays it (`replay_file` is where the TOML was written,
    /// `opts` what the check ran).
    pub fn failure_report(&self, replay_file: &str, opts: &CheckOptions) -> String {
        let Some(f) = &self.failure else { return String::new() };
        format!(
            "configuration `{}` FAILED at stage {}:\n{}\n\nthe configuration (TOML, written to {replay_file}):\n{}\n\
             replay it with:\n  {}\n",
            self.config.name,
            f.stage,
            f.message.trim_end(),
            self.config.to_toml().trim_end(),
            replay_command(replay_file, opts)
        )
    }
}

/// The command that replays the configuration in `file` with the checks `opts` (run
/// from the workspace root).
pub fn replay_command(file: &str, opts: &CheckOptions) -> String {
    format!("cargo run --release -p seedchip -- sweep --replay {file}{}", opts.flags())
}

/// Run every stage on `cfg`, stopping at the first failure.
pub fn check_config(cfg: &Config, opts: &CheckOptions) -> ConfigResult {
    let t0 = Instant::now();
    let mut result = ConfigResult {
        config: cfg.clone(),
        passed: Vec::new(),
        failure: None,
        seconds: 0.0,
        instructions: 0,
        cycles: 0,
        macs: 0,
    };
    if let Err(failure) = run_stages(cfg, opts, &mut result) {
        result.failure = Some(failure);
    }
    result.seconds = t0.elapsed().as_secs_f64();
    result
}

fn fail(stage: Stage, message: impl Into<String>) -> Failure {
    Failure { stage, message: message.into() }
}

impl ConfigResult {
    /// Record `stage` as passed, with the time since `since`, and restart the clock.
    fn mark(&mut self, stage: Stage, since: &mut Instant) {
        self.passed.push((stage, since.elapsed().as_secs_f64()));
        *since = Instant::now();
    }

    /// The stages passed, in order.
    pub fn stages(&self) -> Vec<Stage> {
        self.passed.iter().map(|(s, _)| *s).collect()
    }

    /// One line: pass or fail, time, work done, seconds per stage.
    pub fn summary_line(&self) -> String {
        let stages: Vec<String> = self.passed.iter().map(|(s, t)| format!("{s} {t:.1}")).collect();
        format!(
            "{} in {:.1} s ({} instructions, {} RTL cycles, {} MACs; seconds per stage: {})",
            if self.pass() { "pass" } else { "FAIL" },
            self.seconds,
            self.instructions,
            self.cycles,
            self.macs,
            stages.join(", ")
        )
    }
}

/// A random program must run to its end: an error (in the model, and the RTL agreeing)
/// means the program generator or the model is wrong, and the rest of the program was
/// never tested.
fn ran_to_the_end(r: &CosimReport, program: &[[u32; 4]], stage: Stage, what: &str) -> Result<(), Failure> {
    match r.model_error {
        None => Ok(()),
        Some((i, code)) => {
            let text = program.get(i).map_or_else(String::new, |w| match ip_blocks::isa::Instr::decode(*w) {
                Ok(ins) => ins.to_string(),
                Err(e) => e.to_string(),
            });
            Err(fail(
                stage,
                format!(
                    "{what}: stopped with error {code} at instruction {i} ({text}) in the golden model and the RTL \
                     alike; random programs are meant to run to their end (a bug of the program generator or of \
                     the model)"
                ),
            ))
        }
    }
}

fn run_stages(cfg: &Config, opts: &CheckOptions, result: &mut ConfigResult) -> Result<(), Failure> {
    let mut t = Instant::now();
    // 1. The TOML a replay reads must give this very configuration.
    let text = cfg.to_toml();
    match Config::from_toml(&text, &cfg.name) {
        Ok(back) if back == *cfg => {}
        Ok(back) => return Err(fail(Stage::Validate, format!("the TOML reads back differently: {back:?}"))),
        Err(e) => return Err(fail(Stage::Validate, e.to_string())),
    }
    result.mark(Stage::Validate, &mut t);

    // 2. Generation.
    let gen = ip_blocks::generate(cfg).map_err(|e| fail(Stage::Generate, e.to_string()))?;
    result.mark(Stage::Generate, &mut t);

    // 3. `-Wall` lint of the top and everything under it, as `seedchip lint` does.
    let top = gen.design.module(gen.top).name.clone();
    let files = gen.verilog().sources();
    let messages = crate::verilator::lint::lint_verilog(&files, &top).map_err(|e| fail(Stage::Lint, e.to_string()))?;
    if !messages.is_empty() {
        return Err(fail(
            Stage::Lint,
            format!("verilator --lint-only -Wall on {top}: {} messages\n{}", messages.len(), messages.join("\n")),
        ));
    }
    result.mark(Stage::Lint, &mut t);

    // 4. The Verilator model (cached by a hash of the Verilog; cosim reuses it).
    let model = crate::verilate(&gen.design, gen.top).map_err(|e| fail(Stage::Build, e.to_string()))?;
    result.mark(Stage::Build, &mut t);

    // 5. Interpreter against Verilator on random stimulus of every input port.
    let seed = program_seed(cfg);
    let mut interp = Interp::new(&gen.design, gen.top).map_err(|e| fail(Stage::Lockstep, e.to_string()))?;
    let mut verilator = model.instantiate();
    if let Err(m) = run_lockstep(&mut interp, &mut verilator, ("interpreter", "verilator"), opts.lockstep_cycles, seed)
    {
        return Err(fail(Stage::Lockstep, format!("random stimulus seed {seed}: {m}")));
    }
    result.mark(Stage::Lockstep, &mut t);

    // 6. One random program on both simulators: each equal to the model, and the two
    // runs identical.
    let program = words(&random_program(cfg, seed, opts.interp_program_len, &programs::ALL));
    let mem = random_memory(seed);
    let timing = AxiConfig::random(seed);
    let what = format!("random program of {} instructions, seed {seed}, random AXI4 timing", program.len());
    let base = CosimOptions { waveform_dir: opts.waveform_dir.clone(), ..CosimOptions::default() };
    let run = |engine: Engine, stage: Stage| -> Result<CosimReport, Failure> {
        let opts = CosimOptions { engine, timing: timing.clone(), ..base.clone() };
        let r = cosim::run(cfg, &program, &mem, &opts).map_err(|e| fail(stage, format!("{what}: {e}")))?;
        if !r.pass {
            return Err(fail(
                stage,
                format!("{what}: the RTL on {} differs from the golden model\n{}", engine.name(), r.failure_text()),
            ));
        }
        Ok(r)
    };
    let on_interp = run(Engine::Interp, Stage::InterpVsVerilator)?;
    let on_verilator = run(Engine::Verilator, Stage::InterpVsVerilator)?;
    ran_to_the_end(&on_verilator, &program, Stage::InterpVsVerilator, &what)?;
    let differences = [
        (on_interp.cycles != on_verilator.cycles, "cycles"),
        (on_interp.counters != on_verilator.counters, "performance counters"),
        (on_interp.rtl_error != on_verilator.rtl_error, "error outcome"),
        (on_interp.memory.bytes != on_verilator.memory.bytes, "main memory"),
    ];
    if let Some((_, what_differs)) = differences.iter().find(|(d, _)| *d) {
        return Err(fail(
            Stage::InterpVsVerilator,
            format!(
                "{what}: interpreter and Verilator differ in {what_differs}: cycles {} / {}, counters {:?} / {:?}, \
                 error {:?} / {:?}",
                on_interp.cycles,
                on_verilator.cycles,
                on_interp.counters,
                on_verilator.counters,
                on_interp.rtl_error,
                on_verilator.rtl_error
            ),
        ));
    }
    result.instructions += 2 * program.len();
    result.cycles += on_interp.cycles + on_verilator.cycles;
    result.macs += on_verilator.macs;
    result.mark(Stage::InterpVsVerilator, &mut t);

    // 7. More and longer programs on Verilator against the model.
    let drop_last_store = opts.drop_last_store;
    for k in 0..opts.programs as u64 {
        let s = seed.wrapping_add(k + 1);
        let program = words(&random_program(cfg, s, opts.program_len, &programs::ALL));
        let mem = random_memory(s);
        let timing = if k == 0 { AxiConfig::ideal(cosim::DEFAULT_LATENCY) } else { AxiConfig::random(s) };
        let opts = CosimOptions { timing, ..base.clone() };
        let what = format!(
            "random program {} of {} instructions, seed {s}, {} AXI4 timing",
            k + 1,
            program.len(),
            if k == 0 { "ideal" } else { "random" }
        );
        let mut rtl_program = program.clone();
        if drop_last_store {
            let last = rtl_program.iter().rposition(|w| w[0] & 0xff == u32::from(ip_blocks::isa::opcode::MVOUT));
            if let Some(last) = last {
                rtl_program.remove(last);
            }
        }
        let r = cosim::run_against(cfg, &program, &rtl_program, &mem, &opts)
            .map_err(|e| fail(Stage::RtlVsModel, format!("{what}: {e}")))?;
        if !r.pass {
            return Err(fail(
                Stage::RtlVsModel,
                format!("{what}: the RTL differs from the golden model\n{}", r.failure_text()),
            ));
        }
        ran_to_the_end(&r, &program, Stage::RtlVsModel, &what)?;
        result.instructions += program.len();
        result.cycles += r.cycles;
        result.macs += r.macs;
    }
    // A tiled matmul of an awkward shape in every dataflow the engine has: compute-heavy
    // where random programs are not, and C also checked against an independent reference.
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6d61_746d);
    let (r, c) = (cfg.array.rows, cfg.array.cols);
    let modes = [(cfg.array.dataflow.has_ws(), Mode::Ws), (cfg.array.dataflow.has_os(), Mode::Os)];
    for mode in modes.iter().filter(|(built, _)| *built).map(|(_, m)| *m) {
        let (m, k, n) = (rng.gen_range(1..=2 * r + 3), rng.gen_range(1..=3 * r + 2), rng.gen_range(1..=2 * c + 3));
        let activation = *[Activation::None, Activation::Relu, Activation::Relu6].choose(&mut rng).expect("not empty");
        let max_in = (1i32 << (cfg.array.input_bits - 1)) - 1;
        let requant = RequantParams { multiplier: 1 << 30, shift: 3, activation, relu6_max: max_in.min(40) };
        let spec = MatmulSpec { m, k, n, bias: true, requant };
        let what = format!("{mode:?} matmul {m}x{k}x{n} with bias, {activation:?}, seed {seed}");
        let tiled =
            tile_matmul_with(cfg, &spec, 0x100, mode).map_err(|e| fail(Stage::RtlVsModel, format!("{what}: {e}")))?;
        let (a, b, bias) = random_matmul(&spec, cfg, seed);
        let mem = tiled.memory(&a, &b, &bias);
        let program = tiled.words();
        let r = cosim::run(cfg, &program, &mem, &base).map_err(|e| fail(Stage::RtlVsModel, format!("{what}: {e}")))?;
        if !r.pass {
            return Err(fail(
                Stage::RtlVsModel,
                format!("{what}: the RTL differs from the golden model\n{}", r.failure_text()),
            ));
        }
        ran_to_the_end(&r, &program, Stage::RtlVsModel, &what)?;
        let want = reference_matmul(&spec, cfg.array.acc_bits, cfg.array.input_bits, &a, &b, &bias);
        if tiled.read_c(&r.memory) != want {
            return Err(fail(Stage::RtlVsModel, format!("{what}: C differs from the independent reference")));
        }
        result.instructions += program.len();
        result.cycles += r.cycles;
        result.macs += r.macs;
    }
    result.mark(Stage::RtlVsModel, &mut t);
    Ok(())
}

fn words(p: &[ip_blocks::isa::Instr]) -> Vec<[u32; 4]> {
    p.iter().map(|i| i.encode()).collect()
}
