//! The accelerator configuration: the TOML schema, the built-in presets, and the
//! validation that turns a bad value into a message naming the key, the value and the
//! allowed range.

use rtl_gen::ir::clog2;
use serde::{Deserialize, Serialize};
use std::path::Path;
use thiserror::Error;

/// The longest `name`: it prefixes every module and file name.
pub const MAX_NAME_LEN: usize = 64;

/// A configuration could not be read or is out of range.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file could not be read.
    /// (The I/O error is in the message, not a `source`, so that error chains do not
    /// print it twice.)
    #[error("cannot read configuration `{path}`: {cause}")]
    Read { path: String, cause: std::io::Error },
    /// The TOML is malformed, has an unknown key, or a value of the wrong type.
    #[error("configuration `{path}`: {message}")]
    Parse { path: String, message: String },
    /// A value is outside what the hardware supports.
    #[error("configuration `{path}`: `{key}` = {value} is out of range: {allowed}")]
    Range { path: String, key: String, value: String, allowed: String },
    /// No preset of that name.
    #[error("no preset named `{name}`; presets: {known}")]
    UnknownPreset { name: String, known: String },
}

/// The systolic array: `rows` x `cols` MAC processing elements.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrayConfig {
    /// PE rows (the reduction dimension K of one weight tile), 1 to 64.
    pub rows: u32,
    /// PE columns (output features N of one weight tile), 1 to 64.
    pub cols: u32,
    /// Width of the signed inputs and weights, 4 to 16 bits (int8 by default).
    #[serde(default = "default_input_bits")]
    pub input_bits: u32,
    /// Width of the signed accumulators, 16 to 48 bits (int32 by default).
    #[serde(default = "default_acc_bits")]
    pub acc_bits: u32,
    /// Dataflow of the matrix engine: weight-stationary, output-stationary, or both
    /// (chosen at run time by the engine's `mode_i` input).
    #[serde(default)]
    pub dataflow: Dataflow,
    /// How many PE multipliers are DSP multiplies (in row-major order); the others are
    /// soft multipliers built from logic. Default: all of them.
    #[serde(default)]
    pub dsp_multipliers: Option<u32>,
    /// Weight-stationary arrays for small devices: each row's input reaches every PE of
    /// the row in the same cycle (a wire with `cols` loads instead of a register per PE,
    /// and no output de-skew), and a PE pair keeps its active weights in the pair
    /// multiplier's operand register (one weight register per PE in logic instead of
    /// two and a multiplexer). Needs `dataflow = "ws"` and, when PEs pair up, an even
    /// `cols` (a pair's two PEs in one row). Default: off.
    #[serde(default)]
    pub broadcast: bool,
}

/// The dataflows a matrix engine supports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dataflow {
    /// Weight-stationary with double-buffered weights.
    #[default]
    Ws,
    /// Output-stationary.
    Os,
    /// Both, selected at run time.
    Both,
}

impl Dataflow {
    /// True when weight-stationary operation is built.
    pub fn has_ws(self) -> bool {
        self != Dataflow::Os
    }

    /// True when output-stationary operation is built.
    pub fn has_os(self) -> bool {
        self != Dataflow::Ws
    }
}

impl ArrayConfig {
    /// A `rows` x `cols` int8 array with int32 accumulators, weight-stationary, every
    /// multiplier a DSP multiply.
    pub fn new(rows: u32, cols: u32) -> Self {
        ArrayConfig {
            rows,
            cols,
            input_bits: default_input_bits(),
            acc_bits: default_acc_bits(),
            dataflow: Dataflow::Ws,
            dsp_multipliers: None,
            broadcast: false,
        }
    }

    /// PE multipliers that are DSP multiplies.
    pub fn dsp_pes(&self) -> u32 {
        self.dsp_multipliers.unwrap_or(self.rows * self.cols).min(self.rows * self.cols)
    }
}

fn default_input_bits() -> u32 {
    8
}

fn default_acc_bits() -> u32 {
    32
}

/// The scratchpad: `banks` banks of `rows_per_bank` rows, each row one vector of `cols`
/// inputs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScratchpadConfig {
    /// Number of banks, 1 to 16.
    pub banks: u32,
    /// Rows per bank, 16 to 65536.
    pub rows_per_bank: u32,
    /// Cycles from a bank's read enable to its data, 1 (default) or 2: 2 adds a register
    /// after the block RAM's output (Yosys maps the ECP5's DP16KD without its output
    /// register, 5.8 ns clock to out), and the readers' queues keep one row more.
    #[serde(default = "default_read_latency")]
    pub read_latency: u32,
}

