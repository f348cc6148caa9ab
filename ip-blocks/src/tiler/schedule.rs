//! What the tiler chose, for reports: tile sizes, buffer placement, command counts.

use crate::isa::{Instr, Mode, Space};
use std::fmt;

/// A buffer of a local memory: `slots` slots of `slot_rows` rows from `first_row`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Region {
    /// First row (of the scratchpad or the accumulator).
    pub first_row: u32,
    /// Rows of one slot.
    pub slot_rows: u32,
    /// Slots, used round-robin.
    pub slots: u32,
}

impl Region {
    /// Rows of the whole region.
    pub fn rows(&self) -> u32 {
        self.slot_rows * self.slots
    }
}

/// Commands of a program, by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// `config_ex`, `config_ld`, `config_st`.
    pub config: usize,
    /// `mvin` (A, B, bias).
    pub mvin: usize,
    /// `mvout`.
    pub mvout: usize,
    /// `preload` of weights.
    pub preload_weights: usize,
    /// `preload` of a bias row.
    pub preload_bias: usize,
    /// `compute`.
    pub compute: usize,
}

impl Counts {
    /// Every command.
    pub fn total(&self) -> usize {
        self.config + self.mvin + self.mvout + self.preload_weights + self.preload_bias + self.compute
    }
}

/// The schedule chosen for one matrix multiplication; `Display` is a short report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// The dataflow.
    pub mode: Mode,
    /// Rows of C per m-chunk (weight-stationary: the computes' `count`; output-stationary:
    /// the array's rows).
    pub chunk_rows: u32,
    /// Number of m-chunks.
    pub chunks: u32,
    /// The last accumulator tile, split into these row counts (one piece: not split).
    pub tail_split: Vec<u32>,
    /// Weight-stationary: k-tiles of `rows` (ceil(k / rows)); output-stationary: k-chunks
    /// (computes per C tile).
    pub k_steps: u32,
    /// k per step: weight-stationary, the array's rows (a k-tile); output-stationary,
    /// the `count` of one compute.
    pub k_chunk: u32,
    /// n-blocks of `cols` (ceil(n / cols)).
    pub n_blocks: u32,
    /// Scratchpad region of A (weight-stationary: a slot holds one k-tile of an m-chunk).
    pub a: Region,
    /// Scratchpad region of B (weight-stationary: a slot holds one weight tile).
    pub b: Region,
    /// Scratchpad banks of A (first, last).
    pub a_banks: (u32, u32),
    /// Scratchpad banks of B (first, last).
    pub b_banks: (u32, u32),
    /// Accumulator tiles (double-buffered).
    pub acc: Region,
    /// Accumulator rows of the bias (one row per n-block, a ring of two, or one zero row).
    pub bias: Region,
    /// Commands by kind.
    pub counts: Counts,
    /// Rows moved by `mvin` into the scratchpad (A, B) and the accumulator (bias).
    pub rows_in: (u64, u64, u64),
    /// Rows moved out by `mvout`.
    pub rows_out: u64,
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let region =
            |r: &Region| format!("rows {}..{} ({} x {})", r.first_row, r.first_row + r.rows(), r.slots, r.slot_rows);
        match self.mode {
            Mode::Ws => {
                writeln!(
                    f,
                    "weight-stationary: {} m-chunk(s) of {} rows, {} k-tiles, {} n-blocks; last tile split {:?}",
                    self.chunks, self.chunk_rows, self.k_steps, self.n_blocks, self.tail_split
                )?;
            }
            Mode::Os => {
                writeln!(
                    f,
                    "output-stationary: {} m-blocks of {} rows, {} k-chunk(s) of {}, {} n-blocks",
                    self.chunks, self.chunk_rows, self.k_steps, self.k_chunk, self.n_blocks
                )?;
            }
        }
        writeln!(f, "scratchpad A: {}, banks {}..={}", region(&self.a), self.a_banks.0, self.a_banks.1)?;
        writeln!(f, "scratchpad B: {}, banks {}..={}", region(&self.b), self.b_banks.0, self.b_banks.1)?;
        writeln!(f, "accumulator tiles: {}; bias: {}", region(&self.acc), region(&self.bias))?;
        let c = &self.counts;
        writeln!(
            f,
            "commands: {} (config {}, mvin {}, mvout {}, preload {} + bias {}, compute {})",
            c.total(),
            c.config,
            c.mvin,
            c.mvout,
            c.preload_weights,
            c.preload_bias,
            c.compute
        )?;
        write!(
            f,
            "rows moved: A {}, B {}, bias {} in; C {} out",
            self.rows_in.0, self.rows_in.1, self.rows_in.2, self.rows_out
        )
    }
}

/// Commands of `program` by kind.
pub(crate) fn count(program: &[Instr]) -> Counts {
    let mut c = Counts::default();
    for i in program {
        match i {
            Instr::ConfigEx { .. } | Instr::ConfigLd { .. } | Instr::ConfigSt { .. } => c.config += 1,
            Instr::Mvin { .. } => c.mvin += 1,
            Instr::Mvout { .. } => c.mvout += 1,
            Instr::Preload { local, .. } if local.space == Space::Scratchpad => c.preload_weights += 1,
            Instr::Preload { .. } => c.preload_bias += 1,
            Instr::Compute { .. } => c.compute += 1,
            Instr::Fence => {}
        }
    }
    c
}
