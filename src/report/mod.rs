//! `--report DIR` on `gen`, `sim` and `fpga`: an HTML page about one configuration that
//! each of those commands brings up to date.
//!
//! The folder holds two files:
//!
//! ```text
//! report.json   what the page shows: the configuration, the last `sim` run, the last
//!               `fpga` run on each board (the folder's marker: only a folder holding it,
//!               or an empty one, is ever replaced)
//! index.html    the page: an SVG block diagram of the configuration, the utilization
//!               breakdown of the last run, a roofline with the run on it, and resource
//!               bars per board. XHTML-compatible HTML with inline SVG; no JavaScript
//! ```
//!
//! Each command reads `report.json`, changes its part, renders the page and writes both
//! into a temporary folder beside `DIR` that is then renamed over it, so a reader never
//! sees a half-written report. A report is about one configuration: when a command's
//! configuration differs from the one in the folder, the earlier run and boards are
//! dropped (and the command says so). The output is deterministic: the same data gives
//! the same bytes (no dates, boards in name order).
//!
//! ```
//! let cfg = ip_blocks::Config::preset("ice40").unwrap();
//! let dir = tempfile::tempdir().unwrap();
//! let out = dir.path().join("report");
//! seedchip::report::update(&out, &cfg, "preset ice40", seedchip::report::Change::Config).unwrap();
//! let html = std::fs::read_to_string(out.join("index.html")).unwrap();
//! assert!(html.contains("<svg") && html.contains("4x4"));
//! ```

mod html;
mod svg;

pub use html::render;

use crate::sim::CounterReport;
use anyhow::{bail, Context, Result};
use ip_blocks::Config;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The data file in a report folder (and the folder's marker).
pub const DATA: &str = "report.json";
/// The page in a report folder.
pub const PAGE: &str = "index.html";
/// The version of `report.json`'s layout.
pub const FORMAT: u32 = 1;

/// Everything a report shows (`report.json`; the keys are an interface: keep them).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportData {
    /// [`FORMAT`].
    pub format: u32,
    /// Where the configuration came from (`preset ice40`, a file name).
    pub source: String,
    /// The configuration.
    pub config: Config,
    /// The last `sim` run on it, if any.
    pub run: Option<RunRecord>,
    /// The last `fpga` run on each board, in board-name order.
    pub boards: Vec<BoardRecord>,
}

/// One `sim` run, as the report shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The workload as given (`matmul:128x128x128`, `mlp:digits`).
    pub workload: String,
    /// `verilator`, `interp` or `model`.
    pub engine: String,
    /// True when the run passed its checks.
    pub pass: bool,
    /// Cycles (RTL only; all layers of a network).
    pub cycles: Option<u64>,
    /// Multiply-accumulates of the workload.
    pub macs: u64,
    /// macs / (rows x cols x cycles) (RTL only).
    pub utilization: Option<f64>,
    /// The performance counters (RTL only; summed over the layers of a network).
    pub counters: Option<CounterReport>,
}

impl RunRecord {
    /// The report of a matmul run.
    pub fn from_sim(r: &crate::sim::SimReport) -> RunRecord {
        RunRecord {
            workload: r.workload.clone(),
            engine: r.engine.clone(),
            pass: r.pass,
            cycles: r.cycles,
            macs: r.macs,
            utilization: r.utilization,
            counters: r.counters,
        }
    }

    /// The report of a network run: its layers' counters added up.
    pub fn from_mlp(r: &crate::mlp::MlpReport) -> RunRecord {
        let counters = r.layers.iter().map(|l| l.counters).collect::<Option<Vec<CounterReport>>>().and_then(|v| {
            v.into_iter().reduce(|a, b| CounterReport {
                cycles: a.cycles + b.cycles,
                engine_busy: a.engine_busy + b.engine_busy,
                macs: a.macs + b.macs,
                dma_bytes: a.dma_bytes + b.dma_bytes,
                dma_stall: a.dma_stall + b.dma_stall,
                dep_stall: a.dep_stall + b.dep_stall,
            })
        });
        RunRecord {
            workload: format!("{} ({} images)", r.workload, r.images),
            engine: r.engine.clone(),
            pass: r.pass,
            cycles: r.cycles,
            macs: r.macs,
            utilization: r.utilization,
            counters,
        }
    }
}

