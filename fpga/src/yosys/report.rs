//! What a synthesis run used, read from the files Yosys wrote (`stat.json`, `yosys.log`),
//! never from its standard output (DESIGN decision 10).

use crate::Family;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Gowin's block-RAM cells as Yosys instances them (each one 18-kbit BSRAM).
const GOWIN_BSRAM: [&str; 8] = ["SDPB", "SDPX9B", "DPB", "DPX9B", "SP", "SPX9", "pROM", "pROMX9"];

/// The cells one synthesis run mapped a design to, summed into the resources a device
/// budget counts.
#[derive(Clone, Debug)]
pub struct SynthReport {
    /// The family synthesized for.
    pub family: Family,
    /// The top module.
    pub top: String,
    /// Every cell type and its count, as Yosys's `stat` reports them.
    pub cells: BTreeMap<String, u64>,
    /// LUT4 sites: SB_LUT4 on iCE40 (adder LUTs included); on ECP5 LUT4 plus two per
    /// CCU2C carry cell (each holds two LUT4s, as nextpnr's TRELLIS_COMB count does); on
    /// Gowin LUT1 to LUT4 plus one per ALU (an adder bit takes a LUT site).
    pub lut: u64,
    /// Carry-chain cells: SB_CARRY (one per adder bit, no LUT of its own), CCU2C (two
    /// adder bits) or ALU (one adder bit).
    pub carry: u64,
    /// Flip-flops: every SB_DFF* variant, TRELLIS_FF, or every Gowin DFF* variant.
    pub ff: u64,
    /// DSP blocks: SB_MAC16; MULT18X18D plus ALU54B; on Gowin in MULT9X9 units (a
    /// MULT18X18 counts 2, a MULT36X36 8).
    pub dsp: u64,
    /// Block RAMs: SB_RAM40_4K, DP16KD, or Gowin BSRAM (SDPB, DPB ... cells).
    pub bram: u64,
    /// Distributed RAM cells (TRELLIS_DPR16X4 or RAM16SDP4, 16x4 bits each); 0 on iCE40.
    pub lutram: u64,
    /// iCE40 UP5K single-port RAMs (SB_SPRAM256KA); 0 on ECP5.
    pub spram: u64,
    /// The build folder (the Verilog, `synth.ys`, the log, `stat.json`, the netlist).
    pub dir: PathBuf,
    /// Yosys's full log.
    pub log: PathBuf,
    /// The synthesized netlist (JSON, as nextpnr reads it).
    pub netlist: PathBuf,
    /// Wall-clock time of the Yosys run.
    pub elapsed: Duration,
    /// Keeps a temporary build folder alive as long as any copy of the report.
    pub(crate) _build: Option<Arc<tempfile::TempDir>>,
}

impl SynthReport {
    /// A report of `cells` for `family`, with the resource sums filled in.
    pub fn from_cells(family: Family, top: &str, cells: BTreeMap<String, u64>, dir: &Path, elapsed: Duration) -> Self {
        let count = |name: &str| cells.get(name).copied().unwrap_or(0);
        let sum = |pred: &dyn Fn(&str) -> bool| cells.iter().filter(|(k, _)| pred(k)).map(|(_, v)| *v).sum::<u64>();
        let (lut, carry, ff, dsp, bram, lutram, spram) = match family {
            Family::Ice40 => (
                count("SB_LUT4"),
                count("SB_CARRY"),
                sum(&|k| k.starts_with("SB_DFF")),
                count("SB_MAC16"),
                count("SB_RAM40_4K"),
                0,
                count("SB_SPRAM256KA"),
            ),
            Family::Ecp5 => (
                count("LUT4") + 2 * count("CCU2C"),
                count("CCU2C"),
                count("TRELLIS_FF"),
                count("MULT18X18D") + count("ALU54B"),
                count("DP16KD"),
                count("TRELLIS_DPR16X4"),
                0,
            ),
            Family::Gowin => (
                sum(&|k| k.starts_with("LUT")) + count("ALU"),
                count("ALU"),
                sum(&|k| k.starts_with("DFF")),
                count("MULT9X9") + 2 * count("MULT18X18") + 8 * count("MULT36X36"),
                sum(&|k| GOWIN_BSRAM.contains(&k)),
                count("RAM16SDP4"),
                0,
            ),
        };
        SynthReport {
            family,
            top: top.to_string(),
            cells,
            lut,
            carry,
            ff,
            dsp,
            bram,
            lutram,
            spram,
            dir: dir.to_path_buf(),
            log: dir.join(super::LOG_FILE),
            netlist: dir.join(super::NETLIST_FILE),
            elapsed,
            _build: None,
        }
    }

    /// Generic Yosys cells (`$mem_v2`, `$mul`, `$alu` ...) that no device primitive
    /// replaced; empty after a complete synthesis.
    pub fn unmapped(&self) -> BTreeMap<String, u64> {
        self.cells
            .iter()
            .filter(|(k, _)| k.starts_with('$') && k.as_str() != "$scopeinfo")
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }
}

impl fmt::Display for SynthReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (dsp_cell, _) = self.family.dsp_cell();
        write!(
            f,
            "{} `{}`: {} LUT, {} carry, {} FF, {} DSP ({dsp_cell}), {} BRAM ({})",
            self.family,
            self.top,
            self.lut,
            self.carry,
            self.ff,
            self.dsp,
            self.bram,
            self.family.bram_cell()
        )?;
        if let Some(cell) = self.family.lutram_cell().filter(|_| self.lutram > 0) {
            write!(f, ", {} LUT RAM ({cell})", self.lutram)?;
        }
        if self.spram > 0 {
            write!(f, ", {} SPRAM", self.spram)?;
        }
        write!(f, " in {:.1} s", self.elapsed.as_secs_f64())
    }
}

