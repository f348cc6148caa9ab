//! The accumulator memory against its Rust model (rows of accumulators, read-out through
//! `ip_blocks::quant::requantize`) on the IR interpreter and on Verilator: random
//! writes and accumulates (same-row back to back included), raw and requantized reads
//! with random stalls on both channels, random and edge requantization parameters; the
//! documented hazards, latencies and throughput; and the two engines cycle by cycle; with
//! each requantizer (the 32x32 product, the serial 16x16 one, the Booth one in logic).

use ip_blocks::blocks::accumulator::{self, raw_latency, requant_cycles, requant_latency, AccumulatorParams};
use ip_blocks::quant::{wrap, Activation, RequantParams};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rtl_gen::sim::{Interp, Simulator};
use rtl_gen::Design;
use testbenches::accumulator::{fill, random_value, run_random, AccBench, ReadReq, Readout, Traffic, WriteBeat};
use testbenches::lockstep::run_lockstep;

const CONFIGS: [AccumulatorParams; 4] = [
    AccumulatorParams {
        rows: 16,
        cols: 4,
        acc_bits: 32,
        out_bits: 8,
        requant_dsps: 4,
        read_latency: 1,
        product_stages: 1,
        read_ready_registered: false,
        read_out_registered: false,
    },
    AccumulatorParams {
        rows: 16,
        cols: 3,
        acc_bits: 20,
        out_bits: 6,
        requant_dsps: 4,
        read_latency: 1,
        product_stages: 1,
        read_ready_registered: false,
        read_out_registered: false,
    },
    // Wider than int32 (saturation before the multiply), rows not a power of two.
    AccumulatorParams {
        rows: 20,
        cols: 2,
        acc_bits: 40,
        out_bits: 16,
        requant_dsps: 4,
        read_latency: 1,
        product_stages: 1,
        read_ready_registered: false,
        read_out_registered: false,
    },
    // The corners: one column (no column counters), 64-bit accumulators, 32-bit outputs.
    AccumulatorParams {
        rows: 2,
        cols: 1,
        acc_bits: 64,
        out_bits: 32,
        requant_dsps: 4,
        read_latency: 1,
        product_stages: 1,
        read_ready_registered: false,
        read_out_registered: false,
    },
];

/// The same shapes with the serial requantizer (one 16x16 product used four times).
const SERIAL: [AccumulatorParams; 4] = [
    AccumulatorParams { requant_dsps: 1, ..CONFIGS[0] },
    AccumulatorParams { requant_dsps: 1, ..CONFIGS[1] },
    AccumulatorParams { requant_dsps: 1, ..CONFIGS[2] },
    AccumulatorParams { requant_dsps: 1, ..CONFIGS[3] },
];

/// The same shapes with the Booth requantizer in logic (`requant_dsps` = 0, no DSP).
const BOOTH: [AccumulatorParams; 4] = [
    AccumulatorParams { requant_dsps: 0, ..CONFIGS[0] },
    AccumulatorParams { requant_dsps: 0, ..CONFIGS[1] },
    AccumulatorParams { requant_dsps: 0, ..CONFIGS[2] },
    AccumulatorParams { requant_dsps: 0, ..CONFIGS[3] },
];

/// The same shapes with the block RAM's output registered on the read-modify-write
/// (`read_latency` = 2): the 32x32 product in two stages, the serial and Booth ones.
const LATE: [AccumulatorParams; 6] = [
    AccumulatorParams { read_latency: 2, product_stages: 2, ..CONFIGS[0] },
    AccumulatorParams { read_latency: 2, product_stages: 2, ..CONFIGS[1] },
    AccumulatorParams { read_latency: 2, product_stages: 2, ..CONFIGS[2] },
    AccumulatorParams { read_latency: 2, product_stages: 2, ..CONFIGS[3] },
    AccumulatorParams { read_latency: 2, ..SERIAL[0] },
    AccumulatorParams { read_latency: 2, ..BOOTH[1] },
];

