//! [`ModuleBuilder`]: the API block authors describe hardware with.
//!
//! It reads like the hardware it builds:
//!
//! ```
//! use rtl_gen::{Design, ModuleBuilder};
//! let mut m = ModuleBuilder::new("counter");
//! let en = m.input("en_i", 1);
//! let count = m.output("count_o", 8);
//! let cnt = m.reg("cnt", 8).reset(0).enable(en).build();
//! let one = m.lit(1, 8);
//! let next = m.add(cnt, one);
//! m.next(cnt, next);
//! m.assign(count, cnt);
//! let mut design = Design::new();
//! design.add(m).expect("a counter is well formed");
//! ```
//!
//! The builder never fails while building: it records what it is told, folds constant
//! expressions, and [`crate::Design::add`] runs the checks of [`crate::check`], which
//! report every problem with the module and signal names and the widths involved.

use crate::ir::*;
use crate::{ops, Bits};
use std::collections::HashMap;

/// Anything that can stand for a value in an expression: an [`ExprId`], a
/// [`SignalId`] or a [`Reg`] (its current value `q`).
pub trait IntoExpr {
    /// The expression node for this value inside `m`.
    fn into_expr(self, m: &mut ModuleBuilder) -> ExprId;
}

impl IntoExpr for ExprId {
    fn into_expr(self, _: &mut ModuleBuilder) -> ExprId {
        self
    }
}

impl IntoExpr for SignalId {
    fn into_expr(self, m: &mut ModuleBuilder) -> ExprId {
        m.sig(self)
    }
}

/// A constant of its own width.
impl IntoExpr for Bits {
    fn into_expr(self, m: &mut ModuleBuilder) -> ExprId {
        m.lit_bits(self)
    }
}

impl IntoExpr for Reg {
    fn into_expr(self, m: &mut ModuleBuilder) -> ExprId {
        m.sig(self.q)
    }
}

/// A register as seen by the block author: its current value `q` and next value `d`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Reg {
    /// Index in [`Module::registers`].
    pub index: usize,
    /// Current value (`<name>_q`).
    pub q: SignalId,
    /// Next value (`<name>_d`), set with [`ModuleBuilder::next`].
    pub d: SignalId,
}

/// Options of a register being declared; finish with [`RegBuilder::build`].
pub struct RegBuilder<'m> {
    m: &'m mut ModuleBuilder,
    reg: Reg,
}

impl RegBuilder<'_> {
    /// Synchronous reset to `value` (truncated to the register width).
    pub fn reset(self, value: u64) -> Self {
        let width = self.m.module.signal(self.reg.q).width;
        self.reset_bits(Bits::from_u64(value, width))
    }

    /// Synchronous reset to a value of any width.
    pub fn reset_bits(self, value: Bits) -> Self {
        self.m.ensure_reset();
        self.m.module.registers[self.reg.index].reset = Some(value);
        self
    }

    /// Update only when `en` (1 bit) is high.
    pub fn enable(self, en: impl IntoExpr) -> Self {
        let e = en.into_expr(self.m);
        self.m.module.registers[self.reg.index].enable = Some(e);
        self
    }

    /// The declared register.
    pub fn build(self) -> Reg {
        self.reg
    }
}

/// Builds one [`Module`].
pub struct ModuleBuilder {
    module: Module,
    signal_exprs: HashMap<SignalId, ExprId>,
    /// Child modules' clock/reset needs, captured when they are instanced.
    pub(crate) child_ports: HashMap<InstId, Vec<(String, u32, SignalKind)>>,
}

