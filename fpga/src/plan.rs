//! The hard blocks a design will use, computed from its sizes before any tool runs
//! (DESIGN decision 9): Yosys does not know how many DSPs or block RAMs a device has, and
//! place and route fails late, so the generator budgets them itself.
//!
//! The rules reproduce what Yosys 0.70 does (`synth_ice40 -dsp`, `synth_ecp5`,
//! `synth_gowin`), and the tests below hold them to tables measured with it:
//!
//! - **Multipliers** ([`dsp_for_multiply`]): Yosys's `mul2dsp` cuts each operand into
//!   slices of the DSP's width from the least significant bit (the last slice holds the
//!   rest) and gives every pair of slices its own DSP, unless an operand (or, on iCE40,
//!   the product) is narrower than the DSP's minimum: such a piece is left to logic, or
//!   to the next, smaller DSP on Gowin, which tries MULT36X36, then MULT18X18, then
//!   MULT9X9. So a signed 32x32 product takes 4 DSPs on iCE40 and ECP5 and one MULT36X36
//!   on Gowin, and a 4x4 product takes none on iCE40.
//! - **Memories** ([`memory_mapping`], [`bram_for_memory`]): Yosys's `memory_libmap` prices
//!   every way to build a memory and takes the cheapest: block RAM (64 per SB_RAM40_4K, 128
//!   per DP16KD or Gowin BSRAM), distributed RAM (4 per TRELLIS_DPR16X4; on Gowin 4 per
//!   RAM16SDP4 scaled by the share of its 4 bits used), or flip-flops (1 per bit), plus
//!   half a point per bit of address decoding and 2 for the read enable. On iCE40 a
//!   memory of 66 bits or fewer stays in flip-flops; on ECP5 and Gowin small and shallow
//!   memories (up to 16x64, 8x128, 4x256 ...) go to distributed RAM. The rules are for
//!   memories as `rtl-gen` emits them: one write port with one enable, one registered
//!   read port with an enable, `no_rw_check`.

use crate::Family;

/// Signed `a_bits` x `b_bits` full products: the DSP blocks Yosys uses, counted in the
/// family's unit ([`Family::dsp_cell`]: on Gowin a MULT9X9 is 1, a MULT18X18 2 and a
/// MULT36X36 8). Both operand orders give the same count.
///
/// ```
/// use fpga::{plan::dsp_for_multiply, Family};
/// assert_eq!(dsp_for_multiply(Family::Ice40, 8, 8), 1);
/// assert_eq!(dsp_for_multiply(Family::Ice40, 32, 32), 4);
/// assert_eq!(dsp_for_multiply(Family::Ice40, 4, 4), 0); // too small: logic
/// assert_eq!(dsp_for_multiply(Family::Ecp5, 18, 18), 1);
/// assert_eq!(dsp_for_multiply(Family::Ecp5, 36, 36), 4);
/// assert_eq!(dsp_for_multiply(Family::Gowin, 8, 8), 1); // one MULT9X9
/// assert_eq!(dsp_for_multiply(Family::Gowin, 16, 16), 2); // one MULT18X18
/// assert_eq!(dsp_for_multiply(Family::Gowin, 32, 32), 8); // one MULT36X36
/// ```
pub fn dsp_for_multiply(family: Family, a_bits: u32, b_bits: u32) -> u64 {
    dsp_for_product(family, a_bits, b_bits, true)
}

/// Unsigned `a_bits` x `b_bits` full products: the DSP blocks Yosys uses, as
/// [`dsp_for_multiply`] counts them (the serial requantizer's 16x16 product).
///
/// ```
/// use fpga::{plan::dsp_for_unsigned_multiply, Family};
/// assert_eq!(dsp_for_unsigned_multiply(Family::Ice40, 16, 16), 1);
/// assert_eq!(dsp_for_unsigned_multiply(Family::Ecp5, 16, 16), 1);
/// assert_eq!(dsp_for_unsigned_multiply(Family::Gowin, 16, 16), 2); // one MULT18X18
/// ```
pub fn dsp_for_unsigned_multiply(family: Family, a_bits: u32, b_bits: u32) -> u64 {
    dsp_for_product(family, a_bits, b_bits, false)
}

/// One pair multiplier of the matrix engine (two signed `bits` x `bits` products,
/// `ip_blocks::blocks::mul`): one SB_MAC16 on iCE40 up to 8 bits, where the flow puts
/// both products into one DSP in its 8x8 mode ([`crate::flow::rtl`]); else two products'
/// worth.
///
/// ```
/// use fpga::{plan::dsp_for_pair, Family};
/// assert_eq!(dsp_for_pair(Family::Ice40, 8), 1); // two int8 products per SB_MAC16
/// assert_eq!(dsp_for_pair(Family::Ice40, 16), 2);
/// assert_eq!(dsp_for_pair(Family::Ecp5, 8), 2);
/// assert_eq!(dsp_for_pair(Family::Gowin, 8), 2); // two MULT9X9
/// ```
pub fn dsp_for_pair(family: Family, bits: u32) -> u64 {
    if crate::flow::rtl::pairs_share_a_dsp(family, bits, bits) {
        1
    } else {
        2 * dsp_for_multiply(family, bits, bits)
    }
}

