//! Simulator speed on the systolic array alone: random input vectors streamed through the
//! engine, every input poked each cycle, one output peeked. Shared by `seedchip bench` and
//! the `foundation` bench.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rtl_gen::sim::Simulator;
use std::time::Instant;

/// Stream `cycles` random input vectors through a `rows`-row engine (`<name>_systolic_array`)
/// in `sim`, keeping every channel busy; returns cycles per second of wall time.
pub fn stream_engine(sim: &mut dyn Simulator, rows: u32, cycles: u64) -> Result<f64, String> {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let ports =
        (0..rows).map(|k| sim.port(&format!("a_r{k}_i")).map_err(|e| e.to_string())).collect::<Result<Vec<_>, _>>()?;
    let valid = sim.port("in_valid_i").map_err(|e| e.to_string())?;
    let out = sim.port("c_c0_o").map_err(|e| e.to_string())?;
    sim.reset(2);
    // Keep every channel busy: weight rows always offered, outputs always taken.
    sim.set("out_ready_i", 1);
    if sim.port("w_valid_i").is_ok() {
        sim.set("w_valid_i", 1);
    }
    let t0 = Instant::now();
    let mut sink = 0u64;
    for _ in 0..cycles {
        sim.poke(valid, &rtl_gen::Bits::from_u64(1, 1)).map_err(|e| e.to_string())?;
        for p in &ports {
            sim.poke(*p, &rtl_gen::Bits::from_u64(rng.gen::<u8>().into(), 8)).map_err(|e| e.to_string())?;
        }
        sim.step();
        sink ^= sim.peek(out).to_u64();
    }
    std::hint::black_box(sink);
    Ok(cycles as f64 / t0.elapsed().as_secs_f64())
}

/// The median of `v` (the upper one of the two middle values for an even count); 0 when
/// empty.
pub fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_takes_the_middle_value() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 3.0);
        assert_eq!(median(vec![]), 0.0);
    }

    #[test]
    fn the_interpreter_streams_through_a_2x2_engine() {
        let cfg = ip_blocks::config::ArrayConfig::new(2, 2);
        let mut d = rtl_gen::Design::new();
        let top = ip_blocks::blocks::systolic_array::build(&mut d, "sc", &cfg).unwrap();
        let mut sim = rtl_gen::sim::Interp::new(&d, top).unwrap();
        let speed = stream_engine(&mut sim, 2, 200).unwrap();
        assert!(speed.is_finite() && speed > 0.0);
        assert!(sim.cycle() >= 200, "one cycle per vector");
    }
}
