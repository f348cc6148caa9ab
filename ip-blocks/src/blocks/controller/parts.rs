//! Small pieces the controller is built from: an operand type for inline lists, register
//! helpers with the soft reset, the in-order command rings of the trackers, register
//! FIFOs, the queues of scratchpad readers, and scratchpad bank selection.

use crate::geometry::Geometry;
use rtl_gen::ir::clog2;
use rtl_gen::{ExprId, IntoExpr, ModuleBuilder, Reg, SignalId};

/// An operand of either kind, so that lists of signals and expressions can be written
/// inline.
#[derive(Clone, Copy)]
pub(super) enum Ex {
    S(SignalId),
    E(ExprId),
    R(Reg),
}

impl IntoExpr for Ex {
    fn into_expr(self, m: &mut ModuleBuilder) -> ExprId {
        match self {
            Ex::S(s) => m.sig(s),
            Ex::E(e) => e,
            Ex::R(r) => m.sig(r.q),
        }
    }
}

impl From<SignalId> for Ex {
    fn from(s: SignalId) -> Self {
        Ex::S(s)
    }
}

impl From<ExprId> for Ex {
    fn from(e: ExprId) -> Self {
        Ex::E(e)
    }
}

impl From<Reg> for Ex {
    fn from(r: Reg) -> Self {
        Ex::R(r)
    }
}

pub(super) fn x(v: impl Into<Ex>) -> Ex {
    v.into()
}

pub(super) fn and_all<T: Into<Ex>>(m: &mut ModuleBuilder, xs: impl IntoIterator<Item = T>) -> ExprId {
    let es: Vec<ExprId> = xs.into_iter().map(|v| v.into().into_expr(m)).collect();
    es.into_iter().reduce(|a, b| m.and(a, b)).unwrap_or_else(|| m.lit(1, 1))
}

/// `!a | b`: `b` holds whenever `a` does (a wait that applies only to some commands).
pub(super) fn implies(m: &mut ModuleBuilder, a: impl IntoExpr, b: impl IntoExpr) -> ExprId {
    let n = m.not(a);
    m.or(n, b)
}

pub(super) fn or_all<T: Into<Ex>>(m: &mut ModuleBuilder, xs: impl IntoIterator<Item = T>) -> ExprId {
    let es: Vec<ExprId> = xs.into_iter().map(|v| v.into().into_expr(m)).collect();
    es.into_iter().reduce(|a, b| m.or(a, b)).unwrap_or_else(|| m.lit(0, 1))
}

/// A register cleared by the soft reset as by `rst_i`: `en` loads `value`, `soft`
/// loads `reset`.
pub(super) fn soft_next(
    m: &mut ModuleBuilder,
    r: Reg,
    soft: SignalId,
    en: impl IntoExpr,
    value: impl IntoExpr,
    reset: u64,
) {
    let en = en.into_expr(m);
    let value = value.into_expr(m);
    let w = m.module().signal(r.q).width;
    let rv = m.lit(reset, w);
    let v = m.mux(soft, rv, value);
    m.next(r, v);
    let e = m.or(en, soft);
    m.set_enable(r, e);
}

/// A counter that `up` increments and `down` decrements (both at once: unchanged),
/// cleared by the soft reset.
pub(super) fn soft_up_down(m: &mut ModuleBuilder, r: Reg, soft: SignalId, up: ExprId, down: ExprId) {
    let plus = m.inc(r);
    let minus = m.dec(r);
    let only_up = {
        let nd = m.not(down);
        m.and(up, nd)
    };
    let only_down = {
        let nu = m.not(up);
        m.and(down, nu)
    };
    let v = m.mux(only_up, plus, minus);
    let en = m.or(only_up, only_down);
    soft_next(m, r, soft, en, v, 0);
}

/// Which of a ring's pointers names an entry.
#[derive(Clone, Copy)]
pub(super) enum Ptr {
    /// The oldest incomplete command.
    Head,
    /// The oldest command not yet handed to its unit.
    Issue,
}

/// An in-order ring of `depth` commands (a power of two, 1 included): pushed at dispatch
/// (tail), handed to its unit (issue pointer), removed when complete (head). With
/// `valid`, each entry also has a flag saying it holds a command (the scoreboard reads
/// them); a ring of one entry has no pointers. [`Ring::in_flight`] keeps no entries at
/// all: commands handed to their unit at dispatch, counted until complete.
pub(super) struct Ring {
    pub(super) name: String,
    pub(super) depth: u32,
    pub(super) fields: Vec<(String, u32)>,
    pub(super) entries: Vec<Vec<Reg>>,
    pub(super) valid: Vec<Reg>,
    pub(super) head: Option<Reg>,
    pub(super) tail: Option<Reg>,
    pub(super) issue: Option<Reg>,
    pub(super) count: Reg,
    pub(super) pending: Option<Reg>,
}

