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

use crate::axi::AxiConfig;
use crate::cosim::{self, CosimOptions, CosimReport, Engine};
use crate::lockstep::run_lockstep;
use crate::programs::{self, random_memory, random_program};
use ip_blocks::config::{AccumulatorConfig, ArrayConfig, ControllerConfig, Dataflow, DmaConfig, ScratchpadConfig};
use ip_blocks::isa::Mode;
use ip_blocks::quant::{Activation, RequantParams};
use ip_blocks::tiler::{random_matmul, reference_matmul, tile_matmul_with, MatmulSpec};
use ip_blocks::Config;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rtl_gen::ir::clog2;
use rtl_gen::sim::Interp;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Instant;

/// One slice of a sweep: configurations `i` with `i % count == index - 1`, so that `N`
/// machines given `1/N` .. `N/N` run every configuration exactly once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This shard, 1 to `count`.
    pub index: u32,
    /// Number of shards, at least 1.
    pub count: u32,
}

impl Shard {
    /// The whole sweep in one shard.
    pub const ALL: Shard = Shard { index: 1, count: 1 };

    /// True when configuration `i` belongs to this shard.
    pub fn contains(&self, i: u32) -> bool {
        i % self.count == self.index - 1
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    /// `I/N`, with `1 <= I <= N`.
    fn from_str(s: &str) -> Result<Shard, String> {
        let help = "write I/N with 1 <= I <= N, e.g. --shard 2/4 for the second of four machines";
        let (i, n) = s.split_once('/').ok_or_else(|| format!("shard `{s}` is not I/N: {help}"))?;
        let num = |what: &str, v: &str| {
            v.trim().parse::<u32>().map_err(|_| format!("shard `{s}`: {what} `{v}` is not a whole number: {help}"))
        };
        let (index, count) = (num("I", i)?, num("N", n)?);
        if count == 0 {
            return Err(format!("shard `{s}`: N must be at least 1: {help}"));
        }
        if index == 0 || index > count {
            return Err(format!("shard `{s}`: I must be 1 to {count} (shards count from 1): {help}"));
        }
        Ok(Shard { index, count })
    }
}

/// Configuration `index` of the sweep with seed `seed`: a random valid configuration,
/// small enough that its Verilator build stays quick (arrays up to 8 PEs on a side, a
/// few hundred local rows), covering square, non-square, `1xN` and `Nx1` arrays, input
/// widths 4 to 16 bits, accumulator widths from the least the array needs to 48 bits,
/// every DMA data width, in-flight bursts from 1 to 16, every controller queue depth,
/// every dataflow and DSP/soft multiplier mixes.
pub fn random_config(seed: u64, index: u32) -> Config {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(u64::from(index));
    let (rows, cols) = match rng.gen_range(0..4) {
        0 => (1, rng.gen_range(2..=8)),
        1 => (rng.gen_range(2..=8), 1),
        2 => {
            let r = rng.gen_range(2..=5);
            let c = loop {
                let c = rng.gen_range(2..=5);
                if c != r {
                    break c;
                }
            };
            (r, c)
        }
        _ => {
            let n = rng.gen_range(1..=4);
            (n, n)
        }
    };
    let input_bits = if rng.gen_bool(0.4) { 8 } else { rng.gen_range(4..=16) };
    let need = 2 * input_bits + clog2(rows.into());
    let acc_bits = if need <= 32 && rng.gen_bool(0.3) { 32 } else { rng.gen_range(need.max(16)..=48) };
    let dataflow = *[Dataflow::Ws, Dataflow::Os, Dataflow::Both].choose(&mut rng).expect("not empty");
    let dsp_multipliers = rng.gen_bool(0.5).then(|| rng.gen_range(0..=rows * cols));
    let cfg = Config {
        name: format!("sweep_{seed}_{index}"),
        array: ArrayConfig { rows, cols, input_bits, acc_bits, dataflow, dsp_multipliers },
        scratchpad: ScratchpadConfig {
            banks: rng.gen_range(1..=4),
            rows_per_bank: *[16, 20, 32, 48, 64].choose(&mut rng).expect("not empty"),
        },
        accumulator: AccumulatorConfig { rows: *[16, 24, 32, 64, 100, 128].choose(&mut rng).expect("not empty") },
        dma: DmaConfig {
            data_bits: *[32, 64, 128, 256].choose(&mut rng).expect("not empty"),
            outstanding: *[1, 2, 3, 4, 8, 16].choose(&mut rng).expect("not empty"),
        },
        controller: ControllerConfig { queue_depth: *[2, 4, 8, 16].choose(&mut rng).expect("not empty") },
    };
    debug_assert!(cfg.validate("sweep").is_ok(), "random_config drew an invalid configuration:\n{}", cfg.to_toml());
    cfg
}

/// The seed of the programs a configuration runs: a hash (FNV-1a) of its TOML, so that
/// a replay from the TOML alone runs the very same programs.
pub fn program_seed(cfg: &Config) -> u64 {
    cfg.to_toml().bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

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

/// Escape text for XML attribute values and character data.
fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters other than tab and newline are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' && c != '\r' => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// A JUnit XML report of a sweep: one `<testcase>` per configuration (class `sweep`,
/// named after the configuration), a `<failure>` with the stage as its type, the first
/// line as its message and the whole report (TOML and replay command) as its text; the
/// configuration's TOML in `<system-out>`. `reports[i]` is the failure report of
/// `results[i]` (empty when it passed).
pub fn junit_xml(suite: &str, results: &[ConfigResult], reports: &[String]) -> String {
    let failures = results.iter().filter(|r| !r.pass()).count();
    let time: f64 = results.iter().map(|r| r.seconds).sum();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!(
        "<testsuites name=\"seedchip-sweep\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"{time:.3}\">\n",
        results.len()
    ));
    x.push_str(&format!(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" \
         time=\"{time:.3}\">\n",
        xml_escape(suite),
        results.len()
    ));
    for (i, r) in results.iter().enumerate() {
        x.push_str(&format!(
            "    <testcase classname=\"sweep\" name=\"{}\" time=\"{:.3}\">\n",
            xml_escape(&r.config.name),
            r.seconds
        ));
        if let Some(f) = &r.failure {
            let first = f.message.lines().next().unwrap_or_default();
            let body = reports.get(i).map(String::as_str).unwrap_or(&f.message);
            x.push_str(&format!(
                "      <failure type=\"{}\" message=\"{}\">{}</failure>\n",
                f.stage,
                xml_escape(&format!("{}: {first}", f.stage)),
                xml_escape(body)
            ));
        }
        x.push_str(&format!("      <system-out>{}</system-out>\n", xml_escape(&r.replay_toml())));
        x.push_str("    </testcase>\n");
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn random_configs_are_valid_and_cover_every_option() {
        let mut shapes = HashSet::new();
        let (mut one_by_n, mut n_by_one, mut non_square) = (0, 0, 0);
        let mut seen = HashSet::new();
        for i in 0..500 {
            let cfg = random_config(7, i);
            cfg.validate("sweep").unwrap_or_else(|e| panic!("configuration {i}: {e}"));
            let a = &cfg.array;
            assert!(a.rows <= 8 && a.cols <= 8, "configuration {i} is too large for a quick build");
            shapes.insert((a.rows, a.cols));
            one_by_n += (a.rows == 1 && a.cols > 1) as u32;
            n_by_one += (a.cols == 1 && a.rows > 1) as u32;
            non_square += (a.rows != a.cols) as u32;
            seen.insert(format!("dataflow {:?}", a.dataflow));
            seen.insert(format!("input_bits {}", a.input_bits));
            seen.insert(format!("data_bits {}", cfg.dma.data_bits));
            seen.insert(format!("outstanding {}", cfg.dma.outstanding));
            seen.insert(format!("queue_depth {}", cfg.controller.queue_depth));
            seen.insert(format!("banks {}", cfg.scratchpad.banks));
            seen.insert(format!("dsp {}", a.dsp_multipliers.is_some()));
            if a.acc_bits == 2 * a.input_bits + clog2(a.rows.into()) {
                seen.insert("acc_bits at its least".into());
            }
        }
        assert!(one_by_n > 50 && n_by_one > 50 && non_square > 250, "{one_by_n} {n_by_one} {non_square}");
        assert!(shapes.len() > 20, "{shapes:?}");
        for want in ["dataflow Ws", "dataflow Os", "dataflow Both", "input_bits 4", "input_bits 16", "data_bits 32"] {
            assert!(seen.contains(want), "no configuration with {want}");
        }
        for want in ["data_bits 256", "outstanding 1", "queue_depth 2", "queue_depth 16", "banks 4", "dsp false"] {
            assert!(seen.contains(want), "no configuration with {want}");
        }
        assert!(seen.contains("dsp true") && seen.contains("acc_bits at its least"));
    }

    #[test]
    fn random_configs_depend_on_seed_and_index_only() {
        assert_eq!(random_config(3, 9), random_config(3, 9));
        assert_ne!(random_config(3, 9).array, random_config(4, 9).array);
        let a: Vec<_> = (0..10).map(|i| random_config(3, i).to_toml()).collect();
        assert_eq!(a.iter().collect::<HashSet<_>>().len(), 10);
        assert_eq!(program_seed(&random_config(3, 9)), program_seed(&random_config(3, 9)));
    }

    #[test]
    fn shards_split_a_sweep_exactly_once() {
        let shards: Vec<Shard> = (1..=4).map(|i| format!("{i}/4").parse().unwrap()).collect();
        for i in 0..50 {
            assert_eq!(shards.iter().filter(|s| s.contains(i)).count(), 1, "configuration {i}");
        }
        assert!((0..50).all(|i| Shard::ALL.contains(i)));
        assert_eq!(" 3 / 4 ".trim().parse::<Shard>().unwrap(), Shard { index: 3, count: 4 });
    }

    #[test]
    fn bad_shards_are_refused_with_the_rule() {
        for (bad, needle) in [
            ("0/4", "I must be 1 to 4"),
            ("5/4", "I must be 1 to 4"),
            ("1/0", "N must be at least 1"),
            ("2", "is not I/N"),
            ("a/4", "`a` is not a whole number"),
            ("1/-2", "`-2` is not a whole number"),
            ("", "is not I/N"),
        ] {
            let e = bad.parse::<Shard>().unwrap_err();
            assert!(e.contains(needle) && e.contains("1 <= I <= N"), "{bad}: {e}");
        }
    }

    #[test]
    fn junit_has_one_testcase_per_configuration_and_escapes_the_failure() {
        let ok = ConfigResult {
            config: random_config(1, 0),
            passed: Stage::ALL.iter().map(|s| (*s, 0.2)).collect(),
            failure: None,
            seconds: 1.5,
            instructions: 10,
            cycles: 100,
            macs: 1000,
        };
        let bad = ConfigResult {
            config: random_config(1, 1),
            passed: vec![(Stage::Validate, 0.1)],
            failure: Some(fail(Stage::Lint, "%Warning-WIDTH: a <b> & \"c\"\nsecond line")),
            seconds: 0.5,
            instructions: 0,
            cycles: 0,
            macs: 0,
        };
        let opts = CheckOptions { programs: 5, ..CheckOptions::default() };
        let report = bad.failure_report("out/sweep/failures/sweep_1_1.toml", &opts);
        assert!(report.contains("FAILED at stage lint") && report.contains("[array]"), "{report}");
        assert!(report.contains("sweep --replay out/sweep/failures/sweep_1_1.toml --programs 5\n"), "{report}");
        let x = junit_xml("seed 1 shard 1/1", &[ok, bad], &[String::new(), report]);
        assert_eq!(x.matches("<testcase ").count(), 2);
        assert_eq!(x.matches("<failure ").count(), 1);
        assert!(x.contains("tests=\"2\" failures=\"1\""), "{x}");
        assert!(x.contains("name=\"sweep_1_0\"") && x.contains("name=\"sweep_1_1\""));
        assert!(x.contains("type=\"lint\" message=\"lint: %Warning-WIDTH: a &lt;b&gt; &amp; &quot;c&quot;\""), "{x}");
        assert!(!x.contains("<b>"));
    }
}
