//! Cycle-based simulation: the [`Simulator`] interface shared by every engine, and the
//! IR interpreter ([`Interp`]) that runs a design straight from the IR.
//!
//! The same test drives the interpreter and a Verilator model (see the `testbenches`
//! crate) through this trait, so the two can be compared cycle by cycle.

mod interp;

pub use interp::Interp;

use crate::Bits;
use thiserror::Error;

/// Direction of a top-level port as seen by a testbench.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PortDir {
    /// Driven by the testbench.
    Input,
    /// Driven by the design.
    Output,
}

/// A top-level port of a simulated design.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PortInfo {
    /// Port name as in the Verilog (`a_i`, `sum_o`, `clk_i`).
    pub name: String,
    /// Width in bits.
    pub width: u32,
    /// Input or output.
    pub dir: PortDir,
}

impl PortInfo {
    /// Every port of `m`, clock included, in declaration order.
    pub fn of_module(m: &crate::ir::Module) -> Vec<PortInfo> {
        m.ports
            .iter()
            .map(|p| {
                let s = m.signal(*p);
                let dir = if s.kind == crate::ir::SignalKind::Input { PortDir::Input } else { PortDir::Output };
                PortInfo { name: s.name.clone(), width: s.width, dir }
            })
            .collect()
    }
}

/// Index of a port in [`Simulator::ports`]; look it up once with [`Simulator::port`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PortId(pub usize);

/// Errors a simulator reports to its driver.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SimError {
    /// The design has no port of that name.
    #[error("design `{design}` has no port `{port}` (ports: {known})")]
    NoSuchPort { design: String, port: String, known: String },
    /// A value was poked into an output.
    #[error("port `{port}` of `{design}` is an output and cannot be driven")]
    NotAnInput { design: String, port: String },
    /// A poked value has the wrong width.
    #[error("port `{port}` of `{design}` is {expected} bits wide, the value given is {got} bits")]
    WidthMismatch { design: String, port: String, expected: u32, got: u32 },
    /// Combinational logic feeds back on itself across module boundaries.
    #[error("design `{design}` has a combinational loop through instances: {path}")]
    CombLoop { design: String, path: String },
}

/// A cycle-based simulation of one top module with a single clock `clk_i`.
///
/// Protocol: poke inputs, [`Simulator::step`] (one rising edge of `clk_i`: registers and
/// memories take the values computed from the current inputs), peek outputs. Peeking
/// without stepping sees the combinational effect of the inputs poked so far.
pub trait Simulator {
    /// Name of the simulated top module.
    fn design_name(&self) -> &str;

    /// All ports of the top module except the clock, in declaration order.
    fn ports(&self) -> &[PortInfo];

    /// Drive an input port. The value must have the port's width.
    fn poke(&mut self, port: PortId, value: &Bits) -> Result<(), SimError>;

    /// Read a port (settling combinational logic first).
    fn peek(&mut self, port: PortId) -> Bits;

    /// One rising clock edge, followed by settling of combinational logic.
    fn step(&mut self);

    /// Number of clock edges since the simulation was created.
    fn cycle(&self) -> u64;

    /// Look a port up by name.
    fn port(&self, name: &str) -> Result<PortId, SimError> {
        self.ports().iter().position(|p| p.name == name).map(PortId).ok_or_else(|| SimError::NoSuchPort {
            design: self.design_name().to_string(),
            port: name.to_string(),
            known: self.ports().iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", "),
        })
    }

    /// Drive an input by name with an integer (truncated to the port width; negative
    /// numbers in two's complement).
    ///
    /// # Panics
    /// When the port does not exist or is an output: a testbench bug, reported with the
    /// list of ports.
    fn set(&mut self, name: &str, value: i64) {
        let id = self.port(name).unwrap_or_else(|e| panic!("{e}"));
        let width = self.ports()[id.0].width;
        self.poke(id, &Bits::from_i64(value, width)).unwrap_or_else(|e| panic!("{e}"));
    }

    /// Read a port by name, zero-extended (the low 64 bits).
    ///
    /// # Panics
    /// When the port does not exist.
    fn get(&mut self, name: &str) -> u64 {
        let id = self.port(name).unwrap_or_else(|e| panic!("{e}"));
        self.peek(id).to_u64()
    }

    /// Read a port by name as a signed number (sign-extended from the port width).
    ///
    /// # Panics
    /// When the port does not exist.
    fn get_signed(&mut self, name: &str) -> i64 {
        let id = self.port(name).unwrap_or_else(|e| panic!("{e}"));
        self.peek(id).to_i64()
    }

    /// Step `n` clock edges.
    fn run(&mut self, n: u64) {
        for _ in 0..n {
            self.step();
        }
    }

    /// Hold `rst_i` high for `cycles` edges, then release it (no-op without `rst_i`).
    fn reset(&mut self, cycles: u64) {
        if let Ok(id) = self.port("rst_i") {
            let _ = self.poke(id, &Bits::from_u64(1, 1));
            self.run(cycles);
            let _ = self.poke(id, &Bits::from_u64(0, 1));
        }
    }
}
