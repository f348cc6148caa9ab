//! `seedchip fpga`: predict whether a configuration fits a board, refuse with numbers
//! when it does not (no tool runs), else build the board top and run Yosys, nextpnr and
//! the packer on it.
//!
//! Output folder (`out/<board>/` by default):
//!
//! ```text
//! fpga.json     what happened (the fit, then the flow report); marks the folder as ours
//! rtl/          the board top's Verilog, one file per module, and filelist.f
//! build/        synth.ys, yosys.log, netlist.json, <board>.pcf|lpf|cst, nextpnr.log,
//!               report.json, pack.log, and the bitstream <top>.bin|bit|fs
//! ```
//!
//! The board top (clock, reset, UART bridge, main memory around `<name>_top`) is a
//! [`BoardTop`] function; until one is plugged in ([`BOARD_TOP`]), the command predicts
//! the fit and stops with an error that says so.

use anyhow::{bail, Context, Result};
use fpga::board::Board;
use fpga::fit::{self, Prediction};
use fpga::flow::{self, FlowOptions, FlowReport, Progress};
use fpga::pll::{self, Pll};
use ip_blocks::Config;
use rtl_gen::{Design, ModuleId};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Builds the board top of `cfg` for `board`, clocked by `pll` when given (else by the
/// board's oscillator): a design and its top module, whose ports are the board's
/// (`fpga::board::port`), plus `pll_locked_i` when a PLL drives it.
pub type BoardTop = fn(&Config, &Board, Option<&Pll>) -> Result<(Design, ModuleId)>;

/// The board top `seedchip fpga` builds: [`board_top`].
pub const BOARD_TOP: Option<BoardTop> = Some(board_top);

/// The UART baud rate of the board tops `seedchip fpga` and `seedchip run` use.
pub const BAUD: u32 = 115_200;

/// The parameters of the board top of `cfg` on `board`: the clock of `pll` (else the
/// board's oscillator), [`BAUD`], the board's main-memory size, and its first LEDs that
/// share one polarity (up to 8).
pub fn board_params(cfg: &Config, board: &Board, pll: Option<&Pll>) -> fpga::board_top::BoardParams {
    let active_low = board.leds.first().is_some_and(|p| p.active_low);
    let leds = board.leds.iter().take_while(|p| p.active_low == active_low).count().clamp(1, 8) as u32;
    let clock_hz = (pll.map_or(board.clock.mhz, |p| p.output_mhz) * 1e6).round() as u32;
    let mem = u32::try_from(board.main_memory.bytes).unwrap_or(u32::MAX);
    let mut p = fpga::board_top::BoardParams::new(cfg.clone(), clock_hz, BAUD, mem, leds);
    p.leds_active_low = active_low;
    p.pll_lock = pll.is_some();
    p.spram = board.main_memory.kind == fpga::board::MemoryKind::Spram;
    // The ECP5's block-RAM main memory (the ULX3S's 64 DP16KD over the die) takes its
    // request through a register, and its read data: the request's fan-out to every block
    // was a whole cycle's routing at 100 MHz, and a block's unregistered output (5.6 ns
    // clock to out) with the bridge's byte select another. The Tang Nano's (27 MHz, 65
    // MHz Fmax) would pay about 230 LUTs for it.
    p.registered_memory = board.family() == fpga::family::Family::Ecp5 && !p.spram;
    p
}

/// The board top `<name>_board` of `cfg` for `board` ([`board_params`]), clocked by `pll`
/// when given.
///
/// Main memory is the board's kind: block RAM, or SPRAM (the iCEBreaker); the ECP5's
/// block RAM registers its request and read data
/// ([`fpga::board_top::BoardParams::registered_memory`]).
pub fn board_top(cfg: &Config, board: &Board, pll: Option<&Pll>) -> Result<(Design, ModuleId)> {
    let t = fpga::board_top::build(&board_params(cfg, board, pll)).map_err(|e| anyhow::anyhow!("board top: {e}"))?;
    Ok((t.design, t.top))
}

/// The record of a run in the output folder.
pub const RECORD: &str = "fpga.json";

/// What `seedchip fpga` is asked to do.
#[derive(Clone, Debug)]
pub struct Request {
    /// The configuration.
    pub cfg: Config,
    /// Where it came from (`preset ice40` or a file), for messages.
    pub source: String,
    /// The board.
    pub board: Board,
    /// The timing target in MHz (`None`: the board's clock).
    pub freq_mhz: Option<f64>,
    /// The placer's seed.
    pub seed: u64,
    /// The output folder.
    pub out: PathBuf,
}

/// How a run ended.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// The configuration does not fit the board; no tool ran, nothing was written.
    Refused(Prediction),
    /// The bitstream was built.
    Built {
        /// The prediction made before the tools ran.
        fit: Prediction,
        /// What the tools gave.
        report: Box<FlowReport>,
        /// The PLL that makes the clock, if any.
        pll: Option<PllRecord>,
    },
}

