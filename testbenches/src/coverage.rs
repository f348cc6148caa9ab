//! Coverage of the system tests (`make coverage`).
//!
//! - **Code coverage**: with `SEEDCHIP_COVERAGE_DIR` set, Verilator models are built with
//!   `--coverage-line --coverage-toggle` and each instance writes `cov-*.dat` there when
//!   it is destroyed. `verilator_coverage --write` merges them; [`parse_dat`] reads the
//!   merged file and [`by_module`] counts the points per module (the Verilog module each
//!   point belongs to, from its `page` field `v_line/<module>` or `v_toggle/<module>`).
//! - **Functional coverage**: every co-simulation run ([`crate::cosim::run`]) appends to
//!   `functional-<pid>.txt` in the same folder the instruction kinds the RTL executed (up to
//!   the one that stopped it), the error code it ended with and the dataflows its computes
//!   used; [`functional_gaps`] lists what was never hit.
//!
//! Only the `.dat` text format is read (`C '<fields>' <count>`, fields separated by
//! `\x01`, names from values by `\x02`), which Verilator 5.006 and 5.048 both write; no
//! file name of Verilator's own is relied on.

use crate::verilator::COVERAGE_ENV;
use ip_blocks::config::Dataflow;
use ip_blocks::isa::{ErrorCode, Instr, Mode};
use ip_blocks::Config;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

/// One coverage point of a `.dat` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Point {
    /// Verilog module the point is in.
    pub module: String,
    /// `line`, `toggle`, `branch`, … (the `page` field's `v_<kind>` part).
    pub kind: String,
    /// Times hit.
    pub count: u64,
}

/// The points of a `.dat` file (merged or not).
pub fn parse_dat(text: &str) -> Vec<Point> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("C '") else { continue };
        let Some(end) = rest.rfind('\'') else { continue };
        let (fields, count) = (&rest[..end], rest[end + 1..].trim());
        let Ok(count) = count.parse::<u64>() else { continue };
        let page =
            fields.split('\u{1}').filter_map(|f| f.split_once('\u{2}')).find(|(k, _)| *k == "page").map(|(_, v)| v);
        let Some((kind, module)) = page.and_then(|p| p.split_once('/')) else { continue };
        let kind = kind.trim_start_matches("v_").to_string();
        out.push(Point { module: module.to_string(), kind, count });
    }
    out
}

/// Points hit and points in all, per module and kind: `module -> kind -> (hit, total)`.
pub fn by_module(points: &[Point]) -> BTreeMap<String, BTreeMap<String, (u64, u64)>> {
    let mut m: BTreeMap<String, BTreeMap<String, (u64, u64)>> = BTreeMap::new();
    for p in points {
        let e = m.entry(p.module.clone()).or_default().entry(p.kind.clone()).or_default();
        e.1 += 1;
        if p.count > 0 {
            e.0 += 1;
        }
    }
    m
}

fn percent((hit, total): (u64, u64)) -> String {
    if total == 0 {
        "-".into()
    } else {
        format!("{:.1}% ({hit}/{total})", 100.0 * hit as f64 / total as f64)
    }
}

/// The per-module table in Markdown.
pub fn markdown(table: &BTreeMap<String, BTreeMap<String, (u64, u64)>>) -> String {
    let mut s = String::from("| module | line | toggle |\n|---|---|---|\n");
    let mut all: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for (module, kinds) in table {
        let get = |k: &str| kinds.get(k).copied().unwrap_or((0, 0));
        s.push_str(&format!("| {module} | {} | {} |\n", percent(get("line")), percent(get("toggle"))));
        for (k, (h, t)) in kinds {
            let e = all.entry(k.as_str()).or_default();
            e.0 += h;
            e.1 += t;
        }
    }
    let get = |k: &str| all.get(k).copied().unwrap_or((0, 0));
    s.push_str(&format!("| **all** | {} | {} |\n", percent(get("line")), percent(get("toggle"))));
    s
}

/// The name of an instruction kind in the functional-coverage records.
fn instr_name(i: &Instr) -> String {
    let d = format!("{i:?}");
    d.split([' ', '{', '(']).next().unwrap_or_default().to_string()
}

