//! The host interface's register map, described once: the AXI4-Lite slave
//! ([`crate::blocks::host`]) is built from it, and so are `docs/registers.md`
//! ([`RegMap::markdown`]) and the C header ([`RegMap::c_header`]), so hardware, manual
//! and software cannot disagree.
//!
//! Registers are 32 bits wide at byte offsets in a 12-bit (4 KiB) address space. The
//! hardware-information registers (`HW_*`) hold values of the configuration the map was
//! built for.
//!
//! ```
//! use ip_blocks::{regmap::regmap, Config};
//! let cfg = Config::preset("ice40").expect("preset");
//! let map = regmap(&cfg.geometry(), cfg.array.dataflow);
//! assert_eq!(map.by_name("ID").map(|r| r.reset), Some(0x5345_4544));
//! let header = map.c_header("seedchip");
//! let status = header.lines().find(|l| l.starts_with("#define SEEDCHIP_STATUS_OFFSET "));
//! assert_eq!(status.map(|l| l.ends_with(" 0x024u")), Some(true));
//! ```

use crate::config::Dataflow;
use crate::geometry::Geometry;
use crate::isa::ErrorCode;
use rtl_gen::sim::{PortDir, PortInfo};

/// Bits of a register address (byte offset).
pub const ADDR_BITS: u32 = 12;

/// Bits of a register.
pub const DATA_BITS: u32 = 32;

/// Value of the ID register: "SEED" in ASCII.
pub const ID_VALUE: u32 = 0x5345_4544;

/// Version of this register map, in the VERSION register.
pub const VERSION_VALUE: u32 = 1;

/// Who may read and write a register over the bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// Read-only: a write answers SLVERR and changes nothing.
    Ro,
    /// Read-write: reads return what was written; byte strobes are honoured.
    Rw,
    /// Write-only: a read answers SLVERR with data 0.
    Wo,
}

impl Access {
    /// The short name used in the documents: `RO`, `RW`, `WO`.
    pub fn label(self) -> &'static str {
        match self {
            Access::Ro => "RO",
            Access::Rw => "RW",
            Access::Wo => "WO",
        }
    }

    /// A bus read of the register answers OKAY.
    pub fn readable(self) -> bool {
        self != Access::Wo
    }

    /// A bus write of the register answers OKAY.
    pub fn writable(self) -> bool {
        self != Access::Ro
    }
}

/// What a register is in hardware.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Fixed when the hardware is generated; its value is the register's `reset`.
    Constant,
    /// A plain register: read-only, an input `<name>_i` from the controller; read-write
    /// or write-only, a flip-flop word driving the output `<name>_o`.
    Plain,
    /// Write-1 bits are one-cycle pulses on the output `<name>_o`; nothing is stored.
    Pulse,
    /// Word `n` (0 to 3) of a 128-bit command; writing word 3 pushes the command.
    CommandWord(u8),
    /// Low word of the counter named here (input `<counter>_i`, [`RegMap::counter_bits`]
    /// wide); with 64-bit counters, reading it snapshots the high word.
    CounterLo(&'static str),
    /// High word of the named counter, as snapshot by the last read of its low word (0
    /// with 32-bit counters).
    CounterHi(&'static str),
}

/// A bit field of a register.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// Lowercase name (`idle`, `code`).
    pub name: &'static str,
    /// Lowest bit.
    pub lsb: u32,
    /// Width in bits.
    pub width: u32,
    /// One line saying what it holds.
    pub doc: &'static str,
}

impl Field {
    /// The field's bits in place.
    pub fn mask(&self) -> u32 {
        (((1u64 << self.width) - 1) << self.lsb) as u32
    }

    /// `[msb:lsb]`, or `[bit]` for one bit.
    pub fn bits(&self) -> String {
        if self.width == 1 {
            format!("[{}]", self.lsb)
        } else {
            format!("[{}:{}]", self.lsb + self.width - 1, self.lsb)
        }
    }
}

/// One 32-bit register.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Register {
    /// Uppercase name, as in the documents and the C header (`STATUS`).
    pub name: &'static str,
    /// Byte offset, a multiple of 4 below 4096.
    pub offset: u32,
    /// Bus access.
    pub access: Access,
    /// What it is in hardware.
    pub kind: Kind,
    /// Value after reset (for an input from the controller: the value the controller
    /// shows after reset).
    pub reset: u32,
    /// Bit fields, lowest first.
    pub fields: Vec<Field>,
    /// What it is for; the first sentence is the summary in the register table.
    pub doc: String,
}

impl Register {
    /// The bits its fields cover; the others are not implemented (they read 0, and
    /// writing them has no effect).
    pub fn implemented(&self) -> u32 {
        self.fields.iter().fold(0, |m, f| m | f.mask())
    }