/// The DSP blocks of the accumulator's requantizer with `requant_dsps` (the configuration
/// key): one signed 32x32 product (4), one unsigned 16x16 product (1), or none (0: the
/// Booth product in logic).
pub fn dsp_for_requantizer(family: Family, requant_dsps: u32) -> u64 {
    match requant_dsps {
        0 => 0,
        1 => dsp_for_unsigned_multiply(family, 16, 16),
        _ => dsp_for_multiply(family, 32, 32),
    }
}

fn dsp_for_product(family: Family, a_bits: u32, b_bits: u32, signed: bool) -> u64 {
    let mut pending =
        vec![Product { a: a_bits, a_signed: signed, b: b_bits, b_signed: signed, y: a_bits + b_bits, generic: true }];
    let mut units = 0;
    for pass in dsp_passes(family) {
        let mut left = Vec::new();
        for p in pending {
            pass.map(p, &mut units, &mut left);
        }
        pending = left;
    }
    units
}

/// One `mul2dsp` pass of a family's synthesis script.
struct DspPass {
    /// Largest operands of the DSP.
    a_max: u32,
    b_max: u32,
    /// Narrowest operands (and product) worth the DSP.
    a_min: u32,
    b_min: u32,
    y_min: u32,
    /// What one such DSP counts in the family's unit.
    units: u64,
}

/// The `mul2dsp` passes, in the order the family's script runs them (the `-D DSP_*`
/// values `synth_ice40 -dsp`, `synth_ecp5` and `synth_gowin` pass, Yosys 0.70).
fn dsp_passes(family: Family) -> &'static [DspPass] {
    const fn pass(a_max: u32, b_max: u32, a_min: u32, b_min: u32, y_min: u32, units: u64) -> DspPass {
        DspPass { a_max, b_max, a_min, b_min, y_min, units }
    }
    const ICE40: [DspPass; 1] = [pass(16, 16, 2, 2, 11, 1)];
    const ECP5: [DspPass; 1] = [pass(18, 18, 2, 2, 0, 1)];
    const GOWIN: [DspPass; 4] =
        [pass(36, 36, 22, 22, 0, 8), pass(18, 18, 10, 4, 0, 2), pass(18, 18, 4, 10, 0, 2), pass(9, 9, 4, 4, 0, 1)];
    match family {
        Family::Ice40 => &ICE40,
        Family::Ecp5 => &ECP5,
        Family::Gowin => &GOWIN,
    }
}

/// A product as `mul2dsp` sees it: operand widths and signedness, the product width, and
/// whether it is a whole `$mul` (whose operands it first orders, wider first) or one of
/// its own slices.
#[derive(Clone, Copy, Debug)]
struct Product {
    a: u32,
    a_signed: bool,
    b: u32,
    b_signed: bool,
    y: u32,
    generic: bool,
}

impl Product {
    /// What a product left to logic becomes for the next pass (`$__soft_mul`, then `$mul`
    /// again): an unsigned operand times a signed one gets a zero bit and a sign.
    fn soft(mut self) -> Product {
        if self.a_signed && !self.b_signed {
            self.b += 1;
            self.b_signed = true;
        } else if !self.a_signed && self.b_signed {
            self.a += 1;
            self.a_signed = true;
        }
        self.generic = true;
        self
    }
}

impl DspPass {
    /// Map `p` as `mul2dsp` does: DSPs into `units`, what is too small into `left`.
    fn map(&self, p: Product, units: &mut u64, left: &mut Vec<Product>) {
        let mut p = p;
        if p.generic && p.a < p.b {
            p = Product { a: p.b, a_signed: p.b_signed, b: p.a, b_signed: p.a_signed, ..p };
        }
        if p.a < self.a_min || p.b < self.b_min || p.y < self.y_min {
            left.push(p.soft());
        } else if p.a > self.a_max {
            // Slices of a_max bits (unsigned) from the bottom, the signed rest on top.
            let n = (p.a - 1) / self.a_max;
            for _ in 0..n {
                let slice =
                    Product { a: self.a_max, a_signed: false, y: p.y.min(p.b + self.a_max), generic: false, ..p };
                self.map(slice, units, left);
            }
            let last = p.a - n * self.a_max;
            self.map(Product { a: last, y: p.b + last, generic: false, ..p }, units, left);
        } else if p.b > self.b_max {
            let n = (p.b - 1) / self.b_max;
            for _ in 0..n {
                let slice =
                    Product { b: self.b_max, b_signed: false, y: p.y.min(p.a + self.b_max), generic: false, ..p };
                self.map(slice, units, left);
            }
            let last = p.b - n * self.b_max;
            self.map(Product { b: last, y: p.a + last, generic: false, ..p }, units, left);
        } else {
            *units += self.units;
        }
    }
}

