//! A signed multiplier in logic: radix-4 Booth partial products summed by a balanced tree
//! of adders. No `*` appears, so synthesis cannot put it in a DSP block.
//!
//! For `p = x * y` (both signed, `n` and `m` bits, `y` the shorter operand):
//!
//! - **Booth recoding** of `y`: each pair of bits, with the bit below it, gives one digit
//!   `d_k` in {-2, -1, 0, 1, 2} (wires `one<k>`, `two<k>`, `neg<k>`), so there are
//!   `ceil(m / 2)` partial products instead of `m`. Recoding the shorter operand gives the
//!   fewest rows: a 16x4 product has 2 rows of 17 bits, not 8 rows of 5.
//! - **Partial products** `pp<k> = d_k * x`, `n + 1` bits at column `2k`: the magnitude
//!   (`pp<k>_abs`: 0, `x` or `2x`), inverted when the digit is negative (`pp<k>_cpl`). The
//!   `+1` that completes the negation (the bit `neg<k>`) goes into the free low column of
//!   the next row; the last one is an operand of its own.
//! - **No sign extension**: each row's sign bit is inverted and the constant that makes
//!   this exact (`-sum 2^(2k+n)`) is folded into the tops of the rows as constant bits,
//!   the inverted sign, or the sign itself. No subtraction and no extra constant row.
//! - **A balanced adder tree** (`sum_l<level>_<i>`): operands are paired level by level;
//!   each adder covers only the columns where both operands have bits, the lower columns
//!   pass through. Every adder maps to one carry chain (SB_CARRY on iCE40, CCU2C on ECP5).
//!
//! Measured with Yosys 0.70, as emitted here (LUT4 sites: SB_LUT4 on iCE40; LUT4 plus two
//! per CCU2C on ECP5):
//!
//! | size  | this (iCE40) | shift-add chain it replaced | this (ECP5) | chain (ECP5) |
//! |-------|--------------|-----------------------------|-------------|--------------|
//! | 8x8   | 110          | 177                         | 112         | 327          |
//! | 16x16 | 420          | 767                         | 424         | 1386         |
//!
//! (A plain `*` without DSP inference is as large as the chain; Yosys's own `booth` pass
//! gives 127 at 8x8 on iCE40, Baugh-Wooley rows in the same tree 138.) The price is speed:
//! the adder tree is log2(rows) + 1 carry chains in series, so a registered 8x8 runs at
//! about 40 MHz on the UP5K (the chain: 42) and 115 MHz on the ECP5-85F (the chain: 120 to
//! 127). Summing the same rows as one multi-operand add, which Yosys turns into full-adder
//! logic and one carry chain, is faster (136 MHz on ECP5) but larger (131 SB_LUT4, 182
//! ECP5 LUTs): soft multipliers exist to fit PEs beyond a device's DSPs, so area wins.

use rtl_gen::check::{CheckError, MAX_WIDTH};
use rtl_gen::{CheckErrors, Design, ExprId, ModuleBuilder, ModuleId};

/// One operand of the adder tree: `value` holds columns `lo .. lo + width` of the product.
#[derive(Clone, Copy, Debug)]
struct Term {
    value: ExprId,
    lo: u32,
    width: u32,
}

impl Term {
    fn hi(&self) -> u32 {
        self.lo + self.width - 1
    }
}

/// Build the soft multiplier module `name` (ports as in [`super::mul`]).
pub fn build(design: &mut Design, name: &str, a_bits: u32, b_bits: u32) -> Result<ModuleId, CheckErrors> {
    build_staged(design, name, a_bits, b_bits, false)
}

/// Build the soft multiplier module `name` with its partial products registered while
/// `en_i` is high (`clk_i`, `en_i` ports): `p_o` is the product of the operands of the
/// last enabled edge, combinational after it. The Booth rows and the adder tree each
/// get a cycle of their own, as a DSP's input register and multiplier do.
pub fn build_registered(design: &mut Design, name: &str, a_bits: u32, b_bits: u32) -> Result<ModuleId, CheckErrors> {
    build_staged(design, name, a_bits, b_bits, true)
}