impl Ring {
    pub(super) fn new(m: &mut ModuleBuilder, name: &str, depth: u32, fields: &[(&str, u32)], valid: bool) -> Ring {
        assert!(depth.is_power_of_two(), "{name}: depth {depth} is not a power of two");
        let pw = clog2(depth.into());
        let cw = clog2(u64::from(depth) + 1);
        let entries = (0..depth)
            .map(|i| fields.iter().map(|(f, w)| m.reg(format!("{name}{i}_{f}"), *w).build()).collect())
            .collect();
        let valid = if valid {
            (0..depth).map(|i| m.reg(format!("{name}{i}_valid"), 1).reset(0).build()).collect()
        } else {
            vec![]
        };
        let mut ptr = |p: &str| (depth > 1).then(|| m.reg(format!("{name}_{p}"), pw).reset(0).build());
        let (head, tail, issue) = (ptr("head"), ptr("tail"), ptr("issue"));
        Ring {
            name: name.to_string(),
            depth,
            fields: fields.iter().map(|(f, w)| (f.to_string(), *w)).collect(),
            entries,
            valid,
            head,
            tail,
            issue,
            count: m.reg(format!("{name}_count"), cw).reset(0).build(),
            pending: Some(m.reg(format!("{name}_pending"), cw).reset(0).build()),
        }
    }

    /// Up to `depth` commands that their unit took at dispatch, until they complete: a
    /// count and nothing else (push is issue).
    pub(super) fn in_flight(m: &mut ModuleBuilder, name: &str, depth: u32) -> Ring {
        let cw = clog2(u64::from(depth) + 1);
        Ring {
            name: name.to_string(),
            depth,
            fields: vec![],
            entries: vec![],
            valid: vec![],
            head: None,
            tail: None,
            issue: None,
            count: m.reg(format!("{name}_count"), cw).reset(0).build(),
            pending: None,
        }
    }

    pub(super) fn field_index(&self, f: &str) -> usize {
        self.fields.iter().position(|(n, _)| n == f).unwrap_or_else(|| panic!("{}: no field {f}", self.name))
    }

    /// Field `f` of entry `i`.
    pub(super) fn entry(&self, i: u32, f: &str) -> Reg {
        self.entries[i as usize][self.field_index(f)]
    }

    /// Field `f` of the entry a pointer names.
    pub(super) fn at(&self, m: &mut ModuleBuilder, ptr: Ptr, f: &str) -> ExprId {
        let k = self.field_index(f);
        let items: Vec<ExprId> = self.entries.iter().map(|e| m.sig(e[k].q)).collect();
        let p = match ptr {
            Ptr::Head => self.head,
            Ptr::Issue => self.issue,
        };
        match p {
            Some(p) => crate::blocks::util::select(m, p, items),
            None => items[0],
        }
    }

    pub(super) fn full(&self, m: &mut ModuleBuilder) -> ExprId {
        m.eq_const(self.count, self.depth.into())
    }

    pub(super) fn empty(&self, m: &mut ModuleBuilder) -> ExprId {
        m.is_zero(self.count)
    }

    pub(super) fn has_pending(&self, m: &mut ModuleBuilder) -> ExprId {
        match self.pending {
            Some(p) => m.any(p),
            None => m.lit(0, 1),
        }
    }

    /// Wire up pointers, counts and entries. `data` gives every field in order.
    pub(super) fn connect(
        &self,
        m: &mut ModuleBuilder,
        soft: SignalId,
        push: impl IntoExpr,
        data: &[Ex],
        issue: impl IntoExpr,
        retire: impl IntoExpr,
    ) {
        let (push, issue, retire) = (push.into_expr(m), issue.into_expr(m), retire.into_expr(m));
        let data: Vec<ExprId> = data.iter().map(|d| d.into_expr(m)).collect();
        assert_eq!(data.len(), self.fields.len(), "{}: data for every field", self.name);
        let at = |m: &mut ModuleBuilder, ptr: Option<Reg>, i: u32| match ptr {
            Some(p) => m.eq_const(p, i.into()),
            None => m.lit(1, 1),
        };
        for i in 0..self.entries.len() as u32 {
            let at_tail = at(m, self.tail, i);
            let we = m.and(push, at_tail);
            for (k, d) in data.iter().enumerate() {
                let r = self.entries[i as usize][k];
                m.next(r, *d);
                m.set_enable(r, we);
            }
            if let Some(v) = self.valid.get(i as usize) {
                let at_head = at(m, self.head, i);
                let gone = m.and(retire, at_head);
                let keep = {
                    let ng = m.not(gone);
                    m.and(*v, ng)
                };
                let nv = m.or(we, keep);
                let one = m.lit(1, 1);
                soft_next(m, *v, soft, one, nv, 0);
            }
        }
        for (ptr, step) in [(self.tail, push), (self.head, retire), (self.issue, issue)] {
            if let Some(p) = ptr {
                let v = m.inc(p);
                soft_next(m, p, soft, step, v, 0);
            }
        }
        soft_up_down(m, self.count, soft, push, retire);
        if let Some(p) = self.pending {
            soft_up_down(m, p, soft, push, issue);
        }
    }
}

