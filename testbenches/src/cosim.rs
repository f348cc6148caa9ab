//! Co-simulation: a program and a main-memory image run on the whole accelerator
//! (`<prefix>_top`, on Verilator or the IR interpreter) and on the golden model
//! ([`ip_blocks::model`]); the two final memory images are compared byte for byte, and
//! the two error outcomes too.
//!
//! The testbench around the RTL: an AXI4 memory ([`crate::axi::AxiMemory`]) with
//! configurable latency and random backpressure on the `m_axi_*` master, and an
//! AXI4-Lite driver ([`crate::axil::AxilDriver`]) that sets the DMA window, pushes every
//! command through `CMD0..CMD3`, waits for `idle_o`, and reads the error and performance
//! registers back. On a mismatch the report names the address, the expected and the got
//! byte and the instruction that wrote it in the model, and a VCD of the top's ports is
//! written (the run is repeated with recording on).

use crate::axi::{AxiConfig, AxiMemory};
use crate::axil::{AxilDriver, AxilOptions};
use crate::vcd::Vcd;
use ip_blocks::isa::{ErrorCode, Instr};
use ip_blocks::model::{Memory, Model, Window};
use ip_blocks::regmap::{regmap, RegMap};
use ip_blocks::Config;
use rtl_gen::sim::{Interp, Simulator};
use rtl_gen::Bits;
use std::fmt;
use std::path::PathBuf;

/// Main memory's latency in cycles when none is given: a typical on-chip SRAM or DDR
/// controller hit.
pub const DEFAULT_LATENCY: u32 = 10;

/// Which simulator runs the RTL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// Verilator (the emitted Verilog).
    Verilator,
    /// The IR interpreter (no Verilog involved).
    Interp,
}

impl Engine {
    /// `verilator` or `interp`.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Verilator => "verilator",
            Engine::Interp => "interp",
        }
    }
}

/// How a co-simulation runs.
#[derive(Clone, Debug)]
pub struct CosimOptions {
    /// The simulator.
    pub engine: Engine,
    /// Main memory's latency and backpressure.
    pub timing: AxiConfig,
    /// Verilator only: start from random register and memory contents drawn from this
    /// seed (`--x-initial unique`) instead of zeros.
    pub power_up_seed: Option<u64>,
    /// The DMA window; `None`: the whole memory image.
    pub window: Option<Window>,
    /// Give up after this many cycles (a hang is reported as such).
    pub max_cycles: u64,
    /// Where the waveform of a failing run goes; `None`: the system temporary folder.
    pub waveform_dir: Option<PathBuf>,
}

impl Default for CosimOptions {
    fn default() -> Self {
        CosimOptions {
            engine: Engine::Verilator,
            timing: AxiConfig::ideal(DEFAULT_LATENCY),
            power_up_seed: None,
            window: None,
            max_cycles: 50_000_000,
            waveform_dir: None,
        }
    }
}

/// The performance counters, read through the host interface at the end.
pub use ip_blocks::regmap::Counters;

/// One byte of main memory that differs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// Its address.
    pub addr: u32,
    /// The golden model's byte.
    pub expected: u8,
    /// The RTL's byte.
    pub got: u8,
    /// The instruction that last wrote it in the model (index, assembly), if any.
    pub writer: Option<(usize, String)>,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "address {:#010x}: expected {:#04x}, got {:#04x}", self.addr, self.expected, self.got)?;
        match &self.writer {
            Some((i, text)) => write!(f, " (written by instruction {i}: {text})"),
            None => write!(f, " (no instruction writes it: the RTL wrote outside its transfers)"),
        }
    }
}

/// What a co-simulation found.
#[derive(Clone, Debug)]
pub struct CosimReport {
    /// RTL and model agree on memory and on the error outcome.
    pub pass: bool,
    /// The simulator.
    pub engine: Engine,
    /// Cycles from the first command entering the machine to `idle_o`.
    pub cycles: u64,
    /// The performance counters.
    pub counters: Counters,
    /// MACs of the program (from the model).
    pub macs: u64,
    /// The RTL's error: (command index, code); `None` when it finished cleanly.
    pub rtl_error: Option<(u32, u8)>,
    /// The model's error, same form.
    pub model_error: Option<(usize, ErrorCode)>,
    /// The first differing bytes (up to 16), in address order.
    pub mismatches: Vec<Mismatch>,
    /// How many bytes differ in all.
    pub mismatch_count: usize,
    /// Explanation of a failure that is not a memory difference (hang, error mismatch).
    pub failure: Option<String>,
    /// The waveform written for a failing run.
    pub waveform: Option<PathBuf>,
    /// The RTL's final memory image.
    pub memory: Memory,
}

