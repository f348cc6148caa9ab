//! Synthesis with Yosys 0.70 for iCE40 and ECP5: the hard blocks each block maps to are
//! the ones `fpga::plan` predicts. Every test fails (never skips) when Yosys is missing.
//!
//! The default ones take a few seconds each; the `#[ignore]`d ones (whole arrays) run
//! with `make synth`. Run with `--nocapture` to see the cell counts and times.

use fpga::plan;
use fpga::yosys::{self, SynthReport};
use fpga::Family;
use ip_blocks::blocks::mul::{self, MulKind};
use ip_blocks::{generate, Config};
use rtl_gen::{Design, ModuleId};

/// Synthesize `top` of `design`, print the report, panic with the flow's message on error.
fn synth(design: &Design, top: ModuleId, family: Family, dsp: bool) -> SynthReport {
    let report = yosys::synthesize_module(design, top, family, dsp).unwrap_or_else(|e| panic!("{e}"));
    println!("{report}\n  cells: {:?}", report.cells);
    report
}

/// A multiplier module of `kind`, alone in a design.
fn multiplier(kind: MulKind, a_bits: u32, b_bits: u32) -> (Design, ModuleId) {
    let mut d = Design::new();
    let top = mul::build(&mut d, "t", kind, a_bits, b_bits).unwrap_or_else(|e| panic!("{e}"));
    (d, top)
}

fn dsp_multiplier_takes_the_planned_dsps(family: Family, bits: u32) {
    let (d, top) = multiplier(MulKind::Dsp, bits, bits);
    let r = synth(&d, top, family, true);
    let (cell, _) = family.dsp_cell();
    let planned = plan::dsp_for_multiply(family, bits, bits);
    assert_eq!(r.dsp, planned, "{bits}x{bits} on {family}: {} {cell}, planned {planned}", r.dsp);
    assert_eq!(r.bram + r.ff, 0, "a combinational product needs no memory or flip-flop");
}

fn soft_multiplier_takes_no_dsp(family: Family, bits: u32, max_lut: u64) -> SynthReport {
    let (d, top) = multiplier(MulKind::Soft, bits, bits);
    // DSP inference on: the soft multiplier must stay in logic all the same.
    let r = synth(&d, top, family, true);
    assert_eq!(r.dsp, 0, "the soft multiplier must not use a DSP block: {r}");
    assert!(r.lut > 0 && r.lut <= max_lut, "{bits}x{bits} soft multiplier: {} LUTs, expected at most {max_lut}", r.lut);
    r
}

/// The scratchpad bank of a preset, its (width, depth) and its read latency.
fn preset_scratchpad_bank(preset: &str) -> (Design, ModuleId, u32, u32, u32) {
    let cfg = Config::preset(preset).unwrap_or_else(|e| panic!("{e}"));
    let g = generate(&cfg).unwrap_or_else(|e| panic!("{e}"));
    let name = format!("{}_scratchpad_bank", cfg.name);
    let bank = g.design.find(&name).unwrap_or_else(|| panic!("the {preset} preset has no module `{name}`"));
    (g.design, bank, cfg.scratchpad_row_bits(), cfg.scratchpad.rows_per_bank, cfg.scratchpad.read_latency)
}

fn scratchpad_bank_takes_the_planned_brams(family: Family, preset: &str) {
    let (d, bank, width, depth, latency) = preset_scratchpad_bank(preset);
    // A `$mem` cell left unmapped would have been an error of the flow (FlowError::Unmapped).
    let r = synth(&d, bank, family, true);
    let planned = plan::bram_for_memory(family, width, depth);
    assert!(planned > 0, "{width}x{depth} should be block RAM on {family}");
    assert_eq!(r.bram, planned, "{width}x{depth} on {family}: {} {}, planned {planned}", r.bram, family.bram_cell());
    // The registered read port (rd_data_q, loaded when rd_en_i) is the block RAM's own
    // output register (SB_RAM40_4K: RCLKE; DP16KD: CEB), so nothing stays in the fabric
    // but, with `scratchpad.read_latency = 2` (the ecp5 preset), the second read register:
    // Yosys maps the DP16KD with NOREG, so that one stays in flip-flops, one per bit.
    let ff = width * (latency - 1);
    assert_eq!((r.ff, r.lut, r.lutram), (u64::from(ff), 0, 0), "only block RAMs (and {ff} FF) expected: {r}");
}

#[test]
fn ice40_dsp_multiplier_8x8_takes_one_sb_mac16() {
    assert_eq!(plan::dsp_for_multiply(Family::Ice40, 8, 8), 1);
    dsp_multiplier_takes_the_planned_dsps(Family::Ice40, 8);
}

#[test]
fn ice40_dsp_multiplier_32x32_takes_the_planned_sb_mac16s() {
    dsp_multiplier_takes_the_planned_dsps(Family::Ice40, 32);
}

