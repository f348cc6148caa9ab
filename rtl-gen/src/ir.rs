//! The IR: a [`Design`] owns [`Module`]s; a module owns its signals, expressions,
//! registers, memories and instances in arenas addressed by small `Copy` handles.
//!
//! Every value is an unsigned bit vector of a known width. Operations that care about
//! sign say so in the operator (`LtS`, `Sar`, sign extension); there are no implicit
//! width conversions: the operands of `+`, `&`, `==`, `?:` … have the same width, and
//! widths change only through [`ExprKind::Ext`], [`ExprKind::Slice`] and
//! [`ExprKind::Concat`]. The checks in [`crate::check`] enforce this before anything
//! is emitted or simulated, so the Verilog emitter and the interpreter agree by
//! construction.

use crate::Bits;
use std::fmt;

macro_rules! handle {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u32);
        impl $name {
            /// Position in the owning arena.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

handle!(
    /// A module of a [`Design`].
    ModuleId
);
handle!(
    /// A signal (port, wire or register output) of a [`Module`].
    SignalId
);
handle!(
    /// An expression node of a [`Module`].
    ExprId
);
handle!(
    /// A memory array of a [`Module`].
    MemId
);
handle!(
    /// An instance of a child module inside a [`Module`].
    InstId
);

/// What drives a signal and how it is declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignalKind {
    /// Module input port (`input wire`).
    Input,
    /// Module output port (`output wire`), driven by one assignment or instance output.
    Output,
    /// Internal wire, driven by one assignment or instance output.
    Wire,
    /// Current value of a register or of a memory read port (`reg`), driven by the clock.
    Reg,
    /// A formal-only register ([`FormalReg`]): declared and driven only inside
    /// `` `ifdef FORMAL``, read only by formal properties and other formal registers.
    /// Simulators and synthesis never see it.
    Formal,
}

/// A named signal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signal {
    /// Verilog name.
    pub name: String,
    /// Width in bits (at least 1).
    pub width: u32,
    /// Declaration and driver kind.
    pub kind: SignalKind,
}

/// A unary operator; the result has the operand's width unless it is a reduction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// Bitwise not `~a`.
    Not,
    /// Two's-complement negation `-a` (wrapping).
    Neg,
    /// AND of all bits, 1 bit.
    AndReduce,
    /// OR of all bits, 1 bit.
    OrReduce,
    /// XOR of all bits, 1 bit.
    XorReduce,
}

/// A binary operator.
///
/// Arithmetic and bitwise operators take two operands of equal width and give that
/// width (arithmetic wraps). Comparisons take equal widths and give 1 bit. Shifts take
/// a value and an amount of any width and give the value's width.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Sub,
    /// Product truncated to the operand width; to get a full product, extend the
    /// operands first (sign-extend both for a signed product).
    Mul,
    And,
    Or,
    Xor,
    Eq,
    Ne,
    /// Unsigned less-than.
    Lt,
    Le,
    Gt,
    Ge,
    /// Signed (two's-complement) less-than.
    LtS,
    LeS,
    GtS,
    GeS,
    /// Shift left, zeros in.
    Shl,
    /// Logical shift right, zeros in.
    Shr,
    /// Arithmetic shift right, sign bits in.
    Sar,
}

impl BinaryOp {
    /// True for operators whose result is 1 bit.
    pub fn is_compare(self) -> bool {
        use BinaryOp::*;
        matches!(self, Eq | Ne | Lt | Le | Gt | Ge | LtS | LeS | GtS | GeS)
    }

    /// True for shifts (the amount may have any width).
    pub fn is_shift(self) -> bool {
        matches!(self, BinaryOp::Shl | BinaryOp::Shr | BinaryOp::Sar)
    }

    /// The operator as written in Verilog (signed forms are emitted around it).
    pub fn verilog(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Add => "+",
            Sub => "-",
            Mul => "*",
            And => "&",
            Or => "|",
            Xor => "^",
            Eq => "==",
            Ne => "!=",
            Lt | LtS => "<",
            Le | LeS => "<=",
            Gt | GtS => ">",
            Ge | GeS => ">=",
            Shl => "<<",
            Shr => ">>",
            Sar => ">>>",
        }
    }
}

