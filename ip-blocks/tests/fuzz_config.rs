//! Property-based fuzzing of the configuration parser and validation (proptest; see
//! `docs/architecture.md`, "Fuzzing", for why not `cargo fuzz`):
//!
//! - arbitrary text and arbitrary TOML-like text: `Config::from_toml` never panics, and
//!   what it accepts is valid and reads back from its own TOML;
//! - arbitrary structured configurations (every field in range, on a boundary or
//!   anywhere in `u32`): validation accepts exactly the ones an independent statement of
//!   the ranges accepts, and a rejection names a key that is out of range;
//! - a valid TOML file with one key broken (wrong type, out of range, missing, unknown,
//!   overflowing): the error names that key;
//! - small valid configurations generate (every block passes its structural checks).
//!
//! Fixed seed; `SEEDCHIP_FUZZ_CASES=N` runs more cases (`make fuzz`), proptest's
//! `PROPTEST_RNG_SEED=S` another seed.

use ip_blocks::config::{AccumulatorConfig, ArrayConfig, ControllerConfig, Dataflow, DmaConfig, ScratchpadConfig};
use ip_blocks::{Config, ConfigError};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngSeed};

/// Fixed seed and `cases` cases, or `$SEEDCHIP_FUZZ_CASES / cost` (`make fuzz`; `cost`
/// for a property much slower than the others). proptest's own `PROPTEST_CASES` and
/// `PROPTEST_RNG_SEED`, when set, override both for every property.
fn fuzz_config(cases: u32, cost: u32) -> ProptestConfig {
    let cases = match std::env::var("SEEDCHIP_FUZZ_CASES").ok().and_then(|v| v.parse::<u32>().ok()) {
        Some(n) => (n / cost).max(1),
        None => cases,
    };
    ProptestConfig { cases, rng_seed: RngSeed::Fixed(0x5eed_c41f), ..ProptestConfig::default() }
}

/// The least accumulator width for `rows` products of two `input_bits` numbers, stated
/// independently of the validation: the bits of `rows * (2^(input_bits-1))^2`, plus
/// the sign.
fn least_acc_bits(rows: u32, input_bits: u32) -> u32 {
    let ceil_log2 = |n: u64| if n <= 1 { 0 } else { 64 - (n - 1).leading_zeros() };
    2 * input_bits + ceil_log2(u64::from(rows))
}

/// Every key the configuration has out of range, by an independent statement of the
/// documented ranges (`configs/README.md`).
fn bad_keys(c: &Config, name_ok: bool) -> Vec<&'static str> {
    let a = &c.array;
    let mut bad = Vec::new();
    let within = |v: u32, lo: u32, hi: u32| (lo..=hi).contains(&v);
    if !name_ok {
        bad.push("name");
    }
    if !within(a.rows, 1, 64) {
        bad.push("array.rows");
    }
    if !within(a.cols, 1, 64) {
        bad.push("array.cols");
    }
    if !within(a.input_bits, 4, 16) {
        bad.push("array.input_bits");
    }
    let acc_ok = within(a.acc_bits, 16, 48)
        && !(within(a.rows, 1, 64) && within(a.input_bits, 4, 16) && a.acc_bits < least_acc_bits(a.rows, a.input_bits));
    if !acc_ok {
        bad.push("array.acc_bits");
    }
    if !within(c.scratchpad.banks, 1, 16) {
        bad.push("scratchpad.banks");
    }
    if !within(c.scratchpad.rows_per_bank, 16, 65536) {
        bad.push("scratchpad.rows_per_bank");
    }
    if !within(c.scratchpad.read_latency, 1, 2) {
        bad.push("scratchpad.read_latency");
    }
    if !within(c.accumulator.rows, 16, 65536) {
        bad.push("accumulator.rows");
    }
    if ![0, 1, 4].contains(&c.accumulator.requant_dsps) {
        bad.push("accumulator.requant_dsps");
    }
    if !within(c.accumulator.read_latency, 1, 2) {
        bad.push("accumulator.read_latency");
    }
    let ps = c.accumulator.product_stages;
    if !within(ps, 1, 2) || (ps == 2 && c.accumulator.requant_dsps != 4) {
        bad.push("accumulator.product_stages");
    }
    if ![32, 64, 128, 256].contains(&c.dma.data_bits) {
        bad.push("dma.data_bits");
    }
    if !within(c.dma.outstanding, 1, 64) {
        bad.push("dma.outstanding");
    }
    if c.dma.local_read_registered && c.dma.outstanding != 1 {
        bad.push("dma.local_read_registered");
    }
    let depth_ok = [2, 4, 8, 16].contains(&c.controller.queue_depth)
        || (c.controller.queue_depth == 1 && !c.controller.scoreboard);
    if !depth_ok {
        bad.push("controller.queue_depth");
    }
    if ![32, 64].contains(&c.controller.counter_bits) {
        bad.push("controller.counter_bits");
    }
    if let Some(n) = a.dsp_multipliers {
        if within(a.rows, 1, 64) && within(a.cols, 1, 64) && n > a.rows * a.cols {
            bad.push("array.dsp_multipliers");
        }
    }
    let sized = within(a.rows, 1, 64) && within(a.cols, 1, 64);
    if a.broadcast && sized && (a.dataflow != Dataflow::Ws || (a.cols % 2 == 1 && a.dsp_pes() >= 2)) {
        bad.push("array.broadcast");
    }
    bad
}