/// One resource of a board: used (or needed) and available.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceRecord {
    /// `lut`, `ff`, `dsp`, `bram` or `spram`.
    pub resource: String,
    /// The device's cell (`SB_MAC16`, `DP16KD`), when known.
    pub cell: String,
    /// Used by the placed design, or needed by the prediction.
    pub used: u64,
    /// On the device.
    pub available: u64,
    /// True for the prediction's estimates (LUTs, flip-flops before synthesis).
    pub estimate: bool,
}

/// The last `fpga` run on one board.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BoardRecord {
    /// The board (`ulx3s`).
    pub board: String,
    /// Its device (`ECP5-85F`).
    pub device: String,
    /// `built`, `refused` (the prediction: no tool ran) or `failed`.
    pub status: String,
    /// `nextpnr` (after place and route) or `prediction` (before any tool).
    pub figures: String,
    /// The slowest clock's Fmax, MHz (built only).
    pub fmax_mhz: Option<f64>,
    /// The timing target, MHz (built only).
    pub target_mhz: Option<f64>,
    /// Fmax reaches the target (built only).
    pub timing_met: Option<bool>,
    /// The resources, LUTs first.
    pub resources: Vec<ResourceRecord>,
    /// Why it was refused or failed.
    pub error: Option<String>,
}

impl BoardRecord {
    /// Read the record `seedchip fpga` writes (`fpga.json`, or the object `--json`
    /// prints): the flow report's resources when it was built, else the fit prediction's.
    pub fn from_fpga_record(v: &serde_json::Value) -> Result<BoardRecord> {
        let text = |key: &str| v.get(key).and_then(|x| x.as_str()).map(str::to_string);
        let fit = v.get("fit").context("the fpga record has no `fit`")?;
        let needs = fit.get("needs").and_then(|n| n.as_array()).context("the fpga record's fit has no `needs`")?;
        let board = text("board")
            .or_else(|| fit.get("board").and_then(|b| b.as_str()).map(str::to_string))
            .context("the fpga record names no board")?;
        let device = text("device")
            .or_else(|| fit.get("device").and_then(|b| b.as_str()).map(str::to_string))
            .unwrap_or_default();
        let status = text("status").context("the fpga record has no `status`")?;
        let cell_of = |resource: &str| {
            needs
                .iter()
                .find(|n| n.get("resource").and_then(|r| r.as_str()) == Some(resource))
                .and_then(|n| n.get("cell").and_then(|c| c.as_str()))
                .unwrap_or_default()
                .to_string()
        };
        let num = |x: &serde_json::Value, key: &str| x.get(key).and_then(|n| n.as_u64());
        let mut resources = Vec::new();
        let figures;
        if let Some(res) = v.get("resources").and_then(|r| r.as_object()) {
            figures = "nextpnr";
            for name in ["lut", "ff", "dsp", "bram", "spram"] {
                let Some(u) = res.get(name) else { continue };
                let (Some(used), Some(available)) = (num(u, "used"), num(u, "available")) else {
                    bail!("the fpga record's `resources.{name}` lacks `used` or `available`");
                };
                if name == "spram" && available == 0 {
                    continue;
                }
                resources.push(ResourceRecord {
                    resource: name.into(),
                    cell: cell_of(name),
                    used,
                    available,
                    estimate: false,
                });
            }
        } else {
            figures = "prediction";
            for n in needs {
                let resource = n.get("resource").and_then(|r| r.as_str()).context("a fit need has no `resource`")?;
                let (Some(used), Some(available)) = (num(n, "needed"), num(n, "available")) else {
                    bail!("the fpga record's fit need `{resource}` lacks `needed` or `available`");
                };
                resources.push(ResourceRecord {
                    resource: resource.into(),
                    cell: cell_of(resource),
                    used,
                    available,
                    estimate: n.get("estimate").and_then(|e| e.as_bool()).unwrap_or(false),
                });
            }
        }
        Ok(BoardRecord {
            board,
            device,
            status,
            figures: figures.into(),
            fmax_mhz: v.get("fmax_mhz").and_then(|x| x.as_f64()),
            target_mhz: v.get("target_mhz").and_then(|x| x.as_f64()),
            timing_met: v.get("timing_met").and_then(|x| x.as_bool()),
            resources,
            error: text("error"),
        })
    }
}

