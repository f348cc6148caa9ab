//! The DMA's compact load engine `<prefix>_dma_load`, built when `dma_outstanding` is 1:
//! the same ports and rules as [`super::load`], with one read burst in flight and the
//! local write register as the only row buffer.
//!
//! Structure:
//! 1. **Command registers** (`Command` in [`super`]; with [`DmaSizes::stride_held`] the
//!    stride is read from its port, not copied); the AR channel reads them directly
//!    (`RowSpan` in [`super`]: small adders only, and an incrementer on `addr[31:12]`
//!    for the second burst of a row crossing 4 KB).
//! 2. **AR**: `ar_valid` is offered when the command has a burst left and none is in
//!    flight, or in the cycle the burst in flight ends (its RLAST beat). A row crossing a
//!    4 KB boundary is two bursts (`split_q`).
//! 3. **Burst registers** (`burst_*`): the accepted burst's row (first lane, bytes, local
//!    row, flags, whether the burst ends the row and the command). They also describe the
//!    local write of the row they assembled, so an accepted burst takes them (and the
//!    command registers move on, `burst_take`) only once the local write register is
//!    free or being taken; until then `pending_q` is high.
//! 4. **Local write register** (`lw_byte<j>`, one register per row byte): each R beat is
//!    rotated right by the row's first lane (a `B`-byte rotator) and written in place:
//!    lane `l` of beat `k` is row byte `j = cB + l` for `k = c + (l + off >= B)`. The first
//!    beat of a row also clears every byte at or past `bytes` (a synchronous clear, so no
//!    gate per bit), and a byte is never written with data past `bytes`. The row's last
//!    beat raises `lw_valid`; `m_axi_rready_o` is low while it is high (from registers
//!    only). With [`DmaSizes::chunk_writes`] (a scratchpad row fits one beat, as on the
//!    iCEBreaker's 2x2 and 4x4) there is no row register: each beat-sized chunk is written
//!    as soon as it is complete, from one chunk register, `lw_chunks_o` one-hot naming it
//!    (the controller writes zeros to the other columns: the row's first chunk overwrites,
//!    the later ones accumulate), and `m_axi_rready_o` then follows `lw_ready_i`, unless
//!    [`DmaSizes::write_ready_registered`]: then a beat is taken only while the chunk
//!    register is empty (`m_axi_rready_o` from registers only, a beat every other cycle
//!    at best).
//!
//! Timing with no backpressure and a read latency of `L` cycles: `m_axi_arvalid_o` rises
//! two cycles after the cycle in which the command is taken; the next burst is offered in
//! the cycle after the last beat of the one before, so a burst of `n` beats costs
//! `L + n` cycles; a row's local write is valid the cycle after its last R beat;
//! `ld_done_o` pulses the cycle after the last local write is taken. The next command is
//! taken the cycle after the previous one's last burst took the burst registers.

use super::{drive_burst_attributes, Command, DmaSizes, LoadPorts, RowSpan};
use rtl_gen::ir::clog2;
use rtl_gen::{Bits, CheckErrors, Design, ExprId, ModuleBuilder, ModuleId, SignalId};