/// A FIFO of one or two register entries: its count and head data. Pushed with
/// `push`/`data`, popped with `pop`; a one-entry FIFO is never pushed while full.
pub(super) struct Fifo {
    pub(super) count: Reg,
    pub(super) head: ExprId,
}

/// A FIFO of `depth` (1 or 2) entries of `width` bits.
#[allow(clippy::too_many_arguments)]
pub(super) fn fifo(
    m: &mut ModuleBuilder,
    name: &str,
    depth: u32,
    width: u32,
    soft: SignalId,
    push: impl IntoExpr,
    data: impl IntoExpr,
    pop: impl IntoExpr,
) -> Fifo {
    match depth {
        1 => {
            let (push, data, pop) = (push.into_expr(m), data.into_expr(m), pop.into_expr(m));
            let e0 = m.reg(format!("{name}_e0"), width).build();
            m.next(e0, data);
            m.set_enable(e0, push);
            let count = m.reg(format!("{name}_count"), 1).reset(0).build();
            soft_up_down(m, count, soft, push, pop);
            let head = m.sig(e0.q);
            Fifo { count, head }
        }
        2 => fifo2(m, name, width, soft, push, data, pop),
        _ => panic!("{name}: a FIFO of {depth} entries"),
    }
}

/// A two-entry FIFO of registers (`width` bits).
pub(super) fn fifo2(
    m: &mut ModuleBuilder,
    name: &str,
    width: u32,
    soft: SignalId,
    push: impl IntoExpr,
    data: impl IntoExpr,
    pop: impl IntoExpr,
) -> Fifo {
    let (push, data, pop) = (push.into_expr(m), data.into_expr(m), pop.into_expr(m));
    let e0 = m.reg(format!("{name}_e0"), width).build();
    let e1 = m.reg(format!("{name}_e1"), width).build();
    let count = m.reg(format!("{name}_count"), 2).reset(0).build();
    // e0 is the head. Pop shifts e1 into e0; push writes the first free slot after it.
    let c0 = m.eq_const(count, 0);
    let c1 = m.eq_const(count, 1);
    let c2 = m.eq_const(count, 2);
    // e0 loads: push into an empty FIFO, or pop+push with one entry, or pop with two.
    let e0_from_data = {
        let a = m.and(push, c0);
        let pp = m.and(push, pop);
        let b = m.and(pp, c1);
        m.or(a, b)
    };
    let e0_from_e1 = m.and(pop, c2);
    let e0_en = m.or(e0_from_data, e0_from_e1);
    let e0_v = m.mux(e0_from_e1, e1, data);
    m.next(e0, e0_v);
    m.set_enable(e0, e0_en);
    // e1 loads: push with one entry and no pop, or push with two entries and a pop.
    let e1_en = {
        let np = m.not(pop);
        let a = {
            let t = m.and(push, c1);
            m.and(t, np)
        };
        let b = {
            let t = m.and(push, c2);
            m.and(t, pop)
        };
        m.or(a, b)
    };
    m.next(e1, data);
    m.set_enable(e1, e1_en);
    soft_up_down(m, count, soft, push, pop);
    let head = m.sig(e0.q);
    Fifo { count, head }
}

/// A scratchpad reader's reads in flight: one stage per cycle of the scratchpad's read
/// latency, each a flag (reset, and cleared by the soft reset) and the fields that travel
/// with the read (the bank's one-hot, the A reader's last-row flag). The last stage,
/// `<prefix>_inflight`, is the read whose row is on the bank's output now (arriving);
/// with a latency of two, `<prefix>_issued` is the read of the cycle before.
pub(super) struct InFlight {
    /// Stages, the read issued in the last cycle first, the arriving one last.
    stages: Vec<(Reg, Vec<Reg>)>,
}

