//! Will a configuration fit a board? Answered before any tool runs (DESIGN decision 9):
//! Yosys does not know a device's DSP count and place and route fails late.
//!
//! - **DSP blocks and block RAMs** of the accelerator come from [`crate::plan::datapath`]
//!   (the PE multipliers, two int8 products per SB_MAC16 on iCE40; the requantizer's
//!   product; the scratchpad and the accumulator memory); the DMA, the controller and the
//!   host interface use none.
//! - **Main memory** is the board's ([`crate::board::MainMemory`]): SPRAMs on the
//!   iCEBreaker (SB_SPRAM256KA is 16K x 16, so a 32-bit bus takes two side by side),
//!   block RAM elsewhere, as wide as the DMA's data bus.
//! - **LUTs and flip-flops** are an estimate ([`crate::estimate`]) of the accelerator
//!   plus an allowance for the board top (UART bridge, main-memory port), labelled as
//!   such. On iCE40, where a logic cell holds one LUT4 and one flip-flop, the **logic
//!   cells** too: the LUTs plus about a third of the flip-flops ([`ICE40_LONE_FF_SHARE`]), for about
//!   that share of them find no LUT to share a cell with. An estimate refuses only when it is more than [`ESTIMATE_MARGIN`] over the
//!   device, and warns when it is near.
//!
//! ```
//! use fpga::{board::Board, fit};
//! let board = Board::by_name("icebreaker")?;
//! let mut cfg = ip_blocks::Config::preset("ice40").unwrap();
//! cfg.array.rows = 8;
//! cfg.array.cols = 8;
//! cfg.array.dsp_multipliers = None; // every PE multiplier a DSP: 64 / 2 + 4 SB_MAC16
//! let e = fit::check(&cfg, &board).unwrap_err();
//! assert!(e.to_string().contains("needs 36 SB_MAC16, the iCE40 UP5K has 8"), "{e}");
//! # Ok::<(), fpga::board::BoardError>(())
//! ```

use crate::board::{Board, MemoryKind};
use crate::estimate::{self, LogicEstimate};
use crate::plan::{self, DatapathPlan};
use serde::Serialize;
use std::fmt;
use thiserror::Error;

/// An estimate refuses a configuration only above `available x (1 + ESTIMATE_MARGIN)`:
/// the LUT estimate is within about 25% module by module.
pub const ESTIMATE_MARGIN: f64 = 0.25;

/// An estimate above this share of the device gets a warning.
pub const WARN_SHARE: f64 = 0.8;

/// LUTs the board top adds around the accelerator (UART receiver and transmitter, the
/// bridge's command parser, the main-memory port), until it can be counted.
pub const BOARD_TOP_LUT: u64 = 500;

/// Flip-flops the board top adds around the accelerator.
pub const BOARD_TOP_FF: u64 = 400;

/// The share of flip-flops that take an iCE40 logic cell of their own (no LUT of theirs
/// to pack with): measured with Yosys 0.70 and nextpnr-ice40 0.11 on whole iCEBreaker
/// boards, logic cells = SB_LUT4 + this share of the flip-flops: the 2x2 of
/// `configs/icebreaker-2x2.toml` (3399 LUT4, 1930 FF, 4041 cells: 0.33) and the 4x4 of
/// `configs/icebreaker-4x4.toml` (4135, 2306, 4770: 0.28). It was about 0.5 before the
/// small-device control path lost its copy registers and its window check turned its
/// registers bit-serially (a multiplexer in front of each flip-flop, in the same cell).
pub const ICE40_LONE_FF_SHARE: f64 = 0.3;

/// One resource of a prediction.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Need {
    /// `lut`, `ff`, `lc` (iCE40 logic cells), `dsp`, `bram` or `spram`.
    pub resource: &'static str,
    /// What the device calls it (`SB_MAC16`, `LUT4`, `SB_RAM40_4K` ...).
    pub cell: String,
    /// How many the design needs.
    pub needed: u64,
    /// How many the device has.
    pub available: u64,
    /// True for an estimate (LUTs, flip-flops), false for a count by the plan rules.
    pub estimate: bool,
    /// Where they go: (part, count), largest first.
    pub parts: Vec<(String, u64)>,
}

