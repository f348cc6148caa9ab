//! The generator's formal properties, proven with SymbiYosys on small block
//! configurations (a few properties here, in the normal suite; `make verify` runs all).

use ip_blocks::blocks::dma::{self, DmaSizes};
use rtl_gen::emit::verilog;
use rtl_gen::Design;
use testbenches::formal::{self, Mode, Outcome, Proof};

/// A small DMA: 32-bit beats, rows of up to 8 bytes, 2 read bursts in flight.
fn small_dma() -> DmaSizes {
    DmaSizes {
        data_bits: 32,
        beat_bytes: 4,
        lane_bits: 2,
        row_bytes: 8,
        bytes_bits: 4,
        local_row_bits: 2,
        outstanding: 2,
        stride_held: false,
        chunk_writes: false,
        response_register: false,
        response_valid_registered: false,
        write_ready_registered: false,
    }
}

/// The same DMA with one read burst in flight: the compact engines.
fn compact_dma() -> DmaSizes {
    DmaSizes { outstanding: 1, ..small_dma() }
}

/// The compact DMA with chunk writes: each beat-sized chunk of a row goes to the
/// accumulator as it completes (rows of 8 bytes, two chunks of 4).
fn chunk_dma() -> DmaSizes {
    DmaSizes { chunk_writes: true, ..compact_dma() }
}

fn compact_store_sources() -> (String, Vec<(String, String)>) {
    let mut d = Design::new();
    let id = dma::compact_store::build(&mut d, "f", &compact_dma()).expect("compact store engine builds");
    let out = verilog::emit(&d, id);
    ("f_dma_store".into(), out.sources())
}

fn compact_load_sources() -> (String, Vec<(String, String)>) {
    let mut d = Design::new();
    let id = dma::compact_load::build(&mut d, "f", &compact_dma()).expect("compact load engine builds");
    let out = verilog::emit(&d, id);
    ("f_dma_load".into(), out.sources())
}

fn chunk_load_sources() -> (String, Vec<(String, String)>) {
    let mut d = Design::new();
    let id = dma::compact_load::build(&mut d, "f", &chunk_dma()).expect("chunk-writing load engine builds");
    let out = verilog::emit(&d, id);
    ("f_dma_load".into(), out.sources())
}

fn store_sources() -> (String, Vec<(String, String)>) {
    let mut d = Design::new();
    let id = dma::store::build(&mut d, "f", &small_dma()).expect("store engine builds");
    let out = verilog::emit(&d, id);
    ("f_dma_store".into(), out.sources())
}

fn load_sources() -> (String, Vec<(String, String)>) {
    let mut d = Design::new();
    let id = dma::load::build(&mut d, "f", &small_dma()).expect("load engine builds");
    let out = verilog::emit(&d, id);
    ("f_dma_load".into(), out.sources())
}

fn work_dir() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("formal");
    std::fs::create_dir_all(&dir).expect("formal work folder");
    dir
}

fn prove(name: &str, sources: (String, Vec<(String, String)>), mode: Mode, depth: u32) -> Outcome {
    prove_without(name, sources, mode, depth, &[])
}

fn prove_without(
    name: &str,
    (top, sources): (String, Vec<(String, String)>),
    mode: Mode,
    depth: u32,
    drop: &[&str],
) -> Outcome {
    let drop = drop.iter().map(|d| d.to_string()).collect();
    let p = Proof { name: name.into(), top, sources, mode, depth, drop };
    let o = formal::run(&p, &work_dir()).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("{name}: {:?} depth {depth}: passed {} in {:.1} s", mode, o.passed, o.seconds);
    o
}

/// Replace `from` by `to` in the file of `top` (the mutation must apply: a pattern that
/// no longer matches the generator's output fails the test instead of proving nothing).
fn mutate(
    (top, mut sources): (String, Vec<(String, String)>),
    from: &str,
    to: &str,
) -> (String, Vec<(String, String)>) {
    let file = format!("{top}.v");
    let text = &mut sources.iter_mut().find(|(n, _)| *n == file).expect("the top's file").1;
    assert_eq!(text.matches(from).count(), 1, "mutation pattern `{from}` must occur once in {file}");
    *text = text.replacen(from, to, 1);
    (top, sources)
}

// ---- In the normal suite (about 30 s) ----------------------------------------------------

/// The load engine's queue, handshake and AXI properties hold for 8 cycles after reset.
#[test]
fn dma_load_properties_hold_bmc_8() {
    let o = prove("dma_load_bmc8", load_sources(), Mode::Bmc, 8);
    assert!(o.passed, "failed: {:?}\n{}", o.failed, o.log);
}

