//! The report's pictures, written by hand as SVG text: the block diagram of a
//! configuration, horizontal bars (utilization, resources) and the roofline. Every
//! coordinate is printed with one decimal, so the same data gives the same bytes.

use super::{bytes, esc, RunRecord};
use ip_blocks::config::Dataflow;
use ip_blocks::Config;
use std::fmt::Write;

const SVG_NS: &str = "http://www.w3.org/2000/svg";
const INK: &str = "#222";
const FONT: &str = "font-family=\"DejaVu Sans, Liberation Sans, Arial, sans-serif\"";

/// The opening tag of an SVG picture `w` x `h` with an accessible title.
fn open(w: f64, h: f64, title: &str) -> String {
    format!(
        "<svg xmlns=\"{SVG_NS}\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\" role=\"img\" {FONT} font-size=\"12\">\n<title>{}</title>\n",
        esc(title)
    )
}

/// Text at (x, y); `anchor` is `start`, `middle` or `end`; `extra` more attributes.
fn text(o: &mut String, x: f64, y: f64, anchor: &str, extra: &str, s: &str) {
    let _ = writeln!(o, "<text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"{anchor}\" {extra}>{}</text>", esc(s));
}

fn rect(o: &mut String, x: f64, y: f64, w: f64, h: f64, style: &str) {
    let _ = writeln!(o, "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" {style}/>");
}

/// A labelled box of the block diagram: a bold title and detail lines under it.
struct Block<'a> {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
    title: String,
    lines: Vec<String>,
    /// Outside the accelerator (drawn dashed).
    external: bool,
    fill: &'a str,
}

impl Block<'_> {
    fn draw(&self, o: &mut String) {
        let dash = if self.external { " stroke-dasharray=\"6 4\"" } else { "" };
        let style = format!("rx=\"6\" fill=\"{}\" stroke=\"{INK}\" stroke-width=\"1.5\"{dash}", self.fill);
        rect(o, self.x, self.y, self.w, self.h, &style);
        let cx = self.x + self.w / 2.0;
        text(o, cx, self.y + 20.0, "middle", "font-weight=\"bold\" font-size=\"13\"", &self.title);
        for (i, l) in self.lines.iter().enumerate() {
            text(o, cx, self.y + 37.0 + 15.0 * i as f64, "middle", "font-size=\"11\"", l);
        }
    }
}

/// A polyline with an arrow head at its end (and at its start when `both`).
fn arrow(o: &mut String, points: &[(f64, f64)], both: bool, dashed: bool) {
    let pts: Vec<String> = points.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
    let start = if both { " marker-start=\"url(#bd-arrow)\"" } else { "" };
    let dash = if dashed { " stroke-dasharray=\"4 3\"" } else { "" };
    let _ = writeln!(
        o,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"{INK}\" stroke-width=\"1.5\"{dash}{start} marker-end=\"url(#bd-arrow)\"/>",
        pts.join(" ")
    );
}

fn dataflow_name(d: Dataflow) -> &'static str {
    match d {
        Dataflow::Ws => "weight-stationary",
        Dataflow::Os => "output-stationary",
        Dataflow::Both => "weight- or output-stationary",
    }
}

