//! The golden model against `docs/isa.md`: every instruction alone on small cases
//! computed here by hand or with plain loops, every error code and its priority, whole
//! matrix multiplications in both dataflows, wide elements, and random programs.

use ip_blocks::isa::{ErrorCode, Instr, LocalAddr, Mode};
use ip_blocks::model::{Memory, Model, ModelError, Outcome, Window};
use ip_blocks::quant::{requantize, Activation, RequantParams};
use ip_blocks::Config;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const BASE: u32 = 0x1000;

/// A small machine: `rows` x `cols`, one bank of 32 scratchpad rows, 32 accumulator rows.
fn config(rows: u32, cols: u32, input_bits: u32, acc_bits: u32, dataflow: &str) -> Config {
    let text = format!(
        "[array]\nrows = {rows}\ncols = {cols}\ninput_bits = {input_bits}\nacc_bits = {acc_bits}\n\
         dataflow = \"{dataflow}\"\n[scratchpad]\nbanks = 1\nrows_per_bank = 32\n[accumulator]\nrows = 32\n"
    );
    Config::from_toml(&text, "test").expect("valid test configuration")
}

/// 2 x 3 (rows != cols), int8 inputs, int32 accumulators, both dataflows.
fn small() -> Config {
    config(2, 3, 8, 32, "both")
}

fn sp(row: u32) -> LocalAddr {
    LocalAddr::scratchpad(row)
}

fn acc(row: u32) -> LocalAddr {
    LocalAddr::accumulator(row)
}

fn acc_add(row: u32) -> LocalAddr {
    LocalAddr { accumulate: true, ..acc(row) }
}

fn raw(row: u32) -> LocalAddr {
    LocalAddr { raw: true, ..acc(row) }
}

fn words(program: &[Instr]) -> Vec<[u32; 4]> {
    program.iter().map(Instr::encode).collect()
}

fn run_on(model: &mut Model, mem: &mut Memory, program: &[Instr]) -> Outcome {
    let window = mem.window();
    model.run(&words(program), mem, window)
}

/// Run on a fresh model; the outcome must be clean.
fn run_clean(cfg: &Config, mem: &mut Memory, program: &[Instr]) -> Model {
    let mut model = Model::new(cfg);
    let out = run_on(&mut model, mem, program);
    assert!(out.is_clean(), "{out:?}");
    model
}

/// The code of a lone `last` after `setup`, which must run cleanly.
fn error_of(cfg: &Config, setup: &[Instr], last: Instr) -> Option<ErrorCode> {
    let mut mem = Memory::new(BASE, 256);
    let mut model = Model::new(cfg);
    let out = run_on(&mut model, &mut mem, setup);
    assert_eq!(out.error, None, "setup failed: {out:?}");
    let window = mem.window();
    model.execute(last.encode(), &mut mem, window).err()
}

#[test]
fn reset_state_is_the_documented_one() {
    let m = Model::new(&small());
    assert_eq!(m.mode(), Mode::Ws);
    assert_eq!(
        m.requant(),
        RequantParams { multiplier: i32::MAX, shift: 0, activation: Activation::None, relu6_max: 0 }
    );
    assert_eq!(m.bias(), [0, 0, 0]);
    assert!(m.pending_weights().is_none());
    assert!(m.sp_row(0).is_none() && m.acc_row(31).is_none() && m.sp_row(32).is_none());
    assert_eq!(m.macs(), 0);
    assert_eq!(Model::new(&config(2, 3, 8, 32, "os")).mode(), Mode::Os);
}

#[test]
fn mvin_keeps_the_low_bits_and_zero_fills_the_row() {
    let mut mem = Memory::new(BASE, 64);
    mem.bytes[..8].copy_from_slice(&[0x7f, 0x80, 0xff, 0xaa, 0xbb, 0x01, 0xfe, 0xcc]);
    // Two rows of two int8 elements, rows 5 bytes apart.
    let m = run_clean(
        &small(),
        &mut mem,
        &[Instr::ConfigLd { stride: 5 }, Instr::Mvin { dram: BASE, local: sp(3), rows: 2, cols: 2 }],
    );
    assert_eq!(m.sp_row(3), Some(&[127, -128, 0][..]));
    assert_eq!(m.sp_row(4), Some(&[1, -2, 0][..]));
    assert!(m.sp_row(5).is_none());
    // 4-bit inputs keep the low nibble of each byte: 0x7f -> -1, 0x80 -> 0, 0xff -> -1.
    let mut mem4 = mem.clone();
    let m =
        run_clean(&config(2, 3, 4, 16, "ws"), &mut mem4, &[Instr::Mvin { dram: BASE, local: sp(0), rows: 1, cols: 3 }]);
    assert_eq!(m.sp_row(0), Some(&[-1, 0, -1][..]));
}

#[test]
fn mvin_to_the_accumulator_overwrites_or_accumulates() {
    let mut mem = Memory::new(BASE, 64);
    mem.write_ints(BASE, 4, &[i64::from(i32::MAX), -5, 7, 1, 2, 3]).unwrap();
    let m = run_clean(
        &small(),
        &mut mem,
        &[
            Instr::ConfigLd { stride: 12 },
            Instr::Mvin { dram: BASE, local: acc(2), rows: 1, cols: 3 },
            Instr::Mvin { dram: BASE + 12, local: acc_add(2), rows: 1, cols: 2 },
            Instr::Mvin { dram: BASE + 12, local: acc(3), rows: 1, cols: 1 },
        ],
    );
    // MAX + 1 wraps at 32 bits; the third element is beyond cols and left as it was.
    assert_eq!(m.acc_row(2), Some(&[i64::from(i32::MIN), -3, 7][..]));
    assert_eq!(m.acc_row(3), Some(&[1, 0, 0][..]));
}

