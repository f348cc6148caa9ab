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
//! | `wr_valid_i` | 1 | write a row this cycle (always accepted: there is no ready) |
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
//! | `bias_c<n>_i` | acc | bias added to column n before requantization |
//!
//! The `cfg_*` and `bias_*` inputs are sampled as a requantized row passes through the
//! pipeline: hold them stable from a requantized read's acceptance until its beat has
//! left (the controller changes them only while no requantized read is outstanding).
//!
//! Timing:
//! - Write: a row is read (block-RAM port 1) at the accepting edge and written back one
//!   edge later. A write or accumulate to the row written in the previous cycle takes the
//!   in-flight sum from a forwarding register, so back-to-back accumulates to one row
//!   are exact at one per cycle.
//! - Read: a read sees every write accepted in an earlier cycle; a write accepted in the
//!   same cycle as the read comes after it (the read returns the old row). While a write
//!   to `rd_addr_i` is in its second stage, `rd_ready_o` is low for one cycle (a stall,
//!   not a forward). `rd_ready_o` depends combinationally on `rd_addr_i` and
//!   `out_ready_i`, never on `rd_valid_i`.
//! - Raw beats: on the output right after the accepting edge ([`RAW_LATENCY`] = 1),
//!   one row per cycle. The row stays in the block RAM's read register until taken.
//! - Requantized beats: a serial requantizer takes one column per cycle through
//!   [`REQUANT_STAGES`] pipeline registers (column select, bias add and int32
//!   saturation, the 32x32 product, SRDHM rounding, the rounding shift) and an output
//!   register per column (activation and saturation). One row every `cols` cycles;
//!   the beat appears [`requant_latency`] = `cols + 6` edges after its read was
//!   accepted. A raw beat queued behind a requantized row waits for that row to leave.
//!   `out_ready_i` low freezes the requantizer pipeline.
//!
//! Resources: one signed 32x32 product (a DSP multiply: 4 SB_MAC16 on iCE40, 4
//! MULT18X18D on ECP5), one memory of `rows` x `cols * acc_bits` bits with one write
//! and two synchronous read ports (read-modify-write and read-out). iCE40 block RAM has
//! one read port, so Yosys duplicates the memory there: twice the EBRs of the contents.
//! Measured with Yosys 0.70 on 256 rows x 4 int32 columns, int8 out: `synth_ice40 -dsp`
//! gives 4 SB_MAC16, 16 SB_RAM40_4K, 944 SB_LUT4, 481 flip-flops; `synth_ecp5` gives 4
//! MULT18X18D, 8 DP16KD, 1260 LUT4. Addresses must be below `rows`.

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
        let errors: Vec<CheckError> = limits
            .iter()
            .filter(|(_, v, lo, hi, _)| v < lo || v > hi)
            .map(|(name, v, lo, hi, why)| CheckError::Parameter {
                module: module.to_string(),
                parameter: name.to_string(),
                value: v.to_string(),
                allowed: format!("{lo} to {hi}{why}"),
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(CheckErrors(errors))
        }
    }
}

/// Clock edges from a raw read's acceptance to its beat on the output.
pub const RAW_LATENCY: u32 = 1;

/// Pipeline registers of the serial requantizer before the output registers.
pub const REQUANT_STAGES: u32 = 5;

