//! Random instruction streams for system tests: every instruction kind, mixed, with
//! random sizes, strides, alignments, flags and configurations, that read only local
//! rows they (or earlier instructions) defined, so that the golden model's result is
//! fully defined and the RTL must match it byte for byte. Faults are inserted on purpose
//! by [`with_fault`].
//!
//! Main memory: `[base, base + INPUT)` holds random inputs that `mvin` reads;
//! `[base + INPUT, base + INPUT + OUTPUT)` is where `mvout` writes. Loads never read
//! what stores write, so no `fence` is needed for main-memory ordering (docs/isa.md).

use ip_blocks::geometry::Geometry;
use ip_blocks::isa::{Instr, LocalAddr, Mode, Space};
use ip_blocks::model::Memory;
use ip_blocks::quant::Activation;
use ip_blocks::Config;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Bytes of the input region.
pub const INPUT: u32 = 16 * 1024;
/// Bytes of the output region.
pub const OUTPUT: u32 = 16 * 1024;
/// Base address of the image.
pub const BASE: u32 = 0x0001_0000;

/// The instruction kinds a program can be restricted to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `mvin` into the scratchpad.
    MvinSp,
    /// `mvin` into the accumulator (overwrite or accumulate).
    MvinAcc,
    /// `mvout` from the scratchpad.
    MvoutSp,
    /// `mvout` from the accumulator, requantized or raw.
    MvoutAcc,
    /// Weight-stationary `preload` + `compute`.
    ComputeWs,
    /// Output-stationary `compute`.
    ComputeOs,
    /// `preload` of a bias row.
    PreloadBias,
    /// `config_ex` with random requantization (and dataflow when both are built).
    ConfigEx,
    /// `config_ld` / `config_st`.
    ConfigStride,
    /// `fence`.
    Fence,
}

/// Every kind.
pub const ALL: [Kind; 10] = [
    Kind::MvinSp,
    Kind::MvinAcc,
    Kind::MvoutSp,
    Kind::MvoutAcc,
    Kind::ComputeWs,
    Kind::ComputeOs,
    Kind::PreloadBias,
    Kind::ConfigEx,
    Kind::ConfigStride,
    Kind::Fence,
];

struct Gen {
    g: Geometry,
    /// First physical row of the rows the program uses (indices below are relative):
    /// the scratchpad's straddle the boundary of banks 0 and 1, the accumulator's are
    /// its last rows, so that bank selection and high addresses are exercised.
    sp_base: u32,
    acc_base: u32,
    ws: bool,
    os: bool,
    rng: ChaCha8Rng,
    sp_def: Vec<bool>,
    acc_def: Vec<bool>,
    mode: Mode,
    ld_stride: u32,
    st_stride: u32,
    out: Vec<Instr>,
}

impl Gen {
    fn emit(&mut self, i: Instr) {
        if let Instr::ConfigEx { mode, .. } = i {
            self.mode = mode;
        }
        self.out.push(i);
    }

    /// A run of `n` defined rows in `def`, if there is one (tries a few places).
    fn defined_run(&mut self, space: Space, max_n: u32) -> Option<(u32, u32)> {
        let def = if space == Space::Scratchpad { &self.sp_def } else { &self.acc_def };
        let len = def.len() as u32;
        for _ in 0..20 {
            let n = self.rng.gen_range(1..=max_n.min(len));
            let r = self.rng.gen_range(0..=len - n);
            if (r..r + n).all(|i| def[i as usize]) {
                return Some((r, n));
            }
        }
        None
    }

    /// The local address of relative row `row`.
    fn addr(&self, space: Space, row: u32) -> LocalAddr {
        match space {
            Space::Scratchpad => LocalAddr::scratchpad(self.sp_base + row),
            Space::Accumulator => LocalAddr::accumulator(self.acc_base + row),
        }
    }

    fn local_rows(&self, space: Space) -> u32 {
        if space == Space::Scratchpad {
            self.g.sp_rows()
        } else {
            self.g.acc_rows
        }
    }