#[test]
fn ice40_soft_multiplier_8x8_takes_no_sb_mac16() {
    // Measured: 118 SB_LUT4 (the shift-add chain it replaced: 177).
    let r = soft_multiplier_takes_no_dsp(Family::Ice40, 8, 125);
    println!("8x8 soft multiplier on iCE40: {} SB_LUT4, {} SB_CARRY", r.lut, r.carry);
}

#[test]
fn ice40_preset_scratchpad_bank_takes_the_planned_block_rams() {
    scratchpad_bank_takes_the_planned_brams(Family::Ice40, "ice40");
}

#[test]
fn ecp5_dsp_multiplier_8x8_takes_one_mult18x18d() {
    assert_eq!(plan::dsp_for_multiply(Family::Ecp5, 8, 8), 1);
    dsp_multiplier_takes_the_planned_dsps(Family::Ecp5, 8);
}

#[test]
fn ecp5_dsp_multiplier_32x32_takes_the_planned_mult18x18ds() {
    dsp_multiplier_takes_the_planned_dsps(Family::Ecp5, 32);
}

#[test]
fn ecp5_soft_multiplier_8x8_takes_no_mult18x18d() {
    // Measured: 100 LUT4 + 14 CCU2C (128 LUT4 sites).
    soft_multiplier_takes_no_dsp(Family::Ecp5, 8, 140);
}

#[test]
fn ecp5_preset_scratchpad_bank_takes_the_planned_block_rams() {
    scratchpad_bank_takes_the_planned_brams(Family::Ecp5, "ecp5");
}