/// What a command brings to the report.
#[derive(Clone, Debug)]
pub enum Change {
    /// Only the configuration (`gen`).
    Config,
    /// A `sim` run.
    Run(RunRecord),
    /// An `fpga` run on one board.
    Board(BoardRecord),
}

/// What [`update`] did.
#[derive(Clone, Debug)]
pub struct Updated {
    /// The page.
    pub page: PathBuf,
    /// Things the user should know (earlier runs dropped for a new configuration).
    pub notes: Vec<String>,
}

/// Read the report in `dir` (none when `dir` does not exist or is empty).
pub fn load(dir: &Path) -> Result<Option<ReportData>> {
    let path = dir.join(DATA);
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read `{}`", path.display()))?;
    let data: ReportData = serde_json::from_str(&text).with_context(|| {
        format!(
            "`{}` is not a report this seedchip writes (format {FORMAT}); remove the folder `{}` or choose another --report folder",
            path.display(),
            dir.display()
        )
    })?;
    if data.format != FORMAT {
        bail!(
            "`{}` has format {}, this seedchip writes format {FORMAT}; remove the folder `{}` or choose another --report folder",
            path.display(),
            data.format,
            dir.display()
        );
    }
    Ok(Some(data))
}

/// Check, before a long run, that `dir` can take a report: it is absent, empty, or holds
/// a report this seedchip reads.
pub fn check_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        let ours = dir.join(DATA).is_file();
        let empty = dir.is_dir() && std::fs::read_dir(dir)?.next().is_none();
        if !dir.is_dir() || !(ours || empty) {
            bail!(
                "--report `{}` exists and is not a seedchip report (no {DATA} inside); choose another --report folder \
                 or remove it",
                dir.display()
            );
        }
        load(dir)?;
    }
    Ok(())
}

/// Apply `change` for configuration `cfg` (from `source`) to the report in `dir`, render
/// the page, and replace the folder with the new `report.json` and `index.html`.
pub fn update(dir: &Path, cfg: &Config, source: &str, change: Change) -> Result<Updated> {
    let mut notes = Vec::new();
    let mut data = match load(dir)? {
        Some(old) if old.config == *cfg => ReportData { source: source.to_string(), ..old },
        Some(old) => {
            if old.run.is_some() || !old.boards.is_empty() {
                notes.push(format!(
                    "the report in `{}` was about {} and now shows {}: its earlier run and boards are dropped",
                    dir.display(),
                    old.source,
                    source
                ));
            }
            ReportData { format: FORMAT, source: source.to_string(), config: cfg.clone(), run: None, boards: vec![] }
        }
        None => {
            ReportData { format: FORMAT, source: source.to_string(), config: cfg.clone(), run: None, boards: vec![] }
        }
    };
    match change {
        Change::Config => {}
        Change::Run(r) => data.run = Some(r),
        Change::Board(b) => {
            data.boards.retain(|x| x.board != b.board);
            data.boards.push(b);
            data.boards.sort_by(|a, b| a.board.cmp(&b.board));
        }
    }
    write(dir, &data)?;
    Ok(Updated { page: dir.join(PAGE), notes })
}

