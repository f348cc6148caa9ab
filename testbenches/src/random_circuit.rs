//! Random small circuits for the differential test of the emitter and the interpreter:
//! random expression trees over every operator, registers (with and without reset and
//! enable), a memory with one or two read ports, named intermediate wires, and a child
//! module instanced twice. Widths range from 1 to 130 bits, so the 64-bit fast paths and
//! the wide paths of both simulators are exercised.
//!
//! The same seed gives the same design, so the Verilator model is built once and cached.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rtl_gen::ir::{BinaryOp, UnaryOp};
use rtl_gen::{Bits, CheckErrors, Design, ExprId, ModuleBuilder, ModuleId, SignalId};

const WIDTHS: &[u32] = &[1, 1, 2, 3, 5, 8, 8, 13, 16, 31, 32, 33, 48, 63, 64, 65, 100, 130];

const BINARY: &[BinaryOp] = &[
    BinaryOp::Add,
    BinaryOp::Sub,
    BinaryOp::Mul,
    BinaryOp::And,
    BinaryOp::Or,
    BinaryOp::Xor,
    BinaryOp::Eq,
    BinaryOp::Ne,
    BinaryOp::Lt,
    BinaryOp::Le,
    BinaryOp::Gt,
    BinaryOp::Ge,
    BinaryOp::LtS,
    BinaryOp::LeS,
    BinaryOp::GtS,
    BinaryOp::GeS,
    BinaryOp::Shl,
    BinaryOp::Shr,
    BinaryOp::Sar,
];

const UNARY: &[UnaryOp] = &[UnaryOp::Not, UnaryOp::Neg, UnaryOp::AndReduce, UnaryOp::OrReduce, UnaryOp::XorReduce];

/// Size of the circuits to generate.
#[derive(Clone, Copy, Debug)]
pub struct CircuitShape {
    /// Input ports per circuit.
    pub inputs: usize,
    /// Expression nodes per circuit.
    pub nodes: usize,
    /// Registers per circuit.
    pub registers: usize,
    /// Output ports per circuit.
    pub outputs: usize,
}

impl Default for CircuitShape {
    fn default() -> Self {
        CircuitShape { inputs: 4, nodes: 40, registers: 5, outputs: 6 }
    }
}

struct Gen<'a> {
    rng: &'a mut ChaCha8Rng,
    m: ModuleBuilder,
    pool: Vec<ExprId>,
    names: usize,
}