/// `rd_ready_o` from registers (`read_ready_registered`): a read waits until the row
/// before it has left the read register, with each requantizer.
const REGISTERED: [AccumulatorParams; 4] = [
    AccumulatorParams { read_ready_registered: true, ..CONFIGS[0] },
    AccumulatorParams { read_ready_registered: true, ..CONFIGS[3] },
    AccumulatorParams { read_ready_registered: true, ..SERIAL[1] },
    AccumulatorParams { read_ready_registered: true, ..BOOTH[2] },
];

/// A register stage after the read-out's block RAM (`read_out_registered`), with each
/// requantizer, the late read and the two-stage product, and with `rd_ready_o` from
/// registers.
const READ_OUT: [AccumulatorParams; 7] = [
    AccumulatorParams { read_out_registered: true, ..CONFIGS[0] },
    AccumulatorParams { read_out_registered: true, ..CONFIGS[3] },
    AccumulatorParams { read_out_registered: true, ..LATE[1] },
    AccumulatorParams { read_out_registered: true, ..SERIAL[2] },
    AccumulatorParams { read_out_registered: true, ..BOOTH[1] },
    AccumulatorParams { read_out_registered: true, ..REGISTERED[0] },
    AccumulatorParams { read_out_registered: true, ..REGISTERED[2] },
];

#[derive(Clone, Copy, Debug)]
enum Engine {
    Interp,
    Verilator,
}

fn simulator(p: AccumulatorParams, engine: Engine) -> Box<dyn Simulator> {
    let mut d = Design::new();
    let top = accumulator::build(&mut d, "sc", p).unwrap_or_else(|e| panic!("{e}"));
    match engine {
        Engine::Interp => Box::new(Interp::new(&d, top).expect("interpreter")),
        Engine::Verilator => Box::new(testbenches::verilate(&d, top).unwrap_or_else(|e| panic!("{e}")).instantiate()),
    }
}

fn out_max(p: &AccumulatorParams) -> i32 {
    ((1i64 << (p.out_bits - 1)) - 1) as i32
}

/// Edge read-outs: every extreme multiplier with shifts 0, 1 and 31, each activation,
/// and bias rows at the accumulator's extremes.
fn edge_readouts(p: &AccumulatorParams, rng: &mut ChaCha8Rng) -> Vec<Readout> {
    let multipliers = [i32::MIN, i32::MAX, 1 << 30, -(1 << 30), -1, 1, 0, 0x6000_0001];
    let shifts = [0, 31, 1];
    let activations = [Activation::None, Activation::Relu, Activation::Relu6];
    let amax = if p.acc_bits >= 64 { i64::MAX } else { (1i64 << (p.acc_bits - 1)) - 1 };
    let biases = [vec![0; p.cols as usize], vec![amax; p.cols as usize], vec![-amax - 1; p.cols as usize]];
    let mut out = Vec::new();
    for (i, m) in multipliers.iter().enumerate() {
        for (j, s) in shifts.iter().enumerate() {
            let activation = activations[(i + j) % 3];
            let relu6_max = match (i + j) % 4 {
                0 => 0,
                1 => out_max(p),
                _ => rng.gen_range(0..=out_max(p)),
            };
            let requant = RequantParams { multiplier: *m, shift: *s, activation, relu6_max };
            out.push(Readout { requant, bias: biases[(i + 2 * j) % 3].clone() });
        }
    }
    out
}

fn random_readout(p: &AccumulatorParams, rng: &mut ChaCha8Rng) -> Readout {
    let activation = [Activation::None, Activation::Relu, Activation::Relu6][rng.gen_range(0..3)];
    // Now and then a negative ReLU6 clamp: invalid, but the hardware must still agree.
    let relu6_max = if rng.gen_bool(0.1) { rng.gen_range(-out_max(p) - 1..0) } else { rng.gen_range(0..=out_max(p)) };
    let requant = RequantParams {
        multiplier: if rng.gen_bool(0.5) { rng.gen() } else { rng.gen_range(1 << 30..=i32::MAX) },
        shift: rng.gen_range(0..=31),
        activation,
        relu6_max,
    };
    let bias = (0..p.cols)
        .map(|_| if rng.gen_bool(0.5) { random_value(rng, p.acc_bits) } else { rng.gen_range(-1000..1000) })
        .collect();
    Readout { requant, bias }
}

