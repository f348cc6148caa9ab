//! When a command at dispatch must wait for the commands of other trackers: the
//! scoreboard on local rows (`controller.scoreboard = true`), or, without it, a fixed
//! table of which trackers can conflict with which command.
//!
//! Both order exactly the same pairs of accesses; the table only assumes that any two
//! accesses to a memory may touch the same rows. Per tracker, what its incomplete
//! commands do to the local memories:
//!
//! | tracker | reads | writes |
//! |---|---|---|
//! | load (`mvin`) | | scratchpad or accumulator |
//! | preload (scratchpad `preload`) | scratchpad | |
//! | compute | scratchpad (A, B) | accumulator |
//! | store (`mvout`; with the scoreboard also the bias `preload`) | scratchpad or accumulator | |
//! | bias unit (accumulator `preload`) | accumulator | (the read-out's bias) |
//!
//! A command waits for a tracker when one of them writes what the other reads or
//! writes (read after write, write after read, write after write). Commands of one
//! tracker complete in order and need no check. The weight-stationary double buffer
//! needs none either: a `preload` and a `compute` never conflict on the memories (the
//! preload reads the scratchpad, the compute writes only the accumulator), and the engine
//! itself pairs each input with the weights of its own tile (`docs/architecture.md`,
//! the matrix engine); the `sequence` error keeps preloads and computes alternating.

use super::parts::{and_all, or_all, x, Ring};
use rtl_gen::{ExprId, ModuleBuilder};

/// The command at the head of the queue, as the hazard logic sees it.
pub(super) struct Cmd {
    pub(super) is_mvin: ExprId,
    pub(super) is_mvout: ExprId,
    pub(super) is_compute: ExprId,
    /// A scratchpad `preload` (weights).
    pub(super) pre_sp: ExprId,
    /// An accumulator `preload` (bias).
    pub(super) pre_acc: ExprId,
    /// The local address is in the accumulator.
    pub(super) loc_acc: ExprId,
    /// Local row (`lb` bits).
    pub(super) row: ExprId,
    /// A compute's A and B rows (`lb` bits).
    pub(super) a: ExprId,
    pub(super) b: ExprId,
    /// Rows or count (16 bits).
    pub(super) n: ExprId,
    /// Output-stationary mode.
    pub(super) mode_os: ExprId,
}

/// A local row range `[lo, hi)` in one memory (`space`: 0 scratchpad, 1 accumulator),
/// `valid` when the command has one.
#[derive(Clone, Copy)]
pub(super) struct Range {
    pub(super) valid: ExprId,
    pub(super) space: ExprId,
    pub(super) lo: ExprId,
    pub(super) hi: ExprId,
}

fn overlap(m: &mut ModuleBuilder, a: Range, b: Range) -> ExprId {
    let same = m.eq(a.space, b.space);
    let c1 = m.lt(a.lo, b.hi);
    let c2 = m.lt(b.lo, a.hi);
    and_all(m, [a.valid, b.valid, same, c1, c2])
}

/// The rows of the command at the head (`rb` = `lb + 1` bits, so that an end of
/// `2^lb` fits), pushed with it into its tracker: `lo` for every command, and each
/// tracker's `hi` (and a compute's read range, which covers A and B).
pub(super) struct Ranges {
    pub(super) lo: ExprId,
    /// `mvin` and `mvout`: `row + rows`.
    pub(super) mv_hi: ExprId,
    /// A store-tracker entry (a `mvout`, or a bias `preload`: one row).
    pub(super) st_hi: ExprId,
    /// A scratchpad `preload`: `row + rows`.
    pub(super) pre_hi: ExprId,
    /// A compute's read range (A, and B output-stationary) and the end of its writes.
    pub(super) c_rlo: ExprId,
    pub(super) c_rhi: ExprId,
    pub(super) c_whi: ExprId,
    new_w: Range,
    new_r: Range,
}

/// The ranges of `c` (valid only when its checks passed, which dispatch requires).
pub(super) fn ranges(m: &mut ModuleBuilder, rb: u32, array_rows: u32, c: &Cmd) -> Ranges {
    let to_rb = |m: &mut ModuleBuilder, v: ExprId| m.resize(v, rb, false);
    let row = to_rb(m, c.row);
    let n = to_rb(m, c.n);
    let mv_hi = m.add(row, n);
    let a = to_rb(m, c.a);
    let b = to_rb(m, c.b);
    let (c_rlo, c_rhi) = {
        let a_lt_b = m.lt(a, b);
        let lo = m.mux(a_lt_b, a, b);
        let hi0 = m.mux(a_lt_b, b, a);
        let hi_os = m.add(hi0, n);
        let hi_ws = m.add(a, n);
        let lo = m.mux(c.mode_os, lo, a);
        let hi = m.mux(c.mode_os, hi_os, hi_ws);
        (lo, hi)
    };
    let c_whi = {
        let k = m.lit(array_rows.into(), rb);
        let k = m.mux(c.mode_os, k, n);
        m.add(row, k)
    };
    let pre_hi = {
        let one = m.lit(1, rb);
        let k = m.mux(c.loc_acc, one, n);
        m.add(row, k)
    };
    let one1 = m.lit(1, 1);
    let zero1 = m.lit(0, 1);
    let new_w = {
        let valid = m.or(c.is_mvin, c.is_compute);
        let space = m.mux(c.is_compute, one1, c.loc_acc);
        let hi = m.mux(c.is_compute, c_whi, mv_hi);
        Range { valid, space, lo: row, hi }
    };
    let new_r = {
        let valid = or_all(m, [c.is_mvout, c.pre_sp, c.pre_acc, c.is_compute]);
        let space = m.mux(c.is_compute, zero1, c.loc_acc);
        let lo = m.mux(c.is_compute, c_rlo, row);
        let pre = m.or(c.pre_sp, c.pre_acc);
        let hi0 = m.mux(pre, pre_hi, mv_hi);
        let hi = m.mux(c.is_compute, c_rhi, hi0);
        Range { valid, space, lo, hi }
    };
    Ranges { lo: row, mv_hi, st_hi: new_r.hi, pre_hi, c_rlo, c_rhi, c_whi, new_w, new_r }
}

