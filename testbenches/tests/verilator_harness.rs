//! The Verilator harness on hand-written, `-Wall`-clean Verilog: clocking and reset,
//! ports of every storage class (up to 130 bits), the build cache, and its errors.
//!
//! These tests need Verilator. Without it they fail with the message that says how to
//! install it; they never skip.

use num_bigint::BigUint;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rtl_gen::sim::{PortDir, PortInfo, SimError, Simulator};
use rtl_gen::Bits;
use std::sync::Arc;
use std::time::Instant;
use testbenches::{HarnessError, ModelCache, VerilatorModel};

fn input(name: &str, width: u32) -> PortInfo {
    PortInfo { name: name.to_string(), width, dir: PortDir::Input }
}

fn output(name: &str, width: u32) -> PortInfo {
    PortInfo { name: name.to_string(), width, dir: PortDir::Output }
}

/// Build (or fetch) the model of the one-file design `top`, failing the test with the
/// harness's message when that is impossible.
fn model(top: &str, verilog: &str, ports: &[PortInfo]) -> Arc<VerilatorModel> {
    VerilatorModel::build(top, &[(format!("{top}.v"), verilog.to_string())], ports).unwrap_or_else(|e| panic!("{e}"))
}

const COUNTER_V: &str = "`default_nettype none
// 8-bit counter: synchronous reset, count enable, parallel load.
module counter (
  input  wire       clk_i,
  input  wire       rst_i,
  input  wire       en_i,
  input  wire       load_i,
  input  wire [7:0] value_i,
  output wire [7:0] count_o,
  output wire       max_o
);
  reg  [7:0] count_q;
  wire [7:0] count_d;

  assign count_d = load_i ? value_i : (en_i ? count_q + 8'd1 : count_q);

  always @(posedge clk_i) begin
    if (rst_i) begin
      count_q <= 8'd0;
    end else begin
      count_q <= count_d;
    end
  end

  assign count_o = count_q;
  assign max_o = (count_q == 8'hff);
endmodule
`default_nettype wire
";

fn counter_ports() -> Vec<PortInfo> {
    vec![
        input("clk_i", 1),
        input("rst_i", 1),
        input("en_i", 1),
        input("load_i", 1),
        input("value_i", 8),
        output("count_o", 8),
        output("max_o", 1),
    ]
}

#[test]
fn counter_counts_enabled_edges_and_resets() {
    let mut sim = model("counter", COUNTER_V, &counter_ports()).instantiate();
    let names: Vec<&str> = sim.ports().iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["rst_i", "en_i", "load_i", "value_i", "count_o", "max_o"], "clk_i is hidden");
    assert_eq!(sim.design_name(), "counter");
    assert_eq!(sim.get("count_o"), 0, "registers start at zero");

    sim.reset(2);
    assert_eq!((sim.get("count_o"), sim.cycle()), (0, 2));

    sim.set("en_i", 1);
    sim.run(5);
    assert_eq!(sim.get("count_o"), 5, "one increment per rising edge");
    sim.set("en_i", 0);
    sim.run(3);
    assert_eq!(sim.get("count_o"), 5, "holds while disabled");

    // The load value reaches the register through combinational logic on the same edge.
    sim.set("load_i", 1);
    sim.set("value_i", 0xfe);
    assert_eq!(sim.get("count_o"), 5, "no change before the edge");
    sim.step();
    sim.set("load_i", 0);
    assert_eq!((sim.get("count_o"), sim.get("max_o")), (0xfe, 0));
    sim.set("en_i", 1);
    sim.step();
    assert_eq!((sim.get("count_o"), sim.get("max_o")), (0xff, 1));
    sim.step();
    assert_eq!((sim.get("count_o"), sim.get("max_o")), (0, 0), "wraps around");

    sim.run(7);
    sim.set("rst_i", 1);
    sim.step();
    assert_eq!(sim.get("count_o"), 0, "reset wins over enable");
    assert_eq!(sim.cycle(), 2 + 5 + 3 + 1 + 1 + 1 + 7 + 1);
}

#[test]
fn seeded_instances_power_up_with_random_registers_until_reset() {
    let m = model("counter", COUNTER_V, &counter_ports());
    assert_eq!(m.instantiate().get("count_o"), 0, "a plain instance starts from zeros");
    let values: Vec<u64> = (0..8).map(|seed| m.instantiate_seeded(seed).get("count_o")).collect();
    assert!(values.iter().any(|v| *v != values[0]), "8 seeds gave the same power-up value {values:?}");
    assert_eq!(m.instantiate_seeded(3).get("count_o"), values[3], "the same seed gives the same power-up");
    let mut sim = m.instantiate_seeded(5);
    sim.reset(1);
    assert_eq!(sim.get("count_o"), 0, "the reset defines the register");
}

#[test]
fn instances_of_one_model_are_independent() {
    let model = model("counter", COUNTER_V, &counter_ports());
    let mut a = model.instantiate();
    let mut b = model.instantiate();
    a.set("en_i", 1);
    a.run(4);
    b.run(2);
    assert_eq!((a.get("count_o"), b.get("count_o")), (4, 0));
    assert_eq!((a.cycle(), b.cycle()), (4, 2));
}

#[test]
fn a_simulation_can_move_to_another_thread() {
    let mut sim = model("counter", COUNTER_V, &counter_ports()).instantiate();
    sim.set("en_i", 1);
    sim.run(3);
    let mut sim = std::thread::spawn(move || {
        sim.run(4);
        sim
    })
    .join()
    .expect("the simulation thread finished");
    assert_eq!(sim.get("count_o"), 7);
}

const WIDE_V: &str = "`default_nettype none
// A 130-bit adder and a 100-bit register.
module wide (
  input  wire         clk_i,
  input  wire [129:0] a_i,
  input  wire [129:0] b_i,
  input  wire [99:0]  d_i,
  output wire [129:0] y_o,
  output wire [99:0]  q_o
);
  reg [99:0] q_q;

  always @(posedge clk_i) begin
    q_q <= d_i;
  end

  assign y_o = a_i + b_i;
  assign q_o = q_q;
endmodule
`default_nettype wire
";

fn random_bits(rng: &mut ChaCha8Rng, width: u32) -> Bits {
    let words: Vec<u64> = (0..width.div_ceil(64)).map(|_| rng.gen()).collect();
    Bits::from_words(&words, width)
}

fn one_bit_at(bit: u32, width: u32) -> Bits {
    Bits::from_biguint(&(BigUint::from(1u8) << bit), width)
}

#[test]
fn ports_of_100_and_130_bits_round_trip() {
    let ports = [
        input("clk_i", 1),
        input("a_i", 130),
        input("b_i", 130),
        input("d_i", 100),
        output("y_o", 130),
        output("q_o", 100),
    ];
    let mut sim = model("wide", WIDE_V, &ports).instantiate();
    let [a, b, d, y, q] = ["a_i", "b_i", "d_i", "y_o", "q_o"].map(|n| sim.port(n).expect("port exists"));
    let modulus = BigUint::from(1u8) << 130u32;

    let mut cases = vec![
        (Bits::ones(130), Bits::from_u64(1, 130), Bits::ones(100)),
        (one_bit_at(63, 130), one_bit_at(63, 130), one_bit_at(64, 100)),
        (one_bit_at(127, 130), one_bit_at(128, 130), one_bit_at(99, 100)),
        (one_bit_at(129, 130), Bits::zero(130), one_bit_at(96, 100)),
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(130);
    cases
        .extend((0..200).map(|_| (random_bits(&mut rng, 130), random_bits(&mut rng, 130), random_bits(&mut rng, 100))));

    let mut previous_d = Bits::zero(100);
    for (va, vb, vd) in cases {
        sim.poke(a, &va).expect("a_i takes 130 bits");
        sim.poke(b, &vb).expect("b_i takes 130 bits");
        sim.poke(d, &vd).expect("d_i takes 100 bits");
        let expected = Bits::from_biguint(&((va.to_biguint() + vb.to_biguint()) % &modulus), 130);
        assert_eq!(sim.peek(y), expected, "{va:?} + {vb:?}");
        assert_eq!(sim.peek(q), previous_d, "register holds until the edge");
        sim.step();
        assert_eq!(sim.peek(q), vd, "register takes d_i on the edge");
        previous_d = vd;
    }
}

const WIDTHS: [u32; 12] = [1, 8, 9, 16, 17, 32, 33, 63, 64, 65, 96, 128];

/// A combinational module `p<W>_o = ~p<W>_i` for every width in [`WIDTHS`].
fn widths_verilog() -> String {
    let mut ports = Vec::new();
    let mut body = String::new();
    for w in WIDTHS {
        ports.push(format!("  input  wire [{}:0] p{w}_i", w - 1));
        ports.push(format!("  output wire [{}:0] p{w}_o", w - 1));
        body.push_str(&format!("  assign p{w}_o = ~p{w}_i;\n"));
    }
    format!(
        "`default_nettype none\n// Inverters on ports of every Verilator storage class.\nmodule widths (\n{}\n);\n{body}endmodule\n`default_nettype wire\n",
        ports.join(",\n")
    )
}

