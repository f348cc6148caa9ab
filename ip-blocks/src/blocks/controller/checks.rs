//! The two dispatch checks whose arithmetic would follow the instruction set's field
//! widths, narrowed to what the configuration needs while giving exactly the golden
//! model's answer (`docs/isa.md`, "Errors"; `ip_blocks::model`):
//!
//! - [`past_end`]: does a local row range `[row, row + n)` run past the end of its memory?
//!   Done on the narrowed row and count the command queue keeps (`LB` =
//!   [`Geometry::local_row_bits`] bits and a flag for a row, `LB + 1` or more bits and a
//!   flag for a count) rather than at the 29-bit row and 16-bit count of a command.
//! - [`window_check`]: the last main-memory byte of a `mvin`/`mvout`,
//!   `dram + (rows - 1) * stride + bytes - 1`, against the DMA window, by a shift-add
//!   multiply in 32-bit registers with an overflow flag rather than a 48-bit product.
//!   With a one-entry command queue, [`window_check_serial`] does it one bit per cycle
//!   instead, on the stride and the host's registers turning ([`super::turns_window`]).
//!
//! [`Geometry::local_row_bits`]: crate::geometry::Geometry::local_row_bits

use super::parts::{or_all, x};
use super::queue::Narrow;
use crate::blocks::util::rotate_right_1;
use rtl_gen::{ExprId, ModuleBuilder, Reg, SignalId};

/// `row + n > limit`, exactly, for a command that `Instr::decode` accepts (so `n >= 1`).
///
/// `row` is a row narrowed to `lb` bits, `n` a count narrowed to `nw >= lb + 1` bits
/// ([`Narrow`]), `limit` the rows of the memory (at most `2^lb`, any width up to
/// `nw + 1`). Why this is the model's `row + n > limit` in 64 bits:
///
/// - `row >= 2^lb` (`row.big`): `row + n >= 2^lb + 1 > limit`: past the end;
/// - `n >= 2^nw` (`n.big`): `row + n > 2^lb >= limit`: past the end;
/// - otherwise `row < 2^lb` and `n < 2^nw`, so `row + n < 2^(nw + 1)`: the sum and the
///   compare are exact in `nw + 1` bits.
///
/// A count of 0 is an illegal command, which takes precedence over every other error,
/// so the first case need not hold for it.
pub(super) fn past_end(m: &mut ModuleBuilder, row: Narrow, n: Narrow, limit: ExprId) -> ExprId {
    let w = m.width(n.lo) + 1;
    let r = m.zext(row.lo, w);
    let k = m.zext(n.lo, w);
    let end = m.add(r, k);
    let lim = m.zext(limit, w);
    let over = m.gt(end, lim);
    or_all(m, [row.big, n.big, over])
}

/// The DMA-window check of the `mvin`/`mvout` at the command queue's head.
pub(super) struct WindowCheck {
    /// The multiply has finished: `err` is valid.
    pub(super) done: ExprId,
    /// A byte of the transfer lies outside `[window_base, window_limit]`.
    pub(super) err: ExprId,
}

/// The inputs of [`window_check`].
pub(super) struct WindowInputs {
    /// Start the multiply (an error-free `mvin`/`mvout` at the head, checker idle).
    pub(super) start: ExprId,
    /// The head leaves (dispatched, failed, or soft reset): back to idle.
    pub(super) leave: ExprId,
    /// Main-memory address of row 0 (32 bits).
    pub(super) dram: ExprId,
    /// Bytes between rows (32 bits, unsigned as in the model).
    pub(super) stride: ExprId,
    /// `rows - 1`, at most `2^lb - 1` once the local-range check has passed.
    pub(super) rows_m1: ExprId,
    /// Bytes of one row, at least 1 once the size check has passed.
    pub(super) bytes: ExprId,
    /// `[window_base, window_limit]`, inclusive (32 bits each).
    pub(super) window_base: ExprId,
    pub(super) window_limit: ExprId,
}

