//! The checks a module passes before it joins a [`Design`]: names, widths, drivers,
//! combinational loops, instance connections and unread signals.
//!
//! Every error names the module, the signal (or instance, port, memory) and the numbers
//! involved. A module that passes is emitted lint-clean and simulates identically on the
//! interpreter and in Verilator.

use crate::builder::ModuleBuilder;
use crate::ir::*;
use std::collections::{HashMap, HashSet};
use std::fmt;
use thiserror::Error;

/// Largest signal width the kernel accepts (bits).
pub const MAX_WIDTH: u32 = 1 << 16;

/// One problem found in a module.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum CheckError {
    #[error("module `{module}`: a module of that name is already in the design")]
    DuplicateModule { module: String },
    #[error("module `{module}`: `{name}` is not a usable Verilog identifier ({why})")]
    BadName { module: String, name: String, why: &'static str },
    #[error("module `{module}`: the name `{name}` is declared twice ({first} and {second})")]
    NameClash { module: String, name: String, first: String, second: String },
    #[error("module `{module}`: {what} `{name}` has width {width}; widths must be 1 to {max}")]
    BadWidth { module: String, what: &'static str, name: String, width: u32, max: u32 },
    #[error("module `{module}`: in {context}: {detail}")]
    WidthMismatch { module: String, context: String, detail: String },
    #[error("module `{module}`: {kind} `{signal}` is never driven{hint}")]
    Undriven { module: String, kind: String, signal: String, hint: String },
    #[error("module `{module}`: {kind} `{signal}` has {count} drivers ({drivers}); it must have exactly one")]
    MultiplyDriven { module: String, kind: String, signal: String, count: usize, drivers: String },
    #[error("module `{module}`: {kind} `{signal}` cannot be driven by {by}")]
    IllegalDriver { module: String, kind: String, signal: String, by: String },
    #[error("module `{module}`: combinational loop: {path}")]
    CombLoop { module: String, path: String },
    #[error("module `{module}`: instance `{instance}` of `{child}`: {detail}")]
    Connection { module: String, instance: String, child: String, detail: String },
    #[error("module `{module}`: {kind} `{signal}` is never read{bits}; use it or mark it with `mark_unused`")]
    Unused { module: String, kind: String, signal: String, bits: String },
    #[error("module `{module}`: memory `{memory}`: {detail}")]
    Memory { module: String, memory: String, detail: String },
    /// A generator parameter of a block is outside what the block supports.
    #[error("module `{module}`: parameter `{parameter}`: {value} is out of range: {allowed}")]
    Parameter { module: String, parameter: String, value: String, allowed: String },
    /// Logic that simulators and synthesis see reads a formal-only register.
    #[error("module `{module}`: formal register `{signal}` is read by {by}; only formal properties may read it")]
    FormalInLogic { module: String, signal: String, by: String },
}

/// All problems found in a module, printed one per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckErrors(pub Vec<CheckError>);

impl fmt::Display for CheckErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CheckErrors {}

impl Design {
    /// Check a finished module against this design and add it.
    ///
    /// Returns every problem found, or the new module's handle.
    pub fn add(&mut self, builder: ModuleBuilder) -> Result<ModuleId, CheckErrors> {
        let module = builder.finish();
        let errors = check_module(self, &module);
        if !errors.is_empty() {
            return Err(CheckErrors(errors));
        }
        self.modules.push(module);
        Ok(ModuleId(self.modules.len() as u32 - 1))
    }
}

const KEYWORDS: &[&str] = &[
    "always",
    "and",
    "assign",
    "automatic",
    "begin",
    "buf",
    "bufif0",
    "bufif1",
    "case",
    "casex",
    "casez",
    "cell",
    "cmos",
    "config",
    "deassign",
    "default",
    "defparam",
    "design",
    "disable",
    "edge",
    "else",
    "end",
    "endcase",
    "endconfig",
    "endfunction",
    "endgenerate",
    "endmodule",
    "endprimitive",
    "endspecify",
    "endtable",
    "endtask",
    "event",
    "for",
    "force",
    "forever",
    "fork",
    "function",
    "generate",
    "genvar",
    "highz0",
    "highz1",
    "if",
    "ifnone",
    "incdir",
    "include",
    "initial",
    "inout",
    "input",
    "instance",
    "integer",
    "join",
    "large",
    "liblist",
    "library",
    "localparam",
    "macromodule",
    "medium",
    "module",
    "nand",
    "negedge",
    "nmos",
    "nor",
    "noshowcancelled",
    "not",
    "notif0",
    "notif1",
    "or",
    "output",
    "parameter",
    "pmos",
    "posedge",
    "primitive",
    "pull0",
    "pull1",
    "pulldown",
    "pullup",
    "pulsestyle_onevent",
    "pulsestyle_ondetect",
    "rcmos",
    "real",
    "realtime",
    "reg",
    "release",
    "repeat",
    "rnmos",
    "rpmos",
    "rtran",
    "rtranif0",
    "rtranif1",
    "scalared",
    "showcancelled",
    "signed",
    "small",
    "specify",
    "specparam",
    "strong0",
    "strong1",
    "supply0",
    "supply1",
    "table",
    "task",
    "time",
    "tran",
    "tranif0",
    "tranif1",
    "tri",
    "tri0",
    "tri1",
    "triand",
    "trior",
    "trireg",
    "unsigned",
    "use",
    "uwire",
    "vectored",
    "wait",
    "wand",
    "weak0",
    "weak1",
    "while",
    "wire",
    "wor",
    "xnor",
    "xor", // SystemVerilog keywords that Verilator rejects as names
    "logic",
    "bit",
    "byte",
    "int",
    "shortint",
    "longint",
    "interface",
    "package",
    "class",
    "program",
    "property",
    "sequence",
    "assert",
    "assume",
    "cover",
    "final",
    "type",
    "string",
    "const",
    "var",
    "void",
    "return",
    "break",
    "continue",
    "struct",
    "union",
    "enum",
    "typedef",
    "unique",
    "priority",
    "do",
    "foreach",
    "bind",
    "chandle",
    "clocking",
    "context",
    "export",
    "extends",
    "import",
    "inside",
    "local",
    "modport",
    "new",
    "null",
    "packed",
    "protected",
    "pure",
    "rand",
    "randc",
    "ref",
    "static",
    "super",
    "this",
    "virtual",
    "with",
    "alias",
];

/// Why `name` is not a usable identifier, if it is not.
pub fn identifier_problem(name: &str) -> Option<&'static str> {
    let mut chars = name.chars();
    match chars.next() {
        None => return Some("it is empty"),
        Some(c) if !(c.is_ascii_alphabetic() || c == '_') => return Some("it must start with a letter or `_`"),
        _ => {}
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Some("only letters, digits and `_` are allowed");
    }
    if KEYWORDS.contains(&name) {
        return Some("it is a Verilog/SystemVerilog keyword");
    }
    None
}