#[test]
fn ports_of_every_storage_width_round_trip() {
    let ports: Vec<PortInfo> =
        WIDTHS.iter().flat_map(|w| [input(&format!("p{w}_i"), *w), output(&format!("p{w}_o"), *w)]).collect();
    let mut sim = model("widths", &widths_verilog(), &ports).instantiate();
    let mut rng = ChaCha8Rng::seed_from_u64(64);
    for w in WIDTHS {
        let (pi, po) = (sim.port(&format!("p{w}_i")).expect("input"), sim.port(&format!("p{w}_o")).expect("output"));
        let pattern = Bits::from_words(&[0x5555_5555_5555_5555, 0x5555_5555_5555_5555], w);
        let mut values = vec![Bits::zero(w), Bits::from_u64(1, w), Bits::ones(w), pattern, one_bit_at(w - 1, w)];
        values.extend((0..20).map(|_| random_bits(&mut rng, w)));
        for v in values {
            sim.poke(pi, &v).unwrap_or_else(|e| panic!("{e}"));
            let inverted: Vec<u64> = v.words().iter().map(|x| !x).collect();
            assert_eq!(sim.peek(po), Bits::from_words(&inverted, w), "width {w}, input {v:?}");
            assert_eq!(sim.peek(pi), v, "an input reads back as poked (width {w})");
        }
    }
    // Signed values through the integer helpers.
    sim.set("p8_i", -3);
    assert_eq!(sim.get_signed("p8_o"), 2);
    sim.set("p33_i", 0);
    assert_eq!(sim.get_signed("p33_o"), -1);
    assert_eq!(sim.get("p33_o"), (1 << 33) - 1);
    // Without a clock, a step only counts.
    sim.run(3);
    assert_eq!(sim.cycle(), 3);
}