/// The shape of an expression node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprKind {
    /// A constant.
    Const(Bits),
    /// The current value of a signal.
    Signal(SignalId),
    /// A unary operation.
    Unary(UnaryOp, ExprId),
    /// A binary operation.
    Binary(BinaryOp, ExprId, ExprId),
    /// `sel ? if_true : if_false`, `sel` 1 bit.
    Mux { sel: ExprId, if_true: ExprId, if_false: ExprId },
    /// Concatenation, most significant part first (as in Verilog `{a, b}`).
    Concat(Vec<ExprId>),
    /// Bits `[lo + width - 1 : lo]` of the operand (`width` is the node's width).
    Slice { value: ExprId, lo: u32 },
    /// Zero or sign extension to the node's width (never narrower than the operand).
    Ext { value: ExprId, signed: bool },
}

/// An expression node with its result width.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    /// Shape.
    pub kind: ExprKind,
    /// Result width in bits.
    pub width: u32,
}

/// A clocked register: `q` takes `d` at each rising edge of `clk_i` (when `enable`
/// is high, if there is one), or the reset value while `rst_i` is high.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Register {
    /// Base name (`acc` gives `acc_q` and `acc_d`).
    pub name: String,
    /// Current value, a [`SignalKind::Reg`] signal named `<name>_q`.
    pub q: SignalId,
    /// Next value, a wire named `<name>_d`, assigned with `ModuleBuilder::next`.
    pub d: SignalId,
    /// Synchronous active-high reset value; `None` for data registers without reset.
    pub reset: Option<Bits>,
    /// Clock enable (1 bit), if any.
    pub enable: Option<ExprId>,
}

/// The write port of a memory: at a rising edge with `en` high, `mem[addr] <= data`, or
/// with byte enables only the bytes whose enable is high.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemWrite {
    /// Write enable, 1 bit.
    pub en: ExprId,
    /// Address, `addr_width` bits.
    pub addr: ExprId,
    /// Data, the memory's width.
    pub data: ExprId,
    /// Byte enables, `width / 8` bits (bit `i` writes bits `8i .. 8i + 7`); `None`: the
    /// whole word. Single-port RAMs with write masks (SPRAM) are inferred from these.
    pub byte_en: Option<ExprId>,
}

/// A synchronous read port: at a rising edge with `en` high, `data <= mem[addr]`.
/// A read of the address being written returns the old contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemRead {
    /// Read enable, 1 bit.
    pub en: ExprId,
    /// Address, `addr_width` bits.
    pub addr: ExprId,
    /// Registered read data, a [`SignalKind::Reg`] signal.
    pub data: SignalId,
}

/// A memory array, inferable as block RAM: one write port, one or two read ports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Memory {
    /// Verilog name of the array.
    pub name: String,
    /// Word width in bits.
    pub width: u32,
    /// Number of words.
    pub depth: u32,
    /// The write port.
    pub write: Option<MemWrite>,
    /// The read ports.
    pub reads: Vec<MemRead>,
    /// Synthesis hint emitted as `(* ram_style = "..." *)` (`huge`: the device's large
    /// single-port RAM, SPRAM on the iCE40 UP5K); `None`: the tool chooses.
    pub style: Option<String>,
}

impl Memory {
    /// Width of an address: ceil(log2(depth)), at least 1.
    pub fn addr_width(&self) -> u32 {
        clog2(self.depth as u64).max(1)
    }
}

/// Ceiling of log2 (`clog2(1) == 0`, `clog2(5) == 3`).
pub fn clog2(n: u64) -> u32 {
    if n <= 1 {
        0
    } else {
        64 - (n - 1).leading_zeros()
    }
}

/// What a port of an instance is connected to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Connection {
    /// An input port of the child, driven by an expression of the parent.
    Input(ExprId),
    /// An output port of the child, driving a wire or output of the parent.
    Output(SignalId),
}

/// An instance of a child module with named port connections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instance {
    /// Instance name (`pe_r0_c1`).
    pub name: String,
    /// The instantiated module.
    pub module: ModuleId,
    /// Port name of the child, and what it connects to, in the order they were given.
    pub connections: Vec<(String, Connection)>,
}

/// `target = value`, a continuous assignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assign {
    /// A wire or output port.
    pub target: SignalId,
    /// The value, of the target's width.
    pub value: ExprId,
}