struct Ctx<'a> {
    design: &'a Design,
    m: &'a Module,
    errors: Vec<CheckError>,
}

impl Ctx<'_> {
    fn module(&self) -> String {
        self.m.name.clone()
    }

    fn sig_name(&self, s: SignalId) -> &str {
        &self.m.signal(s).name
    }

    fn mismatch(&mut self, context: &str, detail: String) {
        self.errors.push(CheckError::WidthMismatch { module: self.module(), context: context.to_string(), detail });
    }

    /// Check widths of the expression tree under `e`, once per node.
    fn check_expr(&mut self, e: ExprId, context: &str, seen: &mut HashSet<ExprId>) {
        if !seen.insert(e) {
            return;
        }
        let m = self.m;
        let node = m.expr(e);
        let w = |x: ExprId| m.expr(x).width;
        match &node.kind {
            ExprKind::Const(_) | ExprKind::Signal(_) => {}
            ExprKind::Unary(_, a) => self.check_expr(*a, context, seen),
            ExprKind::Binary(op, a, b) => {
                self.check_expr(*a, context, seen);
                self.check_expr(*b, context, seen);
                if !op.is_shift() && w(*a) != w(*b) {
                    self.mismatch(
                        context,
                        format!(
                            "operands of `{}` differ in width: {} is {} bits, {} is {} bits",
                            op.verilog(),
                            m.describe(*a),
                            w(*a),
                            m.describe(*b),
                            w(*b)
                        ),
                    );
                }
            }
            ExprKind::Mux { sel, if_true, if_false } => {
                for x in [*sel, *if_true, *if_false] {
                    self.check_expr(x, context, seen);
                }
                if w(*sel) != 1 {
                    self.mismatch(context, format!("mux select {} is {} bits, must be 1", m.describe(*sel), w(*sel)));
                }
                if w(*if_true) != w(*if_false) {
                    self.mismatch(
                        context,
                        format!(
                            "mux branches differ in width: {} is {} bits, {} is {} bits",
                            m.describe(*if_true),
                            w(*if_true),
                            m.describe(*if_false),
                            w(*if_false)
                        ),
                    );
                }
            }
            ExprKind::Concat(parts) => {
                for p in parts {
                    self.check_expr(*p, context, seen);
                }
                if parts.is_empty() {
                    self.mismatch(context, "empty concatenation".into());
                }
            }
            ExprKind::Slice { value, lo } => {
                self.check_expr(*value, context, seen);
                if node.width == 0 || lo + node.width > w(*value) {
                    self.mismatch(
                        context,
                        format!(
                            "slice [{}:{}] of {} is outside its {} bits",
                            (lo + node.width).saturating_sub(1),
                            lo,
                            m.describe(*value),
                            w(*value)
                        ),
                    );
                }
            }
            ExprKind::Ext { value, .. } => {
                self.check_expr(*value, context, seen);
                if node.width < w(*value) {
                    self.mismatch(
                        context,
                        format!(
                            "extension of {} ({} bits) to {} bits would narrow it; use a slice",
                            m.describe(*value),
                            w(*value),
                            node.width
                        ),
                    );
                }
            }
        }
    }

    fn expect_width(&mut self, e: ExprId, width: u32, context: &str, what: &str) {
        let got = self.m.expr(e).width;
        if got != width {
            let d = format!("{what} must be {width} bits, {} is {got} bits", self.m.describe(e));
            self.mismatch(context, d);
        }
    }
}

