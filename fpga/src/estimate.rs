//! An estimate of the LUTs and flip-flops a design takes, read from its `rtl-gen` IR
//! before any tool runs, and its hard blocks by the [`crate::plan`] rules.
//!
//! Flip-flops are counted: every register bit, every bit of a memory Yosys keeps in
//! flip-flops, and the read register of a memory that is not block RAM (a block RAM
//! absorbs its own). That is an upper bound: Yosys removes registers whose outputs are
//! unused or constant (the iCE40 preset: 6926 counted, 6163 after synthesis). LUTs are an
//! estimate: each operator of the IR is priced in
//! LUT4s (an adder or comparator one per bit, a 2:1 multiplexer or a bitwise operator
//! part of one, a shifter by a variable amount one per bit and stage), then the sum is
//! scaled by a factor measured with Yosys 0.70 on the whole accelerator. Slices,
//! concatenations, extensions and constant shifts are wiring and cost nothing. A product
//! that no DSP takes ([`crate::plan::dsp_for_multiply`] is 0) costs about one LUT per
//! bit of partial product. A pair multiplier that the flow puts into one DSP block
//! ([`crate::flow::rtl`]: two int8 products per SB_MAC16) counts one DSP and no LUT.

use crate::plan::{self, MemoryMapping};
use crate::Family;
use rtl_gen::ir::{clog2, BinaryOp, ExprKind, UnaryOp};
use rtl_gen::{Design, ModuleId};
use serde::Serialize;
use std::collections::BTreeMap;

/// What one module (with everything under it) is estimated to use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct LogicEstimate {
    /// LUT4s (an estimate, see the module documentation).
    pub lut: u64,
    /// Flip-flops (counted from the IR).
    pub ff: u64,
    /// DSP blocks, in the family's unit ([`Family::dsp_cell`]), by the plan rules.
    pub dsp: u64,
    /// Block RAMs, by the plan rules (a memory with two read ports counts twice: Yosys
    /// gives each read port its own copy).
    pub bram: u64,
    /// Distributed-RAM cells (ECP5, Gowin).
    pub lutram: u64,
}

impl std::ops::AddAssign for LogicEstimate {
    fn add_assign(&mut self, o: LogicEstimate) {
        self.lut += o.lut;
        self.ff += o.ff;
        self.dsp += o.dsp;
        self.bram += o.bram;
        self.lutram += o.lutram;
    }
}

/// The LUT prices of the operators, scaled to what Yosys 0.70 maps the whole accelerator
/// to: `seedchip_top` of the iCE40 preset, `synth_ice40 -dsp`, measured 9218 SB_LUT4 (the
/// estimate: 9142); since pair multipliers and the narrower requantizer, 7579 (the
/// estimate: 7625); with registered multipliers and the narrowed control path, 6668 (the
/// estimate: 6466). Checked on a 2x2 array with small memories and a 32-bit bus: 5982
/// SB_LUT4 and 4247 flip-flops measured, 6398 and 4832 estimated. Module by module (without `-flatten`) the estimate is within 30% of
/// Yosys's count for the controller, the DMA, the host interface, the PEs and the
/// multipliers; the instruction decoder, mostly constant comparisons, is overestimated.
pub const LUT_SCALE: f64 = 0.85;

/// Estimate `top` of `design` (and every module under it) on `family`.
pub fn estimate(design: &Design, top: ModuleId, family: Family) -> LogicEstimate {
    per_module(design, top, family).remove(&top).unwrap_or_default()
}

/// The estimate of every module under `top` (each with its own children), by module.
pub fn per_module(design: &Design, top: ModuleId, family: Family) -> BTreeMap<ModuleId, LogicEstimate> {
    let mut done: BTreeMap<ModuleId, LogicEstimate> = BTreeMap::new();
    for id in design.dependency_order(top) {
        let mut e = own(design, id, family);
        for inst in &design.module(id).instances {
            e += done[&inst.module];
        }
        done.insert(id, e);
    }
    done
}

