//! PLL settings for a requested clock, computed as the vendors' calculators compute them,
//! and the synthesis wrapper that puts the PLL between the board's oscillator and the
//! board top.
//!
//! | family | primitive | output | search (the same as) |
//! |---|---|---|---|
//! | iCE40 | `SB_PLL40_PAD`, simple feedback | `f_in * (DIVF+1) / ((DIVR+1) * 2^DIVQ)` | `icepll` (icestorm) |
//! | ECP5 | `EHXPLLL`, feedback from CLKOP | `f_in * CLKFB_DIV / CLKI_DIV` | `ecppll` (prjtrellis) |
//! | Gowin GW1NR-9 | `rPLL`, internal feedback | `f_in * (FBDIV_SEL+1) / (IDIV_SEL+1)` | `gowin_pll` (apicula) |
//!
//! Each search walks the dividers in the calculator's order, keeps the settings whose
//! phase-detector, VCO and output frequencies are in the device's ranges, and takes the
//! first closest output (ECP5: among equally close ones, the VCO nearest 600 MHz). The
//! tests compare the settings with the calculators' own output.
//!
//! The wrapper ([`wrap`]) is Verilog text, for synthesis only: it has the board top's
//! ports, drives `clk_i` of the board top from the PLL, and ties its `pll_locked_i` to the
//! PLL's lock so that the power-on reset starts counting once the clock is stable.
//! Simulations use the board top itself (no vendor primitive to model).

use crate::Family;
use rtl_gen::ir::{Module, SignalKind};
use std::fmt::Write as _;
use thiserror::Error;

/// The divider settings of one family's PLL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dividers {
    /// `SB_PLL40_PAD` (simple feedback).
    Ice40 {
        /// Reference divider, 0 to 15.
        divr: u32,
        /// Feedback divider, 0 to 127.
        divf: u32,
        /// Output divider (a power of two), 1 to 6.
        divq: u32,
        /// Loop-filter range from the phase-detector frequency, 1 to 6.
        filter_range: u32,
    },
    /// `EHXPLLL` (feedback from CLKOP).
    Ecp5 {
        /// Input divider, 1 to 128.
        clki_div: u32,
        /// Feedback divider, 1 to 80.
        clkfb_div: u32,
        /// CLKOP divider (VCO to output), 1 to 128.
        clkop_div: u32,
    },
    /// `rPLL` (internal feedback).
    Gowin {
        /// Input divider minus one, 0 to 63.
        idiv_sel: u32,
        /// Feedback divider minus one, 0 to 63.
        fbdiv_sel: u32,
        /// VCO to output divider: 2, 4, 8, 16, 32, 48 ... 128.
        odiv_sel: u32,
    },
}

/// A PLL setting: what was asked, what it gives, and how.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pll {
    /// The oscillator, in MHz.
    pub input_mhz: f64,
    /// The frequency asked for, in MHz.
    pub requested_mhz: f64,
    /// The frequency the setting gives, in MHz.
    pub output_mhz: f64,
    /// The phase-detector frequency, in MHz.
    pub pfd_mhz: f64,
    /// The VCO frequency, in MHz.
    pub vco_mhz: f64,
    /// The divider settings.
    pub dividers: Dividers,
}

/// Why no PLL setting was found.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum PllError {
    /// The request is outside what the PLL can make.
    #[error("a {family:?} PLL makes {min_mhz} to {max_mhz} MHz, not {requested_mhz} MHz (give --freq in that range)")]
    OutOfRange {
        /// The family.
        family: Family,
        /// The frequency asked for.
        requested_mhz: f64,
        /// The lowest output.
        min_mhz: f64,
        /// The highest output.
        max_mhz: f64,
    },
    /// No divider setting keeps every internal frequency in range for this oscillator.
    #[error("no {family:?} PLL setting makes {requested_mhz} MHz from a {input_mhz} MHz oscillator")]
    NoSetting {
        /// The family.
        family: Family,
        /// The oscillator.
        input_mhz: f64,
        /// The frequency asked for.
        requested_mhz: f64,
    },
}

