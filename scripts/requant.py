"""The accelerator's read-out in numpy, written from docs/requantization.md (not from the
Rust code): bias, gemmlowp's SaturatingRoundingDoublingHighMul and RoundingDivideByPOT,
activation, saturation. Shared by make_npy_fixtures.py and train_digits.py."""

import numpy as np

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def srdhm(x, multiplier):
    """floor((x * multiplier + 2^30) / 2^31), INT32_MAX on the one overflow."""
    x = np.asarray(x, dtype=np.int64)
    # |x * multiplier| <= 2^62: fits int64; Python ints avoid any doubt on the nudge.
    prod = x.astype(object) * int(multiplier)
    out = np.array([(p + (1 << 30)) >> 31 for p in prod.ravel()], dtype=object).reshape(x.shape)
    out = np.where((x == INT32_MIN) & (multiplier == INT32_MIN), INT32_MAX, out)
    return out.astype(np.int64)


def rdbpot(x, shift):
    """x / 2^shift rounded to nearest, ties away from zero (gemmlowp's mask form)."""
    x = np.asarray(x, dtype=np.int64)
    mask = (1 << shift) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0).astype(np.int64)
    return (x >> shift) + (remainder > threshold).astype(np.int64)


def requantize(acc, bias, multiplier, shift, activation, relu6_max=0, out_bits=8):
    """acc: int64 array of int32 sums; bias: per column (broadcast), int32."""
    x = np.asarray(acc, dtype=np.int64) + np.asarray(bias, dtype=np.int64)
    x = ((x + 2**31) % 2**32) - 2**31  # wrap to int32, as the adder does (acc_bits = 32)
    y = rdbpot(srdhm(x, multiplier), shift)
    if activation == "relu":
        y = np.maximum(y, 0)
    elif activation == "relu6":
        y = np.minimum(np.maximum(y, 0), relu6_max)
    lo, hi = -(2 ** (out_bits - 1)), 2 ** (out_bits - 1) - 1
    return np.clip(y, lo, hi)


def quantize_scale(scale):
    """A real scale in (0, 1) as (multiplier, shift): scale = multiplier / 2^31 / 2^shift,
    multiplier in [2^30, 2^31) (TFLite's QuantizeMultiplier for a right shift)."""
    assert 0 < scale < 1, scale
    q, e = np.frexp(scale)  # scale = q * 2^e, q in [0.5, 1)
    m = int(np.round(q * 2**31))
    if m == 2**31:
        m //= 2
        e += 1
    shift = -int(e)
    assert 0 <= shift <= 31, (scale, shift)
    return m, shift
