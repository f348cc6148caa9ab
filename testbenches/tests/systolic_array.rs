//! The matrix engine computes random int8 matmuls in both dataflows, bit-exact against a
//! plain Rust matmul, on the IR interpreter and on Verilator, with random stalls on every
//! handshake; corner values (-128 x -128 over the full depth, zeros, alternating signs);
//! back-to-back weight-stationary tiles leave no bubble. The same with broadcast rows
//! (`array.broadcast`: shadow weights, the pairs' active weights in their multiplier).

use ip_blocks::blocks::systolic_array;
use ip_blocks::config::{ArrayConfig, Dataflow};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rtl_gen::sim::{Interp, Simulator};
use rtl_gen::Design;
use testbenches::systolic::{check_run, random_matrix, run_engine, Stalls, Tile};

fn cfg(rows: u32, cols: u32, dataflow: Dataflow) -> ArrayConfig {
    ArrayConfig { dataflow, ..ArrayConfig::new(rows, cols) }
}

#[derive(Clone, Copy, PartialEq)]
enum Engine {
    Interp,
    Verilator,
}

fn simulator(cfg: &ArrayConfig, engine: Engine) -> Box<dyn Simulator> {
    let mut d = Design::new();
    let top = systolic_array::build(&mut d, "sc", cfg).unwrap_or_else(|e| panic!("{e}"));
    let mut sim: Box<dyn Simulator> = match engine {
        Engine::Interp => Box::new(Interp::new(&d, top).expect("interpreter")),
        Engine::Verilator => Box::new(testbenches::verilate(&d, top).unwrap_or_else(|e| panic!("{e}")).instantiate()),
    };
    sim.reset(2);
    sim
}

fn ws_tiles(rng: &mut ChaCha8Rng, c: &ArrayConfig, n: usize) -> Vec<Tile> {
    (0..n)
        .map(|_| {
            let m = rng.gen_range(1..=12);
            Tile::Ws {
                b: random_matrix(rng, c.rows as usize, c.cols as usize, c.input_bits),
                a: random_matrix(rng, m, c.rows as usize, c.input_bits),
            }
        })
        .collect()
}

fn os_tiles(rng: &mut ChaCha8Rng, c: &ArrayConfig, n: usize) -> Vec<Tile> {
    (0..n)
        .map(|_| {
            let k = rng.gen_range(1..=12);
            Tile::Os {
                a: random_matrix(rng, c.rows as usize, k, c.input_bits),
                b: random_matrix(rng, k, c.cols as usize, c.input_bits),
            }
        })
        .collect()
}

const STALLY: Stalls = Stalls { in_valid: 0.7, w_valid: 0.6, out_ready: 0.6 };

fn check(c: ArrayConfig, engine: Engine, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut sim = simulator(&c, engine);
    let what = |m: &str| {
        let bc = if c.broadcast { " broadcast" } else { "" };
        format!("{}x{} {:?}{bc} engine, dsp {:?}, {m}, seed {seed}", c.rows, c.cols, c.dataflow, c.dsp_multipliers)
    };
    for round in 0..2 {
        let stalls = if round == 0 { STALLY } else { Stalls::NONE };
        if c.dataflow.has_ws() {
            let tiles = ws_tiles(&mut rng, &c, 4);
            let run = run_engine(sim.as_mut(), &c, &tiles, stalls, seed + round);
            check_run(&run, &tiles, &what("weight-stationary"));
        }
        if c.dataflow.has_os() {
            let tiles = os_tiles(&mut rng, &c, 4);
            let run = run_engine(sim.as_mut(), &c, &tiles, stalls, seed + round);
            check_run(&run, &tiles, &what("output-stationary"));
        }
    }
    assert_eq!(sim.get("idle_o"), 1, "{}", what("idle after draining"));
    // Corners: -128 x -128 over the full depth, zeros, alternating signs.
    let (r, k) = (c.rows as usize, c.cols as usize);
    let min = -(1i64 << (c.input_bits - 1));
    let max = (1i64 << (c.input_bits - 1)) - 1;
    let alt = |i: usize, j: usize| if (i + j).is_multiple_of(2) { max } else { min };
    if c.dataflow.has_ws() {
        let tiles = vec![
            Tile::Ws { b: vec![vec![min; k]; r], a: vec![vec![min; r], vec![0; r], vec![max; r]] },
            Tile::Ws {
                b: (0..r).map(|i| (0..k).map(|j| alt(i, j)).collect()).collect(),
                a: vec![(0..r).map(|i| alt(i, 1)).collect(); 2],
            },
        ];
        let run = run_engine(sim.as_mut(), &c, &tiles, STALLY, seed);
        check_run(&run, &tiles, &what("weight-stationary corners"));
    }
    if c.dataflow.has_os() {
        let depth = 40;
        let tiles = vec![
            Tile::Os { a: vec![vec![min; depth]; r], b: vec![vec![min; k]; depth] },
            Tile::Os {
                a: (0..r).map(|i| (0..depth).map(|j| alt(i, j)).collect()).collect(),
                b: vec![vec![0; k]; depth],
            },
        ];
        let run = run_engine(sim.as_mut(), &c, &tiles, STALLY, seed);
        check_run(&run, &tiles, &what("output-stationary corners"));
    }
}