/// Where Yosys puts a memory, and how many cells it takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryMapping {
    /// Block RAMs: SB_RAM40_4K (iCE40), DP16KD (ECP5) or BSRAM (Gowin).
    BlockRam(u64),
    /// Distributed RAM: TRELLIS_DPR16X4 (ECP5) or RAM16SDP4 (Gowin) cells, 16 words of 4
    /// bits each.
    LutRam(u64),
    /// Flip-flops and multiplexers in the fabric.
    Logic,
}

impl MemoryMapping {
    /// Block RAMs used (0 unless [`MemoryMapping::BlockRam`]).
    pub fn bram(self) -> u64 {
        match self {
            MemoryMapping::BlockRam(n) => n,
            _ => 0,
        }
    }

    /// Distributed-RAM cells used (0 unless [`MemoryMapping::LutRam`]).
    pub fn lutram(self) -> u64 {
        match self {
            MemoryMapping::LutRam(n) => n,
            _ => 0,
        }
    }
}

/// One way `memory_libmap` can build a memory from a RAM primitive.
struct Geometry {
    /// Words per primitive at this width.
    depth: u64,
    /// Bits per word at this width.
    width: u64,
    /// Write-enable granularity: a word is padded to a multiple of it, and words of
    /// different addresses can share a primitive down to it.
    byte: u64,
    /// Price of one primitive.
    cost: f64,
    /// The price scales with the share of the primitive's width used (`widthscale`:
    /// Gowin's RAM16SDP4).
    widthscale: bool,
}

impl Geometry {
    /// (primitives, cost) for `width` x `depth`: as `memory_libmap` counts them.
    fn price(&self, width: u64, depth: u64) -> (u64, f64) {
        let stacked = depth.div_ceil(self.depth);
        let padded = width.div_ceil(self.byte) * self.byte;
        let count = (stacked * padded).div_ceil(self.width);
        let read_mux = (stacked - 1) * width;
        let write_decode = if stacked > 1 { stacked } else { 0 };
        let primitives = if self.widthscale {
            self.cost * (stacked * width) as f64 / self.width as f64
        } else {
            self.cost * count as f64
        };
        // The registered read port with an enable costs 2 (emulation score 1) on every
        // primitive of every family.
        let cost = primitives + 0.5 * (read_mux + write_decode) as f64 + 2.0;
        (count, cost)
    }
}

/// The cheapest of `geometries` for `width` x `depth`: (primitives, cost).
fn cheapest(geometries: &[Geometry], width: u64, depth: u64) -> (u64, f64) {
    let mut best = (0, f64::INFINITY);
    for g in geometries {
        let (count, cost) = g.price(width, depth);
        if cost < best.1 {
            best = (count, cost);
        }
    }
    best
}

/// Where Yosys 0.70 maps a memory of `depth` words of `width_bits`, as `rtl-gen` emits
/// it (see the module documentation).
pub fn memory_mapping(family: Family, width_bits: u32, depth: u32) -> MemoryMapping {
    let (w, d) = (u64::from(width_bits), u64::from(depth));
    if w == 0 || d == 0 {
        return MemoryMapping::Logic;
    }
    // Flip-flops cost one point per bit; a RAM must be strictly cheaper.
    let logic = (w * d) as f64;
    match family {
        Family::Ice40 => {
            // SB_RAM40_4K: 2048x2, 1024x4, 512x8, 256x16; with bit write enables (the
            // 16-bit write mode), words of different addresses share a block.
            let sb_ram = [(2048, 2), (1024, 4), (512, 8), (256, 16)].map(|(depth, width)| Geometry {
                depth,
                width,
                byte: 1,
                cost: 64.0,
                widthscale: false,
            });
            let (count, cost) = cheapest(&sb_ram, w, d);
            if cost < logic {
                MemoryMapping::BlockRam(count)
            } else {
                MemoryMapping::Logic
            }
        }
        Family::Ecp5 | Family::Gowin => {
            // DP16KD or BSRAM: 16384x1 ... 1024x18, write enables per 9 bits; the simple
            // dual-port mode of the same block (PDPW16KD, SDPB): 512x36. Distributed RAM:
            // TRELLIS_DPR16X4 or RAM16SDP4, 16 words of 4 bits.
            let block = [(16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36)]
                .map(|(depth, width)| Geometry { depth, width, byte: width.min(9), cost: 128.0, widthscale: false });
            let lutram = [Geometry { depth: 16, width: 4, byte: 4, cost: 4.0, widthscale: family == Family::Gowin }];
            let (lut_count, lut_cost) = cheapest(&lutram, w, d);
            let (bram_count, bram_cost) = cheapest(&block, w, d);
            // Distributed RAM is tried first and keeps a tie.
            if lut_cost < logic && lut_cost <= bram_cost {
                MemoryMapping::LutRam(lut_count)
            } else if bram_cost < logic {
                MemoryMapping::BlockRam(bram_count)
            } else {
                MemoryMapping::Logic
            }
        }
    }
}

