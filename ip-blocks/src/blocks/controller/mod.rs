//! The controller: it takes 128-bit commands from the host, checks them, and runs them
//! on the matrix engine, the scratchpad and the accumulator (which it instances) and on
//! the DMA (outside, through its command and local-memory ports).
//!
//! Structure, in the order a command travels:
//! 1. **Command queue** (`queue.rs`): [`cmd_queue_depth`] commands, decoded on their way
//!    in and kept narrowed to what dispatch reads; `cmd_ready_o` is low when full, so
//!    the host is held, never dropped.
//! 2. **Dispatch** (in program order, one command at a time): the decoder
//!    ([`super::decoder`]) and every rule of `docs/isa.md` ("Errors"), with the
//!    arithmetic narrowed to the configuration and the model's answer kept exactly
//!    (`checks.rs`). `mvin`/`mvout` first compute their last byte for the DMA-window check
//!    with a shift-add multiply of `(rows - 1) * stride` in 32 bits and an overflow flag
//!    (one cycle per bit of `rows - 1`, one more to compare); with a one-entry queue, one
//!    bit per cycle on registers that turn ([`turns_window`], 33 cycles). The checks' result is
//!    registered, so a command dispatches at the earliest in its second cycle at the
//!    head. Configuration commands are absorbed here; a
//!    `config_ex` waits until the engine and the store side are idle, then changes the
//!    mode and the requantization registers. Without the scoreboard and with the compact
//!    DMA, which then reads the stride registers while a command runs
//!    ([`dma_stride_held`]), a `config_ld` (`config_st`) waits until no load (store) is
//!    in flight. A `fence` waits until everything is idle.
//!    An error stops dispatch: the failing command and every later one have no effect.
//! 3. **Four in-order trackers** of `controller.queue_depth` commands each (a power of
//!    two, [`crate::config::ControllerConfig`]): load (`mvin`),
//!    preload (weights), compute and store (`mvout`). A tracker keeps a command from
//!    dispatch until it has completed. With `controller.scoreboard` it also keeps the
//!    local rows the command reads and writes (and a load's or store's stride): a
//!    command whose rows overlap those of an incomplete command of another tracker
//!    (read after write, write after read, write after write) waits at dispatch; this
//!    scoreboard is what lets loads of the next tile and stores of the last one overlap
//!    compute. The store tracker also orders the bias preloads. Without it, a command
//!    waits while another tracker it could conflict with is not empty (`scoreboard.rs`
//!    has the table), loads and stores go from the queue's head to the DMA, which keeps
//!    them (the load and store trackers only count them), and the bias unit takes a bias
//!    preload at dispatch.
//! 4. **Units**: the DMA takes loads and stores; the weight feeder reads preload rows
//!    into the engine's `w` channel; the input feeder reads A (and, output-stationary,
//!    B) rows into its `in` channel; the write-back puts every output vector into the
//!    accumulator; the bias unit reads an accumulator row into the read-out's bias.
//!    Scratchpad read ports are shared with fixed priority (A, B, weights, DMA store),
//!    the A, B and store readers each with a two-row queue (`parts::ReadQueue`; one row
//!    for the store reader with a one-entry command queue) whose credit is registered, so that no consumer's ready reaches the arbitration
//!    (with `scratchpad.read_latency = 2` their reads take two stages, `parts::InFlight`,
//!    the queues keep a row more, and the weight feeder reads into a queue too); the
//!    readers of lower priority yield to the weight feeder when it may read, whatever
//!    the engine takes. The accumulator write port is shared too (engine first, then
//!    DMA loads).
//! 5. **Performance counters** (`controller.counter_bits` wide) and status for the host
//!    registers.

mod checks;
mod parts;
mod queue;
mod scoreboard;

use super::decoder;
use crate::Config;
use checks::{past_end, soft_next_turning, window_check, window_check_serial, SerialInputs, WindowInputs};
use parts::*;
use queue::{narrow, narrow_const, narrow_mux};
use rtl_gen::ir::clog2;
use rtl_gen::{CheckErrors, Design, ExprId, ModuleBuilder, ModuleId, Reg, SignalId};
use scoreboard::{ranges, scoreboard_hazard, table_hazard, Cmd, Trackers};

/// Commands held between the host and dispatch (one with trackers of one command).
pub const CMD_QUEUE_DEPTH: u32 = 2;

/// The command queue's entries for `cfg`: [`CMD_QUEUE_DEPTH`], or 1 with
/// `controller.queue_depth = 1`.
pub fn cmd_queue_depth(cfg: &Config) -> u32 {
    CMD_QUEUE_DEPTH.min(cfg.controller.queue_depth)
}

/// The command queue's one entry keeps only the opcode and word 3's fields and reads
/// command words 0 to 2 from the host's registers (`cmd_data_i[95:0]`), which the host
/// holds while the entry is full ([`super::host::HostOptions::hold_command_words`]): with
/// `controller.queue_depth = 1`.
pub fn reads_host_words(cfg: &Config) -> bool {
    cmd_queue_depth(cfg) == 1
}

/// The DMA-window check runs one bit per cycle ([`checks::window_check_serial`]) on
/// the stride of its side and the host's `CMD1`, `WINDOW_BASE` and `WINDOW_LIMIT`, which
/// turn while `window_turn_o` is high ([`super::host::HostOptions::turn_window`]): with
/// the one-entry command queue of [`reads_host_words`], whose `CMD1` is the head's. An
/// `mvin` (`mvout`) starts its check once no load (store) is in flight, as the DMA may
/// read the stride while one runs ([`dma_stride_held`]).
pub fn turns_window(cfg: &Config) -> bool {
    reads_host_words(cfg)
}