fn default_read_latency() -> u32 {
    1
}

/// The accumulator memory: `rows` rows of `cols` accumulators, with the read-out path
/// (bias, requantization, activation, saturation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccumulatorConfig {
    /// Rows, 16 to 65536.
    pub rows: u32,
    /// DSP blocks of the read-out's requantizer: 4 (default), one signed 32x32 product
    /// (4 SB_MAC16 or MULT18X18D), one requantized column per cycle; 1, one 16x16
    /// product used four times, one column every 4 cycles; 0, a radix-4 Booth serial
    /// product in logic (no DSP), one column every 8 cycles.
    #[serde(default = "default_requant_dsps")]
    pub requant_dsps: u32,
    /// Cycles from the read-modify-write's block-RAM read to its sum, 1 (default) or 2: 2
    /// adds a register after the block RAM (Yosys maps the ECP5's DP16KD without its
    /// output register, 5.6 ns clock to out) and writes a cycle later; an accumulate to a
    /// row written in the two cycles before waits.
    #[serde(default = "default_read_latency")]
    pub read_latency: u32,
    /// Pipeline registers of the requantizer's 32x32 product (`requant_dsps = 4`), 1
    /// (default) or 2: 2 registers its four 16x16 partial products before their sum (one
    /// cycle more per requantized row, the same throughput).
    #[serde(default = "default_product_stages")]
    pub product_stages: u32,
    /// A register stage after the read-out's block RAM, false (default) or true: true
    /// moves each read row into registers a cycle after its read (raw beats and the bias
    /// load take it from there) and shifts a requantized row down a column per issue, so
    /// that no column multiplexer follows the block RAM (one cycle more from a read to
    /// its beat, the same throughput; a row's worth of flip-flops).
    #[serde(default)]
    pub read_out_registered: bool,
}

fn default_product_stages() -> u32 {
    1
}

fn default_requant_dsps() -> u32 {
    4
}

/// The DMA engine: an AXI4 master to main memory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DmaConfig {
    /// Width of the AXI4 data bus in bits: 32, 64, 128 or 256.
    #[serde(default = "default_dma_data_bits")]
    pub data_bits: u32,
    /// Read bursts in flight at once (hides main-memory latency), 1 to 64. With 1 the DMA
    /// is built with its compact engines: one burst and one row at a time each way,
    /// stores one byte per cycle, about 40% of the streaming engines' LUTs.
    #[serde(default = "default_dma_outstanding")]
    pub outstanding: u32,
    /// Register the local-read and local-write handshakes at the block boundaries (only
    /// with `outstanding = 1`): the compact store takes a row a cycle after it is offered
    /// (its valid registered) and the accumulator accepts a read only once the row
    /// before it has left its read register, each a cycle more per row, so that no
    /// combinational path crosses from the store through the controller into the
    /// accumulator's read-out and back; and the compact load with chunk writes takes an
    /// R beat only while its chunk register is empty (`m_axi_rready_o` from registers
    /// only), so that the local write's ready (the accumulator's write hazard) does not
    /// reach the AXI read channel; and the controller serves a local read in one cycle
    /// and acknowledges it (`lr_ready_o`) and counts it owed from a register in the next,
    /// so that its scratchpad arbitration does not reach the store. Default false.
    #[serde(default)]
    pub local_read_registered: bool,
}

impl Default for DmaConfig {
    fn default() -> Self {
        DmaConfig {
            data_bits: default_dma_data_bits(),
            outstanding: default_dma_outstanding(),
            local_read_registered: false,
        }
    }
}

fn default_dma_data_bits() -> u32 {
    64
}

fn default_dma_outstanding() -> u32 {
    16
}

