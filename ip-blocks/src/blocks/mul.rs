//! The PE's multiplier as a module of its own, so that the generator decides per PE
//! whether the product is a DSP multiply or soft logic (DESIGN decision 9).
//!
//! - A single multiplier (`<prefix>_mul_<dsp|soft>_<a>x<b>`): `a_i` and `b_i`, signed,
//!   and `p_o`, their full signed product (`a_bits + b_bits` bits), combinational.
//! - A pair multiplier (`<prefix>_mul_pair_<n>x<n>`): two independent signed products
//!   for two PEs side by side, with registered operands and registered products, both
//!   loaded while `en_i` is high: `p0_o` is `a0_i * b0_i` and `p1_o` is `a1_i * b1_i` of
//!   two enabled edges before. It is written with two plain `*` and registers, which any
//!   synthesis maps and any simulator runs; the FPGA flow replaces this one module on
//!   devices that compute two small products in one DSP block (iCE40: one SB_MAC16 in its
//!   8x8 mode with its input and product registers, `fpga::flow::rtl`), so the core
//!   stays generic. Its parameter `multiplier = pair` is what the flow looks for.
//!   In a broadcast array (`array.broadcast`) it has a `b_load_i` input too
//!   (parameter `b_load = 1`): its `b` registers load only while `en_i` and `b_load_i`
//!   are high, so that they hold the two PEs' active weights (on iCE40 the SB_MAC16's B
//!   register with BHOLD).
//! - The requantizer's split product (`<prefix>_mul_split_32x32`, [`build_split`],
//!   `accumulator.product_stages = 2`): a signed 32x32 product as four registered 16x16
//!   partial products (their sum stays in the accumulator), with parameter `multiplier =
//!   split`, which the ECP5 flow replaces by four MULT18X18D with their input and output
//!   registers.

use rtl_gen::ir::Module;
use rtl_gen::{CheckErrors, Design, ModuleBuilder, ModuleId};

/// Where a multiplier's product is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MulKind {
    /// A `*` that synthesis maps to a DSP block (SB_MAC16, MULT18X18D).
    Dsp,
    /// Partial products and adders in logic, with no `*` for synthesis to map to a DSP.
    Soft,
    /// A DSP multiply shared with a neighbouring PE: the PE's operands leave it and its
    /// product comes back from a pair multiplier beside it in the array.
    Pair,
}

impl MulKind {
    /// `dsp`, `soft` or `pair`, as used in module names.
    pub fn word(self) -> &'static str {
        match self {
            MulKind::Dsp => "dsp",
            MulKind::Soft => "soft",
            MulKind::Pair => "pair",
        }
    }
}

/// Name of the multiplier module of a kind and size (a pair multiplier: `a_bits` x
/// `b_bits` per product).
pub fn module_name(prefix: &str, kind: MulKind, a_bits: u32, b_bits: u32) -> String {
    format!("{prefix}_mul_{}_{a_bits}x{b_bits}", kind.word())
}

/// The multiplier module of `kind` for `a_bits` x `b_bits` signed operands (for
/// [`MulKind::Pair`], two such products), built into `design` once and reused.
pub fn build(
    design: &mut Design,
    prefix: &str,
    kind: MulKind,
    a_bits: u32,
    b_bits: u32,
) -> Result<ModuleId, CheckErrors> {
    let name = module_name(prefix, kind, a_bits, b_bits);
    if let Some(id) = design.find(&name) {
        return Ok(id);
    }
    match kind {
        MulKind::Dsp => build_dsp(design, &name, a_bits, b_bits),
        MulKind::Soft => super::soft_mul::build(design, &name, a_bits, b_bits),
        MulKind::Pair => build_pair(design, &name, a_bits, b_bits, false),
    }
}

/// The pair multiplier of a broadcast array: as [`MulKind::Pair`]'s, with `b_load_i`
/// gating its `b` registers (they keep the PEs' active weights). Built into `design` once.
pub fn build_pair_loaded(design: &mut Design, prefix: &str, a_bits: u32, b_bits: u32) -> Result<ModuleId, CheckErrors> {
    let name = module_name(prefix, MulKind::Pair, a_bits, b_bits);
    match design.find(&name) {
        Some(id) => Ok(id),
        None => build_pair(design, &name, a_bits, b_bits, true),
    }
}

