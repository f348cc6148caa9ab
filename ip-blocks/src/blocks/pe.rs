//! The MAC processing element of the weight-stationary systolic array.
//!
//! Each PE holds one weight. Every cycle it multiplies the input arriving from the left
//! by its weight, adds the partial sum arriving from above, and passes the input to the
//! right and the sum down, both registered. While `w_load_i` is high the weight register
//! takes `w_i` and shows it on `w_o`, so a column of PEs loads its weights as a shift
//! register from the top.

use crate::config::ArrayConfig;
use rtl_gen::{CheckErrors, Design, ModuleBuilder, ModuleId};

/// Parameters of a PE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeParams {
    /// Width of the signed input and weight.
    pub input_bits: u32,
    /// Width of the signed partial sum.
    pub acc_bits: u32,
}

impl From<&ArrayConfig> for PeParams {
    fn from(a: &ArrayConfig) -> Self {
        PeParams { input_bits: a.input_bits, acc_bits: a.acc_bits }
    }
}

/// Build the PE module `<prefix>_pe` into `design`.
pub fn build(design: &mut Design, prefix: &str, p: PeParams) -> Result<ModuleId, CheckErrors> {
    let mut m = ModuleBuilder::new(format!("{prefix}_pe"));
    m.doc(
        "Weight-stationary MAC processing element: psum_o <= psum_i + a_i * weight, \
         a_o <= a_i; the weight loads from w_i while w_load_i is high and is passed on w_o.",
    );
    m.param("input_bits", p.input_bits);
    m.param("acc_bits", p.acc_bits);
    let a_i = m.input("a_i", p.input_bits);
    let psum_i = m.input("psum_i", p.acc_bits);
    let w_i = m.input("w_i", p.input_bits);
    let w_load_i = m.input("w_load_i", 1);
    let a_o = m.output("a_o", p.input_bits);
    let psum_o = m.output("psum_o", p.acc_bits);
    let w_o = m.output("w_o", p.input_bits);

    let weight = m.reg("weight", p.input_bits).enable(w_load_i).build();
    m.next(weight, w_i);

    let prod_bits = 2 * p.input_bits;
    let prod_value = m.mul_signed_full(a_i, weight);
    let prod = m.named("prod", prod_value);
    let prod_ext = m.sext(prod, p.acc_bits);

    let a = m.reg("a", p.input_bits).build();
    m.next(a, a_i);
    let psum = m.reg("psum", p.acc_bits).build();
    let sum = m.add(psum_i, prod_ext);
    m.next(psum, sum);
    debug_assert!(prod_bits <= p.acc_bits);

    m.assign(a_o, a);
    m.assign(psum_o, psum);
    m.assign(w_o, weight);
    design.add(m)
}