impl Need {
    /// True when this resource refuses the configuration: a count over the device, or an
    /// estimate more than [`ESTIMATE_MARGIN`] over it.
    pub fn refuses(&self) -> bool {
        if self.estimate {
            self.needed as f64 > self.available as f64 * (1.0 + ESTIMATE_MARGIN)
        } else {
            self.needed > self.available
        }
    }

    /// True when an estimate is near or over the device without refusing (a count that
    /// fits, fits).
    pub fn warns(&self) -> bool {
        self.estimate && !self.refuses() && self.needed as f64 > self.available as f64 * WARN_SHARE
    }

    /// `needs 68 SB_MAC16` / `needs about 9650 LUT4 (estimate)`.
    fn needs(&self) -> String {
        if self.estimate {
            format!("needs about {} {} (estimate)", self.needed, self.cell)
        } else {
            format!("needs {} {}", self.needed, self.cell)
        }
    }
}

/// What a configuration needs on a board, resource by resource.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Prediction {
    /// The board.
    pub board: String,
    /// Its device, as a data sheet names it (`iCE40 UP5K`).
    pub device: String,
    /// LUTs, flip-flops, DSPs, block RAMs, and SPRAMs where the device has them.
    pub needs: Vec<Need>,
}

impl Prediction {
    /// True when nothing refuses.
    pub fn fits(&self) -> bool {
        self.needs.iter().all(|n| !n.refuses())
    }

    /// One sentence per refusing resource: `needs 36 SB_MAC16, the iCE40 UP5K has 8
    /// (32 for 64 PE multipliers, 4 for the requantizer)`.
    pub fn refusals(&self) -> Vec<String> {
        self.needs.iter().filter(|n| n.refuses()).map(|n| self.sentence(n)).collect()
    }

    /// One sentence per estimate near the device's size (above [`WARN_SHARE`]).
    pub fn warnings(&self) -> Vec<String> {
        self.needs.iter().filter(|n| n.warns()).map(|n| self.sentence(n)).collect()
    }

    fn sentence(&self, n: &Need) -> String {
        let parts: Vec<String> = n.parts.iter().filter(|(_, c)| *c > 0).map(|(p, c)| format!("{c} {p}")).collect();
        let mut s = format!("{}, the {} has {}", n.needs(), self.device, n.available);
        if !parts.is_empty() {
            s.push_str(&format!(" ({})", parts.join(", ")));
        }
        s
    }
}

impl fmt::Display for Prediction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "fit on {} ({}), before any tool runs:", self.board, self.device)?;
        for n in &self.needs {
            let share = if n.available > 0 { 100.0 * n.needed as f64 / n.available as f64 } else { 0.0 };
            let mark = if n.refuses() {
                "  DOES NOT FIT"
            } else if n.warns() {
                "  near the limit"
            } else {
                ""
            };
            writeln!(
                f,
                "  {:<5} {:>7} / {:<7} {:<12} {:>5.0}%{}{mark}",
                n.resource,
                n.needed,
                n.available,
                n.cell,
                share,
                if n.estimate { "  (estimate)" } else { "" }
            )?;
        }
        Ok(())
    }
}

/// Why a configuration was not placed on a board.
#[derive(Debug, Error)]
pub enum FitError {
    /// The configuration needs more than the board has.
    #[error("{} on {}: {}", .prediction.board, .prediction.device, .prediction.refusals().join("; "))]
    DoesNotFit {
        /// The whole prediction.
        prediction: Box<Prediction>,
    },
    /// The accelerator could not be generated to be estimated.
    #[error("cannot generate the accelerator to estimate it: {0}")]
    Generate(String),
}

