//! The MAC processing element of the matrix engine.
//!
//! Every PE has one multiplier (a DSP multiply or a soft one, see [`super::mul`]) and
//! passes its input `a` to the right and a partial sum down, registered, advancing only
//! while `en_i` is high (the engine's global stall). The multiplier's operands and its
//! product are registered too, so the product joins the partial sum [`MUL_STAGES`]
//! cycles after its operands came in (the array's latency counts them): a DSP block
//! keeps both registers inside, and a soft multiplier registers its partial products (its
//! Booth rows and its adder tree each have a cycle). A PE of kind
//! [`MulKind::Pair`] has no multiplier of its own: its second operand leaves on `mul_b_o`
//! and the product `a_i * mul_b_o` comes back on `prod_i` from the pair
//! multiplier it shares with a neighbour (two products per DSP block where the device
//! can).
//!
//! The partial sum is `psum_bits` wide: in a weight-stationary-only array it never holds
//! more than a column's `rows` products, so [`super::systolic_array::psum_bits`] keeps it
//! at `2 * input_bits + clog2(rows)` bits (18 for 4 rows of int8) instead of the
//! accumulator's width; the adder and registers shrink with it.
//!
//! - Weight-stationary: two weight registers (double buffer). `w_we_i` writes `w_i` into
//!   the bank `w_bank_i` names; each input carries the bank it is to be multiplied with
//!   (`sel_i`), so a new weight tile loads while the previous one streams.
//!   `psum_o <= psum_i + prod`, with `prod` the product `a_i * weight[sel_i]` of two
//!   cycles before.
//! - Output-stationary: `b_i` arrives from above with `a_i` and passes down; with `v_i`
//!   the product accumulates in `acc` (`f_i` starts a new sum). `os_copy_i` loads every
//!   PE's `acc` into the partial-sum chain at once, which then shifts the results down
//!   and out of the array, one row per cycle, while the next tile accumulates.
//! - Both: `mode_i` (0 weight-, 1 output-stationary) chooses, with one shared multiplier.
//! - Broadcast rows (`array.broadcast`, weight-stationary only): `a_i` is the row's input,
//!   which the PE does not pass on; one shadow weight register (`w_we_i` writes it) and
//!   the active weight, which takes the shadow while `swap_i` is high (the row's
//!   first-of-tile flag). A pair PE has neither `a_i` nor `swap_i`: its pair multiplier
//!   takes the row's input and keeps the active weight in its `b` register. A PE of the
//!   first row (`first_row`, module `<prefix>_pe_<kind>_top`) has no partial sum in nor a
//!   register for it: its registered product is its partial sum.

use super::mul::{self, MulKind};
use crate::config::{ArrayConfig, Dataflow};
use rtl_gen::{CheckError, CheckErrors, Design, ModuleBuilder, ModuleId};

/// Cycles from a PE's operands to its product joining the partial sum: the operands and
/// the product are registered.
pub const MUL_STAGES: u32 = 2;

/// Parameters of a PE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeParams {
    /// Width of the signed input, weight and `b`.
    pub input_bits: u32,
    /// Width of the signed partial sum passed down the column (at least
    /// `2 * input_bits`; the accumulator's width when output-stationary is built).
    pub psum_bits: u32,
    /// Width of the signed output-stationary accumulator.
    pub acc_bits: u32,
    /// Which dataflows the PE supports.
    pub dataflow: Dataflow,
    /// Where its multiplier lives.
    pub mul: MulKind,
    /// The array broadcasts each row's input (`array.broadcast`, weight-stationary only):
    /// the PE passes nothing to the right, and its weights are a shadow register and the
    /// active weight (in the pair multiplier's operand register for a pair PE).
    pub broadcast: bool,
    /// A broadcast array's first row: no partial sum comes in, and the product (already
    /// registered) leaves as the partial sum, with no register of its own; the second
    /// row adds both rows' products (the array gives rows 0 and 1 the same input skew).
    pub first_row: bool,
}

impl PeParams {
    /// The PE of an array configuration, with multiplier `mul`.
    pub fn new(a: &ArrayConfig, mul: MulKind) -> Self {
        let psum_bits = super::systolic_array::psum_bits(a);
        PeParams {
            input_bits: a.input_bits,
            psum_bits,
            acc_bits: a.acc_bits,
            dataflow: a.dataflow,
            mul,
            broadcast: a.broadcast,
            first_row: false,
        }
    }
}

/// Name of the PE module for these parameters.
pub fn module_name(prefix: &str, p: &PeParams) -> String {
    let top = if p.first_row { "_top" } else { "" };
    format!("{prefix}_pe_{}{top}", p.mul.word())
}