/// The output range of each family's PLL, in MHz (the calculators' limits; GW1NR-9 C6/I5
/// for Gowin).
pub fn output_range(family: Family) -> (f64, f64) {
    match family {
        Family::Ice40 => (16.0, 275.0),
        Family::Ecp5 => (10.0, 400.0),
        Family::Gowin => (3.125, 600.0),
    }
}

/// The PLL setting of `family` closest to `requested_mhz` from an `input_mhz` oscillator.
pub fn plan(family: Family, input_mhz: f64, requested_mhz: f64) -> Result<Pll, PllError> {
    let (min_mhz, max_mhz) = output_range(family);
    if !(min_mhz..=max_mhz).contains(&requested_mhz) {
        return Err(PllError::OutOfRange { family, requested_mhz, min_mhz, max_mhz });
    }
    let found = match family {
        Family::Ice40 => ice40(input_mhz, requested_mhz),
        Family::Ecp5 => ecp5(input_mhz, requested_mhz),
        Family::Gowin => gowin(input_mhz, requested_mhz),
    };
    found.ok_or(PllError::NoSetting { family, input_mhz, requested_mhz })
}

/// icepll's search: DIVR, then DIVF, then DIVQ; the first closest output wins.
fn ice40(input: f64, requested: f64) -> Option<Pll> {
    let mut best: Option<Pll> = None;
    for divr in 0..=15u32 {
        let pfd = input / f64::from(divr + 1);
        if !(10.0..=133.0).contains(&pfd) {
            continue;
        }
        for divf in 0..=127u32 {
            let vco = pfd * f64::from(divf + 1);
            if !(533.0..=1066.0).contains(&vco) {
                continue;
            }
            for divq in 1..=6u32 {
                let out = vco / f64::from(1u32 << divq);
                if best.is_none_or(|b| (out - requested).abs() < (b.output_mhz - requested).abs()) {
                    let filter_range =
                        [17.0, 26.0, 44.0, 66.0, 101.0].iter().take_while(|&&f| pfd >= f).count() as u32 + 1;
                    best = Some(Pll {
                        input_mhz: input,
                        requested_mhz: requested,
                        output_mhz: out,
                        pfd_mhz: pfd,
                        vco_mhz: vco,
                        dividers: Dividers::Ice40 { divr, divf, divq, filter_range },
                    });
                }
            }
        }
    }
    best
}

/// ecppll's search (in single precision, as ecppll computes): input, feedback, then output
/// divider; the closest output, then the VCO nearest 600 MHz.
fn ecp5(input: f64, requested: f64) -> Option<Pll> {
    let (input32, requested32) = (input as f32, requested as f32);
    let mut best: Option<(f32, f32, Pll)> = None;
    for clki_div in 1..=128u32 {
        let pfd = input32 / clki_div as f32;
        if !(3.125..=400.0).contains(&pfd) {
            continue;
        }
        for clkfb_div in 1..=80u32 {
            for clkop_div in 1..=128u32 {
                let vco = pfd * clkfb_div as f32 * clkop_div as f32;
                if !(400.0..=800.0).contains(&vco) {
                    continue;
                }
                let out = vco / clkop_div as f32;
                let error = (out - requested32).abs();
                let better = match best {
                    None => true,
                    Some((e, v, _)) => error < e || (error == e && (vco - 600.0).abs() < (v - 600.0).abs()),
                };
                if better {
                    let pll = Pll {
                        input_mhz: input,
                        requested_mhz: requested,
                        output_mhz: f64::from(out),
                        pfd_mhz: f64::from(pfd),
                        vco_mhz: f64::from(vco),
                        dividers: Dividers::Ecp5 { clki_div, clkfb_div, clkop_div },
                    };
                    best = Some((error, vco, pll));
                }
            }
        }
    }
    best.map(|(_, _, pll)| pll)
}

