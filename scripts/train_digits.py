#!/usr/bin/env python3
"""Train a small MLP (64-64-10, ReLU) on scikit-learn's bundled digits set, quantize it to
int8 for the SeedChip accelerator, and write the fixture `seedchip sim --workload
mlp:digits` runs: fixtures/digits/. Deterministic (fixed seeds); run it again only to
change the network:

    python3 -m venv /tmp/pyenv && /tmp/pyenv/bin/pip install numpy scikit-learn
    /tmp/pyenv/bin/python scripts/train_digits.py

Quantization, matching the accelerator's read-out (docs/requantization.md):
- symmetric int8 everywhere, zero point 0 (the hardware has no zero point);
- inputs: pixels 0..16 at scale s_x = 16/127, so x_q = round(pixel * 127 / 16) in 0..127;
- weights: per tensor, s_w = max|W| / 127;
- biases: int32 at the accumulator's scale s_x * s_w;
- layer 1 reads out requantized with ReLU at the scale s_h = (99.99th percentile of the
  float hidden activations on the training set) / 127: M = s_x * s_w1 / s_h, encoded as
  multiplier / 2^31 / 2^shift;
- layer 2 (the logits) reads out requantized, activation none, at s_o = max |logit| on
  the training set / 127; the class is the argmax of the int8 logits (first on ties).

The int8 network is then run here in numpy with the accelerator's arithmetic
(scripts/requant.py, written from the documentation), and its logits and accuracy are
stored too: `seedchip sim` checks its golden model against them.

Files written (C order, little-endian):
  w1.npy int8 (64, 64) K x N, b1.npy int32 (64,), w2.npy int8 (64, 10), b2.npy int32 (10,),
  images.npy int8 (T, 64) the quantized held-out test images, labels.npy int8 (T,),
  logits.npy int8 (T, 10) the int8 network's logits computed here, digits.json.
"""

import json
import pathlib
import sys

import numpy as np
import sklearn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from requant import quantize_scale, requantize  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "digits"
SEED = 6
HIDDEN = 64


def main():
    digits = load_digits()
    x, y = digits.data.astype(np.float64), digits.target
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=SEED, stratify=y)

    # Train on pixels scaled to 0..1 (x / 16); the int8 input scale folds the 16 in.
    clf = MLPClassifier(
        hidden_layer_sizes=(HIDDEN,), activation="relu", alpha=1e-3, max_iter=600, random_state=SEED, tol=1e-5
    )
    clf.fit(x_train / 16.0, y_train)
    float_accuracy = float(clf.score(x_test / 16.0, y_test))
    (w1, w2), (b1, b2) = clf.coefs_, clf.intercepts_
    # In pixel units (0..16): h = relu(x @ (w1 / 16) + b1).
    w1 = w1 / 16.0

    s_x = 16.0 / 127.0
    xq_train = np.round(x_train / s_x).astype(np.int64)
    xq_test = np.round(x_test / s_x).astype(np.int64)

    def quant_weights(w):
        s = np.abs(w).max() / 127.0
        return np.clip(np.round(w / s), -127, 127).astype(np.int64), s

    w1q, s_w1 = quant_weights(w1)
    w2q, s_w2 = quant_weights(w2)
    s_acc1 = s_x * s_w1
    b1q = np.round(b1 / s_acc1).astype(np.int64)

    # Hidden scale from the float activations on the training set.
    h_float = np.maximum(x_train @ w1 + b1, 0.0)
    s_h = float(np.percentile(h_float, 99.99)) / 127.0
    m1, sh1 = quantize_scale(s_acc1 / s_h)

    h_train = requantize(xq_train @ w1q, b1q, m1, sh1, "relu")
    s_acc2 = s_h * s_w2
    b2q = np.round(b2 / s_acc2).astype(np.int64)
    logits_float = h_train * s_h @ w2 + b2
    s_o = float(np.abs(logits_float).max()) / 127.0
    m2, sh2 = quantize_scale(s_acc2 / s_o)

    def int8_forward(xq):
        h = requantize(xq @ w1q, b1q, m1, sh1, "relu")
        return requantize(h @ w2q, b2q, m2, sh2, "none")

    logits_test = int8_forward(xq_test)
    int8_accuracy = float(np.mean(np.argmax(logits_test, axis=1) == y_test))
    train_int8_accuracy = float(np.mean(np.argmax(int8_forward(xq_train), axis=1) == y_train))

    for name, v in [("w1", w1q), ("w2", w2q), ("images", xq_test), ("logits", logits_test)]:
        assert v.min() >= -128 and v.max() <= 127, name
    for name, v in [("b1", b1q), ("b2", b2q)]:
        assert np.abs(v).max() < 2**31, name

    OUT.mkdir(parents=True, exist_ok=True)
    np.save(OUT / "w1.npy", w1q.astype(np.int8))
    np.save(OUT / "b1.npy", b1q.astype(np.int32))
    np.save(OUT / "w2.npy", w2q.astype(np.int8))
    np.save(OUT / "b2.npy", b2q.astype(np.int32))
    np.save(OUT / "images.npy", xq_test.astype(np.int8))
    np.save(OUT / "labels.npy", y_test.astype(np.int8))
    np.save(OUT / "logits.npy", logits_test.astype(np.int8))
    meta = {
        "network": "digits",
        "description": "64-64-10 MLP, ReLU, on scikit-learn's digits (8x8 images, 10 classes); "
        "written by scripts/train_digits.py",
        "sizes": [64, HIDDEN, 10],
        "train_images": int(len(y_train)),
        "test_images": int(len(y_test)),
        "float_accuracy": float_accuracy,
        "int8_accuracy": int8_accuracy,
        "int8_train_accuracy": train_int8_accuracy,
        "input_scale": s_x,
        "layers": [
            {
                "weights": "w1.npy",
                "bias": "b1.npy",
                "weight_scale": s_w1,
                "output_scale": s_h,
                "requant": {"multiplier": m1, "shift": sh1, "activation": "relu", "relu6_max": 0},
            },
            {
                "weights": "w2.npy",
                "bias": "b2.npy",
                "weight_scale": s_w2,
                "output_scale": s_o,
                "requant": {"multiplier": m2, "shift": sh2, "activation": "none", "relu6_max": 0},
            },
        ],
        "seed": SEED,
        "numpy": np.__version__,
        "scikit_learn": sklearn.__version__,
    }
    (OUT / "digits.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(
        f"float accuracy {float_accuracy:.4f}, int8 accuracy {int8_accuracy:.4f} "
        f"on {len(y_test)} test images (int8 on the training set {train_int8_accuracy:.4f})"
    )
    print(f"layer 1: multiplier {m1} shift {sh1}; layer 2: multiplier {m2} shift {sh2}")


if __name__ == "__main__":
    main()
