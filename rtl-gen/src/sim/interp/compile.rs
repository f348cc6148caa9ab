//! Compiling the flattened design: one buffer slot per class, the operator nodes as a
//! list of [`Op`]s in topological order, and the clocked state (registers, memories)
//! as tables the clock edge walks.

use super::exec::{Op, Slot, WideKind, WideOp};
use super::flatten::{operands, Driver, Flat};
use crate::bits::mask64;
use crate::ir::*;
use crate::sim::SimError;

/// Word offset of the constant 0 (1 bit).
pub(super) const ZERO: u32 = 0;
/// Word offset of the constant 1 (1 bit).
pub(super) const ONE: u32 = 1;

/// A register at the clock edge: `q = rst ? rv : en ? d : q` (offsets of values of
/// `words` words; `rst` and `en` are 1-bit values).
#[derive(Clone, Copy, Debug)]
pub(super) struct RegUpdate {
    pub q: u32,
    pub d: u32,
    pub en: u32,
    pub rst: u32,
    pub rv: u32,
    pub words: u32,
}

/// A memory port: enable, address and data offsets.
#[derive(Clone, Copy, Debug)]
pub(super) struct MemPort {
    pub en: u32,
    pub addr: u32,
    pub data: u32,
    /// Byte enables (write ports with them only).
    pub byte_en: Option<u32>,
}

/// One memory array of one instance.
#[derive(Clone, Debug)]
pub(super) struct MemState {
    /// Hierarchical name (`sp.bank0`).
    pub name: String,
    /// Word width in bits.
    pub width: u32,
    /// Number of words.
    pub depth: usize,
    /// Buffer words per memory word.
    pub wpw: usize,
    /// Contents, `depth * wpw` words.
    pub data: Vec<u64>,
    /// Read ports; `data` is the registered read data.
    pub reads: Vec<MemPort>,
    /// The write port.
    pub write: Option<MemPort>,
}

/// The compiled design, ready to run.
pub(super) struct Program {
    /// Initial buffer: zeros, with constants loaded.
    pub buf: Vec<u64>,
    /// Combinational evaluation, in dependency order.
    pub ops: Vec<Op>,
    /// Copies `(from, to, words)` taken at the start of an edge, so that state read by
    /// other state (a register fed straight from another register) sees its old value.
    pub snapshots: Vec<(u32, u32, u32)>,
    /// Registers of at most 64 bits.
    pub narrow_regs: Vec<RegUpdate>,
    /// Wider registers.
    pub wide_regs: Vec<RegUpdate>,
    /// Memories.
    pub mems: Vec<MemState>,
    /// Slot of each class.
    pub slots: Vec<Slot>,
}

struct Compiler<'f, 'd> {
    flat: &'f Flat<'d>,
    buf: Vec<u64>,
    slots: Vec<Slot>,
    ops: Vec<Op>,
    snapshots: Vec<(u32, u32, u32)>,
    snapshot_of: Vec<u32>,
}

/// Compile a flattened design; fails on a combinational loop through instances.
pub(super) fn compile(flat: &Flat) -> Result<Program, SimError> {
    let mut c = Compiler {
        flat,
        buf: vec![0, 1],
        slots: Vec::with_capacity(flat.classes.len()),
        ops: Vec::new(),
        snapshots: Vec::new(),
        snapshot_of: vec![u32::MAX; flat.classes.len()],
    };
    for class in &flat.classes {
        let slot = c.alloc(class.width);
        if let Driver::Const(b) = &class.driver {
            slot.write(&mut c.buf, b);
        }
        c.slots.push(slot);
    }
    for class in c.topo_order()? {
        let Driver::Op { inst, expr } = flat.classes[class as usize].driver else {
            unreachable!("only operator classes are ordered")
        };
        c.lower(inst as usize, expr, c.slots[class as usize]);
    }
    let (mut narrow_regs, mut wide_regs, mut mems) = (Vec::new(), Vec::new(), Vec::new());
    for inst in 0..flat.insts.len() {
        let m = flat.module(inst);
        for r in &m.registers {
            let q = c.slots[flat.sig_class(inst, r.q) as usize];
            let (rst, rv) = match &r.reset {
                Some(value) => {
                    let rst = m.reset.expect("checked: a register with reset has rst_i");
                    let rv = c.alloc(q.width);
                    rv.write(&mut c.buf, value);
                    (c.edge_input(flat.sig_class(inst, rst)), rv.off)
                }
                None => (ZERO, ZERO),
            };
            let update = RegUpdate {
                q: q.off,
                d: c.edge_input(flat.sig_class(inst, r.d)),
                en: r.enable.map_or(ONE, |e| c.edge_input(flat.expr_class(inst, e))),
                rst,
                rv,
                words: q.words() as u32,
            };
            if q.width <= 64 {
                narrow_regs.push(update)
            } else {
                wide_regs.push(update)
            }
        }
        for mem in &m.memories {
            let port = |c: &mut Compiler, en: ExprId, addr: ExprId, data: u32| MemPort {
                en: c.edge_input(flat.expr_class(inst, en)),
                addr: c.edge_input(flat.expr_class(inst, addr)),
                data,
                byte_en: None,
            };
            let reads = mem
                .reads
                .iter()
                .map(|rp| {
                    let data = c.slots[flat.sig_class(inst, rp.data) as usize].off;
                    port(&mut c, rp.en, rp.addr, data)
                })
                .collect();
            let write = mem.write.as_ref().map(|w| {
                let data = c.edge_input(flat.expr_class(inst, w.data));
                let mut p = port(&mut c, w.en, w.addr, data);
                p.byte_en = w.byte_en.map(|be| c.edge_input(flat.expr_class(inst, be)));
                p
            });
            let wpw = crate::bits::words_for(mem.width);
            mems.push(MemState {
                name: format!("{}{}", flat.insts[inst].prefix, mem.name),
                width: mem.width,
                depth: mem.depth as usize,
                wpw,
                data: vec![0; mem.depth as usize * wpw],
                reads,
                write,
            });
        }
    }
    Ok(Program { buf: c.buf, ops: c.ops, snapshots: c.snapshots, narrow_regs, wide_regs, mems, slots: c.slots })
}