/// The controller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControllerConfig {
    /// Commands each of the four trackers (load, preload, compute, store) holds from
    /// dispatch to completion: 2, 4, 8 or 16 (also 1 without the scoreboard). Deeper
    /// lets more loads and stores run ahead of compute; each entry costs about 100
    /// flip-flops and its comparators.
    #[serde(default = "default_queue_depth")]
    pub queue_depth: u32,
    /// Bits of each of the six performance counters: 64 or 32. 32-bit counters wrap at
    /// 2^32 (about 107 s at 40 MHz for `CYCLES`) and their `_HI` registers read 0, so the
    /// register map stays the same; on an iCE40 they save about 350 flip-flops and as many
    /// LUTs in the controller and the host interface.
    #[serde(default = "default_counter_bits")]
    pub counter_bits: u32,
    /// Keep the local row ranges of every tracked command, so that a command waits only
    /// for the commands of other trackers whose rows it overlaps (loads and stores then
    /// overlap compute). Without it (`false`, for small devices) a command waits until
    /// every other tracker it could conflict with is empty, and loads and stores go from
    /// the command queue's head straight to the DMA: far fewer flip-flops, much less
    /// overlap.
    #[serde(default = "default_scoreboard")]
    pub scoreboard: bool,
    /// A register stage with a skid entry between the matrix engine's output and the
    /// accumulator's write port, false (default) or true: true takes the engine's stall
    /// (its `out_ready_i`, the global clock enable of every PE and DSP block) from a
    /// register instead of the accumulator's write hazard, one cycle more per output
    /// vector's way to the accumulator, two rows of `acc_bits` flip-flops.
    #[serde(default)]
    pub engine_out_registered: bool,
}

impl Default for ControllerConfig {
    fn default() -> Self {
        ControllerConfig {
            queue_depth: default_queue_depth(),
            counter_bits: default_counter_bits(),
            scoreboard: default_scoreboard(),
            engine_out_registered: false,
        }
    }
}

fn default_queue_depth() -> u32 {
    4
}

fn default_counter_bits() -> u32 {
    64
}

fn default_scoreboard() -> bool {
    true
}

/// A whole accelerator configuration, as written in a `configs/*.toml` file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Prefix of every generated module name (a Verilog identifier, `seedchip` by
    /// default), so that two configurations can live in one design.
    #[serde(default = "default_name")]
    pub name: String,
    /// The matrix engine.
    pub array: ArrayConfig,
    /// The input scratchpad.
    pub scratchpad: ScratchpadConfig,
    /// The accumulator memory.
    pub accumulator: AccumulatorConfig,
    /// The DMA engine (defaults: 64-bit data, 16 read bursts in flight).
    #[serde(default)]
    pub dma: DmaConfig,
    /// The controller (default: trackers of 4 commands).
    #[serde(default)]
    pub controller: ControllerConfig,
}

fn default_name() -> String {
    "seedchip".into()
}

/// The presets shipped with SeedChip: (name, TOML text).
pub const PRESETS: &[(&str, &str)] =
    &[("ice40", include_str!("../../configs/ice40.toml")), ("ecp5", include_str!("../../configs/ecp5.toml"))];