fn check_module(design: &Design, m: &Module) -> Vec<CheckError> {
    let mut cx = Ctx { design, m, errors: Vec::new() };
    let module = m.name.clone();

    // ---- names ------------------------------------------------------------------
    if let Some(why) = identifier_problem(&m.name) {
        cx.errors.push(CheckError::BadName { module: module.clone(), name: m.name.clone(), why });
    }
    if design.find(&m.name).is_some() {
        cx.errors.push(CheckError::DuplicateModule { module: module.clone() });
    }
    let mut names: HashMap<String, String> = HashMap::new();
    let mut declare = |cx: &mut Ctx, name: &str, what: String| {
        if let Some(why) = identifier_problem(name) {
            cx.errors.push(CheckError::BadName { module: module.clone(), name: name.into(), why });
        }
        if let Some(first) = names.get(name) {
            cx.errors.push(CheckError::NameClash {
                module: module.clone(),
                name: name.into(),
                first: first.clone(),
                second: what,
            });
        } else {
            names.insert(name.to_string(), what);
        }
    };
    for s in &m.signals {
        declare(&mut cx, &s.name, s.kind.to_string());
        if s.width == 0 || s.width > MAX_WIDTH {
            cx.errors.push(CheckError::BadWidth {
                module: module.clone(),
                what: "signal",
                name: s.name.clone(),
                width: s.width,
                max: MAX_WIDTH,
            });
        }
    }
    for mem in &m.memories {
        declare(&mut cx, &mem.name, "memory".into());
    }
    for inst in &m.instances {
        declare(&mut cx, &inst.name, format!("instance of `{}`", design.module(inst.module).name));
    }

    // ---- widths -----------------------------------------------------------------
    let mut seen = HashSet::new();
    for a in &m.assigns {
        let ctx = format!("assignment to `{}`", cx.sig_name(a.target));
        cx.check_expr(a.value, &ctx, &mut seen);
        let tw = m.signal(a.target).width;
        cx.expect_width(a.value, tw, &ctx, "the value");
    }
    for r in &m.registers {
        let ctx = format!("register `{}`", r.name);
        if let Some(en) = r.enable {
            cx.check_expr(en, &ctx, &mut seen);
            cx.expect_width(en, 1, &ctx, "the enable");
        }
        if let Some(rv) = &r.reset {
            let w = m.signal(r.q).width;
            if rv.width() != w {
                cx.mismatch(&ctx, format!("reset value is {} bits, register is {w} bits", rv.width()));
            }
        }
    }
    for fr in &m.formal.regs {
        if let FormalRegKind::Next { d, init } = &fr.kind {
            let ctx = format!("formal register `{}`", cx.sig_name(fr.q));
            let w = m.signal(fr.q).width;
            cx.check_expr(*d, &ctx, &mut seen);
            cx.expect_width(*d, w, &ctx, "the next value");
            if let Some(iv) = init {
                if iv.width() != w {
                    cx.mismatch(&ctx, format!("initial value is {} bits, register is {w} bits", iv.width()));
                }
            }
        }
    }
    for p in &m.formal.props {
        let ctx = format!("formal property `{}`", p.name);
        declare(&mut cx, &p.name, "formal property".into());
        if let Some(en) = p.enable {
            cx.check_expr(en, &ctx, &mut seen);
            cx.expect_width(en, 1, &ctx, "the enable");
        }
        cx.check_expr(p.cond, &ctx, &mut seen);
        cx.expect_width(p.cond, 1, &ctx, "the condition");
    }
    if m.signals.iter().any(|s| s.kind == SignalKind::Formal) {
        for root in m.expr_roots() {
            let mut read = Vec::new();
            signals_read(m, root, &mut read);
            for s in read.into_iter().filter(|s| m.signal(*s).kind == SignalKind::Formal) {
                cx.errors.push(CheckError::FormalInLogic {
                    module: module.clone(),
                    signal: m.signal(s).name.clone(),
                    by: m.describe(root),
                });
            }
        }
    }
    for mem in &m.memories {
        let ctx = format!("memory `{}`", mem.name);
        if mem.width == 0 || mem.width > MAX_WIDTH {
            cx.errors.push(CheckError::BadWidth {
                module: module.clone(),
                what: "memory",
                name: mem.name.clone(),
                width: mem.width,
                max: MAX_WIDTH,
            });
        }
        if mem.depth < 2 || mem.depth > (1 << 24) {
            cx.errors.push(CheckError::Memory {
                module: module.clone(),
                memory: mem.name.clone(),
                detail: format!("depth {} is outside 2 to {}", mem.depth, 1 << 24),
            });
        }
        let aw = mem.addr_width();
        match &mem.write {
            None => cx.errors.push(CheckError::Memory {
                module: module.clone(),
                memory: mem.name.clone(),
                detail: "has no write port (call mem_write)".into(),
            }),
            Some(wp) => {
                for (e, width, what) in
                    [(wp.en, 1, "write enable"), (wp.addr, aw, "write address"), (wp.data, mem.width, "write data")]
                {
                    cx.check_expr(e, &ctx, &mut seen);
                    cx.expect_width(e, width, &ctx, what);
                }
                if let Some(be) = wp.byte_en {
                    if mem.width % 8 != 0 || mem.width / 8 > 64 {
                        cx.errors.push(CheckError::Memory {
                            module: module.clone(),
                            memory: mem.name.clone(),
                            detail: format!("byte enables need a width of 8 to 512 in whole bytes, not {}", mem.width),
                        });
                    } else {
                        cx.check_expr(be, &ctx, &mut seen);
                        cx.expect_width(be, mem.width / 8, &ctx, "byte enables");
                    }
                }
            }
        }
        if mem.reads.is_empty() || mem.reads.len() > 2 {
            cx.errors.push(CheckError::Memory {
                module: module.clone(),
                memory: mem.name.clone(),
                detail: format!("has {} read ports; 1 or 2 are supported", mem.reads.len()),
            });
        }
        for rp in &mem.reads {
            for (e, width, what) in [(rp.en, 1, "read enable"), (rp.addr, aw, "read address")] {
                cx.check_expr(e, &ctx, &mut seen);
                cx.expect_width(e, width, &ctx, what);
            }
        }
    }

    // ---- instances --------------------------------------------------------------
    // drivers[s] = descriptions of what drives signal s
    let mut drivers: Vec<Vec<String>> = vec![Vec::new(); m.signals.len()];
    for inst in &m.instances {
        let child = design.module(inst.module);
        let conn_err = |detail: String| CheckError::Connection {
            module: module.clone(),
            instance: inst.name.clone(),
            child: child.name.clone(),
            detail,
        };
        let mut connected: HashSet<&str> = HashSet::new();
        for (port, conn) in &inst.connections {
            let Some(p) = child.port(port) else {
                let known: Vec<&str> = child.ports.iter().map(|p| child.signal(*p).name.as_str()).collect();
                cx.errors.push(conn_err(format!("has no port `{port}` (ports: {})", known.join(", "))));
                continue;
            };
            if !connected.insert(port.as_str()) {
                cx.errors.push(conn_err(format!("port `{port}` is connected twice")));
                continue;
            }
            let ps = child.signal(p);
            let ctx = format!("port `{}` of instance `{}`", port, inst.name);
            match (ps.kind, conn) {
                (SignalKind::Input, Connection::Input(e)) => {
                    cx.check_expr(*e, &ctx, &mut seen);
                    cx.expect_width(*e, ps.width, &ctx, "the connection");
                }
                (SignalKind::Output, Connection::Output(s)) => {
                    drivers[s.index()].push(format!("output `{port}` of instance `{}`", inst.name));
                    let sw = m.signal(*s).width;
                    if sw != ps.width {
                        cx.mismatch(&ctx, format!("port is {} bits, `{}` is {sw} bits", ps.width, m.signal(*s).name));
                    }
                }
                (SignalKind::Output, Connection::Input(e)) => cx.errors.push(conn_err(format!(
                    "output port `{port}` must drive a wire or output of `{module}`, not the expression {}",
                    m.describe(*e)
                ))),
                _ => cx.errors.push(conn_err(format!("port `{port}` is connected in the wrong direction"))),
            }
        }
        for p in &child.ports {
            let name = child.signal(*p).name.as_str();
            if !connected.contains(name) {
                cx.errors.push(conn_err(format!("port `{name}` ({} bits) is not connected", child.signal(*p).width)));
            }
        }
    }

    // ---- drivers ----------------------------------------------------------------
    for a in &m.assigns {
        drivers[a.target.index()].push("an assignment".into());
    }
    let reg_of_d: HashMap<SignalId, &Register> = m.registers.iter().map(|r| (r.d, r)).collect();
    for (i, s) in m.signals.iter().enumerate() {
        let d = &drivers[i];
        let kind = s.kind.to_string();
        match s.kind {
            SignalKind::Input | SignalKind::Reg if !d.is_empty() => {
                cx.errors.push(CheckError::IllegalDriver {
                    module: module.clone(),
                    kind,
                    signal: s.name.clone(),
                    by: d.join(" and "),
                });
            }
            SignalKind::Output | SignalKind::Wire if d.is_empty() => {
                let hint = match reg_of_d.get(&SignalId(i as u32)) {
                    Some(r) => format!(" (register `{}` has no next value: call next)", r.name),
                    None => String::new(),
                };
                cx.errors.push(CheckError::Undriven { module: module.clone(), kind, signal: s.name.clone(), hint });
            }
            SignalKind::Output | SignalKind::Wire if d.len() > 1 => {
                cx.errors.push(CheckError::MultiplyDriven {
                    module: module.clone(),
                    kind,
                    signal: s.name.clone(),
                    count: d.len(),
                    drivers: d.join(", "),
                });
            }
            _ => {}
        }
    }

    if cx.errors.is_empty() {
        check_loops(&mut cx);
        check_unused(&mut cx);
    }
    cx.errors
}

