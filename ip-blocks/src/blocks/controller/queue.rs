//! The command queue: commands are decoded on their way in (the decoder sits on
//! `cmd_data_i`) and kept narrowed to what dispatch reads, not as 128 raw bits:
//!
//! | part | bits | from |
//! |---|---|---|
//! | one-hot opcode, illegal | 9 | the decoder |
//! | `w0[31:8]` | 24 | `config_ex` fields, a compute's B row |
//! | `w1` | 32 | main-memory address, stride, multiplier, a compute's A row |
//! | local address flags | 3 | `w2[31:29]` |
//! | local row | `LB` + 1 | `w2[28:0]`, narrowed ([`Narrow`]) |
//! | rows / count | `NW` + 1 | `w3[15:0]`, narrowed |
//! | cols | `CW` + 1 | `w3[31:16]`, narrowed |
//!
//! With one entry (`controller.queue_depth = 1`) the host holds writes to command words
//! 0 to 2 while the entry is full, and the entry keeps only the opcode and word 3's
//! fields: `w0[31:8]`, `w1` and `w2` are read from the host's registers
//! (`cmd_data_i[95:0]`), which hold the command at the head.
//!
//! `LB` = [`Geometry::local_row_bits`], `NW = max(LB + 1, bits of array rows)`, `CW` the
//! bits of the widest row's elements. Every check of dispatch gives the same answer on
//! the narrowed fields as on the raw ones (see [`super::checks`]).
//!
//! [`Geometry::local_row_bits`]: crate::geometry::Geometry::local_row_bits

use super::parts::{fifo, soft_next, x};
use crate::blocks::decoder;
use crate::geometry::Geometry;
use rtl_gen::ir::clog2;
use rtl_gen::{Design, ExprId, IntoExpr, ModuleBuilder, ModuleId, Reg, SignalId};

/// A field narrowed to `bits`: `big` when the value is `2^bits` or more (then `lo` is
/// meaningless), else the value is `lo`.
#[derive(Clone, Copy)]
pub(super) struct Narrow {
    pub(super) lo: ExprId,
    pub(super) big: ExprId,
}

/// `v` narrowed to `bits` (a value that fits has `big` = 0).
pub(super) fn narrow(m: &mut ModuleBuilder, v: impl IntoExpr, bits: u32) -> Narrow {
    let v = v.into_expr(m);
    let w = m.width(v);
    if bits >= w {
        Narrow { lo: m.zext(v, bits), big: m.lit(0, 1) }
    } else {
        let lo = m.slice(v, 0, bits);
        let hi = m.slice(v, bits, w - bits);
        Narrow { lo, big: m.any(hi) }
    }
}

/// A constant as a [`Narrow`] of `bits` (`value < 2^bits`).
pub(super) fn narrow_const(m: &mut ModuleBuilder, value: u64, bits: u32) -> Narrow {
    Narrow { lo: m.lit(value, bits), big: m.lit(0, 1) }
}

/// `sel ? a : b`, field by field.
pub(super) fn narrow_mux(m: &mut ModuleBuilder, sel: impl IntoExpr, a: Narrow, b: Narrow) -> Narrow {
    let sel = sel.into_expr(m);
    Narrow { lo: m.mux(sel, a.lo, b.lo), big: m.mux(sel, a.big, b.big) }
}

/// Widths of the narrowed fields.
pub(super) struct Widths {
    /// Local rows (`LB`).
    pub(super) row: u32,
    /// Rows and counts (`NW`).
    pub(super) n: u32,
    /// Columns (`CW`).
    pub(super) cols: u32,
}

impl Widths {
    pub(super) fn of(g: &Geometry) -> Widths {
        let lb = g.local_row_bits();
        Widths {
            row: lb,
            n: (lb + 1).max(clog2(u64::from(g.rows) + 1)),
            cols: clog2(u64::from(g.sp_elems().max(g.cols)) + 1),
        }
    }
}

/// The command at the queue's head.
pub(super) struct Head {
    /// A command is waiting.
    pub(super) valid: SignalId,
    /// Commands queued (for `QUEUE_LEVELS`).
    pub(super) count: Reg,
    /// Commands accepted since reset (`CMD_COUNT`).
    pub(super) accepted: Reg,
    /// One-hot opcode, in [`decoder::OPS`] order (all low for an illegal command).
    pub(super) ops: Vec<SignalId>,
    pub(super) illegal: SignalId,
    /// `w0[31:8]`.
    pub(super) w0_hi: ExprId,
    pub(super) w1: ExprId,
    /// Local address: accumulator, accumulate, raw.
    pub(super) loc_acc: SignalId,
    pub(super) loc_accumulate: ExprId,
    pub(super) loc_raw: ExprId,
    pub(super) row: Narrow,
    /// Rows, or a compute's count.
    pub(super) n: Narrow,
    pub(super) cols: Narrow,
}

/// The queue's ports and neighbours.
pub(super) struct Ports {
    pub(super) cmd_valid: SignalId,
    pub(super) cmd_ready: SignalId,
    pub(super) cmd_data: SignalId,
    pub(super) cmd_full: SignalId,
    pub(super) cmd_count: SignalId,
    /// Pop the head (dispatched or discarded).
    pub(super) pop: SignalId,
    pub(super) soft: SignalId,
    /// A soft reset is waiting: take no more commands.
    pub(super) reset_pending: Reg,
}

