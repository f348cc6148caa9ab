//! The committed fuzzing corpus, run with its expected outcomes: tricky inputs to the
//! configuration parser (`tests/corpus/config/*.toml`, outcomes in `expect.txt`: a BOM,
//! CRLF, nesting 20000 deep, a 20000-character name, overflowing and negative numbers,
//! duplicate keys and sections, inline and dotted tables, the largest and smallest valid
//! configurations) and to the instruction decoder (`tests/corpus/isa.txt`: every
//! reserved field, flag and range edge). An input the fuzzers (`fuzz_config.rs`,
//! `fuzz_isa.rs`) find to fail is added here, so it stays fixed.

use ip_blocks::isa::Instr;
use ip_blocks::Config;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// `expect.txt`: file name -> `None` for ok, `Some(text)` for an error containing text.
fn expectations() -> BTreeMap<String, Option<String>> {
    let text = std::fs::read_to_string(corpus().join("config/expect.txt")).expect("config/expect.txt");
    let mut out = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let (file, outcome) = line.split_once(": ").unwrap_or_else(|| panic!("expect.txt: `{line}`"));
        let want = match outcome.strip_prefix("error: ") {
            Some(needle) => Some(needle.to_string()),
            None if outcome == "ok" => None,
            None => panic!("expect.txt: `{line}`: the outcome is `ok` or `error: TEXT`"),
        };
        assert!(out.insert(file.to_string(), want).is_none(), "expect.txt names {file} twice");
    }
    out
}

#[test]
fn config_corpus_gives_the_expected_outcomes() {
    let dir = corpus().join("config");
    let expect = expectations();
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("the corpus folder")
        .map(|e| e.expect("a folder entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    files.sort();
    assert_eq!(files, expect.keys().cloned().collect::<Vec<_>>(), "every corpus file has one expectation");
    for file in files {
        let text = std::fs::read_to_string(dir.join(&file)).expect("UTF-8 corpus file");
        match (Config::from_toml(&text, &file), &expect[&file]) {
            (Ok(cfg), None) => {
                assert_eq!(Config::from_toml(&cfg.to_toml(), "again").ok(), Some(cfg), "{file}: round trip")
            }
            (Ok(cfg), Some(needle)) => panic!("{file}: accepted ({cfg:?}), expected an error with `{needle}`"),
            (Err(e), None) => panic!("{file}: expected to be accepted, got: {e}"),
            (Err(e), Some(needle)) => {
                let msg = e.to_string();
                assert!(msg.contains(needle.as_str()), "{file}: the error does not say `{needle}`:\n{msg}");
                assert!(msg.contains(&format!("`{file}`")), "{file}: the error does not name the file:\n{msg}");
            }
        }
    }
}

#[test]
fn isa_corpus_gives_the_expected_outcomes() {
    let text = std::fs::read_to_string(corpus().join("isa.txt")).expect("isa.txt");
    let mut cases = 0;
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty()) {
        let line = line.split('#').next().unwrap_or_default();
        let (hex, outcome) = line.split_once('|').unwrap_or_else(|| panic!("isa.txt line {}: no `|`", n + 1));
        let words: Vec<u32> = hex
            .split_whitespace()
            .map(|h| u32::from_str_radix(h, 16).unwrap_or_else(|_| panic!("isa.txt line {}: `{h}`", n + 1)))
            .collect();
        let w: [u32; 4] = words.try_into().unwrap_or_else(|_| panic!("isa.txt line {}: four words", n + 1));
        let outcome = outcome.trim();
        match (Instr::decode(w), outcome.strip_prefix("ok: "), outcome.strip_prefix("error: ")) {
            (Ok(i), Some(asm), None) => {
                assert_eq!(i.to_string(), asm, "isa.txt line {}", n + 1);
                assert_eq!(i.encode(), w, "isa.txt line {}: re-encodes", n + 1);
                assert_eq!(asm.parse::<Instr>(), Ok(i), "isa.txt line {}: assembles", n + 1);
            }
            (Err(e), None, Some(needle)) => {
                assert!(e.to_string().contains(needle), "isa.txt line {}: `{e}` does not say `{needle}`", n + 1)
            }
            (got, _, _) => panic!("isa.txt line {}: expected `{outcome}`, got {got:?}", n + 1),
        }
        cases += 1;
    }
    assert!(cases >= 30, "only {cases} cases read");
}
