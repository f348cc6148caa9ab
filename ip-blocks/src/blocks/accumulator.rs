//! The accumulator memory: `rows` rows of `cols` signed accumulators of `acc_bits`
//! bits, written or accumulated one row per cycle by the matrix engine (or the DMA), and
//! read out one row per beat, either raw or requantized to `out_bits` through bias,
//! TFLite/gemmlowp requantization, activation and saturation. The read-out is bit-exact
//! with [`crate::quant::requantize`].
//!
//! Ports (`clk_i` and `rst_i` first; `<n>` is a column, 0 to `cols - 1`):
//!
//! | port | width | meaning |
//! |---|---|---|
//! | `wr_valid_i`, `wr_ready_o` | 1 | write channel: a write of row `wr_addr_i` |
//! | `wr_addr_i` | addr | the row |
//! | `wr_accumulate_i` | 1 | 1: add the vector to the stored row (wrapping at `acc_bits`); 0: overwrite |
//! | `wr_data_c<n>_i` | acc | the vector |
//! | `rd_valid_i`, `rd_ready_o` | 1 | read channel: a read of row `rd_addr_i` |
//! | `rd_addr_i` | addr | the row |
//! | `rd_raw_i` | 1 | 1: raw accumulators; 0: requantized |
//! | `out_valid_o`, `out_ready_i` | 1 | output channel: one row per beat, in read order |
//! | `out_raw_o` | 1 | the beat's kind (as `rd_raw_i` of its read) |
//! | `out_acc_c<n>_o` | acc | the stored row, meaningful on raw beats |
//! | `out_q_c<n>_o` | out | the requantized row, meaningful on requantized beats |
//! | `cfg_multiplier_i` | 32 | Q0.31 multiplier, any value |
//! | `cfg_shift_i` | 5 | rounding right shift |
//! | `cfg_activation_i` | 2 | 0 none, 1 ReLU, 2 ReLU6 (3 is reserved and acts as none) |
//! | `cfg_relu6_max_i` | out | ReLU6's upper clamp, signed |
//! | `bias_load_i` | 1 | 1: the row on `out_acc_c<n>_o` (a raw beat) becomes the bias, column n's added to column n before requantization (reset: 0) |
//!
//! The `cfg_*` inputs are sampled as a requantized row passes through the pipeline: hold
//! them stable from a requantized read's acceptance until its beat has left, and raise
//! `bias_load_i` only then too (the controller changes them only while no requantized
//! read is outstanding). The bias is kept in `cols` registers that turn by one column
//! as each column goes into the bias add, so that the add always takes `bias_c0`: no
//! column multiplexer (`cols` turns bring them back at the end of every requantized row).
//!
//! Timing:
//! - Write: a row is read (block-RAM port 1) at the accepting edge and written back one
//!   edge later. An accumulate to the row accepted in the previous cycle waits one cycle
//!   (`wr_ready_o` low: a stall, not a forward; 128 flip-flops and a 128-bit multiplexer
//!   less at 4 int32 columns), so back-to-back accumulates to one row take two cycles
//!   each. The test compares only the low [`WR_HAZARD_BITS`] address bits, so an
//!   accumulate to a row agreeing with the previous one there waits too (never two
//!   consecutive rows); every other write is accepted at once. `wr_ready_o` depends combinationally on
//!   `wr_addr_i` and `wr_accumulate_i`, never on `wr_valid_i`.
//! - Write with `read_latency` = 2: the stored row goes through a register after the
//!   block RAM (`rmw_row`) and is written back two edges after the accepting one; an
//!   accumulate waits while a write to its row (low bits) is in either stage, so
//!   back-to-back accumulates to one row take three cycles each, and a read waits while
//!   a write to its row is in either stage.
//! - Read: a read sees every write accepted in an earlier cycle; a write accepted in the
//!   same cycle as the read comes after it (the read returns the old row). While a write
//!   to `rd_addr_i` is in its second stage, `rd_ready_o` is low for one cycle (a stall,
//!   not a forward). `rd_ready_o` depends combinationally on `rd_addr_i` and
//!   `out_ready_i`, never on `rd_valid_i`. With `read_ready_registered` a read waits
//!   until the row before it has left the read register (a cycle after it leaves), and
//!   `rd_ready_o` depends on `rd_addr_i` alone.
//! - Raw beats: on the output right after the accepting edge ([`RAW_LATENCY`] = 1),
//!   one row per cycle. The row stays in the block RAM's read register until taken.
//! - Requantized beats: a serial requantizer takes one column per cycle through
//!   [`REQUANT_STAGES`] pipeline registers (column select, bias add and int32
//!   saturation, the product, SRDHM rounding, the rounding shift) and an output register
//!   per column (saturation and activation). One row every `cols` cycles; the beat
//!   appears [`requant_latency`] = `cols + 6` edges after its read was accepted. With
//!   `requant_dsps` = 1 the product is computed over four cycles from 16x16 partial
//!   products (see `serial_product`): one column every 4 cycles, one row every
//!   `4 * cols`, the beat `4 * cols + 7` edges after its read ([`requant_cycles`]). With
//!   `requant_dsps` = 0 the product is a radix-4 Booth serial multiplier in logic (see
//!   `booth_product`, pipelined: one carry chain per cycle): one column every 8 cycles, the
//!   beat `8 * cols + 7` edges after its read. A raw beat queued behind a requantized
//!   row waits for that row to leave. `out_ready_i` low freezes the requantizer pipeline.
//! - With `read_out_registered` the block RAM's read register is a stage of its own
//!   (`rd_pend`): its row moves into the `row_c<n>` registers a cycle after the read, or
//!   once the row there has left, and a read is taken while it is empty or handing its
//!   row on (with `read_ready_registered`: while it or the row registers are empty). Raw
//!   beats and the bias load take the row from the registers; a requantized row shifts
//!   down one column per issue, so that stage 1 takes `row_c0` (no column multiplexer
//!   after the block RAM). Every beat comes one edge later ([`raw_latency`] = 2,
//!   [`requant_latency`] one more), at the same rate.
//! - With `product_stages` = 2 (the 32x32 product only) the four 16x16 partial products
//!   are registered before their sum (see `split_product`): the same throughput, the
//!   beat one edge later (`cols + 7`).
//!
//! The arithmetic is rearranged for area, bit-exact all the same: SRDHM is not saturated
//! (its one overflow, `i32::MIN * i32::MIN`, gives 2^31, which every activation and the
//! final saturation treat as `i32::MAX`); the rounding shift is `(u + 1) >>> 1` with `u =
//! (2w + 1) >>> shift`, where `w` is SRDHM minus one when it is negative and the shift is
//! not 0, so that ties go away from zero without a nudge adder; the shifter keeps only
//! `out_bits + 2` bits and a flag saying whether the rest were sign copies
//! (`narrow_shift`); and saturation to `out_bits` comes before the activation, which
//! then compares `out_bits` wide (saturation commutes with ReLU and ReLU6).
//!
//! Resources: one signed 32x32 product (`requant_dsps` = 4: 4 SB_MAC16 on iCE40, 4
//! MULT18X18D on ECP5), one unsigned 16x16 product (`requant_dsps` = 1: one SB_MAC16 or
//! MULT18X18D) or none (`requant_dsps` = 0: two adders, 34 and 37 bits, with their Booth
//! digit multiplexers, about 310 SB_LUT4 and 40 flip-flops in the iCEBreaker 4x4 board
//! before the pipelining's 43 more flip-flops (17 more logic cells there),
//! against about 250 LUTs and flip-flops of the 16x16 form's digit and sum registers
//! and an SB_MAC16), and one memory of `rows` x `cols * acc_bits` bits with one write and two
//! synchronous read ports (read-modify-write and read-out). iCE40 block RAM has one read
//! port, so Yosys duplicates the memory there: twice the EBRs of the contents. Measured
//! with Yosys 0.70 (`synth_ice40 -dsp`) on 64 rows x 4 int32 columns, int8 out: 4
//! SB_MAC16, 734 SB_LUT4, 458 flip-flops (`requant_dsps` = 4); 1 SB_MAC16, 814 SB_LUT4,
//! 526 flip-flops (`requant_dsps` = 1); 16 SB_RAM40_4K either way. Addresses must be
//! below `rows`.

use super::util::{select, wrapping_counter};
use rtl_gen::ir::clog2;
use rtl_gen::{CheckError, CheckErrors, Design, ExprId, IntoExpr, ModuleBuilder, ModuleId, SignalId};