impl CosimReport {
    /// MAC utilization: MACs / (peak MACs per cycle x cycles).
    pub fn utilization(&self, cfg: &Config) -> f64 {
        if self.cycles == 0 {
            return 0.0;
        }
        self.macs as f64 / (cfg.geometry().macs_per_cycle() as f64 * self.cycles as f64)
    }

    /// A multi-line account of a failure (empty when the run passed).
    pub fn failure_text(&self) -> String {
        let mut s = String::new();
        if let Some(f) = &self.failure {
            s.push_str(f);
            s.push('\n');
        }
        if self.mismatch_count > 0 {
            s.push_str(&format!("{} bytes of main memory differ; the first:\n", self.mismatch_count));
            for m in &self.mismatches {
                s.push_str(&format!("  {m}\n"));
            }
        }
        if let Some(w) = &self.waveform {
            s.push_str(&format!("waveform of the top's ports: {}\n", w.display()));
        }
        s
    }
}

/// A co-simulation could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum CosimError {
    /// The configuration did not generate.
    #[error("the configuration does not generate: {0}")]
    Generate(String),
    /// The simulator could not be built.
    #[error("{0}")]
    Simulator(String),
    /// The window or the image is unusable.
    #[error("{0}")]
    Setup(String),
}

/// Every byte the model's `mvout`s write, with the instruction index, by running the
/// program one instruction at a time.
pub(crate) type ModelRun = (Memory, Vec<Option<usize>>, Option<(usize, ErrorCode)>, u64, Vec<String>);