/// Last byte = `dram + (bytes - 1) + (rows - 1) * stride`, by shift-add, one cycle per
/// bit of `rows - 1` up to its highest one (the multiplier shifts right and the
/// multiplicand left until the multiplier is zero), then one cycle to compare it with the
/// window into a register.
///
/// Why 32-bit registers and an overflow flag give the model's answer: the model
/// computes the last byte without wrapping (`dma_span`, in 64 bits) and compares it with
/// `window_limit < 2^32`. The sum is kept as `acc = (bytes - 1) + partial product`; every
/// addend is non-negative, so the true `acc` only grows, and it reaches `2^32` exactly
/// when an addition carries out of bit 31 or adds a multiplicand that has itself passed
/// `2^32` (a one shifted out of its bit 31; its flag remembers that). From then on the
/// last byte is at least `2^32 > window_limit`: outside the window, whatever the low
/// bits say, so the flag alone decides. Otherwise `acc` is exact and
/// `dram + acc` is compared in 33 bits. The lower bound is `dram >= window_base`.
/// Strides are unsigned (a "negative" one is a large positive stride: only a 1-row
/// transfer can use it).
pub(super) fn window_check(m: &mut ModuleBuilder, soft: SignalId, i: WindowInputs) -> WindowCheck {
    let bw = m.width(i.rows_m1);
    // 0 idle, 1 multiplying, 2 comparing, 3 done (the result registered, so that the
    // compare's carry chains stay out of dispatch's path).
    let state = m.reg("win_state", 2).reset(0).build();
    let acc = m.reg("win_sum", 32).build();
    let acc_over = m.reg("win_sum_over", 1).build();
    let a = m.reg("win_multiplicand", 32).build();
    let a_over = m.reg("win_multiplicand_over", 1).build();
    let b = m.reg("win_multiplier", bw).build();
    let idle = m.eq_const(state, 0);
    let run = m.eq_const(state, 1);
    let comparing = m.eq_const(state, 2);
    let done = {
        let e = m.eq_const(state, 3);
        let s = m.named("win_done", e);
        m.sig(s)
    };
    let start = m.and(idle, i.start);
    let b_zero = m.is_zero(b);
    let finishing = m.and(run, b_zero);
    {
        let leave = m.or(i.leave, soft);
        let one = m.lit(1, 2);
        let zero = m.lit(0, 2);
        // 1 -> 2 -> 3: the state plus one.
        let up = m.inc(state);
        let v = m.mux(start, one, up);
        let v = m.mux(leave, zero, v);
        let en = or_all(m, [start, finishing, comparing, leave]);
        m.next(state, v);
        m.set_enable(state, en);
    }
    let nb = m.not(b_zero);
    let stepping = m.and(run, nb);
    let en = m.or(start, stepping);
    let bit0 = m.bit(b, 0);
    // The sum: starts at bytes - 1, adds the multiplicand where the multiplier has a one.
    {
        let a33 = m.zext(a, 33);
        let s33 = m.zext(acc, 33);
        let sum = m.add(s33, a33);
        let carry = m.bit(sum, 32);
        let low = m.slice(sum, 0, 32);
        let stepv = m.mux(bit0, low, acc);
        let bm1 = {
            let d = m.dec(i.bytes);
            m.resize(d, 32, false)
        };
        let v = m.mux(start, bm1, stepv);
        m.next(acc, v);
        m.set_enable(acc, en);
        let big = m.or(carry, a_over);
        let added_big = m.and(bit0, big);
        let ov = m.or(acc_over, added_big);
        let z = m.lit(0, 1);
        let ov = m.mux(start, z, ov);
        m.next(acc_over, ov);
        m.set_enable(acc_over, en);
    }
    // The multiplicand: the stride, doubled every step.
    {
        let one = m.lit(1, 32);
        let sh = m.shl(a, one);
        let v = m.mux(start, i.stride, sh);
        m.next(a, v);
        m.set_enable(a, en);
        let top = m.bit(a, 31);
        let ov = m.or(a_over, top);
        let z = m.lit(0, 1);
        let ov = m.mux(start, z, ov);
        m.next(a_over, ov);
        m.set_enable(a_over, en);
    }
    // The multiplier: rows - 1, halved every step.
    {
        let one = m.lit(1, bw);
        let sh = m.shr(b, one);
        let v = m.mux(start, i.rows_m1, sh);
        m.next(b, v);
        m.set_enable(b, en);
    }
    let err = {
        let d = m.zext(i.dram, 33);
        let s = m.zext(acc, 33);
        let last = m.add(d, s);
        let lim = m.zext(i.window_limit, 33);
        let hi_bad = m.gt(last, lim);
        let hi_bad = m.or(hi_bad, acc_over);
        let lo_bad = m.lt(i.dram, i.window_base);
        let e = m.or(hi_bad, lo_bad);
        let r = m.reg("win_err", 1).build();
        m.next(r, e);
        m.set_enable(r, comparing);
        let s = m.named("err_dma_window", r);
        m.sig(s)
    };
    WindowCheck { done, err }
}

