//! Small builder helpers shared by the board-top blocks.

use rtl_gen::{ExprId, IntoExpr, ModuleBuilder};

/// A wire named `name` driven by `value`, as an expression (so that named values mix
/// with other expressions in lists).
pub(crate) fn nm(m: &mut ModuleBuilder, name: impl Into<String>, value: impl IntoExpr) -> ExprId {
    let s = m.named(name, value);
    m.sig(s)
}

/// AND of every term (1 when there is none).
pub(crate) fn and_all(m: &mut ModuleBuilder, terms: &[ExprId]) -> ExprId {
    match terms.split_first() {
        None => m.lit(1, 1),
        Some((first, rest)) => rest.iter().fold(*first, |acc, t| m.and(acc, *t)),
    }
}

/// OR of every term (0 when there is none).
pub(crate) fn or_all(m: &mut ModuleBuilder, terms: &[ExprId]) -> ExprId {
    match terms.split_first() {
        None => m.lit(0, 1),
        Some((first, rest)) => rest.iter().fold(*first, |acc, t| m.or(acc, *t)),
    }
}

/// A priority multiplexer: the value of the first case whose condition is high, else
/// `default`.
pub(crate) fn pick(m: &mut ModuleBuilder, default: impl IntoExpr, cases: &[(ExprId, ExprId)]) -> ExprId {
    let mut v = default.into_expr(m);
    for (cond, value) in cases.iter().rev() {
        v = m.mux(*cond, *value, v);
    }
    v
}

/// One CRC-8 step (polynomial 0x07) in logic: the CRC after `byte`, from `crc` (both
/// 8 bits), as eight shift-and-XOR stages named `<name>_bit<k>` (the last one is the
/// result). [`crate::protocol::crc8_update`] is its reference.
pub(crate) fn crc8_step(m: &mut ModuleBuilder, name: &str, crc: impl IntoExpr, byte: impl IntoExpr) -> ExprId {
    let mut c = m.xor(crc, byte);
    c = nm(m, format!("{name}_in"), c);
    let poly = m.lit(0x07, 8);
    let zero = m.lit(0, 8);
    for k in 0..8 {
        let msb = m.bit(c, 7);
        let low = m.slice(c, 0, 7);
        let z = m.lit(0, 1);
        let shifted = m.concat([low, z]);
        let fb = m.mux(msb, poly, zero);
        c = m.xor(shifted, fb);
        if k < 7 {
            c = nm(m, format!("{name}_bit{k}"), c);
        }
    }
    c
}

/// Bits needed to count from 0 to `n` inclusive.
pub(crate) fn bits_for(n: u64) -> u32 {
    (64 - n.leading_zeros()).max(1)
}

/// `x <= c` for a constant `c`, as AND/OR logic over the bits of `x` (from the most
/// significant down: a 1 in `c` lets a 0 in `x` decide, a 0 in `c` needs a 0 in `x`),
/// so that the synthesizer makes a small LUT tree of it rather than a carry chain.
pub(crate) fn le_const(m: &mut ModuleBuilder, x: impl IntoExpr, c: u64) -> ExprId {
    let x = x.into_expr(m);
    let w = m.width(x);
    if w < 64 && c >= (1u64 << w) - 1 {
        return m.lit(1, 1);
    }
    let mut le = m.lit(1, 1);
    for i in 0..w {
        let bit = m.bit(x, i);
        let zero = m.not(bit);
        le = if c >> i & 1 == 1 { m.or(zero, le) } else { m.and(zero, le) };
    }
    le
}

/// `x < c` for a constant `c`; see [`le_const`].
pub(crate) fn lt_const(m: &mut ModuleBuilder, x: impl IntoExpr, c: u64) -> ExprId {
    if c == 0 {
        m.lit(0, 1)
    } else {
        le_const(m, x, c - 1)
    }
}