/// Every edge read-out and `random` random ones, each with a burst of random traffic.
fn check(sim: &mut dyn Simulator, p: AccumulatorParams, seed: u64, random: usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut bench = AccBench::new(sim, p);
    let ctx = |e: Box<testbenches::accumulator::Failure>| panic!("{p:?}, seed {seed}: {e}");
    fill(&mut bench, &mut rng).unwrap_or_else(ctx);
    let mut readouts = edge_readouts(&p, &mut rng);
    readouts.extend((0..random).map(|_| random_readout(&p, &mut rng)));
    for ro in readouts {
        bench.set_readout(ro);
        run_random(&mut bench, &mut rng, 200, &Traffic::BUSY).unwrap_or_else(ctx);
        bench.drain(&mut rng, 0.8, 0.6, 2000).unwrap_or_else(ctx);
    }
    let s = bench.stats;
    assert!(s.raw_beats > 100 && s.q_beats > 100 && s.rd_stalls > 50 && s.wr_stalls > 10, "too little traffic: {s:?}");
}

#[test]
fn accumulator_matches_model_on_interpreter() {
    for (i, p) in CONFIGS.into_iter().enumerate() {
        check(&mut *simulator(p, Engine::Interp), p, i as u64, 150);
    }
}

#[test]
fn accumulator_matches_model_on_verilator() {
    for (i, p) in CONFIGS.into_iter().enumerate() {
        check(&mut *simulator(p, Engine::Verilator), p, 100 + i as u64, 150);
    }
}

#[test]
fn late_read_and_two_stage_product_match_model_on_interpreter() {
    for (i, p) in LATE.into_iter().enumerate() {
        check(&mut *simulator(p, Engine::Interp), p, 900 + i as u64, 150);
    }
}

#[test]
fn late_read_and_two_stage_product_match_model_on_verilator() {
    for (i, p) in LATE.into_iter().enumerate() {
        check(&mut *simulator(p, Engine::Verilator), p, 950 + i as u64, 150);
    }
}

#[test]
fn registered_read_ready_matches_model_on_interpreter() {
    for (i, p) in REGISTERED.into_iter().enumerate() {
        check(&mut *simulator(p, Engine::Interp), p, 1100 + i as u64, 150);
    }
}

#[test]
fn registered_read_ready_matches_model_on_verilator() {
    for (i, p) in REGISTERED.into_iter().enumerate() {
        check(&mut *simulator(p, Engine::Verilator), p, 1150 + i as u64, 150);
    }
}

#[test]
fn registered_read_out_matches_model_on_interpreter() {
    for (i, p) in READ_OUT.into_iter().enumerate() {
        check(&mut *simulator(p, Engine::Interp), p, 1200 + i as u64, 150);
    }
}

#[test]
fn registered_read_out_matches_model_on_verilator() {
    for (i, p) in READ_OUT.into_iter().enumerate() {
        check(&mut *simulator(p, Engine::Verilator), p, 1250 + i as u64, 150);
    }
}

#[test]
fn serial_requantizer_matches_model_on_interpreter() {
    for (i, p) in SERIAL.into_iter().enumerate() {
        check(&mut *simulator(p, Engine::Interp), p, 500 + i as u64, 300);
    }
}

#[test]
fn serial_requantizer_matches_model_on_verilator() {
    for (i, p) in SERIAL.into_iter().enumerate() {
        check(&mut *simulator(p, Engine::Verilator), p, 600 + i as u64, 300);
    }
}

#[test]
fn booth_requantizer_matches_model_on_interpreter() {
    for (i, p) in BOOTH.into_iter().enumerate() {
        check(&mut *simulator(p, Engine::Interp), p, 700 + i as u64, 300);
    }
}

#[test]
fn booth_requantizer_matches_model_on_verilator() {
    for (i, p) in BOOTH.into_iter().enumerate() {
        check(&mut *simulator(p, Engine::Verilator), p, 800 + i as u64, 300);
    }
}

