//! `rtl-gen`, SeedChip's HDL kernel: hardware described in Rust at run time, checked,
//! emitted as readable Verilog-2005, and simulated cycle by cycle straight from the IR.
//!
//! It knows nothing about accelerators. Sizes and widths are plain values (read from a
//! configuration file by the caller), checked when a module is added to a [`Design`].
//!
//! ```
//! use rtl_gen::{Design, ModuleBuilder, emit, sim::{Interp, Simulator}};
//!
//! // An 8-bit accumulator: acc <= acc + in_i while en_i is high.
//! let mut m = ModuleBuilder::new("accumulator");
//! let en = m.input("en_i", 1);
//! let din = m.input("in_i", 8);
//! let out = m.output("acc_o", 8);
//! let acc = m.reg("acc", 8).reset(0).enable(en).build();
//! let sum = m.add(acc, din);
//! m.next(acc, sum);
//! m.assign(out, acc);
//!
//! let mut design = Design::new();
//! let top = design.add(m).expect("well formed");
//! let files = emit::verilog::emit(&design, top);
//! assert!(files.module_files[0].text.contains("module accumulator"));
//!
//! let mut sim = Interp::new(&design, top).expect("simulatable");
//! sim.reset(1);
//! sim.set("en_i", 1);
//! sim.set("in_i", 5);
//! sim.run(3);
//! assert_eq!(sim.get("acc_o"), 15);
//! ```
//!
//! Table of contents:
//! - [`ir`]: the data structures (design, modules, signals, expressions in arenas).
//! - [`builder`]: [`ModuleBuilder`], the API block authors use.
//! - [`check`]: the checks run when a module joins a design.
//! - [`emit::verilog`]: the Verilog-2005 emitter.
//! - [`sim`]: the [`sim::Simulator`] interface and the IR interpreter.

pub mod bits;
pub mod builder;
pub mod check;
pub mod emit;
pub mod ir;
pub mod ops;
pub mod sim;

pub use bits::Bits;
pub use builder::{IntoExpr, ModuleBuilder, Reg};
pub use check::{CheckError, CheckErrors};
pub use ir::{Design, ExprId, MemId, ModuleId, SignalId};
