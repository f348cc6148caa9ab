//! The whole accelerator (`seedchip_top`) against the golden model: instruction streams
//! run on the RTL behind an AXI4 memory model and an AXI4-Lite host driver, and the whole
//! main-memory image must equal the model's, byte for byte, with the same error outcome.
//!
//! - every instruction kind on its own, and random programs mixing them;
//! - tiled matmuls of shapes that are not multiples of the array, with bias,
//!   requantization, ReLU and ReLU6;
//! - DMA faults (outside the window, misaligned) and other errors: nothing written
//!   outside, the documented code and command index;
//! - random main-memory latency and backpressure, several seeds;
//! - every Verilator run of these programs from all-zero registers and memories and from
//!   three random power-up states (`--x-initial unique`, seeds 1 to 3), with equal results
//!   and equal cycle counts;
//! - the IR interpreter running the same system;
//! - all of the above on configurations without the scoreboard
//!   (`controller.scoreboard = false`, trackers of 1 and 2 commands);
//! - the local-range and DMA-window checks at their edges (rows and counts at the end
//!   of each memory and past the 29-bit row's low bits, products of stride and rows at
//!   and above 2^32), with and without the scoreboard.
//!
//! These tests need Verilator; without it they fail with the message that says how to
//! install it.

use ip_blocks::isa::{ErrorCode, Instr};
use ip_blocks::model::{Memory, Window};
use ip_blocks::quant::{Activation, RequantParams};
use ip_blocks::tiler::{random_matmul, reference_matmul, tile_matmul, MatmulSpec};
use ip_blocks::Config;
use testbenches::axi::AxiConfig;
use testbenches::cosim::{self, CosimOptions, CosimReport, Engine};
use testbenches::programs::{self, random_memory, random_program, with_fault, Fault, Kind};

fn preset(name: &str) -> Config {
    Config::preset(name).expect("preset")
}

/// A non-square array with both dataflows, two small banks.
fn odd() -> Config {
    let text = "name = \"odd\"\n[array]\nrows = 3\ncols = 5\ndataflow = \"both\"\ndsp_multipliers = 6\n\
                [scratchpad]\nbanks = 2\nrows_per_bank = 64\n[accumulator]\nrows = 64\n[dma]\ndata_bits = 64\n";
    Config::from_toml(text, "odd").expect("valid")
}

/// 16-bit inputs, 40-bit accumulators (2- and 8-byte elements in main memory).
fn wide() -> Config {
    let text = "name = \"wide\"\n[array]\nrows = 2\ncols = 2\ninput_bits = 16\nacc_bits = 40\n\
                [scratchpad]\nbanks = 2\nrows_per_bank = 32\n[accumulator]\nrows = 32\n[dma]\ndata_bits = 32\n";
    Config::from_toml(text, "wide").expect("valid")
}

/// `cfg` without the scoreboard, with trackers of `depth` commands.
fn lean(cfg: Config, depth: u32) -> Config {
    let mut c = cfg;
    c.name = format!("{}_lean{depth}", c.name);
    c.controller.scoreboard = false;
    c.controller.queue_depth = depth;
    c.validate("lean").expect("valid");
    c
}

/// The smallest iCE40 build: a 4x4 array with a 32-bit DMA and one read burst in flight,
/// so the DMA is built with its compact engines.
fn compact() -> Config {
    let text = "name = \"compact\"\n[array]\nrows = 4\ncols = 4\ndsp_multipliers = 4\n\
                [scratchpad]\nbanks = 2\nrows_per_bank = 256\n[accumulator]\nrows = 64\n\
                [dma]\ndata_bits = 32\noutstanding = 1\n[controller]\nqueue_depth = 2\n";
    Config::from_toml(text, "compact").expect("valid")
}

/// The iCEBreaker's lean datapath: the serial requantizer (`requant_dsps = 1`, one
/// SB_MAC16) and 13 DSP PE multipliers: six pairs, one alone, three soft.
fn serial_requant() -> Config {
    let text = "name = \"serial\"\n[array]\nrows = 4\ncols = 4\ndsp_multipliers = 13\n\
                [scratchpad]\nbanks = 2\nrows_per_bank = 64\n[accumulator]\nrows = 64\nrequant_dsps = 1\n\
                [dma]\ndata_bits = 32\n[controller]\nqueue_depth = 2\n";
    Config::from_toml(text, "serial").expect("valid")
}

/// The power-up states every Verilator co-simulation runs from: all zeros, then three
/// random states of every register and memory (`--x-initial unique`, `--x-assign unique`).
const POWER_UPS: [Option<u64>; 4] = [None, Some(1), Some(2), Some(3)];

/// The options to run with: one per power-up state of [`POWER_UPS`] on Verilator when
/// `opts` names none, else `opts` alone.
fn variants(opts: &CosimOptions) -> Vec<CosimOptions> {
    if opts.engine == Engine::Verilator && opts.power_up_seed.is_none() {
        POWER_UPS.iter().map(|p| CosimOptions { power_up_seed: *p, ..opts.clone() }).collect()
    } else {
        vec![opts.clone()]
    }
}

/// Run and compare once per power-up state ([`variants`]); the runs must also agree with
/// each other on the cycle count and every performance counter (state left from power-up
/// must not change timing). Returns the first report.
fn check(cfg: &Config, what: &str, program: &[[u32; 4]], mem: &Memory, opts: &CosimOptions) -> CosimReport {
    let mut first: Option<CosimReport> = None;
    for o in variants(opts) {
        let what = format!("{what}, power-up {}", o.power_up_seed.map_or("zeros".into(), |s| format!("seed {s}")));
        let r = cosim::run(cfg, program, mem, &o).unwrap_or_else(|e| panic!("{}: {what}: {e}", cfg.name));
        assert!(
            r.pass,
            "{} ({}): {what}: RTL differs from the golden model\n{}",
            cfg.name,
            r.engine.name(),
            r.failure_text()
        );
        if let Some(f) = &first {
            assert_eq!(
                (r.cycles, r.counters),
                (f.cycles, f.counters),
                "{}: {what}: cycles or performance counters differ from the run from zeros",
                cfg.name
            );
        }
        first.get_or_insert(r);
    }
    first.expect("at least one run")
}

