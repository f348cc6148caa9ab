//! SeedChip's testbenches: the Verilator harness that runs emitted Verilog behind the
//! same [`Simulator`](rtl_gen::sim::Simulator) interface as `rtl-gen`'s IR interpreter,
//! so one test drives either and the two can be compared cycle by cycle.
//!
//! Verilator must be installed (`scripts/setup-tools.sh` installs it); a missing Verilator
//! is an error, never a silently skipped test.
//!
//! ```
//! use rtl_gen::sim::{PortDir, PortInfo, Simulator};
//! use testbenches::VerilatorModel;
//!
//! let verilog = "`default_nettype none
//! module doubler (
//!   input  wire       clk_i,
//!   input  wire [7:0] a_i,
//!   output wire [8:0] y_o
//! );
//!   reg [8:0] y_q;
//!   always @(posedge clk_i) y_q <= {a_i, 1'b0};
//!   assign y_o = y_q;
//! endmodule
//! `default_nettype wire
//! ";
//! let port = |name: &str, width, dir| PortInfo { name: name.to_string(), width, dir };
//! let ports = [port("clk_i", 1, PortDir::Input), port("a_i", 8, PortDir::Input), port("y_o", 9, PortDir::Output)];
//! let model = VerilatorModel::build("doubler", &[("doubler.v".into(), verilog.into())], &ports)
//!     .unwrap_or_else(|e| panic!("{e}"));
//! let mut sim = model.instantiate();
//! sim.set("a_i", 200);
//! sim.step();
//! assert_eq!(sim.get("y_o"), 400);
//! ```
//!
//! Table of contents:
//! - [`verilator`]: the harness ([`VerilatorModel`], [`VerilatorSim`], [`ModelCache`],
//!   [`verilate`], [`HarnessError`]): C++ shim generation, build cache, Rust driver.
//! - [`icarus`]: the second simulator: a generated Verilog testbench run in Icarus
//!   Verilog, compared with the golden model and Verilator.
//! - [`sweep`]: random valid configurations, each generated, linted, simulated on both
//!   simulators and checked against the golden model (`seedchip sweep`).

pub mod accumulator;
pub mod axi;
pub mod axil;
pub mod cosim;
pub mod coverage;
pub mod formal;
pub mod icarus;
pub mod lockstep;
pub mod programs;
pub mod random_circuit;
pub mod speed;
pub mod sweep;
pub mod systolic;
pub mod vcd;
pub mod verilator;

pub use verilator::{verilate, HarnessError, ModelCache, VerilatorModel, VerilatorSim};