#[test]
fn mvout_writes_sign_extended_rows_with_its_stride() {
    let mut mem = Memory::new(BASE, 64);
    mem.write_ints(BASE, 1, &[-3, 4, 5, 6, -7, 8]).unwrap();
    run_clean(
        &small(),
        &mut mem,
        &[
            Instr::ConfigLd { stride: 3 },
            Instr::Mvin { dram: BASE, local: sp(0), rows: 2, cols: 3 },
            Instr::ConfigSt { stride: 8 },
            Instr::Mvout { dram: BASE + 32, local: sp(0), rows: 2, cols: 2 },
        ],
    );
    assert_eq!(mem.read_ints(BASE + 32, 1, 10).unwrap(), [-3, 4, 0, 0, 0, 0, 0, 0, 6, -7]);
    // Raw accumulators: 4 bytes each, sign-extended.
    let mut mem = Memory::new(BASE, 64);
    mem.write_ints(BASE, 4, &[-1_000_000, 3, -4]).unwrap();
    run_clean(
        &small(),
        &mut mem,
        &[
            Instr::Mvin { dram: BASE, local: acc(0), rows: 1, cols: 3 },
            Instr::Mvout { dram: BASE + 16, local: raw(0), rows: 1, cols: 3 },
        ],
    );
    assert_eq!(mem.read_ints(BASE + 16, 4, 3).unwrap(), [-1_000_000, 3, -4]);
}

#[test]
fn requantized_mvout_applies_config_ex_and_the_preloaded_bias() {
    let mut mem = Memory::new(BASE, 128);
    mem.write_ints(BASE, 4, &[1000, -1000, 3000, 10, -20, 40]).unwrap();
    let p = RequantParams { multiplier: 1 << 30, shift: 3, activation: Activation::Relu6, relu6_max: 100 };
    run_clean(
        &small(),
        &mut mem,
        &[
            Instr::ConfigEx {
                mode: Mode::Ws,
                activation: p.activation,
                shift: 3,
                multiplier: p.multiplier,
                relu6_max: 100,
            },
            Instr::ConfigLd { stride: 12 },
            Instr::Mvin { dram: BASE, local: acc(0), rows: 2, cols: 3 },
            Instr::Preload { local: acc(1), rows: 1 },
            Instr::Mvout { dram: BASE + 64, local: acc(0), rows: 1, cols: 3 },
        ],
    );
    // By hand: (1000 + 10) / 16 = 63.1 -> 63; (-1000 - 20) / 16 < 0 -> 0; (3000 + 40) / 16
    // = 190 -> clamped to 100.
    assert_eq!(mem.read_ints(BASE + 64, 1, 3).unwrap(), [63, 0, 100]);
    let expect: Vec<i64> =
        [(1000, 10), (-1000, -20), (3000, 40)].iter().map(|&(x, b)| requantize(x, b, 32, 8, &p)).collect();
    assert_eq!(expect, [63, 0, 100]);
}

#[test]
fn preload_takes_the_first_cols_of_each_row_and_zero_fills_the_tile() {
    let cfg = config(3, 2, 8, 32, "ws");
    let mut mem = Memory::new(BASE, 64);
    mem.write_ints(BASE, 1, &[1, 2, 3, 4, 5, 6]).unwrap();
    let m = run_clean(
        &cfg,
        &mut mem,
        &[
            Instr::ConfigLd { stride: 3 },
            Instr::Mvin { dram: BASE, local: sp(7), rows: 2, cols: 3 },
            Instr::Preload { local: sp(7), rows: 2 },
        ],
    );
    // Rows hold max(3, 2) = 3 inputs; a weight row is the first cols = 2.
    assert_eq!(m.pending_weights(), Some(&[vec![1, 2], vec![4, 5], vec![0, 0]][..]));
}

/// `out[m][j] = sum_r a[m][r] * w[r][j]`, written out.
fn vec_mat(a: &[Vec<i64>], w: &[Vec<i64>]) -> Vec<Vec<i64>> {
    let mut out = vec![vec![0; w[0].len()]; a.len()];
    for m in 0..a.len() {
        for j in 0..w[0].len() {
            for r in 0..w.len() {
                out[m][j] += a[m][r] * w[r][j];
            }
        }
    }
    out
}

#[test]
fn ws_compute_multiplies_vectors_by_the_tile_and_uses_it_up() {
    let cfg = small();
    let mut mem = Memory::new(BASE, 64);
    // Weights: 2 rows of 3; inputs: 4 vectors of 2.
    let w = vec![vec![1, -2, 3], vec![-4, 5, 127]];
    let a = vec![vec![1, 2], vec![-128, 127], vec![3, 0], vec![0, -1]];
    mem.write_ints(BASE, 1, &w.concat()).unwrap();
    let a_bytes: Vec<i64> = a.iter().flat_map(|v| [v[0], v[1], 0]).collect();
    mem.write_ints(BASE + 8, 1, &a_bytes).unwrap();
    let mut model = run_clean(
        &cfg,
        &mut mem,
        &[
            Instr::ConfigLd { stride: 3 },
            Instr::Mvin { dram: BASE, local: sp(0), rows: 2, cols: 3 },
            Instr::Mvin { dram: BASE + 8, local: sp(10), rows: 4, cols: 3 },
            Instr::Preload { local: sp(0), rows: 2 },
            Instr::Compute { a: 10, b: 0, c: acc(4), count: 4 },
            Instr::Preload { local: sp(0), rows: 2 },
            Instr::Compute { a: 10, b: 0, c: acc_add(4), count: 2 },
        ],
    );
    let once = vec_mat(&a, &w);
    assert_eq!(model.acc_row(4).unwrap(), once[0].iter().map(|x| 2 * x).collect::<Vec<_>>());
    assert_eq!(model.acc_row(5).unwrap(), once[1].iter().map(|x| 2 * x).collect::<Vec<_>>());
    assert_eq!(model.acc_row(6).unwrap(), once[2]);
    assert_eq!(model.acc_row(7).unwrap(), once[3]);
    assert!(model.pending_weights().is_none());
    assert_eq!(model.macs(), 6 * 2 * 3);
    // The tile is used up: another compute is a sequence error.
    let out = run_on(&mut model, &mut mem, &[Instr::Compute { a: 10, b: 0, c: acc(4), count: 1 }]);
    assert_eq!(out.error, Some((0, ErrorCode::Sequence)));
}