fn words(p: &[Instr]) -> Vec<[u32; 4]> {
    p.iter().map(|i| i.encode()).collect()
}

#[test]
fn every_instruction_alone_matches_the_model() {
    for cfg in [preset("ice40"), preset("ecp5"), odd(), lean(odd(), 1)] {
        for (i, kind) in programs::ALL.iter().enumerate() {
            let p = random_program(&cfg, 100 + i as u64, 10, &[*kind]);
            let mem = random_memory(i as u64);
            check(&cfg, &format!("{kind:?} alone"), &words(&p), &mem, &CosimOptions::default());
        }
    }
}

#[test]
fn mixed_random_programs_match_the_model() {
    for cfg in
        [preset("ice40"), preset("ecp5"), odd(), wide(), lean(preset("ice40"), 1), lean(odd(), 2), serial_requant()]
    {
        for seed in 0..4 {
            let p = random_program(&cfg, seed, 80, &programs::ALL);
            let mem = random_memory(seed);
            let r = check(&cfg, &format!("random program, seed {seed}"), &words(&p), &mem, &CosimOptions::default());
            assert!(r.rtl_error.is_none());
        }
    }
}

fn matmul(cfg: &Config, m: u32, k: u32, n: u32, activation: Activation, seed: u64, opts: &CosimOptions) -> CosimReport {
    let spec = MatmulSpec {
        m,
        k,
        n,
        bias: true,
        requant: RequantParams { multiplier: 1 << 30, shift: 7, activation, relu6_max: 40 },
    };
    let t = tile_matmul(cfg, &spec, 0x100).unwrap_or_else(|e| panic!("{e}"));
    let (a, b, bias) = random_matmul(&spec, cfg, seed);
    let mem = t.memory(&a, &b, &bias);
    let what = format!("matmul {m}x{k}x{n} {activation:?} seed {seed}");
    let r = check(cfg, &what, &t.words(), &mem, opts);
    let want = reference_matmul(&spec, cfg.array.acc_bits, cfg.array.input_bits, &a, &b, &bias);
    assert_eq!(t.read_c(&r.memory), want, "{}: {what}: C differs from the independent reference", cfg.name);
    r
}

#[test]
fn tiled_matmuls_of_awkward_shapes() {
    let shapes = [
        (17, 33, 9, Activation::Relu),
        (5, 7, 3, Activation::Relu6),
        (1, 1, 1, Activation::None),
        (33, 17, 20, Activation::Relu),
    ];
    for cfg in
        [preset("ice40"), preset("ecp5"), odd(), wide(), lean(preset("ice40"), 1), lean(wide(), 2), serial_requant()]
    {
        for (i, (m, k, n, act)) in shapes.iter().enumerate() {
            matmul(&cfg, *m, *k, *n, *act, i as u64, &CosimOptions::default());
        }
    }
}

#[test]
fn the_serial_requantizer_on_both_dataflows_and_every_engine() {
    // Both dataflows and 64-bit DMA (odd), the serial requantizer, on Verilator and on the
    // IR interpreter.
    let mut cfg = odd();
    cfg.name = "odd_serial".into();
    cfg.accumulator.requant_dsps = 1;
    let p = random_program(&cfg, 31, 60, &programs::ALL);
    check(&cfg, "random program", &words(&p), &random_memory(31), &CosimOptions::default());
    matmul(&cfg, 17, 33, 9, Activation::Relu, 5, &CosimOptions::default());
    let interp = CosimOptions { engine: Engine::Interp, ..CosimOptions::default() };
    matmul(&cfg, 5, 7, 3, Activation::Relu6, 6, &interp);
}

#[test]
fn the_booth_requantizer_on_both_dataflows_and_every_engine() {
    // As above with the requantizer's product in logic (`requant_dsps = 0`, a column
    // every 8 cycles).
    let mut cfg = odd();
    cfg.name = "odd_booth".into();
    cfg.accumulator.requant_dsps = 0;
    let p = random_program(&cfg, 37, 60, &programs::ALL);
    check(&cfg, "random program", &words(&p), &random_memory(37), &CosimOptions::default());
    matmul(&cfg, 17, 33, 9, Activation::Relu6, 7, &CosimOptions::default());
    let interp = CosimOptions { engine: Engine::Interp, ..CosimOptions::default() };
    matmul(&cfg, 5, 7, 3, Activation::Relu, 8, &interp);
}

#[test]
fn output_stationary_matmul() {
    // The ecp5 preset has both dataflows; the tiler uses weight-stationary by default, so
    // force output-stationary through an OS-only copy of the array.
    let mut cfg = odd();
    cfg.name = "odd_os".into();
    cfg.array.dataflow = ip_blocks::config::Dataflow::Os;
    matmul(&cfg, 7, 9, 11, Activation::Relu, 3, &CosimOptions::default());
    matmul(&lean(cfg, 1), 7, 9, 11, Activation::Relu, 3, &CosimOptions::default());
}

#[test]
fn faults_write_nothing_and_report_the_documented_code() {
    let cases = [
        (Fault::WindowStore, ErrorCode::DmaWindow),
        (Fault::WindowLoad, ErrorCode::DmaWindow),
        (Fault::Misaligned, ErrorCode::DmaAlign),
        (Fault::IllegalOpcode, ErrorCode::IllegalCommand),
        (Fault::LocalRange, ErrorCode::LocalRange),
    ];
    for cfg in [preset("ice40"), odd(), lean(preset("ice40"), 1), lean(odd(), 2)] {
        for (i, (fault, code)) in cases.iter().enumerate() {
            let p = random_program(&cfg, 40 + i as u64, 30, &programs::ALL);
            // The program's regions are the DMA window; 64 bytes on either side of it
            // carry a pattern that must survive.
            let inner = random_memory(i as u64);
            let pad = 0x40u32;
            let mut bytes = vec![0xa5u8; pad as usize];
            bytes.extend_from_slice(&inner.bytes);
            bytes.extend(std::iter::repeat_n(0xa5u8, pad as usize));
            let mem = Memory { base: inner.base - pad, bytes };
            let window = Window { base: inner.base, limit: inner.base + inner.bytes.len() as u32 - 1 };
            let at = 15;
            let prog = with_fault(&cfg, &p, at, *fault, (window.base, window.limit));
            let opts = CosimOptions { window: Some(window), ..CosimOptions::default() };
            let r = check(&cfg, &format!("{fault:?}"), &prog, &mem, &opts);
            let (idx, got) = r.rtl_error.unwrap_or_else(|| panic!("{}: {fault:?}: no error raised", cfg.name));
            assert_eq!(got, code.code(), "{}: {fault:?}: error code", cfg.name);
            assert!(idx as usize >= at, "{}: {fault:?}: error index {idx}", cfg.name);
            let n = r.memory.bytes.len();
            let outside = r.memory.bytes[..pad as usize].iter().chain(&r.memory.bytes[n - pad as usize..]);
            assert!(
                outside.into_iter().all(|b| *b == 0xa5),
                "{}: {fault:?}: a byte outside the window changed",
                cfg.name
            );
        }
    }
}

