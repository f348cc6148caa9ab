use super::*;
use crate::isa::{parse_program, LocalAddr, Space};
use crate::model::Model;
use crate::quant::Activation;

fn config(text: &str) -> Config {
    Config::from_toml(text, "test").expect("valid test configuration")
}

/// A `rows` x `cols` array with `banks` x `rows_per_bank` scratchpad rows and `acc` rows.
fn small(rows: u32, cols: u32, dataflow: &str, banks: u32, rows_per_bank: u32, acc: u32) -> Config {
    config(&format!(
        "[array]\nrows = {rows}\ncols = {cols}\ndataflow = \"{dataflow}\"\n\
         [scratchpad]\nbanks = {banks}\nrows_per_bank = {rows_per_bank}\n[accumulator]\nrows = {acc}\n"
    ))
}

fn requant(activation: Activation) -> RequantParams {
    RequantParams { multiplier: 1_518_500_250, shift: 9, activation, relu6_max: 60 }
}

/// Tile, run on the golden model, and compare C with the reference; returns the tiling.
fn check(cfg: &Config, spec: &MatmulSpec, mode: Mode, seed: u64) -> TiledMatmul {
    let g = cfg.geometry();
    let t = tile_matmul_with(cfg, spec, 0x4000 + 12, mode).expect("the shape tiles");
    let l = &t.layout;
    // Every region is 64-byte aligned, in order, and inside the layout's bytes.
    let end = u64::from(l.base) + u64::from(l.bytes);
    let regions = [l.a, l.b, l.bias, l.c];
    assert!(regions.iter().all(|r| r % 64 == 0 && *r >= l.base), "{l:?}");
    assert!(regions.windows(2).all(|w| w[0] < w[1]), "{l:?}");
    assert_eq!(u64::from(l.c) + u64::from(spec.m) * u64::from(l.c_stride), end);
    let (a, b, bias) = random_matmul(spec, cfg, seed);
    let mut mem = t.memory(&a, &b, &bias);
    let outcome = Model::new(cfg).run(&t.words(), &mut mem, l.window());
    let what = format!("{}x{}x{} {mode:?} on {}x{}", spec.m, spec.k, spec.n, g.rows, g.cols);
    assert!(outcome.is_clean(), "{what}: {outcome:?}");
    assert_eq!(t.read_c(&mem), reference_matmul(spec, g.acc_bits, g.input_bits, &a, &b, &bias), "{what}");
    t
}

const SHAPES: [(u32, u32, u32); 8] =
    [(1, 1, 1), (17, 33, 9), (5, 7, 3), (64, 64, 64), (3, 100, 2), (40, 5, 70), (2, 1, 33), (70, 9, 1)];

#[test]
fn every_shape_matches_the_reference_on_every_configuration() {
    let configs = [
        (Config::preset("ice40").unwrap(), Mode::Ws),
        (Config::preset("ecp5").unwrap(), Mode::Ws),
        (Config::preset("ecp5").unwrap(), Mode::Os),
        (small(3, 5, "both", 2, 64, 64), Mode::Ws),
        (small(3, 5, "both", 2, 64, 64), Mode::Os),
        (small(5, 3, "os", 4, 16, 32), Mode::Os),
        // One bank: A and B share it; 16 accumulator rows: the bias goes through a ring.
        (small(2, 3, "ws", 1, 64, 16), Mode::Ws),
        (small(4, 4, "os", 1, 32, 16), Mode::Os),
    ];
    let activations = [Activation::None, Activation::Relu, Activation::Relu6];
    for (i, (cfg, mode)) in configs.iter().enumerate() {
        for (j, &(m, k, n)) in SHAPES.iter().enumerate() {
            let spec = MatmulSpec { m, k, n, bias: (i + j) % 2 == 0, requant: requant(activations[(i + j) % 3]) };
            check(cfg, &spec, *mode, (i * 100 + j) as u64);
        }
    }
}