#[test]
fn os_compute_sums_outer_products_into_rows_tiles() {
    let cfg = small();
    let mut mem = Memory::new(BASE, 64);
    // k = 3 steps: A columns (2 each, in rows of 3 elements), B rows (3 each).
    let a_cols = [[1, 2], [-3, 4], [5, -6]];
    let b_rows = [[7, 8, 9], [-1, 0, 1], [2, -2, 100]];
    let a_bytes: Vec<i64> = a_cols.iter().flat_map(|v| [v[0], v[1], 9]).collect();
    mem.write_ints(BASE, 1, &a_bytes).unwrap();
    mem.write_ints(BASE + 16, 1, &b_rows.concat()).unwrap();
    let program = [
        Instr::ConfigEx { mode: Mode::Os, activation: Activation::None, shift: 0, multiplier: i32::MAX, relu6_max: 0 },
        Instr::ConfigLd { stride: 3 },
        Instr::Mvin { dram: BASE, local: sp(0), rows: 3, cols: 3 },
        Instr::Mvin { dram: BASE + 16, local: sp(20), rows: 3, cols: 3 },
        Instr::Compute { a: 0, b: 20, c: acc(8), count: 3 },
        Instr::Compute { a: 0, b: 20, c: acc_add(8), count: 1 },
    ];
    let m = run_clean(&cfg, &mut mem, &program);
    // Three steps, then the first step once more (the accumulating compute of count 1).
    let mut c = vec![vec![0i64; 3]; 2];
    for k in [0, 1, 2, 0] {
        for i in 0..2 {
            for j in 0..3 {
                c[i][j] += a_cols[k][i] * b_rows[k][j];
            }
        }
    }
    assert_eq!(m.acc_row(8).unwrap(), c[0]);
    assert_eq!(m.acc_row(9).unwrap(), c[1]);
    assert!(m.acc_row(10).is_none());
    assert_eq!(m.macs(), 4 * 2 * 3);
}

#[test]
fn config_ld_and_config_st_only_set_strides_and_fence_does_nothing() {
    let cfg = small();
    let mut mem = Memory::new(BASE, 64);
    let before = mem.clone();
    let m = run_clean(&cfg, &mut mem, &[Instr::ConfigLd { stride: 99 }, Instr::ConfigSt { stride: 7 }, Instr::Fence]);
    assert_eq!(mem, before);
    assert!(m.sp_row(0).is_none() && m.pending_weights().is_none());
}

/// A program computing raw C = A x B (m x k x n) in one dataflow, built by hand: A, B, C
/// row-major at `BASE`, `BASE + 0x100`, `BASE + 0x200` (C raw, 4 bytes).
fn matmul_program(cfg: &Config, mode: Mode, m: u32, k: u32, n: u32) -> Vec<Instr> {
    let (r, c) = (cfg.array.rows, cfg.array.cols);
    let mut p = vec![
        Instr::ConfigEx { mode, activation: Activation::None, shift: 0, multiplier: i32::MAX, relu6_max: 0 },
        Instr::ConfigSt { stride: 4 * n },
    ];
    match mode {
        Mode::Ws => {
            // A rows of k-tile t into sp[t * m ..] (m * ceil(k / rows) <= 24 rows); B tile
            // (t, nb) into sp[24..]; the C tile in acc[0..m].
            p.push(Instr::ConfigLd { stride: k });
            for t in 0..k.div_ceil(r) {
                let kr = r.min(k - t * r);
                p.push(Instr::Mvin { dram: BASE + t * r, local: sp(t * m), rows: m as u16, cols: kr as u16 });
            }
            p.push(Instr::ConfigLd { stride: n });
            for nb in 0..n.div_ceil(c) {
                let nc = c.min(n - nb * c);
                for t in 0..k.div_ceil(r) {
                    let kr = r.min(k - t * r);
                    let b = BASE + 0x100 + t * r * n + nb * c;
                    p.push(Instr::Mvin { dram: b, local: sp(24), rows: kr as u16, cols: nc as u16 });
                    p.push(Instr::Preload { local: sp(24), rows: kr as u16 });
                    let out = if t == 0 { acc(0) } else { acc_add(0) };
                    p.push(Instr::Compute { a: t * m, b: 0, c: out, count: m as u16 });
                }
                let dram = BASE + 0x200 + 4 * nb * c;
                p.push(Instr::Mvout { dram, local: raw(0), rows: m as u16, cols: nc as u16 });
            }
        }
        Mode::Os => {
            // A transposed (k x m) is at BASE; B rows at BASE + 0x100; one C tile at a time.
            for mb in 0..m.div_ceil(r) {
                for nb in 0..n.div_ceil(c) {
                    let (mr, nc) = (r.min(m - mb * r), c.min(n - nb * c));
                    p.push(Instr::ConfigLd { stride: m });
                    p.push(Instr::Mvin { dram: BASE + mb * r, local: sp(0), rows: k as u16, cols: mr as u16 });
                    p.push(Instr::ConfigLd { stride: n });
                    p.push(Instr::Mvin { dram: BASE + 0x100 + nb * c, local: sp(16), rows: k as u16, cols: nc as u16 });
                    p.push(Instr::Compute { a: 0, b: 16, c: acc(0), count: k as u16 });
                    let dram = BASE + 0x200 + 4 * (mb * r * n + nb * c);
                    p.push(Instr::Mvout { dram, local: raw(0), rows: mr as u16, cols: nc as u16 });
                }
            }
        }
    }
    p
}