/// Name of the two-stage soft multiplier a PE uses ([`build_soft_registered`]).
pub fn soft_registered_name(prefix: &str, a_bits: u32, b_bits: u32) -> String {
    format!("{prefix}_mul_soft_reg_{a_bits}x{b_bits}")
}

/// The soft multiplier with its partial products registered while `en_i` is high
/// (`super::soft_mul::build_registered`), built into `design` once and reused: what a
/// soft PE instances, so that its multiplier takes two cycles like a DSP's.
pub fn build_soft_registered(
    design: &mut Design,
    prefix: &str,
    a_bits: u32,
    b_bits: u32,
) -> Result<ModuleId, CheckErrors> {
    let name = soft_registered_name(prefix, a_bits, b_bits);
    match design.find(&name) {
        Some(id) => Ok(id),
        None => super::soft_mul::build_registered(design, &name, a_bits, b_bits),
    }
}

fn build_dsp(design: &mut Design, name: &str, a_bits: u32, b_bits: u32) -> Result<ModuleId, CheckErrors> {
    let mut m = ModuleBuilder::new(name);
    m.doc("Signed multiplier for a DSP block: p_o = a_i * b_i, full width, combinational.");
    m.param("a_bits", a_bits);
    m.param("b_bits", b_bits);
    let a = m.input("a_i", a_bits);
    let b = m.input("b_i", b_bits);
    let p = m.output("p_o", a_bits + b_bits);
    let prod = m.mul_signed_full(a, b);
    m.assign(p, prod);
    design.add(m)
}

fn build_pair(
    design: &mut Design,
    name: &str,
    a_bits: u32,
    b_bits: u32,
    loaded: bool,
) -> Result<ModuleId, CheckErrors> {
    let mut m = ModuleBuilder::new(name);
    m.doc(if loaded {
        "Two independent signed multipliers for two PEs with registered operands and products (loaded while \
         en_i is high, the b operands only while b_load_i is high too: they hold the active weights): p0 <= a0 \
         * b0, p1 <= a1 * b1, full width, two cycles after a<k>_i. The FPGA flow may replace this module by \
         one DSP block computing both (iCE40: SB_MAC16 in 8x8 mode with its input and product registers, BHOLD \
         = ~b_load_i)."
    } else {
        "Two independent signed multipliers for two PEs with registered operands and products (loaded while \
         en_i is high): p0 <= a0 * b0, p1 <= a1 * b1, full width, two cycles after a<k>_i, b<k>_i. The FPGA \
         flow may replace this module by one DSP block computing both (iCE40: SB_MAC16 in 8x8 mode with its \
         input and product registers)."
    });
    m.param("a_bits", a_bits);
    m.param("b_bits", b_bits);
    m.param("multiplier", MulKind::Pair.word());
    if loaded {
        m.param("b_load", 1);
    }
    let en = m.input("en_i", 1);
    let b_en = if loaded {
        let load = m.input("b_load_i", 1);
        let e = m.and(en, load);
        m.named("b_en", e)
    } else {
        en
    };
    for k in 0..2 {
        let a_in = m.input(format!("a{k}_i"), a_bits);
        let b_in = m.input(format!("b{k}_i"), b_bits);
        let p = m.output(format!("p{k}_o"), a_bits + b_bits);
        let a = m.reg(format!("a{k}"), a_bits).enable(en).build();
        m.next(a, a_in);
        let b = m.reg(format!("b{k}"), b_bits).enable(b_en).build();
        m.next(b, b_in);
        let prod = m.mul_signed_full(a, b);
        let r = m.reg(format!("p{k}"), a_bits + b_bits).enable(en).build();
        m.next(r, prod);
        m.assign(p, r);
    }
    design.add(m)
}

/// True when a pair multiplier module has the `b_load_i` input ([`build_pair_loaded`]).
pub fn pair_loads_b(module: &Module) -> bool {
    module.params.iter().any(|(k, v)| k == "b_load" && v == "1")
}

/// The operand widths (a, b) of a pair multiplier module built by [`build`], or `None`
/// for any other module: how the FPGA flow finds the modules it may replace.
pub fn pair_bits(module: &Module) -> Option<(u32, u32)> {
    let param = |key: &str| module.params.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    if param("multiplier")? != MulKind::Pair.word() {
        return None;
    }
    Some((param("a_bits")?.parse().ok()?, param("b_bits")?.parse().ok()?))
}