/// gowin_pll's search for the GW1NR-9 (C6/I5): IDIV_SEL, FBDIV_SEL, then ODIV_SEL; the
/// first closest output wins. Its output and VCO bounds are exclusive.
fn gowin(input: f64, requested: f64) -> Option<Pll> {
    const ODIV: [u32; 11] = [2, 4, 8, 16, 32, 48, 64, 80, 96, 112, 128];
    let mut best: Option<Pll> = None;
    for idiv_sel in 0..64u32 {
        for fbdiv_sel in 0..64u32 {
            for odiv_sel in ODIV {
                let pfd = input / f64::from(idiv_sel + 1);
                if !(3.0..=400.0).contains(&pfd) {
                    continue;
                }
                let out = input * f64::from(fbdiv_sel + 1) / f64::from(idiv_sel + 1);
                if !(out > 3.125 && out < 600.0) {
                    continue;
                }
                let vco = input * f64::from(fbdiv_sel + 1) * f64::from(odiv_sel) / f64::from(idiv_sel + 1);
                if !(vco > 400.0 && vco < 1200.0) {
                    continue;
                }
                if best.is_none_or(|b| (out - requested).abs() < (b.output_mhz - requested).abs()) {
                    best = Some(Pll {
                        input_mhz: input,
                        requested_mhz: requested,
                        output_mhz: out,
                        pfd_mhz: pfd,
                        vco_mhz: vco,
                        dividers: Dividers::Gowin { idiv_sel, fbdiv_sel, odiv_sel },
                    });
                }
            }
        }
    }
    best
}

