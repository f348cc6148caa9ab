//! `seedchip lint`: `verilator --lint-only -Wall` over the output of `gen`, one run per
//! top-level module, every warning reported with its module.

use crate::manifest::{Manifest, MANIFEST};
use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::path::Path;

/// Lint result of one top-level module (with everything it instances).
#[derive(Clone, Debug, Serialize)]
pub struct ModuleLint {
    /// The top module linted.
    pub module: String,
    /// Verilator's `%Warning`/`%Error` lines (empty when clean).
    pub messages: Vec<String>,
}

/// Lint result of a whole output folder.
#[derive(Clone, Debug, Serialize)]
pub struct LintReport {
    /// True when no module produced a message.
    pub clean: bool,
    /// `verilator --version`.
    pub verilator: String,
    /// Per top-level module.
    pub modules: Vec<ModuleLint>,
}

/// Read the manifest of a `gen` output folder.
pub fn read_manifest(out: &Path) -> Result<Manifest> {
    let path = out.join(MANIFEST);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!("cannot read `{}`: run `seedchip gen --out {}` first", path.display(), out.display())
    })?;
    serde_json::from_str(&text).with_context(|| format!("`{}` is not a SeedChip manifest", path.display()))
}

/// Lint every top-level module listed in the manifest of `out`.
pub fn lint_dir(out: &Path) -> Result<LintReport> {
    let manifest = read_manifest(out)?;
    let files: Vec<String> = manifest.modules.iter().map(|m| m.file.clone()).collect();
    for f in &files {
        if !out.join(f).is_file() {
            bail!("`{}` is listed in the manifest but missing; run `seedchip gen` again", out.join(f).display());
        }
    }
    let verilator = testbenches::verilator::lint::version()?;
    let mut modules = Vec::new();
    for root in &manifest.roots {
        let messages = testbenches::verilator::lint::lint_files(out, &files, root)?;
        modules.push(ModuleLint { module: root.clone(), messages });
    }
    Ok(LintReport { clean: modules.iter().all(|m| m.messages.is_empty()), verilator, modules })
}
