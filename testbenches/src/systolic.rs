//! Driver for the matrix engine on any [`Simulator`]: feeds the `w` and `in` channels and
//! drains `out`, with random stalls on every handshake (valid held until taken, as AXI
//! requires), and collects what came out. The expected values come from
//! [`reference_matmul`], a plain triple loop.

use ip_blocks::config::ArrayConfig;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rtl_gen::sim::Simulator;

/// C = A x B with A of M x K and B of K x N, in i64.
pub fn reference_matmul(a: &[Vec<i64>], b: &[Vec<i64>]) -> Vec<Vec<i64>> {
    let n = b.first().map_or(0, |r| r.len());
    a.iter().map(|row| (0..n).map(|j| row.iter().zip(b).map(|(x, brow)| x * brow[j]).sum()).collect()).collect()
}

/// One tile of work for the engine.
#[derive(Clone, Debug)]
pub enum Tile {
    /// Weight-stationary: weights B (rows x cols) and input vectors A (M x rows).
    Ws { b: Vec<Vec<i64>>, a: Vec<Vec<i64>> },
    /// Output-stationary: A (rows x K) and B (K x cols).
    Os { a: Vec<Vec<i64>>, b: Vec<Vec<i64>> },
}

impl Tile {
    /// The output vectors the engine must give for this tile, in order.
    pub fn expected(&self) -> Vec<Vec<i64>> {
        match self {
            Tile::Ws { b, a } => reference_matmul(a, b),
            Tile::Os { a, b } => {
                let mut c = reference_matmul(a, b);
                c.reverse();
                c
            }
        }
    }
}

/// Probability, per cycle, that each side of a handshake is willing.
#[derive(Clone, Copy, Debug)]
pub struct Stalls {
    /// A waiting `in` beat is offered.
    pub in_valid: f64,
    /// A waiting `w` beat is offered.
    pub w_valid: f64,
    /// `out_ready_i` is high.
    pub out_ready: f64,
}

impl Stalls {
    /// No stalls at all.
    pub const NONE: Stalls = Stalls { in_valid: 1.0, w_valid: 1.0, out_ready: 1.0 };
}

/// What a run produced.
#[derive(Clone, Debug, Default)]
pub struct EngineRun {
    /// Output vectors with their `out_last_o`, in order.
    pub out: Vec<(Vec<i64>, bool)>,
    /// Cycles from the first `in` beat offered to the last output taken.
    pub cycles: u64,
    /// Cycles with an `in` beat offered and not taken.
    pub in_stalls: u64,
}

/// One beat of a channel: its data and last flag.
type Beat = (Vec<i64>, bool);

