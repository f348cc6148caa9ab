//! The golden reference of the accumulator read-out: bias, requantization, activation
//! and saturation, written from the TFLite/gemmlowp formulas in plain Rust. It knows
//! nothing about the hardware; the accumulator block is tested bit for bit against it.
//!
//! A requantized output is
//!
//! ```text
//! x   = wrap_acc_bits(acc + bias)                  two's complement, as the adder does
//! x32 = saturate_i32(x)                            only matters when acc_bits > 32
//! y   = RDBPOT(SRDHM(x32, multiplier), shift)      TFLite's MultiplyByQuantizedMultiplier
//! y   = activation(y)                              none, max(y, 0), min(max(y, 0), relu6_max)
//! out = saturate_out_bits(y)
//! ```
//!
//! The raw read-out returns the stored accumulator unchanged (no bias). The arithmetic,
//! its two roundings and how to choose `multiplier` and `shift` from a real scale are
//! explained in `docs/requantization.md`.
//!
//! ```
//! use ip_blocks::quant::{requantize, Activation, RequantParams};
//! // Scale 0.5 * 2^-3 = 1/16: 1000 / 16 = 62.5 rounds to 63.
//! let p = RequantParams { multiplier: 1 << 30, shift: 3, activation: Activation::None, relu6_max: 0 };
//! assert_eq!(requantize(1000, 0, 32, 8, &p), 63);
//! // 3000 / 16 = 187.5 -> 188, saturated to int8.
//! assert_eq!(requantize(3000, 0, 32, 8, &p), 127);
//! ```

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Largest right shift of the requantizer (the hardware's `cfg_shift_i` is 5 bits).
pub const SHIFT_MAX: u32 = 31;

/// The activation applied after requantization (hardware code in [`Activation::code`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// No activation: y.
    #[default]
    None,
    /// ReLU: max(y, 0).
    Relu,
    /// ReLU6: min(max(y, 0), relu6_max), relu6_max being the quantized value of 6.0.
    Relu6,
}

impl Activation {
    /// The 2-bit code on the accumulator's `cfg_activation_i`: 0 none, 1 relu, 2 relu6.
    pub fn code(self) -> u64 {
        match self {
            Activation::None => 0,
            Activation::Relu => 1,
            Activation::Relu6 => 2,
        }
    }

    /// The activation of a hardware code; `None` for the reserved code 3 and above.
    pub fn from_code(code: u64) -> Option<Activation> {
        match code {
            0 => Some(Activation::None),
            1 => Some(Activation::Relu),
            2 => Some(Activation::Relu6),
            _ => None,
        }
    }
}

/// Read-out parameters of the requantizer, held stable by the controller.
///
/// `multiplier` may be any `i32`, negative included (a negative scale flips the sign).
/// The real scale applied is `multiplier / 2^31 / 2^shift`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequantParams {
    /// Fixed-point multiplier, Q0.31 (`1 << 30` is 0.5); any value, negative included.
    pub multiplier: i32,
    /// Rounding right shift after the multiply, 0 to [`SHIFT_MAX`].
    pub shift: u32,
    /// Activation after the shift.
    pub activation: Activation,
    /// Upper clamp of ReLU6 (the quantized 6.0), 0 to the largest `out_bits` value.
    pub relu6_max: i32,
}

/// A requantization parameter or scale that the hardware cannot use.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum QuantError {
    /// A field is outside its range.
    #[error("requantization parameter `{field}` = {value} is out of range: {allowed}")]
    Range {
        /// The field (`shift`, `relu6_max`, `out_bits`).
        field: &'static str,
        /// The value given.
        value: String,
        /// The allowed range and why.
        allowed: String,
    },
    /// A real scale has no (multiplier, shift) encoding.
    #[error("scale {scale} cannot be encoded as multiplier / 2^31 / 2^shift: {why}")]
    Scale {
        /// The scale given, printed.
        scale: String,
        /// Why not.
        why: String,
    },
}