/// Build the compact `<prefix>_dma_load` into `design`.
pub fn build(design: &mut Design, prefix: &str, s: &DmaSizes) -> Result<ModuleId, CheckErrors> {
    let (w, b, r, lb) = (s.data_bits, s.beat_bytes, s.row_bytes, s.local_row_bits);
    let mut m = ModuleBuilder::new(format!("{prefix}_dma_load"));
    m.doc(format!(
        "DMA load engine, compact form: mvin commands to AXI4 INCR read bursts (aligned down \
         to {b} bytes, split at 4 KB boundaries, one in flight), each R beat rotated into \
         place in the local write register (rows of up to {r} bytes, bytes past the \
         command's count zeroed), one local write per row."
    ));
    m.param("data_bits", w);
    m.param("row_bytes", r);
    m.param("local_row_bits", lb);
    m.param("outstanding", s.outstanding);
    if s.stride_held {
        m.param("stride_held", true);
    }
    if s.chunk_writes && s.write_ready_registered {
        m.param("write_ready_registered", true);
    }

    // The ports (the command channel's registers are [`Command`]'s).
    let LoadPorts {
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
        ..
    } = LoadPorts::declare(&mut m, s);

    // ---- 1. Command registers. -----------------------------------------------------
    let (cmd, [acc, accumulate]) = Command::new(&mut m, s, "ld", ["acc", "accumulate"]);
    let split = m.reg("split", 1).reset(0).build();

    // ---- 2. AR, straight from the command registers. ---------------------------------
    let span = RowSpan::new(&mut m, s, cmd.addr, cmd.bytes);
    m.mark_unused(span.last_byte); // its low bits (the last lane) are the store's
    let ar_valid = m.reg("ar_valid", 1).reset(0).build();
    let ar_fire = m.and(ar_valid, ar_ready);
    let ar_fire = m.named("ar_fire", ar_fire);
    let not_cross = m.not(span.cross);
    let row_end = m.or(split, not_cross);
    let row_end = m.named("burst_ends_row", row_end);
    let cmd_last = m.and(row_end, cmd.last_row);
    let cmd_last = m.named("burst_ends_cmd", cmd_last);

    let ar_addr = RowSpan::burst_addr(&mut m, s, cmd.addr, split.q);
    m.assign(ar_addr_o, ar_addr);
    let ar_len = span.burst_len(&mut m, split.q);
    m.assign(ar_len_o, ar_len);
    m.assign(ar_valid_o, ar_valid);
    drive_burst_attributes(&mut m, s, ar_size_o, ar_burst_o);

    // ---- 3. The burst in flight. -------------------------------------------------------
    // Its registers are also the local write's, so an accepted burst takes them (and the
    // command registers move on) only once the local write register is free: `pending`
    // marks an accepted burst still waiting (its R beats wait too).
    let lw_valid = m.reg("lw_valid", 1).reset(0).build();
    let written = m.and(lw_valid, lw_ready);
    let written = m.named("lw_written", written);
    let lw_free = m.not(lw_valid);
    // Chunk writes: the row's last chunk, written after its last beat (see 4).
    let flush = s.chunk_writes.then(|| m.reg("lw_flush", 1).reset(0).build());
    let lw_leaves = m.or(lw_free, written);
    let lw_leaves = match flush {
        Some(f) => {
            let nf = m.not(f);
            m.and(lw_leaves, nf)
        }
        None => lw_leaves,
    };
    let pending = m.reg("pending", 1).reset(0).build();
    let accepted = m.or(ar_fire, pending);
    let take = m.and(accepted, lw_leaves);
    let take = m.named("burst_take", take);
    let not_take = m.not(take);
    let pending_next = m.and(accepted, not_take);
    m.next(pending, pending_next);
    let row_taken = m.and(take, row_end);
    m.assign(cmd.advance, row_taken);
    let cmd_taken = m.and(take, cmd_last);
    m.assign(cmd.finish, cmd_taken);
    let not_split = m.not(split);
    let first_of_two = m.and(span.cross, not_split);
    let split_next = m.mux(take, first_of_two, split);
    m.next(split, split_next);

    let burst = |m: &mut ModuleBuilder, name: &str, value: ExprId| {
        let width = m.width(value);
        let reg = m.reg(format!("burst_{name}"), width).enable(take).build();
        m.next(reg, value);
        reg.q
    };
    let b_off = burst(&mut m, "off", span.off);
    let b_bytes = {
        let v = m.sig(cmd.bytes);
        burst(&mut m, "bytes", v)
    };
    let b_row = {
        let v = m.sig(cmd.row);
        burst(&mut m, "row", v)
    };
    let b_acc = {
        let v = m.sig(acc);
        burst(&mut m, "acc", v)
    };
    let b_accumulate = {
        let v = m.sig(accumulate);
        burst(&mut m, "accumulate", v)
    };
    let b_row_end = {
        let v = m.sig(row_end);
        burst(&mut m, "row_end", v)
    };
    let b_cmd_last = {
        let v = m.sig(cmd_last);
        burst(&mut m, "cmd_last", v)
    };

    let inflight = m.reg("inflight", 1).reset(0).build();
    // Chunk writes take a beat while the chunk before is being written too (a chunk per
    // beat), but not while an accepted burst waits for the burst registers or the last
    // chunk is still to be written.
    // With `write_ready_registered` only an empty chunk register takes a beat, so that
    // `m_axi_rready_o` comes from registers only.
    let r_ready = match flush {
        Some(f) => {
            let lw_ok = if s.write_ready_registered { lw_free } else { m.or(lw_free, lw_ready) };
            let nf = m.not(f);
            let np = m.not(pending);
            let ok = m.and(lw_ok, nf);
            let ok = m.and(ok, np);
            m.and(inflight, ok)
        }
        None => m.and(inflight, lw_free),
    };
    let r_ready = m.named("r_ready", r_ready);
    m.assign(r_ready_o, r_ready);
    let beat = m.and(r_valid, r_ready);
    let beat = m.named("r_beat", beat);
    let burst_done = m.and(beat, r_last);
    let burst_done = m.named("burst_done", burst_done);
    let row_done = m.and(burst_done, b_row_end);
    let row_done = m.named("row_done", row_done);
    let not_done = m.not(burst_done);
    let still_inflight = m.and(inflight, not_done);
    let inflight_next = m.or(ar_fire, still_inflight);
    m.next(inflight, inflight_next);

    // The next burst: when the command has one left and nothing else is offered or in
    // flight (the burst in flight ends in this cycle at the latest).
    let not_ar = m.not(ar_valid);
    let not_inflight = m.not(inflight);
    let quiet = m.or(not_inflight, burst_done);
    let issue = m.and(cmd.busy, not_ar);
    let issue = m.and(issue, quiet);
    let issue = m.named("ar_issue", issue);
    let ar_waiting = m.not(ar_ready);
    let ar_held = m.and(ar_valid, ar_waiting);
    let ar_valid_next = m.or(issue, ar_held);
    m.next(ar_valid, ar_valid_next);

    // ---- 4. R beats into the local write register. -------------------------------------
    let kw = s.beat_index_bits();
    let k = m.reg("beat_index", kw).reset(0).enable(beat).build();
    let k_inc = m.inc(k);
    let zero_k = m.lit(0, kw);
    let k_next = m.mux(row_done, zero_k, k_inc);
    m.next(k, k_next);

    // Rotate right by the row's first lane: lane l holds stream byte (l + off) mod B.
    let rotated = rotate_lanes(&mut m, "r_rotated", r_data, b_off, b, false);
    let lanes_used = b.min(r);
    if lanes_used < b {
        m.mark_unused(rotated); // lanes past the longest row
    }
    // Lane l of a beat belongs to the next chunk when l + off >= B.
    let lane_high: Vec<ExprId> = (0..lanes_used)
        .map(|l| {
            if l == 0 {
                m.lit(0, 1)
            } else {
                let bound = m.lit(u64::from(b - l), s.lane_bits);
                let high = m.ge(b_off, bound);
                let high = m.named(format!("r_lane{l}_high"), high);
                m.sig(high)
            }
        })
        .collect();
    let rows = RowWrite { beat, row_done, k, rotated, lane_high, b_off, b_bytes, flush };
    let (lw_load, lw_last) = if s.chunk_writes {
        chunk_writes(&mut m, s, &rows, lw_valid.q, lw_data_o, lw_chunks_o)
    } else {
        row_write(&mut m, s, &rows, lw_data_o, lw_chunks_o)
    };

    // ---- 5. The local write, described by the burst registers. ----------------------
    let not_written = m.not(written);
    let lw_held = m.and(lw_valid, not_written);
    let lw_valid_next = m.or(lw_load, lw_held);
    m.next(lw_valid, lw_valid_next);
    m.assign(lw_valid_o, lw_valid);
    m.assign(lw_row_o, b_row);
    m.assign(lw_acc_o, b_acc);
    m.assign(lw_accumulate_o, b_accumulate);
    // The row's last write: its bytes, and the command's end.
    let row_written = match lw_last {
        Some(last) => m.and(written, last),
        None => m.sig(written),
    };
    let done = m.reg("done", 1).reset(0).build();
    let done_next = m.and(row_written, b_cmd_last);
    m.next(done, done_next);
    m.assign(ld_done, done);
    let bytes16 = m.zext(b_bytes, 16);
    let zero16 = m.lit(0, 16);
    let bytes_done = m.mux(row_written, bytes16, zero16);
    m.assign(ld_bytes_done, bytes_done);

    // ---- Status. ---------------------------------------------------------------------
    let any_resp = m.any(r_resp);
    let error = m.and(beat, any_resp);
    m.assign(resp_error, error);
    let active = m.or(cmd.busy, ar_valid);
    let active = m.or(active, inflight);
    let active = m.or(active, lw_valid);
    let active = match flush {
        Some(f) => m.or(active, f),
        None => active,
    };
    let is_idle = m.not(active);
    m.assign(idle, is_idle);

    super::load::properties(&mut m, s);
    design.add(m)
}