    /// A main-memory address for `rows` rows of `bytes` bytes `stride` apart inside
    /// `[lo, lo + size)`, aligned to `eb`; `None` when the stride does not allow it.
    fn dram(&mut self, lo: u32, size: u32, rows: u32, stride: u32, bytes: u32, eb: u32) -> Option<u32> {
        let span = u64::from(rows - 1) * u64::from(stride) + u64::from(bytes);
        if span > u64::from(size) {
            return None;
        }
        let slack = (u64::from(size) - span) as u32 / eb;
        Some(lo + self.rng.gen_range(0..=slack) * eb)
    }

    fn set_stride(&mut self, load: bool, eb: u32) {
        let s = match self.rng.gen_range(0..4) {
            0 => 0,
            1 => self.rng.gen_range(1..16) * eb,
            2 => self.rng.gen_range(16..200) * eb,
            _ => (self.g.dma_row_bytes() / eb).max(1) * eb,
        };
        if load {
            self.ld_stride = s;
            self.emit(Instr::ConfigLd { stride: s });
        } else {
            self.st_stride = s;
            self.emit(Instr::ConfigSt { stride: s });
        }
    }

    fn mvin(&mut self, space: Space) {
        let g = self.g;
        let (eb, max_cols) =
            if space == Space::Scratchpad { (g.sp_elem_bytes(), g.sp_elems()) } else { (g.acc_elem_bytes(), g.cols) };
        if !self.ld_stride.is_multiple_of(eb) {
            self.set_stride(true, eb);
        }
        let rows = self.rng.gen_range(1..=8u32.min(self.local_rows(space)));
        let cols = self.rng.gen_range(1..=max_cols);
        let Some(dram) = self.dram(BASE, INPUT, rows, self.ld_stride, cols * eb, eb) else {
            return self.set_stride(true, eb);
        };
        let row = self.rng.gen_range(0..=self.local_rows(space) - rows);
        let mut local = self.addr(space, row);
        let def = if space == Space::Scratchpad { &mut self.sp_def } else { &mut self.acc_def };
        if space == Space::Accumulator && (row..row + rows).all(|r| def[r as usize]) && self.rng.gen_bool(0.5) {
            local.accumulate = true;
        }
        for r in row..row + rows {
            def[r as usize] = true;
        }
        self.emit(Instr::Mvin { dram, local, rows: rows as u16, cols: cols as u16 });
    }

    fn mvout(&mut self, space: Space) {
        let g = self.g;
        let raw = space == Space::Accumulator && self.rng.gen_bool(0.5);
        let (eb, max_cols) = match space {
            Space::Scratchpad => (g.sp_elem_bytes(), g.sp_elems()),
            Space::Accumulator if raw => (g.acc_elem_bytes(), g.cols),
            Space::Accumulator => (g.sp_elem_bytes(), g.cols),
        };
        if !self.st_stride.is_multiple_of(eb) {
            return self.set_stride(false, eb);
        }
        let Some((row, rows)) = self.defined_run(space, 8) else { return self.mvin(space) };
        let cols = self.rng.gen_range(1..=max_cols);
        let Some(dram) = self.dram(BASE + INPUT, OUTPUT, rows, self.st_stride, cols * eb, eb) else {
            return self.set_stride(false, eb);
        };
        let mut local = self.addr(space, row);
        local.raw = raw;
        self.emit(Instr::Mvout { dram, local, rows: rows as u16, cols: cols as u16 });
    }

    fn compute_ws(&mut self) {
        if !self.ws {
            return;
        }
        if self.mode != Mode::Ws {
            self.config_ex(Some(Mode::Ws));
        }
        let Some((w, n)) = self.defined_run(Space::Scratchpad, self.g.rows) else {
            return self.mvin(Space::Scratchpad);
        };
        let Some((a, count)) = self.defined_run(Space::Scratchpad, 12) else { return self.mvin(Space::Scratchpad) };
        let (c, acc) = self.out_rows(count);
        self.emit(Instr::Preload { local: self.addr(Space::Scratchpad, w), rows: n as u16 });
        let c = LocalAddr { accumulate: acc, ..self.addr(Space::Accumulator, c) };
        self.emit(Instr::Compute { a: self.sp_base + a, b: 0, c, count: count as u16 });
    }