    /// The first sentence of the `doc` field.
    pub fn summary(&self) -> &str {
        match self.doc.find(". ") {
            Some(i) => &self.doc[..=i],
            None => &self.doc,
        }
    }
}

/// A problem of a register map description, found by [`RegMap::problems`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapProblem {
    /// What is wrong (`VERSION offset 0x004`).
    pub subject: String,
    /// What it must be instead.
    pub rule: String,
}

impl std::fmt::Display for MapProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: it must be {}", self.subject, self.rule)
    }
}

/// The register map of one configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegMap {
    /// The registers, by increasing offset.
    pub registers: Vec<Register>,
    /// Bits of each performance counter, 64 or 32 (`controller.counter_bits`). The
    /// registers are the same either way: with 32, each `_HI` register reads 0.
    pub counter_bits: u32,
}

/// A performance counter (64 or 32 bits), read through two registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counter {
    /// Name (`CYCLES`); its input is the lowercase name with `_i`.
    pub name: &'static str,
    /// The low-word register (`CYCLES_LO`).
    pub lo: &'static str,
    /// The high-word register (`CYCLES_HI`).
    pub hi: &'static str,
    /// What it counts.
    pub counts: &'static str,
}

const fn counter(name: &'static str, lo: &'static str, hi: &'static str, counts: &'static str) -> Counter {
    Counter { name, lo, hi, counts }
}

/// The performance counters, in address order from [`COUNTERS_OFFSET`].
pub const COUNTERS: [Counter; 6] = [
    counter("CYCLES", "CYCLES_LO", "CYCLES_HI", "cycles while the machine is not idle (STATUS.idle low)"),
    counter(
        "ENGINE_BUSY",
        "ENGINE_BUSY_LO",
        "ENGINE_BUSY_HI",
        "cycles in which an input vector entered the matrix engine",
    ),
    counter("MACS", "MACS_LO", "MACS_HI", "multiply-accumulates done: rows x cols for each engine-busy cycle"),
    counter(
        "DMA_BYTES",
        "DMA_BYTES_LO",
        "DMA_BYTES_HI",
        "payload bytes moved between main memory and the local memories by mvin and mvout",
    ),
    counter(
        "DMA_STALL",
        "DMA_STALL_LO",
        "DMA_STALL_HI",
        "cycles in which the matrix engine had no input while the DMA was busy",
    ),
    counter(
        "DEP_STALL",
        "DEP_STALL_LO",
        "DEP_STALL_HI",
        "cycles in which dispatch held a command back for a local-address conflict",
    ),
];

/// Offset of the first counter's low word.
pub const COUNTERS_OFFSET: u32 = 0x100;

/// The values of the performance counters ([`COUNTERS`]), as a host reads them (with
/// `controller.counter_bits = 32` they wrap at 2^32 and stay below it). Its
/// serialized keys (`cycles`, `engine_busy`, `macs`, `dma_bytes`, `dma_stall`,
/// `dep_stall`) are the `counters` object of `seedchip sim --json` and `run --json`: an
/// interface, keep them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counters {
    /// `CYCLES`: cycles while the machine was not idle.
    pub cycles: u64,
    /// `ENGINE_BUSY`: cycles an input vector entered the engine.
    pub engine_busy: u64,
    /// `MACS`: multiply-accumulates done.
    pub macs: u64,
    /// `DMA_BYTES`: payload bytes moved by the DMA.
    pub dma_bytes: u64,
    /// `DMA_STALL`: cycles the engine had no input while the DMA was busy.
    pub dma_stall: u64,
    /// `DEP_STALL`: cycles dispatch held a command for a local-address conflict.
    pub dep_stall: u64,
}

impl Counters {
    /// Read every counter with `read(register name)`, low word then high word (the low
    /// word's read snapshots the high word, so each pair is consistent). The first error
    /// stops the reads.
    pub fn read_with<E>(mut read: impl FnMut(&'static str) -> Result<u32, E>) -> Result<Counters, E> {
        let mut v = [0u64; 6];
        for (value, c) in v.iter_mut().zip(&COUNTERS) {
            let lo = read(c.lo)?;
            let hi = read(c.hi)?;
            *value = u64::from(lo) | u64::from(hi) << 32;
        }
        let [cycles, engine_busy, macs, dma_bytes, dma_stall, dep_stall] = v;
        Ok(Counters { cycles, engine_busy, macs, dma_bytes, dma_stall, dep_stall })
    }

    /// Every register [`Counters::read_with`] reads, in its order.
    pub fn registers() -> impl Iterator<Item = &'static str> {
        COUNTERS.iter().flat_map(|c| [c.lo, c.hi])
    }
}

