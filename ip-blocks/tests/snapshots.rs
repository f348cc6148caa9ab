//! Snapshots of the emitted Verilog of each block for a small configuration. A change
//! here is a change of the project's face: review the diff like code
//! (`cargo insta review`).

use ip_blocks::blocks::mul::MulKind;
use ip_blocks::blocks::{pe, scratchpad, systolic_array};
use ip_blocks::config::{ArrayConfig, Dataflow};
use rtl_gen::emit::verilog;
use rtl_gen::Design;

fn small_array(dataflow: Dataflow) -> ArrayConfig {
    ArrayConfig { dataflow, dsp_multipliers: Some(5), ..ArrayConfig::new(2, 3) }
}

#[test]
fn pe_verilog_each_dataflow() {
    for (dataflow, kind) in
        [(Dataflow::Ws, MulKind::Pair), (Dataflow::Os, MulKind::Dsp), (Dataflow::Both, MulKind::Soft)]
    {
        let mut d = Design::new();
        let p = pe::PeParams::new(&small_array(dataflow), kind);
        let id = pe::build(&mut d, "sc", p).unwrap();
        let name = pe::module_name("sc", &p);
        insta::assert_snapshot!(format!("pe_{dataflow:?}"), verilog::emit(&d, id).file(&name).unwrap().text);
    }
}

#[test]
fn multiplier_verilog() {
    for kind in [MulKind::Dsp, MulKind::Soft, MulKind::Pair] {
        let mut d = Design::new();
        let id = ip_blocks::blocks::mul::build(&mut d, "sc", kind, 4, 4).unwrap();
        let name = ip_blocks::blocks::mul::module_name("sc", kind, 4, 4);
        insta::assert_snapshot!(format!("mul_{}", kind.word()), verilog::emit(&d, id).file(&name).unwrap().text);
    }
}

#[test]
fn systolic_array_verilog_each_dataflow() {
    for dataflow in [Dataflow::Ws, Dataflow::Os, Dataflow::Both] {
        let mut d = Design::new();
        let id = systolic_array::build(&mut d, "sc", &small_array(dataflow)).unwrap();
        let out = verilog::emit(&d, id);
        assert!(
            out.filelist.ends_with("sc_pe_dsp.v\nsc_mul_soft_reg_8x8.v\nsc_pe_soft.v\nsc_systolic_array.v\n"),
            "{}",
            out.filelist
        );
        insta::assert_snapshot!(format!("systolic_array_{dataflow:?}"), out.file("sc_systolic_array").unwrap().text);
    }
}

#[test]
fn scratchpad_bank_verilog() {
    let mut d = Design::new();
    let p = scratchpad::ScratchpadParams { rows: 16, row_bits: 24, read_latency: 1 };
    let id = scratchpad::build(&mut d, "sc", p).unwrap();
    insta::assert_snapshot!(verilog::emit(&d, id).file("sc_scratchpad_bank").unwrap().text);
}

#[test]
fn banked_scratchpad_verilog() {
    let mut d = Design::new();
    let p = scratchpad::ScratchpadParams { rows: 16, row_bits: 24, read_latency: 1 };
    let id = scratchpad::build_banked(&mut d, "sc", 2, p).unwrap();
    insta::assert_snapshot!(verilog::emit(&d, id).file("sc_scratchpad").unwrap().text);
}

#[test]
fn accumulator_verilog() {
    insta::assert_snapshot!(accumulator_text(4));
}

#[test]
fn accumulator_serial_requantizer_verilog() {
    insta::assert_snapshot!(accumulator_text(1));
}

#[test]
fn accumulator_booth_requantizer_verilog() {
    insta::assert_snapshot!(accumulator_text(0));
}

/// `read_latency` = 2 (the block RAM's output registered on the read-modify-write) and
/// `product_stages` = 2 (the 32x32 product's partial products registered), as the ULX3S builds.
#[test]
fn accumulator_pipelined_verilog() {
    insta::assert_snapshot!(accumulator_text_with(4, 2, 2));
}

/// The split 32x32 product module of `product_stages` = 2 (its four 16x16 partial
/// products registered, the module the ECP5 flow replaces by four MULT18X18D).
#[test]
fn mul_split_verilog() {
    let mut d = Design::new();
    let id = ip_blocks::blocks::mul::build_split(&mut d, "sc").unwrap();
    insta::assert_snapshot!("mul_split", verilog::emit(&d, id).file("sc_mul_split_32x32").unwrap().text);
}

/// A 16-row, 2-column accumulator with its requantizer's product on `requant_dsps` DSPs.
fn accumulator_text(requant_dsps: u32) -> String {
    accumulator_text_with(requant_dsps, 1, 1)
}

/// [`accumulator_text`] with `read_latency` and `product_stages`.
fn accumulator_text_with(requant_dsps: u32, read_latency: u32, product_stages: u32) -> String {
    let mut d = Design::new();
    let p = ip_blocks::blocks::accumulator::AccumulatorParams {
        rows: 16,
        cols: 2,
        acc_bits: 32,
        out_bits: 8,
        requant_dsps,
        read_latency,
        product_stages,
        read_ready_registered: false,
        read_out_registered: false,
    };
    let id = ip_blocks::blocks::accumulator::build(&mut d, "sc", p).unwrap();
    verilog::emit(&d, id).file("sc_accumulator").unwrap().text.clone()
}

#[test]
fn decoder_and_top_verilog() {
    let text = "name = \"sc\"\n[array]\nrows = 2\ncols = 3\ndataflow = \"both\"\n\
                [scratchpad]\nbanks = 2\nrows_per_bank = 16\n[accumulator]\nrows = 16\n[dma]\ndata_bits = 32\n";
    let cfg = ip_blocks::Config::from_toml(text, "snapshot").unwrap();
    let g = ip_blocks::generate(&cfg).unwrap();
    let v = g.verilog();
    insta::assert_snapshot!("decoder", v.file("sc_decoder").unwrap().text);
    insta::assert_snapshot!("top", v.file("sc_top").unwrap().text);
}
