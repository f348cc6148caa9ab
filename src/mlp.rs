//! `seedchip sim --workload mlp:digits`: an int8 MLP run layer by layer through the tiler,
//! the images of a batch as the M dimension of each layer's matmul, on the RTL and on the
//! golden model, checked logit by logit against each other, against a plain triple loop
//! per layer (`reference_matmul`) and against the int8 logits the training script computed
//! in numpy.
//!
//! The network is the committed fixture `fixtures/digits/` (written by
//! `scripts/train_digits.py`): a 64-64-10 MLP with ReLU trained on scikit-learn's digits,
//! quantized to int8 weights, int32 biases and one requantization per layer. Both layers
//! read out requantized: the hidden layer with ReLU, the last one with no activation, so
//! the logits are int8 and the class is their argmax (the first on ties). The fixture is
//! compiled into the binary, so the command works from any folder.
//!
//! ```
//! let net = seedchip::mlp::Net::Digits.load().unwrap();
//! assert_eq!(net.sizes(), [64, 64, 10]);
//! assert_eq!(net.images.rows, net.labels.len());
//! ```

use crate::npy::{self, Matrix};
use crate::sim::{CounterReport, SimEngine};
use anyhow::{anyhow, bail, Context, Result};
use ip_blocks::model::Model;
use ip_blocks::quant::RequantParams;
use ip_blocks::tiler::{reference_matmul, tile_matmul, MatmulSpec};
use ip_blocks::Config;
use serde::{Deserialize, Serialize};
use testbenches::axi::AxiConfig;
use testbenches::cosim::{self, CosimOptions, Engine};

/// A network with a committed fixture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Net {
    /// 64-64-10 on scikit-learn's digits (`fixtures/digits/`).
    Digits,
}

/// The files of the digits fixture, compiled in.
const DIGITS: [(&str, &[u8]); 7] = [
    ("w1.npy", include_bytes!("../fixtures/digits/w1.npy")),
    ("b1.npy", include_bytes!("../fixtures/digits/b1.npy")),
    ("w2.npy", include_bytes!("../fixtures/digits/w2.npy")),
    ("b2.npy", include_bytes!("../fixtures/digits/b2.npy")),
    ("images.npy", include_bytes!("../fixtures/digits/images.npy")),
    ("labels.npy", include_bytes!("../fixtures/digits/labels.npy")),
    ("logits.npy", include_bytes!("../fixtures/digits/logits.npy")),
];
const DIGITS_JSON: &str = include_str!("../fixtures/digits/digits.json");

impl Net {
    /// The names `mlp:NAME` takes, for messages.
    pub const NAMES: &'static str = "digits";

    /// The network called `name`.
    pub fn by_name(name: &str) -> Option<Net> {
        match name {
            "digits" => Some(Net::Digits),
            _ => None,
        }
    }

    /// The workload's name on the command line.
    pub fn workload(self) -> &'static str {
        match self {
            Net::Digits => "mlp:digits",
        }
    }

    /// Read the fixture.
    pub fn load(self) -> Result<Network> {
        match self {
            Net::Digits => Network::from_fixture(DIGITS_JSON, &DIGITS, "fixtures/digits"),
        }
    }
}

/// One layer: `out = act(requant(in x weights + bias))`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    /// K x N int8 weights (K inputs, N outputs).
    pub weights: Matrix,
    /// N int32 biases, at the accumulator's scale.
    pub bias: Vec<i64>,
    /// The read-out of the layer.
    pub requant: RequantParams,
}

/// A quantized network and its test set.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    /// The layers, input first.
    pub layers: Vec<Layer>,
    /// The held-out test images, quantized: one int8 row each.
    pub images: Matrix,
    /// The class of each test image.
    pub labels: Vec<i64>,
    /// The int8 network's logits as the training script computed them (numpy, the
    /// accelerator's arithmetic written from docs/requantization.md).
    pub script_logits: Matrix,
    /// Test accuracy of the float network.
    pub float_accuracy: f64,
    /// Test accuracy of the int8 network as the training script computed it.
    pub script_int8_accuracy: f64,
}

#[derive(Deserialize)]
struct Meta {
    float_accuracy: f64,
    int8_accuracy: f64,
    layers: Vec<MetaLayer>,
}