/// Products at the corners of the serial requantizer's arithmetic, both forms: ties of
/// SRDHM (x * 2^30 for odd x) and of the rounding shift, `i32::MIN` times `i32::MIN`
/// (SRDHM's overflow), and products just around zero, for every sign combination.
fn directed_corners(p: AccumulatorParams, engine: Engine) {
    let (min, max) = (i64::from(i32::MIN), i64::from(i32::MAX));
    let values = [1, -1, 3, -3, 5, -5, 0, 2, -2, min, max, min + 1, 1 << 16, -(1 << 16), (1 << 15) - 1, -(1 << 15)];
    let multipliers = [i32::MIN, i32::MIN + 1, -(1 << 30), -3, -1, 0, 1, 3, 1 << 30, i32::MAX];
    directed(p, engine, &values, &multipliers, &[0, 1, 2, 15, 31]);
}

/// Every value requantized with every multiplier and shift (no bias, no activation).
fn directed(p: AccumulatorParams, engine: Engine, values: &[i64], multipliers: &[i32], shifts: &[u32]) {
    let mut sim = simulator(p, engine);
    let mut bench = AccBench::new(&mut *sim, p);
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let ok = |r: Result<(), Box<testbenches::accumulator::Failure>>| r.unwrap_or_else(|e| panic!("{p:?}: {e}"));
    let rows: Vec<Vec<i64>> = values
        .chunks(p.cols as usize)
        .map(|c| {
            let mut row: Vec<i64> = c.iter().map(|v| wrap(*v, p.acc_bits)).collect();
            row.resize(p.cols as usize, 0);
            row
        })
        .collect();
    for (addr, row) in rows.iter().enumerate() {
        ok(bench.cycle(Some(&WriteBeat { addr: addr as u32, accumulate: false, data: row.clone() }), false, true));
    }
    for &multiplier in multipliers {
        for &shift in shifts {
            let requant = RequantParams { multiplier, shift, activation: Activation::None, relu6_max: 0 };
            bench.set_readout(Readout { requant, bias: vec![0; p.cols as usize] });
            for addr in 0..rows.len() as u32 {
                bench.queue_read(ReadReq { addr, raw: false });
            }
            ok(bench.drain(&mut rng, 1.0, 0.8, 4000));
        }
    }
    assert_eq!(bench.stats.q_beats, (multipliers.len() * shifts.len() * rows.len()) as u64);
}

#[test]
fn requantizer_corners_match_model_on_interpreter() {
    // int8 out, and 32-bit out with 64-bit accumulators (every bit of the result seen).
    let wide = AccumulatorParams { rows: 16, ..CONFIGS[3] };
    for p in [CONFIGS[0], wide, SERIAL[0], AccumulatorParams { requant_dsps: 1, ..wide }] {
        directed_corners(p, Engine::Interp);
    }
}

#[test]
fn two_stage_product_corners_match_model_on_interpreter_and_verilator() {
    let wide = AccumulatorParams { rows: 16, ..LATE[3] };
    for p in [LATE[0], wide, READ_OUT[2]] {
        directed_corners(p, Engine::Interp);
        directed_corners(p, Engine::Verilator);
    }
}

#[test]
fn booth_requantizer_corners_match_model_on_interpreter_and_verilator() {
    let wide = AccumulatorParams { rows: 16, requant_dsps: 0, ..CONFIGS[3] };
    for p in [BOOTH[0], wide] {
        directed_corners(p, Engine::Interp);
        directed_corners(p, Engine::Verilator);
    }
}

