//! `seedchip bench`: the performance suite, written to `out/bench/bench.json` and
//! `out/bench/bench.md` (a Markdown table) with the machine it ran on.
//!
//! Figures, each the median of several runs (the counts are in [`Plan::full`] and in the
//! output):
//! - generation time of a whole accelerator (IR, checks, Verilog) for 4x4, 8x8, 16x16
//!   arrays (7 runs);
//! - simulator speed: the IR interpreter and Verilator on the 4x4 systolic array alone
//!   (poke, step, peek; 5 runs), and the co-simulation of the whole ice40 accelerator
//!   running a 64^3 matmul, bus models and golden model included (3 runs);
//! - Verilator build time (`verilator --build`, -O3, into an empty cache): the 4x4 engine
//!   and the whole ice40 and ecp5 accelerators (3 runs each; the slowest items, about half
//!   a minute a build on 2 cores);
//! - MAC utilization of matmuls 64^3, 128^3, 256^3 and a skinny 1x512x512 on both presets,
//!   on Verilator: one run each, because cycle counts are exact and repeat to the cycle
//!   (fixed seed, ideal memory timing); the wall time of each is reported too.

use crate::sim::{CounterReport, SimEngine, Workload};
use anyhow::{anyhow, Context, Result};
use ip_blocks::config::ArrayConfig;
use ip_blocks::Config;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;
use testbenches::speed::{median, stream_engine};

/// What to run: sizes, shapes and how many times.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Array sizes n (n x n) whose generation is timed.
    pub gen_sizes: Vec<u32>,
    /// Runs of each generation.
    pub gen_runs: usize,
    /// Cycles streamed through the engine by the interpreter, and runs.
    pub interp_cycles: u64,
    /// Cycles streamed through the engine by Verilator.
    pub verilator_cycles: u64,
    /// Runs of each engine-speed figure.
    pub speed_runs: usize,
    /// Runs of the whole-accelerator co-simulation speed (0: skipped).
    pub cosim_runs: usize,
    /// Verilator builds of the engine (0: no Verilator figures at all).
    pub engine_builds: usize,
    /// Verilator builds of each whole accelerator (0: skipped).
    pub top_builds: usize,
    /// (preset, workload) pairs whose utilization is measured.
    pub utilization: Vec<(String, Workload)>,
    /// Engine of the utilization runs.
    pub utilization_engine: SimEngine,
}

impl Plan {
    /// The suite `make bench` runs (about 5 minutes on 2 cores).
    pub fn full() -> Plan {
        let shapes = [(64, 64, 64), (128, 128, 128), (256, 256, 256), (1, 512, 512)];
        let utilization = ["ice40", "ecp5"]
            .iter()
            .flat_map(|p| shapes.iter().map(move |&(m, k, n)| (p.to_string(), Workload::Matmul { m, k, n })))
            .collect();
        Plan {
            gen_sizes: vec![4, 8, 16],
            gen_runs: 7,
            interp_cycles: 100_000,
            verilator_cycles: 1_000_000,
            speed_runs: 5,
            cosim_runs: 3,
            engine_builds: 3,
            top_builds: 3,
            utilization,
            utilization_engine: SimEngine::Verilator,
        }
    }

    /// A smoke run of every code path in seconds, without Verilator (`--quick`); its
    /// figures are not comparable with the full suite's.
    pub fn quick() -> Plan {
        Plan {
            gen_sizes: vec![4],
            gen_runs: 1,
            interp_cycles: 2_000,
            verilator_cycles: 0,
            speed_runs: 1,
            cosim_runs: 0,
            engine_builds: 0,
            top_builds: 0,
            utilization: vec![("ice40".into(), Workload::Matmul { m: 16, k: 16, n: 16 })],
            utilization_engine: SimEngine::Interp,
        }
    }

    /// Steps, for the progress bar.
    pub fn steps(&self) -> u64 {
        let verilator = u64::from(self.engine_builds > 0);
        (self.gen_sizes.len()
            + 1
            + self.utilization.len()
            + if self.cosim_runs > 0 { 2 } else { 0 }
            + if self.top_builds > 0 { 2 } else { 0 }) as u64
            + verilator
    }
}

/// The machine a bench ran on.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    /// CPU model (`/proc/cpuinfo`).
    pub cpu: String,
    /// Cores available to the process.
    pub cores: usize,
    /// OS name and kernel release.
    pub os: String,
    /// The rustc that built seedchip.
    pub rustc: String,
    /// `verilator --version`.
    pub verilator: String,
}

