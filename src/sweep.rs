//! `seedchip sweep`: the random configuration sweep ([`testbenches::sweep`]) over many
//! configurations, or the replay of one from its TOML; failing configurations are
//! written as TOML files, and the whole run as JUnit XML.

use anyhow::{Context, Result};
use ip_blocks::Config;
use std::path::{Path, PathBuf};
use std::time::Instant;
use testbenches::sweep::{check_config, junit_xml, random_config, CheckOptions, ConfigResult, Shard};

/// Which configurations to check.
#[derive(Clone, Debug)]
pub enum Selection {
    /// Configurations `0..count` of the sweep with seed `seed`, those in `shard`.
    Random {
        /// The sweep's seed.
        seed: u64,
        /// Configurations in the whole sweep (all shards together).
        count: u32,
        /// The slice this machine runs.
        shard: Shard,
    },
    /// One configuration file (a replay).
    Replay(PathBuf),
}

/// A sweep to run.
#[derive(Clone, Debug)]
pub struct Request {
    /// The configurations.
    pub selection: Selection,
    /// What each configuration runs.
    pub check: CheckOptions,
    /// Where the TOML of each failing configuration is written.
    pub failures_dir: PathBuf,
    /// Where the JUnit XML goes, if anywhere.
    pub junit: Option<PathBuf>,
}

/// What a sweep found.
#[derive(Clone, Debug)]
pub struct Summary {
    /// One result per configuration checked, in index order.
    pub results: Vec<ConfigResult>,
    /// The failure report of each result (empty when it passed).
    pub reports: Vec<String>,
    /// Wall-clock seconds for the whole run.
    pub seconds: f64,
    /// The name of the JUnit test suite (seed and shard).
    pub suite: String,
}

impl Summary {
    /// True when every configuration passed.
    pub fn pass(&self) -> bool {
        self.results.iter().all(ConfigResult::pass)
    }

    /// Configurations that failed.
    pub fn failed(&self) -> usize {
        self.results.iter().filter(|r| !r.pass()).count()
    }
}

/// A one-line description of a configuration for progress lines.
pub fn describe(cfg: &Config) -> String {
    let a = &cfg.array;
    format!(
        "{}x{} {:?} int{}/acc{} dsp {}, scratchpad {}x{}, accumulator {}, dma {} bits x{}, queue {}{}, counters {}",
        a.rows,
        a.cols,
        a.dataflow,
        a.input_bits,
        a.acc_bits,
        a.dsp_pes(),
        cfg.scratchpad.banks,
        cfg.scratchpad.rows_per_bank,
        cfg.accumulator.rows,
        cfg.dma.data_bits,
        cfg.dma.outstanding,
        cfg.controller.queue_depth,
        if cfg.controller.scoreboard { "" } else { " without scoreboard" },
        cfg.controller.counter_bits
    )
    .to_lowercase()
}

/// Run the sweep; `progress` gets one line per configuration, and the failure report
/// of each failing one.
pub fn run(req: &Request, progress: &mut dyn FnMut(&str)) -> Result<Summary> {
    let t0 = Instant::now();
    // Without Verilator every configuration would fail at its lint: say so once instead.
    testbenches::verilator::lint::version()?;
    let (configs, suite): (Vec<Config>, String) = match &req.selection {
        Selection::Random { seed, count, shard } => (
            (0..*count).filter(|i| shard.contains(*i)).map(|i| random_config(*seed, i)).collect(),
            format!("seedchip sweep seed {seed} count {count} shard {shard}"),
        ),
        Selection::Replay(path) => {
            let cfg = Config::from_file(path)?;
            (vec![cfg], format!("seedchip sweep replay {}", path.display()))
        }
    };
    let total = configs.len();
    let mut results = Vec::new();
    let mut reports = Vec::new();
    for (n, cfg) in configs.iter().enumerate() {
        progress(&format!("[{}/{total}] {}: {} ...", n + 1, cfg.name, describe(cfg)));
        let r = check_config(cfg, &req.check);
        let report = if r.pass() {
            progress(&format!("  {}", r.summary_line()));
            String::new()
        } else {
            let file = write_failure(&req.failures_dir, &r)?;
            let report = r.failure_report(&file.display().to_string(), &req.check);
            progress(&format!("  {}\n{report}", r.summary_line()));
            report
        };
        results.push(r);
        reports.push(report);
    }
    let summary = Summary { results, reports, seconds: t0.elapsed().as_secs_f64(), suite };
    if let Some(path) = &req.junit {
        write_file(path, &junit_xml(&summary.suite, &summary.results, &summary.reports))?;
    }
    Ok(summary)
}

fn write_failure(dir: &Path, r: &ConfigResult) -> Result<PathBuf> {
    let path = dir.join(format!("{}.toml", r.config.name));
    write_file(&path, &r.replay_toml())?;
    Ok(path)
}

fn write_file(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create the folder `{}`", dir.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write `{}`", path.display()))
}