impl InFlight {
    pub(super) fn new(m: &mut ModuleBuilder, prefix: &str, latency: u32, fields: &[(&str, u32)]) -> InFlight {
        assert!((1..=2).contains(&latency), "{prefix}: a read latency of {latency}");
        let names: &[&str] = if latency == 2 { &["issued", "inflight"] } else { &["inflight"] };
        let stages = names
            .iter()
            .map(|n| {
                let flag = m.reg(format!("{prefix}_{n}"), 1).reset(0).build();
                let regs = fields.iter().map(|(f, w)| m.reg(format!("{prefix}_{n}_{f}"), *w).build()).collect();
                (flag, regs)
            })
            .collect();
        InFlight { stages }
    }

    /// The read whose row is on the bank's output in this cycle.
    pub(super) fn arriving(&self) -> Reg {
        self.stages.last().expect("one stage at least").0
    }

    /// Field `k` of the arriving read.
    pub(super) fn field(&self, k: usize) -> Reg {
        self.stages.last().expect("one stage at least").1[k]
    }

    /// Reads in flight, at least `n` of them (1 to the latency).
    pub(super) fn at_least(&self, m: &mut ModuleBuilder, n: usize) -> ExprId {
        let flags: Vec<Reg> = self.stages.iter().rev().map(|s| s.0).collect();
        if n == 1 {
            or_all(m, flags.iter().copied())
        } else {
            assert_eq!(n, flags.len(), "at most one read per stage");
            and_all(m, flags.iter().copied())
        }
    }

    /// Wire the stages: `fire` issues a read with `values` (one per field).
    pub(super) fn connect(&self, m: &mut ModuleBuilder, soft: SignalId, fire: impl IntoExpr, values: &[ExprId]) {
        let one = m.lit(1, 1);
        let mut flag_in = fire.into_expr(m);
        let mut ins: Vec<ExprId> = values.to_vec();
        for (flag, regs) in &self.stages {
            soft_next(m, *flag, soft, one, flag_in, 0);
            for (r, v) in regs.iter().zip(&ins) {
                m.next(*r, *v);
            }
            flag_in = m.sig(flag.q);
            ins = regs.iter().map(|r| m.sig(r.q)).collect();
        }
    }

    /// Mark the arriving stage unused (a reader that never reads).
    pub(super) fn mark_unused(&self, m: &mut ModuleBuilder) {
        let (flag, regs) = self.stages.last().expect("one stage at least");
        m.mark_unused(flag.q);
        for r in regs {
            m.mark_unused(r.q);
        }
    }
}

/// The queue between a reader of scratchpad rows and its consumer (the engine's input
/// channel, the DMA's local read responses): a row arrives `L` cycles after its read
/// (the scratchpad's read latency; [`InFlight::arriving`], with `data`) and goes straight
/// to the consumer if taken in that cycle; otherwise it waits in the queue's `L + 1`
/// registers. A read may issue while at most `L` rows are held or in flight
/// ([`ReadQueue::room`]), whatever the consumer does: the credit is a function of the
/// queue's own registers, so a consumer's ready that comes late (the engine's, a
/// combinational output of the array; the DMA's take, behind the accumulator's read-out
/// on the same channel) never reaches the scratchpad's read arbitration, and rows still
/// flow at one per cycle. (A one-register queue whose read waits for the pop in the same
/// cycle flows as fast with half the flip-flops, but puts the consumer's ready on the
/// read arbitration.) The one-row form ([`ReadQueue::one_row`]) keeps the registered
/// credit and one register, with no bypass (a row is offered from the register, one
/// cycle after it arrives), at a row every `L + 2` cycles, for a consumer slower than
/// that anyway.
pub(super) struct ReadQueue {
    /// Row `k` is held (a thermometer code: `held[k]` implies `held[k - 1]`).
    held: Vec<Reg>,
    /// The rows, the oldest (offered) first.
    rows: Vec<Reg>,
}

impl ReadQueue {
    /// The queue of `latency + 1` rows for a scratchpad of that read latency.
    pub(super) fn new(m: &mut ModuleBuilder, name: &str, width: u32, latency: u32) -> ReadQueue {
        let mut q = ReadQueue::one_row(m, name, width);
        for k in 2..=latency + 1 {
            q.held.push(m.reg(format!("{name}_held{k}"), 1).reset(0).build());
            q.rows.push(m.reg(format!("{name}_row{k}"), width).build());
        }
        q
    }

    /// The one-row form: a read may issue only while no row is held or in flight, and a
    /// row is offered from the register only, so rows flow at one every `L + 2` cycles,
    /// still with the credit from the queue's registers.
    pub(super) fn one_row(m: &mut ModuleBuilder, name: &str, width: u32) -> ReadQueue {
        ReadQueue {
            held: vec![m.reg(format!("{name}_held"), 1).reset(0).build()],
            rows: vec![m.reg(format!("{name}_row"), width).build()],
        }
    }

