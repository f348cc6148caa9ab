//! The interpreter's instruction set: one [`Op`] computes one combinational node into
//! a slot of the value buffer.
//!
//! Values of at most 64 bits live in one `u64` word and are computed with plain integer
//! arithmetic and precomputed masks; wider values occupy `ceil(width / 64)` words
//! (little-endian) and go through [`WideOp`], which handles the bit-moving operators
//! natively and falls back to [`crate::ops`] for the arithmetic ones. Every slot is kept
//! normalized: bits above the width are zero.

use crate::bits::{mask64, top_mask, words_for};
use crate::ir::{BinaryOp, UnaryOp};
use crate::{ops, Bits};

/// Where a value lives in the buffer: first word and width in bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Slot {
    /// Index of the first (least significant) word.
    pub off: u32,
    /// Width in bits.
    pub width: u32,
}

impl Slot {
    /// Number of words the value occupies.
    pub fn words(self) -> usize {
        words_for(self.width)
    }

    /// The word range in the buffer.
    pub fn range(self) -> std::ops::Range<usize> {
        self.off as usize..self.off as usize + self.words()
    }

    /// The value as [`Bits`].
    pub fn read(self, buf: &[u64]) -> Bits {
        Bits::from_words(&buf[self.range()], self.width)
    }

    /// Store a value of this slot's width.
    pub fn write(self, buf: &mut [u64], value: &Bits) {
        buf[self.range()].copy_from_slice(value.words());
    }
}

/// One step of combinational evaluation. Operands and destination are word offsets;
/// all values here are at most 64 bits wide (except inside [`Op::Wide`]).
#[derive(Clone, Debug)]
pub(super) enum Op {
    /// `d = !a & m`.
    Not { d: u32, a: u32, m: u64 },
    /// `d = -a & m`.
    Neg { d: u32, a: u32, m: u64 },
    /// `d = (a == m)`: all bits set.
    AndR { d: u32, a: u32, m: u64 },
    /// `d = (a != 0)`.
    OrR { d: u32, a: u32 },
    /// `d = parity(a)`.
    XorR { d: u32, a: u32 },
    /// `d = (a + b) & m`.
    Add { d: u32, a: u32, b: u32, m: u64 },
    /// `d = (a - b) & m`.
    Sub { d: u32, a: u32, b: u32, m: u64 },
    /// `d = (a * b) & m`.
    Mul { d: u32, a: u32, b: u32, m: u64 },
    /// `d = a & b`.
    And { d: u32, a: u32, b: u32 },
    /// `d = a | b`.
    Or { d: u32, a: u32, b: u32 },
    /// `d = a ^ b`.
    Xor { d: u32, a: u32, b: u32 },
    /// `d = (a == b)`.
    Eq { d: u32, a: u32, b: u32 },
    /// `d = (a != b)`.
    Ne { d: u32, a: u32, b: u32 },
    /// `d = (a ^ k) < (b ^ k)`; `k` is the sign bit for a signed compare, else 0.
    Lt { d: u32, a: u32, b: u32, k: u64 },
    /// `d = (a ^ k) <= (b ^ k)`.
    Le { d: u32, a: u32, b: u32, k: u64 },
    /// `d = b >= w ? 0 : (a << b) & m`.
    Shl { d: u32, a: u32, b: u32, w: u32, m: u64 },
    /// `d = b >= w ? 0 : a >> b`.
    Shr { d: u32, a: u32, b: u32, w: u32 },
    /// `d = (sext(a) >> min(b, 63)) & m`, `sh = 64 - width(a)`.
    Sar { d: u32, a: u32, b: u32, sh: u32, m: u64 },
    /// `d = s ? t : f`.
    Mux { d: u32, s: u32, t: u32, f: u32 },
    /// `d = (a >> lo) & m`.
    Slice { d: u32, a: u32, lo: u32, m: u64 },
    /// `d = ((a[0] >> lo) | (a[1] << (64 - lo))) & m`: a slice straddling two words of
    /// a wide value (`0 < lo < 64`).
    Slice2 { d: u32, a: u32, lo: u32, m: u64 },
    /// `d = sext(a) & m`, `sh = 64 - width(a)`.
    Sext { d: u32, a: u32, sh: u32, m: u64 },
    /// `d = a`.
    Copy { d: u32, a: u32 },
    /// `d = a << sh`: the least significant part of a concatenation.
    CatFirst { d: u32, a: u32, sh: u32 },
    /// `d |= a << sh`: a further part of a concatenation.
    CatOr { d: u32, a: u32, sh: u32 },
    /// Any operation with a value wider than 64 bits.
    Wide(Box<WideOp>),
}