/// Parameters of the accumulator memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccumulatorParams {
    /// Rows of the memory, 2 to 65536.
    pub rows: u32,
    /// Accumulators per row (the array's columns), 1 to 64.
    pub cols: u32,
    /// Width of a signed accumulator, 2 to 64 bits.
    pub acc_bits: u32,
    /// Width of a signed requantized output, 2 to 32 bits.
    pub out_bits: u32,
    /// DSP blocks of the requantizer's product: 4, one signed 32x32 product, a column per
    /// cycle; 1, one unsigned 16x16 product used four times, a column every 4 cycles; 0,
    /// a radix-4 Booth serial product in logic, a column every 8 cycles (see
    /// [`requant_cycles`]).
    pub requant_dsps: u32,
    /// Clock edges from the read-modify-write's block-RAM read to its sum: 1, the sum
    /// straight from the block RAM's output, written one edge after the accepting one; 2,
    /// a register after the block RAM (`rmw_row`), the write one edge later, and an
    /// accumulate waiting while a write to its row is in either stage.
    pub read_latency: u32,
    /// Pipeline registers of the 32x32 product (`requant_dsps` = 4): 1, the product
    /// registered whole; 2, its four 16x16 partial products registered before their sum
    /// (one edge more from a requantized read to its beat, the same throughput).
    pub product_stages: u32,
    /// `rd_ready_o` from the read register's state alone: a read is accepted only once
    /// the row before it has left (not in the cycle it leaves), one cycle more per row,
    /// so that `rd_ready_o` does not depend on `out_ready_i` (no combinational path
    /// from the reader's response handshake back to its request).
    pub read_ready_registered: bool,
    /// A register stage after the read-out's block RAM (`row_c<n>`, one row): the row
    /// moves into it a cycle after its read (or once the row before it has left), raw
    /// beats and the bias load take it from there, and a requantized row shifts down one
    /// column per issue so that stage 1 always takes column 0 (no column multiplexer
    /// after the block RAM). One edge more from a read to its beat, the same throughput.
    pub read_out_registered: bool,
}

impl AccumulatorParams {
    /// Width of a row address.
    pub fn addr_bits(&self) -> u32 {
        clog2(self.rows.into()).max(1)
    }

    /// Width of a memory word: one row of `cols` accumulators.
    pub fn row_bits(&self) -> u32 {
        self.cols * self.acc_bits
    }

    /// Check every parameter; the error names the module, the parameter, its value and
    /// the allowed range.
    pub fn check(&self, module: &str) -> Result<(), CheckErrors> {
        let limits = [
            ("rows", self.rows, 2, 65536, ""),
            ("cols", self.cols, 1, 64, ""),
            ("acc_bits", self.acc_bits, 2, 64, " bits"),
            ("out_bits", self.out_bits, 2, 32, " bits (the requantizer saturates from 32 bits)"),
        ];
        let mut errors: Vec<CheckError> = limits
            .iter()
            .filter(|(_, v, lo, hi, _)| v < lo || v > hi)
            .map(|(name, v, lo, hi, why)| CheckError::Parameter {
                module: module.to_string(),
                parameter: name.to_string(),
                value: v.to_string(),
                allowed: format!("{lo} to {hi}{why}"),
            })
            .collect();
        if ![0, 1, 4].contains(&self.requant_dsps) {
            errors.push(CheckError::Parameter {
                module: module.to_string(),
                parameter: "requant_dsps".into(),
                value: self.requant_dsps.to_string(),
                allowed: "0, 1 or 4 (a Booth product in logic, one 16x16 product used four times, or one 32x32 \
                          product)"
                    .into(),
            });
        }
        for (name, v) in [("read_latency", self.read_latency), ("product_stages", self.product_stages)] {
            if !(1..=2).contains(&v) {
                errors.push(CheckError::Parameter {
                    module: module.to_string(),
                    parameter: name.into(),
                    value: v.to_string(),
                    allowed: "1 to 2".into(),
                });
            }
        }
        if self.product_stages == 2 && self.requant_dsps != 4 {
            errors.push(CheckError::Parameter {
                module: module.to_string(),
                parameter: "product_stages".into(),
                value: "2".into(),
                allowed: "1 with requant_dsps 0 or 1 (only the 32x32 product has two stages)".into(),
            });
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(CheckErrors(errors))
        }
    }
}

/// Low address bits the write port compares to find an accumulate to the row in stage 1
/// (rows that agree in them wait a cycle too).
pub const WR_HAZARD_BITS: u32 = 2;

/// Clock edges from a raw read's acceptance to its beat on the output (without
/// `read_out_registered`; see [`raw_latency`]).
pub const RAW_LATENCY: u32 = 1;

/// Clock edges from a raw read's acceptance to its beat: [`RAW_LATENCY`], one more with
/// `read_out_registered`.
pub fn raw_latency(p: &AccumulatorParams) -> u32 {
    RAW_LATENCY + u32::from(p.read_out_registered)
}

/// Pipeline registers of the serial requantizer before the output registers.
pub const REQUANT_STAGES: u32 = 5;

/// Cycles the requantizer spends on one column: 1 with the 32x32 product
/// (`requant_dsps` = 4), 4 with the serial one (`requant_dsps` = 1, see
/// [`serial_product`]), 8 with the Booth product in logic (`requant_dsps` = 0, see
/// [`booth_product`]). A requantized row takes `cols` times as many.
pub fn requant_cycles(p: &AccumulatorParams) -> u32 {
    column_cycles(p.requant_dsps)
}

/// [`requant_cycles`] from the `accumulator.requant_dsps` key alone (the tiler's timing
/// model takes it from the configuration).
pub fn column_cycles(requant_dsps: u32) -> u32 {
    match requant_dsps {
        0 => 8,
        1 => 4,
        _ => 1,
    }
}

/// Clock edges from a requantized read's acceptance to its beat (output never stalled):
/// `cols + 6` with the 32x32 product (`cols + 7` with `product_stages` = 2), `4 * cols +
/// 7` with the serial one, `8 * cols + 7` with the Booth one; one more each with
/// `read_out_registered`.
pub fn requant_latency(p: &AccumulatorParams) -> u32 {
    let cycles = requant_cycles(p);
    let registered = u32::from(p.read_out_registered);
    // The serial product adds four edges to a column's way through the stages (and one
    // valid bit); the Booth product takes a whole period for the select and bias, one
    // for the 8 steps, and lands 5 edges later (its steps are pipelined three deep).
    registered
        + match p.requant_dsps {
            0 => cycles * (p.cols - 1) + cycles + 7,
            1 => cycles * (p.cols - 1) + REQUANT_STAGES + 2 + 4,
            _ => cycles * (p.cols - 1) + REQUANT_STAGES + 2 + (p.product_stages - 1),
        }
}

/// `x` (signed) saturated to `to` bits, or sign-extended when it is narrower.
fn saturate(m: &mut ModuleBuilder, x: impl IntoExpr, to: u32) -> ExprId {
    let x = x.into_expr(m);
    let w = m.width(x);
    if to >= w {
        return m.sext(x, to);
    }
    // In range when bits [w-1 : to-1] are all equal.
    let top = m.slice(x, to - 1, w - to + 1);
    let all_ones = m.all(top);
    let any_one = m.any(top);
    let all_zeros = m.not(any_one);
    let in_range = m.or(all_ones, all_zeros);
    let sign = m.bit(x, w - 1);
    let max = m.lit((1u64 << (to - 1)) - 1, to);
    let min = m.lit(1u64 << (to - 1), to);
    let limit = m.mux(sign, min, max);
    let low = m.trunc(x, to);
    m.mux(in_range, low, limit)
}

/// Stages 3 and 4 with one signed 32x32 product (a DSP multiply: 4 SB_MAC16 on iCE40):
/// `prod` is the 64-bit product; `w` = SRDHM without its saturation, `(prod + 2^30) >>
/// 31`, or `(prod - 2^30) >> 31` when the product is negative and `shifting` (that is
/// SRDHM - 1 for a negative SRDHM, and -1 instead of 0 for a product in (-2^30, 0), which
/// the rounding shift then takes to the same result). Returns the `srdhm` register and
/// the bit below it for the rounding shift (`shifting`).
///
/// With `split` (`product_stages` = 2) the product takes two edges (see
/// [`split_product`]): its partial products are registered before their sum, and `at[2]`
/// loads both registers (every stage moves together when the product is whole).
fn wide_product(
    m: &mut ModuleBuilder,
    x32: ExprId,
    multiplier: SignalId,
    at: &[ExprId],
    shifting: SignalId,
    split: Option<(&Design, ModuleId)>,
) -> (ExprId, ExprId) {
    let (high, negative) = if let Some(split) = split {
        // The module's x register loads at `at[1]`, its products at `at[2]`: one signal
        // with the 32x32 product (every stage loads while the requantizer advances).
        debug_assert_eq!(at[1], at[2]);
        split_product(m, split, x32, multiplier, at[2])
    } else {
        let prod = m.reg("prod", 64).enable(at[2]).build();
        let x32 = x32_register(m, x32, at[1]);
        let product = m.mul_signed_full(x32, multiplier);
        m.next(prod, product);
        m.mark_unused(prod.q); // bits 29:0 cannot reach the result
        (m.slice(prod, 30, 34), m.bit(prod, 63))
    };
    // The nudge only touches bits 30 and up: prod[63:30] + 1, or - 1 (negative, shifting).
    let down = m.and(negative, shifting);
    let step = m.sext(down, 33);
    let one = m.lit(1, 1);
    let nudge = m.concat([step, one]);
    let rounded = m.add(high, nudge);
    let rounded = m.named("srdhm_rounded", rounded);
    m.mark_unused(rounded); // bit 0 is below the result
    let value = m.slice(rounded, 1, 33);
    let srdhm = m.reg("srdhm", 33).enable(at[3]).build();
    m.next(srdhm, value);
    let w = m.sig(srdhm.q);
    (w, m.sig(shifting))
}

