//! The instruction set, defined once: encoding, decoding and assembly text, shared by the
//! controller's RTL, the golden model and the tiler. `docs/isa.md` is its manual.
//!
//! A command is 128 bits, four 32-bit words pushed in order `w0..w3`; `w0[7:0]` is the
//! opcode. Decoding checks every field and every reserved bit, so a command either means
//! exactly one [`Instr`] or is rejected with the reason.
//!
//! ```
//! use ip_blocks::isa::{Instr, LocalAddr};
//! let i = Instr::Mvin { dram: 0x1000, local: LocalAddr::scratchpad(12), rows: 4, cols: 4 };
//! assert_eq!(Instr::decode(i.encode()), Ok(i));
//! assert_eq!(i.to_string(), "mvin dram=0x00001000 local=sp[12] rows=4 cols=4");
//! assert_eq!(i.to_string().parse::<Instr>(), Ok(i));
//! ```

use crate::quant::Activation;
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// Opcodes (`w0[7:0]`).
pub mod opcode {
    /// Execute configuration.
    pub const CONFIG_EX: u8 = 0x01;
    /// Main-memory stride for `mvin`.
    pub const CONFIG_LD: u8 = 0x02;
    /// Main-memory stride for `mvout`.
    pub const CONFIG_ST: u8 = 0x03;
    /// Main memory to scratchpad or accumulator.
    pub const MVIN: u8 = 0x10;
    /// Accumulator or scratchpad to main memory.
    pub const MVOUT: u8 = 0x11;
    /// Weights (scratchpad) into the engine, or a bias row (accumulator) into the read-out.
    pub const PRELOAD: u8 = 0x20;
    /// Stream rows through the engine into the accumulator.
    pub const COMPUTE: u8 = 0x21;
    /// Wait until every earlier command has finished.
    pub const FENCE: u8 = 0x30;
}

/// Largest row number of a local address (29 bits).
pub const MAX_ROW: u32 = (1 << 29) - 1;
/// Largest scratchpad row of `compute`'s B operand (24 bits of `w0`).
pub const MAX_B_ROW: u32 = (1 << 24) - 1;

/// Which local memory an address names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Space {
    /// The scratchpad (rows of input vectors).
    Scratchpad,
    /// The accumulator memory (rows of sums).
    Accumulator,
}

/// A local address: `[31]` accumulator, `[30]` accumulate (writes), `[29]` raw (reads),
/// `[28:0]` row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LocalAddr {
    /// Scratchpad or accumulator.
    pub space: Space,
    /// Row number.
    pub row: u32,
    /// Accumulator writes: add to the row instead of overwriting it.
    pub accumulate: bool,
    /// Accumulator reads: the raw sums instead of requantized values.
    pub raw: bool,
}

impl LocalAddr {
    /// Scratchpad row `row`.
    pub fn scratchpad(row: u32) -> Self {
        LocalAddr { space: Space::Scratchpad, row, accumulate: false, raw: false }
    }

    /// Accumulator row `row` (overwrite on writes, requantized on reads).
    pub fn accumulator(row: u32) -> Self {
        LocalAddr { space: Space::Accumulator, row, accumulate: false, raw: false }
    }

    /// The 32-bit encoding.
    pub fn encode(self) -> u32 {
        ((self.space == Space::Accumulator) as u32) << 31
            | (self.accumulate as u32) << 30
            | (self.raw as u32) << 29
            | (self.row & MAX_ROW)
    }

    /// Decode, rejecting flags that mean nothing for the scratchpad.
    pub fn decode(w: u32) -> Result<Self, DecodeError> {
        let space = if w >> 31 == 1 { Space::Accumulator } else { Space::Scratchpad };
        let a = LocalAddr { space, row: w & MAX_ROW, accumulate: (w >> 30) & 1 == 1, raw: (w >> 29) & 1 == 1 };
        if space == Space::Scratchpad && (a.accumulate || a.raw) {
            return Err(DecodeError::Field {
                field: "local address",
                value: format!("{w:#010x}"),
                allowed: "the accumulate (bit 30) and raw (bit 29) flags only with the accumulator (bit 31)",
            });
        }
        Ok(a)
    }
}

