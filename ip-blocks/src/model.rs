//! The golden model: the meaning of every instruction (`docs/isa.md`, "Meanings" and
//! "Errors"), bit-exact, in plain Rust. It models no RTL: no queues, no timing. The RTL
//! must leave main memory exactly as [`Model::run`] does.
//!
//! The model keeps the machine's state after reset: the scratchpad and accumulator rows
//! (each `None` until first written, because reading such a row is undefined on the
//! hardware), the preloaded weight tile, the read-out bias, the `config_*` state and a
//! count of multiply-accumulates.
//!
//! ```
//! use ip_blocks::isa::{Instr, LocalAddr};
//! use ip_blocks::model::{Memory, Model};
//! use ip_blocks::Config;
//!
//! let cfg = Config::preset("ice40").expect("preset");
//! let mut mem = Memory::new(0x1000, 64);
//! mem.write_ints(0x1000, 1, &[1, 2, 3, 4]).unwrap();
//! let program = [
//!     Instr::ConfigLd { stride: 4 },
//!     Instr::ConfigSt { stride: 4 },
//!     Instr::Mvin { dram: 0x1000, local: LocalAddr::scratchpad(0), rows: 1, cols: 4 },
//!     Instr::Mvout { dram: 0x1010, local: LocalAddr::scratchpad(0), rows: 1, cols: 2 },
//! ];
//! let words: Vec<[u32; 4]> = program.iter().map(|i| i.encode()).collect();
//! let window = mem.window();
//! let outcome = Model::new(&cfg).run(&words, &mut mem, window);
//! assert!(outcome.is_clean(), "{outcome:?}");
//! assert_eq!(mem.read_ints(0x1010, 1, 3).unwrap(), [1, 2, 0]);
//! ```

mod memory;

pub use memory::{Memory, Window};

use crate::config::Dataflow;
use crate::geometry::Geometry;
use crate::isa::{ErrorCode, Instr, Mode, Space};
use crate::quant::{self, Activation, RequantParams};
use crate::Config;
use thiserror::Error;

/// A misuse of the model itself (not an error of the machine, which is an
/// [`ErrorCode`]).
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum ModelError {
    /// The DMA window is not inside the memory image: the model cannot play the bytes
    /// the hardware would fetch there.
    #[error(
        "the DMA window [{window_base:#010x}, {window_limit:#010x}] is not inside the memory image \
         [{base:#010x}, {end:#x}): give the model an image covering the whole window"
    )]
    WindowOutsideMemory {
        /// First byte of the window.
        window_base: u32,
        /// Last byte of the window.
        window_limit: u32,
        /// First byte of the image.
        base: u32,
        /// One past the last byte of the image.
        end: u64,
    },
    /// An access outside the memory image.
    #[error("main-memory bytes [{addr:#x}, {addr:#x} + {len}) are outside the memory image [{base:#010x}, {end:#x})")]
    OutsideMemory {
        /// First byte of the access.
        addr: u64,
        /// Bytes accessed.
        len: u64,
        /// First byte of the image.
        base: u32,
        /// One past the last byte of the image.
        end: u64,
    },
    /// An integer size other than 1, 2, 4 or 8 bytes.
    #[error("{nbytes}-byte integers are not supported: 1, 2, 4 or 8 bytes")]
    IntSize {
        /// The size asked for.
        nbytes: u32,
    },
}

/// What [`Model::run`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Commands that completed (all of them, or the index of the failing one).
    pub executed: usize,
    /// The first failing command (its index in the program) and its code; the machine
    /// stops there, as the hardware does.
    pub error: Option<(usize, ErrorCode)>,
    /// The model's multiply-accumulate count after the run (see [`Model::macs`]).
    pub macs: u64,
    /// Reads of local rows (or a bias) never written since reset, one line per command:
    /// the hardware returns whatever the memory holds, so a program doing this has no
    /// defined result. The model computes with zeros and reports them here.
    pub undefined_reads: Vec<String>,
    /// A misuse of the model (the window not inside the memory image); nothing ran.
    pub model_error: Option<ModelError>,
}

impl Outcome {
    /// True when every command completed with defined values and no model misuse.
    pub fn is_clean(&self) -> bool {
        self.error.is_none() && self.undefined_reads.is_empty() && self.model_error.is_none()
    }
}

