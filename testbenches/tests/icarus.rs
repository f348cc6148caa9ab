//! The second simulator: the system tests of small configurations run in Icarus Verilog
//! from the same programs and memory images as in Verilator, and Icarus must agree with
//! the golden model (memory byte for byte, error code and index) and with Verilator
//! (memory, error, and every performance counter: both see the same inputs on every
//! cycle).
//!
//! These tests need Icarus Verilog and Verilator; without them they fail with the message
//! that says how to install them.

use ip_blocks::isa::{ErrorCode, Instr};
use ip_blocks::model::{Memory, Model, Window};
use ip_blocks::quant::{Activation, RequantParams};
use ip_blocks::tiler::{random_matmul, reference_matmul, tile_matmul, MatmulSpec};
use ip_blocks::Config;
use testbenches::icarus::{self, IcarusError, IcarusOptions};
use testbenches::programs::{self, random_memory, random_program, with_fault, Fault, Kind};

/// A 2x2 array with both dataflows and a small memory: every instruction kind, cheap to
/// simulate in an event-driven simulator.
fn tiny() -> Config {
    let text = "name = \"tiny\"\n[array]\nrows = 2\ncols = 2\ndataflow = \"both\"\ndsp_multipliers = 2\n\
                [scratchpad]\nbanks = 2\nrows_per_bank = 64\n[accumulator]\nrows = 64\n[dma]\ndata_bits = 32\n";
    Config::from_toml(text, "tiny").expect("valid")
}

/// [`tiny`] with a 64-bit AXI4 bus and 16-bit inputs, 40-bit accumulators (2- and 8-byte
/// elements in main memory).
fn tiny_wide() -> Config {
    let text = "name = \"tiny_wide\"\n[array]\nrows = 2\ncols = 2\ninput_bits = 16\nacc_bits = 40\n\
                dataflow = \"both\"\ndsp_multipliers = 2\n[scratchpad]\nbanks = 2\nrows_per_bank = 64\n\
                [accumulator]\nrows = 64\n[dma]\ndata_bits = 64\n";
    Config::from_toml(text, "tiny_wide").expect("valid")
}

/// The configurations: [`tiny`], [`tiny_wide`] and the iCE40 preset (4x4,
/// weight-stationary).
fn configs() -> [Config; 3] {
    [tiny(), tiny_wide(), Config::preset("ice40").expect("preset")]
}

fn words(p: &[Instr]) -> Vec<[u32; 4]> {
    p.iter().map(|i| i.encode()).collect()
}

fn agree(cfg: &Config, what: &str, program: &[[u32; 4]], mem: &Memory, window: Option<Window>) -> icarus::CrossReport {
    let r = icarus::cross_check(cfg, program, mem, window, &IcarusOptions::default())
        .unwrap_or_else(|e| panic!("{}: {what}: {e}", cfg.name));
    assert!(r.pass, "{}: {what}: Icarus disagrees\n{}", cfg.name, r.failure_text());
    r
}

#[test]
fn icarus_agrees_on_every_instruction_kind() {
    for cfg in configs() {
        for (i, kind) in programs::ALL.iter().enumerate() {
            let p = random_program(&cfg, 200 + i as u64, 8, &[*kind]);
            agree(&cfg, &format!("{kind:?} alone"), &words(&p), &random_memory(i as u64), None);
        }
    }
}

#[test]
fn icarus_agrees_on_random_programs() {
    for cfg in configs() {
        for seed in 0..2 {
            let p = random_program(&cfg, seed, 60, &programs::ALL);
            let r = agree(&cfg, &format!("random program, seed {seed}"), &words(&p), &random_memory(seed), None);
            assert!(r.model_error.is_none() && r.counters.cycles > 0);
        }
    }
}

#[test]
fn icarus_agrees_on_tiled_matmuls() {
    for cfg in configs() {
        tiled_matmul(&cfg, 5, 7, 3, Activation::Relu6, 1);
        tiled_matmul(&cfg, 17, 33, 9, Activation::Relu, 2);
    }
}