impl fmt::Display for LocalAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.space {
            Space::Scratchpad => write!(f, "sp[{}]", self.row)?,
            Space::Accumulator => write!(f, "acc[{}]", self.row)?,
        }
        if self.accumulate {
            f.write_str(".accumulate")?;
        }
        if self.raw {
            f.write_str(".raw")?;
        }
        Ok(())
    }
}

/// The matrix engine's dataflow for the following `compute`s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Weight-stationary.
    Ws,
    /// Output-stationary.
    Os,
}

/// One instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Instr {
    /// Dataflow and the read-out's requantization: `y = act(rdbpot(srdhm(x, multiplier),
    /// shift))` (see `docs/requantization.md`).
    ConfigEx { mode: Mode, activation: Activation, shift: u8, multiplier: i32, relu6_max: i16 },
    /// Bytes between consecutive rows in main memory for `mvin`.
    ConfigLd { stride: u32 },
    /// Bytes between consecutive rows in main memory for `mvout`.
    ConfigSt { stride: u32 },
    /// `rows` rows of `cols` elements from main memory at `dram` (rows `stride` apart)
    /// into consecutive local rows from `local`.
    Mvin { dram: u32, local: LocalAddr, rows: u16, cols: u16 },
    /// `rows` rows of `cols` elements from consecutive local rows into main memory.
    Mvout { dram: u32, local: LocalAddr, rows: u16, cols: u16 },
    /// Scratchpad: `rows` weight rows (the rest zero) into the engine's next weight
    /// buffer. Accumulator: one row (`rows` = 1) as the read-out's bias.
    Preload { local: LocalAddr, rows: u16 },
    /// Weight-stationary: `count` input vectors from scratchpad row `a` on, their results
    /// into accumulator rows from `c`. Output-stationary: `count` steps, column k of A
    /// from row `a + k`, row k of B from row `b + k`; the tile's rows into `c`.
    Compute { a: u32, b: u32, c: LocalAddr, count: u16 },
    /// Wait until every earlier instruction has finished.
    Fence,
}

/// Why the machine stopped: the code in the `ERROR` register, the same in the golden
/// model. The command that raised it, and every command after it, had no effect; every
/// command before it completed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ErrorCode {
    /// No error.
    None = 0,
    /// The four words are not an instruction: illegal opcode, reserved bit set, or a
    /// field out of range ([`Instr::decode`] fails).
    IllegalCommand = 1,
    /// A local row range runs past the end of its memory (scratchpad or accumulator).
    LocalRange = 2,
    /// `cols` is more than a local row holds (`mvin`/`mvout`), `rows` more than the
    /// array has (`preload` of weights), or `relu6_max` outside 0 to the largest input.
    Size = 3,
    /// A `mvin`/`mvout` touches main memory outside the DMA window.
    DmaWindow = 4,
    /// A `mvin`/`mvout` address or stride is not a multiple of the element size.
    DmaAlign = 5,
    /// Weight-stationary `preload` and `compute` must alternate: a `compute` with no
    /// weights preloaded for it, or a `preload` while the previous one is unused.
    Sequence = 6,
    /// `config_ex` asks for a dataflow the engine was not built with, or a scratchpad
    /// `preload` comes in output-stationary mode.
    Mode = 7,
    /// Main memory answered a DMA burst with SLVERR or DECERR. Raised by the RTL only
    /// (the golden model has no bus); the burst's data are not trustworthy.
    BusError = 8,
}

impl ErrorCode {
    /// Every code, in numeric order.
    pub const ALL: [ErrorCode; 9] = [
        ErrorCode::None,
        ErrorCode::IllegalCommand,
        ErrorCode::LocalRange,
        ErrorCode::Size,
        ErrorCode::DmaWindow,
        ErrorCode::DmaAlign,
        ErrorCode::Sequence,
        ErrorCode::Mode,
        ErrorCode::BusError,
    ];

