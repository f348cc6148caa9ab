//! The DMA's compact store engine `<prefix>_dma_store`, built when `dma_outstanding` is 1:
//! the same ports and rules as [`super::store`], one row at a time, one byte per cycle,
//! with the local read response itself as the row buffer.
//!
//! Structure:
//! 1. **Command registers** (`Command` in [`super`]; with [`DmaSizes::stride_held`] the
//!    stride is read from its port, not copied). They describe the row in progress
//!    (`row_active_q`): the local read request `lr_*` and the AW channel read them
//!    directly (`RowSpan` in [`super`]), and they advance when the row's last byte is
//!    stepped, in the same edge as the next row's request and AW are offered.
//! 2. **Row start**: `lr_valid` and `m_axi_awvalid_o` rise together; a row crossing a
//!    4 KB boundary offers its second AW after the first is accepted (`split_q`).
//! 3. **W beats**, assembled one row byte per cycle (`w_step`) once the row's AWs are
//!    accepted, from the local read response, which the controller holds until taken:
//!    `byte_index` `j` selects row byte `j` (an `R`:1 byte multiplexer) and writes it into
//!    lane `(addr + j) % B` of the W register (`w_lane<l>`), setting that lane's strobe;
//!    a beat is offered when its last lane or the row's last byte is written, so WSTRB
//!    is exactly the row's bytes. WLAST marks the row's last beat and, in a row crossing
//!    4 KB, the page's last beat. The next beat's first byte may be written in the cycle
//!    the offered beat is taken. `lrd_ready_o` is a register: high in the cycle after the
//!    row's last byte is stepped, which takes the response. With
//!    [`DmaSizes::response_register`] the bytes come from a copy of the response
//!    (`lrd_row`, loaded every cycle) once it has been valid for a cycle (`lrd_seen`),
//!    not from the response itself: a row's first byte waits one cycle more. With
//!    [`DmaSizes::response_valid_registered`] the step waits for `lrd_seen` alone (the
//!    response offered and not taken in the last cycle), a cycle more per row, so that
//!    `lrd_valid_i` reaches only that register.
//! 4. **B responses**: `m_axi_bready_o` is always high. `b_cur` counts the bursts of the
//!    command in progress whose response is owed, `b_old` those of the command before
//!    it (whose last byte is stepped); a command's last byte waits while `b_old` is not
//!    zero, and `st_done_o` pulses the cycle after `b_old` returns to zero. At most
//!    [`OWED`] responses are owed when a row starts.
//!
//! Timing with no backpressure and a local read latency of `L` cycles: the first request
//! and AW are valid two cycles after the cycle in which the command is taken; a row's
//! first byte is stepped in the cycle its response arrives, and the next row is requested
//! as its last byte is stepped, so a row of `n` bytes takes `n + L` cycles (one more
//! when it crosses 4 KB). With one read burst in flight the loads, which wait for the
//! read latency on every row, are the slower direction for rows of up to about `L`
//! bytes; the engine trades store bandwidth for an `R`:1 byte multiplexer in place of a
//! beat-wide rotator and row buffer.

use super::{drive_burst_attributes, select, Command, DmaSizes, RowSpan, StorePorts};
use rtl_gen::ir::clog2;
use rtl_gen::{CheckErrors, Design, ExprId, ModuleBuilder, ModuleId};

/// Bits of the compact store's response counters.
const OWED_BITS: u32 = 4;

/// B responses the compact store may owe when it starts a row (which adds up to two).
pub const OWED: u32 = (1 << OWED_BITS) - 3;

