//! Verilog-2005 emitter (being written).
use crate::ir::{Design, ModuleId};

/// One emitted Verilog file: one module, named after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerilogFile {
    /// Module name.
    pub module: String,
    /// File name (`<module>.v`).
    pub file_name: String,
    /// File contents.
    pub text: String,
}

/// The Verilog of a design: one file per module, children first, and `filelist.f`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerilogOutput {
    /// Files in dependency order (the top module last).
    pub module_files: Vec<VerilogFile>,
    /// Contents of `filelist.f`: the file names in dependency order, one per line.
    pub filelist: String,
}

/// Emit every module reachable from `top`.
pub fn emit(_design: &Design, _top: ModuleId) -> VerilogOutput {
    todo!()
}