#[test]
fn matmul_in_both_dataflows_matches_a_triple_loop() {
    let cfg = small();
    let (m, k, n) = (5, 7, 4);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let a: Vec<i64> = (0..m * k).map(|_| rng.gen_range(-128..128)).collect();
    let b: Vec<i64> = (0..k * n).map(|_| rng.gen_range(-128..128)).collect();
    let mut c = vec![0i64; m * n];
    for i in 0..m {
        for j in 0..n {
            for x in 0..k {
                c[i * n + j] += a[i * k + x] * b[x * n + j];
            }
        }
    }
    for mode in [Mode::Ws, Mode::Os] {
        let mut mem = Memory::new(BASE, 0x300);
        let a_image: Vec<i64> = match mode {
            Mode::Ws => a.clone(),
            Mode::Os => (0..k * m).map(|i| a[(i % m) * k + i / m]).collect(),
        };
        mem.write_ints(BASE, 1, &a_image).unwrap();
        mem.write_ints(BASE + 0x100, 1, &b).unwrap();
        let program = matmul_program(&cfg, mode, m as u32, k as u32, n as u32);
        run_clean(&cfg, &mut mem, &program);
        assert_eq!(mem.read_ints(BASE + 0x200, 4, m * n).unwrap(), c, "{mode:?}");
    }
}

#[test]
fn sixteen_bit_inputs_and_forty_bit_accumulators_use_two_and_eight_byte_elements() {
    let cfg = config(2, 2, 16, 40, "ws");
    let mut mem = Memory::new(BASE, 256);
    // Weights [[-32768, 2], [3, 32767]], one input vector [-32768, 32767].
    mem.write_ints(BASE, 2, &[-32768, 2, 3, 32767, -32768, 32767]).unwrap();
    // An accumulator of 2^39 - 1 (8 bytes in memory) to wrap.
    mem.write_int(BASE + 64, 8, (1 << 39) - 1).unwrap();
    mem.write_int(BASE + 72, 8, 1).unwrap();
    let p = RequantParams { multiplier: 1 << 30, shift: 0, activation: Activation::None, relu6_max: 0 };
    let m = run_clean(
        &cfg,
        &mut mem,
        &[
            Instr::ConfigEx {
                mode: Mode::Ws,
                activation: Activation::None,
                shift: 0,
                multiplier: 1 << 30,
                relu6_max: 0,
            },
            Instr::ConfigLd { stride: 4 },
            Instr::Mvin { dram: BASE, local: sp(0), rows: 3, cols: 2 },
            Instr::Preload { local: sp(0), rows: 2 },
            Instr::Compute { a: 2, b: 0, c: acc(0), count: 1 },
            Instr::ConfigLd { stride: 8 },
            Instr::Mvin { dram: BASE + 64, local: acc(1), rows: 1, cols: 1 },
            Instr::Mvin { dram: BASE + 72, local: acc_add(1), rows: 1, cols: 1 },
            Instr::ConfigSt { stride: 16 },
            Instr::Mvout { dram: BASE + 128, local: raw(0), rows: 2, cols: 2 },
            Instr::Mvout { dram: BASE + 160, local: acc(0), rows: 1, cols: 2 },
            Instr::ConfigSt { stride: 2 },
            Instr::Mvout { dram: BASE + 192, local: sp(2), rows: 1, cols: 2 },
        ],
    );
    let c0 = (-32768i64) * -32768 + 32767 * 3;
    let c1 = (-32768i64) * 2 + 32767 * 32767;
    assert_eq!(m.acc_row(0), Some(&[c0, c1][..]));
    // (2^39 - 1) + 1 wraps to -2^39 at 40 bits; the second element was zero-filled.
    assert_eq!(m.acc_row(1), Some(&[-(1 << 39), 0][..]));
    assert_eq!(mem.read_ints(BASE + 128, 8, 4).unwrap(), [c0, c1, -(1 << 39), 0]);
    // Requantized to 16 bits: 2 bytes each.
    let q: Vec<i64> = [c0, c1].iter().map(|&x| requantize(x, 0, 40, 16, &p)).collect();
    assert_eq!(q, [32767, 32767]);
    assert_eq!(mem.read_ints(BASE + 160, 2, 2).unwrap(), q);
    assert_eq!(mem.read_ints(BASE + 192, 2, 2).unwrap(), [-32768, 32767]);
}

#[test]
fn illegal_command_is_what_decode_rejects() {
    let cfg = small();
    let mut mem = Memory::new(BASE, 64);
    let w = mem.window();
    let mut model = Model::new(&cfg);
    for bad in [[0x77, 0, 0, 0], [0x30, 1, 0, 0], [0x10, BASE, 0, 0], [0x20, 0, 0x8000_0000, 2]] {
        assert_eq!(model.execute(bad, &mut mem, w), Err(ErrorCode::IllegalCommand), "{bad:x?}");
    }
}

