//! The Icarus Verilog cross-check: the whole accelerator (`<prefix>_top`) runs in a second
//! simulator, from the same program and main-memory image as the Verilator co-simulation,
//! and must agree with the golden model and with Verilator.
//!
//! Nothing of the Rust testbench runs inside Icarus. [`testbench`] writes a plain
//! Verilog-2005 testbench, `<prefix>_icarus_tb`, that reads its stimulus from hex files
//! (`$readmemh`):
//!
//! - `mem.hex`: the initial main-memory image, one byte per line;
//! - `host.hex`: the host driver's AXI4-Lite writes, one per line as
//!   `{wstrb[3:0], addr[31:0], data[31:0]}`: the DMA window, then `CMD0..CMD3` of every
//!   command (the fourth write pushes it), exactly as [`crate::cosim`] drives them;
//! - `reads.hex`: the registers read back at the end (error, counters, status).
//!
//! Its AXI4 slave memory has a fixed latency and no backpressure, and its AXI4-Lite
//! master offers AW and W together, one write per cycle, with BREADY and RREADY high:
//! cycle for cycle what [`crate::axi::AxiMemory`] with [`crate::axi::AxiConfig::ideal`]
//! and [`crate::axil::AxilDriver`] with default options do in the co-simulation. So the
//! two simulators see the same inputs on every cycle, and even the performance counters
//! (cycles, stalls) must be equal. At the end the testbench writes the memory image
//! (`$writememh`, `mem_out.hex`) and the values read (`result.txt`); [`cross_check`]
//! compares them byte for byte with the golden model's image and the Verilator run's,
//! and names the address, the expected and the got byte of every difference. A byte
//! that Icarus leaves unknown (`x`) is a difference too.
//!
//! The testbench also reports (and the check fails on) an unknown value on any handshake
//! or status output, a burst that is not INCR of the bus width, crosses 4 KB or leaves
//! the image, and a `wlast` on the wrong beat; the full protocol checks live in the Rust
//! models.
//!
//! `iverilog -g2005 -Wall` compiles the design and the testbench; a warning is an error.
//!
//! Icarus must be installed (`scripts/setup-tools.sh` installs the `iverilog` package); a
//! missing `iverilog` or `vvp` is an error ([`IcarusError::NotFound`]), never a skipped
//! test. `SEEDCHIP_IVERILOG` and `SEEDCHIP_VVP` name other executables.

use crate::axi::AxiConfig;
use crate::cosim::{self, CosimOptions, Counters};
use ip_blocks::isa::{ErrorCode, Instr};
use ip_blocks::model::{Memory, Window};
use ip_blocks::Config;
use rtl_gen::sim::PortInfo;
use std::fmt;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

mod testbench;
pub use testbench::{testbench, testbench_name, HostScript, TestbenchShape};

/// Environment variable naming the `iverilog` executable.
pub const IVERILOG_ENV: &str = "SEEDCHIP_IVERILOG";
/// Environment variable naming the `vvp` executable.
pub const VVP_ENV: &str = "SEEDCHIP_VVP";

/// The message of a missing Icarus, word for word.
pub const NOT_FOUND_HELP: &str =
    "Icarus Verilog (iverilog, vvp) not found, run `scripts/setup-tools.sh` (or `make test`), which installs it with apt";

/// Registers read back at the end, in this order.
pub const READS: [&str; 17] = [
    "ERROR",
    "ERROR_INDEX",
    "CYCLES_LO",
    "CYCLES_HI",
    "ENGINE_BUSY_LO",
    "ENGINE_BUSY_HI",
    "MACS_LO",
    "MACS_HI",
    "DMA_BYTES_LO",
    "DMA_BYTES_HI",
    "DMA_STALL_LO",
    "DMA_STALL_HI",
    "DEP_STALL_LO",
    "DEP_STALL_HI",
    "STATUS",
    "CMD_COUNT",
    "QUEUE_LEVELS",
];