/// Block RAMs Yosys 0.70 uses for a memory of `depth` words of `width_bits` (0 when it
/// goes to flip-flops or distributed RAM instead).
///
/// ```
/// use fpga::{plan::bram_for_memory, Family};
/// // The iCE40 preset's scratchpad bank: 512 rows of 4 x int8.
/// assert_eq!(bram_for_memory(Family::Ice40, 32, 512), 4);
/// // The ECP5 preset's: 1024 rows of 8 x int8.
/// assert_eq!(bram_for_memory(Family::Ecp5, 64, 1024), 4);
/// // 16 words of 4 bits are cheaper as flip-flops or distributed RAM.
/// assert_eq!(bram_for_memory(Family::Ice40, 4, 16), 0);
/// assert_eq!(bram_for_memory(Family::Ecp5, 4, 16), 0);
/// ```
pub fn bram_for_memory(family: Family, width_bits: u32, depth: u32) -> u64 {
    memory_mapping(family, width_bits, depth).bram()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (a_bits, b_bits, SB_MAC16) from `synth_ice40 -dsp` of `$signed(a) * $signed(b)`
    /// with a full-width result, Yosys 0.70.
    #[rustfmt::skip]
    const ICE40_DSP: &[(u32, u32, u64)] = &[
        (1, 8, 0), (2, 2, 0), (2, 8, 0), (2, 9, 1), (3, 8, 1), (4, 4, 0), (8, 8, 1), (8, 16, 1),
        (8, 32, 2), (12, 12, 1), (16, 1, 0), (16, 16, 1), (16, 17, 1), (17, 8, 1), (17, 17, 1),
        (18, 18, 3), (19, 19, 3), (20, 20, 3), (24, 24, 4), (2, 40, 2), (10, 40, 3), (32, 32, 4),
        (33, 33, 4), (34, 34, 8), (35, 35, 8), (36, 36, 8), (37, 37, 8), (48, 48, 9),
    ];

    /// (a_bits, b_bits, MULT18X18D) from `synth_ecp5`, Yosys 0.70.
    #[rustfmt::skip]
    const ECP5_DSP: &[(u32, u32, u64)] = &[
        (1, 8, 0), (2, 2, 1), (2, 8, 1), (2, 9, 1), (3, 8, 1), (4, 4, 1), (8, 8, 1), (8, 16, 1),
        (8, 32, 2), (12, 12, 1), (16, 1, 0), (16, 16, 1), (16, 17, 1), (17, 8, 1), (17, 17, 1),
        (18, 18, 1), (19, 19, 1), (20, 20, 4), (24, 24, 4), (2, 40, 3), (10, 40, 3), (32, 32, 4),
        (33, 33, 4), (34, 34, 4), (35, 35, 4), (36, 36, 4), (37, 37, 4), (48, 48, 9),
    ];

    /// (a_bits, b_bits, MULT9X9 units) from `synth_gowin`: a MULT9X9 counts 1, a
    /// MULT18X18 2, a MULT36X36 8 (so (40, 40): 1 MULT36X36, 4 MULT18X18, 1 MULT9X9).
    #[rustfmt::skip]
    const GOWIN_DSP: &[(u32, u32, u64)] = &[
        (1, 8, 0), (2, 2, 0), (2, 8, 0), (2, 9, 0), (2, 40, 0), (3, 8, 0), (3, 10, 0), (4, 4, 1),
        (4, 10, 2), (8, 8, 1), (8, 32, 4), (9, 9, 1), (9, 18, 2), (10, 3, 0), (10, 10, 2),
        (10, 40, 5), (12, 12, 2), (16, 1, 0), (16, 16, 2), (16, 17, 2), (17, 8, 2), (17, 17, 2),
        (18, 18, 2), (19, 19, 2), (20, 20, 2), (21, 21, 2), (22, 8, 3), (22, 22, 8), (24, 24, 8),
        (32, 32, 8), (33, 33, 8), (34, 34, 8), (35, 35, 8), (36, 36, 8), (37, 37, 8),
        (40, 40, 17), (48, 48, 18), (54, 54, 18), (72, 72, 32),
    ];

    #[test]
    fn dsp_rule_matches_yosys_on_every_family() {
        for (family, table) in [(Family::Ice40, ICE40_DSP), (Family::Ecp5, ECP5_DSP), (Family::Gowin, GOWIN_DSP)] {
            for &(a, b, measured) in table {
                assert_eq!(dsp_for_multiply(family, a, b), measured, "{family} {a}x{b}");
                assert_eq!(dsp_for_multiply(family, b, a), measured, "{family} {b}x{a}");
            }
        }
    }

    /// (width, depth, SB_RAM40_4K) from `synth_ice40` of a memory as rtl-gen emits it.
    #[rustfmt::skip]
    const ICE40_BRAM: &[(u32, u32, u64)] = &[
        (1, 16, 0), (1, 63, 0), (1, 64, 0), (1, 65, 0), (1, 128, 1), (1, 256, 1), (1, 512, 1),
        (1, 1024, 1), (1, 2048, 1), (1, 4096, 1), (1, 16384, 4), (2, 16, 0), (2, 33, 0),
        (2, 64, 1), (2, 128, 1), (2, 256, 1), (2, 512, 1), (2, 1024, 1), (2, 2048, 1),
        (2, 4096, 2), (2, 16384, 8), (3, 22, 0), (3, 32, 1), (3, 300, 1), (3, 4096, 3),
        (4, 16, 0), (4, 64, 1), (4, 128, 1), (4, 256, 1), (4, 512, 1), (4, 1024, 1),
        (4, 2048, 2), (4, 4096, 4), (4, 16384, 16), (5, 16, 1), (5, 200, 1), (5, 8192, 10),
        (6, 96, 1), (7, 16, 1), (8, 16, 1), (8, 64, 1), (8, 128, 1), (8, 256, 1), (8, 512, 1),
        (8, 1024, 2), (8, 2048, 4), (8, 4096, 8), (8, 16384, 32), (9, 16, 1), (9, 64, 1),
        (9, 100, 1), (9, 128, 1), (9, 256, 1), (9, 512, 2), (9, 1024, 3), (9, 2048, 5),
        (9, 4096, 9), (9, 16384, 36), (10, 128, 1), (12, 64, 1), (12, 100, 1), (16, 16, 1),
        (16, 64, 1), (16, 128, 1), (16, 256, 1), (16, 512, 2), (16, 1024, 4), (16, 2048, 8),
        (16, 4096, 16), (16, 16384, 64), (17, 3000, 13), (18, 16, 2), (18, 64, 2), (18, 128, 2),
        (18, 256, 2), (18, 512, 3), (18, 1024, 5), (18, 2048, 9), (18, 4096, 18),
        (18, 16384, 72), (20, 32, 2), (24, 300, 3), (32, 16, 2), (32, 64, 2), (32, 128, 2),
        (32, 256, 2), (32, 512, 4), (32, 1024, 8), (32, 2048, 16), (32, 4096, 32),
        (32, 16384, 128), (36, 16, 3), (36, 64, 3), (36, 100, 3), (36, 128, 3), (36, 256, 3),
        (36, 512, 5), (36, 1024, 9), (36, 2048, 18), (36, 4096, 36), (36, 16384, 144),
        (40, 1000, 10), (48, 3000, 36), (64, 16, 4), (64, 64, 4), (64, 128, 4), (64, 256, 4),
        (64, 512, 8), (64, 1024, 16), (64, 2048, 32), (64, 4096, 64), (64, 16384, 256),
        (72, 16, 5), (72, 64, 5), (72, 128, 5), (72, 256, 5), (72, 512, 9), (72, 1024, 18),
        (72, 2048, 36), (72, 4096, 72), (72, 16384, 288), (100, 50, 7), (128, 64, 8),
        (128, 256, 8), (256, 512, 32),
    ];

    /// (width, depth, DP16KD, TRELLIS_DPR16X4) from `synth_ecp5`, Yosys 0.70.
    #[rustfmt::skip]
    const ECP5_BRAM: &[(u32, u32, u64, u64)] = &[
        (1, 16, 0, 1), (1, 63, 0, 4), (1, 64, 0, 4), (1, 65, 0, 5), (1, 128, 0, 8), (1, 256, 0, 16),
        (1, 512, 1, 0), (1, 1024, 1, 0), (1, 2048, 1, 0), (1, 4096, 1, 0), (1, 16384, 1, 0),
        (2, 16, 0, 1), (2, 33, 0, 3), (2, 64, 0, 4), (2, 128, 0, 8), (2, 256, 0, 16),
        (2, 512, 1, 0), (2, 1024, 1, 0), (2, 2048, 1, 0), (2, 4096, 1, 0), (2, 16384, 2, 0),
        (3, 22, 0, 2), (3, 32, 0, 2), (3, 300, 0, 19), (3, 4096, 1, 0), (4, 16, 0, 1),
        (4, 64, 0, 4), (4, 128, 0, 8), (4, 256, 0, 16), (4, 512, 1, 0), (4, 1024, 1, 0),
        (4, 2048, 1, 0), (4, 4096, 1, 0), (4, 16384, 4, 0), (5, 16, 0, 2), (5, 200, 1, 0),
        (5, 8192, 3, 0), (6, 96, 0, 12), (7, 16, 0, 2), (8, 16, 0, 2), (8, 64, 0, 8),
        (8, 128, 0, 16), (8, 256, 1, 0), (8, 512, 1, 0), (8, 1024, 1, 0), (8, 2048, 1, 0),
        (8, 4096, 2, 0), (8, 16384, 8, 0), (9, 16, 0, 3), (9, 64, 0, 12), (9, 100, 0, 21),
        (9, 128, 1, 0), (9, 256, 1, 0), (9, 512, 1, 0), (9, 1024, 1, 0), (9, 2048, 1, 0),
        (9, 4096, 2, 0), (9, 16384, 8, 0), (10, 128, 1, 0), (12, 64, 0, 12), (12, 100, 0, 21),
        (16, 16, 0, 4), (16, 64, 0, 16), (16, 128, 1, 0), (16, 256, 1, 0), (16, 512, 1, 0),
        (16, 1024, 1, 0), (16, 2048, 2, 0), (16, 4096, 4, 0), (16, 16384, 16, 0),
        (17, 3000, 3, 0), (18, 16, 0, 5), (18, 64, 0, 20), (18, 128, 1, 0), (18, 256, 1, 0),
        (18, 512, 1, 0), (18, 1024, 1, 0), (18, 2048, 2, 0), (18, 4096, 4, 0),
        (18, 16384, 16, 0), (20, 32, 0, 10), (24, 300, 1, 0), (32, 16, 0, 8), (32, 64, 1, 0),
        (32, 128, 1, 0), (32, 256, 1, 0), (32, 512, 1, 0), (32, 1024, 2, 0), (32, 2048, 4, 0),
        (32, 4096, 8, 0), (32, 16384, 32, 0), (36, 16, 0, 9), (36, 64, 1, 0), (36, 100, 1, 0),
        (36, 128, 1, 0), (36, 256, 1, 0), (36, 512, 1, 0), (36, 1024, 2, 0), (36, 2048, 4, 0),
        (36, 4096, 8, 0), (36, 16384, 32, 0), (40, 1000, 3, 0), (48, 3000, 9, 0),
        (64, 16, 0, 16), (64, 64, 2, 0), (64, 128, 2, 0), (64, 256, 2, 0), (64, 512, 2, 0),
        (64, 1024, 4, 0), (64, 2048, 8, 0), (64, 4096, 16, 0), (64, 16384, 64, 0),
        (72, 16, 0, 18), (72, 64, 2, 0), (72, 128, 2, 0), (72, 256, 2, 0), (72, 512, 2, 0),
        (72, 1024, 4, 0), (72, 2048, 8, 0), (72, 4096, 16, 0), (72, 16384, 64, 0),
        (100, 50, 3, 0), (128, 64, 4, 0), (128, 256, 4, 0), (256, 512, 8, 0),
    ];

    #[test]
    fn ice40_memory_rule_matches_yosys() {
        for &(w, d, bram) in ICE40_BRAM {
            let expected = if bram > 0 { MemoryMapping::BlockRam(bram) } else { MemoryMapping::Logic };
            assert_eq!(memory_mapping(Family::Ice40, w, d), expected, "ice40 {w}x{d}");
        }
    }

    #[test]
    fn ecp5_memory_rule_matches_yosys() {
        for &(w, d, bram, lutram) in ECP5_BRAM {
            let expected = match (bram, lutram) {
                (0, 0) => MemoryMapping::Logic,
                (0, n) => MemoryMapping::LutRam(n),
                (n, _) => MemoryMapping::BlockRam(n),
            };
            assert_eq!(memory_mapping(Family::Ecp5, w, d), expected, "ecp5 {w}x{d}");
        }
    }

    /// (width, depth, BSRAM, RAM16SDP4) from `synth_gowin`, Yosys 0.70 (BSRAM: SDPB,
    /// SDPX9B, DPB and DPX9B cells).
    #[rustfmt::skip]
    const GOWIN_BRAM: &[(u32, u32, u64, u64)] = &[
        (1, 16, 0, 1), (1, 63, 0, 4), (1, 64, 0, 4), (1, 65, 0, 5), (1, 128, 0, 8), (1, 256, 0, 16),
        (1, 512, 0, 32), (1, 1024, 0, 64), (1, 2048, 1, 0), (1, 4096, 1, 0), (1, 16384, 1, 0), (2, 16, 0, 1),
        (2, 33, 0, 3), (2, 64, 0, 4), (2, 128, 0, 8), (2, 256, 0, 16), (2, 512, 0, 32), (2, 1024, 1, 0),
        (2, 2048, 1, 0), (2, 4096, 1, 0), (2, 16384, 2, 0), (3, 22, 0, 2), (3, 32, 0, 2), (3, 300, 0, 19),
        (3, 4096, 1, 0), (4, 16, 0, 1), (4, 64, 0, 4), (4, 128, 0, 8), (4, 256, 0, 16), (4, 512, 1, 0),
        (4, 1024, 1, 0), (4, 2048, 1, 0), (4, 4096, 1, 0), (4, 16384, 4, 0), (5, 16, 0, 2), (5, 200, 0, 26),
        (5, 8192, 3, 0), (6, 96, 0, 12), (7, 16, 0, 2), (8, 16, 0, 2), (8, 64, 0, 8), (8, 128, 0, 16),
        (8, 256, 1, 0), (8, 512, 1, 0), (8, 1024, 1, 0), (8, 2048, 1, 0), (8, 4096, 2, 0), (8, 16384, 8, 0),
        (9, 16, 0, 3), (9, 64, 0, 12), (9, 100, 0, 21), (9, 128, 0, 24), (9, 256, 1, 0), (9, 512, 1, 0),
        (9, 1024, 1, 0), (9, 2048, 1, 0), (9, 4096, 2, 0), (9, 16384, 8, 0), (10, 128, 0, 24),
        (12, 64, 0, 12), (12, 100, 0, 21), (16, 16, 0, 4), (16, 64, 0, 16), (16, 128, 1, 0), (16, 256, 1, 0),
        (16, 512, 1, 0), (16, 1024, 1, 0), (16, 2048, 2, 0), (16, 4096, 4, 0), (16, 16384, 16, 0),
        (17, 3000, 3, 0), (18, 16, 0, 5), (18, 64, 0, 20), (18, 128, 1, 0), (18, 256, 1, 0), (18, 512, 1, 0),
        (18, 1024, 1, 0), (18, 2048, 2, 0), (18, 4096, 4, 0), (18, 16384, 16, 0), (20, 32, 0, 10),
        (24, 300, 1, 0), (32, 16, 0, 8), (32, 64, 1, 0), (32, 128, 1, 0), (32, 256, 1, 0), (32, 512, 1, 0),
        (32, 1024, 2, 0), (32, 2048, 4, 0), (32, 4096, 8, 0), (32, 16384, 32, 0), (36, 16, 0, 9),
        (36, 64, 1, 0), (36, 100, 1, 0), (36, 128, 1, 0), (36, 256, 1, 0), (36, 512, 1, 0), (36, 1024, 2, 0),
        (36, 2048, 4, 0), (36, 4096, 8, 0), (36, 16384, 32, 0), (40, 1000, 3, 0), (48, 3000, 9, 0),
        (64, 16, 0, 16), (64, 64, 2, 0), (64, 128, 2, 0), (64, 256, 2, 0), (64, 512, 2, 0), (64, 1024, 4, 0),
        (64, 2048, 8, 0), (64, 4096, 16, 0), (64, 16384, 64, 0), (72, 16, 0, 18), (72, 64, 2, 0),
        (72, 128, 2, 0), (72, 256, 2, 0), (72, 512, 2, 0), (72, 1024, 4, 0), (72, 2048, 8, 0),
        (72, 4096, 16, 0), (72, 16384, 64, 0), (100, 50, 3, 0), (128, 64, 4, 0), (128, 256, 4, 0),
        (256, 512, 8, 0),
    ];

    #[test]
    fn gowin_memory_rule_matches_yosys() {
        for &(w, d, bram, lutram) in GOWIN_BRAM {
            let expected = match (bram, lutram) {
                (0, 0) => MemoryMapping::Logic,
                (0, n) => MemoryMapping::LutRam(n),
                (n, _) => MemoryMapping::BlockRam(n),
            };
            assert_eq!(memory_mapping(Family::Gowin, w, d), expected, "gowin {w}x{d}");
        }
    }

    /// (a_bits, b_bits, SB_MAC16 / MULT18X18D / MULT9X9 units) of unsigned full products
    /// (`{16'd0, a} * {16'd0, b}`), Yosys 0.70.
    #[test]
    fn unsigned_products_take_what_yosys_gives() {
        for (family, units) in [(Family::Ice40, 1), (Family::Ecp5, 1), (Family::Gowin, 2)] {
            assert_eq!(dsp_for_unsigned_multiply(family, 16, 16), units, "{family}");
            assert_eq!(dsp_for_requantizer(family, 1), units, "{family}");
        }
        assert_eq!(dsp_for_requantizer(Family::Ice40, 4), 4);
        assert_eq!(dsp_for_requantizer(Family::Gowin, 4), 8);
        for family in [Family::Ice40, Family::Ecp5, Family::Gowin] {
            assert_eq!(dsp_for_requantizer(family, 0), 0, "{family}: the Booth product is logic");
        }
    }

    #[test]
    fn pairs_share_an_sb_mac16_up_to_8_bits_only() {
        for bits in 4..=8 {
            assert_eq!(dsp_for_pair(Family::Ice40, bits), 1, "{bits}");
        }
        assert_eq!(dsp_for_pair(Family::Ice40, 9), 2);
        assert_eq!(dsp_for_pair(Family::Ecp5, 16), 2);
        assert_eq!(dsp_for_pair(Family::Gowin, 16), 4);
    }

    #[test]
    fn empty_memory_needs_nothing() {
        assert_eq!(memory_mapping(Family::Ice40, 0, 512), MemoryMapping::Logic);
        assert_eq!(bram_for_memory(Family::Ecp5, 8, 0), 0);
    }
}