#[test]
fn synthesis_error_names_the_log_and_the_error() {
    // `b_i` is not declared, and `default_nettype none` makes that an error.
    let verilog =
        "`default_nettype none\nmodule broken(input wire a_i, output wire y_o); assign y_o = b_i; endmodule\n";
    let e = yosys::synthesize(&[("broken.v".into(), verilog.into())], "broken", Family::Ice40, false).unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, yosys::FlowError::Failed { .. }), "{text}");
    assert!(text.contains("yosys.log") && text.contains("ERROR") && text.contains("b_i"), "{text}");
    // The flow keeps a failed build folder for reading; this one has been read.
    if let yosys::FlowError::Failed { log, .. } = &e {
        assert!(log.is_file(), "the log named in the error exists: {}", log.display());
        if let Some(dir) = log.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

#[test]
#[ignore = "longer synthesis: run with `make synth`"]
fn soft_multiplier_16x16_takes_no_dsp_on_either_family() {
    // Measured: 470 SB_LUT4 on iCE40; 414 LUT4 + 49 CCU2C on ECP5.
    soft_multiplier_takes_no_dsp(Family::Ice40, 16, 500);
    soft_multiplier_takes_no_dsp(Family::Ecp5, 16, 560);
}

fn preset_scratchpad_takes_the_planned_brams_for_every_bank(family: Family, preset: &str) {
    let cfg = Config::preset(preset).unwrap_or_else(|e| panic!("{e}"));
    let g = generate(&cfg).unwrap_or_else(|e| panic!("{e}"));
    let r = synth(&g.design, g.scratchpad, family, true);
    let per_bank = plan::bram_for_memory(family, cfg.scratchpad_row_bits(), cfg.scratchpad.rows_per_bank);
    assert_eq!(r.bram, u64::from(cfg.scratchpad.banks) * per_bank, "{r}");
}

#[test]
#[ignore = "longer synthesis: run with `make synth`"]
fn preset_scratchpads_take_the_planned_brams_for_every_bank() {
    preset_scratchpad_takes_the_planned_brams_for_every_bank(Family::Ice40, "ice40");
    preset_scratchpad_takes_the_planned_brams_for_every_bank(Family::Ecp5, "ecp5");
}

/// The array of `cfg` takes the DSPs the plan says: on iCE40 two int8 products per
/// SB_MAC16 (the flow's pair multiplier), elsewhere one per product.
fn array_takes_the_planned_dsps(family: Family, cfg: &Config) {
    let g = generate(cfg).unwrap_or_else(|e| panic!("{e}"));
    let r = synth(&g.design, g.systolic_array, family, true);
    let bits = cfg.array.input_bits;
    let pairs = u64::from(ip_blocks::blocks::systolic_array::pairs(&cfg.array));
    let singles = u64::from(cfg.array.dsp_pes()) - 2 * pairs;
    let planned = pairs * plan::dsp_for_pair(family, bits) + singles * plan::dsp_for_multiply(family, bits, bits);
    assert_eq!(planned, plan::datapath(cfg, family).engine_dsp);
    assert_eq!(r.dsp, planned, "{} array on {family}: {r}", cfg.name);
    assert_eq!(r.bram + r.lutram, 0, "the array has no memory: {r}");
}

fn preset_array_takes_one_dsp_per_dsp_pe(family: Family, preset: &str) {
    array_takes_the_planned_dsps(family, &Config::preset(preset).unwrap_or_else(|e| panic!("{e}")));
}

#[test]
fn ice40_array_puts_two_int8_products_in_each_sb_mac16() {
    // 16 products in 8 SB_MAC16; an odd count leaves one product alone in its own.
    for (dsp, sb_mac16) in [(16, 8), (5, 3)] {
        let mut cfg = Config::preset("ice40").unwrap_or_else(|e| panic!("{e}"));
        cfg.array.dsp_multipliers = Some(dsp);
        assert_eq!(plan::datapath(&cfg, Family::Ice40).engine_dsp, sb_mac16);
        array_takes_the_planned_dsps(Family::Ice40, &cfg);
    }
}

#[test]
fn ice40_serial_requantizer_takes_one_sb_mac16() {
    let mut cfg = Config::preset("ice40").unwrap_or_else(|e| panic!("{e}"));
    cfg.accumulator.requant_dsps = 1;
    assert_eq!(plan::datapath(&cfg, Family::Ice40).accumulator_dsp, 1);
    accumulator_takes_the_planned_blocks(Family::Ice40, &cfg);
}

/// The accumulator of a preset: the requantizer's product in DSPs, the memory (one copy
/// per read port) in block RAM, nothing left in LUTs.
fn preset_accumulator_takes_the_planned_blocks(family: Family, preset: &str) {
    accumulator_takes_the_planned_blocks(family, &Config::preset(preset).unwrap_or_else(|e| panic!("{e}")));
}

fn accumulator_takes_the_planned_blocks(family: Family, cfg: &Config) {
    let g = generate(cfg).unwrap_or_else(|e| panic!("{e}"));
    let r = synth(&g.design, g.accumulator, family, true);
    let p = plan::datapath(cfg, family);
    let what = format!("{} accumulator (requant_dsps {}) on {family}: {r}", cfg.name, cfg.accumulator.requant_dsps);
    assert_eq!(r.dsp, p.accumulator_dsp, "{what}");
    assert_eq!(r.bram, p.accumulator_bram, "{what}");
    assert_eq!(r.lutram, 0, "no memory left in LUTs: {r}");
}

#[test]
fn ice40_preset_accumulator_takes_the_planned_sb_mac16_and_block_rams() {
    preset_accumulator_takes_the_planned_blocks(Family::Ice40, "ice40");
}

#[test]
#[ignore = "longer synthesis: run with `make synth`"]
fn ecp5_preset_accumulator_takes_the_planned_mult18x18d_and_block_rams() {
    preset_accumulator_takes_the_planned_blocks(Family::Ecp5, "ecp5");
}

#[test]
fn ice40_preset_plan_fits_the_up5k() {
    // iCEBreaker's UP5K: 8 SB_MAC16, 30 SB_RAM40_4K.
    let p = plan::datapath(&Config::preset("ice40").unwrap(), Family::Ice40);
    assert_eq!(p.dsp(), 8, "{p:?}");
    assert!(p.bram() <= 30, "{p:?}");
}

#[test]
fn ice40_preset_array_takes_one_sb_mac16_per_pe() {
    preset_array_takes_one_dsp_per_dsp_pe(Family::Ice40, "ice40");
}

#[test]
#[ignore = "longer synthesis: run with `make synth`"]
fn ecp5_preset_array_takes_one_mult18x18d_per_pe() {
    preset_array_takes_one_dsp_per_dsp_pe(Family::Ecp5, "ecp5");
}

/// The iCEBreaker's main memory (128 KiB, 32-bit words, byte enables) in its SPRAM form
/// takes the UP5K's four SB_SPRAM256KA and no block RAM; the block-RAM form of a small
/// memory takes block RAM and no SPRAM.
#[test]
fn ice40_board_memory_takes_the_four_sprams() {
    use fpga::board_top::memory::{build_storage, MemSizes};
    let mut d = Design::new();
    let top = build_storage(&mut d, "t", MemSizes { data_bits: 32, bytes: 128 * 1024, spram: true, registered: false })
        .unwrap_or_else(|e| panic!("{e}"));
    let r = synth(&d, top, Family::Ice40, true);
    assert_eq!((r.spram, r.bram), (4, 0), "{r}");
    assert!(r.lut < 100, "only the read-data multiplexer of the two SPRAM pairs: {r}");
    let mut d = Design::new();
    let top = build_storage(&mut d, "t", MemSizes { data_bits: 32, bytes: 4096, spram: false, registered: false })
        .unwrap_or_else(|e| panic!("{e}"));
    let r = synth(&d, top, Family::Ice40, true);
    assert_eq!((r.spram, r.bram), (0, 8), "4 KiB in 4-kbit block RAMs: {r}");
}