/// A register without fields or documentation yet; see [`Register::field`].
fn reg(name: &'static str, offset: u32, access: Access, kind: Kind, reset: u32) -> Register {
    Register { name, offset, access, kind, reset, fields: Vec::new(), doc: String::new() }
}

impl Register {
    /// Add the field `name` at bits `[lsb + width - 1 : lsb]`.
    fn field(mut self, name: &'static str, lsb: u32, width: u32, doc: &'static str) -> Self {
        self.fields.push(Field { name, lsb, width, doc });
        self
    }

    /// Set the documentation.
    fn doc(mut self, doc: impl Into<String>) -> Self {
        self.doc = doc.into();
        self
    }
}

/// The register map of a machine of geometry `g` built with `dataflow` (the
/// hardware-information registers depend on both).
pub fn regmap(g: &Geometry, dataflow: Dataflow) -> RegMap {
    use Access::*;
    use Kind::*;
    let hw_array = g.rows | g.cols << 8 | g.input_bits << 16 | g.acc_bits << 24;
    let hw_dma = g.dma_data_bits | u32::from(dataflow.has_ws()) << 16 | u32::from(dataflow.has_os()) << 17;
    let flows = match (dataflow.has_ws(), dataflow.has_os()) {
        (true, true) => "weight- and output-stationary",
        (true, false) => "weight-stationary only",
        _ => "output-stationary only",
    };
    let mut r = vec![
        reg("ID", 0x000, Ro, Constant, ID_VALUE)
            .field("id", 0, 32, "\"SEED\" in ASCII")
            .doc("Identifies a SeedChip accelerator: \"SEED\" in ASCII."),
        reg("VERSION", 0x004, Ro, Constant, VERSION_VALUE)
            .field("version", 0, 32, "register map version")
            .doc("Version of this register map. It changes when a register moves or changes meaning."),
        reg("HW_ARRAY", 0x008, Ro, Constant, hw_array)
            .field("rows", 0, 8, "PE rows")
            .field("cols", 8, 8, "PE columns")
            .field("input_bits", 16, 5, "bits of an input (scratchpad element, weight)")
            .field("acc_bits", 24, 6, "bits of an accumulator")
            .doc(format!(
                "Shape of the matrix engine. Here {} x {} PEs, {}-bit inputs, {}-bit accumulators.",
                g.rows, g.cols, g.input_bits, g.acc_bits
            )),
        reg("HW_SP_ROWS", 0x00C, Ro, Constant, g.sp_rows())
            .field("rows", 0, 32, "scratchpad rows, all banks")
            .doc(format!("Scratchpad rows in all banks. Here {} banks of {} rows.", g.sp_banks, g.sp_rows_per_bank)),
        reg("HW_ACC_ROWS", 0x010, Ro, Constant, g.acc_rows)
            .field("rows", 0, 32, "accumulator rows")
            .doc(format!("Accumulator rows. Here {}.", g.acc_rows)),
        reg("HW_DMA", 0x014, Ro, Constant, hw_dma)
            .field("data_bits", 0, 16, "AXI4 data width of the DMA in bits")
            .field("dataflows", 16, 2, "bit 16: weight-stationary built; bit 17: output-stationary built")
            .doc(format!(
                "DMA bus width and the dataflows the engine was built with. Here a {}-bit bus, {flows}.",
                g.dma_data_bits
            )),
        reg("CONTROL", 0x020, Wo, Pulse, 0)
            .field("reset", 0, 1, "soft reset of the controller: queues emptied, error cleared, state to reset values")
            .field("clear_counters", 1, 1, "zero every performance counter")
            .doc(
                "Commands to the controller. Each 1 written is a one-cycle pulse; nothing is stored. The soft \
                 reset leaves the host's own registers (WINDOW_BASE, WINDOW_LIMIT, CMD0 to CMD2) as they are.",
            ),
        reg("STATUS", 0x024, Ro, Plain, 1)
            .field("idle", 0, 1, "nothing queued or running")
            .field("error", 1, 1, "a command failed: see ERROR and ERROR_INDEX")
            .field("cmd_full", 2, 1, "the command queue is full: a CMD3 write would wait")
            .doc("State of the controller."),
        reg("ERROR", 0x028, Ro, Plain, 0).field("code", 0, 8, "error code (see Error codes)").doc(
            "Why the controller stopped, 0 while there is no error. The codes are listed under \
             [Error codes](#error-codes).",
        ),
        reg("ERROR_INDEX", 0x02C, Ro, Plain, 0)
            .field("index", 0, 32, "position of the failing command")
            .doc("Position of the failing command in the stream, 0 for the first command after reset."),
    ];
    for w in 0..4u8 {
        let doc = if w < 3 {
            format!("Word w{w} of the next command. It is held until written again.")
        } else {
            "Word w3 of the next command. Writing it pushes {CMD3, CMD2, CMD1, CMD0} into the command queue; \
             while the queue is full the write waits (it is not accepted) until there is room, so nothing is \
             dropped."
                .into()
        };
        let name = ["CMD0", "CMD1", "CMD2", "CMD3"][usize::from(w)];
        r.push(
            reg(name, 0x030 + 4 * u32::from(w), Wo, CommandWord(w), 0).field("word", 0, 32, "command word").doc(doc),
        );
    }
    r.extend([
        reg("CMD_COUNT", 0x040, Ro, Plain, 0)
            .field("count", 0, 32, "commands accepted")
            .doc("Commands accepted since reset."),
        reg("QUEUE_LEVELS", 0x044, Ro, Plain, 0)
            .field("cmd", 0, 8, "commands in the command queue")
            .field("load", 8, 8, "commands in the load queue")
            .field("execute", 16, 8, "commands in the execute queue")
            .field("store", 24, 8, "commands in the store queue")
            .doc("Entries in each queue of the controller."),
        reg("WINDOW_BASE", 0x050, Rw, Plain, 0).field("address", 0, 32, "lowest byte address").doc(
            "Lowest main-memory byte address the DMA may touch. mvin and mvout outside \
             [WINDOW_BASE, WINDOW_LIMIT] fail with dma_window.",
        ),
        reg("WINDOW_LIMIT", 0x054, Rw, Plain, u32::MAX)
            .field("address", 0, 32, "highest byte address, inclusive")
            .doc("Highest main-memory byte address the DMA may touch, inclusive."),
    ]);
    let wide = g.counter_bits > DATA_BITS;
    for (i, c) in COUNTERS.iter().enumerate() {
        let offset = COUNTERS_OFFSET + 8 * i as u32;
        let Counter { name, lo, hi, counts } = *c;
        let (lo_doc, hi_doc) = if wide {
            (
                format!(
                    "Bits [31:0] of the {name} counter, which counts {counts}. Reading it also copies bits \
                     [63:32] into the snapshot {hi} returns."
                ),
                format!("Bits [63:32] of the {name} counter, as they were when {lo} was last read."),
            )
        } else {
            (
                format!("The {name} counter, which counts {counts}. It is 32 bits wide here and wraps at 2^32."),
                format!("Bits [63:32] of the {name} counter: 0 here, where the counters are 32 bits wide."),
            )
        };
        r.push(
            reg(lo, offset, Ro, CounterLo(name), 0).field("count_lo", 0, 32, "bits [31:0] of the counter").doc(lo_doc),
        );
        r.push(
            reg(hi, offset + 4, Ro, CounterHi(name), 0)
                .field("count_hi", 0, 32, "bits [63:32] of the counter")
                .doc(hi_doc),
        );
    }
    RegMap { registers: r, counter_bits: g.counter_bits }
}