fn build_staged(
    design: &mut Design,
    name: &str,
    a_bits: u32,
    b_bits: u32,
    registered: bool,
) -> Result<ModuleId, CheckErrors> {
    let bad = |port: &str, width: u32| CheckError::BadWidth {
        module: name.to_string(),
        what: "port",
        name: port.to_string(),
        width,
        max: MAX_WIDTH,
    };
    let mut errors = Vec::new();
    if a_bits == 0 {
        errors.push(bad("a_i", a_bits));
    }
    if b_bits == 0 {
        errors.push(bad("b_i", b_bits));
    }
    if a_bits.saturating_add(b_bits) > MAX_WIDTH {
        errors.push(bad("p_o", a_bits.saturating_add(b_bits)));
    }
    if !errors.is_empty() {
        return Err(CheckErrors(errors));
    }

    let w = a_bits + b_bits;
    let mut m = ModuleBuilder::new(name);
    if registered {
        m.doc(
            "Signed multiplier in logic, two stages: radix-4 Booth partial products of the \
             shorter operand (pp<k>, sign extension folded into constant bits) registered \
             while en_i is high (row<k>), then summed by a balanced adder tree \
             (sum_l<level>_<i>): p_o = a_i * b_i of the last enabled edge, full width; no \
             DSP block.",
        );
    } else {
        m.doc(
            "Signed multiplier in logic: p_o = a_i * b_i, full width, combinational. Radix-4 \
             Booth partial products of the shorter operand (pp<k>), sign extension folded into \
             constant bits, summed by a balanced adder tree (sum_l<level>_<i>); no DSP block.",
        );
    }
    m.param("a_bits", a_bits);
    m.param("b_bits", b_bits);
    let en = registered.then(|| m.input("en_i", 1));
    let a = m.input("a_i", a_bits);
    let b = m.input("b_i", b_bits);
    let p = m.output("p_o", w);

    let (x, n, y, y_bits) = if b_bits <= a_bits {
        let (x, y) = (m.sig(a), m.sig(b));
        (x, a_bits, y, b_bits)
    } else {
        let (x, y) = (m.sig(b), m.sig(a));
        (x, b_bits, y, a_bits)
    };
    let mut terms = partial_products(&mut m, x, n, y, y_bits);
    if let Some(en) = en {
        for (i, t) in terms.iter_mut().enumerate() {
            let r = m.reg(format!("row{i}"), t.width).enable(en).build();
            m.next(r, t.value);
            t.value = m.sig(r.q);
        }
    }
    let sum = adder_tree(&mut m, terms, w);
    let product = m.zext(sum.value, w);
    m.assign(p, product);
    design.add(m)
}

/// The Booth digit of group `k` of `y`: (`one`, `two`, `neg`); `two` is `None` where it is
/// always 0 (the top group of an odd-width `y`, whose upper bit repeats the sign).
fn booth_digit(m: &mut ModuleBuilder, y: ExprId, y_bits: u32, k: u32) -> (ExprId, Option<ExprId>, ExprId) {
    let bit = |m: &mut ModuleBuilder, j: u32| m.bit(y, j.min(y_bits - 1));
    let hi_is_sign_copy = 2 * k + 1 >= y_bits;
    let y1 = bit(m, 2 * k);
    let y0 = if k == 0 { None } else { Some(bit(m, 2 * k - 1)) };
    let (one, two, neg) = match (y0, hi_is_sign_copy) {
        // d = -2*y2 + y1: one = y1, two = y2 & ~y1, neg = y2.
        (None, false) => {
            let y2 = bit(m, 2 * k + 1);
            let not_y1 = m.not(y1);
            (y1, Some(m.and(y2, not_y1)), y2)
        }
        // y2 == y1 (1-bit y): d = -y1.
        (None, true) => (y1, None, y1),
        (Some(y0), false) => {
            let y2 = bit(m, 2 * k + 1);
            let one = m.xor(y1, y0);
            let (n2, n1, n0) = (m.not(y2), m.not(y1), m.not(y0));
            let down = m.and(y2, n1);
            let down = m.and(down, n0);
            let up = m.and(n2, y1);
            let up = m.and(up, y0);
            let two = m.or(down, up);
            let both = m.and(y1, y0);
            let not_both = m.not(both);
            (one, Some(two), m.and(y2, not_both))
        }
        // y2 == y1: d = -y1 + y0, never +-2.
        (Some(y0), true) => {
            let one = m.xor(y1, y0);
            let n0 = m.not(y0);
            (one, None, m.and(y1, n0))
        }
    };
    let one = m.named(format!("one{k}"), one);
    let two = two.map(|t| m.named(format!("two{k}"), t));
    let neg = m.named(format!("neg{k}"), neg);
    (m.sig(one), two.map(|t| m.sig(t)), m.sig(neg))
}

