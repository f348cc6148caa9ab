//! Small pieces of hardware that several blocks build the same way.

use rtl_gen::ir::clog2;
use rtl_gen::{ExprId, IntoExpr, ModuleBuilder, SignalId};

/// `r` turned right by one bit: bit 0 goes to the top, every other bit down by one.
pub fn rotate_right_1(m: &mut ModuleBuilder, r: impl IntoExpr) -> ExprId {
    let r = r.into_expr(m);
    let w = m.width(r);
    let hi = m.slice(r, 1, w - 1);
    let lo = m.bit(r, 0);
    m.concat([lo, hi])
}

/// A counter over `0..n` advancing when `en` is high, if `n > 1`: (counter, `en` and at
/// the last value). For `n == 1` there is no counter and the second value is `en`.
pub fn wrapping_counter(m: &mut ModuleBuilder, name: &str, n: u32, en: impl IntoExpr) -> (Option<SignalId>, ExprId) {
    let en = en.into_expr(m);
    if n == 1 {
        return (None, en);
    }
    let w = clog2(n.into()).max(1);
    let cnt = m.reg(name, w).reset(0).enable(en).build();
    let last_value = m.lit(u64::from(n - 1), w);
    let at_last = m.eq(cnt, last_value);
    let one = m.lit(1, w);
    let inc = m.add(cnt, one);
    let zero = m.lit(0, w);
    let next = m.mux(at_last, zero, inc);
    m.next(cnt, next);
    let wrap = m.and(en, at_last);
    (Some(cnt.q), wrap)
}

/// `items[sel]`, as a tree of 2:1 multiplexers on the bits of `sel` (an index past the
/// end selects the last item).
pub fn select(m: &mut ModuleBuilder, sel: impl IntoExpr, items: Vec<ExprId>) -> ExprId {
    let sel = sel.into_expr(m);
    let mut level = items;
    let mut bit = 0;
    while level.len() > 1 {
        let s = m.bit(sel, bit);
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        for pair in level.chunks(2) {
            next.push(if pair.len() == 2 { m.mux(s, pair[1], pair[0]) } else { pair[0] });
        }
        level = next;
        bit += 1;
    }
    level[0]
}