impl RequantParams {
    /// Check every field for an output of `out_bits` bits (2 to 32).
    pub fn validate(&self, out_bits: u32) -> Result<(), QuantError> {
        let range = |field: &'static str, value: i64, lo: i64, hi: i64, why: &str| {
            if value < lo || value > hi {
                Err(QuantError::Range { field, value: value.to_string(), allowed: format!("{lo} to {hi}{why}") })
            } else {
                Ok(())
            }
        };
        range("out_bits", out_bits.into(), 2, 32, " bits")?;
        range("shift", self.shift.into(), 0, SHIFT_MAX.into(), " (a right shift of a 32-bit value)")?;
        let max_out = (1i64 << (out_bits - 1)) - 1;
        range(
            "relu6_max",
            self.relu6_max.into(),
            0,
            max_out,
            &format!(" (the quantized 6.0 must be a non-negative {out_bits}-bit value)"),
        )
    }
}

/// gemmlowp's `SaturatingRoundingDoublingHighMul`: the high 32 bits of `2 * a * b`,
/// rounded, i.e. `(a * b + 2^30) >> 31` (floor), which is ARM's VQRDMULH.
///
/// The only overflow, `a == b == i32::MIN` (the product is 2^62), gives `i32::MAX`.
/// Note the rounding: the nudge `1 - 2^30` for negative products and the truncating
/// division make ties go towards +infinity (`-0.5 -> 0`, `0.5 -> 1`, `-1.5 -> -1`), not
/// away from zero.
pub fn saturating_rounding_doubling_high_mul(a: i32, b: i32) -> i32 {
    let overflow = a == b && a == i32::MIN;
    let ab = i64::from(a) * i64::from(b);
    let nudge: i64 = if ab >= 0 { 1 << 30 } else { 1 - (1 << 30) };
    // `/` truncates towards zero, as in C++. |ab| <= 2^62, so the sum cannot overflow.
    let high = (ab + nudge) / (1i64 << 31);
    if overflow {
        i32::MAX
    } else {
        // In range for every other input: |ab| <= 2^62 - 2^31 so |high| <= 2^31 - 1.
        high as i32
    }
}

/// gemmlowp's `RoundingDivideByPOT`: `x / 2^exponent` rounded to nearest, ties away from
/// zero, computed with gemmlowp's mask, remainder and threshold.
///
/// gemmlowp allows exponents 0 to 31; larger ones are computed with the same formula in
/// 64 bits (the result is then -1, 0 or 1), so the function never panics.
pub fn rounding_divide_by_pot(x: i32, exponent: u32) -> i32 {
    // Up to 31 this is gemmlowp's int32 arithmetic exactly: the mask fits in 31 bits
    // and `x64 >> e`, `x64 & mask` equal their 32-bit forms. Beyond 40 nothing changes.
    let e = exponent.min(40);
    let x64 = i64::from(x);
    let mask = (1i64 << e) - 1;
    let remainder = x64 & mask;
    let threshold = (mask >> 1) + i64::from(x < 0);
    let result = (x64 >> e) + i64::from(remainder > threshold);
    // |result| <= 2^31 / 2^e rounded up, so it is an i32 for every e.
    result as i32
}

/// `x` wrapped to a two's-complement number of `bits` bits (1 to 64).
pub fn wrap(x: i64, bits: u32) -> i64 {
    let s = 64 - bits.clamp(1, 64);
    x.wrapping_shl(s).wrapping_shr(s)
}

/// `x` saturated to the signed range of `bits` bits (1 to 64).
pub fn saturate(x: i64, bits: u32) -> i64 {
    let b = bits.clamp(1, 64);
    if b == 64 {
        return x;
    }
    let hi = (1i64 << (b - 1)) - 1;
    let lo = -(1i64 << (b - 1));
    x.max(lo).min(hi)
}

/// The requantized read-out of one accumulator: `acc + bias` wrapped to `acc_bits`,
/// saturated to int32, multiplied by `multiplier / 2^31` and shifted right by `shift`
/// (each with rounding), activated, and saturated to `out_bits`.
///
/// `acc_bits` and `out_bits` are taken in 1 to 64; the parameters are used as given
/// (see [`RequantParams::validate`]): ReLU6 is `min(max(y, 0), relu6_max)` in that
/// order, which the hardware matches even for a negative `relu6_max`.
pub fn requantize(acc: i64, bias: i64, acc_bits: u32, out_bits: u32, p: &RequantParams) -> i64 {
    let x = wrap(acc.wrapping_add(bias), acc_bits);
    let x32 = saturate(x, 32) as i32;
    let y = rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x32, p.multiplier), p.shift);
    let y = match p.activation {
        Activation::None => y,
        Activation::Relu => y.max(0),
        Activation::Relu6 => y.max(0).min(p.relu6_max),
    };
    saturate(y.into(), out_bits)
}