/// How a formal-only register gets its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormalRegKind {
    /// Takes `d` at every rising edge of `clk_i` (no reset); starts at `init` if given,
    /// otherwise at any value. With `d` a signal of the module, `q` is `$past(d)`.
    Next { d: ExprId, init: Option<Bits> },
    /// Any value, chosen by the solver once and constant over the trace (`anyconst`).
    AnyConst,
    /// Any value, chosen by the solver anew in each cycle (`anyseq`).
    AnySeq,
}

/// A register that exists only for the proofs (`f_*` names by convention).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormalReg {
    /// Its value, a [`SignalKind::Formal`] signal.
    pub q: SignalId,
    /// How it is driven.
    pub kind: FormalRegKind,
}

/// What a formal property asks of the solver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PropertyKind {
    /// Must hold in every reachable cycle.
    Assert,
    /// Restricts the traces considered (the environment's promises).
    Assume,
    /// Must be reachable (a trace where it holds is searched for).
    Cover,
}

impl PropertyKind {
    /// The SystemVerilog immediate statement.
    pub fn verilog(self) -> &'static str {
        match self {
            PropertyKind::Assert => "assert",
            PropertyKind::Assume => "assume",
            PropertyKind::Cover => "cover",
        }
    }
}

/// An immediate property, checked in every cycle: `if (enable) <kind> (cond);`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormalProperty {
    /// Assert, assume or cover.
    pub kind: PropertyKind,
    /// Label (a Verilog identifier), shown by the solver when the property fails.
    pub name: String,
    /// One line saying what the property means.
    pub doc: String,
    /// 1-bit condition under which the property is checked; `None`: always.
    pub enable: Option<ExprId>,
    /// The 1-bit condition.
    pub cond: ExprId,
}

/// The formal view of a module, emitted inside `` `ifdef FORMAL`` at the end of its file
/// and ignored by the interpreter and the simulators.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Formal {
    /// Formal-only registers, in declaration order.
    pub regs: Vec<FormalReg>,
    /// Properties, in the order given.
    pub props: Vec<FormalProperty>,
}

impl Formal {
    /// True when the module has no formal content.
    pub fn is_empty(&self) -> bool {
        self.regs.is_empty() && self.props.is_empty()
    }

    /// Every expression the formal view reads.
    pub fn expr_roots(&self) -> Vec<ExprId> {
        let mut r = Vec::new();
        for reg in &self.regs {
            if let FormalRegKind::Next { d, .. } = reg.kind {
                r.push(d);
            }
        }
        for p in &self.props {
            r.extend(p.enable);
            r.push(p.cond);
        }
        r
    }
}

/// A hardware module: ports, internal signals and the logic between them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Module {
    /// Verilog module name.
    pub name: String,
    /// One-paragraph description, emitted in the file header.
    pub doc: String,
    /// Generation parameters (name, value), emitted in the file header.
    pub params: Vec<(String, String)>,
    /// The clock input `clk_i`, present when the module or a child has state.
    pub clock: Option<SignalId>,
    /// The reset: the input `rst_i`, present when a register or a child needs it, or an
    /// internal wire (`ModuleBuilder::internal_reset`) driven by logic of the module.
    pub reset: Option<SignalId>,
    /// Ports in declaration order (clock and reset first).
    pub ports: Vec<SignalId>,
    /// All signals.
    pub signals: Vec<Signal>,
    /// All expression nodes.
    pub exprs: Vec<Expr>,
    /// Continuous assignments, in the order given.
    pub assigns: Vec<Assign>,
    /// Registers.
    pub registers: Vec<Register>,
    /// Memories.
    pub memories: Vec<Memory>,
    /// Child instances.
    pub instances: Vec<Instance>,
    /// Signals deliberately left (partly) unread, collected for the linter.
    pub unused: Vec<SignalId>,
    /// Verilator warnings deliberately switched off in this module: (rule, reason).
    /// Emitted as `lint_off` comments with the reason, so a reader sees why.
    pub lint_waivers: Vec<(String, String)>,
    /// Formal properties and their helper registers (`` `ifdef FORMAL``).
    pub formal: Formal,
}

impl Module {
    /// The signal behind a handle.
    pub fn signal(&self, id: SignalId) -> &Signal {
        &self.signals[id.index()]
    }

