//! The tiler: a matrix multiplication `C = act(requant(A x B + bias))` of any shape
//! becomes a main-memory layout and a program for one configuration. `docs/tiler.md`
//! explains the layout, the loop nest and the schedule.
//!
//! ```
//! use ip_blocks::model::Model;
//! use ip_blocks::quant::{Activation, RequantParams};
//! use ip_blocks::tiler::{random_matmul, reference_matmul, tile_matmul, MatmulSpec};
//! use ip_blocks::Config;
//!
//! let cfg = Config::preset("ice40").expect("preset");
//! let requant = RequantParams { multiplier: 1 << 30, shift: 6, activation: Activation::Relu, relu6_max: 0 };
//! let spec = MatmulSpec { m: 5, k: 7, n: 3, bias: true, requant };
//! let tiled = tile_matmul(&cfg, &spec, 0x1000).expect("fits");
//! let (a, b, bias) = random_matmul(&spec, &cfg, 1);
//! let mut mem = tiled.memory(&a, &b, &bias);
//! let outcome = Model::new(&cfg).run(&tiled.words(), &mut mem, tiled.layout.window());
//! assert!(outcome.is_clean(), "{outcome:?}");
//! let g = cfg.geometry();
//! assert_eq!(tiled.read_c(&mem), reference_matmul(&spec, g.acc_bits, g.input_bits, &a, &b, &bias));
//! ```

mod plan;
mod schedule;
mod slots;
pub mod timing;

use crate::isa::{Instr, Mode};
use crate::model::{Memory, Window};
use crate::quant::{self, QuantError, RequantParams};
use crate::Config;
use std::fmt;
use thiserror::Error;

pub use schedule::{Counts, Region, Schedule};

/// One matrix multiplication: `C (m x n) = act(requant(A (m x k) x B (k x n) + bias))`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatmulSpec {
    /// Rows of A and C.
    pub m: u32,
    /// Columns of A, rows of B (the reduction).
    pub k: u32,
    /// Columns of B and C.
    pub n: u32,
    /// Add a bias (one accumulator per column of C) before requantizing.
    pub bias: bool,
    /// The read-out's requantization and activation.
    pub requant: RequantParams,
}

/// Where the operands live in main memory. Every region starts on a 64-byte boundary;
/// rows are `*_stride` bytes apart (the row's bytes rounded up to the AXI beat).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatmulLayout {
    /// First byte of the layout (the DMA window starts here).
    pub base: u32,
    /// A: `m` rows of `k` inputs, row-major; transposed (`k` rows of `m`) when
    /// `a_transposed`, as the output-stationary dataflow needs.
    pub a: u32,
    /// B: `k` rows of `n` inputs, row-major.
    pub b: u32,
    /// The bias: `n` accumulators, padded with zeros to whole accumulator rows
    /// (`cols` each); without a bias, one row of zeros.
    pub bias: u32,
    /// C: `m` rows of `n` inputs, row-major.
    pub c: u32,
    /// Bytes between rows of A (of A transposed when `a_transposed`).
    pub a_stride: u32,
    /// Bytes between rows of B.
    pub b_stride: u32,
    /// Bytes between rows of C.
    pub c_stride: u32,
    /// Bytes from `base` to the end of C.
    pub bytes: u32,
    /// A is stored transposed (output-stationary programs).
    pub a_transposed: bool,
    /// C holds the raw accumulators (`acc_bits`, in accumulator elements) instead of
    /// requantized outputs.
    pub c_raw: bool,
}

impl MatmulLayout {
    /// The DMA window covering the whole layout.
    pub fn window(&self) -> Window {
        Window { base: self.base, limit: self.base + (self.bytes - 1) }
    }
}

/// A matrix multiplication ready to run: layout, program and the schedule chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TiledMatmul {
    /// What is computed.
    pub spec: MatmulSpec,
    /// Where the operands live.
    pub layout: MatmulLayout,
    /// The instruction stream (it sets every `config_*` it relies on).
    pub program: Vec<Instr>,
    /// Tile sizes, buffer placement and command counts.
    pub schedule: Schedule,
    input_bytes: u32,
    acc_bytes: u32,
}

