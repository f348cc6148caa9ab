//! `verilator --lint-only -Wall` on a set of Verilog files, for the CLI's `lint` command
//! and for tests that keep the emitted Verilog warning-free.

use super::build::{verilator_from_env, verilator_version};
use super::HarnessError;
use std::path::Path;
use std::process::Command;

/// Lint `top` and everything it instances in `dir` (file names relative to `dir`);
/// returns Verilator's `%Warning`/`%Error` lines, empty when clean.
pub fn lint_files(dir: &Path, files: &[String], top: &str) -> Result<Vec<String>, HarnessError> {
    let program = verilator_from_env();
    verilator_version(&program)?;
    let out = Command::new(&program)
        .current_dir(dir)
        .args(["--lint-only", "-Wall", "--top-module", top])
        .args(files)
        .output()
        .map_err(|e| HarnessError::io("run Verilator", &program, e))?;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stderr), String::from_utf8_lossy(&out.stdout));
    let mut messages: Vec<String> =
        text.lines().filter(|l| l.starts_with("%Warning") || l.starts_with("%Error")).map(str::to_string).collect();
    if !out.status.success() && messages.is_empty() {
        messages.push(format!("verilator exited with {}: {}", out.status, text.trim()));
    }
    Ok(messages)
}

/// Lint in-memory Verilog files ((file name, text), as the emitter gives them) with `top`
/// as the top module; returns Verilator's messages, empty when clean.
pub fn lint_verilog(files: &[(String, String)], top: &str) -> Result<Vec<String>, HarnessError> {
    let dir = tempfile::tempdir().map_err(|e| HarnessError::io("create a folder in", &std::env::temp_dir(), e))?;
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::write(&path, text).map_err(|e| HarnessError::io("write", &path, e))?;
    }
    let names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    lint_files(dir.path(), &names, top)
}

/// `verilator --version` of the Verilator the environment selects.
pub fn version() -> Result<String, HarnessError> {
    verilator_version(&verilator_from_env())
}