#[test]
fn random_memory_latency_and_backpressure_give_identical_results() {
    for cfg in [preset("ice40"), odd(), lean(odd(), 1)] {
        let p = random_program(&cfg, 7, 60, &programs::ALL);
        let mem = random_memory(7);
        for seed in 0..4 {
            let opts = CosimOptions { timing: AxiConfig::random(seed), ..CosimOptions::default() };
            check(&cfg, &format!("random program, AXI seed {seed}"), &words(&p), &mem, &opts);
            matmul(&cfg, 17, 33, 9, Activation::Relu, 1, &opts);
        }
    }
}

#[test]
fn random_power_up_state_gives_identical_results() {
    for cfg in [preset("ice40"), odd()] {
        let p = random_program(&cfg, 9, 60, &programs::ALL);
        let mem = random_memory(9);
        for seed in 1..4 {
            let opts = CosimOptions { power_up_seed: Some(seed), ..CosimOptions::default() };
            check(&cfg, &format!("random program, power-up seed {seed}"), &words(&p), &mem, &opts);
            matmul(&cfg, 17, 33, 9, Activation::Relu, 2, &opts);
        }
    }
}

/// Three random programs of every instruction kind (seeds from `seed0`), each under ideal
/// memory timing and under random AXI timing from a random power-up state, and two tiled
/// matmuls (ReLU, ReLU6), also under random AXI timing when `matmuls_under_random_timing`.
fn programs_and_matmuls(cfg: &Config, seed0: u64, matmuls_under_random_timing: bool) {
    for seed in 0..3 {
        let p = random_program(cfg, seed0 + seed, 80, &programs::ALL);
        let mem = random_memory(seed0 + seed);
        check(cfg, &format!("random program, seed {seed}"), &words(&p), &mem, &CosimOptions::default());
        let opts = CosimOptions { timing: AxiConfig::random(seed), power_up_seed: Some(1), ..CosimOptions::default() };
        check(cfg, &format!("random program, AXI seed {seed}"), &words(&p), &mem, &opts);
    }
    for (i, (m, k, n, act)) in [(17, 33, 9, Activation::Relu), (5, 7, 3, Activation::Relu6)].into_iter().enumerate() {
        matmul(cfg, m, k, n, act, i as u64, &CosimOptions::default());
        if matmuls_under_random_timing {
            let opts = CosimOptions { timing: AxiConfig::random(10 + i as u64), ..CosimOptions::default() };
            matmul(cfg, m, k, n, act, i as u64, &opts);
        }
    }
}

/// The compact DMA engines in the whole machine: random programs of every instruction
/// kind and tiled matmuls, under ideal and random main-memory timing, faults that must
/// write nothing, and the interpreter.
#[test]
fn the_compact_dma_configuration_matches_the_model() {
    let cfg = compact();
    assert!(ip_blocks::blocks::dma::DmaSizes::of(&cfg.geometry()).compact());
    programs_and_matmuls(&cfg, 60, true);
    let p = random_program(&cfg, 70, 30, &programs::ALL);
    let inner = random_memory(70);
    let pad = 0x40u32;
    let mut bytes = vec![0xa5u8; pad as usize];
    bytes.extend_from_slice(&inner.bytes);
    bytes.extend(std::iter::repeat_n(0xa5u8, pad as usize));
    let mem = Memory { base: inner.base - pad, bytes };
    let window = Window { base: inner.base, limit: inner.base + inner.bytes.len() as u32 - 1 };
    for fault in [Fault::WindowStore, Fault::WindowLoad] {
        let prog = with_fault(&cfg, &p, 15, fault, (window.base, window.limit));
        let opts = CosimOptions { window: Some(window), ..CosimOptions::default() };
        let r = check(&cfg, &format!("{fault:?}"), &prog, &mem, &opts);
        assert_eq!(r.rtl_error.map(|e| e.1), Some(ErrorCode::DmaWindow.code()), "{fault:?}");
        let n = r.memory.bytes.len();
        let outside = r.memory.bytes[..pad as usize].iter().chain(&r.memory.bytes[n - pad as usize..]);
        assert!(outside.into_iter().all(|b| *b == 0xa5), "{fault:?}: a byte outside the window changed");
    }
    let opts = CosimOptions { engine: Engine::Interp, ..CosimOptions::default() };
    let p = random_program(&cfg, 71, 25, &programs::ALL);
    check(&cfg, "random program on the interpreter", &words(&p), &random_memory(71), &opts);
}

/// `configs/icebreaker-2x2.toml`, the whole small-device form the iCEBreaker builds (no
/// scoreboard, one-entry queue, compact DMA, 32-bit counters, serial requantizer, PE
/// pairs): random programs of every instruction under random memory timing, and tiled
/// matmuls, against the golden model.
#[test]
fn the_icebreaker_configuration_matches_the_model() {
    let text = include_str!("../../configs/icebreaker-2x2.toml");
    let cfg = Config::from_toml(text, "configs/icebreaker-2x2.toml").expect("valid");
    programs_and_matmuls(&cfg, 90, false);
}

/// `configs/tangnano9k-4x4.toml`, the 4x4 the Tang Nano 9K builds (the small-device
/// control path with the parallel requantizer): random programs of every instruction
/// under random memory timing, and tiled matmuls, against the golden model.
#[test]
fn the_tangnano9k_configuration_matches_the_model() {
    let text = include_str!("../../configs/tangnano9k-4x4.toml");
    let cfg = Config::from_toml(text, "configs/tangnano9k-4x4.toml").expect("valid");
    programs_and_matmuls(&cfg, 95, false);
}