#[test]
fn mode_errors() {
    let ws_only = config(2, 3, 8, 32, "ws");
    let os_only = config(2, 3, 8, 32, "os");
    let ex = |mode| Instr::ConfigEx { mode, activation: Activation::None, shift: 0, multiplier: 1, relu6_max: 0 };
    assert_eq!(error_of(&ws_only, &[], ex(Mode::Os)), Some(ErrorCode::Mode));
    assert_eq!(error_of(&os_only, &[], ex(Mode::Ws)), Some(ErrorCode::Mode));
    assert_eq!(error_of(&os_only, &[], ex(Mode::Os)), None);
    let load = Instr::Mvin { dram: BASE, local: sp(0), rows: 2, cols: 3 };
    assert_eq!(error_of(&os_only, &[load], Instr::Preload { local: sp(0), rows: 1 }), Some(ErrorCode::Mode));
    assert_eq!(
        error_of(&small(), &[load, ex(Mode::Os)], Instr::Preload { local: sp(0), rows: 1 }),
        Some(ErrorCode::Mode)
    );
    // A bias preload has no mode rule.
    let bias = Instr::Mvin { dram: BASE, local: acc(0), rows: 1, cols: 3 };
    assert_eq!(error_of(&os_only, &[bias], Instr::Preload { local: acc(0), rows: 1 }), None);
}

#[test]
fn sequence_errors() {
    let cfg = small();
    let load = Instr::Mvin { dram: BASE, local: sp(0), rows: 4, cols: 3 };
    let pre = Instr::Preload { local: sp(0), rows: 2 };
    let comp = Instr::Compute { a: 0, b: 0, c: acc(0), count: 2 };
    assert_eq!(error_of(&cfg, &[load], comp), Some(ErrorCode::Sequence));
    assert_eq!(error_of(&cfg, &[load, pre], pre), Some(ErrorCode::Sequence));
    assert_eq!(error_of(&cfg, &[load, pre, comp], comp), Some(ErrorCode::Sequence));
    assert_eq!(error_of(&cfg, &[load, pre, comp], pre), None);
    // A bias preload does not touch the weight sequence.
    let bias = Instr::Mvin { dram: BASE, local: acc(5), rows: 1, cols: 3 };
    assert_eq!(error_of(&cfg, &[load, bias, pre, Instr::Preload { local: acc(5), rows: 1 }], comp), None);
    // Output-stationary computes neither need nor use the tile.
    let ex = |mode| Instr::ConfigEx { mode, activation: Activation::None, shift: 0, multiplier: 1, relu6_max: 0 };
    assert_eq!(error_of(&cfg, &[load, ex(Mode::Os)], comp), None);
    // The tile preloaded before switching to OS is still there for the next WS compute.
    assert_eq!(error_of(&cfg, &[load, pre, ex(Mode::Os), comp, ex(Mode::Ws)], comp), None);
}

#[test]
fn size_errors() {
    let cfg = small(); // scratchpad rows hold 3 inputs, accumulator rows 3 accumulators
    assert_eq!(error_of(&cfg, &[], Instr::Mvin { dram: BASE, local: sp(0), rows: 1, cols: 4 }), Some(ErrorCode::Size));
    assert_eq!(error_of(&cfg, &[], Instr::Mvin { dram: BASE, local: sp(0), rows: 1, cols: 3 }), None);
    assert_eq!(error_of(&cfg, &[], Instr::Mvin { dram: BASE, local: acc(0), rows: 1, cols: 4 }), Some(ErrorCode::Size));
    let acc_row = Instr::Mvin { dram: BASE, local: acc(0), rows: 1, cols: 3 };
    assert_eq!(
        error_of(&cfg, &[acc_row], Instr::Mvout { dram: BASE, local: raw(0), rows: 1, cols: 4 }),
        Some(ErrorCode::Size)
    );
    let load = Instr::Mvin { dram: BASE, local: sp(0), rows: 4, cols: 3 };
    assert_eq!(error_of(&cfg, &[load], Instr::Preload { local: sp(0), rows: 3 }), Some(ErrorCode::Size));
    let ex = |relu6_max| Instr::ConfigEx {
        mode: Mode::Ws,
        activation: Activation::Relu6,
        shift: 0,
        multiplier: 1,
        relu6_max,
    };
    assert_eq!(error_of(&cfg, &[], ex(128)), Some(ErrorCode::Size));
    assert_eq!(error_of(&cfg, &[], ex(-1)), Some(ErrorCode::Size));
    assert_eq!(error_of(&cfg, &[], ex(127)), None);
    assert_eq!(error_of(&config(2, 3, 4, 16, "ws"), &[], ex(8)), Some(ErrorCode::Size));
    assert_eq!(error_of(&config(2, 3, 4, 16, "ws"), &[], ex(7)), None);
}

