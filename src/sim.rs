//! `seedchip sim`: a workload run on the RTL (Verilator or the IR interpreter) against
//! the golden model, or on the golden model alone; the result is also checked against an
//! independent computation of the workload. Workloads: a tiled matmul with random int8
//! inputs from a seed or with A, B and the bias from `.npy` files ([`MatmulRun`]), and the
//! int8 MLP on the digits set ([`crate::mlp`]).

use anyhow::{Context, Result};
use ip_blocks::quant::{quantize_scale, Activation, RequantParams};
use ip_blocks::tiler::{
    random_matmul, reference_matmul, reference_matmul_raw, tile_matmul, tile_matmul_read_out, MatmulSpec, ReadOut,
};
use ip_blocks::Config;
use serde::Serialize;
use std::path::{Path, PathBuf};
use testbenches::axi::AxiConfig;
use testbenches::cosim::{self, CosimOptions, Engine};

/// A workload named on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// C = relu(requant(A x B + bias)), A M x K, B K x N.
    Matmul { m: u32, k: u32, n: u32 },
    /// An int8 MLP from a committed fixture, run layer by layer (`mlp:digits`).
    Mlp(crate::mlp::Net),
}

/// The largest matmul dimension `sim` takes (the tiler's commands count rows in 16 bits).
pub const MAX_DIM: u64 = 65535;

impl std::str::FromStr for Workload {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let help = "expected matmul:MxKxN with M, K, N from 1 to 65535, e.g. matmul:128x128x128, or mlp:digits";
        if let Some(name) = s.strip_prefix("mlp:") {
            return crate::mlp::Net::by_name(name).map(Workload::Mlp).ok_or_else(|| {
                format!("unknown network `{name}` in workload `{s}`: the networks are {}", crate::mlp::Net::NAMES)
            });
        }
        let Some(dims) = s.strip_prefix("matmul:") else {
            return Err(format!("unknown workload `{s}`: {help}"));
        };
        let parts: Vec<&str> = dims.split('x').collect();
        if parts.len() != 3 {
            return Err(format!("workload `{s}`: {help}"));
        }
        let mut v = [0u32; 3];
        for (slot, p) in v.iter_mut().zip(&parts) {
            *slot = p
                .parse()
                .ok()
                .filter(|x| (1..=65535).contains(x))
                .ok_or_else(|| format!("workload `{s}`: `{p}` is not a size; {help}"))?;
        }
        Ok(Workload::Matmul { m: v[0], k: v[1], n: v[2] })
    }
}

/// Where the workload runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimEngine {
    /// RTL on Verilator, compared with the golden model.
    Verilator,
    /// RTL on the IR interpreter, compared with the golden model.
    Interp,
    /// The golden model alone.
    Model,
}

impl std::str::FromStr for SimEngine {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "verilator" => Ok(SimEngine::Verilator),
            "interp" => Ok(SimEngine::Interp),
            "model" => Ok(SimEngine::Model),
            _ => Err(format!("unknown engine `{s}`: expected verilator, interp or model")),
        }
    }
}

impl SimEngine {
    /// The engine's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            SimEngine::Verilator => "verilator",
            SimEngine::Interp => "interp",
            SimEngine::Model => "model",
        }
    }
}

/// What `seedchip sim` reports (the JSON keys are an interface: keep them).
#[derive(Clone, Debug, Serialize)]
pub struct SimReport {
    /// RTL = golden model (byte for byte) and the result = the independent reference.
    pub pass: bool,
    /// `verilator`, `interp` or `model`.
    pub engine: String,
    /// The workload, as given.
    pub workload: String,
    /// The input seed.
    pub seed: u64,
    /// Cycles from the first command to the end of the last store (RTL only).
    pub cycles: Option<u64>,
    /// Multiply-accumulates of the workload (M x K x N).
    pub macs: u64,
    /// macs / (rows x cols x cycles) (RTL only).
    pub utilization: Option<f64>,
    /// Instructions in the program.
    pub instructions: usize,
    /// The performance counters (RTL only).
    pub counters: Option<CounterReport>,
    /// The tiler's schedule summary.
    pub schedule: String,
    /// Why it failed, when it did.
    pub failure: Option<String>,
    /// Where C was written (`--out`), when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
}