/// The PLL's clock input, its output, its lock and the instance, in Verilog.
fn instance(pll: &Pll) -> String {
    let mhz = |f: f64| {
        let s = format!("{f:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    match pll.dividers {
        Dividers::Ice40 { divr, divf, divq, filter_range } => format!(
            "  SB_PLL40_PAD #(\n    .FEEDBACK_PATH(\"SIMPLE\"),\n    .DIVR(4'd{divr}),\n    .DIVF(7'd{divf}),\n    \
             .DIVQ(3'd{divq}),\n    .FILTER_RANGE(3'd{filter_range})\n  ) u_pll (\n    .PACKAGEPIN(clk_i),\n    \
             .PLLOUTGLOBAL(pll_clk),\n    .LOCK(pll_locked),\n    .RESETB(1'b1),\n    .BYPASS(1'b0)\n  );\n"
        ),
        Dividers::Ecp5 { clki_div, clkfb_div, clkop_div } => format!(
            "  (* FREQUENCY_PIN_CLKI = \"{}\", FREQUENCY_PIN_CLKOP = \"{}\", ICP_CURRENT = \"12\", \
             LPF_RESISTOR = \"8\", MFG_ENABLE_FILTEROPAMP = \"1\", MFG_GMCREF_SEL = \"2\" *)\n  EHXPLLL #(\n    \
             .PLLRST_ENA(\"DISABLED\"),\n    .INTFB_WAKE(\"DISABLED\"),\n    .STDBY_ENABLE(\"DISABLED\"),\n    \
             .DPHASE_SOURCE(\"DISABLED\"),\n    .OUTDIVIDER_MUXA(\"DIVA\"),\n    .CLKOP_ENABLE(\"ENABLED\"),\n    \
             .CLKI_DIV({clki_div}),\n    .CLKFB_DIV({clkfb_div}),\n    .CLKOP_DIV({clkop_div}),\n    \
             .CLKOP_CPHASE({}),\n    .CLKOP_FPHASE(0),\n    .FEEDBK_PATH(\"CLKOP\")\n  ) u_pll (\n    \
             .RST(1'b0),\n    .STDBY(1'b0),\n    .CLKI(clk_i),\n    .CLKOP(pll_clk),\n    .CLKFB(pll_clk),\n    \
             .PHASESEL0(1'b0),\n    .PHASESEL1(1'b0),\n    .PHASEDIR(1'b1),\n    .PHASESTEP(1'b1),\n    \
             .PHASELOADREG(1'b1),\n    .PLLWAKESYNC(1'b0),\n    .ENCLKOP(1'b0),\n    .LOCK(pll_locked)\n  );\n",
            mhz(pll.input_mhz),
            mhz(pll.output_mhz),
            clkop_div - 1
        ),
        Dividers::Gowin { idiv_sel, fbdiv_sel, odiv_sel } => format!(
            "  rPLL #(\n    .FCLKIN(\"{}\"),\n    .IDIV_SEL({idiv_sel}),\n    .FBDIV_SEL({fbdiv_sel}),\n    \
             .ODIV_SEL({odiv_sel})\n  ) u_pll (\n    .CLKOUTP(),\n    .CLKOUTD(),\n    .CLKOUTD3(),\n    \
             .RESET(1'b0),\n    .RESET_P(1'b0),\n    .CLKFB(1'b0),\n    .FBDSEL(6'b0),\n    .IDSEL(6'b0),\n    \
             .ODSEL(6'b0),\n    .PSDA(4'b0),\n    .DUTYDA(4'b0),\n    .FDLY(4'b0),\n    .CLKIN(clk_i),\n    \
             .CLKOUT(pll_clk),\n    .LOCK(pll_locked)\n  );\n",
            mhz(pll.input_mhz)
        ),
    }
}

/// Name of the synthesis top that wraps board top `inner`: `<inner>_pll`.
pub fn wrapper_name(inner: &str) -> String {
    format!("{inner}_pll")
}

/// The Verilog of the wrapper around board top `inner` (a module with `clk_i` and
/// `pll_locked_i`): the same ports as `inner` but `pll_locked_i`, the PLL between the
/// oscillator pin `clk_i` and the inner `clk_i`, and the lock into `pll_locked_i`.
pub fn wrap(inner: &Module, pll: &Pll) -> String {
    let name = wrapper_name(&inner.name);
    let mut v = String::new();
    let _ = writeln!(v, "// Generated by SeedChip (fpga::pll): synthesis top, not simulated.");
    let _ = writeln!(
        v,
        "// {name}: {} with its clock from a PLL, {} MHz from the {} MHz oscillator (asked: {} MHz;\n\
         // PFD {:.3} MHz, VCO {:.3} MHz).",
        inner.name, pll.output_mhz, pll.input_mhz, pll.requested_mhz, pll.pfd_mhz, pll.vco_mhz
    );
    let ports: Vec<_> = inner.ports.iter().map(|&id| inner.signal(id)).filter(|s| s.name != "pll_locked_i").collect();
    let _ = writeln!(v, "module {name} (");
    for (i, s) in ports.iter().enumerate() {
        let dir = if s.kind == SignalKind::Input { "input " } else { "output" };
        let range = if s.width > 1 { format!("[{}:0] ", s.width - 1) } else { String::new() };
        let sep = if i + 1 == ports.len() { "" } else { "," };
        let _ = writeln!(v, "  {dir} wire {range}{}{sep}", s.name);
    }
    let _ = writeln!(v, ");\n  wire pll_clk;\n  wire pll_locked;\n");
    v.push_str(&instance(pll));
    let _ = writeln!(v, "\n  {} u_board (", inner.name);
    for s in &ports {
        let source = if s.name == "clk_i" { "pll_clk" } else { s.name.as_str() };
        let _ = writeln!(v, "    .{}({source}),", s.name);
    }
    let _ = writeln!(v, "    .pll_locked_i(pll_locked)\n  );\nendmodule");
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ice40_settings_follow_the_formula_and_the_ranges() {
        for target in [16.0, 24.0, 30.0, 40.0, 48.0, 66.0, 100.0, 275.0] {
            let p = plan(Family::Ice40, 12.0, target).expect("a setting");
            let Dividers::Ice40 { divr, divf, divq, .. } = p.dividers else { panic!("{p:?}") };
            let out = 12.0 * f64::from(divf + 1) / f64::from(divr + 1) / f64::from(1u32 << divq);
            assert_eq!(out, p.output_mhz);
            assert!((533.0..=1066.0).contains(&p.vco_mhz) && (10.0..=133.0).contains(&p.pfd_mhz), "{p:?}");
            assert!((out - target).abs() / target < 0.02, "{target}: {p:?}");
        }
    }

    #[test]
    fn out_of_range_requests_name_the_range() {
        let e = plan(Family::Ice40, 12.0, 8.0).unwrap_err().to_string();
        assert!(e.contains("16 to 275 MHz, not 8 MHz"), "{e}");
    }
}