/// Build (once) the PE module `<prefix>_pe_<dsp|soft|pair>` into `design`.
pub fn build(design: &mut Design, prefix: &str, p: PeParams) -> Result<ModuleId, CheckErrors> {
    let name = module_name(prefix, &p);
    if let Some(id) = design.find(&name) {
        return Ok(id);
    }
    let (ib, pb, ab) = (p.input_bits, p.psum_bits, p.acc_bits);
    let mul_id = match p.mul {
        MulKind::Pair => None,
        MulKind::Soft => Some(mul::build_soft_registered(design, prefix, ib, ib)?),
        MulKind::Dsp => Some(mul::build(design, prefix, MulKind::Dsp, ib, ib)?),
    };
    let (ws, os) = (p.dataflow.has_ws(), p.dataflow.has_os());
    if os && pb != ab {
        return Err(CheckErrors(vec![CheckError::Parameter {
            module: name,
            parameter: "psum_bits".into(),
            value: pb.to_string(),
            allowed: format!("{ab} (acc_bits: the output-stationary results travel down the psum chain)"),
        }]));
    }
    if (p.broadcast || p.first_row) && (p.dataflow != Dataflow::Ws || !p.broadcast) {
        return Err(CheckErrors(vec![CheckError::Parameter {
            module: name,
            parameter: "broadcast".into(),
            value: "true".into(),
            allowed: "false unless the dataflow is weight-stationary only (first_row: broadcast only)".into(),
        }]));
    }
    if pb < 2 * ib {
        return Err(CheckErrors(vec![CheckError::Parameter {
            module: name,
            parameter: "psum_bits".into(),
            value: pb.to_string(),
            allowed: format!("{} or more (2 x input_bits: one full product)", 2 * ib),
        }]));
    }

    let mut m = ModuleBuilder::new(name);
    m.doc(match p.dataflow {
        Dataflow::Ws if p.broadcast => match p.mul {
            MulKind::Pair => "Weight-stationary MAC PE of a broadcast row: psum_o <= psum_i + prod_i, with prod_i the product of the row's input and mul_b_o (the shadow weight, which the pair multiplier's operand register takes while the row's swap is high).",
            _ => "Weight-stationary MAC PE of a broadcast row: psum_o <= psum_i + a_i * weight; the weight register takes the shadow weight while swap_i is high.",
        },
        Dataflow::Ws => "Weight-stationary MAC PE with double-buffered weights: psum_o <= psum_i + a_i * weight[sel_i]; a_i and sel_i pass right, registered, while en_i is high.",
        Dataflow::Os => "Output-stationary MAC PE: acc <= (f_i ? 0 : acc) + a_i * b_i when v_i; a_i, v_i, f_i pass right and b_i down; os_copy_i loads acc into the psum chain, which shifts down.",
        Dataflow::Both => "MAC PE for both dataflows (mode_i: 0 weight-stationary with double-buffered weights, 1 output-stationary with a copy-and-shift result chain); one multiplier shared.",
    });
    m.param("input_bits", ib);
    m.param("psum_bits", pb);
    if os {
        m.param("acc_bits", ab);
    }
    m.param("dataflow", format!("{:?}", p.dataflow).to_lowercase());
    m.param("multiplier", p.mul.word());
    if p.broadcast {
        m.param("broadcast", 1);
    }
    if p.first_row {
        m.param("first_row", 1);
    }

    let en = m.input("en_i", 1);
    let mode = (ws && os).then(|| m.input("mode_i", 1));
    // A broadcast row's pair multiplier takes the row's input and swap itself.
    let held = p.broadcast && p.mul == MulKind::Pair;
    let a_i = (!held).then(|| m.input("a_i", ib));
    let psum_i = (!p.first_row).then(|| m.input("psum_i", pb));
    let a_o = (!p.broadcast).then(|| m.output("a_o", ib));
    let psum_o = m.output("psum_o", pb);

    if let (Some(a_o), Some(a_i)) = (a_o, a_i) {
        let a = m.reg("a", ib).enable(en).build();
        m.next(a, a_i);
        m.assign(a_o, a);
    }

    // Weight-stationary: the double-buffered weights and the bank select.
    let mut ws_weight = None;
    if ws && p.broadcast {
        // A shadow weight, written while the next tile loads, and the active one, which
        // takes the shadow while swap_i is high (from a tile's first input on, until its
        // next input): a pair PE's active weight is the pair multiplier's operand
        // register, which loads mul_b_o under the same condition.
        let w_i = m.input("w_i", ib);
        let w_we_i = m.input("w_we_i", 1);
        let shadow = m.reg("shadow", ib).enable(w_we_i).build();
        m.next(shadow, w_i);
        ws_weight = Some(if held {
            shadow.q
        } else {
            let swap_i = m.input("swap_i", 1);
            let take = m.and(en, swap_i);
            let active = m.reg("weight", ib).enable(take).build();
            m.next(active, shadow);
            let w = m.mux(swap_i, shadow, active);
            m.named("weight_now", w)
        });
    } else if ws {
        let sel_i = m.input("sel_i", 1);
        let w_i = m.input("w_i", ib);
        let w_we_i = m.input("w_we_i", 1);
        let w_bank_i = m.input("w_bank_i", 1);
        let sel_o = m.output("sel_o", 1);
        let sel = m.reg("sel", 1).enable(en).build();
        m.next(sel, sel_i);
        m.assign(sel_o, sel);
        let nb = m.not(w_bank_i);
        let we0 = m.and(w_we_i, nb);
        let we1 = m.and(w_we_i, w_bank_i);
        let w0 = m.reg("weight0", ib).enable(we0).build();
        let w1 = m.reg("weight1", ib).enable(we1).build();
        m.next(w0, w_i);
        m.next(w1, w_i);
        let w = m.mux(sel_i, w1, w0);
        ws_weight = Some(m.named("weight", w));
    }

    // Output-stationary: b passes down, valid and first pass right.
    let mut os_ports = None;
    if os {
        let b_i = m.input("b_i", ib);
        let v_i = m.input("v_i", 1);
        let f_i = m.input("f_i", 1);
        let copy_i = m.input("os_copy_i", 1);
        let b_o = m.output("b_o", ib);
        let v_o = m.output("v_o", 1);
        let f_o = m.output("f_o", 1);
        let mut regs = Vec::new();
        for (name, input, output, width) in [("b", b_i, b_o, ib), ("v", v_i, v_o, 1), ("f", f_i, f_o, 1)] {
            let r = m.reg(name, width).enable(en).build();
            m.next(r, input);
            m.assign(output, r);
            regs.push(r.q);
        }
        // The product comes MUL_STAGES cycles after its operands: the valid and first
        // flags of its beat wait as long, in their registers and one more each.
        let mut late = Vec::new();
        for (name, first) in [("v_late", regs[1]), ("f_late", regs[2])] {
            let r = m.reg(name, 1).enable(en).build();
            m.next(r, first);
            late.push(r.q);
        }
        os_ports = Some((b_i, late[0], late[1], copy_i));
    }

    // The multiplier's second operand.
    let operand = match (ws_weight, os_ports, mode) {
        (Some(w), Some((b_i, ..)), Some(mode)) => {
            let x = m.mux(mode, b_i, w);
            m.named("mul_b", x)
        }
        (Some(w), None, _) => w,
        (None, Some((b_i, ..)), _) => b_i,
        _ => unreachable!("a PE supports at least one dataflow"),
    };
    // The multiplier takes MUL_STAGES cycles (while en_i is high): a DSP multiply has
    // registered operands and product, which the DSP block keeps inside; the soft
    // multiplier registers its partial products, so that the Booth rows and the adder tree
    // each have a cycle of their own, and then the product.
    let prod = match mul_id {
        Some(id) => {
            let a_i = a_i.expect("a PE with its own multiplier reads a_i");
            let mult = m.instance("u_mul", design, id);
            if p.mul == MulKind::Soft {
                m.connect(mult, "en_i", en);
                m.connect(mult, "a_i", a_i);
                m.connect(mult, "b_i", operand);
            } else {
                let op_a = m.reg("mul_a", ib).enable(en).build();
                m.next(op_a, a_i);
                let op_b = m.reg("mul_b", ib).enable(en).build();
                m.next(op_b, operand);
                m.connect(mult, "a_i", op_a.q);
                m.connect(mult, "b_i", op_b.q);
            }
            let p = m.connect_wire(mult, "p_o", "mul_p");
            let r = m.reg("prod", 2 * ib).enable(en).build();
            m.next(r, p);
            r.q
        }
        None => {
            let mul_b = m.output("mul_b_o", ib);
            m.assign(mul_b, operand);
            m.input("prod_i", 2 * ib)
        }
    };
    let prod_ext = m.sext(prod, pb);

    if p.first_row {
        // The first row of a broadcast array: the registered product is the partial sum.
        m.assign(psum_o, prod_ext);
        if held {
            // Nothing of its own advances: the pair multiplier registers its product.
            m.mark_unused(en);
        }
        return design.add(m);
    }
    let psum_i = psum_i.expect("a PE below the first row reads psum_i");
    let psum = m.reg("psum", pb).enable(en).build();
    let ws_next = ws.then(|| m.add(psum_i, prod_ext));
    let os_next = os_ports.map(|(_, v_q, f_q, copy_i)| {
        let acc = m.reg("acc", ab).build();
        let acc_en = m.and(en, v_q);
        m.set_enable(acc, acc_en);
        let sum = m.add(acc, prod_ext);
        let acc_next = m.mux(f_q, prod_ext, sum);
        m.next(acc, acc_next);
        m.mux(copy_i, acc, psum_i)
    });
    let psum_next = match (ws_next, os_next, mode) {
        (Some(w), Some(o), Some(mode)) => m.mux(mode, o, w),
        (Some(w), None, _) => w,
        (None, Some(o), _) => o,
        _ => unreachable!("a PE supports at least one dataflow"),
    };
    m.next(psum, psum_next);
    m.assign(psum_o, psum);
    design.add(m)
}