    /// The register value.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The error of a register value.
    pub fn from_code(code: u8) -> Option<ErrorCode> {
        Self::ALL.get(usize::from(code)).copied()
    }

    /// Short name, as in `docs/registers.md` and the C header (`SEEDCHIP_ERR_<NAME>`).
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::None => "none",
            ErrorCode::IllegalCommand => "illegal_command",
            ErrorCode::LocalRange => "local_range",
            ErrorCode::Size => "size",
            ErrorCode::DmaWindow => "dma_window",
            ErrorCode::DmaAlign => "dma_align",
            ErrorCode::Sequence => "sequence",
            ErrorCode::Mode => "mode",
            ErrorCode::BusError => "bus_error",
        }
    }

    /// One-line meaning.
    pub fn meaning(self) -> &'static str {
        match self {
            ErrorCode::None => "no error",
            ErrorCode::IllegalCommand => "illegal opcode, reserved bit set, or a field out of range",
            ErrorCode::LocalRange => "a local row range runs past the end of the scratchpad or accumulator",
            ErrorCode::Size => {
                "cols wider than a local row, more weight rows than the array has, or relu6_max too large"
            }
            ErrorCode::DmaWindow => "mvin/mvout touches main memory outside the DMA window",
            ErrorCode::DmaAlign => "mvin/mvout address or stride not a multiple of the element size",
            ErrorCode::Sequence => "weight-stationary compute without its preload, or a preload while one is unused",
            ErrorCode::Mode => "a dataflow the engine was not built with",
            ErrorCode::BusError => "main memory answered a DMA burst with an error response (SLVERR/DECERR)",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.name(), self.code(), self.meaning())
    }
}

/// Why four words are not an instruction.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum DecodeError {
    /// No instruction has this opcode.
    #[error("illegal opcode {opcode:#04x}")]
    IllegalOpcode { opcode: u8 },
    /// Bits that must be zero are not.
    #[error("opcode {opcode:#04x}: reserved bits set in w{word}: {bits:#010x}")]
    Reserved { opcode: u8, word: usize, bits: u32 },
    /// A field has a value the instruction does not allow.
    #[error("{field} = {value} is not allowed: {allowed}")]
    Field { field: &'static str, value: String, allowed: &'static str },
}

fn check_zero(opcode: u8, w: [u32; 4], masks: [u32; 4]) -> Result<(), DecodeError> {
    for (word, (v, m)) in w.iter().zip(masks).enumerate() {
        if v & m != 0 {
            return Err(DecodeError::Reserved { opcode, word, bits: v & m });
        }
    }
    Ok(())
}

fn nonzero(field: &'static str, v: u16) -> Result<u16, DecodeError> {
    if v == 0 {
        Err(DecodeError::Field { field, value: "0".into(), allowed: "1 to 65535" })
    } else {
        Ok(v)
    }
}

impl Instr {
    /// The four command words.
    pub fn encode(&self) -> [u32; 4] {
        use opcode::*;
        let op = |o: u8| u32::from(o);
        match *self {
            Instr::ConfigEx { mode, activation, shift, multiplier, relu6_max } => {
                let act = match activation {
                    Activation::None => 0,
                    Activation::Relu => 1,
                    Activation::Relu6 => 2,
                };
                let w0 = op(CONFIG_EX)
                    | ((mode == Mode::Os) as u32) << 8
                    | act << 9
                    | (u32::from(shift) & 31) << 11
                    | u32::from(relu6_max as u16) << 16;
                [w0, multiplier as u32, 0, 0]
            }
            Instr::ConfigLd { stride } => [op(CONFIG_LD), stride, 0, 0],
            Instr::ConfigSt { stride } => [op(CONFIG_ST), stride, 0, 0],
            Instr::Mvin { dram, local, rows, cols } => {
                [op(MVIN), dram, local.encode(), u32::from(rows) | u32::from(cols) << 16]
            }
            Instr::Mvout { dram, local, rows, cols } => {
                [op(MVOUT), dram, local.encode(), u32::from(rows) | u32::from(cols) << 16]
            }
            Instr::Preload { local, rows } => [op(PRELOAD), 0, local.encode(), u32::from(rows)],
            Instr::Compute { a, b, c, count } => [op(COMPUTE) | (b & MAX_B_ROW) << 8, a, c.encode(), u32::from(count)],
            Instr::Fence => [op(FENCE), 0, 0, 0],
        }
    }

