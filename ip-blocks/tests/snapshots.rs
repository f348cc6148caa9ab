//! Snapshots of the emitted Verilog of each block for a small configuration. A change
//! here is a change of the project's face: review the diff like code
//! (`cargo insta review`).

use ip_blocks::blocks::{pe, scratchpad, systolic_array};
use ip_blocks::config::ArrayConfig;
use rtl_gen::emit::verilog;
use rtl_gen::Design;

fn small_array() -> ArrayConfig {
    ArrayConfig::new(2, 3)
}

#[test]
fn pe_verilog() {
    let mut d = Design::new();
    let id = pe::build(&mut d, "sc", pe::PeParams::from(&small_array())).unwrap();
    insta::assert_snapshot!(verilog::emit(&d, id).file("sc_pe").unwrap().text);
}

#[test]
fn systolic_array_verilog() {
    let mut d = Design::new();
    let id = systolic_array::build(&mut d, "sc", &small_array()).unwrap();
    let out = verilog::emit(&d, id);
    assert_eq!(out.filelist, "sc_pe.v\nsc_systolic_array.v\n");
    insta::assert_snapshot!(out.file("sc_systolic_array").unwrap().text);
}

#[test]
fn scratchpad_bank_verilog() {
    let mut d = Design::new();
    let p = scratchpad::ScratchpadParams { rows: 16, row_bits: 24 };
    let id = scratchpad::build(&mut d, "sc", p).unwrap();
    insta::assert_snapshot!(verilog::emit(&d, id).file("sc_scratchpad_bank").unwrap().text);
}
