//! The controller: it takes 128-bit commands from the host, checks them, and runs them
//! on the matrix engine, the scratchpad and the accumulator (which it instances) and on
//! the DMA (outside, through its command and local-memory ports).
//!
//! Structure, in the order a command travels:
//! 1. **Command queue**: [`CMD_QUEUE_DEPTH`] commands; `cmd_ready_o` is low when full,
//!    so the host is held, never dropped.
//! 2. **Dispatch** (in program order, one command at a time): the decoder
//!    ([`super::decoder`]) and every rule of `docs/isa.md` ("Errors"). `mvin`/`mvout`
//!    first compute their last byte for the DMA-window check with a shift-add multiply
//!    of `(rows - 1) * stride` (one cycle per bit of `rows - 1`). Configuration
//!    commands are absorbed here: strides ride along with each `mvin`/`mvout`; a
//!    `config_ex` waits until the engine and the store side are idle, then changes the
//!    mode and the requantization registers. A `fence` waits until everything is idle.
//!    An error stops dispatch: the failing command and every later one have no effect.
//! 3. **Four in-order trackers** of `controller.queue_depth` commands each (a power of
//!    two, [`crate::config::ControllerConfig`]): load (`mvin`),
//!    preload (weights), compute and store (`mvout`, bias preload). A tracker keeps a
//!    command from dispatch until it has completed, with the local rows it reads and
//!    writes. A command whose rows overlap those of an incomplete command of another
//!    tracker (read after write, write after read, write after write) waits at
//!    dispatch: this scoreboard is what lets loads of the next tile and stores of the
//!    last one overlap compute.
//! 4. **Units**: the DMA takes loads and stores; the weight feeder reads preload rows
//!    into the engine's `w` channel; the input feeder reads A (and, output-stationary,
//!    B) rows into its `in` channel; the write-back puts every output vector into the
//!    accumulator; the bias unit reads an accumulator row into the read-out's bias.
//!    Scratchpad read ports are shared with fixed priority (A, B, weights, DMA store);
//!    the accumulator write port too (engine first, then DMA loads).
//! 5. **Performance counters** (`controller.counter_bits` wide) and status for the host
//!    registers.

mod parts;

use super::decoder;
use crate::Config;
use parts::*;
use rtl_gen::ir::clog2;
use rtl_gen::{CheckErrors, Design, ExprId, ModuleBuilder, ModuleId, Reg, SignalId};

/// Commands held between the host and dispatch.
pub const CMD_QUEUE_DEPTH: u32 = 2;

/// The blocks the controller instances.
#[derive(Clone, Copy, Debug)]
pub struct Datapath {
    /// The matrix engine.
    pub engine: ModuleId,
    /// The banked scratchpad.
    pub scratchpad: ModuleId,
    /// The accumulator memory.
    pub accumulator: ModuleId,
}

