//! `seedchip`: the command line. Parses arguments and calls the library.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use ip_blocks::Config;
use std::path::PathBuf;
use std::process::ExitCode;
use testbenches::sweep::CheckOptions;

#[derive(Parser)]
#[command(name = "seedchip", version, about = "SeedChip: an open AI-accelerator generator")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate the Verilog of a configuration into DIR/rtl, with DIR/manifest.json.
    Gen(GenArgs),
    /// Lint what `gen` wrote with `verilator --lint-only -Wall`.
    Lint(LintArgs),
    /// Run a workload on the RTL (or the golden model) and check it against the golden
    /// model and an independent reference: a matmul with random operands or operands
    /// from .npy files (--a, --b, --bias; C into --out), or the int8 MLP mlp:digits.
    Sim(SimArgs),
    /// Run a workload on a board built by `seedchip fpga`, over its serial port, and
    /// check it as `sim` does.
    Run(RunArgs),
    /// Predict whether a configuration fits a board (refusing, with numbers, what cannot),
    /// then synthesize, place and route it and write the bitstream into OUT.
    Fpga(Box<FpgaArgs>),
    /// Random valid configurations, each generated, linted (-Wall), run on the IR
    /// interpreter and Verilator and checked against the golden model; or the replay of
    /// one failing configuration.
    Sweep(SweepArgs),
    /// Run the performance suite: generation time, IR interpreter and Verilator speed,
    /// Verilator build time, MAC utilization of matmuls on both presets (medians of
    /// several runs); writes OUT/bench.json and OUT/bench.md and prints the table.
    Bench(BenchArgs),
}

#[derive(Args)]
struct SweepArgs {
    /// Configurations in the whole sweep (all shards together).
    #[arg(long, default_value_t = 50, conflicts_with = "replay")]
    count: u32,
    /// Seed of the sweep: configuration I of seed S is the same on every machine.
    #[arg(long, default_value_t = 1, conflicts_with = "replay")]
    seed: u64,
    /// Run only shard I of N (1 <= I <= N): configurations with index % N == I - 1.
    #[arg(long, value_name = "I/N", default_value = "1/1", conflicts_with = "replay")]
    shard: testbenches::sweep::Shard,
    /// Write a JUnit XML report here (one testcase per configuration).
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Where the TOML (and the waveform) of each failing configuration is written.
    #[arg(long, value_name = "DIR", default_value = "out/sweep/failures")]
    failures: PathBuf,
    /// Check the one configuration in FILE (as a failing sweep wrote it) instead.
    #[arg(long, value_name = "FILE.toml")]
    replay: Option<PathBuf>,
    /// Random programs per configuration on Verilator against the golden model.
    #[arg(long, default_value_t = CheckOptions::default().programs)]
    programs: usize,
    /// Instructions per program.
    #[arg(long, default_value_t = CheckOptions::default().program_len)]
    program_len: usize,
    /// Instructions of the program that also runs on the (slow) IR interpreter.
    #[arg(long, default_value_t = CheckOptions::default().interp_program_len)]
    interp_program_len: usize,
    /// Cycles of random port stimulus, interpreter against Verilator.
    #[arg(long, default_value_t = CheckOptions::default().lockstep_cycles)]
    lockstep_cycles: u64,
}

#[derive(Args)]
struct BenchArgs {
    /// The output folder.
    #[arg(long, default_value = "out/bench")]
    out: PathBuf,
    /// A smoke run of every step in seconds, without Verilator (small sizes, one run
    /// each): figures not comparable with the full suite's.
    #[arg(long)]
    quick: bool,
    /// Print bench.json's object on stdout instead of the table.
    #[arg(long)]
    json: bool,
}