/// Cell counts from the text of `stat -json`: the `design` totals, else the sum over its
/// modules.
pub(crate) fn parse_stat_json(text: &str) -> Result<BTreeMap<String, u64>, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let mut cells = BTreeMap::new();
    let mut add = |by_type: &serde_json::Value| -> Result<(), String> {
        let map = by_type.as_object().ok_or("`num_cells_by_type` is not an object")?;
        for (name, n) in map {
            let n = n.as_u64().ok_or_else(|| format!("count of `{name}` is not a number"))?;
            *cells.entry(name.clone()).or_insert(0) += n;
        }
        Ok(())
    };
    if let Some(by_type) = value.pointer("/design/num_cells_by_type") {
        add(by_type)?;
    } else if let Some(modules) = value.get("modules").and_then(|m| m.as_object()) {
        for module in modules.values() {
            if let Some(by_type) = module.get("num_cells_by_type") {
                add(by_type)?;
            }
        }
    } else {
        return Err("no `design` or `modules` section".into());
    }
    Ok(cells)
}

/// The lines of a Yosys log that say what went wrong: the `ERROR` lines (with the line
/// after each), else the last lines of the log.
pub(crate) fn error_lines(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    let mut picked = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.contains("ERROR") || line.starts_with("Error") {
            picked.push(line.trim_end());
            if let Some(next) = lines.get(i + 1).filter(|l| !l.trim().is_empty()) {
                picked.push(next.trim_end());
            }
        }
    }
    if picked.is_empty() {
        picked = lines.iter().rev().filter(|l| !l.trim().is_empty()).take(12).map(|l| l.trim_end()).collect();
        picked.reverse();
    }
    let start = picked.len().saturating_sub(12);
    picked[start..].iter().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &str = r#"{
   "creator": "Yosys 0.70",
   "invocation": "stat -json ",
   "modules": {
      "\\m": { "num_cells": 5, "num_cells_by_type": { "SB_LUT4": 3, "SB_DFFE": 1, "SB_DFFSR": 1 } }
   },
      "design": { "num_cells": 5, "num_cells_by_type": { "SB_LUT4": 3, "SB_DFFE": 1, "SB_DFFSR": 1 } }
}"#;

    #[test]
    fn stat_json_gives_design_totals() {
        let cells = parse_stat_json(STAT).unwrap();
        let r = SynthReport::from_cells(Family::Ice40, "m", cells, Path::new("b"), Duration::ZERO);
        assert_eq!((r.lut, r.ff, r.dsp, r.bram), (3, 2, 0, 0));
        assert!(r.unmapped().is_empty());
        assert_eq!(r.log, Path::new("b/yosys.log"));
    }

    #[test]
    fn ecp5_luts_count_carry_cells_twice() {
        let cells: BTreeMap<String, u64> =
            [("LUT4", 10), ("CCU2C", 4), ("TRELLIS_FF", 7), ("MULT18X18D", 2), ("DP16KD", 3), ("TRELLIS_DPR16X4", 5)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
        let r = SynthReport::from_cells(Family::Ecp5, "m", cells, Path::new("b"), Duration::ZERO);
        assert_eq!((r.lut, r.carry, r.ff, r.dsp, r.bram, r.lutram), (18, 4, 7, 2, 3, 5));
    }

    #[test]
    fn gowin_counts_alus_as_luts_and_dsps_in_mult9x9_units() {
        let cells: BTreeMap<String, u64> = [
            ("LUT2", 3),
            ("LUT4", 10),
            ("ALU", 4),
            ("MUX2_LUT5", 2),
            ("DFFE", 5),
            ("DFFR", 2),
            ("MULT9X9", 1),
            ("MULT18X18", 2),
            ("MULT36X36", 1),
            ("SDPB", 2),
            ("DPX9B", 1),
            ("RAM16SDP4", 6),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let r = SynthReport::from_cells(Family::Gowin, "m", cells, Path::new("b"), Duration::ZERO);
        assert_eq!((r.lut, r.carry, r.ff, r.dsp, r.bram, r.lutram), (17, 4, 7, 13, 3, 6));
        assert!(r.to_string().contains("6 LUT RAM (RAM16SDP4)"), "{r}");
    }

    #[test]
    fn generic_cells_are_unmapped() {
        let cells: BTreeMap<String, u64> =
            [("$mem_v2", 1), ("$mul", 2), ("$scopeinfo", 4), ("SB_LUT4", 1)].map(|(k, v)| (k.to_string(), v)).into();
        let r = SynthReport::from_cells(Family::Ice40, "m", cells, Path::new("b"), Duration::ZERO);
        assert_eq!(r.unmapped().into_iter().collect::<Vec<_>>(), [("$mem_v2".to_string(), 1), ("$mul".to_string(), 2)]);
    }

    #[test]
    fn bad_stat_json_is_explained() {
        assert!(parse_stat_json("{").unwrap_err().contains("not JSON"));
        assert!(parse_stat_json("{}").unwrap_err().contains("no `design`"));
    }

    #[test]
    fn error_lines_pick_errors_else_the_tail() {
        let log = "1. Executing\nfine\nERROR: Module `nope' not found!\n";
        assert_eq!(error_lines(log), "  ERROR: Module `nope' not found!");
        let tail = error_lines("a\nb\n\nc\n");
        assert_eq!(tail, "  a\n  b\n  c");
    }
}