    /// A row to take: held, or arriving (held only, in the one-row form).
    pub(super) fn valid(&self, m: &mut ModuleBuilder, arriving: Reg) -> ExprId {
        if self.rows.len() == 1 {
            return m.sig(self.held[0].q);
        }
        m.or(self.held[0], arriving)
    }

    /// A read may issue in this cycle: at most `L` rows held or in flight (none in the
    /// one-row form), so the row read now finds room whatever the consumer does.
    pub(super) fn room(&self, m: &mut ModuleBuilder, reads: &InFlight) -> ExprId {
        let c = self.rows.len();
        let full = if c == 1 {
            let f = reads.at_least(m, 1);
            m.or(self.held[0], f)
        } else {
            // Held rows (k + 1 or more when held[k]) and reads in flight (at most L = c - 1)
            // fill the c rows.
            let mut full = m.sig(self.held[c - 1].q);
            for k in (0..c - 1).rev() {
                let f = reads.at_least(m, c - 1 - k);
                let both = m.and(self.held[k], f);
                full = m.or(full, both);
            }
            full
        };
        m.not(full)
    }

    /// Wire the registers; returns the row offered to the consumer.
    pub(super) fn connect(
        &self,
        m: &mut ModuleBuilder,
        soft: SignalId,
        arriving: Reg,
        data: ExprId,
        pop: impl IntoExpr,
    ) -> ExprId {
        let pop = pop.into_expr(m);
        let np = m.not(pop);
        let v = self.valid(m, arriving);
        let one = m.lit(1, 1);
        let c = self.rows.len();
        if c == 1 {
            // One row, always through the register (no bypass, so that the read data
            // feeds the register alone): held until popped; a row arrives only into an
            // empty queue.
            let kept = m.and(v, np);
            let keep = m.or(kept, arriving);
            soft_next(m, self.held[0], soft, one, keep, 0);
            m.next(self.rows[0], data);
            m.set_enable(self.rows[0], arriving);
            return m.sig(self.rows[0].q);
        }
        // Rows in order: `rows[k]` while `held[k]`, then `data` (if arriving); the pop
        // takes the first, the rest move to the front. `within[k]`: there are more than
        // `k` of them (the credit keeps them to `c`: no row arrives while all are held).
        let mut within = vec![v];
        for k in 1..c {
            let t = m.or(self.held[k], arriving);
            within.push(m.and(self.held[k - 1], t));
        }
        for k in 0..c {
            let s = m.and(within[k], np);
            let keep = if k + 1 < c { m.or(within[k + 1], s) } else { s };
            soft_next(m, self.held[k], soft, one, keep, 0);
        }
        for k in 0..c {
            if k + 1 < c {
                let next = m.mux(self.held[k + 1], self.rows[k + 1], data);
                m.next(self.rows[k], next);
                let en = m.mux(self.held[k], pop, np);
                m.set_enable(self.rows[k], en);
            } else {
                m.next(self.rows[k], data);
                let en = m.and(arriving, self.held[k - 1]);
                m.set_enable(self.rows[k], en);
            }
        }
        m.mux(self.held[0], self.rows[0], data)
    }
}

/// Bank of a scratchpad row: one-hot `in_bank` per bank and the row within each bank.
pub(super) fn bank_select(m: &mut ModuleBuilder, g: &Geometry, row: ExprId) -> (Vec<ExprId>, Vec<ExprId>) {
    let lb = m.width(row);
    let aw = clog2(g.sp_rows_per_bank.into()).max(1);
    let mut hits = Vec::new();
    let mut addrs = Vec::new();
    for i in 0..g.sp_banks {
        let lo = u64::from(i * g.sp_rows_per_bank);
        let hi = u64::from((i + 1) * g.sp_rows_per_bank);
        let ge = if lo == 0 { m.lit(1, 1) } else { m.ge(row, m_lit(lo, lb)) };
        let lt = if hi >= (1u64 << lb) { m.lit(1, 1) } else { m.lt(row, m_lit(hi, lb)) };
        hits.push(m.and(ge, lt));
        let off = m.lit(lo, lb);
        let rel = m.sub(row, off);
        addrs.push(m.resize(rel, aw, false));
    }
    (hits, addrs)
}

/// A literal usable where the builder is already mutably borrowed by the call.
pub(super) fn m_lit(v: u64, w: u32) -> rtl_gen::bits::Bits {
    rtl_gen::bits::Bits::from_u64(v, w)
}