fn bench(args: &BenchArgs) -> Result<bool> {
    use seedchip::bench::{self as b, Plan};
    let (plan, name) = if args.quick { (Plan::quick(), "quick") } else { (Plan::full(), "full") };
    let pb = seedchip::progress::bar(seedchip::progress::enabled(args.json), plan.steps());
    let mut first = true;
    let result = b::run(&plan, name, &mut |s| {
        if !first {
            pb.inc(1);
        }
        first = false;
        pb.set_message(s.to_string());
    });
    pb.finish_and_clear();
    let report = result?;
    let (json, table) = b::write(&args.out, &report)?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", b::markdown(&report));
        println!("\nwritten: {} and {}", json.display(), table.display());
    }
    Ok(report.utilization.iter().all(|u| u.pass))
}

#[derive(Args)]
struct FpgaArgs {
    /// The board: icebreaker, ulx3s, tangnano9k or orangecrab.
    #[arg(long, value_parser = parse_board)]
    board: fpga::board::Board,
    /// A configuration file (TOML).
    #[arg(long, conflicts_with = "preset")]
    config: Option<PathBuf>,
    /// A built-in configuration: ice40 or ecp5 (default: ecp5 on the ULX3S, else ice40).
    #[arg(long)]
    preset: Option<String>,
    /// Clock in MHz: a PLL (computed like icepll/ecppll/gowin_pll) makes the closest
    /// frequency from the board's oscillator, and that is the timing target (default:
    /// the oscillator, no PLL).
    #[arg(long)]
    freq: Option<f64>,
    /// Seed of the placer.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The output folder (default: out/<board>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also bring the HTML report in DIR up to date with this board's resources
    /// (DIR/index.html; see `seedchip gen --help`).
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
    /// Print one JSON object on stdout instead of text (progress stays on stderr).
    #[arg(long)]
    json: bool,
}

fn parse_board(name: &str) -> Result<fpga::board::Board, String> {
    fpga::board::Board::by_name(name).map_err(|e| e.to_string())
}

#[derive(Args)]
struct SimArgs {
    /// A configuration file (TOML).
    #[arg(long, conflicts_with = "preset", required_unless_present = "preset")]
    config: Option<PathBuf>,
    /// A built-in configuration: ice40 or ecp5.
    #[arg(long)]
    preset: Option<String>,
    /// The workload: matmul:MxKxN (random int8 A, B and int32 bias from --seed) or
    /// mlp:digits (the int8 MLP of fixtures/digits, every test image, layer by layer).
    /// Not with --a/--b, which give the matmul themselves.
    #[arg(long, required_unless_present = "a", conflicts_with = "a")]
    workload: Option<seedchip::sim::Workload>,
    /// Seed of the random inputs.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where it runs: verilator, interp (the RTL, checked against the golden model) or model.
    #[arg(long, default_value = "verilator")]
    engine: seedchip::sim::SimEngine,
    /// A from a .npy file: an int8 M x K matrix (numpy: np.save("A.npy", a.astype(np.int8))).
    #[arg(long, requires = "b", value_name = "A.npy")]
    a: Option<PathBuf>,
    /// B from a .npy file: an int8 K x N matrix.
    #[arg(long, requires = "a", value_name = "B.npy")]
    b: Option<PathBuf>,
    /// The bias from a .npy file: N int32 values, added to each row before requantizing.
    #[arg(long, requires = "a", value_name = "BIAS.npy")]
    bias: Option<PathBuf>,
    /// Write C to this .npy file (int8 M x N; int32 with --raw), only when the run passed.
    #[arg(long, value_name = "C.npy")]
    out: Option<PathBuf>,
    /// C as the raw int32 accumulators A x B: no bias, no requantization.
    #[arg(long, conflicts_with_all = ["bias", "multiplier", "scale", "activation", "relu6_max"])]
    raw: bool,
    /// Requantization multiplier (Q0.31: 2^30 is 0.5); with --shift. Default: the scale the
    /// random matmul uses, 1 / (128 x sqrt(K)) for int8 inputs.
    #[arg(long, requires = "shift", allow_negative_numbers = true)]
    multiplier: Option<i32>,
    /// Requantization right shift, 0 to 31; with --multiplier.
    #[arg(long, requires = "multiplier")]
    shift: Option<u32>,
    /// Requantization as one real scale below 1 (encoded as multiplier / 2^31 / 2^shift).
    #[arg(long, conflicts_with_all = ["multiplier", "shift"])]
    scale: Option<f64>,
    /// Activation after requantization: none, relu (default) or relu6.
    #[arg(long, value_parser = parse_activation)]
    activation: Option<ip_blocks::quant::Activation>,
    /// The quantized 6.0 that relu6 clamps at (0 to 127 for int8 outputs).
    #[arg(long)]
    relu6_max: Option<i32>,
    /// mlp workloads: run only the first N test images (default: all).
    #[arg(long, value_name = "N")]
    images: Option<usize>,
    /// Also bring the HTML report in DIR up to date with this run: its utilization
    /// breakdown and its place on the roofline (DIR/index.html).
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
    /// Print one JSON object on stdout instead of text.
    #[arg(long)]
    json: bool,
}

