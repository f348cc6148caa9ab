//! The IR interpreter (being written).
use super::{PortInfo, PortId, SimError, Simulator};
use crate::ir::{Design, ModuleId};
use crate::Bits;

/// Cycle-accurate simulation of a design straight from its IR.
pub struct Interp {
    ports: Vec<PortInfo>,
}

impl Interp {
    /// Flatten the design under `top` and prepare it for simulation.
    pub fn new(_design: &Design, _top: ModuleId) -> Result<Self, SimError> {
        todo!()
    }
}

impl Simulator for Interp {
    fn design_name(&self) -> &str { todo!() }
    fn ports(&self) -> &[PortInfo] { &self.ports }
    fn poke(&mut self, _port: PortId, _value: &Bits) -> Result<(), SimError> { todo!() }
    fn peek(&mut self, _port: PortId) -> Bits { todo!() }
    fn step(&mut self) { todo!() }
    fn cycle(&self) -> u64 { todo!() }
}