/// The shape of a wide operation.
#[derive(Clone, Copy, Debug)]
pub(super) enum WideKind {
    /// A unary operator on the one argument.
    Unary(UnaryOp),
    /// A binary operator on the two arguments.
    Binary(BinaryOp),
    /// Arguments: select, if true, if false.
    Mux,
    /// Arguments most significant first.
    Concat,
    /// Bits from this low bit of the argument, as many as the result's width.
    Slice(u32),
    /// Extension to the result's width; true for sign extension.
    Ext(bool),
}

/// An operation where the result or an operand is wider than 64 bits.
#[derive(Clone, Debug)]
pub(super) struct WideOp {
    /// What to compute.
    pub kind: WideKind,
    /// The result.
    pub d: Slot,
    /// The operands, in the order of the expression node.
    pub args: Vec<Slot>,
}

/// Evaluate `ops` in order (they are in topological order).
pub(super) fn run(ops: &[Op], buf: &mut [u64]) {
    for op in ops {
        match *op {
            Op::Not { d, a, m } => buf[d as usize] = !buf[a as usize] & m,
            Op::Neg { d, a, m } => buf[d as usize] = buf[a as usize].wrapping_neg() & m,
            Op::AndR { d, a, m } => buf[d as usize] = (buf[a as usize] == m) as u64,
            Op::OrR { d, a } => buf[d as usize] = (buf[a as usize] != 0) as u64,
            Op::XorR { d, a } => buf[d as usize] = (buf[a as usize].count_ones() & 1) as u64,
            Op::Add { d, a, b, m } => buf[d as usize] = buf[a as usize].wrapping_add(buf[b as usize]) & m,
            Op::Sub { d, a, b, m } => buf[d as usize] = buf[a as usize].wrapping_sub(buf[b as usize]) & m,
            Op::Mul { d, a, b, m } => buf[d as usize] = buf[a as usize].wrapping_mul(buf[b as usize]) & m,
            Op::And { d, a, b } => buf[d as usize] = buf[a as usize] & buf[b as usize],
            Op::Or { d, a, b } => buf[d as usize] = buf[a as usize] | buf[b as usize],
            Op::Xor { d, a, b } => buf[d as usize] = buf[a as usize] ^ buf[b as usize],
            Op::Eq { d, a, b } => buf[d as usize] = (buf[a as usize] == buf[b as usize]) as u64,
            Op::Ne { d, a, b } => buf[d as usize] = (buf[a as usize] != buf[b as usize]) as u64,
            Op::Lt { d, a, b, k } => buf[d as usize] = ((buf[a as usize] ^ k) < (buf[b as usize] ^ k)) as u64,
            Op::Le { d, a, b, k } => buf[d as usize] = ((buf[a as usize] ^ k) <= (buf[b as usize] ^ k)) as u64,
            Op::Shl { d, a, b, w, m } => {
                let n = buf[b as usize];
                buf[d as usize] = if n >= w as u64 { 0 } else { (buf[a as usize] << n) & m };
            }
            Op::Shr { d, a, b, w } => {
                let n = buf[b as usize];
                buf[d as usize] = if n >= w as u64 { 0 } else { buf[a as usize] >> n };
            }
            Op::Sar { d, a, b, sh, m } => {
                let x = ((buf[a as usize] << sh) as i64) >> sh;
                buf[d as usize] = (x >> buf[b as usize].min(63)) as u64 & m;
            }
            Op::Mux { d, s, t, f } => {
                buf[d as usize] = if buf[s as usize] != 0 { buf[t as usize] } else { buf[f as usize] }
            }
            Op::Slice { d, a, lo, m } => buf[d as usize] = (buf[a as usize] >> lo) & m,
            Op::Slice2 { d, a, lo, m } => {
                let a = a as usize;
                buf[d as usize] = ((buf[a] >> lo) | (buf[a + 1] << (64 - lo))) & m;
            }
            Op::Sext { d, a, sh, m } => buf[d as usize] = ((((buf[a as usize] << sh) as i64) >> sh) as u64) & m,
            Op::Copy { d, a } => buf[d as usize] = buf[a as usize],
            Op::CatFirst { d, a, sh } => buf[d as usize] = buf[a as usize] << sh,
            Op::CatOr { d, a, sh } => buf[d as usize] |= buf[a as usize] << sh,
            Op::Wide(ref w) => w.run(buf),
        }
    }
}

/// Bits `[lo + n - 1 : lo]` (`1 <= n <= 64`) of the value starting at word `off`.
fn read_bits(buf: &[u64], off: usize, lo: u32, n: u32) -> u64 {
    let i = off + (lo / 64) as usize;
    let sh = lo % 64;
    let mut v = buf[i] >> sh;
    if sh != 0 && sh + n > 64 {
        v |= buf[i + 1] << (64 - sh);
    }
    v & mask64(n)
}