fn parse_activation(s: &str) -> Result<ip_blocks::quant::Activation, String> {
    use ip_blocks::quant::Activation;
    match s {
        "none" => Ok(Activation::None),
        "relu" => Ok(Activation::Relu),
        "relu6" => Ok(Activation::Relu6),
        _ => Err(format!("unknown activation `{s}`: expected none, relu or relu6")),
    }
}

#[derive(Args)]
struct GenArgs {
    /// A configuration file (TOML).
    #[arg(long, conflicts_with = "preset", required_unless_present = "preset")]
    config: Option<PathBuf>,
    /// A built-in configuration: ice40 or ecp5.
    #[arg(long)]
    preset: Option<String>,
    /// The output folder.
    #[arg(long)]
    out: PathBuf,
    /// Also write an HTML report of the configuration into DIR (DIR/index.html: block
    /// diagram, roofline); `sim` and `fpga` with the same --report add the last run and
    /// each board's resources. A DIR about another configuration starts afresh.
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
    /// Print one JSON object on stdout instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct LintArgs {
    /// The output folder of `seedchip gen`.
    #[arg(long)]
    out: PathBuf,
    /// Print one JSON object on stdout instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct RunArgs {
    /// The serial device of the board's UART (e.g. /dev/ttyUSB1).
    #[arg(long)]
    port: PathBuf,
    /// The board: icebreaker, ulx3s, tangnano9k or orangecrab.
    #[arg(long)]
    board: String,
    /// The configuration the bitstream was built from (default: the board's preset).
    #[arg(long, conflicts_with = "preset")]
    config: Option<PathBuf>,
    /// A built-in configuration: ice40 or ecp5.
    #[arg(long)]
    preset: Option<String>,
    /// The workload: matmul:MxKxN.
    #[arg(long)]
    workload: seedchip::sim::Workload,
    /// Seed of the random inputs.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print one JSON object on stdout instead of text.
    #[arg(long)]
    json: bool,
}

fn load_config(args: &GenArgs) -> Result<(Config, String)> {
    config_from(&args.config, &args.preset)
}

fn config_from(config: &Option<PathBuf>, preset: &Option<String>) -> Result<(Config, String)> {
    match (config, preset) {
        (Some(path), _) => Ok((Config::from_file(path)?, path.display().to_string())),
        (None, Some(name)) => Ok((Config::preset(name)?, format!("preset {name}"))),
        (None, None) => anyhow::bail!("give --config FILE or --preset NAME"),
    }
}