/// The JSON object `--json` prints (and `fpga.json` holds): the flow report's keys
/// (`board`, `fmax_mhz`, `target_mhz`, `timing_met`, `resources`, `bitstream` ...) at the
/// top level, with `ok`, the configuration's source and the fit prediction.
#[derive(Serialize)]
pub struct Record<'a> {
    /// True when the bitstream was built and timing was met.
    pub ok: bool,
    /// `running`, `refused`, `built` or `failed`.
    pub status: &'a str,
    /// The configuration's source.
    pub config: &'a str,
    /// The fit prediction.
    pub fit: &'a Prediction,
    /// The PLL that makes the clock (`null`: the board's oscillator drives it).
    pub pll: Option<PllRecord>,
    /// The flow report, flattened.
    #[serde(flatten)]
    pub report: Option<&'a FlowReport>,
    /// Why it failed, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The PLL setting in `fpga.json`.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct PllRecord {
    /// The oscillator.
    pub input_mhz: f64,
    /// `--freq`.
    pub requested_mhz: f64,
    /// What the PLL makes: the clock the design runs at, and the timing target.
    pub output_mhz: f64,
    /// The phase-detector frequency.
    pub pfd_mhz: f64,
    /// The VCO frequency.
    pub vco_mhz: f64,
}

impl From<&Pll> for PllRecord {
    fn from(p: &Pll) -> Self {
        PllRecord {
            input_mhz: p.input_mhz,
            requested_mhz: p.requested_mhz,
            output_mhz: p.output_mhz,
            pfd_mhz: p.pfd_mhz,
            vco_mhz: p.vco_mhz,
        }
    }
}

/// The PLL for `--freq` on `board`: none when no frequency is asked or it is the
/// oscillator's, else the family's closest setting (an error names the range).
pub fn plan_pll(req: &Request) -> Result<Option<Pll>> {
    match req.freq_mhz {
        Some(f) if (f - req.board.clock.mhz).abs() > 1e-9 => {
            let p = pll::plan(req.board.family(), req.board.clock.mhz, f)
                .with_context(|| format!("--freq {f} on the {}", req.board.name))?;
            Ok(Some(p))
        }
        _ => Ok(None),
    }
}

/// The preset `seedchip fpga` uses when neither `--preset` nor `--config` is given: `ecp5`
/// on ECP5 boards with room for it (50 000 LUTs or more: the ULX3S), else `ice40` (the
/// iCEBreaker, the Tang Nano 9K, the OrangeCrab's ECP5-25F).
pub fn default_preset(board: &Board) -> &'static str {
    match board.family() {
        fpga::Family::Ecp5 if board.resources.lut >= 50_000 => "ecp5",
        _ => "ice40",
    }
}

/// Check the request's values that need no tool (the target frequency).
pub fn check_request(req: &Request) -> Result<()> {
    if let Some(f) = req.freq_mhz {
        if !(f > 0.0 && f <= 1000.0) {
            bail!("--freq {f} is out of range: more than 0 and at most 1000 MHz");
        }
    }
    Ok(())
}

