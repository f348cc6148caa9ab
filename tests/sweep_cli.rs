//! `seedchip sweep` as a user (or a CI job matrix) runs it: shards, JUnit XML, failing
//! configurations written as TOML, replay, and bad arguments. Needs Verilator.

use std::path::Path;
use std::process::{Command, Output};
use testbenches::sweep::random_config;

fn seedchip(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seedchip")).current_dir(dir).args(args).output().expect("the binary runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn sweep_rejects_bad_shards_with_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    for (shard, needle) in [
        ("0/4", "I must be 1 to 4"),
        ("5/4", "I must be 1 to 4"),
        ("1/0", "N must be at least 1"),
        ("3", "is not I/N"),
        ("x/2", "is not a whole number"),
    ] {
        let o = seedchip(dir.path(), &["sweep", "--count", "4", "--shard", shard]);
        assert_eq!(o.status.code(), Some(2), "{shard}: {}", text(&o));
        let t = text(&o);
        assert!(t.contains(needle) && t.contains("1 <= I <= N"), "{shard}: {t}");
    }
    let o = seedchip(dir.path(), &["sweep", "--replay", "x.toml", "--shard", "1/2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("cannot be used with"), "{}", text(&o));
    let o = seedchip(dir.path(), &["sweep", "--replay", "missing.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("cannot read configuration `missing.toml`"), "{}", text(&o));
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "nothing written");
}

#[test]
fn a_shard_of_a_sweep_writes_junit_and_a_replay_passes() {
    // Shard 2 of 2 of a two-configuration sweep is configuration 1 alone: the normal
    // suite's sample (testbenches/tests/sweep.rs) builds the same model.
    let dir = tempfile::tempdir().unwrap();
    let o =
        seedchip(dir.path(), &["sweep", "--seed", "2028", "--count", "2", "--shard", "2/2", "--junit", "j/sweep.xml"]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(t.contains("[1/1] sweep_2028_1:") && !t.contains("sweep_2028_0"), "{t}");
    assert!(t.contains("1 configurations, 1 passed, 0 failed"), "{t}");
    let xml = std::fs::read_to_string(dir.path().join("j/sweep.xml")).expect("the JUnit file");
    assert_eq!(xml.matches("<testcase ").count(), 1, "{xml}");
    assert!(xml.contains("name=\"sweep_2028_1\"") && xml.contains("failures=\"0\""), "{xml}");
    assert!(!dir.path().join("out/sweep/failures").exists(), "no failure written");

    // Its TOML replays it.
    let cfg = random_config(2028, 1);
    std::fs::write(dir.path().join("c.toml"), cfg.to_toml()).unwrap();
    let o = seedchip(dir.path(), &["sweep", "--replay", "c.toml", "--programs", "1"]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(t.contains("sweep_2028_1: ") && t.contains("1 passed, 0 failed"), "{t}");
}

#[test]
fn sweep_without_verilator_says_how_to_install_it() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_seedchip"))
        .current_dir(dir.path())
        .env(testbenches::verilator::VERILATOR_ENV, dir.path().join("no-verilator"))
        .args(["sweep", "--count", "1", "--junit", "j.xml"])
        .output()
        .expect("the binary runs");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("Verilator not found") && text(&o).contains("setup-tools.sh"), "{}", text(&o));
    assert!(!dir.path().join("j.xml").exists());
}