/// The trackers, for the hazard checks.
pub(super) struct Trackers<'a> {
    pub(super) ld: &'a Ring,
    pub(super) pr: &'a Ring,
    pub(super) cp: &'a Ring,
    pub(super) st: &'a Ring,
}

/// The scoreboard: the head's ranges overlap those of an incomplete command of another
/// tracker (the store tracker holds the bias `preload`s too).
pub(super) fn scoreboard_hazard(m: &mut ModuleBuilder, c: &Cmd, r: &Ranges, t: &Trackers) -> ExprId {
    let ring_range = |m: &mut ModuleBuilder, ring: &Ring, i: u32, space: ExprId, lo: &str, hi: &str| Range {
        valid: m.sig(ring.valid[i as usize].q),
        space,
        lo: m.sig(ring.entry(i, lo).q),
        hi: m.sig(ring.entry(i, hi).q),
    };
    let unit_st = m.or(c.is_mvout, c.pre_acc);
    let not_ld = m.not(c.is_mvin);
    let not_pre = m.not(c.pre_sp);
    let not_cmp = m.not(c.is_compute);
    let not_st = m.not(unit_st);
    let (new_w, new_r) = (r.new_w, r.new_r);
    let mut hz = Vec::new();
    for i in 0..t.ld.depth {
        let ld_space = m.sig(t.ld.entry(i, "acc").q);
        let ldw = ring_range(m, t.ld, i, ld_space, "lo", "hi");
        let z = m.lit(0, 1);
        let prr_r = ring_range(m, t.pr, i, z, "lo", "hi");
        let z = m.lit(0, 1);
        let cp_r = ring_range(m, t.cp, i, z, "rlo", "rhi");
        let o = m.lit(1, 1);
        let cp_w = ring_range(m, t.cp, i, o, "wlo", "whi");
        let st_space = m.sig(t.st.entry(i, "acc").q);
        let st_r = ring_range(m, t.st, i, st_space, "lo", "hi");
        let a = overlap(m, new_w, ldw);
        let b = overlap(m, new_r, ldw);
        let ab = m.or(a, b);
        hz.push(m.and(ab, not_ld));
        let a = overlap(m, new_w, prr_r);
        hz.push(m.and(a, not_pre));
        let a = overlap(m, new_w, cp_r);
        let b = overlap(m, new_w, cp_w);
        let d = overlap(m, new_r, cp_w);
        let abd = or_all(m, [a, b, d]);
        hz.push(m.and(abd, not_cmp));
        let a = overlap(m, new_w, st_r);
        hz.push(m.and(a, not_st));
    }
    or_all(m, hz)
}

/// Without the scoreboard: the table of the module doc, every range taken as its whole
/// memory (`bias_busy`: the bias unit is reading its row; the store tracker holds only
/// `mvout`s). A bias `preload` also waits for every `mvout` in flight, whose read-out
/// uses the bias it replaces.
pub(super) fn table_hazard(m: &mut ModuleBuilder, c: &Cmd, t: &Trackers, bias_busy: ExprId) -> ExprId {
    let busy = |m: &mut ModuleBuilder, r: &Ring| {
        let e = r.empty(m);
        m.not(e)
    };
    let (ld, pr, cp, st) = (busy(m, t.ld), busy(m, t.pr), busy(m, t.cp), busy(m, t.st));
    let mvin = {
        let e = or_all(m, [pr, cp, st, bias_busy]);
        m.and(c.is_mvin, e)
    };
    let mvout = {
        let e = or_all(m, [ld, cp, bias_busy]);
        m.and(c.is_mvout, e)
    };
    let pre_sp = m.and(c.pre_sp, ld);
    let pre_acc = {
        let e = or_all(m, [ld, cp, st, bias_busy]);
        m.and(c.pre_acc, e)
    };
    let compute = {
        let e = or_all(m, [ld, st, bias_busy]);
        m.and(c.is_compute, e)
    };
    or_all(m, [x(mvin), x(mvout), x(pre_sp), x(pre_acc), x(compute)])
}