/// The DMA reads the strides at `ld_stride_o` and `st_stride_o` for as long as a command
/// runs, without a copy ([`super::dma::DmaSizes::stride_held`]): without the scoreboard
/// and with the compact DMA, where a `config_ld` (`config_st`) dispatches only once no
/// load (store) is in flight, so the stride a command started with stays until its done.
pub fn dma_stride_held(cfg: &Config) -> bool {
    !cfg.controller.scoreboard && cfg.dma.outstanding == 1
}

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
    let sb = cfg.controller.scoreboard;

    let mut m = ModuleBuilder::new(format!("{prefix}_controller"));
    let waits = if sb { "with a scoreboard on local rows" } else { "without a scoreboard (fixed waits)" };
    m.doc(format!(
        "Controller: command queue ({}), in-order dispatch with the instruction set's checks, \
         four trackers of {d} commands (load, preload, compute, store) {waits}, \
         the weight and input feeders of the matrix engine, its write-back into the accumulator, the bias \
         unit, and the performance counters. Instances the engine, the scratchpad ({} x {} rows) and the \
         accumulator ({} rows). See ip-blocks/src/blocks/controller/mod.rs.",
        cmd_queue_depth(cfg),
        g.sp_banks,
        g.sp_rows_per_bank,
        g.acc_rows
    ));
    m.param("scoreboard", sb);
    m.param("queue_depth", d);
    m.param("cmd_queue_depth", cmd_queue_depth(cfg));
    let rst = m.reset();

    // ---- Ports -------------------------------------------------------------------
    let cmd_valid = m.input("cmd_valid_i", 1);
    let cmd_ready = m.output("cmd_ready_o", 1);
    let cmd_data = m.input("cmd_data_i", 128);
    let soft_reset_i = m.input("soft_reset_i", 1);
    let clear_counters_i = m.input("clear_counters_i", 1);
    let window_base = m.input("window_base_i", 32);
    let window_limit = m.input("window_limit_i", 32);
    let window_turn_o = turns_window(cfg).then(|| m.output("window_turn_o", 1));
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
    let beat_bytes = g.dma_data_bits / 8;
    let lw_chunks_i = m.input("lw_chunks_i", rbytes.div_ceil(beat_bytes));
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
    // With `controller.engine_out_registered` the engine's output goes through a register
    // stage with a skid entry (`eng_skid`, below) and these are that stage's.
    let skid = cfg.controller.engine_out_registered;
    let raw = if skid { "eng_raw" } else { "eng" };
    let eng_out_valid = m.connect_wire(eng, "out_valid_o", format!("{raw}_out_valid"));
    let eng_out_last = m.connect_wire(eng, "out_last_o", format!("{raw}_out_last"));
    m.mark_unused(eng_out_last);
    let eng_c: Vec<SignalId> =
        (0..cols).map(|n| m.connect_wire(eng, &format!("c_c{n}_o"), format!("{raw}_c{n}"))).collect();
    let eng_idle = m.connect_wire(eng, "idle_o", format!("{raw}_idle"));
    let eng_w_ready = has_ws.then(|| m.connect_wire(eng, "w_ready_o", "eng_w_ready"));
    let acc_rd_ready = m.connect_wire(acc, "rd_ready_o", "acc_rd_ready");
    let acc_wr_ready = m.connect_wire(acc, "wr_ready_o", "acc_wr_ready");
    let acc_out_valid = m.connect_wire(acc, "out_valid_o", "acc_out_valid");
    let acc_out_raw = m.connect_wire(acc, "out_raw_o", "acc_out_raw");
    let acc_out_acc: Vec<SignalId> =
        (0..cols).map(|n| m.connect_wire(acc, &format!("out_acc_c{n}_o"), format!("acc_out_acc{n}"))).collect();
    let acc_out_q: Vec<SignalId> =
        (0..cols).map(|n| m.connect_wire(acc, &format!("out_q_c{n}_o"), format!("acc_out_q{n}"))).collect();
    let sp_rd: Vec<SignalId> =
        (0..g.sp_banks).map(|i| m.connect_wire(sp, &format!("b{i}_rd_data_o"), format!("sp_b{i}_rd_data"))).collect();
    // The engine's output stage (`controller.engine_out_registered`): the output register
    // `eng_a` and the skid entry `eng_b`, so that the engine's `out_ready_i` (the global
    // stall of every PE) is a register, `~eng_b_valid`, rather than the accumulator's
    // write hazard. A vector taken from the engine goes to `eng_a` when it is free or
    // leaving, else to `eng_b`, which goes to `eng_a` as that leaves; the write-back takes
    // `eng_a` (`eng_out_valid`) when the accumulator is ready.
    let (eng_out_valid, eng_c, eng_idle, eng_ready) = if skid {
        let a_valid = m.reg("eng_a_valid", 1).reset(0).build();
        let b_valid = m.reg("eng_b_valid", 1).reset(0).build();
        let ready = m.not(b_valid);
        let ready = m.named("eng_out_ready", ready);
        let up_fire = m.and(eng_out_valid, ready);
        let up_fire = m.named("eng_up_fire", up_fire);
        let out_fire = m.and(a_valid, acc_wr_ready);
        let a_free = m.not(a_valid);
        let load_a = m.or(a_free, out_fire);
        let load_a = m.named("eng_a_load", load_a);
        let not_load_a = m.not(load_a);
        let refill = m.or(b_valid, up_fire);
        let a_next = m.or(refill, not_load_a);
        m.next(a_valid, a_next);
        let load_b = m.and(up_fire, not_load_a);
        let load_b = m.named("eng_b_load", load_b);
        let keep_b = m.and(b_valid, not_load_a);
        let b_next = m.or(load_b, keep_b);
        m.next(b_valid, b_next);
        let mut out_c = Vec::with_capacity(cols as usize);
        for (n, c) in eng_c.iter().enumerate() {
            let b = m.reg(format!("eng_b_c{n}"), ab).enable(load_b).build();
            m.next(b, *c);
            let a = m.reg(format!("eng_a_c{n}"), ab).enable(load_a).build();
            let value = m.mux(b_valid, b.q, *c);
            m.next(a, value);
            out_c.push(a.q);
        }
        let empty = m.or(a_valid, b_valid);
        let empty = m.not(empty);
        let idle = m.and(eng_idle, empty);
        let idle = m.named("eng_idle", idle);
        let valid = m.named("eng_out_valid", a_valid.q);
        (valid, out_c, idle, m.sig(ready))
    } else {
        let ready = m.sig(acc_wr_ready);
        (eng_out_valid, eng_c, eng_idle, ready)
    };

    // ---- Command queue -------------------------------------------------------------
    let cq_pop = m.wire("cq_pop", 1);
    let cqd = cmd_queue_depth(cfg);
    let cq = queue::build(
        &mut m,
        design,
        dec_id,
        &g,
        cqd,
        queue::Ports {
            cmd_valid,
            cmd_ready,
            cmd_data,
            cmd_full: cmd_full_o,
            cmd_count: cmd_count_o,
            pop: cq_pop,
            soft,
            reset_pending,
        },
    );
    let cq_valid = cq.valid;
    let [is_config_ex, is_config_ld, is_config_st, is_mvin, is_mvout, is_preload, is_compute, is_fence] =
        [cq.ops[0], cq.ops[1], cq.ops[2], cq.ops[3], cq.ops[4], cq.ops[5], cq.ops[6], cq.ops[7]];
    let is_illegal = cq.illegal;
    // w0[31:8]: config_ex's mode [8], activation [10:9], shift [15:11], relu6_max
    // [31:16]; a compute's B row.
    let w0_hi = cq.w0_hi;
    let w0_field = |m: &mut ModuleBuilder, lo: u32, width: u32| m.slice(w0_hi, lo - 8, width);
    let w1 = cq.w1;
    let loc_acc = cq.loc_acc;
    let loc_accumulate = cq.loc_accumulate;
    let loc_raw = cq.loc_raw;
    let nw = queue::Widths::of(&g).n;
    let row_n = cq.row; // the local row
    let n_n = cq.n; // rows, or a compute's count
    let dram = w1;
    let a_n = {
        let a29 = m.slice(w1, 0, 29);
        narrow(&mut m, a29, lb)
    };
    let b_n = if has_os { narrow(&mut m, w0_hi, lb) } else { narrow_const(&mut m, 0, lb) };

    // ---- Architectural state of dispatch ---------------------------------------------
    // 1: output-stationary; a constant when the engine has one dataflow.
    let mode_reg = (has_ws && has_os).then(|| m.reg("mode_os", 1).reset(u64::from(!has_ws)).build());
    let mode_os = match mode_reg {
        Some(r) => m.sig(r.q),
        None => m.lit(u64::from(has_os), 1),
    };
    let pending_w = m.reg("weights_pending", 1).reset(0).build();
    let ld_stride = m.reg("ld_stride", 32).reset(0).build();
    let st_stride = m.reg("st_stride", 32).reset(0).build();
    let cfg_mult = m.reg("cfg_multiplier", 32).reset(0x7fff_ffff).build();
    let cfg_shift = m.reg("cfg_shift", 5).reset(0).build();
    let cfg_act = m.reg("cfg_activation", 2).reset(0).build();
    let cfg_relu6 = m.reg("cfg_relu6_max", ib).reset(0).build();
    let error_code = m.reg("error_code", 8).reset(0).build();
    let error_index = m.reg("error_index", 32).reset(0).build();
    let has_error = {
        let e = m.any(error_code);
        m.named("has_error", e)
    };

    // ---- Checks (docs/isa.md, "Errors") ------------------------------------------------
    let mv = m.or(is_mvin, is_mvout);
    let pre_sp = {
        let ns = m.not(loc_acc);
        let e = m.and(is_preload, ns);
        m.named("is_preload_sp", e)
    };
    let mode_err = {
        let want_os = w0_field(&mut m, 8, 1);
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
        let cw = m.width(cq.cols.lo);
        let lim = m.mux(loc_acc, m_lit(cols.into(), cw), m_lit(spe.into(), cw));
        let wide = {
            let t = m.gt(cq.cols.lo, lim);
            m.or(cq.cols.big, t)
        };
        let a = m.and(mv, wide);
        let many = {
            let k = m.lit(rows.into(), m.width(n_n.lo));
            let t = m.gt(n_n.lo, k);
            m.or(n_n.big, t)
        };
        let b = m.and(pre_sp, many);
        let relu = w0_field(&mut m, 16, 16);
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
        // One check for the local address of every command that has one (`mvin`,
        // `mvout`, `preload`, a compute's output), one for a compute's A rows and one
        // for its B rows.
        let sp_lim = m.lit(g.sp_rows().into(), rb);
        let acc_lim = m.lit(g.acc_rows.into(), rb);
        let row_bad = {
            // Rows from the local address: the array's rows for an output-stationary
            // result, else the command's count (a bias's is 1: `Instr::decode` refuses
            // any other, and an illegal command's error comes first).
            let os_rows = narrow_const(&mut m, rows.into(), nw);
            let os_out = m.and(is_compute, mode_os);
            let k = narrow_mux(&mut m, os_out, os_rows, n_n);
            let in_acc = m.or(loc_acc, is_compute);
            let lim = m.mux(in_acc, acc_lim, sp_lim);
            let b = past_end(&mut m, row_n, k, lim);
            let has_row = or_all(&mut m, [x(mv), x(is_preload), x(is_compute)]);
            m.and(has_row, b)
        };
        let cmp_bad = {
            let a_bad = past_end(&mut m, a_n, n_n, sp_lim);
            let b_bad = if has_os {
                let t = past_end(&mut m, b_n, n_n, sp_lim);
                m.and(t, mode_os)
            } else {
                m.lit(0, 1)
            };
            let any = m.or(a_bad, b_bad);
            m.and(is_compute, any)
        };
        let e = m.or(row_bad, cmp_bad);
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
        let c = m.zext(cq.cols.lo, m.width(cq.cols.lo) + 3);
        let sh = |m: &mut ModuleBuilder, eb: u32| {
            let k = m.lit(clog2(eb.into()).into(), 2);
            m.shl(c, k)
        };
        let bs = sh(&mut m, seb);
        let ba = sh(&mut m, aeb);
        let e = m.mux(acc_elems, ba, bs);
        m.named("mv_bytes", e)
    };

    // The checks above are registered: their result (one flag per rule, encoded after
    // the register as the error code of the first rule broken, 0 for none) is valid
    // from the second cycle a command is at the head, as the architectural state they
    // read changes only when a command dispatches (and leaves the head). This keeps
    // their carry chains out of dispatch's path, and the priority encoding out of theirs.
    let rules = {
        use crate::isa::ErrorCode as E;
        [
            (align_err, E::DmaAlign),
            (range_err, E::LocalRange),
            (size_err, E::Size),
            (seq_err, E::Sequence),
            (mode_err, E::Mode),
            (is_illegal, E::IllegalCommand),
        ]
    };
    let check_flags = m.reg("check_flags", rules.len() as u32).build();
    let checked = m.reg("checked", 1).reset(0).build();
    let check_code = {
        let flags: Vec<ExprId> = rules.iter().rev().map(|(cond, _)| m.sig(*cond)).collect();
        let v = m.concat(flags);
        m.next(check_flags, v);
        if window_turn_o.is_some() {
            // Kept from the head's first cycle: the window check turns `w1`.
            let en = m.not(checked);
            m.set_enable(check_flags, en);
        }
        let stays = {
            let np = m.not(cq_pop);
            m.and(cq_valid, np)
        };
        let one = m.lit(1, 1);
        soft_next(&mut m, checked, soft, one, stays, 0);
        let mut v = m.lit(0, 8);
        for (i, (_, c)) in rules.iter().enumerate() {
            let k = m.lit(c.code().into(), 8);
            let f = m.bit(check_flags, i as u32);
            v = m.mux(f, k, v);
        }
        m.named("check_code", v)
    };
    let imm_err = {
        let bad = m.any(check_flags);
        let e = m.and(checked, bad);
        m.named("err_now_static", e)
    };
    let running = {
        let ne = m.not(has_error);
        let nr = m.not(reset_pending);
        let e = and_all(&mut m, [x(cq_valid), x(ne), x(nr)]);
        m.named("dispatch_running", e)
    };
    let dispatch_go = m.wire("dispatch_go", 1);
    let err_now = m.wire("err_now", 1);
    // Window check: last byte = dram + (rows - 1) * stride + bytes - 1, by shift-add.
    let win = {
        let start = {
            let ni = m.not(imm_err);
            and_all(&mut m, [x(mv), x(checked), x(ni), x(running)])
        };
        let leave = m.or(dispatch_go, err_now);
        let (window_base_i, window_limit_i, stride_s) = (window_base, window_limit, stride);
        let stride = m.sig(stride);
        let (window_base, window_limit, bytes) = (m.sig(window_base), m.sig(window_limit), m.sig(bytes19));
        match window_turn_o {
            Some(turn) => {
                // Bit 0 of each turning register, and the stride of the command's side,
                // which turns only while no transfer of that side is in flight.
                let leave = m.or(leave, soft);
                let side_idle = m.wire("mv_side_idle", 1);
                let start = m.and(start, side_idle);
                for sig in [window_base_i, window_limit_i, stride_s] {
                    m.mark_unused(sig);
                }
                let stride = {
                    let (l, s) = (m.bit(ld_stride, 0), m.bit(st_stride, 0));
                    m.mux(is_mvin, l, s)
                };
                let (dram, window_base, window_limit) = (m.bit(dram, 0), m.bit(window_base, 0), m.bit(window_limit, 0));
                let rows = n_n.lo;
                let i = SerialInputs { start, leave, rows, bytes, stride, dram, window_base, window_limit };
                let s = window_check_serial(&mut m, i);
                m.assign(turn, s.turning);
                (s.check, Some((side_idle, s.turning)))
            }
            None => {
                let rows_m1 = {
                    let d = m.dec(n_n.lo);
                    m.resize(d, lb, false)
                };
                let i = WindowInputs { start, leave, dram, stride, rows_m1, bytes, window_base, window_limit };
                (window_check(&mut m, soft, i), None)
            }
        }
    };
    let (win, win_turn) = win;

    // ---- Trackers ------------------------------------------------------------------------
    let row_lb = row_n.lo;
    let a_lb = a_n.lo;
    let b_lb = b_n.lo;
    // Counts that passed the range checks fit `rb` bits; a row's bytes, `bb` bits.
    let n_rb = m.resize(n_n.lo, rb, false);
    let bb = clog2(u64::from(rbytes) + 1);
    let bytes_bb = m.resize(bytes19, bb, false);
    let pnw = clog2(u64::from(rows) + 1);
    let n_pre = m.resize(n_n.lo, pnw, false);
    let cmd = Cmd {
        is_mvin: m.sig(is_mvin),
        is_mvout: m.sig(is_mvout),
        is_compute: m.sig(is_compute),
        pre_sp: m.sig(pre_sp),
        pre_acc: m.sig(pre_acc),
        loc_acc: m.sig(loc_acc),
        row: row_lb,
        a: a_lb,
        b: b_lb,
        n: n_n.lo,
        mode_os,
    };
    // With the scoreboard, every entry keeps its rows (`lo`, `hi`; a compute also its
    // read range `rlo`, `rhi`).
    let rng = sb.then(|| ranges(&mut m, rb, rows, &cmd));
    let lohi: &[(&str, u32)] = if sb { &[("lo", rb), ("hi", rb)] } else { &[] };
    let with = |fields: &[(&'static str, u32)], extra: &[(&'static str, u32)]| -> Vec<(&'static str, u32)> {
        fields.iter().chain(extra).copied().collect()
    };
    let (ldr, str_) = if sb {
        let ld_fields = [("dram", 32), ("stride", 32), ("rows", rb), ("bytes", bb), ("acc", 1), ("accumulate", 1)];
        let st_fields =
            [("bias", 1), ("dram", 32), ("stride", 32), ("rows", rb), ("bytes", bb), ("acc", 1), ("raw", 1)];
        let ldr = Ring::new(&mut m, "ldq", d, &with(&ld_fields, &[("row", lb), ("lo", rb), ("hi", rb)]), true);
        let str_ = Ring::new(&mut m, "stq", d, &with(&st_fields, &[("row", lb), ("lo", rb), ("hi", rb)]), true);
        (ldr, str_)
    } else {
        // Loads and stores go from the queue's head to the DMA, which keeps them.
        (Ring::in_flight(&mut m, "ldq", d), Ring::in_flight(&mut m, "stq", d))
    };
    let prr = Ring::new(&mut m, "prq", d, &with(&[("row", lb), ("n", pnw)], lohi), sb);
    let cp_fields: Vec<(&str, u32)> = [("a", lb), ("b", lb), ("c", lb), ("count", rb), ("accumulate", 1), ("os", 1)]
        .into_iter()
        .filter(|(f, _)| has_os || *f != "b")
        .collect();
    let cp_ranges: &[(&str, u32)] = if sb { &[("rlo", rb), ("rhi", rb), ("wlo", rb), ("whi", rb)] } else { &[] };
    let cpr = Ring::new(&mut m, "cpq", d, &with(&cp_fields, cp_ranges), sb);

    // ---- Waiting conditions and dispatch ---------------------------------------------------
    let ld_empty = ldr.empty(&mut m);
    let st_empty = str_.empty(&mut m);
    if let Some((side_idle, _)) = win_turn {
        let e = m.mux(is_mvin, ld_empty, st_empty);
        m.assign(side_idle, e);
    }
    let pr_empty = prr.empty(&mut m);
    let cp_empty = cpr.empty(&mut m);
    let ld_full = ldr.full(&mut m);
    let st_full = str_.full(&mut m);
    let pr_full = prr.full(&mut m);
    let cp_full = cpr.full(&mut m);
    let bias_state = m.reg("bias_state", 2).reset(0).build(); // 0 idle, 1 read, 2 wait for the row
    let bias_idle = m.eq_const(bias_state, 0);
    let hazard = {
        let t = Trackers { ld: &ldr, pr: &prr, cp: &cpr, st: &str_ };
        let e = match &rng {
            Some(r) => scoreboard_hazard(&mut m, &cmd, r, &t),
            None => {
                let busy = m.not(bias_idle);
                table_hazard(&mut m, &cmd, &t, busy)
            }
        };
        m.named("hazard", e)
    };
    let unit_ld = m.sig(is_mvin);
    let unit_pre = m.sig(pre_sp);
    let unit_cmp = m.sig(is_compute);
    // The store tracker: mvouts, and bias preloads with the scoreboard (without it they
    // go to the bias unit at dispatch).
    let unit_st = if sb { m.or(is_mvout, pre_acc) } else { m.sig(is_mvout) };
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
    // What `config_ex` and `fence` wait for, registered: idle in the last cycle, with
    // nothing dispatched then (units only get work by dispatch), so that the AND over
    // every unit's state stays off dispatch's path (one cycle more per wait).
    let ex_quiet = m.reg("exec_store_quiet", 1).reset(0).build();
    let all_quiet = m.reg("units_quiet", 1).reset(0).build();
    {
        let ng = m.not(dispatch_go);
        let t = and_all(&mut m, [x(exec_idle), x(st_empty), x(bias_idle), x(ng)]);
        m.next(ex_quiet, t);
        let t = m.and(all_idle, ng);
        m.next(all_quiet, t);
    }
    let waits_ok = {
        let ce = implies(&mut m, is_config_ex, ex_quiet);
        let fe = implies(&mut m, is_fence, all_quiet);
        let mvw = implies(&mut m, mv, win.done);
        if dma_stride_held(cfg) {
            // The DMA reads the stride registers while a command runs: change one only
            // while its side is idle.
            let cl = implies(&mut m, is_config_ld, ld_empty);
            let cs = implies(&mut m, is_config_st, st_empty);
            and_all(&mut m, [x(ce), x(fe), x(mvw), x(cl), x(cs)])
        } else {
            and_all(&mut m, [x(ce), x(fe), x(mvw)])
        }
    };
    // Everything but the DMA taking the command: without the scoreboard a load or store
    // is offered to the DMA on this, and dispatches when the DMA takes it.
    let ready_to_go = {
        let nim = m.not(imm_err);
        let nwin = {
            let t = m.and(mv, win.done);
            let t = m.and(t, win.err);
            m.not(t)
        };
        let nh = m.not(hazard);
        let e = and_all(&mut m, [x(running), x(checked), x(nim), x(nwin), x(nh), x(space_ok), x(waits_ok)]);
        m.named("dispatch_ready", e)
    };
    {
        let go = if sb {
            m.sig(ready_to_go)
        } else {
            let ld_wait = {
                let nr = m.not(ld_ready_i);
                m.and(is_mvin, nr)
            };
            let st_wait = {
                let nr = m.not(st_ready_i);
                m.and(is_mvout, nr)
            };
            let w = m.or(ld_wait, st_wait);
            let nw = m.not(w);
            m.and(ready_to_go, nw)
        };
        m.assign(dispatch_go, go);
        let win_fail = {
            let t = m.and(mv, win.done);
            m.and(t, win.err)
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
        let win_code = code(&mut m, E::DmaWindow);
        let v = m.mux(imm_err, check_code, win_code);
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
        // The failing command's index is the number dispatched before it: until the
        // first error every command accepted is dispatched or still queued.
        let dispatched = {
            let q = m.zext(cq.count, 32);
            m.sub(cq.accepted, q)
        };
        soft_next(&mut m, error_index, soft, latch, dispatched, 0);
        m.assign(error_code_o, error_code);
        m.assign(error_index_o, error_index);
        m.assign(error_o, has_error);
    }
    // State updates at dispatch.
    {
        let go = m.sig(dispatch_go);
        let ex = m.and(go, is_config_ex);
        if let Some(r) = mode_reg {
            let mode_bit = w0_field(&mut m, 8, 1);
            soft_next(&mut m, r, soft, ex, mode_bit, u64::from(!has_ws));
        }
        let sh = w0_field(&mut m, 11, 5);
        soft_next(&mut m, cfg_shift, soft, ex, sh, 0);
        let act = w0_field(&mut m, 9, 2);
        soft_next(&mut m, cfg_act, soft, ex, act, 0);
        let r6 = w0_field(&mut m, 16, ib);
        soft_next(&mut m, cfg_relu6, soft, ex, r6, 0);
        soft_next(&mut m, cfg_mult, soft, ex, w1, 0x7fff_ffff);
        let l = m.and(go, is_config_ld);
        let s = m.and(go, is_config_st);
        match win_turn {
            // The stride of the command's side turns for the window check.
            Some((_, turning)) => {
                let tl = m.and(turning, is_mvin);
                soft_next_turning(&mut m, ld_stride, soft, l, w1, tl);
                let ts = m.and(turning, is_mvout);
                soft_next_turning(&mut m, st_stride, soft, s, w1, ts);
            }
            None => {
                soft_next(&mut m, ld_stride, soft, l, w1, 0);
                soft_next(&mut m, st_stride, soft, s, w1, 0);
            }
        }
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
    // The DMA's command ports: zero-extended counts (those that passed the checks fit).
    let to16 = |m: &mut ModuleBuilder, v: ExprId| m.zext(v, 16);
    if let Some(r) = &rng {
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
            let v = ldr.at(&mut m, Ptr::Issue, f);
            let v = if matches!(f, "rows" | "bytes") { to16(&mut m, v) } else { v };
            m.assign(port, v);
        }
        let push = m.and(go, is_mvin);
        let stv = m.sig(stride);
        let data =
            [x(dram), x(stv), x(n_rb), x(bytes_bb), x(loc_acc), x(loc_accumulate), x(row_lb), x(r.lo), x(r.mv_hi)];
        ldr.connect(&mut m, soft, push, &data, x(ld_issue), x(ld_done_i));
    } else {
        // The head -> DMA: offered when it could dispatch, dispatched when taken (the
        // offer is withdrawn only when dispatch stops: an error, or CONTROL.reset).
        let v = m.and(ready_to_go, is_mvin);
        m.assign(ld_valid_o, v);
        let rows16 = to16(&mut m, n_rb);
        let bytes16 = to16(&mut m, bytes_bb);
        for (port, v) in [
            (ld_dram_o, dram),
            (ld_stride_o, m.sig(ld_stride.q)),
            (ld_rows_o, rows16),
            (ld_bytes_o, bytes16),
            (ld_acc_o, m.sig(loc_acc)),
            (ld_accumulate_o, loc_accumulate),
            (ld_row_o, row_lb),
        ] {
            m.assign(port, v);
        }
        let push = m.and(go, is_mvin);
        ldr.connect(&mut m, soft, push, &[], push, x(ld_done_i));
    }

    // Stores -> DMA, and the bias unit.
    let bias_req = m.eq_const(bias_state, 1);
    let bias_wait = m.eq_const(bias_state, 2);
    let bias_rd_fire = m.and(bias_req, acc_rd_ready);
    let bias_done = {
        let e = m.and(bias_wait, acc_out_valid);
        m.named("bias_done", e)
    };
    let (bias_start, bias_row) = if let Some(r) = &rng {
        // The store ring, in order; the bias unit starts when a bias entry is the oldest
        // incomplete store command.
        let st_is_bias = str_.at(&mut m, Ptr::Issue, "bias");
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
            let v = str_.at(&mut m, Ptr::Issue, f);
            let v = if matches!(f, "rows" | "bytes") { to16(&mut m, v) } else { v };
            m.assign(port, v);
        }
        let bias_start = {
            let only = m.eq(str_.count, str_.pending.expect("a ring with entries"));
            let t = and_all(&mut m, [x(st_pend), x(st_is_bias), x(only), x(bias_idle)]);
            m.named("bias_start", t)
        };
        let bias_row = {
            let r = str_.at(&mut m, Ptr::Issue, "row");
            m.resize(r, acc_aw, false)
        };
        let push = m.and(go, unit_st);
        let stv = m.sig(stride);
        let data =
            [x(pre_acc), x(dram), x(stv), x(n_rb), x(bytes_bb), x(loc_acc), x(loc_raw), x(row_lb), x(r.lo), x(r.st_hi)];
        let issue = m.or(st_issue_mv, bias_done);
        let retire = m.or(st_done_i, bias_done);
        str_.connect(&mut m, soft, push, &data, issue, retire);
        (m.sig(bias_start), bias_row)
    } else {
        let v = m.and(ready_to_go, is_mvout);
        m.assign(st_valid_o, v);
        let rows16 = to16(&mut m, n_rb);
        let bytes16 = to16(&mut m, bytes_bb);
        for (port, v) in [
            (st_dram_o, dram),
            (st_stride_o, m.sig(st_stride.q)),
            (st_rows_o, rows16),
            (st_bytes_o, bytes16),
            (st_acc_o, m.sig(loc_acc)),
            (st_raw_o, loc_raw),
            (st_row_o, row_lb),
        ] {
            m.assign(port, v);
        }
        let push = m.and(go, is_mvout);
        str_.connect(&mut m, soft, push, &[], push, x(st_done_i));
        // The bias unit takes a bias preload at dispatch, with its row.
        let start = {
            let e = m.and(go, pre_acc);
            m.named("bias_start", e)
        };
        let row = m.reg("bias_row", acc_aw).build();
        let v = m.resize(row_lb, acc_aw, false);
        m.next(row, v);
        m.set_enable(row, start);
        (m.sig(start), m.sig(row.q))
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
    // The bias row's raw beat becomes the accumulator's bias (its registers, cleared by the
    // soft reset with the rest of the accumulator).
    m.connect(acc, "bias_load_i", bias_done);

    // Scratchpad read requests: A, B, weights, store (priority in that order).
    let elem = |m: &mut ModuleBuilder, row: ExprId, e: u32| m.slice(row, e * ib, ib);
    // Weight feeder: the head preload, `rows` beats (zero rows beyond its `n`), with no
    // queue: row `w_r` is read, offered to the engine in the next cycle straight from
    // the bank, and read again if the engine does not take it then. Rows the engine
    // has taken are counted; the preload is complete when it has taken the last.
    // With a read latency of two, the weight feeder is a reader like the others: rows
    // `wf_issue` up to `n` are read into a queue (`wq`) as its credit allows, whatever
    // the engine takes, and the engine takes them from the queue.
    let rw = clog2(u64::from(rows)).max(1);
    let w_r = m.reg("wf_row", rw).reset(0).build();
    let lat = cfg.scratchpad.read_latency;
    let w_reads = InFlight::new(&mut m, "wf", lat, &[("bank", g.sp_banks)]);
    let w_inflight = w_reads.arriving();
    let wq = (lat == 2).then(|| (ReadQueue::new(&mut m, "wq", sp_bits, lat), m.reg("wf_issue", pnw).reset(0).build()));
    let pr_active = {
        let ne = m.not(pr_empty);
        m.named("wf_active", ne)
    };
    let pr_row = prr.at(&mut m, Ptr::Head, "row");
    let pr_n = prr.at(&mut m, Ptr::Head, "n");
    // A zero row (past the preload's rows) needs no read; the rows after it are zero too.
    let w_zero = {
        let r = m.zext(w_r, pnw);
        let e = m.ge(r, pr_n);
        m.named("wf_zero", e)
    };
    let wq_pop = m.wire("wq_pop", 1);
    let w_want_read = if let Some((q, issue)) = &wq {
        let more = m.lt(*issue, pr_n);
        let credit = q.room(&mut m, &w_reads);
        let e = and_all(&mut m, [x(pr_active), x(more), x(credit)]);
        let e = m.named("wf_want", e);
        if !has_ws {
            m.mark_unused(e);
            let z = m.lit(0, 1);
            (z, z)
        } else {
            let e = m.sig(e);
            (e, e)
        }
    } else {
        // Row w_r while nothing is in flight; row w_r + 1 while row w_r leaves, unless
        // it is a zero row.
        let next_read = {
            let r = m.zext(w_r, pnw);
            let nm1 = m.dec(pr_n);
            m.lt(r, nm1)
        };
        // With a read latency of two, rows are read one every two cycles.
        let busy = w_reads.at_least(&mut m, 1);
        let idle = m.not(busy);
        let on = m.and(wq_pop, next_read);
        let may = m.or(idle, on);
        let nz = m.not(w_zero);
        let e = and_all(&mut m, [x(pr_active), x(nz), x(may)]);
        // Whether it may read, whatever the engine takes: what the readers of lower
        // priority yield to, so that the engine's `w_ready` (a late, combinational
        // output) stops at the weight feeder's own read.
        let maybe = {
            let could = m.or(idle, next_read);
            and_all(&mut m, [x(pr_active), x(nz), x(could)])
        };
        if has_ws {
            (e, maybe)
        } else {
            // No weight-stationary engine: the weight feeder never runs (dispatch refuses
            // scratchpad preloads in output-stationary mode).
            m.mark_unused(pr_active);
            let z = m.lit(0, 1);
            (z, z)
        }
    };
    let (w_want_read, w_may_read) = w_want_read;
    let w_row_addr = if let Some((_, issue)) = &wq {
        let k = m.resize(*issue, lb, false);
        m.add(pr_row, k)
    } else {
        let i = m.zext(w_inflight, rw);
        let k = m.add(w_r, i);
        let k = m.zext(k, lb);
        m.add(pr_row, k)
    };
    // The other readers have a queue of two rows (ReadQueue): a read may issue while at
    // most one row is held or arriving.
    let bq_pop = has_os.then(|| m.wire("bq_pop", 1));
    let sq_pop = m.wire("sq_pop", 1);
    // Input feeder: the compute at the issue pointer.
    let cp_pend = cpr.has_pending(&mut m);
    let f_a = cpr.at(&mut m, Ptr::Issue, "a");
    let f_b = if has_os { cpr.at(&mut m, Ptr::Issue, "b") } else { m.lit(0, lb) };
    // Steps of a compute: up to its count (at most 2^lb), or the array's rows.
    let stw = rb.max(clog2(rows.into()).max(1));
    let f_count = {
        let c = cpr.at(&mut m, Ptr::Issue, "count");
        m.zext(c, stw)
    };
    let f_os = cpr.at(&mut m, Ptr::Issue, "os");
    let ka = m.reg("if_a_step", stw).reset(0).build();
    let kb = m.reg("if_b_step", stw).reset(0).build();
    let a_done = m.reg("if_a_done", 1).reset(0).build();
    let b_done = m.reg("if_b_done", 1).reset(0).build();
    let a_reads = InFlight::new(&mut m, "if_a", lat, &[("last", 1), ("bank", g.sp_banks)]);
    let b_reads = InFlight::new(&mut m, "if_b", lat, &[("bank", g.sp_banks)]);
    let (a_inflight, b_inflight) = (a_reads.arriving(), b_reads.arriving());
    let aq = ReadQueue::new(&mut m, "aq", sp_bits + 1, lat);
    let bq = has_os.then(|| ReadQueue::new(&mut m, "bq", sp_bits, lat));
    let a_credit = aq.room(&mut m, &a_reads);
    let b_credit = match &bq {
        Some(q) => q.room(&mut m, &b_reads),
        None => m.lit(0, 1),
    };
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
    // Responses owed to the DMA, and whether any is (a register of its own, so that no
    // 8-bit zero test sits on the local read handshake).
    let resp_n = m.reg("lr_outstanding", 8).reset(0).build();
    let resp_any = m.reg("lr_outstanding_any", 1).reset(0).build();
    let resp_acc = m.reg("lr_kind_acc", 1).reset(0).build();
    let kind_ok = {
        let z = m.not(resp_any);
        let same = m.eq(resp_acc, lr_acc_i);
        m.or(z, same)
    };
    let s_reads = InFlight::new(&mut m, "st_sp", lat, &[("bank", g.sp_banks)]);
    let s_inflight = s_reads.arriving();
    // In the small-device form (a one-entry command queue) the store reader keeps one
    // row, offered from its register: scratchpad rows leave at one every three cycles,
    // which the compact DMA store, at a byte per cycle, does not notice.
    let sq = if cmd_queue_depth(cfg) == 1 {
        ReadQueue::one_row(&mut m, "sq", sp_bits)
    } else {
        ReadQueue::new(&mut m, "sq", sp_bits, lat)
    };
    let s_credit = sq.room(&mut m, &s_reads);
    // With `dma.local_read_registered` a request is served (its read issued, or taken by
    // the accumulator) in one cycle and acknowledged to the DMA from a register in the
    // next (`lr_ack`), which also counts it owed: the scratchpad arbitration stays off
    // `lr_ready_o`, the DMA's request register and `lr_outstanding`. The DMA holds its
    // request until ready, so in the acknowledging cycle it is still offered, and not
    // served again.
    let lr_ack = cfg.dma.local_read_registered.then(|| m.reg("lr_ack", 1).reset(0).build());
    let lr_new = match lr_ack {
        Some(a) => {
            let na = m.not(a);
            m.and(lr_valid_i, na)
        }
        None => m.sig(lr_valid_i),
    };
    let s_want = {
        let na = m.not(lr_acc_i);
        let e = and_all(&mut m, [x(lr_new), x(na), x(kind_ok), x(s_credit)]);
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
        let pw = m.and(w_may_read, sw);
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
    {
        let last_r = m.eq_const(w_r, (rows - 1).into());
        let z = m.lit(0, rw);
        let nx = m.inc(w_r);
        let v = m.mux(last_r, z, nx);
        soft_next(&mut m, w_r, soft, x(wq_pop), v, 0);
        let retire = m.and(wq_pop, last_r);
        let push = m.and(go, pre_sp);
        let mut data = vec![x(row_lb), x(n_pre)];
        if let Some(r) = &rng {
            data.extend([x(r.lo), x(r.pre_hi)]);
        }
        let never = m.lit(0, 1);
        prr.connect(&mut m, soft, push, &data, never, retire);
        let hv = hits_vec(&mut m, &w_hit);
        w_reads.connect(&mut m, soft, w_grant, &[hv]);
    }
    let (wq_head, wq_valid) = if let Some((q, issue)) = &wq {
        // Rows below `n` come from the queue in order; `wf_issue` restarts with the
        // next preload (when the last row is taken, every row read has been).
        {
            let last_r = m.eq_const(w_r, (rows - 1).into());
            let retire = m.and(wq_pop, last_r);
            let z = m.lit(0, pnw);
            let nx = m.inc(*issue);
            let v = m.mux(retire, z, nx);
            let en = m.or(w_grant, retire);
            soft_next(&mut m, *issue, soft, en, v, 0);
        }
        let data = bank_data(&mut m, w_reads.field(0));
        let pop = {
            let nz = m.not(w_zero);
            m.and(wq_pop, nz)
        };
        let head = q.connect(&mut m, soft, w_inflight, data, pop);
        let z = m.lit(0, sp_bits);
        let head = m.mux(w_zero, z, head);
        let has = q.valid(&mut m, w_inflight);
        let v = m.or(w_zero, has);
        let e = m.and(pr_active, v);
        let valid = m.named("wf_valid", e);
        let busy = w_reads.at_least(&mut m, 1);
        let any = m.or(busy, has);
        let e = m.not(any);
        m.assign(wq_empty_w, e);
        (head, valid)
    } else {
        let data = bank_data(&mut m, w_reads.field(0));
        let z = m.lit(0, sp_bits);
        let head = m.mux(w_zero, z, data);
        let v = m.or(w_zero, w_inflight);
        let e = m.and(pr_active, v);
        let valid = m.named("wf_valid", e);
        let busy = w_reads.at_least(&mut m, 1);
        let e = m.not(busy);
        m.assign(wq_empty_w, e);
        (head, valid)
    };
    if let Some(wr) = eng_w_ready {
        m.connect(eng, "w_valid_i", wq_valid);
        let pop = m.and(wq_valid, wr);
        m.assign(wq_pop, pop);
        for n in 0..cols {
            let e = elem(&mut m, wq_head, n);
            m.connect(eng, &format!("w_c{n}_i"), e);
        }
    } else {
        let z = m.lit(0, 1);
        m.assign(wq_pop, z);
        let h = m.named("wq_head_unused", wq_head);
        m.mark_unused(h);
        m.mark_unused(wq_valid);
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
        let z = m.lit(0, stw);
        let ka_n = m.inc(ka);
        let ka_v = m.mux(issued, z, ka_n);
        let ka_en = m.or(a_fire, issued);
        soft_next(&mut m, ka, soft, ka_en, ka_v, 0);
        let kb_n = m.inc(kb);
        let kb_v = m.mux(issued, z, kb_n);
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
        let ah = hits_vec(&mut m, &a_hit);
        a_reads.connect(&mut m, soft, a_fire, &[a_last, ah]);
        let bh = hits_vec(&mut m, &b_hit);
        b_reads.connect(&mut m, soft, b_fire, &[bh]);

        let push = m.and(go, is_compute);
        let mut data = vec![x(a_lb)];
        if has_os {
            data.push(x(b_lb));
        }
        data.extend([x(row_lb), x(n_rb), x(loc_accumulate), x(mode_os)]);
        if let Some(r) = &rng {
            data.extend([x(r.c_rlo), x(r.c_rhi), x(r.lo), x(r.c_whi)]);
        }
        let wb_done = m.wire("wb_done", 1);
        cpr.connect(&mut m, soft, push, &data, issued, x(wb_done));

        // A and B queues into the engine's `in` channel.
        let in_fire = m.wire("eng_in_fire", 1);
        let a_pop = m.sig(in_fire);
        let a_data = {
            let dta = bank_data(&mut m, a_reads.field(1));
            let l = m.sig(a_reads.field(0).q);
            m.concat([l, dta])
        };
        let aq_head = aq.connect(&mut m, soft, a_inflight, a_data, a_pop);
        let a_has = aq.valid(&mut m, a_inflight);
        let (bq_head, b_has) = match &bq {
            Some(q) => {
                let pop = bq_pop.expect("with the B queue");
                let e = m.and(in_fire, mode_os);
                m.assign(pop, e);
                let b_data = bank_data(&mut m, b_reads.field(0));
                let head = q.connect(&mut m, soft, b_inflight, b_data, x(pop));
                (head, q.valid(&mut m, b_inflight))
            }
            None => {
                // Weight-stationary only: the B reader never reads.
                b_reads.mark_unused(&mut m);
                (m.lit(0, sp_bits), m.lit(0, 1))
            }
        };
        let in_valid = {
            let nos = m.not(mode_os);
            let ok_b = m.or(nos, b_has);
            let e = m.and(a_has, ok_b);
            m.named("eng_in_valid", e)
        };
        m.connect(eng, "in_valid_i", in_valid);
        let fire = m.and(in_valid, eng_in_ready);
        m.assign(in_fire, fire);
        let last = m.bit(aq_head, sp_bits);
        m.connect(eng, "in_last_i", last);
        for k in 0..rows {
            let e = elem(&mut m, aq_head, k);
            m.connect(eng, &format!("a_r{k}_i"), e);
        }
        // The A row's elements beyond `rows` are not multiplied.
        if spe > rows {
            let hi = m.slice(aq_head, rows * ib, (spe - rows) * ib);
            let h = m.named("aq_head_unused", hi);
            m.mark_unused(h);
        }
        if has_os {
            for n in 0..cols {
                let e = elem(&mut m, bq_head, n);
                m.connect(eng, &format!("b_c{n}_i"), e);
            }
            if spe > cols {
                let hi = m.slice(bq_head, cols * ib, (spe - cols) * ib);
                let h = m.named("bq_head_unused", hi);
                m.mark_unused(h);
            }
        } else {
            let _ = bq_head; // no B queue
        }
        if has_ws && spe > cols {
            let hi = m.slice(wq_head, cols * ib, (spe - cols) * ib);
            let h = m.named("wq_head_unused", hi);
            m.mark_unused(h);
        }
        if has_ws && has_os {
            m.connect(eng, "mode_i", mode_os);
        }

        // Write-back: output vectors of the oldest compute into the accumulator.
        let wb_j = m.reg("wb_step", stw).reset(0).build();
        let h_c = cpr.at(&mut m, Ptr::Head, "c");
        let h_count = {
            let c = cpr.at(&mut m, Ptr::Head, "count");
            m.zext(c, stw)
        };
        let h_os = cpr.at(&mut m, Ptr::Head, "os");
        let h_accum = cpr.at(&mut m, Ptr::Head, "accumulate");
        let j_lb = m.resize(wb_j, lb, false);
        let os_j = {
            let k = m.lit((rows - 1).into(), lb);
            m.sub(k, j_lb)
        };
        let off = m.mux(h_os, os_j, j_lb);
        let wb_row = m.add(h_c, off);
        let wb_last = {
            let k = m.lit((rows - 1).into(), stw);
            let l_os = m.eq(wb_j, k);
            let lc = m.dec(h_count);
            let l_ws = m.eq(wb_j, lc);
            m.mux(h_os, l_os, l_ws)
        };
        // An accumulate to the row written the cycle before waits a cycle (`acc_wr_ready`).
        let eng_fire = m.and(eng_out_valid, acc_wr_ready);
        let done = m.and(eng_fire, wb_last);
        m.assign(wb_done, done);
        let z = m.lit(0, stw);
        let jn = m.inc(wb_j);
        let jv = m.mux(wb_last, z, jn);
        soft_next(&mut m, wb_j, soft, x(eng_fire), jv, 0);
        m.connect(eng, "out_ready_i", eng_ready);

        // Accumulator write port: the engine first, then DMA loads.
        let lw_acc_fire = m.and(lw_valid_i, lw_acc_i);
        let lw_acc_ok = {
            let ne = m.not(eng_out_valid);
            m.and(lw_acc_fire, ne)
        };
        let lw_ready = {
            let na = m.not(lw_acc_i);
            let ne = m.not(eng_out_valid);
            let ne = m.and(ne, acc_wr_ready);
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
        // A DMA write of one chunk (`lw_chunks_i`) writes 0 to the other columns: its first
        // chunk overwrites (or adds to) the row, the later ones add to it.
        let later_chunk = m.bit(lw_chunks_i, 0);
        let later_chunk = m.not(later_chunk);
        let lw_accum = m.or(lw_accumulate_i, later_chunk);
        let accum = m.mux(eng_out_valid, h_accum, lw_accum);
        m.connect(acc, "wr_accumulate_i", accum);
        for n in 0..cols {
            let from_dma = m.slice(lw_data_i, n * aeb * 8, ab);
            let in_chunk = m.bit(lw_chunks_i, n * aeb / beat_bytes);
            let in_chunk = m.sext(in_chunk, ab);
            let from_dma = m.and(from_dma, in_chunk);
            let v = m.mux(eng_out_valid, eng_c[n as usize], from_dma);
            m.connect(acc, &format!("wr_data_c{n}_i"), v);
        }
        m.mark_unused(lw_data_i);
        m.mark_unused(lw_chunks_i); // chunks past the last column's

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
        // A counter's input a cycle later, from a register zeroed by a clear (as the counter
        // drops the clearing cycle's count), so that the handshakes behind it stay off the
        // counter's carry chain: DMA_STALL's stall and DMA_BYTES's bytes.
        let late = |m: &mut ModuleBuilder, name: &str, v: ExprId| {
            let w = m.width(v);
            let r = m.reg(name, w).reset(0).build();
            let z = m.lit(0, w);
            let d = m.mux(clear, z, v);
            m.next(r, d);
            r
        };
        let nfire = m.not(in_fire);
        let dma_stall = and_all(&mut m, [x(busy), x(nfire), x(dma_busy)]);
        let dma_stall = late(&mut m, "perf_dma_stall_in", dma_stall).q;
        let dep_stall = {
            let nim = m.not(imm_err);
            and_all(&mut m, [x(running), x(nim), x(hazard)])
        };
        let bytes = {
            // Wide enough for the sum of the two ports' counts.
            let ld = m.sig(ld_bytes_done_i);
            let w = m.width(ld) + 1;
            let a = m.zext(ld_bytes_done_i, w);
            let b = m.zext(st_bytes_done_i, w);
            let sum = m.add(a, b);
            let r = late(&mut m, "perf_dma_bytes_in", sum);
            m.resize(r, cb, false)
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
        // Soft reset: when everything was idle in the last cycle with nothing dispatched
        // (so is now), from registers alone, as the reset reaches every register here.
        let sv = m.and(reset_pending, all_quiet);
        // Not while the host's registers turn for the window check: they end where they started.
        let sv = match window_turn_o {
            Some(turn) => {
                let nt = m.not(turn);
                m.and(sv, nt)
            }
            None => sv,
        };
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
        let sh = hits_vec(&mut m, &s_hit);
        s_reads.connect(&mut m, soft, s_fire, &[sh]);
        let sdata = bank_data(&mut m, s_reads.field(0));
        let sq_head = sq.connect(&mut m, soft, s_inflight, sdata, x(sq_pop));
        // Accumulator read port: the bias unit when active, else DMA reads.
        let nb = m.not(bias_idle);
        let acc_lr_want = {
            let nb2 = m.not(nb);
            and_all(&mut m, [x(lr_new), x(lr_acc_i), x(kind_ok), x(nb2)])
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
        let lr_fire = match lr_ack {
            Some(ack) => {
                // Served now, acknowledged (and counted) in the next cycle.
                soft_next(&mut m, ack, soft, one, lr_ready, 0);
                m.assign(lr_ready_o, ack);
                m.sig(ack.q)
            }
            None => {
                m.assign(lr_ready_o, lr_ready);
                m.or(acc_lr_fire, s_grant)
            }
        };
        let has_resp = m.sig(resp_any.q);
        let lrd_valid = {
            let sv = sq.valid(&mut m, s_inflight);
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
            // Any left: after a request, yes; after a response alone, unless it was the
            // last (a response needs one owed).
            let last = m.eq_const(resp_n, 1);
            let nl = m.not(last);
            let v = m.or(lr_fire, nl);
            let en = m.or(lr_fire, lrd_fire);
            soft_next(&mut m, resp_any, soft, en, v, 0);
            let kv = m.sig(lr_acc_i);
            soft_next(&mut m, resp_acc, soft, lr_fire, kv, 0);
        }
        // Formatting. The DMA writes exactly a row's bytes (its strobes), so the bytes
        // past a format's row are free: each format takes its tail from the widest
        // format rather than zeros, and those bits need no multiplexer.
        let join = |m: &mut ModuleBuilder, parts: Vec<ExprId>| {
            let ps: Vec<ExprId> = parts.into_iter().rev().collect();
            m.concat(ps)
        };
        let sp_bytes = {
            let ps: Vec<ExprId> = (0..spe)
                .map(|e| {
                    let x = elem(&mut m, sq_head, e);
                    m.sext(x, seb * 8)
                })
                .collect();
            join(&mut m, ps)
        };
        let raw_bytes = {
            let ps: Vec<ExprId> = (0..cols).map(|n| m.sext(acc_out_acc[n as usize], aeb * 8)).collect();
            join(&mut m, ps)
        };
        let q_bytes = {
            let ps: Vec<ExprId> = (0..cols).map(|n| m.sext(acc_out_q[n as usize], seb * 8)).collect();
            join(&mut m, ps)
        };
        let widest = if m.width(raw_bytes) >= m.width(sp_bytes) { raw_bytes } else { sp_bytes };
        let widest = m.zext(widest, 8 * rbytes);
        let fill = |m: &mut ModuleBuilder, v: ExprId| {
            let w = m.width(v);
            if w < 8 * rbytes {
                let tail = m.slice(widest, w, 8 * rbytes - w);
                m.concat([tail, v])
            } else {
                v
            }
        };
        let (sp_bytes, raw_bytes, q_bytes) = (fill(&mut m, sp_bytes), fill(&mut m, raw_bytes), fill(&mut m, q_bytes));
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
