//! The systolic array multiplies random int8 matrices correctly on the IR interpreter
//! and on Verilator, checked against a plain Rust matmul; its latency is exactly the
//! documented rows + cols - 1 cycles, with and without bubbles in the input stream.

use ip_blocks::blocks::systolic_array::{self, latency};
use ip_blocks::config::ArrayConfig;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rtl_gen::sim::{Interp, Simulator};
use rtl_gen::Design;
use testbenches::systolic::{reference_matmul, run_array};

fn cfg(rows: u32, cols: u32) -> ArrayConfig {
    ArrayConfig { rows, cols, input_bits: 8, acc_bits: 32 }
}

fn random_matrix(rng: &mut ChaCha8Rng, r: usize, c: usize) -> Vec<Vec<i64>> {
    (0..r).map(|_| (0..c).map(|_| rng.gen_range(-128..=127)).collect()).collect()
}

enum Engine {
    Interp,
    Verilator,
}

fn simulator(cfg: &ArrayConfig, engine: Engine) -> Box<dyn Simulator> {
    let mut d = Design::new();
    let top = systolic_array::build(&mut d, "sc", cfg).expect("array builds");
    match engine {
        Engine::Interp => Box::new(Interp::new(&d, top).expect("interpreter")),
        Engine::Verilator => Box::new(testbenches::verilate(&d, top).unwrap_or_else(|e| panic!("{e}")).instantiate()),
    }
}

fn check(cfg: ArrayConfig, engine: Engine, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut sim = simulator(&cfg, engine);
    let m = 24;
    let a = random_matrix(&mut rng, m, cfg.rows as usize);
    let b = random_matrix(&mut rng, cfg.rows as usize, cfg.cols as usize);
    let bubbles: Vec<bool> = (0..m).map(|_| rng.gen_bool(0.25)).collect();
    let run = run_array(sim.as_mut(), &cfg, &a, &b, &bubbles);
    assert_eq!(run.c, reference_matmul(&a, &b), "{}x{} array, seed {seed}", cfg.rows, cfg.cols);
    assert!(run.latencies.iter().all(|l| *l == u64::from(latency(&cfg))), "latencies {:?}", run.latencies);

    // Corners: -128 x -128 over the full depth, zeros, alternating signs, on the same
    // simulator with a new weight tile.
    let (r, c) = (cfg.rows as usize, cfg.cols as usize);
    let min = vec![vec![-128; c]; r];
    let alt: Vec<Vec<i64>> =
        (0..r).map(|k| (0..c).map(|n| if (k + n) % 2 == 0 { 127 } else { -128 }).collect()).collect();
    let a2 =
        vec![vec![-128; r], vec![0; r], (0..r).map(|k| if k % 2 == 0 { -128 } else { 127 }).collect(), vec![127; r]];
    for b2 in [&min, &alt] {
        let run = run_array(sim.as_mut(), &cfg, &a2, b2, &[]);
        assert_eq!(run.c, reference_matmul(&a2, b2), "corner values on {}x{}", cfg.rows, cfg.cols);
    }
}

#[test]
fn array_matmul_on_interpreter_many_shapes() {
    for (i, (r, c)) in [(1, 1), (1, 5), (5, 1), (2, 3), (4, 4), (8, 8), (3, 7)].into_iter().enumerate() {
        check(cfg(r, c), Engine::Interp, i as u64);
    }
}

#[test]
fn array_matmul_on_verilator_ice40_shape() {
    check(cfg(4, 4), Engine::Verilator, 10);
}

#[test]
fn array_matmul_on_verilator_non_square() {
    check(cfg(2, 3), Engine::Verilator, 11);
}

#[test]
fn array_matmul_wide_inputs_on_both_engines() {
    // 16-bit inputs, 40-bit accumulators: products of 32 bits summed over 8 rows.
    let cfg = ArrayConfig { input_bits: 16, acc_bits: 40, ..ArrayConfig::new(8, 2) };
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let a: Vec<Vec<i64>> = (0..10).map(|_| (0..8).map(|_| rng.gen_range(-32768..=32767)).collect()).collect();
    let b: Vec<Vec<i64>> = (0..8).map(|_| (0..2).map(|_| rng.gen_range(-32768..=32767)).collect()).collect();
    for engine in [Engine::Interp, Engine::Verilator] {
        let mut sim = simulator(&cfg, engine);
        let run = run_array(sim.as_mut(), &cfg, &a, &b, &[]);
        assert_eq!(run.c, reference_matmul(&a, &b));
    }
}