/// The Booth requantizer's step digits (`D = d_2j + 4 d_2j+1`, four bits of `x32` and
/// the one below) at their extremes: every step -8 (`0x8888_8888`: -8 at the bottom, -7
/// above), +7 and +8, alternating signs, and carries through every pair, against the
/// extreme multipliers (the pair's adder and the running sum at their widest), with shifts
/// 0 and 31 and a rounding tie (`x * 2^30` for odd `x`, shift 1).
#[test]
fn booth_requantizer_step_digit_extremes_match_model_on_interpreter_and_verilator() {
    let values: Vec<i64> = [
        0x8888_8888u32,
        0x7777_7777,
        0x7FFF_FFFF,
        0x8000_0000,
        0xF0F0_F0F0,
        0x0F0F_0F0F,
        0x5555_5555,
        0xAAAA_AAAA,
        0x1234_5678,
        0xEDCB_A988,
        0x8000_0001,
        0xFFFF_FFF8,
        0x0000_0008,
        0x7878_7878,
        0x8787_8787,
        0xFFFF_FFFF,
    ]
    .iter()
    .map(|v| i64::from(*v as i32))
    .collect();
    let multipliers = [i32::MIN, i32::MIN + 1, i32::MAX, -(1 << 30), 1 << 30, 0, 1, -1, 0x5555_5555, -0x5555_5555];
    let wide = AccumulatorParams { rows: 16, requant_dsps: 0, ..CONFIGS[3] };
    for p in [BOOTH[0], wide] {
        directed(p, Engine::Interp, &values, &multipliers, &[0, 1, 31]);
        directed(p, Engine::Verilator, &values, &multipliers, &[0, 1, 31]);
    }
}

/// Back-to-back accumulates to one row (each waits a cycle behind the write to its row),
/// overwrites back to back (no wait), a read right behind them (stalled while the last
/// write is in flight), and a read in the same cycle as a write to its row (which
/// returns the old contents).
fn same_row_hazards(engine: Engine) {
    let p = CONFIGS[0];
    let mut sim = simulator(p, engine);
    let mut bench = AccBench::new(&mut *sim, p);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let ok = |r: Result<(), Box<testbenches::accumulator::Failure>>| r.unwrap_or_else(|e| panic!("{engine:?}: {e}"));
    ok(fill(&mut bench, &mut rng));
    let row = |v: i64| vec![v, -v, i64::from(i32::MAX), i64::from(i32::MIN)];
    let w = |addr, accumulate, v| WriteBeat { addr, accumulate, data: row(v) };
    // Overwrites back to back to one row: no wait.
    ok(bench.cycle(Some(&w(5, false, 9)), false, true));
    ok(bench.cycle(Some(&w(5, false, 1000)), false, true));
    assert_eq!(bench.stats.wr_stalls, 0, "{engine:?}");
    // Three accumulates offered back to back: each waits a cycle behind the write to its
    // row (the bench holds them in order), so they take 6 cycles.
    for v in [20, 3, 400] {
        ok(bench.cycle(Some(&w(5, true, v)), false, true));
    }
    for _ in 0..3 {
        ok(bench.cycle(None, false, true));
    }
    assert_eq!((bench.stats.writes, bench.stats.wr_stalls), (p.rows as u64 + 5, 3), "{engine:?}");
    // The read is offered right behind the last: no acceptance while it is in flight,
    // then it sees 1000 + 20 + 3 + 400 (and the wrapped extremes).
    bench.queue_read(ReadReq { addr: 5, raw: true });
    ok(bench.cycle(None, true, true));
    assert_eq!(bench.stats.rd_stalls, 1, "{engine:?}: the read waits for the write in flight");
    ok(bench.cycle(None, true, true));
    assert_eq!(bench.stats.reads, 1);
    assert_eq!(bench.model.row(5), [1423, -1423, wrap(4 * i64::from(i32::MAX), 32), 0]);
    // Same cycle: the read is accepted at once and returns the old row 6.
    bench.queue_read(ReadReq { addr: 6, raw: true });
    let old6 = bench.model.row(6).to_vec();
    ok(bench.cycle(Some(&w(6, false, 77)), true, true));
    assert_eq!((bench.stats.reads, bench.stats.rd_stalls), (2, 1));
    // And requantized reads of both rows after everything settled.
    bench.queue_read(ReadReq { addr: 5, raw: false });
    bench.queue_read(ReadReq { addr: 6, raw: false });
    ok(bench.drain(&mut rng, 1.0, 1.0, 100));
    assert_eq!((bench.stats.raw_beats, bench.stats.q_beats), (2, 2));
    assert_ne!(old6, bench.model.row(6));
}