impl Gen<'_> {
    fn width(&self, e: ExprId) -> u32 {
        self.m.width(e)
    }

    fn pick(&mut self) -> ExprId {
        // Prefer recent values so trees get deep.
        let n = self.pool.len();
        let i = if self.rng.gen_bool(0.6) { n - 1 - self.rng.gen_range(0..n.min(6)) } else { self.rng.gen_range(0..n) };
        self.pool[i]
    }

    fn resize(&mut self, e: ExprId, width: u32) -> ExprId {
        let w = self.width(e);
        if w == width {
            e
        } else if w > width {
            let lo = self.rng.gen_range(0..=w - width);
            self.m.slice(e, lo, width)
        } else {
            let signed = self.rng.gen_bool(0.5);
            self.m.resize(e, width, signed)
        }
    }

    fn constant(&mut self, width: u32) -> ExprId {
        let words: Vec<u64> = (0..width.div_ceil(64)).map(|_| self.special_value()).collect();
        self.m.lit_bits(Bits::from_words(&words, width))
    }

    fn special_value(&mut self) -> u64 {
        match self.rng.gen_range(0..6) {
            0 => 0,
            1 => u64::MAX,
            2 => 1,
            3 => 1 << self.rng.gen_range(0..64),
            _ => self.rng.gen(),
        }
    }

    fn fresh_name(&mut self, base: &str) -> String {
        self.names += 1;
        format!("{base}{}", self.names)
    }

    fn node(&mut self) -> ExprId {
        let a = self.pick();
        match self.rng.gen_range(0..20) {
            0..=7 => {
                let op = *BINARY.choose(self.rng).expect("non-empty");
                let b = if op.is_shift() {
                    let amount = self.pick();
                    let bits = self.rng.gen_range(1..=8u32);
                    if self.rng.gen_bool(0.3) {
                        let k = self.rng.gen_range(0..=self.width(a) + 1) as u64;
                        self.m.lit(k, bits)
                    } else {
                        self.resize(amount, bits)
                    }
                } else if self.rng.gen_bool(0.2) {
                    let w = self.width(a);
                    self.constant(w)
                } else {
                    let b = self.pick();
                    let w = self.width(a);
                    self.resize(b, w)
                };
                self.m.binary(op, a, b)
            }
            8..=9 => {
                let op = *UNARY.choose(self.rng).expect("non-empty");
                self.m.unary(op, a)
            }
            10..=11 => {
                let s = self.pick();
                let sel = self.resize(s, 1);
                let b = self.pick();
                let w = self.width(a);
                let b = self.resize(b, w);
                self.m.mux(sel, a, b)
            }
            12..=13 => {
                let b = self.pick();
                if self.width(a) + self.width(b) > 130 {
                    let wb = 130 - self.width(a).min(129);
                    let b = self.resize(b, wb.max(1));
                    let x = self.m.concat([a, b]);
                    self.resize(x, 130.min(self.width(x)))
                } else {
                    self.m.concat([a, b])
                }
            }
            14..=15 => {
                let w = self.width(a);
                let width = self.rng.gen_range(1..=w);
                let lo = self.rng.gen_range(0..=w - width);
                self.m.slice(a, lo, width)
            }
            16..=17 => {
                let w = *WIDTHS.choose(self.rng).expect("non-empty");
                let target = w.max(self.width(a));
                let signed = self.rng.gen_bool(0.5);
                self.m.resize(a, target, signed)
            }
            18 => {
                let name = self.fresh_name("n");
                let s = self.m.named(name, a);
                // Named values may end up read in part or not at all.
                self.m.mark_unused(s);
                self.m.sig(s)
            }
            _ => {
                // A full signed product, the PE's shape.
                let b = self.pick();
                let wa = self.width(a).min(32);
                let a = self.resize(a, wa);
                let b = self.resize(b, wa);
                self.m.mul_signed_full(a, b)
            }
        }
    }
}