impl Machine {
    /// Read the machine's description.
    pub fn detect() -> Machine {
        let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        let cpu = read("/proc/cpuinfo")
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_else(|| "unknown".into());
        let os_name = read("/etc/os-release")
            .lines()
            .find_map(|l| l.strip_prefix("PRETTY_NAME=").map(|v| v.trim_matches('"').to_string()))
            .unwrap_or_else(|| std::env::consts::OS.to_string());
        let kernel = read("/proc/sys/kernel/osrelease").trim().to_string();
        Machine {
            cpu,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            os: if kernel.is_empty() { os_name } else { format!("{os_name}, Linux {kernel}") },
            rustc: env!("SEEDCHIP_RUSTC_VERSION").to_string(),
            verilator: testbenches::verilator::lint::version().unwrap_or_else(|e| format!("not available: {e}")),
        }
    }
}

/// One timed figure: the median of `runs` runs.
#[derive(Clone, Debug, Serialize)]
pub struct Figure {
    /// What was measured.
    pub what: String,
    /// The median.
    pub value: f64,
    /// Its unit (`ms`, `s`, `cycles/s`).
    pub unit: &'static str,
    /// Runs the median is of.
    pub runs: usize,
}

/// The utilization of one matmul on one preset.
#[derive(Clone, Debug, Serialize)]
pub struct Utilization {
    /// `ice40` or `ecp5`.
    pub preset: String,
    /// `matmul:MxKxN`.
    pub workload: String,
    /// The engine it ran on.
    pub engine: String,
    /// RTL = golden model = reference.
    pub pass: bool,
    /// Cycles from the first command to the last store.
    pub cycles: u64,
    /// M x K x N.
    pub macs: u64,
    /// macs / (rows x cols x cycles).
    pub utilization: f64,
    /// The performance counters.
    pub counters: Option<CounterReport>,
    /// Wall time of the run (model build excluded when it was cached).
    pub seconds: f64,
}

/// Everything `bench` measured (`bench.json`; the keys are an interface: keep them).
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    /// Where it ran.
    pub machine: Machine,
    /// `full` or `quick`.
    pub plan: &'static str,
    /// Generation times.
    pub generation: Vec<Figure>,
    /// Simulator speeds.
    pub simulator: Vec<Figure>,
    /// Verilator build times.
    pub verilator_build: Vec<Figure>,
    /// MAC utilization per preset and shape.
    pub utilization: Vec<Utilization>,
    /// Wall time of the whole bench, seconds.
    pub total_seconds: f64,
}

/// The configuration of an n x n accelerator: the ice40 preset with its array resized.
fn sized(n: u32) -> Result<Config> {
    let mut c = Config::preset("ice40")?;
    c.array = ArrayConfig { dsp_multipliers: Some(n * n / 4), ..ArrayConfig::new(n, n) };
    c.validate("bench").map_err(|e| anyhow!("{e}"))?;
    Ok(c)
}

fn time<T>(f: impl FnOnce() -> Result<T>) -> Result<(f64, T)> {
    let t0 = Instant::now();
    let v = f()?;
    Ok((t0.elapsed().as_secs_f64(), v))
}

