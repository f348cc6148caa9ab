//! The report page: XHTML-compatible HTML (every element closed, attributes quoted, the
//! XHTML namespace) with the pictures inline as SVG, so an XML parser reads it as well as
//! a browser, and no script.

use super::svg::{self, Bar};
use super::{bytes, esc, BoardRecord, ReportData};
use std::fmt::Write;

const STYLE: &str = "body { font-family: 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif; margin: 2em auto; \
max-width: 920px; color: #222; background: #fff; }
h1 { font-size: 1.6em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ccc; } h3 { margin-bottom: 0.3em; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
code { background: #f4f4f4; padding: 0 3px; } .pass { color: #2e7d32; font-weight: bold; }
.fail { color: #c62828; font-weight: bold; } .error { color: #c62828; } figure { margin: 0.5em 0; } .note { color: #555; }";

/// The page for `data`.
pub fn render(data: &ReportData) -> String {
    let cfg = &data.config;
    let g = cfg.geometry();
    let mut o = String::new();
    o.push_str("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n");
    o.push_str("<meta charset=\"utf-8\"/>\n");
    let _ = writeln!(o, "<title>SeedChip report: {}</title>", esc(&data.source));
    let _ = writeln!(o, "<style>\n{STYLE}\n</style>\n</head>\n<body>");
    let _ = writeln!(o, "<h1>SeedChip report: {} ({}x{} array)</h1>", esc(&cfg.name), g.rows, g.cols);
    let _ = writeln!(
        o,
        "<p>Configuration: {}. Written by seedchip {}; <code>seedchip gen</code>, <code>sim</code> and \
         <code>fpga</code> with <code>--report</code> on this folder bring it up to date.</p>",
        esc(&data.source),
        env!("CARGO_PKG_VERSION")
    );

    o.push_str("<h2>Configuration</h2>\n<table>\n");
    let sp = u64::from(g.sp_rows()) * u64::from(g.sp_row_bits()) / 8;
    let acc = u64::from(g.acc_rows) * u64::from(g.cols) * u64::from(g.acc_bits) / 8;
    let rows = [
        (
            "systolic array",
            format!("{}x{}, int{} inputs, int{} accumulators", g.rows, g.cols, g.input_bits, g.acc_bits),
        ),
        ("peak", format!("{} MACs per cycle", g.macs_per_cycle())),
        (
            "scratchpad",
            format!("{} banks x {} rows x {} bits = {}", g.sp_banks, g.sp_rows_per_bank, g.sp_row_bits(), bytes(sp)),
        ),
        ("accumulator", format!("{} rows x {} x {} bits = {}", g.acc_rows, g.cols, g.acc_bits, bytes(acc))),
        ("DMA", format!("AXI4, {}-bit data, {} read bursts in flight", g.dma_data_bits, g.dma_outstanding)),
        (
            "controller",
            format!(
                "{}-command queue, 4 trackers of {} commands{}",
                ip_blocks::blocks::controller::cmd_queue_depth(cfg),
                cfg.controller.queue_depth,
                if cfg.controller.scoreboard { "" } else { ", no scoreboard" }
            ),
        ),
    ];
    for (k, v) in rows {
        let _ = writeln!(o, "<tr><th>{k}</th><td>{}</td></tr>", esc(&v));
    }
    o.push_str("</table>\n");
    o.push_str("<h2>Block diagram</h2>\n<figure>\n");
    o.push_str(&svg::block_diagram(cfg));
    o.push_str("</figure>\n");

    o.push_str("<h2>Last run</h2>\n");
    match &data.run {
        None => o.push_str(
            "<p class=\"note\">No run yet: <code>seedchip sim ... --report DIR</code> adds the last run here.</p>\n",
        ),
        Some(r) => {
            let verdict = if r.pass { "<span class=\"pass\">PASS</span>" } else { "<span class=\"fail\">FAIL</span>" };
            let _ = write!(o, "<p><code>{}</code> on {}: {verdict}, {} MACs", esc(&r.workload), esc(&r.engine), r.macs);
            if let (Some(c), Some(u)) = (r.cycles, r.utilization) {
                let _ = write!(o, " in {c} cycles, MAC utilization {:.2}%", 100.0 * u);
            }
            o.push_str(".</p>\n");
            match svg::utilization(r) {
                Some(s) => {
                    o.push_str("<figure>\n");
                    o.push_str(&s);
                    o.push_str(
                        "</figure>\n<p class=\"note\">Shares of the run's cycles, from the performance counters: the \
                         engine took an input vector (busy); it had none while the DMA was busy (DMA stall); the \
                         rest (idle). A dependency stall holds dispatch, not the engine, so it overlaps the \
                         others.</p>\n",
                    );
                }
                None => o.push_str(
                    "<p class=\"note\">The golden model counts no cycles: run with <code>--engine verilator</code> or \
                     <code>interp</code> for the breakdown.</p>\n",
                ),
            }
        }
    }

    o.push_str("<h2>Roofline</h2>\n<figure>\n");
    o.push_str(&svg::roofline(cfg, data.run.as_ref()));
    o.push_str("</figure>\n");
    let _ = writeln!(
        o,
        "<p class=\"note\">The compute roof is the array's {} MACs per cycle; the memory roof is one {}-byte DMA beat \
         per cycle (loads and stores have their own AXI4 channels, so mixed traffic can pass it). A run sits at its \
         MACs per DMA byte and its MACs per cycle.</p>",
        g.macs_per_cycle(),
        g.dma_beat_bytes()
    );

    o.push_str("<h2>FPGA</h2>\n");
    if data.boards.is_empty() {
        o.push_str(
            "<p class=\"note\">No board yet: <code>seedchip fpga --board BOARD ... --report DIR</code> adds its \
             resources here.</p>\n",
        );
    }
    for b in &data.boards {
        board(&mut o, b);
    }
    o.push_str("</body>\n</html>\n");
    o
}

fn board(o: &mut String, b: &BoardRecord) {
    let _ = writeln!(o, "<h3>{} ({}): {}</h3>", esc(&b.board), esc(&b.device), esc(&b.status));
    let mut line = match b.figures.as_str() {
        "nextpnr" => "Cells used after place and route (nextpnr's report)".to_string(),
        _ => "Predicted before any tool ran (counted hard blocks; LUTs and flip-flops estimated)".to_string(),
    };
    if let (Some(f), Some(t)) = (b.fmax_mhz, b.target_mhz) {
        let met = if b.timing_met == Some(true) { "met" } else { "NOT met" };
        line += &format!("; Fmax {f:.1} MHz, target {t:.1} MHz: timing {met}");
    }
    let _ = writeln!(o, "<p>{}.</p>", esc(&line));
    if let Some(e) = &b.error {
        let _ = writeln!(o, "<p class=\"error\">{}</p>", esc(e));
    }
    if b.resources.is_empty() {
        return;
    }
    let rows: Vec<Bar> = b
        .resources
        .iter()
        .map(|r| {
            let name = r.resource.to_uppercase();
            let label = if r.cell.is_empty() { name } else { format!("{name} ({})", r.cell) };
            let share = if r.available == 0 {
                f64::from(u8::from(r.used > 0)) * 2.0
            } else {
                r.used as f64 / r.available as f64
            };
            let pct = if r.available == 0 { String::new() } else { format!(" ({:.1}%)", 100.0 * share) };
            let est = if r.estimate { ", estimate" } else { "" };
            Bar {
                label,
                share,
                value: format!("{} / {}{pct}{est}", r.used, r.available),
                colour: if r.estimate { "#64b5f6" } else { "#1565c0" },
            }
        })
        .collect();
    o.push_str("<figure>\n");
    o.push_str(&svg::bars(&format!("Resources on the {}", b.board), &rows));
    o.push_str("</figure>\n");
}
