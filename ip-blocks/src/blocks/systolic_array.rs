//! The matrix engine: a `rows` x `cols` systolic array of MAC PEs with input skew and
//! output de-skew inside, so that its interface takes and gives whole vectors.
//!
//! Channels (valid/ready; a beat moves when both are high at a clock edge):
//! - `in`: `a_r<k>_i` (one element per row), in output-stationary mode also `b_c<n>_i`
//!   (one per column), and `in_last_i` marking the last beat of a tile.
//! - `w` (weight-stationary): one weight row per beat on `w_c<n>_i`, rows 0 to
//!   `rows - 1`; `rows` beats make a tile. Up to two tiles are held (double buffer): the
//!   next loads while the current streams.
//! - `out`: `c_c<n>_o` (one partial sum per column) and `out_last_o`.
//!
//! Weight-stationary (`mode_i` = 0 when both dataflows are built): every `in` beat is a
//! vector A[m] of the tile; `out` gives C[m] = A[m] x B, where B is the weight tile
//! loaded for it, [`latency`] cycles later, in order. `in_last_i` ends the tile: the next
//! beat uses the other weight buffer, which must be loaded (`in_ready_o` waits for it).
//! A weight row may overwrite the buffer of the tile before only once that tile's last
//! vector has left the row, which the engine checks, so loading starts `cols` cycles
//! after the last vector of that tile and no bubble appears when tiles are at least
//! `rows + cols` vectors long.
//!
//! Output-stationary (`mode_i` = 1): beat k of a tile brings column k of A (on `a_r<i>_i`)
//! and row k of B (on `b_c<j>_i`); PE (i, j) accumulates C[i][j]. After the last beat,
//! [`latency`] cycles later, all PEs copy their sums into the result chain, and
//! `out` gives the rows of C from the last row to the first, while the next tile
//! accumulates (its first beat is taken from the copy on).
//!
//! `out_ready_i` low stalls the whole array (a global clock enable), so nothing is lost
//! or duplicated. `mode_i` may change only while `idle_o` is high.
//!
//! Broadcast rows (`array.broadcast`, weight-stationary only, for small devices): row
//! k's input, delayed `k - 1` cycles (rows 0 and 1 none), reaches every PE of the row in
//! the same cycle, so there is no activation register per PE and no output de-skew; the
//! first row's registered product is its partial sum. The weight double buffer becomes a
//! shadow register per PE and the active weight (a pair's in its multiplier's `b`
//! register, which on iCE40 is the SB_MAC16's B register held by BHOLD): a tile's first
//! vector makes each row take the shadow as it passes (the row's swap flag, high from a
//! tile's first vector until its next one); weight row k of the next tile may be written
//! once that vector has reached row k, and the next tile's first vector waits until all
//! its rows are written. At 4x4 on iCE40 this saves about 500 logic cells (fewer
//! flip-flops without a LUT to share a cell with).

use super::mul::{self, MulKind};
use super::pe::{self, PeParams};
use super::util::wrapping_counter;
use crate::config::ArrayConfig;
use rtl_gen::ir::clog2;
use rtl_gen::{CheckError, CheckErrors, Design, ExprId, ModuleBuilder, ModuleId, SignalId};

/// Cycles from a weight-stationary input vector entering to its output vector leaving:
/// `rows + cols - 1` steps through the skew, the PEs and the de-skew, and the
/// multipliers' registers ([`pe::MUL_STAGES`]); `rows - 1` steps and the multipliers'
/// registers when rows are broadcast (`array.broadcast`: no column steps, and the first
/// row's product goes straight into the second row's sum).
pub fn latency(cfg: &ArrayConfig) -> u32 {
    if cfg.broadcast {
        cfg.rows - 1 + pe::MUL_STAGES
    } else {
        cfg.rows + cfg.cols - 1 + pe::MUL_STAGES
    }
}