/// Build one random module named `name` into `design`.
pub fn random_module(
    design: &mut Design,
    name: &str,
    shape: CircuitShape,
    rng: &mut ChaCha8Rng,
    child: Option<ModuleId>,
) -> Result<ModuleId, CheckErrors> {
    let mut g = Gen { rng, m: ModuleBuilder::new(name), pool: Vec::new(), names: 0 };
    g.m.doc("Random circuit for the interpreter-versus-Verilator differential test.");
    let why = "random logic may compare a value that Verilator folds to a constant";
    g.m.waive_lint("UNSIGNED", why);
    g.m.waive_lint("CMPCONST", why);
    let mut marks: Vec<SignalId> = Vec::new();
    for i in 0..shape.inputs {
        let w = *WIDTHS.choose(g.rng).expect("non-empty");
        let s = g.m.input(format!("in{i}_i"), w);
        marks.push(s);
        let e = g.m.sig(s);
        g.pool.push(e);
    }
    // Registers: outputs usable at once, next values chosen at the end.
    let mut regs = Vec::new();
    for i in 0..shape.registers {
        let w = *WIDTHS.choose(g.rng).expect("non-empty");
        let with_reset = g.rng.gen_bool(0.7);
        let reset_value = g.special_value();
        let mut rb = g.m.reg(format!("r{i}"), w);
        if with_reset {
            rb = rb.reset_bits(Bits::from_u64(reset_value, w));
        }
        let r = rb.build();
        marks.push(r.q);
        regs.push(r);
        let e = g.m.sig(r.q);
        g.pool.push(e);
    }
    // A memory whose read data joins the pool.
    let mem_width = *WIDTHS.choose(g.rng).expect("non-empty");
    let depth = *[2u32, 5, 8, 16, 32].choose(g.rng).expect("non-empty");
    let mem = g.m.memory("mem", mem_width, depth);
    let ports = g.rng.gen_range(1..=2);
    let mut reads = Vec::new();
    for p in 0..ports {
        // Read controls are placeholders until the pool is richer: wires assigned later.
        let en = g.m.wire(format!("rd{p}_en"), 1);
        let addr = g.m.wire(format!("rd{p}_addr"), rtl_gen::ir::clog2(depth.into()).max(1));
        let q = g.m.mem_read(mem, format!("rd{p}_data"), en, addr);
        marks.push(q);
        reads.push((en, addr));
        let e = g.m.sig(q);
        g.pool.push(e);
    }
    // A child instance, if given: its inputs from the pool, its outputs into it.
    if let Some(c) = child {
        for k in 0..2 {
            let inst = g.m.instance(format!("u_child{k}"), design, c);
            let ports = data_ports(design, c);
            let mut outs = Vec::new();
            for (pname, w, is_in) in &ports {
                if *is_in {
                    let v = g.pick();
                    let v = g.resize(v, *w);
                    g.m.connect(inst, pname, v);
                } else {
                    let wire = g.m.connect_wire(inst, pname, format!("child{k}_{pname}"));
                    marks.push(wire);
                    outs.push(wire);
                }
            }
            for w in outs {
                let e = g.m.sig(w);
                g.pool.push(e);
            }
        }
    }
    for _ in 0..shape.nodes {
        let e = g.node();
        g.pool.push(e);
    }
    for (en, addr) in reads {
        let v = g.pick();
        let v = g.resize(v, 1);
        g.m.assign(en, v);
        let aw = g.m.module().signal(addr).width;
        let v = g.pick();
        let v = g.resize(v, aw);
        g.m.assign(addr, v);
    }
    let (we, wa, wd) = (g.pick(), g.pick(), g.pick());
    let aw = rtl_gen::ir::clog2(depth.into()).max(1);
    let we = g.resize(we, 1);
    let wa = g.resize(wa, aw);
    let wd = g.resize(wd, mem_width);
    g.m.mem_write(mem, we, wa, wd);
    for r in regs {
        let w = g.m.module().signal(r.q).width;
        let v = g.pick();
        let v = g.resize(v, w);
        g.m.next(r, v);
        if g.rng.gen_bool(0.3) {
            let e = g.pick();
            let e = g.resize(e, 1);
            g.m.set_enable(r, e);
        }
    }
    for i in 0..shape.outputs {
        let v = g.pick();
        let w = g.width(v);
        let o = g.m.output(format!("out{i}_o"), w);
        g.m.assign(o, v);
    }
    for s in marks {
        g.m.mark_unused(s);
    }
    let m = g.m;
    design.add(m)
}

/// The ports of `module` other than the clock and reset: (name, width, is input).
fn data_ports(design: &Design, module: ModuleId) -> Vec<(String, u32, bool)> {
    let cm = design.module(module);
    cm.ports
        .iter()
        .filter(|p| Some(**p) != cm.clock && Some(**p) != cm.reset)
        .map(|p| {
            let s = cm.signal(*p);
            (s.name.clone(), s.width, s.kind == rtl_gen::ir::SignalKind::Input)
        })
        .collect()
}

/// A design of `count` random circuits (each with a random child instanced twice)
/// under one top `random_top`, whose ports are the circuits' ports prefixed `c<i>_`.
pub fn random_design(seed: u64, count: usize, shape: CircuitShape) -> Result<(Design, ModuleId), CheckErrors> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut design = Design::new();
    let child_shape = CircuitShape { inputs: 2, nodes: shape.nodes / 3, registers: 2, outputs: 2 };
    let mut circuits = Vec::new();
    for i in 0..count {
        let child = random_module(&mut design, &format!("rand{i}_leaf"), child_shape, &mut rng, None)?;
        circuits.push(random_module(&mut design, &format!("rand{i}"), shape, &mut rng, Some(child))?);
    }
    let mut top = ModuleBuilder::new("random_top");
    top.doc(format!("{count} random circuits from seed {seed}."));
    top.reset();
    for (i, c) in circuits.iter().enumerate() {
        let inst = top.instance(format!("u_rand{i}"), &design, *c);
        let ports = data_ports(&design, *c);
        for (pname, w, is_in) in ports {
            if is_in {
                let s = top.input(format!("c{i}_{pname}"), w);
                top.connect(inst, &pname, s);
            } else {
                let s = top.output(format!("c{i}_{pname}"), w);
                top.connect(inst, &pname, s);
            }
        }
    }
    let id = design.add(top)?;
    Ok((design, id))
}