/// The inputs of [`window_check_serial`].
pub(super) struct SerialInputs {
    /// Start (an error-free `mvin`/`mvout` at the head, checker idle, and no transfer
    /// of its side in flight: the DMA reads the stride while one runs).
    pub(super) start: ExprId,
    /// The head leaves (dispatched or failed) or a soft reset: back to idle (never while
    /// the registers turn: the head waits for the result, and the soft reset for the
    /// turn, [`SerialCheck::turning`]).
    pub(super) leave: ExprId,
    /// Rows, at least 1 (`Instr::decode` refuses 0), held while the check runs.
    pub(super) rows: ExprId,
    /// Bytes of one row, at least 1 once the size check has passed.
    pub(super) bytes: ExprId,
    /// Bit 0 of the turning stride (unsigned), main-memory address of row 0 and window
    /// bounds: in the `j`-th cycle of the turn, bit `j` of each.
    pub(super) stride: ExprId,
    pub(super) dram: ExprId,
    pub(super) window_base: ExprId,
    pub(super) window_limit: ExprId,
}

/// [`window_check_serial`]'s result and the turn it asks for.
pub(super) struct SerialCheck {
    pub(super) check: WindowCheck,
    /// The stride register of the command's side and the host's address word and
    /// window bounds turn right by one bit (32 cycles, so they end where they started).
    pub(super) turning: ExprId,
}