/// Requantization that keeps random int8 products of a K-long dot product in range.
pub fn workload_requant(cfg: &Config, k: u32) -> Result<RequantParams> {
    let in_max = (1i64 << (cfg.array.input_bits - 1)) as f64;
    // Typical |dot product| ~ (in_max^2 / 3) * sqrt(K); map 3 of those onto in_max.
    let typical = in_max * in_max / 3.0 * f64::from(k).sqrt();
    let scale = (in_max / (3.0 * typical)).min(0.99);
    let (multiplier, shift) = quantize_scale(scale).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(RequantParams { multiplier, shift, activation: Activation::Relu, relu6_max: 0 })
}

/// The read-out as the user chose it on the command line; what is not given comes from
/// [`workload_requant`] (multiplier and shift) and ReLU.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequantChoice {
    /// `--multiplier` and `--shift` (or `--scale`, encoded).
    pub multiplier_shift: Option<(i32, u32)>,
    /// `--activation`.
    pub activation: Option<Activation>,
    /// `--relu6-max`.
    pub relu6_max: Option<i32>,
}

impl RequantChoice {
    /// The parameters for a K-long reduction on `cfg`, checked.
    pub fn resolve(&self, cfg: &Config, k: u32) -> Result<RequantParams> {
        let mut p = workload_requant(cfg, k)?;
        if let Some((multiplier, shift)) = self.multiplier_shift {
            (p.multiplier, p.shift) = (multiplier, shift);
        }
        p.activation = self.activation.unwrap_or(Activation::Relu);
        p.relu6_max = match (p.activation, self.relu6_max) {
            (Activation::Relu6, None) => {
                anyhow::bail!(
                    "--activation relu6 needs --relu6-max N, the quantized value of 6.0 (e.g. 6 / output scale)"
                )
            }
            (_, v) => v.unwrap_or(0),
        };
        p.validate(cfg.array.input_bits).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(p)
    }
}

/// One matmul made concrete: its shape and read-out, A (M x K), B (K x N) and the bias
/// (N values, or none), row-major.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatmulRun {
    /// Shape, bias and requantization.
    pub spec: MatmulSpec,
    /// Requantized int8 or raw int32 C.
    pub read_out: ReadOut,
    /// A, M x K.
    pub a: Vec<i64>,
    /// B, K x N.
    pub b: Vec<i64>,
    /// The bias (empty without one).
    pub bias: Vec<i64>,
    /// The workload as reported (`matmul:MxKxN`, with the files it came from).
    pub label: String,
}

impl MatmulRun {
    /// Random int8 A and B and an int32 bias (none with a raw read-out) from `seed`.
    pub fn random(cfg: &Config, (m, k, n): (u32, u32, u32), seed: u64, rq: &RequantChoice, raw: bool) -> Result<Self> {
        let read_out = if raw { ReadOut::Raw } else { ReadOut::Requantized };
        let spec = MatmulSpec { m, k, n, bias: !raw, requant: rq.resolve(cfg, k)? };
        let (a, b, bias) = random_matmul(&spec, cfg, seed);
        Ok(MatmulRun { spec, read_out, a, b, bias, label: format!("matmul:{m}x{k}x{n}") })
    }