impl ModuleBuilder {
    /// Start a module named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        ModuleBuilder {
            module: Module { name: name.into(), ..Module::default() },
            signal_exprs: HashMap::new(),
            child_ports: HashMap::new(),
        }
    }

    /// The module's name.
    pub fn name(&self) -> &str {
        &self.module.name
    }

    /// The module as built so far.
    pub fn module(&self) -> &Module {
        &self.module
    }

    /// Set the description written in the file header.
    pub fn doc(&mut self, text: impl Into<String>) {
        self.module.doc = text.into();
    }

    /// Record a generation parameter for the file header.
    pub fn param(&mut self, name: impl Into<String>, value: impl ToString) {
        self.module.params.push((name.into(), value.to_string()));
    }

    fn add_signal(&mut self, name: String, width: u32, kind: SignalKind) -> SignalId {
        let id = SignalId(self.module.signals.len() as u32);
        self.module.signals.push(Signal { name, width, kind });
        id
    }

    /// The clock input `clk_i` (created on first use, listed first among the ports).
    pub fn clock(&mut self) -> SignalId {
        if let Some(c) = self.module.clock {
            return c;
        }
        let c = self.add_signal("clk_i".into(), 1, SignalKind::Input);
        self.module.clock = Some(c);
        self.module.ports.insert(0, c);
        c
    }

    /// The synchronous active-high reset input `rst_i` (created on first use, listed
    /// right after the clock), or the internal reset wire of
    /// [`ModuleBuilder::internal_reset`].
    pub fn reset(&mut self) -> SignalId {
        if let Some(r) = self.module.reset {
            return r;
        }
        self.clock();
        let r = self.add_signal("rst_i".into(), 1, SignalKind::Input);
        self.module.reset = Some(r);
        self.module.ports.insert(1, r);
        r
    }

    /// Make the module's reset an internal wire named `name` instead of the `rst_i`
    /// port: its registers and its children are reset from logic inside the module (a
    /// power-on reset generator on an FPGA board top, which has no reset pin). Drive the
    /// wire with [`ModuleBuilder::assign`] or an instance output. Call it before anything
    /// uses the reset.
    ///
    /// # Panics
    /// When the module already has a reset (a block-author bug: the port `rst_i` would
    /// be left behind).
    pub fn internal_reset(&mut self, name: impl Into<String>) -> SignalId {
        assert!(
            self.module.reset.is_none(),
            "module `{}`: internal_reset must come before any use of the reset",
            self.module.name
        );
        self.clock();
        let r = self.add_signal(name.into(), 1, SignalKind::Wire);
        self.module.reset = Some(r);
        r
    }

    fn ensure_reset(&mut self) {
        self.reset();
    }

    /// An input port.
    pub fn input(&mut self, name: impl Into<String>, width: u32) -> SignalId {
        let s = self.add_signal(name.into(), width, SignalKind::Input);
        self.module.ports.push(s);
        s
    }

    /// An output port; drive it with [`ModuleBuilder::assign`] or an instance output.
    pub fn output(&mut self, name: impl Into<String>, width: u32) -> SignalId {
        let s = self.add_signal(name.into(), width, SignalKind::Output);
        self.module.ports.push(s);
        s
    }

    /// An internal wire; drive it with [`ModuleBuilder::assign`] or an instance output.
    pub fn wire(&mut self, name: impl Into<String>, width: u32) -> SignalId {
        self.add_signal(name.into(), width, SignalKind::Wire)
    }

    /// A wire named `name` driven by `value`: gives an intermediate value a readable
    /// name in the Verilog.
    pub fn named(&mut self, name: impl Into<String>, value: impl IntoExpr) -> SignalId {
        let v = value.into_expr(self);
        let width = self.width(v);
        let w = self.wire(name, width);
        self.assign(w, v);
        w
    }

    /// A register `<name>_q` with next value `<name>_d`; see [`RegBuilder`].
    pub fn reg(&mut self, name: impl Into<String>, width: u32) -> RegBuilder<'_> {
        let name = name.into();
        self.clock();
        let q = self.add_signal(format!("{name}_q"), width, SignalKind::Reg);
        let d = self.add_signal(format!("{name}_d"), width, SignalKind::Wire);
        let index = self.module.registers.len();
        self.module.registers.push(Register { name, q, d, reset: None, enable: None });
        RegBuilder { m: self, reg: Reg { index, q, d } }
    }

    /// Set the next value of a register.
    pub fn next(&mut self, reg: Reg, value: impl IntoExpr) {
        let v = value.into_expr(self);
        self.module.assigns.push(Assign { target: reg.d, value: v });
    }

    /// Give an already declared register a clock enable (1 bit).
    pub fn set_enable(&mut self, reg: Reg, en: impl IntoExpr) {
        let e = en.into_expr(self);
        self.module.registers[reg.index].enable = Some(e);
    }

    /// Drive a wire or output port.
    pub fn assign(&mut self, target: SignalId, value: impl IntoExpr) {
        let v = value.into_expr(self);
        self.module.assigns.push(Assign { target, value: v });
    }

    /// A memory of `depth` words of `width` bits (block-RAM inferable).
    pub fn memory(&mut self, name: impl Into<String>, width: u32, depth: u32) -> MemId {
        self.clock();
        let id = MemId(self.module.memories.len() as u32);
        self.module.memories.push(Memory {
            name: name.into(),
            width,
            depth,
            write: None,
            reads: Vec::new(),
            style: None,
        });
        id
    }

    /// The write port of `mem`: `if (en) mem[addr] <= data` at each rising edge.
    pub fn mem_write(&mut self, mem: MemId, en: impl IntoExpr, addr: impl IntoExpr, data: impl IntoExpr) {
        let (en, addr, data) = (en.into_expr(self), addr.into_expr(self), data.into_expr(self));
        self.module.memories[mem.index()].write = Some(MemWrite { en, addr, data, byte_en: None });
    }

    /// Ask synthesis for a kind of RAM: `(* ram_style = "<style>" *)` on `mem` (Yosys:
    /// `huge` for SPRAM, `block`, `distributed`, `logic`).
    pub fn mem_style(&mut self, mem: MemId, style: &str) {
        self.module.memories[mem.index()].style = Some(style.to_string());
    }

    /// The write port of `mem` with byte enables: `if (en && byte_en[i]) mem[addr][8i +: 8]
    /// <= data[8i +: 8]` for each byte `i` at each rising edge (`mem`'s width a multiple of
    /// 8, `byte_en` `width / 8` bits).
    pub fn mem_write_bytes(
        &mut self,
        mem: MemId,
        en: impl IntoExpr,
        addr: impl IntoExpr,
        data: impl IntoExpr,
        byte_en: impl IntoExpr,
    ) {
        let (en, addr, data) = (en.into_expr(self), addr.into_expr(self), data.into_expr(self));
        let byte_en = Some(byte_en.into_expr(self));
        self.module.memories[mem.index()].write = Some(MemWrite { en, addr, data, byte_en });
    }

    /// A synchronous read port of `mem`: `if (en) <name>_q <= mem[addr]` at each rising
    /// edge; returns the registered data signal `<name>_q`.
    pub fn mem_read(
        &mut self,
        mem: MemId,
        name: impl Into<String>,
        en: impl IntoExpr,
        addr: impl IntoExpr,
    ) -> SignalId {
        let (en, addr) = (en.into_expr(self), addr.into_expr(self));
        let width = self.module.memories[mem.index()].width;
        let data = self.add_signal(format!("{}_q", name.into()), width, SignalKind::Reg);
        self.module.memories[mem.index()].reads.push(MemRead { en, addr, data });
        data
    }

    /// An instance of `child` (already added to `design`) named `name`. Its clock and
    /// reset are connected to this module's `clk_i`/`rst_i`; connect every other port
    /// with [`ModuleBuilder::connect`].
    pub fn instance(&mut self, name: impl Into<String>, design: &Design, child: ModuleId) -> InstId {
        let cm = design.module(child);
        let id = InstId(self.module.instances.len() as u32);
        self.module.instances.push(Instance { name: name.into(), module: child, connections: Vec::new() });
        if cm.clock.is_some() {
            let c = self.clock();
            let e = self.sig(c);
            self.module.instances[id.index()].connections.push(("clk_i".into(), Connection::Input(e)));
        }
        if cm.reset.is_some() {
            let r = self.reset();
            let e = self.sig(r);
            self.module.instances[id.index()].connections.push(("rst_i".into(), Connection::Input(e)));
        }
        let ports = cm
            .ports
            .iter()
            .map(|p| {
                let s = cm.signal(*p);
                (s.name.clone(), s.width, s.kind)
            })
            .collect();
        self.child_ports.insert(id, ports);
        id
    }

    /// Drive the reset of instance `inst` from `rst` instead of this module's `rst_i`
    /// (for a block that a soft reset clears as well).
    pub fn connect_reset(&mut self, inst: InstId, rst: impl IntoExpr) {
        let e = rst.into_expr(self);
        for (name, conn) in &mut self.module.instances[inst.index()].connections {
            if name == "rst_i" {
                *conn = Connection::Input(e);
            }
        }
    }

    /// Connect port `port` of instance `inst`: an input port takes an expression of
    /// this module; an output port drives `value`, which must then be a plain wire or
    /// output signal of this module.
    pub fn connect(&mut self, inst: InstId, port: &str, value: impl IntoExpr) {
        let e = value.into_expr(self);
        let is_output = self
            .child_ports
            .get(&inst)
            .and_then(|ps| ps.iter().find(|(n, _, _)| n == port))
            .map(|(_, _, k)| *k == SignalKind::Output)
            .unwrap_or(false);
        let conn = if is_output {
            match self.module.expr(e).kind {
                ExprKind::Signal(s) => Connection::Output(s),
                // Recorded as an input so the checker reports "output connected to an
                // expression" with names.
                _ => Connection::Input(e),
            }
        } else {
            Connection::Input(e)
        };
        self.module.instances[inst.index()].connections.push((port.to_string(), conn));
    }

    /// Connect an output port of `inst` to a new wire of this module named `wire`.
    pub fn connect_wire(&mut self, inst: InstId, port: &str, wire: impl Into<String>) -> SignalId {
        let width = self
            .child_ports
            .get(&inst)
            .and_then(|ps| ps.iter().find(|(n, _, _)| n == port))
            .map(|(_, w, _)| *w)
            .unwrap_or(1);
        let w = self.wire(wire, width);
        self.connect(inst, port, w);
        w
    }

    /// Mark a signal as deliberately (partly) unread, so neither the checks nor the
    /// linter complain; the emitter collects these into one `unused_ok` wire.
    pub fn mark_unused(&mut self, sig: SignalId) {
        self.module.unused.push(sig);
    }

    /// Switch off one Verilator warning (`rule`, e.g. `UNSIGNED`) for this module, with
    /// the reason written next to it in the Verilog. For generated test logic; product
    /// blocks are expected to be clean without waivers.
    pub fn waive_lint(&mut self, rule: impl Into<String>, reason: impl Into<String>) {
        self.module.lint_waivers.push((rule.into(), reason.into()));
    }

    // ---- formal properties (emitted under `ifdef FORMAL`) -------------------------

    fn formal_signal(&mut self, name: String, width: u32, kind: FormalRegKind) -> ExprId {
        self.clock();
        let q = self.add_signal(name, width, SignalKind::Formal);
        self.module.formal.regs.push(FormalReg { q, kind });
        self.sig(q)
    }

    /// A formal-only register `name` that takes `value` at every edge, starting at
    /// `init` (any value when `None`). Read it only in properties and other formal
    /// registers; declare it first with [`ModuleBuilder::formal_reg_decl`] when its next
    /// value depends on itself.
    pub fn formal_reg(&mut self, name: impl Into<String>, value: impl IntoExpr, init: Option<u64>) -> ExprId {
        let d = value.into_expr(self);
        let width = self.width(d);
        let init = init.map(|v| Bits::from_u64(v, width));
        self.formal_signal(name.into(), width, FormalRegKind::Next { d, init })
    }

    /// A formal-only register of `width` bits whose next value is given later with
    /// [`ModuleBuilder::formal_next`] (for counters and trackers that read themselves).
    pub fn formal_reg_decl(&mut self, name: impl Into<String>, width: u32, init: Option<u64>) -> ExprId {
        let placeholder = self.lit(0, width);
        let init = init.map(|v| Bits::from_u64(v, width));
        self.formal_signal(name.into(), width, FormalRegKind::Next { d: placeholder, init })
    }

    /// Set the next value of a formal register declared with
    /// [`ModuleBuilder::formal_reg_decl`].
    ///
    /// # Panics
    /// When `reg` is not a formal register of this module (a block-author bug).
    pub fn formal_next(&mut self, reg: ExprId, value: impl IntoExpr) {
        let v = value.into_expr(self);
        let ExprKind::Signal(q) = self.module.expr(reg).kind else {
            panic!("module `{}`: formal_next on an expression, not a formal register", self.module.name)
        };
        let r = self.module.formal.regs.iter_mut().find(|r| r.q == q);
        match r {
            Some(FormalReg { kind: FormalRegKind::Next { d, .. }, .. }) => *d = v,
            _ => panic!("module `{}`: formal_next on a signal that is not a formal register", self.module.name),
        }
    }

    /// `$past(value)`: a formal register `f_past_<name>` holding `value` of the previous
    /// cycle (any value in the first cycle: guard with [`ModuleBuilder::formal_past_valid`]).
    /// Asking again for the same name returns the same register.
    pub fn past(&mut self, name: &str, value: impl IntoExpr) -> ExprId {
        let full = format!("f_past_{name}");
        if let Some(s) = self.module.find_signal(&full).filter(|s| self.module.signal(*s).kind == SignalKind::Formal) {
            return self.sig(s);
        }
        self.formal_reg(full, value, None)
    }

    /// `$past(signal)`, named after the signal (`f_past_<signal>`).
    pub fn past_of(&mut self, s: SignalId) -> ExprId {
        let name = self.module.signal(s).name.clone();
        self.past(&name, s)
    }

    /// `f_past_valid`: 0 in the first cycle of a trace, 1 after (one per module).
    pub fn formal_past_valid(&mut self) -> ExprId {
        if let Some(s) = self.module.find_signal("f_past_valid") {
            return self.sig(s);
        }
        let one = self.lit(1, 1);
        self.formal_reg("f_past_valid", one, Some(0))
    }

    /// A value the solver picks once per trace (`(* anyconst *)`).
    pub fn any_const(&mut self, name: impl Into<String>, width: u32) -> ExprId {
        self.formal_signal(name.into(), width, FormalRegKind::AnyConst)
    }

    /// A value the solver picks anew in each cycle (`(* anyseq *)`).
    pub fn any_seq(&mut self, name: impl Into<String>, width: u32) -> ExprId {
        self.formal_signal(name.into(), width, FormalRegKind::AnySeq)
    }

    /// A formal property: when `enable` (1 bit, `None`: always) holds, `cond` (1 bit) must
    /// hold (assert), is assumed (assume) or is to be reached (cover).
    pub fn property(
        &mut self,
        kind: PropertyKind,
        name: impl Into<String>,
        doc: impl Into<String>,
        enable: Option<ExprId>,
        cond: impl IntoExpr,
    ) {
        let cond = cond.into_expr(self);
        let (name, doc) = (name.into(), doc.into());
        self.module.formal.props.push(FormalProperty { kind, name, doc, enable, cond });
    }

    /// `assert (cond)` in every cycle after the first (registers are arbitrary before
    /// the first edge; the proofs assume reset then).
    pub fn assert_always(&mut self, name: impl Into<String>, doc: impl Into<String>, cond: impl IntoExpr) {
        let pv = self.formal_past_valid();
        self.property(PropertyKind::Assert, name, doc, Some(pv), cond);
    }

    /// `assert (cond)` whenever `when` holds, after the first cycle.
    pub fn assert_when(
        &mut self,
        name: impl Into<String>,
        doc: impl Into<String>,
        when: impl IntoExpr,
        cond: impl IntoExpr,
    ) {
        self.property_when(PropertyKind::Assert, name, doc, when, cond);
    }

    /// `assume (cond)` whenever `when` holds, after the first cycle.
    pub fn assume_when(
        &mut self,
        name: impl Into<String>,
        doc: impl Into<String>,
        when: impl IntoExpr,
        cond: impl IntoExpr,
    ) {
        self.property_when(PropertyKind::Assume, name, doc, when, cond);
    }

    /// A property of `kind` enabled by `when` and by every cycle after the first.
    fn property_when(
        &mut self,
        kind: PropertyKind,
        name: impl Into<String>,
        doc: impl Into<String>,
        when: impl IntoExpr,
        cond: impl IntoExpr,
    ) {
        let pv = self.formal_past_valid();
        let w = when.into_expr(self);
        let en = self.and(pv, w);
        self.property(kind, name, doc, Some(en), cond);
    }

    /// The usual start of a proof: `rst_i` is assumed high in the first cycle.
    pub fn assume_initial_reset(&mut self) {
        let pv = self.formal_past_valid();
        let first = self.not(pv);
        let rst = self.reset();
        self.property(PropertyKind::Assume, "f_initial_reset", "the trace starts in reset", Some(first), rst);
    }

    /// Finish: the module, ready for [`Design::add`](crate::Design::add).
    pub fn finish(self) -> Module {
        self.module
    }

    // ---- expressions -------------------------------------------------------------

    fn push(&mut self, kind: ExprKind, width: u32) -> ExprId {
        let id = ExprId(self.module.exprs.len() as u32);
        self.module.exprs.push(Expr { kind, width });
        id
    }

    /// Width of an expression.
    pub fn width(&self, e: ExprId) -> u32 {
        self.module.expr(e).width
    }

    fn constant(&self, e: ExprId) -> Option<&Bits> {
        match &self.module.expr(e).kind {
            ExprKind::Const(b) => Some(b),
            _ => None,
        }
    }

    /// The current value of a signal.
    pub fn sig(&mut self, s: SignalId) -> ExprId {
        if let Some(e) = self.signal_exprs.get(&s) {
            return *e;
        }
        let width = self.module.signal(s).width;
        let e = self.push(ExprKind::Signal(s), width);
        self.signal_exprs.insert(s, e);
        e
    }

    /// A constant `value` of `width` bits (truncated).
    pub fn lit(&mut self, value: u64, width: u32) -> ExprId {
        self.lit_bits(Bits::from_u64(value, width))
    }

    /// A signed constant in two's complement of `width` bits.
    pub fn lit_i64(&mut self, value: i64, width: u32) -> ExprId {
        self.lit_bits(Bits::from_i64(value, width))
    }

    /// A constant of any width.
    pub fn lit_bits(&mut self, value: Bits) -> ExprId {
        let w = value.width();
        self.push(ExprKind::Const(value), w)
    }

    /// A unary operation.
    pub fn unary(&mut self, op: UnaryOp, a: impl IntoExpr) -> ExprId {
        let a = a.into_expr(self);
        if let Some(c) = self.constant(a) {
            let v = ops::unary(op, c);
            return self.lit_bits(v);
        }
        // A zero-extended value's reduction is the inner value's (AND is then 0).
        if let ExprKind::Ext { value, signed: false } = self.module.expr(a).kind {
            match op {
                UnaryOp::AndReduce => return self.lit(0, 1),
                UnaryOp::OrReduce | UnaryOp::XorReduce => return self.unary(op, value),
                _ => {}
            }
        }
        let width = match op {
            UnaryOp::Not | UnaryOp::Neg => self.width(a),
            _ => 1,
        };
        self.push(ExprKind::Unary(op, a), width)
    }

    /// A binary operation (see [`BinaryOp`] for the width rules).
    pub fn binary(&mut self, op: BinaryOp, a: impl IntoExpr, b: impl IntoExpr) -> ExprId {
        let a = a.into_expr(self);
        let b = b.into_expr(self);
        let wa = self.width(a);
        let wb = self.width(b);
        if let (Some(x), Some(y)) = (self.constant(a), self.constant(b)) {
            if wa == wb || op.is_shift() {
                let v = ops::binary(op, x, y);
                return self.lit_bits(v);
            }
        }
        if let Some(v) = self.constant_compare(op, a, b) {
            return self.lit(v as u64, 1);
        }
        let width = if op.is_compare() { 1 } else { wa };
        self.push(ExprKind::Binary(op, a, b), width)
    }

    /// The value of an unsigned comparison against 0 or all-ones that holds for every
    /// value of the other operand (`x >= 0`, `x < 0`, `x <= ~0` …): folded, as Verilator
    /// warns about such constant comparisons.
    fn constant_compare(&self, op: BinaryOp, a: ExprId, b: ExprId) -> Option<bool> {
        let is = |e: ExprId, ones: bool| {
            self.constant(e).is_some_and(|c| if ones { *c == Bits::ones(c.width()) } else { c.is_zero() })
        };
        match op {
            BinaryOp::Lt if is(b, false) || is(a, true) => Some(false),
            BinaryOp::Ge if is(b, false) || is(a, true) => Some(true),
            BinaryOp::Gt if is(a, false) || is(b, true) => Some(false),
            BinaryOp::Le if is(a, false) || is(b, true) => Some(true),
            _ => None,
        }
    }

    /// `sel ? t : f`; folded when `sel` is a constant or both arms are the same value (so
    /// that a comparison with it can fold too: `x > (s ? 3 : 3)` with a 2-bit `x`).
    pub fn mux(&mut self, sel: impl IntoExpr, t: impl IntoExpr, f: impl IntoExpr) -> ExprId {
        let (sel, t, f) = (sel.into_expr(self), t.into_expr(self), f.into_expr(self));
        if let Some(c) = self.constant(sel) {
            if self.width(sel) == 1 {
                return if c.is_zero() { f } else { t };
            }
        }
        let same_constant = matches!((self.constant(t), self.constant(f)), (Some(a), Some(b)) if a == b);
        if t == f || same_constant {
            return t;
        }
        let width = self.width(t);
        self.push(ExprKind::Mux { sel, if_true: t, if_false: f }, width)
    }

    /// Concatenation, most significant part first.
    pub fn concat<E: IntoExpr>(&mut self, parts: impl IntoIterator<Item = E>) -> ExprId {
        let parts: Vec<ExprId> = parts.into_iter().map(|p| p.into_expr(self)).collect();
        if parts.len() == 1 {
            return parts[0];
        }
        let consts: Option<Vec<Bits>> = parts.iter().map(|p| self.constant(*p).cloned()).collect();
        if let Some(cs) = consts {
            if !cs.is_empty() {
                let refs: Vec<&Bits> = cs.iter().collect();
                let v = ops::concat(&refs);
                return self.lit_bits(v);
            }
        }
        let width = parts.iter().map(|p| self.width(*p)).sum();
        self.push(ExprKind::Concat(parts), width)
    }

    /// Bits `[lo + width - 1 : lo]` of `a`.
    pub fn slice(&mut self, a: impl IntoExpr, lo: u32, width: u32) -> ExprId {
        let a = a.into_expr(self);
        if lo == 0 && width == self.width(a) {
            return a;
        }
        if let Some(c) = self.constant(a) {
            if lo + width <= c.width() {
                let v = ops::slice(c, lo, width);
                return self.lit_bits(v);
            }
        }
        self.push(ExprKind::Slice { value: a, lo }, width)
    }

    /// Bit `i` of `a`.
    pub fn bit(&mut self, a: impl IntoExpr, i: u32) -> ExprId {
        self.slice(a, i, 1)
    }

    /// Zero extension to `width`.
    pub fn zext(&mut self, a: impl IntoExpr, width: u32) -> ExprId {
        self.ext(a, width, false)
    }

    /// Sign extension to `width`.
    pub fn sext(&mut self, a: impl IntoExpr, width: u32) -> ExprId {
        self.ext(a, width, true)
    }

    fn ext(&mut self, a: impl IntoExpr, width: u32, signed: bool) -> ExprId {
        let a = a.into_expr(self);
        if width == self.width(a) {
            return a;
        }
        if let Some(c) = self.constant(a) {
            if width > c.width() {
                let v = ops::ext(c, width, signed);
                return self.lit_bits(v);
            }
        }
        self.push(ExprKind::Ext { value: a, signed }, width)
    }

    /// The low `width` bits of `a` (truncation).
    pub fn trunc(&mut self, a: impl IntoExpr, width: u32) -> ExprId {
        self.slice(a, 0, width)
    }

    /// `a` resized to `width`: truncated, or zero/sign-extended.
    pub fn resize(&mut self, a: impl IntoExpr, width: u32, signed: bool) -> ExprId {
        let a = a.into_expr(self);
        if width <= self.width(a) {
            self.trunc(a, width)
        } else {
            self.ext(a, width, signed)
        }
    }
}

