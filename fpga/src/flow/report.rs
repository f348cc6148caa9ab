//! What a run of the flow produced, read from the files the tools wrote: nextpnr's
//! `--report` JSON (Fmax per clock, cells used and available), never its standard
//! output (DESIGN decision 10).

use crate::Family;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// One resource: used, and available on the device.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Cells the placed design uses.
    pub used: u64,
    /// Cells the device has.
    pub available: u64,
}

impl Usage {
    /// Used as a percentage of available (0 when the device has none).
    pub fn percent(&self) -> f64 {
        if self.available == 0 {
            0.0
        } else {
            100.0 * self.used as f64 / self.available as f64
        }
    }
}

/// The resources of a placed design, in the same units as a board file's resources.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Resources {
    /// LUT4 sites: iCE40 logic cells (ICESTORM_LC: a LUT4 and a flip-flop each, so
    /// flip-flop-only cells count too); ECP5 TRELLIS_COMB; Gowin LUT4 plus ALU.
    pub lut: Usage,
    /// Flip-flops: ECP5 TRELLIS_FF, Gowin DFF; on iCE40 (whose report has only logic
    /// cells) Yosys's count of SB_DFF* cells, against the logic cells available.
    pub ff: Usage,
    /// DSP blocks: ICESTORM_DSP, MULT18X18D, or Gowin's in MULT9X9 units (a MULT18X18 2,
    /// a MULT36X36 8).
    pub dsp: Usage,
    /// Block RAMs: ICESTORM_RAM, DP16KD, BSRAM.
    pub bram: Usage,
    /// iCE40 UP5K SPRAMs (ICESTORM_SPRAM); 0 of 0 elsewhere.
    pub spram: Usage,
}

/// The timing of one clock domain, from nextpnr's report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClockTiming {
    /// The clock net as nextpnr names it (`clk_i$SB_IO_IN_$glb_clk`).
    pub net: String,
    /// Highest frequency the routed design reaches, MHz.
    pub fmax_mhz: f64,
    /// The frequency asked for, MHz.
    pub target_mhz: f64,
}

impl ClockTiming {
    /// True when the clock reaches its target.
    pub fn met(&self) -> bool {
        self.fmax_mhz >= self.target_mhz
    }
}

/// How long one step of the flow took.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepTime {
    /// `synth`, `pnr` or `pack`.
    pub step: &'static str,
    /// The tool that ran.
    pub tool: String,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// The log of each step, in the build folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Logs {
    /// Yosys (`yosys.log`).
    pub synth: PathBuf,
    /// nextpnr (`nextpnr.log`).
    pub pnr: PathBuf,
    /// The packer's output (`pack.log`).
    pub pack: PathBuf,
}

/// What one run of synthesis, place and route and packing gave for a board.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlowReport {
    /// The board.
    pub board: String,
    /// Its device, as a data sheet names it.
    pub device: String,
    /// Its family.
    pub family: Family,
    /// The top module.
    pub top: String,
    /// The frequency asked of nextpnr (`--freq`), MHz.
    pub target_mhz: f64,
    /// The slowest clock's Fmax, MHz; `None` when nextpnr found no clocked path.
    pub fmax_mhz: Option<f64>,
    /// True when every clock reaches its target (false when there is no clock).
    pub timing_met: bool,
    /// Every clock domain.
    pub clocks: Vec<ClockTiming>,
    /// Cells used and available.
    pub resources: Resources,
    /// The placer's seed.
    pub seed: u64,
    /// The bitstream (`.bin` for iCE40, `.bit` for ECP5, `.fs` for Gowin).
    pub bitstream: PathBuf,
    /// The build folder.
    pub dir: PathBuf,
    /// The log of each step.
    pub logs: Logs,
    /// How long each step took.
    pub steps: Vec<StepTime>,
}

impl fmt::Display for FlowReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fmax = self.fmax_mhz.map_or("no clocked path".to_string(), |m| format!("{m:.1} MHz"));
        writeln!(
            f,
            "{} ({}), top `{}`: Fmax {fmax}, target {:.1} MHz: timing {}",
            self.board,
            self.device,
            self.top,
            self.target_mhz,
            if self.timing_met { "met" } else { "NOT met" }
        )?;
        if self.clocks.len() > 1 {
            for c in &self.clocks {
                writeln!(f, "  clock {}: {:.1} MHz (target {:.1})", c.net, c.fmax_mhz, c.target_mhz)?;
            }
        }
        let r = &self.resources;
        let mut rows = vec![("LUT", r.lut), ("FF", r.ff), ("DSP", r.dsp), ("BRAM", r.bram)];
        if r.spram.available > 0 {
            rows.push(("SPRAM", r.spram));
        }
        for (name, u) in rows {
            writeln!(f, "  {name:<5} {:>6} / {:<6} {:>5.1}%", u.used, u.available, u.percent())?;
        }
        let steps: Vec<String> = self.steps.iter().map(|s| format!("{} {:.1} s", s.step, s.seconds)).collect();
        writeln!(f, "  steps: {} (seed {})", steps.join(", "), self.seed)?;
        write!(f, "  bitstream: {}", self.bitstream.display())
    }
}

