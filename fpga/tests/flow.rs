//! The whole flow on a board: a small design with the board top's ports (a counter on
//! the LEDs, the UART looped back) goes through Yosys, nextpnr and the packer.
//!
//! The iCEBreaker flow runs in the normal suite (about 5 s once the tools are compiled);
//! the ULX3S (ECP5) and Tang Nano 9K (Gowin) flows are `#[ignore]`d and run with
//! `make fpga-all`. Every test fails, never skips, when a tool is missing. Run with
//! `--nocapture` to see the progress lines and the reports.

use fpga::board::{port, Board};
use fpga::flow::{self, FlowOptions, FlowReport, Progress, Step};
use fpga::Family;
use rtl_gen::{Design, ModuleBuilder, ModuleId};

/// A counter whose top bits light the board's LEDs (each LED's polarity applied), and
/// the UART's receive line passed through two flip-flops to its transmit line.
fn blinky(board: &Board) -> (Design, ModuleId) {
    let leds = board.leds.len() as u32;
    let mut m = ModuleBuilder::new(format!("blinky_{}", board.name));
    m.doc("Test design with the board top's ports: a counter on the LEDs, the UART looped back.");
    let rst_n = m.input(port::RESET_N, 1);
    let rx = m.input(port::UART_RX, 1);
    let tx = m.output(port::UART_TX, 1);
    let led = m.output(port::LEDS, leds);

    // 24 bits: the top LED toggles about once a second at 12 MHz. No reset register: the
    // counter clears while the button is held.
    let count = m.reg("count", 24).build();
    let one = m.lit(1, 24);
    let zero = m.lit(0, 24);
    let up = m.add(count, one);
    let next = m.mux(rst_n, up, zero);
    m.next(count, next);
    let polarity =
        board.leds.iter().enumerate().fold(0u64, |acc, (i, l)| if l.active_low { acc | 1 << i } else { acc });
    let top_bits = m.slice(count, 24 - leds, leds);
    let mask = m.lit(polarity, leds);
    let lit = m.xor(top_bits, mask);
    m.assign(led, lit);

    let rx_meta = m.reg("rx_meta", 1).build();
    let rx_sync = m.reg("rx_sync", 1).build();
    m.next(rx_meta, rx);
    m.next(rx_sync, rx_meta);
    m.assign(tx, rx_sync);

    let mut design = Design::new();
    let top = design.add(m).unwrap_or_else(|e| panic!("{e}"));
    (design, top)
}

/// Run the whole flow for `board` in a temporary folder, printing the progress lines, and
/// check what every board's report must say.
fn run_flow(board_name: &str) -> (FlowReport, tempfile::TempDir) {
    let board = Board::by_name(board_name).unwrap_or_else(|e| panic!("{e}"));
    let (design, top) = blinky(&board);
    let dir = tempfile::Builder::new().prefix(&format!("seedchip-flow-{board_name}-")).tempdir().unwrap();
    let mut events = Vec::new();
    let report = flow::run(&design, top, &board, dir.path(), &FlowOptions::default(), &mut |p| {
        println!("{p}");
        events.push(p.clone());
    })
    .unwrap_or_else(|e| panic!("{e}"));
    println!("{report}");

    // Progress: each step starts, then ends, in order.
    let order: Vec<(Step, bool)> = events
        .iter()
        .map(|e| match e {
            Progress::Start { step, .. } => (*step, true),
            Progress::Done { step, .. } => (*step, false),
        })
        .collect();
    assert_eq!(
        order,
        [
            (Step::Synth, true),
            (Step::Synth, false),
            (Step::PlaceRoute, true),
            (Step::PlaceRoute, false),
            (Step::Pack, true),
            (Step::Pack, false)
        ]
    );
    assert_eq!(report.steps.iter().map(|s| s.step).collect::<Vec<_>>(), ["synth", "pnr", "pack"]);

    // Timing at the board's clock, and the report parsed.
    assert_eq!(report.target_mhz, board.clock.mhz);
    assert!(report.timing_met, "a 24-bit counter meets {} MHz: {report}", board.clock.mhz);
    let fmax = report.fmax_mhz.expect("one clock");
    assert!(fmax >= board.clock.mhz, "{report}");
    assert_eq!(report.clocks.len(), 1, "{report}");
    let r = &report.resources;
    assert!(r.lut.used > 0 && r.lut.used < 200, "{report}");
    assert!(r.ff.used >= 26, "24 counter bits and two UART flip-flops: {report}");
    assert_eq!((r.dsp.used, r.bram.used, r.spram.used), (0, 0, 0), "{report}");
    assert_eq!(r.dsp.available, board.resources.dsp, "nextpnr and the board file agree on DSPs");
    assert_eq!(r.bram.available, board.resources.bram, "nextpnr and the board file agree on block RAMs");
    assert_eq!(r.lut.available, board.resources.lut, "nextpnr and the board file agree on LUTs");

    // The bitstream, whole, and the logs of every step in the build folder.
    assert!(report.bitstream.is_file(), "{}", report.bitstream.display());
    assert!(!report.bitstream.with_extension("partial").exists());
    let size = std::fs::metadata(&report.bitstream).unwrap().len();
    assert!(size > 10_000, "a bitstream of {size} bytes");
    for log in [&report.logs.synth, &report.logs.pnr, &report.logs.pack] {
        assert!(log.is_file(), "{}", log.display());
    }
    assert!(dir.path().join(&board.constraints.file).is_file());

    // The JSON form has the keys the CLI promises.
    let json = serde_json::to_value(&report).unwrap();
    for key in ["board", "fmax_mhz", "target_mhz", "timing_met", "resources", "bitstream"] {
        assert!(json.get(key).is_some(), "no `{key}` in {json}");
    }
    for key in ["lut", "ff", "dsp", "bram"] {
        assert!(json["resources"][key]["used"].is_u64() && json["resources"][key]["available"].is_u64(), "{json}");
    }
    (report, dir)
}

