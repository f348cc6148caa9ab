//! Formal properties the blocks emit into their own files (under `` `ifdef FORMAL``, for
//! SymbiYosys): the shapes that recur across blocks, written once.
//!
//! Every property reads only the block's own signals and formal-only helper registers
//! (`f_*`), so a proof runs on the block alone. Assertions are what the block promises;
//! assumptions are what it needs from its neighbours (named `f_env_*`), stated where the
//! block's documentation states them. Properties hold from the cycle after the first
//! edge; every proof assumes reset in the first cycle ([`ModuleBuilder::assume_initial_reset`]).

use rtl_gen::ir::PropertyKind;
use rtl_gen::{ExprId, IntoExpr, ModuleBuilder, SignalId};

/// `past_valid && !$past(rst)`: the previous edge was a normal (not reset) cycle.
pub fn past_running(m: &mut ModuleBuilder) -> ExprId {
    let pv = m.formal_past_valid();
    let rst = m.reset();
    let past_rst = m.past_of(rst);
    let running = m.not(past_rst);
    m.and(pv, running)
}

/// `valid` was high and `ready` low at the previous edge (and no reset): the transfer is
/// still owed.
fn past_stall(m: &mut ModuleBuilder, valid: SignalId, ready: SignalId) -> ExprId {
    let running = past_running(m);
    let pv = m.past_of(valid);
    let pr = m.past_of(ready);
    let not_pr = m.not(pr);
    let stalled = m.and(pv, not_pr);
    m.and(running, stalled)
}

/// `payload == $past(payload)` for every signal of `payload`.
fn unchanged(m: &mut ModuleBuilder, payload: &[SignalId]) -> ExprId {
    let mut all = m.lit(1, 1);
    for p in payload {
        let past = m.past_of(*p);
        let same = m.eq(*p, past);
        all = m.and(all, same);
    }
    all
}

/// The block's output channel `valid`/`ready` (outputs `valid` and `payload`, input
/// `ready`) keeps its offer: once `valid` is high and `ready` low, the next cycle still has
/// `valid` high and the same payload, so a stall never loses or changes a transfer.
pub fn assert_offer_held(m: &mut ModuleBuilder, channel: &str, valid: SignalId, ready: SignalId, payload: &[SignalId]) {
    let stall = past_stall(m, valid, ready);
    let held = unchanged(m, payload);
    let held = m.and(valid, held);
    m.assert_when(
        format!("f_{channel}_offer_held"),
        format!("{channel}: valid high and not ready keeps valid high and the payload stable"),
        stall,
        held,
    );
}

/// The same rule for a channel into the block: assumed of the neighbour.
pub fn assume_offer_held(m: &mut ModuleBuilder, channel: &str, valid: SignalId, ready: SignalId, payload: &[SignalId]) {
    let stall = past_stall(m, valid, ready);
    let held = unchanged(m, payload);
    let held = m.and(valid, held);
    m.assume_when(
        format!("f_env_{channel}_offer_held"),
        format!("{channel} (from the neighbour): a stalled offer stays, payload stable"),
        stall,
        held,
    );
}

/// A formal up/down counter `f_<name>` of `width` bits (cleared by reset): `up` adds one,
/// `down` removes one, both at once leave it.
pub fn counter(m: &mut ModuleBuilder, name: &str, width: u32, up: ExprId, down: ExprId) -> ExprId {
    let c = m.formal_reg_decl(format!("f_{name}"), width, Some(0));
    let plus = m.inc(c);
    let minus = m.dec(c);
    let nd = m.not(down);
    let nu = m.not(up);
    let only_up = m.and(up, nd);
    let only_down = m.and(down, nu);
    let v = m.mux(only_down, minus, c);
    let v = m.mux(only_up, plus, v);
    let zero = m.lit(0, width);
    let rst = m.reset();
    let v = m.mux(rst, zero, v);
    m.formal_next(c, v);
    c
}

/// `valid && ready` of two signals.
pub fn fire(m: &mut ModuleBuilder, valid: impl IntoExpr, ready: impl IntoExpr) -> ExprId {
    m.and(valid, ready)
}

