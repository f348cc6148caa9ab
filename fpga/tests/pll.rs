//! The PLL settings of `fpga::pll` against the vendors' calculators in the project's
//! `.venv`: `yowasp-icepll` (icestorm), `yowasp-ecppll` (prjtrellis) and `gowin_pll`
//! (apicula). A missing calculator fails the test: `make setup` installs them.

use fpga::flow::find_tool;
use fpga::pll::{self, Dividers};
use fpga::Family;
use std::process::Command;

/// Run a calculator and return its standard output (and error, where it prints).
fn calculator(exe: &str, args: &[&str]) -> String {
    let tool = find_tool(exe).unwrap_or_else(|e| panic!("{e} (run `make setup`)"));
    let out = Command::new(&tool.path).args(args).output().unwrap_or_else(|e| panic!("{exe}: {e}"));
    assert!(out.status.success(), "{exe} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
}

/// The number after `key` on its line (`DIVR:  0 (4'b0000)` gives 0).
fn number(text: &str, key: &str) -> f64 {
    let line = text.lines().find(|l| l.trim_start().starts_with(key)).unwrap_or_else(|| panic!("no {key} in\n{text}"));
    let rest = line.trim_start()[key.len()..].trim_start_matches([' ', ':', '(']);
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    digits.parse().unwrap_or_else(|_| panic!("{key}: {line}"))
}

#[test]
fn ice40_settings_equal_icepll() {
    for (fin, fout) in
        [(12.0, 16.0), (12.0, 24.0), (12.0, 33.0), (12.0, 40.0), (12.0, 50.0), (12.0, 100.0), (25.0, 66.0)]
    {
        let text = calculator("yowasp-icepll", &["-i", &fin.to_string(), "-o", &fout.to_string()]);
        let p = pll::plan(Family::Ice40, fin, fout).expect("a setting");
        let Dividers::Ice40 { divr, divf, divq, filter_range } = p.dividers else { panic!("{p:?}") };
        let theirs =
            [number(&text, "DIVR"), number(&text, "DIVF"), number(&text, "DIVQ"), number(&text, "FILTER_RANGE")];
        assert_eq!([divr, divf, divq, filter_range].map(f64::from), theirs, "{fin} -> {fout} MHz:\n{text}");
        let achieved = text.lines().find(|l| l.contains("(achieved)")).expect("achieved line");
        assert!(achieved.contains(&format!("{:.3} MHz", p.output_mhz)), "{achieved} vs {p:?}");
    }
}

#[test]
fn ecp5_settings_equal_ecppll() {
    for (fin, fout) in [(25.0, 50.0), (25.0, 75.0), (25.0, 100.0), (25.0, 125.0), (25.0, 40.0), (12.0, 48.0)] {
        let text = calculator("yowasp-ecppll", &["-i", &fin.to_string(), "-o", &fout.to_string()]);
        let p = pll::plan(Family::Ecp5, fin, fout).expect("a setting");
        let Dividers::Ecp5 { clki_div, clkfb_div, clkop_div } = p.dividers else { panic!("{p:?}") };
        let theirs =
            [number(&text, "Refclk divisor"), number(&text, "Feedback divisor"), number(&text, "clkout0 divisor")];
        assert_eq!([clki_div, clkfb_div, clkop_div].map(f64::from), theirs, "{fin} -> {fout} MHz:\n{text}");
    }
}

#[test]
fn gowin_settings_equal_gowin_pll() {
    for (fin, fout) in [(27.0, 27.0), (27.0, 40.0), (27.0, 50.0), (27.0, 81.0), (27.0, 100.0)] {
        let text = calculator("gowin_pll", &["-i", &fin.to_string(), "-o", &fout.to_string(), "-d", "GW1NR-9 C6/I5"]);
        let p = pll::plan(Family::Gowin, fin, fout).expect("a setting");
        let Dividers::Gowin { idiv_sel, fbdiv_sel, odiv_sel } = p.dividers else { panic!("{p:?}") };
        let theirs = [number(&text, ".IDIV_SEL"), number(&text, ".FBDIV_SEL"), number(&text, ".ODIV_SEL")];
        assert_eq!([idiv_sel, fbdiv_sel, odiv_sel].map(f64::from), theirs, "{fin} -> {fout} MHz:\n{text}");
    }
}