/// One module's own logic, without its children.
fn own(design: &Design, id: ModuleId, family: Family) -> LogicEstimate {
    let m = design.module(id);
    let mut e = LogicEstimate::default();
    // A pair multiplier the flow replaces by one DSP block ([`crate::flow::rtl`]).
    if let Some((a, b)) = ip_blocks::blocks::mul::pair_bits(m) {
        if crate::flow::rtl::pairs_share_a_dsp(family, a, b) {
            e.dsp = 1;
            return e;
        }
    }
    e.ff += m.registers.iter().map(|r| u64::from(m.signal(r.q).width)).sum::<u64>();
    let mut lut = 0.0;
    for mem in &m.memories {
        let (w, d) = (u64::from(mem.width), u64::from(mem.depth));
        let copies = mem.reads.len().max(1) as u64;
        match plan::memory_mapping(family, mem.width, mem.depth) {
            MemoryMapping::BlockRam(n) => e.bram += copies * n,
            MemoryMapping::LutRam(n) => {
                e.lutram += copies * n;
                e.ff += copies * w;
                lut += (copies * n) as f64;
            }
            MemoryMapping::Logic => {
                e.ff += w * d + copies * w;
                // One read multiplexer per read port, and the write decoding.
                lut += (copies * w * (d - 1)) as f64 / 3.0 + d as f64 / 2.0;
            }
        }
    }
    // Every expression node reachable from the module's roots, once.
    let mut seen = vec![false; m.exprs.len()];
    let mut stack = m.expr_roots();
    while let Some(x) = stack.pop() {
        if std::mem::replace(&mut seen[x.index()], true) {
            continue;
        }
        let expr = m.expr(x);
        let w = f64::from(expr.width);
        let width_of = |id: rtl_gen::ExprId| f64::from(m.expr(id).width);
        match &expr.kind {
            ExprKind::Const(_) | ExprKind::Signal(_) => {}
            ExprKind::Unary(op, a) => {
                stack.push(*a);
                lut += match op {
                    UnaryOp::Not => 0.0,
                    UnaryOp::Neg => w,
                    UnaryOp::AndReduce | UnaryOp::OrReduce | UnaryOp::XorReduce => width_of(*a) / 3.0,
                };
            }
            ExprKind::Binary(op, a, b) => {
                stack.extend([*a, *b]);
                let is_const = |id: rtl_gen::ExprId| matches!(m.expr(id).kind, ExprKind::Const(_));
                lut += match op {
                    BinaryOp::Add | BinaryOp::Sub => w,
                    BinaryOp::Mul => {
                        let (wa, wb) = (operand_bits(m, *a), operand_bits(m, *b));
                        let dsp = plan::dsp_for_multiply(family, wa, wb);
                        e.dsp += dsp;
                        if dsp == 0 {
                            f64::from(wa * wb)
                        } else {
                            0.0
                        }
                    }
                    BinaryOp::And | BinaryOp::Or | BinaryOp::Xor => w / 2.0,
                    BinaryOp::Eq | BinaryOp::Ne => width_of(*a) / if is_const(*a) || is_const(*b) { 4.0 } else { 2.0 },
                    BinaryOp::Lt
                    | BinaryOp::Le
                    | BinaryOp::Gt
                    | BinaryOp::Ge
                    | BinaryOp::LtS
                    | BinaryOp::LeS
                    | BinaryOp::GtS
                    | BinaryOp::GeS => width_of(*a),
                    BinaryOp::Shl | BinaryOp::Shr | BinaryOp::Sar => {
                        if is_const(*b) {
                            0.0
                        } else {
                            let stages = clog2(u64::from(expr.width)).min(m.expr(*b).width);
                            w * f64::from(stages) / 2.0
                        }
                    }
                };
            }
            ExprKind::Mux { sel, if_true, if_false } => {
                stack.extend([*sel, *if_true, *if_false]);
                lut += w / 2.0;
            }
            ExprKind::Concat(parts) => stack.extend(parts.iter().copied()),
            ExprKind::Slice { value, .. } | ExprKind::Ext { value, .. } => stack.push(*value),
        }
    }
    e.lut = (lut * LUT_SCALE).round() as u64;
    e
}

/// The width of a multiplier operand before any extension: `rtl-gen` builds a full
/// product by extending both operands to the product's width.
fn operand_bits(m: &rtl_gen::ir::Module, id: rtl_gen::ExprId) -> u32 {
    match &m.expr(id).kind {
        ExprKind::Ext { value, .. } => m.expr(*value).width,
        _ => m.expr(id).width,
    }
}