/// A deliberately broken load engine, whose burst issue ignores a full `inflight` queue
/// (so the queue drops a burst), is caught by `f_inflight_no_overflow`.
#[test]
fn formal_catches_a_push_into_a_full_queue() {
    let broken = mutate(load_sources(), "(~(inflight_count_q == 2'd2))", "1'd1");
    let o = prove("dma_load_overflow_bug", broken, Mode::Bmc, 8);
    assert!(!o.passed, "the broken engine must fail");
    assert!(o.failed.iter().any(|f| f.contains("f_inflight_no_overflow")), "{:?}", o.failed);
}

/// A deliberately broken queue whose write pointer never moves (each push overwrites the
/// first entry: data lost and duplicated) is caught by the tracked-entry property.
#[test]
fn formal_catches_a_queue_that_overwrites_entries() {
    let broken = mutate(load_sources(), "inflight_wr_q <= inflight_wr_d;", "inflight_wr_q <= inflight_wr_q;");
    let o = prove("dma_load_order_bug", broken, Mode::Bmc, 8);
    assert!(!o.passed, "the broken queue must fail");
    assert!(o.failed.iter().any(|f| f.contains("f_inflight_in_order")), "{:?}", o.failed);
}

/// The compact load engine's handshake and AXI properties hold for 8 cycles after reset.
#[test]
fn dma_compact_load_properties_hold_bmc_8() {
    let o = prove("dma_compact_load_bmc8", compact_load_sources(), Mode::Bmc, 8);
    assert!(o.passed, "failed: {:?}\n{}", o.failed, o.log);
}

/// A compact load engine that reads a row crossing 4 KB as one burst (its first burst
/// not cut at the page's end) is caught by `f_ar_burst_in_page`.
#[test]
fn formal_catches_a_compact_load_that_does_not_split_at_4k() {
    let broken =
        mutate(compact_load_sources(), "row_crosses_4k ? {1'd0, ~cmd_addr_q[2]} : row_last_beat", "row_last_beat");
    let o = prove("dma_compact_load_split_bug", broken, Mode::Bmc, 8);
    assert!(!o.passed, "the broken engine must fail");
    assert!(o.failed.iter().any(|f| f.contains("f_ar_burst_in_page")), "{:?}", o.failed);
}

/// The compact load engine in its chunk-writing form (the iCEBreaker's: a scratchpad row
/// fits one beat) keeps the same handshake and AXI properties for 8 cycles after reset.
#[test]
fn dma_chunk_load_properties_hold_bmc_8() {
    let o = prove("dma_chunk_load_bmc8", chunk_load_sources(), Mode::Bmc, 8);
    assert!(o.passed, "failed: {:?}\n{}", o.failed, o.log);
}

/// A chunk-writing load engine whose flush (an unaligned row's last chunk, written in a
/// cycle of its own) replaces a chunk still on offer is caught by `f_lw_offer_held`.
#[test]
fn formal_catches_a_chunk_flush_over_a_held_write() {
    let broken = mutate(
        chunk_load_sources(),
        "assign lw_flush_fire = lw_flush_q & (~lw_valid_q);",
        "assign lw_flush_fire = lw_flush_q;",
    );
    let o = prove("dma_chunk_load_flush_bug", broken, Mode::Bmc, 8);
    assert!(!o.passed, "the broken engine must fail");
    assert!(o.failed.iter().any(|f| f.contains("f_lw_offer_held")), "{:?}", o.failed);
}

// ---- `make verify` (the #[ignore]d runs) -------------------------------------------------

/// The compact load engine to 10 cycles.
#[test]
#[ignore]
fn dma_compact_load_properties_hold_bmc_10() {
    let o = prove("dma_compact_load_bmc10", compact_load_sources(), Mode::Bmc, 10);
    assert!(o.passed, "failed: {:?}\n{}", o.failed, o.log);
}

/// The compact store engine's handshakes, 4 KB pages and WLAST, without the window
/// properties (about 5 minutes).
#[test]
#[ignore]
fn dma_compact_store_properties_hold_bmc_10() {
    let o = prove_without("dma_compact_store_bmc10", compact_store_sources(), Mode::Bmc, 10, STORE_WINDOW);
    assert!(o.passed, "failed: {:?}\n{}", o.failed, o.log);
}

/// No write outside the DMA window from the compact store engine.
#[test]
#[ignore]
fn dma_compact_store_never_writes_outside_the_window_bmc_8() {
    let o = prove_without("dma_compact_store_window_bmc8", compact_store_sources(), Mode::Bmc, 8, COMPACT_NOT_WINDOW);
    assert!(o.passed, "failed: {:?}\n{}", o.failed, o.log);
}