/// Build the decoder on the way in and a queue of `depth` (1 or 2) narrowed commands.
pub(super) fn build(m: &mut ModuleBuilder, design: &Design, dec: ModuleId, g: &Geometry, depth: u32, p: Ports) -> Head {
    let w = Widths::of(g);
    let fire = {
        let e = m.and(p.cmd_valid, p.cmd_ready);
        m.named("cmd_fire", e)
    };
    let dinst = m.instance("decoder", design, dec);
    m.connect(dinst, "cmd_i", p.cmd_data);
    let ops_in: Vec<SignalId> =
        decoder::OPS.iter().map(|n| m.connect_wire(dinst, &format!("{n}_o"), format!("in_is_{n}"))).collect();
    let illegal_in = m.connect_wire(dinst, "illegal_o", "in_is_illegal");
    // The entry, most significant part first.
    let word = |m: &mut ModuleBuilder, i: u32| decoder::word(m, p.cmd_data, i);
    let (w0, w1, w2, w3) = (word(m, 0), word(m, 1), word(m, 2), word(m, 3));
    let w0_hi = m.slice(w0, 8, 24);
    let flags = m.slice(w2, 29, 3);
    let row29 = m.slice(w2, 0, 29);
    let row = narrow(m, row29, w.row);
    let n16 = m.slice(w3, 0, 16);
    let n = narrow(m, n16, w.n);
    let c16 = m.slice(w3, 16, 16);
    let cols = narrow(m, c16, w.cols);
    // With one entry the host's command words 0 to 2 are the entry's (the host holds
    // their writes while the entry is full, [`super::reads_host_words`]): only the
    // decoded opcode and word 3's fields are kept.
    let shared = depth == 1;
    // The head's fields in order: name, value, and whether the entry keeps it.
    let mut fields: Vec<(String, ExprId, bool)> =
        decoder::OPS.iter().zip(&ops_in).map(|(n, s)| (format!("is_{n}"), m.sig(*s), true)).collect();
    fields.push(("is_illegal".into(), m.sig(illegal_in), true));
    for (name, e) in
        [("cmd_w0_hi", w0_hi), ("cmd_w1", w1), ("cmd_flags", flags), ("cmd_row_big", row.big), ("cmd_row", row.lo)]
    {
        fields.push((name.into(), e, !shared));
    }
    for (name, e) in [("cmd_n_big", n.big), ("cmd_n", n.lo), ("cmd_cols_big", cols.big), ("cmd_cols", cols.lo)] {
        fields.push((name.into(), e, true));
    }
    let parts: Vec<ExprId> = fields.iter().filter(|f| f.2).map(|f| f.1).collect();
    let entry = m.concat(parts.iter().rev().copied());
    let ew = m.width(entry);
    let q = fifo(m, "cq", depth, ew, p.soft, x(fire), entry, x(p.pop));
    let valid = {
        let e = m.any(q.count);
        m.named("cq_valid", e)
    };
    {
        let full = m.eq_const(q.count, depth.into());
        let nf = m.not(full);
        let nrp = m.not(p.reset_pending);
        let r = m.and(nf, nrp);
        m.assign(p.cmd_ready, r);
        m.assign(p.cmd_full, full);
    }
    let count = m.reg("cmd_count", 32).reset(0).build();
    {
        let v = m.inc(count);
        soft_next(m, count, p.soft, x(fire), v, 0);
        m.assign(p.cmd_count, count);
    }
    // The head's fields by name: the kept ones from the entry, the rest (with one entry,
    // the host's held words) straight from the host.
    let mut at = 0;
    let mut sigs: Vec<Option<SignalId>> = Vec::with_capacity(fields.len());
    for (name, e, kept) in &fields {
        sigs.push(kept.then(|| {
            let width = m.width(*e);
            let e = m.slice(q.head, at, width);
            at += width;
            m.named(name.as_str(), e)
        }));
    }
    let sigs: Vec<SignalId> =
        fields.iter().zip(sigs).map(|((name, e, _), s)| s.unwrap_or_else(|| m.named(name.as_str(), *e))).collect();
    let ops = sigs[..8].to_vec();
    let illegal = sigs[8];
    let f: Vec<ExprId> = sigs[9..].iter().map(|s| m.sig(*s)).collect();
    let (w0_hi, w1, flags) = (f[0], f[1], f[2]);
    let loc_acc = {
        let e = m.bit(flags, 2);
        m.named("loc_acc", e)
    };
    Head {
        valid,
        count: q.count,
        accepted: count,
        ops,
        illegal,
        w0_hi,
        w1,
        loc_acc,
        loc_accumulate: m.bit(flags, 1),
        loc_raw: m.bit(flags, 0),
        row: Narrow { lo: f[4], big: f[3] },
        n: Narrow { lo: f[6], big: f[5] },
        cols: Narrow { lo: f[8], big: f[7] },
    }
}