/// The (multiplier, shift) that encodes a real scale in (0, 1) most precisely, as
/// TFLite's `QuantizeMultiplier` does: `scale ~= multiplier / 2^31 / 2^shift` with the
/// multiplier in [2^30, 2^31) (smaller only when the shift is at its maximum, 31).
///
/// A scale of 1 or more cannot be encoded (there is no left shift), nor one so small
/// that the multiplier would round to 0.
pub fn quantize_scale(scale: f64) -> Result<(i32, u32), QuantError> {
    let err = |why: &str| QuantError::Scale { scale: scale.to_string(), why: why.to_string() };
    if !scale.is_finite() || scale <= 0.0 {
        return Err(err("it must be a finite number above 0"));
    }
    if scale >= 1.0 {
        return Err(err("it must be below 1 (the requantizer only shifts right)"));
    }
    let mut shift = 0;
    let mut s = scale;
    while s < 0.5 && shift < SHIFT_MAX {
        s *= 2.0;
        shift += 1;
    }
    let two31 = (1u64 << 31) as f64;
    let mut q = (s * two31).round();
    if q >= two31 {
        // Rounded up to 1.0: renormalize (0.5 with one shift less).
        if shift == 0 {
            return Err(err("it rounds to 1.0, which the Q0.31 multiplier cannot hold"));
        }
        q /= 2.0;
        shift -= 1;
    }
    if q < 1.0 {
        return Err(err("it is below 2^-62 and would give a multiplier of 0"));
    }
    Ok((q as i32, shift))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rp(multiplier: i32, shift: u32, activation: Activation, relu6_max: i32) -> RequantParams {
        RequantParams { multiplier, shift, activation, relu6_max }
    }

    #[test]
    fn srdhm_known_values() {
        let h = saturating_rounding_doubling_high_mul;
        // 2^30 * 2^30 = 2^60; (2^60 + 2^30) / 2^31 = 2^29 + 0.5, truncated: 2^29.
        assert_eq!(h(1 << 30, 1 << 30), 1 << 29);
        // The one overflow: (-2^31)^2 = 2^62, whose doubled high half is 2^31.
        assert_eq!(h(i32::MIN, i32::MIN), i32::MAX);
        // MIN * MAX = -2^62 + 2^31, exactly -(2^31 - 1) * 2^31: no rounding.
        assert_eq!(h(i32::MIN, i32::MAX), -i32::MAX);
        assert_eq!(h(i32::MAX, i32::MIN), -i32::MAX);
        // MAX * MAX = 2^62 - 2^32 + 1: / 2^31 = 2^31 - 2 + 2^-31, rounds to 2^31 - 2.
        assert_eq!(h(i32::MAX, i32::MAX), i32::MAX - 1);
        // Times 0.5: 3 * 0.5 = 1.5 -> 2; 1 * 0.5 = 0.5 -> 1.
        assert_eq!(h(3, 1 << 30), 2);
        assert_eq!(h(1, 1 << 30), 1);
        // Negative ties go up (towards +inf), not away from zero:
        // -1 * 2^30 = -2^30; (-2^30 + 1 - 2^30) / 2^31 = -0.99.. truncates to 0.
        assert_eq!(h(-1, 1 << 30), 0);
        // -3 * 2^30: (-3 * 2^30 + 1 - 2^30) / 2^31 = -1.99.. truncates to -1 (-1.5 -> -1).
        assert_eq!(h(-3, 1 << 30), -1);
        // Non-ties round to nearest: -5 * 0.25 = -1.25 -> -1; -7 * 0.25 = -1.75 -> -2.
        assert_eq!(h(-5, 1 << 29), -1);
        assert_eq!(h(-7, 1 << 29), -2);
        // Negative multipliers: 100 * -0.5 = -50 exactly; MIN * -1/2^31 = 1.
        assert_eq!(h(100, -(1 << 30)), -50);
        assert_eq!(h(i32::MIN, -1), 1);
        assert_eq!(h(0, i32::MIN), 0);
    }

    #[test]
    fn rdbpot_known_values() {
        let r = rounding_divide_by_pot;
        // 5 / 2 = 2.5 -> 3 and -5 / 2 = -2.5 -> -3: ties away from zero.
        assert_eq!((r(5, 1), r(-5, 1), r(-4, 1), r(-3, 1)), (3, -3, -2, -2));
        // Shift 0 is the identity, at the extremes too.
        for x in [i32::MIN, -1, 0, 1, i32::MAX] {
            assert_eq!(r(x, 0), x);
        }
        // Shift 31: MIN / 2^31 = -1; MAX / 2^31 = 0.99.. -> 1; +-2^30 / 2^31 = +-0.5 ->
        // +-1; (2^30 - 1) / 2^31 just below 0.5 -> 0.
        assert_eq!(r(i32::MIN, 31), -1);
        assert_eq!(r(i32::MAX, 31), 1);
        assert_eq!((r(1 << 30, 31), r(-(1 << 30), 31)), (1, -1));
        assert_eq!((r((1 << 30) - 1, 31), r(1 - (1 << 30), 31)), (0, 0));
        // Beyond gemmlowp's range: MIN / 2^32 = -0.5 -> -1, then 0.
        assert_eq!((r(i32::MIN, 32), r(i32::MIN, 33), r(i32::MAX, 100)), (-1, 0, 0));
    }

    #[test]
    fn requantize_matches_hand_computed_tflite_values() {
        let none = |m, s| rp(m, s, Activation::None, 0);
        // Scale 1/16: 1000 -> 62.5 -> 63; -1000 -> -63; 3000 -> 188 -> 127; -3000 -> -128.
        let p = none(1 << 30, 3);
        assert_eq!(requantize(1000, 0, 32, 8, &p), 63);
        assert_eq!(requantize(-1000, 0, 32, 8, &p), -63);
        assert_eq!(requantize(3000, 0, 32, 8, &p), 127);
        assert_eq!(requantize(-3000, 0, 32, 8, &p), -128);
        // Bias is added first: (1000 - 8) / 16 = 62.
        assert_eq!(requantize(1000, -8, 32, 8, &p), 62);
        // Double rounding: 1 * 0.25 is 0.25, but SRDHM gives 0.5 -> 1, then 1/2 -> 1.
        assert_eq!(requantize(1, 0, 32, 8, &none(1 << 30, 1)), 1);
        // A TFLite-style scale: 0.0123 = 0.7872 * 2^-6, 0.7872 * 2^31 = 1690499127.7 -> 1690499128
        // (QuantizeMultiplier), shift 6.
        // 1000 * 0.0123 = 12.3 -> 12; 20000 * 0.0123 = 246 -> 127.
        let (m, s) = quantize_scale(0.0123).unwrap();
        assert_eq!((m, s), (1_690_499_128, 6));
        assert_eq!(requantize(1000, 0, 32, 8, &none(m, s)), 12);
        assert_eq!(requantize(20000, 0, 32, 8, &none(m, s)), 127);
    }

    #[test]
    fn requantize_wraps_and_saturates_to_int32() {
        // 32-bit accumulator: MAX + 1 wraps to MIN, and MIN * MIN saturates to MAX.
        let p = rp(i32::MIN, 0, Activation::None, 0);
        assert_eq!(requantize(i64::from(i32::MAX), 1, 32, 32, &p), i64::from(i32::MAX));
        assert_eq!(requantize(i64::from(i32::MAX), 1, 32, 8, &p), 127);
        // 40-bit accumulator: 2^35 saturates to MAX before the multiply.
        let half = rp(1 << 30, 0, Activation::None, 0);
        assert_eq!(requantize(1 << 35, 0, 40, 32, &half), 1 << 30);
        assert_eq!(requantize(-(1 << 35), 0, 40, 32, &half), -(1 << 30));
        // ...but a 40-bit sum that wraps first: (2^39 - 1) + 1 = -2^39 -> MIN.
        assert_eq!(requantize((1 << 39) - 1, 1, 40, 32, &half), -(1 << 30));
        // 20-bit accumulator: 2^19 - 1 + 1 wraps to -2^19; * 0.5 = -2^18; 6-bit -> -32.
        assert_eq!(requantize((1 << 19) - 1, 1, 20, 6, &half), -32);
        assert_eq!(requantize((1 << 19) - 1, 0, 20, 20, &half), 1 << 18);
    }

    #[test]
    fn activations_and_negative_multiplier() {
        let p = |a| rp(-(1 << 30), 0, a, 6);
        // -0.5 * 100 = -50: none keeps it, relu and relu6 give 0.
        assert_eq!(requantize(100, 0, 32, 8, &p(Activation::None)), -50);
        assert_eq!(requantize(100, 0, 32, 8, &p(Activation::Relu)), 0);
        assert_eq!(requantize(100, 0, 32, 8, &p(Activation::Relu6)), 0);
        // -0.5 * -100 = 50: relu keeps it, relu6 clamps to 6.
        assert_eq!(requantize(-100, 0, 32, 8, &p(Activation::Relu)), 50);
        assert_eq!(requantize(-100, 0, 32, 8, &p(Activation::Relu6)), 6);
        assert_eq!(requantize(-8, 0, 32, 8, &p(Activation::Relu6)), 4);
        // relu6_max above the output range: saturation still applies.
        assert_eq!(requantize(-1000, 0, 32, 8, &rp(-(1 << 30), 0, Activation::Relu6, 1000)), 127);
        // A negative relu6_max (invalid) is min(max(y, 0), relu6_max) = relu6_max.
        assert_eq!(requantize(10, 0, 32, 8, &rp(1 << 30, 0, Activation::Relu6, -3)), -3);
    }

    #[test]
    fn validation_names_field_value_and_range() {
        let ok = rp(i32::MIN, 31, Activation::Relu6, 127);
        assert_eq!(ok.validate(8), Ok(()));
        let e = rp(1, 32, Activation::None, 0).validate(8).unwrap_err().to_string();
        assert!(e.contains("`shift` = 32") && e.contains("0 to 31"), "{e}");
        let e = rp(1, 0, Activation::Relu6, 128).validate(8).unwrap_err().to_string();
        assert!(e.contains("`relu6_max` = 128") && e.contains("0 to 127"), "{e}");
        let e = rp(1, 0, Activation::Relu6, -1).validate(6).unwrap_err().to_string();
        assert!(e.contains("`relu6_max` = -1") && e.contains("0 to 31"), "{e}");
        let e = ok.validate(33).unwrap_err().to_string();
        assert!(e.contains("`out_bits` = 33") && e.contains("2 to 32"), "{e}");
    }

    #[test]
    fn activation_codes_and_serde_names() {
        for a in [Activation::None, Activation::Relu, Activation::Relu6] {
            assert_eq!(Activation::from_code(a.code()), Some(a));
        }
        assert_eq!(Activation::from_code(3), None);
        #[derive(Deserialize)]
        struct T {
            p: RequantParams,
        }
        let t: T = toml::from_str("[p]\nmultiplier = -5\nshift = 3\nactivation = \"relu6\"\nrelu6_max = 6\n").unwrap();
        assert_eq!(t.p, rp(-5, 3, Activation::Relu6, 6));
    }

    #[test]
    fn quantize_scale_like_tflite() {
        assert_eq!(quantize_scale(0.5), Ok((1 << 30, 0)));
        assert_eq!(quantize_scale(0.25), Ok((1 << 30, 1)));
        // 0.75 * 2^31 = 1610612736.
        assert_eq!(quantize_scale(0.75), Ok((1_610_612_736, 0)));
        // 2^-40 = 2^22 / 2^31 / 2^31: the multiplier is denormalized at shift 31.
        assert_eq!(quantize_scale(2f64.powi(-40)), Ok((1 << 22, 31)));
        for bad in [0.0, -0.5, 1.0, 1.5, f64::NAN, f64::INFINITY, 1e-30, 1.0 - 1e-12] {
            assert!(quantize_scale(bad).is_err(), "{bad}");
        }
        let e = quantize_scale(2.0).unwrap_err().to_string();
        assert!(e.contains("scale 2") && e.contains("below 1"), "{e}");
    }
}