/// What the program leaves in C.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReadOut {
    /// `act(requant(A x B + bias))`, `input_bits` wide (int8 by default).
    #[default]
    Requantized,
    /// The raw accumulators `A x B`, `acc_bits` wide (int32 by default): the hardware's
    /// raw read-out adds no bias and does not requantize.
    Raw,
}

/// Why a matrix multiplication cannot be tiled for a configuration.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum TileError {
    /// A dimension is 0.
    #[error("matmul {m}x{k}x{n}: every dimension must be at least 1")]
    Empty {
        /// Rows of A and C.
        m: u32,
        /// The reduction.
        k: u32,
        /// Columns of B and C.
        n: u32,
    },
    /// The requantization parameters do not fit the configuration.
    #[error("matmul requantization: {0}")]
    Requant(#[from] QuantError),
    /// The engine was not built with the dataflow asked for.
    #[error("the matrix engine has no {0:?} dataflow (array.dataflow in the configuration)")]
    Dataflow(Mode),
    /// A local memory is too small for the smallest tiles.
    #[error("{memory} too small: {need} rows needed, {have} available ({why})")]
    LocalMemory {
        /// `scratchpad` or `accumulator`.
        memory: &'static str,
        /// Rows the smallest tiling needs.
        need: u64,
        /// Rows the memory has.
        have: u64,
        /// What the rows are for.
        why: String,
    },
    /// A raw read-out was asked for with a bias, which it would not add.
    #[error("a raw read-out returns the accumulators A x B without bias (the hardware adds the bias only when it requantizes): drop the bias or read out requantized")]
    RawWithBias,
    /// The layout does not fit below 2^32.
    #[error("the layout needs {bytes} bytes from {base:#010x}, past the 32-bit address space")]
    AddressSpace {
        /// Where the layout starts.
        base: u32,
        /// Bytes it needs.
        bytes: u64,
    },
}

/// Tile `spec` for `cfg` with its layout at `base`: weight-stationary when the engine has
/// it, else output-stationary.
pub fn tile_matmul(cfg: &Config, spec: &MatmulSpec, base: u32) -> Result<TiledMatmul, TileError> {
    let mode = if cfg.array.dataflow.has_ws() { Mode::Ws } else { Mode::Os };
    tile_matmul_with(cfg, spec, base, mode)
}

/// Tile `spec` for `cfg` with a chosen dataflow.
pub fn tile_matmul_with(cfg: &Config, spec: &MatmulSpec, base: u32, mode: Mode) -> Result<TiledMatmul, TileError> {
    tile_matmul_read_out(cfg, spec, base, mode, ReadOut::Requantized)
}

/// Tile `spec` for `cfg` with a chosen dataflow and read-out. With [`ReadOut::Raw`], C
/// holds accumulator elements and `spec.requant` is set but unused; `spec.bias` must be
/// false.
pub fn tile_matmul_read_out(
    cfg: &Config,
    spec: &MatmulSpec,
    base: u32,
    mode: Mode,
    read_out: ReadOut,
) -> Result<TiledMatmul, TileError> {
    let g = cfg.geometry();
    let (m, k, n) = (spec.m, spec.k, spec.n);
    if m == 0 || k == 0 || n == 0 {
        return Err(TileError::Empty { m, k, n });
    }
    spec.requant.validate(g.input_bits)?;
    let built = match mode {
        Mode::Ws => cfg.array.dataflow.has_ws(),
        Mode::Os => cfg.array.dataflow.has_os(),
    };
    if !built {
        return Err(TileError::Dataflow(mode));
    }
    let raw = read_out == ReadOut::Raw;
    if raw && spec.bias {
        return Err(TileError::RawWithBias);
    }
    let layout = layout(&g, spec, base, mode == Mode::Os, raw)?;
    let (program, schedule) = plan::plan(&g, spec, &layout, mode)?;
    Ok(TiledMatmul {
        spec: *spec,
        layout,
        program,
        schedule,
        input_bytes: g.sp_elem_bytes(),
        acc_bytes: g.acc_elem_bytes(),
    })
}

