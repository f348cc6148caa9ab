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
    pub counters: Option<serde_json::Value>,
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

/// Run a workload.
pub fn run(cfg: &Config, workload: Workload, seed: u64, engine: SimEngine) -> Result<SimReport> {
    let Workload::Matmul { m, k, n } = workload;
    let spec = MatmulSpec { m, k, n, bias: true, requant: workload_requant(cfg, k)? };
    let tiled = tile_matmul(cfg, &spec, 0).with_context(|| format!("tiling matmul:{m}x{k}x{n}"))?;
    let (a, b, bias) = random_matmul(&spec, cfg, seed);
    let mem = tiled.memory(&a, &b, &bias);
    let want = reference_matmul(&spec, cfg.array.acc_bits, cfg.array.input_bits, &a, &b, &bias);
    let program: Vec<[u32; 4]> = tiled.program.iter().map(|i| i.encode()).collect();
    let macs = u64::from(m) * u64::from(k) * u64::from(n);
    let mut report = SimReport {
        pass: false,
        engine: engine.name().to_string(),
        workload: format!("matmul:{m}x{k}x{n}"),
        seed,
        cycles: None,
        macs,
        utilization: None,
        instructions: program.len(),
        counters: None,
        schedule: tiled.to_string(),
        failure: None,
    };
    let final_mem = match engine {
        SimEngine::Model => {
            let mut model = ip_blocks::model::Model::new(cfg);
            let mut mm = mem.clone();
            let window = ip_blocks::model::Window { base: mem.base, limit: mem.base + mem.bytes.len() as u32 - 1 };
            let out = model.run(&program, &mut mm, window);
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
            let r = cosim::run(cfg, &program, &mem, &opts).map_err(|e| anyhow::anyhow!("{e}"))?;
            report.cycles = Some(r.cycles);
            report.utilization = Some(macs as f64 / (cfg.geometry().macs_per_cycle() as f64 * r.cycles.max(1) as f64));
            report.counters = Some(serde_json::json!({
                "cycles": r.counters.cycles,
                "engine_busy": r.counters.engine_busy,
                "macs": r.counters.macs,
                "dma_bytes": r.counters.dma_bytes,
                "dma_stall": r.counters.dma_stall,
                "dep_stall": r.counters.dep_stall,
            }));
            if !r.pass {
                report.failure = Some(r.failure_text());
            }
            r.memory
        }
    };
    let got = tiled.read_c(&final_mem);
    if report.failure.is_none() {
        if let Some((i, (g, w))) = got.iter().zip(&want).enumerate().find(|(_, (g, w))| g != w) {
            report.failure =
                Some(format!("C[{}][{}] = {g}, the independent reference gives {w}", i / n as usize, i % n as usize));
        }
    }
    report.pass = report.failure.is_none();
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
    let Workload::Matmul { m, k, n } = workload;
    let spec = MatmulSpec { m, k, n, bias: true, requant: workload_requant(cfg, k)? };
    let tiled = tile_matmul(cfg, &spec, 0).with_context(|| format!("tiling matmul:{m}x{k}x{n}"))?;
    let (a, b, bias) = random_matmul(&spec, cfg, seed);
    let mem = tiled.memory(&a, &b, &bias);
    if mem.bytes.len() as u64 > board.main_memory.bytes {
        anyhow::bail!(
            "matmul:{m}x{k}x{n} needs {} bytes of main memory, the {} board top has {}; choose a smaller workload",
            mem.bytes.len(),
            board.name,
            board.main_memory.bytes
        );
    }
    let program: Vec<[u32; 4]> = tiled.program.iter().map(|i| i.encode()).collect();
    let link = SerialLink::open(port, crate::fpga::BAUD).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut bridge = Bridge::new(link, BridgeOptions::default());
    let r = run_program(cfg, &mut bridge, &program, &mem, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    let macs = u64::from(m) * u64::from(k) * u64::from(n);
    let mut report = SimReport {
        pass: false,
        engine: format!("board:{}", board.name),
        workload: format!("matmul:{m}x{k}x{n}"),
        seed,
        cycles: Some(r.cycles),
        macs,
        utilization: Some(macs as f64 / (cfg.geometry().macs_per_cycle() as f64 * r.cycles.max(1) as f64)),
        instructions: program.len(),
        counters: Some(serde_json::json!({
            "cycles": r.counters.cycles,
            "engine_busy": r.counters.engine_busy,
            "macs": r.counters.macs,
            "dma_bytes": r.counters.dma_bytes,
            "dma_stall": r.counters.dma_stall,
            "dep_stall": r.counters.dep_stall,
        })),
        schedule: tiled.to_string(),
        failure: None,
    };
    let mut model = ip_blocks::model::Model::new(cfg);
    let mut expected = mem.clone();
    let out = model.run(&program, &mut expected, mem.window());
    if let Some(e) = r.error {
        report.failure = Some(format!("the accelerator stopped at instruction {} with error code {}", e.index, e.code));
    } else if let Some((i, e)) = out.error {
        report.failure = Some(format!("the golden model stopped at instruction {i}: {e}"));
    } else if let Some(i) = expected.bytes.iter().zip(&r.memory.bytes).position(|(x, y)| x != y) {
        report.failure = Some(format!(
            "main memory differs from the golden model at {:#010x}: expected {:#04x}, got {:#04x}",
            mem.base + i as u32,
            expected.bytes[i],
            r.memory.bytes[i]
        ));
    } else {
        let want = reference_matmul(&spec, cfg.array.acc_bits, cfg.array.input_bits, &a, &b, &bias);
        if tiled.read_c(&r.memory) != want {
            report.failure = Some("C differs from the independent reference".into());
        }
    }
    report.pass = report.failure.is_none();
    Ok(report)
}
