//! [`VerilatorSim`]: one running instance of a [`VerilatorModel`], driven through the
//! same [`Simulator`] interface as the IR interpreter.

use super::VerilatorModel;
use rtl_gen::bits::words_for;
use rtl_gen::sim::{PortDir, PortId, PortInfo, SimError, Simulator};
use rtl_gen::Bits;
use std::ffi::c_void;
use std::ptr::NonNull;
use std::sync::Arc;

/// One running instance of a Verilated design: its registers, its inputs, its cycle
/// count. `clk_i` is driven by [`Simulator::step`] and hidden from [`Simulator::ports`].
pub struct VerilatorSim {
    model: Arc<VerilatorModel>,
    handle: NonNull<c_void>,
    /// False after a poke, until the next evaluation.
    settled: bool,
    cycle: u64,
    /// Scratch words for peeks, as long as the widest port needs.
    words: Vec<u64>,
}

// SAFETY: the instance is a plain C++ object owned by this value and touched only
// through `&mut self` (or `&self` for the cycle count, which reads Rust data). A Verilated
// model built without `--threads` has no thread affinity, so it may move between threads.
unsafe impl Send for VerilatorSim {}

impl VerilatorSim {
    /// A new instance of `model` (called through [`VerilatorModel::instantiate`]).
    pub(crate) fn new(model: Arc<VerilatorModel>, seed: Option<u64>) -> Self {
        // SAFETY: `create`/`create_seeded` are the shim's constructors; the library stays
        // loaded while `model` (held by the instance) lives.
        let raw = unsafe {
            match seed {
                None => (model.abi.create)(),
                Some(s) => (model.abi.create_seeded)(s),
            }
        };
        let handle = NonNull::new(raw)
            .unwrap_or_else(|| panic!("the Verilator model of `{}` returned no instance", model.top()));
        let widest = model.ports().iter().map(|p| words_for(p.width)).max().unwrap_or(1);
        VerilatorSim { model, handle, settled: false, cycle: 0, words: vec![0; widest] }
    }

    /// The model this instance runs.
    pub fn model(&self) -> &Arc<VerilatorModel> {
        &self.model
    }

    fn eval(&mut self) {
        // SAFETY: `handle` is a live instance of this model's library.
        unsafe { (self.model.abi.eval)(self.handle.as_ptr()) };
        self.settled = true;
    }

    fn drive_clock(&mut self, shim_port: u32, level: u64) {
        let word = [level];
        // SAFETY: `shim_port` is the clock's number, a 1-bit input reading one word.
        unsafe { (self.model.abi.poke)(self.handle.as_ptr(), shim_port, word.as_ptr()) };
    }

    fn port_info(&self, port: PortId) -> &PortInfo {
        self.model.sim_ports.get(port.0).unwrap_or_else(|| {
            panic!(
                "port index {} is out of range for `{}`, which has {} ports",
                port.0,
                self.model.top(),
                self.model.sim_ports.len()
            )
        })
    }
}

impl Simulator for VerilatorSim {
    fn design_name(&self) -> &str {
        self.model.top()
    }

    fn ports(&self) -> &[PortInfo] {
        &self.model.sim_ports
    }

    fn poke(&mut self, port: PortId, value: &Bits) -> Result<(), SimError> {
        let info = self.port_info(port);
        if info.dir != PortDir::Input {
            return Err(SimError::NotAnInput { design: self.model.top().to_string(), port: info.name.clone() });
        }
        if value.width() != info.width {
            return Err(SimError::WidthMismatch {
                design: self.model.top().to_string(),
                port: info.name.clone(),
                expected: info.width,
                got: value.width(),
            });
        }
        let shim_port = self.model.shim_index[port.0];
        // SAFETY: the shim reads `words_for(width)` words, which `value` holds since its
        // width was just checked.
        unsafe { (self.model.abi.poke)(self.handle.as_ptr(), shim_port, value.words().as_ptr()) };
        self.settled = false;
        Ok(())
    }

    fn peek(&mut self, port: PortId) -> Bits {
        let width = self.port_info(port).width;
        if !self.settled {
            self.eval();
        }
        let n = words_for(width);
        let shim_port = self.model.shim_index[port.0];
        self.words[..n].fill(0);
        // SAFETY: the shim writes `words_for(width)` words, within `self.words`.
        unsafe { (self.model.abi.peek)(self.handle.as_ptr(), shim_port, self.words.as_mut_ptr()) };
        Bits::from_words(&self.words[..n], width)
    }

    fn step(&mut self) {
        // Inputs poked since the last evaluation settle in the same `eval` as the edge:
        // Verilator 5 evaluates input-driven logic before clocked logic.
        match self.model.clock {
            Some(clk) => {
                self.drive_clock(clk, 1);
                self.eval();
                self.drive_clock(clk, 0);
                self.eval();
            }
            None => self.eval(),
        }
        self.cycle += 1;
    }

    fn cycle(&self) -> u64 {
        self.cycle
    }
}

impl Drop for VerilatorSim {
    fn drop(&mut self) {
        // SAFETY: `handle` came from this library's `create` and is destroyed once.
        unsafe { (self.model.abi.destroy)(self.handle.as_ptr()) };
    }
}

impl std::fmt::Debug for VerilatorSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerilatorSim")
            .field("top", &self.model.top())
            .field("cycle", &self.cycle)
            .finish_non_exhaustive()
    }
}