/// Run `plan`; `step` hears the name of each step as it starts.
pub fn run(plan: &Plan, plan_name: &'static str, step: &mut dyn FnMut(&str)) -> Result<BenchReport> {
    let t_all = Instant::now();
    let machine = Machine::detect();
    let mut generation = Vec::new();
    for &n in &plan.gen_sizes {
        step(&format!("generation {n}x{n}"));
        let cfg = sized(n)?;
        let mut v = Vec::new();
        for _ in 0..plan.gen_runs {
            v.push(crate::gen::render(&cfg, "bench")?.generation_ms);
        }
        let what = format!("generation, whole accelerator {n}x{n} (IR, checks, Verilog)");
        generation.push(Figure { what, value: median(v), unit: "ms", runs: plan.gen_runs });
    }

    let mut simulator = Vec::new();
    let mut verilator_build = Vec::new();
    let engine_cfg = ArrayConfig { dsp_multipliers: Some(4), ..ArrayConfig::new(4, 4) };
    let mut d = rtl_gen::Design::new();
    let engine = ip_blocks::blocks::systolic_array::build(&mut d, "seedchip", &engine_cfg)
        .map_err(|e| anyhow!("generator bug: the 4x4 engine does not build: {e}"))?;
    step("IR interpreter speed, 4x4 engine");
    let mut v = Vec::new();
    for _ in 0..plan.speed_runs {
        let mut sim = rtl_gen::sim::Interp::new(&d, engine).map_err(|e| anyhow!("{e}"))?;
        v.push(stream_engine(&mut sim, 4, plan.interp_cycles).map_err(|e| anyhow!(e))?);
    }
    simulator.push(Figure {
        what: "IR interpreter, 4x4 systolic array alone (poke, step, peek)".into(),
        value: median(v),
        unit: "cycles/s",
        runs: plan.speed_runs,
    });
    if plan.engine_builds > 0 {
        step("Verilator build and speed, 4x4 engine");
        let files = rtl_gen::emit::verilog::emit(&d, engine).sources();
        let ports = rtl_gen::sim::PortInfo::of_module(d.module(engine));
        let name = d.module(engine).name.clone();
        let mut builds = Vec::new();
        let mut model = None;
        for _ in 0..plan.engine_builds {
            let dir = tempfile::tempdir()?;
            let cache = testbenches::ModelCache::new(dir.path());
            let (s, built) = time(|| cache.build(&name, &files, &ports).map_err(|e| anyhow!("{e}")))?;
            builds.push(s);
            model = Some((std::sync::Arc::new(built), dir));
        }
        verilator_build.push(Figure {
            what: "Verilator build (verilator --build, -O3), 4x4 systolic array".into(),
            value: median(builds),
            unit: "s",
            runs: plan.engine_builds,
        });
        let (model, _dir) = model.context("no engine model was built")?;
        let mut v = Vec::new();
        for _ in 0..plan.speed_runs {
            v.push(stream_engine(&mut model.instantiate(), 4, plan.verilator_cycles).map_err(|e| anyhow!(e))?);
        }
        simulator.push(Figure {
            what: "Verilator, 4x4 systolic array alone (poke, step, peek)".into(),
            value: median(v),
            unit: "cycles/s",
            runs: plan.speed_runs,
        });
    }
    if plan.top_builds > 0 {
        for preset in ["ice40", "ecp5"] {
            step(&format!("Verilator build, whole {preset} accelerator"));
            let cfg = Config::preset(preset)?;
            let g = ip_blocks::generate(&cfg).map_err(|e| anyhow!("{e}"))?;
            let files = rtl_gen::emit::verilog::emit(&g.design, g.top).sources();
            let ports = rtl_gen::sim::PortInfo::of_module(g.design.module(g.top));
            let name = g.design.module(g.top).name.clone();
            let mut builds = Vec::new();
            for _ in 0..plan.top_builds {
                let dir = tempfile::tempdir()?;
                let cache = testbenches::ModelCache::new(dir.path());
                builds.push(time(|| cache.build(&name, &files, &ports).map_err(|e| anyhow!("{e}")))?.0);
            }
            let (r, c) = (cfg.array.rows, cfg.array.cols);
            verilator_build.push(Figure {
                what: format!("Verilator build (verilator --build, -O3), whole {preset} accelerator ({r}x{c})"),
                value: median(builds),
                unit: "s",
                runs: plan.top_builds,
            });
        }
    }

    let mut utilization = Vec::new();
    for (preset, workload) in &plan.utilization {
        step(&format!("utilization, {} on {preset}", workload_name(workload)));
        let cfg = Config::preset(preset)?;
        let (seconds, r) = time(|| crate::sim::run(&cfg, *workload, 1, plan.utilization_engine))?;
        utilization.push(Utilization {
            preset: preset.clone(),
            workload: r.workload.clone(),
            engine: r.engine.clone(),
            pass: r.pass,
            cycles: r.cycles.unwrap_or(0),
            macs: r.macs,
            utilization: r.utilization.unwrap_or(0.0),
            counters: r.counters,
            seconds,
        });
    }

    if plan.cosim_runs > 0 {
        // The models are built and cached by now: this is simulation, harness included.
        let cfg = Config::preset("ice40")?;
        let w = Workload::Matmul { m: 64, k: 64, n: 64 };
        for engine in [SimEngine::Interp, SimEngine::Verilator] {
            step(&format!("co-simulation speed, {}", engine.name()));
            let mut v = Vec::new();
            for _ in 0..plan.cosim_runs {
                let (s, r) = time(|| crate::sim::run(&cfg, w, 1, engine))?;
                v.push(r.cycles.unwrap_or(0) as f64 / s);
            }
            let who = if engine == SimEngine::Interp { "IR interpreter" } else { "Verilator" };
            simulator.push(Figure {
                what: format!(
                    "{who}, whole ice40 accelerator, matmul:64x64x64 co-simulation (bus models, golden model included)"
                ),
                value: median(v),
                unit: "cycles/s",
                runs: plan.cosim_runs,
            });
        }
    }
    Ok(BenchReport {
        machine,
        plan: plan_name,
        generation,
        simulator,
        verilator_build,
        utilization,
        total_seconds: t_all.elapsed().as_secs_f64(),
    })
}