    /// Accumulator rows for a result of `n` rows: accumulate only onto defined rows.
    fn out_rows(&mut self, n: u32) -> (u32, bool) {
        let c = self.rng.gen_range(0..=self.g.acc_rows - n);
        let acc = (c..c + n).all(|r| self.acc_def[r as usize]) && self.rng.gen_bool(0.5);
        for r in c..c + n {
            self.acc_def[r as usize] = true;
        }
        (c, acc)
    }

    fn compute_os(&mut self) {
        if !self.os {
            return;
        }
        if self.mode != Mode::Os {
            self.config_ex(Some(Mode::Os));
        }
        let Some((a, count)) = self.defined_run(Space::Scratchpad, 12) else { return self.mvin(Space::Scratchpad) };
        let Some((b, _)) = self.defined_run(Space::Scratchpad, 1) else { return };
        // B rows b .. b + count must be defined too.
        if b + count > self.g.sp_rows() || !(b..b + count).all(|r| self.sp_def[r as usize]) {
            return;
        }
        let (c, acc) = self.out_rows(self.g.rows);
        let c = LocalAddr { accumulate: acc, ..self.addr(Space::Accumulator, c) };
        self.emit(Instr::Compute { a: self.sp_base + a, b: self.sp_base + b, c, count: count as u16 });
    }

    fn config_ex(&mut self, mode: Option<Mode>) {
        let mode = mode.unwrap_or_else(|| match (self.ws, self.os) {
            (true, true) => {
                if self.rng.gen_bool(0.5) {
                    Mode::Ws
                } else {
                    Mode::Os
                }
            }
            (true, false) => Mode::Ws,
            _ => Mode::Os,
        });
        let max_in = (1i32 << (self.g.input_bits - 1)) - 1;
        let activation = [Activation::None, Activation::Relu, Activation::Relu6][self.rng.gen_range(0..3)];
        let multiplier = match self.rng.gen_range(0..3) {
            0 => self.rng.gen(),
            1 => self.rng.gen_range(1 << 29..i32::MAX),
            _ => i32::MAX,
        };
        let shift = self.rng.gen_range(0..32);
        let relu6_max = self.rng.gen_range(0..=max_in) as i16;
        self.emit(Instr::ConfigEx { mode, activation, shift, multiplier, relu6_max });
    }

    fn step(&mut self, kind: Kind) {
        match kind {
            Kind::MvinSp => self.mvin(Space::Scratchpad),
            Kind::MvinAcc => self.mvin(Space::Accumulator),
            Kind::MvoutSp => self.mvout(Space::Scratchpad),
            Kind::MvoutAcc => self.mvout(Space::Accumulator),
            Kind::ComputeWs => self.compute_ws(),
            Kind::ComputeOs => self.compute_os(),
            Kind::PreloadBias => match self.defined_run(Space::Accumulator, 1) {
                Some((row, _)) => self.emit(Instr::Preload { local: self.addr(Space::Accumulator, row), rows: 1 }),
                None => self.mvin(Space::Accumulator),
            },
            Kind::ConfigEx => self.config_ex(None),
            Kind::ConfigStride => {
                let load = self.rng.gen_bool(0.5);
                let eb = if self.rng.gen_bool(0.5) { self.g.acc_elem_bytes() } else { self.g.sp_elem_bytes() };
                self.set_stride(load, eb)
            }
            Kind::Fence => self.emit(Instr::Fence),
        }
    }
}