/// At most this many undefined-read descriptions are kept (then one summary line).
const MAX_UNDEFINED_REPORTS: usize = 256;

/// The machine's architectural state, changed one command at a time.
#[derive(Clone, Debug)]
pub struct Model {
    g: Geometry,
    dataflow: Dataflow,
    mode: Mode,
    requant: RequantParams,
    ld_stride: u32,
    st_stride: u32,
    sp: Vec<Option<Box<[i64]>>>,
    acc: Vec<Option<Box<[i64]>>>,
    /// The weight tile preloaded for the next weight-stationary compute: `rows` rows of
    /// `cols` weights.
    pending: Option<Vec<Vec<i64>>>,
    bias: Vec<i64>,
    macs: u64,
    /// Commands seen since reset (the hardware's `ERROR_INDEX` counts the same way).
    position: usize,
    undefined: Vec<String>,
    undefined_dropped: usize,
}

/// The never-written rows a command reads, gathered for one report line.
struct Undefined {
    rows: Vec<(Space, u32)>,
}

impl Model {
    /// The state after reset (`docs/isa.md`): weight-stationary (output-stationary if only
    /// that is built), no activation, shift 0, multiplier `0x7fffffff`, relu6_max 0,
    /// strides 0, bias 0, no weights preloaded, every local row unwritten.
    pub fn new(cfg: &Config) -> Model {
        let g = cfg.geometry();
        let dataflow = cfg.array.dataflow;
        Model {
            g,
            dataflow,
            mode: if dataflow.has_ws() { Mode::Ws } else { Mode::Os },
            requant: RequantParams { multiplier: i32::MAX, shift: 0, activation: Activation::None, relu6_max: 0 },
            ld_stride: 0,
            st_stride: 0,
            sp: vec![None; g.sp_rows() as usize],
            acc: vec![None; g.acc_rows as usize],
            pending: None,
            bias: vec![0; g.cols as usize],
            macs: 0,
            position: 0,
            undefined: Vec::new(),
            undefined_dropped: 0,
        }
    }

    /// The geometry the model was built for.
    pub fn geometry(&self) -> &Geometry {
        &self.g
    }

    /// Multiply-accumulates done by the engine since reset: `count * rows * cols` for
    /// every compute, whatever its dataflow (partial tiles count in full).
    pub fn macs(&self) -> u64 {
        self.macs
    }

    /// Scratchpad row `i` (`max(rows, cols)` inputs), `None` if never written.
    pub fn sp_row(&self, i: u32) -> Option<&[i64]> {
        self.sp.get(i as usize).and_then(|r| r.as_deref())
    }

    /// Accumulator row `i` (`cols` accumulators), `None` if never written.
    pub fn acc_row(&self, i: u32) -> Option<&[i64]> {
        self.acc.get(i as usize).and_then(|r| r.as_deref())
    }

    /// The current dataflow mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The read-out's current requantization parameters.
    pub fn requant(&self) -> RequantParams {
        self.requant
    }

    /// The read-out's current bias (`cols` accumulators).
    pub fn bias(&self) -> &[i64] {
        &self.bias
    }

    /// The preloaded, unused weight tile (`rows` rows of `cols`), if any.
    pub fn pending_weights(&self) -> Option<&[Vec<i64>]> {
        self.pending.as_deref()
    }

    /// Every undefined read reported since reset (see [`Outcome::undefined_reads`]).
    pub fn undefined_reads(&self) -> &[String] {
        &self.undefined
    }

    /// Run `program` until its end or the first error. `window` must lie inside `mem`;
    /// otherwise nothing runs and [`Outcome::model_error`] says why.
    pub fn run(&mut self, program: &[[u32; 4]], mem: &mut Memory, window: Window) -> Outcome {
        let mut out = Outcome::default();
        let reported = self.undefined.len();
        if let Err(e) = mem.check_window(window) {
            out.model_error = Some(e);
        } else {
            for (i, words) in program.iter().enumerate() {
                if let Err(code) = self.execute(*words, mem, window) {
                    out.error = Some((i, code));
                    break;
                }
                out.executed += 1;
            }
        }
        out.macs = self.macs;
        out.undefined_reads = self.undefined[reported..].to_vec();
        out
    }