/// A value that is in `lo..=hi`, on one of its edges or just past them, or anything.
fn around(lo: u32, hi: u32) -> BoxedStrategy<u32> {
    prop_oneof![
        4 => lo..=hi,
        2 => prop::sample::select(vec![lo, hi, lo.saturating_sub(1), hi.saturating_add(1)]),
        1 => any::<u32>(),
        1 => Just(0u32),
    ]
    .boxed()
}

fn one_of(values: &'static [u32]) -> BoxedStrategy<u32> {
    prop_oneof![4 => prop::sample::select(values), 1 => any::<u32>(), 1 => 0u32..600].boxed()
}

/// A name and whether it is a usable Verilog identifier (decided by construction).
fn name() -> impl Strategy<Value = (String, bool)> {
    prop_oneof![
        // Lowercase identifiers ending in `_c`: no Verilog keyword ends so.
        6 => "[a-z_][a-z0-9_]{0,10}_c".prop_map(|s| (s, true)),
        1 => "[0-9$][a-z0-9]{0,6}".prop_map(|s| (s, false)),
        1 => "[a-z]{1,4}[ .\\-/é][a-z]{0,4}".prop_map(|s| (s, false)),
        1 => prop::sample::select(vec!["", "module", "wire", "input", "always", "logic"])
            .prop_map(|s| (s.to_string(), false)),
    ]
}

prop_compose! {
    /// A configuration with every field drawn near its range, or anywhere.
    fn structured()(
        (name, name_ok) in name(),
        rows in around(1, 64),
        cols in around(1, 64),
        input_bits in around(4, 16),
        acc_bits in around(16, 48),
        dataflow in prop::sample::select(vec![Dataflow::Ws, Dataflow::Os, Dataflow::Both]),
        dsp in prop::option::of(around(0, 4096)),
        broadcast in any::<bool>(),
        banks in around(1, 16),
        rows_per_bank in around(16, 65536),
        read_latency in around(1, 2),
        acc_rows in around(16, 65536),
        requant_dsps in one_of(&[0, 1, 4]),
        (acc_latency, product_stages, read_out_registered) in (around(1, 2), around(1, 2), any::<bool>()),
        data_bits in one_of(&[32, 64, 128, 256]),
        (outstanding, local_read_registered, engine_out_registered) in (around(1, 64), any::<bool>(), any::<bool>()),
        queue_depth in one_of(&[1, 2, 4, 8, 16]),
        counter_bits in one_of(&[64, 32]),
        scoreboard in any::<bool>(),
    ) -> (Config, bool) {
        (Config {
            name,
            array: ArrayConfig { rows, cols, input_bits, acc_bits, dataflow, dsp_multipliers: dsp, broadcast },
            scratchpad: ScratchpadConfig { banks, rows_per_bank, read_latency },
            accumulator: AccumulatorConfig {
                rows: acc_rows,
                requant_dsps,
                read_latency: acc_latency,
                product_stages,
                read_out_registered,
            },
            dma: DmaConfig { data_bits, outstanding, local_read_registered },
            controller: ControllerConfig { queue_depth, counter_bits, scoreboard, engine_out_registered },
        }, name_ok)
    }
}

