//! [`run_program`]: a program and a memory image run on the board through the bridge,
//! the way `testbenches::cosim` runs them on the RTL: reset, image in, DMA window,
//! every command pushed through `CMD0..CMD3`, wait for idle, error and counters read,
//! image out.

use super::{Bridge, BridgeError, Link};
use ip_blocks::isa::ErrorCode;
use ip_blocks::model::{Memory, Window};
use ip_blocks::regmap::{regmap, RegMap};
use ip_blocks::Config;

/// The accelerator's performance counters, read at the end of a run.
pub use ip_blocks::regmap::Counters;

/// The accelerator stopped with an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunError {
    /// `ERROR_INDEX`: the failing command's position in the program.
    pub index: u32,
    /// `ERROR`: the code.
    pub code: u8,
}

impl RunError {
    /// The code as the instruction set names it, if it is one.
    pub fn error_code(&self) -> Option<ErrorCode> {
        ErrorCode::from_code(self.code)
    }
}

/// What a program did on the board.
#[derive(Clone, Debug)]
pub struct RunResult {
    /// The memory image read back after the run (same base and length as the input).
    pub memory: Memory,
    /// Cycles the accelerator was busy (the `CYCLES` counter).
    pub cycles: u64,
    /// Every performance counter.
    pub counters: Counters,
    /// The accelerator's error, `None` when the program completed.
    pub error: Option<RunError>,
    /// Commands pushed (all of them, or up to the one the error stopped).
    pub commands_pushed: usize,
}

/// How many `STATUS` reads [`run_program`] makes while waiting before giving up.
const MAX_POLLS: u32 = 100_000;

struct Regs {
    status: u16,
    error: u16,
    error_index: u16,
    window_base: u16,
    window_limit: u16,
    cmd: [u16; 4],
}

/// The bridge offset of register `name`, or an error saying the map lacks it.
fn offset(map: &RegMap, name: &str) -> Result<u16, BridgeError> {
    map.by_name(name).map(|r| r.offset as u16).ok_or_else(|| BridgeError::Usage {
        request: "run_program".into(),
        why: format!("the register map has no {name}"),
    })
}

impl Regs {
    fn of(map: &RegMap) -> Result<Regs, BridgeError> {
        let r = |name: &str| offset(map, name);
        Ok(Regs {
            status: r("STATUS")?,
            error: r("ERROR")?,
            error_index: r("ERROR_INDEX")?,
            window_base: r("WINDOW_BASE")?,
            window_limit: r("WINDOW_LIMIT")?,
            cmd: [r("CMD0")?, r("CMD1")?, r("CMD2")?, r("CMD3")?],
        })
    }
}

const STATUS_IDLE: u32 = 1 << 0;
const STATUS_ERROR: u32 = 1 << 1;
const STATUS_CMD_FULL: u32 = 1 << 2;

/// Run `program` (command words) on the board from `image`, with the DMA window
/// `window` (`None`: the whole image).
///
/// Steps: reset the accelerator; write the image; set `WINDOW_BASE` / `WINDOW_LIMIT`;
/// push every command, writing `CMD0..CMD2` only when they differ from the last
/// command's (they are held) and `CMD3` only after `STATUS` shows room in the queue and
/// no error (so the bus is never held by a queue that an error has stopped); poll
/// `STATUS` until idle; read `ERROR`, `ERROR_INDEX` and the counters; read the image
/// back.
pub fn run_program<L: Link>(
    cfg: &Config,
    bridge: &mut Bridge<L>,
    program: &[[u32; 4]],
    image: &Memory,
    window: Option<Window>,
) -> Result<RunResult, BridgeError> {
    let map = regmap(&cfg.geometry(), cfg.array.dataflow);
    let regs = Regs::of(&map)?;
    let window = match window {
        Some(w) => w,
        None if image.bytes.is_empty() => {
            return Err(BridgeError::Usage { request: "run_program".into(), why: "the memory image is empty".into() })
        }
        None => image.window(),
    };
    bridge.reset()?;
    bridge.write_mem(image.base, &image.bytes)?;
    bridge.write_reg(regs.window_base, window.base)?;
    bridge.write_reg(regs.window_limit, window.limit)?;

    // After reset the held words are 0.
    let mut held = [0u32; 3];
    let mut pushed = 0;
    for words in program {
        for k in 0..3 {
            if words[k] != held[k] {
                bridge.write_reg(regs.cmd[k], words[k])?;
                held[k] = words[k];
            }
        }
        let status = wait_status(bridge, regs.status, |s| s & (STATUS_CMD_FULL | STATUS_ERROR) != STATUS_CMD_FULL)?;
        if status & STATUS_ERROR != 0 {
            break;
        }
        bridge.write_reg(regs.cmd[3], words[3])?;
        pushed += 1;
    }
    // After an error, the commands dispatched before it still finish.
    wait_status(bridge, regs.status, |s| s & STATUS_IDLE != 0)?;
    let code = bridge.read_reg(regs.error)?;
    let index = bridge.read_reg(regs.error_index)?;
    let counters = Counters::read_with(|name| bridge.read_reg(offset(&map, name)?))?;
    let bytes = bridge.read_mem(image.base, image.bytes.len())?;
    Ok(RunResult {
        memory: Memory { base: image.base, bytes },
        cycles: counters.cycles,
        counters,
        error: (code != 0).then_some(RunError { index, code: code as u8 }),
        commands_pushed: pushed,
    })
}

/// Read `STATUS` until `done` holds; the last value read.
fn wait_status<L: Link>(bridge: &mut Bridge<L>, offset: u16, done: impl Fn(u32) -> bool) -> Result<u32, BridgeError> {
    for _ in 0..MAX_POLLS {
        let s = bridge.read_reg(offset)?;
        if done(s) {
            return Ok(s);
        }
    }
    Err(BridgeError::Usage {
        request: format!("waiting for the accelerator (STATUS at {offset:#05x})"),
        why: format!("still busy after {MAX_POLLS} reads"),
    })
}