/// OR the `n`-bit value `v` into bits `[lo + n - 1 : lo]` of the value at word `off`.
fn or_bits(buf: &mut [u64], off: usize, lo: u32, n: u32, v: u64) {
    let i = off + (lo / 64) as usize;
    let sh = lo % 64;
    buf[i] |= v << sh;
    if sh != 0 && sh + n > 64 {
        buf[i + 1] |= v >> (64 - sh);
    }
}

/// OR `n` bits of the value at `src` (from bit `slo`) into the value at `dst` (from
/// bit `dlo`). The two values must not overlap.
fn copy_bits(buf: &mut [u64], dst: usize, dlo: u32, src: usize, slo: u32, n: u32) {
    let mut k = 0;
    while k < n {
        let c = (n - k).min(64);
        let v = read_bits(buf, src, slo + k, c);
        or_bits(buf, dst, dlo + k, c, v);
        k += c;
    }
}

impl WideOp {
    fn run(&self, buf: &mut [u64]) {
        let d = self.d;
        let dw = d.off as usize;
        let n = d.words();
        match self.kind {
            WideKind::Mux => {
                let [s, t, f] = [self.args[0], self.args[1], self.args[2]];
                let src = if buf[s.off as usize] != 0 { t } else { f };
                buf.copy_within(src.range(), dw);
            }
            WideKind::Binary(op @ (BinaryOp::And | BinaryOp::Or | BinaryOp::Xor)) => {
                let (a, b) = (self.args[0].off as usize, self.args[1].off as usize);
                for i in 0..n {
                    let (x, y) = (buf[a + i], buf[b + i]);
                    buf[dw + i] = match op {
                        BinaryOp::And => x & y,
                        BinaryOp::Or => x | y,
                        _ => x ^ y,
                    };
                }
            }
            WideKind::Binary(op @ (BinaryOp::Eq | BinaryOp::Ne)) => {
                let (a, b) = (self.args[0], self.args[1]);
                let equal = buf[a.range()] == buf[b.range()];
                buf[dw] = (equal == (op == BinaryOp::Eq)) as u64;
            }
            WideKind::Unary(UnaryOp::Not) => {
                let a = self.args[0].off as usize;
                for i in 0..n {
                    buf[dw + i] = !buf[a + i];
                }
                buf[dw + n - 1] &= top_mask(d.width);
            }
            WideKind::Concat => {
                buf[d.range()].fill(0);
                let mut lo = 0;
                for p in self.args.iter().rev() {
                    copy_bits(buf, dw, lo, p.off as usize, 0, p.width);
                    lo += p.width;
                }
            }
            WideKind::Slice(lo) => {
                buf[d.range()].fill(0);
                copy_bits(buf, dw, 0, self.args[0].off as usize, lo, d.width);
            }
            WideKind::Ext(signed) => {
                let a = self.args[0];
                buf[d.range()].fill(0);
                buf.copy_within(a.range(), dw);
                if signed && read_bits(buf, a.off as usize, a.width - 1, 1) == 1 {
                    let mut k = a.width;
                    while k < d.width {
                        let c = (d.width - k).min(64);
                        or_bits(buf, dw, k, c, mask64(c));
                        k += c;
                    }
                }
            }
            _ => self.run_reference(buf),
        }
    }

    /// Evaluate through the reference semantics of [`crate::ops`].
    fn run_reference(&self, buf: &mut [u64]) {
        let v: Vec<Bits> = self.args.iter().map(|s| s.read(buf)).collect();
        let r = match self.kind {
            WideKind::Unary(op) => ops::unary(op, &v[0]),
            WideKind::Binary(op) => ops::binary(op, &v[0], &v[1]),
            WideKind::Mux => ops::mux(&v[0], &v[1], &v[2]),
            WideKind::Concat => ops::concat(&v.iter().collect::<Vec<_>>()),
            WideKind::Slice(lo) => ops::slice(&v[0], lo, self.d.width),
            WideKind::Ext(signed) => ops::ext(&v[0], self.d.width, signed),
        };
        self.d.write(buf, &r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_copy_crosses_word_boundaries() {
        // a 130-bit source in words 0..3, a zeroed 100-bit destination in words 3..5
        let src = Bits::from_words(&[0xffff_0000_0000_0000, 0xabcd, 0x3], 130);
        let mut buf = vec![0u64; 5];
        buf[0..3].copy_from_slice(src.words());
        copy_bits(&mut buf, 3, 30, 0, 48, 60);
        let got = Bits::from_words(&buf[3..5], 100);
        let want = ops::concat(&[&Bits::zero(10), &ops::slice(&src, 48, 60), &Bits::zero(30)]);
        assert_eq!(got, want);
        assert_eq!(read_bits(&buf, 0, 126, 4), 0xc);
    }
}