impl RegMap {
    /// The port of `<prefix>_host` behind register `r`, if it has its own.
    pub fn port(&self, r: &Register) -> Option<PortInfo> {
        let lower = r.name.to_lowercase();
        let (name, width, dir) = match r.kind {
            Kind::Constant | Kind::CommandWord(_) | Kind::CounterHi(_) => return None,
            Kind::Plain if r.access == Access::Ro => (format!("{lower}_i"), DATA_BITS, PortDir::Input),
            Kind::Plain | Kind::Pulse => (format!("{lower}_o"), DATA_BITS, PortDir::Output),
            Kind::CounterLo(c) => (format!("{}_i", c.to_lowercase()), self.counter_bits, PortDir::Input),
        };
        Some(PortInfo { name, width, dir })
    }

    /// The register named `name` (uppercase).
    pub fn by_name(&self, name: &str) -> Option<&Register> {
        self.registers.iter().find(|r| r.name == name)
    }

    /// The register at byte offset `offset` (the low two bits ignored, as the hardware
    /// does).
    pub fn at(&self, offset: u32) -> Option<&Register> {
        self.registers.iter().find(|r| r.offset == offset & !3 & ((1 << ADDR_BITS) - 1))
    }

    /// Every problem of the description: offsets, fields, reset values, counters and
    /// command words. Empty for a well-formed map.
    pub fn problems(&self) -> Vec<MapProblem> {
        let mut out = Vec::new();
        let mut push = |subject: String, rule: String| out.push(MapProblem { subject, rule });
        if ![DATA_BITS, 2 * DATA_BITS].contains(&self.counter_bits) {
            push(format!("counter width {}", self.counter_bits), format!("{} or {DATA_BITS}", 2 * DATA_BITS));
        }
        for (i, r) in self.registers.iter().enumerate() {
            let n = r.name;
            if r.offset % 4 != 0 || r.offset >= 1 << ADDR_BITS {
                push(format!("{n} offset {:#05x}", r.offset), "a multiple of 4 below 0x1000".into());
            }
            if let Some(o) = self.registers[..i].iter().find(|o| o.offset == r.offset) {
                push(format!("{n} offset {:#05x}", r.offset), format!("an offset of its own ({} is there)", o.name));
            }
            if self.registers[..i].iter().any(|o| o.name == n) {
                push(format!("a second register named {n}"), "a name of its own".into());
            }
            let mut used = 0u32;
            for f in &r.fields {
                if f.width == 0 || f.lsb + f.width > DATA_BITS {
                    push(format!("{n}.{} bits {}", f.name, f.bits()), "1 to 32 bits within [31:0]".into());
                    continue;
                }
                if used & f.mask() != 0 {
                    push(format!("{n}.{} bits {}", f.name, f.bits()), format!("bits no other field of {n} uses"));
                }
                used |= f.mask();
            }
            if r.reset & !used != 0 {
                push(format!("{n} reset value {:#010x}", r.reset), format!("a value within its fields ({used:#010x})"));
            }
            let expect = match r.kind {
                Kind::Constant | Kind::CounterLo(_) | Kind::CounterHi(_) => Some(Access::Ro),
                Kind::Pulse | Kind::CommandWord(_) => Some(Access::Wo),
                Kind::Plain => None,
            };
            if let Some(a) = expect.filter(|a| *a != r.access) {
                push(format!("{n} access {}", r.access.label()), format!("{} for a {:?} register", a.label(), r.kind));
            }
            if let Kind::CounterLo(c) = r.kind {
                let hi: Vec<_> = self.registers.iter().filter(|h| h.kind == Kind::CounterHi(c)).collect();
                if hi.len() != 1 || hi[0].offset != r.offset + 4 {
                    push(format!("counter {c}"), format!("one high word, at {:#05x}", r.offset + 4));
                }
            }
            if let Kind::CounterHi(c) = r.kind {
                if self.registers.iter().filter(|l| l.kind == Kind::CounterLo(c)).count() != 1 {
                    push(format!("counter {c}"), "one low word".into());
                }
            }
        }
        for w in 0..4u8 {
            let count = self.registers.iter().filter(|r| r.kind == Kind::CommandWord(w)).count();
            if count != 1 {
                push(format!("command word {w} described {count} times"), "exactly one CMD register per word".into());
            }
        }
        let mut ports: Vec<String> = self.registers.iter().filter_map(|r| self.port(r)).map(|p| p.name).collect();
        ports.sort();
        for pair in ports.windows(2).filter(|p| p[0] == p[1]) {
            push(format!("port `{}` wanted by two registers", pair[0]), "one register per port".into());
        }
        out
    }

