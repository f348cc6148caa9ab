//! The DMA's load engine `<prefix>_dma_load`: `mvin` commands in, AXI4 read bursts out,
//! R beats realigned into whole local rows, local writes out.
//!
//! Ports (`clk_i` and `rst_i` first; `W`, `B`, `R`, `LB` as in [`super`]): the load
//! command channel `ld_*`, `ld_done_o`, `ld_bytes_done_o`, the AXI4 read channels
//! `m_axi_ar*` and `m_axi_r*`, the local write channel `lw_*`, all as the DMA's, plus:
//!
//! | port | width | meaning |
//! |---|---|---|
//! | `resp_error_o` | 1 | an R beat with RRESP not OKAY is accepted in this cycle |
//! | `idle_o` | 1 | no command in progress, no burst in flight, no row waiting |
//!
//! Structure, one pipeline:
//! 1. **Command registers** (`cmd_*`): taken when `ld_ready_o` (= not busy); the current
//!    row's address advances by the stride as its last burst issues. The burst
//!    arithmetic (`RowBursts` in [`super`]) works from these registers.
//! 2. **AR register** (`ar_*`): one burst per cycle while it is free (empty, or taken in
//!    this cycle) and the burst FIFO has room. A row crossing a 4 KB boundary takes two
//!    cycles (`split_q`).
//! 3. **Burst FIFO** (`inflight`, `dma_outstanding` entries): for each burst in flight the
//!    local row, the row's first lane `addr % B`, its bytes, the flags, whether the burst
//!    ends its row and whether that row ends its command. Pushed with the AR register,
//!    popped by the burst's RLAST beat.
//! 4. **Row assembly** (`asm_c<k>`, `ceil(R / B)` beat-wide chunks): each beat is rotated
//!    right by the row's first lane; its low lanes fill chunk `k` and its high lanes the
//!    rest of chunk `k - 1` (`k` = the beat's index in the row). The row's last beat
//!    moves the whole row, with bytes past `bytes` zeroed, into
//! 5. **the local write register** (`lw_*`), while the next row assembles: the two form a
//!    double buffer, so single-beat rows flow at one per cycle. `m_axi_rready_o` is low
//!    only for a row's last beat while the local write register is full and not taken.
//!
//! Timing with no backpressure: `m_axi_arvalid_o` rises two cycles after the cycle in
//! which the command is taken (the command registers, then the AR register); a row's
//! local write is valid the cycle after its last R beat; `ld_done_o` pulses the cycle
//! after the last local write is taken. 64 single-beat rows with a memory latency of 10
//! take 77 cycles from the command's handshake to `ld_done_o`.

use super::{drive_burst_attributes, equals, DmaSizes, Fifo, LoadPorts, RowBursts};
use crate::blocks::formal;
use rtl_gen::{CheckErrors, Design, ExprId, ModuleBuilder, ModuleId};