#[test]
fn icebreaker_flow_builds_a_bitstream_that_meets_12_mhz() {
    let (report, dir) = run_flow("icebreaker");
    assert_eq!(report.family, Family::Ice40);
    assert_eq!(report.bitstream.extension().and_then(|e| e.to_str()), Some("bin"));
    // An iCE40 UP5K bitstream is 104090 bytes whatever the design.
    assert_eq!(std::fs::metadata(&report.bitstream).unwrap().len(), 104_090);
    assert!(dir.path().join("blinky_icebreaker.asc").is_file());
    assert_eq!(report.resources.spram.available, 4);
}

#[test]
fn a_second_run_in_the_same_folder_replaces_the_first() {
    let board = Board::by_name("icebreaker").unwrap();
    let (design, top) = blinky(&board);
    let dir = tempfile::tempdir().unwrap();
    let opts = FlowOptions { seed: 7, ..FlowOptions::default() };
    let first = flow::run(&design, top, &board, dir.path(), &opts, &mut |_| {}).unwrap_or_else(|e| panic!("{e}"));
    let before = std::fs::metadata(&first.bitstream).unwrap().modified().unwrap();
    let second = flow::run(&design, top, &board, dir.path(), &opts, &mut |_| {}).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first.bitstream, second.bitstream);
    assert!(std::fs::metadata(&second.bitstream).unwrap().modified().unwrap() >= before);
    assert_eq!(second.seed, 7);
}

#[test]
fn place_and_route_errors_name_the_log() {
    // A design whose ports are not the board's: the constraint file places `clk_i`,
    // `uart_rx_i` and `uart_tx_o`, which this module does not have.
    let board = Board::by_name("icebreaker").unwrap();
    let mut m = ModuleBuilder::new("not_a_board_top");
    let a = m.input("a_i", 1);
    let y = m.output("y_o", 1);
    m.assign(y, a);
    let mut design = Design::new();
    let top = design.add(m).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let e = flow::run(&design, top, &board, dir.path(), &FlowOptions::default(), &mut |_| {}).unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, flow::FlowError::Failed { step: Step::PlaceRoute, .. }), "{text}");
    assert!(text.contains("nextpnr.log") && text.contains("ERROR"), "{text}");
    assert!(!dir.path().join("not_a_board_top.bin").exists(), "no bitstream after a failure");
}

#[test]
fn a_target_out_of_range_is_refused_before_any_tool_runs() {
    let board = Board::by_name("icebreaker").unwrap();
    let (design, top) = blinky(&board);
    let dir = tempfile::tempdir().unwrap();
    let build = dir.path().join("build");
    let opts = FlowOptions { target_mhz: Some(0.0), ..FlowOptions::default() };
    let e = flow::run(&design, top, &board, &build, &opts, &mut |_| {}).unwrap_err().to_string();
    assert!(e.contains("0 MHz is out of range"), "{e}");
    assert!(!build.exists(), "nothing written");
}