/// Signals read (fully or in part) by an expression tree.
pub(crate) fn signals_read(m: &Module, e: ExprId, out: &mut Vec<SignalId>) {
    let mut stack = vec![e];
    let mut seen = HashSet::new();
    while let Some(x) = stack.pop() {
        if !seen.insert(x) {
            continue;
        }
        match &m.expr(x).kind {
            ExprKind::Const(_) => {}
            ExprKind::Signal(s) => out.push(*s),
            ExprKind::Unary(_, a) | ExprKind::Slice { value: a, .. } | ExprKind::Ext { value: a, .. } => stack.push(*a),
            ExprKind::Binary(_, a, b) => {
                stack.push(*a);
                stack.push(*b);
            }
            ExprKind::Mux { sel, if_true, if_false } => stack.extend([*sel, *if_true, *if_false]),
            ExprKind::Concat(ps) => stack.extend(ps.iter().copied()),
        }
    }
}

/// For each output port of `id`, the input ports it depends on combinationally.
pub fn comb_dependencies(design: &Design, id: ModuleId) -> HashMap<SignalId, Vec<SignalId>> {
    let mut memo = HashMap::new();
    comb_deps_memo(design, id, &mut memo)
}

fn comb_deps_memo(
    design: &Design,
    id: ModuleId,
    memo: &mut HashMap<ModuleId, HashMap<SignalId, Vec<SignalId>>>,
) -> HashMap<SignalId, Vec<SignalId>> {
    if let Some(d) = memo.get(&id) {
        return d.clone();
    }
    let m = design.module(id);
    let graph = comb_graph(design, m, memo);
    // reverse reachability from each output to inputs
    let mut result = HashMap::new();
    for p in &m.ports {
        if m.signal(*p).kind != SignalKind::Output {
            continue;
        }
        let mut deps = Vec::new();
        let mut stack = vec![*p];
        let mut seen = HashSet::new();
        while let Some(s) = stack.pop() {
            if !seen.insert(s) {
                continue;
            }
            if m.signal(s).kind == SignalKind::Input {
                deps.push(s);
            }
            if let Some(srcs) = graph.get(&s) {
                stack.extend(srcs.iter().copied());
            }
        }
        deps.sort();
        result.insert(*p, deps);
    }
    memo.insert(id, result.clone());
    result
}