fn workload_name(w: &Workload) -> String {
    match w {
        Workload::Matmul { m, k, n } => format!("matmul:{m}x{k}x{n}"),
        Workload::Mlp(net) => net.workload().to_string(),
    }
}

/// A value with its unit, as the table shows it.
fn show(f: &Figure) -> String {
    match f.unit {
        "cycles/s" => format!("{:.0} cycles/s", f.value),
        "ms" => format!("{:.2} ms", f.value),
        unit => format!("{:.1} {unit}", f.value),
    }
}

/// The Markdown of a bench: the machine, the timed figures, the utilization table.
pub fn markdown(r: &BenchReport) -> String {
    let m = &r.machine;
    let mut o = format!(
        "# seedchip bench ({} plan)\n\nMachine: {}, {} cores; {}; {}; {}. Whole bench: {:.0} s.\n\n",
        r.plan, m.cpu, m.cores, m.os, m.rustc, m.verilator, r.total_seconds
    );
    o.push_str("| figure | median | runs |\n|---|---|---|\n");
    for f in r.generation.iter().chain(&r.simulator).chain(&r.verilator_build) {
        o.push_str(&format!("| {} | {} | {} |\n", f.what, show(f), f.runs));
    }
    o.push_str(
        "\nMAC utilization (one run each: cycle counts are exact and repeat to the cycle; main memory with 10 cycles \
         of latency, no backpressure):\n\n",
    );
    o.push_str(
        "| preset | workload | engine | pass | cycles | MAC utilization | engine busy | DMA stall | dependency stall | DMA bytes | wall time |\n\
         |---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for u in &r.utilization {
        let c = |f: fn(&CounterReport) -> u64| u.counters.as_ref().map_or("-".to_string(), |c| f(c).to_string());
        o.push_str(&format!(
            "| {} | {} | {} | {} | {} | {:.1}% | {} | {} | {} | {} | {:.1} s |\n",
            u.preset,
            u.workload,
            u.engine,
            if u.pass { "yes" } else { "NO" },
            u.cycles,
            100.0 * u.utilization,
            c(|c| c.engine_busy),
            c(|c| c.dma_stall),
            c(|c| c.dep_stall),
            c(|c| c.dma_bytes),
            u.seconds
        ));
    }
    o
}

/// Write `bench.json` and `bench.md` into `dir` (created if missing), each through a
/// temporary file renamed into place. Returns their paths.
pub fn write(dir: &Path, r: &BenchReport) -> Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create the folder `{}`", dir.display()))?;
    let mut json = serde_json::to_string_pretty(r)?;
    json.push('\n');
    let paths = (dir.join("bench.json"), dir.join("bench.md"));
    for (path, text) in [(&paths.0, json), (&paths.1, markdown(r))] {
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let tmp = dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, text).with_context(|| format!("cannot write `{}`", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quick_plan_runs_and_its_table_lists_every_figure() {
        let plan = Plan::quick();
        let mut steps = Vec::new();
        let r = run(&plan, "quick", &mut |s| steps.push(s.to_string())).unwrap();
        assert_eq!(steps.len() as u64, plan.steps(), "{steps:?}");
        assert_eq!(r.generation.len(), 1);
        assert!(r.generation[0].value > 0.0 && r.simulator[0].value > 0.0);
        let u = &r.utilization[0];
        assert!(u.pass && u.cycles > 0 && u.utilization > 0.0 && u.utilization <= 1.0, "{u:?}");
        let md = markdown(&r);
        assert!(
            md.contains("| generation, whole accelerator 4x4")
                && md.contains("| ice40 | matmul:16x16x16 | interp | yes |")
        );
        assert!(md.contains(&r.machine.rustc) && r.machine.cores >= 1);
        let dir = tempfile::tempdir().unwrap();
        let (json, table) = write(&dir.path().join("bench"), &r).unwrap();
        let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
        for key in ["machine", "plan", "generation", "simulator", "verilator_build", "utilization", "total_seconds"] {
            assert!(v.get(key).is_some(), "bench.json lacks `{key}`");
        }
        assert_eq!(std::fs::read_to_string(table).unwrap(), md);
    }

    #[test]
    fn the_full_plan_has_every_shape_on_both_presets() {
        let p = Plan::full();
        assert_eq!(p.utilization.len(), 8);
        assert_eq!(p.gen_sizes, [4, 8, 16]);
        assert!(p.utilization.contains(&("ecp5".into(), Workload::Matmul { m: 1, k: 512, n: 512 })));
        assert_eq!(p.steps(), 3 + 1 + 1 + 2 + 8 + 2);
    }
}
