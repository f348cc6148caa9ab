//! The HTML report (`--report DIR`): well-formed XHTML, every SVG a document of its own,
//! rendered by headless Chromium to a picture with the diagram's colours in it, and the
//! CLI's `--report` on gen, sim and fpga.
//!
//! The rendering test needs Debian's `chromium`, which `scripts/setup-tools.sh` installs;
//! it fails, saying so, when Chromium is missing (it installs nothing itself).

use seedchip::report::{self, BoardRecord, ReportData, ResourceRecord, RunRecord};
use seedchip::sim::CounterReport;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const SVG_NS: &str = "http://www.w3.org/2000/svg";
const XHTML_NS: &str = "http://www.w3.org/1999/xhtml";

fn seedchip(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seedchip")).args(args).output().expect("the binary runs")
}

fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into(), String::from_utf8_lossy(&o.stderr).into())
}

/// A report with everything in it: a run with counters, a built board and a refused one.
fn full_report(preset: &str) -> ReportData {
    let cfg = ip_blocks::Config::preset(preset).unwrap();
    let res = |resource: &str, cell: &str, used, available, estimate| ResourceRecord {
        resource: resource.into(),
        cell: cell.into(),
        used,
        available,
        estimate,
    };
    ReportData {
        format: report::FORMAT,
        source: format!("preset {preset} <&> \"quoted\""),
        config: cfg,
        run: Some(RunRecord {
            workload: "matmul:128x128x128".into(),
            engine: "verilator".into(),
            pass: true,
            cycles: Some(133118),
            macs: 2097152,
            utilization: Some(0.9846),
            counters: Some(CounterReport {
                cycles: 133107,
                engine_busy: 131072,
                macs: 2097152,
                dma_bytes: 164352,
                dma_stall: 2010,
                dep_stall: 141,
            }),
        }),
        boards: vec![
            BoardRecord {
                board: "icebreaker".into(),
                device: "iCE40 UP5K".into(),
                status: "refused".into(),
                figures: "prediction".into(),
                fmax_mhz: None,
                target_mhz: None,
                timing_met: None,
                resources: vec![
                    res("lut", "LUT4", 8900, 5280, true),
                    res("dsp", "SB_MAC16", 8, 8, false),
                    res("bram", "SB_RAM40_4K", 20, 30, false),
                ],
                error: Some("preset ice40 does not fit the icebreaker: needs 8900 LUT4 & more".into()),
            },
            BoardRecord {
                board: "ulx3s".into(),
                device: "ECP5-85F".into(),
                status: "built".into(),
                figures: "nextpnr".into(),
                fmax_mhz: Some(61.52),
                target_mhz: Some(25.0),
                timing_met: Some(true),
                resources: vec![
                    res("lut", "LUT4", 9000, 83640, false),
                    res("ff", "TRELLIS_FF", 6000, 83640, false),
                    res("dsp", "MULT18X18D", 68, 156, false),
                    res("bram", "DP16KD", 40, 208, false),
                ],
                error: None,
            },
        ],
    }
}

/// Parse the page as XML; return the text of every `<svg>` element.
fn check_xhtml(html: &str) -> Vec<String> {
    let opts = roxmltree::ParsingOptions { allow_dtd: true, ..roxmltree::ParsingOptions::default() };
    let doc = roxmltree::Document::parse_with_options(html, opts).unwrap_or_else(|e| panic!("not well-formed: {e}"));
    let root = doc.root_element();
    assert_eq!((root.tag_name().namespace(), root.tag_name().name()), (Some(XHTML_NS), "html"));
    assert!(root.descendants().all(|n| !n.has_tag_name("script")), "the page needs no script");
    root.descendants()
        .filter(|n| n.tag_name().name() == "svg" && n.tag_name().namespace() == Some(SVG_NS))
        .map(|n| html[n.range()].to_string())
        .collect()
}

#[test]
fn the_page_is_well_formed_xhtml_and_each_svg_parses_alone() {
    for preset in ["ice40", "ecp5"] {
        let data = full_report(preset);
        let html = report::render(&data);
        let svgs = check_xhtml(&html);
        // Block diagram, utilization, roofline, one resource chart per board.
        assert_eq!(svgs.len(), 5, "{preset}: {} SVG pictures", svgs.len());
        for s in &svgs {
            let doc = roxmltree::Document::parse(s).unwrap_or_else(|e| panic!("{preset}: an SVG does not parse: {e}"));
            assert_eq!(doc.root_element().tag_name().namespace(), Some(SVG_NS));
            assert!(doc.root_element().attribute("viewBox").is_some());
        }
        assert!(html.contains("preset ") && html.contains("&lt;&amp;&gt;"), "the source is escaped");
        for want in ["98.5% (131072 cycles)", "Fmax 61.5 MHz", "8900 / 5280 (168.6%), estimate", "68 / 156"] {
            assert!(html.contains(want), "{preset}: `{want}` missing");
        }
    }
    // Without a run or a board the page still holds its diagram and roofline, and says
    // how to add the rest.
    let mut data = full_report("ice40");
    data.run = None;
    data.boards.clear();
    let html = report::render(&data);
    assert_eq!(check_xhtml(&html).len(), 2);
    assert!(html.contains("No run yet") && html.contains("No board yet"));
}

/// Chromium, as Debian names it; the test fails loudly without it.
fn chromium() -> PathBuf {
    for name in ["chromium", "chromium-browser"] {
        let found = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).map(|d| d.join(name)).find(|f| f.is_file()))
            .unwrap_or_default();
        if let Some(f) = found {
            return f;
        }
    }
    panic!(
        "Chromium is not installed (no `chromium` on PATH): this test renders the report in headless Chromium. \
         Install it with scripts/setup-tools.sh (or `make setup`), which adds Debian's `chromium` package"
    );
}

