//! Foundation figures: generation time of whole configurations, IR-interpreter and
//! Verilator speed on the ice40 (4x4) systolic array, and the Verilator build time.
//!
//! `cargo bench -p testbenches --bench foundation` prints a Markdown table. Each figure
//! is the median of several runs. `seedchip bench` (`make bench`) measures the same engine
//! speeds with [`testbenches::speed`], and the whole accelerator besides; this bench keeps
//! the per-tile timing of both dataflows.

use ip_blocks::config::{ArrayConfig, Config};
use ip_blocks::generate;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rtl_gen::sim::{Interp, Simulator};
use std::time::Instant;
use testbenches::speed::{median, stream_engine};
use testbenches::ModelCache;

fn config(n: u32) -> Config {
    let mut c = Config::preset("ice40").expect("preset");
    c.array = ArrayConfig { dsp_multipliers: Some(n * n / 4), ..ArrayConfig::new(n, n) };
    c
}

fn stream(sim: &mut dyn Simulator, rows: u32, cycles: u64) -> f64 {
    stream_engine(sim, rows, cycles).unwrap_or_else(|e| panic!("{e}"))
}

fn main() {
    println!("| figure | value |\n|---|---|");
    for n in [4, 8, 16] {
        let cfg = config(n);
        let times: Vec<f64> = (0..7)
            .map(|_| {
                let t0 = Instant::now();
                let g = generate(&cfg).expect("generates");
                let v = g.verilog();
                std::hint::black_box(v.module_files.len());
                t0.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        println!(
            "| generation, {n}x{n} datapath: engine, scratchpad, accumulator (IR, checks, Verilog) | {:.2} ms |",
            median(times)
        );
    }

    for n in [4, 8] {
        engine_speed(n);
    }
    for n in [4, 8] {
        tile_timing(n);
    }
    println!("| Verilator version | {} |", testbenches::verilator::lint::version().unwrap_or_default());
}

/// Interpreter and Verilator speed of the n x n engine, and its Verilator build time.
fn engine_speed(n: u32) {
    let cfg = config(n);
    let g = generate(&cfg).expect("generates");
    let runs: Vec<f64> = (0..5)
        .map(|_| {
            let mut sim = Interp::new(&g.design, g.systolic_array).expect("interp");
            stream(&mut sim, n, 100_000)
        })
        .collect();
    println!("| IR interpreter, {n}x{n} engine, poke+step+peek | {:.0} cycles/s |", median(runs));

    let files = rtl_gen::emit::verilog::emit(&g.design, g.systolic_array).sources();
    let ports = rtl_gen::sim::PortInfo::of_module(g.design.module(g.systolic_array));
    let mut builds = Vec::new();
    let mut model = None;
    for _ in 0..3 {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = ModelCache::new(dir.path());
        let t0 = Instant::now();
        let built = cache.build("seedchip_systolic_array", &files, &ports).unwrap_or_else(|e| panic!("{e}"));
        builds.push(t0.elapsed().as_secs_f64());
        model = Some((std::sync::Arc::new(built), dir));
    }
    println!("| Verilator build (verilator --build, -O3), {n}x{n} engine | {:.1} s |", median(builds));
    let (model, _dir) = model.expect("built");
    let runs: Vec<f64> = (0..5).map(|_| stream(&mut model.instantiate(), n, 1_000_000)).collect();
    println!("| Verilator, {n}x{n} engine, poke+step+peek | {:.0} cycles/s |", median(runs));
}

/// Cycles per tile and the bubble between back-to-back tiles, in each dataflow, from the
/// interpreter (cycle counts are exact, no randomness).
fn tile_timing(n: u32) {
    use testbenches::systolic::{random_matrix, run_engine, Stalls, Tile};
    let cfg = ArrayConfig { dataflow: ip_blocks::config::Dataflow::Both, ..ArrayConfig::new(n, n) };
    let mut d = rtl_gen::Design::new();
    let top = ip_blocks::blocks::systolic_array::build(&mut d, "sc", &cfg).expect("builds");
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for len in [n, 2 * n, 32] {
        let ws = |rng: &mut ChaCha8Rng| Tile::Ws {
            b: random_matrix(rng, n as usize, n as usize, 8),
            a: random_matrix(rng, len as usize, n as usize, 8),
        };
        let os = |rng: &mut ChaCha8Rng| Tile::Os {
            a: random_matrix(rng, n as usize, len as usize, 8),
            b: random_matrix(rng, len as usize, n as usize, 8),
        };
        for (name, make) in [("weight-stationary", &ws as &dyn Fn(&mut ChaCha8Rng) -> Tile), ("output-stationary", &os)]
        {
            let mut sim = Interp::new(&d, top).expect("interp");
            sim.reset(2);
            let one = run_engine(&mut sim, &cfg, &[make(&mut rng)], Stalls::NONE, 1);
            let mut sim = Interp::new(&d, top).expect("interp");
            sim.reset(2);
            let tiles: Vec<Tile> = (0..8).map(|_| make(&mut rng)).collect();
            let many = run_engine(&mut sim, &cfg, &tiles, Stalls::NONE, 1);
            let per_tile = (many.cycles - one.cycles) as f64 / 7.0;
            let first_wait = if name == "weight-stationary" { u64::from(n) } else { 0 };
            let bubble = (many.in_stalls - first_wait) as f64 / 7.0;
            println!(
                "| {n}x{n} {name}, tiles of {len} beats | one tile {} cycles; back to back {per_tile:.1} cycles/tile, bubble {bubble:.1} cycles/tile |",
                one.cycles
            );
        }
    }
}