macro_rules! binops {
    ($($(#[$doc:meta])* $fn:ident => $op:ident,)*) => {
        impl ModuleBuilder {
            $(
                $(#[$doc])*
                pub fn $fn(&mut self, a: impl IntoExpr, b: impl IntoExpr) -> ExprId {
                    self.binary(BinaryOp::$op, a, b)
                }
            )*
        }
    };
}

binops! {
    /// `a + b`, wrapping.
    add => Add,
    /// `a - b`, wrapping.
    sub => Sub,
    /// `a * b` truncated to the operand width.
    mul => Mul,
    /// Bitwise and.
    and => And,
    /// Bitwise or.
    or => Or,
    /// Bitwise xor.
    xor => Xor,
    /// `a == b`, 1 bit.
    eq => Eq,
    /// `a != b`, 1 bit.
    ne => Ne,
    /// Unsigned `a < b`.
    lt => Lt,
    /// Unsigned `a <= b`.
    le => Le,
    /// Unsigned `a > b`.
    gt => Gt,
    /// Unsigned `a >= b`.
    ge => Ge,
    /// Signed `a < b`.
    lt_s => LtS,
    /// Signed `a <= b`.
    le_s => LeS,
    /// Signed `a > b`.
    gt_s => GtS,
    /// Signed `a >= b`.
    ge_s => GeS,
    /// `a << b`.
    shl => Shl,
    /// Logical `a >> b`.
    shr => Shr,
    /// Arithmetic `a >>> b`.
    sar => Sar,
}

impl ModuleBuilder {
    /// `a + 1`, wrapping at the width of `a`.
    pub fn inc(&mut self, a: impl IntoExpr) -> ExprId {
        let a = a.into_expr(self);
        let one = self.lit(1, self.width(a));
        self.add(a, one)
    }

    /// `a - 1`, wrapping at the width of `a`.
    pub fn dec(&mut self, a: impl IntoExpr) -> ExprId {
        let a = a.into_expr(self);
        let one = self.lit(1, self.width(a));
        self.sub(a, one)
    }

    /// `a == value`, the constant taken at the width of `a`.
    pub fn eq_const(&mut self, a: impl IntoExpr, value: u64) -> ExprId {
        let a = a.into_expr(self);
        let k = self.lit(value, self.width(a));
        self.eq(a, k)
    }

    /// `a == 0`, one bit.
    pub fn is_zero(&mut self, a: impl IntoExpr) -> ExprId {
        let any = self.any(a);
        self.not(any)
    }

    /// Bitwise not.
    pub fn not(&mut self, a: impl IntoExpr) -> ExprId {
        self.unary(UnaryOp::Not, a)
    }

    /// Two's-complement negation.
    pub fn neg(&mut self, a: impl IntoExpr) -> ExprId {
        self.unary(UnaryOp::Neg, a)
    }

    /// OR of all bits.
    pub fn any(&mut self, a: impl IntoExpr) -> ExprId {
        self.unary(UnaryOp::OrReduce, a)
    }

    /// AND of all bits.
    pub fn all(&mut self, a: impl IntoExpr) -> ExprId {
        self.unary(UnaryOp::AndReduce, a)
    }

    /// XOR of all bits (parity).
    pub fn parity(&mut self, a: impl IntoExpr) -> ExprId {
        self.unary(UnaryOp::XorReduce, a)
    }

    /// Full signed product of `a` and `b`: both sign-extended to `wa + wb` bits, then
    /// multiplied (no overflow).
    pub fn mul_signed_full(&mut self, a: impl IntoExpr, b: impl IntoExpr) -> ExprId {
        let (a, b) = (a.into_expr(self), b.into_expr(self));
        let w = self.width(a) + self.width(b);
        let xa = self.sext(a, w);
        let xb = self.sext(b, w);
        self.mul(xa, xb)
    }
}
