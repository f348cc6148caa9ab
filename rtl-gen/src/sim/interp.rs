//! The IR interpreter: the design under a top module, flattened and compiled once into
//! a straight list of word operations over one value buffer.
//!
//! - [`flatten`]: instances become one flat set of values; plain connections alias
//!   (a wire assigned from a signal, a port connected to a signal share one slot).
//! - [`compile`]: one slot per value, operator nodes in dependency order, tables of
//!   registers and memories for the clock edge.
//! - [`exec`]: the operations; values of up to 64 bits take a fast path.
//!
//! Semantics are those of the emitted Verilog: registers take their reset value when
//! their module's `rst_i` is high at the edge (reset wins over enable), all state starts
//! at zero, memory reads see the contents from before the edge's write, an address
//! beyond the depth reads as zero and is not written.

mod compile;
mod exec;
mod flatten;
#[cfg(test)]
mod op_tests;

use super::{PortDir, PortId, PortInfo, SimError, Simulator};
use crate::ir::{Design, ModuleId};
use crate::Bits;
use compile::{MemState, RegUpdate};
use exec::{Op, Slot};
use std::collections::HashMap;

/// Cycle-accurate simulation of a design straight from its IR.
pub struct Interp {
    name: String,
    ports: Vec<PortInfo>,
    port_slots: Vec<Slot>,
    buf: Vec<u64>,
    ops: Vec<Op>,
    snapshots: Vec<(u32, u32, u32)>,
    narrow_regs: Vec<RegUpdate>,
    wide_regs: Vec<RegUpdate>,
    mems: Vec<MemState>,
    /// Hierarchical signal names and where their values live, in hierarchy order.
    signals: Vec<(String, Slot)>,
    signal_index: HashMap<String, usize>,
    /// True when inputs or state changed since combinational logic was last settled.
    dirty: bool,
    cycle: u64,
}

impl Interp {
    /// Flatten the design under `top` and prepare it for simulation.
    ///
    /// Fails with [`SimError::CombLoop`] when combinational logic feeds back on itself
    /// through instances.
    ///
    /// # Panics
    /// When `top` is not a module of `design`, or the design did not pass the checks of
    /// [`Design::add`].
    pub fn new(design: &Design, top: ModuleId) -> Result<Self, SimError> {
        let flat = flatten::Flat::new(design, top);
        let program = compile::compile(&flat)?;
        let m = design.module(top);
        let mut ports = Vec::new();
        let mut port_slots = Vec::new();
        for (p, info) in m.ports.iter().zip(PortInfo::of_module(m)) {
            if Some(*p) != m.clock {
                ports.push(info);
                port_slots.push(program.slots[flat.sig_class(0, *p) as usize]);
            }
        }
        let mut signals = Vec::new();
        for (i, fi) in flat.insts.iter().enumerate() {
            for (s, sig) in flat.module(i).signals.iter().enumerate() {
                let class = flat.sig_class(i, crate::SignalId(s as u32));
                signals.push((format!("{}{}", fi.prefix, sig.name), program.slots[class as usize]));
            }
        }
        let signal_index = signals.iter().enumerate().map(|(i, (n, _))| (n.clone(), i)).collect();
        Ok(Interp {
            name: m.name.clone(),
            ports,
            port_slots,
            buf: program.buf,
            ops: program.ops,
            snapshots: program.snapshots,
            narrow_regs: program.narrow_regs,
            wide_regs: program.wide_regs,
            mems: program.mems,
            signals,
            signal_index,
            dirty: true,
            cycle: 0,
        })
    }

    /// Hierarchical names of every signal of every instance (`acc_q`, `pe_r0_c1.acc_q`).
    pub fn signal_names(&self) -> impl Iterator<Item = &str> {
        self.signals.iter().map(|(n, _)| n.as_str())
    }

    /// The current value of any signal by hierarchical name (settling first); `None`
    /// when there is no such signal.
    pub fn peek_path(&mut self, path: &str) -> Option<Bits> {
        let i = *self.signal_index.get(path)?;
        self.settle_if_needed();
        Some(self.signals[i].1.read(&self.buf))
    }

    /// Set a register's current value (its `<name>_q` signal) by hierarchical name, as if
    /// the last clock edge had loaded it: for tests that start from a state many cycles
    /// away, such as a counter just below its wrap. `false` when there is no such signal
    /// or `value` has another width. Setting a combinational signal has no lasting
    /// effect: it is computed again from its inputs.
    pub fn poke_path(&mut self, path: &str, value: &Bits) -> bool {
        let Some(&i) = self.signal_index.get(path) else { return false };
        let slot = self.signals[i].1;
        if value.width() != slot.width {
            return false;
        }
        slot.write(&mut self.buf, value);
        self.dirty = true;
        true
    }

