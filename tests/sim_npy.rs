//! `seedchip sim --a A.npy --b B.npy [--bias BIAS.npy] [--out C.npy] [--raw]`: files written
//! by numpy (`scripts/make_npy_fixtures.py`, committed in tests/fixtures/npy/) in, C out;
//! the result on the RTL equals numpy's, the golden model's and a triple loop's, and every
//! bad input is refused with the file's name, no panic and nothing written.

use ip_blocks::model::Model;
use ip_blocks::quant::{Activation, RequantParams};
use ip_blocks::tiler::{
    reference_matmul, reference_matmul_raw, tile_matmul, tile_matmul_read_out, MatmulSpec, ReadOut,
};
use ip_blocks::Config;
use seedchip::npy::{read_matrix, read_vector, Matrix};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn seedchip(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seedchip")).args(args).output().expect("the binary runs")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/npy").join(name)
}

fn f(name: &str) -> String {
    fixture(name).display().to_string()
}

fn json(o: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&o.stdout);
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&o.stderr)))
}

/// The operands as numpy wrote them.
fn operands() -> (Matrix, Matrix, Vec<i64>) {
    let a = read_matrix(&fixture("a.npy"), "A", 1).unwrap();
    let b = read_matrix(&fixture("b.npy"), "B", 1).unwrap();
    let bias = read_vector(&fixture("bias.npy"), "bias", 4).unwrap();
    assert_eq!((a.rows, a.cols, b.rows, b.cols, bias.len()), (5, 7, 7, 3, 3));
    (a, b, bias)
}

/// C of `spec` on the golden model alone (no RTL).
fn golden(cfg: &Config, spec: &MatmulSpec, read_out: ReadOut, a: &[i64], b: &[i64], bias: &[i64]) -> Vec<i64> {
    let t = match read_out {
        ReadOut::Raw => tile_matmul_read_out(cfg, spec, 0, ip_blocks::isa::Mode::Ws, ReadOut::Raw),
        ReadOut::Requantized => tile_matmul(cfg, spec, 0),
    }
    .unwrap();
    let mut mem = t.memory(a, b, bias);
    let out = Model::new(cfg).run(&t.words(), &mut mem, t.layout.window());
    assert!(out.is_clean(), "{out:?}");
    t.read_c(&mem)
}

/// The data bytes of an npy file (after its header).
fn npy_data(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    let header_len = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
    bytes[10 + header_len..].to_vec()
}