    /// A, B and the bias from `.npy` files: A an M x K and B a K x N matrix of the
    /// configuration's input type (int8 by default), the bias N accumulators (int32 by
    /// default). Every error names the file and what was expected.
    pub fn from_npy(cfg: &Config, files: &NpyInputs, rq: &RequantChoice, raw: bool) -> Result<Self> {
        let g = cfg.geometry();
        let (ib, ab) = (g.sp_elem_bytes(), g.acc_elem_bytes());
        let a = crate::npy::read_matrix(&files.a, "A (--a, the M x K input)", ib)?;
        let b = crate::npy::read_matrix(&files.b, "B (--b, the K x N weights)", ib)?;
        let (an, bn) = (files.a.display(), files.b.display());
        if a.cols != b.rows {
            anyhow::bail!(
                "`{bn}` has {} rows but `{an}` has {} columns: B must be K x N with K = the columns of A ({}x{})",
                b.rows,
                a.cols,
                a.rows,
                a.cols
            );
        }
        for (name, d) in [(&an, a.rows), (&an, a.cols), (&bn, b.cols)] {
            if d as u64 > MAX_DIM {
                anyhow::bail!("`{name}` has a dimension of {d}: the largest `sim` takes is {MAX_DIM}");
            }
        }
        check_range(&a.data, a.cols, g.input_bits, &an.to_string())?;
        check_range(&b.data, b.cols, g.input_bits, &bn.to_string())?;
        let bias = match &files.bias {
            None => Vec::new(),
            Some(_) if raw => anyhow::bail!(
                "--raw returns the accumulators A x B without bias (the hardware adds the bias only when it requantizes): drop --bias or --raw"
            ),
            Some(path) => {
                let v = crate::npy::read_vector(path, "the bias (--bias, one accumulator per column of B)", ab)?;
                if v.len() != b.cols {
                    anyhow::bail!(
                        "`{}` has {} values: the bias must have N = {} values, one per column of `{bn}`",
                        path.display(),
                        v.len(),
                        b.cols
                    );
                }
                check_range(&v, v.len(), g.acc_bits, &path.display().to_string())?;
                v
            }
        };
        let (m, k, n) = (a.rows as u32, a.cols as u32, b.cols as u32);
        let read_out = if raw { ReadOut::Raw } else { ReadOut::Requantized };
        let spec = MatmulSpec { m, k, n, bias: files.bias.is_some(), requant: rq.resolve(cfg, k)? };
        let mut label = format!("matmul:{m}x{k}x{n} from {an}, {bn}");
        if let Some(p) = &files.bias {
            label += &format!(", {}", p.display());
        }
        Ok(MatmulRun { spec, read_out, a: a.data, b: b.data, bias, label })
    }
}

/// Every value of `data` (rows of `cols`) must be a `bits`-bit signed number.
fn check_range(data: &[i64], cols: usize, bits: u32, name: &str) -> Result<()> {
    let (lo, hi) = (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1);
    if let Some(i) = data.iter().position(|v| !(lo..=hi).contains(v)) {
        anyhow::bail!(
            "`{name}`: element [{}][{}] = {} is outside the {bits}-bit range {lo} to {hi} of this configuration",
            i / cols.max(1),
            i % cols.max(1),
            data[i]
        );
    }
    Ok(())
}

/// The `.npy` files of a matmul given on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NpyInputs {
    /// `--a`: A, M x K.
    pub a: PathBuf,
    /// `--b`: B, K x N.
    pub b: PathBuf,
    /// `--bias`: N accumulators.
    pub bias: Option<PathBuf>,
}

/// Check, before a run, that `--out` can be written: its folder exists.
pub fn check_out_path(out: &Path) -> Result<()> {
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        anyhow::bail!("--out `{}`: the folder `{}` does not exist; create it first", out.display(), dir.display());
    }
    if out.is_dir() {
        anyhow::bail!("--out `{}` is a folder; give a file name such as C.npy", out.display());
    }
    Ok(())
}

/// Write C of a finished run to `out` as `.npy` (int8 requantized, or the raw accumulators
/// as int32), atomically.
pub fn write_c(cfg: &Config, run: &MatmulRun, c: &[i64], out: &Path) -> Result<()> {
    let g = cfg.geometry();
    let bytes = if run.read_out == ReadOut::Raw { g.acc_elem_bytes() } else { g.sp_elem_bytes() };
    crate::npy::write_matrix(out, run.spec.m as usize, run.spec.n as usize, c, bytes)
}

/// The performance counters as `sim` and `run` report them: the host's reading of the
/// counter registers (the JSON keys are an interface: keep them).
pub type CounterReport = ip_blocks::regmap::Counters;