/// Build `<prefix>_dma_load` into `design`.
pub fn build(design: &mut Design, prefix: &str, s: &DmaSizes) -> Result<ModuleId, CheckErrors> {
    let (w, b, r, lb, rb) = (s.data_bits, s.beat_bytes, s.row_bytes, s.local_row_bits, s.bytes_bits);
    let mut m = ModuleBuilder::new(format!("{prefix}_dma_load"));
    m.doc(format!(
        "DMA load engine: mvin commands to AXI4 INCR read bursts (aligned down to {b} bytes, \
         split at 4 KB boundaries, one per cycle, up to {} in flight), R beats realigned \
         into local rows of up to {r} bytes (bytes past the command's count zeroed), one \
         local write per row. Row assembly and the local write register form a double \
         buffer: single-beat rows flow at one per cycle.",
        s.outstanding
    ));
    m.param("data_bits", w);
    m.param("row_bytes", r);
    m.param("local_row_bits", lb);
    m.param("outstanding", s.outstanding);

    let LoadPorts {
        ld_valid,
        ld_ready,
        ld_dram,
        ld_stride,
        ld_rows,
        ld_bytes,
        ld_acc,
        ld_accumulate,
        ld_row,
        ld_done,
        ar_valid_o,
        ar_ready,
        ar_addr_o,
        ar_len_o,
        ar_size_o,
        ar_burst_o,
        r_valid,
        r_ready_o,
        r_data,
        r_resp,
        r_last,
        lw_valid_o,
        lw_ready,
        lw_acc_o,
        lw_accumulate_o,
        lw_row_o,
        lw_data_o,
        lw_chunks_o,
        ld_bytes_done,
        resp_error,
        idle,
    } = LoadPorts::declare(&mut m, s);

    // ---- 1. Command registers. -----------------------------------------------------
    let busy = m.reg("busy", 1).reset(0).build();
    let not_busy = m.not(busy);
    m.assign(ld_ready, not_busy);
    let accept = m.and(ld_valid, not_busy);
    let accept = m.named("cmd_accept", accept);
    let addr = m.reg("cmd_addr", 32).build();
    let stride = m.reg("cmd_stride", 32).enable(accept).build();
    m.next(stride, ld_stride);
    let rows_left = m.reg("cmd_rows_left", 16).build();
    let bytes = m.reg("cmd_bytes", rb).enable(accept).build();
    let bytes_in = m.trunc(ld_bytes, rb);
    m.next(bytes, bytes_in);
    if rb < 16 {
        m.mark_unused(ld_bytes); // legal counts are at most R
    }
    let acc = m.reg("cmd_acc", 1).enable(accept).build();
    m.next(acc, ld_acc);
    let accumulate = m.reg("cmd_accumulate", 1).enable(accept).build();
    m.next(accumulate, ld_accumulate);
    let row = m.reg("cmd_row", lb).build();
    let split = m.reg("split", 1).reset(0).build();

    // ---- 2. AR register: one burst per cycle. ----------------------------------------
    let bursts = RowBursts::new(&mut m, s, addr.q, bytes.q);
    let ar_valid = m.reg("ar_valid", 1).reset(0).build();
    let ar_waiting = m.not(ar_ready);
    let ar_held = m.and(ar_valid, ar_waiting);
    let ar_free = m.not(ar_held);
    let inflight_fields = {
        let not_cross = m.not(bursts.cross);
        let row_end = m.or(split, not_cross);
        let row_end = m.named("burst_ends_row", row_end);
        let one = m.lit(1, 16);
        let last_row = m.eq(rows_left, one);
        let cmd_last = m.and(row_end, last_row);
        let cmd_last = m.named("burst_ends_cmd", cmd_last);
        [
            ("row", m.sig(row.q)),
            ("off", bursts.off),
            ("bytes", m.sig(bytes.q)),
            ("acc", m.sig(acc.q)),
            ("accumulate", m.sig(accumulate.q)),
            ("row_end", m.sig(row_end)),
            ("cmd_last", m.sig(cmd_last)),
        ]
    };
    let (row_end, cmd_last) = (inflight_fields[5].1, inflight_fields[6].1);
    let inflight = Fifo::new(&mut m, "inflight", s.outstanding, &inflight_fields);
    let full = inflight.full(&mut m, s.outstanding);
    let not_full = m.not(full);
    let room = m.or(not_full, inflight.pop);
    let can_issue = m.and(busy, ar_free);
    let issue = m.and(can_issue, room);
    let issue = m.named("ar_issue", issue);
    m.assign(inflight.push, issue);
    let row_issued = m.and(issue, row_end);
    let row_issued = m.named("row_issued", row_issued);
    let cmd_issued = m.and(issue, cmd_last);
    let cmd_issued = m.named("cmd_issued", cmd_issued);

    let still_busy = m.not(cmd_issued);
    let still_busy = m.and(busy, still_busy);
    let busy_next = m.or(accept, still_busy);
    m.next(busy, busy_next);
    let not_row_end = m.not(row_end);
    let split_next = m.mux(issue, not_row_end, split);
    m.next(split, split_next);
    let advance = m.or(accept, row_issued);
    m.set_enable(addr, advance);
    let next_addr = m.add(addr, stride);
    let addr_next = m.mux(accept, ld_dram, next_addr);
    m.next(addr, addr_next);
    m.set_enable(rows_left, advance);
    let one16 = m.lit(1, 16);
    let fewer = m.sub(rows_left, one16);
    let rows_next = m.mux(accept, ld_rows, fewer);
    m.next(rows_left, rows_next);
    m.set_enable(row, advance);
    let one_lb = m.lit(1, lb);
    let next_row = m.add(row, one_lb);
    let row_next = m.mux(accept, ld_row, next_row);
    m.next(row, row_next);

    let ar_valid_next = m.or(issue, ar_held);
    m.next(ar_valid, ar_valid_next);
    let ar_addr = m.reg("ar_addr", 32).enable(issue).build();
    let ar_addr_next = m.mux(split, bursts.second_addr, bursts.first_addr);
    m.next(ar_addr, ar_addr_next);
    let ar_len = m.reg("ar_len", 8).enable(issue).build();
    let ar_len_next = m.mux(split, bursts.second_len, bursts.first_len);
    m.next(ar_len, ar_len_next);
    m.assign(ar_valid_o, ar_valid);
    m.assign(ar_addr_o, ar_addr);
    m.assign(ar_len_o, ar_len);
    drive_burst_attributes(&mut m, s, ar_size_o, ar_burst_o);

    // ---- 3./4. R beats into the row assembly. ----------------------------------------
    let [h_row, h_off, h_bytes, h_acc, h_accumulate, h_row_end, h_cmd_last] = inflight.head[..] else {
        unreachable!("seven fields")
    };
    let lw_valid = m.reg("lw_valid", 1).reset(0).build();
    let lw_waiting = m.not(lw_ready);
    let lw_held = m.and(lw_valid, lw_waiting);
    let row_last_beat = m.and(h_row_end, r_last);
    let blocked = m.and(row_last_beat, lw_held);
    let not_blocked = m.not(blocked);
    let has_burst = inflight.nonempty(&mut m);
    let r_ready = m.and(has_burst, not_blocked);
    let r_ready = m.named("r_ready", r_ready);
    m.assign(r_ready_o, r_ready);
    let beat = m.and(r_valid, r_ready);
    let beat = m.named("r_beat", beat);
    let burst_done = m.and(beat, r_last);
    m.assign(inflight.pop, burst_done);
    let row_done = m.and(beat, row_last_beat);
    let row_done = m.named("row_done", row_done);

    // The beat's index in its row.
    let kw = s.beat_index_bits();
    let k_max = s.max_row_beats() - 1;
    let k = m.reg("beat_index", kw).reset(0).enable(beat).build();
    let one_k = m.lit(1, kw);
    let k_inc = m.add(k, one_k);
    let zero_k = m.lit(0, kw);
    let k_next = m.mux(row_done, zero_k, k_inc);
    m.next(k, k_next);

    // Rotate right by the row's first lane: lane l holds stream byte (l + off) mod B.
    let doubled = m.concat([r_data, r_data]);
    let zeros3 = m.lit(0, 3);
    let off_e = m.sig(h_off);
    let shift = m.concat([off_e, zeros3]);
    let shifted = m.shr(doubled, shift);
    let rotated = m.trunc(shifted, w);
    let rotated = m.named("r_rotated", rotated);
    if r < b {
        m.mark_unused(rotated); // lanes past the longest row
    }
    // Lane l of a beat belongs to the previous chunk when l + off >= B.
    let lane_high: Vec<ExprId> = (0..b.min(r))
        .map(|l| {
            if l == 0 {
                m.lit(0, 1)
            } else {
                let bound = m.lit(u64::from(b - l), s.lane_bits);
                let high = m.ge(h_off, bound);
                let high = m.named(format!("r_lane{l}_high"), high);
                m.sig(high)
            }
        })
        .collect();
    let mut row_bytes: Vec<ExprId> = Vec::with_capacity(r as usize);
    for c in 0..s.chunks() {
        let lanes = b.min(r - c * b);
        let chunk = m.reg(format!("asm_c{c}"), 8 * lanes).build();
        let this_beat = equals(&mut m, k, c, k_max);
        let this_beat = m.and(beat, this_beat);
        let this_beat = m.named(format!("asm_c{c}_low_we"), this_beat);
        let this_beat = m.sig(this_beat);
        let next_beat = equals(&mut m, k, c + 1, k_max);
        let next_beat = m.and(beat, next_beat);
        let next_beat = if c < k_max && lanes > 1 {
            let named = m.named(format!("asm_c{c}_high_we"), next_beat);
            m.sig(named)
        } else {
            next_beat
        };
        let mut next_lanes = Vec::with_capacity(lanes as usize);
        for l in 0..lanes {
            let write = m.mux(lane_high[l as usize], next_beat, this_beat);
            let new = m.slice(rotated, 8 * l, 8);
            let old = m.slice(chunk, 8 * l, 8);
            next_lanes.push(m.mux(write, new, old));
        }
        let chunk_next = m.concat(next_lanes.iter().rev().copied());
        m.next(chunk, chunk_next);
        for l in 0..lanes {
            row_bytes.push(m.slice(chunk.d, 8 * l, 8));
        }
    }
    // ---- 5. The local write register. ------------------------------------------------
    let zero8 = m.lit(0, 8);
    let kept: Vec<ExprId> = row_bytes
        .iter()
        .enumerate()
        .map(|(i, byte)| {
            let index = m.lit(i as u64, rb);
            let inside = m.gt(h_bytes, index);
            m.mux(inside, *byte, zero8)
        })
        .collect();
    let row_value = m.concat(kept.iter().rev().copied());
    let lw_data = m.reg("lw_data", 8 * r).enable(row_done).build();
    m.next(lw_data, row_value);
    let lw_row = m.reg("lw_row", lb).enable(row_done).build();
    m.next(lw_row, h_row);
    let lw_acc = m.reg("lw_acc", 1).enable(row_done).build();
    m.next(lw_acc, h_acc);
    let lw_accumulate = m.reg("lw_accumulate", 1).enable(row_done).build();
    m.next(lw_accumulate, h_accumulate);
    let lw_bytes = m.reg("lw_bytes", rb).enable(row_done).build();
    m.next(lw_bytes, h_bytes);
    let lw_cmd_last = m.reg("lw_cmd_last", 1).enable(row_done).build();
    m.next(lw_cmd_last, h_cmd_last);
    let lw_valid_next = m.or(row_done, lw_held);
    m.next(lw_valid, lw_valid_next);
    m.assign(lw_valid_o, lw_valid);
    m.assign(lw_data_o, lw_data);
    let whole_row = m.lit((1u64 << s.chunks()) - 1, s.chunks());
    m.assign(lw_chunks_o, whole_row);
    m.assign(lw_row_o, lw_row);
    m.assign(lw_acc_o, lw_acc);
    m.assign(lw_accumulate_o, lw_accumulate);
    let written = m.and(lw_valid, lw_ready);
    let written = m.named("lw_written", written);
    let done = m.reg("done", 1).reset(0).build();
    let done_next = m.and(written, lw_cmd_last);
    m.next(done, done_next);
    m.assign(ld_done, done);
    let bytes16 = m.zext(lw_bytes, 16);
    let zero16 = m.lit(0, 16);
    let bytes_done = m.mux(written, bytes16, zero16);
    m.assign(ld_bytes_done, bytes_done);

    // ---- Status. ---------------------------------------------------------------------
    let any_resp = m.any(r_resp);
    let error = m.and(beat, any_resp);
    m.assign(resp_error, error);
    let quiet = m.or(busy, ar_valid);
    let quiet = m.or(quiet, lw_valid);
    let quiet = m.or(quiet, has_burst);
    let is_idle = m.not(quiet);
    m.assign(idle, is_idle);

    properties(&mut m, s);
    design.add(m)
}