/// Two accumulates to one row `distance` cycles apart (1 to 4), for each read latency:
/// the second waits until the first's write has landed (`read_latency + 1` cycles after
/// the first was taken), a row agreeing in the low address bits waits the same, and a
/// raw read right behind them waits for the last write; then random traffic with
/// stalls on every channel, and every row read back.
fn same_row_at_each_distance(engine: Engine) {
    for (k, p) in [CONFIGS[0], LATE[0], LATE[5]].into_iter().enumerate() {
        let mut sim = simulator(p, engine);
        let mut bench = AccBench::new(&mut *sim, p);
        let mut rng = ChaCha8Rng::seed_from_u64(20 + k as u64);
        let ok = |r: Result<(), Box<testbenches::accumulator::Failure>>| r.unwrap_or_else(|e| panic!("{p:?}: {e}"));
        ok(fill(&mut bench, &mut rng));
        let settle = |bench: &mut AccBench| {
            for _ in 0..4 {
                ok(bench.cycle(None, false, true));
            }
        };
        let busy = u64::from(p.read_latency) + 1; // cycles a write keeps its row from accumulates
        for distance in 1..=4u64 {
            for second in [5, 5 + (1 << accumulator::WR_HAZARD_BITS)] {
                settle(&mut bench);
                let stalls = bench.stats.wr_stalls;
                let a =
                    WriteBeat { addr: 5, accumulate: true, data: testbenches::accumulator::random_row(&mut rng, &p) };
                let b = WriteBeat {
                    addr: second,
                    accumulate: true,
                    data: testbenches::accumulator::random_row(&mut rng, &p),
                };
                ok(bench.cycle(Some(&a), false, true));
                for _ in 1..distance {
                    ok(bench.cycle(None, false, true));
                }
                ok(bench.cycle(Some(&b), false, true));
                while !bench.idle() {
                    ok(bench.cycle(None, false, true));
                }
                let want = busy.saturating_sub(distance);
                assert_eq!(bench.stats.wr_stalls - stalls, want, "{engine:?} {p:?}: distance {distance}, row {second}");
                // A raw read of the row right behind: it waits while the write is in flight.
                bench.queue_read(ReadReq { addr: second, raw: true });
                ok(bench.drain(&mut rng, 1.0, 1.0, 100));
            }
        }
        // Back-to-back accumulates to four hot rows under random stalls, then every row read.
        let t = Traffic { write: 0.9, accumulate: 0.9, hot: 0.9, ..Traffic::BUSY };
        ok(run_random(&mut bench, &mut rng, 600, &t));
        ok(bench.drain(&mut rng, 0.7, 0.6, 2000));
        for addr in 0..p.rows {
            bench.queue_read(ReadReq { addr, raw: true });
        }
        ok(bench.drain(&mut rng, 0.7, 0.6, 2000));
        assert!(bench.stats.wr_stalls > 50, "{p:?}: {:?}", bench.stats);
    }
}

#[test]
fn same_row_at_each_distance_on_interpreter() {
    same_row_at_each_distance(Engine::Interp);
}

#[test]
fn same_row_at_each_distance_on_verilator() {
    same_row_at_each_distance(Engine::Verilator);
}

#[test]
fn same_row_back_to_back_accumulates_and_reads_on_interpreter() {
    same_row_hazards(Engine::Interp);
}

#[test]
fn same_row_back_to_back_accumulates_and_reads_on_verilator() {
    same_row_hazards(Engine::Verilator);
}