    /// Decode four command words, checking every field and reserved bit.
    pub fn decode(w: [u32; 4]) -> Result<Instr, DecodeError> {
        use opcode::*;
        let op = (w[0] & 0xff) as u8;
        let all = u32::MAX;
        let lo16 = |x: u32| (x & 0xffff) as u16;
        let hi16 = |x: u32| (x >> 16) as u16;
        match op {
            CONFIG_EX => {
                check_zero(op, w, [0, 0, all, all])?;
                let activation = match (w[0] >> 9) & 3 {
                    0 => Activation::None,
                    1 => Activation::Relu,
                    2 => Activation::Relu6,
                    v => {
                        return Err(DecodeError::Field {
                            field: "config_ex activation",
                            value: v.to_string(),
                            allowed: "0 (none), 1 (relu), 2 (relu6)",
                        })
                    }
                };
                let mode = if (w[0] >> 8) & 1 == 1 { Mode::Os } else { Mode::Ws };
                Ok(Instr::ConfigEx {
                    mode,
                    activation,
                    shift: ((w[0] >> 11) & 31) as u8,
                    multiplier: w[1] as i32,
                    relu6_max: hi16(w[0]) as i16,
                })
            }
            CONFIG_LD | CONFIG_ST => {
                check_zero(op, w, [!0xff, 0, all, all])?;
                Ok(if op == CONFIG_LD { Instr::ConfigLd { stride: w[1] } } else { Instr::ConfigSt { stride: w[1] } })
            }
            MVIN | MVOUT => {
                check_zero(op, w, [!0xff, 0, 0, 0])?;
                let local = LocalAddr::decode(w[2])?;
                let (rows, cols) = (nonzero("rows", lo16(w[3]))?, nonzero("cols", hi16(w[3]))?);
                if op == MVIN {
                    if local.raw {
                        return Err(DecodeError::Field {
                            field: "mvin local address",
                            value: local.to_string(),
                            allowed: "no raw flag: it applies to reads",
                        });
                    }
                    Ok(Instr::Mvin { dram: w[1], local, rows, cols })
                } else {
                    if local.accumulate {
                        return Err(DecodeError::Field {
                            field: "mvout local address",
                            value: local.to_string(),
                            allowed: "no accumulate flag: it applies to writes",
                        });
                    }
                    Ok(Instr::Mvout { dram: w[1], local, rows, cols })
                }
            }
            PRELOAD => {
                check_zero(op, w, [!0xff, all, 0, 0xffff_0000])?;
                let local = LocalAddr::decode(w[2])?;
                let rows = nonzero("preload rows", lo16(w[3]))?;
                if local.accumulate || local.raw || (local.space == Space::Accumulator && rows != 1) {
                    return Err(DecodeError::Field {
                        field: "preload",
                        value: format!("local={local} rows={rows}"),
                        allowed: "scratchpad weight rows, or one accumulator row (no flags) as the bias",
                    });
                }
                Ok(Instr::Preload { local, rows })
            }
            COMPUTE => {
                check_zero(op, w, [0, 0, 0, 0xffff_0000])?;
                let c = LocalAddr::decode(w[2])?;
                if c.space != Space::Accumulator || c.raw {
                    return Err(DecodeError::Field {
                        field: "compute output address",
                        value: c.to_string(),
                        allowed: "an accumulator row, optionally with .accumulate",
                    });
                }
                if w[1] > MAX_ROW {
                    return Err(DecodeError::Field {
                        field: "compute a",
                        value: w[1].to_string(),
                        allowed: "a scratchpad row below 2^29",
                    });
                }
                Ok(Instr::Compute { a: w[1], b: w[0] >> 8, c, count: nonzero("compute count", lo16(w[3]))? })
            }
            FENCE => {
                check_zero(op, w, [!0xff, all, all, all])?;
                Ok(Instr::Fence)
            }
            _ => Err(DecodeError::IllegalOpcode { opcode: op }),
        }
    }
}