/// The formal properties (`ifdef FORMAL`) of a load engine, either form, on its ports.
/// The environment: legal commands held until taken; R beats only for accepted bursts,
/// held until taken (AXI4). The engine's promises: the AR and local-write offers are
/// held, every AR burst stays inside one 4 KB page, and is an INCR burst of beats.
pub(super) fn properties(m: &mut ModuleBuilder, s: &DmaSizes) {
    let port = |m: &ModuleBuilder, n: &str| m.module().find_signal(n).unwrap_or_else(|| panic!("load engine: no {n}"));
    let [ld_dram, ld_stride, ld_rows, ld_bytes, ld_acc, ld_accumulate, ld_row] =
        ["ld_dram_i", "ld_stride_i", "ld_rows_i", "ld_bytes_i", "ld_acc_i", "ld_accumulate_i", "ld_row_i"]
            .map(|n| port(m, n));
    let [ar_valid_o, ar_ready, ar_addr_o, ar_len_o, ar_size_o, ar_burst_o] =
        ["m_axi_arvalid_o", "m_axi_arready_i", "m_axi_araddr_o", "m_axi_arlen_o", "m_axi_arsize_o", "m_axi_arburst_o"]
            .map(|n| port(m, n));
    let [r_valid, r_ready_o, r_data, r_resp, r_last] =
        ["m_axi_rvalid_i", "m_axi_rready_o", "m_axi_rdata_i", "m_axi_rresp_i", "m_axi_rlast_i"].map(|n| port(m, n));
    let [lw_valid_o, lw_ready, lw_acc_o, lw_accumulate_o, lw_row_o, lw_data_o, lw_chunks_o] =
        ["lw_valid_o", "lw_ready_i", "lw_acc_o", "lw_accumulate_o", "lw_row_o", "lw_data_o", "lw_chunks_o"]
            .map(|n| port(m, n));
    let b = s.beat_bytes;
    m.assume_initial_reset();
    super::assume_legal_commands(m, s, "ld", &[ld_dram, ld_stride, ld_rows, ld_bytes, ld_acc, ld_accumulate, ld_row]);
    formal::assume_offer_held(m, "r", r_valid, r_ready_o, &[r_data, r_resp, r_last]);
    let asked = formal::fire(m, ar_valid_o, ar_ready);
    let r_beat = formal::fire(m, r_valid, r_ready_o);
    let r_burst_end = m.and(r_beat, r_last);
    let owed = formal::counter(m, "ar_owed", 8, asked, r_burst_end);
    let some = m.any(owed);
    m.assume_when("f_env_r_only_for_bursts", "R beats only for accepted read bursts", r_valid, some);
    formal::assert_offer_held(m, "ar", ar_valid_o, ar_ready, &[ar_addr_o, ar_len_o, ar_size_o, ar_burst_o]);
    formal::assert_offer_held(
        m,
        "lw",
        lw_valid_o,
        lw_ready,
        &[lw_acc_o, lw_accumulate_o, lw_row_o, lw_data_o, lw_chunks_o],
    );
    formal::assert_burst_in_page(m, "ar", ar_valid_o, ar_addr_o, ar_len_o, b);
    formal::assert_burst_kind(m, "ar", ar_valid_o, ar_size_o, ar_burst_o, b);
}