fn layout(
    g: &crate::geometry::Geometry,
    spec: &MatmulSpec,
    base: u32,
    a_transposed: bool,
    c_raw: bool,
) -> Result<MatmulLayout, TileError> {
    let (m, k, n) = (u64::from(spec.m), u64::from(spec.k), u64::from(spec.n));
    let (eb, ab) = (u64::from(g.sp_elem_bytes()), u64::from(g.acc_elem_bytes()));
    let beat = u64::from(g.dma_beat_bytes()).max(1);
    let up = |x: u64, to: u64| x.div_ceil(to) * to;
    let (a_rows, a_cols) = if a_transposed { (k, m) } else { (m, k) };
    let a_stride = up(a_cols * eb, beat);
    let b_stride = up(n * eb, beat);
    let c_stride = up(n * if c_raw { ab } else { eb }, beat);
    let bias_bytes = if spec.bias { n.div_ceil(u64::from(g.cols)) } else { 1 } * u64::from(g.cols) * ab;
    let a = up(u64::from(base), 64);
    let b = up(a + a_rows * a_stride, 64);
    let bias = up(b + k * b_stride, 64);
    let c = up(bias + bias_bytes, 64);
    let end = c + m * c_stride;
    let bytes = end - u64::from(base);
    if end > 1 << 32 || bytes > u64::from(u32::MAX) || a_stride > u64::from(u32::MAX) {
        return Err(TileError::AddressSpace { base, bytes });
    }
    Ok(MatmulLayout {
        base,
        a: a as u32,
        b: b as u32,
        bias: bias as u32,
        c: c as u32,
        a_stride: a_stride as u32,
        b_stride: b_stride as u32,
        c_stride: c_stride as u32,
        bytes: bytes as u32,
        a_transposed,
        c_raw,
    })
}

impl TiledMatmul {
    /// The program as command words, ready for [`crate::model::Model::run`] or the
    /// hardware's command queue.
    pub fn words(&self) -> Vec<[u32; 4]> {
        self.program.iter().map(Instr::encode).collect()
    }

    /// The program as assembly text, one instruction per line.
    pub fn assembly(&self) -> String {
        self.program.iter().map(|i| format!("{i}\n")).collect()
    }

    /// The memory image of the layout: `a` (m x k, row-major), `b` (k x n, row-major) and
    /// `bias` (n values; empty when the spec has no bias) in place, everything else
    /// zero.
    ///
    /// # Panics
    /// When a slice does not have the length the spec gives it.
    pub fn memory(&self, a: &[i64], b: &[i64], bias: &[i64]) -> Memory {
        let (m, k, n) = (self.spec.m as usize, self.spec.k as usize, self.spec.n as usize);
        assert_eq!(a.len(), m * k, "A must have m * k = {m} * {k} elements");
        assert_eq!(b.len(), k * n, "B must have k * n = {k} * {n} elements");
        let nbias = if self.spec.bias { n } else { 0 };
        assert_eq!(bias.len(), nbias, "the bias must have {nbias} elements");
        let l = &self.layout;
        let mut mem = Memory::new(l.base, l.bytes as usize);
        let eb = self.input_bytes;
        let put = |mem: &mut Memory, addr: u32, nbytes: u32, v: i64| {
            mem.write_int(addr, nbytes, v).expect("the layout lies inside its own image");
        };
        for i in 0..m {
            for j in 0..k {
                let addr = if l.a_transposed {
                    l.a + j as u32 * l.a_stride + i as u32 * eb
                } else {
                    l.a + i as u32 * l.a_stride + j as u32 * eb
                };
                put(&mut mem, addr, eb, a[i * k + j]);
            }
        }
        for i in 0..k {
            for j in 0..n {
                put(&mut mem, l.b + i as u32 * l.b_stride + j as u32 * eb, eb, b[i * n + j]);
            }
        }
        for (j, v) in bias.iter().enumerate() {
            put(&mut mem, l.bias + j as u32 * self.acc_bytes, self.acc_bytes, *v);
        }
        mem
    }

    /// What C holds.
    pub fn read_out(&self) -> ReadOut {
        if self.layout.c_raw {
            ReadOut::Raw
        } else {
            ReadOut::Requantized
        }
    }

    /// Bytes of one element of C in main memory.
    pub fn c_elem_bytes(&self) -> u32 {
        if self.layout.c_raw {
            self.acc_bytes
        } else {
            self.input_bytes
        }
    }