#[test]
fn local_range_errors() {
    let cfg = small(); // 32 scratchpad rows, 32 accumulator rows
    let fill = Instr::Mvin { dram: BASE, local: sp(0), rows: 32, cols: 3 };
    let fill_acc = Instr::Mvin { dram: BASE, local: acc(0), rows: 32, cols: 3 };
    assert_eq!(
        error_of(&cfg, &[], Instr::Mvin { dram: BASE, local: sp(31), rows: 2, cols: 1 }),
        Some(ErrorCode::LocalRange)
    );
    assert_eq!(error_of(&cfg, &[], Instr::Mvin { dram: BASE, local: sp(31), rows: 1, cols: 1 }), None);
    assert_eq!(
        error_of(&cfg, &[fill_acc], Instr::Mvout { dram: BASE, local: raw(30), rows: 3, cols: 1 }),
        Some(ErrorCode::LocalRange)
    );
    assert_eq!(error_of(&cfg, &[fill], Instr::Preload { local: sp(31), rows: 2 }), Some(ErrorCode::LocalRange));
    assert_eq!(error_of(&cfg, &[fill_acc], Instr::Preload { local: acc(32), rows: 1 }), Some(ErrorCode::LocalRange));
    let pre = Instr::Preload { local: sp(0), rows: 2 };
    let comp = |a, c| Instr::Compute { a, b: 0, c: acc(c), count: 4 };
    assert_eq!(error_of(&cfg, &[fill, pre], comp(29, 0)), Some(ErrorCode::LocalRange));
    assert_eq!(error_of(&cfg, &[fill, pre], comp(0, 29)), Some(ErrorCode::LocalRange));
    assert_eq!(error_of(&cfg, &[fill, pre], comp(28, 28)), None);
    // Output-stationary: A, B and the rows x cols output tile.
    let os = Instr::ConfigEx { mode: Mode::Os, activation: Activation::None, shift: 0, multiplier: 1, relu6_max: 0 };
    let os_comp = |a, b, c| Instr::Compute { a, b, c: acc(c), count: 4 };
    assert_eq!(error_of(&cfg, &[fill, os], os_comp(29, 0, 0)), Some(ErrorCode::LocalRange));
    assert_eq!(error_of(&cfg, &[fill, os], os_comp(0, 29, 0)), Some(ErrorCode::LocalRange));
    assert_eq!(error_of(&cfg, &[fill, os], os_comp(0, 0, 31)), Some(ErrorCode::LocalRange));
    assert_eq!(error_of(&cfg, &[fill, os], os_comp(28, 28, 30)), None);
}

#[test]
fn dma_align_errors() {
    let cfg = small();
    let acc_in = |dram| Instr::Mvin { dram, local: acc(0), rows: 2, cols: 1 };
    assert_eq!(error_of(&cfg, &[Instr::ConfigLd { stride: 4 }], acc_in(BASE + 2)), Some(ErrorCode::DmaAlign));
    assert_eq!(error_of(&cfg, &[Instr::ConfigLd { stride: 6 }], acc_in(BASE)), Some(ErrorCode::DmaAlign));
    assert_eq!(error_of(&cfg, &[Instr::ConfigLd { stride: 8 }], acc_in(BASE + 4)), None);
    // Inputs are bytes: any address; a requantized mvout writes inputs too.
    assert_eq!(
        error_of(
            &cfg,
            &[Instr::ConfigLd { stride: 3 }],
            Instr::Mvin { dram: BASE + 1, local: sp(0), rows: 2, cols: 1 }
        ),
        None
    );
    let fill = Instr::Mvin { dram: BASE, local: acc(0), rows: 1, cols: 3 };
    let st = Instr::ConfigSt { stride: 3 };
    assert_eq!(error_of(&cfg, &[fill, st], Instr::Mvout { dram: BASE + 1, local: acc(0), rows: 1, cols: 3 }), None);
    assert_eq!(
        error_of(&cfg, &[fill, st], Instr::Mvout { dram: BASE + 4, local: raw(0), rows: 1, cols: 3 }),
        Some(ErrorCode::DmaAlign)
    );
    // 16-bit inputs are 2 bytes.
    let wide = config(2, 2, 16, 40, "ws");
    assert_eq!(
        error_of(&wide, &[], Instr::Mvin { dram: BASE + 1, local: sp(0), rows: 1, cols: 1 }),
        Some(ErrorCode::DmaAlign)
    );
    assert_eq!(
        error_of(&wide, &[], Instr::Mvin { dram: BASE + 4, local: acc(0), rows: 1, cols: 1 }),
        Some(ErrorCode::DmaAlign)
    );
    assert_eq!(error_of(&wide, &[], Instr::Mvin { dram: BASE + 8, local: acc(0), rows: 1, cols: 1 }), None);
}

#[test]
fn dma_window_covers_every_byte_of_every_row() {
    let cfg = small();
    let mut mem = Memory::new(BASE, 64);
    let window = Window { base: BASE + 8, limit: BASE + 39 };
    let code = |setup: &[Instr], last: Instr| {
        let mut mem = mem.clone();
        let mut model = Model::new(&cfg);
        assert_eq!(model.run(&words(setup), &mut mem, window).error, None);
        model.execute(last.encode(), &mut mem, window).err()
    };
    let ld = Instr::ConfigLd { stride: 10 };
    let mvin = |dram, rows, cols| Instr::Mvin { dram, local: sp(0), rows, cols };
    // Rows at 8..=10, 18..=20, 28..=30 and 38..=40: the last byte is one past the limit.
    assert_eq!(code(&[ld], mvin(BASE + 8, 4, 3)), Some(ErrorCode::DmaWindow));
    assert_eq!(code(&[ld], mvin(BASE + 8, 4, 2)), None);
    assert_eq!(code(&[ld], mvin(BASE + 7, 1, 1)), Some(ErrorCode::DmaWindow));
    assert_eq!(code(&[ld], mvin(BASE + 39, 1, 1)), None);
    // The last byte is computed without wrapping around 2^32.
    assert_eq!(code(&[Instr::ConfigLd { stride: u32::MAX }], mvin(BASE + 8, 2, 1)), Some(ErrorCode::DmaWindow));
    assert_eq!(code(&[], mvin(u32::MAX, 1, 2)), Some(ErrorCode::DmaWindow));
    let fill = Instr::Mvin { dram: BASE + 8, local: acc(0), rows: 1, cols: 3 };
    assert_eq!(code(&[fill], Instr::Mvout { dram: BASE + 32, local: raw(0), rows: 1, cols: 2 }), None);
    assert_eq!(
        code(&[fill], Instr::Mvout { dram: BASE + 32, local: raw(0), rows: 1, cols: 3 }),
        Some(ErrorCode::DmaWindow)
    );
    // The window itself is inside memory, so the run above could move bytes.
    assert_eq!(mem.check_window(window), Ok(()));
    mem.bytes[8] = 1;
}