/// The signed 32x32 product `x32 * multiplier` in two stages, both loaded at `en`: four
/// 16x16 partial products, registered, in the split product module `split`
/// ([`super::mul::build_split`]: one MULT18X18D each on ECP5, where the flow puts its
/// registers in the DSP blocks), then their sum, registered. The module registers `x32`
/// at `en` and the multiplier every cycle (a copy beside the DSPs: `cfg_multiplier_i`
/// comes from the controller, routing across the device, and is stable from a
/// requantized read's acceptance on, two edges before its first column gets here). With
/// `x = X1 * 2^16 + X0` and `multiplier = M1 * 2^16 + M0` (`X1`, `M1` signed, `X0`, `M0`
/// unsigned), `P = {X1*M1, X0*M0} + (X1*M0 + X0*M1) * 2^16`: the outer products side by
/// side (they do not overlap), the middle ones added into them. Returns `P[63:30]` (the
/// `prod` register, 34 bits) and the product's sign.
fn split_product(
    m: &mut ModuleBuilder,
    split: (&Design, ModuleId),
    x32: ExprId,
    multiplier: SignalId,
    en: ExprId,
) -> (ExprId, ExprId) {
    let inst = m.instance("u_prod", split.0, split.1);
    m.connect(inst, "en_i", en);
    m.connect(inst, "x_i", x32);
    m.connect(inst, "m_i", multiplier);
    let low_top = m.connect_wire(inst, "ll_o", "prod_ll");
    let mid_a = m.connect_wire(inst, "hl_o", "prod_hl");
    let mid_b = m.connect_wire(inst, "lh_o", "prod_lh");
    let high = m.connect_wire(inst, "hh_o", "prod_hh");
    // P[63:16] = {X1*M1, (X0*M0)[31:16]} + X1*M0 + X0*M1.
    let a = m.sext(mid_a, 34);
    let b = m.sext(mid_b, 34);
    let mid = m.add(a, b);
    let mid = m.named("prod_mid", mid);
    let mid = m.sext(mid, 48);
    let outer = m.concat([high, low_top]);
    let sum = m.add(outer, mid);
    let sum = m.named("prod_sum", sum);
    m.mark_unused(sum); // P[29:16] only carry into the result
    let value = m.slice(sum, 14, 34);
    let prod = m.reg("prod", 34).enable(en).build();
    m.next(prod, value);
    let prod = m.sig(prod.q);
    (prod, m.bit(prod, 33))
}

/// The `x32` register of the 32x32 product, loaded at `en`.
fn x32_register(m: &mut ModuleBuilder, x32: ExprId, en: ExprId) -> SignalId {
    let r = m.reg("x32", 32).enable(en).build();
    m.next(r, x32);
    r.q
}

/// `|v|` of a signed 32-bit `v` (sign `neg`) as two digits: `lo` = `|v| mod 2^15` plus
/// `2^15` when the borrow of the negation reaches bit 15 (16 bits, at most `2^15`), and
/// `hi` = `v[30:15]` (to be inverted when `neg`), so that `|v| = (hi ^ neg) * 2^15 + lo`.
fn magnitude_digits(m: &mut ModuleBuilder, v: ExprId, neg: ExprId) -> (ExprId, ExprId) {
    // (v ^ -neg) + neg, the low 15 bits with their carry: ({neg, v[14:0]} - neg) ^ -neg.
    let low = m.slice(v, 0, 15);
    let low = m.concat([neg, low]);
    let borrow = m.zext(neg, 16);
    let diff = m.sub(low, borrow);
    let mask = m.sext(neg, 16);
    let lo = m.xor(diff, mask);
    let hi = m.slice(v, 15, 16);
    (lo, hi)
}

/// Stages 3 and 4 with one unsigned 16x16 product used four times (a DSP multiply: one
/// SB_MAC16 on iCE40), a column every 4 cycles. Returns `w` and the bit below it for the
/// rounding shift, as [`wide_product`] does.
///
/// The magnitudes `|x32| = X1 * 2^15 + X0` and `|multiplier| = M1 * 2^15 + M0` (digits of
/// at most 16 bits: X0, M0 <= 2^15) give `P = |x32| * |multiplier|` as four partial
/// products, summed shifted right by 15 twice so that the sum stays 33 bits:
///
/// | phase | product (`rq_pp`, registered) | the sum (`rq_acc_sum`) |
/// |---|---|---|
/// | 3 | X0 * M0 | (the last column's) |
/// | 0 | X0 * M1 | `2^30 - s + X0*M0` |
/// | 1 | X1 * M0 | `(sum >> 15) + X0*M1` |
/// | 2 | X1 * M1 | `sum + X1*M0` |
/// | 3 | (next column) | `(sum >> 15) + X1*M1` = `floor((P + 2^30 - s) / 2^30)` |
///
/// (`x32` is registered in phase 1, the digits in phase 2, `srdhm` in phase 3.)
///
/// With `s` the sign of the product, `r = floor((P + 2^30 - s) / 2^31)`: for s = 0 that
/// is SRDHM's `(P + 2^30) >> 31`; for s = 1, SRDHM is `-r` (gemmlowp rounds the negative
/// product's magnitude with `2^30 - 1`), and `w = ~r = -r - 1` with the bit below it set:
/// `2w + 1` is the `2 * (SRDHM - 1) + 1` that [`wide_product`] gives a negative SRDHM
/// when shifting, and `((2w + 1) + 1) >> 1 = -r` when not.
fn serial_product(
    m: &mut ModuleBuilder,
    x32: ExprId,
    multiplier: SignalId,
    at: &[ExprId],
    shifting: SignalId,
    phase: SignalId,
    advance: SignalId,
) -> (ExprId, ExprId) {
    // The digits of both operands and their signs, registered in phase 2.
    let x_neg = m.bit(x32, 31);
    let x_neg = m.named("rq_x_sign", x_neg);
    let x_neg = m.sig(x_neg);
    let (x_lo, x_hi) = magnitude_digits(m, x32, x_neg);
    let m_neg = m.bit(multiplier, 31);
    let m_neg = m.named("rq_m_sign", m_neg);
    let m_neg = m.sig(m_neg);
    let m_e = m.sig(multiplier);
    let (m_lo, m_hi) = magnitude_digits(m, m_e, m_neg);
    let digit = |m: &mut ModuleBuilder, name: &str, value: ExprId, width: u32| {
        let r = m.reg(name, width).enable(at[2]).build();
        m.next(r, value);
        r.q
    };
    let x_lo = digit(m, "rq_x_lo", x_lo, 16);
    let x_hi = digit(m, "rq_x_hi", x_hi, 16);
    let x_neg = digit(m, "rq_x_neg", x_neg, 1);
    let m_lo = digit(m, "rq_m_lo", m_lo, 16);
    let m_hi = digit(m, "rq_m_hi", m_hi, 16);
    let m_neg = digit(m, "rq_m_neg", m_neg, 1);
    // The operands of each phase (`phase` is one-hot): X1 in phases 1 and 2, M0 in the
    // odd ones.
    let p1 = m.bit(phase, 1);
    let p2 = m.bit(phase, 2);
    let p3 = m.bit(phase, 3);
    let ph0 = m.or(p1, p3);
    let ph0 = m.named("rq_phase_odd", ph0);
    let x_high = m.or(p1, p2);
    let x_hi_mask = m.sext(x_neg, 16);
    let x_hi = m.xor(x_hi, x_hi_mask);
    let a = m.mux(x_high, x_hi, x_lo);
    let a = m.named("rq_mul_a", a);
    let m_hi_mask = m.sext(m_neg, 16);
    let m_hi = m.xor(m_hi, m_hi_mask);
    let b = m.mux(ph0, m_lo, m_hi);
    let b = m.named("rq_mul_b", b);
    // The DSP multiply, registered.
    let a32 = m.zext(a, 32);
    let b32 = m.zext(b, 32);
    let product = m.mul(a32, b32);
    let pp = m.reg("rq_pp", 32).enable(advance).build();
    m.next(pp, product);
    // The sum, with the rounding constant `2^30 - s` entering with the first product.
    // `rq_addend` holds what the next cycle adds to its product, chosen as this cycle's
    // sum is made (so that the adder's inputs come straight from registers): the sum
    // itself, the sum shifted right by 15, or the next column's rounding constant.
    let s = m.xor(x_neg, m_neg);
    let s = m.named("rq_neg", s);
    let last = p3;
    let at_last = m.and(advance, last);
    let s_reg = m.reg("rq_acc_neg", 1).enable(at_last).build();
    m.next(s_reg, s);
    let not_s = m.not(s);
    let zero2 = m.lit(0, 2);
    let low = m.sext(s, 30);
    let init = m.concat([zero2, not_s, low]);
    let addend = m.reg("rq_addend", 33).enable(advance).build();
    let pp33 = m.zext(pp, 33);
    let sum = m.add(addend, pp33);
    let sum = m.named("rq_acc_sum", sum);
    let fifteen = m.lit(15, 4);
    let sum_shifted = m.shr(sum, fifteen);
    // After phases 0 and 2 the next product is 2^15 times heavier.
    let kept = m.mux(ph0, sum, sum_shifted);
    let next = m.mux(last, init, kept);
    m.next(addend, next);
    // Stage 4 (phase 3): r = sum >> 1 and the sign.
    let r = m.reg("srdhm", 32).enable(at[3]).build();
    let r_value = m.slice(sum, 1, 32);
    m.next(r, r_value);
    let bit0 = m.bit(sum, 0);
    let bit0 = m.named("rq_acc_sum_lsb", bit0);
    m.mark_unused(bit0); // below the result
    let r_neg = m.reg("srdhm_neg", 1).enable(at[3]).build();
    m.next(r_neg, s_reg);
    let r33 = m.zext(r, 33);
    let mask = m.sext(r_neg, 33);
    let w = m.xor(r33, mask);
    let below = m.or(shifting, r_neg);
    (w, below)
}