impl Compiler<'_, '_> {
    fn alloc(&mut self, width: u32) -> Slot {
        let slot = Slot { off: self.buf.len() as u32, width };
        self.buf.resize(self.buf.len() + slot.words(), 0);
        slot
    }

    /// The offset the clock edge reads a class from: the class itself, or for state a
    /// copy taken before any state changes.
    fn edge_input(&mut self, class: u32) -> u32 {
        let slot = self.slots[class as usize];
        if self.flat.classes[class as usize].driver != Driver::State {
            return slot.off;
        }
        if self.snapshot_of[class as usize] == u32::MAX {
            let copy = self.alloc(slot.width);
            self.snapshots.push((slot.off, copy.off, slot.words() as u32));
            self.snapshot_of[class as usize] = copy.off;
        }
        self.snapshot_of[class as usize]
    }

    /// Operator classes an operator class reads.
    fn deps(&self, class: u32) -> Vec<u32> {
        let Driver::Op { inst, expr } = self.flat.classes[class as usize].driver else {
            return Vec::new();
        };
        let m = self.flat.module(inst as usize);
        operands(&m.expr(expr).kind)
            .into_iter()
            .map(|e| self.flat.expr_class(inst as usize, e))
            .filter(|c| matches!(self.flat.classes[*c as usize].driver, Driver::Op { .. }))
            .collect()
    }

    /// Operator classes, each after the ones it reads (depth-first post-order).
    fn topo_order(&self) -> Result<Vec<u32>, SimError> {
        let n = self.flat.classes.len();
        let mut colour = vec![0u8; n]; // 0 new, 1 on the stack, 2 done
        let mut order = Vec::new();
        for start in 0..n as u32 {
            if colour[start as usize] != 0 || !matches!(self.flat.classes[start as usize].driver, Driver::Op { .. }) {
                continue;
            }
            let mut stack: Vec<(u32, Vec<u32>, usize)> = vec![(start, self.deps(start), 0)];
            colour[start as usize] = 1;
            while let Some(top) = stack.last_mut() {
                let (c, deps, i) = (top.0, &top.1, top.2);
                if i == deps.len() {
                    colour[c as usize] = 2;
                    order.push(c);
                    stack.pop();
                    continue;
                }
                let t = deps[i];
                top.2 += 1;
                match colour[t as usize] {
                    0 => {
                        colour[t as usize] = 1;
                        let d = self.deps(t);
                        stack.push((t, d, 0));
                    }
                    1 => return Err(self.loop_error(&stack, t)),
                    _ => {}
                }
            }
        }
        Ok(order)
    }

    fn loop_error(&self, stack: &[(u32, Vec<u32>, usize)], back_to: u32) -> SimError {
        let pos = stack.iter().position(|(c, _, _)| *c == back_to).unwrap_or(0);
        let cycle: Vec<u32> = stack[pos..].iter().map(|(c, _, _)| *c).collect();
        // prefer the named signals on the loop; the stack runs from a value to what it reads
        let named: Vec<u32> =
            cycle.iter().rev().copied().filter(|c| self.flat.classes[*c as usize].name.is_some()).collect();
        let on_path = if named.is_empty() { cycle.iter().rev().copied().collect() } else { named };
        let mut labels: Vec<String> = on_path.iter().map(|c| self.flat.class_label(*c)).collect();
        labels.push(self.flat.classes[on_path[0] as usize].name.clone().unwrap_or_else(|| labels[0].clone()));
        let top = &self.flat.design.module(self.flat.insts[0].module).name;
        SimError::CombLoop { design: top.clone(), path: labels.join(" -> ") }
    }

