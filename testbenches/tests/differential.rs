//! The emitter and the interpreter agree: random circuits (every operator, widths 1 to
//! 130, registers, memories, hierarchy) run on the IR interpreter and, as emitted
//! Verilog, on Verilator with the same random inputs; every output agrees on every
//! cycle. A failure prints the cycle, the signal, the expected and the got value.

use rtl_gen::sim::Interp;
use testbenches::lockstep::run_lockstep;
use testbenches::random_circuit::{random_design, CircuitShape};

fn differential(seed: u64, circuits: usize, cycles: u64) {
    let (design, top) = random_design(seed, circuits, CircuitShape::default())
        .unwrap_or_else(|e| panic!("random design {seed} failed its checks:\n{e}"));
    let model = testbenches::verilate(&design, top).unwrap_or_else(|e| panic!("{e}"));
    let mut verilator = model.instantiate();
    let mut interp = Interp::new(&design, top).unwrap_or_else(|e| panic!("{e}"));
    if let Err(m) = run_lockstep(&mut interp, &mut verilator, ("interpreter", "verilator"), cycles, seed) {
        panic!("random design seed {seed}: interpreter and Verilator disagree\n{m}");
    }
}

#[test]
fn random_circuits_agree_on_interpreter_and_verilator() {
    differential(1, 16, 500);
}

#[test]
fn random_circuits_are_lint_clean() {
    let (design, top) = random_design(1, 16, CircuitShape::default()).unwrap();
    let files = rtl_gen::emit::verilog::emit(&design, top).sources();
    let messages = testbenches::verilator::lint::lint_verilog(&files, "random_top").unwrap_or_else(|e| panic!("{e}"));
    assert!(messages.is_empty(), "verilator -Wall on the random circuits:\n{}", messages.join("\n"));
}

/// More seeds and longer runs: `cargo test -p testbenches --release -- --ignored`.
#[test]
#[ignore]
fn random_circuits_agree_many_seeds() {
    for seed in 2..12 {
        differential(seed, 16, 2000);
    }
}