/// Predict what `cfg` needs on `board`, resource by resource, before any tool runs.
pub fn predict(cfg: &ip_blocks::Config, board: &Board) -> Result<Prediction, FitError> {
    let family = board.family();
    let r = &board.resources;
    let plan: DatapathPlan = plan::datapath(cfg, family);
    let generated = ip_blocks::generate(cfg).map_err(|e| FitError::Generate(e.to_string()))?;
    let logic: LogicEstimate = estimate::estimate(&generated.design, generated.top, family);

    // Main memory, as wide as the DMA's data bus.
    let bus = cfg.dma.data_bits;
    let words = board.main_memory.bytes * 8 / u64::from(bus);
    let (memory_bram, memory_spram) = match board.main_memory.kind {
        MemoryKind::Spram => (0, u64::from(bus.div_ceil(16)) * words.div_ceil(16384)),
        MemoryKind::Bram => (plan::bram_for_memory(family, bus, u32::try_from(words).unwrap_or(u32::MAX)), 0),
    };
    let memory = format!("main memory ({} KiB)", board.main_memory.bytes / 1024);

    // The accelerator's LUTs and flip-flops with the board top's allowance.
    let (lut, ff) = (logic.lut + BOARD_TOP_LUT, logic.ff + BOARD_TOP_FF);
    let mut needs = vec![
        Need {
            resource: "lut",
            cell: "LUT4".into(),
            needed: lut,
            available: r.lut,
            estimate: true,
            parts: vec![("accelerator".into(), logic.lut), ("board top allowance".into(), BOARD_TOP_LUT)],
        },
        Need {
            resource: "ff",
            cell: "flip-flops".into(),
            needed: ff,
            available: r.ff,
            estimate: true,
            parts: vec![("accelerator".into(), logic.ff), ("board top allowance".into(), BOARD_TOP_FF)],
        },
        Need {
            resource: "dsp",
            cell: r.dsp_kind.clone(),
            needed: plan.dsp(),
            available: r.dsp,
            estimate: false,
            parts: vec![
                (format!("for {} PE multipliers", cfg.array.dsp_pes()), plan.engine_dsp),
                ("for the requantizer".into(), plan.accumulator_dsp),
            ],
        },
        Need {
            resource: "bram",
            cell: r.bram_kind.clone(),
            needed: plan.bram() + memory_bram,
            available: r.bram,
            estimate: false,
            parts: vec![
                ("scratchpad".into(), plan.scratchpad_bram),
                ("accumulator".into(), plan.accumulator_bram),
                (memory.clone(), memory_bram),
            ],
        },
    ];
    if family == crate::Family::Ice40 {
        let lone_ff = (ff as f64 * ICE40_LONE_FF_SHARE).round() as u64;
        needs.insert(
            2,
            Need {
                resource: "lc",
                cell: "logic cells".into(),
                needed: lut + lone_ff,
                available: r.lut,
                estimate: true,
                parts: vec![("LUT4".into(), lut), ("flip-flops with no LUT to share".into(), lone_ff)],
            },
        );
    }
    if r.spram > 0 || memory_spram > 0 {
        needs.push(Need {
            resource: "spram",
            cell: "SB_SPRAM256KA".into(),
            needed: memory_spram,
            available: r.spram,
            estimate: false,
            parts: vec![(memory, memory_spram)],
        });
    }
    for n in &mut needs {
        n.parts.sort_by_key(|p| std::cmp::Reverse(p.1));
    }
    Ok(Prediction { board: board.name.clone(), device: board.device_name(), needs })
}

/// [`predict`], refusing with numbers when the configuration does not fit.
pub fn check(cfg: &ip_blocks::Config, board: &Board) -> Result<Prediction, FitError> {
    let p = predict(cfg, board)?;
    if p.fits() {
        Ok(p)
    } else {
        Err(FitError::DoesNotFit { prediction: Box::new(p) })
    }
}