proptest! {
    #![proptest_config(fuzz_config(4096, 1))]

    #[test]
    fn arbitrary_text_never_panics_and_what_is_accepted_is_valid(text in any::<String>()) {
        if let Ok(c) = Config::from_toml(&text, "fuzz.toml") {
            prop_assert!(c.validate("fuzz.toml").is_ok());
            prop_assert_eq!(Config::from_toml(&c.to_toml(), "again").ok(), Some(c));
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = Config::from_toml(&text, "fuzz.toml");
    }

    #[test]
    fn toml_like_text_never_panics_and_what_is_accepted_is_valid(text in toml_like()) {
        match Config::from_toml(&text, "fuzz.toml") {
            Ok(c) => {
                prop_assert!(c.validate("fuzz.toml").is_ok());
                prop_assert_eq!(Config::from_toml(&c.to_toml(), "again").ok(), Some(c));
            }
            Err(e) => prop_assert!(e.to_string().contains("fuzz.toml"), "the error names the file: {}", e),
        }
    }

    #[test]
    fn structured_configs_are_accepted_exactly_when_every_key_is_in_range((cfg, name_ok) in structured()) {
        let bad = bad_keys(&cfg, name_ok);
        match cfg.validate("fuzz.toml") {
            Ok(()) => prop_assert!(bad.is_empty(), "accepted with {:?} out of range:\n{}", bad, cfg.to_toml()),
            Err(ConfigError::Range { key, .. }) => {
                prop_assert!(bad.contains(&key.as_str()), "rejected `{}`, but out of range are {:?}", key, bad)
            }
            Err(e) => prop_assert!(false, "validation gave a non-range error: {}", e),
        }
        // The same through the TOML text: the same verdict, the key named in the message.
        let text = cfg.to_toml();
        prop_assert!(!text.is_empty());
        match Config::from_toml(&text, "fuzz.toml") {
            Ok(back) => {
                prop_assert!(bad.is_empty());
                prop_assert_eq!(back, cfg);
            }
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(!bad.is_empty(), "its own TOML is refused: {}", msg);
                prop_assert!(bad.iter().any(|k| msg.contains(&format!("`{k}`"))), "{} names none of {:?}", msg, bad);
            }
        }
    }

    #[test]
    fn one_broken_key_is_named_in_the_error(base in small_valid(), broken in breakage()) {
        let (text, key) = broken.apply(&base.to_toml());
        let e = match Config::from_toml(&text, "fuzz.toml") {
            Ok(c) => return Err(TestCaseError::fail(format!("accepted with {key} broken:\n{text}\n{c:?}"))),
            Err(e) => e.to_string(),
        };
        prop_assert!(names_key(&e, key), "the error does not name `{}`:\n{}\n--- from ---\n{}", key, e, text);
    }
}

proptest! {
    #![proptest_config(fuzz_config(64, 64))]

    #[test]
    fn small_valid_configurations_generate(cfg in small_valid()) {
        cfg.validate("fuzz").map_err(|e| TestCaseError::fail(e.to_string()))?;
        if let Err(e) = ip_blocks::generate(&cfg) {
            return Err(TestCaseError::fail(format!("{e}\n{}", cfg.to_toml())));
        }
    }
}

prop_compose! {
    /// A valid configuration small enough to generate in milliseconds.
    fn small_valid()(
        rows in 1u32..=6,
        cols in 1u32..=6,
        input_bits in 4u32..=16,
        extra in 0u32..=8,
        dataflow in prop::sample::select(vec![Dataflow::Ws, Dataflow::Os, Dataflow::Both]),
        dsp in prop::option::of(0u32..=36),
        broadcast in any::<bool>(),
        banks in 1u32..=4,
        rows_per_bank in 16u32..=80,
        read_latency in 1u32..=2,
        acc_rows in 16u32..=80,
        requant_dsps in prop::sample::select(vec![0u32, 1, 4]),
        (acc_latency, product_stages, read_out_registered) in (1u32..=2, 1u32..=2, any::<bool>()),
        data_bits in prop::sample::select(vec![32u32, 64, 128, 256]),
        (outstanding, local_read_registered, engine_out_registered) in (1u32..=64, any::<bool>(), any::<bool>()),
        queue_depth in prop::sample::select(vec![1u32, 2, 4, 8, 16]),
        counter_bits in prop::sample::select(vec![64u32, 32]),
        scoreboard in any::<bool>(),
    ) -> Config {
        let acc_bits = (least_acc_bits(rows, input_bits) + extra).clamp(16, 48);
        let dsp_multipliers = dsp.map(|d| d.min(rows * cols));
        let pairs_split = cols % 2 == 1 && dsp_multipliers.unwrap_or(rows * cols) >= 2;
        Config {
            name: "fuzz".into(),
            array: ArrayConfig {
                rows, cols, input_bits, acc_bits, dataflow, dsp_multipliers,
                broadcast: broadcast && dataflow == Dataflow::Ws && !pairs_split,
            },
            scratchpad: ScratchpadConfig { banks, rows_per_bank, read_latency },
            accumulator: AccumulatorConfig {
                rows: acc_rows,
                requant_dsps,
                read_latency: acc_latency,
                product_stages: if requant_dsps == 4 { product_stages } else { 1 },
                read_out_registered,
            },
            dma: DmaConfig { data_bits, outstanding, local_read_registered: local_read_registered && outstanding == 1 },
            controller: ControllerConfig {
                queue_depth: if scoreboard { queue_depth.max(2) } else { queue_depth },
                counter_bits,
                scoreboard,
                engine_out_registered,
            },
        }
    }
}