/// Stages 3 and 4 with no DSP (`requant_dsps` = 0): the signed 32x32 product in logic,
/// a radix-4 Booth serial multiplier retiring two Booth digits of `x32` (four bits) per
/// cycle, a column every 8 cycles, pipelined so that each cycle holds one carry chain with
/// at most two LUT levels in front of it. `x32` is loaded in phase 1; step `j` (0 to 7) of
/// a column goes through three registers, one phase apart:
///
/// | phase | register | from |
/// |---|---|---|
/// | `(j + 2) mod 8` | `rq_booth_ctl`: digits `2j` and `2j + 1` decoded | bits `4j + 3` to `4j - 1` of `x32`, picked by a multiplexer (no shift register) |
/// | `(j + 3) mod 8` | `rq_pair`: the two digits' products as one (`rq_pair_sum`, the first chain) | `rq_booth_ctl` and the multiplier |
/// | `(j + 4) mod 8` | `rq_acc`: the running sum (`rq_acc_sum`, the second chain) | `rq_pair` and `rq_acc` |
///
/// (phases 2 to 7 of the column's period, then 0 to 3 of the next one, overlapping the
/// next column's first steps). Returns `w` and the bit below it for the rounding shift, as
/// [`wide_product`] does; `w` is complete after phase 3, loaded into `y` in phase 4.
///
/// Digit `i` of `x32` is `-2 b[2i+1] + b[2i] + b[2i-1]` (b[-1] = 0), so `x32 = sum d_i
/// 4^i` and `P = x32 * multiplier = sum D_j * multiplier * 16^j` with the step's digit
/// `D_j = d_2j + 4 d_2j+1` (-8 to 8). The running sum `acc` after step `j` is `floor((I +
/// S) / 16^(j+1))`, `S` the products of steps 0 to `j` (each step's floor composes
/// exactly, as the added terms are whole); it starts at `I = 2^30`, or `-2^30` for a
/// negative product when `shifting` (the sign `x32[31] ^ multiplier[31]`: for a zero
/// product it gives `w = -1` instead of 0, which the rounding shift takes to the same 0).
/// The last step's sum is `floor((P + I) / 2^28)`, and `w` is that over 8: `(prod +
/// 2^30) >> 31`, or `(prod - 2^30) >> 31` when negative and shifting, as [`wide_product`]
/// computes. The running sum keeps 32 bits (at most about `2^31` in magnitude before a
/// step's product, `2^34 + 2^31` after) and the bit below them (bit 3 of the last sum,
/// `w`'s lowest).
///
/// A digit's product is `0`, `±multiplier` or `±2 multiplier`; a negative one is inverted
/// and owes a carry in at its bottom (the digit `111`, zero, counts as negative: the
/// inverted zero plus its carry is zero). The pair is `rq_pair = 4 * ((pp0 >>> 2) + pp1 +
/// neg1) + pp0[1:0]` (one chain, `{pp0 >>> 2, 1} + {pp1, neg1}`), and the sum takes the
/// last carry, `neg0`: `{acc, 1} + {rq_pair, neg0}`.
fn booth_product(
    m: &mut ModuleBuilder,
    x32: SignalId,
    multiplier: SignalId,
    shifting: SignalId,
    phase: SignalId,
    advance: SignalId,
) -> (ExprId, ExprId) {
    const W: u32 = 34; // a digit's product: at most 2^32 in magnitude
    const T: u32 = 36; // the pair and the sum: at most 2^34 + 2^31 in magnitude
                       // The step whose digits are decoded in phase k: (k + 6) mod 8, as a binary index.
    let idx_bits: Vec<ExprId> = (0..3)
        .map(|b| {
            let terms: Vec<ExprId> =
                (0..8u32).filter(|k| (((k + 6) % 8) >> b) & 1 == 1).map(|k| m.bit(phase, k)).collect();
            let t = m.concat(terms);
            m.any(t)
        })
        .collect();
    let idx = m.concat(idx_bits.into_iter().rev());
    let idx = m.named("rq_step", idx);
    // The step's five bits of {x32, 0}: bits 4j + 4 to 4j.
    let zero = m.lit(0, 1);
    let one = m.lit(1, 1);
    let x_e = m.sig(x32);
    let x_ext = m.concat([x_e, zero]);
    let windows: Vec<ExprId> = (0..8).map(|j| m.slice(x_ext, 4 * j, 5)).collect();
    let window = select(m, idx, windows);
    let window = m.named("rq_booth_bits", window);
    // Stage 1: each digit as (neg, one, two), registered.
    let mut controls = Vec::with_capacity(6);
    for k in 0..2 {
        let b0 = m.bit(window, 2 * k);
        let b1 = m.bit(window, 2 * k + 1);
        let b2 = m.bit(window, 2 * k + 2);
        let single = m.xor(b1, b0);
        let top = m.xor(b2, b1);
        let not_single = m.not(single);
        let double = m.and(top, not_single);
        controls.extend([b2, single, double]);
    }
    let ctl_value = m.concat(controls.into_iter().rev());
    let ctl = m.reg("rq_booth_ctl", 6).enable(advance).build();
    m.next(ctl, ctl_value);
    let multiplicand = m.sext(multiplier, W);
    let multiplicand = m.named("rq_multiplicand", multiplicand);
    let twice = m.slice(multiplicand, 0, W - 1);
    let twice = m.concat([twice, zero]);
    // One digit's product, inverted when negative, and its sign (the carry it owes).
    let digit = |m: &mut ModuleBuilder, k: u32| -> (ExprId, ExprId) {
        let neg = m.bit(ctl, 3 * k);
        let neg = m.named(format!("rq_booth{k}_neg"), neg);
        let single = m.bit(ctl, 3 * k + 1);
        let double = m.bit(ctl, 3 * k + 2);
        let zero_w = m.lit(0, W);
        let magnitude = m.mux(single, multiplicand, zero_w);
        let magnitude = m.mux(double, twice, magnitude);
        let neg = m.sig(neg);
        let mask = m.sext(neg, W);
        let pp = m.xor(magnitude, mask);
        let pp = m.named(format!("rq_booth{k}_pp"), pp);
        (m.sig(pp), neg)
    };
    // `{a, 1} + {b, carry}` (the carry in at the bottom), without that bottom bit.
    let add = |m: &mut ModuleBuilder, a: ExprId, b: ExprId, carry: ExprId, name: &str| -> SignalId {
        let width = m.width(a);
        let a = m.concat([a, one]);
        let b = m.concat([b, carry]);
        let s = m.add(a, b);
        let s = m.named(format!("{name}_carry"), s);
        m.mark_unused(s); // bit 0 is the carry in's position
        let s = m.slice(s, 1, width);
        m.named(name, s)
    };
    // Stage 2: the pair, 4 * ((pp0 >>> 2) + pp1 + neg1) + pp0[1:0], and neg0.
    let (pp0, neg0) = digit(m, 0);
    let (pp1, neg1) = digit(m, 1);
    let quarter = m.slice(pp0, 2, W - 2);
    let quarter = m.sext(quarter, W);
    let high = add(m, quarter, pp1, neg1, "rq_pair_sum");
    let low = m.slice(pp0, 0, 2);
    let high = m.sig(high);
    let pair_value = m.concat([high, low]);
    let pair = m.reg("rq_pair", T).enable(advance).build();
    m.next(pair, pair_value);
    let pair_neg = m.reg("rq_pair_neg", 1).enable(advance).build();
    m.next(pair_neg, neg0);
    // Stage 3: the running sum (32 bits, the last sum shifted right by 4) and the bit
    // below it (bit 3).
    let acc = m.reg("rq_acc", 32).enable(advance).build();
    let acc_low = m.reg("rq_acc_low", 1).enable(advance).build();
    // Step 0 (in phase 4) starts from I = +-2^30 (the product's sign with the shift on).
    let x_neg = m.bit(x32, 31);
    let m_neg = m.bit(multiplier, 31);
    let s = m.xor(x_neg, m_neg);
    let down = m.and(s, shifting);
    let down = m.named("rq_round_down", down);
    let start_top = m.sext(down, T - 31);
    let start_one = m.lit(1 << 30, 31);
    let start = m.concat([start_top, start_one]);
    let held = m.sext(acc, T);
    let first = m.bit(phase, 4);
    let acc_in = m.mux(first, start, held);
    let acc_in = m.named("rq_acc_in", acc_in);
    let acc_in = m.sig(acc_in);
    let pair_e = m.sig(pair.q);
    let pair_neg = m.sig(pair_neg.q);
    let sum = add(m, acc_in, pair_e, pair_neg, "rq_acc_sum");
    m.mark_unused(sum); // its low bits are shifted out (floor by 16 each step)
    let acc_next = m.slice(sum, 4, 32);
    m.next(acc, acc_next);
    let low_next = m.bit(sum, 3);
    m.next(acc_low, low_next);
    // After the last step: w = floor((P + I) / 2^31), 33 bits.
    let low = m.sig(acc_low.q);
    let high = m.sig(acc.q);
    let w = m.concat([high, low]);
    let w = m.named("rq_w", w);
    (m.sig(w), m.sig(shifting))
}

