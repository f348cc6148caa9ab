//! Output back-ends: each reads the IR and writes text, nothing else.

pub mod verilog;