    /// Emit the ops computing expression `e` of instance `inst` into `d`.
    fn lower(&mut self, inst: usize, e: ExprId, d: Slot) {
        let m = self.flat.module(inst);
        let arg = |x: &ExprId| self.slots[self.flat.expr_class(inst, *x) as usize];
        let kind = &m.expr(e).kind;
        let args: Vec<Slot> = operands(kind).iter().map(arg).collect();
        let narrow = d.width <= 64 && args.iter().all(|a| a.width <= 64);
        let w = d.width;
        let dd = d.off;
        let a = args.first().map_or(0, |s| s.off);
        let b = args.get(1).map_or(0, |s| s.off);
        let op = match kind {
            ExprKind::Const(_) | ExprKind::Signal(_) => unreachable!("not an operator node"),
            ExprKind::Unary(op, _) if narrow => {
                let m = mask64(args[0].width);
                match op {
                    UnaryOp::Not => Op::Not { d: dd, a, m },
                    UnaryOp::Neg => Op::Neg { d: dd, a, m },
                    UnaryOp::AndReduce => Op::AndR { d: dd, a, m },
                    UnaryOp::OrReduce => Op::OrR { d: dd, a },
                    UnaryOp::XorReduce => Op::XorR { d: dd, a },
                }
            }
            ExprKind::Binary(op, _, _) if narrow => {
                use BinaryOp::*;
                let m = mask64(w);
                let wa = args[0].width;
                let sign = if matches!(op, LtS | LeS | GtS | GeS) { 1u64 << (wa - 1) } else { 0 };
                match op {
                    Add => Op::Add { d: dd, a, b, m },
                    Sub => Op::Sub { d: dd, a, b, m },
                    Mul => Op::Mul { d: dd, a, b, m },
                    And => Op::And { d: dd, a, b },
                    Or => Op::Or { d: dd, a, b },
                    Xor => Op::Xor { d: dd, a, b },
                    Eq => Op::Eq { d: dd, a, b },
                    Ne => Op::Ne { d: dd, a, b },
                    Lt | LtS => Op::Lt { d: dd, a, b, k: sign },
                    Le | LeS => Op::Le { d: dd, a, b, k: sign },
                    Gt | GtS => Op::Lt { d: dd, a: b, b: a, k: sign },
                    Ge | GeS => Op::Le { d: dd, a: b, b: a, k: sign },
                    Shl => Op::Shl { d: dd, a, b, w, m },
                    Shr => Op::Shr { d: dd, a, b, w },
                    Sar => Op::Sar { d: dd, a, b, sh: 64 - wa, m },
                }
            }
            ExprKind::Mux { .. } if narrow => Op::Mux { d: dd, s: a, t: b, f: args[2].off },
            ExprKind::Concat(_) if narrow => {
                let mut sh = 0;
                for (i, p) in args.iter().rev().enumerate() {
                    self.ops.push(if i == 0 {
                        Op::CatFirst { d: dd, a: p.off, sh }
                    } else {
                        Op::CatOr { d: dd, a: p.off, sh }
                    });
                    sh += p.width;
                }
                return;
            }
            ExprKind::Slice { lo, .. } if w <= 64 => {
                // a narrow slice, possibly of a wide value: one or two source words
                let (word, lo) = (lo / 64, lo % 64);
                let a = a + word;
                if lo + w <= 64 {
                    Op::Slice { d: dd, a, lo, m: mask64(w) }
                } else {
                    Op::Slice2 { d: dd, a, lo, m: mask64(w) }
                }
            }
            ExprKind::Ext { signed: false, .. } if narrow => Op::Copy { d: dd, a },
            ExprKind::Ext { signed: true, .. } if narrow => Op::Sext { d: dd, a, sh: 64 - args[0].width, m: mask64(w) },
            _ => {
                let kind = match kind {
                    ExprKind::Unary(op, _) => WideKind::Unary(*op),
                    ExprKind::Binary(op, _, _) => WideKind::Binary(*op),
                    ExprKind::Mux { .. } => WideKind::Mux,
                    ExprKind::Concat(_) => WideKind::Concat,
                    ExprKind::Slice { lo, .. } => WideKind::Slice(*lo),
                    ExprKind::Ext { signed, .. } => WideKind::Ext(*signed),
                    ExprKind::Const(_) | ExprKind::Signal(_) => unreachable!("handled above"),
                };
                Op::Wide(Box::new(WideOp { kind, d, args }))
            }
        };
        self.ops.push(op);
    }
}
