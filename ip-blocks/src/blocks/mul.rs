//! The PE's multiplier as a module of its own, so that the generator decides per PE
//! whether the product is a DSP multiply or soft logic (DESIGN decision 9).
//!
//! Both kinds have the same ports: `a_i` and `b_i`, signed, and `p_o`, their full signed
//! product (`a_bits + b_bits` bits), combinational.

use rtl_gen::{CheckErrors, Design, ModuleBuilder, ModuleId};

/// Where a multiplier's product is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MulKind {
    /// A `*` that synthesis maps to a DSP block (SB_MAC16, MULT18X18D).
    Dsp,
    /// Partial products and adders in logic, with no `*` for synthesis to map to a DSP.
    Soft,
}

impl MulKind {
    /// `dsp` or `soft`, as used in module names.
    pub fn word(self) -> &'static str {
        match self {
            MulKind::Dsp => "dsp",
            MulKind::Soft => "soft",
        }
    }
}

/// Name of the multiplier module of a kind and size.
pub fn module_name(prefix: &str, kind: MulKind, a_bits: u32, b_bits: u32) -> String {
    format!("{prefix}_mul_{}_{a_bits}x{b_bits}", kind.word())
}

/// The multiplier module of `kind` for `a_bits` x `b_bits` signed operands, built into
/// `design` once and reused.
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