#[test]
fn poking_an_output_or_a_wrong_width_is_refused() {
    let mut sim = model("counter", COUNTER_V, &counter_ports()).instantiate();
    let count = sim.port("count_o").expect("port exists");
    assert_eq!(
        sim.poke(count, &Bits::from_u64(1, 8)),
        Err(SimError::NotAnInput { design: "counter".into(), port: "count_o".into() })
    );
    let value = sim.port("value_i").expect("port exists");
    assert_eq!(
        sim.poke(value, &Bits::from_u64(1, 9)),
        Err(SimError::WidthMismatch { design: "counter".into(), port: "value_i".into(), expected: 8, got: 9 })
    );
    assert!(matches!(sim.port("clk_i"), Err(SimError::NoSuchPort { .. })), "the clock is the harness's");
    assert!(matches!(sim.port("nope_i"), Err(SimError::NoSuchPort { .. })));
}

const TINY_V: &str = "`default_nettype none
// A registered inverter.
module tiny (
  input  wire clk_i,
  input  wire a_i,
  output wire y_o
);
  reg y_q;

  always @(posedge clk_i) begin
    y_q <= ~a_i;
  end

  assign y_o = y_q;
endmodule
`default_nettype wire
";

#[test]
fn second_build_of_the_same_verilog_is_a_cache_hit() {
    let root = tempfile::tempdir().expect("a temporary folder");
    let cache = ModelCache::new(root.path());
    let files = [("tiny.v".to_string(), TINY_V.to_string())];
    let ports = [input("clk_i", 1), input("a_i", 1), output("y_o", 1)];
    let first = cache.build("tiny", &files, &ports).unwrap_or_else(|e| panic!("{e}"));
    assert!(!first.was_cached(), "a fresh cache builds");
    let started = Instant::now();
    let second = cache.build("tiny", &files, &ports).unwrap_or_else(|e| panic!("{e}"));
    assert!(second.was_cached(), "the same Verilog is found in the cache");
    assert!(started.elapsed().as_secs_f64() < 1.0, "a cache hit runs no build: {:?}", started.elapsed());
    assert_eq!((first.hash(), first.build_dir()), (second.hash(), second.build_dir()));
    assert!(first.build_dir().starts_with(root.path()));
    assert!(first.build_dir().join("build.log").is_file());

    let leftovers: Vec<_> = std::fs::read_dir(root.path())
        .expect("readable cache")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary build folders are renamed away: {leftovers:?}");

    let mut sim = Arc::new(second).instantiate();
    sim.set("a_i", 0);
    sim.step();
    assert_eq!(sim.get("y_o"), 1);
}

#[test]
fn changed_verilog_gives_a_new_hash() {
    let original = model("counter", COUNTER_V, &counter_ports());
    let edited = COUNTER_V.replace("// 8-bit counter", "// An 8-bit counter");
    let changed = model("counter", &edited, &counter_ports());
    assert_ne!(original.hash(), changed.hash());
    assert_ne!(original.build_dir(), changed.build_dir());
    assert!(original.build_dir().ends_with(format!("counter-{}", original.hash())));
}

#[test]
fn a_model_is_loaded_once_per_process() {
    let a = model("counter", COUNTER_V, &counter_ports());
    let b = model("counter", COUNTER_V, &counter_ports());
    assert!(Arc::ptr_eq(&a, &b));
}

#[test]
fn broken_verilog_reports_verilators_error_line() {
    let root = tempfile::tempdir().expect("a temporary folder");
    let broken = "`default_nettype none\nmodule broken (\n  input  wire a_i,\n  output wire y_o\n);\n  assign y_o = a_i +;\nendmodule\n";
    let files = [("broken.v".to_string(), broken.to_string())];
    let err = ModelCache::new(root.path())
        .build("broken", &files, &[input("a_i", 1), output("y_o", 1)])
        .expect_err("the Verilog does not parse");
    let text = err.to_string();
    assert!(text.contains("the Verilator build of `broken` failed"), "{text}");
    assert!(text.contains("%Error: broken.v:6"), "names the file and line: {text}");
    let HarnessError::BuildFailed { dir, .. } = err else { panic!("expected BuildFailed, got {text}") };
    assert!(dir.join("build.log").is_file(), "the build folder is kept for inspection");
}

