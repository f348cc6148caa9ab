//! `Bits`: a bit vector of any width, the value type of constants and of simulation.
//!
//! Stored as little-endian 64-bit words; bits above `width` are always zero, so two
//! values of the same width compare equal exactly when their bits are equal.

use num_bigint::BigUint;
use std::fmt;

/// A two's-complement bit vector of a fixed width (1 bit or more).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Bits {
    width: u32,
    words: Vec<u64>,
}

/// Number of 64-bit words needed for `width` bits.
pub fn words_for(width: u32) -> usize {
    (width as usize).div_ceil(64).max(1)
}

/// Mask of the valid bits in the top word of a `width`-bit value.
pub fn top_mask(width: u32) -> u64 {
    match width % 64 {
        0 => u64::MAX,
        r => (1u64 << r) - 1,
    }
}

/// Mask of the low `width` bits of a u64 (`width` up to 64).
pub fn mask64(width: u32) -> u64 {
    if width >= 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    }
}

impl Bits {
    /// All-zero value of `width` bits.
    pub fn zero(width: u32) -> Self {
        Bits { width, words: vec![0; words_for(width)] }
    }

    /// All-ones value of `width` bits.
    pub fn ones(width: u32) -> Self {
        let mut b = Bits { width, words: vec![u64::MAX; words_for(width)] };
        b.normalize();
        b
    }

    /// `value` truncated to `width` bits.
    pub fn from_u64(value: u64, width: u32) -> Self {
        let mut b = Bits::zero(width);
        b.words[0] = value;
        b.normalize();
        b
    }

    /// `value` in two's complement, sign-extended or truncated to `width` bits.
    pub fn from_i64(value: i64, width: u32) -> Self {
        let mut b = Bits::zero(width);
        let fill = if value < 0 { u64::MAX } else { 0 };
        for w in b.words.iter_mut() {
            *w = fill;
        }
        b.words[0] = value as u64;
        b.normalize();
        b
    }

    /// Little-endian words, truncated or zero-extended to `width` bits.
    pub fn from_words(words: &[u64], width: u32) -> Self {
        let mut b = Bits::zero(width);
        for (dst, src) in b.words.iter_mut().zip(words) {
            *dst = *src;
        }
        b.normalize();
        b
    }

    /// An unsigned big integer truncated to `width` bits.
    pub fn from_biguint(value: &BigUint, width: u32) -> Self {
        Bits::from_words(&value.to_u64_digits(), width)
    }

    /// Width in bits.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Little-endian 64-bit words (bits above the width are zero).
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// The low 64 bits (zero-extended).
    pub fn to_u64(&self) -> u64 {
        self.words[0]
    }

    /// The low 64 bits, read as a signed `width`-bit number and sign-extended.
    pub fn to_i64(&self) -> i64 {
        let w = self.width.min(64);
        let v = self.words[0];
        if w == 64 {
            v as i64
        } else {
            let shift = 64 - w;
            ((v << shift) as i64) >> shift
        }
    }

    /// The value as an unsigned big integer.
    pub fn to_biguint(&self) -> BigUint {
        let digits: Vec<u32> = self.words.iter().flat_map(|w| [*w as u32, (*w >> 32) as u32]).collect();
        BigUint::from_slice(&digits)
    }

    /// Bit `i` (0 = least significant).
    pub fn bit(&self, i: u32) -> bool {
        i < self.width && (self.words[(i / 64) as usize] >> (i % 64)) & 1 == 1
    }

    /// True when every bit is zero.
    pub fn is_zero(&self) -> bool {
        self.words.iter().all(|w| *w == 0)
    }

    fn normalize(&mut self) {
        let n = words_for(self.width);
        self.words.resize(n, 0);
        let last = n - 1;
        self.words[last] &= top_mask(self.width);
    }

    /// Lower-case hexadecimal digits, without prefix, as many as the width needs.
    pub fn to_hex(&self) -> String {
        let digits = (self.width as usize).div_ceil(4);
        let mut s = String::with_capacity(digits);
        for d in (0..digits).rev() {
            let bit = d * 4;
            let nib = (self.words[bit / 64] >> (bit % 64)) & 0xf;
            s.push(char::from_digit(nib as u32, 16).unwrap_or('0'));
        }
        s
    }
}

impl fmt::Debug for Bits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}'h{}", self.width, self.to_hex())
    }
}

impl fmt::Display for Bits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}'h{}", self.width, self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_and_sign_extends() {
        assert_eq!(Bits::from_u64(0x1ff, 8).to_u64(), 0xff);
        assert_eq!(Bits::from_i64(-1, 8).to_u64(), 0xff);
        assert_eq!(Bits::from_i64(-1, 8).to_i64(), -1);
        assert_eq!(Bits::from_i64(-2, 100).words(), &[u64::MAX - 1, (1 << 36) - 1]);
        assert_eq!(Bits::from_u64(0x80, 8).to_i64(), -128);
    }

    #[test]
    fn hex_and_biguint_round_trip() {
        let b = Bits::from_words(&[0x0123_4567_89ab_cdef, 0x5], 68);
        assert_eq!(b.to_hex(), "50123456789abcdef");
        assert_eq!(Bits::from_biguint(&b.to_biguint(), 68), b);
        assert_eq!(format!("{}", Bits::from_u64(5, 3)), "3'h5");
    }
}