fn gen(args: &GenArgs) -> Result<bool> {
    let (cfg, source) = load_config(args)?;
    if let Some(dir) = &args.report {
        if dir == &args.out {
            anyhow::bail!(
                "--report `{}` is the --out folder: give the report a folder of its own (e.g. out/report)",
                dir.display()
            );
        }
        seedchip::report::check_dir(dir)?;
    }
    let summary = seedchip::gen::generate_to(&cfg, &source, &args.out)
        .with_context(|| format!("generating into `{}`", args.out.display()))?;
    let page = update_report(&args.report, &cfg, &source, seedchip::report::Change::Config)?;
    if args.json {
        let mut v = serde_json::to_value(&summary)?;
        v["ok"] = true.into();
        if let Some(p) = &page {
            v["report"] = p.display().to_string().into();
        }
        println!("{}", serde_json::to_string(&v)?);
    } else {
        println!(
            "generated {} modules from {source} into {} in {:.2} ms",
            summary.modules.len(),
            summary.out.display(),
            summary.generation_ms
        );
        for f in &summary.files {
            println!("  {}", summary.out.join(f).display());
        }
        if let Some(p) = &page {
            println!("report: {}", p.display());
        }
    }
    Ok(true)
}

/// With `--report DIR`: apply `change` to the report in DIR; its notes go to stderr.
/// Returns the page written.
fn update_report(
    dir: &Option<PathBuf>,
    cfg: &Config,
    source: &str,
    change: seedchip::report::Change,
) -> Result<Option<PathBuf>> {
    let Some(dir) = dir else { return Ok(None) };
    let u = seedchip::report::update(dir, cfg, source, change)?;
    for n in &u.notes {
        eprintln!("note: {n}");
    }
    Ok(Some(u.page))
}

fn lint(args: &LintArgs) -> Result<bool> {
    let spinner = seedchip::progress::spinner(
        seedchip::progress::enabled(args.json),
        format!("verilator --lint-only -Wall on {}", args.out.display()),
    );
    let report = seedchip::lint::lint_dir(&args.out);
    spinner.finish_and_clear();
    let report = report?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        for m in &report.modules {
            if m.messages.is_empty() {
                println!("{}: clean (verilator --lint-only -Wall)", m.module);
            } else {
                println!("{}: {} messages", m.module, m.messages.len());
                for msg in &m.messages {
                    println!("  {msg}");
                }
            }
        }
        println!("{}", if report.clean { "lint clean" } else { "lint FAILED" });
    }
    Ok(report.clean)
}

fn sim(args: &SimArgs) -> Result<bool> {
    use seedchip::report::{Change, RunRecord};
    use seedchip::sim::{MatmulRun, NpyInputs, RequantChoice, Workload};
    let (cfg, source) = config_from(&args.config, &args.preset)?;
    let requant_flags = args.multiplier.is_some()
        || args.scale.is_some()
        || args.activation.is_some()
        || args.relu6_max.is_some()
        || args.raw;
    if let Some(Workload::Mlp(net)) = args.workload {
        if requant_flags || args.out.is_some() {
            anyhow::bail!(
                "{} takes its requantization from its fixture and writes no C: drop --multiplier, --shift, --scale, --activation, --relu6-max, --raw and --out",
                net.workload()
            );
        }
        if let Some(dir) = &args.report {
            seedchip::report::check_dir(dir)?;
        }
        let spinner = seedchip::progress::spinner(
            seedchip::progress::enabled(args.json),
            format!("{} on {}", net.workload(), args.engine.name()),
        );
        let r = seedchip::mlp::run(&cfg, net, args.images, args.engine);
        spinner.finish_and_clear();
        let r = r?;
        let page = update_report(&args.report, &cfg, &source, Change::Run(RunRecord::from_mlp(&r)))?;
        return print_mlp_report(&r, &source, args.json, page.as_deref());
    }
    if args.images.is_some() {
        anyhow::bail!("--images applies to mlp workloads (e.g. --workload mlp:digits)");
    }
    let multiplier_shift = match (args.multiplier, args.shift, args.scale) {
        (Some(m), Some(s), _) => Some((m, s)),
        (_, _, Some(scale)) => {
            Some(ip_blocks::quant::quantize_scale(scale).map_err(|e| anyhow::anyhow!("--scale: {e}"))?)
        }
        _ => None,
    };
    let rq = RequantChoice { multiplier_shift, activation: args.activation, relu6_max: args.relu6_max };
    if let Some(out) = &args.out {
        seedchip::sim::check_out_path(out)?;
    }
    if let Some(dir) = &args.report {
        seedchip::report::check_dir(dir)?;
    }
    let run = match (&args.a, &args.b, args.workload) {
        (Some(a), Some(b), _) => {
            let files = NpyInputs { a: a.clone(), b: b.clone(), bias: args.bias.clone() };
            MatmulRun::from_npy(&cfg, &files, &rq, args.raw)?
        }
        (_, _, Some(Workload::Matmul { m, k, n })) => MatmulRun::random(&cfg, (m, k, n), args.seed, &rq, args.raw)?,
        _ => anyhow::bail!("give --workload matmul:MxKxN, --workload mlp:digits, or --a A.npy --b B.npy"),
    };
    let spinner = seedchip::progress::spinner(
        seedchip::progress::enabled(args.json),
        format!("{} on {}", run.label, args.engine.name()),
    );
    let result = seedchip::sim::run_matmul(&cfg, run.clone(), args.seed, args.engine);
    spinner.finish_and_clear();
    let (mut r, c) = result?;
    if let Some(out) = &args.out {
        if r.pass {
            seedchip::sim::write_c(&cfg, &run, &c, out)?;
            r.output = Some(out.display().to_string());
        } else {
            eprintln!("not writing `{}`: the run failed", out.display());
        }
    }
    let page = update_report(&args.report, &cfg, &source, Change::Run(RunRecord::from_sim(&r)))?;
    print_report(&r, &source, args.json, page.as_deref())
}