/// Render `page` with headless Chromium; the screenshot's RGBA pixels and width.
fn screenshot(page: &Path, dir: &Path) -> (Vec<[u8; 4]>, u32) {
    let shot = dir.join("shot.png");
    let mut child = Command::new(chromium())
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1000,2600"])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("chromium starts");
    let t0 = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "chromium failed: {status}");
            break;
        }
        if t0.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("chromium took more than 120 s to take a screenshot");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let bytes = std::fs::read(&shot).expect("chromium wrote the screenshot");
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("a sane size")];
    let info = reader.next_frame(&mut buf).expect("a frame");
    let samples = info.color_type.samples();
    let pixels = buf[..info.buffer_size()]
        .chunks(samples)
        .map(|p| match samples {
            4 => [p[0], p[1], p[2], p[3]],
            3 => [p[0], p[1], p[2], 255],
            2 => [p[0], p[0], p[0], p[1]],
            _ => [p[0], p[0], p[0], 255],
        })
        .collect();
    (pixels, info.width)
}

#[test]
fn the_page_renders_in_headless_chromium_with_its_pictures() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    report::write(&out, &full_report("ice40")).unwrap();
    let (pixels, width) = screenshot(&out.join(report::PAGE), dir.path());
    assert_eq!(width, 1000);
    let colours: std::collections::BTreeSet<[u8; 4]> = pixels.iter().copied().collect();
    assert!(colours.len() > 1, "the screenshot is blank: one colour");
    let ink = pixels.iter().filter(|p| p[0] < 128 && p[1] < 128 && p[2] < 128).count();
    assert!(ink > 5000, "hardly any dark pixels ({ink}): the text did not render");
    // The PEs of the block diagram (#66bb6a) and the busy bar (#2e7d32): the SVGs drew.
    let count = |c: [u8; 3]| pixels.iter().filter(|p| p[..3] == c).count();
    assert!(count([0x66, 0xbb, 0x6a]) > 1000, "the block diagram's PEs are not in the picture");
    assert!(count([0x2e, 0x7d, 0x32]) > 1000, "the utilization bars are not in the picture");
}

#[test]
fn gen_sim_and_fpga_with_report_fill_the_page_and_a_foreign_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("report");
    let d = dir.to_str().unwrap();
    let gen_out = tmp.path().join("gen");
    let o = seedchip(&["gen", "--preset", "ice40", "--out", gen_out.to_str().unwrap(), "--report", d, "--json"]);
    assert!(o.status.success(), "{:?}", text(&o));
    let v: serde_json::Value = serde_json::from_str(text(&o).0.trim()).expect("one JSON object");
    assert_eq!(v["report"], dir.join("index.html").display().to_string());
    let page = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(page.contains("No run yet") && page.contains("Systolic array 4x4"));

    let o = seedchip(&["sim", "--preset", "ice40", "--workload", "matmul:8x8x8", "--engine", "model", "--report", d]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(text(&o).0.contains("report: "), "{:?}", text(&o));
    let sim = ["sim", "--preset", "ice40", "--workload", "matmul:8x8x8", "--engine", "model", "--json", "--report", d];
    let o = seedchip(&sim);
    let v: serde_json::Value = serde_json::from_str(text(&o).0.trim()).expect("one JSON object");
    assert_eq!((v["pass"].as_bool(), v["report"].as_str()), (Some(true), dir.join("index.html").to_str()));
    let page = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(page.contains("matmul:8x8x8") && page.contains("golden model counts no cycles"));
    assert_eq!(check_xhtml(&page).len(), 2);

    let same = ["gen", "--preset", "ice40", "--out", d, "--report", d];
    let o = seedchip(&same);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    assert!(text(&o).1.contains("a folder of its own"), "{:?}", text(&o));

    // Another configuration starts the report afresh, and says so.
    let o = seedchip(&["gen", "--preset", "ecp5", "--out", gen_out.to_str().unwrap(), "--report", d]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(text(&o).1.contains("earlier run and boards are dropped"), "{:?}", text(&o));
    assert!(std::fs::read_to_string(dir.join("index.html")).unwrap().contains("No run yet"));

    // fpga: a refusal (no tool runs) puts the prediction's bars for the board on the page.
    let ib = tmp.path().join("ib");
    let o =
        seedchip(&["fpga", "--board", "icebreaker", "--preset", "ecp5", "--out", ib.to_str().unwrap(), "--report", d]);
    assert_eq!(o.status.code(), Some(1), "{:?}", text(&o));
    let page = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(page.contains("icebreaker (iCE40 UP5K): refused") && page.contains("SB_MAC16"), "{page}");
    assert_eq!(check_xhtml(&page).len(), 3);
    let data = report::load(&dir).unwrap().unwrap();
    assert_eq!((data.boards.len(), data.boards[0].figures.as_str()), (1, "prediction"));

    // A folder that is not a report is left alone, before anything runs.
    let foreign = tmp.path().join("mine");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "keep").unwrap();
    let f = foreign.to_str().unwrap();
    let o = seedchip(&["sim", "--preset", "ice40", "--workload", "matmul:8x8x8", "--engine", "model", "--report", f]);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    assert!(text(&o).1.contains("is not a seedchip report"), "{:?}", text(&o));
    assert_eq!(std::fs::read_dir(&foreign).unwrap().count(), 1);
}