/// Raw rows leave one per cycle, `raw_latency` after their read; requantized rows one
/// every `requant_cycles * cols` cycles, the first `requant_latency` after its read. With
/// `read_ready_registered` a read waits a cycle after the row before it has left: raw rows
/// one every 2 cycles, requantized rows a cycle apart more only with the one-cycle
/// requantizer (the serial ones take the next row before its first column's phase).
/// With `read_out_registered` every beat is a cycle later, raw rows still one per cycle
/// (1.5 cycles with `read_ready_registered`) and requantized rows back to back.
fn throughput_and_latency(engine: Engine) {
    for p in CONFIGS.into_iter().chain(SERIAL).chain(BOOTH).chain(LATE).chain(REGISTERED).chain(READ_OUT) {
        let mut sim = simulator(p, engine);
        let mut bench = AccBench::new(&mut *sim, p);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        fill(&mut bench, &mut rng).unwrap_or_else(|e| panic!("{e}"));
        let n = 8;
        for raw in [true, false] {
            let first = bench.beat_cycles.len();
            for i in 0..n {
                bench.queue_read(ReadReq { addr: (3 * i) % p.rows, raw });
            }
            bench.drain(&mut rng, 1.0, 1.0, 500).unwrap_or_else(|e| panic!("{e}"));
            let lat = &bench.latencies[first..];
            let cycles = &bench.beat_cycles[first..];
            let (want_lat, gap) =
                if raw { (raw_latency(&p), 1) } else { (requant_latency(&p), requant_cycles(&p) * p.cols) };
            // With the read-out's register stage the next requantized row waits in the
            // block RAM's read register, and raw rows alternate a cycle's gap and two.
            let wait = u32::from(p.read_ready_registered && (raw || requant_cycles(&p) == 1) && !p.read_out_registered);
            let gap = gap + wait;
            assert_eq!(lat[0].1, u64::from(want_lat), "{engine:?} {p:?} raw={raw}: first beat latency");
            let gaps: Vec<u64> = cycles.windows(2).map(|w| w[1] - w[0]).collect();
            if raw && p.read_ready_registered && p.read_out_registered {
                let alternating = gaps.windows(2).all(|w| w[0] + w[1] == 3 && w[0].min(w[1]) == 1);
                assert!(alternating, "{engine:?} {p:?} raw={raw}: beat gaps {gaps:?}");
            } else {
                assert!(gaps.iter().all(|g| *g == u64::from(gap)), "{engine:?} {p:?} raw={raw}: beat gaps {gaps:?}");
            }
        }
    }
}

#[test]
fn readout_throughput_and_latency_on_interpreter() {
    throughput_and_latency(Engine::Interp);
}

#[test]
fn readout_throughput_and_latency_on_verilator() {
    throughput_and_latency(Engine::Verilator);
}

#[test]
fn interpreter_and_verilator_agree_cycle_by_cycle_on_random_inputs() {
    for (i, p) in CONFIGS
        .into_iter()
        .chain([SERIAL[0], SERIAL[2], BOOTH[0], BOOTH[2], LATE[0], LATE[3], LATE[5], REGISTERED[0], REGISTERED[3]])
        .chain([READ_OUT[0], READ_OUT[2], READ_OUT[3], READ_OUT[5]])
        .enumerate()
    {
        let mut a = simulator(p, Engine::Interp);
        let mut b = simulator(p, Engine::Verilator);
        run_lockstep(&mut *a, &mut *b, ("interpreter", "verilator"), 3000, 40 + i as u64)
            .unwrap_or_else(|e| panic!("{p:?}: {e}"));
    }
}

#[test]
fn bad_parameters_name_the_parameter_and_range() {
    let mut d = Design::new();
    let bad = AccumulatorParams {
        rows: 1,
        cols: 0,
        acc_bits: 65,
        out_bits: 40,
        requant_dsps: 2,
        read_latency: 1,
        product_stages: 1,
        read_ready_registered: false,
        read_out_registered: false,
    };
    assert!(AccumulatorParams { requant_dsps: 0, ..CONFIGS[0] }.check("sc_accumulator").is_ok());
    let e = accumulator::build(&mut d, "sc", bad).unwrap_err().to_string();
    for want in [
        "`rows`",
        "1 is out of range: 2 to 65536",
        "`cols`",
        "`acc_bits`",
        "65",
        "`out_bits`",
        "2 to 32",
        "`requant_dsps`",
    ] {
        assert!(e.contains(want), "missing {want:?} in:\n{e}");
    }
    assert!(e.contains("sc_accumulator"), "{e}");
}