#[test]
fn sixteen_bit_inputs_and_forty_bit_accumulators() {
    let cfg = config(
        "[array]\nrows = 3\ncols = 2\ninput_bits = 16\nacc_bits = 40\ndataflow = \"both\"\n\
         [scratchpad]\nbanks = 2\nrows_per_bank = 64\n[accumulator]\nrows = 32\n[dma]\ndata_bits = 32\n",
    );
    let requant = RequantParams { multiplier: 1 << 30, shift: 20, activation: Activation::None, relu6_max: 0 };
    for (m, k, n) in [(9, 13, 5), (1, 40, 7)] {
        for (mode, bias) in [(Mode::Ws, true), (Mode::Os, false), (Mode::Ws, false)] {
            let t = check(&cfg, &MatmulSpec { m, k, n, bias, requant }, mode, u64::from(m * k));
            assert_eq!(t.layout.b_stride % 4, 0, "rows padded to the 32-bit beat");
        }
    }
}

#[test]
fn the_serial_requantizer_slows_the_read_out_not_the_matmul() {
    // One requantized column every 4 cycles: a 4-column row every 16 cycles, still less
    // than the 32 cycles a 4x4 engine spends on the 8 row-tiles of K = 128 behind it.
    let mut cfg = Config::preset("ice40").unwrap();
    let spec = MatmulSpec { m: 128, k: 128, n: 128, bias: true, requant: requant(Activation::Relu) };
    let g = cfg.geometry();
    let t = check(&cfg, &spec, Mode::Ws, 5);
    let wide = timing::estimate(&g, &t.program, &timing::TimingParams::for_config(&cfg));
    cfg.accumulator.requant_dsps = 1;
    let serial = timing::estimate(&g, &t.program, &timing::TimingParams::for_config(&cfg));
    assert_eq!(timing::TimingParams::for_config(&cfg).requant_cycles, 4);
    let mut booth = cfg.clone();
    booth.accumulator.requant_dsps = 0;
    assert_eq!(timing::TimingParams::for_config(&booth).requant_cycles, 8);
    let (uw, us) = (wide.utilization(&g, t.macs()), serial.utilization(&g, t.macs()));
    assert!(serial.cycles > wide.cycles, "{} vs {}", serial.cycles, wide.cycles);
    assert!(us >= 0.95, "estimated utilization {us:.4} with the serial requantizer ({uw:.4} without)");
    // A matmul whose K is one tile is read-out bound: 4 cycles per element.
    let spec = MatmulSpec { m: 64, k: 4, n: 64, bias: false, requant: requant(Activation::None) };
    let t = check(&cfg, &spec, Mode::Ws, 5);
    let serial = timing::estimate(&g, &t.program, &timing::TimingParams::for_config(&cfg));
    assert!(serial.cycles >= 64 * 64 * 4, "{}", serial.cycles);
}

#[test]
fn presets_multiply_128_cubed_exactly_and_fast_enough() {
    for (preset, chunk_rows) in [("ice40", 16), ("ecp5", 128)] {
        let cfg = Config::preset(preset).unwrap();
        let g = cfg.geometry();
        let spec = MatmulSpec { m: 128, k: 128, n: 128, bias: true, requant: requant(Activation::Relu) };
        let t = check(&cfg, &spec, Mode::Ws, 5);
        let s = &t.schedule;
        assert_eq!(s.chunk_rows, chunk_rows, "{preset}:\n{t}");
        // A and B in different banks: the input and weight feeders read in the same cycle.
        assert!(s.a_banks.1 < s.b_banks.0, "{preset}:\n{t}");
        let e = timing::estimate(&g, &t.program, &timing::TimingParams::default());
        let u = e.utilization(&g, t.macs());
        assert!(u >= 0.97, "{preset}: estimated utilization {u:.4}\n{t}");
        assert_eq!(e.engine_busy * g.macs_per_cycle(), 128 * 128 * 128);
    }
}

#[test]
fn weight_stationary_programs_alternate_preload_and_compute_with_long_computes() {
    let cfg = Config::preset("ecp5").unwrap();
    let spec = MatmulSpec { m: 128, k: 128, n: 128, bias: false, requant: requant(Activation::None) };
    let t = tile_matmul(&cfg, &spec, 0).unwrap();
    let exec: Vec<&Instr> = t
        .program
        .iter()
        .filter(|i| {
            matches!(
                i,
                Instr::Compute { .. } | Instr::Preload { local: LocalAddr { space: Space::Scratchpad, .. }, .. }
            )
        })
        .collect();
    for pair in exec.chunks(2) {
        assert!(
            matches!(pair, [Instr::Preload { .. }, Instr::Compute { count, .. }] if u32::from(*count) >= 16),
            "{pair:?}"
        );
    }
    // Counted as the summary says.
    let c = t.schedule.counts;
    assert_eq!((c.compute, c.preload_weights, c.total()), (exec.len() / 2, exec.len() / 2, t.program.len()));
    assert_eq!(c.compute as u32, 16 * 15 + 16 * 4, "15 n-blocks of 16 k-tiles, the last split in 4");
}

