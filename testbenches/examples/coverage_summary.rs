//! `make coverage`'s last step: the per-module line and toggle coverage of the merged
//! Verilator counts (`<dir>/merged.dat`) and the functional coverage records of the
//! system tests (`<dir>/data/functional-*.txt`), written to `<dir>/summary.md`. Exits with
//! status 1 when an instruction kind, an error code or a dataflow was never hit.
//!
//! Usage: `cargo run -p testbenches --example coverage_summary -- out/coverage`

use std::path::PathBuf;
use testbenches::coverage;

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "out/coverage".into()));
    let merged = dir.join("merged.dat");
    let text = std::fs::read_to_string(&merged).unwrap_or_else(|e| {
        eprintln!("coverage_summary: cannot read {}: {e} (run `make coverage`)", merged.display());
        std::process::exit(2)
    });
    let table = coverage::by_module(&coverage::parse_dat(&text));
    let (counts, gaps) = coverage::functional_gaps(&dir.join("data")).unwrap_or_else(|e| {
        eprintln!("coverage_summary: cannot read the functional records in {}: {e}", dir.join("data").display());
        std::process::exit(2)
    });
    let mut md = String::from("# Coverage of the system tests\n\n");
    md.push_str("Verilator line and toggle coverage (`--coverage-line --coverage-toggle`) of every model the system\n");
    md.push_str(
        "tests (`testbenches/tests/system.rs`) build, merged over all runs and instances; points per module.\n\n",
    );
    md.push_str(&coverage::markdown(&table));
    md.push_str("\n## Functional coverage\n\nRuns that executed each instruction kind, ended with each error code, computed in each dataflow.\n\n");
    md.push_str("| goal | runs |\n|---|---|\n");
    for g in coverage::functional_goals() {
        md.push_str(&format!("| {g} | {} |\n", counts.get(&g).copied().unwrap_or(0)));
    }
    if !gaps.is_empty() {
        md.push_str(&format!("\n**Never hit:** {}\n", gaps.join(", ")));
    }
    let out = dir.join("summary.md");
    if let Err(e) = std::fs::write(&out, &md) {
        eprintln!("coverage_summary: cannot write {}: {e}", out.display());
        std::process::exit(2);
    }
    print!("{md}");
    println!("\nwritten to {}", out.display());
    if !gaps.is_empty() {
        eprintln!("coverage_summary: never hit by the system tests: {}", gaps.join(", "));
        std::process::exit(1);
    }
}