/// An Icarus run could not happen or did not finish.
#[derive(Debug, thiserror::Error)]
pub enum IcarusError {
    /// `iverilog` or `vvp` is missing.
    #[error("{NOT_FOUND_HELP} (tried `{program}`: {source})")]
    NotFound {
        /// The executable tried.
        program: String,
        /// The system's error.
        source: std::io::Error,
    },
    /// The configuration did not generate.
    #[error("the configuration does not generate: {0}")]
    Generate(String),
    /// `iverilog` rejected the design or the testbench, or warned (`-Wall`).
    #[error("iverilog failed or warned (-Wall) on the design in {dir}:\n{output}", dir = dir.display())]
    Compile {
        /// The work folder (kept).
        dir: PathBuf,
        /// iverilog's messages.
        output: String,
    },
    /// `vvp` failed or the testbench left no result.
    #[error("the Icarus simulation in {dir} did not complete: {detail}", dir = dir.display())]
    Run {
        /// The work folder (kept).
        dir: PathBuf,
        /// What went wrong, with vvp's output.
        detail: String,
    },
    /// A file operation failed.
    #[error("cannot {what} {path}: {source}", path = path.display())]
    Io {
        /// The operation.
        what: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The system's error.
        source: std::io::Error,
    },
    /// The stimulus cannot be run (empty image, window outside it).
    #[error("{0}")]
    Setup(String),
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> IcarusError {
    let path = path.to_path_buf();
    move |source| IcarusError::Io { what, path, source }
}
/// How the Icarus testbench runs.
#[derive(Clone, Debug)]
pub struct IcarusOptions {
    /// Main memory's latency (AR to first R beat, last W beat to B), at least 1.
    pub latency: u32,
    /// Give up after this many cycles.
    pub max_cycles: u64,
    /// Keep the work folder here instead of a temporary one that is removed after a
    /// passing run (a failing run always keeps its folder and names it).
    pub work_dir: Option<PathBuf>,
    /// The `iverilog` executable (default: `$SEEDCHIP_IVERILOG`, else `iverilog`).
    pub iverilog: PathBuf,
    /// The `vvp` executable (default: `$SEEDCHIP_VVP`, else `vvp`).
    pub vvp: PathBuf,
}

impl Default for IcarusOptions {
    fn default() -> Self {
        IcarusOptions {
            latency: cosim::DEFAULT_LATENCY,
            max_cycles: 2_000_000,
            work_dir: None,
            iverilog: program_of(IVERILOG_ENV, "iverilog"),
            vvp: program_of(VVP_ENV, "vvp"),
        }
    }
}

/// One byte that differs, `got` is `None` for an unknown (`x`) byte.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ByteMismatch {
    /// Its address.
    pub addr: u32,
    /// The reference's byte.
    pub expected: u8,
    /// Icarus's byte.
    pub got: Option<u8>,
    /// The instruction that last wrote it in the model (index, assembly), if any.
    pub writer: Option<(usize, String)>,
}

impl fmt::Display for ByteMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "address {:#010x}: expected {:#04x}, got ", self.addr, self.expected)?;
        match self.got {
            Some(g) => write!(f, "{g:#04x}")?,
            None => write!(f, "xx (unknown)")?,
        }
        match &self.writer {
            Some((i, text)) => write!(f, " (written by instruction {i}: {text})"),
            None => write!(f, " (no instruction writes it)"),
        }
    }
}

/// What the Icarus testbench left.
#[derive(Clone, Debug)]
pub struct IcarusRun {
    /// The final image, `None` for unknown bytes.
    pub memory: Vec<Option<u8>>,
    /// The registers of [`READS`], in order: `None` for a value with unknown bits.
    pub reads: Vec<Option<u32>>,
    /// The cycle the machine was seen idle after the last push; `None` for a hang.
    pub end_cycle: Option<u64>,
    /// Non-OKAY responses to host writes.
    pub host_bresp_errors: u32,
    /// The testbench's own error lines (protocol, unknown values).
    pub tb_errors: Vec<String>,
    /// The work folder, when kept.
    pub dir: Option<PathBuf>,
}

impl IcarusRun {
    fn read(&self, name: &str) -> Option<u32> {
        READS.iter().position(|n| *n == name).and_then(|i| self.reads[i])
    }

    /// The RTL's error, (command index, code); `None` when it finished cleanly, or the
    /// read was unknown (then `Err`).
    pub fn error(&self) -> Result<Option<(u32, u8)>, String> {
        match (self.read("ERROR"), self.read("ERROR_INDEX")) {
            (Some(0), Some(_)) => Ok(None),
            (Some(code), Some(i)) => Ok(Some((i, code as u8))),
            _ => Err("ERROR or ERROR_INDEX read as unknown".into()),
        }
    }