/// The block diagram of `cfg`: host interface, command queue, controller, scratchpad,
/// systolic array, accumulator, DMA and main memory, each with its numbers.
pub fn block_diagram(cfg: &Config) -> String {
    let g = cfg.geometry();
    let a = &cfg.array;
    let (w, h) = (880.0, 580.0);
    let mut o = open(w, h, &format!("Block diagram of {} ({}x{} array)", cfg.name, a.rows, a.cols));
    o.push_str(
        "<defs><marker id=\"bd-arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" \
         orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#222\"/></marker></defs>\n",
    );
    let sp_bytes = u64::from(g.sp_rows()) * u64::from(g.sp_row_bits()) / 8;
    let acc_bytes = u64::from(g.acc_rows) * u64::from(g.cols) * u64::from(g.acc_bits) / 8;
    let dsp = a.dsp_pes();
    let soft = a.rows * a.cols - dsp;
    let blocks = [
        Block {
            x: 20.0,
            y: 20.0,
            w: 180.0,
            h: 80.0,
            title: "Host".into(),
            lines: vec!["a CPU, or the board's".into(), "UART bridge".into()],
            external: true,
            fill: "#fafafa",
        },
        Block {
            x: 240.0,
            y: 20.0,
            w: 180.0,
            h: 80.0,
            title: "Host interface".into(),
            lines: vec![
                "AXI4-Lite slave, 32-bit".into(),
                format!("registers, {}-bit counters", cfg.controller.counter_bits),
            ],
            external: false,
            fill: "#e3f2fd",
        },
        Block {
            x: 460.0,
            y: 20.0,
            w: 180.0,
            h: 80.0,
            title: "Command queue".into(),
            lines: vec![format!("{} commands x 128 bits", ip_blocks::blocks::controller::cmd_queue_depth(cfg))],
            external: false,
            fill: "#e3f2fd",
        },
        Block {
            x: 680.0,
            y: 20.0,
            w: 180.0,
            h: 80.0,
            title: "Controller".into(),
            lines: vec![
                if cfg.controller.scoreboard {
                    "decode, dispatch, scoreboard"
                } else {
                    "decode, dispatch, fixed waits"
                }
                .into(),
                format!("4 trackers x {} commands", cfg.controller.queue_depth),
                "load, preload, compute, store".into(),
            ],
            external: false,
            fill: "#e3f2fd",
        },
        Block {
            x: 20.0,
            y: 170.0,
            w: 210.0,
            h: 100.0,
            title: "Scratchpad".into(),
            lines: vec![
                format!("{} banks x {} rows", g.sp_banks, g.sp_rows_per_bank),
                format!("rows of {} x int{} ({} bits)", g.sp_elems(), g.input_bits, g.sp_row_bits()),
                bytes(sp_bytes),
            ],
            external: false,
            fill: "#fff8e1",
        },
        Block {
            x: 270.0,
            y: 140.0,
            w: 340.0,
            h: 220.0,
            title: format!("Systolic array {}x{}", a.rows, a.cols),
            lines: vec![
                format!(
                    "{} MACs/cycle, int{} x int{} -> int{}",
                    g.macs_per_cycle(),
                    g.input_bits,
                    g.input_bits,
                    g.acc_bits
                ),
                dataflow_name(a.dataflow).into(),
                format!("{dsp} DSP + {soft} soft multipliers"),
            ],
            external: false,
            fill: "#e8f5e9",
        },
        Block {
            x: 650.0,
            y: 170.0,
            w: 210.0,
            h: 100.0,
            title: "Accumulator".into(),
            lines: vec![
                format!("{} rows x {} x int{}", g.acc_rows, g.cols, g.acc_bits),
                bytes(acc_bytes),
                "read-out: bias, requant, ReLU".into(),
            ],
            external: false,
            fill: "#fff8e1",
        },
        Block {
            x: 270.0,
            y: 400.0,
            w: 340.0,
            h: 80.0,
            title: format!("DMA: AXI4 master, {}-bit bus", g.dma_data_bits),
            lines: vec![
                format!("{} bytes per beat, {} read bursts in flight", g.dma_beat_bytes(), g.dma_outstanding),
                "2-D strided loads and stores".into(),
            ],
            external: false,
            fill: "#f3e5f5",
        },
        Block {
            x: 340.0,
            y: 515.0,
            w: 200.0,
            h: 50.0,
            title: "Main memory".into(),
            lines: vec!["AXI4 slave".into()],
            external: true,
            fill: "#fafafa",
        },
    ];
    for b in &blocks {
        b.draw(&mut o);
    }
    // The array's PEs, at most 16 x 16 of them drawn.
    let (sr, sc) = (a.rows.min(16), a.cols.min(16));
    let cell = (300.0 / f64::from(sc)).min(118.0 / f64::from(sr)).min(24.0);
    let (gw, gh) = (cell * f64::from(sc), cell * f64::from(sr));
    let (gx, gy) = (440.0 - gw / 2.0, 232.0);
    for r in 0..sr {
        for c in 0..sc {
            let style = "fill=\"#66bb6a\" stroke=\"#1b5e20\" stroke-width=\"1\"";
            rect(&mut o, gx + cell * f64::from(c) + 1.0, gy + cell * f64::from(r) + 1.0, cell - 2.0, cell - 2.0, style);
        }
    }
    if (sr, sc) != (a.rows, a.cols) {
        text(&mut o, 440.0, gy + gh + 12.0, "middle", "font-size=\"10\"", &format!("({sr}x{sc} of the PEs drawn)"));
    }
    // Host -> host interface -> command queue -> controller.
    arrow(&mut o, &[(200.0, 60.0), (240.0, 60.0)], true, false);
    arrow(&mut o, &[(420.0, 60.0), (460.0, 60.0)], false, false);
    arrow(&mut o, &[(640.0, 60.0), (680.0, 60.0)], false, false);
    // The controller drives the datapath and the DMA (dashed: control, not data).
    let _ = writeln!(o, "<polyline points=\"770.0,100.0 770.0,120.0 125.0,120.0\" fill=\"none\" stroke=\"{INK}\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>");
    arrow(&mut o, &[(125.0, 120.0), (125.0, 170.0)], false, true);
    arrow(&mut o, &[(440.0, 120.0), (440.0, 140.0)], false, true);
    arrow(&mut o, &[(755.0, 120.0), (755.0, 170.0)], false, true);
    text(&mut o, 600.0, 114.0, "middle", "font-size=\"10\" font-style=\"italic\"", "commands");
    // Data: scratchpad -> array -> accumulator; DMA loads and stores.
    arrow(&mut o, &[(230.0, 220.0), (270.0, 220.0)], false, false);
    text(&mut o, 250.0, 212.0, "middle", "font-size=\"10\"", "A, B");
    arrow(&mut o, &[(610.0, 220.0), (650.0, 220.0)], false, false);
    text(&mut o, 630.0, 212.0, "middle", "font-size=\"10\"", "sums");
    arrow(&mut o, &[(270.0, 440.0), (125.0, 440.0), (125.0, 270.0)], false, false);
    text(&mut o, 130.0, 432.0, "start", "font-size=\"10\"", "loads");
    arrow(&mut o, &[(755.0, 270.0), (755.0, 440.0), (610.0, 440.0)], false, false);
    text(&mut o, 750.0, 432.0, "end", "font-size=\"10\"", "stores, read-out");
    arrow(&mut o, &[(440.0, 480.0), (440.0, 515.0)], true, false);
    text(&mut o, 450.0, 502.0, "start", "font-size=\"10\"", &format!("AXI4, {}-bit", g.dma_data_bits));
    o.push_str("</svg>\n");
    o
}

