//! Small pieces of hardware that several blocks build the same way.

use rtl_gen::ir::clog2;
use rtl_gen::{ExprId, IntoExpr, ModuleBuilder, SignalId};

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