/// The Booth partial-product rows of `x * y` (`n` and `y_bits` bits), each at its column,
/// with the sign-extension constant folded in, and the last negation bit as a term of its
/// own.
fn partial_products(m: &mut ModuleBuilder, x: ExprId, n: u32, y: ExprId, y_bits: u32) -> Vec<Term> {
    let w = n + y_bits;
    let groups = y_bits.div_ceil(2);
    let x_ext = m.sext(x, n + 1);
    let zero = m.lit(0, 1);
    let x_twice = m.concat([x, zero]);
    let row_zero = m.lit(0, n + 1);

    // A row's sign bit s at column t = 2k + n weighs -s * 2^t; writing ~s = 1 - s there
    // instead adds 2^t, so the constant -sum_k 2^(2k+n) (mod 2^w) restores the value. Its
    // bits are folded into the row tops below.
    let mut constant = vec![false; w as usize];
    for k in 0..groups {
        sub_pow2(&mut constant, 2 * k + n);
    }

    let mut terms = Vec::new();
    let mut prev_neg: Option<ExprId> = None;
    for k in 0..groups {
        let (one, two, neg) = booth_digit(m, y, y_bits, k);
        let doubled = match two {
            Some(t) => m.mux(t, x_twice, row_zero),
            None => row_zero,
        };
        let abs = m.mux(one, x_ext, doubled);
        let abs = m.named(format!("pp{k}_abs"), abs);
        let neg_mask = m.sext(neg, n + 1);
        let cpl = m.xor(abs, neg_mask);
        let cpl = m.named(format!("pp{k}_cpl"), cpl);

        // Columns [top, next_top) of the constant go on top of this row: with s the sign
        // bit, the row's top holds ~s + c (c the constant's bits there, shifted down), a
        // value whose every bit is 0, 1, s or ~s.
        let top = 2 * k + n;
        let next_top = if k + 1 < groups { top + 2 } else { w };
        let sign = m.bit(cpl, n);
        let not_sign = m.not(sign);
        let mut top_bits = vec![not_sign];
        if top < w {
            let window: Vec<bool> = (top..w).map(|c| c < next_top && constant[c as usize]).collect();
            if window.iter().any(|b| *b) {
                for c in top..next_top.min(w) {
                    constant[c as usize] = false;
                }
                // ~s + c: for s = 1 it is c, for s = 0 it is c + 1.
                let with_s = window.clone();
                let mut without_s = window;
                add_one(&mut without_s);
                let last = with_s.iter().zip(&without_s).rposition(|(a, b)| *a || *b).unwrap_or(0);
                top_bits = (0..=last)
                    .map(|i| match (with_s[i], without_s[i]) {
                        (false, false) => zero,
                        (true, true) => m.lit(1, 1),
                        (false, true) => not_sign,
                        (true, false) => sign,
                    })
                    .collect();
            }
        }

        // Most significant first: the top bits, the rest of the row, and (from the second
        // row on) the previous row's negation bit in this row's free low columns.
        let mut parts: Vec<ExprId> = top_bits.into_iter().rev().collect();
        parts.push(m.slice(cpl, 0, n));
        let mut lo = 2 * k;
        if let Some(pn) = prev_neg {
            parts.push(zero);
            parts.push(pn);
            lo -= 2;
        }
        let row = m.concat(parts);
        let width = m.width(row);
        let row = m.named(format!("pp{k}"), row);
        terms.push(Term { value: m.sig(row), lo, width });
        prev_neg = Some(neg);
    }
    debug_assert!(constant.iter().all(|b| !b), "the whole sign-extension constant is folded into the rows");
    if let Some(neg) = prev_neg {
        terms.push(Term { value: neg, lo: 2 * (groups - 1), width: 1 });
    }
    terms
}

/// Sum `terms` (columns of a `w`-bit product) with a balanced tree of two-input adders.
fn adder_tree(m: &mut ModuleBuilder, mut terms: Vec<Term>, w: u32) -> Term {
    let mut level = 0;
    while terms.len() > 1 {
        let mut next = Vec::with_capacity(terms.len().div_ceil(2));
        for (i, pair) in terms.chunks(2).enumerate() {
            match pair {
                [x, y] => {
                    let sum = add_terms(m, *x, *y, w);
                    let value = m.named(format!("sum_l{level}_{i}"), sum.value);
                    next.push(Term { value: m.sig(value), ..sum });
                }
                [single] => next.push(*single),
                _ => unreachable!("chunks(2) yields one or two terms"),
            }
        }
        terms = next;
        level += 1;
    }
    terms[0]
}

/// `x + y` as a term: the columns below the higher operand pass through, the adder covers
/// the rest, with one carry column more (up to the product's width `w`).
fn add_terms(m: &mut ModuleBuilder, x: Term, y: Term, w: u32) -> Term {
    let (x, y) = if x.lo <= y.lo { (x, y) } else { (y, x) };
    let lo = x.lo;
    if y.lo > x.hi() {
        // No column in common: a concatenation.
        let gap = y.lo - x.hi() - 1;
        let mut parts = vec![y.value];
        if gap > 0 {
            parts.push(m.lit(0, gap));
        }
        parts.push(x.value);
        return Term { value: m.concat(parts), lo, width: y.hi() - lo + 1 };
    }
    let hi = (x.hi().max(y.hi()) + 1).min(w - 1);
    let below = y.lo - x.lo;
    let adder_width = hi - y.lo + 1;
    let x_high = m.slice(x.value, below, x.width - below);
    let x_high = m.zext(x_high, adder_width);
    let y_ext = m.zext(y.value, adder_width);
    let high = m.add(x_high, y_ext);
    let value = if below > 0 {
        let x_low = m.slice(x.value, 0, below);
        m.concat([high, x_low])
    } else {
        high
    };
    Term { value, lo, width: hi - lo + 1 }
}

/// `bits -= 2^at` (two's complement, little-endian, wrapping).
fn sub_pow2(bits: &mut [bool], at: u32) {
    for b in bits.iter_mut().skip(at as usize) {
        *b = !*b;
        if !*b {
            return;
        }
    }
}

/// `bits += 1` (little-endian, wrapping).
fn add_one(bits: &mut [bool]) {
    for b in bits.iter_mut() {
        *b = !*b;
        if *b {
            return;
        }
    }
}