    /// The counters as (name, low-word register, high-word register).
    pub fn counters(&self) -> Vec<(&'static str, &Register, &Register)> {
        self.registers
            .iter()
            .filter_map(|lo| match lo.kind {
                Kind::CounterLo(c) => {
                    self.registers.iter().find(|hi| hi.kind == Kind::CounterHi(c)).map(|hi| (c, lo, hi))
                }
                _ => None,
            })
            .collect()
    }

    /// `docs/registers.md`: the register table, a field table per register, the error
    /// codes, the counters' meaning and how to push a command.
    pub fn markdown(&self) -> String {
        markdown(self)
    }

    /// A C99 header: `<PREFIX>_<REG>_OFFSET`, `_RESET`, field `_SHIFT`/`_MASK` (mask in
    /// place) and `<PREFIX>_ERR_<NAME>` error codes. `prefix` is upper-cased.
    pub fn c_header(&self, prefix: &str) -> String {
        c_header(self, prefix)
    }
}

/// The banner both generated files open with.
const BANNER: &str = "Generated by SeedChip from its register map (ip-blocks/src/regmap.rs). Do not edit: \
                      change the description there and regenerate.";

fn hex(v: u32) -> String {
    format!("0x{v:08X}")
}

fn markdown(map: &RegMap) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let w = &mut s;
    let _ = writeln!(w, "<!-- {BANNER} -->\n");
    let _ = writeln!(w, "# SeedChip host registers\n");
    let _ = writeln!(
        w,
        "The host interface (module `<name>_host`) is an AXI4-Lite slave with 12-bit byte addresses and\n\
         32-bit data. Each register is one 32-bit word at a byte offset; the low two address bits are\n\
         ignored (any byte address selects its word) and WSTRB selects the bytes a write changes.\n\
         Bits outside a register's fields are not implemented: they read 0 and writing them has no\n\
         effect.\n\
         Values of the hardware-information registers (`HW_*`) are those of the configuration this\n\
         file was generated for.\n\n\
         Responses: OKAY (`2'b00`) for every read of a readable register and every write of a\n\
         writable one. SLVERR (`2'b10`) for an offset no register has, a write to a read-only\n\
         register and a read of a write-only one; such an access changes nothing and a read\n\
         answers data 0.\n\n\
         Access: **RO** read-only; **RW** read-write; **WO** write-only. For RO registers fed by\n\
         the controller, the reset column is the value the controller shows after reset.\n"
    );
    let _ = writeln!(w, "## Register map\n");
    let _ = writeln!(w, "| offset | name | access | reset | meaning |\n|---|---|---|---|---|");
    for r in &map.registers {
        let anchor = r.name.to_lowercase();
        let _ = writeln!(
            w,
            "| `0x{:03X}` | [{}](#{anchor}) | {} | `{}` | {} |",
            r.offset,
            r.name,
            r.access.label(),
            hex(r.reset),
            r.summary()
        );
    }
    let _ = writeln!(w, "\n## Registers\n");
    for r in &map.registers {
        let _ = writeln!(w, "### {}\n", r.name);
        let _ = writeln!(w, "Offset `0x{:03X}`, {}, reset `{}`. {}\n", r.offset, r.access.label(), hex(r.reset), r.doc);
        let _ = writeln!(w, "| bits | field | meaning |\n|---|---|---|");
        for f in &r.fields {
            let _ = writeln!(w, "| {} | `{}` | {} |", f.bits(), f.name, f.doc);
        }
        let _ = writeln!(w);
    }
    let _ = writeln!(
        w,
        "## Error codes\n\n\
         `ERROR.code` holds one of these (`ip_blocks::isa::ErrorCode`; in C `<PREFIX>_ERR_<NAME>`).\n\
         The rules that raise them, and which one wins when several are broken, are in\n\
         [isa.md](isa.md#errors).\n\n\
         | code | name | meaning |\n|---|---|---|"
    );
    for e in ErrorCode::ALL {
        let _ = writeln!(w, "| {} | `{}` | {} |", e.code(), e.name(), e.meaning());
    }
    let wide = map.counter_bits > DATA_BITS;
    let _ = if wide {
        writeln!(
            w,
            "\n## Performance counters\n\n\
             Each counter is 64 bits, read as a low and a high register. They count from reset, are\n\
             zeroed by `CONTROL.clear_counters`, and wrap at 2^64.\n"
        )
    } else {
        writeln!(
            w,
            "\n## Performance counters\n\n\
             Each counter is 32 bits here (`controller.counter_bits = 32`): the low register holds\n\
             it and the high register reads 0, so software written for 64-bit counters reads the same\n\
             values. They count from reset, are zeroed by `CONTROL.clear_counters`, and wrap at 2^32.\n"
        )
    };
    let _ = writeln!(w, "| counter | low word | high word | counts |\n|---|---|---|---|");
    for (name, lo, hi) in map.counters() {
        let meaning = COUNTERS.iter().find(|c| c.name == name).map_or("", |c| c.counts);
        let _ = writeln!(w, "| {name} | `0x{:03X}` | `0x{:03X}` | {meaning} |", lo.offset, hi.offset);
    }
    if wide {
        let _ = writeln!(
            w,
            "\nRead the low word first, then the high word. Reading the low word returns bits [31:0] and,\n\
             at the same clock edge, copies bits [63:32] into the counter's own snapshot, which the\n\
             high word returns. So a low-then-high pair is one consistent 64-bit value even while the\n\
             counter runs; reads of other registers in between do not disturb it.\n"
        );
    } else {
        let _ = writeln!(w);
    }
    let _ = writeln!(
        w,
        "## Pushing a command\n\n\
         A command is four 32-bit words `w0` to `w3` ([isa.md](isa.md)).\n\n\
         1. Write `w0` to `CMD0`, `w1` to `CMD1` and `w2` to `CMD2`. These words are held, so a\n\
         \x20  word equal to the previous command's may be left unwritten.\n\
         2. Write `w3` to `CMD3`: this pushes `{{CMD3, CMD2, CMD1, CMD0}}` into the command queue.\n\
         \x20  Bytes a `CMD3` write does not strobe are 0.\n\
         3. While the queue is full (`STATUS.cmd_full`), the `CMD3` write is not accepted: the bus\n\
         \x20  waits until there is room. Nothing is dropped and the command is pushed exactly once.\n\
         \x20  Software that must not stall the bus checks `STATUS.cmd_full` first.\n\
         4. `CMD_COUNT` counts the commands accepted. A failing command sets `STATUS.error`,\n\
         \x20  `ERROR` and `ERROR_INDEX`; `CONTROL.reset` clears it and empties the queues.\n"
    );
    let _ = writeln!(
        w,
        "## Hardware side\n\n\
         The register-side ports of `<name>_host` (besides the AXI4-Lite slave `s_axil_*` and the\n\
         command channel `cmd_valid_o`, `cmd_ready_i`, `cmd_data_o[127:0]` = `{{w3, w2, w1, w0}}`):\n\n\
         | register | port | width | meaning |\n|---|---|---|---|"
    );
    for r in &map.registers {
        if let Some(p) = map.port(r) {
            let (regs, what) = match (r.kind, p.dir) {
                (Kind::Pulse, _) => (r.name.to_string(), "the written 1-bits, for one cycle".to_string()),
                (Kind::CounterLo(c), _) => (format!("{c}_LO, {c}_HI"), format!("the {}-bit counter", p.width)),
                (_, PortDir::Input) => (r.name.to_string(), "the value reads return".to_string()),
                (_, PortDir::Output) => (r.name.to_string(), "the stored value".to_string()),
            };
            let _ = writeln!(w, "| {regs} | `{}` | {} | {what} |", p.name, p.width);
        }
    }
    s
}