/// Combinational edges of a module: signal -> the signals it is computed from.
fn comb_graph(
    design: &Design,
    m: &Module,
    memo: &mut HashMap<ModuleId, HashMap<SignalId, Vec<SignalId>>>,
) -> HashMap<SignalId, Vec<SignalId>> {
    let mut g: HashMap<SignalId, Vec<SignalId>> = HashMap::new();
    for a in &m.assigns {
        let mut srcs = Vec::new();
        signals_read(m, a.value, &mut srcs);
        g.entry(a.target).or_default().extend(srcs);
    }
    for inst in &m.instances {
        let child = design.module(inst.module);
        let deps = comb_deps_memo(design, inst.module, memo);
        for (port, conn) in &inst.connections {
            let Connection::Output(target) = conn else {
                continue;
            };
            let Some(p) = child.port(port) else { continue };
            for input in deps.get(&p).map(|v| v.as_slice()).unwrap_or(&[]) {
                let in_name = &child.signal(*input).name;
                for (ip, ic) in &inst.connections {
                    if ip == in_name {
                        if let Connection::Input(e) = ic {
                            let mut srcs = Vec::new();
                            signals_read(m, *e, &mut srcs);
                            g.entry(*target).or_default().extend(srcs);
                        }
                    }
                }
            }
        }
    }
    g
}