/// A workload made concrete: random inputs from the seed, tiled into a memory image and
/// a program.
struct Prepared {
    run: MatmulRun,
    spec: MatmulSpec,
    tiled: ip_blocks::tiler::TiledMatmul,
    mem: ip_blocks::model::Memory,
    program: Vec<[u32; 4]>,
}

impl Prepared {
    fn new(cfg: &Config, run: MatmulRun) -> Result<Prepared> {
        let spec = run.spec;
        let MatmulSpec { m, k, n, .. } = spec;
        let tiled = if run.read_out == ReadOut::Raw {
            let mode = if cfg.array.dataflow.has_ws() { ip_blocks::isa::Mode::Ws } else { ip_blocks::isa::Mode::Os };
            tile_matmul_read_out(cfg, &spec, 0, mode, ReadOut::Raw)
        } else {
            tile_matmul(cfg, &spec, 0)
        }
        .with_context(|| format!("tiling matmul:{m}x{k}x{n}"))?;
        let mem = tiled.memory(&run.a, &run.b, &run.bias);
        let program = tiled.program.iter().map(|i| i.encode()).collect();
        Ok(Prepared { run, spec, tiled, mem, program })
    }

    /// The workload as given on the command line, random operands from `seed`.
    fn from_workload(cfg: &Config, workload: Workload, seed: u64) -> Result<Prepared> {
        match workload {
            Workload::Matmul { m, k, n } => {
                Prepared::new(cfg, MatmulRun::random(cfg, (m, k, n), seed, &RequantChoice::default(), false)?)
            }
            Workload::Mlp(net) => anyhow::bail!(
                "{} is a network, not one matmul: `seedchip sim --workload {}` runs it (seedchip::mlp::run); boards do not run it yet",
                net.workload(),
                net.workload()
            ),
        }
    }

    fn macs(&self) -> u64 {
        u64::from(self.spec.m) * u64::from(self.spec.k) * u64::from(self.spec.n)
    }

    /// The report before running: no cycles, not passed.
    fn report(&self, engine: String, seed: u64) -> SimReport {
        SimReport {
            pass: false,
            engine,
            workload: self.run.label.clone(),
            seed,
            cycles: None,
            macs: self.macs(),
            utilization: None,
            instructions: self.program.len(),
            counters: None,
            schedule: self.tiled.to_string(),
            failure: None,
            output: None,
        }
    }

    /// Record a run's cycles, utilization and counters in `report`.
    fn measured(&self, cfg: &Config, report: &mut SimReport, cycles: u64, counters: CounterReport) {
        report.cycles = Some(cycles);
        report.utilization = Some(self.macs() as f64 / (cfg.geometry().macs_per_cycle() as f64 * cycles.max(1) as f64));
        report.counters = Some(counters);
    }

    /// Unless `report` already failed, compare C in `mem` with the independent reference;
    /// then set `pass`.
    fn finish(&self, cfg: &Config, report: &mut SimReport, mem: &ip_blocks::model::Memory) {
        if report.failure.is_none() {
            let (acc_bits, input_bits) = (cfg.array.acc_bits, cfg.array.input_bits);
            let r = &self.run;
            let want = match r.read_out {
                ReadOut::Raw => reference_matmul_raw(&self.spec, acc_bits, input_bits, &r.a, &r.b),
                ReadOut::Requantized => reference_matmul(&self.spec, acc_bits, input_bits, &r.a, &r.b, &r.bias),
            };
            let got = self.tiled.read_c(mem);
            let n = self.spec.n as usize;
            if let Some((i, (g, w))) = got.iter().zip(&want).enumerate().find(|(_, (g, w))| g != w) {
                report.failure = Some(format!("C[{}][{}] = {g}, the independent reference gives {w}", i / n, i % n));
            }
        }
        report.pass = report.failure.is_none();
    }
}

/// Run a matmul workload with random operands from `seed` (an MLP: [`crate::mlp::run`]).
pub fn run(cfg: &Config, workload: Workload, seed: u64, engine: SimEngine) -> Result<SimReport> {
    let w = Prepared::from_workload(cfg, workload, seed)?;
    Ok(execute(cfg, &w, seed, engine)?.0)
}