#[test]
fn the_program_is_valid_assembly() {
    let cfg = small(3, 5, "both", 2, 64, 64);
    let spec = MatmulSpec { m: 17, k: 33, n: 9, bias: true, requant: requant(Activation::Relu6) };
    let t = tile_matmul(&cfg, &spec, 0x100).unwrap();
    assert_eq!(parse_program(&t.assembly()), Ok(t.program.clone()));
}

#[test]
fn schedule_summary_lists_tiles_buffers_and_counts() {
    let cfg = Config::preset("ice40").unwrap();
    let spec = MatmulSpec { m: 128, k: 128, n: 128, bias: true, requant: requant(Activation::None) };
    let text = tile_matmul(&cfg, &spec, 0x1000).unwrap().to_string();
    for want in [
        "matmul 128x128x128",
        "weight-stationary: 8 m-chunk(s) of 16 rows, 32 k-tiles, 32 n-blocks",
        "scratchpad A: rows 0..512 (32 x 16), banks 0..=0",
        "scratchpad B: rows 512..1024 (128 x 4), banks 1..=1",
        "accumulator tiles: rows 32..64 (2 x 16); bias: rows 0..32 (1 x 32)",
        "compute 8192",
        "rows moved: A 4096",
    ] {
        assert!(text.contains(want), "missing `{want}` in\n{text}");
    }
}

#[test]
fn tile_errors_say_what_does_not_fit() {
    let cfg = Config::preset("ice40").unwrap();
    let ok = MatmulSpec { m: 4, k: 4, n: 4, bias: false, requant: requant(Activation::None) };
    let e = tile_matmul(&cfg, &MatmulSpec { k: 0, ..ok }, 0).unwrap_err();
    assert_eq!(e, TileError::Empty { m: 4, k: 0, n: 4 });
    assert_eq!(tile_matmul_with(&cfg, &ok, 0, Mode::Os).unwrap_err(), TileError::Dataflow(Mode::Os));
    let bad = RequantParams { relu6_max: 128, ..ok.requant };
    let e = tile_matmul(&cfg, &MatmulSpec { requant: bad, ..ok }, 0).unwrap_err().to_string();
    assert!(e.contains("relu6_max") && e.contains("0 to 127"), "{e}");
    let e = tile_matmul(&cfg, &ok, u32::MAX - 100).unwrap_err();
    assert!(matches!(e, TileError::AddressSpace { .. }), "{e}");
    // A 64-row array cannot fit a weight tile in 32 scratchpad rows split with A.
    let tiny = small(64, 4, "ws", 1, 32, 64);
    let e = tile_matmul(&tiny, &ok, 0).unwrap_err().to_string();
    assert!(e.contains("scratchpad too small") && e.contains("weight tile takes 64 rows"), "{e}");
    let tiny_acc = small(32, 4, "os", 2, 64, 16);
    let e = tile_matmul(&tiny_acc, &ok, 0).unwrap_err().to_string();
    assert!(e.contains("accumulator too small"), "{e}");
}

#[test]
fn reference_matmul_by_hand() {
    // A = [[1, 2], [3, -4]], B = [[5, 6, 7], [8, 9, -10]], bias [1, 0, -1]:
    // A x B + bias = [[22, 24, -14], [-16, -18, 60]]; x 0.5, shift 1 (x 1/4), rounded,
    // ReLU: [[6, 6, 0], [0, 0, 15]].
    let spec = MatmulSpec {
        m: 2,
        k: 2,
        n: 3,
        bias: true,
        requant: RequantParams { multiplier: 1 << 30, shift: 1, activation: Activation::Relu, relu6_max: 0 },
    };
    let c = reference_matmul(&spec, 32, 8, &[1, 2, 3, -4], &[5, 6, 7, 8, 9, -10], &[1, 0, -1]);
    assert_eq!(c, [6, 6, 0, 0, 0, 15]);
    // Inputs are taken modulo input_bits: 255 is -1.
    let c = reference_matmul(&MatmulSpec { bias: false, ..spec }, 32, 8, &[255, 0, 0, 0], &[-8, 0, 0, 0, 0, 0], &[]);
    assert_eq!(c[0], 2);
}