fn check_loops(cx: &mut Ctx) {
    let m = cx.m;
    let mut memo = HashMap::new();
    let g = comb_graph(cx.design, m, &mut memo);
    // iterative DFS with colours; report the first cycle found, by name
    let n = m.signals.len();
    let mut colour = vec![0u8; n]; // 0 new, 1 on stack, 2 done
    for start in 0..n {
        if colour[start] != 0 {
            continue;
        }
        let mut stack: Vec<(SignalId, usize)> = vec![(SignalId(start as u32), 0)];
        colour[start] = 1;
        while let Some((s, i)) = stack.pop() {
            let srcs = g.get(&s).map(|v| v.as_slice()).unwrap_or(&[]);
            if i < srcs.len() {
                stack.push((s, i + 1));
                let t = srcs[i];
                match colour[t.index()] {
                    0 => {
                        colour[t.index()] = 1;
                        stack.push((t, 0));
                    }
                    1 => {
                        let pos = stack.iter().position(|(x, _)| *x == t).unwrap_or(0);
                        let mut path: Vec<&str> =
                            stack[pos..].iter().map(|(x, _)| m.signal(*x).name.as_str()).collect();
                        path.push(&m.signal(t).name);
                        path.reverse();
                        cx.errors.push(CheckError::CombLoop { module: m.name.clone(), path: path.join(" -> ") });
                        return;
                    }
                    _ => {}
                }
            } else {
                colour[s.index()] = 2;
            }
        }
    }
}