/// One horizontal bar: a label, a track, the filled share and the value text.
pub struct Bar {
    /// Left of the bar.
    pub label: String,
    /// 0 to 1 (more is drawn full, in the warning colour).
    pub share: f64,
    /// Right of the bar.
    pub value: String,
    /// Fill colour.
    pub colour: &'static str,
}

/// Horizontal bars, one per line, with a title.
pub fn bars(title: &str, rows: &[Bar]) -> String {
    let (w, row_h) = (880.0, 30.0);
    let h = 20.0 + row_h * rows.len() as f64;
    let mut o = open(w, h, title);
    let (track_x, track_w) = (250.0, 330.0);
    for (i, b) in rows.iter().enumerate() {
        let y = 10.0 + row_h * i as f64;
        text(&mut o, 10.0, y + 15.0, "start", "", &b.label);
        rect(&mut o, track_x, y + 2.0, track_w, 18.0, "fill=\"#eeeeee\" stroke=\"#bbbbbb\"");
        let share = if b.share.is_finite() { b.share.max(0.0) } else { 0.0 };
        let colour = if share > 1.0 { "#c62828" } else { b.colour };
        let fill = track_w * share.min(1.0);
        if fill > 0.0 {
            rect(&mut o, track_x, y + 2.0, fill, 18.0, &format!("fill=\"{colour}\""));
        }
        text(&mut o, track_x + track_w + 10.0, y + 15.0, "start", "", &b.value);
    }
    o.push_str("</svg>\n");
    o
}

