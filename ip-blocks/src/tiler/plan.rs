//! The schedule: the loop nest as a list of execute units (weight-stationary: a
//! `preload` and its `compute`; output-stationary: a `compute`), the local buffers as
//! rings of slots, and every DMA command placed in program order between the units, as
//! far from the units it conflicts with as its deadlines allow. `docs/tiler.md` tells the
//! why; this file is the how.
//!
//! Placement works in *slots*: slot `s` is the place just before unit `s` (slot `P`, after
//! the last unit). A load that replaces a block last read by unit `e` may go in slots
//! `e + 1 ..= f` (`f`: the first unit reading what it loads); it prefers `e + 1 +
//! LOAD_LAG`, so that the controller's scoreboard finds the reader complete when the load
//! reaches dispatch. A load into a never-used slot prefers just early enough to arrive in
//! time. A `mvout` prefers `STORE_LAG` units after the last compute writing its rows, and
//! must come before the first compute overwriting them. Stores are placed first, in
//! order; then loads, earliest deadline first. Each takes the nearest slot to its
//! preference (later for refills and stores, earlier for first loads) that still has a
//! dispatch place (a `mvin`/`mvout` takes ~17 cycles to dispatch, so short units take one
//! each) and, for loads, a free bus until the data is needed (one beat per cycle of the
//! units, filled in program order).
//!
//! Correctness never depends on the placement: every command sits inside its legal range,
//! so the program means the same in program order (the golden model) as with any
//! reordering the scoreboard allows.

use super::schedule::{count, Counts, Region, Schedule};
use super::slots::Slots;
use super::{MatmulLayout, MatmulSpec, TileError};
use crate::geometry::Geometry;
use crate::isa::{Instr, LocalAddr, Mode};
use std::collections::HashMap;

/// Units between the last reader of a buffer slot and the load that refills it.
const LOAD_LAG: usize = 2;
/// Units between the last compute into an accumulator tile and its `mvout`.
const STORE_LAG: usize = 3;
/// Units of margin before the first use of a load into a never-used slot.
const LOAD_LEAD: usize = 2;
/// The last accumulator tile is split (halving) down to pieces of this many rows (at
/// least `rows + cols`), so that the read-out after the last compute is short.
const TAIL_MIN_ROWS: u32 = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Block {
    /// Weight-stationary: (m-chunk, k-tile); output-stationary: (m-block, k-chunk).
    A(u32, u32),
    /// (n-block, k-tile or k-chunk).
    B(u32, u32),
    Bias(u32),
}

/// A ring of slots holding blocks, replaced first-in first-out.
struct Ring {
    region: Region,
    occupant: Vec<Option<(Block, usize)>>,
    resident: HashMap<Block, usize>,
    next: usize,
}

impl Ring {
    fn new(region: Region) -> Ring {
        Ring { region, occupant: vec![None; region.slots as usize], resident: HashMap::new(), next: 0 }
    }

    /// The first row of `block` for a use at time `t`, and, when it must be loaded, the
    /// time of the last use of the block it replaces (`None`: a never-used slot).
    fn access(&mut self, block: Block, t: usize) -> (u32, Option<Option<usize>>) {
        if let Some(&s) = self.resident.get(&block) {
            self.occupant[s] = Some((block, t));
            return (self.row(s), None);
        }
        let s = self.next;
        self.next = (self.next + 1) % self.occupant.len();
        let evicted = self.occupant[s].take().map(|(old, last)| {
            self.resident.remove(&old);
            last
        });
        self.occupant[s] = Some((block, t));
        self.resident.insert(block, s);
        (self.row(s), Some(evicted))
    }

    fn row(&self, slot: usize) -> u32 {
        self.region.first_row + slot as u32 * self.region.slot_rows
    }
}

/// One `mvin`, with the slots it may go in.
#[derive(Clone, Debug)]
struct Load {
    block: Block,
    local: LocalAddr,
    dram: u32,
    stride: u32,
    rows: u32,
    cols: u32,
    /// Bytes per row in main memory.
    row_bytes: u32,
    lo: usize,
    hi: usize,
    initial: bool,
    slot: usize,
}