impl fmt::Display for Instr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Instr::ConfigEx { mode, activation, shift, multiplier, relu6_max } => {
                let m = if *mode == Mode::Os { "os" } else { "ws" };
                let a = match activation {
                    Activation::None => "none",
                    Activation::Relu => "relu",
                    Activation::Relu6 => "relu6",
                };
                write!(
                    f,
                    "config_ex mode={m} activation={a} shift={shift} multiplier={multiplier} relu6_max={relu6_max}"
                )
            }
            Instr::ConfigLd { stride } => write!(f, "config_ld stride={stride}"),
            Instr::ConfigSt { stride } => write!(f, "config_st stride={stride}"),
            Instr::Mvin { dram, local, rows, cols } => {
                write!(f, "mvin dram={dram:#010x} local={local} rows={rows} cols={cols}")
            }
            Instr::Mvout { dram, local, rows, cols } => {
                write!(f, "mvout dram={dram:#010x} local={local} rows={rows} cols={cols}")
            }
            Instr::Preload { local, rows } => write!(f, "preload local={local} rows={rows}"),
            Instr::Compute { a, b, c, count } => write!(f, "compute a=sp[{a}] b=sp[{b}] c={c} count={count}"),
            Instr::Fence => f.write_str("fence"),
        }
    }
}

/// Why a line of assembly is not an instruction.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("{0}")]
pub struct AsmError(pub String);

fn parse_local(s: &str) -> Result<LocalAddr, AsmError> {
    let mut parts = s.split('.');
    let base = parts.next().unwrap_or_default();
    let (space, rest) = if let Some(r) = base.strip_prefix("sp[") {
        (Space::Scratchpad, r)
    } else if let Some(r) = base.strip_prefix("acc[") {
        (Space::Accumulator, r)
    } else {
        return Err(AsmError(format!("`{s}` is not a local address; write sp[ROW] or acc[ROW][.accumulate][.raw]")));
    };
    let row = rest
        .strip_suffix(']')
        .and_then(|r| parse_num(r).ok())
        .filter(|r| *r <= u64::from(MAX_ROW))
        .ok_or_else(|| AsmError(format!("`{s}`: the row must be a number from 0 to {MAX_ROW}")))? as u32;
    let mut a = LocalAddr { space, row, accumulate: false, raw: false };
    for flag in parts {
        match flag {
            "accumulate" => a.accumulate = true,
            "raw" => a.raw = true,
            other => return Err(AsmError(format!("`{s}`: unknown flag `.{other}` (flags: .accumulate, .raw)"))),
        }
    }
    LocalAddr::decode(a.encode()).map_err(|e| AsmError(format!("`{s}`: {e}")))
}

fn parse_num(s: &str) -> Result<u64, AsmError> {
    let r = match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16),
        None => s.parse::<u64>(),
    };
    r.map_err(|_| AsmError(format!("`{s}` is not a number")))
}

impl FromStr for Instr {
    type Err = AsmError;