/// The JSON object of `value`, with `report` (the page's path) added when there is one.
fn with_page(value: &impl serde::Serialize, page: Option<&std::path::Path>) -> Result<String> {
    let mut v = serde_json::to_value(value)?;
    if let Some(p) = page {
        v["report"] = p.display().to_string().into();
    }
    Ok(serde_json::to_string(&v)?)
}

fn print_mlp_report(
    r: &seedchip::mlp::MlpReport,
    source: &str,
    json: bool,
    page: Option<&std::path::Path>,
) -> Result<bool> {
    if json {
        println!("{}", with_page(r, page)?);
        return Ok(r.pass);
    }
    let pct = |x: f64| format!("{:.2}%", 100.0 * x);
    println!(
        "{} on {source}, engine {}, {} of {} test images: {}",
        r.workload,
        r.engine,
        r.images,
        r.test_images,
        if r.pass { "PASS" } else { "FAIL" }
    );
    if let Some(a) = r.rtl_accuracy {
        println!("  RTL accuracy: {}", pct(a));
    }
    println!("  golden-model accuracy: {}", pct(r.model_accuracy));
    println!("  float accuracy (fixture, all {} images): {}", r.test_images, pct(r.float_accuracy));
    println!("  int8 accuracy (training script, all {} images): {}", r.test_images, pct(r.script_int8_accuracy));
    for (i, l) in r.layers.iter().enumerate() {
        let cycles = l.cycles.map_or(String::new(), |c| format!(", {c} cycles"));
        println!("  layer {i}: {}, {} instructions{cycles}", l.matmul, l.instructions);
    }
    println!("  MACs: {}", r.macs);
    if let (Some(c), Some(u)) = (r.cycles, r.utilization) {
        println!("  cycles: {c} (all layers)");
        println!("  MAC utilization: {:.2}%", 100.0 * u);
    }
    if let Some(f) = &r.failure {
        println!("  failure: {f}");
    }
    if let Some(p) = page {
        println!("  report: {}", p.display());
    }
    Ok(r.pass)
}