/// What the local write logic reads of an R beat and its burst.
struct RowWrite {
    /// An R beat is taken.
    beat: SignalId,
    /// The beat is the row's last.
    row_done: SignalId,
    /// The beat's index in its row (0 at the row's first).
    k: rtl_gen::Reg,
    /// The beat rotated right by the row's first lane.
    rotated: SignalId,
    /// Per lane: the lane's byte belongs to the chunk after the beat's (`l + off >= B`).
    lane_high: Vec<ExprId>,
    /// The row's first lane.
    b_off: SignalId,
    /// The row's bytes.
    b_bytes: SignalId,
    /// Chunk writes: the last chunk is still to be written (`lw_flush`).
    flush: Option<rtl_gen::Reg>,
}

/// The whole-row local write register (`lw_byte<j>`, one register per row byte): lane `l`
/// of beat `k` is row byte `j = cB + l` for `k = c + (l + off >= B)`, written in place;
/// the first beat of a row clears every byte at or past `bytes`. Returns the write's
/// load (the row's last beat) and no last-chunk flag (every write is a whole row).
fn row_write(
    m: &mut ModuleBuilder,
    s: &DmaSizes,
    w: &RowWrite,
    lw_data_o: SignalId,
    lw_chunks_o: SignalId,
) -> (ExprId, Option<ExprId>) {
    let (b, r, rb) = (s.beat_bytes, s.row_bytes, s.bytes_bits);
    let k_max = s.max_row_beats() - 1;
    let chunks = s.chunks();
    let k_is: Vec<ExprId> = (0..=chunks).map(|c| super::equals(m, w.k, c, k_max)).collect();
    let zero8 = m.lit(0, 8);
    let mut row_bytes: Vec<ExprId> = Vec::with_capacity(r as usize);
    let beat_is: Vec<ExprId> = k_is.iter().map(|k| m.and(w.beat, *k)).collect();
    let first_beat = beat_is[0];
    for j in 0..r {
        let (c, l) = (j / b, j % b);
        let here = m.mux(w.lane_high[l as usize], beat_is[c as usize + 1], beat_is[c as usize]);
        let write = m.or(here, first_beat);
        let value = m.slice(w.rotated, 8 * l, 8);
        let value = if j == 0 {
            value // every row has a first byte
        } else {
            let index = m.lit(j.into(), rb);
            let past = m.le(w.b_bytes, index);
            m.mux(past, zero8, value)
        };
        let byte = m.reg(format!("lw_byte{j}"), 8).enable(write).build();
        m.next(byte, value);
        row_bytes.push(m.sig(byte.q));
    }
    let lw_data = m.concat(row_bytes.iter().rev().copied());
    m.assign(lw_data_o, lw_data);
    // Every chunk at once (`Bits::ones`: a row may have more than 64 chunks).
    let whole_row = m.lit_bits(Bits::ones(chunks));
    m.assign(lw_chunks_o, whole_row);
    (m.sig(w.row_done), None)
}