#[test]
fn raw_npy_matmul_on_the_rtl_equals_numpy_the_golden_model_and_the_triple_loop() {
    let (a, b, _) = operands();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("c.npy");
    let o = seedchip(&[
        "sim",
        "--preset",
        "ice40",
        "--a",
        &f("a.npy"),
        "--b",
        &f("b.npy"),
        "--raw",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    let v = json(&o);
    assert!(o.status.success() && v["pass"] == true, "{v}");
    assert_eq!(v["engine"], "verilator");
    assert_eq!(v["output"], out.display().to_string());
    assert!(v["cycles"].as_u64().unwrap() > 0);

    let c = read_matrix(&out, "C", 4).unwrap();
    assert_eq!((c.rows, c.cols), (5, 3));
    // numpy's int32 A @ B, its file's data bytes exactly (the headers differ only in how
    // the shape tuple is spelled).
    let numpy = read_matrix(&fixture("c_raw.npy"), "C", 4).unwrap();
    assert_eq!(c, numpy);
    assert_eq!(npy_data(&out), npy_data(&fixture("c_raw.npy")));
    // -128 x -128 sums beyond 16 bits (row 0 and column 0 of the fixtures are -128).
    assert_eq!(c.data[0], 7 * 128 * 128);

    let cfg = Config::preset("ice40").unwrap();
    let g = cfg.geometry();
    let spec = MatmulSpec {
        m: 5,
        k: 7,
        n: 3,
        bias: false,
        requant: RequantParams { multiplier: 1, shift: 0, activation: Activation::None, relu6_max: 0 },
    };
    assert_eq!(c.data, golden(&cfg, &spec, ReadOut::Raw, &a.data, &b.data, &[]));
    assert_eq!(c.data, reference_matmul_raw(&spec, g.acc_bits, g.input_bits, &a.data, &b.data));
    // Only the result in the folder: the temporary file was renamed.
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
}

#[test]
fn requantized_npy_matmul_with_bias_equals_numpy_the_golden_model_and_the_triple_loop() {
    let (a, b, bias) = operands();
    let cfg = Config::preset("ecp5").unwrap();
    let g = cfg.geometry();
    let tmp = tempfile::tempdir().unwrap();
    for (activation, act, want) in
        [("none", Activation::None, "c_requant.npy"), ("relu", Activation::Relu, "c_requant_relu.npy")]
    {
        let out = tmp.path().join(format!("c_{activation}.npy"));
        // Fortran-order A and big-endian bias: numpy's other layouts read the same.
        for (a_file, bias_file) in [("a.npy", "bias.npy"), ("a_fortran.npy", "bias_be.npy")] {
            let o = seedchip(&[
                "sim",
                "--preset",
                "ecp5",
                "--a",
                &f(a_file),
                "--b",
                &f("b.npy"),
                "--bias",
                &f(bias_file),
                "--multiplier",
                "1518500250",
                "--shift",
                "9",
                "--activation",
                activation,
                "--out",
                out.to_str().unwrap(),
                "--json",
            ]);
            let v = json(&o);
            assert!(o.status.success() && v["pass"] == true, "{v}");
            let c = read_matrix(&out, "C", 1).unwrap();
            assert_eq!(c, read_matrix(&fixture(want), "C", 1).unwrap(), "{activation}, {a_file}, {bias_file}");
            assert_eq!(npy_data(&out), npy_data(&fixture(want)));
            let requant = RequantParams { multiplier: 1_518_500_250, shift: 9, activation: act, relu6_max: 0 };
            let spec = MatmulSpec { m: 5, k: 7, n: 3, bias: true, requant };
            assert_eq!(c.data, golden(&cfg, &spec, ReadOut::Requantized, &a.data, &b.data, &bias));
            assert_eq!(c.data, reference_matmul(&spec, g.acc_bits, g.input_bits, &a.data, &b.data, &bias));
        }
    }
    // Saturation reached: the test covers clamping to int8.
    let c = read_matrix(&tmp.path().join("c_none.npy"), "C", 1).unwrap();
    assert!(c.data.contains(&127), "{c:?}");
}

#[test]
fn default_requantization_is_the_random_matmuls_with_relu() {
    let (a, b, bias) = operands();
    let cfg = Config::preset("ice40").unwrap();
    let g = cfg.geometry();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("c.npy");
    let o = seedchip(&[
        "sim",
        "--preset",
        "ice40",
        "--engine",
        "model",
        "--a",
        &f("a.npy"),
        "--b",
        &f("b.npy"),
        "--bias",
        &f("bias.npy"),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let requant = seedchip::sim::workload_requant(&cfg, 7).unwrap();
    assert_eq!(requant.activation, Activation::Relu);
    let spec = MatmulSpec { m: 5, k: 7, n: 3, bias: true, requant };
    let want = reference_matmul(&spec, g.acc_bits, g.input_bits, &a.data, &b.data, &bias);
    assert_eq!(read_matrix(&out, "C", 1).unwrap().data, want);
    // --scale gives the same parameters as the multiplier and shift it encodes.
    let scale = f64::from(requant.multiplier) / 2f64.powi(31) / 2f64.powi(requant.shift as i32);
    let out2 = tmp.path().join("c2.npy");
    let o = seedchip(&[
        "sim",
        "--preset",
        "ice40",
        "--engine",
        "model",
        "--a",
        &f("a.npy"),
        "--b",
        &f("b.npy"),
        "--bias",
        &f("bias.npy"),
        "--scale",
        &scale.to_string(),
        "--out",
        out2.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&out2).unwrap());
}

/// `sim` with `args` (plus --out into an empty folder) must fail with exit code 2, name
/// every `needle` on stderr, not panic, and leave the folder empty.
fn refused(args: &[&str], needles: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("c.npy");
    for json_flag in [false, true] {
        let mut all = vec!["sim", "--preset", "ice40", "--engine", "model"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--out", out.to_str().unwrap()]);
        if json_flag {
            all.push("--json");
        }
        let o = seedchip(&all);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?} accepted: {stderr}");
        assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "{stderr}");
        for n in needles {
            assert!(stderr.contains(n), "{args:?}: message lacks `{n}`:\n{stderr}");
        }
        // Our errors answer --json with an error object; clap's usage errors (conflicting
        // or missing options) come before it and print only on stderr.
        if json_flag && !stderr.contains("Usage:") {
            assert_eq!(json(&o)["ok"], false);
        }
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0, "{args:?} wrote something");
    }
}

#[test]
fn wrong_dtypes_are_refused_naming_the_file_and_the_type_wanted() {
    refused(&["--a", &f("a_float.npy"), "--b", &f("b.npy")], &["a_float.npy", "float64", "must be int8"]);
    refused(&["--a", &f("a_int16.npy"), "--b", &f("b.npy")], &["a_int16.npy", "int16", "must be int8"]);
    refused(
        &["--a", &f("a.npy"), "--b", &f("b.npy"), "--bias", &f("bias_int8.npy")],
        &["bias_int8.npy", "holds int8", "must be int32"],
    );
}

#[test]
fn wrong_ranks_and_empty_arrays_are_refused_naming_the_file() {
    refused(&["--a", &f("a_1d.npy"), "--b", &f("b.npy")], &["a_1d.npy", "shape (35,)", "must be a 2-D int8 array"]);
    refused(&["--a", &f("a_3d.npy"), "--b", &f("b.npy")], &["a_3d.npy", "(5, 7, 1)", "2-D"]);
    refused(
        &["--a", &f("a.npy"), "--b", &f("b.npy"), "--bias", &f("bias_2d.npy")],
        &["bias_2d.npy", "(1, 3)", "must be a 1-D int32 array"],
    );
    refused(&["--a", &f("a_empty.npy"), "--b", &f("b.npy")], &["a_empty.npy", "(0, 7)", "at least one row"]);
}

#[test]
fn mismatched_shapes_are_refused_naming_both_files() {
    refused(&["--a", &f("a.npy"), "--b", &f("b_k6.npy")], &["b_k6.npy", "6 rows", "a.npy", "7 columns"]);
    refused(
        &["--a", &f("a.npy"), "--b", &f("b.npy"), "--bias", &f("bias_n4.npy")],
        &["bias_n4.npy", "4 values", "N = 3"],
    );
}

#[test]
fn truncated_missing_and_non_npy_files_are_refused_naming_the_file() {
    refused(&["--a", &f("a_truncated.npy"), "--b", &f("b.npy")], &["a_truncated.npy", "truncated", "35 int8 values"]);
    refused(&["--a", &f("not_npy.npy"), "--b", &f("b.npy")], &["not_npy.npy", "not a readable .npy file"]);
    refused(&["--a", &f("a.npy"), "--b", &f("missing.npy")], &["missing.npy", "cannot read"]);
}

#[test]
fn inconsistent_options_are_refused_before_anything_runs() {
    refused(&["--a", &f("a.npy"), "--b", &f("b.npy"), "--bias", &f("bias.npy"), "--raw"], &["--bias", "--raw"]);
    refused(&["--a", &f("a.npy"), "--b", &f("b.npy"), "--activation", "relu6"], &["--relu6-max"]);
    refused(&["--a", &f("a.npy"), "--b", &f("b.npy"), "--scale", "1.5"], &["--scale", "below 1"]);
    refused(&["--a", &f("a.npy"), "--b", &f("b.npy"), "--shift", "40", "--multiplier", "5"], &["shift", "0 to 31"]);
    refused(&["--a", &f("a.npy")], &["--b"]);
    refused(&["--a", &f("a.npy"), "--b", &f("b.npy"), "--workload", "matmul:2x2x2"], &["--workload"]);
}

#[test]
fn out_into_a_missing_folder_is_refused_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("no/such/dir/c.npy");
    let o =
        seedchip(&["sim", "--preset", "ice40", "--a", &f("a.npy"), "--b", &f("b.npy"), "--out", out.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("does not exist") && stderr.contains("no/such/dir"), "{stderr}");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn out_also_writes_c_of_a_random_matmul() {
    let cfg = Config::preset("ice40").unwrap();
    let g = cfg.geometry();
    let tmp = tempfile::tempdir().unwrap();
    for (raw, bytes) in [(false, 1), (true, 4)] {
        let out = tmp.path().join(format!("c{bytes}.npy"));
        let mut args = vec!["sim", "--preset", "ice40", "--workload", "matmul:9x20x6", "--seed", "4", "--engine"];
        args.extend_from_slice(&["interp", "--out", out.to_str().unwrap()]);
        if raw {
            args.push("--raw");
        }
        let o = seedchip(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let run = seedchip::sim::MatmulRun::random(&cfg, (9, 20, 6), 4, &Default::default(), raw).unwrap();
        assert_eq!(run.bias.is_empty(), raw, "a raw random matmul has no bias");
        let want = if raw {
            reference_matmul_raw(&run.spec, g.acc_bits, g.input_bits, &run.a, &run.b)
        } else {
            reference_matmul(&run.spec, g.acc_bits, g.input_bits, &run.a, &run.b, &run.bias)
        };
        let c = read_matrix(&out, "C", bytes).unwrap();
        assert_eq!((c.rows, c.cols), (9, 6));
        assert_eq!(c.data, want, "raw: {raw}");
    }
}

#[test]
fn images_is_refused_outside_mlp_workloads() {
    let o = seedchip(&["sim", "--preset", "ice40", "--engine", "model", "--workload", "matmul:2x2x2", "--images", "3"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--images applies to mlp workloads"), "{stderr}");
}

#[test]
fn raw_random_matmuls_of_several_tiles_pass_on_verilator_for_both_presets() {
    // Several m-chunks, k-tiles and n-blocks with partial tiles: the raw mvouts' strides
    // and column offsets in accumulator bytes are exercised on the RTL.
    for preset in ["ice40", "ecp5"] {
        let o = seedchip(&["sim", "--preset", preset, "--workload", "matmul:33x40x21", "--raw", "--json"]);
        let v = json(&o);
        assert!(o.status.success() && v["pass"] == true, "{preset}: {v}");
        assert!(v["schedule"].as_str().unwrap().contains("bias: false"), "{v}");
    }
}