/// Clock edges from a requantized read's acceptance to its beat (output never stalled).
pub fn requant_latency(p: &AccumulatorParams) -> u32 {
    p.cols + REQUANT_STAGES + 1
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

/// Build the accumulator memory module `<prefix>_accumulator` into `design`.
pub fn build(design: &mut Design, prefix: &str, p: AccumulatorParams) -> Result<ModuleId, CheckErrors> {
    let name = format!("{prefix}_accumulator");
    p.check(&name)?;
    let AccumulatorParams { rows, cols, acc_bits: ab, out_bits: ob } = p;
    let aw = p.addr_bits();
    let mut m = ModuleBuilder::new(name);
    m.doc(format!(
        "Accumulator memory: {rows} rows of {cols} signed {ab}-bit accumulators. Write port: \
         one row per cycle, overwrite or accumulate (read-modify-write, in-flight sum \
         forwarded). Read-out (valid/ready in, valid/ready out, one row per beat, in order): \
         raw rows one per cycle, {RAW_LATENCY} cycle after the read; requantized rows \
         (bias, SRDHM by cfg_multiplier_i, rounding shift, activation, saturation to \
         {ob} bits, as TFLite) one column per cycle, {} cycles after the read. rd_ready_o \
         is low while a write to rd_addr_i is in flight. Memory: one write, two read \
         ports (duplicated on iCE40).",
        requant_latency(&p)
    ));
    m.param("rows", rows);
    m.param("cols", cols);
    m.param("acc_bits", ab);
    m.param("out_bits", ob);

    let wr_valid = m.input("wr_valid_i", 1);
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
    let bias: Vec<SignalId> = (0..cols).map(|c| m.input(format!("bias_c{c}_i"), ab)).collect();

    let mem = m.memory("mem", p.row_bits(), rows);

    // ---- Write port: stage 1 reads the stored row, stage 2 writes the new one. --------
    let s1_valid = m.reg("wr_valid", 1).reset(0).build();
    m.next(s1_valid, wr_valid);
    let s1_addr = m.reg("wr_addr", aw).build();
    m.next(s1_addr, wr_addr);
    let s1_accumulate = m.reg("wr_accumulate", 1).build();
    m.next(s1_accumulate, wr_accumulate);
    let rmw_en = m.and(wr_valid, wr_accumulate);
    let stored_row = m.mem_read(mem, "rmw", rmw_en, wr_addr);
    // The row written at the last edge: the memory read above missed it.
    let wb_valid = m.reg("wb_valid", 1).reset(0).build();
    m.next(wb_valid, s1_valid);
    let wb_addr = m.reg("wb_addr", aw).build();
    m.next(wb_addr, s1_addr);
    let same_row = m.eq(wb_addr, s1_addr);
    let forward = m.and(wb_valid, same_row);
    let forward = m.named("rmw_forward", forward);
    let mut new_row = Vec::with_capacity(cols as usize);
    for c in 0..cols {
        let data = m.reg(format!("wr_data_c{c}"), ab).build();
        m.next(data, wr_data[c as usize]);
        let wb = m.reg(format!("wb_c{c}"), ab).build();
        let stored = m.slice(stored_row, c * ab, ab);
        let old = m.mux(forward, wb, stored);
        let sum = m.add(old, data);
        let value = m.mux(s1_accumulate, sum, data);
        let value = m.named(format!("wr_row_c{c}"), value);
        m.next(wb, value);
        new_row.push(value);
    }
    let word = m.concat(new_row.iter().rev().copied());
    m.mem_write(mem, s1_valid, s1_addr, word);

    // ---- Read channel: the row lands in port 2's read register and waits there. -------
    let row_valid = m.reg("row_valid", 1).reset(0).build();
    let row_raw = m.reg("row_raw", 1).build();
    let q_full = m.reg("q_full", 1).reset(0).build();
    let not_full = m.not(q_full);
    let advance = m.or(not_full, out_ready);
    let advance = m.named("rq_advance", advance);
    let stage_names = ["sel", "x32", "prod", "srdhm", "y"];
    let valids: Vec<_> =
        stage_names.iter().map(|s| m.reg(format!("{s}_valid"), 1).reset(0).enable(advance).build()).collect();
    debug_assert_eq!(valids.len() as u32, REQUANT_STAGES);
    let busy = m.concat(valids.iter().map(|v| v.q));
    let busy = m.any(busy);
    let busy = m.named("rq_busy", busy);
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
    let issue = m.and(q_row, advance);
    let issue = m.named("rq_issue", issue);
    let (col, issue_last) = wrapping_counter(&mut m, "col", cols, issue);
    let release = m.or(raw_taken, issue_last);
    let release = m.named("row_release", release);
    let empty = m.not(row_valid);
    let row_free = m.or(empty, release);
    let write_addr_match = m.eq(s1_addr, rd_addr);
    let hazard = m.and(s1_valid, write_addr_match);
    let hazard = m.named("rd_hazard", hazard);
    let no_hazard = m.not(hazard);
    let ready = m.and(row_free, no_hazard);
    m.assign(rd_ready, ready);
    let fire = m.and(rd_valid, rd_ready);
    let fire = m.named("rd_fire", fire);
    let kept = m.not(release);
    let kept = m.and(row_valid, kept);
    let row_valid_next = m.or(fire, kept);
    m.next(row_valid, row_valid_next);
    m.set_enable(row_raw, fire);
    m.next(row_raw, rd_raw);
    let row = m.mem_read(mem, "row", fire, rd_addr);
    let columns: Vec<ExprId> = (0..cols).map(|c| m.slice(row, c * ab, ab)).collect();
    for c in 0..cols as usize {
        m.assign(out_acc[c], columns[c]);
    }

    // ---- Requantizer: one column per cycle. --------------------------------------------
    m.next(valids[0], issue);
    for s in 1..valids.len() {
        m.next(valids[s], valids[s - 1]);
    }
    // Stage 1: the column and its bias.
    let bias_e: Vec<ExprId> = bias.iter().map(|b| m.sig(*b)).collect();
    let (acc_sel, bias_sel) = match col {
        Some(col) => (select(&mut m, col, columns), select(&mut m, col, bias_e)),
        None => (columns[0], bias_e[0]),
    };
    let sel_acc = m.reg("sel_acc", ab).enable(advance).build();
    m.next(sel_acc, acc_sel);
    let sel_bias = m.reg("sel_bias", ab).enable(advance).build();
    m.next(sel_bias, bias_sel);
    // Stage 2: bias added (wrapping at acc_bits), saturated to int32.
    let biased = m.add(sel_acc, sel_bias);
    let biased = m.named("biased", biased);
    let x32_value = saturate(&mut m, biased, 32);
    let x32 = m.reg("x32", 32).enable(advance).build();
    m.next(x32, x32_value);
    // Stage 3: the 64-bit product, one DSP multiply.
    let prod = m.reg("prod", 64).enable(advance).build();
    let product = m.mul_signed_full(x32, cfg_multiplier);
    m.next(prod, product);
    // Stage 4: SRDHM = (prod + 2^30) >> 31; the nudge only touches bits 30 and up. The
    // one overflow (MIN x MIN = 2^62) shows as bits 63:62 = 01 and saturates to MAX.
    let high = m.slice(prod, 30, 34);
    let one = m.lit(1, 34);
    let rounded = m.add(high, one);
    let rounded = m.named("srdhm_rounded", rounded);
    m.mark_unused(rounded); // bit 0 is below the result
    m.mark_unused(prod.q); // bits 29:0 cannot reach the result
    let sign = m.bit(rounded, 33);
    let positive = m.not(sign);
    let carry = m.bit(rounded, 32);
    let overflow = m.and(positive, carry);
    let int_max = m.lit(0x7fff_ffff, 32);
    let result = m.slice(rounded, 1, 32);
    let srdhm_value = m.mux(overflow, int_max, result);
    let srdhm = m.reg("srdhm", 32).enable(advance).build();
    m.next(srdhm, srdhm_value);
    // Stage 5: rounding right shift, ties away from zero:
    // (x + 2^(shift-1) - (x < 0 && shift != 0)) >>> shift, in 33 bits.
    let one33 = m.lit(1, 33);
    let pow = m.shl(one33, cfg_shift);
    let one1 = m.lit(1, 1);
    let half = m.shr(pow, one1);
    let negative = m.bit(srdhm, 31);
    let shifting = m.any(cfg_shift);
    let down = m.and(negative, shifting);
    let down = m.zext(down, 33);
    let nudge = m.sub(half, down);
    let nudge = m.named("rdbpot_nudge", nudge);
    let x33 = m.sext(srdhm, 33);
    let nudged = m.add(x33, nudge);
    let shifted = m.sar(nudged, cfg_shift);
    let shifted = m.named("rdbpot_shifted", shifted);
    m.mark_unused(shifted); // bit 32 is a copy of bit 31 once shifted
    let y_value = m.trunc(shifted, 32);
    let y = m.reg("y", 32).enable(advance).build();
    m.next(y, y_value);
    // Output registers: activation, then saturation to out_bits.
    let act_relu = m.lit(1, 2);
    let act_relu6 = m.lit(2, 2);
    let is_relu = m.eq(cfg_activation, act_relu);
    let is_relu6 = m.eq(cfg_activation, act_relu6);
    let clamp_low = m.or(is_relu, is_relu6);
    let clamp_low = m.named("relu_on", clamp_low);
    let is_relu6 = m.named("relu6_on", is_relu6);
    let y_negative = m.bit(y, 31);
    let to_zero = m.and(clamp_low, y_negative);
    let zero32 = m.lit(0, 32);
    let low_clamped = m.mux(to_zero, zero32, y);
    let low_clamped = m.named("relu_out", low_clamped);
    let relu6_max = m.sext(cfg_relu6_max, 32);
    let above = m.gt_s(low_clamped, relu6_max);
    let to_max = m.and(is_relu6, above);
    let activated = m.mux(to_max, relu6_max, low_clamped);
    let activated = m.named("activated", activated);
    let q_value = saturate(&mut m, activated, ob);
    let q_value = m.named("q_value", q_value);
    let land = m.and(advance, valids[valids.len() - 1]);
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
        AccumulatorParams { rows, cols, acc_bits, out_bits }
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
        assert_eq!(RAW_LATENCY, 1);
    }
}