/// Run one matmul; returns the report and C as the run left it (the RTL's when it ran).
pub fn run_matmul(cfg: &Config, run: MatmulRun, seed: u64, engine: SimEngine) -> Result<(SimReport, Vec<i64>)> {
    let w = Prepared::new(cfg, run)?;
    execute(cfg, &w, seed, engine)
}

fn execute(cfg: &Config, w: &Prepared, seed: u64, engine: SimEngine) -> Result<(SimReport, Vec<i64>)> {
    let mut report = w.report(engine.name().to_string(), seed);
    let final_mem = match engine {
        SimEngine::Model => {
            let mut model = ip_blocks::model::Model::new(cfg);
            let mut mm = w.mem.clone();
            let out = model.run(&w.program, &mut mm, w.mem.window());
            if let Some((i, e)) = out.error {
                report.failure = Some(format!("the golden model stopped at instruction {i}: {e}"));
            }
            mm
        }
        SimEngine::Verilator | SimEngine::Interp => {
            let opts = CosimOptions {
                engine: if engine == SimEngine::Verilator { Engine::Verilator } else { Engine::Interp },
                timing: AxiConfig::ideal(cosim::DEFAULT_LATENCY),
                ..CosimOptions::default()
            };
            let r = cosim::run(cfg, &w.program, &w.mem, &opts).map_err(|e| anyhow::anyhow!("{e}"))?;
            w.measured(cfg, &mut report, r.cycles, r.counters);
            if !r.pass {
                report.failure = Some(r.failure_text());
            }
            r.memory
        }
    };
    w.finish(cfg, &mut report, &final_mem);
    Ok((report, w.tiled.read_c(&final_mem)))
}

/// `seedchip run`: the same workload on a board, over its UART bridge on serial port
/// `port` (`fpga::runtime`); the result is checked against the golden model and the
/// independent reference exactly as `sim` checks the RTL. `cycles` is the board's
/// `CYCLES` counter (cycles while the accelerator was not idle).
pub fn run_on_board(
    cfg: &Config,
    board: &fpga::board::Board,
    port: &std::path::Path,
    workload: Workload,
    seed: u64,
) -> Result<SimReport> {
    use fpga::runtime::{run_program, Bridge, BridgeOptions, SerialLink};
    let w = Prepared::from_workload(cfg, workload, seed)?;
    if w.mem.bytes.len() as u64 > board.main_memory.bytes {
        let MatmulSpec { m, k, n, .. } = w.spec;
        anyhow::bail!(
            "matmul:{m}x{k}x{n} needs {} bytes of main memory, the {} board top has {}; choose a smaller workload",
            w.mem.bytes.len(),
            board.name,
            board.main_memory.bytes
        );
    }
    let link = SerialLink::open(port, crate::fpga::BAUD).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut bridge = Bridge::new(link, BridgeOptions::default());
    let r = run_program(cfg, &mut bridge, &w.program, &w.mem, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut report = w.report(format!("board:{}", board.name), seed);
    w.measured(cfg, &mut report, r.cycles, r.counters);
    let mut model = ip_blocks::model::Model::new(cfg);
    let mut expected = w.mem.clone();
    let out = model.run(&w.program, &mut expected, w.mem.window());
    if let Some(e) = r.error {
        report.failure = Some(format!("the accelerator stopped at instruction {} with error code {}", e.index, e.code));
    } else if let Some((i, e)) = out.error {
        report.failure = Some(format!("the golden model stopped at instruction {i}: {e}"));
    } else if let Some(i) = expected.bytes.iter().zip(&r.memory.bytes).position(|(x, y)| x != y) {
        report.failure = Some(format!(
            "main memory differs from the golden model at {:#010x}: expected {:#04x}, got {:#04x}",
            w.mem.base + i as u32,
            expected.bytes[i],
            r.memory.bytes[i]
        ));
    }
    w.finish(cfg, &mut report, &r.memory);
    Ok(report)
}
