//! The command decoder: which instruction a 128-bit command is, and whether it is legal
//! at all, with exactly the checks of [`crate::isa::Instr::decode`] (opcode, every
//! reserved bit, every field range), so that the controller and the golden model reject
//! the same commands.
//!
//! Ports: `cmd_i[128]` (`{w3, w2, w1, w0}`), and one-hot outputs `config_ex_o`,
//! `config_ld_o`, `config_st_o`, `mvin_o`, `mvout_o`, `preload_o`, `compute_o`,
//! `fence_o`, all low when `illegal_o` is high. Purely combinational.

use crate::isa::opcode;
use rtl_gen::{CheckErrors, Design, ExprId, ModuleBuilder, ModuleId, SignalId};

/// The one-hot outputs, in port order.
pub const OPS: [&str; 8] = ["config_ex", "config_ld", "config_st", "mvin", "mvout", "preload", "compute", "fence"];

/// Word `i` (0 to 3) of a 128-bit command signal.
pub fn word(m: &mut ModuleBuilder, cmd: impl rtl_gen::IntoExpr, i: u32) -> ExprId {
    m.slice(cmd, 32 * i, 32)
}

/// True when `x & mask` is zero.
fn zero_under(m: &mut ModuleBuilder, x: ExprId, mask: u32) -> ExprId {
    if mask == 0 {
        return m.lit(1, 1);
    }
    let k = m.lit(mask.into(), 32);
    let masked = m.and(x, k);
    let z = m.lit(0, 32);
    m.eq(masked, z)
}

/// Build `<prefix>_decoder`.
pub fn build(design: &mut Design, prefix: &str) -> Result<ModuleId, CheckErrors> {
    let name = format!("{prefix}_decoder");
    if let Some(id) = design.find(&name) {
        return Ok(id);
    }
    let mut m = ModuleBuilder::new(name);
    m.doc(
        "Command decoder: one-hot opcode outputs and illegal_o, with every reserved-bit and field check of \
         the instruction set (docs/isa.md); combinational.",
    );
    let cmd = m.input("cmd_i", 128);
    // Operand fields (addresses, counts) are not the decoder's business.
    m.mark_unused(cmd);
    let outs: Vec<SignalId> = OPS.iter().map(|n| m.output(format!("{n}_o"), 1)).collect();
    let illegal_o = m.output("illegal_o", 1);

    let w: Vec<ExprId> = (0..4).map(|i| word(&mut m, cmd, i)).collect();
    let op = m.slice(w[0], 0, 8);
    let is = |m: &mut ModuleBuilder, code: u8| {
        let k = m.lit(code.into(), 8);
        m.eq(op, k)
    };
    let all = u32::MAX;
    let and_all = |m: &mut ModuleBuilder, xs: Vec<ExprId>| xs.into_iter().reduce(|a, b| m.and(a, b)).expect("terms");
    let nonzero16 = |m: &mut ModuleBuilder, x: ExprId, lo: u32| {
        let f = m.slice(x, lo, 16);
        m.any(f)
    };
    // Local-address rules: flags (bits 31..29) only with the accumulator (bit 31).
    let local_ok = {
        let acc = m.bit(w[2], 31);
        let flags = m.slice(w[2], 29, 2);
        let nf = m.any(flags);
        let bad = {
            let sp = m.not(acc);
            m.and(sp, nf)
        };
        m.not(bad)
    };
    let acc_bit = m.bit(w[2], 31);
    let accumulate = m.bit(w[2], 30);
    let raw = m.bit(w[2], 29);

    // config_ex: w2, w3 zero; activation code 3 illegal.
    let cfg_ex_ok = {
        let act = m.slice(w[0], 9, 2);
        let three = m.lit(3, 2);
        let act_ok = m.ne(act, three);
        let z2 = zero_under(&mut m, w[2], all);
        let z3 = zero_under(&mut m, w[3], all);
        and_all(&mut m, vec![act_ok, z2, z3])
    };
    let cfg_ls_ok = {
        let z0 = zero_under(&mut m, w[0], !0xff);
        let z2 = zero_under(&mut m, w[2], all);
        let z3 = zero_under(&mut m, w[3], all);
        and_all(&mut m, vec![z0, z2, z3])
    };
    let mv_common = {
        let z0 = zero_under(&mut m, w[0], !0xff);
        let r = nonzero16(&mut m, w[3], 0);
        let c = nonzero16(&mut m, w[3], 16);
        and_all(&mut m, vec![z0, local_ok, r, c])
    };
    let mvin_ok = {
        let nr = m.not(raw);
        m.and(mv_common, nr)
    };
    let mvout_ok = {
        let na = m.not(accumulate);
        m.and(mv_common, na)
    };
    let preload_ok = {
        let z0 = zero_under(&mut m, w[0], !0xff);
        let z1 = zero_under(&mut m, w[1], all);
        let z3 = zero_under(&mut m, w[3], 0xffff_0000);
        let r = nonzero16(&mut m, w[3], 0);
        let flags = m.or(accumulate, raw);
        let nflags = m.not(flags);
        // An accumulator preload is exactly one row.
        let one_row = {
            let rows = m.slice(w[3], 0, 16);
            let one = m.lit(1, 16);
            let is_one = m.eq(rows, one);
            let sp = m.not(acc_bit);
            m.or(sp, is_one)
        };
        and_all(&mut m, vec![z0, z1, z3, r, nflags, one_row, local_ok])
    };
    let compute_ok = {
        let z3 = zero_under(&mut m, w[3], 0xffff_0000);
        let a_ok = zero_under(&mut m, w[1], 0xe000_0000);
        let n = nonzero16(&mut m, w[3], 0);
        let nraw = m.not(raw);
        and_all(&mut m, vec![z3, a_ok, n, acc_bit, nraw])
    };
    let fence_ok = {
        let z0 = zero_under(&mut m, w[0], !0xff);
        let z1 = zero_under(&mut m, w[1], all);
        let z2 = zero_under(&mut m, w[2], all);
        let z3 = zero_under(&mut m, w[3], all);
        and_all(&mut m, vec![z0, z1, z2, z3])
    };

    let table = [
        (opcode::CONFIG_EX, cfg_ex_ok),
        (opcode::CONFIG_LD, cfg_ls_ok),
        (opcode::CONFIG_ST, cfg_ls_ok),
        (opcode::MVIN, mvin_ok),
        (opcode::MVOUT, mvout_ok),
        (opcode::PRELOAD, preload_ok),
        (opcode::COMPUTE, compute_ok),
        (opcode::FENCE, fence_ok),
    ];
    let mut legal_terms = Vec::new();
    for ((code, ok), out) in table.into_iter().zip(&outs) {
        let hit = is(&mut m, code);
        let v = m.and(hit, ok);
        m.assign(*out, v);
        legal_terms.push(v);
    }
    let legal = legal_terms.into_iter().reduce(|a, b| m.or(a, b)).expect("ops");
    let illegal = m.not(legal);
    m.assign(illegal_o, illegal);
    design.add(m)
}