    /// The performance counters (unknown bits read as 0; see [`IcarusRun::reads`]).
    pub fn counters(&self) -> Counters {
        let read = |name| Ok::<_, std::convert::Infallible>(self.read(name).unwrap_or(0));
        match Counters::read_with(read) {
            Ok(c) => c,
            Err(never) => match never {},
        }
    }

    /// STATUS as read at the end.
    pub fn status(&self) -> Option<u32> {
        self.read("STATUS")
    }
}

fn program_of(env: &str, default: &str) -> PathBuf {
    std::env::var_os(env).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

fn hex_lines<T: fmt::LowerHex>(values: impl IntoIterator<Item = T>, digits: usize) -> String {
    let mut s = String::new();
    for v in values {
        let _ = writeln!(s, "{v:0digits$x}");
    }
    s
}

fn parse_hex_byte(line: &str) -> Option<u8> {
    u8::from_str_radix(line, 16).ok()
}

/// Run `program` on `mem` (DMA window `window`) in Icarus; see the module documentation.
pub fn run(
    cfg: &Config,
    program: &[[u32; 4]],
    mem: &Memory,
    window: Window,
    opts: &IcarusOptions,
) -> Result<IcarusRun, IcarusError> {
    if mem.bytes.is_empty() {
        return Err(IcarusError::Setup("the memory image is empty".into()));
    }
    let gen = ip_blocks::generate(cfg).map_err(|e| IcarusError::Generate(e.to_string()))?;
    let module = gen.design.module(gen.top);
    let top = module.name.clone();
    let ports = PortInfo::of_module(module);
    let sources = rtl_gen::emit::verilog::emit(&gen.design, gen.top).sources();
    let script = HostScript::for_program(cfg, window, program);
    let shape = TestbenchShape {
        mem_base: mem.base,
        mem_bytes: mem.bytes.len(),
        writes: script.writes.len(),
        reads: script.reads.len(),
        pushes: script.pushes,
        latency: opts.latency,
        max_cycles: opts.max_cycles,
    };
    let tb = testbench(&top, &ports, &shape);

    let temp;
    let dir: PathBuf = match &opts.work_dir {
        Some(d) => {
            std::fs::create_dir_all(d).map_err(io("create", d))?;
            d.clone()
        }
        None => {
            temp = tempfile::Builder::new()
                .prefix("seedchip-icarus-")
                .tempdir()
                .map_err(io("create", Path::new("tmp")))?;
            temp.path().to_path_buf()
        }
    };
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).map_err(io("write", &p))
    };
    let mut files = Vec::new();
    for (name, text) in &sources {
        write(name, text)?;
        files.push(name.clone());
    }
    let tb_file = format!("{}.v", testbench_name(&top));
    write(&tb_file, &tb)?;
    files.push(tb_file);
    write("mem.hex", &hex_lines(mem.bytes.iter().copied(), 2))?;
    let host: Vec<u128> =
        script.writes.iter().map(|(a, d, s)| u128::from(*s) << 64 | u128::from(*a) << 32 | u128::from(*d)).collect();
    write("host.hex", &hex_lines(host, 17))?;
    write("reads.hex", &hex_lines(script.reads.iter().copied(), 8))?;

    let keep = |dir: &Path| -> PathBuf {
        if opts.work_dir.is_none() {
            // Keep a failing run's folder: copy it out of the temporary one.
            let kept = std::env::temp_dir().join(format!(
                "seedchip-icarus-failed-{}-{}",
                std::process::id(),
                dir.file_name().and_then(|n| n.to_str()).unwrap_or("run")
            ));
            let _ = std::fs::create_dir_all(&kept);
            if let Ok(entries) = std::fs::read_dir(dir) {
                for e in entries.flatten() {
                    let _ = std::fs::copy(e.path(), kept.join(e.file_name()));
                }
            }
            kept
        } else {
            dir.to_path_buf()
        }
    };

    let out = Command::new(&opts.iverilog)
        .current_dir(&dir)
        .args(["-g2005", "-Wall", "-o", "tb.vvp", "-s", &testbench_name(&top)])
        .args(&files)
        .output()
        .map_err(|source| IcarusError::NotFound { program: opts.iverilog.display().to_string(), source })?;
    // Warnings are errors, as in the Verilator build: the design and the testbench are
    // `iverilog -Wall` clean.
    if !out.status.success() || !out.stderr.is_empty() || !out.stdout.is_empty() {
        let output = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        return Err(IcarusError::Compile { dir: keep(&dir), output });
    }
    let out = Command::new(&opts.vvp)
        .current_dir(&dir)
        .args(["-n", "tb.vvp"])
        .output()
        .map_err(|source| IcarusError::NotFound { program: opts.vvp.display().to_string(), source })?;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let fail = |detail: String| IcarusError::Run { dir: keep(&dir), detail };
    if !out.status.success() {
        return Err(fail(format!("vvp exited with {}:\n{stdout}{}", out.status, String::from_utf8_lossy(&out.stderr))));
    }
    let result = std::fs::read_to_string(dir.join("result.txt"))
        .map_err(|e| fail(format!("no result.txt ({e}); vvp said:\n{stdout}")))?;
    let image = std::fs::read_to_string(dir.join("mem_out.hex"))
        .map_err(|e| fail(format!("no mem_out.hex ({e}); vvp said:\n{stdout}")))?;
    let memory: Vec<Option<u8>> =
        image.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("//")).map(parse_hex_byte).collect();
    if memory.len() != mem.bytes.len() {
        return Err(fail(format!("mem_out.hex has {} bytes, the image {}", memory.len(), mem.bytes.len())));
    }
    let mut run = IcarusRun {
        memory,
        reads: vec![None; READS.len()],
        end_cycle: None,
        host_bresp_errors: 0,
        tb_errors: stdout.lines().filter(|l| l.starts_with("seedchip-tb error")).map(str::to_string).collect(),
        dir: None,
    };
    for line in result.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        match f.as_slice() {
            ["end", c] => run.end_cycle = c.parse().ok(),
            ["read", i, data, resp] => {
                if let Ok(i) = i.parse::<usize>() {
                    let ok = u32::from_str_radix(resp, 16).ok() == Some(0);
                    if i < run.reads.len() {
                        run.reads[i] = u32::from_str_radix(data, 16).ok().filter(|_| ok);
                    }
                }
            }
            ["host_bresp_errors", n] => run.host_bresp_errors = n.parse().unwrap_or(u32::MAX),
            _ => {}
        }
    }
    let clean = run.end_cycle.is_some() && run.tb_errors.is_empty() && run.memory.iter().all(Option::is_some);
    if opts.work_dir.is_some() || !clean {
        run.dir = Some(keep(&dir));
    }
    Ok(run)
}