/// Build the compact `<prefix>_dma_store` into `design`.
pub fn build(design: &mut Design, prefix: &str, s: &DmaSizes) -> Result<ModuleId, CheckErrors> {
    let (w, b, r, lb, rb) = (s.data_bits, s.beat_bytes, s.row_bytes, s.local_row_bits, s.bytes_bits);
    let mut m = ModuleBuilder::new(format!("{prefix}_dma_store"));
    m.doc(format!(
        "DMA store engine, compact form: mvout commands to one local read request per row \
         and AXI4 INCR write bursts (aligned down to {b} bytes, split at 4 KB boundaries), one \
         row at a time; the held local read response of up to {r} bytes is rotated beat by \
         beat to its address's lanes with WSTRB exactly on its bytes. B responses counted \
         for the command in progress and the one before it."
    ));
    m.param("data_bits", w);
    m.param("row_bytes", r);
    m.param("local_row_bits", lb);
    if s.stride_held {
        m.param("stride_held", true);
    }
    if s.response_register {
        m.param("response_register", true);
    }
    if s.response_valid_registered {
        m.param("response_valid_registered", true);
    }

    // The ports (the command channel's registers are [`Command`]'s).
    let StorePorts {
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
        ..
    } = StorePorts::declare(&mut m, s);

    // ---- 1. Command registers. -----------------------------------------------------
    let (cmd, [acc, raw]) = Command::new(&mut m, s, "st", ["acc", "raw"]);
    let split = m.reg("split", 1).reset(0).build();
    let span = RowSpan::new(&mut m, s, cmd.addr, cmd.bytes);
    let last_row = cmd.last_row;

    // ---- 4. (first, as the row start needs it) Response counters. ----------------------
    let cur = m.reg("b_cur", OWED_BITS).reset(0).build();
    let old = m.reg("b_old", OWED_BITS).reset(0).build();
    let old_any = m.any(old);
    let limit = m.lit(OWED.into(), OWED_BITS);
    let b_room = m.le(cur, limit);

    // ---- 2. Row start: local read request and AW. ----------------------------------------
    let row_active = m.reg("row_active", 1).reset(0).build();
    let lr_valid = m.reg("lr_valid", 1).reset(0).build();
    let aw_valid = m.reg("aw_valid", 1).reset(0).build();
    let pop = m.reg("lrd_pop", 1).reset(0).build();
    let w_valid = m.reg("w_valid", 1).reset(0).build();
    let jw = clog2(r.into()).max(1);
    let j = m.reg("byte_index", jw).reset(0).build();

    // The row's byte j sits at stream position p = off + j: lane p % B of beat p / B.
    let tw = m.module().signal(span.last_byte).width;
    let off_t = m.zext(span.off, tw);
    let j_t = m.zext(j, tw);
    let pos = m.add(off_t, j_t);
    let pos = m.named("w_pos", pos);
    let lane = m.slice(pos, 0, s.lane_bits);
    let beat = m.slice(pos, s.lane_bits, tw - s.lane_bits);
    // Byte j is the row's last when j + 1 = bytes (the same as p = t, without the two
    // adders of p and t on the step's path).
    let ew = rb.max(jw + 1);
    let j_e = m.zext(j, ew);
    let j_after = m.inc(j_e);
    let bytes_e = m.zext(cmd.bytes, ew);
    let row_end_byte = m.eq(j_after, bytes_e);
    let row_end_byte = m.named("w_row_end", row_end_byte);
    m.mark_unused(span.last_byte); // its low bits (the last lane): the row's end is found from j
    let lane_last = m.all(lane);
    let beat_end = m.or(lane_last, row_end_byte);
    let beat_end = m.named("w_beat_end", beat_end);
    let cw = (tw - s.lane_bits).max(s.beat_index_bits());
    let beat_c = m.zext(beat, cw);
    let split_beat = m.zext(span.first_len, cw);
    let at_split = m.eq(beat_c, split_beat);
    let at_split = m.and(at_split, lane_last);
    let at_split = m.and(at_split, span.cross);
    let burst_end = m.or(row_end_byte, at_split);

    let w_waiting = m.not(w_ready);
    let w_held = m.and(w_valid, w_waiting);
    let w_free = m.not(w_held);
    let cmd_end_byte = m.and(row_end_byte, last_row);
    let hold_last = m.and(cmd_end_byte, old_any);
    let not_hold = m.not(hold_last);
    let not_aw = m.not(aw_valid);
    let not_pop = m.not(pop);
    // The response's bytes: the response itself, or its copy once the response has been
    // valid (and held) for a cycle.
    // With `response_valid_registered` the response is known to be there from `lrd_seen`
    // alone (it was offered and not taken in the last cycle, so it is still offered, with
    // the same bytes): `lrd_valid_i` reaches nothing but that register.
    let copy = s.response_register.then(|| {
        let copy = m.reg("lrd_row", 8 * r).build();
        m.next(copy, lrd_data);
        copy
    });
    let seen = (s.response_register || s.response_valid_registered).then(|| {
        let seen = m.reg("lrd_seen", 1).reset(0).build();
        let seen_next = m.and(lrd_valid, not_pop);
        m.next(seen, seen_next);
        seen
    });
    let have_row = match seen {
        Some(seen) if s.response_valid_registered => m.sig(seen.q),
        Some(seen) => m.and(seen, lrd_valid),
        None => m.sig(lrd_valid),
    };
    let row_data = match copy {
        Some(copy) => m.sig(copy.q),
        None => m.sig(lrd_data),
    };
    let step = m.and(row_active, not_aw);
    let step = m.and(step, have_row);
    let step = m.and(step, not_pop);
    let step = m.and(step, w_free);
    let step = m.and(step, not_hold);
    let step = m.named("w_step", step);
    let row_finish = m.and(step, row_end_byte);
    let row_finish = m.named("row_finish", row_finish);
    let cmd_finish = m.and(row_finish, last_row);

    let not_active = m.not(row_active);
    let fresh = m.and(cmd.busy, not_active);
    let not_last = m.not(last_row);
    let chained = m.and(row_finish, not_last);
    let start = m.or(fresh, chained);
    let start = m.and(start, b_room);
    let start = m.named("row_start", start);
    let not_finish = m.not(row_finish);
    let still_active = m.and(row_active, not_finish);
    let active_next = m.or(start, still_active);
    m.next(row_active, active_next);

    m.assign(cmd.advance, row_finish);
    m.assign(cmd.finish, cmd_finish);

    let lr_waiting = m.not(lr_ready);
    let lr_held = m.and(lr_valid, lr_waiting);
    let lr_valid_next = m.or(start, lr_held);
    m.next(lr_valid, lr_valid_next);
    m.assign(lr_valid_o, lr_valid);
    m.assign(lr_row_o, cmd.row);
    m.assign(lr_acc_o, acc);
    m.assign(lr_raw_o, raw);

    let aw_fire = m.and(aw_valid, aw_ready);
    let aw_fire = m.named("aw_fire", aw_fire);
    let not_cross = m.not(span.cross);
    let row_end = m.or(split, not_cross);
    let row_aws_done = m.and(aw_fire, row_end);
    let not_done = m.not(row_aws_done);
    let aw_still = m.and(aw_valid, not_done);
    let aw_valid_next = m.or(start, aw_still);
    m.next(aw_valid, aw_valid_next);
    let not_split = m.not(split);
    let first_of_two = m.and(span.cross, not_split);
    let split_next = m.mux(aw_fire, first_of_two, split);
    m.next(split, split_next);
    let aw_addr = RowSpan::burst_addr(&mut m, s, cmd.addr, split.q);
    m.assign(aw_addr_o, aw_addr);
    let aw_len = span.burst_len(&mut m, split.q);
    m.assign(aw_len_o, aw_len);
    m.assign(aw_valid_o, aw_valid);
    drive_burst_attributes(&mut m, s, aw_size_o, aw_burst_o);

    // ---- 3. W beats, one row byte per cycle from the held local read response. -------
    m.set_enable(j, step);
    let j_inc = m.inc(j);
    let zero_j = m.lit(0, jw);
    let j_next = m.mux(row_end_byte, zero_j, j_inc);
    m.next(j, j_next);
    m.next(pop, row_finish);
    m.assign(lrd_ready_o, pop);

    let row_bytes: Vec<ExprId> = (0..r).map(|i| m.slice(row_data, 8 * i, 8)).collect();
    let byte = select(&mut m, j, row_bytes);
    let byte = m.named("w_byte", byte);
    let taken = m.and(w_valid, w_ready);
    let taken = m.named("w_taken", taken);
    let not_taken = m.not(taken);
    let mut lanes = Vec::with_capacity(b as usize);
    let mut strobes = Vec::with_capacity(b as usize);
    for l in 0..b {
        let here = m.eq_const(lane, l.into());
        let write = m.and(step, here);
        let write = m.named(format!("w_lane{l}_we"), write);
        let data = m.reg(format!("w_lane{l}"), 8).enable(write).build();
        m.next(data, byte);
        lanes.push(m.sig(data.q));
        // A lane's strobe: written since the last beat left.
        let strobe = m.reg(format!("w_strb{l}"), 1).reset(0).build();
        let kept = m.and(strobe, not_taken);
        let strobe_next = m.or(write, kept);
        m.next(strobe, strobe_next);
        strobes.push(m.sig(strobe.q));
    }
    let w_data = m.concat(lanes.iter().rev().copied());
    let w_strb = m.concat(strobes.iter().rev().copied());

    let complete = m.and(step, beat_end);
    let complete = m.named("w_complete", complete);
    let w_valid_next = m.or(complete, w_held);
    m.next(w_valid, w_valid_next);
    let w_last = m.reg("w_last", 1).enable(complete).build();
    m.next(w_last, burst_end);
    let w_row_last = m.reg("w_row_last", 1).enable(complete).build();
    m.next(w_row_last, row_end_byte);
    let w_bytes = m.reg("w_bytes", rb).enable(complete).build();
    m.next(w_bytes, cmd.bytes);
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

    // ---- 4. B responses. ---------------------------------------------------------------
    let always = m.lit(1, 1);
    m.assign(b_ready_o, always);
    let b_old = m.and(b_valid, old_any);
    let not_old = m.not(old_any);
    let b_cur = m.and(b_valid, not_old);
    let b_cur = m.named("b_for_cur", b_cur);
    let not_b_cur = m.not(b_cur);
    let not_aw_fire = m.not(aw_fire);
    let up = m.and(aw_fire, not_b_cur);
    let down = m.and(b_cur, not_aw_fire);
    let cur_inc = m.inc(cur);
    let cur_dec = m.dec(cur);
    let cur_moved = m.mux(down, cur_dec, cur);
    let cur_moved = m.mux(up, cur_inc, cur_moved);
    let cur_moved = m.named("b_cur_moved", cur_moved);
    let zero_owed = m.lit(0, OWED_BITS);
    let cur_next = m.mux(cmd_finish, zero_owed, cur_moved);
    m.next(cur, cur_next);
    // At a command's last beat `b_old` is zero, and the response to that beat's burst is
    // still owed: `b_old` takes at least one.
    let old_dec = m.dec(old);
    let old_moved = m.mux(b_old, old_dec, old);
    let old_next = m.mux(cmd_finish, cur_moved, old_moved);
    m.next(old, old_next);
    let one = m.eq_const(old, 1);
    let cmd_done = m.and(b_old, one);
    let done = m.reg("done", 1).reset(0).build();
    m.next(done, cmd_done);
    m.assign(st_done, done);
    let any_resp = m.any(b_resp);
    let error = m.and(b_valid, any_resp);
    m.assign(resp_error, error);

    // ---- Status. ---------------------------------------------------------------------
    let cur_any = m.any(cur);
    let active = m.or(cmd.busy, row_active);
    let active = m.or(active, w_valid);
    let active = m.or(active, pop);
    let active = m.or(active, cur_any);
    let active = m.or(active, old_any);
    let is_idle = m.not(active);
    m.assign(idle, is_idle);

    super::store::properties(&mut m, s);
    design.add(m)
}