impl Load {
    fn new(block: Block, local: LocalAddr, at: (u32, u32, u32, u32, u32), evicted: Option<usize>, hi: usize) -> Load {
        let (dram, stride, rows, cols, row_bytes) = at;
        let lo = evicted.map_or(0, |e| e + 1);
        Load { block, local, dram, stride, rows, cols, row_bytes, lo, hi, initial: evicted.is_none(), slot: hi }
    }
}

/// A C tile (or piece of one) to read out.
struct Output {
    tile: usize,
    nb: u32,
    acc_row: u32,
    rows: u32,
    dram: u32,
    cols: u32,
    last: usize,
}

struct Plan<'a> {
    g: &'a Geometry,
    spec: &'a MatmulSpec,
    l: &'a MatmulLayout,
    units: Vec<Vec<Instr>>,
    loads: Vec<Load>,
    outputs: Vec<Output>,
    tile_first_unit: Vec<usize>,
    bias: Region,
    /// Typical cycles of one unit, to time loads into never-used slots.
    unit_cycles: u32,
}

/// Scratchpad rows for A (the low banks) and B (the high banks): B gets the banks it
/// wants (`b_want` rows), at most half of them; with one bank, at most half its rows.
fn sp_split(g: &Geometry, b_want: u64) -> (u32, u32) {
    let rpb = g.sp_rows_per_bank;
    if g.sp_banks >= 2 {
        let b_banks = (b_want.div_ceil(u64::from(rpb)) as u32).clamp(1, g.sp_banks / 2);
        ((g.sp_banks - b_banks) * rpb, b_banks * rpb)
    } else {
        let half = rpb / 2 / g.rows * g.rows;
        let b = (b_want.min(u64::from(half)) as u32).max(g.rows.min(rpb));
        (rpb - b, b)
    }
}

fn too_small(memory: &'static str, need: u64, have: u32, why: String) -> TileError {
    TileError::LocalMemory { memory, need, have: have.into(), why }
}