    /// Execute one command. On `Err` the command had no effect (state and memory are
    /// unchanged); the caller stops there, as the hardware does.
    ///
    /// `window` should lie inside `mem` ([`Memory::check_window`]): a transfer that the
    /// window allows but that falls outside the image cannot be modelled, and is skipped
    /// with a line in [`Model::undefined_reads`].
    pub fn execute(&mut self, words: [u32; 4], mem: &mut Memory, window: Window) -> Result<(), ErrorCode> {
        let index = self.position;
        self.position += 1;
        let instr = Instr::decode(words).map_err(|_| ErrorCode::IllegalCommand)?;
        self.check(&instr, window)?;
        let mut undefined = Undefined { rows: Vec::new() };
        if let Err(e) = self.apply(&instr, mem, &mut undefined) {
            self.report(format!("command {index} `{instr}`: not modelled: {e}"));
        }
        if !undefined.rows.is_empty() {
            let what = describe_rows(&undefined.rows).join(", ");
            self.report(format!("command {index} `{instr}` reads {what}, never written since reset"));
        }
        Ok(())
    }

    fn report(&mut self, line: String) {
        if self.undefined.len() < MAX_UNDEFINED_REPORTS {
            self.undefined.push(line);
        } else {
            self.undefined_dropped += 1;
            let summary = format!("... and {} more commands with undefined reads", self.undefined_dropped);
            if self.undefined_dropped == 1 {
                self.undefined.push(summary);
            } else if let Some(last) = self.undefined.last_mut() {
                *last = summary;
            }
        }
    }

    fn rows_of(&self, space: Space) -> u64 {
        match space {
            Space::Scratchpad => self.g.sp_rows().into(),
            Space::Accumulator => self.g.acc_rows.into(),
        }
    }

    fn elems_of(&self, space: Space) -> u32 {
        match space {
            Space::Scratchpad => self.g.sp_elems(),
            Space::Accumulator => self.g.cols,
        }
    }