#[test]
fn errors_are_reported_in_the_documented_priority() {
    let cfg = small();
    let os_only = config(2, 3, 8, 32, "os");
    let load = Instr::Mvin { dram: BASE, local: sp(0), rows: 4, cols: 3 };
    let pre = Instr::Preload { local: sp(0), rows: 2 };
    let os = Instr::ConfigEx { mode: Mode::Os, activation: Activation::None, shift: 0, multiplier: 1, relu6_max: 0 };
    // mode before size: a config_ex with both a missing dataflow and a bad relu6_max.
    let bad_ex =
        Instr::ConfigEx { mode: Mode::Ws, activation: Activation::None, shift: 0, multiplier: 1, relu6_max: 200 };
    assert_eq!(error_of(&os_only, &[], bad_ex), Some(ErrorCode::Mode));
    // mode before sequence: a preload in OS mode while a tile is pending.
    assert_eq!(error_of(&cfg, &[load, pre, os], pre), Some(ErrorCode::Mode));
    // sequence before size and local_range: a second preload, too many rows, past the end.
    assert_eq!(error_of(&cfg, &[load, pre], Instr::Preload { local: sp(31), rows: 3 }), Some(ErrorCode::Sequence));
    // size before local_range: too many rows, past the end.
    assert_eq!(error_of(&cfg, &[load], Instr::Preload { local: sp(31), rows: 3 }), Some(ErrorCode::Size));
    assert_eq!(
        error_of(&cfg, &[], Instr::Mvin { dram: BASE + 1, local: acc(31), rows: 2, cols: 4 }),
        Some(ErrorCode::Size)
    );
    // local_range before dma_align and dma_window.
    assert_eq!(
        error_of(&cfg, &[], Instr::Mvin { dram: 3, local: acc(31), rows: 2, cols: 3 }),
        Some(ErrorCode::LocalRange)
    );
    // dma_align before dma_window.
    assert_eq!(
        error_of(&cfg, &[], Instr::Mvin { dram: 3, local: acc(0), rows: 1, cols: 3 }),
        Some(ErrorCode::DmaAlign)
    );
    assert_eq!(
        error_of(&cfg, &[], Instr::Mvin { dram: 4, local: acc(0), rows: 1, cols: 3 }),
        Some(ErrorCode::DmaWindow)
    );
    // illegal_command before everything.
    let mut w = Instr::Mvin { dram: 3, local: acc(31), rows: 2, cols: 4 }.encode();
    w[0] |= 0x100;
    let mut mem = Memory::new(BASE, 64);
    let window = mem.window();
    assert_eq!(Model::new(&cfg).execute(w, &mut mem, window), Err(ErrorCode::IllegalCommand));
}

#[test]
fn a_failing_command_changes_nothing_and_the_run_stops_there() {
    let cfg = small();
    let mut mem = Memory::new(BASE, 64);
    mem.write_ints(BASE, 1, &[1, 2, 3]).unwrap();
    let program = [
        Instr::Mvin { dram: BASE, local: sp(0), rows: 1, cols: 3 },
        Instr::Preload { local: sp(0), rows: 1 },
        Instr::Preload { local: sp(0), rows: 1 },
        Instr::Mvout { dram: BASE + 8, local: sp(0), rows: 1, cols: 3 },
    ];
    let mut model = Model::new(&cfg);
    let out = run_on(&mut model, &mut mem, &program);
    assert_eq!((out.executed, out.error), (2, Some((2, ErrorCode::Sequence))));
    assert_eq!(mem.read_ints(BASE + 8, 1, 3).unwrap(), [0, 0, 0], "nothing after the error ran");
    assert_eq!(model.pending_weights(), Some(&[vec![1, 2, 3], vec![0, 0, 0]][..]));
    // A mvout past the window leaves memory and state alone.
    let before = (mem.clone(), model.sp_row(0).map(<[i64]>::to_vec));
    let window = Window { base: BASE, limit: BASE + 9 };
    let bad = Instr::Mvout { dram: BASE + 8, local: sp(0), rows: 1, cols: 3 };
    assert_eq!(model.execute(bad.encode(), &mut mem, window), Err(ErrorCode::DmaWindow));
    assert_eq!((mem, model.sp_row(0).map(<[i64]>::to_vec)), before);
}

