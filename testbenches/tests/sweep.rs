//! The random configuration sweep, a small fixed-seed sample of it: each configuration
//! generated, linted with `-Wall`, run on the IR interpreter and on Verilator (random
//! stimulus and a random program, which must agree), and random programs checked
//! against the golden model. `make sweep` (`seedchip sweep`) runs the large sweep.
//!
//! These tests need Verilator; without it they fail with the message that says how to
//! install it.

use std::path::PathBuf;
use testbenches::sweep::{check_config, random_config, CheckOptions, ConfigResult, Stage};

/// The seed of the sample in the normal suite (`make sweep` uses its own), chosen for a
/// diverse pair: a 5x4 output-stationary array of 14-bit inputs, 45-bit accumulators, a
/// 32-bit DMA and queues of 16; and a 1x8 array with both dataflows, 4-bit inputs,
/// 4 banks of 20 rows, a 256-bit DMA and queues of 2.
const SAMPLE_SEED: u64 = 2028;

/// Where a failing configuration's TOML goes: `out/sweep/failures/` of the workspace.
fn replay_file(r: &ConfigResult) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../out/sweep/failures");
    std::fs::create_dir_all(&dir).expect("create out/sweep/failures");
    let path = dir.join(format!("{}.toml", r.config.name));
    std::fs::write(&path, r.replay_toml()).expect("write the replay file");
    path
}

fn sample(index: u32) {
    let cfg = random_config(SAMPLE_SEED, index);
    let opts = CheckOptions::default();
    let r = check_config(&cfg, &opts);
    eprintln!("{}: {}", cfg.name, r.summary_line());
    if !r.pass() {
        let path = replay_file(&r);
        let rel = format!("out/sweep/failures/{}", path.file_name().unwrap_or_default().to_string_lossy());
        panic!("{}", r.failure_report(&rel, &opts));
    }
    assert_eq!(r.stages(), Stage::ALL.to_vec());
}

#[test]
fn sweep_sample_configuration_0_passes_every_stage() {
    sample(0);
}

#[test]
fn sweep_sample_configuration_1_passes_every_stage() {
    sample(1);
}

#[test]
fn a_broken_machine_fails_the_sweep_with_the_toml_and_the_replay_command() {
    // The sample's configuration 0 (its Verilator model is cached by the test above),
    // with the RTL running each program without its last store.
    let cfg = random_config(SAMPLE_SEED, 0);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let opts = CheckOptions {
        programs: 1,
        drop_last_store: true,
        waveform_dir: Some(dir.path().to_path_buf()),
        ..CheckOptions::default()
    };
    let r = check_config(&cfg, &opts);
    let f = r.failure.as_ref().expect("a missing store must fail the configuration");
    assert_eq!(f.stage, Stage::RtlVsModel, "{}", f.message);
    assert!(f.message.contains("differs from the golden model") && f.message.contains("expected"), "{}", f.message);
    assert!(f.message.contains(&dir.path().display().to_string()), "names its waveform: {}", f.message);
    let report = r.failure_report("out/sweep/failures/x.toml", &opts);
    assert!(report.contains(&format!("name = \"{}\"", cfg.name)) && report.contains("[array]"), "{report}");
    let replay = "cargo run --release -p seedchip -- sweep --replay out/sweep/failures/x.toml --programs 1";
    assert!(report.contains(replay), "{report}");
    let back = ip_blocks::Config::from_toml(&r.replay_toml(), "replay").expect("the replay file parses");
    assert_eq!(back, cfg);
}