/// The result of running one program on the golden model, Verilator and Icarus.
#[derive(Clone, Debug)]
pub struct CrossReport {
    /// Icarus agrees with the golden model and with Verilator.
    pub pass: bool,
    /// Every disagreement, one per line (empty when `pass`).
    pub failures: Vec<String>,
    /// Icarus's run.
    pub icarus: IcarusRun,
    /// Verilator's counters (equal to Icarus's when `pass`).
    pub counters: Counters,
    /// The model's error.
    pub model_error: Option<(usize, ErrorCode)>,
}

impl CrossReport {
    /// A multi-line account of the failures.
    pub fn failure_text(&self) -> String {
        let mut s = self.failures.join("\n");
        if let Some(d) = &self.icarus.dir {
            let _ = write!(s, "\nIcarus work folder (rerun with `vvp -n tb.vvp` there): {}", d.display());
        }
        s
    }
}

/// Compare `got` with `expected` byte for byte: the first 16 differences and the count.
pub fn compare_memory(
    expected: &[u8],
    got: &[Option<u8>],
    base: u32,
    writer: &dyn Fn(usize) -> Option<(usize, String)>,
) -> (Vec<ByteMismatch>, usize) {
    let mut list = Vec::new();
    let mut count = 0;
    for (i, (e, g)) in expected.iter().zip(got).enumerate() {
        if Some(*e) != *g {
            count += 1;
            if list.len() < 16 {
                list.push(ByteMismatch { addr: base + i as u32, expected: *e, got: *g, writer: writer(i) });
            }
        }
    }
    (list, count)
}