/// Cycles row `k`'s input waits in the input skew: `k`, or with broadcast rows `k - 1`
/// (rows 0 and 1 none: the first row has no partial-sum register).
fn skew(cfg: &ArrayConfig, k: u32) -> u32 {
    if cfg.broadcast {
        k.saturating_sub(1)
    } else {
        k
    }
}

/// Width of the partial sums inside the array. A weight-stationary column adds `rows`
/// products of `2 * input_bits` bits, which never need more than `2 * input_bits +
/// clog2(rows)` bits (the configuration checks that `acc_bits` is at least that), so a
/// weight-stationary-only array carries that many and sign-extends its outputs to
/// `acc_bits`; with output-stationary the chain carries whole accumulators.
pub fn psum_bits(cfg: &ArrayConfig) -> u32 {
    if cfg.dataflow.has_os() {
        cfg.acc_bits
    } else {
        (2 * cfg.input_bits + clog2(cfg.rows.into())).min(cfg.acc_bits)
    }
}

/// PE multipliers that share a pair multiplier: the DSP PEs, two by two in row-major
/// order (an odd last one has a DSP multiply of its own).
pub fn pairs(cfg: &ArrayConfig) -> u32 {
    cfg.dsp_pes() / 2
}

/// The multiplier of PE (row, col): the first `dsp_multipliers` PEs in row-major order
/// get DSP multiplies, paired two by two ([`MulKind::Pair`]; PEs `2j` and `2j + 1` share
/// pair multiplier `j`) with an odd last one alone ([`MulKind::Dsp`]); the rest get soft
/// ones.
pub fn mul_kind(cfg: &ArrayConfig, row: u32, col: u32) -> MulKind {
    let index = row * cfg.cols + col;
    if index < 2 * pairs(cfg) {
        MulKind::Pair
    } else if index < cfg.dsp_pes() {
        MulKind::Dsp
    } else {
        MulKind::Soft
    }
}

/// What travels along a row of PEs: the input element and its control bits
/// (weight-buffer select; output-stationary valid and first-of-tile).
#[derive(Clone, Copy, Debug)]
struct Lane {
    a: SignalId,
    sel: Option<SignalId>,
    v: Option<SignalId>,
    f: Option<SignalId>,
}

/// A chain of `n` registers of `width` bits enabled by `en`, named `<base>_<j>`; returns
/// the last stage (or `input` when `n` is 0).
fn delay(m: &mut ModuleBuilder, base: &str, input: SignalId, width: u32, n: u32, en: SignalId) -> SignalId {
    let mut cur = input;
    for j in 0..n {
        let r = m.reg(format!("{base}_{j}"), width).enable(en).build();
        m.next(r, cur);
        cur = r.q;
    }
    cur
}

/// A saturating up-counter register helper: `q + 1`, or `q` at `max`.
fn saturating_inc(m: &mut ModuleBuilder, q: SignalId, max: u64) -> ExprId {
    let w = m.module().signal(q).width;
    let at_max = {
        let lim = m.lit(max, w);
        m.eq(q, lim)
    };
    let one = m.lit(1, w);
    let inc = m.add(q, one);
    m.mux(at_max, q, inc)
}

