//! Properties of the requantization reference (`ip_blocks::quant`) against independent
//! formulations in 128-bit integers, on corner values and random ones: what gemmlowp's
//! SRDHM and RDBPOT compute exactly, shift 0 as the identity, the distance to the exact
//! real product, and monotonicity in the accumulator.

use ip_blocks::quant::{
    requantize, rounding_divide_by_pot as rdbpot, saturating_rounding_doubling_high_mul as srdhm, wrap, Activation,
    RequantParams,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SAMPLES: usize = 200_000;

const CORNERS: [i32; 11] = [i32::MIN, i32::MIN + 1, -(1 << 30) - 1, -(1 << 30), -3, -1, 0, 1, 3, 1 << 30, i32::MAX];

/// A random i32, often a corner, a small number or an odd multiple giving a tie.
fn value(rng: &mut ChaCha8Rng) -> i32 {
    match rng.gen_range(0..6) {
        0 => CORNERS[rng.gen_range(0..CORNERS.len())],
        1 => rng.gen_range(-1000..1000),
        2 => rng.gen::<i32>() >> rng.gen_range(0..31),
        _ => rng.gen(),
    }
}

/// Pairs: every pair of corners, then random pairs, a third of them exact ties.
fn pairs(seed: u64) -> impl Iterator<Item = (i32, i32)> {
    let corners = CORNERS.iter().flat_map(|a| CORNERS.iter().map(move |b| (*a, *b)));
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let random = (0..SAMPLES).map(move |_| {
        let a = value(&mut rng);
        // b = 2^30 and a odd: a * b / 2^31 = a / 2 is a tie.
        let b = if rng.gen_bool(0.3) { 1 << 30 } else { value(&mut rng) };
        (a, b)
    });
    corners.chain(random)
}

/// floor(n / 2^k) for any sign.
fn floor_pow2(n: i128, k: u32) -> i128 {
    n.div_euclid(1i128 << k)
}

/// n / 2^k rounded to nearest, ties away from zero.
fn round_half_away(n: i128, k: u32) -> i128 {
    if k == 0 {
        return n;
    }
    let half = 1i128 << (k - 1);
    let magnitude = (n.abs() + half) >> k;
    if n < 0 {
        -magnitude
    } else {
        magnitude
    }
}

#[test]
fn srdhm_is_the_doubled_high_product_rounded_half_up() {
    // gemmlowp's nudge (2^30, or 1 - 2^30 for a negative product) with C's truncating
    // division is floor((a * b + 2^30) / 2^31): ties go towards +infinity.
    for (a, b) in pairs(1) {
        let want = if a == i32::MIN && b == i32::MIN {
            i128::from(i32::MAX)
        } else {
            floor_pow2(i128::from(a) * i128::from(b) + (1 << 30), 31)
        };
        assert_eq!(i128::from(srdhm(a, b)), want, "SRDHM({a}, {b})");
    }
}

#[test]
fn srdhm_equals_round_half_away_from_zero_except_on_negative_ties() {
    // Away from ties, or on positive ties, SRDHM is the round-half-away-from-zero of
    // a * b / 2^31; on a negative tie it is one above it (-0.5 -> 0, not -1).
    let mut negative_ties = 0;
    for (a, b) in pairs(2) {
        if a == i32::MIN && b == i32::MIN {
            continue;
        }
        let ab = i128::from(a) * i128::from(b);
        let away = round_half_away(ab, 31);
        let negative_tie = ab < 0 && ab.rem_euclid(1 << 31) == 1 << 30;
        let got = i128::from(srdhm(a, b));
        if negative_tie {
            negative_ties += 1;
            assert_eq!(got, away + 1, "SRDHM({a}, {b}) on a negative tie");
        } else {
            assert_eq!(got, away, "SRDHM({a}, {b})");
        }
    }
    assert!(negative_ties > 1000, "only {negative_ties} negative ties tried");
    assert_eq!((srdhm(-1, 1 << 30), srdhm(-3, 1 << 30)), (0, -1));
}

#[test]
fn srdhm_saturates_only_for_min_times_min() {
    assert_eq!(srdhm(i32::MIN, i32::MIN), i32::MAX);
    // Every other product's doubled high half fits: compare with the unsaturated value.
    for (a, b) in pairs(3).filter(|(a, b)| !(*a == i32::MIN && *b == i32::MIN)) {
        let exact = floor_pow2(i128::from(a) * i128::from(b) + (1 << 30), 31);
        assert!(i32::try_from(exact).is_ok(), "{a} x {b} would need saturation");
    }
}

#[test]
fn rdbpot_is_division_rounded_half_away_from_zero() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let xs = CORNERS.into_iter().chain((0..SAMPLES).map(|_| value(&mut rng)));
    for (i, x) in xs.enumerate() {
        for e in [0, 1, 2, 30, 31, (i % 32) as u32] {
            assert_eq!(i128::from(rdbpot(x, e)), round_half_away(i128::from(x), e), "RDBPOT({x}, {e})");
        }
    }
}

