//! The DMA's store engine `<prefix>_dma_store`: `mvout` commands in, local read
//! requests out, local rows in, AXI4 write bursts out.
//!
//! Ports (`clk_i` and `rst_i` first; `W`, `B`, `R`, `LB` as in [`super`]): the store
//! command channel `st_*`, `st_done_o`, `st_bytes_done_o`, the local read channels
//! `lr_*` and `lrd_*`, the AXI4 write channels `m_axi_aw*`, `m_axi_w*` and `m_axi_b*`,
//! all as the DMA's, plus:
//!
//! | port | width | meaning |
//! |---|---|---|
//! | `resp_error_o` | 1 | a B response with BRESP not OKAY arrives in this cycle |
//! | `idle_o` | 1 | no command in progress, no row buffered, no response outstanding |
//!
//! Structure:
//! 1. **Command registers** (`cmd_*`), as the load engine's.
//! 2. **Row step**: per row, in one cycle, a local read request into the `lr_*` register,
//!    the row's descriptor (first lane, bytes, last beat, the beat ending the first burst
//!    when the row crosses 4 KB) into the `rows` FIFO, and its (first) burst into the AW
//!    register; a row crossing a 4 KB boundary takes a second cycle for its second AW.
//!    AW therefore runs ahead of W, by up to [`STORE_ROWS`] rows. The step waits while
//!    any of the three is full.
//! 3. **Row buffer** (`rowdata`, [`STORE_ROWS`] rows): the local read responses. A row's
//!    descriptor is pushed with its request and popped with its last W beat, so the
//!    `rows` FIFO counts requests in flight plus rows buffered, and a request is only
//!    issued when its response has a place: `lrd_ready_o` is high whenever the buffer has
//!    room (from registers only), and the buffer never overflows.
//! 4. **W beat generator**: beat `k` of the head row is bytes `[kB - off, kB - off + B)`
//!    of the row: chunks `k - 1` and `k` side by side, shifted down by `B - off` lanes;
//!    WSTRB marks exactly the row's bytes; WLAST ends each burst. Beats go through the W
//!    register, one per cycle while WREADY is high.
//! 5. **B responses**: `m_axi_bready_o` is always high. The AW side pushes each command's
//!    burst count into the `cmds` FIFO ([`STORE_COMMANDS`] commands) as its last burst
//!    issues; the B side counts responses and pulses `st_done_o` (the cycle after) when
//!    a command's count is reached.
//!
//! Timing with no backpressure and a local read latency of one cycle: the first local
//! read request and AW are valid two cycles after the cycle in which the command is
//! taken; a row's first W beat two cycles after its response; single-beat rows flow at
//! one per cycle (the row credits cover local read latencies up to 2). 64 single-beat
//! rows with a write-response latency of 10 take 79 cycles from the command's handshake
//! to `st_done_o`.

use super::{drive_burst_attributes, select, DmaSizes, Fifo, RowBursts, StorePorts, STORE_COMMANDS, STORE_ROWS};
use crate::blocks::formal;
use rtl_gen::{CheckErrors, Design, ExprId, ModuleBuilder, ModuleId};

/// Bits of a command's burst count: at most two bursts for each of 65535 rows.
const BURST_COUNT_BITS: u32 = 17;