/// Mark the bits of signals read by the tree under `e` in `used`.
fn mark_used(m: &Module, e: ExprId, used: &mut [Vec<bool>], seen: &mut HashSet<ExprId>) {
    if !seen.insert(e) {
        return;
    }
    match &m.expr(e).kind {
        ExprKind::Const(_) => {}
        ExprKind::Signal(s) => used[s.index()].iter_mut().for_each(|b| *b = true),
        ExprKind::Slice { value, lo } => {
            if let ExprKind::Signal(s) = m.expr(*value).kind {
                let w = m.expr(e).width;
                for b in used[s.index()].iter_mut().skip(*lo as usize).take(w as usize) {
                    *b = true;
                }
            } else {
                mark_used(m, *value, used, seen);
            }
        }
        ExprKind::Unary(_, a) | ExprKind::Ext { value: a, .. } => mark_used(m, *a, used, seen),
        ExprKind::Binary(_, a, b) => {
            mark_used(m, *a, used, seen);
            mark_used(m, *b, used, seen);
        }
        ExprKind::Mux { sel, if_true, if_false } => {
            for x in [*sel, *if_true, *if_false] {
                mark_used(m, x, used, seen);
            }
        }
        ExprKind::Concat(ps) => {
            for p in ps {
                mark_used(m, *p, used, seen);
            }
        }
    }
}

fn check_unused(cx: &mut Ctx) {
    let m = cx.m;
    let mut used: Vec<Vec<bool>> = m.signals.iter().map(|s| vec![false; s.width as usize]).collect();
    let mut seen = HashSet::new();
    for e in m.expr_roots() {
        mark_used(m, e, &mut used, &mut seen);
    }
    let mut exempt: HashSet<SignalId> = m.unused.iter().copied().collect();
    // A register's next value is read by its always block.
    exempt.extend(m.registers.iter().map(|r| r.d));
    exempt.extend(m.clock);
    exempt.extend(m.reset);
    for (i, s) in m.signals.iter().enumerate() {
        let id = SignalId(i as u32);
        // Formal registers are read only by properties, which the linter never sees.
        if matches!(s.kind, SignalKind::Output | SignalKind::Formal) || exempt.contains(&id) {
            continue;
        }
        let u = &used[i];
        if u.iter().all(|b| *b) {
            continue;
        }
        let bits = if u.iter().all(|b| !*b) {
            String::new()
        } else {
            let missing: Vec<String> = u.iter().enumerate().filter(|(_, b)| !**b).map(|(i, _)| i.to_string()).collect();
            format!(" in bits {}", compress_ranges(&missing))
        };
        cx.errors.push(CheckError::Unused {
            module: m.name.clone(),
            kind: s.kind.to_string(),
            signal: s.name.clone(),
            bits,
        });
    }
}

fn compress_ranges(bits: &[String]) -> String {
    let nums: Vec<u32> = bits.iter().filter_map(|b| b.parse().ok()).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < nums.len() {
        let start = nums[i];
        let mut end = start;
        while i + 1 < nums.len() && nums[i + 1] == end + 1 {
            i += 1;
            end = nums[i];
        }
        out.push(if start == end { format!("{start}") } else { format!("{start}..={end}") });
        i += 1;
    }
    out.join(", ")
}
