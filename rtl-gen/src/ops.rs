//! The meaning of every IR operator on [`Bits`] values of any width.
//!
//! Used for constant folding in the builder and by the interpreter for values wider
//! than 64 bits; the interpreter's 64-bit fast path must agree with these (a unit test
//! checks it).

use crate::ir::{BinaryOp, UnaryOp};
use crate::Bits;
use num_bigint::BigUint;

fn modulus(width: u32) -> BigUint {
    BigUint::from(1u8) << width as usize
}

/// Interpret `b` as a two's-complement number: returns (is_negative, magnitude-free
/// comparable key). Signed comparisons flip the sign bit and compare unsigned.
fn signed_key(b: &Bits) -> BigUint {
    let mut words = b.words().to_vec();
    let top = b.width() - 1;
    words[(top / 64) as usize] ^= 1u64 << (top % 64);
    Bits::from_words(&words, b.width()).to_biguint()
}

/// Apply a unary operator.
pub fn unary(op: UnaryOp, a: &Bits) -> Bits {
    let w = a.width();
    match op {
        UnaryOp::Not => {
            let words: Vec<u64> = a.words().iter().map(|x| !x).collect();
            Bits::from_words(&words, w)
        }
        UnaryOp::Neg => {
            let m = modulus(w);
            Bits::from_biguint(&((&m - a.to_biguint()) % &m), w)
        }
        UnaryOp::AndReduce => Bits::from_u64((*a == Bits::ones(w)) as u64, 1),
        UnaryOp::OrReduce => Bits::from_u64((!a.is_zero()) as u64, 1),
        UnaryOp::XorReduce => {
            let ones: u32 = a.words().iter().map(|x| x.count_ones()).sum();
            Bits::from_u64((ones & 1) as u64, 1)
        }
    }
}

/// Apply a binary operator (operand widths already checked).
pub fn binary(op: BinaryOp, a: &Bits, b: &Bits) -> Bits {
    use BinaryOp::*;
    let w = a.width();
    let bool1 = |v: bool| Bits::from_u64(v as u64, 1);
    match op {
        Add => Bits::from_biguint(&(a.to_biguint() + b.to_biguint()), w),
        Sub => Bits::from_biguint(&(a.to_biguint() + modulus(w) - b.to_biguint()), w),
        Mul => Bits::from_biguint(&(a.to_biguint() * b.to_biguint()), w),
        And | Or | Xor => {
            let words: Vec<u64> = a
                .words()
                .iter()
                .zip(b.words())
                .map(|(x, y)| match op {
                    And => x & y,
                    Or => x | y,
                    _ => x ^ y,
                })
                .collect();
            Bits::from_words(&words, w)
        }
        Eq => bool1(a == b),
        Ne => bool1(a != b),
        Lt => bool1(a.to_biguint() < b.to_biguint()),
        Le => bool1(a.to_biguint() <= b.to_biguint()),
        Gt => bool1(a.to_biguint() > b.to_biguint()),
        Ge => bool1(a.to_biguint() >= b.to_biguint()),
        LtS => bool1(signed_key(a) < signed_key(b)),
        LeS => bool1(signed_key(a) <= signed_key(b)),
        GtS => bool1(signed_key(a) > signed_key(b)),
        GeS => bool1(signed_key(a) >= signed_key(b)),
        Shl | Shr | Sar => {
            let amount = shift_amount(b, w);
            match op {
                Shl => Bits::from_biguint(&(a.to_biguint() << amount), w),
                Shr => Bits::from_biguint(&(a.to_biguint() >> amount), w),
                _ => {
                    let negative = a.bit(w - 1);
                    let shifted = a.to_biguint() >> amount;
                    if negative {
                        // fill the top `amount` bits with ones
                        let fill = (Bits::ones(w).to_biguint() >> (w as usize - amount)) << (w as usize - amount);
                        Bits::from_biguint(&(shifted | fill), w)
                    } else {
                        Bits::from_biguint(&shifted, w)
                    }
                }
            }
        }
    }
}

/// A shift amount, saturated at the value width (shifting by >= width gives all fill).
fn shift_amount(b: &Bits, width: u32) -> usize {
    if b.words().iter().skip(1).any(|w| *w != 0) || b.to_u64() >= width as u64 {
        width as usize
    } else {
        b.to_u64() as usize
    }
}

/// `sel ? t : f`.
pub fn mux(sel: &Bits, t: &Bits, f: &Bits) -> Bits {
    if sel.is_zero() {
        f.clone()
    } else {
        t.clone()
    }
}

/// Concatenation, most significant part first.
pub fn concat(parts: &[&Bits]) -> Bits {
    let width: u32 = parts.iter().map(|p| p.width()).sum();
    let mut acc = BigUint::from(0u8);
    for p in parts {
        acc = (acc << p.width() as usize) | p.to_biguint();
    }
    Bits::from_biguint(&acc, width)
}

/// Bits `[lo + width - 1 : lo]`.
pub fn slice(a: &Bits, lo: u32, width: u32) -> Bits {
    Bits::from_biguint(&(a.to_biguint() >> lo as usize), width)
}

/// Zero or sign extension to `width` (>= the operand width).
pub fn ext(a: &Bits, width: u32, signed: bool) -> Bits {
    if signed && a.bit(a.width() - 1) {
        let fill = (Bits::ones(width).to_biguint() >> a.width() as usize) << a.width() as usize;
        Bits::from_biguint(&(a.to_biguint() | fill), width)
    } else {
        Bits::from_words(a.words(), width)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_wraps() {
        let a = Bits::from_u64(250, 8);
        let b = Bits::from_u64(10, 8);
        assert_eq!(binary(BinaryOp::Add, &a, &b).to_u64(), 4);
        assert_eq!(binary(BinaryOp::Sub, &b, &a).to_u64(), 16);
        assert_eq!(binary(BinaryOp::Mul, &a, &b).to_u64(), 2500 % 256);
        assert_eq!(unary(UnaryOp::Neg, &b).to_u64(), 246);
    }

    #[test]
    fn signed_compare_and_arithmetic_shift() {
        let m1 = Bits::from_i64(-1, 8);
        let one = Bits::from_u64(1, 8);
        assert_eq!(binary(BinaryOp::LtS, &m1, &one).to_u64(), 1);
        assert_eq!(binary(BinaryOp::Lt, &m1, &one).to_u64(), 0);
        let v = Bits::from_i64(-64, 8);
        assert_eq!(binary(BinaryOp::Sar, &v, &Bits::from_u64(3, 4)).to_i64(), -8);
        assert_eq!(binary(BinaryOp::Sar, &v, &Bits::from_u64(15, 4)).to_i64(), -1);
        assert_eq!(binary(BinaryOp::Shr, &v, &Bits::from_u64(9, 4)).to_u64(), 0);
    }

    #[test]
    fn wide_concat_slice_ext() {
        let a = Bits::from_u64(0xdead_beef, 32);
        let b = Bits::from_i64(-1, 100);
        let c = concat(&[&a, &b]);
        assert_eq!(c.width(), 132);
        assert_eq!(slice(&c, 100, 32), a);
        assert_eq!(ext(&Bits::from_i64(-3, 4), 70, true), Bits::from_i64(-3, 70));
        assert_eq!(ext(&Bits::from_i64(-3, 4), 70, false).to_u64(), 13);
        assert_eq!(unary(UnaryOp::AndReduce, &b).to_u64(), 1);
        assert_eq!(unary(UnaryOp::XorReduce, &b).to_u64(), 0);
    }
}