    /// C (m x n, row-major) as the program left it in `mem`: requantized outputs, or raw
    /// accumulators (sign-extended from `acc_bits` rounded up to whole bytes).
    pub fn read_c(&self, mem: &Memory) -> Vec<i64> {
        let l = &self.layout;
        let mut c = Vec::with_capacity(self.spec.m as usize * self.spec.n as usize);
        for i in 0..self.spec.m {
            let row = mem.read_ints(l.c + i * l.c_stride, self.c_elem_bytes(), self.spec.n as usize);
            c.extend(row.expect("the memory image covers the layout"));
        }
        c
    }

    /// Useful multiply-accumulates: `m * k * n`.
    pub fn macs(&self) -> u64 {
        u64::from(self.spec.m) * u64::from(self.spec.k) * u64::from(self.spec.n)
    }
}

impl fmt::Display for TiledMatmul {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (s, l) = (&self.spec, &self.layout);
        writeln!(f, "matmul {}x{}x{} (bias: {}, {:?})", s.m, s.k, s.n, s.bias, s.requant.activation)?;
        writeln!(
            f,
            "layout: A {:#010x} (stride {}{}), B {:#010x} (stride {}), bias {:#010x}, C {:#010x} (stride {}), {} bytes from {:#010x}",
            l.a,
            l.a_stride,
            if l.a_transposed { ", transposed" } else { "" },
            l.b,
            l.b_stride,
            l.bias,
            l.c,
            l.c_stride,
            l.bytes,
            l.base
        )?;
        write!(f, "{}", self.schedule)
    }
}

/// C computed directly: a triple loop with `acc_bits` wrapping sums, then
/// [`quant::requantize`] of each sum with its column's bias. Inputs are taken modulo
/// `input_bits` and the bias modulo `acc_bits`, as `mvin` does. `bias` is empty when the
/// spec has none.
pub fn reference_matmul(
    spec: &MatmulSpec,
    acc_bits: u32,
    input_bits: u32,
    a: &[i64],
    b: &[i64],
    bias: &[i64],
) -> Vec<i64> {
    let (m, k, n) = (spec.m as usize, spec.k as usize, spec.n as usize);
    let mut c = vec![0; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut sum = 0i64;
            for x in 0..k {
                sum = sum.wrapping_add(quant::wrap(a[i * k + x], input_bits) * quant::wrap(b[x * n + j], input_bits));
            }
            let bj = if spec.bias { quant::wrap(bias[j], acc_bits) } else { 0 };
            c[i * n + j] = quant::requantize(quant::wrap(sum, acc_bits), bj, acc_bits, input_bits, &spec.requant);
        }
    }
    c
}

/// The raw accumulators `A x B` computed directly: a triple loop with `acc_bits`
/// wrapping sums, no bias, no requantization (what [`ReadOut::Raw`] leaves in C). Inputs
/// are taken modulo `input_bits`, as `mvin` does.
pub fn reference_matmul_raw(spec: &MatmulSpec, acc_bits: u32, input_bits: u32, a: &[i64], b: &[i64]) -> Vec<i64> {
    let (m, k, n) = (spec.m as usize, spec.k as usize, spec.n as usize);
    let mut c = vec![0; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut sum = 0i64;
            for x in 0..k {
                sum = sum.wrapping_add(quant::wrap(a[i * k + x], input_bits) * quant::wrap(b[x * n + j], input_bits));
            }
            c[i * n + j] = quant::wrap(sum, acc_bits);
        }
    }
    c
}

/// Random operands for `spec` from `seed` (splitmix64): A and B uniform over the input
/// range, the bias (empty without one) within +-2^(2 input_bits - 2).
pub fn random_matmul(spec: &MatmulSpec, cfg: &Config, seed: u64) -> (Vec<i64>, Vec<i64>, Vec<i64>) {
    let bits = cfg.array.input_bits;
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let mut uniform = |half: i64| (next() % (2 * half as u64)) as i64 - half;
    let (m, k, n) = (spec.m as usize, spec.k as usize, spec.n as usize);
    let a = (0..m * k).map(|_| uniform(1 << (bits - 1))).collect();
    let b = (0..k * n).map(|_| uniform(1 << (bits - 1))).collect();
    let bias = if spec.bias { (0..n).map(|_| uniform(1 << (2 * bits - 2))).collect() } else { Vec::new() };
    (a, b, bias)
}

#[cfg(test)]
mod tests;