/// Chunk writes ([`DmaSizes::chunk_writes`]): the row goes out one beat-sized chunk at a
/// time, `lw_chunk` one-hot, from one chunk register (`lw_data`) and the lanes of the
/// beat before (`lw_hold`), instead of a whole row register. Chunk `c` is lanes `l + off
/// < B` of beat `c` and lanes `l + off >= B` of beat `c + 1`: with `off` = 0 it is written
/// at beat `c`; otherwise at beat `c + 1`, and the last one (when it has bytes the last
/// beat did not complete) in a cycle of its own after the last beat (`lw_flush`, the R
/// channel held meanwhile). Lanes at or past the row's `bytes` are zero, and chunks with
/// no byte of the row are not written. `lw_rem` counts the bytes from the next chunk on.
/// Returns the write's load and whether the chunk written is the row's last.
fn chunk_writes(
    m: &mut ModuleBuilder,
    s: &DmaSizes,
    w: &RowWrite,
    lw_valid: SignalId,
    lw_data_o: SignalId,
    lw_chunks_o: SignalId,
) -> (ExprId, Option<ExprId>) {
    let (b, r) = (s.beat_bytes, s.row_bytes);
    let lanes = b.min(r);
    let chunks = s.chunks();
    let flush = w.flush.expect("chunk writes have a flush");
    let k_max = s.max_row_beats() - 1;
    let first = super::equals(m, w.k, 0, k_max);
    let first = m.named("r_first_beat", first);
    let any_off = m.any(w.b_off);
    let aligned = m.not(any_off);
    let aligned = m.named("burst_aligned", aligned);
    // A beat completes a chunk unless it is the first of an unaligned row.
    let not_first = m.not(first);
    let completes = m.or(aligned, not_first);
    let at_beat = m.and(w.beat, completes);
    let at_beat = m.named("lw_chunk_done", at_beat);
    // The bytes from the chunk being written on, and its one-hot index: the row's from its
    // first beat (`lw_rem`, `lw_next_chunk` the registers for the beats after).
    let remw = clog2(u64::from(r + b) + 1);
    let rem = m.reg("lw_rem", remw).enable(w.beat).build();
    let next_chunk = m.reg("lw_next_chunk", chunks).enable(w.beat).build();
    let bytes = m.zext(w.b_bytes, remw);
    let rem_row = m.mux(first, bytes, rem);
    let one_hot0 = m.lit(1, chunks);
    let chunk_row = m.mux(first, one_hot0, next_chunk);
    let bw = m.lit(b.into(), remw);
    let rem_after = m.sub(rem_row, bw);
    let rem_next = m.mux(at_beat, rem_after, rem_row);
    m.next(rem, rem_next);
    let chunk_shifted = if chunks > 1 {
        let low = m.slice(chunk_row, 0, chunks - 1);
        let zero = m.lit(0, 1);
        m.concat([low, zero])
    } else {
        m.lit(0, 1)
    };
    let chunk_next = m.mux(at_beat, chunk_shifted, chunk_row);
    m.next(next_chunk, chunk_next);
    // The flush: after an unaligned row's last beat, when bytes are left for a chunk.
    let more = m.gt(rem_row, bw);
    let left = m.or(first, more);
    let unaligned = m.not(aligned);
    let flush_set = m.and(w.row_done, unaligned);
    let flush_set = m.and(flush_set, left);
    let lw_free = m.not(lw_valid);
    let flush_fire = m.and(flush, lw_free);
    let flush_fire = m.named("lw_flush_fire", flush_fire);
    let not_fire = m.not(flush_fire);
    let flush_held = m.and(flush, not_fire);
    let flush_next = m.or(flush_set, flush_held);
    m.next(flush, flush_next);
    let load = m.or(at_beat, flush_fire);
    let load = m.named("lw_load", load);
    // The chunk: per lane from this beat (aligned, or `l + off >= B`) or the one before;
    // zero at or past the row's bytes. In the flush no beat is taken: the lanes from "this
    // beat" are past the row then.
    let rem_now = m.mux(flush, rem, rem_row);
    let rem_now = m.named("lw_rem_now", rem_now);
    let hold = m.reg("lw_hold", 8 * lanes).enable(w.beat).build();
    let rotated_used = m.slice(w.rotated, 0, 8 * lanes);
    m.next(hold, rotated_used);
    let zero8 = m.lit(0, 8);
    let lanes_value: Vec<ExprId> = (0..lanes)
        .map(|l| {
            let now = m.slice(w.rotated, 8 * l, 8);
            let before = m.slice(hold, 8 * l, 8);
            let from_now = m.or(aligned, w.lane_high[l as usize]);
            let value = m.mux(from_now, now, before);
            if l == 0 {
                value // every chunk written has a first byte
            } else {
                let index = m.lit(l.into(), remw);
                let past = m.le(rem_now, index);
                m.mux(past, zero8, value)
            }
        })
        .collect();
    let value = m.concat(lanes_value.into_iter().rev());
    let data = m.reg("lw_data", 8 * lanes).enable(load).build();
    m.next(data, value);
    let chunk = m.reg("lw_chunk", chunks).enable(load).build();
    let chunk_value = m.mux(flush, next_chunk, chunk_row);
    m.next(chunk, chunk_value);
    let last = m.reg("lw_last", 1).enable(load).build();
    let not_more = m.not(more);
    let last_value = m.or(flush, not_more);
    m.next(last, last_value);
    // The chunk in every chunk's place of the row.
    let copies: Vec<ExprId> = (0..chunks).map(|_| m.sig(data.q)).collect();
    let row = m.concat(copies);
    let row = m.slice(row, 0, 8 * r);
    m.assign(lw_data_o, row);
    m.assign(lw_chunks_o, chunk);
    (m.sig(load), Some(m.sig(last.q)))
}