/// `text` usable inside a C comment.
fn c_comment(text: &str) -> String {
    text.replace("*/", "* /").replace('\n', " ")
}

/// One `#define` of the C header: name, value, comment (may be empty).
struct Define(String, String, String);

/// A commented group of defines.
struct Group {
    title: String,
    defines: Vec<Define>,
}

fn c_header(map: &RegMap, prefix: &str) -> String {
    use std::fmt::Write;
    let p = prefix.to_uppercase();
    let mut groups: Vec<Group> = map
        .registers
        .iter()
        .map(|r| {
            let n = format!("{p}_{}", r.name);
            let mut defines = vec![Define(format!("{n}_OFFSET"), format!("0x{:03X}u", r.offset), String::new())];
            if r.access.readable() {
                defines.push(Define(format!("{n}_RESET"), format!("0x{:08X}u", r.reset), String::new()));
            }
            for f in r.fields.iter().filter(|f| f.width < DATA_BITS) {
                let fname = format!("{n}_{}", f.name.to_uppercase());
                defines.push(Define(format!("{fname}_SHIFT"), f.lsb.to_string(), f.doc.to_string()));
                defines.push(Define(format!("{fname}_MASK"), format!("0x{:08X}u", f.mask()), String::new()));
            }
            Group { title: format!("{} ({}): {}", r.name, r.access.label(), r.summary()), defines }
        })
        .collect();
    groups.push(Group {
        title: "Error codes, the values of ERROR.code".into(),
        defines: ErrorCode::ALL
            .iter()
            .map(|e| {
                Define(format!("{p}_ERR_{}", e.name().to_uppercase()), format!("{}u", e.code()), e.meaning().into())
            })
            .collect(),
    });
    let width = groups.iter().flat_map(|g| g.defines.iter().map(|d| d.0.len())).max().unwrap_or(0);
    let guard = format!("{p}_REGS_H");
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "/* {} */", c_comment(BANNER));
    let _ = writeln!(
        w,
        "/* SeedChip host registers: AXI4-Lite, 32-bit registers at byte offsets (docs/registers.md).\n \
         * _OFFSET: byte offset; _RESET: what a read returns after reset (readable registers);\n \
         * _SHIFT/_MASK: a field's lowest bit and its bits in place (fields covering the whole\n \
         * register have none). */"
    );
    let _ = writeln!(w, "#ifndef {guard}\n#define {guard}");
    for g in &groups {
        let _ = writeln!(w, "\n/* {} */", c_comment(&g.title));
        for Define(name, value, doc) in &g.defines {
            let line = format!("#define {name:width$} {value}");
            if doc.is_empty() {
                let _ = writeln!(w, "{line}");
            } else {
                let _ = writeln!(w, "{line:w2$} /* {} */", c_comment(doc), w2 = width + 20);
            }
        }
    }
    let _ = writeln!(w, "\n#endif /* {guard} */");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;

    fn ice40() -> RegMap {
        let cfg = Config::preset("ice40").expect("preset");
        regmap(&cfg.geometry(), cfg.array.dataflow)
    }

    #[test]
    fn preset_maps_are_well_formed() {
        for (name, _) in crate::config::PRESETS {
            let cfg = Config::preset(name).expect("preset");
            let map = regmap(&cfg.geometry(), cfg.array.dataflow);
            assert_eq!(map.problems(), [], "{name}");
            assert!(map.registers.windows(2).all(|w| w[0].offset < w[1].offset), "{name}: sorted by offset");
        }
    }

    #[test]
    fn hardware_information_follows_the_configuration() {
        let m = ice40();
        let v = |n: &str| m.by_name(n).map(|r| r.reset);
        assert_eq!(v("HW_ARRAY"), Some(4 | 4 << 8 | 8 << 16 | 32 << 24));
        assert_eq!((v("HW_SP_ROWS"), v("HW_ACC_ROWS")), (Some(1024), Some(256)));
        assert_eq!(v("HW_DMA"), Some(32 | 1 << 16));
        let text = "[array]\nrows = 3\ncols = 5\ninput_bits = 12\nacc_bits = 40\ndataflow = \"both\"\n\
                    [scratchpad]\nbanks = 2\nrows_per_bank = 32\n[accumulator]\nrows = 64\n[dma]\ndata_bits = 128\n";
        let cfg = Config::from_toml(text, "t").expect("valid");
        let m = regmap(&cfg.geometry(), cfg.array.dataflow);
        assert_eq!(m.by_name("HW_ARRAY").map(|r| r.reset), Some(3 | 5 << 8 | 12 << 16 | 40 << 24));
        assert_eq!(m.by_name("HW_DMA").map(|r| r.reset), Some(128 | 3 << 16));
        assert_eq!(m.problems(), []);
    }

    #[test]
    fn problems_name_register_and_reason() {
        let mut m = ice40();
        m.registers[3].offset = 0x008;
        m.registers[2].fields[1].lsb = 4;
        m.registers.retain(|r| r.kind != Kind::CommandWord(2) && r.kind != Kind::CounterHi("MACS"));
        let p: Vec<String> = m.problems().iter().map(|p| p.to_string()).collect();
        let p = p.join("\n");
        for want in [
            "HW_SP_ROWS offset 0x008: it must be an offset of its own (HW_ARRAY is there)",
            "HW_ARRAY.cols bits [11:4]: it must be bits no other field of HW_ARRAY uses",
            "command word 2 described 0 times",
            "counter MACS: it must be one high word, at 0x114",
        ] {
            assert!(p.contains(want), "missing {want:?} in:\n{p}");
        }
    }

    #[test]
    fn ports_and_lookup() {
        let m = ice40();
        let port = |n: &str| m.by_name(n).and_then(|r| m.port(r)).map(|p| (p.name, p.width, p.dir));
        assert_eq!(port("STATUS"), Some(("status_i".into(), 32, PortDir::Input)));
        assert_eq!(port("WINDOW_LIMIT"), Some(("window_limit_o".into(), 32, PortDir::Output)));
        assert_eq!(port("CONTROL"), Some(("control_o".into(), 32, PortDir::Output)));
        assert_eq!(port("DMA_BYTES_LO"), Some(("dma_bytes_i".into(), 64, PortDir::Input)));
        assert_eq!((port("DMA_BYTES_HI"), port("ID"), port("CMD3")), (None, None, None));
        assert_eq!(m.at(0x027).map(|r| r.name), Some("STATUS"));
        assert_eq!(m.counters().len(), COUNTERS.len());
        assert_eq!(m.by_name("STATUS").map(Register::implemented), Some(0b111));
        assert_eq!(m.by_name("WINDOW_BASE").map(Register::implemented), Some(u32::MAX));
    }

    #[test]
    fn counter_width_changes_ports_and_words_not_the_map() {
        let mut cfg = Config::preset("ice40").expect("preset");
        cfg.controller.counter_bits = 32;
        let narrow = regmap(&cfg.geometry(), cfg.array.dataflow);
        let wide = ice40();
        assert_eq!((narrow.counter_bits, wide.counter_bits), (32, 64));
        assert_eq!(narrow.problems(), []);
        let layout = |m: &RegMap| m.registers.iter().map(|r| (r.name, r.offset, r.access, r.kind)).collect::<Vec<_>>();
        assert_eq!(layout(&narrow), layout(&wide));
        let width = |m: &RegMap| m.by_name("CYCLES_LO").and_then(|r| m.port(r)).map(|p| p.width);
        assert_eq!((width(&narrow), width(&wide)), (Some(32), Some(64)));
        let hi = narrow.by_name("CYCLES_HI").expect("CYCLES_HI");
        assert!(hi.doc.contains("0 here"), "{}", hi.doc);
        let mut odd = narrow.clone();
        odd.counter_bits = 48;
        let p: Vec<String> = odd.problems().iter().map(|p| p.to_string()).collect();
        assert_eq!(p, ["counter width 48: it must be 64 or 32"]);
    }
}