/// A random program of about `len` instructions drawn from `kinds` (setup instructions
/// that the kinds need, such as `mvin`s before a `compute`, come along).
pub fn random_program(cfg: &Config, seed: u64, len: usize, kinds: &[Kind]) -> Vec<Instr> {
    let g = cfg.geometry();
    let sp_used = g.sp_rows().min(64);
    let acc_used = g.acc_rows.min(64);
    let mut gen = Gen {
        g,
        // Straddling banks 0 and 1 when the banks are large enough; with small banks
        // (4 banks of 20 rows) the rows used already span several banks from row 0.
        sp_base: if g.sp_banks > 1 {
            g.sp_rows_per_bank.saturating_sub(sp_used / 2).min(g.sp_rows() - sp_used)
        } else {
            0
        },
        acc_base: g.acc_rows - acc_used,
        ws: cfg.array.dataflow.has_ws(),
        os: cfg.array.dataflow.has_os(),
        rng: ChaCha8Rng::seed_from_u64(seed),
        sp_def: vec![false; sp_used as usize],
        acc_def: vec![false; acc_used as usize],
        mode: if cfg.array.dataflow.has_ws() { Mode::Ws } else { Mode::Os },
        ld_stride: 0,
        st_stride: 0,
        out: Vec::new(),
    };
    // Few local rows, so that random ranges meet defined rows.
    gen.g.acc_rows = acc_used;
    gen.g.sp_banks = 1;
    gen.g.sp_rows_per_bank = sp_used;
    // A kind the configuration lacks (output-stationary compute on a weight-stationary
    // engine) emits nothing: bound the attempts.
    for _ in 0..len * 50 {
        if gen.out.len() >= len {
            break;
        }
        let k = kinds[gen.rng.gen_range(0..kinds.len())];
        gen.step(k);
    }
    gen.out
}

/// The memory image for [`random_program`]: random inputs, a zero output region.
pub fn random_memory(seed: u64) -> Memory {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    let mut bytes = vec![0u8; (INPUT + OUTPUT) as usize];
    rng.fill(&mut bytes[..INPUT as usize]);
    Memory { base: BASE, bytes }
}

/// A fault to insert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A `mvout` ending one byte past the window.
    WindowStore,
    /// A `mvin` starting before the window.
    WindowLoad,
    /// A `mvin` into the accumulator from an address that is not a multiple of 4.
    Misaligned,
    /// An opcode that does not exist.
    IllegalOpcode,
    /// A `mvin` running past the end of the scratchpad.
    LocalRange,
}

/// `program` with `fault` inserted at instruction `at`; the window is `window`.
pub fn with_fault(cfg: &Config, program: &[Instr], at: usize, fault: Fault, window: (u32, u32)) -> Vec<[u32; 4]> {
    let g = cfg.geometry();
    let mut words: Vec<[u32; 4]> = program.iter().map(|i| i.encode()).collect();
    let bad: Vec<[u32; 4]> = match fault {
        Fault::WindowStore => vec![
            // Scratchpad row 0 made defined, then two bytes of it stored at the window's
            // last byte: the second one is outside.
            Instr::Mvin { dram: window.0, local: LocalAddr::scratchpad(0), rows: 1, cols: 2 }.encode(),
            Instr::Mvout { dram: window.1, local: LocalAddr::scratchpad(0), rows: 1, cols: 2 }.encode(),
        ],
        Fault::WindowLoad => {
            vec![Instr::Mvin { dram: window.0 - 1, local: LocalAddr::scratchpad(0), rows: 1, cols: 1 }.encode()]
        }
        Fault::Misaligned => {
            vec![Instr::Mvin { dram: window.0 + 2, local: LocalAddr::accumulator(0), rows: 1, cols: 1 }.encode()]
        }
        Fault::IllegalOpcode => vec![[0x7f, 0, 0, 0]],
        Fault::LocalRange => {
            vec![Instr::Mvin { dram: window.0, local: LocalAddr::scratchpad(g.sp_rows() - 1), rows: 2, cols: 1 }
                .encode()]
        }
    };
    let at = at.min(words.len());
    words.splice(at..at, bad);
    words
}