/// Predict the fit, then (when it fits and `board_top` is given) build the board top and
/// run the flow in `req.out`. `progress` hears each step; `fit_known` hears the
/// prediction as soon as it is made.
pub fn run(
    req: &Request,
    board_top: Option<BoardTop>,
    fit_known: &mut dyn FnMut(&Prediction),
    progress: &mut dyn FnMut(&Progress),
) -> Result<Outcome> {
    check_request(req)?;
    let prediction = fit::predict(&req.cfg, &req.board).context("predicting the fit")?;
    fit_known(&prediction);
    if !prediction.fits() {
        return Ok(Outcome::Refused(prediction));
    }
    let Some(board_top) = board_top else {
        bail!(
            "no board top yet: `seedchip fpga` needs one to place the accelerator on the {}'s pins (clock, \
             UART bridge, main memory around `{}_top`); the fit above is what it can say until the board \
             top generator is plugged in (seedchip::fpga::BOARD_TOP)",
            req.board.name,
            req.cfg.name
        );
    };
    let pll = plan_pll(req)?;
    let (design, top) = board_top(&req.cfg, &req.board, pll.as_ref()).context("building the board top")?;
    let pll_record = pll.as_ref().map(PllRecord::from);

    prepare_out(&req.out)?;
    write_record(
        &req.out,
        &Record {
            ok: false,
            status: "running",
            config: &req.source,
            fit: &prediction,
            pll: pll_record,
            report: None,
            error: None,
        },
    )?;
    // What the flow synthesizes for the board's family (iCE40: pair multipliers on SB_MAC16).
    let verilog = flow::rtl::emit(&design, top, req.board.family());
    let mut sources: Vec<(String, String)> = verilog.sources();
    let mut filelist = verilog.filelist.clone();
    let mut top_name = design.module(top).name.clone();
    if let Some(p) = &pll {
        // The PLL wrapper is the synthesis top; the simulated board top sits under it.
        top_name = pll::wrapper_name(&top_name);
        sources.push((format!("{top_name}.v"), pll::wrap(design.module(top), p)));
        filelist.push_str(&format!("{top_name}.v\n"));
    }
    let mut rtl = sources.clone();
    rtl.push(("filelist.f".into(), filelist));
    replace_dir(&req.out.join("rtl"), &rtl)?;

    let target_mhz = pll.as_ref().map_or(req.freq_mhz, |p| Some(p.output_mhz));
    let opts = FlowOptions { target_mhz, seed: req.seed, dsp: true };
    let build = req.out.join("build");
    match flow::run_files(&sources, &top_name, &req.board, &build, &opts, progress) {
        Ok(report) => {
            write_record(
                &req.out,
                &Record {
                    ok: report.timing_met,
                    status: "built",
                    config: &req.source,
                    fit: &prediction,
                    pll: pll_record,
                    report: Some(&report),
                    error: None,
                },
            )?;
            Ok(Outcome::Built { fit: prediction, report: Box::new(report), pll: pll_record })
        }
        Err(e) => {
            let error = e.to_string();
            // The record says what failed; the error itself is what the caller reports.
            let _ = write_record(
                &req.out,
                &Record {
                    ok: false,
                    status: "failed",
                    config: &req.source,
                    fit: &prediction,
                    pll: pll_record,
                    report: None,
                    error: Some(error),
                },
            );
            Err(e.into())
        }
    }
}