/// The utilization breakdown of a run on the RTL: engine busy, DMA stall, dependency
/// stall and idle, as shares of the run's cycles. `None` without counters.
pub fn utilization(run: &RunRecord) -> Option<String> {
    let c = run.counters?;
    let total = run.cycles.unwrap_or(c.cycles).max(1);
    let idle = total.saturating_sub(c.engine_busy + c.dma_stall);
    let bar = |label: &str, n: u64, colour| Bar {
        label: label.into(),
        share: n as f64 / total as f64,
        value: format!("{:.1}% ({n} cycles)", 100.0 * n as f64 / total as f64),
        colour,
    };
    let rows = [
        bar("engine busy", c.engine_busy, "#2e7d32"),
        bar("DMA stall", c.dma_stall, "#ef6c00"),
        bar("dependency stall (overlaps)", c.dep_stall, "#6a1b9a"),
        bar("idle (other)", idle, "#757575"),
    ];
    Some(bars(&format!("Utilization breakdown of {} over {total} cycles", run.workload), &rows))
}

/// Lower and upper powers of two around `lo..hi`, with `pad` more on each side.
fn pow2_range(lo: f64, hi: f64, pad: i32) -> (i32, i32) {
    (lo.log2().floor() as i32 - pad, hi.log2().ceil() as i32 + pad)
}

/// 2^e as a tick label: `1/4`, `1`, `64`, `1Ki`.
fn pow2_label(e: i32) -> String {
    match e {
        e if e < 0 => format!("1/{}", 1u64 << (-e).min(62)),
        e if e >= 20 => format!("{}Mi", 1u64 << (e - 20).min(40)),
        e if e >= 10 => format!("{}Ki", 1u64 << (e - 10)),
        e => format!("{}", 1u64 << e),
    }
}