/// Build `<prefix>_dma_store` into `design`.
pub fn build(design: &mut Design, prefix: &str, s: &DmaSizes) -> Result<ModuleId, CheckErrors> {
    let (w, b, r, lb, rb) = (s.data_bits, s.beat_bytes, s.row_bytes, s.local_row_bits, s.bytes_bits);
    let mut m = ModuleBuilder::new(format!("{prefix}_dma_store"));
    m.doc(format!(
        "DMA store engine: mvout commands to one local read request per row (up to \
         {STORE_ROWS} rows requested or buffered) and AXI4 INCR write bursts (aligned down \
         to {b} bytes, split at 4 KB boundaries, AW ahead of W); each buffered row of up to \
         {r} bytes is shifted to its address's lanes with WSTRB exactly on its bytes, one \
         beat per cycle. B responses counted per command (up to {STORE_COMMANDS} commands \
         outstanding)."
    ));
    m.param("data_bits", w);
    m.param("row_bytes", r);
    m.param("local_row_bits", lb);

    let StorePorts {
        st_valid,
        st_ready,
        st_dram,
        st_stride,
        st_rows,
        st_bytes,
        st_acc,
        st_raw,
        st_row,
        st_done,
        lr_valid_o,
        lr_ready,
        lr_acc_o,
        lr_raw_o,
        lr_row_o,
        lrd_valid,
        lrd_ready_o,
        lrd_data,
        aw_valid_o,
        aw_ready,
        aw_addr_o,
        aw_len_o,
        aw_size_o,
        aw_burst_o,
        w_valid_o,
        w_ready,
        w_data_o,
        w_strb_o,
        w_last_o,
        b_valid,
        b_ready_o,
        b_resp,
        st_bytes_done,
        resp_error,
        idle,
    } = StorePorts::declare(&mut m, s);

    // ---- 1. Command registers. -----------------------------------------------------
    let busy = m.reg("busy", 1).reset(0).build();
    let not_busy = m.not(busy);
    m.assign(st_ready, not_busy);
    let accept = m.and(st_valid, not_busy);
    let accept = m.named("cmd_accept", accept);
    let addr = m.reg("cmd_addr", 32).build();
    let stride = m.reg("cmd_stride", 32).enable(accept).build();
    m.next(stride, st_stride);
    let rows_left = m.reg("cmd_rows_left", 16).build();
    let bytes = m.reg("cmd_bytes", rb).enable(accept).build();
    let bytes_in = m.trunc(st_bytes, rb);
    m.next(bytes, bytes_in);
    if rb < 16 {
        m.mark_unused(st_bytes); // legal counts are at most R
    }
    let acc = m.reg("cmd_acc", 1).enable(accept).build();
    m.next(acc, st_acc);
    let raw = m.reg("cmd_raw", 1).enable(accept).build();
    m.next(raw, st_raw);
    let row = m.reg("cmd_row", lb).build();
    let split = m.reg("split", 1).reset(0).build();

    // ---- 2. Row step: local read request, row descriptor, AW bursts. -----------------
    let bursts = RowBursts::new(&mut m, s, addr.q, bytes.q);
    let bytes_e = m.sig(bytes.q);
    let last_beat = m.named("row_last_beat", bursts.last_beat);
    let last_beat = m.sig(last_beat);
    let split_beat = m.named("row_split_beat", bursts.split_beat);
    let split_beat = m.sig(split_beat);
    let rows = Fifo::new(
        &mut m,
        "rows",
        STORE_ROWS,
        &[
            ("off", bursts.off),
            ("bytes", bytes_e),
            ("last_beat", last_beat),
            ("split", bursts.cross),
            ("split_beat", split_beat),
        ],
    );
    let not_cross = m.not(bursts.cross);
    let row_end = m.or(split, not_cross);
    let row_end = m.named("burst_ends_row", row_end);
    let one16 = m.lit(1, 16);
    let last_row = m.eq(rows_left, one16);
    let cmd_last = m.and(row_end, last_row);
    let cmd_last = m.named("burst_ends_cmd", cmd_last);
    let aw_count = m.reg("aw_count", BURST_COUNT_BITS).reset(0).build();
    let one_count = m.lit(1, BURST_COUNT_BITS);
    let aw_count_inc = m.add(aw_count, one_count);
    let aw_count_inc = m.named("aw_count_inc", aw_count_inc);
    let aw_count_inc_e = m.sig(aw_count_inc);
    let cmds = Fifo::new(&mut m, "cmds", STORE_COMMANDS, &[("bursts", aw_count_inc_e)]);

    let lr_valid = m.reg("lr_valid", 1).reset(0).build();
    let lr_waiting = m.not(lr_ready);
    let lr_held = m.and(lr_valid, lr_waiting);
    let lr_free = m.not(lr_held);
    let aw_valid = m.reg("aw_valid", 1).reset(0).build();
    let aw_waiting = m.not(aw_ready);
    let aw_held = m.and(aw_valid, aw_waiting);
    let aw_free = m.not(aw_held);
    let rows_full = rows.full(&mut m, STORE_ROWS);
    let rows_not_full = m.not(rows_full);
    let rows_room = m.or(rows_not_full, rows.pop);
    let cmds_full = cmds.full(&mut m, STORE_COMMANDS);
    let cmds_blocked = m.and(cmd_last, cmds_full);
    let cmds_ok = m.not(cmds_blocked);
    let aw_ok = m.and(busy, aw_free);
    let aw_ok = m.and(aw_ok, cmds_ok);
    let not_split = m.not(split);
    let row_start = m.and(aw_ok, not_split);
    let row_start = m.and(row_start, lr_free);
    let row_start = m.and(row_start, rows_room);
    let row_start = m.named("row_start", row_start);
    let second = m.and(aw_ok, split);
    let aw_issue = m.or(row_start, second);
    let aw_issue = m.named("aw_issue", aw_issue);
    m.assign(rows.push, row_start);
    let row_issued = m.and(aw_issue, row_end);
    let cmd_issued = m.and(aw_issue, cmd_last);
    let cmd_issued = m.named("cmd_issued", cmd_issued);
    m.assign(cmds.push, cmd_issued);

    let still_busy = m.not(cmd_issued);
    let still_busy = m.and(busy, still_busy);
    let busy_next = m.or(accept, still_busy);
    m.next(busy, busy_next);
    let not_row_end = m.not(row_end);
    let split_next = m.mux(aw_issue, not_row_end, split);
    m.next(split, split_next);
    let advance = m.or(accept, row_issued);
    m.set_enable(addr, advance);
    let next_addr = m.add(addr, stride);
    let addr_next = m.mux(accept, st_dram, next_addr);
    m.next(addr, addr_next);
    m.set_enable(rows_left, advance);
    let fewer = m.sub(rows_left, one16);
    let rows_next = m.mux(accept, st_rows, fewer);
    m.next(rows_left, rows_next);
    m.set_enable(row, advance);
    let one_lb = m.lit(1, lb);
    let next_row = m.add(row, one_lb);
    let row_next = m.mux(accept, st_row, next_row);
    m.next(row, row_next);
    m.set_enable(aw_count, aw_issue);
    let zero_count = m.lit(0, BURST_COUNT_BITS);
    let aw_count_next = m.mux(cmd_last, zero_count, aw_count_inc);
    m.next(aw_count, aw_count_next);

    let lr_valid_next = m.or(row_start, lr_held);
    m.next(lr_valid, lr_valid_next);
    let lr_row = m.reg("lr_row", lb).enable(row_start).build();
    m.next(lr_row, row);
    let lr_acc = m.reg("lr_acc", 1).enable(row_start).build();
    m.next(lr_acc, acc);
    let lr_raw = m.reg("lr_raw", 1).enable(row_start).build();
    m.next(lr_raw, raw);
    m.assign(lr_valid_o, lr_valid);
    m.assign(lr_row_o, lr_row);
    m.assign(lr_acc_o, lr_acc);
    m.assign(lr_raw_o, lr_raw);

    let aw_valid_next = m.or(aw_issue, aw_held);
    m.next(aw_valid, aw_valid_next);
    let aw_addr = m.reg("aw_addr", 32).enable(aw_issue).build();
    let aw_addr_next = m.mux(split, bursts.second_addr, bursts.first_addr);
    m.next(aw_addr, aw_addr_next);
    let aw_len = m.reg("aw_len", 8).enable(aw_issue).build();
    let aw_len_next = m.mux(split, bursts.second_len, bursts.first_len);
    m.next(aw_len, aw_len_next);
    m.assign(aw_valid_o, aw_valid);
    m.assign(aw_addr_o, aw_addr);
    m.assign(aw_len_o, aw_len);
    drive_burst_attributes(&mut m, s, aw_size_o, aw_burst_o);

    // ---- 3. Row buffer. ----------------------------------------------------------------
    let lrd_data_e = m.sig(lrd_data);
    let rowdata = Fifo::new(&mut m, "rowdata", STORE_ROWS, &[("row", lrd_data_e)]);
    let rowdata_full = rowdata.full(&mut m, STORE_ROWS);
    let lrd_ready = m.not(rowdata_full);
    m.assign(lrd_ready_o, lrd_ready);
    let response = m.and(lrd_valid, lrd_ready);
    m.assign(rowdata.push, response);

    // ---- 4. W beats. -------------------------------------------------------------------
    let [h_off, h_bytes, h_last_beat, h_split, h_split_beat] = rows.head[..] else { unreachable!("five fields") };
    let h_data = rowdata.head[0];
    let w_valid = m.reg("w_valid", 1).reset(0).build();
    let w_waiting = m.not(w_ready);
    let w_held = m.and(w_valid, w_waiting);
    let w_free = m.not(w_held);
    let buffered = rowdata.nonempty(&mut m);
    let w_load = m.and(w_free, buffered);
    let w_load = m.named("w_load", w_load);
    let kw = s.beat_index_bits();
    let k = m.reg("beat_index", kw).reset(0).enable(w_load).build();
    let row_end_beat = m.eq(k, h_last_beat);
    let row_end_beat = m.named("w_row_end", row_end_beat);
    let at_split = m.eq(k, h_split_beat);
    let at_split = m.and(h_split, at_split);
    let burst_end = m.or(row_end_beat, at_split);
    let row_sent = m.and(w_load, row_end_beat);
    let row_sent = m.named("row_sent", row_sent);
    m.assign(rows.pop, row_sent);
    m.assign(rowdata.pop, row_sent);
    let one_k = m.lit(1, kw);
    let k_inc = m.add(k, one_k);
    let zero_k = m.lit(0, kw);
    let k_next = m.mux(row_end_beat, zero_k, k_inc);
    m.next(k, k_next);

    // Beat k = bytes [kB + B - off, kB + 2B - off) of the row with B zero bytes in front:
    // the window (chunk k, chunk k - 1) shifted down by B - off lanes.
    let zero_w = m.lit(0, w);
    let padded: Vec<ExprId> = (0..=s.max_row_beats())
        .map(|p| {
            if p == 0 || p > s.chunks() {
                return zero_w;
            }
            let c = p - 1;
            let lanes = b.min(r - c * b);
            let chunk = m.slice(h_data, 8 * b * c, 8 * lanes);
            m.zext(chunk, w)
        })
        .collect();
    let windows: Vec<ExprId> = (0..s.max_row_beats() as usize).map(|j| m.concat([padded[j + 1], padded[j]])).collect();
    let window = select(&mut m, k, windows);
    let window = m.named("w_window", window);
    let lb1 = s.lane_bits + 1;
    let lanes_b = m.lit(b.into(), lb1);
    let off_wide = m.zext(h_off, lb1);
    let down = m.sub(lanes_b, off_wide);
    let zeros3 = m.lit(0, 3);
    let down_bits = m.concat([down, zeros3]);
    let shifted = m.shr(window, down_bits);
    let beat_data = m.trunc(shifted, w);
    // Lane l carries stream byte kB + l, which is row byte kB + l - off.
    let pw = kw + s.lane_bits + 1;
    let off_p = m.zext(h_off, pw);
    let bytes_p = m.zext(h_bytes, pw);
    let end = m.add(off_p, bytes_p);
    let end = m.named("w_row_stream_end", end);
    let k_e = m.sig(k.q);
    let strobes: Vec<ExprId> = (0..b)
        .map(|l| {
            let lane = m.lit(l.into(), s.lane_bits);
            let pos = m.concat([k_e, lane]);
            let pos = m.zext(pos, pw);
            let after_start = m.ge(pos, off_p);
            let before_end = m.lt(pos, end);
            m.and(after_start, before_end)
        })
        .collect();
    let strobe = m.concat(strobes.iter().rev().copied());

    let w_valid_next = m.or(w_load, w_held);
    m.next(w_valid, w_valid_next);
    let w_data = m.reg("w_data", w).enable(w_load).build();
    m.next(w_data, beat_data);
    let w_strb = m.reg("w_strb", b).enable(w_load).build();
    m.next(w_strb, strobe);
    let w_last = m.reg("w_last", 1).enable(w_load).build();
    m.next(w_last, burst_end);
    let w_row_last = m.reg("w_row_last", 1).enable(w_load).build();
    m.next(w_row_last, row_end_beat);
    let w_bytes = m.reg("w_bytes", rb).enable(w_load).build();
    m.next(w_bytes, h_bytes);
    m.assign(w_valid_o, w_valid);
    m.assign(w_data_o, w_data);
    m.assign(w_strb_o, w_strb);
    m.assign(w_last_o, w_last);
    let w_beat = m.and(w_valid, w_ready);
    let w_row_done = m.and(w_beat, w_row_last);
    let w_row_done = m.named("w_row_done", w_row_done);
    let bytes16 = m.zext(w_bytes, 16);
    let zero16 = m.lit(0, 16);
    let bytes_done = m.mux(w_row_done, bytes16, zero16);
    m.assign(st_bytes_done, bytes_done);

    // ---- 5. B responses. ---------------------------------------------------------------
    let always = m.lit(1, 1);
    m.assign(b_ready_o, always);
    let b_seen = m.reg("b_seen", BURST_COUNT_BITS).reset(0).enable(b_valid).build();
    let b_seen_inc = m.add(b_seen, one_count);
    let b_seen_inc = m.named("b_seen_inc", b_seen_inc);
    let cmds_waiting = cmds.nonempty(&mut m);
    let count_reached = m.eq(b_seen_inc, cmds.head[0]);
    let cmd_complete = m.and(cmds_waiting, count_reached);
    let cmd_complete = m.named("cmd_complete", cmd_complete);
    let b_seen_next = m.mux(cmd_complete, zero_count, b_seen_inc);
    m.next(b_seen, b_seen_next);
    let cmd_done = m.and(b_valid, cmd_complete);
    m.assign(cmds.pop, cmd_done);
    let done = m.reg("done", 1).reset(0).build();
    m.next(done, cmd_done);
    m.assign(st_done, done);
    let any_resp = m.any(b_resp);
    let error = m.and(b_valid, any_resp);
    m.assign(resp_error, error);

    // ---- Status. ---------------------------------------------------------------------
    let rows_waiting = rows.nonempty(&mut m);
    let active = m.or(busy, lr_valid);
    let active = m.or(active, aw_valid);
    let active = m.or(active, w_valid);
    let active = m.or(active, rows_waiting);
    let active = m.or(active, cmds_waiting);
    let is_idle = m.not(active);
    m.assign(idle, is_idle);

    properties(&mut m, s);
    design.add(m)
}