pub(crate) fn run_model(cfg: &Config, program: &[[u32; 4]], mem: &Memory, window: Window) -> ModelRun {
    let g = cfg.geometry();
    let mut model = Model::new(cfg);
    let mut m = mem.clone();
    let mut writer = vec![None; mem.bytes.len()];
    let mut st_stride = 0u32;
    let mut error = None;
    for (i, w) in program.iter().enumerate() {
        if let Err(code) = model.execute(*w, &mut m, window) {
            error = Some((i, code));
            break;
        }
        match Instr::decode(*w) {
            Ok(Instr::ConfigSt { stride }) => st_stride = stride,
            Ok(Instr::Mvout { dram, local, rows, cols }) => {
                let eb = g.dram_elem_bytes(local, true);
                for r in 0..u64::from(rows) {
                    let start = u64::from(dram) + r * u64::from(st_stride);
                    for b in 0..u64::from(cols) * u64::from(eb) {
                        let a = start + b;
                        if a >= u64::from(mem.base) && a - u64::from(mem.base) < writer.len() as u64 {
                            writer[(a - u64::from(mem.base)) as usize] = Some(i);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let macs = model.macs();
    let undefined = model.undefined_reads().to_vec();
    (m, writer, error, macs, undefined)
}

struct RtlRun {
    memory: Memory,
    cycles: u64,
    counters: Counters,
    error: Option<(u32, u8)>,
    hang: Option<String>,
    /// The top's ports every cycle, when recorded.
    vcd: Option<Vcd>,
}

fn make_sim(cfg: &Config, opts: &CosimOptions) -> Result<Box<dyn Simulator>, CosimError> {
    let gen = ip_blocks::generate(cfg).map_err(|e| CosimError::Generate(e.to_string()))?;
    Ok(match opts.engine {
        Engine::Interp => {
            Box::new(Interp::new(&gen.design, gen.top).map_err(|e| CosimError::Simulator(e.to_string()))?)
        }
        Engine::Verilator => {
            let model = crate::verilate(&gen.design, gen.top).map_err(|e| CosimError::Simulator(e.to_string()))?;
            match opts.power_up_seed {
                Some(seed) => Box::new(model.instantiate_seeded(seed)),
                None => Box::new(model.instantiate()),
            }
        }
    })
}

fn reg(map: &RegMap, name: &str) -> u32 {
    map.by_name(name).unwrap_or_else(|| panic!("register map has no {name}")).offset
}

/// The testbench's half of one clock cycle: both agents drive, then both sample (the
/// caller steps the clock).
fn bus_cycle(axi: &mut AxiMemory, host: &mut AxilDriver, sim: &mut dyn Simulator) -> Result<(), CosimError> {
    axi.drive(sim);
    host.drive(sim);
    axi.sample(sim).map_err(|e| CosimError::Simulator(format!("AXI4 protocol: {e}")))?;
    host.sample(sim).map_err(|e| CosimError::Simulator(format!("AXI4-Lite protocol: {e}")))
}

/// Run the RTL; with `record`, a VCD of the top's ports every cycle comes back too.
fn run_rtl(
    cfg: &Config,
    program: &[[u32; 4]],
    mem: &Memory,
    window: Window,
    opts: &CosimOptions,
    record: bool,
) -> Result<RtlRun, CosimError> {
    let map = regmap(&cfg.geometry(), cfg.array.dataflow);
    let mut sim = make_sim(cfg, opts)?;
    let mut vcd = record.then(|| {
        let ports: Vec<(String, u32)> = sim.ports().iter().map(|p| (p.name.clone(), p.width)).collect();
        Vcd::new(&format!("{}_top", cfg.name), &ports)
    });
    let mut axi = AxiMemory::new(sim.as_ref(), "m_axi_", mem.base, mem.bytes.clone(), opts.timing.clone())
        .map_err(|e| CosimError::Simulator(e.to_string()))?;
    let mut host =
        AxilDriver::new(sim.as_ref(), AxilOptions::default()).map_err(|e| CosimError::Simulator(e.to_string()))?;
    let idle_port = sim.port("idle_o").map_err(|e| CosimError::Simulator(e.to_string()))?;
    let ports: Vec<_> = (0..sim.ports().len()).map(rtl_gen::sim::PortId).collect();
    // `crate::icarus` does this same sequence, cycle for cycle, in its Verilog testbench:
    // change both together.
    sim.reset(4);
    let full = 0xf;
    host.write(reg(&map, "WINDOW_BASE"), window.base, full);
    host.write(reg(&map, "WINDOW_LIMIT"), window.limit, full);
    let cmd_regs = [reg(&map, "CMD0"), reg(&map, "CMD1"), reg(&map, "CMD2"), reg(&map, "CMD3")];
    let mut first_push = None;
    let mut last_push = None;
    for w in program {
        for (k, word) in w.iter().enumerate() {
            let t = host.write(cmd_regs[k], *word, full);
            if k == 3 {
                first_push.get_or_insert(t);
                last_push = Some(t);
            }
        }
    }
    let mut start: Option<u64> = None;
    let mut end: Option<u64> = None;
    let mut hang = None;
    let t0 = sim.cycle();
    loop {
        bus_cycle(&mut axi, &mut host, sim.as_mut())?;
        if let Some(v) = vcd.as_mut() {
            let values: Vec<Bits> = ports.iter().map(|p| sim.peek(*p)).collect();
            v.sample(sim.cycle() - t0, &values);
        }
        let idle = sim.peek(idle_port).to_u64() == 1;
        if start.is_none() {
            start = match first_push {
                Some(t) => host.write_accepted_at(t),
                None => Some(sim.cycle()),
            };
        }
        let pushed = last_push.is_none_or(|t| host.write_resp(t).is_some());
        if start.is_some() && idle && (pushed || sim.get("error_o") == 1) {
            end = Some(sim.cycle());
        }
        sim.step();
        if end.is_some() {
            break;
        }
        if sim.cycle() - t0 > opts.max_cycles {
            hang = Some(format!(
                "the RTL did not finish within {} cycles (idle_o = {idle}; host interface: {})",
                opts.max_cycles,
                host.pending()
            ));
            break;
        }
    }
    // Read the error and counters back through the host interface.
    let names: Vec<&str> = ["ERROR", "ERROR_INDEX"].into_iter().chain(Counters::registers()).collect();
    let tickets: Vec<_> = names.iter().map(|n| host.read(reg(&map, n))).collect();
    let mut values = vec![None; names.len()];
    for _ in 0..10_000 {
        bus_cycle(&mut axi, &mut host, sim.as_mut())?;
        sim.step();
        for (i, t) in tickets.iter().enumerate() {
            if values[i].is_none() {
                values[i] = host.read_data(*t).map(|(data, _resp)| data);
            }
        }
        if values.iter().all(Option::is_some) {
            break;
        }
    }
    let v: Vec<u64> = values.iter().map(|x| u64::from(x.unwrap_or(0))).collect();
    let mut counter_words = v[2..].iter();
    let counters = Counters::read_with(|_| counter_words.next().map(|w| *w as u32).ok_or(()))
        .expect("one word read per counter register");
    let error = (v[0] != 0).then_some((v[1] as u32, v[0] as u8));
    let cycles = match (start, end) {
        (Some(s), Some(e)) => e.saturating_sub(s) + 1,
        _ => 0,
    };
    let memory = Memory { base: mem.base, bytes: axi.bytes.clone() };
    Ok(RtlRun { memory, cycles, counters, error, hang, vcd })
}

/// Run `program` on `mem` in the RTL and in the golden model and compare.
pub fn run(cfg: &Config, program: &[[u32; 4]], mem: &Memory, opts: &CosimOptions) -> Result<CosimReport, CosimError> {
    run_against(cfg, program, program, mem, opts)
}

/// Like [`run`], but the RTL runs `rtl_program` while the model runs `program`: a
/// stand-in for a broken RTL, to test that differences are caught and reported.
pub fn run_against(
    cfg: &Config,
    program: &[[u32; 4]],
    rtl_program: &[[u32; 4]],
    mem: &Memory,
    opts: &CosimOptions,
) -> Result<CosimReport, CosimError> {
    if mem.bytes.is_empty() {
        return Err(CosimError::Setup("the memory image is empty".into()));
    }
    let image_window = Window { base: mem.base, limit: mem.base.wrapping_add(mem.bytes.len() as u32 - 1) };
    let window = opts.window.unwrap_or(image_window);
    if window.base < image_window.base || window.limit > image_window.limit || window.base > window.limit {
        return Err(CosimError::Setup(format!(
            "the DMA window [{:#x}, {:#x}] must lie inside the memory image [{:#x}, {:#x}]",
            window.base, window.limit, image_window.base, image_window.limit
        )));
    }
    let (expected, writer, model_error, macs, undefined) = run_model(cfg, program, mem, window);
    if !undefined.is_empty() {
        return Err(CosimError::Setup(format!(
            "the program reads local rows it never wrote, so its result is undefined:\n  {}",
            undefined.iter().take(8).cloned().collect::<Vec<_>>().join("\n  ")
        )));
    }
    let rtl = run_rtl(cfg, rtl_program, mem, window, opts, false)?;
    let mut mismatches = Vec::new();
    let mut count = 0;
    for (i, (e, g)) in expected.bytes.iter().zip(&rtl.memory.bytes).enumerate() {
        if e != g {
            count += 1;
            if mismatches.len() < 16 {
                let w = writer[i].map(|k| {
                    let text = Instr::decode(program[k]).map(|x| x.to_string()).unwrap_or_else(|e| e.to_string());
                    (k, text)
                });
                mismatches.push(Mismatch { addr: mem.base + i as u32, expected: *e, got: *g, writer: w });
            }
        }
    }
    let mut failure = rtl.hang.clone();
    let model_err = model_error.map(|(i, c)| (i as u32, c.code()));
    if failure.is_none() && model_err != rtl.error {
        let show = |e: Option<(u32, u8)>| match e {
            None => "no error".to_string(),
            Some((i, c)) => {
                let name = ErrorCode::from_code(c).map_or_else(|| format!("code {c}"), |e| e.to_string());
                let instr = program
                    .get(i as usize)
                    .map(|w| Instr::decode(*w).map(|x| x.to_string()).unwrap_or_else(|e| e.to_string()))
                    .unwrap_or_default();
                format!("{name} at instruction {i} ({instr})")
            }
        };
        failure = Some(format!("error outcome differs: expected {}, got {}", show(model_err), show(rtl.error)));
    }
    let pass = failure.is_none() && count == 0;
    crate::coverage::record_run(cfg, rtl_program, rtl.error);
    let mut waveform = None;
    if !pass {
        if let Ok(RtlRun { vcd: Some(vcd), .. }) = run_rtl(cfg, rtl_program, mem, window, opts, true) {
            let dir = opts.waveform_dir.clone().unwrap_or_else(std::env::temp_dir);
            let path = dir.join(format!("seedchip-cosim-{}-{}.vcd", opts.engine.name(), std::process::id()));
            if std::fs::create_dir_all(&dir).is_ok() && std::fs::write(&path, vcd.finish()).is_ok() {
                waveform = Some(path);
            }
        }
    }
    Ok(CosimReport {
        pass,
        engine: opts.engine,
        cycles: rtl.cycles,
        counters: rtl.counters,
        macs,
        rtl_error: rtl.error,
        model_error,
        mismatches,
        mismatch_count: count,
        failure,
        waveform,
        memory: rtl.memory,
    })
}