    /// The rules of `docs/isa.md` "Errors", in its priority order (after decoding).
    fn check(&self, instr: &Instr, window: Window) -> Result<(), ErrorCode> {
        let past = |row: u32, n: u64, space: Space| u64::from(row) + n > self.rows_of(space);
        match *instr {
            Instr::ConfigEx { mode, relu6_max, .. } => {
                let built = match mode {
                    Mode::Ws => self.dataflow.has_ws(),
                    Mode::Os => self.dataflow.has_os(),
                };
                if !built {
                    return Err(ErrorCode::Mode);
                }
                let max_input = (1i64 << (self.g.input_bits - 1)) - 1;
                if !(0..=max_input).contains(&i64::from(relu6_max)) {
                    return Err(ErrorCode::Size);
                }
            }
            Instr::ConfigLd { .. } | Instr::ConfigSt { .. } | Instr::Fence => {}
            Instr::Mvin { dram, local, rows, cols } | Instr::Mvout { dram, local, rows, cols } => {
                let mvout = matches!(instr, Instr::Mvout { .. });
                if u32::from(cols) > self.elems_of(local.space) {
                    return Err(ErrorCode::Size);
                }
                if past(local.row, rows.into(), local.space) {
                    return Err(ErrorCode::LocalRange);
                }
                let eb = self.g.dram_elem_bytes(local, mvout);
                let stride = if mvout { self.st_stride } else { self.ld_stride };
                if dram % eb != 0 || stride % eb != 0 {
                    return Err(ErrorCode::DmaAlign);
                }
                let (first, last) = dma_span(dram, stride, rows, cols, eb);
                if !window.covers(first, last) {
                    return Err(ErrorCode::DmaWindow);
                }
            }
            Instr::Preload { local, rows } => match local.space {
                Space::Scratchpad => {
                    if self.mode == Mode::Os {
                        return Err(ErrorCode::Mode);
                    }
                    if self.pending.is_some() {
                        return Err(ErrorCode::Sequence);
                    }
                    if u32::from(rows) > self.g.rows {
                        return Err(ErrorCode::Size);
                    }
                    if past(local.row, rows.into(), Space::Scratchpad) {
                        return Err(ErrorCode::LocalRange);
                    }
                }
                Space::Accumulator => {
                    if past(local.row, 1, Space::Accumulator) {
                        return Err(ErrorCode::LocalRange);
                    }
                }
            },
            Instr::Compute { a, b, c, count } => {
                let n = u64::from(count);
                match self.mode {
                    Mode::Ws => {
                        if self.pending.is_none() {
                            return Err(ErrorCode::Sequence);
                        }
                        if past(a, n, Space::Scratchpad) || past(c.row, n, Space::Accumulator) {
                            return Err(ErrorCode::LocalRange);
                        }
                    }
                    Mode::Os => {
                        if past(a, n, Space::Scratchpad)
                            || past(b, n, Space::Scratchpad)
                            || past(c.row, self.g.rows.into(), Space::Accumulator)
                        {
                            return Err(ErrorCode::LocalRange);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The effect of a command that passed [`Model::check`].
    fn apply(&mut self, instr: &Instr, mem: &mut Memory, undefined: &mut Undefined) -> Result<(), ModelError> {
        let g = self.g;
        match *instr {
            Instr::ConfigEx { mode, activation, shift, multiplier, relu6_max } => {
                self.mode = mode;
                self.requant =
                    RequantParams { multiplier, shift: u32::from(shift), activation, relu6_max: relu6_max.into() };
            }
            Instr::ConfigLd { stride } => self.ld_stride = stride,
            Instr::ConfigSt { stride } => self.st_stride = stride,
            Instr::Fence => {}
            Instr::Mvin { dram, local, rows, cols } => {
                let eb = self.g.dram_elem_bytes(local, false);
                let (first, last) = dma_span(dram, self.ld_stride, rows, cols, eb);
                if !mem.contains(first, last - first + 1) {
                    return Err(ModelError::OutsideMemory {
                        addr: first,
                        len: last - first + 1,
                        base: mem.base,
                        end: mem.end(),
                    });
                }
                let bits = match local.space {
                    Space::Scratchpad => g.input_bits,
                    Space::Accumulator => g.acc_bits,
                };
                for r in 0..u32::from(rows) {
                    let addr = u64::from(dram) + u64::from(r) * u64::from(self.ld_stride);
                    let mut values = Vec::with_capacity(cols.into());
                    for e in 0..u64::from(cols) {
                        values.push(quant::wrap(mem.read_int_at(addr + e * u64::from(eb), eb)?, bits));
                    }
                    let row = local.row + r;
                    let n = self.elems_of(local.space) as usize;
                    let new = if local.accumulate {
                        let mut old = self.read_row(local.space, row, undefined);
                        for (o, v) in old.iter_mut().zip(&values) {
                            *o = quant::wrap(o.wrapping_add(*v), bits);
                        }
                        old
                    } else {
                        let mut fresh = vec![0; n];
                        fresh[..values.len()].copy_from_slice(&values);
                        fresh
                    };
                    self.write_row(local.space, row, new);
                }
            }
            Instr::Mvout { dram, local, rows, cols } => {
                let eb = self.g.dram_elem_bytes(local, true);
                let (first, last) = dma_span(dram, self.st_stride, rows, cols, eb);
                if !mem.contains(first, last - first + 1) {
                    return Err(ModelError::OutsideMemory {
                        addr: first,
                        len: last - first + 1,
                        base: mem.base,
                        end: mem.end(),
                    });
                }
                let requantized = local.space == Space::Accumulator && !local.raw;
                for r in 0..u32::from(rows) {
                    let values = self.read_row(local.space, local.row + r, undefined);
                    let addr = u64::from(dram) + u64::from(r) * u64::from(self.st_stride);
                    for (e, v) in values.iter().take(cols.into()).enumerate() {
                        let out = if requantized {
                            quant::requantize(*v, self.bias[e], g.acc_bits, g.input_bits, &self.requant)
                        } else {
                            *v
                        };
                        mem.write_int_at(addr + e as u64 * u64::from(eb), eb, out)?;
                    }
                }
            }
            Instr::Preload { local, rows } => match local.space {
                Space::Scratchpad => {
                    let mut tile = vec![vec![0; g.cols as usize]; g.rows as usize];
                    for (r, w) in tile.iter_mut().enumerate().take(rows.into()) {
                        let row = self.read_row(Space::Scratchpad, local.row + r as u32, undefined);
                        w.copy_from_slice(&row[..g.cols as usize]);
                    }
                    self.pending = Some(tile);
                }
                Space::Accumulator => {
                    self.bias = self.read_row(Space::Accumulator, local.row, undefined);
                }
            },
            Instr::Compute { a, b, c, count } => {
                let (rows, cols) = (g.rows as usize, g.cols as usize);
                let results: Vec<Vec<i64>> = match self.mode {
                    Mode::Ws => {
                        let tile = self.pending.take().unwrap_or_default();
                        (0..u32::from(count))
                            .map(|m| {
                                let x = self.read_row(Space::Scratchpad, a + m, undefined);
                                (0..cols)
                                    .map(|j| {
                                        let s = (0..rows).fold(0i64, |s, r| s.wrapping_add(x[r] * tile[r][j]));
                                        quant::wrap(s, g.acc_bits)
                                    })
                                    .collect()
                            })
                            .collect()
                    }
                    Mode::Os => {
                        let mut sums = vec![vec![0i64; cols]; rows];
                        for k in 0..u32::from(count) {
                            let x = self.read_row(Space::Scratchpad, a + k, undefined);
                            let y = self.read_row(Space::Scratchpad, b + k, undefined);
                            for (i, s) in sums.iter_mut().enumerate() {
                                for (j, s) in s.iter_mut().enumerate() {
                                    *s = quant::wrap(s.wrapping_add(x[i] * y[j]), g.acc_bits);
                                }
                            }
                        }
                        sums
                    }
                };
                for (i, out) in results.into_iter().enumerate() {
                    let row = c.row + i as u32;
                    let new = if c.accumulate {
                        let old = self.read_row(Space::Accumulator, row, undefined);
                        old.iter().zip(&out).map(|(o, v)| quant::wrap(o.wrapping_add(*v), g.acc_bits)).collect()
                    } else {
                        out
                    };
                    self.write_row(Space::Accumulator, row, new);
                }
                self.macs += u64::from(count) * u64::from(g.rows) * u64::from(g.cols);
            }
        }
        Ok(())
    }

    /// A local row's values; a row never written reads as zeros and is reported.
    fn read_row(&self, space: Space, row: u32, undefined: &mut Undefined) -> Vec<i64> {
        let rows = match space {
            Space::Scratchpad => &self.sp,
            Space::Accumulator => &self.acc,
        };
        match &rows[row as usize] {
            Some(values) => values.to_vec(),
            None => {
                if !undefined.rows.contains(&(space, row)) {
                    undefined.rows.push((space, row));
                }
                vec![0; self.elems_of(space) as usize]
            }
        }
    }

    fn write_row(&mut self, space: Space, row: u32, values: Vec<i64>) {
        let rows = match space {
            Space::Scratchpad => &mut self.sp,
            Space::Accumulator => &mut self.acc,
        };
        rows[row as usize] = Some(values.into_boxed_slice());
    }
}

/// First and last byte (inclusive) of a `rows` x `cols` transfer of `eb`-byte elements,
/// rows `stride` apart, computed without wrapping.
pub fn dma_span(dram: u32, stride: u32, rows: u16, cols: u16, eb: u32) -> (u64, u64) {
    let first = u64::from(dram);
    let last = first + u64::from(rows.max(1) - 1) * u64::from(stride) + u64::from(cols.max(1)) * u64::from(eb) - 1;
    (first, last)
}

/// "scratchpad rows 4..=7, accumulator row 9": runs of consecutive rows, in order.
fn describe_rows(rows: &[(Space, u32)]) -> Vec<String> {
    let mut sorted = rows.to_vec();
    sorted.sort_by_key(|(s, r)| (*s == Space::Accumulator, *r));
    let mut out = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let (space, start) = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == (space, end + 1) {
            end += 1;
            i += 1;
        }
        let name = if space == Space::Scratchpad { "scratchpad" } else { "accumulator" };
        out.push(if start == end { format!("{name} row {start}") } else { format!("{name} rows {start}..={end}") });
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests;