/// The DMA-window check one bit per cycle, for a one-entry command queue: the same
/// answer as [`window_check`] in 33 cycles (start, 32 turning) with an adder
/// as wide as `rows` and a few one-bit registers instead of 32-bit registers and three
/// more 33-bit carry chains.
///
/// The last byte is `dram + V` with `V = P - stride - 1` and `P = bytes + rows *
/// stride`. `P` comes out least significant bit first from a shift-add multiplier that
/// takes the stride one bit per cycle: the sum starts at `bytes`; in cycle `j` it adds
/// `rows` if bit `j` of the stride is set, gives its low bit as bit `j` of `P`, and keeps
/// the rest (`sum >> 1`, which stays within the wider of `rows` and `bytes`). In the same
/// cycle a one-bit subtractor (its borrow starts at 1) takes bit `j` of the stride from
/// it, giving bit `j` of `V`; a one-bit adder with its carry adds bit `j` of `dram`; and
/// two one-bit comparators (the last bit that differs decides) give `last[31:0] >
/// window_limit` and `dram < window_base`. After 32 cycles the sum holds `P >> 32` and
/// `V >> 32` is that minus the final borrow (`V >= 0` as `rows, bytes >= 1`), so `V >=
/// 2^32` exactly when the sum is above the borrow. The transfer is outside the window
/// when `V >= 2^32`, the adder carries out of bit 31, or either comparison holds; as in
/// [`window_check`], the model's unwrapped last byte is then above `window_limit < 2^32`.
pub(super) fn window_check_serial(m: &mut ModuleBuilder, i: SerialInputs) -> SerialCheck {
    let w = m.width(i.rows).max(m.width(i.bytes));
    // 0 idle, 1 turning (32 cycles), 2 done (the result is in the one-bit registers).
    let state = m.reg("win_state", 2).reset(0).build();
    let bit = m.reg("win_bit", 5).reset(0).build();
    let acc = m.reg("win_sum", w).build();
    let borrow = m.reg("win_borrow", 1).build();
    let carry = m.reg("win_carry", 1).build();
    let above = m.reg("win_above", 1).build();
    let below = m.reg("win_below", 1).build();
    let idle = m.eq_const(state, 0);
    let run = {
        let e = m.eq_const(state, 1);
        m.named("win_turning", e)
    };
    let done = {
        let e = m.eq_const(state, 2);
        let s = m.named("win_done", e);
        m.sig(s)
    };
    let start = m.and(idle, i.start);
    let last_bit = m.eq_const(bit, 31);
    let finishing = m.and(run, last_bit);
    {
        let nr = m.not(run);
        let leave = m.and(i.leave, nr);
        let one = m.lit(1, 2);
        let zero = m.lit(0, 2);
        let two = m.lit(2, 2);
        let v = m.mux(start, one, two);
        let v = m.mux(leave, zero, v);
        let en = or_all(m, [start, finishing, leave]);
        m.next(state, v);
        m.set_enable(state, en);
        // Wraps to 0 after the 32nd cycle.
        let v = m.inc(bit);
        m.next(bit, v);
        m.set_enable(bit, run);
    }
    let en = m.or(start, run);
    // A one-bit register of the serial arithmetic: `init` at the start, then `v`.
    let serial = |m: &mut ModuleBuilder, r: Reg, init: u64, v: ExprId| {
        let k = m.lit(init, 1);
        let v = m.mux(start, k, v);
        m.next(r, v);
        m.set_enable(r, en);
    };
    // The partial sum: bytes at the start, then (sum + rows if the stride's bit is set) >> 1.
    let p_bit = {
        let zero = m.lit(0, w);
        let rows = m.zext(i.rows, w);
        let addend = m.mux(i.stride, rows, zero);
        let a = m.zext(addend, w + 1);
        let s = m.zext(acc, w + 1);
        let sum = m.add(s, a);
        let rest = m.slice(sum, 1, w);
        let bytes = m.zext(i.bytes, w);
        let v = m.mux(start, bytes, rest);
        m.next(acc, v);
        m.set_enable(acc, en);
        let low = m.bit(sum, 0);
        m.named("win_p_bit", low)
    };
    // Bit j of V = P - stride - 1, of last = dram + V, and the comparisons, least
    // significant bit first.
    let v_bit = {
        let p = m.sig(p_bit);
        let t = m.xor(p, i.stride);
        let d = m.xor(t, borrow);
        // Borrow out of p - stride - borrow: p below stride + borrow.
        let np = m.not(p);
        let nt = m.not(t);
        let b1 = m.and(np, i.stride);
        let b2 = m.and(nt, borrow);
        let b = m.or(b1, b2);
        serial(m, borrow, 1, b);
        m.named("win_v_bit", d)
    };
    let last_bit = {
        let vb = m.sig(v_bit);
        let t = m.xor(vb, i.dram);
        let s = m.xor(t, carry);
        let g = m.and(vb, i.dram);
        let p = m.and(t, carry);
        let c = m.or(g, p);
        serial(m, carry, 0, c);
        m.named("win_last_bit", s)
    };
    for (r, a, b) in [(above, m.sig(last_bit), i.window_limit), (below, i.window_base, i.dram)] {
        // `a > b` so far: where the bits differ, `a`'s bit says which is greater.
        let differ = m.xor(a, b);
        let v = m.mux(differ, a, r);
        serial(m, r, 0, v);
    }
    let err = {
        // V >> 32 = sum - borrow, at least 1.
        let big = {
            let hi = m.slice(acc, 1, w - 1);
            let hi = m.any(hi);
            let lo = m.bit(acc, 0);
            let nb = m.not(borrow);
            let one = m.and(lo, nb);
            m.or(hi, one)
        };
        let e = or_all(m, [x(big), x(carry), x(above), x(below)]);
        let s = m.named("err_dma_window", e);
        m.sig(s)
    };
    SerialCheck { check: WindowCheck { done, err }, turning: m.sig(run) }
}

/// A register that `en` loads with `value` and the soft reset clears, as
/// [`super::parts::soft_next`], and that turns right by one bit while `turn` is high
/// (never together with either).
pub(super) fn soft_next_turning(
    m: &mut ModuleBuilder,
    r: Reg,
    soft: SignalId,
    en: ExprId,
    value: ExprId,
    turn: ExprId,
) {
    let w = m.width(value);
    let turned = rotate_right_1(m, r);
    let zero = m.lit(0, w);
    let v = m.mux(soft, zero, value);
    let v = m.mux(turn, turned, v);
    m.next(r, v);
    let e = or_all(m, [x(en), x(soft), x(turn)]);
    m.set_enable(r, e);
}