/// Plan `spec` for `mode`: the program and its schedule.
pub(crate) fn plan(
    g: &Geometry,
    spec: &MatmulSpec,
    l: &MatmulLayout,
    mode: Mode,
) -> Result<(Vec<Instr>, Schedule), TileError> {
    let (r, c) = (g.rows, g.cols);
    let n_blocks = spec.n.div_ceil(c);
    let bias_rows = if !spec.bias {
        1
    } else if n_blocks <= g.acc_rows / 4 {
        n_blocks
    } else {
        2
    };
    let bias_slot_rows = if spec.bias && bias_rows == n_blocks { n_blocks } else { 1 };
    let bias = Region { first_row: 0, slot_rows: bias_slot_rows, slots: bias_rows / bias_slot_rows };
    let acc_free = g.acc_rows - bias_rows;
    let mut p = Plan {
        g,
        spec,
        l,
        units: Vec::new(),
        loads: Vec::new(),
        outputs: Vec::new(),
        tile_first_unit: Vec::new(),
        bias,
        unit_cycles: 1,
    };
    let mut s = Schedule {
        mode,
        chunk_rows: 0,
        chunks: 0,
        tail_split: Vec::new(),
        k_steps: 0,
        k_chunk: 0,
        n_blocks,
        a: Region::default(),
        b: Region::default(),
        a_banks: (0, 0),
        b_banks: (0, 0),
        acc: Region::default(),
        bias,
        counts: Counts::default(),
        rows_in: (0, 0, 0),
        rows_out: 0,
    };
    match mode {
        Mode::Ws => {
            let k_tiles = spec.k.div_ceil(r);
            let (a_space, b_space) = sp_split(g, 2 * u64::from(k_tiles) * u64::from(r));
            if b_space < r || a_space == 0 {
                let why = format!("a weight tile takes {r} rows, and A needs at least one");
                return Err(too_small("scratchpad", u64::from(r) + 1, g.sp_rows(), why));
            }
            let acc_limit = acc_free / 2;
            if acc_limit == 0 {
                let why = "two output tiles and the bias".to_string();
                return Err(too_small("accumulator", u64::from(bias_rows) + 2, g.acc_rows, why));
            }
            // Rows per m-chunk: all k-tiles of A resident if they fit with at least
            // rows + cols rows (no bubble between tiles), else A streams through a ring.
            let resident = a_space / k_tiles;
            let mt_max = if resident >= spec.m.min(r + c) { resident } else { (a_space / 2).max(1) };
            let mt_max = mt_max.min(acc_limit).min(u32::from(u16::MAX)).min(spec.m);
            let mt = spec.m.div_ceil(spec.m.div_ceil(mt_max));
            s.chunk_rows = mt;
            s.chunks = spec.m.div_ceil(mt);
            s.k_steps = k_tiles;
            s.k_chunk = r;
            s.a = Region { first_row: 0, slot_rows: mt, slots: a_space / mt };
            s.b = Region { first_row: g.sp_rows() - b_space, slot_rows: r, slots: b_space / r };
            s.acc = Region { first_row: bias_rows, slot_rows: mt, slots: 2 };
            p.unit_cycles = mt;
            s.tail_split = p.weight_stationary(s.a, s.b, s.acc, mt, k_tiles);
        }
        Mode::Os => {
            let (a_space, b_space) = sp_split(g, u64::from(g.sp_rows() / 2));
            let room = a_space.min(b_space);
            if room == 0 {
                return Err(too_small("scratchpad", 2, g.sp_rows(), "A and B need a row each".into()));
            }
            if r > acc_free {
                let why = format!("an output tile of {r} rows and the bias");
                return Err(too_small("accumulator", u64::from(r + bias_rows), g.acc_rows, why));
            }
            // k rows per compute: all of k if two chunks fit in each region, else half
            // a region.
            let kc_max = if spec.k <= room / 2 { spec.k } else { (room / 2).max(1) }.min(u32::from(u16::MAX));
            let k_chunks = spec.k.div_ceil(kc_max);
            let kc = spec.k.div_ceil(k_chunks);
            s.chunk_rows = r;
            s.chunks = spec.m.div_ceil(r);
            s.tail_split = vec![spec.m - (s.chunks - 1) * r];
            s.k_steps = k_chunks;
            s.k_chunk = kc;
            s.a = Region { first_row: 0, slot_rows: kc, slots: a_space / kc };
            s.b = Region { first_row: a_space, slot_rows: kc, slots: b_space / kc };
            // Two output tiles (one reads out while the next accumulates) when they fit.
            s.acc = Region { first_row: bias_rows, slot_rows: r, slots: (acc_free / r).min(2) };
            p.unit_cycles = kc;
            p.output_stationary(s.a, s.b, s.acc, kc, k_chunks);
        }
    }
    let bank = |row: u32| row / g.sp_rows_per_bank;
    s.a_banks = (bank(s.a.first_row), bank(s.a.first_row + s.a.rows().max(1) - 1));
    s.b_banks = (bank(s.b.first_row), bank(s.b.first_row + s.b.rows().max(1) - 1));
    let program = p.emit(mode, &mut s);
    Ok((program, s))
}