fn run_board(args: &RunArgs) -> Result<bool> {
    let board = fpga::board::Board::by_name(&args.board)?;
    let preset = match (&args.config, &args.preset) {
        (None, None) => Some(if board.family() == fpga::Family::Ecp5 { "ecp5" } else { "ice40" }.to_string()),
        _ => args.preset.clone(),
    };
    let (cfg, source) = config_from(&args.config, &preset)?;
    let spinner = seedchip::progress::spinner(
        seedchip::progress::enabled(args.json),
        format!("running on the {} over {}", board.name, args.port.display()),
    );
    let r = seedchip::sim::run_on_board(&cfg, &board, &args.port, args.workload, args.seed);
    spinner.finish_and_clear();
    let r = r?;
    print_report(&r, &source, args.json, None)
}

fn print_report(
    r: &seedchip::sim::SimReport,
    source: &str,
    json: bool,
    page: Option<&std::path::Path>,
) -> Result<bool> {
    if json {
        println!("{}", with_page(r, page)?);
    } else {
        println!(
            "{} on {source}, engine {}, seed {}: {}",
            r.workload,
            r.engine,
            r.seed,
            if r.pass { "PASS" } else { "FAIL" }
        );
        println!("  instructions: {}", r.instructions);
        println!("  MACs: {}", r.macs);
        if let (Some(c), Some(u)) = (r.cycles, r.utilization) {
            println!("  cycles: {c} (first command to last store)");
            println!("  MAC utilization: {:.2}%", 100.0 * u);
        }
        if let Some(c) = &r.counters {
            println!("  counters: {}", serde_json::to_string(c)?);
        }
        if let Some(o) = &r.output {
            println!("  C written to {o}");
        }
        if let Some(f) = &r.failure {
            println!("  failure: {f}");
        }
        if let Some(p) = page {
            println!("  report: {}", p.display());
        }
    }
    Ok(r.pass)
}

fn fpga_cmd(args: &FpgaArgs) -> Result<bool> {
    use seedchip::fpga::{Outcome, Record};
    let board = &args.board;
    let preset =
        args.preset.clone().or_else(|| args.config.is_none().then(|| seedchip::fpga::default_preset(board).into()));
    let (cfg, source) = config_from(&args.config, &preset)?;
    let req = seedchip::fpga::Request {
        cfg,
        source: source.clone(),
        board: board.clone(),
        freq_mhz: args.freq,
        seed: args.seed,
        out: args.out.clone().unwrap_or_else(|| PathBuf::from("out").join(&board.name)),
    };
    if let Some(dir) = &args.report {
        seedchip::report::check_dir(dir)?;
    }
    let json = args.json;
    let show = seedchip::progress::enabled(json);
    let mut spinner: Option<indicatif::ProgressBar> = None;
    let outcome = seedchip::fpga::run(
        &req,
        seedchip::fpga::BOARD_TOP,
        &mut |p| {
            if json {
                eprint!("{p}");
            } else {
                print!("{p}");
            }
        },
        &mut |p| {
            if let Some(s) = spinner.take() {
                s.finish_and_clear();
            }
            eprintln!("{p}");
            if let fpga::flow::Progress::Start { tool, .. } = p {
                spinner = Some(seedchip::progress::spinner(show, format!("running {tool}")));
            }
        },
    );
    if let Some(s) = spinner.take() {
        s.finish_and_clear();
    }
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            // The record says the flow failed: the report shows it, then the error is reported.
            if args.report.is_some() {
                let record = std::fs::read_to_string(req.out.join(seedchip::fpga::RECORD)).ok();
                if let Some(v) = record.and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok()) {
                    if let Ok(b) = seedchip::report::BoardRecord::from_fpga_record(&v) {
                        let _ = update_report(&args.report, &req.cfg, &source, seedchip::report::Change::Board(b));
                    }
                }
            }
            return Err(e);
        }
    };
    match outcome {
        Outcome::Refused(p) => {
            let error = format!("{source} does not fit the {}: {}", board.name, p.refusals().join("; "));
            let record = Record {
                ok: false,
                status: "refused",
                config: &source,
                fit: &p,
                pll: None,
                report: None,
                error: Some(error.clone()),
            };
            let mut v = serde_json::to_value(&record)?;
            v["board"] = board.name.clone().into();
            let page = fpga_report(&args.report, &req.cfg, &source, &v)?;
            if json {
                println!("{}", with_page(&v, page.as_deref())?);
            } else {
                println!("refused, no tool run: {error}");
                if let Some(p) = page {
                    println!("report: {}", p.display());
                }
            }
            Ok(false)
        }
        Outcome::Built { fit, report, pll } => {
            let record = Record {
                ok: report.timing_met,
                status: "built",
                config: &source,
                fit: &fit,
                pll,
                report: Some(&report),
                error: None,
            };
            let v = serde_json::to_value(&record)?;
            let page = fpga_report(&args.report, &req.cfg, &source, &v)?;
            if json {
                println!("{}", with_page(&record, page.as_deref())?);
            } else {
                println!("{report}");
                if let Some(p) = pll {
                    println!(
                        "  clock: PLL {:.3} MHz from the {} MHz oscillator (asked {} MHz; PFD {:.3} MHz, VCO {:.3} MHz)",
                        p.output_mhz, p.input_mhz, p.requested_mhz, p.pfd_mhz, p.vco_mhz
                    );
                }
                for w in fit.warnings() {
                    println!("  warning (fit estimate): {w}");
                }
                println!("outputs in {} (rtl/, build/, {})", req.out.display(), seedchip::fpga::RECORD);
                if let Some(p) = page {
                    println!("report: {}", p.display());
                }
            }
            Ok(report.timing_met)
        }
    }
}

