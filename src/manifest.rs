//! `manifest.json`: what `gen` produced, from which configuration, by which generator.
//! `lint` and later commands read it instead of guessing file names.

use serde::{Deserialize, Serialize};

/// One port of a generated module.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortEntry {
    /// Port name.
    pub name: String,
    /// `input` or `output`.
    pub dir: String,
    /// Width in bits.
    pub width: u32,
}

/// One generated module.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleEntry {
    /// Module name.
    pub name: String,
    /// File, relative to the output folder (`rtl/<name>.v`).
    pub file: String,
    /// Ports in declaration order.
    pub ports: Vec<PortEntry>,
}

/// The manifest written next to the generated Verilog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always `seedchip`.
    pub generator: String,
    /// Generator version.
    pub version: String,
    /// Where the configuration came from (`preset ice40` or a file path).
    pub source: String,
    /// The resolved configuration (defaults filled in).
    pub config: ip_blocks::Config,
    /// Top-level modules (each is a lint/simulation root).
    pub roots: Vec<String>,
    /// The file list, relative to the output folder.
    pub filelist: String,
    /// Every module, children first.
    pub modules: Vec<ModuleEntry>,
}

/// File name of the manifest inside an output folder.
pub const MANIFEST: &str = "manifest.json";
