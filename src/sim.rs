//! `seedchip sim`: a workload (a tiled matmul today) with random int8 inputs from a
//! seed, run on the RTL (Verilator or the IR interpreter) against the golden model, or
//! on the golden model alone; the result is also checked against an independent
//! computation of the workload.

use anyhow::{Context, Result};
use ip_blocks::quant::{quantize_scale, Activation, RequantParams};
use ip_blocks::tiler::{random_matmul, reference_matmul, tile_matmul, MatmulSpec};
use ip_blocks::Config;
use serde::Serialize;
use testbenches::axi::AxiConfig;
use testbenches::cosim::{self, CosimOptions, Engine};

/// A workload named on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// C = relu(requant(A x B + bias)), A M x K, B K x N.
    Matmul { m: u32, k: u32, n: u32 },
}

impl std::str::FromStr for Workload {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let help = "expected matmul:MxKxN with M, K, N from 1 to 65535, e.g. matmul:128x128x128";
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
    fn name(self) -> &'static str {
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

/// The performance counters as `sim` and `run` report them (the JSON keys are an
/// interface: keep them).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct CounterReport {
    /// Cycles while the accelerator was not idle.
    pub cycles: u64,
    /// Cycles an input vector entered the engine.
    pub engine_busy: u64,
    /// Multiply-accumulates done.
    pub macs: u64,
    /// Payload bytes moved by the DMA.
    pub dma_bytes: u64,
    /// Cycles the engine had no input while the DMA was busy.
    pub dma_stall: u64,
    /// Cycles dispatch held a command for a local-address conflict.
    pub dep_stall: u64,
}

impl From<&cosim::Counters> for CounterReport {
    fn from(c: &cosim::Counters) -> Self {
        let cosim::Counters { cycles, engine_busy, macs, dma_bytes, dma_stall, dep_stall } = *c;
        CounterReport { cycles, engine_busy, macs, dma_bytes, dma_stall, dep_stall }
    }
}

impl From<&fpga::runtime::Counters> for CounterReport {
    fn from(c: &fpga::runtime::Counters) -> Self {
        let fpga::runtime::Counters { cycles, engine_busy, macs, dma_bytes, dma_stall, dep_stall } = *c;
        CounterReport { cycles, engine_busy, macs, dma_bytes, dma_stall, dep_stall }
    }
}

/// A workload made concrete: random inputs from the seed, tiled into a memory image and
/// a program.
struct Prepared {
    spec: MatmulSpec,
    tiled: ip_blocks::tiler::TiledMatmul,
    a: Vec<i64>,
    b: Vec<i64>,
    bias: Vec<i64>,
    mem: ip_blocks::model::Memory,
    program: Vec<[u32; 4]>,
}

impl Prepared {
    fn new(cfg: &Config, workload: Workload, seed: u64) -> Result<Prepared> {
        let Workload::Matmul { m, k, n } = workload;
        let spec = MatmulSpec { m, k, n, bias: true, requant: workload_requant(cfg, k)? };
        let tiled = tile_matmul(cfg, &spec, 0).with_context(|| format!("tiling matmul:{m}x{k}x{n}"))?;
        let (a, b, bias) = random_matmul(&spec, cfg, seed);
        let mem = tiled.memory(&a, &b, &bias);
        let program = tiled.program.iter().map(|i| i.encode()).collect();
        Ok(Prepared { spec, tiled, a, b, bias, mem, program })
    }

    fn macs(&self) -> u64 {
        u64::from(self.spec.m) * u64::from(self.spec.k) * u64::from(self.spec.n)
    }

    /// The report before running: no cycles, not passed.
    fn report(&self, engine: String, seed: u64) -> SimReport {
        let MatmulSpec { m, k, n, .. } = self.spec;
        SimReport {
            pass: false,
            engine,
            workload: format!("matmul:{m}x{k}x{n}"),
            seed,
            cycles: None,
            macs: self.macs(),
            utilization: None,
            instructions: self.program.len(),
            counters: None,
            schedule: self.tiled.to_string(),
            failure: None,
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
            let want =
                reference_matmul(&self.spec, cfg.array.acc_bits, cfg.array.input_bits, &self.a, &self.b, &self.bias);
            let got = self.tiled.read_c(mem);
            let n = self.spec.n as usize;
            if let Some((i, (g, w))) = got.iter().zip(&want).enumerate().find(|(_, (g, w))| g != w) {
                report.failure = Some(format!("C[{}][{}] = {g}, the independent reference gives {w}", i / n, i % n));
            }
        }
        report.pass = report.failure.is_none();
    }
}

/// Run a workload.
pub fn run(cfg: &Config, workload: Workload, seed: u64, engine: SimEngine) -> Result<SimReport> {
    let w = Prepared::new(cfg, workload, seed)?;
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
            w.measured(cfg, &mut report, r.cycles, (&r.counters).into());
            if !r.pass {
                report.failure = Some(r.failure_text());
            }
            r.memory
        }
    };
    w.finish(cfg, &mut report, &final_mem);
    Ok(report)
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
    let w = Prepared::new(cfg, workload, seed)?;
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
    w.measured(cfg, &mut report, r.cycles, (&r.counters).into());
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
