//! A signed multiplier in logic: shifted partial products, the last one (the sign bit of
//! `b`) subtracted, summed by adders. No `*` appears, so synthesis cannot put it in a DSP.

use rtl_gen::{CheckErrors, Design, ModuleBuilder, ModuleId};

/// Build the soft multiplier module `name` (ports as in [`super::mul`]).
pub fn build(design: &mut Design, name: &str, a_bits: u32, b_bits: u32) -> Result<ModuleId, CheckErrors> {
    let w = a_bits + b_bits;
    let mut m = ModuleBuilder::new(name);
    m.doc(
        "Signed multiplier in logic: p_o = a_i * b_i, full width, combinational. The partial \
         product of b_i's sign bit is subtracted (two's complement); no DSP block is used.",
    );
    m.param("a_bits", a_bits);
    m.param("b_bits", b_bits);
    let a = m.input("a_i", a_bits);
    let b = m.input("b_i", b_bits);
    let p = m.output("p_o", w);
    let a_ext = m.sext(a, w);
    let zero = m.lit(0, w);
    let mut sum = zero;
    for j in 0..b_bits {
        let amount = m.lit(u64::from(j), 8);
        let shifted = m.shl(a_ext, amount);
        let bit = m.bit(b, j);
        let pp = m.mux(bit, shifted, zero);
        sum = if j + 1 == b_bits { m.sub(sum, pp) } else { m.add(sum, pp) };
    }
    m.assign(p, sum);
    design.add(m)
}