fn tiled_matmul(cfg: &Config, m: u32, k: u32, n: u32, activation: Activation, seed: u64) {
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
    let r = agree(cfg, &format!("matmul {m}x{k}x{n}"), &t.words(), &mem, None);
    let got: Vec<u8> = r.icarus.memory.iter().map(|b| b.expect("checked known")).collect();
    let want = reference_matmul(&spec, cfg.array.acc_bits, cfg.array.input_bits, &a, &b, &bias);
    assert_eq!(t.read_c(&Memory { base: mem.base, bytes: got }), want, "C differs from the independent reference");
}

#[test]
fn icarus_agrees_on_faulting_programs() {
    let cases = [
        (Fault::WindowStore, ErrorCode::DmaWindow),
        (Fault::WindowLoad, ErrorCode::DmaWindow),
        (Fault::Misaligned, ErrorCode::DmaAlign),
        (Fault::IllegalOpcode, ErrorCode::IllegalCommand),
        (Fault::LocalRange, ErrorCode::LocalRange),
    ];
    let cfg = tiny();
    for (i, (fault, code)) in cases.into_iter().enumerate() {
        let p = random_program(&cfg, 40 + i as u64, 20, &programs::ALL);
        let inner = random_memory(i as u64);
        let pad = 0x40u32;
        let mut bytes = vec![0xa5u8; pad as usize];
        bytes.extend_from_slice(&inner.bytes);
        bytes.extend(std::iter::repeat_n(0xa5u8, pad as usize));
        let mem = Memory { base: inner.base - pad, bytes };
        let window = Window { base: inner.base, limit: inner.base + inner.bytes.len() as u32 - 1 };
        let prog = with_fault(&cfg, &p, 10, fault, (window.base, window.limit));
        let r = agree(&cfg, &format!("{fault:?}"), &prog, &mem, Some(window));
        let (_, got) = r.icarus.error().expect("known").unwrap_or_else(|| panic!("{fault:?}: no error in Icarus"));
        assert_eq!(got, code.code(), "{fault:?}: error code");
        assert_eq!(r.model_error.map(|(_, c)| c), Some(code), "{fault:?}: the model's error code");
    }
}

#[test]
fn icarus_differences_name_address_expected_and_got() {
    // A stand-in for a broken RTL: Icarus runs the program without its last mvout, the
    // expectation is the golden model's image of the whole program.
    let cfg = tiny();
    let p = random_program(&cfg, 21, 30, &[Kind::MvinAcc, Kind::MvoutAcc]);
    let mem = random_memory(21);
    let last_out = p.iter().rposition(|i| matches!(i, Instr::Mvout { .. })).expect("the program stores");
    let mut broken = words(&p);
    broken.remove(last_out);
    let window = Window { base: mem.base, limit: mem.base + mem.bytes.len() as u32 - 1 };
    let mut expected = mem.clone();
    let outcome = Model::new(&cfg).run(&words(&p), &mut expected, window);
    assert!(outcome.is_clean());
    let run = icarus::run(&cfg, &broken, &mem, window, &IcarusOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let (list, count) = icarus::compare_memory(&expected.bytes, &run.memory, mem.base, &|_| None);
    assert!(count > 0, "a missing mvout must be caught");
    let first = list[0].to_string();
    assert!(first.starts_with("address 0x") && first.contains("expected 0x") && first.contains("got 0x"), "{first}");
}

#[test]
fn a_missing_icarus_is_an_error_that_says_how_to_install_it() {
    let cfg = tiny();
    let mem = random_memory(1);
    let window = Window { base: mem.base, limit: mem.base + mem.bytes.len() as u32 - 1 };
    let opts = IcarusOptions { iverilog: "/nonexistent/iverilog".into(), ..IcarusOptions::default() };
    let e = icarus::run(&cfg, &[], &mem, window, &opts).expect_err("no iverilog there");
    assert!(matches!(e, IcarusError::NotFound { .. }), "{e}");
    assert!(e.to_string().contains("scripts/setup-tools.sh"), "{e}");
}