/// The roofline of `cfg`: MACs per cycle against operational intensity (MACs per DMA
/// byte), log-log; the compute roof is rows x cols MACs per cycle, the memory roof one DMA
/// beat per cycle. The run, if it has counters, is a point at its intensity and rate.
pub fn roofline(cfg: &Config, run: Option<&RunRecord>) -> String {
    let g = cfg.geometry();
    let peak = g.macs_per_cycle() as f64;
    let bw = f64::from(g.dma_beat_bytes());
    let ridge = peak / bw;
    let point = run.and_then(|r| {
        let c = r.counters?;
        let cycles = r.cycles.unwrap_or(c.cycles);
        (c.dma_bytes > 0 && cycles > 0).then(|| (r.macs as f64 / c.dma_bytes as f64, r.macs as f64 / cycles as f64))
    });
    let (px, py) = point.unwrap_or((ridge, peak));
    let (x0, x1) = pow2_range(ridge.min(px), ridge.max(px), 3);
    let (y0, y1) = pow2_range((peak / 32.0).min(py), peak, 1);
    let (w, h) = (760.0, 400.0);
    let (left, right, top, bottom) = (80.0, 720.0, 20.0, 340.0);
    let sx = |x: f64| left + (x.log2() - f64::from(x0)) / f64::from(x1 - x0) * (right - left);
    let sy = |y: f64| bottom - (y.log2() - f64::from(y0)) / f64::from(y1 - y0) * (bottom - top);
    let mut o = open(w, h, &format!("Roofline of the {}x{} array with a {}-bit DMA", g.rows, g.cols, g.dma_data_bits));
    rect(&mut o, left, top, right - left, bottom - top, "fill=\"#fcfcfc\" stroke=\"#999\"");
    let step = if x1 - x0 > 14 { 2 } else { 1 };
    for e in (x0..=x1).step_by(step) {
        let x = sx(2f64.powi(e));
        let _ =
            writeln!(o, "<line x1=\"{x:.1}\" y1=\"{top:.1}\" x2=\"{x:.1}\" y2=\"{bottom:.1}\" stroke=\"#e0e0e0\"/>");
        text(&mut o, x, bottom + 16.0, "middle", "font-size=\"11\"", &pow2_label(e));
    }
    for e in y0..=y1 {
        let y = sy(2f64.powi(e));
        let _ =
            writeln!(o, "<line x1=\"{left:.1}\" y1=\"{y:.1}\" x2=\"{right:.1}\" y2=\"{y:.1}\" stroke=\"#e0e0e0\"/>");
        text(&mut o, left - 8.0, y + 4.0, "end", "font-size=\"11\"", &pow2_label(e));
    }
    text(&mut o, (left + right) / 2.0, bottom + 38.0, "middle", "", "operational intensity (MACs per DMA byte)");
    let _ = writeln!(
        o,
        "<text x=\"20.0\" y=\"{:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 20.0 {:.1})\">MACs per cycle</text>",
        (top + bottom) / 2.0,
        (top + bottom) / 2.0
    );
    // The roofs: memory up to the ridge, compute after it.
    let xs = 2f64.powi(x0).max(2f64.powi(y0) / bw);
    let _ = writeln!(
        o,
        "<polyline points=\"{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}\" fill=\"none\" stroke=\"#1565c0\" stroke-width=\"2.5\"/>",
        sx(xs),
        sy(bw * xs),
        sx(ridge),
        sy(peak),
        sx(2f64.powi(x1)),
        sy(peak)
    );
    text(
        &mut o,
        sx(2f64.powi(x1)) - 6.0,
        sy(peak) - 8.0,
        "end",
        "fill=\"#1565c0\"",
        &format!("peak {peak:.0} MACs/cycle"),
    );
    let mx = (xs * ridge).sqrt();
    text(&mut o, sx(mx) + 6.0, sy(bw * mx) - 8.0, "end", "fill=\"#1565c0\"", &format!("DMA {bw:.0} bytes/cycle"));
    // The ridge: where the memory roof meets the compute roof.
    let _ = writeln!(
        o,
        "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{bottom:.1}\" stroke=\"#1565c0\" stroke-dasharray=\"3 3\"/>",
        sy(peak),
        x = sx(ridge)
    );
    text(
        &mut o,
        sx(ridge) + 4.0,
        bottom - 6.0,
        "start",
        "font-size=\"11\" fill=\"#1565c0\"",
        &format!("ridge: {ridge:.2} MACs/byte"),
    );
    if let (Some((px, py)), Some(r)) = (point, run) {
        let (cx, cy) = (sx(px), sy(py));
        let _ = writeln!(
            o,
            "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"6\" fill=\"#c62828\" stroke=\"#fff\" stroke-width=\"1.5\"/>"
        );
        let anchor = if cx > (left + right) / 2.0 { "end" } else { "start" };
        let dx = if anchor == "end" { -10.0 } else { 10.0 };
        text(&mut o, cx + dx, cy + 20.0, anchor, "fill=\"#c62828\"", &r.workload);
        text(
            &mut o,
            cx + dx,
            cy + 35.0,
            anchor,
            "fill=\"#c62828\" font-size=\"11\"",
            &format!("{py:.2} MACs/cycle at {px:.2} MACs/byte"),
        );
    }
    o.push_str("</svg>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels_read_as_powers_of_two() {
        assert_eq!(pow2_label(-2), "1/4");
        assert_eq!(pow2_label(0), "1");
        assert_eq!(pow2_label(6), "64");
        assert_eq!(pow2_label(11), "2Ki");
        assert_eq!(pow2_label(21), "2Mi");
        assert_eq!(pow2_range(3.0, 100.0, 1), (0, 8));
    }

    #[test]
    fn the_block_diagram_carries_the_configuration_numbers() {
        let cfg = Config::preset("ecp5").unwrap();
        let s = block_diagram(&cfg);
        for want in ["Systolic array 8x8", "64 MACs/cycle", "4 banks x 1024 rows", "32 KiB", "64-bit", "16 read bursts"]
        {
            assert!(s.contains(want), "{want} missing from the diagram");
        }
        // 8x8 PEs drawn, and no note about PEs left out.
        assert_eq!(s.matches("fill=\"#66bb6a\"").count(), 64);
        assert!(!s.contains("of the PEs drawn"));
    }

    #[test]
    fn a_bar_over_its_track_is_drawn_full_and_red() {
        let s = bars("t", &[Bar { label: "DSP".into(), share: 1.5, value: "12 / 8".into(), colour: "#1565c0" }]);
        assert!(s.contains("width=\"330.0\" height=\"18.0\" fill=\"#c62828\""), "{s}");
    }
}