#[test]
fn reads_of_never_written_rows_are_reported() {
    let cfg = small();
    let mut mem = Memory::new(BASE, 64);
    let mut model = Model::new(&cfg);
    let out = run_on(
        &mut model,
        &mut mem,
        &[
            Instr::Mvin { dram: BASE, local: sp(0), rows: 1, cols: 3 },
            Instr::Preload { local: sp(0), rows: 2 },
            Instr::Compute { a: 4, b: 0, c: acc(0), count: 3 },
            Instr::Preload { local: acc(9), rows: 1 },
            Instr::Mvout { dram: BASE, local: raw(0), rows: 4, cols: 3 },
            Instr::Mvin { dram: BASE, local: acc_add(20), rows: 1, cols: 1 },
        ],
    );
    assert_eq!(out.error, None);
    assert!(!out.is_clean());
    let r = &out.undefined_reads;
    assert_eq!(r.len(), 5, "{r:#?}");
    assert!(r[0].contains("command 1") && r[0].contains("scratchpad row 1,"), "{}", r[0]);
    assert!(r[1].contains("command 2") && r[1].contains("scratchpad rows 4..=6"), "{}", r[1]);
    assert!(r[2].contains("accumulator row 9"), "{}", r[2]);
    assert!(r[3].contains("accumulator row 3,"), "{}", r[3]);
    assert!(r[4].contains("accumulator row 20"), "{}", r[4]);
    assert_eq!(model.undefined_reads(), &r[..]);
    // The rows computed or loaded are defined from then on.
    let again = run_on(&mut model, &mut mem, &[Instr::Mvout { dram: BASE, local: raw(0), rows: 3, cols: 3 }]);
    assert!(again.is_clean(), "{again:?}");
}

#[test]
fn a_window_outside_the_memory_image_is_a_model_error() {
    let cfg = small();
    let mut mem = Memory::new(BASE, 64);
    let program = words(&[Instr::Fence]);
    for window in [Window { base: BASE - 1, limit: BASE + 10 }, Window { base: BASE, limit: BASE + 64 }] {
        let out = Model::new(&cfg).run(&program, &mut mem, window);
        assert_eq!(out.executed, 0);
        assert!(matches!(out.model_error, Some(ModelError::WindowOutsideMemory { .. })), "{out:?}");
        assert!(out.model_error.unwrap().to_string().contains("not inside the memory image"));
    }
    // execute() alone: a transfer the window allows but the image lacks is skipped and
    // reported, never a panic.
    let mut model = Model::new(&cfg);
    let wide = Window { base: 0, limit: u32::MAX };
    assert_eq!(model.execute(Instr::Mvin { dram: 0, local: sp(0), rows: 1, cols: 1 }.encode(), &mut mem, wide), Ok(()));
    assert!(model.sp_row(0).is_none());
    assert!(model.undefined_reads()[0].contains("not modelled"), "{:?}", model.undefined_reads());
}

fn random_instr(rng: &mut ChaCha8Rng) -> Instr {
    let row = |rng: &mut ChaCha8Rng| rng.gen_range(0..40);
    let n = |rng: &mut ChaCha8Rng| rng.gen_range(1..6);
    let local = |rng: &mut ChaCha8Rng, write: bool| {
        if rng.gen_bool(0.5) {
            sp(row(rng))
        } else {
            let mut a = acc(row(rng));
            if write {
                a.accumulate = rng.gen_bool(0.3);
            } else {
                a.raw = rng.gen_bool(0.3);
            }
            a
        }
    };
    match rng.gen_range(0..10) {
        0 => Instr::ConfigEx {
            mode: if rng.gen() { Mode::Os } else { Mode::Ws },
            activation: [Activation::None, Activation::Relu, Activation::Relu6][rng.gen_range(0..3)],
            shift: rng.gen_range(0..32),
            multiplier: rng.gen(),
            relu6_max: rng.gen_range(-2..130),
        },
        1 => Instr::ConfigLd { stride: rng.gen_range(0..12) },
        2 => Instr::ConfigSt { stride: rng.gen_range(0..12) },
        3 | 4 => Instr::Mvin { dram: BASE + rng.gen_range(0..80), local: local(rng, true), rows: n(rng), cols: n(rng) },
        5 => Instr::Mvout { dram: BASE + rng.gen_range(0..80), local: local(rng, false), rows: n(rng), cols: n(rng) },
        6 => Instr::Preload { local: sp(row(rng)), rows: n(rng) },
        7 => Instr::Preload { local: acc(row(rng)), rows: 1 },
        8 => Instr::Compute {
            a: row(rng),
            b: row(rng),
            c: if rng.gen_bool(0.3) { acc_add(row(rng)) } else { acc(row(rng)) },
            count: n(rng),
        },
        _ => Instr::Fence,
    }
}

#[test]
fn random_programs_never_panic_and_stop_at_their_first_error() {
    let configs = [small(), config(3, 2, 8, 32, "os"), config(2, 2, 16, 40, "ws"), config(4, 4, 4, 16, "both")];
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut errors = std::collections::HashMap::new();
    for round in 0..3000 {
        let cfg = &configs[round % configs.len()];
        let mut mem = Memory::new(BASE, 128);
        rng.fill(&mut mem.bytes[..]);
        let window = Window { base: BASE + rng.gen_range(0..16), limit: BASE + rng.gen_range(40..128) };
        let mut program: Vec<[u32; 4]> = (0..rng.gen_range(1..40)).map(|_| random_instr(&mut rng).encode()).collect();
        if rng.gen_bool(0.1) {
            let i = rng.gen_range(0..program.len());
            program[i][rng.gen_range(0..4)] ^= 1 << rng.gen_range(0..32);
        }
        let mut model = Model::new(cfg);
        let out = model.run(&program, &mut mem, window);
        match out.error {
            Some((i, code)) => {
                assert_eq!(out.executed, i);
                *errors.entry(code).or_insert(0) += 1;
            }
            None => assert_eq!(out.executed, program.len()),
        }
        assert_eq!(out.macs, model.macs());
    }
    // Every code of the instruction set is reached by some random program (bus errors
    // come from main memory, which the model does not have).
    for code in ErrorCode::ALL[1..].iter().filter(|c| **c != ErrorCode::BusError) {
        assert!(errors.get(code).copied().unwrap_or(0) > 0, "{code} never raised: {errors:?}");
    }
}