#[derive(Deserialize)]
struct MetaLayer {
    weights: String,
    bias: String,
    requant: RequantParams,
}

impl Network {
    fn from_fixture(json: &str, files: &[(&str, &[u8])], dir: &str) -> Result<Network> {
        let meta: Meta = serde_json::from_str(json).with_context(|| format!("reading {dir}/digits.json"))?;
        let file = |name: &str| -> Result<(String, &[u8])> {
            let bytes = files.iter().find(|f| f.0 == name).map(|f| f.1);
            let bytes = bytes.ok_or_else(|| anyhow!("{dir}/{name} is named in the fixture but not compiled in"))?;
            Ok((format!("{dir}/{name}"), bytes))
        };
        let matrix = |name: &str, what: &str| {
            let (path, bytes) = file(name)?;
            npy::matrix_from_bytes(bytes, &path, what, 1)
        };
        let mut layers = Vec::new();
        let mut width = None;
        for (i, l) in meta.layers.iter().enumerate() {
            let weights = matrix(&l.weights, "a layer's weights (K x N)")?;
            let (path, bytes) = file(&l.bias)?;
            let bias = npy::vector_from_bytes(bytes, &path, "a layer's bias (N)", 4)?;
            if bias.len() != weights.cols || width.is_some_and(|w| w != weights.rows) {
                bail!("{dir}: layer {i} does not fit the layer before it or its bias");
            }
            width = Some(weights.cols);
            layers.push(Layer { weights, bias, requant: l.requant });
        }
        let images = matrix("images.npy", "the test images")?;
        let (path, bytes) = file("labels.npy")?;
        let labels = npy::vector_from_bytes(bytes, &path, "the test labels", 1)?;
        let script_logits = matrix("logits.npy", "the int8 logits")?;
        let (first, last) = match (layers.first(), layers.last()) {
            (Some(f), Some(l)) => (f.weights.rows, l.weights.cols),
            _ => bail!("{dir}: the network has no layers"),
        };
        if images.cols != first
            || labels.len() != images.rows
            || (script_logits.rows, script_logits.cols) != (images.rows, last)
        {
            bail!("{dir}: the images, labels and logits do not match the network's shape");
        }
        Ok(Network {
            layers,
            images,
            labels,
            script_logits,
            float_accuracy: meta.float_accuracy,
            script_int8_accuracy: meta.int8_accuracy,
        })
    }

    /// The width of the input and of each layer's output.
    pub fn sizes(&self) -> Vec<usize> {
        let mut s = vec![self.images.cols];
        s.extend(self.layers.iter().map(|l| l.weights.cols));
        s
    }
}

/// One layer's run, as `sim --workload mlp:...` reports it.
#[derive(Clone, Debug, Serialize)]
pub struct LayerReport {
    /// `matmul:MxKxN`: M images, K inputs, N outputs.
    pub matmul: String,
    /// Instructions in the layer's program.
    pub instructions: usize,
    /// Cycles from the first command to the end of the last store (RTL only).
    pub cycles: Option<u64>,
    /// The performance counters (RTL only).
    pub counters: Option<CounterReport>,
}

/// What `seedchip sim --workload mlp:NAME` reports (the JSON keys are an interface).
#[derive(Clone, Debug, Serialize)]
pub struct MlpReport {
    /// RTL = golden model on every logit, and the golden model = the per-layer triple loop
    /// and the training script's int8 logits.
    pub pass: bool,
    /// `verilator`, `interp` or `model`.
    pub engine: String,
    /// `mlp:digits`.
    pub workload: String,
    /// Test images run.
    pub images: usize,
    /// Test images in the fixture.
    pub test_images: usize,
    /// Fraction of the images whose RTL logits' argmax is the label (RTL only).
    pub rtl_accuracy: Option<f64>,
    /// The same with the golden model's logits.
    pub model_accuracy: f64,
    /// The float network's accuracy on the whole test set (from the fixture).
    pub float_accuracy: f64,
    /// The int8 network's accuracy on the whole test set as the training script computed it.
    pub script_int8_accuracy: f64,
    /// Cycles of all layers (RTL only).
    pub cycles: Option<u64>,
    /// Multiply-accumulates of all layers.
    pub macs: u64,
    /// macs / (rows x cols x cycles) (RTL only).
    pub utilization: Option<f64>,
    /// Per layer.
    pub layers: Vec<LayerReport>,
    /// Why it failed, when it did.
    pub failure: Option<String>,
}

