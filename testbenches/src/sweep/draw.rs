//! What a sweep checks: random valid configurations drawn from (seed, index), the seed
//! of the programs each one runs, and the shards that split a sweep across machines.

use ip_blocks::config::{AccumulatorConfig, ArrayConfig, ControllerConfig, Dataflow, DmaConfig, ScratchpadConfig};
use ip_blocks::Config;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rtl_gen::ir::clog2;
use std::fmt;
use std::str::FromStr;

/// One slice of a sweep: configurations `i` with `i % count == index - 1`, so that `N`
/// machines given `1/N` .. `N/N` run every configuration exactly once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This shard, 1 to `count`.
    pub index: u32,
    /// Number of shards, at least 1.
    pub count: u32,
}

impl Shard {
    /// The whole sweep in one shard.
    pub const ALL: Shard = Shard { index: 1, count: 1 };

    /// True when configuration `i` belongs to this shard.
    pub fn contains(&self, i: u32) -> bool {
        i % self.count == self.index - 1
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    /// `I/N`, with `1 <= I <= N`.
    fn from_str(s: &str) -> Result<Shard, String> {
        let help = "write I/N with 1 <= I <= N, e.g. --shard 2/4 for the second of four machines";
        let (i, n) = s.split_once('/').ok_or_else(|| format!("shard `{s}` is not I/N: {help}"))?;
        let num = |what: &str, v: &str| {
            v.trim().parse::<u32>().map_err(|_| format!("shard `{s}`: {what} `{v}` is not a whole number: {help}"))
        };
        let (index, count) = (num("I", i)?, num("N", n)?);
        if count == 0 {
            return Err(format!("shard `{s}`: N must be at least 1: {help}"));
        }
        if index == 0 || index > count {
            return Err(format!("shard `{s}`: I must be 1 to {count} (shards count from 1): {help}"));
        }
        Ok(Shard { index, count })
    }
}

/// Configuration `index` of the sweep with seed `seed`: a random valid configuration,
/// small enough that its Verilator build stays quick (arrays up to 8 PEs on a side, a
/// few hundred local rows), covering square, non-square, `1xN` and `Nx1` arrays, input
/// widths 4 to 16 bits, accumulator widths from the least the array needs to 48 bits,
/// every DMA data width, in-flight bursts from 1 to 16, every controller queue depth,
/// with and without the scoreboard, 64- and 32-bit performance counters, every dataflow,
/// DSP/soft multiplier mixes and the three requantizers (`requant_dsps` 0, 1 or 4).
pub fn random_config(seed: u64, index: u32) -> Config {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(u64::from(index));
    let (rows, cols) = match rng.gen_range(0..4) {
        0 => (1, rng.gen_range(2..=8)),
        1 => (rng.gen_range(2..=8), 1),
        2 => {
            let r = rng.gen_range(2..=5);
            let c = loop {
                let c = rng.gen_range(2..=5);
                if c != r {
                    break c;
                }
            };
            (r, c)
        }
        _ => {
            let n = rng.gen_range(1..=4);
            (n, n)
        }
    };
    let input_bits = if rng.gen_bool(0.4) { 8 } else { rng.gen_range(4..=16) };
    let need = 2 * input_bits + clog2(rows.into());
    let acc_bits = if need <= 32 && rng.gen_bool(0.3) { 32 } else { rng.gen_range(need.max(16)..=48) };
    let dataflow = *[Dataflow::Ws, Dataflow::Os, Dataflow::Both].choose(&mut rng).expect("not empty");
    let dsp_multipliers = rng.gen_bool(0.5).then(|| rng.gen_range(0..=rows * cols));
    let mut cfg = Config {
        name: format!("sweep_{seed}_{index}"),
        array: ArrayConfig { rows, cols, input_bits, acc_bits, dataflow, dsp_multipliers, broadcast: false },
        scratchpad: ScratchpadConfig {
            banks: rng.gen_range(1..=4),
            rows_per_bank: *[16, 20, 32, 48, 64].choose(&mut rng).expect("not empty"),
            read_latency: 1,
        },
        accumulator: AccumulatorConfig {
            rows: *[16, 24, 32, 64, 100, 128].choose(&mut rng).expect("not empty"),
            requant_dsps: 4,
            read_latency: 1,
            product_stages: 1,
            read_out_registered: false,
        },
        dma: DmaConfig {
            data_bits: *[32, 64, 128, 256].choose(&mut rng).expect("not empty"),
            outstanding: *[1, 2, 3, 4, 8, 16].choose(&mut rng).expect("not empty"),
            local_read_registered: false,
        },
        // Drawn last, so the draws before them are those of the sweeps before they existed.
        controller: {
            let queue_depth = *[2, 4, 8, 16].choose(&mut rng).expect("not empty");
            let counter_bits = *[64, 32].choose(&mut rng).expect("not empty");
            let scoreboard = rng.gen_bool(0.7);
            let queue_depth = if !scoreboard && rng.gen_bool(0.3) { 1 } else { queue_depth };
            ControllerConfig { queue_depth, counter_bits, scoreboard, engine_out_registered: false }
        },
    };
    // Drawn last, so that the draws above are those of earlier sweeps.
    cfg.accumulator.requant_dsps = *[0, 1, 4].choose(&mut rng).expect("not empty");
    // Broadcast rows (weight-stationary only, PE pairs within a row), drawn after that.
    let pairs_split = cols % 2 == 1 && cfg.array.dsp_pes() >= 2;
    cfg.array.broadcast = dataflow == Dataflow::Ws && !pairs_split && rng.gen_bool(0.4);
    // The scratchpad's output register, drawn after that.
    cfg.scratchpad.read_latency = if rng.gen_bool(0.3) { 2 } else { 1 };
    // The accumulator's block-RAM output register and the two-stage product, after that.
    cfg.accumulator.read_latency = if rng.gen_bool(0.3) { 2 } else { 1 };
    let two_stages = rng.gen_bool(0.5) && cfg.accumulator.requant_dsps == 4;
    cfg.accumulator.product_stages = if two_stages { 2 } else { 1 };
    // The registered local-read handshakes (compact DMA only), after that.
    cfg.dma.local_read_registered = cfg.dma.outstanding == 1 && rng.gen_bool(0.5);
    // The read-out's register stage after the block RAM, after that.
    cfg.accumulator.read_out_registered = rng.gen_bool(0.3);
    // The engine's registered output stage, after that.
    cfg.controller.engine_out_registered = rng.gen_bool(0.3);
    debug_assert!(cfg.validate("sweep").is_ok(), "random_config drew an invalid configuration:\n{}", cfg.to_toml());
    cfg
}

/// The seed of the programs a configuration runs: a hash (FNV-1a) of its TOML, so that
/// a replay from the TOML alone runs the very same programs.
pub fn program_seed(cfg: &Config) -> u64 {
    cfg.to_toml().bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn random_configs_are_valid_and_cover_every_option() {
        let mut shapes = HashSet::new();
        let (mut one_by_n, mut n_by_one, mut non_square) = (0, 0, 0);
        let mut seen = HashSet::new();
        for i in 0..500 {
            let cfg = random_config(7, i);
            cfg.validate("sweep").unwrap_or_else(|e| panic!("configuration {i}: {e}"));
            let a = &cfg.array;
            assert!(a.rows <= 8 && a.cols <= 8, "configuration {i} is too large for a quick build");
            shapes.insert((a.rows, a.cols));
            one_by_n += (a.rows == 1 && a.cols > 1) as u32;
            n_by_one += (a.cols == 1 && a.rows > 1) as u32;
            non_square += (a.rows != a.cols) as u32;
            seen.insert(format!("dataflow {:?}", a.dataflow));
            seen.insert(format!("input_bits {}", a.input_bits));
            seen.insert(format!("data_bits {}", cfg.dma.data_bits));
            seen.insert(format!("outstanding {}", cfg.dma.outstanding));
            seen.insert(format!("queue_depth {}", cfg.controller.queue_depth));
            seen.insert(format!("counter_bits {}", cfg.controller.counter_bits));
            seen.insert(format!("scoreboard {}", cfg.controller.scoreboard));
            seen.insert(format!("banks {}", cfg.scratchpad.banks));
            seen.insert(format!("dsp {}", a.dsp_multipliers.is_some()));
            seen.insert(format!("requant_dsps {}", cfg.accumulator.requant_dsps));
            seen.insert(format!("broadcast {}", a.broadcast));
            seen.insert(format!("read_latency {}", cfg.scratchpad.read_latency));
            seen.insert(format!("acc read_latency {}", cfg.accumulator.read_latency));
            seen.insert(format!("product_stages {}", cfg.accumulator.product_stages));
            seen.insert(format!("local_read_registered {}", cfg.dma.local_read_registered));
            seen.insert(format!("read_out_registered {}", cfg.accumulator.read_out_registered));
            seen.insert(format!("engine_out_registered {}", cfg.controller.engine_out_registered));
            if a.acc_bits == 2 * a.input_bits + clog2(a.rows.into()) {
                seen.insert("acc_bits at its least".into());
            }
        }
        assert!(one_by_n > 50 && n_by_one > 50 && non_square > 250, "{one_by_n} {n_by_one} {non_square}");
        assert!(shapes.len() > 20, "{shapes:?}");
        for want in ["dataflow Ws", "dataflow Os", "dataflow Both", "input_bits 4", "input_bits 16", "data_bits 32"] {
            assert!(seen.contains(want), "no configuration with {want}");
        }
        for want in ["data_bits 256", "outstanding 1", "queue_depth 1", "queue_depth 2", "queue_depth 16", "banks 4"] {
            assert!(seen.contains(want), "no configuration with {want}");
        }
        for want in ["broadcast false", "broadcast true", "read_latency 1", "read_latency 2", "acc read_latency 1"] {
            assert!(seen.contains(want), "no configuration with {want}");
        }
        for want in ["acc read_latency 2", "product_stages 1", "product_stages 2", "local_read_registered true"] {
            assert!(seen.contains(want), "no configuration with {want}");
        }
        for want in ["read_out_registered false", "read_out_registered true", "engine_out_registered true"] {
            assert!(seen.contains(want), "no configuration with {want}");
        }
        for want in ["dsp false", "dsp true", "scoreboard false", "scoreboard true", "acc_bits at its least"] {
            assert!(seen.contains(want), "no configuration with {want}");
        }
        assert!(seen.contains("dsp true") && seen.contains("acc_bits at its least"));
        assert!(seen.contains("counter_bits 64") && seen.contains("counter_bits 32"));
        assert!(["requant_dsps 0", "requant_dsps 1", "requant_dsps 4"].iter().all(|k| seen.contains(*k)));
    }

    #[test]
    fn random_configs_depend_on_seed_and_index_only() {
        assert_eq!(random_config(3, 9), random_config(3, 9));
        assert_ne!(random_config(3, 9).array, random_config(4, 9).array);
        let a: Vec<_> = (0..10).map(|i| random_config(3, i).to_toml()).collect();
        assert_eq!(a.iter().collect::<HashSet<_>>().len(), 10);
        assert_eq!(program_seed(&random_config(3, 9)), program_seed(&random_config(3, 9)));
    }

    #[test]
    fn shards_split_a_sweep_exactly_once() {
        let shards: Vec<Shard> = (1..=4).map(|i| format!("{i}/4").parse().unwrap()).collect();
        for i in 0..50 {
            assert_eq!(shards.iter().filter(|s| s.contains(i)).count(), 1, "configuration {i}");
        }
        assert!((0..50).all(|i| Shard::ALL.contains(i)));
        assert_eq!(" 3 / 4 ".trim().parse::<Shard>().unwrap(), Shard { index: 3, count: 4 });
    }

    #[test]
    fn bad_shards_are_refused_with_the_rule() {
        for (bad, needle) in [
            ("0/4", "I must be 1 to 4"),
            ("5/4", "I must be 1 to 4"),
            ("1/0", "N must be at least 1"),
            ("2", "is not I/N"),
            ("a/4", "`a` is not a whole number"),
            ("1/-2", "`-2` is not a whole number"),
            ("", "is not I/N"),
        ] {
            let e = bad.parse::<Shard>().unwrap_err();
            assert!(e.contains(needle) && e.contains("1 <= I <= N"), "{bad}: {e}");
        }
    }
}