fn sweep(args: &SweepArgs) -> Result<bool> {
    use seedchip::sweep::{Request, Selection};
    let selection = match &args.replay {
        Some(path) => Selection::Replay(path.clone()),
        None => Selection::Random { seed: args.seed, count: args.count, shard: args.shard },
    };
    let req = Request {
        selection,
        check: CheckOptions {
            programs: args.programs,
            program_len: args.program_len,
            interp_program_len: args.interp_program_len,
            lockstep_cycles: args.lockstep_cycles,
            drop_last_store: false,
            waveform_dir: Some(args.failures.clone()),
        },
        failures_dir: args.failures.clone(),
        junit: args.junit.clone(),
    };
    let s = seedchip::sweep::run(&req, &mut |line| println!("{line}"))?;
    let n = s.results.len();
    let per = if n == 0 { 0.0 } else { s.seconds / n as f64 };
    println!(
        "{}: {n} configurations, {} passed, {} failed, in {:.1} s ({per:.1} s per configuration)",
        s.suite,
        n - s.failed(),
        s.failed(),
        s.seconds
    );
    if let Some(j) = &args.junit {
        println!("JUnit XML: {}", j.display());
    }
    Ok(s.pass())
}

/// With `--report DIR`: put the board of the fpga record `v` into the report.
fn fpga_report(dir: &Option<PathBuf>, cfg: &Config, source: &str, v: &serde_json::Value) -> Result<Option<PathBuf>> {
    if dir.is_none() {
        return Ok(None);
    }
    let b = seedchip::report::BoardRecord::from_fpga_record(v)?;
    update_report(dir, cfg, source, seedchip::report::Change::Board(b))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = match &cli.command {
        Command::Gen(a) => a.json,
        Command::Lint(a) => a.json,
        Command::Sim(a) => a.json,
        Command::Fpga(a) => a.json,
        Command::Run(a) => a.json,
        Command::Sweep(_) => false,
        Command::Bench(a) => a.json,
    };
    let result = match &cli.command {
        Command::Gen(a) => gen(a),
        Command::Lint(a) => lint(a),
        Command::Sim(a) => sim(a),
        Command::Fpga(a) => fpga_cmd(a),
        Command::Run(a) => run_board(a),
        Command::Sweep(a) => sweep(a),
        Command::Bench(a) => bench(a),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            let msg = format!("{e:#}");
            if json {
                println!("{}", serde_json::json!({ "ok": false, "error": msg }));
            }
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}