#[test]
fn missing_verilator_says_how_to_install_it() {
    let root = tempfile::tempdir().expect("a temporary folder");
    let cache = ModelCache::new(root.path()).with_verilator("/nonexistent/seedchip/verilator");
    let err = cache
        .build("tiny", &[("tiny.v".to_string(), TINY_V.to_string())], &[input("clk_i", 1)])
        .expect_err("no such program");
    assert_eq!(
        err.to_string(),
        "Verilator not found, run `scripts/setup-tools.sh` (or `make test`), which installs it with apt"
    );
}

const PIPE_V: &str = "`default_nettype none
// 64 registered 32-bit adders in a row: y_o = a_i + 2080 after 64 cycles.
module pipe64 (
  input  wire        clk_i,
  input  wire [31:0] a_i,
  output wire [31:0] y_o
);
  wire [31:0] stage [0:64];

  assign stage[0] = a_i;

  genvar g;
  generate
    for (g = 0; g < 64; g = g + 1) begin : g_stage
      localparam [31:0] Increment = g + 1;
      reg [31:0] sum_q;
      always @(posedge clk_i) begin
        sum_q <= stage[g] + Increment;
      end
      assign stage[g + 1] = sum_q;
    end
  endgenerate

  assign y_o = stage[64];
endmodule
`default_nettype wire
";

/// Run with `cargo test -p testbenches --release -- --ignored --nocapture`.
#[test]
#[ignore = "measurement: prints the build time and simulation speed"]
fn measure_build_time_and_cycles_per_second() {
    let root = tempfile::tempdir().expect("a temporary folder");
    let files = [("pipe64.v".to_string(), PIPE_V.to_string())];
    let ports = [input("clk_i", 1), input("a_i", 32), output("y_o", 32)];
    let started = Instant::now();
    let model = ModelCache::new(root.path()).build("pipe64", &files, &ports).unwrap_or_else(|e| panic!("{e}"));
    let build_time = started.elapsed();
    let mut sim = Arc::new(model).instantiate();
    sim.set("a_i", 1000);
    sim.run(64);
    assert_eq!(sim.get("y_o"), 1000 + 2080);

    let (a, y) = (sim.port("a_i").expect("a_i"), sim.port("y_o").expect("y_o"));
    let cycles = 2_000_000u64;
    let started = Instant::now();
    let mut checksum = 0u64;
    for i in 0..cycles {
        sim.poke(a, &Bits::from_u64(i, 32)).expect("a_i takes 32 bits");
        sim.step();
        checksum = checksum.wrapping_add(sim.peek(y).to_u64());
    }
    let seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    sim.run(cycles);
    let step_only = started.elapsed().as_secs_f64();
    println!("pipe64: Verilator build {:.1} s", build_time.as_secs_f64());
    println!("pipe64: {:.2} M cycles/s with a poke and a peek per cycle", cycles as f64 / seconds / 1e6);
    println!("pipe64: {:.2} M cycles/s stepping only (checksum {checksum})", cycles as f64 / step_only / 1e6);
}

#[test]
fn verilate_builds_an_rtl_gen_design() {
    // The accumulator of `rtl-gen`'s crate example: acc <= acc + in_i while en_i is high.
    let mut m = rtl_gen::ModuleBuilder::new("accumulator");
    let en = m.input("en_i", 1);
    let din = m.input("in_i", 8);
    let out = m.output("acc_o", 8);
    let acc = m.reg("acc", 8).reset(0).enable(en).build();
    let sum = m.add(acc, din);
    m.next(acc, sum);
    m.assign(out, acc);
    let mut design = rtl_gen::Design::new();
    let top = design.add(m).unwrap_or_else(|e| panic!("{e}"));

    let model = testbenches::verilate(&design, top).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = model.ports().iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["clk_i", "rst_i", "en_i", "in_i", "acc_o"]);
    let mut sim = model.instantiate();
    sim.reset(1);
    sim.set("en_i", 1);
    sim.set("in_i", 5);
    sim.run(3);
    assert_eq!(sim.get("acc_o"), 15);
    sim.set("en_i", 0);
    sim.run(2);
    assert_eq!(sim.get("acc_o"), 15);
}