/// The formal properties (`ifdef FORMAL`) of a store engine, either form, on its ports:
/// legal commands held until taken and the neighbours of [`formal_store_environment`];
/// the AW, W and local-read offers held, AW bursts inside one 4 KB page and INCR, WLAST
/// exactly on each burst's last beat, and no write outside the DMA window.
pub(super) fn properties(m: &mut ModuleBuilder, s: &DmaSizes) {
    let port = |m: &ModuleBuilder, n: &str| m.module().find_signal(n).unwrap_or_else(|| panic!("store engine: no {n}"));
    let [st_valid, st_dram, st_stride, st_rows, st_bytes, st_acc, st_raw, st_row] =
        ["st_valid_i", "st_dram_i", "st_stride_i", "st_rows_i", "st_bytes_i", "st_acc_i", "st_raw_i", "st_row_i"]
            .map(|n| port(m, n));
    let [aw_valid_o, aw_ready, aw_addr_o, aw_len_o, aw_size_o, aw_burst_o] =
        ["m_axi_awvalid_o", "m_axi_awready_i", "m_axi_awaddr_o", "m_axi_awlen_o", "m_axi_awsize_o", "m_axi_awburst_o"]
            .map(|n| port(m, n));
    let [w_valid_o, w_ready, w_data_o, w_strb_o, w_last_o] =
        ["m_axi_wvalid_o", "m_axi_wready_i", "m_axi_wdata_o", "m_axi_wstrb_o", "m_axi_wlast_o"].map(|n| port(m, n));
    let [lr_valid_o, lr_ready, lr_acc_o, lr_raw_o, lr_row_o] =
        ["lr_valid_o", "lr_ready_i", "lr_acc_o", "lr_raw_o", "lr_row_o"].map(|n| port(m, n));
    let b = s.beat_bytes;
    m.assume_initial_reset();
    super::assume_legal_commands(m, s, "st", &[st_dram, st_stride, st_rows, st_bytes, st_acc, st_raw, st_row]);
    formal_store_environment(m, s, w_last_o);
    for (ch, valid, ready, payload) in [
        ("aw", aw_valid_o, aw_ready, vec![aw_addr_o, aw_len_o, aw_size_o, aw_burst_o]),
        ("w", w_valid_o, w_ready, vec![w_data_o, w_strb_o, w_last_o]),
        ("lr", lr_valid_o, lr_ready, vec![lr_acc_o, lr_raw_o, lr_row_o]),
    ] {
        formal::assert_offer_held(m, ch, valid, ready, &payload);
    }
    formal::assert_burst_in_page(m, "aw", aw_valid_o, aw_addr_o, aw_len_o, b);
    formal::assert_burst_kind(m, "aw", aw_valid_o, aw_size_o, aw_burst_o, b);
    formal_wlast(m, aw_valid_o, aw_ready, aw_len_o, w_valid_o, w_ready, w_last_o);
    formal_window(m, s, [st_valid, st_dram, st_stride, st_rows, st_bytes], [aw_valid_o, aw_addr_o, aw_len_o]);
}