/// The output folder must be absent, empty, or an earlier `seedchip fpga` output (it has
/// `fpga.json`); anything else is left alone.
fn prepare_out(out: &Path) -> Result<()> {
    if out.exists() {
        let ours = out.join(RECORD).is_file();
        let empty = out.is_dir() && std::fs::read_dir(out)?.next().is_none();
        if !out.is_dir() || !(ours || empty) {
            bail!(
                "refusing to write into `{}`: it exists and is not an earlier `seedchip fpga` output (no {RECORD} \
                 inside); choose another --out folder or remove it",
                out.display()
            );
        }
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create the folder `{}`", out.display()))
}

/// Write `fpga.json` under a temporary name, then rename it into place.
fn write_record(out: &Path, record: &Record) -> Result<()> {
    let mut json = serde_json::to_string_pretty(record)?;
    json.push('\n');
    let tmp = out.join(format!(".{RECORD}.tmp"));
    std::fs::write(&tmp, json).with_context(|| format!("cannot write `{}`", tmp.display()))?;
    let path = out.join(RECORD);
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot write `{}`", path.display()))
}

/// Replace the folder `dir` by one holding exactly `files`, written beside it first.
fn replace_dir(dir: &Path, files: &[(String, String)]) -> Result<()> {
    let parent = dir.parent().context("the rtl folder has a parent")?;
    let staged = tempfile::Builder::new().prefix(".rtl.tmp-").tempdir_in(parent)?;
    for (name, text) in files {
        let path = staged.path().join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot remove the earlier `{}`", dir.display()))?;
    }
    let staged = staged.keep();
    std::fs::rename(&staged, dir).with_context(|| format!("cannot move the new Verilog into `{}`", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(board: &str, preset: &str, out: &Path) -> Request {
        Request {
            cfg: Config::preset(preset).unwrap(),
            source: format!("preset {preset}"),
            board: Board::by_name(board).unwrap(),
            freq_mhz: None,
            seed: 1,
            out: out.to_path_buf(),
        }
    }

    #[test]
    fn only_the_ecp5_block_ram_main_memory_registers_its_request() {
        let cfg = Config::preset("ice40").unwrap();
        let kinds: Vec<(&str, bool, bool)> = ["icebreaker", "ulx3s", "tangnano9k", "orangecrab"]
            .into_iter()
            .map(|b| {
                let p = board_params(&cfg, &Board::by_name(b).unwrap(), None);
                (b, p.spram, p.registered_memory)
            })
            .collect();
        assert_eq!(
            kinds,
            [
                ("icebreaker", true, false),
                ("ulx3s", false, true),
                ("tangnano9k", false, false),
                ("orangecrab", false, true)
            ]
        );
    }

    #[test]
    fn a_refusal_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("icebreaker");
        let mut seen = None;
        let o =
            run(&request("icebreaker", "ecp5", &out), BOARD_TOP, &mut |p| seen = Some(p.clone()), &mut |_| {}).unwrap();
        let Outcome::Refused(p) = o else { panic!("the ecp5 preset cannot fit the iCEBreaker") };
        assert_eq!(Some(p), seen);
        assert!(!out.exists());
    }

    #[test]
    fn without_a_board_top_the_fit_is_all_there_is() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("ulx3s");
        let e = run(&request("ulx3s", "ecp5", &out), None, &mut |_| {}, &mut |_| {}).unwrap_err().to_string();
        assert!(e.contains("no board top yet"), "{e}");
        assert!(!out.exists());
    }

    #[test]
    fn a_foreign_folder_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        let e = prepare_out(dir.path()).unwrap_err().to_string();
        assert!(e.contains("refusing to write") && e.contains("fpga.json"), "{e}");
        assert!(prepare_out(&dir.path().join("new")).is_ok());
    }

    /// A 2x2 accelerator that fits the Tang Nano 9K's prediction.
    fn small() -> Config {
        Config::from_toml(
            "[array]\nrows = 2\ncols = 2\n[scratchpad]\nbanks = 1\nrows_per_bank = 256\n\
             [accumulator]\nrows = 64\n[dma]\ndata_bits = 32\noutstanding = 2\n",
            "small.toml",
        )
        .unwrap()
    }

    /// A stand-in board top: the LEDs count, the UART is looped back.
    fn blinky(_cfg: &Config, board: &Board, pll: Option<&Pll>) -> Result<(Design, ModuleId)> {
        use fpga::board::port;
        let mut m = rtl_gen::ModuleBuilder::new("blinky");
        if pll.is_some() {
            let locked = m.input("pll_locked_i", 1);
            m.mark_unused(locked);
        }
        let rx = m.input(port::UART_RX, 1);
        let tx = m.output(port::UART_TX, 1);
        let led = m.output(port::LEDS, board.leds.len() as u32);
        let count = m.reg("count", 24).build();
        let one = m.lit(1, 24);
        let up = m.add(count, one);
        m.next(count, up);
        let top_bits = m.slice(count, 24 - board.leds.len() as u32, board.leds.len() as u32);
        m.assign(led, top_bits);
        m.assign(tx, rx);
        let mut d = Design::new();
        let top = d.add(m).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok((d, top))
    }

    #[test]
    fn a_board_top_goes_through_the_flow_into_the_output_folder() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("tangnano9k");
        let mut req = request("tangnano9k", "ice40", &out);
        req.cfg = small();
        let mut steps = 0;
        let o = run(&req, Some(blinky), &mut |_| {}, &mut |_| steps += 1).unwrap_or_else(|e| panic!("{e:#}"));
        let Outcome::Built { report, .. } = o else { panic!("the small configuration fits the Tang Nano 9K") };
        assert_eq!(steps, 6, "three steps, each started and done");
        assert!(report.timing_met && report.bitstream.is_file(), "{report}");
        assert_eq!(report.bitstream, out.join("build/blinky.fs"));
        assert!(out.join("rtl/blinky.v").is_file() && out.join("rtl/filelist.f").is_file());
        let record: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join(RECORD)).unwrap()).unwrap();
        assert_eq!((record["status"].as_str(), record["ok"].as_bool()), (Some("built"), Some(true)));
        assert_eq!(record["board"], "tangnano9k");
        assert!(record["fit"]["needs"].is_array() && record["resources"]["lut"]["used"].is_u64(), "{record}");
        // A second run replaces the first in place.
        run(&req, Some(blinky), &mut |_| {}, &mut |_| {}).unwrap_or_else(|e| panic!("{e:#}"));
        assert!(out.join("rtl/blinky.v").is_file() && report.bitstream.is_file());
    }

    #[test]
    fn with_freq_a_pll_wrapper_is_the_synthesis_top() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("tangnano9k");
        let mut req = request("tangnano9k", "ice40", &out);
        req.cfg = small();
        req.freq_mhz = Some(54.0);
        let o = run(&req, Some(blinky), &mut |_| {}, &mut |_| {}).unwrap_or_else(|e| panic!("{e:#}"));
        let Outcome::Built { report, pll, .. } = o else { panic!("the small configuration fits the Tang Nano 9K") };
        let pll = pll.expect("a PLL for 54 MHz from 27 MHz");
        assert_eq!((pll.input_mhz, pll.output_mhz), (27.0, 54.0));
        assert_eq!(report.target_mhz, 54.0);
        assert!(report.timing_met && report.bitstream.ends_with("build/blinky_pll.fs"), "{report}");
        let wrapper = std::fs::read_to_string(out.join("rtl/blinky_pll.v")).unwrap();
        assert!(wrapper.contains("rPLL") && wrapper.contains(".pll_locked_i(pll_locked)"), "{wrapper}");
        let filelist = std::fs::read_to_string(out.join("rtl/filelist.f")).unwrap();
        assert_eq!(filelist.lines().last(), Some("blinky_pll.v"), "the wrapper is the last file: {filelist}");
        let record: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join(RECORD)).unwrap()).unwrap();
        assert_eq!(record["pll"]["output_mhz"], 54.0, "{record}");
        // Out of the PLL's range: refused with the range, before any tool.
        req.freq_mhz = Some(700.0);
        let e = run(&req, Some(blinky), &mut |_| {}, &mut |_| {}).unwrap_err();
        assert!(format!("{e:#}").contains("3.125 to 600 MHz, not 700 MHz"), "{e:#}");
    }

    #[test]
    fn the_default_preset_follows_the_family() {
        assert_eq!(default_preset(&Board::by_name("ulx3s").unwrap()), "ecp5");
        assert_eq!(default_preset(&Board::by_name("icebreaker").unwrap()), "ice40");
        assert_eq!(default_preset(&Board::by_name("tangnano9k").unwrap()), "ice40");
        assert_eq!(default_preset(&Board::by_name("orangecrab").unwrap()), "ice40");
    }
}