#[test]
fn random_operands_are_reproducible_and_in_range() {
    let cfg = Config::preset("ice40").unwrap();
    let spec = MatmulSpec { m: 30, k: 20, n: 10, bias: true, requant: requant(Activation::None) };
    let (a, b, bias) = random_matmul(&spec, &cfg, 9);
    assert_eq!((a.len(), b.len(), bias.len()), (600, 200, 10));
    assert_eq!(random_matmul(&spec, &cfg, 9), (a.clone(), b.clone(), bias.clone()));
    assert_ne!(random_matmul(&spec, &cfg, 10).0, a);
    assert!(a.iter().chain(&b).all(|x| (-128..128).contains(x)));
    assert!(a.iter().any(|x| *x < -100) && a.iter().any(|x| *x > 100));
    assert!(bias.iter().all(|x| x.abs() <= 1 << 14));
    assert!(random_matmul(&MatmulSpec { bias: false, ..spec }, &cfg, 9).2.is_empty());
}

#[test]
fn memory_image_places_operands_and_zero_pads() {
    let cfg = Config::preset("ice40").unwrap();
    let spec = MatmulSpec { m: 2, k: 3, n: 5, bias: true, requant: requant(Activation::None) };
    let t = tile_matmul(&cfg, &spec, 0x200).unwrap();
    let l = t.layout;
    assert_eq!((l.a_stride, l.b_stride, l.c_stride), (4, 8, 8), "rows rounded up to the 4-byte beat");
    let mem = t.memory(&[1, 2, 3, 4, 5, 6], &(0..15).collect::<Vec<_>>(), &[-1, -2, -3, -4, -5]);
    assert_eq!(mem.read_ints(l.a, 1, 8).unwrap(), [1, 2, 3, 0, 4, 5, 6, 0]);
    assert_eq!(mem.read_ints(l.b + 8, 1, 5).unwrap(), [5, 6, 7, 8, 9]);
    // The bias is padded to whole accumulator rows (2 rows of 4).
    assert_eq!(mem.read_ints(l.bias, 4, 8).unwrap(), [-1, -2, -3, -4, -5, 0, 0, 0]);
    // The OS layout stores A transposed.
    let os = tile_matmul_with(&Config::preset("ecp5").unwrap(), &spec, 0x200, Mode::Os).unwrap();
    assert!(os.layout.a_transposed);
    let mem = os.memory(&[1, 2, 3, 4, 5, 6], &(0..15).collect::<Vec<_>>(), &[-1, -2, -3, -4, -5]);
    assert_eq!(mem.read_ints(os.layout.a, 1, 2).unwrap(), [1, 4]);
    assert_eq!(mem.read_ints(os.layout.a + os.layout.a_stride, 1, 2).unwrap(), [2, 5]);
}

#[test]
fn random_shapes_on_random_configurations_match_the_reference() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(21);
    let (mut tiled, mut refused) = (0, 0);
    for case in 0..300 {
        let (rows, cols) = (rng.gen_range(1..=8), rng.gen_range(1..=8));
        let input_bits = [4, 8, 12, 16][rng.gen_range(0..4)];
        let acc_bits = (2 * input_bits + 3 + rng.gen_range(0..8)).clamp(16, 48);
        let dataflow = ["ws", "os", "both"][rng.gen_range(0..3)];
        let cfg = config(&format!(
            "[array]\nrows = {rows}\ncols = {cols}\ninput_bits = {input_bits}\nacc_bits = {acc_bits}\n\
             dataflow = \"{dataflow}\"\n[scratchpad]\nbanks = {}\nrows_per_bank = {}\n\
             [accumulator]\nrows = {}\n[dma]\ndata_bits = {}\n",
            rng.gen_range(1..=4),
            rng.gen_range(16..=96),
            rng.gen_range(16..=64),
            [32, 64, 128][rng.gen_range(0..3)],
        ));
        let activation = [Activation::None, Activation::Relu, Activation::Relu6][rng.gen_range(0..3)];
        let max_out = (1 << (input_bits - 1)) - 1;
        let requant = RequantParams {
            multiplier: rng.gen_range(1 << 29..i32::MAX),
            shift: rng.gen_range(0..12),
            activation,
            relu6_max: rng.gen_range(0..=max_out),
        };
        let spec = MatmulSpec {
            m: rng.gen_range(1..=40),
            k: rng.gen_range(1..=60),
            n: rng.gen_range(1..=40),
            bias: rng.gen(),
            requant,
        };
        let modes: &[Mode] = match dataflow {
            "ws" => &[Mode::Ws],
            "os" => &[Mode::Os],
            _ => &[Mode::Ws, Mode::Os],
        };
        for &mode in modes {
            match tile_matmul_with(&cfg, &spec, 0, mode) {
                Ok(_) => {
                    check(&cfg, &spec, mode, case);
                    tiled += 1;
                }
                Err(TileError::LocalMemory { .. }) => refused += 1,
                Err(e) => panic!("{e}"),
            }
        }
    }
    assert!(tiled > 300 && refused < 10, "tiled {tiled}, refused {refused}");
}