/// Build the engine module `<prefix>_systolic_array` (and its PEs) into `design`.
pub fn build(design: &mut Design, prefix: &str, cfg: &ArrayConfig) -> Result<ModuleId, CheckErrors> {
    let (rows, cols, ib, ab) = (cfg.rows, cfg.cols, cfg.input_bits, cfg.acc_bits);
    let pb = psum_bits(cfg);
    let (ws, os) = (cfg.dataflow.has_ws(), cfg.dataflow.has_os());
    // Broadcast rows (weight-stationary only, checked by the configuration and the PE).
    let bc = cfg.broadcast;
    const KINDS: [MulKind; 3] = [MulKind::Pair, MulKind::Dsp, MulKind::Soft];
    if bc && cfg.cols % 2 == 1 && pairs(cfg) > 0 {
        return Err(CheckErrors(vec![CheckError::Parameter {
            module: format!("{prefix}_systolic_array"),
            parameter: "broadcast".into(),
            value: "true".into(),
            allowed: format!("false with {} columns and PE pairs (a pair's PEs must share a row)", cfg.cols),
        }]));
    }
    // Per kind, the PE of the first row and of the others (they differ with broadcast rows).
    let mut pe_ids = Vec::new();
    for kind in KINDS {
        for first in [false, true] {
            let used = (0..rows).any(|r| (0..cols).any(|c| mul_kind(cfg, r, c) == kind && (r == 0) == first));
            let params = PeParams { first_row: first && cfg.broadcast, ..PeParams::new(cfg, kind) };
            pe_ids.push(if used { Some(pe::build(design, prefix, params)?) } else { None });
        }
    }
    let pair_id = match (pairs(cfg) > 0, bc) {
        (false, _) => None,
        (true, false) => Some(mul::build(design, prefix, MulKind::Pair, ib, ib)?),
        (true, true) => Some(mul::build_pair_loaded(design, prefix, ib, ib)?),
    };

    let mut m = ModuleBuilder::new(format!("{prefix}_systolic_array"));
    m.doc(format!(
        "Matrix engine: {rows} x {cols} systolic array of int{ib} MACs with int{ab} sums ({pb}-bit partial \
         sums inside), dataflow {:?}, {} DSP multipliers ({} in pairs) and {} soft ones. Input skew and output \
         de-skew inside: one vector in and one out per cycle on valid/ready channels; out_ready_i low stalls \
         the array. See the generator's documentation (ip-blocks/src/blocks/systolic_array.rs) for the \
         channel protocol.",
        cfg.dataflow,
        cfg.dsp_pes(),
        2 * pairs(cfg),
        rows * cols - cfg.dsp_pes()
    ));
    m.param("rows", rows);
    m.param("cols", cols);
    m.param("input_bits", ib);
    m.param("acc_bits", ab);
    m.param("psum_bits", pb);
    m.param("dataflow", format!("{:?}", cfg.dataflow).to_lowercase());
    m.param("dsp_multipliers", cfg.dsp_pes());
    if bc {
        m.param("broadcast", 1);
    }
    m.reset();

    let mode = (ws && os).then(|| m.input("mode_i", 1));
    let in_valid = m.input("in_valid_i", 1);
    let in_ready = m.output("in_ready_o", 1);
    let in_last = m.input("in_last_i", 1);
    let a_in: Vec<SignalId> = (0..rows).map(|k| m.input(format!("a_r{k}_i"), ib)).collect();
    let b_in: Vec<SignalId> = if os { (0..cols).map(|n| m.input(format!("b_c{n}_i"), ib)).collect() } else { vec![] };
    let w_ports = ws.then(|| {
        let v = m.input("w_valid_i", 1);
        let r = m.output("w_ready_o", 1);
        let d: Vec<SignalId> = (0..cols).map(|n| m.input(format!("w_c{n}_i"), ib)).collect();
        (v, r, d)
    });
    let out_valid = m.output("out_valid_o", 1);
    let out_ready = m.input("out_ready_i", 1);
    let out_last = m.output("out_last_o", 1);
    let c_out: Vec<SignalId> = (0..cols).map(|n| m.output(format!("c_c{n}_o"), ab)).collect();
    let idle = m.output("idle_o", 1);

    // The global stall: everything in flight advances unless an output waits.
    let advance = {
        let nv = m.not(out_valid);
        let e = m.or(nv, out_ready);
        m.named("advance", e)
    };
    let in_fire = {
        let e = m.and(in_valid, in_ready);
        m.named("in_fire", e)
    };
    // Mode of the current beats: weight- (0) or output-stationary (1).
    let os_mode = match mode {
        Some(md) => m.sig(md),
        None => m.lit(os as u64, 1),
    };
    let ws_mode = m.not(os_mode);

    // ---- weight-stationary bookkeeping ------------------------------------------------
    let sw = clog2(u64::from(rows + cols)).max(1);
    let since_max = u64::from(rows + cols - 1);
    let row_bits = clog2(rows.into()).max(1);
    let mut ws_state = None;
    // Broadcast rows: the first-of-tile flag (which the rows' swap signals delay), the
    // weight row counter and write, and whether the shadow weights are complete.
    let mut bc_state = None;
    if let (Some((w_valid, w_ready, _)), true) = (&w_ports, bc) {
        // The shadow weights take a tile while the one before it streams: row k may be
        // written once the current tile's first vector has reached row k (its PEs have
        // then taken the shadow: `since_start` >= k, its skew being at most k), and the next tile's first vector
        // waits until all rows are written (`shadow_full`).
        let first = m.reg("ws_first", 1).reset(1).build();
        let shadow_full = m.reg("shadow_full", 1).reset(0).build();
        let since_start = m.reg("since_start", row_bits).reset(u64::from(rows - 1)).build();
        let w_fire = m.wire("w_fire", 1);
        let (load_row, w_done) = wrapping_counter(&mut m, "load_row", rows, w_fire);
        let need = match load_row {
            Some(r) => m.ge(since_start, r),
            None => m.lit(1, 1),
        };
        let nf = m.not(shadow_full);
        let ready = m.and(nf, need);
        m.assign(*w_ready, ready);
        let fire = m.and(*w_valid, *w_ready);
        m.assign(w_fire, fire);
        let ws_fire = m.and(in_fire, ws_mode);
        let start = {
            let e = m.and(ws_fire, first);
            m.named("ws_tile_start", e)
        };
        m.set_enable(first, ws_fire);
        m.next(first, in_last);
        let nstart = m.not(start);
        let keep = m.and(shadow_full, nstart);
        let full_next = m.or(w_done, keep);
        m.next(shadow_full, full_next);
        let zero = m.lit(0, row_bits);
        let inc = saturating_inc(&mut m, since_start.q, u64::from(rows - 1));
        let advanced = m.mux(advance, inc, since_start);
        let since_next = m.mux(start, zero, advanced);
        m.next(since_start, since_next);
        // A vector may enter unless it starts a tile whose weights are not all written.
        let nfirst = m.not(first);
        let accept = m.or(nfirst, shadow_full);
        bc_state = Some((first, load_row, w_fire, accept));
    } else if let Some((w_valid, w_ready, _)) = &w_ports {
        let active = m.reg("active_bank", 1).reset(0).build();
        let load_bank = m.reg("load_bank", 1).reset(0).build();
        let w_fire = m.wire("w_fire", 1);
        // The weight row the next beat writes, and whether it is the tile's last.
        let (load_row, w_done) = wrapping_counter(&mut m, "load_row", rows, w_fire);
        let full = [m.reg("full0", 1).reset(0).build(), m.reg("full1", 1).reset(0).build()];
        let since = [m.reg("since0", sw).reset(since_max).build(), m.reg("since1", sw).reset(since_max).build()];
        // w_ready: the bank being loaded is free and its last vector has left this row.
        let load_full = m.mux(load_bank, full[1], full[0]);
        let load_since = m.mux(load_bank, since[1], since[0]);
        let need = {
            let wide = sw.max(row_bits) + 1;
            let r = match load_row {
                Some(r) => m.zext(r, wide),
                None => m.lit(0, wide),
            };
            let c = m.lit(u64::from(cols - 1), wide);
            let n = m.add(r, c);
            let s = m.zext(load_since, wide);
            m.ge(s, n)
        };
        let nf = m.not(load_full);
        let ready = m.and(nf, need);
        m.assign(*w_ready, ready);
        let fire = m.and(*w_valid, *w_ready);
        m.assign(w_fire, fire);
        let flip = m.not(load_bank);
        m.set_enable(load_bank, w_done);
        m.next(load_bank, flip);
        // A weight-stationary beat that ends a tile releases its bank.
        let ws_fire = m.and(in_fire, ws_mode);
        let ws_end = {
            let e = m.and(ws_fire, in_last);
            m.named("ws_tile_end", e)
        };
        let flip_active = m.not(active);
        m.set_enable(active, ws_end);
        m.next(active, flip_active);
        for b in 0..2u64 {
            let bank_is_b = |m: &mut ModuleBuilder, x: SignalId| {
                let bb = m.lit(b, 1);
                m.eq(x, bb)
            };
            let set = {
                let lb = bank_is_b(&mut m, load_bank.q);
                m.and(w_done, lb)
            };
            let clear = {
                let ab_ = bank_is_b(&mut m, active.q);
                m.and(ws_end, ab_)
            };
            let nclear = m.not(clear);
            let keep = m.and(full[b as usize], nclear);
            let nf = m.or(set, keep);
            m.next(full[b as usize], nf);
            // Cycles since the last vector that used this bank.
            let used = {
                let ab_ = bank_is_b(&mut m, active.q);
                m.and(ws_fire, ab_)
            };
            let z = m.lit(0, sw);
            let inc = saturating_inc(&mut m, since[b as usize].q, since_max);
            let advanced = m.mux(advance, inc, since[b as usize]);
            let nxt = m.mux(used, z, advanced);
            m.next(since[b as usize], nxt);
        }
        let active_full = m.mux(active, full[1], full[0]);
        ws_state = Some((active, load_bank, load_row, w_fire, active_full));
    }

    // ---- output-stationary bookkeeping ------------------------------------------------
    let cw = clog2(u64::from(latency(cfg)) + 1).max(1);
    let dw = clog2(u64::from(rows) + 1).max(1);
    let mut os_state = None;
    if os {
        let first = m.reg("os_first", 1).reset(1).build();
        let copy_cnt = m.reg("os_copy_count", cw).reset(0).build();
        let drain = m.reg("os_drain_count", dw).reset(0).build();
        let os_fire = m.and(in_fire, os_mode);
        let os_end = m.and(os_fire, in_last);
        // First-beat flag: set after a tile ends, cleared by any other beat.
        m.set_enable(first, os_fire);
        m.next(first, in_last);
        // Count down to the copy: the latency's advancing cycles after the last beat (the
        // last product reaches its accumulator rows + cols - 2 + MUL_STAGES cycles after,
        // and is in it one cycle later).
        let one_c = m.lit(1, cw);
        let zero_c = m.lit(0, cw);
        let is_one = m.eq(copy_cnt, one_c);
        let copy = {
            let e = m.and(advance, is_one);
            m.named("os_copy", e)
        };
        let nz = m.ne(copy_cnt, zero_c);
        let dec = m.sub(copy_cnt, one_c);
        let counting = m.and(advance, nz);
        let after = m.mux(counting, dec, copy_cnt);
        let start = m.lit(u64::from(latency(cfg)), cw);
        let cnt_next = m.mux(os_end, start, after);
        m.next(copy_cnt, cnt_next);
        // Drain: `rows` result rows leave after the copy.
        let rows_lit = m.lit(u64::from(rows), dw);
        let one_d = m.lit(1, dw);
        let zero_d = m.lit(0, dw);
        let dnz = m.ne(drain, zero_d);
        let ddec = m.sub(drain, one_d);
        let dstep = m.and(advance, dnz);
        let dafter = m.mux(dstep, ddec, drain);
        let dnext = m.mux(copy, rows_lit, dafter);
        m.next(drain, dnext);
        // A new tile's first beat may enter from the copy on.
        let le1 = m.le(copy_cnt, one_c);
        let nfirst = m.not(first);
        let may = m.or(nfirst, le1);
        os_state = Some((first, copy_cnt, drain, copy, may, dnz));
    }

    // ---- in_ready -------------------------------------------------------------------
    let ws_ok = ws_state.map(|(.., active_full)| active_full).or(bc_state.map(|(.., accept)| accept));
    let os_ok = os_state.map(|(.., may, _)| may);
    let accept = match (ws_ok, os_ok) {
        (Some(w), Some(o)) => m.mux(os_mode, o, w),
        (Some(w), None) => w,
        (None, Some(o)) => o,
        _ => unreachable!("at least one dataflow"),
    };
    let ready = m.and(advance, accept);
    m.assign(in_ready, ready);

    // ---- input skew -----------------------------------------------------------------
    // Row k waits k cycles, with the control bits that travel with its elements.
    let fire_e = m.sig(in_fire);
    // With broadcast rows, the flag of a tile's first vector (level: from the tile's
    // first vector until its next one) travels as `sel` does otherwise: the row's swap.
    let sel_in = match (ws_state, bc_state) {
        (Some((active, ..)), _) => Some(m.named("sel_in", active)),
        (None, Some((first, ..))) => Some(m.named("swap_in", first)),
        _ => None,
    };
    let (v_in, f_in) = match os_state {
        Some((first, ..)) => {
            let v = m.and(fire_e, os_mode);
            (Some(m.named("v_in", v)), Some(first.q))
        }
        None => (None, None),
    };
    let row_in: Vec<Lane> = (0..rows)
        .map(|k| Lane {
            a: delay(&mut m, &format!("skew_a_r{k}"), a_in[k as usize], ib, skew(cfg, k), advance),
            sel: sel_in.map(|s| {
                let base = if bc { format!("skew_swap_r{k}") } else { format!("skew_sel_r{k}") };
                delay(&mut m, &base, s, 1, skew(cfg, k), advance)
            }),
            v: v_in.map(|s| delay(&mut m, &format!("skew_v_r{k}"), s, 1, k, advance)),
            f: f_in.map(|s| delay(&mut m, &format!("skew_f_r{k}"), s, 1, k, advance)),
        })
        .collect();
    let col_b: Vec<SignalId> = b_in
        .iter()
        .enumerate()
        .map(|(n, b)| delay(&mut m, &format!("skew_b_c{n}"), *b, ib, n as u32, advance))
        .collect();

    // ---- the grid -------------------------------------------------------------------
    let (r_us, c_us) = (rows as usize, cols as usize);
    let mut psum = vec![vec![None::<SignalId>; c_us]; r_us];
    let mut east: Vec<Vec<Option<Lane>>> = vec![vec![None; c_us]; r_us];
    let mut south_b = vec![vec![None::<SignalId>; c_us]; r_us];
    let row_we: Vec<Option<SignalId>> = (0..rows)
        .map(|k| {
            let load = ws_state.map(|(_, _, load_row, w_fire, _)| (load_row, w_fire));
            load.or(bc_state.map(|(_, load_row, w_fire, _)| (load_row, w_fire))).map(|(load_row, w_fire)| {
                let we = match load_row {
                    Some(r) => {
                        let kk = m.lit(u64::from(k), row_bits);
                        let hit = m.eq(r, kk);
                        m.and(w_fire, hit)
                    }
                    None => m.sig(w_fire),
                };
                m.named(format!("w_we_r{k}"), we)
            })
        })
        .collect();
    // A pair multiplier's first PE, waiting for its second: (name, a, operand, product).
    let mut pair_first: Option<(String, SignalId, SignalId, SignalId)> = None;
    for k in 0..r_us {
        for n in 0..c_us {
            let kind = mul_kind(cfg, k as u32, n as u32);
            let slot = KINDS.iter().position(|x| *x == kind).expect("a kind of KINDS");
            let id = pe_ids[2 * slot + usize::from(k == 0)].expect("PE kind in use");
            let inst = m.instance(format!("pe_r{k}_c{n}"), design, id);
            m.connect(inst, "en_i", advance);
            if let Some(md) = mode {
                m.connect(inst, "mode_i", md);
            }
            // A broadcast row gives every PE the row's input.
            let west = if n == 0 || bc { row_in[k] } else { east[k][n - 1].expect("west neighbour built first") };
            let Lane { a: a_src, sel: sel_src, v: v_src, f: f_src } = west;
            // A broadcast row's pair PE leaves its input and swap to its pair multiplier.
            let held = bc && kind == MulKind::Pair;
            if !held {
                m.connect(inst, "a_i", a_src);
            }
            let zero = m.lit(0, pb);
            match psum.get(k.wrapping_sub(1)).and_then(|row| row[n]) {
                Some(p) => m.connect(inst, "psum_i", p),
                None if bc => {} // the first row's PE has no partial sum in
                None => m.connect(inst, "psum_i", zero),
            }
            let a_o = if bc { a_src } else { m.connect_wire(inst, "a_o", format!("a_r{k}_c{n}")) };
            psum[k][n] = Some(m.connect_wire(inst, "psum_o", format!("psum_r{k}_c{n}")));
            let mut sel_o = None;
            if let (Some(swap), true, Some((_, _, w))) = (sel_src, bc, &w_ports) {
                if !held {
                    m.connect(inst, "swap_i", swap);
                }
                m.connect(inst, "w_i", w[n]);
                m.connect(inst, "w_we_i", row_we[k].expect("weight-stationary"));
                sel_o = Some(swap);
            } else if let (Some(sel), Some((_, load_bank, ..)), Some((_, _, w))) = (sel_src, ws_state, &w_ports) {
                m.connect(inst, "sel_i", sel);
                m.connect(inst, "w_i", w[n]);
                m.connect(inst, "w_we_i", row_we[k].expect("weight-stationary"));
                m.connect(inst, "w_bank_i", load_bank);
                sel_o = Some(m.connect_wire(inst, "sel_o", format!("sel_r{k}_c{n}")));
            }
            let (mut v_o, mut f_o) = (None, None);
            if let (Some(v), Some(f), Some((.., copy, _, _))) = (v_src, f_src, os_state) {
                let b_src = if k == 0 { col_b[n] } else { south_b[k - 1][n].expect("north neighbour") };
                m.connect(inst, "b_i", b_src);
                m.connect(inst, "v_i", v);
                m.connect(inst, "f_i", f);
                m.connect(inst, "os_copy_i", copy);
                south_b[k][n] = Some(m.connect_wire(inst, "b_o", format!("b_r{k}_c{n}")));
                v_o = Some(m.connect_wire(inst, "v_o", format!("v_r{k}_c{n}")));
                f_o = Some(m.connect_wire(inst, "f_o", format!("f_r{k}_c{n}")));
            }
            east[k][n] = Some(Lane { a: a_o, sel: sel_o, v: v_o, f: f_o });
            if kind == MulKind::Pair {
                let operand = m.connect_wire(inst, "mul_b_o", format!("mul_b_r{k}_c{n}"));
                let prod = m.wire(format!("prod_r{k}_c{n}"), 2 * ib);
                m.connect(inst, "prod_i", prod);
                match pair_first.take() {
                    None => pair_first = Some((format!("r{k}_c{n}"), a_src, operand, prod)),
                    Some((first, a0, b0, p0)) => {
                        // Named after both PEs: `mul_r0_c0_r0_c1`.
                        let pair = m.instance(format!("mul_{first}_r{k}_c{n}"), design, pair_id.expect("pairs"));
                        m.connect(pair, "en_i", advance);
                        if bc {
                            // Both PEs are in row k: they take their weights together.
                            let swap = row_in[k].sel.expect("weight-stationary");
                            m.connect(pair, "b_load_i", swap);
                        }
                        m.connect(pair, "a0_i", a0);
                        m.connect(pair, "b0_i", b0);
                        m.connect(pair, "p0_o", p0);
                        m.connect(pair, "a1_i", a_src);
                        m.connect(pair, "b1_i", operand);
                        m.connect(pair, "p1_o", prod);
                    }
                }
            }
        }
    }
    debug_assert!(pair_first.is_none(), "pair multipliers take PEs two by two");
    // What leaves the last column and the bottom row goes nowhere (broadcast rows pass
    // nothing on).
    for row in east.iter().filter(|_| !bc) {
        let Lane { a, sel, v, f } = row[c_us - 1].expect("built");
        for s in [Some(a), sel, v, f].into_iter().flatten() {
            m.mark_unused(s);
        }
    }
    for b in south_b[r_us - 1].iter().flatten() {
        m.mark_unused(*b);
    }

    // ---- outputs ----------------------------------------------------------------------
    let bottom: Vec<SignalId> = (0..c_us).map(|n| psum[r_us - 1][n].expect("built")).collect();
    let lat = latency(cfg);
    let ws_out = ws.then(|| {
        // Valid and last travel beside the data; column n waits cols - 1 - n cycles.
        let ws_fire = m.and(in_fire, ws_mode);
        let v = delay_bit(&mut m, "ws_valid_pipe", ws_fire, lat, advance);
        let l = {
            let fl = m.and(ws_fire, in_last);
            delay_bit(&mut m, "ws_last_pipe", fl, lat, advance)
        };
        let cols_out: Vec<SignalId> = (0..cols)
            .map(|n| {
                let wait = if bc { 0 } else { cols - 1 - n };
                delay(&mut m, &format!("deskew_c{n}"), bottom[n as usize], pb, wait, advance)
            })
            .collect();
        (v, l, cols_out)
    });
    let os_out = os_state.map(|(_, _, drain, ..)| {
        let one = m.lit(1, dw);
        let is_last = m.eq(drain, one);
        let zero = m.lit(0, dw);
        let valid = m.ne(drain, zero);
        (valid, is_last)
    });
    let (valid, last, cvals): (ExprId, ExprId, Vec<ExprId>) = match (ws_out, os_out) {
        (Some((wv, wl, wc)), Some((ov, ol))) => {
            let v = m.mux(os_mode, ov, wv);
            let l = m.mux(os_mode, ol, wl);
            let c = (0..c_us).map(|n| m.mux(os_mode, bottom[n], wc[n])).collect();
            (v, l, c)
        }
        (Some((wv, wl, wc)), None) => {
            // The narrow sums, sign-extended to the accumulator's width.
            let (v, l) = (m.sig(wv), m.sig(wl));
            (v, l, wc.iter().map(|s| m.sext(*s, ab)).collect())
        }
        (None, Some((ov, ol))) => (ov, ol, bottom.iter().map(|s| m.sig(*s)).collect()),
        _ => unreachable!("at least one dataflow"),
    };
    m.assign(out_valid, valid);
    m.assign(out_last, last);
    for (o, v) in c_out.iter().zip(cvals) {
        m.assign(*o, v);
    }

    // Idle: nothing in flight that will still produce an output.
    let mut busy: Vec<ExprId> = Vec::new();
    if ws {
        let pipe = m.module().find_signal("ws_valid_pipe_q").expect("built above");
        busy.push(m.any(pipe));
    }
    if let Some((first, copy_cnt, _, _, _, draining)) = os_state {
        let z = m.lit(0, cw);
        busy.push(m.ne(copy_cnt, z));
        busy.push(draining);
        busy.push(m.not(first));
    }
    let any_busy = busy.into_iter().reduce(|a, b| m.or(a, b)).expect("at least one dataflow");
    let idle_e = m.not(any_busy);
    m.assign(idle, idle_e);
    design.add(m)
}

/// A `len`-stage shift register of one bit (one register `<name>_q`, `len` bits wide),
/// enabled by `en`; returns a wire with its last stage.
fn delay_bit(m: &mut ModuleBuilder, name: &str, input: ExprId, len: u32, en: SignalId) -> SignalId {
    let r = m.reg(name, len).reset(0).enable(en).build();
    let next = if len == 1 {
        input
    } else {
        let low = m.trunc(r, len - 1);
        m.concat([low, input])
    };
    m.next(r, next);
    let top = m.bit(r, len - 1);
    m.named(format!("{name}_out"), top)
}