/// A compact store engine that ends the first burst of a row crossing 4 KB one beat
/// early (WLAST before the page's last beat) is caught by the WLAST properties.
#[test]
#[ignore]
fn formal_catches_a_compact_store_with_an_early_wlast() {
    let broken =
        mutate(compact_store_sources(), "(w_pos[3:2] == row_first_len)", "(w_pos[3:2] == (row_first_len - 2'd1))");
    let o = prove_without("dma_compact_store_wlast_bug", broken, Mode::Bmc, 10, STORE_WINDOW);
    assert!(!o.passed, "the broken engine must fail");
    assert!(o.failed.iter().any(|f| f.contains("f_w_")), "{:?}", o.failed);
}

/// Every property of the compact store except the window's (whose assumptions stay).
const COMPACT_NOT_WINDOW: &[&str] = &["f_aw_offer", "f_w_", "f_lr_", "f_aw_burst", "f_aw_size"];

/// The load engine to 10 cycles.
#[test]
#[ignore]
fn dma_load_properties_hold_bmc_10() {
    let o = prove("dma_load_bmc10", load_sources(), Mode::Bmc, 10);
    assert!(o.passed, "failed: {:?}\n{}", o.failed, o.log);
}

/// Every cover property of the load engine is reached (the queue fills, a tracked
/// entry leaves): the assumptions do not rule out the interesting traces.
#[test]
#[ignore]
fn dma_load_covers_are_reached() {
    let o = prove("dma_load_cover", load_sources(), Mode::Cover, 10);
    assert!(o.passed, "unreached: {:?}\n{}", o.failed, o.log);
}

/// The window properties of the store engine (and the assumptions they need).
const STORE_WINDOW: &[&str] = &["f_env_st_cmd_in_window", "f_env_st_cmd_few_rows", "f_aw_inside_window"];

/// The store engine's queues, handshakes, 4 KB pages and WLAST, without the window
/// properties (whose 50-bit arithmetic makes deep steps slow).
#[test]
#[ignore]
fn dma_store_properties_hold_bmc_7() {
    let o = prove_without("dma_store_bmc7", store_sources(), Mode::Bmc, 7, STORE_WINDOW);
    assert!(o.passed, "failed: {:?}\n{}", o.failed, o.log);
}

/// No write outside the DMA window: the store engine with only the window assertion.
#[test]
#[ignore]
fn dma_store_never_writes_outside_the_window_bmc_7() {
    let others = ["f_rows_", "f_cmds_", "f_rowdata_", "f_aw_offer", "f_w_", "f_lr_", "f_aw_burst", "f_aw_size"];
    let o = prove_without("dma_store_window_bmc7", store_sources(), Mode::Bmc, 7, &others);
    assert!(o.passed, "failed: {:?}\n{}", o.failed, o.log);
}

/// A store engine that writes one beat past its row (AWADDR off by 4 bytes) is caught
/// by the window property: the window proof is not vacuous.
#[test]
#[ignore]
fn formal_catches_a_write_past_the_window() {
    let others = ["f_rows_", "f_cmds_", "f_rowdata_", "f_aw_offer", "f_w_", "f_lr_", "f_aw_burst", "f_aw_size"];
    let broken =
        mutate(store_sources(), "assign m_axi_awaddr_o = aw_addr_q;", "assign m_axi_awaddr_o = aw_addr_q + 32'd4;");
    let o = prove_without("dma_store_window_bug", broken, Mode::Bmc, 7, &others);
    assert!(!o.passed, "the broken engine must fail");
    assert!(o.failed.iter().any(|f| f.contains("f_aw_inside_window")), "{:?}", o.failed);
}

fn host_sources(counter_bits: u32) -> (String, Vec<(String, String)>) {
    use ip_blocks::regmap::regmap;
    let mut cfg = ip_blocks::Config::preset("ice40").expect("preset");
    cfg.controller.counter_bits = counter_bits;
    let map = regmap(&cfg.geometry(), cfg.array.dataflow);
    let mut d = Design::new();
    let id = ip_blocks::blocks::host::build(&mut d, "f", &map).expect("host builds");
    ("f_host".into(), verilog::emit(&d, id).sources())
}

/// The host interface keeps the AXI4-Lite slave rules and pushes each command once.
#[test]
fn host_axil_properties_hold_bmc_6() {
    let o = prove("host_bmc6", host_sources(64), Mode::Bmc, 6);
    assert!(o.passed, "failed: {:?}\n{}", o.failed, o.log);
}

/// The same with 32-bit counters (no snapshots, `_HI` reads 0).
#[test]
fn host_axil_properties_hold_with_32_bit_counters_bmc_6() {
    let o = prove("host32_bmc6", host_sources(32), Mode::Bmc, 6);
    assert!(o.passed, "failed: {:?}\n{}", o.failed, o.log);
}