    /// Hierarchical names of every memory array (`sp.bank0`).
    pub fn memory_names(&self) -> impl Iterator<Item = &str> {
        self.mems.iter().map(|m| m.name.as_str())
    }

    /// Word `addr` of a memory array by hierarchical name; `None` when there is no such
    /// memory or the address is beyond its depth.
    pub fn peek_mem(&self, path: &str, addr: usize) -> Option<Bits> {
        let m = self.mems.iter().find(|m| m.name == path)?;
        (addr < m.depth).then(|| Bits::from_words(&m.data[addr * m.wpw..(addr + 1) * m.wpw], m.width))
    }

    /// Number of compiled combinational operations (a measure of simulation cost).
    pub fn op_count(&self) -> usize {
        self.ops.len()
    }

    fn settle_if_needed(&mut self) {
        if self.dirty {
            exec::run(&self.ops, &mut self.buf);
            self.dirty = false;
        }
    }

    /// The rising clock edge, from settled values: all state is computed from the
    /// values before the edge, then committed.
    fn edge(&mut self) {
        let buf = &mut self.buf;
        for &(from, to, n) in &self.snapshots {
            let from = from as usize;
            buf.copy_within(from..from + n as usize, to as usize);
        }
        for r in &self.narrow_regs {
            if buf[r.rst as usize] != 0 {
                buf[r.q as usize] = buf[r.rv as usize];
            } else if buf[r.en as usize] != 0 {
                buf[r.q as usize] = buf[r.d as usize];
            }
        }
        for r in &self.wide_regs {
            let src = if buf[r.rst as usize] != 0 {
                r.rv
            } else if buf[r.en as usize] != 0 {
                r.d
            } else {
                continue;
            } as usize;
            buf.copy_within(src..src + r.words as usize, r.q as usize);
        }
        // reads first: a read of the address being written returns the old word
        for m in &self.mems {
            for p in &m.reads {
                if buf[p.en as usize] == 0 {
                    continue;
                }
                let addr = buf[p.addr as usize] as usize;
                let dst = &mut buf[p.data as usize..p.data as usize + m.wpw];
                if addr < m.depth {
                    dst.copy_from_slice(&m.data[addr * m.wpw..(addr + 1) * m.wpw]);
                } else {
                    dst.fill(0);
                }
            }
        }
        for m in &mut self.mems {
            let Some(p) = m.write else { continue };
            let addr = buf[p.addr as usize] as usize;
            if buf[p.en as usize] != 0 && addr < m.depth {
                let src = &buf[p.data as usize..p.data as usize + m.wpw];
                let dst = &mut m.data[addr * m.wpw..(addr + 1) * m.wpw];
                match p.byte_en {
                    None => dst.copy_from_slice(src),
                    Some(be) => {
                        // Byte i is bits 8i .. 8i + 7: word i / 8 of the buffer, at 8 * (i % 8).
                        let be = buf[be as usize];
                        for (j, (d, s)) in dst.iter_mut().zip(src).enumerate() {
                            let lanes = (be >> (8 * j)) & 0xFF;
                            let mask = (0..8).filter(|b| lanes >> b & 1 != 0).fold(0u64, |m, b| m | 0xFF << (8 * b));
                            *d = (*d & !mask) | (s & mask);
                        }
                    }
                }
            }
        }
    }
}

impl Simulator for Interp {
    fn design_name(&self) -> &str {
        &self.name
    }

    fn ports(&self) -> &[PortInfo] {
        &self.ports
    }

    fn poke(&mut self, port: PortId, value: &Bits) -> Result<(), SimError> {
        let info = &self.ports[port.0];
        if info.dir != PortDir::Input {
            return Err(SimError::NotAnInput { design: self.name.clone(), port: info.name.clone() });
        }
        if value.width() != info.width {
            return Err(SimError::WidthMismatch {
                design: self.name.clone(),
                port: info.name.clone(),
                expected: info.width,
                got: value.width(),
            });
        }
        let dst = &mut self.buf[self.port_slots[port.0].range()];
        if dst != value.words() {
            dst.copy_from_slice(value.words());
            self.dirty = true;
        }
        Ok(())
    }

    fn peek(&mut self, port: PortId) -> Bits {
        self.settle_if_needed();
        self.port_slots[port.0].read(&self.buf)
    }

    fn step(&mut self) {
        self.settle_if_needed();
        self.edge();
        // settled lazily, by the next peek or step
        self.dirty = true;
        self.cycle += 1;
    }

    fn cycle(&self) -> u64 {
        self.cycle
    }
}