/// Render `data` and write it into `dir` (through a temporary folder renamed into place).
pub fn write(dir: &Path, data: &ReportData) -> Result<()> {
    let mut json = serde_json::to_string_pretty(data)?;
    json.push('\n');
    let files = vec![(DATA.to_string(), json), (PAGE.to_string(), render(data))];
    crate::gen::write_dir_atomically(dir, &files, DATA, "seedchip ... --report", "--report")
        .with_context(|| format!("writing the report into `{}`", dir.display()))
}

/// Escape text for XML content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

/// A byte count as people read it: `512 B`, `4 KiB`, `1.5 MiB`.
pub(crate) fn bytes(n: u64) -> String {
    let trim = |x: f64| {
        let s = format!("{x:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    if n < 1024 {
        format!("{n} B")
    } else if n < 1024 * 1024 {
        format!("{} KiB", trim(n as f64 / 1024.0))
    } else {
        format!("{} MiB", trim(n as f64 / (1024.0 * 1024.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(workload: &str) -> RunRecord {
        RunRecord {
            workload: workload.into(),
            engine: "verilator".into(),
            pass: true,
            cycles: Some(1000),
            macs: 15000,
            utilization: Some(0.9375),
            counters: Some(CounterReport {
                cycles: 1000,
                engine_busy: 940,
                macs: 15000,
                dma_bytes: 3000,
                dma_stall: 40,
                dep_stall: 12,
            }),
        }
    }

    #[test]
    fn a_run_then_a_board_accumulate_and_a_new_configuration_starts_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("r");
        let ice40 = Config::preset("ice40").unwrap();
        update(&out, &ice40, "preset ice40", Change::Run(run("matmul:8x8x8"))).unwrap();
        let board = BoardRecord {
            board: "icebreaker".into(),
            device: "iCE40 UP5K".into(),
            status: "refused".into(),
            figures: "prediction".into(),
            fmax_mhz: None,
            target_mhz: None,
            timing_met: None,
            resources: vec![],
            error: Some("does not fit".into()),
        };
        let u = update(&out, &ice40, "preset ice40", Change::Board(board)).unwrap();
        assert!(u.notes.is_empty());
        let data = load(&out).unwrap().unwrap();
        assert_eq!(data.run.as_ref().map(|r| r.workload.as_str()), Some("matmul:8x8x8"));
        assert_eq!(data.boards.len(), 1);
        let ecp5 = Config::preset("ecp5").unwrap();
        let u = update(&out, &ecp5, "preset ecp5", Change::Config).unwrap();
        assert!(u.notes[0].contains("was about preset ice40"), "{:?}", u.notes);
        let data = load(&out).unwrap().unwrap();
        assert!(data.run.is_none() && data.boards.is_empty() && data.config == ecp5);
    }

    #[test]
    fn the_same_data_gives_the_same_bytes() {
        let cfg = Config::preset("ecp5").unwrap();
        let data = ReportData {
            format: FORMAT,
            source: "preset ecp5".into(),
            config: cfg,
            run: Some(run("m")),
            boards: vec![],
        };
        assert_eq!(render(&data), render(&data.clone()));
    }

    #[test]
    fn a_foreign_folder_or_a_broken_report_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        let cfg = Config::preset("ice40").unwrap();
        let e = format!("{:#}", update(dir.path(), &cfg, "p", Change::Config).unwrap_err());
        assert!(e.contains("refusing to replace") && e.contains("report.json"), "{e}");
        assert_eq!(std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(), "mine");
        std::fs::write(dir.path().join(DATA), "{\"format\": 1}").unwrap();
        let e = format!("{:#}", update(dir.path(), &cfg, "p", Change::Config).unwrap_err());
        assert!(e.contains("is not a report") && e.contains("remove the folder"), "{e}");
    }

    #[test]
    fn text_is_escaped_and_sizes_read_well() {
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(4096), "4 KiB");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(3 * 1024 * 1024), "3 MiB");
    }

    #[test]
    fn the_record_seedchip_fpga_writes_reads_back_as_a_board() {
        use fpga::flow::{FlowReport, Logs, Resources, Usage};
        let board = fpga::board::Board::by_name("ulx3s").unwrap();
        let fit = fpga::fit::predict(&Config::preset("ecp5").unwrap(), &board).unwrap();
        let u = |used, available| Usage { used, available };
        let report = FlowReport {
            board: "ulx3s".into(),
            device: fit.device.clone(),
            family: fpga::Family::Ecp5,
            top: "seedchip_board".into(),
            target_mhz: 25.0,
            fmax_mhz: Some(48.25),
            timing_met: true,
            clocks: vec![],
            resources: Resources {
                lut: u(9000, 83640),
                ff: u(7000, 83640),
                dsp: u(68, 156),
                bram: u(44, 208),
                spram: u(0, 0),
            },
            seed: 1,
            bitstream: "b.bit".into(),
            dir: "build".into(),
            logs: Logs { synth: "y".into(), pnr: "n".into(), pack: "p".into() },
            steps: vec![],
        };
        let record = crate::fpga::Record {
            ok: true,
            status: "built",
            config: "preset ecp5",
            fit: &fit,
            pll: None,
            report: Some(&report),
            error: None,
        };
        let b = BoardRecord::from_fpga_record(&serde_json::to_value(&record).unwrap()).unwrap();
        assert_eq!((b.board.as_str(), b.status.as_str(), b.figures.as_str()), ("ulx3s", "built", "nextpnr"));
        assert_eq!((b.fmax_mhz, b.target_mhz, b.timing_met), (Some(48.25), Some(25.0), Some(true)));
        let names: Vec<&str> = b.resources.iter().map(|r| r.resource.as_str()).collect();
        assert_eq!(names, ["lut", "ff", "dsp", "bram"], "no SPRAM on the ECP5");
        assert_eq!((b.resources[2].used, b.resources[2].cell.as_str()), (68, "MULT18X18D"));
    }

    #[test]
    fn an_fpga_record_gives_resources_from_nextpnr_or_from_the_prediction() {
        let fit = serde_json::json!({"board": "ulx3s", "device": "ECP5-85F", "needs": [
            {"resource": "lut", "cell": "LUT4", "needed": 9000, "available": 83640, "estimate": true, "parts": []},
            {"resource": "dsp", "cell": "MULT18X18D", "needed": 68, "available": 156, "estimate": false, "parts": []}]});
        let built = serde_json::json!({"ok": true, "status": "built", "config": "preset ecp5", "fit": fit,
            "board": "ulx3s", "device": "ECP5-85F", "fmax_mhz": 61.5, "target_mhz": 25.0, "timing_met": true,
            "resources": {"lut": {"used": 8000, "available": 83640}, "ff": {"used": 5000, "available": 83640},
                "dsp": {"used": 68, "available": 156}, "bram": {"used": 40, "available": 208},
                "spram": {"used": 0, "available": 0}}});
        let b = BoardRecord::from_fpga_record(&built).unwrap();
        assert_eq!((b.figures.as_str(), b.fmax_mhz, b.resources.len()), ("nextpnr", Some(61.5), 4));
        assert_eq!((b.resources[2].cell.as_str(), b.resources[2].used), ("MULT18X18D", 68));
        let refused = serde_json::json!({"ok": false, "status": "refused", "config": "x", "fit": fit,
            "board": "ulx3s", "error": "too big"});
        let b = BoardRecord::from_fpga_record(&refused).unwrap();
        assert_eq!((b.figures.as_str(), b.resources.len(), b.device.as_str()), ("prediction", 2, "ECP5-85F"));
        assert!(b.resources[0].estimate && b.error.as_deref() == Some("too big"));
        assert!(BoardRecord::from_fpga_record(&serde_json::json!({"status": "built"})).is_err());
    }
}