/// The hard blocks of a configuration's datapath, block by block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DatapathPlan {
    /// DSP blocks of the matrix engine: its DSP PEs' multipliers (`dsp_multipliers`
    /// products: pairs of them in one SB_MAC16 on iCE40, see [`dsp_for_pair`]).
    pub engine_dsp: u64,
    /// DSP blocks of the accumulator's requantizer ([`dsp_for_requantizer`]).
    pub accumulator_dsp: u64,
    /// Block RAMs of the scratchpad (every bank).
    pub scratchpad_bram: u64,
    /// Block RAMs of the accumulator memory (twice the memory: one copy per read port).
    pub accumulator_bram: u64,
}

impl DatapathPlan {
    /// All DSP blocks.
    pub fn dsp(&self) -> u64 {
        self.engine_dsp + self.accumulator_dsp
    }

    /// All block RAMs.
    pub fn bram(&self) -> u64 {
        self.scratchpad_bram + self.accumulator_bram
    }
}

/// The planned hard blocks of `cfg`'s datapath on `family`, before any tool runs.
///
/// ```
/// use fpga::{plan::datapath, Family};
/// let mut cfg = ip_blocks::Config::preset("ice40").unwrap();
/// let p = datapath(&cfg, Family::Ice40);
/// // 8 PE multipliers, two per SB_MAC16, and the requantizer's 32x32 product: the UP5K's
/// // 8 SB_MAC16.
/// assert_eq!((p.engine_dsp, p.accumulator_dsp), (4, 4));
/// assert!(p.bram() <= 30);
/// // 14 PE multipliers and the serial requantizer: 7 + 1.
/// cfg.array.dsp_multipliers = Some(14);
/// cfg.accumulator.requant_dsps = 1;
/// let p = datapath(&cfg, Family::Ice40);
/// assert_eq!((p.engine_dsp, p.accumulator_dsp), (7, 1));
/// // All 16 in pairs and the requantizer's Booth product in logic: 8 + 0.
/// cfg.array.dsp_multipliers = Some(16);
/// cfg.accumulator.requant_dsps = 0;
/// let p = datapath(&cfg, Family::Ice40);
/// assert_eq!((p.engine_dsp, p.accumulator_dsp), (8, 0));
/// ```
pub fn datapath(cfg: &ip_blocks::Config, family: Family) -> DatapathPlan {
    let a = &cfg.array;
    let acc_row = a.cols * a.acc_bits;
    let pairs = ip_blocks::blocks::systolic_array::pairs(a);
    let singles = a.dsp_pes() - 2 * pairs;
    DatapathPlan {
        engine_dsp: u64::from(pairs) * dsp_for_pair(family, a.input_bits)
            + u64::from(singles) * dsp_for_multiply(family, a.input_bits, a.input_bits),
        accumulator_dsp: dsp_for_requantizer(family, cfg.accumulator.requant_dsps),
        scratchpad_bram: u64::from(cfg.scratchpad.banks)
            * bram_for_memory(family, cfg.scratchpad_row_bits(), cfg.scratchpad.rows_per_bank),
        accumulator_bram: 2 * bram_for_memory(family, acc_row, cfg.accumulator.rows),
    }
}