    /// Parse one line of assembly (the form `Display` writes), e.g.
    /// `mvin dram=0x1000 local=sp[0] rows=4 cols=4`.
    fn from_str(line: &str) -> Result<Instr, AsmError> {
        let mut words = line.split_whitespace();
        let mnemonic = words.next().ok_or_else(|| AsmError("empty line".into()))?;
        let mut fields = std::collections::BTreeMap::new();
        for w in words {
            let (k, v) = w.split_once('=').ok_or_else(|| AsmError(format!("`{w}` is not KEY=VALUE")))?;
            if fields.insert(k, v).is_some() {
                return Err(AsmError(format!("`{k}` is given twice")));
            }
        }
        let expect = |names: &[&str]| -> Result<(), AsmError> {
            for k in fields.keys() {
                if !names.contains(k) {
                    return Err(AsmError(format!("`{mnemonic}` has no field `{k}` (fields: {})", names.join(", "))));
                }
            }
            for n in names {
                if !fields.contains_key(n) {
                    return Err(AsmError(format!("`{mnemonic}` needs `{n}=`")));
                }
            }
            Ok(())
        };
        let num = |k: &str, max: u64| -> Result<u64, AsmError> {
            let v = parse_num(fields[k])?;
            if v > max {
                return Err(AsmError(format!("`{k}={}` is out of range: 0 to {max}", fields[k])));
            }
            Ok(v)
        };
        let instr = match mnemonic {
            "config_ex" => {
                expect(&["mode", "activation", "shift", "multiplier", "relu6_max"])?;
                let mode = match fields["mode"] {
                    "ws" => Mode::Ws,
                    "os" => Mode::Os,
                    m => return Err(AsmError(format!("`mode={m}`: ws or os"))),
                };
                let activation = match fields["activation"] {
                    "none" => Activation::None,
                    "relu" => Activation::Relu,
                    "relu6" => Activation::Relu6,
                    a => return Err(AsmError(format!("`activation={a}`: none, relu or relu6"))),
                };
                let multiplier = fields["multiplier"]
                    .parse::<i32>()
                    .map_err(|_| AsmError(format!("`multiplier={}` is not an int32", fields["multiplier"])))?;
                let relu6_max = fields["relu6_max"]
                    .parse::<i16>()
                    .map_err(|_| AsmError(format!("`relu6_max={}` is not an int16", fields["relu6_max"])))?;
                Instr::ConfigEx { mode, activation, shift: num("shift", 31)? as u8, multiplier, relu6_max }
            }
            "config_ld" | "config_st" => {
                expect(&["stride"])?;
                let stride = num("stride", u64::from(u32::MAX))? as u32;
                if mnemonic == "config_ld" {
                    Instr::ConfigLd { stride }
                } else {
                    Instr::ConfigSt { stride }
                }
            }
            "mvin" | "mvout" => {
                expect(&["dram", "local", "rows", "cols"])?;
                let dram = num("dram", u64::from(u32::MAX))? as u32;
                let local = parse_local(fields["local"])?;
                let (rows, cols) = (num("rows", 65535)? as u16, num("cols", 65535)? as u16);
                if mnemonic == "mvin" {
                    Instr::Mvin { dram, local, rows, cols }
                } else {
                    Instr::Mvout { dram, local, rows, cols }
                }
            }
            "preload" => {
                expect(&["local", "rows"])?;
                Instr::Preload { local: parse_local(fields["local"])?, rows: num("rows", 65535)? as u16 }
            }
            "compute" => {
                expect(&["a", "b", "c", "count"])?;
                let sp_row = |k: &str, max: u32| -> Result<u32, AsmError> {
                    let l = parse_local(fields[k])?;
                    if l.space != Space::Scratchpad || l.row > max {
                        return Err(AsmError(format!("`{k}={}`: a scratchpad row sp[0..={max}]", fields[k])));
                    }
                    Ok(l.row)
                };
                Instr::Compute {
                    a: sp_row("a", MAX_ROW)?,
                    b: sp_row("b", MAX_B_ROW)?,
                    c: parse_local(fields["c"])?,
                    count: num("count", 65535)? as u16,
                }
            }
            "fence" => {
                expect(&[])?;
                Instr::Fence
            }
            m => {
                return Err(AsmError(format!(
                    "unknown instruction `{m}` (config_ex, config_ld, config_st, mvin, mvout, preload, compute, fence)"
                )))
            }
        };
        // Every rule of the encoding applies to assembly too.
        Instr::decode(instr.encode()).map_err(|e| AsmError(e.to_string()))
    }
}

/// Parse a program: one instruction per line, `#` starts a comment, blank lines skipped.
/// An error names the line.
pub fn parse_program(text: &str) -> Result<Vec<Instr>, AsmError> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        out.push(line.parse().map_err(|e: AsmError| AsmError(format!("line {}: {}", n + 1, e.0)))?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