#[test]
fn engine_ws_on_interpreter_many_shapes() {
    for (i, (r, c)) in [(1, 1), (1, 5), (5, 1), (2, 3), (4, 4), (8, 8), (3, 7)].into_iter().enumerate() {
        check(cfg(r, c, Dataflow::Ws), Engine::Interp, i as u64);
    }
}

#[test]
fn engine_os_on_interpreter_many_shapes() {
    for (i, (r, c)) in [(1, 1), (1, 4), (4, 1), (3, 2), (4, 4), (6, 5)].into_iter().enumerate() {
        check(cfg(r, c, Dataflow::Os), Engine::Interp, 100 + i as u64);
    }
}

#[test]
fn engine_both_dataflows_on_interpreter() {
    for (i, (r, c)) in [(1, 1), (2, 3), (4, 4), (3, 1)].into_iter().enumerate() {
        check(cfg(r, c, Dataflow::Both), Engine::Interp, 200 + i as u64);
    }
}

#[test]
fn engine_mixed_dsp_and_soft_multipliers() {
    let c = ArrayConfig { dsp_multipliers: Some(3), ..cfg(2, 3, Dataflow::Both) };
    check(c.clone(), Engine::Interp, 300);
    check(c, Engine::Verilator, 301);
}

#[test]
fn engine_ws_on_verilator_ice40_shape() {
    check(cfg(4, 4, Dataflow::Ws), Engine::Verilator, 10);
}

#[test]
fn engine_both_on_verilator_non_square() {
    check(cfg(3, 2, Dataflow::Both), Engine::Verilator, 11);
}

#[test]
fn engine_wide_inputs_on_both_engines() {
    let c = ArrayConfig { input_bits: 16, acc_bits: 40, ..cfg(4, 2, Dataflow::Both) };
    check(c.clone(), Engine::Interp, 12);
    check(c, Engine::Verilator, 12);
}

fn broadcast(rows: u32, cols: u32, dsp: Option<u32>) -> ArrayConfig {
    ArrayConfig { broadcast: true, dsp_multipliers: dsp, ..cfg(rows, cols, Dataflow::Ws) }
}

#[test]
fn engine_broadcast_rows_on_interpreter_many_shapes() {
    // Pairs only, pairs with a single DSP PE and soft ones, soft only, odd columns without pairs.
    let shapes = [(1, 1, None), (2, 2, None), (4, 4, Some(14)), (4, 4, Some(15)), (3, 2, Some(3)), (4, 4, Some(0))];
    for (i, (r, c, dsp)) in shapes.into_iter().chain([(5, 1, Some(1)), (2, 3, Some(0)), (6, 8, None)]).enumerate() {
        check(broadcast(r, c, dsp), Engine::Interp, 400 + i as u64);
    }
}

#[test]
fn engine_broadcast_rows_on_verilator_icebreaker_shape() {
    check(broadcast(4, 4, Some(14)), Engine::Verilator, 13);
}

#[test]
fn broadcast_rows_are_refused_with_pairs_across_rows() {
    let mut d = Design::new();
    let e = systolic_array::build(&mut d, "sc", &broadcast(2, 3, None)).unwrap_err().to_string();
    assert!(e.contains("broadcast") && e.contains("3 columns"), "{e}");
}

#[test]
fn back_to_back_ws_tiles_leave_no_bubble() {
    let bc = [broadcast(4, 4, Some(14)), broadcast(8, 8, None), broadcast(2, 4, Some(3))];
    for conf in [(4, 4), (8, 8), (2, 5)].map(|(r, c)| cfg(r, c, Dataflow::Ws)).into_iter().chain(bc) {
        let (r, c) = (conf.rows, conf.cols);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let m = (r + c) as usize;
        let tiles: Vec<Tile> = (0..5)
            .map(|_| Tile::Ws {
                b: random_matrix(&mut rng, r as usize, c as usize, 8),
                a: random_matrix(&mut rng, m, r as usize, 8),
            })
            .collect();
        let mut sim = simulator(&conf, Engine::Interp);
        let run = run_engine(sim.as_mut(), &conf, &tiles, Stalls::NONE, 1);
        check_run(&run, &tiles, "back to back");
        // The first tile waits for its `rows` weight rows; after that, no bubble at all.
        let b = conf.broadcast;
        assert_eq!(run.in_stalls, u64::from(r), "{r}x{c} (broadcast {b}): input stalls");
        let vectors = 5 * m as u64;
        let cycles = u64::from(r) + vectors + u64::from(systolic_array::latency(&conf));
        assert_eq!(run.cycles, cycles, "{r}x{c} (broadcast {b}): cycles");
    }
}