fn describe(program: &[[u32; 4]], e: Option<(u32, u8)>) -> String {
    match e {
        None => "no error".into(),
        Some((i, c)) => {
            let name = ErrorCode::from_code(c).map_or_else(|| format!("code {c}"), |e| e.to_string());
            let instr = program
                .get(i as usize)
                .map(|w| Instr::decode(*w).map(|x| x.to_string()).unwrap_or_else(|e| e.to_string()))
                .unwrap_or_default();
            format!("{name} at instruction {i} ({instr})")
        }
    }
}

/// Run `program` on `mem` in the golden model, in Verilator (through [`cosim::run`], ideal
/// memory timing of `opts.latency`) and in Icarus, and compare Icarus with both: the
/// memory image byte for byte, the error code and index, the performance counters and
/// STATUS. `window`: the DMA window, `None` for the whole image.
pub fn cross_check(
    cfg: &Config,
    program: &[[u32; 4]],
    mem: &Memory,
    window: Option<Window>,
    opts: &IcarusOptions,
) -> Result<CrossReport, IcarusError> {
    let image = Window { base: mem.base, limit: mem.base.wrapping_add(mem.bytes.len().max(1) as u32 - 1) };
    let window = window.unwrap_or(image);
    let (expected, writer, model_error, macs, undefined) = cosim::run_model(cfg, program, mem, window);
    if !undefined.is_empty() {
        return Err(IcarusError::Setup(format!(
            "the program reads local rows it never wrote, so its result is undefined:\n  {}",
            undefined.iter().take(8).cloned().collect::<Vec<_>>().join("\n  ")
        )));
    }
    let copts =
        CosimOptions { timing: AxiConfig::ideal(opts.latency), window: Some(window), ..CosimOptions::default() };
    let verilator = cosim::run(cfg, program, mem, &copts).map_err(|e| IcarusError::Setup(e.to_string()))?;
    let mut icarus = run(cfg, program, mem, window, opts)?;
    let mut failures = Vec::new();
    if !verilator.pass {
        failures.push(format!("Verilator itself differs from the golden model:\n{}", verilator.failure_text()));
    }
    failures.extend(icarus.tb_errors.iter().cloned());
    if icarus.end_cycle.is_none() {
        failures.push(format!("Icarus: the RTL did not finish within {} cycles", opts.max_cycles));
    }
    let who = |i: usize| {
        writer[i].map(|k| {
            let text = Instr::decode(program[k]).map(|x| x.to_string()).unwrap_or_else(|e| e.to_string());
            (k, text)
        })
    };
    let (list, count) = compare_memory(&expected.bytes, &icarus.memory, mem.base, &who);
    if count > 0 {
        failures.push(format!("Icarus vs golden model: {count} bytes of main memory differ; the first:"));
        failures.extend(list.iter().map(|m| format!("  {m}")));
    }
    let (list, count) = compare_memory(&verilator.memory.bytes, &icarus.memory, mem.base, &who);
    if count > 0 {
        failures.push(format!(
            "Icarus vs Verilator: {count} bytes of main memory differ (expected: Verilator's); the first:"
        ));
        failures.extend(list.iter().map(|m| format!("  {m}")));
    }
    let model_err = model_error.map(|(i, c)| (i as u32, c.code()));
    match icarus.error() {
        Err(e) => failures.push(format!("Icarus: {e}")),
        Ok(got) => {
            if got != model_err {
                failures.push(format!(
                    "Icarus vs golden model: error outcome differs: expected {}, got {}",
                    describe(program, model_err),
                    describe(program, got)
                ));
            }
            if got != verilator.rtl_error {
                failures.push(format!(
                    "Icarus vs Verilator: error outcome differs: expected {}, got {}",
                    describe(program, verilator.rtl_error),
                    describe(program, got)
                ));
            }
        }
    }
    for (i, name) in READS.iter().enumerate() {
        if icarus.reads[i].is_none() {
            failures.push(format!("Icarus: register {name} read as unknown or with an error response"));
        }
    }
    let counters = icarus.counters();
    if counters != verilator.counters {
        failures.push(format!(
            "Icarus vs Verilator: performance counters differ (the two saw the same inputs on every cycle):\n  \
             expected {:?}\n  got      {counters:?}",
            verilator.counters
        ));
    }
    if model_error.is_none() && counters.macs != macs {
        failures.push(format!("Icarus vs golden model: MACS expected {macs}, got {}", counters.macs));
    }
    // STATUS: bit 0 idle, bit 1 error (docs/registers.md).
    if let Some(st) = icarus.status() {
        let want = (st & !3) | 1 | (u32::from(model_error.is_some()) << 1);
        if st != want {
            failures.push(format!("Icarus: STATUS expected idle and error = {}, got {st:#x}", model_error.is_some()));
        }
    }
    if model_error.is_none() {
        if let Some(n) = icarus.read("CMD_COUNT") {
            if n as usize != program.len() {
                failures.push(format!("Icarus: CMD_COUNT expected {}, got {n}", program.len()));
            }
        }
        if icarus.read("QUEUE_LEVELS").is_some_and(|q| q != 0) {
            failures.push("Icarus: QUEUE_LEVELS not 0 at the end".into());
        }
        if icarus.host_bresp_errors != 0 {
            failures.push(format!("Icarus: {} host writes answered with an error", icarus.host_bresp_errors));
        }
    }
    let pass = failures.is_empty();
    if !pass && icarus.dir.is_none() {
        // Rerun into a kept folder so that the failure can be inspected.
        let dir = std::env::temp_dir().join(format!("seedchip-icarus-failed-{}", std::process::id()));
        if let Ok(again) = run(cfg, program, mem, window, &IcarusOptions { work_dir: Some(dir), ..opts.clone() }) {
            icarus.dir = again.dir;
        }
    }
    Ok(CrossReport { pass, failures, icarus, counters: verilator.counters, model_error })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape() -> TestbenchShape {
        TestbenchShape {
            mem_base: 0x1_0000,
            mem_bytes: 4096,
            writes: 6,
            reads: READS.len(),
            pushes: Some((5, 5)),
            latency: 10,
            max_cycles: 1000,
        }
    }

    #[test]
    fn the_testbench_is_deterministic_and_connects_every_port() {
        let cfg = Config::preset("ice40").expect("preset");
        let gen = ip_blocks::generate(&cfg).expect("generates");
        let module = gen.design.module(gen.top);
        let ports = PortInfo::of_module(module);
        let a = testbench(&module.name, &ports, &shape());
        assert_eq!(a, testbench(&module.name, &ports, &shape()), "same arguments, same text");
        assert!(a.contains("module seedchip_top_icarus_tb;") && a.contains("seedchip_top dut ("), "{a}");
        for p in &ports {
            assert!(a.contains(&format!(".{0}({0})", p.name)), "port {} not connected", p.name);
        }
        for file in ["mem.hex", "host.hex", "reads.hex", "mem_out.hex", "result.txt"] {
            assert!(a.contains(&format!("\"{file}\"")), "{file}");
        }
        assert!(a.contains("localparam [63:0] LATENCY = 64'd10;") && a.contains("localparam integer FIRST_PUSH = 5;"));
    }

    #[test]
    fn the_host_script_pushes_every_command_after_the_window() {
        let cfg = Config::preset("ice40").expect("preset");
        let window = Window { base: 0x100, limit: 0x1ff };
        let s = HostScript::for_program(&cfg, window, &[[1, 2, 3, 4], [5, 6, 7, 8]]);
        assert_eq!(s.writes.len(), 2 + 8);
        assert_eq!((s.writes[0].1, s.writes[1].1), (0x100, 0x1ff));
        assert_eq!(s.pushes, Some((5, 9)));
        assert_eq!(s.writes[9].1, 8);
        assert_eq!(s.reads.len(), READS.len());
        assert_eq!(HostScript::for_program(&cfg, window, &[]).pushes, None);
    }

    #[test]
    fn differences_show_unknown_bytes() {
        let (list, count) = compare_memory(&[1, 2, 3], &[Some(1), None, Some(4)], 0x10, &|_| None);
        assert_eq!(count, 2);
        assert_eq!(
            list[0].to_string(),
            "address 0x00000011: expected 0x02, got xx (unknown) (no instruction writes it)"
        );
        assert!(list[1].to_string().contains("expected 0x03, got 0x04"));
    }
}