impl Plan<'_> {
    fn sp_load(&mut self, block: Block, row: u32, at: (u32, u32, u32, u32), evicted: Option<usize>, hi: usize) {
        let row_bytes = at.3 * self.g.sp_elem_bytes();
        self.loads.push(Load::new(block, LocalAddr::scratchpad(row), (at.0, at.1, at.2, at.3, row_bytes), evicted, hi));
    }

    /// Weight-stationary units: for each m-chunk, n-block (the last one split), k-tile:
    /// preload B(k-tile, n-block), compute the chunk's rows. Returns the tail split.
    fn weight_stationary(&mut self, a: Region, b: Region, acc: Region, mt: u32, k_tiles: u32) -> Vec<u32> {
        let (g, spec, l) = (self.g, self.spec, *self.l);
        let (r, c, eb) = (g.rows, g.cols, g.sp_elem_bytes());
        let n_blocks = spec.n.div_ceil(c);
        let chunks = spec.m.div_ceil(mt);
        let (mut a_ring, mut b_ring) = (Ring::new(a), Ring::new(b));
        let mut tail = Vec::new();
        for ci in 0..chunks {
            let m0 = ci * mt;
            let mlen = mt.min(spec.m - m0);
            for nb in 0..n_blocks {
                let nc = c.min(spec.n - nb * c);
                let tile = self.tile_first_unit.len();
                self.tile_first_unit.push(self.units.len());
                let acc_row = acc.first_row + (tile as u32 % acc.slots) * mt;
                let last = ci + 1 == chunks && nb + 1 == n_blocks;
                let pieces = if last { tail_split(mlen, (r + c).max(TAIL_MIN_ROWS)) } else { vec![mlen] };
                if last {
                    tail = pieces.clone();
                }
                let mut off = 0;
                for piece in pieces {
                    for kt in 0..k_tiles {
                        let u = self.units.len();
                        let kr = r.min(spec.k - kt * r);
                        let (arow, load) = a_ring.access(Block::A(ci, kt), u);
                        if let Some(evicted) = load {
                            let at = (l.a + m0 * l.a_stride + kt * r * eb, l.a_stride, mlen, kr);
                            self.sp_load(Block::A(ci, kt), arow, at, evicted, u);
                        }
                        let (brow, load) = b_ring.access(Block::B(nb, kt), u);
                        if let Some(evicted) = load {
                            let at = (l.b + kt * r * l.b_stride + nb * c * eb, l.b_stride, kr, nc);
                            self.sp_load(Block::B(nb, kt), brow, at, evicted, u);
                        }
                        let mut out = LocalAddr::accumulator(acc_row + off);
                        out.accumulate = kt > 0;
                        self.units.push(vec![
                            Instr::Preload { local: LocalAddr::scratchpad(brow), rows: kr as u16 },
                            Instr::Compute { a: arow + off, b: 0, c: out, count: piece as u16 },
                        ]);
                    }
                    self.outputs.push(Output {
                        tile,
                        nb,
                        acc_row: acc_row + off,
                        rows: piece,
                        dram: l.c + (m0 + off) * l.c_stride + nb * c * c_elem_bytes(g, &l),
                        cols: nc,
                        last: self.units.len() - 1,
                    });
                    off += piece;
                }
            }
        }
        self.merge_weight_loads(b.slot_rows);
        tail
    }

    /// Output-stationary units: for each m-block of `rows`, n-block, k-chunk: one compute
    /// over the k-chunk's rows of A transposed and of B.
    fn output_stationary(&mut self, a: Region, b: Region, acc: Region, kc: u32, k_chunks: u32) {
        let (g, spec, l) = (self.g, self.spec, *self.l);
        let (r, c, eb) = (g.rows, g.cols, g.sp_elem_bytes());
        let n_blocks = spec.n.div_ceil(c);
        let (mut a_ring, mut b_ring) = (Ring::new(a), Ring::new(b));
        for mi in 0..spec.m.div_ceil(r) {
            let mlen = r.min(spec.m - mi * r);
            for nb in 0..n_blocks {
                let nc = c.min(spec.n - nb * c);
                let tile = self.tile_first_unit.len();
                self.tile_first_unit.push(self.units.len());
                let acc_row = acc.first_row + (tile as u32 % acc.slots) * r;
                for kci in 0..k_chunks {
                    let u = self.units.len();
                    let k0 = kci * kc;
                    let klen = kc.min(spec.k - k0);
                    let (arow, load) = a_ring.access(Block::A(mi, kci), u);
                    if let Some(evicted) = load {
                        let at = (l.a + k0 * l.a_stride + mi * r * eb, l.a_stride, klen, mlen);
                        self.sp_load(Block::A(mi, kci), arow, at, evicted, u);
                    }
                    let (brow, load) = b_ring.access(Block::B(nb, kci), u);
                    if let Some(evicted) = load {
                        let at = (l.b + k0 * l.b_stride + nb * c * eb, l.b_stride, klen, nc);
                        self.sp_load(Block::B(nb, kci), brow, at, evicted, u);
                    }
                    let mut out = LocalAddr::accumulator(acc_row);
                    out.accumulate = kci > 0;
                    self.units.push(vec![Instr::Compute { a: arow, b: brow, c: out, count: klen as u16 }]);
                }
                self.outputs.push(Output {
                    tile,
                    nb,
                    acc_row,
                    rows: mlen,
                    dram: l.c + mi * r * l.c_stride + nb * c * c_elem_bytes(g, &l),
                    cols: nc,
                    last: self.units.len() - 1,
                });
            }
        }
    }

    /// Merge the weight tiles of one n-block loaded into consecutive slots into one
    /// `mvin` (its rows are consecutive in B). Loads into never-used slots merge in
    /// doubling groups (1, 1, 2, 4, ... tiles), so the first computes wait for little.
    fn merge_weight_loads(&mut self, slot_rows: u32) {
        let mut merged: Vec<Load> = Vec::new();
        let mut last_b: Option<usize> = None;
        let mut group_tiles = 0u32;
        for load in std::mem::take(&mut self.loads) {
            let Block::B(nb, _) = load.block else {
                merged.push(load);
                continue;
            };
            if let Some(prev) = last_b.map(|i| &mut merged[i]) {
                let same = matches!(prev.block, Block::B(pnb, _) if pnb == nb);
                let contiguous = prev.local.row + prev.rows == load.local.row
                    && prev.dram + prev.rows * prev.stride == load.dram
                    && prev.rows % slot_rows == 0
                    && prev.cols == load.cols
                    && prev.stride == load.stride;
                let window = prev.lo.max(load.lo) <= prev.hi.min(load.hi);
                let size_ok = prev.rows + load.rows <= u32::from(u16::MAX)
                    && (!load.initial || group_tiles < (prev.hi as u32).max(1));
                if same && contiguous && window && size_ok && prev.initial == load.initial {
                    prev.rows += load.rows;
                    prev.lo = prev.lo.max(load.lo);
                    prev.hi = prev.hi.min(load.hi);
                    group_tiles += 1;
                    continue;
                }
            }
            group_tiles = 1;
            last_b = Some(merged.len());
            merged.push(load);
        }
        self.loads = merged;
    }

    /// Place every load and store, then write the program.
    fn emit(mut self, mode: Mode, s: &mut Schedule) -> Vec<Instr> {
        let (g, spec, l) = (self.g, self.spec, *self.l);
        let units = self.units.len();
        let mut slots = Slots::new(units, self.unit_cycles);
        // The stores first, in order (a bias preload changes the read-out for the mvouts
        // after it). The bias rows: all n-blocks' once, a ring of two, or one zero row.
        let (ab, c) = (g.acc_elem_bytes(), g.cols);
        let bias_load = |row: u32, dram: u32, rows: u32, lo: usize, hi: usize, initial: bool| Load {
            block: Block::Bias(row),
            local: LocalAddr::accumulator(row),
            dram,
            stride: c * ab,
            rows,
            cols: c,
            row_bytes: c * ab,
            lo,
            hi,
            initial,
            slot: hi,
        };
        let mut stores: Vec<(usize, Vec<Instr>)> = Vec::new();
        let resident_bias = spec.bias && self.bias.slots == 1 && self.bias.slot_rows == spec.n.div_ceil(c);
        let mut bias_ring = Ring::new(self.bias);
        let mut prev_slot = 0;
        let mut bias_nb = None;
        for o in &self.outputs {
            let hi = self.tile_first_unit.get(o.tile + s.acc.slots as usize).copied().unwrap_or(units);
            let lo = (o.last + 1).max(prev_slot);
            let slot = slots.take(o.last + 1 + STORE_LAG, lo, hi, false, 0);
            prev_slot = slot;
            let mut instrs = Vec::new();
            if spec.bias && bias_nb != Some(o.nb) {
                bias_nb = Some(o.nb);
                let row = if resident_bias {
                    self.bias.first_row + o.nb
                } else {
                    let (row, load) = bias_ring.access(Block::Bias(o.nb), slot);
                    if let Some(evicted) = load {
                        let lo = evicted.map_or(0, |e| e + 1);
                        self.loads.push(bias_load(row, l.bias + o.nb * c * ab, 1, lo, slot, evicted.is_none()));
                    }
                    row
                };
                instrs.push(Instr::Preload { local: LocalAddr::accumulator(row), rows: 1 });
            }
            let mut local = LocalAddr::accumulator(o.acc_row);
            local.raw = l.c_raw;
            instrs.push(Instr::Mvout { dram: o.dram, local, rows: o.rows as u16, cols: o.cols as u16 });
            stores.push((slot, instrs));
        }
        let first_store = stores.first().map_or(units, |x| x.0);
        if !spec.bias {
            let zero = LocalAddr::accumulator(self.bias.first_row);
            self.loads.push(bias_load(self.bias.first_row, l.bias, 1, 0, first_store, true));
            stores.insert(0, (first_store, vec![Instr::Preload { local: zero, rows: 1 }]));
        } else if resident_bias {
            self.loads.push(bias_load(self.bias.first_row, l.bias, self.bias.slot_rows, 0, first_store, true));
        }
        // Then the loads, most urgent (earliest first use) first.
        let beat = g.dma_beat_bytes().max(1);
        for load in &mut self.loads {
            load.slot = if load.initial {
                let beats = load.rows * load.row_bytes.div_ceil(beat);
                load.hi.saturating_sub(LOAD_LEAD + beats.div_ceil(self.unit_cycles.max(1)) as usize)
            } else {
                load.lo + LOAD_LAG
            };
        }
        let mut order: Vec<usize> = (0..self.loads.len()).collect();
        order.sort_by_key(|&i| (self.loads[i].hi, i));
        for i in order {
            let x = &mut self.loads[i];
            let beats = u64::from(x.rows) * u64::from(x.row_bytes.div_ceil(beat));
            x.slot = slots.take(x.slot, x.lo, x.hi, x.initial, beats);
        }
        // Program order: each slot's loads, then its stores, then its unit.
        let mut by_slot: Vec<(Vec<&Load>, Vec<&Instr>)> = vec![(Vec::new(), Vec::new()); units + 1];
        for load in &self.loads {
            by_slot[load.slot].0.push(load);
        }
        for (slot, instrs) in &stores {
            by_slot[*slot].1.extend(instrs);
        }
        let rq = spec.requant;
        let mut program = vec![
            Instr::ConfigEx {
                mode,
                activation: rq.activation,
                shift: rq.shift as u8,
                multiplier: rq.multiplier,
                relu6_max: rq.relu6_max as i16,
            },
            Instr::ConfigSt { stride: l.c_stride },
        ];
        let mut ld_stride = None;
        for (slot, (loads, stores)) in by_slot.into_iter().enumerate() {
            for load in loads {
                if ld_stride != Some(load.stride) {
                    program.push(Instr::ConfigLd { stride: load.stride });
                    ld_stride = Some(load.stride);
                }
                program.push(Instr::Mvin {
                    dram: load.dram,
                    local: load.local,
                    rows: load.rows as u16,
                    cols: load.cols as u16,
                });
            }
            program.extend(stores);
            if let Some(unit) = self.units.get(slot) {
                program.extend(unit);
            }
        }
        let bias_rows =
            self.loads.iter().filter(|x| matches!(x.block, Block::Bias(_))).map(|x| u64::from(x.rows)).sum();
        let (mut a_rows, mut b_rows) = (0, 0);
        for x in &self.loads {
            match x.block {
                Block::A(..) => a_rows += u64::from(x.rows),
                Block::B(..) => b_rows += u64::from(x.rows),
                Block::Bias(_) => {}
            }
        }
        s.rows_in = (a_rows, b_rows, bias_rows);
        s.rows_out = self.outputs.iter().map(|o| u64::from(o.rows)).sum();
        s.counts = count(&program);
        program
    }
}

/// Bytes of one element of C in main memory: an input, or an accumulator when C holds
/// the raw read-out.
fn c_elem_bytes(g: &Geometry, l: &MatmulLayout) -> u32 {
    if l.c_raw {
        g.acc_elem_bytes()
    } else {
        g.sp_elem_bytes()
    }
}

/// Split the last tile's `rows` by halving while the rest is at least twice `min`:
/// 128 with min 16 gives 64, 32, 16, 16.
fn tail_split(rows: u32, min: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let mut rest = rows;
    while rest >= 2 * min {
        let half = rest.div_ceil(2);
        out.push(half);
        rest -= half;
    }
    out.push(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::tail_split;

    #[test]
    fn tail_split_halves_down_to_the_minimum() {
        assert_eq!(tail_split(128, 16), [64, 32, 16, 16]);
        assert_eq!(tail_split(16, 16), [16]);
        assert_eq!(tail_split(31, 16), [31]);
        assert_eq!(tail_split(33, 16), [17, 16]);
        assert_eq!(tail_split(1, 16), [1]);
    }
}