/// `z >>> shift` (a signed `z`, a 5-bit `shift`) cut to its low `keep` bits, and whether
/// the whole shifted value fits in them (signed): a logarithmic shifter (16, 8, 4, 2, 1)
/// that carries only the bits later stages can still bring into the kept ones, checking
/// at each stage that the bits it lets go equal the sign. For `keep` = 10 (int8 out) that
/// is about half the multiplexers of a full 34-bit shifter.
fn narrow_shift(m: &mut ModuleBuilder, z: SignalId, shift: SignalId, keep: u32) -> (ExprId, ExprId) {
    let zw = m.module().signal(z).width;
    let keep = keep.min(zw);
    let sign = m.bit(z, zw - 1);
    let sign = m.named("rdbpot_sign", sign);
    let not_sign = m.not(sign);
    let mut cur = m.sig(z);
    let mut width = zw;
    let mut fits: Vec<ExprId> = Vec::new();
    for j in (0..5u32).rev() {
        let amount = 1u32 << j;
        let out_width = (keep + amount - 1).min(width);
        let on = m.bit(shift, j);
        // The stage's output: cur shifted by `amount` (the sign coming in at the top) or not.
        let fill = m.sext(sign, amount);
        let extended = m.concat([fill, cur]);
        let shifted = m.slice(extended, amount, out_width);
        let kept = m.slice(cur, 0, out_width);
        let next = m.mux(on, shifted, kept);
        let next = m.named(format!("rdbpot_s{amount}"), next);
        // Not shifting, the bits above the output are let go: they must be sign copies.
        // Shifting, they are the ones above `width`, sign copies already.
        if out_width < width {
            let dropped = m.slice(cur, out_width, width - out_width);
            let ones = m.all(dropped);
            let any = m.any(dropped);
            let zeros = m.not(any);
            let neg_ok = m.and(sign, ones);
            let pos_ok = m.and(not_sign, zeros);
            let same = m.or(neg_ok, pos_ok);
            let ok = m.or(on, same);
            let ok = m.named(format!("rdbpot_fits{amount}"), ok);
            fits.push(m.sig(ok));
        }
        cur = m.sig(next);
        width = out_width;
    }
    // And the top kept bit must be a sign copy too for the value to fit in `keep` bits.
    let top = m.bit(cur, keep - 1);
    let top_ok = m.xor(top, not_sign);
    fits.push(top_ok);
    let all = fits.into_iter().reduce(|a, b| m.and(a, b)).expect("at least the top bit");
    let cut = m.slice(cur, 0, keep);
    (cut, all)
}

