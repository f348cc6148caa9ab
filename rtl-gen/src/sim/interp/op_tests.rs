//! Every operator of the interpreter, on its 64-bit fast path and on its wide path,
//! against the reference semantics of [`crate::ops`] on random values.

use crate::ir::{BinaryOp, UnaryOp};
use crate::sim::{Interp, PortId, Simulator};
use crate::{ops, Bits, Design, ExprId, ModuleBuilder};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn sim_of(m: ModuleBuilder) -> Interp {
    let mut d = Design::new();
    let top = d.add(m).unwrap_or_else(|e| panic!("test module must pass the checks:\n{e}"));
    Interp::new(&d, top).expect("simulatable")
}

/// Input values of the operator module.
struct Vals {
    a: Bits,
    b: Bits,
    n: Bits,
    sel: Bits,
}

type Reference = Box<dyn Fn(&Vals) -> Bits>;

struct OpModule {
    m: ModuleBuilder,
    cases: Vec<(String, Reference)>,
}

impl OpModule {
    fn out(&mut self, name: String, e: ExprId, reference: impl Fn(&Vals) -> Bits + 'static) {
        let w = self.m.width(e);
        let o = self.m.output(format!("{name}_o"), w);
        self.m.assign(o, e);
        self.cases.push((format!("{name}_o"), Box::new(reference)));
    }
}

/// A module with inputs a, b (`w` bits), n (8 bits), sel (1 bit) and one output per
/// operator use, with the reference result of each.
fn operator_module(w: u32) -> OpModule {
    let mut m = ModuleBuilder::new(format!("ops_w{w}"));
    let a = m.input("a_i", w);
    let b = m.input("b_i", w);
    let n = m.input("n_i", 8);
    let sel = m.input("sel_i", 1);
    let mut t = OpModule { m, cases: Vec::new() };
    use BinaryOp::*;
    for op in [Add, Sub, Mul, And, Or, Xor, Eq, Ne, Lt, Le, Gt, Ge, LtS, LeS, GtS, GeS, Shl, Shr, Sar] {
        let e = t.m.binary(op, a, b);
        t.out(format!("{op:?}").to_lowercase(), e, move |v| ops::binary(op, &v.a, &v.b));
        if op.is_shift() {
            let e = t.m.binary(op, a, n);
            t.out(format!("{op:?}_n").to_lowercase(), e, move |v| ops::binary(op, &v.a, &v.n));
        }
    }
    for op in [UnaryOp::Not, UnaryOp::Neg, UnaryOp::AndReduce, UnaryOp::OrReduce, UnaryOp::XorReduce] {
        let e = t.m.unary(op, a);
        t.out(format!("{op:?}").to_lowercase(), e, move |v| ops::unary(op, &v.a));
    }
    let e = t.m.mux(sel, a, b);
    t.out("mux".into(), e, |v| ops::mux(&v.sel, &v.a, &v.b));
    let e = t.m.concat([a, b]);
    t.out("cat_ab".into(), e, |v| ops::concat(&[&v.a, &v.b]));
    let e = t.m.concat([n, a, sel, b]);
    t.out("cat_nasb".into(), e, |v| ops::concat(&[&v.n, &v.a, &v.sel, &v.b]));
    let mut tos = vec![w + 1, w + 5, w + 40, 2 * w];
    tos.sort();
    tos.dedup();
    for to in tos {
        for signed in [false, true] {
            let e = if signed { t.m.sext(a, to) } else { t.m.zext(a, to) };
            let name = format!("{}ext{to}", if signed { "s" } else { "z" });
            t.out(name, e, move |v| ops::ext(&v.a, to, signed));
        }
    }
    let mut slices = Vec::new();
    for lo in [0, 1, w / 3, w / 2, w.saturating_sub(5), w - 1] {
        for len in [1, 5, 64, w - lo] {
            let len = len.min(w - lo);
            if len > 0 && !slices.contains(&(lo, len)) {
                slices.push((lo, len));
            }
        }
    }
    for (lo, len) in slices {
        let e = t.m.slice(b, lo, len);
        t.out(format!("slice_{lo}_{len}"), e, move |v| ops::slice(&v.b, lo, len));
    }
    t
}

/// A random value with a bias towards the corner cases (0, 1, all ones, sign bit).
fn random_bits(rng: &mut ChaCha8Rng, w: u32) -> Bits {
    match rng.gen_range(0..10) {
        0 => Bits::zero(w),
        1 => Bits::ones(w),
        2 => Bits::from_u64(1, w),
        3 => ops::binary(BinaryOp::Shl, &Bits::from_u64(1, w), &Bits::from_u64(w as u64 - 1, 32)),
        4 => Bits::from_u64(rng.gen_range(0..w as u64 + 3), w),
        _ => {
            let words: Vec<u64> = (0..w.div_ceil(64)).map(|_| rng.gen()).collect();
            Bits::from_words(&words, w)
        }
    }
}

#[test]
fn every_operator_matches_reference_at_narrow_and_wide_widths() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x5eed_c41b);
    for w in [1, 7, 8, 31, 32, 33, 63, 64, 65, 100, 128, 130] {
        let t = operator_module(w);
        let mut s = sim_of(t.m);
        let ids: Vec<PortId> = ["a_i", "b_i", "n_i", "sel_i"].iter().map(|p| s.port(p).expect("port")).collect();
        let outs: Vec<PortId> = t.cases.iter().map(|(n, _)| s.port(n).expect("port")).collect();
        for round in 0..300 {
            let a = random_bits(&mut rng, w);
            let b = if round % 7 == 0 { a.clone() } else { random_bits(&mut rng, w) };
            let v = Vals { a, b, n: random_bits(&mut rng, 8), sel: random_bits(&mut rng, 1) };
            for (id, val) in ids.iter().zip([&v.a, &v.b, &v.n, &v.sel]) {
                s.poke(*id, val).expect("poke");
            }
            for ((name, reference), id) in t.cases.iter().zip(&outs) {
                let want = reference(&v);
                assert_eq!(s.peek(*id), want, "width {w}, {name}, a={}, b={}, n={}, sel={}", v.a, v.b, v.n, v.sel);
            }
        }
    }
}
