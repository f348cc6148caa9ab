//! Snapshots of the emitted Verilog of a small DMA (32-bit bus, rows of up to 8 bytes,
//! 16 local rows) with 2 read bursts in flight and with one (the compact engines): the
//! top and its load and store engines. A change here is a change of the project's face:
//! review the diff like code (`cargo insta review`).

use ip_blocks::blocks::dma;
use ip_blocks::geometry::Geometry;
use rtl_gen::emit::verilog;
use rtl_gen::Design;

fn small(outstanding: u32) -> Geometry {
    Geometry {
        rows: 2,
        cols: 2,
        input_bits: 8,
        acc_bits: 32,
        sp_banks: 1,
        sp_rows_per_bank: 16,
        acc_rows: 16,
        dma_data_bits: 32,
        dma_outstanding: outstanding,
        counter_bits: 64,
    }
}

#[test]
fn dma_verilog() {
    let g = small(2);
    let mut d = Design::new();
    let id = dma::build(&mut d, "sc", &g).unwrap_or_else(|e| panic!("{e}"));
    let out = verilog::emit(&d, id);
    assert_eq!(out.filelist, "sc_dma_load.v\nsc_dma_store.v\nsc_dma.v\n");
    for module in ["sc_dma", "sc_dma_load", "sc_dma_store"] {
        insta::assert_snapshot!(module, out.file(module).unwrap().text);
    }
}

/// The same DMA with one read burst in flight: the compact engines.
#[test]
fn compact_dma_verilog() {
    let g = small(1);
    let mut d = Design::new();
    let id = dma::build(&mut d, "sc", &g).unwrap_or_else(|e| panic!("{e}"));
    let out = verilog::emit(&d, id);
    assert_eq!(out.filelist, "sc_dma_load.v\nsc_dma_store.v\nsc_dma.v\n");
    for module in ["sc_dma", "sc_dma_load", "sc_dma_store"] {
        insta::assert_snapshot!(format!("compact_{module}"), out.file(module).unwrap().text);
    }
}