/// What the store engine assumes of its neighbours beyond the command channel: local read
/// responses come only for requests made, and each is held until taken; B responses come
/// only for bursts whose last W beat was sent.
fn formal_store_environment(m: &mut ModuleBuilder, _s: &DmaSizes, w_last: rtl_gen::SignalId) {
    let sig = |m: &ModuleBuilder, n: &str| m.module().find_signal(n).expect("a store engine port");
    let (lr_valid, lr_ready) = (sig(m, "lr_valid_o"), sig(m, "lr_ready_i"));
    let (lrd_valid, lrd_ready, lrd_data) = (sig(m, "lrd_valid_i"), sig(m, "lrd_ready_o"), sig(m, "lrd_data_i"));
    let (w_valid, w_ready, b_valid) = (sig(m, "m_axi_wvalid_o"), sig(m, "m_axi_wready_i"), sig(m, "m_axi_bvalid_i"));
    formal::assume_offer_held(m, "lrd", lrd_valid, lrd_ready, &[lrd_data]);
    let asked = formal::fire(m, lr_valid, lr_ready);
    let answered = formal::fire(m, lrd_valid, lrd_ready);
    let pending = formal::counter(m, "lr_pending", 4, asked, answered);
    let some = m.any(pending);
    m.assume_when("f_env_lrd_only_requested", "local read responses only for requests made", lrd_valid, some);
    let beat = formal::fire(m, w_valid, w_ready);
    let burst_sent = m.and(beat, w_last);
    let b_ready = sig(m, "m_axi_bready_o");
    let responded = formal::fire(m, b_valid, b_ready);
    let owed = formal::counter(m, "b_owed", 6, burst_sent, responded);
    let some = m.any(owed);
    m.assume_when("f_env_b_only_for_bursts", "B responses only for bursts whose data was sent", b_valid, some);
}