/// `configs/icebreaker-4x4.toml`, the 4x4 small-device form for the iCEBreaker (as the
/// 2x2, with broadcast rows): random programs of every instruction under random memory
/// timing, and tiled matmuls, against the golden model.
#[test]
fn the_icebreaker_4x4_configuration_matches_the_model() {
    let text = include_str!("../../configs/icebreaker-4x4.toml");
    let cfg = Config::from_toml(text, "configs/icebreaker-4x4.toml").expect("valid");
    programs_and_matmuls(&cfg, 100, false);
}

/// `configs/ulx3s-8x8.toml`, the 64 MACs the ULX3S builds (an 8x8 with the small-device
/// control path and 64-bit compact DMA engines): random programs of every instruction
/// under random memory timing, and tiled matmuls, against the golden model.
#[test]
fn the_ulx3s_8x8_configuration_matches_the_model() {
    let text = include_str!("../../configs/ulx3s-8x8.toml");
    let cfg = Config::from_toml(text, "configs/ulx3s-8x8.toml").expect("valid");
    programs_and_matmuls(&cfg, 105, false);
}

/// `scratchpad.read_latency = 2` (a register after each bank, as the ULX3S builds): the
/// readers' in-flight stages and their queues one row deeper (A, B and store of three
/// rows, the weight feeder's queue; the one-row store queue of the one-entry command
/// queue) and the compact store's response register, on both dataflows, under random
/// memory timing and random power-up states, against the golden model.
#[test]
fn the_scratchpad_output_register_matches_the_model() {
    let two = |mut c: Config| {
        c.name = format!("{}_lat2", c.name);
        c.scratchpad.read_latency = 2;
        c.validate("lat2").expect("valid");
        c
    };
    programs_and_matmuls(&two(odd()), 110, true);
    programs_and_matmuls(&two(lean(compact(), 1)), 115, true);
    let mut os = two(odd());
    os.array.dataflow = ip_blocks::config::Dataflow::Os;
    os.name = "odd_os_lat2".into();
    matmul(&os, 7, 9, 11, Activation::Relu, 3, &CosimOptions::default());
    matmul(&lean(os, 1), 7, 9, 11, Activation::Relu6, 4, &CosimOptions::default());
    let interp = CosimOptions { engine: Engine::Interp, ..CosimOptions::default() };
    matmul(&two(odd()), 5, 7, 3, Activation::Relu, 6, &interp);
}

/// `accumulator.read_latency = 2` and `product_stages = 2` (the block RAM's output
/// registered on the read-modify-write, the requantizer's product in two stages, as the
/// ULX3S builds): accumulates waiting on the writes of both stages, reads stalled behind
/// them, on both dataflows, with the scoreboard and without, under random memory timing,
/// against the golden model.
#[test]
fn the_accumulator_output_register_matches_the_model() {
    let two = |mut c: Config| {
        c.name = format!("{}_acc2", c.name);
        c.accumulator.read_latency = 2;
        c.accumulator.product_stages = 2;
        c.validate("acc2").expect("valid");
        c
    };
    programs_and_matmuls(&two(odd()), 120, true);
    programs_and_matmuls(&two(lean(compact(), 1)), 125, true);
    let mut os = two(odd());
    os.array.dataflow = ip_blocks::config::Dataflow::Os;
    os.name = "odd_os_acc2".into();
    matmul(&os, 7, 9, 11, Activation::Relu, 3, &CosimOptions::default());
    matmul(&lean(os, 1), 7, 9, 11, Activation::Relu6, 4, &CosimOptions::default());
    // The serial requantizer with the late read (one stage of product: it is serial).
    let mut serial = serial_requant();
    serial.accumulator.read_latency = 2;
    serial.name = "serial_acc2".into();
    matmul(&serial, 9, 5, 6, Activation::Relu, 5, &CosimOptions::default());
    let interp = CosimOptions { engine: Engine::Interp, ..CosimOptions::default() };
    matmul(&two(odd()), 5, 7, 3, Activation::Relu, 6, &interp);
}

/// `accumulator.read_out_registered` (the read-out's row in registers after its block
/// RAM, shifted a column per issue, as the ULX3S builds): raw rows, bias loads and
/// requantized rows a cycle later, on both dataflows, with each requantizer, with the
/// registered local-read handshakes, against the golden model.
#[test]
fn the_registered_read_out_matches_the_model() {
    let reg = |mut c: Config| {
        c.name = format!("{}_rdout", c.name);
        c.accumulator.read_out_registered = true;
        c.validate("rdout").expect("valid");
        c
    };
    programs_and_matmuls(&reg(odd()), 130, true);
    let mut compact = lean(compact(), 1);
    compact.dma.local_read_registered = true;
    compact.accumulator.read_latency = 2;
    compact.accumulator.product_stages = 2;
    programs_and_matmuls(&reg(compact), 135, true);
    let mut os = reg(odd());
    os.array.dataflow = ip_blocks::config::Dataflow::Os;
    os.name = "odd_os_rdout".into();
    matmul(&os, 7, 9, 11, Activation::Relu, 3, &CosimOptions::default());
    matmul(&reg(serial_requant()), 9, 5, 6, Activation::Relu, 5, &CosimOptions::default());
    let interp = CosimOptions { engine: Engine::Interp, ..CosimOptions::default() };
    matmul(&reg(odd()), 5, 7, 3, Activation::Relu, 6, &interp);
}

/// `controller.engine_out_registered` (the engine's output through a register and a skid
/// entry, its stall from a register): output vectors held by the accumulator's write
/// hazard and by DMA loads, on both dataflows, with the scoreboard and without, under
/// random memory timing, against the golden model.
#[test]
fn the_registered_engine_output_matches_the_model() {
    let reg = |mut c: Config| {
        c.name = format!("{}_engout", c.name);
        c.controller.engine_out_registered = true;
        c.validate("engout").expect("valid");
        c
    };
    programs_and_matmuls(&reg(odd()), 140, true);
    let mut compact = lean(compact(), 1);
    compact.accumulator.read_latency = 2;
    compact.accumulator.read_out_registered = true;
    programs_and_matmuls(&reg(compact), 145, true);
    let mut os = reg(odd());
    os.array.dataflow = ip_blocks::config::Dataflow::Os;
    os.name = "odd_os_engout".into();
    matmul(&os, 7, 9, 11, Activation::Relu, 3, &CosimOptions::default());
    let interp = CosimOptions { engine: Engine::Interp, ..CosimOptions::default() };
    matmul(&reg(odd()), 5, 7, 3, Activation::Relu, 6, &interp);
}

