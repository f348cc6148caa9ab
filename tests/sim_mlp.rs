//! `seedchip sim --workload mlp:digits`: the int8 MLP of fixtures/digits on the generated
//! accelerator, layer by layer; the RTL equals the golden model on every logit (and the
//! golden model the per-layer triple loop and the training script's numpy logits).

use std::process::{Command, Output};

fn seedchip(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seedchip")).args(args).output().expect("the binary runs")
}

fn json(o: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&o.stdout);
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&o.stderr)))
}

/// Run `images` test images (all when `None`) on `preset` in Verilator and check the report.
fn digits_on_verilator(preset: &str, images: Option<usize>) -> serde_json::Value {
    let n = images.map(|n| n.to_string());
    let mut args = vec!["sim", "--preset", preset, "--workload", "mlp:digits", "--json"];
    if let Some(n) = &n {
        args.extend_from_slice(&["--images", n]);
    }
    let o = seedchip(&args);
    let v = json(&o);
    assert!(o.status.success() && v["pass"] == true, "{v}");
    assert_eq!(v["engine"], "verilator");
    assert_eq!(v["images"].as_u64(), Some(images.unwrap_or(360) as u64));
    assert_eq!(v["test_images"], 360);
    // The same logits give the same accuracy.
    assert_eq!(v["rtl_accuracy"], v["model_accuracy"]);
    assert!(v["float_accuracy"].as_f64().unwrap() > 0.95, "{v}");
    assert!(v["cycles"].as_u64().unwrap() > 0);
    let layers = v["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2);
    let m = images.unwrap_or(360);
    assert_eq!(layers[0]["matmul"], format!("matmul:{m}x64x64"));
    assert_eq!(layers[1]["matmul"], format!("matmul:{m}x64x10"));
    let sum: u64 = layers.iter().map(|l| l["cycles"].as_u64().unwrap()).sum();
    assert_eq!(v["cycles"].as_u64(), Some(sum));
    assert_eq!(v["macs"].as_u64(), Some((m * 64 * 64 + m * 64 * 10) as u64));
    v
}

#[test]
fn digits_subset_on_the_rtl_equals_the_golden_model_on_every_logit() {
    let v = digits_on_verilator("ice40", Some(48));
    assert!(v["rtl_accuracy"].as_f64().unwrap() > 0.9, "{v}");
}

/// The whole test set on both presets (`make slow`).
#[test]
#[ignore]
fn digits_full_test_set_on_the_rtl_equals_the_golden_model_on_both_presets() {
    for preset in ["ice40", "ecp5"] {
        let v = digits_on_verilator(preset, None);
        // Within two points of the float network on the whole test set.
        let (rtl, float) = (v["rtl_accuracy"].as_f64().unwrap(), v["float_accuracy"].as_f64().unwrap());
        assert!((rtl - float).abs() < 0.02, "{v}");
        println!(
            "mlp:digits on {preset}: RTL accuracy {rtl:.4}, float {float:.4}, {} cycles, utilization {:.3}",
            v["cycles"], v["utilization"]
        );
    }
}

#[test]
fn digits_text_report_names_the_three_accuracies() {
    let o = seedchip(&["sim", "--preset", "ice40", "--workload", "mlp:digits", "--engine", "model", "--images", "10"]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{stdout}");
    for needle in
        ["PASS", "10 of 360 test images", "golden-model accuracy", "float accuracy", "layer 1: matmul:10x64x10"]
    {
        assert!(stdout.contains(needle), "lacks `{needle}`:\n{stdout}");
    }
    assert!(!stdout.contains("RTL accuracy"), "the model engine runs no RTL:\n{stdout}");
}

#[test]
fn digits_bad_options_are_refused() {
    for (args, needle) in [
        (vec!["--images", "0"], "give 1 to 360"),
        (vec!["--images", "361"], "give 1 to 360"),
        (vec!["--raw"], "takes its requantization from its fixture"),
        (vec!["--out", "c.npy"], "writes no C"),
    ] {
        let mut all = vec!["sim", "--preset", "ice40", "--engine", "model", "--workload", "mlp:digits"];
        all.extend_from_slice(&args);
        let o = seedchip(&all);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
    // A 16-bit configuration cannot run the int8 network.
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("wide.toml");
    std::fs::write(&cfg, "[array]\nrows = 4\ncols = 4\ninput_bits = 16\nacc_bits = 40\n[scratchpad]\nbanks = 2\nrows_per_bank = 256\n[accumulator]\nrows = 256\n").unwrap();
    let o = seedchip(&["sim", "--config", cfg.to_str().unwrap(), "--engine", "model", "--workload", "mlp:digits"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("input_bits = 16") && stderr.contains("int8"), "{stderr}");
}