/// WLAST marks exactly the last beat of each burst: a burst the solver picks as its AW is
/// accepted (`f_wlast_pick`) is followed, among the W bursts in order, by `awlen + 1` beats
/// of which only the last has WLAST.
fn formal_wlast(
    m: &mut ModuleBuilder,
    aw_valid: rtl_gen::SignalId,
    aw_ready: rtl_gen::SignalId,
    aw_len: rtl_gen::SignalId,
    w_valid: rtl_gen::SignalId,
    w_ready: rtl_gen::SignalId,
    w_last: rtl_gen::SignalId,
) {
    let rst = m.reset();
    let aw_fire = formal::fire(m, aw_valid, aw_ready);
    let w_fire = formal::fire(m, w_valid, w_ready);
    let never = m.lit(0, 1);
    let aw_n = formal::counter(m, "aw_bursts", 8, aw_fire, never);
    let w_done = m.and(w_fire, w_last);
    let w_n = formal::counter(m, "w_bursts", 8, w_done, never);
    // Beats of the W burst in progress.
    let w_beat = m.formal_reg_decl("f_w_beat", 9, Some(0));
    let zero9 = m.lit(0, 9);
    let inc = m.inc(w_beat);
    let after = m.mux(w_last, zero9, inc);
    let nb = m.mux(w_fire, after, w_beat);
    let nb = m.mux(rst, zero9, nb);
    m.formal_next(w_beat, nb);
    // The tracked burst: its number among the AW bursts and its length.
    let pick = m.any_seq("f_wlast_pick", 1);
    let tracking = m.formal_reg_decl("f_wlast_tracking", 1, Some(0));
    let idx = m.formal_reg_decl("f_wlast_idx", 8, None);
    let len = m.formal_reg_decl("f_wlast_len", 8, None);
    let not_tracking = m.not(tracking);
    let start = m.and(aw_fire, pick);
    let start = m.and(start, not_tracking);
    let t_next = m.or(start, tracking);
    let zero1 = m.lit(0, 1);
    let t_next = m.mux(rst, zero1, t_next);
    m.formal_next(tracking, t_next);
    let i_next = m.mux(start, aw_n, idx);
    m.formal_next(idx, i_next);
    let l_next = m.mux(start, aw_len, len);
    m.formal_next(len, l_next);
    let ours = m.eq(w_n, idx);
    let ours = m.and(tracking, ours);
    let ours = m.and(ours, w_valid);
    let len9 = m.zext(len, 9);
    let at_end = m.eq(w_beat, len9);
    let right = m.eq(w_last, at_end);
    m.assert_when("f_w_last_on_last_beat", "W: WLAST exactly on beat awlen + 1 of each burst", ours, right);
    let past_end = m.le(w_beat, len9);
    m.assert_when("f_w_beats_within_burst", "W: a burst has no more beats than its AWLEN says", ours, past_end);
}