#[test]
fn the_interpreter_runs_the_same_system() {
    let opts = CosimOptions { engine: Engine::Interp, ..CosimOptions::default() };
    for cfg in [odd(), lean(odd(), 1)] {
        let p = random_program(&cfg, 11, 25, &programs::ALL);
        check(&cfg, "random program", &words(&p), &random_memory(11), &opts);
        matmul(&cfg, 5, 7, 3, Activation::Relu6, 4, &opts);
    }
}

#[test]
fn a_broken_machine_is_reported_with_address_instruction_and_waveform() {
    // A stand-in for a broken RTL: the RTL runs the program without its last mvout while
    // the model runs all of it.
    let cfg = preset("ice40");
    let p = random_program(&cfg, 21, 40, &[Kind::MvinAcc, Kind::MvoutAcc]);
    let mem = random_memory(21);
    let w = words(&p);
    let last_out = p.iter().rposition(|i| matches!(i, Instr::Mvout { .. })).expect("the program stores");
    let mut broken = w.clone();
    broken.remove(last_out);
    let dir = tempfile::tempdir().unwrap();
    let opts = CosimOptions { waveform_dir: Some(dir.path().to_path_buf()), ..CosimOptions::default() };
    let r = cosim::run_against(&cfg, &w, &broken, &mem, &opts).expect("runs");
    assert!(!r.pass && r.mismatch_count > 0, "a missing mvout must be caught");
    let text = r.failure_text();
    let first = r.mismatches[0].to_string();
    assert!(first.contains("expected") && first.contains("got"), "{first}");
    assert!(first.contains(&format!("instruction {last_out}: mvout")), "names the instruction: {first}");
    let vcd = r.waveform.as_ref().unwrap_or_else(|| panic!("no waveform written:\n{text}"));
    let dump = std::fs::read_to_string(vcd).unwrap();
    assert!(dump.contains("$enddefinitions") && dump.contains("m_axi_wvalid_o"), "a VCD of the top's ports");
    assert!(text.contains(&vcd.display().to_string()), "the report names the waveform: {text}");
}

#[test]
fn an_error_response_from_main_memory_stops_the_machine_with_bus_error() {
    let cfg = preset("ice40");
    let mem = random_memory(5);
    let base = mem.base;
    let program = words(&[
        Instr::ConfigLd { stride: 4 },
        Instr::Mvin { dram: base + 0x100, local: ip_blocks::isa::LocalAddr::scratchpad(0), rows: 4, cols: 4 },
        Instr::Mvin { dram: base + 0x200, local: ip_blocks::isa::LocalAddr::scratchpad(8), rows: 4, cols: 4 },
    ]);
    let mut timing = AxiConfig::ideal(cosim::DEFAULT_LATENCY);
    timing.error_window = Some((base + 0x100, base + 0x110));
    let opts = CosimOptions { timing, ..CosimOptions::default() };
    let r = cosim::run(&cfg, &program, &mem, &opts).unwrap_or_else(|e| panic!("{e}"));
    let (_, code) = r.rtl_error.expect("the RTL reports the bus error");
    assert_eq!(code, ErrorCode::BusError.code());
    // The golden model has no bus: the outcomes differ and the report says how.
    assert!(!r.pass && r.failure_text().contains("bus_error"), "{}", r.failure_text());
}

/// The error codes the fault programs above do not raise (found missing by the functional
/// coverage of `make coverage`): `Size`, `Sequence` and `Mode`, each at the documented
/// instruction, equal to the golden model.
#[test]
fn size_sequence_and_mode_errors_match_the_model() {
    for cfg in [preset("ice40"), lean(preset("ice40"), 1)] {
        size_sequence_and_mode_errors(&cfg);
    }
}

fn size_sequence_and_mode_errors(cfg: &Config) {
    use ip_blocks::isa::{LocalAddr, Mode};
    let mem = random_memory(7);
    let base = mem.base;
    let g = cfg.geometry();
    let ws = Instr::ConfigEx { mode: Mode::Ws, activation: Activation::None, shift: 0, multiplier: 1, relu6_max: 0 };
    let os = Instr::ConfigEx { mode: Mode::Os, activation: Activation::None, shift: 0, multiplier: 1, relu6_max: 0 };
    let too_wide = u16::try_from(g.cols + 1).expect("a small array");
    let cases = [
        (
            "mvin wider than a scratchpad row",
            vec![
                Instr::ConfigLd { stride: 64 },
                Instr::Mvin { dram: base, local: LocalAddr::scratchpad(0), rows: 1, cols: too_wide },
            ],
            ErrorCode::Size,
            1,
        ),
        (
            "compute with no weights preloaded",
            vec![ws, Instr::Compute { a: 0, b: 0, c: LocalAddr::accumulator(0), count: 1 }],
            ErrorCode::Sequence,
            1,
        ),
        ("output-stationary on a weight-stationary engine", vec![Instr::Fence, os], ErrorCode::Mode, 1),
    ];
    for (what, program, code, at) in cases {
        let r = check(cfg, what, &words(&program), &mem, &CosimOptions::default());
        assert_eq!(r.rtl_error, Some((at, code.code())), "{}: {what}", cfg.name);
    }
}

/// A named program and the error the model must raise on it (`None`: none).
type Case<'a> = (&'a str, Vec<Instr>, Option<(usize, ErrorCode)>);

/// Run each case on `cfg` against the model, and check that the model's outcome is the
/// one the case was written for.
fn edge_cases(cfg: &Config, mem: &Memory, cases: &[Case]) {
    for (what, program, want) in cases {
        let r = check(cfg, what, &words(program), mem, &CosimOptions::default());
        assert_eq!(r.model_error, *want, "{}: {what}: the case does not test what it says", cfg.name);
    }
}