#[test]
#[ignore = "ECP5 flow: run with `make fpga-all`"]
fn ulx3s_flow_builds_a_bitstream_that_meets_25_mhz() {
    let (report, _dir) = run_flow("ulx3s");
    assert_eq!(report.family, Family::Ecp5);
    assert_eq!(report.bitstream.extension().and_then(|e| e.to_str()), Some("bit"));
    assert_eq!(report.resources.spram.available, 0);
}

#[test]
#[ignore = "Gowin flow: run with `make fpga-all`"]
fn tangnano9k_flow_builds_a_bitstream_that_meets_27_mhz() {
    let (report, _dir) = run_flow("tangnano9k");
    assert_eq!(report.family, Family::Gowin);
    assert_eq!(report.bitstream.extension().and_then(|e| e.to_str()), Some("fs"));
}

/// The flow with a PLL: blinky with an input `pll_locked_i` (the counter holds while it
/// is low) under the wrapper of `fpga::pll::wrap`, for `mhz` from the board's oscillator.
/// The timing target is what the PLL makes, and the design meets it.
fn run_pll_flow(board_name: &str, mhz: f64) -> FlowReport {
    let board = Board::by_name(board_name).unwrap_or_else(|e| panic!("{e}"));
    let (mut design, _) = blinky(&board);
    let mut m = ModuleBuilder::new(format!("blinky_lock_{}", board.name));
    m.doc("Test design with the board top's ports and pll_locked_i: the blinky counter runs while locked.");
    let rx = m.input(port::UART_RX, 1);
    let tx = m.output(port::UART_TX, 1);
    let led = m.output(port::LEDS, board.leds.len() as u32);
    let locked = m.input("pll_locked_i", 1);
    let rst_n = m.input(port::RESET_N, 1);
    let inner = design.find(&format!("blinky_{}", board.name)).expect("blinky");
    let i = m.instance("u_blinky", &design, inner);
    let run = m.and(rst_n, locked);
    m.connect(i, port::RESET_N, run);
    m.connect(i, port::UART_RX, rx);
    m.connect(i, port::UART_TX, tx);
    m.connect(i, port::LEDS, led);
    let top = design.add(m).unwrap_or_else(|e| panic!("{e}"));

    let pll = fpga::pll::plan(board.family(), board.clock.mhz, mhz).unwrap_or_else(|e| panic!("{e}"));
    let mut files = rtl_gen::emit::verilog::emit(&design, top).sources();
    let wrapper = fpga::pll::wrapper_name(&design.module(top).name);
    files.push((format!("{wrapper}.v"), fpga::pll::wrap(design.module(top), &pll)));
    let dir = tempfile::Builder::new().prefix(&format!("seedchip-pll-{board_name}-")).tempdir().unwrap();
    let opts = FlowOptions { target_mhz: Some(pll.output_mhz), ..FlowOptions::default() };
    let report = flow::run_files(&files, &wrapper, &board, dir.path(), &opts, &mut |p| println!("{p}"))
        .unwrap_or_else(|e| panic!("{e}"));
    println!("{report}");
    assert_eq!(report.target_mhz, pll.output_mhz);
    assert!(report.timing_met, "{report}");
    assert!(report.bitstream.is_file());
    let netlist = std::fs::read_to_string(dir.path().join("yosys.log")).unwrap_or_default();
    let primitive = match board.family() {
        Family::Ice40 => "SB_PLL40_PAD",
        Family::Ecp5 => "EHXPLLL",
        Family::Gowin => "rPLL",
    };
    assert!(netlist.contains(primitive), "the PLL primitive {primitive} is in the synthesized design");
    report
}

#[test]
fn icebreaker_flow_with_a_pll_meets_the_pll_clock() {
    let report = run_pll_flow("icebreaker", 40.0);
    assert_eq!(report.target_mhz, 39.75, "icepll's 12 -> 40 MHz setting");
}

#[test]
#[ignore = "ECP5 flow: run with `make fpga-all`"]
fn ulx3s_flow_with_a_pll_meets_the_pll_clock() {
    run_pll_flow("ulx3s", 100.0);
}

#[test]
#[ignore = "Gowin flow: run with `make fpga-all`"]
fn tangnano9k_flow_with_a_pll_meets_the_pll_clock() {
    run_pll_flow("tangnano9k", 54.0);
}

#[test]
#[ignore = "ECP5 flow: run with `make fpga-all`"]
fn orangecrab_flow_builds_a_bitstream_that_meets_48_mhz() {
    let (report, _dir) = run_flow("orangecrab");
    assert_eq!(report.family, Family::Ecp5);
    assert_eq!(report.resources.lut.available, 24288);
    assert_eq!(report.bitstream.extension().and_then(|e| e.to_str()), Some("bit"));
}