/// The wire `name`: `value` (whole bytes) rotated by `off` byte lanes, right (lane `l`
/// takes lane `l + off`) or left (lane `l` takes lane `l - off`), as `log2 lanes` levels
/// of 2:1 multiplexers (the levels before the last named `<name>_by<n>`).
fn rotate_lanes(
    m: &mut ModuleBuilder,
    name: &str,
    value: impl rtl_gen::IntoExpr,
    off: impl rtl_gen::IntoExpr,
    lanes: u32,
    left: bool,
) -> rtl_gen::SignalId {
    let mut v = value.into_expr(m);
    let off = off.into_expr(m);
    let width = m.width(v);
    let levels = m.width(off);
    for i in 0..levels {
        let n = (1u32 << i) % lanes;
        if n == 0 {
            continue;
        }
        let bits = 8 * n;
        let turned = if left {
            let high = m.slice(v, 0, width - bits);
            let low = m.slice(v, width - bits, bits);
            m.concat([high, low])
        } else {
            let high = m.slice(v, 0, bits);
            let low = m.slice(v, bits, width - bits);
            m.concat([high, low])
        };
        let sel = m.bit(off, i);
        v = m.mux(sel, turned, v);
        if i + 1 < levels {
            let level = m.named(format!("{name}_by{n}"), v);
            v = m.sig(level);
        }
    }
    m.named(name, v)
}