#[test]
fn shift_zero_is_the_identity() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for _ in 0..SAMPLES {
        let (x, m) = (value(&mut rng), value(&mut rng));
        assert_eq!(rdbpot(x, 0), x);
        let p = RequantParams { multiplier: m, shift: 0, activation: Activation::None, relu6_max: 0 };
        // With a 32-bit accumulator and a 32-bit output nothing but SRDHM remains.
        assert_eq!(requantize(x.into(), 0, 32, 32, &p), i64::from(srdhm(x, m)), "x {x}, m {m}");
    }
}

#[test]
fn requantize_is_within_one_unit_of_the_exact_product() {
    // Two roundings: at most 1/2 from SRDHM (scaled down by 2^shift) plus 1/2 from the
    // shift, so |y - x * m / 2^(31 + shift)| <= 1, and <= 1/2 when shift = 0.
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    for _ in 0..SAMPLES {
        let (x, m, s) = (value(&mut rng), value(&mut rng), rng.gen_range(0..=31u32));
        if x == i32::MIN && m == i32::MIN {
            continue;
        }
        let p = RequantParams { multiplier: m, shift: s, activation: Activation::None, relu6_max: 0 };
        let y = i128::from(requantize(x.into(), 0, 32, 32, &p));
        let err = (y << (31 + s)) - i128::from(x) * i128::from(m);
        let bound = if s == 0 { 1i128 << 30 } else { 1i128 << (31 + s) };
        assert!(err.abs() <= bound, "x {x}, m {m}, shift {s}: {y} is {err} / 2^{} away", 31 + s);
    }
}

#[test]
fn requantize_is_monotonic_in_the_accumulator() {
    // Without wrap-around (acc + bias within acc_bits), the read-out never decreases as
    // the accumulator grows for a non-negative multiplier, never increases for a
    // negative one, whatever the activation, widths and saturation.
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for _ in 0..2000 {
        let acc_bits = [16, 20, 32, 40, 48][rng.gen_range(0..5)];
        let out_bits = [4, 6, 8, 16, 32][rng.gen_range(0..5)];
        let out_max = (1i32 << (out_bits - 1)) - 1;
        let p = RequantParams {
            multiplier: value(&mut rng),
            shift: rng.gen_range(0..=31),
            activation: [Activation::None, Activation::Relu, Activation::Relu6][rng.gen_range(0..3)],
            relu6_max: rng.gen_range(0..=out_max),
        };
        let limit = (1i64 << (acc_bits - 1)) - 1;
        let bias = rng.gen_range(-limit / 4..=limit / 4);
        let mut accs: Vec<i64> =
            (0..200).map(|_| rng.gen_range(-limit - 1 - bias.min(0)..=limit - bias.max(0))).collect();
        accs.sort_unstable();
        let outs: Vec<i64> = accs.iter().map(|a| requantize(*a, bias, acc_bits, out_bits, &p)).collect();
        let ordered = outs.windows(2).all(|w| if p.multiplier >= 0 { w[0] <= w[1] } else { w[0] >= w[1] });
        assert!(ordered, "{p:?}, acc_bits {acc_bits}, out_bits {out_bits}, bias {bias}: {accs:?} -> {outs:?}");
    }
}

#[test]
fn requantize_output_is_always_in_range_and_activated() {
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    for _ in 0..SAMPLES {
        let acc_bits = rng.gen_range(2..=64);
        let out_bits = rng.gen_range(2..=32);
        let out_max = (1i64 << (out_bits - 1)) - 1;
        let p = RequantParams {
            multiplier: value(&mut rng),
            shift: rng.gen_range(0..=31),
            activation: [Activation::None, Activation::Relu, Activation::Relu6][rng.gen_range(0..3)],
            relu6_max: rng.gen_range(0..=out_max) as i32,
        };
        let (acc, bias) = (wrap(rng.gen(), acc_bits), wrap(rng.gen(), acc_bits));
        let y = requantize(acc, bias, acc_bits, out_bits, &p);
        assert!((-out_max - 1..=out_max).contains(&y), "{y} outside {out_bits} bits");
        match p.activation {
            Activation::None => {}
            Activation::Relu => assert!(y >= 0),
            Activation::Relu6 => assert!((0..=i64::from(p.relu6_max)).contains(&y)),
        }
    }
}