/// Name of the requantizer's split 32x32 product ([`build_split`]).
pub fn split_name(prefix: &str) -> String {
    format!("{prefix}_mul_split_32x32")
}

/// The requantizer's signed 32x32 product as four 16x16 partial products, registered
/// (`accumulator.product_stages = 2`), as a module of its own so that the FPGA flow can
/// put each partial product in a DSP block with its input and output registers (ECP5:
/// four MULT18X18D, `fpga::flow::rtl::ecp5`). Ports: `en_i`; `x_i` (32, signed), loaded
/// into `x` while `en_i` is high; `m_i` (32, signed), loaded into `m` every cycle; and,
/// loaded while `en_i` is high, with `x = X1 * 2^16 + X0` and `m = M1 * 2^16 + M0` (`X1`,
/// `M1` signed, `X0`, `M0` unsigned): `ll_o` = `(X0 * M0)[31:16]` (16 bits), `hl_o` =
/// `X1 * M0` (33, signed), `lh_o` = `X0 * M1` (33, signed), `hh_o` = `X1 * M1` (32,
/// signed). Its parameter `multiplier = split` is what the flow looks for. Built into
/// `design` once.
pub fn build_split(design: &mut Design, prefix: &str) -> Result<ModuleId, CheckErrors> {
    let name = split_name(prefix);
    if let Some(id) = design.find(&name) {
        return Ok(id);
    }
    let mut m = ModuleBuilder::new(name);
    m.doc(
        "The requantizer's signed 32x32 product as four 16x16 partial products: x <= x_i while en_i is high, \
         m <= m_i every cycle, and, while en_i is high, ll_o <= (X0 * M0)[31:16], hl_o <= X1 * M0, lh_o <= X0 \
         * M1, hh_o <= X1 * M1 (x = X1 * 2^16 + X0, m = M1 * 2^16 + M0; X1, M1 signed, X0, M0 unsigned). The \
         FPGA flow may replace this module by DSP blocks with their input and output registers (ECP5: four \
         MULT18X18D).",
    );
    m.param("multiplier", "split");
    let en = m.input("en_i", 1);
    let x_in = m.input("x_i", 32);
    let m_in = m.input("m_i", 32);
    let outs = [("ll_o", 16), ("hl_o", 33), ("lh_o", 33), ("hh_o", 32)].map(|(n, w)| m.output(n, w));
    let x = m.reg("x", 32).enable(en).build();
    m.next(x, x_in);
    let y = m.reg("m", 32).build();
    m.next(y, m_in);
    let x = m.sig(x.q);
    let y = m.sig(y.q);
    let digit = |m: &mut ModuleBuilder, name: &str, v: rtl_gen::ExprId, at: u32| {
        let d = m.slice(v, at, 16);
        let d = m.named(name, d);
        m.sig(d)
    };
    let (x0, x1) = (digit(&mut m, "x_lo", x, 0), digit(&mut m, "x_hi", x, 16));
    let (y0, y1) = (digit(&mut m, "m_lo", y, 0), digit(&mut m, "m_hi", y, 16));
    let zero = m.lit(0, 1);
    let x0s = m.concat([zero, x0]); // X0 as a signed 17-bit operand
    let x0s = m.named("x_lo_signed", x0s);
    let y0s = m.concat([zero, y0]);
    let y0s = m.named("m_lo_signed", y0s);
    let x0_32 = m.zext(x0, 32);
    let y0_32 = m.zext(y0, 32);
    let low = m.mul(x0_32, y0_32);
    let low = m.slice(low, 16, 16); // (X0*M0)[15:0] cannot reach the result
    let mid_a = m.mul_signed_full(x1, y0s);
    let mid_b = m.mul_signed_full(x0s, y1);
    let high = m.mul_signed_full(x1, y1);
    for ((name, value), out) in [("ll", low), ("hl", mid_a), ("lh", mid_b), ("hh", high)].into_iter().zip(outs) {
        let width = m.width(value);
        let r = m.reg(name, width).enable(en).build();
        m.next(r, value);
        m.assign(out, r);
    }
    design.add(m)
}

/// True for the requantizer's split product module ([`build_split`]).
pub fn is_split(module: &Module) -> bool {
    module.params.iter().any(|(k, v)| k == "multiplier" && v == "split")
}
