//! Driver for the systolic array block: load a weight tile, stream input vectors, and
//! collect output vectors, on any [`Simulator`]. The reference it is checked against is
//! [`reference_matmul`], a plain triple loop.

use ip_blocks::config::ArrayConfig;
use rtl_gen::sim::Simulator;

/// C = A x B with A of M x K and B of K x N, in i64 (no overflow for the supported widths).
pub fn reference_matmul(a: &[Vec<i64>], b: &[Vec<i64>]) -> Vec<Vec<i64>> {
    let n = b.first().map_or(0, |r| r.len());
    a.iter().map(|row| (0..n).map(|j| row.iter().zip(b).map(|(x, brow)| x * brow[j]).sum()).collect()).collect()
}

/// What a run of the array produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArrayRun {
    /// Output vectors in the order they left the array.
    pub c: Vec<Vec<i64>>,
    /// For each output, cycles between its input entering and it leaving.
    pub latencies: Vec<u64>,
    /// Clock cycles the whole run took (weight load included).
    pub cycles: u64,
}

/// Load `b` (rows x cols, last row first) as the weight tile, stream the rows of `a`
/// (each `rows` long) with a bubble wherever `bubbles[m]` is true before row m, and
/// collect every output vector. Panics with the cycle number if an output is missing.
pub fn run_array(
    sim: &mut dyn Simulator,
    cfg: &ArrayConfig,
    a: &[Vec<i64>],
    b: &[Vec<i64>],
    bubbles: &[bool],
) -> ArrayRun {
    let (rows, cols) = (cfg.rows as usize, cfg.cols as usize);
    assert!(b.len() == rows && b.iter().all(|r| r.len() == cols), "B must be rows x cols");
    assert!(a.iter().all(|r| r.len() == rows), "each row of A must have `rows` elements");
    let start = sim.cycle();
    sim.set("in_valid_i", 0);
    sim.set("w_load_i", 0);
    sim.reset(2);
    sim.set("w_load_i", 1);
    for k in (0..rows).rev() {
        for (n, w) in b[k].iter().enumerate() {
            sim.set(&format!("w_c{n}_i"), *w);
        }
        sim.step();
    }
    sim.set("w_load_i", 0);

    let mut entered = Vec::new();
    let mut c = Vec::new();
    let mut latencies = Vec::new();
    let collect = |sim: &mut dyn Simulator, c: &mut Vec<Vec<i64>>, lat: &mut Vec<u64>, entered: &[u64]| {
        if sim.get("out_valid_o") == 1 {
            let v: Vec<i64> = (0..cols).map(|n| sim.get_signed(&format!("c_c{n}_o"))).collect();
            lat.push(sim.cycle() - entered[c.len()]);
            c.push(v);
        }
    };
    for (m, row) in a.iter().enumerate() {
        if bubbles.get(m).copied().unwrap_or(false) {
            sim.set("in_valid_i", 0);
            sim.step();
            collect(sim, &mut c, &mut latencies, &entered);
        }
        sim.set("in_valid_i", 1);
        for (k, x) in row.iter().enumerate() {
            sim.set(&format!("a_r{k}_i"), *x);
        }
        entered.push(sim.cycle());
        sim.step();
        collect(sim, &mut c, &mut latencies, &entered);
    }
    sim.set("in_valid_i", 0);
    let limit = sim.cycle() + u64::from(cfg.rows + cfg.cols) + 4;
    while c.len() < a.len() {
        assert!(
            sim.cycle() < limit,
            "cycle {}: only {} of {} output vectors left the array",
            sim.cycle(),
            c.len(),
            a.len()
        );
        sim.step();
        collect(sim, &mut c, &mut latencies, &entered);
    }
    ArrayRun { c, latencies, cycles: sim.cycle() - start }
}