    /// The expression behind a handle.
    pub fn expr(&self, id: ExprId) -> &Expr {
        &self.exprs[id.index()]
    }

    /// Find a port by name.
    pub fn port(&self, name: &str) -> Option<SignalId> {
        self.ports.iter().copied().find(|p| self.signal(*p).name == name)
    }

    /// Find any signal by name.
    pub fn find_signal(&self, name: &str) -> Option<SignalId> {
        (0..self.signals.len() as u32).map(SignalId).find(|s| self.signal(*s).name == name)
    }

    /// The expressions the module reads: assignments, register enables, memory ports
    /// and instance inputs (the roots of everything emitted or simulated).
    pub fn expr_roots(&self) -> Vec<ExprId> {
        let mut r: Vec<ExprId> = self.assigns.iter().map(|a| a.value).collect();
        r.extend(self.registers.iter().filter_map(|x| x.enable));
        for mem in &self.memories {
            if let Some(w) = &mem.write {
                r.extend([w.en, w.addr, w.data]);
                r.extend(w.byte_en);
            }
            for rp in &mem.reads {
                r.extend([rp.en, rp.addr]);
            }
        }
        for inst in &self.instances {
            for (_, c) in &inst.connections {
                if let Connection::Input(e) = c {
                    r.push(*e);
                }
            }
        }
        r
    }

    /// A short human-readable rendering of an expression, for error messages.
    pub fn describe(&self, id: ExprId) -> String {
        let e = self.expr(id);
        match &e.kind {
            ExprKind::Const(b) => format!("{b}"),
            ExprKind::Signal(s) => format!("`{}`", self.signal(*s).name),
            ExprKind::Unary(op, a) => format!("{op:?}({})", self.describe(*a)),
            ExprKind::Binary(op, a, b) => {
                format!("({} {} {})", self.describe(*a), op.verilog(), self.describe(*b))
            }
            ExprKind::Mux { sel, .. } => format!("mux on {}", self.describe(*sel)),
            ExprKind::Concat(parts) => format!("concat of {} parts", parts.len()),
            ExprKind::Slice { value, lo } => {
                format!("{}[{}:{}]", self.describe(*value), lo + e.width - 1, lo)
            }
            ExprKind::Ext { value, signed } => {
                format!("{}ext({}, {})", if *signed { "s" } else { "z" }, self.describe(*value), e.width)
            }
        }
    }
}

/// A set of modules; children are added before the modules that instance them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Design {
    /// Modules in the order they were added.
    pub modules: Vec<Module>,
}

impl Design {
    /// An empty design.
    pub fn new() -> Self {
        Self::default()
    }

    /// The module behind a handle.
    pub fn module(&self, id: ModuleId) -> &Module {
        &self.modules[id.index()]
    }

    /// Find a module by name.
    pub fn find(&self, name: &str) -> Option<ModuleId> {
        self.modules.iter().position(|m| m.name == name).map(|i| ModuleId(i as u32))
    }

    /// Modules reachable from `top`, children before parents (the order of `filelist.f`).
    pub fn dependency_order(&self, top: ModuleId) -> Vec<ModuleId> {
        fn visit(d: &Design, id: ModuleId, seen: &mut Vec<bool>, out: &mut Vec<ModuleId>) {
            if seen[id.index()] {
                return;
            }
            seen[id.index()] = true;
            for inst in &d.module(id).instances {
                visit(d, inst.module, seen, out);
            }
            out.push(id);
        }
        let mut seen = vec![false; self.modules.len()];
        let mut out = Vec::new();
        visit(self, top, &mut seen, &mut out);
        out
    }
}

impl fmt::Display for SignalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            SignalKind::Input => "input",
            SignalKind::Output => "output",
            SignalKind::Wire => "wire",
            SignalKind::Reg => "register",
            SignalKind::Formal => "formal register",
        };
        f.write_str(s)
    }
}

#[cfg(test)]
mod tests {
    use super::clog2;

    #[test]
    fn clog2_matches_definition() {
        assert_eq!(clog2(0), 0);
        assert_eq!(clog2(1), 0);
        assert_eq!(clog2(2), 1);
        assert_eq!(clog2(5), 3);
        assert_eq!(clog2(256), 8);
        assert_eq!(clog2(257), 9);
    }
}
