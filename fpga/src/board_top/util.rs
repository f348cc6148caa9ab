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

/// `x <= c` for a constant `c`, as equalities on runs of bits rather than a subtraction
/// (which the synthesizer would make a carry chain): from the most significant bit down,
/// a run of 0s in `c` needs those bits of `x` all 0, and a run of 1s lets them be
/// anything but all 1s, or all 1s with the rest of `x` at most the rest of `c`. So
/// `x[17:0] <= 2^17` is `~x[17] | (x[16:0] == 0)`.
pub(crate) fn le_const(m: &mut ModuleBuilder, x: impl IntoExpr, c: u64) -> ExprId {
    let x = x.into_expr(m);
    let w = m.width(x);
    if w >= 64 || c >= (1u64 << w) - 1 {
        return m.lit(1, 1);
    }
    // Runs of equal bits of `c`, from the top: (lowest bit, width, bit value).
    let mut runs = Vec::new();
    let mut hi = w;
    while hi > 0 {
        let bit = c >> (hi - 1) & 1;
        let mut lo = hi - 1;
        while lo > 0 && c >> (lo - 1) & 1 == bit {
            lo -= 1;
        }
        runs.push((lo, hi - lo, bit == 1));
        hi = lo;
    }
    // Build from the lowest run up; `None` is "true".
    let mut rest: Option<ExprId> = None;
    for &(lo, width, ones) in runs.iter().rev() {
        let part = m.slice(x, lo, width);
        rest = if ones {
            match rest {
                None => None,
                Some(r) => {
                    let all = if width == 1 { part } else { m.all(part) };
                    let not_all = m.not(all);
                    Some(m.or(not_all, r))
                }
            }
        } else {
            let zero = m.eq_const(part, 0);
            Some(match rest {
                None => zero,
                Some(r) => m.and(zero, r),
            })
        };
    }
    rest.unwrap_or_else(|| m.lit(1, 1))
}

/// `x < c` for a constant `c`; see [`le_const`].
pub(crate) fn lt_const(m: &mut ModuleBuilder, x: impl IntoExpr, c: u64) -> ExprId {
    if c == 0 {
        m.lit(0, 1)
    } else {
        le_const(m, x, c - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtl_gen::sim::{Interp, Simulator};
    use rtl_gen::Design;

    /// Every value of a few widths against every constant that matters.
    #[test]
    fn le_const_matches_the_comparison() {
        for w in [1u32, 3, 6] {
            for c in 0..(1u64 << w) + 2 {
                let mut m = ModuleBuilder::new("t_le");
                let x = m.input("x_i", w);
                let le = m.output("le_o", 1);
                let lt = m.output("lt_o", 1);
                let echo = m.output("x_o", w);
                m.assign(echo, x);
                let e = le_const(&mut m, x, c);
                m.assign(le, e);
                let e = lt_const(&mut m, x, c);
                m.assign(lt, e);
                let mut d = Design::new();
                let top = d.add(m).unwrap_or_else(|e| panic!("{e}"));
                let mut sim = Interp::new(&d, top).unwrap_or_else(|e| panic!("{e}"));
                for v in 0..1u64 << w {
                    sim.set("x_i", v as i64);
                    assert_eq!(sim.get("le_o") == 1, v <= c, "{v} <= {c} on {w} bits");
                    assert_eq!(sim.get("lt_o") == 1, v < c, "{v} < {c} on {w} bits");
                }
            }
        }
    }
}