/// The class of each row of logits: the index of its largest value, the first on ties
/// (as numpy's argmax).
pub fn argmax_rows(logits: &[i64], cols: usize) -> Vec<usize> {
    logits
        .chunks(cols)
        .map(|row| row.iter().enumerate().fold(0, |best, (j, v)| if *v > row[best] { j } else { best }))
        .collect()
}

/// Fraction of `classes` equal to `labels`.
pub fn accuracy(classes: &[usize], labels: &[i64]) -> f64 {
    let right = classes.iter().zip(labels).filter(|(c, l)| **c as i64 == **l).count();
    right as f64 / classes.len().max(1) as f64
}

/// The first difference between two logit matrices (rows of `cols`), as text.
fn first_difference(got: &[i64], want: &[i64], cols: usize, got_name: &str, want_name: &str) -> Option<String> {
    let i = got.iter().zip(want).position(|(g, w)| g != w)?;
    let count = got.iter().zip(want).filter(|(g, w)| g != w).count();
    Some(format!(
        "image {} logit {}: {got_name} gives {}, {want_name} gives {} ({count} values differ)",
        i / cols,
        i % cols,
        got[i],
        want[i]
    ))
}

/// Run the first `images` test images (all when `None`) through `net` on `engine`.
pub fn run(cfg: &Config, net: Net, images: Option<usize>, engine: SimEngine) -> Result<MlpReport> {
    let network = net.load()?;
    if cfg.array.input_bits != 8 || cfg.array.acc_bits < 32 {
        bail!(
            "{} is quantized for int8 inputs and int32 accumulators; this configuration has input_bits = {} and acc_bits = {} (use input_bits = 8, acc_bits >= 32)",
            net.workload(),
            cfg.array.input_bits,
            cfg.array.acc_bits
        );
    }
    let total = network.images.rows;
    let t = images.unwrap_or(total);
    if t == 0 || t > total {
        bail!("--images {t}: the {} fixture has {total} test images; give 1 to {total}", net.workload());
    }
    let g = cfg.geometry();
    let x0 = network.images.data[..t * network.images.cols].to_vec();
    let (mut x_rtl, mut x_model, mut x_ref) = (x0.clone(), x0.clone(), x0);
    let rtl = engine != SimEngine::Model;
    let mut report = MlpReport {
        pass: false,
        engine: engine.name().to_string(),
        workload: net.workload().to_string(),
        images: t,
        test_images: total,
        rtl_accuracy: None,
        model_accuracy: 0.0,
        float_accuracy: network.float_accuracy,
        script_int8_accuracy: network.script_int8_accuracy,
        cycles: rtl.then_some(0),
        macs: 0,
        utilization: None,
        layers: Vec::new(),
        failure: None,
    };
    for (li, layer) in network.layers.iter().enumerate() {
        let (k, n) = (layer.weights.rows as u32, layer.weights.cols as u32);
        let spec = MatmulSpec { m: t as u32, k, n, bias: true, requant: layer.requant };
        let label = format!("matmul:{t}x{k}x{n}");
        let tiled = tile_matmul(cfg, &spec, 0).with_context(|| format!("tiling layer {li} ({label})"))?;
        let program = tiled.words();
        let (w, b) = (&layer.weights.data, &layer.bias);
        report.macs += tiled.macs();
        let mut lr = LayerReport { matmul: label, instructions: program.len(), cycles: None, counters: None };

        let mut mem = tiled.memory(&x_model, w, b);
        let out = Model::new(cfg).run(&program, &mut mem, tiled.layout.window());
        if let Some((i, e)) = out.error {
            report.failure = Some(format!("layer {li}: the golden model stopped at instruction {i}: {e}"));
            report.layers.push(lr);
            break;
        }
        x_model = tiled.read_c(&mem);
        x_ref = reference_matmul(&spec, g.acc_bits, g.input_bits, &x_ref, w, b);

        if rtl {
            let opts = CosimOptions {
                engine: if engine == SimEngine::Verilator { Engine::Verilator } else { Engine::Interp },
                timing: AxiConfig::ideal(cosim::DEFAULT_LATENCY),
                ..CosimOptions::default()
            };
            let r = cosim::run(cfg, &program, &tiled.memory(&x_rtl, w, b), &opts).map_err(|e| anyhow!("{e}"))?;
            lr.cycles = Some(r.cycles);
            lr.counters = Some(r.counters);
            report.cycles = report.cycles.map(|c| c + r.cycles);
            x_rtl = tiled.read_c(&r.memory);
            if !r.pass && report.failure.is_none() {
                report.failure = Some(format!("layer {li}: {}", r.failure_text()));
            }
        }
        report.layers.push(lr);
    }
    let classes = network.layers.last().map_or(0, |l| l.weights.cols);
    let labels = &network.labels[..t];
    report.model_accuracy = accuracy(&argmax_rows(&x_model, classes), labels);
    if rtl {
        report.rtl_accuracy = Some(accuracy(&argmax_rows(&x_rtl, classes), labels));
        let c = report.cycles.unwrap_or(0).max(1) as f64;
        report.utilization = Some(report.macs as f64 / (g.macs_per_cycle() as f64 * c));
    }
    if report.failure.is_none() {
        let script = &network.script_logits.data[..t * classes];
        report.failure =
            if rtl { first_difference(&x_rtl, &x_model, classes, "the RTL", "the golden model") } else { None }
                .or_else(|| first_difference(&x_model, &x_ref, classes, "the golden model", "the triple loop"))
                .or_else(|| {
                    first_difference(&x_model, script, classes, "the golden model", "the training script (numpy)")
                });
    }
    report.pass = report.failure.is_none();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_takes_the_first_largest() {
        assert_eq!(argmax_rows(&[1, 5, 5, -3, -1, -2], 3), [1, 1]);
        assert_eq!(accuracy(&[1, 1], &[1, 0]), 0.5);
    }

    #[test]
    fn first_difference_names_the_image_the_logit_and_both_values() {
        assert_eq!(first_difference(&[1, 2, 3, 4], &[1, 2, 3, 4], 2, "x", "y"), None);
        let d = first_difference(&[1, 2, 3, 4], &[1, 2, 0, 5], 2, "the RTL", "the golden model").unwrap();
        assert_eq!(d, "image 1 logit 0: the RTL gives 3, the golden model gives 0 (2 values differ)");
    }

    #[test]
    fn the_digits_fixture_loads_with_its_shapes() {
        let net = Net::Digits.load().unwrap();
        assert_eq!(net.sizes(), [64, 64, 10]);
        assert_eq!(net.images.rows, 360);
        assert!(net.labels.iter().all(|l| (0..10).contains(l)));
        assert!(net.images.data.iter().all(|x| (0..=127).contains(x)), "pixels are non-negative");
        // The int8 network is within two points of the float one.
        assert!(net.float_accuracy > 0.95, "{}", net.float_accuracy);
        assert!((net.script_int8_accuracy - net.float_accuracy).abs() < 0.02);
    }

    #[test]
    fn the_golden_model_matches_the_script_on_the_whole_test_set() {
        let cfg = Config::preset("ice40").unwrap();
        let r = run(&cfg, Net::Digits, None, SimEngine::Model).unwrap();
        assert!(r.pass, "{:?}", r.failure);
        assert_eq!(r.images, 360);
        // Same logits (checked by `pass`), so the same number of right answers.
        assert_eq!((r.model_accuracy * 360.0).round(), (r.script_int8_accuracy * 360.0).round());
        assert_eq!((r.rtl_accuracy, r.cycles), (None, None));
    }

    #[test]
    fn a_damaged_fixture_is_an_error_naming_the_file() {
        let mut files = DIGITS;
        files[1].1 = &DIGITS[1].1[..DIGITS[1].1.len() - 4];
        let e = Network::from_fixture(DIGITS_JSON, &files, "fixtures/digits").unwrap_err().to_string();
        assert!(e.contains("fixtures/digits/b1.npy") && e.contains("truncated"), "{e}");
    }
}