/// Properties of a first-in first-out queue of `depth` entries holding `count` (a signal
/// of the block), with `push`/`pop` this cycle, `word` the value pushed and `head` the
/// value at the head:
/// - `f_<name>_no_overflow`: no push into a full queue unless the head leaves at the same edge;
/// - `f_<name>_no_underflow`: no pop from an empty queue;
/// - `f_<name>_count_bounded`: `count <= depth`;
/// - `f_<name>_in_order`: a tracked entry (the solver chooses which push, `f_<name>_pick`)
///   stays inside the queue, moves one place per pop and leaves unchanged exactly when it
///   reaches the head: nothing is lost, duplicated, reordered or corrupted;
/// - `f_<name>_tracked_leaves` (cover): a tracked entry does leave.
#[allow(clippy::too_many_arguments)]
pub fn fifo(
    m: &mut ModuleBuilder,
    name: &str,
    depth: u32,
    count: SignalId,
    push: SignalId,
    pop: SignalId,
    word: ExprId,
    head: ExprId,
) {
    let cw = m.module().signal(count).width;
    let full = {
        let d = m.lit(depth.into(), cw);
        m.eq(count, d)
    };
    let empty = m.is_zero(count);
    let not_pop = m.not(pop);
    let push_only = m.and(push, not_pop);
    let overflow = m.and(push_only, full);
    let ok = m.not(overflow);
    m.assert_always(format!("f_{name}_no_overflow"), format!("{name}: no push into a full queue"), ok);
    let underflow = m.and(pop, empty);
    let ok = m.not(underflow);
    m.assert_always(format!("f_{name}_no_underflow"), format!("{name}: no pop from an empty queue"), ok);
    let d = m.lit(depth.into(), cw);
    let bounded = m.le(count, d);
    m.assert_always(format!("f_{name}_count_bounded"), format!("{name}: at most {depth} entries"), bounded);

    // The tracked entry.
    let rst = m.reset();
    let pick = m.any_seq(format!("f_{name}_pick"), 1);
    let tracking = m.formal_reg_decl(format!("f_{name}_tracking"), 1, Some(0));
    let pos = m.formal_reg_decl(format!("f_{name}_pos"), cw, None);
    let ww = m.width(word);
    let value = m.formal_reg_decl(format!("f_{name}_value"), ww, None);
    let not_tracking = m.not(tracking);
    let start = m.and(push, pick);
    let start = m.and(start, not_tracking);
    let at_head = m.is_zero(pos);
    let leaves = m.and(tracking, pop);
    let leaves = m.and(leaves, at_head);
    let moves = m.and(tracking, pop);
    // Tracking: set by start, cleared when the entry leaves or by reset.
    let not_leaves = m.not(leaves);
    let keep = m.and(tracking, not_leaves);
    let t_next = m.or(start, keep);
    let zero1 = m.lit(0, 1);
    let t_next = m.mux(rst, zero1, t_next);
    m.formal_next(tracking, t_next);
    // Position: the new entry goes behind the `count` held (one less if the head leaves).
    let pop_w = m.zext(pop, cw);
    let entry_pos = m.sub(count, pop_w);
    let pos_dec = m.dec(pos);
    let p_next = m.mux(moves, pos_dec, pos);
    let p_next = m.mux(start, entry_pos, p_next);
    m.formal_next(pos, p_next);
    let v_next = m.mux(start, word, value);
    m.formal_next(value, v_next);

    let inside = m.lt(pos, count);
    m.assert_when(
        format!("f_{name}_tracked_inside"),
        format!("{name}: the tracked entry is still in the queue"),
        tracking,
        inside,
    );
    let same = m.eq(head, value);
    m.assert_when(
        format!("f_{name}_in_order"),
        format!("{name}: the tracked entry leaves unchanged, after everything pushed before it"),
        leaves,
        same,
    );
    let pv = m.formal_past_valid();
    let c = m.and(pv, leaves);
    m.property(
        PropertyKind::Cover,
        format!("f_{name}_tracked_leaves"),
        format!("{name}: a tracked entry leaves"),
        None,
        c,
    );
    let fill = m.and(pv, full);
    m.property(PropertyKind::Cover, format!("f_{name}_fills"), format!("{name}: the queue fills up"), None, fill);
}

/// An AXI4 INCR burst on an address channel (`valid`, `addr`, `len`; beats of `beat_bytes`)
/// stays inside one 4 KB page: `addr % 4096 + (len + 1) * beat_bytes <= 4096`.
pub fn assert_burst_in_page(
    m: &mut ModuleBuilder,
    channel: &str,
    valid: SignalId,
    addr: SignalId,
    len: SignalId,
    beat_bytes: u32,
) {
    let page = m.slice(addr, 0, 12);
    let page = m.zext(page, 22);
    let len_w = m.zext(len, 22);
    let beats = m.inc(len_w);
    let shift = rtl_gen::ir::clog2(beat_bytes.into());
    let k = m.lit(shift.into(), 5);
    let span = m.shl(beats, k);
    let end = m.add(page, span);
    let limit = m.lit(4096, 22);
    let ok = m.le(end, limit);
    m.assert_when(
        format!("f_{channel}_burst_in_page"),
        format!("{channel}: the burst does not cross a 4 KB boundary"),
        valid,
        ok,
    );
}

/// AXI4 `AxSIZE` is the beat size and `AxBURST` is INCR whenever `valid` is high.
pub fn assert_burst_kind(
    m: &mut ModuleBuilder,
    channel: &str,
    valid: SignalId,
    size: SignalId,
    burst: SignalId,
    beat_bytes: u32,
) {
    let shift = rtl_gen::ir::clog2(beat_bytes.into());
    let ok_size = m.eq_const(size, shift.into());
    let ok_burst = m.eq_const(burst, 1);
    let ok = m.and(ok_size, ok_burst);
    m.assert_when(
        format!("f_{channel}_size_incr"),
        format!("{channel}: AxSIZE is the beat size, AxBURST is INCR"),
        valid,
        ok,
    );
}