/// Local row ranges at the end of each memory, counts of `2^lb` and above, and rows
/// whose low bits are in range but not their high bits (`lb` = 10 on the ice40 preset:
/// 1024 scratchpad rows, 256 accumulator rows). The controller checks in `lb + 2` bits
/// what the model checks in 64.
#[test]
fn local_range_checks_are_exact_at_their_edges() {
    use ip_blocks::isa::LocalAddr;
    let mem = random_memory(3);
    let base = mem.base;
    let sp = LocalAddr::scratchpad;
    let acc = LocalAddr::accumulator;
    let range = |at: usize| Some((at, ErrorCode::LocalRange));
    let ld = Instr::ConfigLd { stride: 16 };
    let mvin = |local: LocalAddr, rows: u16| Instr::Mvin { dram: base, local, rows, cols: 4 };
    // Rows 1020..1023 and accumulator rows 252..255 defined, weights preloaded.
    let setup = [ld, mvin(sp(1020), 4), mvin(acc(252), 4), Instr::Preload { local: sp(1020), rows: 4 }];
    let with = |tail: &[Instr]| -> Vec<Instr> { setup.iter().chain(tail).copied().collect() };
    let compute = |a: u32, c: u32, count: u16| Instr::Compute { a, b: 0, c: acc(c), count };
    for cfg in [preset("ice40"), lean(preset("ice40"), 1)] {
        let cases = [
            ("mvin to the last scratchpad rows", vec![ld, mvin(sp(1020), 4)], None),
            ("mvin one row past the scratchpad", vec![ld, mvin(sp(1021), 4)], range(1)),
            ("mvin of every scratchpad row (a count of 2^lb)", vec![ld, mvin(sp(0), 1024)], None),
            ("mvin of 2^lb + 1 rows", vec![ld, mvin(sp(0), 1025)], range(1)),
            ("mvin of 2^(lb + 1) rows", vec![ld, mvin(sp(0), 2048)], range(1)),
            ("mvin of 65535 rows", vec![ld, mvin(sp(0), 65535)], range(1)),
            ("mvin to row 2^lb", vec![ld, mvin(sp(1024), 1)], range(1)),
            ("mvin to a row with only bit 28 set", vec![ld, mvin(sp(1 << 28), 1)], range(1)),
            ("mvin to the largest row", vec![ld, mvin(sp((1 << 29) - 1), 1)], range(1)),
            ("mvin to the last accumulator rows", vec![ld, mvin(acc(252), 4)], None),
            ("mvin one row past the accumulator", vec![ld, mvin(acc(253), 4)], range(1)),
            ("mvin to accumulator row 1024 + 252", vec![ld, mvin(acc(1024 + 252), 4)], range(1)),
            ("bias from the last accumulator row", with(&[Instr::Preload { local: acc(255), rows: 1 }]), None),
            ("bias from accumulator row 256", with(&[Instr::Preload { local: acc(256), rows: 1 }]), range(4)),
            ("bias from row 2^28 + 255", with(&[Instr::Preload { local: acc((1 << 28) + 255), rows: 1 }]), range(4)),
            (
                "weights from row 1021",
                vec![ld, mvin(sp(1020), 4), Instr::Preload { local: sp(1021), rows: 4 }],
                range(2),
            ),
            ("compute at the end of both memories", with(&[compute(1020, 252, 4)]), None),
            ("compute reading one row past the scratchpad", with(&[compute(1021, 0, 4)]), range(4)),
            ("compute writing one row past the accumulator", with(&[compute(1020, 253, 4)]), range(4)),
            ("compute of A row 2^28 + 1020", with(&[compute((1 << 28) + 1020, 0, 4)]), range(4)),
            ("compute of 65535 vectors", with(&[compute(0, 0, 65535)]), range(4)),
        ];
        edge_cases(&cfg, &mem, &cases);
    }
    // The B row of an output-stationary compute (24 bits): 128 scratchpad rows, `lb` = 7.
    let os = Instr::ConfigEx {
        mode: ip_blocks::isa::Mode::Os,
        activation: Activation::None,
        shift: 0,
        multiplier: 1,
        relu6_max: 0,
    };
    let setup = [ld, mvin(sp(124), 4), os];
    let with = |tail: &[Instr]| -> Vec<Instr> { setup.iter().chain(tail).copied().collect() };
    let compute_os = |b: u32| Instr::Compute { a: 124, b, c: acc(0), count: 4 };
    for cfg in [odd(), lean(odd(), 2)] {
        let cases = [
            ("B at the last rows", with(&[compute_os(124)]), None),
            ("B one row past", with(&[compute_os(125)]), range(3)),
            ("B at the largest 24-bit row (low bits 124)", with(&[compute_os(0xff_fffc)]), range(3)),
        ];
        edge_cases(&cfg, &mem, &cases);
    }
}