/// Build `<prefix>_controller` (and the decoder) into `design`.
pub fn build(design: &mut Design, cfg: &Config, dp: Datapath) -> Result<ModuleId, CheckErrors> {
    let prefix = cfg.name.as_str();
    let g = cfg.geometry();
    let dec_id = decoder::build(design, prefix)?;
    let (rows, cols, ib, ab) = (g.rows, g.cols, g.input_bits, g.acc_bits);
    let (has_ws, has_os) = (cfg.array.dataflow.has_ws(), cfg.array.dataflow.has_os());
    let lb = g.local_row_bits();
    let rb = lb + 1;
    let rbytes = g.dma_row_bytes();
    let spe = g.sp_elems();
    let sp_bits = g.sp_row_bits();
    let acc_aw = clog2(g.acc_rows.into()).max(1);
    let (seb, aeb) = (g.sp_elem_bytes(), g.acc_elem_bytes());
    let d = cfg.controller.queue_depth;

    let mut m = ModuleBuilder::new(format!("{prefix}_controller"));
    m.doc(format!(
        "Controller: command queue ({CMD_QUEUE_DEPTH}), in-order dispatch with the instruction set's checks, \
         four trackers of {d} commands (load, preload, compute, store) with a scoreboard on local rows, \
         the weight and input feeders of the matrix engine, its write-back into the accumulator, the bias \
         unit, and the performance counters. Instances the engine, the scratchpad ({} x {} rows) and the \
         accumulator ({} rows). See ip-blocks/src/blocks/controller.rs.",
        g.sp_banks, g.sp_rows_per_bank, g.acc_rows
    ));
    m.param("queue_depth", d);
    m.param("cmd_queue_depth", CMD_QUEUE_DEPTH);
    let rst = m.reset();

    // ---- Ports -------------------------------------------------------------------
    let cmd_valid = m.input("cmd_valid_i", 1);
    let cmd_ready = m.output("cmd_ready_o", 1);
    let cmd_data = m.input("cmd_data_i", 128);
    let soft_reset_i = m.input("soft_reset_i", 1);
    let clear_counters_i = m.input("clear_counters_i", 1);
    let window_base = m.input("window_base_i", 32);
    let window_limit = m.input("window_limit_i", 32);
    let idle_o = m.output("idle_o", 1);
    let error_o = m.output("error_o", 1);
    let cmd_full_o = m.output("cmd_full_o", 1);
    let error_code_o = m.output("error_code_o", 8);
    let error_index_o = m.output("error_index_o", 32);
    let cmd_count_o = m.output("cmd_count_o", 32);
    let queue_levels_o = m.output("queue_levels_o", 32);
    let counter_names = ["cycles", "engine_busy", "macs", "dma_bytes", "dma_stall", "dep_stall"];
    let cb = cfg.controller.counter_bits;
    let counter_outs: Vec<SignalId> = counter_names.iter().map(|n| m.output(format!("{n}_o"), cb)).collect();
    let core_reset_o = m.output("core_reset_o", 1);

    let ld_valid_o = m.output("ld_valid_o", 1);
    let ld_ready_i = m.input("ld_ready_i", 1);
    let ld_dram_o = m.output("ld_dram_o", 32);
    let ld_stride_o = m.output("ld_stride_o", 32);
    let ld_rows_o = m.output("ld_rows_o", 16);
    let ld_bytes_o = m.output("ld_bytes_o", 16);
    let ld_acc_o = m.output("ld_acc_o", 1);
    let ld_accumulate_o = m.output("ld_accumulate_o", 1);
    let ld_row_o = m.output("ld_row_o", lb);
    let ld_done_i = m.input("ld_done_i", 1);
    let lw_valid_i = m.input("lw_valid_i", 1);
    let lw_ready_o = m.output("lw_ready_o", 1);
    let lw_acc_i = m.input("lw_acc_i", 1);
    let lw_accumulate_i = m.input("lw_accumulate_i", 1);
    let lw_row_i = m.input("lw_row_i", lb);
    let lw_data_i = m.input("lw_data_i", 8 * rbytes);
    let st_valid_o = m.output("st_valid_o", 1);
    let st_ready_i = m.input("st_ready_i", 1);
    let st_dram_o = m.output("st_dram_o", 32);
    let st_stride_o = m.output("st_stride_o", 32);
    let st_rows_o = m.output("st_rows_o", 16);
    let st_bytes_o = m.output("st_bytes_o", 16);
    let st_acc_o = m.output("st_acc_o", 1);
    let st_raw_o = m.output("st_raw_o", 1);
    let st_row_o = m.output("st_row_o", lb);
    let st_done_i = m.input("st_done_i", 1);
    let lr_valid_i = m.input("lr_valid_i", 1);
    let lr_ready_o = m.output("lr_ready_o", 1);
    let lr_acc_i = m.input("lr_acc_i", 1);
    let lr_raw_i = m.input("lr_raw_i", 1);
    let lr_row_i = m.input("lr_row_i", lb);
    let lrd_valid_o = m.output("lrd_valid_o", 1);
    let lrd_ready_i = m.input("lrd_ready_i", 1);
    let lrd_data_o = m.output("lrd_data_o", 8 * rbytes);
    let ld_bytes_done_i = m.input("ld_bytes_done_i", 16);
    let st_bytes_done_i = m.input("st_bytes_done_i", 16);
    let dma_idle_i = m.input("dma_idle_i", 1);
    let bus_error_i = m.input("bus_error_i", 1);
    // The raw flag of a local read only matters to the accumulator.
    m.mark_unused(lr_raw_i);

    // ---- Soft reset: once everything in flight has finished ---------------------
    let reset_pending = m.reg("reset_pending", 1).reset(0).build();
    let soft = m.wire("soft_reset", 1);

    // ---- Datapath instances --------------------------------------------------------
    let core_rst = m.or(rst, soft);
    let eng = m.instance("engine", design, dp.engine);
    m.connect_reset(eng, core_rst);
    let acc = m.instance("accumulator", design, dp.accumulator);
    m.connect_reset(acc, core_rst);
    let sp = m.instance("scratchpad", design, dp.scratchpad);
    m.assign(core_reset_o, soft);

    let eng_in_ready = m.connect_wire(eng, "in_ready_o", "eng_in_ready");
    let eng_out_valid = m.connect_wire(eng, "out_valid_o", "eng_out_valid");
    let eng_out_last = m.connect_wire(eng, "out_last_o", "eng_out_last");
    m.mark_unused(eng_out_last);
    let eng_c: Vec<SignalId> =
        (0..cols).map(|n| m.connect_wire(eng, &format!("c_c{n}_o"), format!("eng_c{n}"))).collect();
    let eng_idle = m.connect_wire(eng, "idle_o", "eng_idle");
    let eng_w_ready = has_ws.then(|| m.connect_wire(eng, "w_ready_o", "eng_w_ready"));
    let acc_rd_ready = m.connect_wire(acc, "rd_ready_o", "acc_rd_ready");
    let acc_out_valid = m.connect_wire(acc, "out_valid_o", "acc_out_valid");
    let acc_out_raw = m.connect_wire(acc, "out_raw_o", "acc_out_raw");
    let acc_out_acc: Vec<SignalId> =
        (0..cols).map(|n| m.connect_wire(acc, &format!("out_acc_c{n}_o"), format!("acc_out_acc{n}"))).collect();
    let acc_out_q: Vec<SignalId> =
        (0..cols).map(|n| m.connect_wire(acc, &format!("out_q_c{n}_o"), format!("acc_out_q{n}"))).collect();
    let sp_rd: Vec<SignalId> =
        (0..g.sp_banks).map(|i| m.connect_wire(sp, &format!("b{i}_rd_data_o"), format!("sp_b{i}_rd_data"))).collect();

    // ---- Command queue -------------------------------------------------------------
    let cq_pop = m.wire("cq_pop", 1);
    let cmd_fire = {
        let e = m.and(cmd_valid, cmd_ready);
        m.named("cmd_fire", e)
    };
    let cq = fifo2(&mut m, "cq", 128, soft, x(cmd_fire), x(cmd_data), x(cq_pop));
    let cq_valid = {
        let e = m.any(cq.count);
        m.named("cq_valid", e)
    };
    {
        let full = m.eq_const(cq.count, 2);
        let nf = m.not(full);
        let nrp = m.not(reset_pending);
        let r = m.and(nf, nrp);
        m.assign(cmd_ready, r);
        m.assign(cmd_full_o, full);
    }
    let cmd_count = m.reg("cmd_count", 32).reset(0).build();
    {
        let v = m.inc(cmd_count);
        let f = m.sig(cmd_fire);
        soft_next(&mut m, cmd_count, soft, f, v, 0);
        m.assign(cmd_count_o, cmd_count);
    }
    let head = m.named("head", cq.head);
    let dinst = m.instance("decoder", design, dec_id);
    m.connect(dinst, "cmd_i", head);
    let op: Vec<SignalId> =
        decoder::OPS.iter().map(|n| m.connect_wire(dinst, &format!("{n}_o"), format!("is_{n}"))).collect();
    let [is_config_ex, is_config_ld, is_config_st, is_mvin, is_mvout, is_preload, is_compute, is_fence] =
        [op[0], op[1], op[2], op[3], op[4], op[5], op[6], op[7]];
    let is_illegal = m.connect_wire(dinst, "illegal_o", "is_illegal");

    let words: Vec<ExprId> = (0..4)
        .map(|i| {
            let w = decoder::word(&mut m, head, i);
            let s = m.named(format!("head_w{i}"), w);
            if i == 0 {
                // The opcode byte is the decoder's.
                m.mark_unused(s);
            }
            m.sig(s)
        })
        .collect();
    let (w0, w1, w2, w3) = (words[0], words[1], words[2], words[3]);
    let loc_acc = {
        let e = m.bit(w2, 31);
        m.named("loc_acc", e)
    };
    let loc_accumulate = m.bit(w2, 30);
    let loc_raw = m.bit(w2, 29);
    let named = |m: &mut ModuleBuilder, name: &str, e: ExprId| {
        let s = m.named(name, e);
        m.sig(s)
    };
    let e = m.slice(w2, 0, 29);
    let loc_row29 = named(&mut m, "cmd_row", e);
    let e = m.slice(w3, 0, 16);
    let n16 = named(&mut m, "cmd_rows", e); // rows, or a compute's count
    let e = m.slice(w3, 16, 16);
    let cols16 = named(&mut m, "cmd_cols", e);
    let dram = named(&mut m, "cmd_dram", w1);
    let e = m.slice(w1, 0, 29);
    let a29 = named(&mut m, "cmd_a_row", e);
    let e = m.slice(w0, 8, 24);
    let b24 = named(&mut m, "cmd_b_row", e);

    // ---- Architectural state of dispatch ---------------------------------------------
    let mode_os = m.reg("mode_os", 1).reset(u64::from(!has_ws)).build(); // 1: output-stationary
    let pending_w = m.reg("weights_pending", 1).reset(0).build();
    let ld_stride = m.reg("ld_stride", 32).reset(0).build();
    let st_stride = m.reg("st_stride", 32).reset(0).build();
    let cfg_mult = m.reg("cfg_multiplier", 32).reset(0x7fff_ffff).build();
    let cfg_shift = m.reg("cfg_shift", 5).reset(0).build();
    let cfg_act = m.reg("cfg_activation", 2).reset(0).build();
    let cfg_relu6 = m.reg("cfg_relu6_max", ib).reset(0).build();
    let dispatched = m.reg("dispatched", 32).reset(0).build();
    let error_code = m.reg("error_code", 8).reset(0).build();
    let error_index = m.reg("error_index", 32).reset(0).build();
    let has_error = {
        let e = m.any(error_code);
        m.named("has_error", e)
    };

    // ---- Checks (docs/isa.md, "Errors") ------------------------------------------------
    let range_end = |m: &mut ModuleBuilder, row: ExprId, n: ExprId| {
        let r = m.zext(row, 30);
        let k = m.zext(n, 30);
        m.add(r, k)
    };
    let over = |m: &mut ModuleBuilder, end: ExprId, limit: u32| {
        let k = m.lit(limit.into(), 30);
        m.gt(end, k)
    };
    let mv = m.or(is_mvin, is_mvout);
    let mv_end = range_end(&mut m, loc_row29, n16);
    let pre_sp = {
        let ns = m.not(loc_acc);
        let e = m.and(is_preload, ns);
        m.named("is_preload_sp", e)
    };
    let mode_err = {
        let want_os = m.bit(w0, 8);
        let bad_mode = if has_ws && has_os {
            m.lit(0, 1)
        } else if has_ws {
            want_os
        } else {
            m.not(want_os)
        };
        let a = m.and(is_config_ex, bad_mode);
        let b = m.and(pre_sp, mode_os);
        let e = m.or(a, b);
        m.named("err_mode", e)
    };
    let pre_acc = {
        let e = m.and(is_preload, loc_acc);
        m.named("is_preload_acc", e)
    };
    let seq_err = {
        let ws = m.not(mode_os);
        let a = {
            let t = m.and(pre_sp, ws);
            m.and(t, pending_w)
        };
        let b = {
            let t = m.and(is_compute, ws);
            let np = m.not(pending_w);
            m.and(t, np)
        };
        let e = m.or(a, b);
        m.named("err_sequence", e)
    };
    let size_err = {
        let lim = m.mux(loc_acc, m_lit(cols.into(), 16), m_lit(spe.into(), 16));
        let wide = m.gt(cols16, lim);
        let a = m.and(mv, wide);
        let many = {
            let k = m.lit(rows.into(), 16);
            m.gt(n16, k)
        };
        let b = m.and(pre_sp, many);
        let relu = m.slice(w0, 16, 16);
        let max_in = (1u64 << (ib - 1)) - 1;
        let bad_relu = {
            let k = m.lit(max_in, 16);
            m.gt(relu, k) // unsigned: negative values are above too
        };
        let c = m.and(is_config_ex, bad_relu);
        let e = or_all(&mut m, [x(a), x(b), x(c)]);
        m.named("err_size", e)
    };
    let range_err = {
        let mem_lim = |m: &mut ModuleBuilder, acc_sel: ExprId| {
            let s = m.lit(g.sp_rows().into(), 30);
            let a = m.lit(g.acc_rows.into(), 30);
            m.mux(acc_sel, a, s)
        };
        let la = m.sig(loc_acc);
        let lim = mem_lim(&mut m, la);
        let mv_bad = {
            let b = m.gt(mv_end, lim);
            m.and(mv, b)
        };
        let pre_bad = {
            let one = m.lit(1, 16);
            let n = m.mux(loc_acc, one, n16);
            let end = range_end(&mut m, loc_row29, n);
            let b = m.gt(end, lim);
            m.and(is_preload, b)
        };
        let cmp_bad = {
            let a_end = range_end(&mut m, a29, n16);
            let a_bad = over(&mut m, a_end, g.sp_rows());
            let b_end = {
                let b29 = m.zext(b24, 29);
                range_end(&mut m, b29, n16)
            };
            let b_bad = {
                let t = over(&mut m, b_end, g.sp_rows());
                m.and(t, mode_os)
            };
            let c_n = {
                let k = m.lit(rows.into(), 16);
                m.mux(mode_os, k, n16)
            };
            let c_end = range_end(&mut m, loc_row29, c_n);
            let c_bad = over(&mut m, c_end, g.acc_rows);
            let any = or_all(&mut m, [x(a_bad), x(b_bad), x(c_bad)]);
            m.and(is_compute, any)
        };
        let e = or_all(&mut m, [x(mv_bad), x(pre_bad), x(cmp_bad)]);
        m.named("err_local_range", e)
    };
    // Element bytes in main memory: accumulators for mvin to / raw mvout from the
    // accumulator; inputs otherwise.
    let acc_elems = {
        let raw_out = m.and(is_mvout, loc_raw);
        let t = m.or(is_mvin, raw_out);
        let e = m.and(loc_acc, t);
        m.named("mv_acc_elems", e)
    };
    let stride = {
        let e = m.mux(is_mvin, ld_stride, st_stride);
        m.named("mv_stride", e)
    };
    let align_err = {
        let mis = |m: &mut ModuleBuilder, x: ExprId, eb: u32| {
            if eb == 1 {
                m.lit(0, 1)
            } else {
                let lo = m.slice(x, 0, clog2(eb.into()));
                m.any(lo)
            }
        };
        let d_s = mis(&mut m, dram, seb);
        let d_a = mis(&mut m, dram, aeb);
        let st = m.sig(stride);
        let s_s = mis(&mut m, st, seb);
        let s_a = mis(&mut m, st, aeb);
        let bad_s = m.or(d_s, s_s);
        let bad_a = m.or(d_a, s_a);
        let bad = m.mux(acc_elems, bad_a, bad_s);
        let e = m.and(mv, bad);
        m.named("err_dma_align", e)
    };
    let bytes19 = {
        let c = m.zext(cols16, 19);
        let sh = |m: &mut ModuleBuilder, eb: u32| {
            let k = m.lit(clog2(eb.into()).into(), 2);
            m.shl(c, k)
        };
        let bs = sh(&mut m, seb);
        let ba = sh(&mut m, aeb);
        let e = m.mux(acc_elems, ba, bs);
        m.named("mv_bytes", e)
    };

    // Window check: last byte = dram + (rows - 1) * stride + bytes - 1, by shift-add.
    let mul_state = m.reg("win_state", 2).reset(0).build(); // 0 idle, 1 multiplying, 2 done
    let mul_acc = m.reg("win_product", 48).build();
    let mul_a = m.reg("win_multiplicand", 48).build();
    let mul_b = m.reg("win_multiplier", 16).build();
    let imm_err = {
        let e = or_all(&mut m, [x(is_illegal), x(mode_err), x(seq_err), x(size_err), x(range_err), x(align_err)]);
        let e = m.and(cq_valid, e);
        m.named("err_now_static", e)
    };
    let running = {
        let ne = m.not(has_error);
        let nr = m.not(reset_pending);
        let e = and_all(&mut m, [x(cq_valid), x(ne), x(nr)]);
        m.named("dispatch_running", e)
    };
    let mv_ok = {
        let ni = m.not(imm_err);
        let t = m.and(mv, ni);
        m.and(t, running)
    };
    let st_idle = m.eq_const(mul_state, 0);
    let st_run = m.eq_const(mul_state, 1);
    let mul_done = {
        let e = m.eq_const(mul_state, 2);
        m.named("win_done", e)
    };
    let start = m.and(st_idle, mv_ok);
    let b_zero = m.is_zero(mul_b);
    let finishing = m.and(st_run, b_zero);
    let dispatch_go = m.wire("dispatch_go", 1);
    let err_now = m.wire("err_now", 1);
    {
        let leave = m.or(dispatch_go, err_now);
        let leave = m.or(leave, soft);
        let two = m.lit(2, 2);
        let one = m.lit(1, 2);
        let zero = m.lit(0, 2);
        let v = m.mux(start, one, two);
        let v = m.mux(leave, zero, v);
        let en = or_all(&mut m, [x(start), x(finishing), x(leave)]);
        m.next(mul_state, v);
        m.set_enable(mul_state, en);
        let bit0 = m.bit(mul_b, 0);
        let add = m.add(mul_acc, mul_a);
        let stepv = m.mux(bit0, add, x(mul_acc.q));
        let z48 = m.lit(0, 48);
        let accv = m.mux(start, z48, stepv);
        let nb = m.not(b_zero);
        let stepping = m.and(st_run, nb);
        let en = m.or(start, stepping);
        m.next(mul_acc, accv);
        m.set_enable(mul_acc, en);
        let st48 = m.zext(stride, 48);
        let one48 = m.lit(1, 48);
        let a_sh = m.shl(mul_a, one48);
        let av = m.mux(start, st48, a_sh);
        m.next(mul_a, av);
        m.set_enable(mul_a, en);
        let rm1 = m.dec(n16);
        let one16 = m.lit(1, 16);
        let b_sh = m.shr(mul_b, one16);
        let bv = m.mux(start, rm1, b_sh);
        m.next(mul_b, bv);
        m.set_enable(mul_b, en);
    }
    let window_err = {
        let d50 = m.zext(dram, 50);
        let p50 = m.zext(mul_acc, 50);
        let b50 = m.zext(bytes19, 50);
        let s = m.add(d50, p50);
        let s = m.add(s, b50);
        let one = m.lit(1, 50);
        let last = m.sub(s, one);
        let lim = m.zext(window_limit, 50);
        let hi_bad = m.gt(last, lim);
        let lo_bad = m.lt(dram, window_base);
        let e = m.or(hi_bad, lo_bad);
        m.named("err_dma_window", e)
    };

    // ---- Trackers ------------------------------------------------------------------------
    let row_lb = m.resize(loc_row29, lb, false);
    let a_lb = m.resize(a29, lb, false);
    let b_lb = m.resize(b24, lb, false);
    let to_rb = |m: &mut ModuleBuilder, x: ExprId| m.resize(x, rb, false);
    let nb16_rb = m.resize(n16, rb, false);
    let bytes16 = m.resize(bytes19, 16, false);
    let ldr = Ring::new(
        &mut m,
        "ldq",
        d,
        &[
            ("dram", 32),
            ("stride", 32),
            ("rows", 16),
            ("bytes", 16),
            ("acc", 1),
            ("accumulate", 1),
            ("row", lb),
            ("lo", rb),
            ("hi", rb),
        ],
    );
    let str_ = Ring::new(
        &mut m,
        "stq",
        d,
        &[
            ("bias", 1),
            ("dram", 32),
            ("stride", 32),
            ("rows", 16),
            ("bytes", 16),
            ("acc", 1),
            ("raw", 1),
            ("row", lb),
            ("lo", rb),
            ("hi", rb),
        ],
    );
    let prr = Ring::new(&mut m, "prq", d, &[("row", lb), ("n", 16), ("lo", rb), ("hi", rb)]);
    let cpr = Ring::new(
        &mut m,
        "cpq",
        d,
        &[
            ("a", lb),
            ("b", lb),
            ("c", lb),
            ("count", 16),
            ("accumulate", 1),
            ("os", 1),
            ("rlo", rb),
            ("rhi", rb),
            ("wlo", rb),
            ("whi", rb),
        ],
    );

    // The new command's ranges.
    let row_rb = to_rb(&mut m, row_lb);
    let mv_hi = m.add(row_rb, nb16_rb);
    let a_rb = to_rb(&mut m, a_lb);
    let b_rb = to_rb(&mut m, b_lb);
    let cnt_rb = nb16_rb;
    let (c_rlo, c_rhi) = {
        let a_lt_b = m.lt(a_rb, b_rb);
        let lo = m.mux(a_lt_b, a_rb, b_rb);
        let hi0 = m.mux(a_lt_b, b_rb, a_rb);
        let hi_os = m.add(hi0, cnt_rb);
        let hi_ws = m.add(a_rb, cnt_rb);
        let lo = m.mux(mode_os, lo, a_rb);
        let hi = m.mux(mode_os, hi_os, hi_ws);
        (lo, hi)
    };
    let c_whi = {
        let k = m.lit(rows.into(), rb);
        let n = m.mux(mode_os, k, cnt_rb);
        m.add(row_rb, n)
    };
    let pre_hi = {
        let one = m.lit(1, rb);
        let n = m.mux(loc_acc, one, nb16_rb);
        m.add(row_rb, n)
    };
    let one1 = m.lit(1, 1);
    let zero1 = m.lit(0, 1);
    let new_w = {
        let valid = m.or(is_mvin, is_compute);
        let space = m.mux(is_compute, one1, x(loc_acc));
        let lo = row_rb;
        let hi = m.mux(is_compute, c_whi, mv_hi);
        Range { valid, space, lo, hi }
    };
    let new_r = {
        let valid = or_all(&mut m, [x(is_mvout), x(is_preload), x(is_compute)]);
        let space = m.mux(is_compute, zero1, x(loc_acc));
        let lo = m.mux(is_compute, c_rlo, row_rb);
        let hi0 = m.mux(is_preload, pre_hi, mv_hi);
        let hi = m.mux(is_compute, c_rhi, hi0);
        Range { valid, space, lo, hi }
    };
    let ring_range = |m: &mut ModuleBuilder, r: &Ring, i: u32, space: ExprId, lo: &str, hi: &str| Range {
        valid: m.sig(r.valid[i as usize].q),
        space,
        lo: m.sig(r.entry(i, lo).q),
        hi: m.sig(r.entry(i, hi).q),
    };
    let unit_ld = m.sig(is_mvin);
    let unit_pre = m.sig(pre_sp);
    let unit_cmp = m.sig(is_compute);
    let unit_st = m.or(is_mvout, pre_acc);
    let not_ld = m.not(unit_ld);
    let not_pre = m.not(unit_pre);
    let not_cmp = m.not(unit_cmp);
    let not_st = m.not(unit_st);
    let mut hz = Vec::new();
    for i in 0..d {
        let ld_space = m.sig(ldr.entry(i, "acc").q);
        let ldw = ring_range(&mut m, &ldr, i, ld_space, "lo", "hi");
        let z = m.lit(0, 1);
        let prr_r = ring_range(&mut m, &prr, i, z, "lo", "hi");
        let z = m.lit(0, 1);
        let cp_r = ring_range(&mut m, &cpr, i, z, "rlo", "rhi");
        let o = m.lit(1, 1);
        let cp_w = ring_range(&mut m, &cpr, i, o, "wlo", "whi");
        let st_space = m.sig(str_.entry(i, "acc").q);
        let st_r = ring_range(&mut m, &str_, i, st_space, "lo", "hi");
        let t = overlap(&mut m, new_w, ldw);
        let u = overlap(&mut m, new_r, ldw);
        let tu = m.or(t, u);
        hz.push(m.and(tu, not_ld));
        let t = overlap(&mut m, new_w, prr_r);
        hz.push(m.and(t, not_pre));
        let t = overlap(&mut m, new_w, cp_r);
        let u = overlap(&mut m, new_w, cp_w);
        let v = overlap(&mut m, new_r, cp_w);
        let tuv = or_all(&mut m, [x(t), x(u), x(v)]);
        hz.push(m.and(tuv, not_cmp));
        let t = overlap(&mut m, new_w, st_r);
        hz.push(m.and(t, not_st));
    }
    let hazard = {
        let e = or_all(&mut m, hz);
        m.named("hazard", e)
    };

    // ---- Waiting conditions and dispatch ---------------------------------------------------
    let ld_empty = ldr.empty(&mut m);
    let st_empty = str_.empty(&mut m);
    let pr_empty = prr.empty(&mut m);
    let cp_empty = cpr.empty(&mut m);
    let ld_full = ldr.full(&mut m);
    let st_full = str_.full(&mut m);
    let pr_full = prr.full(&mut m);
    let cp_full = cpr.full(&mut m);
    let bias_state = m.reg("bias_state", 2).reset(0).build(); // 0 idle, 1 read, 2 wait for the row
    let bias_idle = m.eq_const(bias_state, 0);
    let wq_empty_w = m.wire("wq_empty", 1);
    let exec_idle = {
        let e = and_all(&mut m, [x(pr_empty), x(cp_empty), x(eng_idle), x(wq_empty_w)]);
        m.named("exec_idle", e)
    };
    let all_idle = {
        let e = and_all(&mut m, [x(exec_idle), x(ld_empty), x(st_empty), x(dma_idle_i), x(bias_idle)]);
        m.named("units_idle", e)
    };
    let space_ok = {
        let nf = |m: &mut ModuleBuilder, f: ExprId, u: ExprId| {
            let t = m.and(f, u);
            m.not(t)
        };
        let a = nf(&mut m, ld_full, unit_ld);
        let b = nf(&mut m, pr_full, unit_pre);
        let c = nf(&mut m, cp_full, unit_cmp);
        let e = nf(&mut m, st_full, unit_st);
        and_all(&mut m, [x(a), x(b), x(c), x(e)])
    };
    let waits_ok = {
        let ce = {
            let t = m.and(exec_idle, st_empty);
            let t = m.and(t, bias_idle);
            let nc = m.not(is_config_ex);
            m.or(nc, t)
        };
        let fe = {
            let nf = m.not(is_fence);
            m.or(nf, all_idle)
        };
        let mvw = {
            let nm = m.not(mv);
            m.or(nm, mul_done)
        };
        and_all(&mut m, [x(ce), x(fe), x(mvw)])
    };
    {
        let nim = m.not(imm_err);
        let nwin = {
            let t = m.and(mv, mul_done);
            let t = m.and(t, window_err);
            m.not(t)
        };
        let nh = m.not(hazard);
        let go = and_all(&mut m, [x(running), x(nim), x(nwin), x(nh), x(space_ok), x(waits_ok)]);
        m.assign(dispatch_go, go);
        let win_fail = {
            let t = m.and(mv, mul_done);
            m.and(t, window_err)
        };
        let e = m.or(imm_err, win_fail);
        let e = m.and(running, e);
        m.assign(err_now, e);
        // After an error, commands leave the queue as they arrive, without effect (the
        // golden model ignores them too): the host's pushes are never held, so it can
        // always reach CONTROL.reset behind them.
        let discard = m.and(cq_valid, has_error);
        let pop = m.or(go, discard);
        m.assign(cq_pop, pop);
    }
    // Error register.
    {
        let code = |m: &mut ModuleBuilder, v: crate::isa::ErrorCode| m.lit(v.code().into(), 8);
        use crate::isa::ErrorCode as E;
        let mut v = code(&mut m, E::DmaWindow);
        for (cond, c) in [
            (align_err, E::DmaAlign),
            (range_err, E::LocalRange),
            (size_err, E::Size),
            (seq_err, E::Sequence),
            (mode_err, E::Mode),
            (is_illegal, E::IllegalCommand),
        ] {
            let k = code(&mut m, c);
            v = m.mux(cond, k, v);
        }
        // A bus error (sticky in the DMA) stops the machine too, unless an error is
        // already recorded; a dispatch error of the same cycle wins.
        let bus = {
            let ne = m.not(has_error);
            let e = m.and(bus_error_i, ne);
            m.named("bus_error_new", e)
        };
        let bus_code = code(&mut m, E::BusError);
        let v = m.mux(err_now, v, bus_code);
        let latch = m.or(err_now, bus);
        soft_next(&mut m, error_code, soft, latch, v, 0);
        soft_next(&mut m, error_index, soft, latch, x(dispatched.q), 0);
        let dv = m.inc(dispatched);
        soft_next(&mut m, dispatched, soft, x(dispatch_go), dv, 0);
        m.assign(error_code_o, error_code);
        m.assign(error_index_o, error_index);
        m.assign(error_o, has_error);
    }
    // State updates at dispatch.
    {
        let go = m.sig(dispatch_go);
        let ex = m.and(go, is_config_ex);
        let mode_bit = m.bit(w0, 8);
        soft_next(&mut m, mode_os, soft, ex, mode_bit, u64::from(!has_ws));
        let sh = m.slice(w0, 11, 5);
        soft_next(&mut m, cfg_shift, soft, ex, sh, 0);
        let act = m.slice(w0, 9, 2);
        soft_next(&mut m, cfg_act, soft, ex, act, 0);
        let r6 = m.slice(w0, 16, ib);
        soft_next(&mut m, cfg_relu6, soft, ex, r6, 0);
        soft_next(&mut m, cfg_mult, soft, ex, w1, 0x7fff_ffff);
        let l = m.and(go, is_config_ld);
        soft_next(&mut m, ld_stride, soft, l, w1, 0);
        let s = m.and(go, is_config_st);
        soft_next(&mut m, st_stride, soft, s, w1, 0);
        // Weights: a scratchpad preload sets, a weight-stationary compute uses them up.
        let set = m.and(go, pre_sp);
        let ws = m.not(mode_os);
        let clr = {
            let t = m.and(go, is_compute);
            m.and(t, ws)
        };
        let en = m.or(set, clr);
        soft_next(&mut m, pending_w, soft, en, set, 0);
    }

    // ---- Units ---------------------------------------------------------------------------------
    let go = m.sig(dispatch_go);
    // Load ring -> DMA.
    let ld_issue = {
        let pend = ldr.has_pending(&mut m);
        m.assign(ld_valid_o, pend);
        let e = m.and(pend, ld_ready_i);
        m.named("ld_issue", e)
    };
    for (port, f) in [
        (ld_dram_o, "dram"),
        (ld_stride_o, "stride"),
        (ld_rows_o, "rows"),
        (ld_bytes_o, "bytes"),
        (ld_acc_o, "acc"),
        (ld_accumulate_o, "accumulate"),
        (ld_row_o, "row"),
    ] {
        let v = ldr.at(&mut m, ldr.issue, f);
        m.assign(port, v);
    }
    {
        let push = m.and(go, is_mvin);
        let stv = m.sig(stride);
        let data = [x(dram), x(stv), x(n16), x(bytes16), x(loc_acc), x(loc_accumulate), x(row_lb), x(row_rb), x(mv_hi)];
        ldr.connect(&mut m, soft, push, &data, x(ld_issue), x(ld_done_i));
    }

    // Store ring -> DMA, and the bias unit.
    let st_is_bias = str_.at(&mut m, str_.issue, "bias");
    let st_pend = str_.has_pending(&mut m);
    let st_issue_mv = {
        let nb = m.not(st_is_bias);
        let v = m.and(st_pend, nb);
        m.assign(st_valid_o, v);
        let e = m.and(v, st_ready_i);
        m.named("st_issue", e)
    };
    for (port, f) in [
        (st_dram_o, "dram"),
        (st_stride_o, "stride"),
        (st_rows_o, "rows"),
        (st_bytes_o, "bytes"),
        (st_acc_o, "acc"),
        (st_raw_o, "raw"),
        (st_row_o, "row"),
    ] {
        let v = str_.at(&mut m, str_.issue, f);
        m.assign(port, v);
    }
    // The bias unit starts when a bias entry is the oldest incomplete store command.
    let bias_start = {
        let only = m.eq(str_.count, str_.pending);
        let t = and_all(&mut m, [x(st_pend), x(st_is_bias), x(only), x(bias_idle)]);
        m.named("bias_start", t)
    };
    let bias_row = {
        let r = str_.at(&mut m, str_.issue, "row");
        m.resize(r, acc_aw, false)
    };
    let bias_req = m.eq_const(bias_state, 1);
    let bias_wait = m.eq_const(bias_state, 2);
    let bias_rd_fire = m.and(bias_req, acc_rd_ready);
    let bias_done = {
        let e = m.and(bias_wait, acc_out_valid);
        m.named("bias_done", e)
    };
    {
        let one = m.lit(1, 2);
        let two = m.lit(2, 2);
        let zero = m.lit(0, 2);
        let v = m.mux(bias_start, one, two);
        let v = m.mux(bias_done, zero, v);
        let en = or_all(&mut m, [x(bias_start), x(bias_rd_fire), x(bias_done)]);
        soft_next(&mut m, bias_state, soft, en, v, 0);
    }
    let bias_regs: Vec<Reg> = (0..cols).map(|n| m.reg(format!("bias_c{n}"), ab).reset(0).build()).collect();
    for (n, r) in bias_regs.iter().enumerate() {
        let v = m.sig(acc_out_acc[n]);
        soft_next(&mut m, *r, soft, x(bias_done), v, 0);
        m.connect(acc, &format!("bias_c{n}_i"), *r);
    }
    {
        let push = m.and(go, unit_st);
        let stv = m.sig(stride);
        let data = [
            x(pre_acc),
            x(dram),
            x(stv),
            x(n16),
            x(bytes16),
            x(loc_acc),
            x(loc_raw),
            x(row_lb),
            x(row_rb),
            x(new_r.hi),
        ];
        let issue = m.or(st_issue_mv, bias_done);
        let retire = m.or(st_done_i, bias_done);
        str_.connect(&mut m, soft, push, &data, issue, retire);
    }

    // Scratchpad read requests: A, B, weights, store (priority in that order).
    let elem = |m: &mut ModuleBuilder, row: ExprId, e: u32| m.slice(row, e * ib, ib);
    // Weight feeder: the head preload, `rows` beats (zero rows beyond its `n`).
    let rw = clog2(u64::from(rows)).max(1);
    let w_r = m.reg("wf_row", rw).reset(0).build();
    let wq_count_w = m.wire("wq_level", 2);
    let w_inflight = m.reg("wf_inflight", 1).reset(0).build();
    let w_inflight_zero = m.reg("wf_inflight_zero", 1).build();
    let w_inflight_bank = m.reg("wf_inflight_bank", g.sp_banks).build();
    let pr_active = {
        let ne = m.not(pr_empty);
        m.named("wf_active", ne)
    };
    let pr_row = prr.at(&mut m, prr.head, "row");
    let pr_n = prr.at(&mut m, prr.head, "n");
    let w_row_addr = {
        let r = m.zext(w_r, lb);
        m.add(pr_row, r)
    };
    let w_zero = {
        let r = m.zext(w_r, 16);
        m.ge(r, pr_n)
    };
    // Each read queue holds two rows. A read may issue while the queue has room for its
    // row one cycle later: fewer than two rows queued or in flight, or a row leaving in
    // this cycle (without the latter, reads would stall every third cycle).
    let credit = |m: &mut ModuleBuilder, level: SignalId, infl: Reg, pop: SignalId| {
        let l = m.zext(level, 3);
        let i = m.zext(infl, 3);
        let s = m.add(l, i);
        let two = m.lit(2, 3);
        let room = m.lt(s, two);
        m.or(room, pop)
    };
    let wq_pop = m.wire("wq_pop", 1);
    let aq_pop = m.wire("aq_pop", 1);
    let bq_pop = m.wire("bq_pop", 1);
    let sq_pop = m.wire("sq_pop", 1);
    let w_credit = credit(&mut m, wq_count_w, w_inflight, wq_pop);
    let w_want_any = {
        let e = and_all(&mut m, [x(pr_active), x(w_credit)]);
        if has_ws {
            e
        } else {
            // No weight-stationary engine: the weight feeder never runs (dispatch refuses
            // scratchpad preloads in output-stationary mode).
            m.mark_unused(pr_active);
            m.mark_unused(wq_count_w);
            m.lit(0, 1)
        }
    };
    let w_want_read = {
        let nz = m.not(w_zero);
        m.and(w_want_any, nz)
    };
    // Input feeder: the compute at the issue pointer.
    let cp_pend = cpr.has_pending(&mut m);
    let f_a = cpr.at(&mut m, cpr.issue, "a");
    let f_b = cpr.at(&mut m, cpr.issue, "b");
    let f_count = cpr.at(&mut m, cpr.issue, "count");
    let f_os = cpr.at(&mut m, cpr.issue, "os");
    let ka = m.reg("if_a_step", 16).reset(0).build();
    let kb = m.reg("if_b_step", 16).reset(0).build();
    let a_done = m.reg("if_a_done", 1).reset(0).build();
    let b_done = m.reg("if_b_done", 1).reset(0).build();
    let aq_level = m.wire("aq_level", 2);
    let bq_level = m.wire("bq_level", 2);
    let a_inflight = m.reg("if_a_inflight", 1).reset(0).build();
    let a_inflight_last = m.reg("if_a_inflight_last", 1).build();
    let a_inflight_bank = m.reg("if_a_inflight_bank", g.sp_banks).build();
    let b_inflight = m.reg("if_b_inflight", 1).reset(0).build();
    let b_inflight_bank = m.reg("if_b_inflight_bank", g.sp_banks).build();
    let a_credit = credit(&mut m, aq_level, a_inflight, aq_pop);
    let b_credit = credit(&mut m, bq_level, b_inflight, bq_pop);
    let a_want = {
        let nd = m.not(a_done);
        let e = and_all(&mut m, [x(cp_pend), x(nd), x(a_credit)]);
        m.named("if_a_want", e)
    };
    let b_want = {
        let nd = m.not(b_done);
        let e = and_all(&mut m, [x(cp_pend), x(f_os), x(nd), x(b_credit)]);
        m.named("if_b_want", e)
    };
    let a_row = {
        let k = m.resize(ka, lb, false);
        m.add(f_a, k)
    };
    let b_row = {
        let k = m.resize(kb, lb, false);
        m.add(f_b, k)
    };
    // Store feeder (DMA local reads of the scratchpad).
    let resp_n = m.reg("lr_outstanding", 8).reset(0).build();
    let resp_acc = m.reg("lr_kind_acc", 1).reset(0).build();
    let kind_ok = {
        let z = m.is_zero(resp_n);
        let same = m.eq(resp_acc, lr_acc_i);
        m.or(z, same)
    };
    let sq_level = m.wire("sq_level", 2);
    let s_inflight = m.reg("st_sp_inflight", 1).reset(0).build();
    let s_inflight_bank = m.reg("st_sp_inflight_bank", g.sp_banks).build();
    let s_credit = credit(&mut m, sq_level, s_inflight, sq_pop);
    let s_want = {
        let na = m.not(lr_acc_i);
        let e = and_all(&mut m, [x(lr_valid_i), x(na), x(kind_ok), x(s_credit)]);
        m.named("st_sp_want", e)
    };

    let (a_hit, a_addr) = bank_select(&mut m, &g, a_row);
    let (b_hit, b_addr) = bank_select(&mut m, &g, b_row);
    let (w_hit, w_addr) = bank_select(&mut m, &g, w_row_addr);
    let lr_row_e = m.sig(lr_row_i);
    let (s_hit, s_addr) = bank_select(&mut m, &g, lr_row_e);
    let same_bank = |m: &mut ModuleBuilder, x: &[ExprId], y: &[ExprId]| {
        let t: Vec<ExprId> = x.iter().zip(y).map(|(p, q)| m.and(*p, *q)).collect();
        or_all(m, t)
    };
    let a_grant = m.named("sp_grant_a", a_want);
    let b_grant = {
        let sb = same_bank(&mut m, &b_hit, &a_hit);
        let blocked = m.and(a_want, sb);
        let nb = m.not(blocked);
        let e = m.and(b_want, nb);
        m.named("sp_grant_b", e)
    };
    let w_grant = {
        let sa = same_bank(&mut m, &w_hit, &a_hit);
        let sb = same_bank(&mut m, &w_hit, &b_hit);
        let x = m.and(a_want, sa);
        let y = m.and(b_want, sb);
        let blocked = m.or(x, y);
        let nb = m.not(blocked);
        let e = m.and(w_want_read, nb);
        m.named("sp_grant_w", e)
    };
    let s_grant = {
        let sa = same_bank(&mut m, &s_hit, &a_hit);
        let sb = same_bank(&mut m, &s_hit, &b_hit);
        let sw = same_bank(&mut m, &s_hit, &w_hit);
        let pa = m.and(a_want, sa);
        let pb = m.and(b_want, sb);
        let pw = m.and(w_want_read, sw);
        let blocked = or_all(&mut m, [x(pa), x(pb), x(pw)]);
        let nb = m.not(blocked);
        let e = m.and(s_want, nb);
        m.named("sp_grant_st", e)
    };
    let lw_fire_sp = m.wire("lw_fire_sp", 1);
    let lw_row_e = m.sig(lw_row_i);
    let (lw_hit, lw_addr) = bank_select(&mut m, &g, lw_row_e);
    let sp_row_from_lw = {
        let parts: Vec<ExprId> = (0..spe).rev().map(|e| m.slice(lw_data_i, e * seb * 8, ib)).collect();
        m.concat(parts)
    };
    for i in 0..g.sp_banks as usize {
        let ga = m.and(a_grant, a_hit[i]);
        let gb = m.and(b_grant, b_hit[i]);
        let gw = m.and(w_grant, w_hit[i]);
        let gs = m.and(s_grant, s_hit[i]);
        let en = or_all(&mut m, [x(ga), x(gb), x(gw), x(gs)]);
        let addr = m.mux(gw, w_addr[i], s_addr[i]);
        let addr = m.mux(gb, b_addr[i], addr);
        let addr = m.mux(ga, a_addr[i], addr);
        m.connect(sp, &format!("b{i}_rd_en_i"), en);
        m.connect(sp, &format!("b{i}_rd_addr_i"), addr);
        let we = m.and(lw_fire_sp, lw_hit[i]);
        m.connect(sp, &format!("b{i}_wr_en_i"), we);
        m.connect(sp, &format!("b{i}_wr_addr_i"), lw_addr[i]);
        m.connect(sp, &format!("b{i}_wr_data_i"), sp_row_from_lw);
    }
    // The read data of the bank a one-hot register names (and-or of the banks).
    let bank_data = |m: &mut ModuleBuilder, onehot: Reg| {
        let terms: Vec<ExprId> = (0..g.sp_banks)
            .map(|i| {
                let b = m.bit(onehot, i);
                let mask = m.sext(b, sp_bits);
                m.and(mask, sp_rd[i as usize])
            })
            .collect();
        terms.into_iter().reduce(|a, b| m.or(a, b)).expect("one bank at least")
    };
    let hits_vec = |m: &mut ModuleBuilder, h: &[ExprId]| {
        let parts: Vec<ExprId> = h.iter().rev().copied().collect();
        m.concat(parts)
    };

    // Weight feeder state.
    let w_fire = {
        let zero_beat = m.and(w_want_any, w_zero);
        let e = m.or(w_grant, zero_beat);
        m.named("wf_fire", e)
    };
    {
        let last_r = m.eq_const(w_r, (rows - 1).into());
        let z = m.lit(0, rw);
        let nx = m.inc(w_r);
        let v = m.mux(last_r, z, nx);
        soft_next(&mut m, w_r, soft, w_fire, v, 0);
        let retire = m.and(w_fire, last_r);
        let push = m.and(go, pre_sp);
        let data = [x(row_lb), x(n16), x(row_rb), x(pre_hi)];
        let never = m.lit(0, 1);
        prr.connect(&mut m, soft, push, &data, never, retire);
        let one = m.lit(1, 1);
        soft_next(&mut m, w_inflight, soft, one, x(w_fire), 0);
        m.next(w_inflight_zero, w_zero);
        let hv = hits_vec(&mut m, &w_hit);
        m.next(w_inflight_bank, hv);
    }
    let wq = {
        let data = bank_data(&mut m, w_inflight_bank);
        let z = m.lit(0, sp_bits);
        let v = m.mux(w_inflight_zero, z, data);
        let f = fifo2(&mut m, "wq", sp_bits, soft, x(w_inflight.q), v, x(wq_pop));
        (f, wq_pop)
    };
    m.assign(wq_count_w, wq.0.count);
    {
        let e = m.is_zero(wq.0.count);
        m.assign(wq_empty_w, e);
    }
    if let Some(wr) = eng_w_ready {
        let v = m.any(wq.0.count);
        m.connect(eng, "w_valid_i", v);
        let pop = m.and(v, wr);
        m.assign(wq.1, pop);
        for n in 0..cols {
            let e = elem(&mut m, wq.0.head, n);
            m.connect(eng, &format!("w_c{n}_i"), e);
        }
    } else {
        let z = m.lit(0, 1);
        m.assign(wq.1, z);
        m.mark_unused(w_inflight_zero.q);
        let h = m.named("wq_head_unused", wq.0.head);
        m.mark_unused(h);
    }

    // Input feeder state.
    {
        let last = m.dec(f_count);
        let a_last = m.eq(ka, last);
        let b_last = m.eq(kb, last);
        let a_fire = a_grant;
        let b_fire = b_grant;
        let a_fin = m.and(a_fire, a_last);
        let b_fin = m.and(b_fire, b_last);
        // The compute is fully issued when A (and B, output-stationary) are done.
        let a_fin_all = m.or(a_done, a_fin);
        let b_needed = f_os;
        let nb = m.not(b_needed);
        let b_fin_all = or_all(&mut m, [x(b_done.q), x(b_fin), x(nb)]);
        let issued = {
            let t = m.and(cp_pend, a_fin_all);
            let e = m.and(t, b_fin_all);
            m.named("if_issued", e)
        };
        let z16 = m.lit(0, 16);
        let ka_n = m.inc(ka);
        let ka_v = m.mux(issued, z16, ka_n);
        let ka_en = m.or(a_fire, issued);
        soft_next(&mut m, ka, soft, ka_en, ka_v, 0);
        let kb_n = m.inc(kb);
        let kb_v = m.mux(issued, z16, kb_n);
        let kb_en = m.or(b_fire, issued);
        soft_next(&mut m, kb, soft, kb_en, kb_v, 0);
        let ad_v = {
            let ni = m.not(issued);
            m.and(a_fin_all, ni)
        };
        let one = m.lit(1, 1);
        soft_next(&mut m, a_done, soft, one, ad_v, 0);
        let bd_v = {
            let ni = m.not(issued);
            let t = m.or(b_done, b_fin);
            m.and(t, ni)
        };
        soft_next(&mut m, b_done, soft, one, bd_v, 0);
        soft_next(&mut m, a_inflight, soft, one, a_fire, 0);
        m.next(a_inflight_last, a_last);
        let ah = hits_vec(&mut m, &a_hit);
        m.next(a_inflight_bank, ah);
        soft_next(&mut m, b_inflight, soft, one, b_fire, 0);
        let bh = hits_vec(&mut m, &b_hit);
        m.next(b_inflight_bank, bh);

        let push = m.and(go, is_compute);
        let c_lb = row_lb;
        let data =
            [x(a_lb), x(b_lb), x(c_lb), x(n16), x(loc_accumulate), x(mode_os), x(c_rlo), x(c_rhi), x(row_rb), x(c_whi)];
        let wb_done = m.wire("wb_done", 1);
        cpr.connect(&mut m, soft, push, &data, issued, x(wb_done));

        // A and B queues into the engine's `in` channel.
        let in_fire = m.wire("eng_in_fire", 1);
        m.assign(aq_pop, in_fire);
        let a_pop = m.sig(in_fire);
        let a_data = {
            let dta = bank_data(&mut m, a_inflight_bank);
            let l = m.sig(a_inflight_last.q);
            m.concat([l, dta])
        };
        let aq = fifo2(&mut m, "aq", sp_bits + 1, soft, x(a_inflight.q), a_data, a_pop);
        m.assign(aq_level, aq.count);
        let b_pop = {
            let e = m.and(in_fire, mode_os);
            let e = if has_os { e } else { m.lit(0, 1) };
            m.assign(bq_pop, e);
            m.sig(bq_pop)
        };
        let b_data = bank_data(&mut m, b_inflight_bank);
        let bq = fifo2(&mut m, "bq", sp_bits, soft, x(b_inflight.q), b_data, b_pop);
        m.assign(bq_level, bq.count);
        let a_has = m.any(aq.count);
        let b_has = m.any(bq.count);
        let in_valid = {
            let nos = m.not(mode_os);
            let ok_b = m.or(nos, b_has);
            let e = m.and(a_has, ok_b);
            m.named("eng_in_valid", e)
        };
        m.connect(eng, "in_valid_i", in_valid);
        let fire = m.and(in_valid, eng_in_ready);
        m.assign(in_fire, fire);
        let last = m.bit(aq.head, sp_bits);
        m.connect(eng, "in_last_i", last);
        for k in 0..rows {
            let e = elem(&mut m, aq.head, k);
            m.connect(eng, &format!("a_r{k}_i"), e);
        }
        // The A row's elements beyond `rows` are not multiplied.
        if spe > rows {
            let hi = m.slice(aq.head, rows * ib, (spe - rows) * ib);
            let h = m.named("aq_head_unused", hi);
            m.mark_unused(h);
        }
        if has_os {
            for n in 0..cols {
                let e = elem(&mut m, bq.head, n);
                m.connect(eng, &format!("b_c{n}_i"), e);
            }
            if spe > cols {
                let hi = m.slice(bq.head, cols * ib, (spe - cols) * ib);
                let h = m.named("bq_head_unused", hi);
                m.mark_unused(h);
            }
        } else {
            let h = m.named("bq_head_unused", bq.head);
            m.mark_unused(h);
        }
        if has_ws && spe > cols {
            let hi = m.slice(wq.0.head, cols * ib, (spe - cols) * ib);
            let h = m.named("wq_head_unused", hi);
            m.mark_unused(h);
        }
        if has_ws && has_os {
            m.connect(eng, "mode_i", mode_os);
        }

        // Write-back: output vectors of the oldest compute into the accumulator.
        let wb_j = m.reg("wb_step", 16).reset(0).build();
        let h_c = cpr.at(&mut m, cpr.head, "c");
        let h_count = cpr.at(&mut m, cpr.head, "count");
        let h_os = cpr.at(&mut m, cpr.head, "os");
        let h_accum = cpr.at(&mut m, cpr.head, "accumulate");
        let j_lb = m.resize(wb_j, lb, false);
        let os_j = {
            let k = m.lit((rows - 1).into(), lb);
            m.sub(k, j_lb)
        };
        let off = m.mux(h_os, os_j, j_lb);
        let wb_row = m.add(h_c, off);
        let wb_last = {
            let k = m.lit((rows - 1).into(), 16);
            let l_os = m.eq(wb_j, k);
            let lc = m.dec(h_count);
            let l_ws = m.eq(wb_j, lc);
            m.mux(h_os, l_os, l_ws)
        };
        let done = m.and(eng_out_valid, wb_last);
        m.assign(wb_done, done);
        let z16 = m.lit(0, 16);
        let jn = m.inc(wb_j);
        let jv = m.mux(wb_last, z16, jn);
        soft_next(&mut m, wb_j, soft, x(eng_out_valid), jv, 0);
        let one = m.lit(1, 1);
        m.connect(eng, "out_ready_i", one);

        // Accumulator write port: the engine first, then DMA loads.
        let lw_acc_fire = m.and(lw_valid_i, lw_acc_i);
        let lw_acc_ok = {
            let ne = m.not(eng_out_valid);
            m.and(lw_acc_fire, ne)
        };
        let lw_ready = {
            let na = m.not(lw_acc_i);
            let ne = m.not(eng_out_valid);
            m.or(na, ne)
        };
        m.assign(lw_ready_o, lw_ready);
        let sp_fire = {
            let na = m.not(lw_acc_i);
            m.and(lw_valid_i, na)
        };
        m.assign(lw_fire_sp, sp_fire);
        let wv = m.or(eng_out_valid, lw_acc_ok);
        m.connect(acc, "wr_valid_i", wv);
        let wb_addr = m.resize(wb_row, acc_aw, false);
        let lw_addr_acc = m.resize(lw_row_i, acc_aw, false);
        let addr = m.mux(eng_out_valid, wb_addr, lw_addr_acc);
        m.connect(acc, "wr_addr_i", addr);
        let accum = m.mux(eng_out_valid, h_accum, x(lw_accumulate_i));
        m.connect(acc, "wr_accumulate_i", accum);
        for n in 0..cols {
            let from_dma = m.slice(lw_data_i, n * aeb * 8, ab);
            let v = m.mux(eng_out_valid, eng_c[n as usize], from_dma);
            m.connect(acc, &format!("wr_data_c{n}_i"), v);
        }
        m.mark_unused(lw_data_i);

        // ---- Performance counters ----------------------------------------------------------
        // `controller.counter_bits` wide; they wrap.
        let clear = m.or(clear_counters_i, soft);
        let busy = m.wire("busy", 1);
        let dma_busy = {
            let ni = m.not(dma_idle_i);
            let nl = m.not(ld_empty);
            let ns = m.not(st_empty);
            or_all(&mut m, [x(ni), x(nl), x(ns)])
        };
        let nfire = m.not(in_fire);
        let dma_stall = and_all(&mut m, [x(busy), x(nfire), x(dma_busy)]);
        let dep_stall = {
            let nim = m.not(imm_err);
            and_all(&mut m, [x(running), x(nim), x(hazard)])
        };
        let bytes = {
            let a = m.zext(ld_bytes_done_i, cb);
            let b = m.zext(st_bytes_done_i, cb);
            m.add(a, b)
        };
        // MACS is ENGINE_BUSY times the MACs per cycle: when that is a power of two, it is
        // ENGINE_BUSY shifted (equal, wrapping included), with no register of its own.
        let per_cycle = g.macs_per_cycle();
        let macs = (!per_cycle.is_power_of_two()).then(|| {
            let k = m.lit(per_cycle, cb);
            let z = m.lit(0, cb);
            m.mux(in_fire, k, z)
        });
        let [busy_n, fire_n, ds_n, dep_n] = [x(busy), x(in_fire), x(dma_stall), x(dep_stall)].map(|v| m.zext(v, cb));
        let mut engine_busy = None;
        for ((name, add), out) in counter_names
            .iter()
            .zip([Some(busy_n), Some(fire_n), macs, Some(bytes), Some(ds_n), Some(dep_n)])
            .zip(&counter_outs)
        {
            let Some(add) = add else { continue };
            let r = m.reg(format!("perf_{name}"), cb).reset(0).build();
            let s = m.add(r, add);
            let z = m.lit(0, cb);
            let v = m.mux(clear, z, s);
            m.next(r, v);
            m.assign(*out, r);
            if *name == "engine_busy" {
                engine_busy = Some(r);
            }
        }
        if macs.is_none() {
            let shift = per_cycle.trailing_zeros();
            let busy_q = engine_busy.expect("ENGINE_BUSY is a register");
            let v = if shift == 0 {
                m.sig(busy_q.q)
            } else {
                let kept = m.slice(busy_q, 0, cb - shift);
                let z = m.lit(0, shift);
                m.concat([kept, z])
            };
            m.assign(counter_outs[2], v);
        }

        // Idle and status.
        // Idle: nothing queued or running; after an error, nothing left running (the
        // commands behind the failing one are discarded as they arrive).
        let cq_empty = m.not(cq_valid);
        let drained = m.or(cq_empty, has_error);
        let idle = and_all(&mut m, [x(drained), x(all_idle)]);
        let nidle = m.not(idle);
        m.assign(busy, nidle);
        m.assign(idle_o, idle);
        let levels = {
            let c = m.zext(cq.count, 8);
            let l = m.zext(ldr.count, 8);
            let p = m.zext(prr.count, 8);
            let q = m.zext(cpr.count, 8);
            let e = m.add(p, q);
            let s = m.zext(str_.count, 8);
            m.concat([s, e, l, c])
        };
        m.assign(queue_levels_o, levels);
        // Soft reset.
        let quiet = m.sig(all_idle);
        let sv = m.and(reset_pending, quiet);
        m.assign(soft, sv);
        let rp = {
            let ns = m.not(soft);
            let keep = m.and(reset_pending, ns);
            m.or(soft_reset_i, keep)
        };
        m.next(reset_pending, rp);
    }

    // Local reads for the DMA's stores: scratchpad rows through a queue, accumulator
    // rows through its read-out; formatted into main-memory bytes.
    {
        let s_fire = s_grant;
        let one = m.lit(1, 1);
        soft_next(&mut m, s_inflight, soft, one, s_fire, 0);
        let sh = hits_vec(&mut m, &s_hit);
        m.next(s_inflight_bank, sh);
        let sdata = bank_data(&mut m, s_inflight_bank);
        let sq = fifo2(&mut m, "sq", sp_bits, soft, x(s_inflight.q), sdata, x(sq_pop));
        m.assign(sq_level, sq.count);
        // Accumulator read port: the bias unit when active, else DMA reads.
        let nb = m.not(bias_idle);
        let acc_lr_want = {
            let nb2 = m.not(nb);
            and_all(&mut m, [x(lr_valid_i), x(lr_acc_i), x(kind_ok), x(nb2)])
        };
        let rdv = m.or(bias_req, acc_lr_want);
        m.connect(acc, "rd_valid_i", rdv);
        let lr_addr_acc = m.resize(lr_row_i, acc_aw, false);
        let a = m.mux(bias_req, bias_row, lr_addr_acc);
        m.connect(acc, "rd_addr_i", a);
        let raw = m.mux(bias_req, one, x(lr_raw_i));
        m.connect(acc, "rd_raw_i", raw);
        let acc_lr_fire = m.and(acc_lr_want, acc_rd_ready);
        let lr_ready = {
            let a = m.and(acc_lr_want, acc_rd_ready);
            let b = m.sig(s_grant);
            m.or(a, b)
        };
        // lr_ready_o must not depend on lr_valid_i combinationally only through the
        // request itself; the DMA holds its request until ready.
        m.assign(lr_ready_o, lr_ready);
        let lr_fire = m.or(acc_lr_fire, s_grant);
        let has_resp = m.any(resp_n);
        let lrd_valid = {
            let sv = m.any(sq.count);
            let av = {
                let nbw = m.not(bias_wait);
                m.and(acc_out_valid, nbw)
            };
            let v = m.mux(resp_acc, av, sv);
            let e = m.and(has_resp, v);
            m.named("lrd_valid", e)
        };
        m.assign(lrd_valid_o, lrd_valid);
        let lrd_fire = m.and(lrd_valid, lrd_ready_i);
        let pop_sp = {
            let na = m.not(resp_acc);
            m.and(lrd_fire, na)
        };
        m.assign(sq_pop, pop_sp);
        let acc_out_ready = {
            let t = m.and(resp_acc, has_resp);
            let t = m.and(t, lrd_ready_i);
            m.or(bias_wait, t)
        };
        m.connect(acc, "out_ready_i", acc_out_ready);
        {
            soft_up_down(&mut m, resp_n, soft, lr_fire, lrd_fire);
            let kv = m.sig(lr_acc_i);
            soft_next(&mut m, resp_acc, soft, lr_fire, kv, 0);
        }
        // Formatting.
        let pad = |m: &mut ModuleBuilder, parts: Vec<ExprId>| {
            let w: u32 = parts.iter().map(|p| m.width(*p)).sum();
            let mut ps: Vec<ExprId> = parts.into_iter().rev().collect();
            if w < 8 * rbytes {
                let z = m.lit(0, 8 * rbytes - w);
                ps.insert(0, z);
            }
            m.concat(ps)
        };
        let sp_bytes = {
            let ps: Vec<ExprId> = (0..spe)
                .map(|e| {
                    let x = elem(&mut m, sq.head, e);
                    m.sext(x, seb * 8)
                })
                .collect();
            pad(&mut m, ps)
        };
        let raw_bytes = {
            let ps: Vec<ExprId> = (0..cols).map(|n| m.sext(acc_out_acc[n as usize], aeb * 8)).collect();
            pad(&mut m, ps)
        };
        let q_bytes = {
            let ps: Vec<ExprId> = (0..cols).map(|n| m.sext(acc_out_q[n as usize], seb * 8)).collect();
            pad(&mut m, ps)
        };
        let accb = m.mux(acc_out_raw, raw_bytes, q_bytes);
        let data = m.mux(resp_acc, accb, sp_bytes);
        m.assign(lrd_data_o, data);
    }
    // Requantization parameters.
    m.connect(acc, "cfg_multiplier_i", cfg_mult);
    m.connect(acc, "cfg_shift_i", cfg_shift);
    m.connect(acc, "cfg_activation_i", cfg_act);
    m.connect(acc, "cfg_relu6_max_i", cfg_relu6);
    design.add(m)
}