#[test]
fn raw_read_out_leaves_the_accumulators_in_c() {
    // Sums beyond int8 and beyond 2^15: the raw read-out keeps all 32 bits.
    let configs = [
        (Config::preset("ice40").unwrap(), Mode::Ws),
        (Config::preset("ecp5").unwrap(), Mode::Os),
        (small(3, 5, "both", 2, 64, 64), Mode::Ws),
    ];
    for (i, (cfg, mode)) in configs.iter().enumerate() {
        let g = cfg.geometry();
        for (j, &(m, k, n)) in [(17, 33, 9), (1, 1, 1), (40, 5, 70)].iter().enumerate() {
            let spec = MatmulSpec { m, k, n, bias: false, requant: requant(Activation::Relu) };
            let t = tile_matmul_read_out(cfg, &spec, 0x2000, *mode, ReadOut::Raw).expect("tiles");
            assert_eq!(t.read_out(), ReadOut::Raw);
            assert_eq!(t.c_elem_bytes(), g.acc_elem_bytes());
            assert!(t.layout.c_stride >= n * g.acc_elem_bytes(), "{:?}", t.layout);
            let mvouts: Vec<_> = t.program.iter().filter(|x| matches!(x, Instr::Mvout { .. })).collect();
            assert!(!mvouts.is_empty());
            assert!(mvouts.iter().all(|x| matches!(x, Instr::Mvout { local, .. } if local.raw)), "{mvouts:?}");
            let (a, b, _) = random_matmul(&spec, cfg, (i * 10 + j) as u64);
            let mut mem = t.memory(&a, &b, &[]);
            let outcome = Model::new(cfg).run(&t.words(), &mut mem, t.layout.window());
            assert!(outcome.is_clean(), "{outcome:?}");
            let want = reference_matmul_raw(&spec, g.acc_bits, g.input_bits, &a, &b);
            assert_eq!(t.read_c(&mem), want, "{m}x{k}x{n} on config {i}");
            if k >= 33 {
                assert!(want.iter().any(|v| v.abs() > 1 << 15), "the test reaches beyond 16 bits");
            }
        }
    }
}

#[test]
fn raw_read_out_refuses_a_bias() {
    let cfg = Config::preset("ice40").unwrap();
    let spec = MatmulSpec { m: 4, k: 4, n: 4, bias: true, requant: requant(Activation::None) };
    let e = tile_matmul_read_out(&cfg, &spec, 0, Mode::Ws, ReadOut::Raw).unwrap_err();
    assert_eq!(e, TileError::RawWithBias);
    assert!(e.to_string().contains("drop the bias"), "{e}");
}

#[test]
fn reference_matmul_raw_by_hand() {
    // [[1, 2], [-128, 3]] x [[-128, 1], [-128, 0]]: 1*-128 + 2*-128 = -384, 1; 16384 - 384 = 16000, -128.
    let spec = MatmulSpec { m: 2, k: 2, n: 2, bias: false, requant: requant(Activation::Relu) };
    let c = reference_matmul_raw(&spec, 32, 8, &[1, 2, -128, 3], &[-128, 1, -128, 0]);
    assert_eq!(c, [-384, 1, 16000, -128]);
    // Accumulators wrap at acc_bits: 16000 in 14 bits is 16000 - 16384.
    assert_eq!(reference_matmul_raw(&spec, 14, 8, &[1, 2, -128, 3], &[-128, 1, -128, 0])[2], -384);
}