/// What nextpnr's `--report` file says: Fmax per clock and cells per type.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PnrReport {
    /// (clock net, achieved MHz, constraint MHz).
    pub clocks: Vec<(String, f64, f64)>,
    /// Bel type -> (used, available).
    pub utilization: BTreeMap<String, Usage>,
}

/// Parse nextpnr's `--report` JSON (`fmax`: clock -> {achieved, constraint};
/// `utilization`: bel type -> {used, available}).
pub fn parse_pnr_report(text: &str) -> Result<PnrReport, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let mut r = PnrReport::default();
    let util = v.get("utilization").and_then(|u| u.as_object()).ok_or("no `utilization` object")?;
    for (bel, u) in util {
        let num = |key: &str| {
            u.get(key).and_then(|n| n.as_u64()).ok_or_else(|| format!("`utilization.{bel}.{key}` is not a number"))
        };
        r.utilization.insert(bel.clone(), Usage { used: num("used")?, available: num("available")? });
    }
    if let Some(fmax) = v.get("fmax") {
        let fmax = fmax.as_object().ok_or("`fmax` is not an object")?;
        for (clock, t) in fmax {
            let num = |key: &str| {
                t.get(key).and_then(|n| n.as_f64()).ok_or_else(|| format!("`fmax.{clock}.{key}` is not a number"))
            };
            r.clocks.push((clock.clone(), num("achieved")?, num("constraint")?));
        }
    }
    Ok(r)
}

impl PnrReport {
    /// The resources in board units, for `family`; `synth_ff` is Yosys's flip-flop count
    /// (iCE40's report has no flip-flop line).
    pub fn resources(&self, family: Family, synth_ff: u64) -> Resources {
        let get = |bel: &str| self.utilization.get(bel).copied().unwrap_or_default();
        match family {
            Family::Ice40 => {
                let lc = get("ICESTORM_LC");
                Resources {
                    lut: lc,
                    ff: Usage { used: synth_ff, available: lc.available },
                    dsp: get("ICESTORM_DSP"),
                    bram: get("ICESTORM_RAM"),
                    spram: get("ICESTORM_SPRAM"),
                }
            }
            Family::Ecp5 => Resources {
                lut: get("TRELLIS_COMB"),
                ff: get("TRELLIS_FF"),
                dsp: get("MULT18X18D"),
                bram: get("DP16KD"),
                spram: Usage::default(),
            },
            Family::Gowin => {
                let (lut4, alu) = (get("LUT4"), get("ALU"));
                let (m9, m18, m36) = (get("MULT9X9"), get("MULT18X18"), get("MULT36X36"));
                Resources {
                    lut: Usage { used: lut4.used + alu.used, available: lut4.available },
                    ff: get("DFF"),
                    dsp: Usage { used: m9.used + 2 * m18.used + 8 * m36.used, available: m9.available },
                    bram: get("BSRAM"),
                    spram: Usage::default(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ICE40: &str = r#"{
  "critical_paths": [],
  "fmax": { "clk_i$SB_IO_IN_$glb_clk": { "achieved": 79.74, "constraint": 12 } },
  "utilization": {
    "ICESTORM_DSP": { "available": 8, "used": 2 },
    "ICESTORM_LC": { "available": 5280, "used": 27 },
    "ICESTORM_RAM": { "available": 30, "used": 3 },
    "ICESTORM_SPRAM": { "available": 4, "used": 4 },
    "SB_IO": { "available": 39, "used": 11 }
  }
}"#;

    #[test]
    fn ice40_report_gives_fmax_and_cells() {
        let r = parse_pnr_report(ICE40).unwrap();
        assert_eq!(r.clocks, [("clk_i$SB_IO_IN_$glb_clk".to_string(), 79.74, 12.0)]);
        let res = r.resources(Family::Ice40, 24);
        assert_eq!(res.lut, Usage { used: 27, available: 5280 });
        assert_eq!(res.ff, Usage { used: 24, available: 5280 });
        assert_eq!((res.dsp.used, res.bram.used, res.spram.used), (2, 3, 4));
    }

    #[test]
    fn gowin_counts_alus_and_mult_units() {
        let text = r#"{"fmax": {}, "utilization": {
            "LUT4": {"available": 8640, "used": 100}, "ALU": {"available": 6480, "used": 20},
            "DFF": {"available": 6480, "used": 50}, "MULT9X9": {"available": 40, "used": 1},
            "MULT18X18": {"available": 20, "used": 2}, "MULT36X36": {"available": 5, "used": 1},
            "BSRAM": {"available": 26, "used": 3}}}"#;
        let r = parse_pnr_report(text).unwrap();
        assert!(r.clocks.is_empty());
        let res = r.resources(Family::Gowin, 0);
        assert_eq!(res.lut, Usage { used: 120, available: 8640 });
        assert_eq!(res.dsp, Usage { used: 13, available: 40 });
        assert_eq!((res.ff.used, res.bram.used, res.spram.available), (50, 3, 0));
    }

    #[test]
    fn broken_reports_are_explained() {
        assert!(parse_pnr_report("{").unwrap_err().contains("not JSON"));
        assert!(parse_pnr_report("{}").unwrap_err().contains("utilization"));
        let e = parse_pnr_report(r#"{"utilization": {"X": {"used": "a", "available": 1}}}"#).unwrap_err();
        assert!(e.contains("utilization.X.used"), "{e}");
    }
}