/// Build the accumulator memory module `<prefix>_accumulator` into `design`.
pub fn build(design: &mut Design, prefix: &str, p: AccumulatorParams) -> Result<ModuleId, CheckErrors> {
    let name = format!("{prefix}_accumulator");
    p.check(&name)?;
    let AccumulatorParams {
        rows,
        cols,
        acc_bits: ab,
        out_bits: ob,
        requant_dsps,
        read_latency,
        product_stages,
        read_ready_registered,
        read_out_registered,
    } = p;
    let late = read_latency == 2;
    let aw = p.addr_bits();
    // The 32x32 product in two stages: its partial products in a module of their own.
    let split = if product_stages == 2 { Some(super::mul::build_split(design, prefix)?) } else { None };
    let mut m = ModuleBuilder::new(name);
    m.doc(format!(
        "Accumulator memory: {rows} rows of {cols} signed {ab}-bit accumulators. Write port: \
         one row per cycle, overwrite or accumulate (read-modify-write; an accumulate to the \
         row accepted {} before waits{}). Read-out (valid/ready in, valid/ready out, one row per beat, in order): \
         raw rows one per cycle, {RAW_LATENCY} cycle after the read; requantized rows \
         (bias, SRDHM by cfg_multiplier_i, rounding shift, activation, saturation to \
         {ob} bits, as TFLite) one column every {} cycle(s), {} cycles after the read ({}). \
         rd_ready_o is low while a write to rd_addr_i is in flight. Memory: one write, two read \
         ports (duplicated on iCE40).",
        if late { "in the two cycles" } else { "the cycle" },
        if late { ", the block RAM's output registered" } else { " a cycle" },
        requant_cycles(&p),
        requant_latency(&p),
        if requant_dsps == 1 {
            "one unsigned 16x16 product, four partial products per column"
        } else {
            "one signed 32x32 product"
        }
    ));
    m.param("rows", rows);
    m.param("cols", cols);
    m.param("acc_bits", ab);
    m.param("out_bits", ob);
    m.param("requant_dsps", requant_dsps);
    // Named only when not 1, so that the default block's text is the same as before they were.
    if late {
        m.param("read_latency", read_latency);
    }
    if product_stages != 1 {
        m.param("product_stages", product_stages);
    }
    if read_ready_registered {
        m.param("read_ready_registered", true);
    }
    if read_out_registered {
        m.param("read_out_registered", true);
    }

    let wr_valid = m.input("wr_valid_i", 1);
    let wr_ready = m.output("wr_ready_o", 1);
    let wr_addr = m.input("wr_addr_i", aw);
    let wr_accumulate = m.input("wr_accumulate_i", 1);
    let wr_data: Vec<SignalId> = (0..cols).map(|c| m.input(format!("wr_data_c{c}_i"), ab)).collect();
    let rd_valid = m.input("rd_valid_i", 1);
    let rd_ready = m.output("rd_ready_o", 1);
    let rd_addr = m.input("rd_addr_i", aw);
    let rd_raw = m.input("rd_raw_i", 1);
    let out_valid = m.output("out_valid_o", 1);
    let out_ready = m.input("out_ready_i", 1);
    let out_raw = m.output("out_raw_o", 1);
    let out_acc: Vec<SignalId> = (0..cols).map(|c| m.output(format!("out_acc_c{c}_o"), ab)).collect();
    let out_q: Vec<SignalId> = (0..cols).map(|c| m.output(format!("out_q_c{c}_o"), ob)).collect();
    let cfg_multiplier = m.input("cfg_multiplier_i", 32);
    let cfg_shift = m.input("cfg_shift_i", 5);
    let cfg_activation = m.input("cfg_activation_i", 2);
    let cfg_relu6_max = m.input("cfg_relu6_max_i", ob);
    let bias_load = m.input("bias_load_i", 1);

    let mem = m.memory("mem", p.row_bits(), rows);

    // ---- Write port: stage 1 reads the stored row, stage 2 writes the new one. --------
    // An accumulate to the row in stage 1 would read it before its write lands: it waits
    // a cycle (`wr_ready_o` low) instead of taking the in-flight sum from a forwarding
    // register. Only the address's low `WR_HAZARD_BITS` bits are compared (a superset of
    // the same row: now and then a needless wait), as `wr_ready_o` stalls the matrix
    // engine and a full compare after the controller's row adder was the longest path.
    let s1_valid = m.reg("wr_valid", 1).reset(0).build();
    let s1_addr = m.reg("wr_addr", aw).build();
    let hb = WR_HAZARD_BITS.min(aw);
    let s1_low = m.slice(s1_addr, 0, hb);
    let wr_low = m.slice(wr_addr, 0, hb);
    let same_row = m.eq(s1_low, wr_low);
    let hazard = m.and(s1_valid, same_row);
    // With the register after the block RAM, the write lands one edge later: a row in
    // stage 2 is not written yet either.
    let s2 = late.then(|| {
        let s2_valid = m.reg("wr2_valid", 1).reset(0).build();
        let s2_addr = m.reg("wr2_addr", aw).build();
        let s2_low = m.slice(s2_addr, 0, hb);
        let same_row = m.eq(s2_low, wr_low);
        let hazard2 = m.and(s2_valid, same_row);
        (s2_valid, s2_addr, hazard2)
    });
    let hazard = match s2 {
        Some((_, _, hazard2)) => m.or(hazard, hazard2),
        None => hazard,
    };
    let hazard = m.and(hazard, wr_accumulate);
    let hazard = m.named("wr_hazard", hazard);
    let ready = m.not(hazard);
    m.assign(wr_ready, ready);
    let accept = m.and(wr_valid, ready);
    let accept = m.named("wr_fire", accept);
    m.next(s1_valid, accept);
    m.next(s1_addr, wr_addr);
    let s1_accumulate = m.reg("wr_accumulate", 1).build();
    m.next(s1_accumulate, wr_accumulate);
    let rmw_en = m.and(accept, wr_accumulate);
    let stored_row = m.mem_read(mem, "rmw", rmw_en, wr_addr);
    // Stage 2 (`read_latency` = 2): the stored row in `rmw_row`, the write's address,
    // kind and data one register further.
    let (stored_row, w_valid, w_addr, w_accumulate) = match s2 {
        Some((s2_valid, s2_addr, _)) => {
            let row = m.reg("rmw_row", p.row_bits()).build();
            m.next(row, stored_row);
            m.next(s2_valid, s1_valid);
            m.next(s2_addr, s1_addr);
            let s2_accumulate = m.reg("wr2_accumulate", 1).build();
            m.next(s2_accumulate, s1_accumulate);
            (row.q, s2_valid.q, s2_addr.q, s2_accumulate.q)
        }
        None => (stored_row, s1_valid.q, s1_addr.q, s1_accumulate.q),
    };
    let mut new_row = Vec::with_capacity(cols as usize);
    for c in 0..cols {
        let data = m.reg(format!("wr_data_c{c}"), ab).build();
        m.next(data, wr_data[c as usize]);
        let data = if late {
            let data2 = m.reg(format!("wr2_data_c{c}"), ab).build();
            m.next(data2, data);
            data2.q
        } else {
            data.q
        };
        let stored = m.slice(stored_row, c * ab, ab);
        let sum = m.add(stored, data);
        let value = m.mux(w_accumulate, sum, data);
        let value = m.named(format!("wr_row_c{c}"), value);
        new_row.push(value);
    }
    let word = m.concat(new_row.iter().rev().copied());
    m.mem_write(mem, w_valid, w_addr, word);

    // ---- Read channel: the row lands in port 2's read register and waits there. -------
    let row_valid = m.reg("row_valid", 1).reset(0).build();
    let row_raw = m.reg("row_raw", 1).build();
    let q_full = m.reg("q_full", 1).reset(0).build();
    let not_full = m.not(q_full);
    let advance = m.or(not_full, out_ready);
    let advance = m.named("rq_advance", advance);
    // A valid bit per column in flight: one per stage, and for the serial product one
    // more, as its digits stay for a whole period in the multiplier.
    let booth = requant_dsps == 0;
    let stage_names: &[&str] = match (requant_dsps, product_stages) {
        (0, _) => &["sel", "x32", "prod", "y"],
        (1, _) => &["sel", "x32", "digits", "prod", "srdhm", "y"],
        (_, 2) => &["sel", "x32", "pp", "prod", "srdhm", "y"],
        _ => &["sel", "x32", "prod", "srdhm", "y"],
    };
    let valids: Vec<_> = stage_names.iter().map(|s| m.reg(format!("{s}_valid"), 1).reset(0).build()).collect();
    // Whether any column is in flight, registered (the OR of the valid bits' next values)
    // to keep it off the read handshake's path.
    let busy_reg = m.reg("rq_busy", 1).reset(0).build();
    let busy = busy_reg.q;
    // A raw row leaves only once every requantized row before it has left.
    let idle = m.not(busy);
    let raw_row = m.and(row_valid, row_raw);
    let raw_row_idle = m.and(raw_row, idle);
    let raw_beat = m.and(raw_row_idle, not_full);
    let raw_beat = m.named("raw_beat", raw_beat);
    let beat = m.or(q_full, raw_beat);
    m.assign(out_valid, beat);
    m.assign(out_raw, not_full);
    let raw_taken = m.and(raw_beat, out_ready);
    let not_raw = m.not(row_raw);
    let q_row = m.and(row_valid, not_raw);
    let q_row = m.named("rq_row", q_row);

    // When each stage loads: every advancing cycle, or (serial product) in one phase of
    // the column's `cycles`. The phase counter rests at 0 while nothing is to do, so that
    // a requantized row starts at once.
    let cycles = requant_cycles(&p);
    // The phase is one-hot (`rq_phase` bit k: phase k), so that no decoder sits on the
    // paths from it to the stage enables and the read handshake.
    let phase = (cycles > 1).then(|| {
        let phase = m.reg("rq_phase", cycles).reset(1).build();
        let at_zero = m.bit(phase, 0);
        let moving = m.not(at_zero);
        let work = m.or(busy, q_row);
        let work = m.or(work, moving);
        let run = m.and(advance, work);
        m.set_enable(phase, run);
        let low = m.slice(phase, 0, cycles - 1);
        let top = m.bit(phase, cycles - 1);
        let next = m.concat([low, top]);
        m.next(phase, next);
        phase.q
    });
    let at = |m: &mut ModuleBuilder, k: u64| -> ExprId {
        match phase {
            Some(ph) => {
                let name = format!("rq_at{k}");
                if let Some(done) = m.module().find_signal(&name) {
                    return m.sig(done);
                }
                let here = m.bit(ph, k as u32);
                let e = m.and(advance, here);
                let e = m.named(name, e);
                m.sig(e)
            }
            None => m.sig(advance),
        }
    };
    // Stage phases: sel, x32, prod (the serial product's digits), srdhm, y; the output
    // registers land in the phase after y's. The valid bits' phases: the same, with the
    // serial product's two (digits in, product out) both in phase 2.
    // The Booth product: sel in phase 0, x32 in phase 1, its 8 steps in phases 2 to 7 and
    // 0 to 3 (three registers each, see `booth_product`), y in phase 4 after them (the
    // same edge as the next column's first running sum), the output registers in phase 5.
    let stage_phase: [u64; 5] = match requant_dsps {
        0 => [0, 1, 1, 1, 4],
        1 => [0, 1, 2, 3, 0],
        _ => [0; 5],
    };
    let stage_at: Vec<ExprId> = stage_phase.iter().map(|k| at(&mut m, *k)).collect();
    let valid_at: Vec<ExprId> = match requant_dsps {
        0 => [0, 1, 1, 4].iter().map(|k| at(&mut m, *k)).collect(),
        1 => [0, 1, 2, 2, 3, 0].iter().map(|k| at(&mut m, *k)).collect(),
        _ => vec![stage_at[0]; stage_names.len()],
    };
    let issue = m.and(q_row, stage_at[0]);
    let issue = m.named("rq_issue", issue);
    let (col, issue_last) = wrapping_counter(&mut m, "col", cols, issue);
    let release = m.or(raw_taken, issue_last);
    let release = m.named("row_release", release);
    let empty = m.not(row_valid);
    // With `read_out_registered` the block RAM's read register is a stage of its own
    // (`rd_pend`): its row moves into the `row_c<n>` registers (`row_valid`, `row_raw`)
    // once they are free or being released, and it takes a read when it is empty or
    // handing its row on.
    let pend = read_out_registered.then(|| {
        let pend = m.reg("rd_pend", 1).reset(0).build();
        let pend_raw = m.reg("rd_pend_raw", 1).build();
        let free = m.or(empty, release);
        let load = m.and(pend, free);
        let load = m.named("row_load", load);
        (pend, pend_raw, m.sig(load))
    });
    // Registered form: only an empty read register takes a read, so that `out_ready_i`
    // (through `row_release`) does not reach `rd_ready_o`.
    let row_free = match pend {
        Some((pend, _, load)) => {
            let idle = m.not(pend);
            if read_ready_registered {
                m.or(idle, empty)
            } else {
                m.or(idle, load)
            }
        }
        None if read_ready_registered => empty,
        None => m.or(empty, release),
    };
    let write_addr_match = m.eq(s1_addr, rd_addr);
    let hazard = m.and(s1_valid, write_addr_match);
    let hazard = match s2 {
        Some((s2_valid, s2_addr, _)) => {
            let match2 = m.eq(s2_addr, rd_addr);
            let hazard2 = m.and(s2_valid, match2);
            m.or(hazard, hazard2)
        }
        None => hazard,
    };
    let hazard = m.named("rd_hazard", hazard);
    let no_hazard = m.not(hazard);
    let ready = m.and(row_free, no_hazard);
    m.assign(rd_ready, ready);
    let fire = m.and(rd_valid, rd_ready);
    let fire = m.named("rd_fire", fire);
    let kept = m.not(release);
    let kept = m.and(row_valid, kept);
    let arrive = match pend {
        Some((_, _, load)) => load,
        None => m.sig(fire),
    };
    let row_valid_next = m.or(arrive, kept);
    m.next(row_valid, row_valid_next);
    let row = m.mem_read(mem, "row", fire, rd_addr);
    let read_columns: Vec<ExprId> = (0..cols).map(|c| m.slice(row, c * ab, ab)).collect();
    let columns = match pend {
        Some((pend, pend_raw, load)) => {
            let waiting = m.not(load);
            let waiting = m.and(pend, waiting);
            let pend_next = m.or(fire, waiting);
            m.next(pend, pend_next);
            m.set_enable(pend_raw, fire);
            m.next(pend_raw, rd_raw);
            m.set_enable(row_raw, load);
            m.next(row_raw, pend_raw);
            // The row's registers: loaded from the block RAM, or shifted down a column
            // as each column is issued (column 0 into stage 1); the last column only loads.
            let regs: Vec<_> = (0..cols).map(|c| m.reg(format!("row_c{c}"), ab).build()).collect();
            let shift = (cols > 1).then(|| {
                let s = m.or(load, issue);
                m.named("row_shift", s)
            });
            for c in 0..cols as usize {
                match shift {
                    Some(shift) if c + 1 < cols as usize => {
                        let down = m.sig(regs[c + 1].q);
                        let value = m.mux(load, read_columns[c], down);
                        m.set_enable(regs[c], shift);
                        m.next(regs[c], value);
                    }
                    _ => {
                        m.set_enable(regs[c], load);
                        m.next(regs[c], read_columns[c]);
                    }
                }
            }
            regs.iter().map(|r| m.sig(r.q)).collect()
        }
        None => {
            m.set_enable(row_raw, fire);
            m.next(row_raw, rd_raw);
            read_columns
        }
    };
    for c in 0..cols as usize {
        m.assign(out_acc[c], columns[c]);
    }

    // ---- Requantizer: one column per `cycles` cycles. -------------------------------------
    let mut next_valids = Vec::with_capacity(valids.len());
    for s in 0..valids.len() {
        let d = if s == 0 { m.sig(issue) } else { m.sig(valids[s - 1].q) };
        m.set_enable(valids[s], valid_at[s]);
        m.next(valids[s], d);
        next_valids.push(m.mux(valid_at[s], d, valids[s].q));
    }
    let any_next = m.concat(next_valids);
    let any_next = m.any(any_next);
    m.next(busy_reg, any_next);
    // Stage 1: the column.
    let acc_sel = match col {
        Some(col) if !read_out_registered => select(&mut m, col, columns.clone()),
        _ => columns[0],
    };
    let sel_acc = m.reg("sel_acc", ab).enable(stage_at[0]).build();
    m.next(sel_acc, acc_sel);
    // The bias registers: loaded from a raw beat, turned by one column (`bias_c0` takes
    // `bias_c1`, the last takes `bias_c0`) as the column in stage 1 goes into stage 2.
    let turn = m.and(valids[0], stage_at[1]);
    let turn = m.named("bias_turn", turn);
    let bias_en = m.or(bias_load, turn);
    let bias_en = m.named("bias_en", bias_en);
    let bias_regs: Vec<_> = (0..cols).map(|c| m.reg(format!("bias_c{c}"), ab).reset(0).build()).collect();
    for c in 0..cols as usize {
        let next = m.sig(bias_regs[(c + 1) % cols as usize].q);
        let value = m.mux(bias_load, columns[c], next);
        let en = m.sig(bias_en);
        m.set_enable(bias_regs[c], en);
        m.next(bias_regs[c], value);
    }
    // Stage 2: bias added (wrapping at acc_bits), saturated to int32.
    let biased = m.add(sel_acc, bias_regs[0]);
    let biased = m.named("biased", biased);
    let x32_value = saturate(&mut m, biased, 32);
    // A rounding shift follows (stage 5) unless cfg_shift_i is 0.
    let shifting = m.any(cfg_shift);
    let shifting = m.named("rdbpot_on", shifting);
    // Stages 3 and 4 give `w`, 33 bits: SRDHM(x32, multiplier) without its saturation,
    // minus 1 when it is negative and a shift follows (see `requant_cycles`).
    let (w, below) = if cycles == 1 {
        wide_product(&mut m, x32_value, cfg_multiplier, &stage_at, shifting, split.map(|id| (&*design, id)))
    } else if booth {
        let x32 = x32_register(&mut m, x32_value, stage_at[1]);
        booth_product(&mut m, x32, cfg_multiplier, shifting, phase.expect("serial"), advance)
    } else {
        let x32 = x32_register(&mut m, x32_value, stage_at[1]);
        let x32 = m.sig(x32);
        serial_product(&mut m, x32, cfg_multiplier, &stage_at, shifting, phase.expect("serial"), advance)
    };
    // Stage 5: rounding right shift, ties away from zero (RDBPOT), as
    // y = (u + 1) >>> 1 with u = (2w + below) >>> shift, of which only `out_bits + 2` bits
    // are kept with a flag saying whether u fits in them (see `narrow_shift`).
    let z = m.concat([w, below]);
    let z = m.named("rdbpot_in", z);
    let (u, fits) = narrow_shift(&mut m, z, cfg_shift, ob + 2);
    let uw = m.width(u);
    let u_ext = m.sext(u, uw + 1);
    let rounded = m.inc(u_ext);
    let rounded = m.named("rdbpot_rounded", rounded);
    m.mark_unused(rounded); // bit 0 is the half below the result
    let y_value = m.slice(rounded, 1, uw);
    let y = m.reg("y", uw).enable(stage_at[4]).build();
    m.next(y, y_value);
    let y_fits = m.reg("y_fits", 1).enable(stage_at[4]).build();
    m.next(y_fits, fits);
    let y_neg = m.reg("y_neg", 1).enable(stage_at[4]).build();
    let z_sign = m.bit(z, 33);
    m.next(y_neg, z_sign);
    // Output registers: y, saturated to out_bits (by the sign alone when u did not fit),
    // then activation (saturation commutes with ReLU and ReLU6: both are a max and a min
    // with out_bits values).
    let y_in = saturate(&mut m, y, ob);
    let max_q = m.lit((1u64 << (ob - 1)) - 1, ob);
    let min_q = m.lit(1u64 << (ob - 1), ob);
    let y_out = m.mux(y_neg, min_q, max_q);
    let y_sat = m.mux(y_fits, y_in, y_out);
    let y_sat = m.named("y_sat", y_sat);
    let act_relu = m.lit(1, 2);
    let act_relu6 = m.lit(2, 2);
    let is_relu = m.eq(cfg_activation, act_relu);
    let is_relu6 = m.eq(cfg_activation, act_relu6);
    let clamp_low = m.or(is_relu, is_relu6);
    let clamp_low = m.named("relu_on", clamp_low);
    let is_relu6 = m.named("relu6_on", is_relu6);
    let y_negative = m.bit(y_sat, ob - 1);
    let to_zero = m.and(clamp_low, y_negative);
    let zero_q = m.lit(0, ob);
    let low_clamped = m.mux(to_zero, zero_q, y_sat);
    let low_clamped = m.named("relu_out", low_clamped);
    let above = m.gt_s(low_clamped, cfg_relu6_max);
    let to_max = m.and(is_relu6, above);
    let q_value = m.mux(to_max, cfg_relu6_max, low_clamped);
    let q_value = m.named("q_value", q_value);
    let land_at = at(&mut m, stage_phase[4] + u64::from(cycles > 1));
    let land = m.and(land_at, valids[valids.len() - 1]);
    let land = m.named("rq_land", land);
    let (wcol, land_last) = wrapping_counter(&mut m, "q_col", cols, land);
    for c in 0..cols {
        let en = match wcol {
            Some(w) => {
                let width = m.module().signal(w).width;
                let k = m.lit(u64::from(c), width);
                let here = m.eq(w, k);
                m.and(land, here)
            }
            None => m.sig(land),
        };
        let q = m.reg(format!("q_c{c}"), ob).enable(en).build();
        m.next(q, q_value);
        m.assign(out_q[c as usize], q);
    }
    let waiting = m.not(out_ready);
    let held = m.and(q_full, waiting);
    let q_full_next = m.or(land_last, held);
    m.next(q_full, q_full_next);
    design.add(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtl_gen::emit::verilog;

    fn params(rows: u32, cols: u32, acc_bits: u32, out_bits: u32) -> AccumulatorParams {
        AccumulatorParams {
            rows,
            cols,
            acc_bits,
            out_bits,
            requant_dsps: 4,
            read_latency: 1,
            product_stages: 1,
            read_ready_registered: false,
            read_out_registered: false,
        }
    }

    #[test]
    fn every_supported_corner_builds_with_one_multiply() {
        for p in [params(2, 1, 2, 2), params(16, 4, 32, 8), params(20, 3, 20, 6), params(65536, 64, 64, 32)] {
            let mut d = Design::new();
            let id = build(&mut d, "t", p).unwrap_or_else(|e| panic!("{p:?}: {e}"));
            let text = &verilog::emit(&d, id).module_files[0].text;
            assert_eq!(text.matches(" * ").count(), 1, "{p:?}: one 32x32 product");
            assert!(text.contains("assign prod_d = $signed(x32_q) * $signed(cfg_multiplier_i);"), "{p:?}");
            assert!(text.contains(&format!("reg [{}:0] mem [0:{}];", p.row_bits() - 1, p.rows - 1)), "{p:?}");
        }
    }

    #[test]
    fn out_of_range_parameters_are_named() {
        let e = params(16, 65, 32, 1).check("t_accumulator").unwrap_err().to_string();
        assert!(e.contains("parameter `cols`: 65 is out of range: 1 to 64"), "{e}");
        assert!(e.contains("parameter `out_bits`: 1 is out of range: 2 to 32"), "{e}");
        assert!(!e.contains("`rows`") && !e.contains("`acc_bits`"), "{e}");
    }

    #[test]
    fn latencies_follow_the_pipeline() {
        assert_eq!(requant_latency(&params(16, 4, 32, 8)), 10);
        let serial = AccumulatorParams { requant_dsps: 1, ..params(16, 4, 32, 8) };
        assert_eq!((requant_cycles(&serial), requant_latency(&serial)), (4, 23));
        assert_eq!(RAW_LATENCY, 1);
    }

    #[test]
    fn the_late_read_and_the_two_stage_product_add_their_registers() {
        let p = AccumulatorParams { read_latency: 2, product_stages: 2, ..params(16, 4, 32, 8) };
        assert_eq!(requant_latency(&p), 11, "one edge more than the whole product");
        let mut d = Design::new();
        let id = build(&mut d, "t", p).unwrap_or_else(|e| panic!("{e}"));
        let out = verilog::emit(&d, id);
        let text = &out.file("t_accumulator").expect("the accumulator").text;
        let split = &out.file("t_mul_split_32x32").expect("the split product").text;
        let products = |t: &str| t.lines().filter(|l| l.contains("assign") && l.contains(" * ")).count();
        assert_eq!(products(text), 0, "the products are in the split module");
        assert_eq!(products(split), 4, "four 16x16 partial products");
        assert!(text.contains("t_mul_split_32x32 u_prod ("), "{text}");
        for reg in ["rmw_row_q", "wr2_valid_q", "wr2_data_c3_q", "prod_q"] {
            assert!(text.contains(reg), "{reg}");
        }
        for reg in ["x_q", "m_q", "ll_q", "hl_q", "lh_q", "hh_q"] {
            assert!(split.contains(reg), "{reg}");
        }
        // The write-back comes from stage 2's registers, the sum from the block RAM's copy.
        assert!(text.contains("rmw_row_q[31:0] + wr2_data_c0_q"), "{text}");
        let one = build(&mut Design::new(), "t", params(16, 4, 32, 8)).map(|_| ());
        assert!(one.is_ok());
        let e = AccumulatorParams { requant_dsps: 1, product_stages: 2, read_latency: 3, ..params(16, 4, 32, 8) };
        let e = e.check("t_accumulator").unwrap_err().to_string();
        assert!(e.contains("parameter `read_latency`: 3 is out of range: 1 to 2"), "{e}");
        assert!(e.contains("parameter `product_stages`: 2 is out of range: 1 with requant_dsps 0 or 1"), "{e}");
    }

    #[test]
    fn the_serial_requantizer_has_one_16x16_product() {
        for p in [params(2, 1, 2, 2), params(16, 4, 32, 8), params(20, 3, 40, 16), params(65536, 64, 64, 32)] {
            let p = AccumulatorParams { requant_dsps: 1, ..p };
            let mut d = Design::new();
            let id = build(&mut d, "t", p).unwrap_or_else(|e| panic!("{p:?}: {e}"));
            let text = &verilog::emit(&d, id).module_files[0].text;
            assert_eq!(text.matches(" * ").count(), 1, "{p:?}: one product");
            assert!(text.contains("assign rq_pp_d = {16'd0, rq_mul_a} * {16'd0, rq_mul_b};"), "{p:?}");
        }
        let e = params(16, 4, 32, 8);
        let e = AccumulatorParams { requant_dsps: 2, ..e }.check("t_accumulator").unwrap_err().to_string();
        assert!(e.contains("parameter `requant_dsps`: 2 is out of range: 0, 1 or 4"), "{e}");
    }

    #[test]
    fn the_booth_requantizer_has_no_product_and_two_pipelined_adders() {
        for p in [params(2, 1, 2, 2), params(16, 4, 32, 8), params(20, 3, 40, 16), params(65536, 64, 64, 32)] {
            let p = AccumulatorParams { requant_dsps: 0, ..p };
            let mut d = Design::new();
            let id = build(&mut d, "t", p).unwrap_or_else(|e| panic!("{p:?}: {e}"));
            let text = &verilog::emit(&d, id).module_files[0].text;
            assert_eq!(text.matches(" * ").count(), 0, "{p:?}: no DSP product");
            assert!(text.lines().any(|l| l.contains("[7:0]") && l.contains(" rq_phase_q;")), "{p:?}: 8 phases");
            // One carry chain per cycle: each adder's operands come from registers (the
            // decoded digits, the pair), through at most a multiplexer and an inversion.
            assert!(text.contains("assign rq_pair_sum_carry = {"), "{p:?}");
            assert!(
                text.contains("assign rq_acc_sum_carry = {rq_acc_in, 1'd1} + {rq_pair_q, rq_pair_neg_q};"),
                "{p:?}"
            );
            assert!(text.contains("assign rq_pair_d = {rq_pair_sum, rq_booth0_pp[1:0]};"), "{p:?}");
            assert!(text.contains("assign rq_booth_ctl_d = "), "{p:?}");
            let decode = text.lines().filter(|l| l.contains("rq_booth_bits[")).collect::<Vec<_>>();
            assert!(decode.len() == 1 && decode[0].contains("assign rq_booth_ctl_d = "), "{p:?}: {decode:?}");
            assert!(text.contains("rq_booth_ctl_q[2] ? {rq_multiplicand[32:0], 1'd0}"), "{p:?}");
            assert!(!text.contains("rq_sum1") && !text.contains("rq_sum2"), "{p:?}: no chained adders");
        }
        let p = AccumulatorParams { requant_dsps: 0, ..params(16, 4, 32, 8) };
        assert_eq!((requant_cycles(&p), requant_latency(&p)), (8, 39));
    }
}