/// The DMA-window check where `(rows - 1) * stride` and the last byte meet 2^32: the
/// controller keeps 32 bits and an overflow flag where the model computes in 64 bits.
/// Each case would pass the check if the product or the last byte wrapped at 2^32.
#[test]
fn window_check_is_exact_at_the_32_bit_edge() {
    use ip_blocks::isa::LocalAddr;
    let mem = random_memory(4);
    let (base, limit) = (mem.base, mem.base + mem.bytes.len() as u32 - 1);
    let window = |at: usize| Some((at, ErrorCode::DmaWindow));
    let load = |stride: u32, dram: u32, rows: u16| {
        vec![Instr::ConfigLd { stride }, Instr::Mvin { dram, local: LocalAddr::scratchpad(0), rows, cols: 4 }]
    };
    let store = |stride: u32, rows: u16| {
        vec![
            Instr::ConfigLd { stride: 4 },
            Instr::Mvin { dram: base, local: LocalAddr::scratchpad(0), rows, cols: 4 },
            Instr::ConfigSt { stride },
            Instr::Mvout { dram: base + 0x4000, local: LocalAddr::scratchpad(0), rows, cols: 4 },
        ]
    };
    for cfg in [preset("ice40"), lean(preset("ice40"), 1)] {
        let cases = [
            ("product exactly 2^32 (2^31 x 2)", load(0x8000_0000, base, 3), window(1)),
            ("product 2^32 + 2 (carry out of the sum)", load(0x5555_5556, base, 4), window(1)),
            ("product 2^32 (the multiplicand passes 2^32)", load(0x4000_0000, base, 5), window(1)),
            ("a negative stride over two rows", load(0xffff_fffc, base, 2), window(1)),
            ("a negative stride over one row", load(0xffff_fffc, base, 1), None),
            ("product 2^32 - 1, the row's bytes carry", load(0xffff_ffff, base, 2), window(1)),
            ("product below 2^32, dram + product above", load(0xfffe_0000, base, 2), window(1)),
            ("1023 x 2^22", load(1 << 22, base, 1024), window(1)),
            ("last byte at the limit", load(16, limit - 3 - 48, 4), None),
            ("last byte one past the limit", load(16, limit - 2 - 48, 4), window(1)),
            ("a store with a product of 2^32", store(0x8000_0000, 3), window(3)),
            ("a store with a product of 2^32 + 2", store(0x5555_5556, 4), window(3)),
            ("first byte one below the base", load(16, base - 1, 1), window(1)),
            ("one row whose bytes carry out of bit 31", load(16, 0xffff_fffe, 1), window(1)),
            ("a stride of 2^32 - 1 over two rows, dram just below 2^32", load(0xffff_ffff, 0xffff_fff0, 2), window(1)),
            // The second load waits for the first (the turning stride is the DMA's).
            ("a load behind a load, product 2^32", [load(16, base, 4), load(0x8000_0000, base, 3)].concat(), window(3)),
            (
                "a load behind a load, last byte at the limit",
                [load(16, base, 4), load(16, limit - 3 - 48, 4)].concat(),
                None,
            ),
        ];
        edge_cases(&cfg, &mem, &cases);
        // Accumulator elements (4 bytes, strides multiples of 4).
        let acc_case = vec![
            Instr::ConfigLd { stride: 0x4000_0000 },
            Instr::Mvin { dram: base, local: LocalAddr::accumulator(0), rows: 5, cols: 4 },
        ];
        edge_cases(&cfg, &mem, &[("accumulator rows, product 2^32", acc_case, window(1))]);
    }
}

/// The iCE40 preset with 32-bit performance counters.
fn ice40_c32() -> Config {
    let mut cfg = preset("ice40");
    cfg.name = "ice40_c32".into();
    cfg.controller.counter_bits = 32;
    cfg
}

#[test]
fn counters_of_32_bits_read_as_the_64_bit_ones_and_match_the_model() {
    // A 64^3 matmul: every counter well inside 32 bits, so both widths read the same.
    let opts = CosimOptions::default();
    let wide = matmul(&preset("ice40"), 64, 64, 64, Activation::Relu, 6, &opts);
    let narrow = matmul(&ice40_c32(), 64, 64, 64, Activation::Relu, 6, &opts);
    assert_eq!((narrow.cycles, narrow.counters), (wide.cycles, wide.counters), "32-bit counters read as 64-bit ones");
    assert_eq!(narrow.counters.macs, 64 * 64 * 64, "MACS");
    assert_eq!(narrow.counters.macs, narrow.macs, "MACS is the model's count");
    assert!(narrow.counters.cycles > 0 && narrow.counters.cycles < 1 << 32);
    let cfg = ice40_c32();
    for seed in 0..2 {
        let p = random_program(&cfg, 30 + seed, 60, &programs::ALL);
        let r = check(&cfg, &format!("random program, seed {seed}"), &words(&p), &random_memory(seed), &opts);
        assert_eq!(r.counters.macs, r.macs, "MACS, random program {seed}");
    }
}

/// The counters after running `program` on the IR interpreter, with the controller's
/// counter registers set to `start` (register name, value) right after reset; read
/// through the host interface.
fn counters_after(cfg: &Config, program: &[[u32; 4]], mem: &Memory, start: &[(&str, u64)]) -> cosim::Counters {
    use rtl_gen::sim::{Interp, Simulator};
    use testbenches::axi::AxiMemory;
    use testbenches::axil::{AxilDriver, AxilOptions};
    let gen = ip_blocks::generate(cfg).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Interp::new(&gen.design, gen.top).expect("interpreter");
    let timing = AxiConfig::ideal(cosim::DEFAULT_LATENCY);
    let mut axi = AxiMemory::new(&sim, "m_axi_", mem.base, mem.bytes.clone(), timing).expect("AXI4 ports");
    let mut host = AxilDriver::new(&sim, AxilOptions::default()).expect("AXI4-Lite ports");
    sim.reset(4);
    for (reg, v) in start {
        let value = rtl_gen::Bits::from_u64(*v, cfg.controller.counter_bits);
        assert!(sim.poke_path(&format!("controller.{reg}_q"), &value), "{}: no register {reg}", cfg.name);
    }
    let map = ip_blocks::regmap::regmap(&cfg.geometry(), cfg.array.dataflow);
    let reg = |n: &str| map.by_name(n).unwrap_or_else(|| panic!("no register {n}")).offset;
    host.write(reg("WINDOW_BASE"), mem.base, 0xf);
    host.write(reg("WINDOW_LIMIT"), mem.base + mem.bytes.len() as u32 - 1, 0xf);
    for w in program {
        for (k, word) in w.iter().enumerate() {
            host.write(reg(&format!("CMD{k}")), *word, 0xf);
        }
    }
    let cycle = |sim: &mut Interp, axi: &mut AxiMemory, host: &mut AxilDriver| {
        axi.drive(sim);
        host.drive(sim);
        axi.sample(sim).unwrap_or_else(|e| panic!("AXI4: {e}"));
        host.sample(sim).unwrap_or_else(|e| panic!("AXI4-Lite: {e}"));
        sim.step();
    };
    for _ in 0..200_000 {
        cycle(&mut sim, &mut axi, &mut host);
        if host.idle() && sim.get("idle_o") == 1 {
            break;
        }
    }
    assert!(host.idle() && sim.get("idle_o") == 1, "{}: the program did not finish", cfg.name);
    assert_eq!(sim.get("error_o"), 0, "{}: the program failed", cfg.name);
    let tickets: Vec<_> = cosim::Counters::registers().map(|n| host.read(reg(n))).collect();
    while !host.idle() {
        cycle(&mut sim, &mut axi, &mut host);
    }
    let mut values = tickets.iter().map(|t| host.read_data(*t).expect("read").0);
    cosim::Counters::read_with(|_| values.next().ok_or(())).expect("every counter register read")
}

