#!/usr/bin/env python3
"""Write the .npy fixtures of `seedchip sim --a/--b/--bias/--out` tests into
tests/fixtures/npy/ with numpy itself, so the tests read files numpy wrote and compare
what seedchip writes with files numpy wrote. Deterministic; run it again only to change
the fixtures:

    python3 -m venv /tmp/pyenv && /tmp/pyenv/bin/pip install numpy
    /tmp/pyenv/bin/python scripts/make_npy_fixtures.py

Good inputs: a.npy (int8 5x7), a_fortran.npy (the same, Fortran order), b.npy (int8 7x3),
bias.npy (int32 3), bias_be.npy (the same, big-endian). Expected outputs, computed here
independently of the Rust code: c_raw.npy (int32 A x B), c_requant.npy (int8, with the
parameters in params.txt), c_requant_relu.npy. Bad inputs: see BAD below.
"""

import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from requant import requantize  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "npy"
# Requantization used by the tests for c_requant*.npy: 1518500250 / 2^31 / 2^9 ~ 1/724.
MULTIPLIER, SHIFT = 1518500250, 9


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261130)
    a = rng.integers(-128, 128, size=(5, 7)).astype(np.int8)
    a[0, :] = -128  # extremes: -128 x -128 sums
    b = rng.integers(-128, 128, size=(7, 3)).astype(np.int8)
    b[:, 0] = -128
    bias = rng.integers(-20000, 20000, size=(3,)).astype(np.int32)
    np.save(OUT / "a.npy", a)
    np.save(OUT / "a_fortran.npy", np.asfortranarray(a))
    np.save(OUT / "b.npy", b)
    np.save(OUT / "bias.npy", bias)
    np.save(OUT / "bias_be.npy", bias.astype(">i4"))

    acc = a.astype(np.int64) @ b.astype(np.int64)
    np.save(OUT / "c_raw.npy", acc.astype(np.int32))
    np.save(OUT / "c_requant.npy", requantize(acc, bias, MULTIPLIER, SHIFT, "none").astype(np.int8))
    np.save(OUT / "c_requant_relu.npy", requantize(acc, bias, MULTIPLIER, SHIFT, "relu").astype(np.int8))
    (OUT / "params.txt").write_text(
        f"c_requant.npy: --multiplier {MULTIPLIER} --shift {SHIFT} --activation none\n"
        f"c_requant_relu.npy: --multiplier {MULTIPLIER} --shift {SHIFT} --activation relu\n"
    )

    # Bad inputs, each rejected with a message naming the file.
    np.save(OUT / "a_float.npy", a.astype(np.float64))
    np.save(OUT / "a_int16.npy", a.astype(np.int16))
    np.save(OUT / "a_1d.npy", a.ravel())
    np.save(OUT / "a_3d.npy", a.reshape(5, 7, 1))
    np.save(OUT / "a_empty.npy", np.zeros((0, 7), dtype=np.int8))
    np.save(OUT / "b_k6.npy", b[:6])
    np.save(OUT / "bias_n4.npy", np.zeros(4, dtype=np.int32))
    np.save(OUT / "bias_int8.npy", bias.astype(np.int8))
    np.save(OUT / "bias_2d.npy", bias.reshape(1, 3))
    full = (OUT / "a.npy").read_bytes()
    (OUT / "a_truncated.npy").write_bytes(full[: len(full) - 10])
    (OUT / "not_npy.npy").write_text("A,B\n1,2\n")


if __name__ == "__main__":
    main()