/// Run `tiles` (all of one mode, which must be the engine's or set by `mode_i`) through
/// the engine and drain every output. Panics with the cycle number if the engine stops
/// producing.
pub fn run_engine(sim: &mut dyn Simulator, cfg: &ArrayConfig, tiles: &[Tile], stalls: Stalls, seed: u64) -> EngineRun {
    let (rows, cols) = (cfg.rows as usize, cfg.cols as usize);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut w_beats: Vec<Beat> = Vec::new();
    let mut in_beats: Vec<(Vec<i64>, Vec<i64>, bool)> = Vec::new();
    let mut os = false;
    for t in tiles {
        match t {
            Tile::Ws { b, a } => {
                assert!(b.len() == rows && b.iter().all(|r| r.len() == cols), "B must be rows x cols");
                w_beats.extend(b.iter().map(|r| (r.clone(), false)));
                for (m, row) in a.iter().enumerate() {
                    assert_eq!(row.len(), rows);
                    in_beats.push((row.clone(), vec![0; cols], m + 1 == a.len()));
                }
            }
            Tile::Os { a, b } => {
                os = true;
                let k = b.len();
                assert!(a.len() == rows && a.iter().all(|r| r.len() == k), "A must be rows x K");
                for kk in 0..k {
                    let col: Vec<i64> = a.iter().map(|r| r[kk]).collect();
                    in_beats.push((col, b[kk].clone(), kk + 1 == k));
                }
            }
        }
    }
    let expected_out: usize = tiles.iter().map(|t| t.expected().len()).sum();
    if sim.port("mode_i").is_ok() {
        sim.set("mode_i", os as i64);
    }
    let has_w = sim.port("w_valid_i").is_ok();
    let has_b = sim.port("b_c0_i").is_ok();
    let (mut wi, mut ii) = (0usize, 0usize);
    let (mut w_offer, mut in_offer) = (false, false);
    let mut run = EngineRun::default();
    let start = sim.cycle();
    let limit = start + 200 + 20 * (in_beats.len() + w_beats.len() + expected_out) as u64 * (rows + cols) as u64;
    while run.out.len() < expected_out {
        assert!(
            sim.cycle() < limit,
            "cycle {}: the engine stopped; {} of {} output vectors, {} of {} in beats and {} of {} weight rows taken",
            sim.cycle(),
            run.out.len(),
            expected_out,
            ii,
            in_beats.len(),
            wi,
            w_beats.len()
        );
        // Offer beats (held until taken) and decide readiness for this cycle.
        w_offer = wi < w_beats.len() && (w_offer || rng.gen_bool(stalls.w_valid));
        in_offer = ii < in_beats.len() && (in_offer || rng.gen_bool(stalls.in_valid));
        let out_ready = rng.gen_bool(stalls.out_ready);
        if has_w {
            sim.set("w_valid_i", w_offer as i64);
            if let Some((row, _)) = w_beats.get(wi) {
                for (n, v) in row.iter().enumerate() {
                    sim.set(&format!("w_c{n}_i"), *v);
                }
            }
        }
        sim.set("in_valid_i", in_offer as i64);
        if let Some((a, b, last)) = in_beats.get(ii) {
            for (k, v) in a.iter().enumerate() {
                sim.set(&format!("a_r{k}_i"), *v);
            }
            if has_b {
                for (n, v) in b.iter().enumerate() {
                    sim.set(&format!("b_c{n}_i"), *v);
                }
            }
            sim.set("in_last_i", *last as i64);
        }
        sim.set("out_ready_i", out_ready as i64);
        let w_fire = w_offer && has_w && sim.get("w_ready_o") == 1;
        let in_fire = in_offer && sim.get("in_ready_o") == 1;
        if in_offer && !in_fire {
            run.in_stalls += 1;
        }
        if out_ready && sim.get("out_valid_o") == 1 {
            let v: Vec<i64> = (0..cols).map(|n| sim.get_signed(&format!("c_c{n}_o"))).collect();
            run.out.push((v, sim.get("out_last_o") == 1));
        }
        sim.step();
        if w_fire {
            wi += 1;
            w_offer = false;
        }
        if in_fire {
            ii += 1;
            in_offer = false;
        }
    }
    sim.set("in_valid_i", 0);
    if has_w {
        sim.set("w_valid_i", 0);
    }
    run.cycles = sim.cycle() - start;
    run
}

/// Check a run against the tiles: every vector and every last flag.
pub fn check_run(run: &EngineRun, tiles: &[Tile], what: &str) {
    let mut i = 0;
    for (t, tile) in tiles.iter().enumerate() {
        let exp = tile.expected();
        for (m, e) in exp.iter().enumerate() {
            let (got, last) = &run.out[i];
            assert_eq!(got, e, "{what}: tile {t}, output vector {m}: expected {e:?}, got {got:?}");
            assert_eq!(*last, m + 1 == exp.len(), "{what}: tile {t}, output vector {m}: out_last_o");
            i += 1;
        }
    }
}

/// Random int`bits` matrix of `r` x `c`.
pub fn random_matrix(rng: &mut ChaCha8Rng, r: usize, c: usize, bits: u32) -> Vec<Vec<i64>> {
    let (lo, hi) = (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1);
    (0..r)
        .map(|_| {
            (0..c)
                .map(|_| match rng.gen_range(0..10) {
                    0 => lo,
                    1 => hi,
                    2 => 0,
                    _ => rng.gen_range(lo..=hi),
                })
                .collect()
        })
        .collect()
}