#[test]
fn counters_of_32_bits_wrap_at_2_to_the_32() {
    let spec = MatmulSpec {
        m: 9,
        k: 7,
        n: 5,
        bias: true,
        requant: RequantParams { multiplier: 1 << 30, shift: 7, activation: Activation::Relu, relu6_max: 40 },
    };
    let near = |i: u64| (1u64 << 32) - 3 - i;
    // ice40: 16 MACs per cycle, MACS is ENGINE_BUSY shifted; odd: 15, MACS counts itself.
    for (base, macs_reg) in [(preset("ice40"), false), (odd(), true)] {
        let t = tile_matmul(&base, &spec, 0x100).unwrap_or_else(|e| panic!("{e}"));
        let (a, b, bias) = random_matmul(&spec, &base, 8);
        let mem = t.memory(&a, &b, &bias);
        let per_cycle = base.geometry().macs_per_cycle();
        let mut start = vec![
            ("perf_cycles", near(0)),
            ("perf_engine_busy", near(1)),
            ("perf_dma_bytes", near(2)),
            ("perf_dma_stall", near(3)),
            ("perf_dep_stall", near(4)),
        ];
        if macs_reg {
            start.push(("perf_macs", near(5)));
        }
        let at = |name: &str| start.iter().find(|(n, _)| *n == name).map_or(0, |(_, v)| *v);
        let from = cosim::Counters {
            cycles: at("perf_cycles"),
            engine_busy: at("perf_engine_busy"),
            macs: if macs_reg { at("perf_macs") } else { at("perf_engine_busy") * per_cycle },
            dma_bytes: at("perf_dma_bytes"),
            dma_stall: at("perf_dma_stall"),
            dep_stall: at("perf_dep_stall"),
        };
        for bits in [32, 64] {
            let mut cfg = base.clone();
            cfg.controller.counter_bits = bits;
            let ran = counters_after(&cfg, &t.words(), &mem, &[]);
            let got = counters_after(&cfg, &t.words(), &mem, &start);
            assert!(ran.cycles > 3 && ran.engine_busy > 2 && ran.dma_bytes > 1, "{}: {ran:?}", cfg.name);
            assert_eq!(ran.macs, ran.engine_busy * per_cycle, "{}: MACS from zero", cfg.name);
            let keep = |v: u64| if bits == 32 { v & 0xFFFF_FFFF } else { v };
            let want = cosim::Counters {
                cycles: keep(from.cycles + ran.cycles),
                engine_busy: keep(from.engine_busy + ran.engine_busy),
                macs: keep(from.macs + ran.macs),
                dma_bytes: keep(from.dma_bytes + ran.dma_bytes),
                dma_stall: keep(from.dma_stall + ran.dma_stall),
                dep_stall: keep(from.dep_stall + ran.dep_stall),
            };
            assert_eq!(got, want, "{} with {bits}-bit counters, from just below 2^32", cfg.name);
            if bits == 32 {
                assert!(got.cycles < ran.cycles && got.dma_bytes < ran.dma_bytes, "{}: wrapped", cfg.name);
            } else {
                assert!(got.cycles >> 32 == 1 && got.dma_bytes >> 32 == 1, "{}: carried into the high word", cfg.name);
            }
        }
    }
}

/// The small-device form's DMA reads the controller's stride registers while a transfer
/// runs, and its command queue reads the host's command words while a command waits: a
/// `config_ld` or `config_st` right behind a long transfer must wait for it (or the
/// transfer's later rows would move with the new stride), and the next command's words
/// must not reach the one at the head. Long transfers with strides changed right behind
/// them, both ways and into both memories, against the model on
/// `configs/icebreaker-2x2.toml`, `configs/icebreaker-4x4.toml` and
/// `configs/ulx3s-8x8.toml`.
#[test]
fn a_stride_changed_behind_a_transfer_does_not_reach_it() {
    use ip_blocks::isa::LocalAddr;
    for (name, text) in [
        ("configs/icebreaker-2x2.toml", include_str!("../../configs/icebreaker-2x2.toml")),
        ("configs/icebreaker-4x4.toml", include_str!("../../configs/icebreaker-4x4.toml")),
        ("configs/ulx3s-8x8.toml", include_str!("../../configs/ulx3s-8x8.toml")),
    ] {
        let cfg = Config::from_toml(text, name).expect("valid");
        assert!(ip_blocks::blocks::controller::dma_stride_held(&cfg), "{name}");
        assert!(ip_blocks::blocks::controller::reads_host_words(&cfg), "{name}");
        let mem = random_memory(41);
        let (base, out) = (mem.base, mem.base + programs::INPUT);
        let cols = u16::try_from(cfg.array.cols).expect("a small array");
        let acc = |row| LocalAddr { accumulate: false, raw: true, ..LocalAddr::accumulator(row) };
        let program = [
            Instr::ConfigLd { stride: 52 },
            Instr::Mvin { dram: base + 3, local: LocalAddr::scratchpad(0), rows: 24, cols },
            Instr::ConfigLd { stride: 20 },
            Instr::Mvin { dram: base + 1001, local: LocalAddr::scratchpad(24), rows: 24, cols },
            Instr::ConfigLd { stride: 36 },
            Instr::Mvin { dram: base + 2000, local: LocalAddr::accumulator(0), rows: 12, cols },
            Instr::ConfigLd { stride: 4 },
            Instr::Mvin { dram: base + 3000, local: LocalAddr::accumulator(12), rows: 12, cols },
            Instr::ConfigSt { stride: 44 },
            Instr::Mvout { dram: out + 1, local: LocalAddr::scratchpad(0), rows: 48, cols },
            Instr::ConfigSt { stride: 12 },
            Instr::Mvout { dram: out + 4000, local: LocalAddr::scratchpad(8), rows: 30, cols },
            Instr::ConfigSt { stride: 68 },
            Instr::Mvout { dram: out + 6000, local: acc(0), rows: 24, cols },
            Instr::ConfigSt { stride: 16 },
            Instr::Mvout { dram: out + 9000, local: acc(4), rows: 16, cols },
            Instr::Fence,
        ];
        let cases: [Case; 1] = [("strides changed behind transfers", program.to_vec(), None)];
        edge_cases(&cfg, &mem, &cases);
    }
}