/// Rows of the commands the window proof considers.
const FORMAL_ROWS: u32 = 3;

/// No AXI write outside the DMA window: with the window `[f_window_base,
/// f_window_limit]` (any constants) and every command inside it as the controller checks
/// (`dram >= base`, `dram + (rows - 1) * stride + bytes - 1 <= limit`, without wrapping),
/// every AW burst lies inside the window widened to whole beats. The proof considers
/// commands of up to [`FORMAL_ROWS`] rows (a product of the row count and the stride is
/// too hard for the solver), and as the assumption is global, so do the other properties
/// of the store engine's proof.
fn formal_window(m: &mut ModuleBuilder, s: &DmaSizes, cmd: [rtl_gen::SignalId; 5], aw: [rtl_gen::SignalId; 3]) {
    let [valid, dram, stride, rows, bytes] = cmd;
    let [aw_valid, aw_addr, aw_len] = aw;
    let base = m.any_const("f_window_base", 32);
    let limit = m.any_const("f_window_limit", 32);
    let ready = m.module().find_signal("st_ready_o").expect("st_ready_o");
    let accept = formal::fire(m, valid, ready);
    let lo_ok = m.ge(dram, base);
    // (rows - 1) * stride without a multiplier (which the solver handles badly): the
    // proof considers commands of up to FORMAL_ROWS rows.
    let few = m.lit(FORMAL_ROWS.into(), 16);
    let few_rows = m.le(rows, few);
    m.assume_when("f_env_st_cmd_few_rows", "the window proof considers commands of up to 3 rows", accept, few_rows);
    let stride50 = m.zext(stride, 50);
    let mut span = m.lit(0, 50);
    let mut multiple = m.lit(0, 50);
    for k in 2..=FORMAL_ROWS {
        multiple = m.add(multiple, stride50);
        let is_k = m.eq_const(rows, k.into());
        span = m.mux(is_k, multiple, span);
    }
    let d50 = m.zext(dram, 50);
    let b50 = m.zext(bytes, 50);
    let end = m.add(d50, span);
    let end = m.add(end, b50);
    let last = m.dec(end);
    let lim50 = m.zext(limit, 50);
    let hi_ok = m.le(last, lim50);
    let inside = m.and(lo_ok, hi_ok);
    m.assume_when(
        "f_env_st_cmd_in_window",
        "store commands lie inside the DMA window (checked by the controller)",
        accept,
        inside,
    );
    let lane_mask = !u64::from(s.beat_bytes - 1) & 0xffff_ffff;
    let mask = m.lit(lane_mask, 32);
    let base_beat = m.and(base, mask);
    let low = m.lit(u64::from(s.beat_bytes - 1), 32);
    let limit_beat = m.or(limit, low);
    let a_lo = m.ge(aw_addr, base_beat);
    let a34 = m.zext(aw_addr, 34);
    let len34 = m.zext(aw_len, 34);
    let beats = m.inc(len34);
    let k = m.lit(s.lane_bits.into(), 5);
    let bytes_span = m.shl(beats, k);
    let a_end = m.add(a34, bytes_span);
    let a_last = m.dec(a_end);
    let l34 = m.zext(limit_beat, 34);
    let a_hi = m.le(a_last, l34);
    let ok = m.and(a_lo, a_hi);
    m.assert_when(
        "f_aw_inside_window",
        "AW: every write burst lies inside the DMA window (to whole beats)",
        aw_valid,
        ok,
    );
}