/// Every instruction kind, error code and dataflow the functional coverage expects.
pub fn functional_goals() -> Vec<String> {
    let mut g: Vec<String> = ["ConfigEx", "ConfigLd", "ConfigSt", "Mvin", "Mvout", "Preload", "Compute", "Fence"]
        .iter()
        .map(|n| format!("instruction {n}"))
        .collect();
    g.extend(ErrorCode::ALL.iter().map(|e| format!("error {e:?}")));
    g.extend(["dataflow Ws", "dataflow Os"].map(String::from));
    g
}

/// What one co-simulation run hit: the instructions executed (up to the one in error),
/// the error code, the dataflows of its computes.
pub fn hits(cfg: &Config, program: &[[u32; 4]], error: Option<(u32, u8)>) -> BTreeSet<String> {
    let mut h = BTreeSet::new();
    let last = error.map_or(program.len(), |(i, _)| (i as usize + 1).min(program.len()));
    let mut mode = match cfg.array.dataflow {
        Dataflow::Os => Mode::Os,
        _ => Mode::Ws,
    };
    for (k, w) in program[..last].iter().enumerate() {
        let Ok(i) = Instr::decode(*w) else { continue };
        let stopped_here = error.is_some_and(|(e, _)| e as usize == k);
        h.insert(format!("instruction {}", instr_name(&i)));
        if stopped_here {
            continue;
        }
        match i {
            Instr::ConfigEx { mode: m, .. } => mode = m,
            Instr::Compute { .. } => {
                h.insert(format!("dataflow {mode:?}"));
            }
            _ => {}
        }
    }
    let code = error.map_or(ErrorCode::None, |(_, c)| ErrorCode::from_code(c).unwrap_or(ErrorCode::None));
    h.insert(format!("error {code:?}"));
    h
}

/// Append a run's [`hits`] to `functional-<pid>.txt` in `$SEEDCHIP_COVERAGE_DIR`, when set.
pub fn record_run(cfg: &Config, program: &[[u32; 4]], error: Option<(u32, u8)>) {
    let Some(dir) = std::env::var_os(COVERAGE_ENV).filter(|v| !v.is_empty()) else { return };
    let path = Path::new(&dir).join(format!("functional-{}.txt", std::process::id()));
    let text: String = hits(cfg, program, error).into_iter().map(|h| h + "\n").collect();
    // Coverage is a report: failing to write it must not fail the test that runs.
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        let _ = f.write_all(text.as_bytes());
    }
}

/// Counts of every functional goal in the records of `dir`, and the goals never hit.
pub fn functional_gaps(dir: &Path) -> std::io::Result<(BTreeMap<String, u64>, Vec<String>)> {
    let mut counts: BTreeMap<String, u64> = functional_goals().into_iter().map(|g| (g, 0)).collect();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let is_record = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("functional-"));
        if !is_record {
            continue;
        }
        for line in std::fs::read_to_string(&path)?.lines() {
            *counts.entry(line.to_string()).or_default() += 1;
        }
    }
    let gaps = counts.iter().filter(|(_, n)| **n == 0).map(|(g, _)| g.clone()).collect();
    Ok((counts, gaps))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dat_points_are_counted_per_module_and_kind() {
        let f = |page: &str, line: u32| format!("\u{1}f\u{2}a.v\u{1}l\u{2}{line}\u{1}page\u{2}{page}\u{1}o\u{2}x");
        let text = format!(
            "# SystemC::Coverage-3\nC '{}' 3\nC '{}' 0\nC '{}' 1\n",
            f("v_line/fifo", 1),
            f("v_toggle/fifo", 2),
            f("v_toggle/top", 3)
        );
        let t = by_module(&parse_dat(&text));
        assert_eq!(t["fifo"]["line"], (1, 1));
        assert_eq!(t["fifo"]["toggle"], (0, 1));
        assert_eq!(t["top"]["toggle"], (1, 1));
        let md = markdown(&t);
        assert!(md.contains("| fifo | 100.0% (1/1) | 0.0% (0/1) |"), "{md}");
    }

    #[test]
    fn a_run_stopped_by_an_error_hits_only_what_ran() {
        let cfg = Config::preset("ice40").expect("preset");
        let p = [Instr::Fence.encode(), [0xffff_ffff; 4], Instr::Fence.encode()];
        let h = hits(&cfg, &p, Some((1, ErrorCode::IllegalCommand as u8)));
        assert!(h.contains("instruction Fence") && h.contains("error IllegalCommand"), "{h:?}");
        assert_eq!(h.len(), 2, "{h:?}");
    }
}
