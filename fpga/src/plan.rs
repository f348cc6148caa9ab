//! The hard blocks a design will use, computed from its sizes before any tool runs
//! (DESIGN decision 9): Yosys does not know how many DSPs or block RAMs a device has, and
//! place and route fails late, so the generator budgets them itself.
//!
//! The rules reproduce what Yosys 0.70 does (`synth_ice40 -dsp`, `synth_ecp5`), and the
//! tests below hold them to tables measured with it:
//!
//! - **Multipliers** ([`dsp_for_multiply`]): Yosys's `mul2dsp` cuts each operand into
//!   slices of the DSP's width from the least significant bit (16 on iCE40, 18 on ECP5;
//!   the last slice holds the rest) and gives every pair of slices its own DSP, except
//!   pairs too small to be worth one: a slice of 1 bit, and on iCE40 a pair whose product
//!   is under 11 bits. Those become logic. So a signed 32x32 product takes 4 DSPs on both
//!   families, and a 4x4 product takes none on iCE40.
//! - **Memories** ([`memory_mapping`], [`bram_for_memory`]): Yosys's `memory_libmap` prices
//!   every way to build a memory and takes the cheapest: block RAM (64 per SB_RAM40_4K, 128
//!   per DP16KD), ECP5 distributed RAM (4 per TRELLIS_DPR16X4), or flip-flops (1 per bit),
//!   plus half a point per bit of address decoding and 2 for the read enable. On iCE40 a
//!   memory of 66 bits or fewer stays in flip-flops; on ECP5 small and shallow memories
//!   (up to 16x64, 8x128, 4x256 ...) go to distributed RAM. The rules are for memories as
//!   `rtl-gen` emits them: one write port with one enable, one registered read port with
//!   an enable, `no_rw_check`.

use crate::Family;

/// Signed `a_bits` x `b_bits` full products, one DSP block per pair of operand slices
/// Yosys keeps in a DSP (see the module documentation). Both operand orders give the
/// same count.
///
/// ```
/// use fpga::{plan::dsp_for_multiply, Family};
/// assert_eq!(dsp_for_multiply(Family::Ice40, 8, 8), 1);
/// assert_eq!(dsp_for_multiply(Family::Ice40, 32, 32), 4);
/// assert_eq!(dsp_for_multiply(Family::Ice40, 4, 4), 0); // too small: logic
/// assert_eq!(dsp_for_multiply(Family::Ecp5, 18, 18), 1);
/// assert_eq!(dsp_for_multiply(Family::Ecp5, 36, 36), 4);
/// ```
pub fn dsp_for_multiply(family: Family, a_bits: u32, b_bits: u32) -> u64 {
    // DSP width, smallest slice worth a DSP, smallest product worth a DSP (the
    // `mul2dsp` parameters synth_ice40 and synth_lattice pass).
    let (max, min_slice, min_product) = match family {
        Family::Ice40 => (16, 2, 11),
        Family::Ecp5 => (18, 2, 0),
    };
    if a_bits + b_bits < min_product {
        return 0;
    }
    let (a, b) = (slices(a_bits, max), slices(b_bits, max));
    let mut count = 0;
    for &sa in &a {
        for &sb in &b {
            if sa >= min_slice && sb >= min_slice && sa + sb >= min_product {
                count += 1;
            }
        }
    }
    count
}

/// `bits` cut into slices of `max` from the least significant end, the rest on top.
fn slices(bits: u32, max: u32) -> Vec<u32> {
    let mut out = vec![max; (bits.saturating_sub(1) / max) as usize];
    out.push(bits - max * out.len() as u32);
    out
}

/// Where Yosys puts a memory, and how many cells it takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryMapping {
    /// Block RAMs: SB_RAM40_4K (iCE40) or DP16KD (ECP5).
    BlockRam(u64),
    /// ECP5 distributed RAM: TRELLIS_DPR16X4 cells (16 words of 4 bits each).
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
}

impl Geometry {
    /// (primitives, cost) for `width` x `depth`: as `memory_libmap` counts them.
    fn price(&self, width: u64, depth: u64) -> (u64, f64) {
        let stacked = depth.div_ceil(self.depth);
        let padded = width.div_ceil(self.byte) * self.byte;
        let count = (stacked * padded).div_ceil(self.width);
        let read_mux = (stacked - 1) * width;
        let write_decode = if stacked > 1 { stacked } else { 0 };
        // The registered read port with an enable costs 2 (emulation score 1) on every
        // primitive of both families.
        let cost = self.cost * count as f64 + 0.5 * (read_mux + write_decode) as f64 + 2.0;
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
            });
            let (count, cost) = cheapest(&sb_ram, w, d);
            if cost < logic {
                MemoryMapping::BlockRam(count)
            } else {
                MemoryMapping::Logic
            }
        }
        Family::Ecp5 => {
            // DP16KD: 16384x1 ... 1024x18, write enables per 9 bits; PDPW16KD (the
            // pseudo dual-port mode of the same block): 512x36.
            let dp16kd = [(16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36)]
                .map(|(depth, width)| Geometry { depth, width, byte: width.min(9), cost: 128.0 });
            let dpr16x4 = [Geometry { depth: 16, width: 4, byte: 4, cost: 4.0 }];
            let (lut_count, lut_cost) = cheapest(&dpr16x4, w, d);
            let (bram_count, bram_cost) = cheapest(&dp16kd, w, d);
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

    #[test]
    fn dsp_rule_matches_yosys_on_both_families() {
        for (family, table) in [(Family::Ice40, ICE40_DSP), (Family::Ecp5, ECP5_DSP)] {
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

    #[test]
    fn empty_memory_needs_nothing() {
        assert_eq!(memory_mapping(Family::Ice40, 0, 512), MemoryMapping::Logic);
        assert_eq!(bram_for_memory(Family::Ecp5, 8, 0), 0);
    }

    #[test]
    fn slices_cut_from_the_bottom() {
        assert_eq!(slices(8, 16), [8]);
        assert_eq!(slices(16, 16), [16]);
        assert_eq!(slices(17, 16), [16, 1]);
        assert_eq!(slices(40, 16), [16, 16, 8]);
        assert_eq!(slices(36, 18), [18, 18]);
    }
}

/// The hard blocks of a configuration's datapath, block by block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DatapathPlan {
    /// DSP blocks of the matrix engine: its DSP PEs' multipliers.
    pub engine_dsp: u64,
    /// DSP blocks of the accumulator's requantizer (one 32x32 signed product).
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
/// let cfg = ip_blocks::Config::preset("ice40").unwrap();
/// let p = datapath(&cfg, Family::Ice40);
/// // 4 PE multipliers and the requantizer's 32x32 product: the UP5K's 8 SB_MAC16.
/// assert_eq!((p.engine_dsp, p.accumulator_dsp), (4, 4));
/// assert!(p.bram() <= 30);
/// ```
pub fn datapath(cfg: &ip_blocks::Config, family: Family) -> DatapathPlan {
    let a = &cfg.array;
    let acc_row = a.cols * a.acc_bits;
    DatapathPlan {
        engine_dsp: u64::from(a.dsp_pes()) * dsp_for_multiply(family, a.input_bits, a.input_bits),
        accumulator_dsp: dsp_for_multiply(family, 32, 32),
        scratchpad_bram: u64::from(cfg.scratchpad.banks)
            * bram_for_memory(family, cfg.scratchpad_row_bits(), cfg.scratchpad.rows_per_bank),
        accumulator_bram: 2 * bram_for_memory(family, acc_row, cfg.accumulator.rows),
    }
}