/// The message names `key`: in backquotes (`` `rows` ``, `` `array.rows` ``), or by
/// quoting the source line `key = ...` under a TOML parse error.
fn names_key(message: &str, key: &str) -> bool {
    message.contains(&format!("`{key}`"))
        || message.contains(&format!(".{key}`"))
        || message.contains(&format!("| {key} = "))
}

/// One way to break a valid TOML file, and the key its error must name.
#[derive(Clone, Debug)]
enum Breakage {
    /// `key = value` replaced by `key = bad` (wrong type, out of range, overflow).
    Value { section: &'static str, key: &'static str, bad: String },
    /// A required key removed.
    Missing { section: &'static str, key: &'static str },
    /// An unknown key added to a section.
    Unknown { section: &'static str, key: String },
}

/// (section, key, values that must be refused whatever the other keys are).
const KEYS: &[(&str, &str, &[&str])] = &[
    ("", "name", &["5", "\"1chip\"", "\"my chip\"", "\"\"", "\"module\"", "true", "[\"a\"]"]),
    ("array", "rows", &["0", "65", "-1", "4294967296", "1.5", "\"4\"", "true", "[4]", "{ a = 1 }", "1e3"]),
    ("array", "cols", &["0", "65", "-3", "99999999999999999999", "\"x\"", "inf"]),
    ("array", "input_bits", &["3", "17", "0", "-8", "8.0", "\"8\""]),
    ("array", "acc_bits", &["15", "49", "0", "-32", "\"32\"", "nan"]),
    ("array", "dataflow", &["\"diagonal\"", "\"WS\"", "\"\"", "1", "true", "[\"ws\"]"]),
    ("array", "dsp_multipliers", &["-1", "4097", "\"all\"", "1.0"]),
    ("scratchpad", "banks", &["0", "17", "-1", "\"2\""]),
    ("scratchpad", "rows_per_bank", &["15", "0", "65537", "4294967295", "1_000_000_000_000"]),
    ("accumulator", "rows", &["15", "65537", "0", "-16", "[]"]),
    ("accumulator", "requant_dsps", &["2", "3", "8", "-1", "\"1\"", "1.0"]),
    ("accumulator", "read_latency", &["0", "3", "-1", "\"2\""]),
    ("accumulator", "product_stages", &["0", "3", "-2", "\"1\""]),
    ("accumulator", "read_out_registered", &["0", "1", "\"true\"", "[false]"]),
    ("dma", "data_bits", &["48", "0", "512", "16", "-64", "\"64\""]),
    ("dma", "outstanding", &["0", "65", "-1", "2.5"]),
    ("dma", "local_read_registered", &["0", "1", "\"true\"", "[false]"]),
    ("controller", "queue_depth", &["3", "0", "32", "6", "\"4\""]),
    ("controller", "counter_bits", &["48", "0", "16", "128", "-32", "\"32\""]),
    ("controller", "scoreboard", &["0", "1", "\"false\"", "[true]", "{ a = 1 }"]),
    ("controller", "engine_out_registered", &["0", "1", "\"true\"", "[false]"]),
];

/// Keys a configuration cannot do without.
const REQUIRED: &[(&str, &str)] = &[
    ("array", "rows"),
    ("array", "cols"),
    ("scratchpad", "banks"),
    ("scratchpad", "rows_per_bank"),
    ("accumulator", "rows"),
    ("", "array"),
    ("", "scratchpad"),
    ("", "accumulator"),
];

fn breakage() -> impl Strategy<Value = Breakage> {
    let value = (0..KEYS.len(), any::<prop::sample::Index>()).prop_map(|(k, i)| {
        let (section, key, bads) = KEYS[k];
        Breakage::Value { section, key, bad: i.get(bads).to_string() }
    });
    let missing = prop::sample::select(REQUIRED).prop_map(|(section, key)| Breakage::Missing { section, key });
    let unknown =
        (prop::sample::select(vec!["", "array", "scratchpad", "accumulator", "dma", "controller"]), "[a-z]{1,8}")
            .prop_filter("not a known key", |(s, k)| {
                !KEYS.iter().any(|(ks, kk, _)| ks == s && kk == k)
                    && !["array", "scratchpad", "accumulator", "dma", "controller"].contains(&k.as_str())
            })
            .prop_map(|(section, key)| Breakage::Unknown { section, key: format!("{key}_x") });
    prop_oneof![6 => value, 2 => missing, 2 => unknown]
}

impl Breakage {
    /// Apply to the TOML `to_toml` wrote; the key the error must name.
    fn apply(&self, text: &str) -> (String, &str) {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        // (first, end) of a section's lines; the top level is before the first header.
        let span = |lines: &[String], section: &str| -> (usize, usize) {
            let start = if section.is_empty() {
                0
            } else {
                lines.iter().position(|l| l.trim() == format!("[{section}]")).map_or(lines.len(), |p| p + 1)
            };
            let end = lines[start.min(lines.len())..]
                .iter()
                .position(|l| l.starts_with('['))
                .map_or(lines.len(), |p| start + p);
            (start, end)
        };
        match self {
            Breakage::Value { section, key, bad } => {
                let (s, e) = span(&lines, section);
                let line = format!("{key} = {bad}");
                match (s..e).find(|i| lines[*i].starts_with(&format!("{key} ="))) {
                    Some(i) => lines[i] = line,
                    None => lines.insert(s.min(lines.len()), line),
                }
                (lines.join("\n") + "\n", key)
            }
            Breakage::Missing { section, key } => {
                if section.is_empty() {
                    // A whole section: its header and its lines.
                    let (s, e) = span(&lines, key);
                    lines.drain(s - 1..e);
                } else {
                    let (s, e) = span(&lines, section);
                    if let Some(i) = (s..e).find(|i| lines[*i].starts_with(&format!("{key} ="))) {
                        lines.remove(i);
                    }
                }
                (lines.join("\n") + "\n", key)
            }
            Breakage::Unknown { section, key } => {
                let (s, _) = span(&lines, section);
                lines.insert(s.min(lines.len()), format!("{key} = 1"));
                (lines.join("\n") + "\n", key.as_str())
            }
        }
    }
}

/// TOML-like text: section headers, keys of the schema and others, values of every
/// TOML type and some that are not TOML.
fn toml_like() -> impl Strategy<Value = String> {
    let header = prop::sample::select(vec![
        "[array]",
        "[scratchpad]",
        "[accumulator]",
        "[dma]",
        "[controller]",
        "[array.extra]",
        "[[array]]",
        "[bogus]",
        "[",
        "[]",
        "[array",
    ])
    .prop_map(str::to_string);
    let key = prop::sample::select(vec![
        "name",
        "rows",
        "cols",
        "input_bits",
        "acc_bits",
        "dataflow",
        "dsp_multipliers",
        "requant_dsps",
        "banks",
        "rows_per_bank",
        "data_bits",
        "outstanding",
        "queue_depth",
        "counter_bits",
        "scoreboard",
        "array",
        "\"rows\"",
        "array.rows",
        "x",
        "",
    ]);
    let value = prop_oneof![
        any::<i64>().prop_map(|v| v.to_string()),
        (0i64..=300).prop_map(|v| v.to_string()),
        prop::sample::select(vec![
            "16",
            "32",
            "64",
            "8",
            "4",
            "2",
            "1",
            "0",
            "-0",
            "+4",
            "0x10",
            "0o20",
            "0b100",
            "1_6",
            "1e2",
            "inf",
            "nan",
            "true",
            "\"ws\"",
            "\"os\"",
            "\"both\"",
            "\"\"",
            "'lit'",
            "[1, 2]",
            "{ rows = 4 }",
            "[]",
            "1979-05-27",
            "\"\"\"multi\nline\"\"\"",
            "99999999999999999999999",
            "\"\\u0000\"",
            "\"\\uD800\"",
        ])
        .prop_map(str::to_string),
        "[^\\n]{0,12}",
    ];
    let line = prop_oneof![
        2 => header,
        6 => (key, value).prop_map(|(k, v)| format!("{k} = {v}")),
        1 => "[^\\n]{0,20}",
        1 => Just("# comment".to_string()),
    ];
    prop::collection::vec(line, 0..24).prop_map(|ls| ls.join("\n"))
}