impl Config {
    /// Parse and validate TOML text; `origin` names the file in messages.
    pub fn from_toml(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let cfg: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: origin.to_string(),
            message: e.to_string().trim_end().replace('\n', "\n  "),
        })?;
        cfg.validate(origin)?;
        Ok(cfg)
    }

    /// Read, parse and validate a configuration file.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|cause| ConfigError::Read { path: origin.clone(), cause })?;
        Self::from_toml(&text, &origin)
    }

    /// A built-in preset by name.
    pub fn preset(name: &str) -> Result<Config, ConfigError> {
        let (_, text) = PRESETS.iter().find(|(n, _)| *n == name).ok_or_else(|| ConfigError::UnknownPreset {
            name: name.to_string(),
            known: PRESETS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
        })?;
        Self::from_toml(text, &format!("configs/{name}.toml"))
    }

    /// The resolved configuration as TOML (defaults filled in).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    /// Check every value against what the generator supports.
    pub fn validate(&self, origin: &str) -> Result<(), ConfigError> {
        let range = |key: &str, value: u64, lo: u64, hi: u64, why: &str| {
            if value < lo || value > hi {
                Err(ConfigError::Range {
                    path: origin.to_string(),
                    key: key.to_string(),
                    value: value.to_string(),
                    allowed: format!("{lo} to {hi}{why}"),
                })
            } else {
                Ok(())
            }
        };
        if let Some(why) = rtl_gen::check::identifier_problem(&self.name) {
            return Err(ConfigError::Range {
                path: origin.to_string(),
                key: "name".into(),
                value: format!("{:?}", self.name),
                allowed: format!("a Verilog identifier is needed ({why})"),
            });
        }
        // Module names are `<name>_<block>`: keep them readable and within what tools and
        // file systems take without complaint.
        if self.name.len() > MAX_NAME_LEN {
            let shown: String = self.name.chars().take(24).collect();
            return Err(ConfigError::Range {
                path: origin.to_string(),
                key: "name".into(),
                value: format!("\"{shown}...\" ({} characters)", self.name.len()),
                allowed: format!("at most {MAX_NAME_LEN} characters (it prefixes every module name)"),
            });
        }
        let a = &self.array;
        range("array.rows", a.rows.into(), 1, 64, "")?;
        range("array.cols", a.cols.into(), 1, 64, "")?;
        range("array.input_bits", a.input_bits.into(), 4, 16, " bits")?;
        range("array.acc_bits", a.acc_bits.into(), 16, 48, " bits")?;
        // A column sums `rows` full products; they must not wrap inside one pass.
        let need = 2 * a.input_bits + clog2(a.rows.into());
        range(
            "array.acc_bits",
            a.acc_bits.into(),
            need.into(),
            48,
            &format!(" bits (a column adds {} products of 2 x {} bits, which needs {need} bits)", a.rows, a.input_bits),
        )?;
        let s = &self.scratchpad;
        range("scratchpad.banks", s.banks.into(), 1, 16, "")?;
        range("scratchpad.rows_per_bank", s.rows_per_bank.into(), 16, 65536, "")?;
        range("scratchpad.read_latency", s.read_latency.into(), 1, 2, " cycles")?;
        range("accumulator.rows", self.accumulator.rows.into(), 16, 65536, "")?;
        let rd = self.accumulator.requant_dsps;
        if ![0, 1, 4].contains(&rd) {
            return Err(ConfigError::Range {
                path: origin.to_string(),
                key: "accumulator.requant_dsps".into(),
                value: rd.to_string(),
                allowed: "0, 1 or 4 (a Booth product in logic, 8 cycles per column; one 16x16 product used four \
                          times per column; or one 32x32 product)"
                    .into(),
            });
        }
        range("accumulator.read_latency", self.accumulator.read_latency.into(), 1, 2, " cycles")?;
        let ps = self.accumulator.product_stages;
        range("accumulator.product_stages", ps.into(), 1, 2, "")?;
        if ps == 2 && rd != 4 {
            return Err(ConfigError::Range {
                path: origin.to_string(),
                key: "accumulator.product_stages".into(),
                value: ps.to_string(),
                allowed: "1 with `requant_dsps` 0 or 1 (only the 32x32 product has two stages)".into(),
            });
        }
        let d = &self.dma;
        if ![32, 64, 128, 256].contains(&d.data_bits) {
            return Err(ConfigError::Range {
                path: origin.to_string(),
                key: "dma.data_bits".into(),
                value: d.data_bits.to_string(),
                allowed: "32, 64, 128 or 256 (an AXI4 data width)".into(),
            });
        }
        range("dma.outstanding", d.outstanding.into(), 1, 64, "")?;
        if d.local_read_registered && d.outstanding != 1 {
            return Err(ConfigError::Range {
                path: origin.to_string(),
                key: "dma.local_read_registered".into(),
                value: "true".into(),
                allowed: "false with `dma.outstanding` above 1 (only the compact store has the registered form)".into(),
            });
        }
        let q = self.controller.queue_depth;
        let (depths, allowed): (&[u32], &str) = if self.controller.scoreboard {
            (&[2, 4, 8, 16], "2, 4, 8 or 16 (a power of two; 1 only with `controller.scoreboard = false`)")
        } else {
            (&[1, 2, 4, 8, 16], "1, 2, 4, 8 or 16 (a power of two)")
        };
        if !depths.contains(&q) {
            return Err(ConfigError::Range {
                path: origin.to_string(),
                key: "controller.queue_depth".into(),
                value: q.to_string(),
                allowed: allowed.into(),
            });
        }
        let c = self.controller.counter_bits;
        if ![32, 64].contains(&c) {
            return Err(ConfigError::Range {
                path: origin.to_string(),
                key: "controller.counter_bits".into(),
                value: c.to_string(),
                allowed: "64 or 32 (bits of a performance counter)".into(),
            });
        }
        if let Some(n) = a.dsp_multipliers {
            range(
                "array.dsp_multipliers",
                n.into(),
                0,
                (a.rows * a.cols).into(),
                &format!(" (the array has {} x {} PEs)", a.rows, a.cols),
            )?;
        }
        if a.broadcast && a.dataflow != Dataflow::Ws {
            return Err(ConfigError::Range {
                path: origin.to_string(),
                key: "array.broadcast".into(),
                value: "true".into(),
                allowed: format!(
                    "false with `array.dataflow` = {:?} (broadcast is weight-stationary only)",
                    a.dataflow
                )
                .to_lowercase(),
            });
        }
        if a.broadcast && a.cols % 2 == 1 && a.dsp_pes() >= 2 {
            return Err(ConfigError::Range {
                path: origin.to_string(),
                key: "array.broadcast".into(),
                value: "true".into(),
                allowed: format!(
                    "false with an odd `array.cols` ({}) and PE pairs (`array.dsp_multipliers` >= 2): a pair's two \
                     PEs must share a row",
                    a.cols
                ),
            });
        }
        Ok(())
    }

    /// Width of one scratchpad row: `max(rows, cols)` inputs (see [`crate::geometry`]).
    pub fn scratchpad_row_bits(&self) -> u32 {
        crate::geometry::Geometry::of(self).sp_row_bits()
    }

    /// The sizes every part of the machine derives from this configuration.
    pub fn geometry(&self) -> crate::geometry::Geometry {
        crate::geometry::Geometry::of(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_parse_and_validate() {
        for (name, _) in PRESETS {
            let c = Config::preset(name).expect("preset is valid");
            assert_eq!(c.array.input_bits, 8);
        }
        assert_eq!(Config::preset("ice40").unwrap().array.rows, 4);
        assert_eq!(Config::preset("ecp5").unwrap().array.cols, 8);
    }

    fn err(text: &str) -> String {
        Config::from_toml(text, "test.toml").unwrap_err().to_string()
    }

    const OK: &str =
        "[array]\nrows = 2\ncols = 3\n[scratchpad]\nbanks = 1\nrows_per_bank = 32\n[accumulator]\nrows = 64\n";

    #[test]
    fn minimal_config_gets_defaults() {
        let c = Config::from_toml(OK, "t").unwrap();
        assert_eq!((c.array.input_bits, c.array.acc_bits, c.name.as_str()), (8, 32, "seedchip"));
    }

    #[test]
    fn unknown_key_is_named() {
        let e = err(&OK.replace("cols = 3", "cols = 3\ncolumns = 4"));
        assert!(e.contains("test.toml") && e.contains("unknown field `columns`"), "{e}");
    }

    #[test]
    fn wrong_type_is_named() {
        let e = err(&OK.replace("rows = 2", "rows = \"two\""));
        assert!(e.contains("rows") && e.contains("invalid type"), "{e}");
    }

    #[test]
    fn zero_and_absurd_sizes_name_key_value_and_range() {
        let e = err(&OK.replace("rows = 2", "rows = 0"));
        assert!(e.contains("`array.rows` = 0") && e.contains("1 to 64"), "{e}");
        let e = err(&OK.replace("cols = 3", "cols = 100000"));
        assert!(e.contains("`array.cols` = 100000"), "{e}");
        let e = err(&OK.replace("rows_per_bank = 32", "rows_per_bank = 4"));
        assert!(e.contains("`scratchpad.rows_per_bank` = 4") && e.contains("16 to 65536"), "{e}");
    }

    #[test]
    fn unsupported_widths_are_rejected_with_reason() {
        let e = err(&OK.replace("cols = 3", "cols = 3\ninput_bits = 3"));
        assert!(e.contains("`array.input_bits` = 3") && e.contains("4 to 16 bits"), "{e}");
        let e = err(&OK.replace("cols = 3", "cols = 3\ninput_bits = 16\nacc_bits = 24"));
        assert!(e.contains("`array.acc_bits` = 24") && e.contains("needs 33 bits"), "{e}");
    }

    #[test]
    fn dataflow_and_dsp_multipliers_are_checked() {
        let c = Config::from_toml(&OK.replace("cols = 3", "cols = 3\ndataflow = \"both\""), "t").unwrap();
        assert_eq!(c.array.dataflow, Dataflow::Both);
        let e = err(&OK.replace("cols = 3", "cols = 3\ndataflow = \"diagonal\""));
        assert!(e.contains("unknown variant `diagonal`") && e.contains("`ws`, `os`, `both`"), "{e}");
        let e = err(&OK.replace("cols = 3", "cols = 3\ndsp_multipliers = 7"));
        assert!(e.contains("`array.dsp_multipliers` = 7") && e.contains("0 to 6"), "{e}");
    }

    #[test]
    fn broadcast_needs_weight_stationary_and_pairs_in_one_row() {
        let c = Config::from_toml(&OK.replace("cols = 3", "cols = 4\nbroadcast = true"), "t").unwrap();
        assert!(c.array.broadcast);
        assert!(!Config::from_toml(OK, "t").unwrap().array.broadcast);
        let e = err(&OK.replace("cols = 3", "cols = 4\nbroadcast = true\ndataflow = \"both\""));
        assert!(e.contains("`array.broadcast` = true") && e.contains("`array.dataflow` = both"), "{e}");
        let e = err(&OK.replace("cols = 3", "cols = 3\nbroadcast = true"));
        assert!(e.contains("`array.broadcast` = true") && e.contains("odd `array.cols` (3)"), "{e}");
        // An odd number of columns is fine without pairs.
        Config::from_toml(&OK.replace("cols = 3", "cols = 3\nbroadcast = true\ndsp_multipliers = 1"), "t").unwrap();
    }

    #[test]
    fn dma_and_controller_sizes_are_checked() {
        let e = err(&format!("{OK}[dma]\ndata_bits = 48\n"));
        assert!(e.contains("`dma.data_bits` = 48") && e.contains("32, 64, 128 or 256"), "{e}");
        let e = err(&format!("{OK}[controller]\nqueue_depth = 3\n"));
        assert!(e.contains("`controller.queue_depth` = 3") && e.contains("power of two"), "{e}");
        let c = Config::from_toml(&format!("{OK}[controller]\nqueue_depth = 8\n"), "t").unwrap();
        assert_eq!((c.controller.queue_depth, c.controller.counter_bits, c.dma.data_bits), (8, 64, 64));
        assert!(c.controller.scoreboard, "the scoreboard is on by default");
        let e = err(&format!("{OK}[controller]\ncounter_bits = 48\n"));
        assert!(e.contains("`controller.counter_bits` = 48") && e.contains("64 or 32"), "{e}");
        let c = Config::from_toml(&format!("{OK}[controller]\ncounter_bits = 32\n"), "t").unwrap();
        assert_eq!((c.controller.queue_depth, c.controller.counter_bits), (4, 32));
        let e = err(&format!("{OK}[controller]\nqueue_depth = 1\n"));
        assert!(e.contains("`controller.queue_depth` = 1") && e.contains("scoreboard = false"), "{e}");
        let c = Config::from_toml(&format!("{OK}[controller]\nqueue_depth = 1\nscoreboard = false\n"), "t").unwrap();
        assert_eq!((c.controller.queue_depth, c.controller.scoreboard), (1, false));
        let e = err(&format!("{OK}[controller]\nqueue_depth = 3\nscoreboard = false\n"));
        assert!(e.contains("`controller.queue_depth` = 3") && e.contains("1, 2, 4, 8 or 16"), "{e}");
        let e = err(&format!("{OK}[controller]\nscoreboard = 0\n"));
        assert!(e.contains("scoreboard") && e.contains("invalid type"), "{e}");
    }

    #[test]
    fn bad_name_is_rejected() {
        let e = err(&format!("name = \"my chip\"\n{OK}"));
        assert!(e.contains("`name`") && e.contains("identifier"), "{e}");
        let long = format!("name = \"{}\"\n", "a".repeat(65));
        let e = err(&(long + OK));
        assert!(e.contains("`name`") && e.contains("65 characters") && e.contains("at most 64"), "{e}");
    }

    #[test]
    fn unknown_preset_lists_presets() {
        let e = Config::preset("vivado").unwrap_err().to_string();
        assert!(e.contains("ice40") && e.contains("ecp5"), "{e}");
    }
}
