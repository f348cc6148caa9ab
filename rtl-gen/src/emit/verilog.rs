//! Verilog-2005 emitter: one file per module, named after it, and a `filelist.f`.
//!
//! The text follows the lowRISC style the project adopted (STYLE.md): `default_nettype
//! none`, `_i`/`_o` ports with the clock and reset first, `_d`/`_q` registers with one
//! `always` block each holding only the reset value and `q <= d`, named port
//! connections with every port listed, sized literals, and `(* no_rw_check *)` on
//! memories. Output depends only on the IR, so it is byte-identical run to run.
//!
//! Verilog sizes an operator by its context; the IR does not. The emitter therefore only
//! writes expressions whose Verilog width equals the IR width in every context: operands
//! of equal width, zero extension as a concatenation, signed operators wrapped in
//! `$signed`/`$unsigned`. Where Verilog needs a bit-select of a computed value (a slice
//! or a sign extension of a non-signal), the value gets its own wire, named after the
//! signal it helps compute (`acc_d_sum`).

use crate::ir::*;
use crate::Bits;
use std::collections::{HashMap, HashSet};
use std::fmt::Write;
use std::path::Path;

/// One emitted Verilog file: one module, named after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerilogFile {
    /// Module name.
    pub module: String,
    /// File name (`<module>.v`).
    pub file_name: String,
    /// File contents.
    pub text: String,
}

/// The Verilog of a design: one file per module, children first, and `filelist.f`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerilogOutput {
    /// Files in dependency order (the top module last).
    pub module_files: Vec<VerilogFile>,
    /// Contents of `filelist.f`: the file names in dependency order, one per line.
    pub filelist: String,
}

impl VerilogOutput {
    /// The file of module `name`, if emitted.
    pub fn file(&self, name: &str) -> Option<&VerilogFile> {
        self.module_files.iter().find(|f| f.module == name)
    }

    /// (file name, text) of every module file, in dependency order: what simulators and
    /// synthesis read.
    pub fn sources(&self) -> Vec<(String, String)> {
        self.module_files.iter().map(|f| (f.file_name.clone(), f.text.clone())).collect()
    }

    /// Write every file and `filelist.f` into `dir` (which must exist).
    pub fn write_to(&self, dir: &Path) -> std::io::Result<()> {
        for f in &self.module_files {
            std::fs::write(dir.join(&f.file_name), &f.text)?;
        }
        std::fs::write(dir.join("filelist.f"), &self.filelist)
    }
}

/// Emit every module reachable from `top`.
pub fn emit(design: &Design, top: ModuleId) -> VerilogOutput {
    let module_files: Vec<VerilogFile> = design
        .dependency_order(top)
        .into_iter()
        .map(|id| {
            let m = design.module(id);
            VerilogFile { module: m.name.clone(), file_name: format!("{}.v", m.name), text: emit_module(design, m) }
        })
        .collect();
    let mut filelist = String::new();
    for f in &module_files {
        filelist.push_str(&f.file_name);
        filelist.push('\n');
    }
    VerilogOutput { module_files, filelist }
}

/// `[W-1:0]` for multi-bit values, nothing for one bit.
fn range(width: u32) -> String {
    if width == 1 {
        String::new()
    } else {
        format!("[{}:0]", width - 1)
    }
}

/// A sized literal: decimal for small values, hexadecimal otherwise.
pub fn literal(b: &Bits) -> String {
    let small = b.words().iter().skip(1).all(|w| *w == 0) && b.to_u64() <= 0xffff;
    if small {
        format!("{}'d{}", b.width(), b.to_u64())
    } else {
        format!("{}'h{}", b.width(), b.to_hex())
    }
}

struct ModuleEmitter<'a> {
    m: &'a Module,
    /// Names taken in the module (signals, memories, instances, temporaries).
    taken: HashSet<String>,
    /// Expressions given their own wire, and its name.
    temps: HashMap<ExprId, String>,
    /// Declarations and assignments of those wires, in creation order.
    temp_decls: Vec<(String, u32)>,
    temp_assigns: Vec<(String, String)>,
    /// Which bits of each wire are read; unread bits go to `unused_ok`.
    temp_used: HashMap<String, Vec<bool>>,
}

fn op_word(kind: &ExprKind) -> &'static str {
    match kind {
        ExprKind::Const(_) | ExprKind::Signal(_) => "val",
        ExprKind::Unary(op, _) => match op {
            UnaryOp::Not => "inv",
            UnaryOp::Neg => "neg",
            _ => "red",
        },
        ExprKind::Binary(op, _, _) => match op {
            BinaryOp::Add => "sum",
            BinaryOp::Sub => "diff",
            BinaryOp::Mul => "prod",
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
            BinaryOp::Xor => "xor",
            BinaryOp::Shl | BinaryOp::Shr | BinaryOp::Sar => "shift",
            _ => "cmp",
        },
        ExprKind::Mux { .. } => "sel",
        ExprKind::Concat(_) => "cat",
        ExprKind::Slice { .. } => "part",
        ExprKind::Ext { .. } => "ext",
    }
}

impl<'a> ModuleEmitter<'a> {
    fn new(m: &'a Module) -> Self {
        let mut taken: HashSet<String> = m.signals.iter().map(|s| s.name.clone()).collect();
        taken.extend(m.memories.iter().map(|x| x.name.clone()));
        taken.extend(m.instances.iter().map(|x| x.name.clone()));
        taken.insert("unused_ok".into());
        ModuleEmitter {
            m,
            taken,
            temps: HashMap::new(),
            temp_decls: Vec::new(),
            temp_assigns: Vec::new(),
            temp_used: HashMap::new(),
        }
    }

    fn fresh(&mut self, base: &str) -> String {
        if self.taken.insert(base.to_string()) {
            return base.to_string();
        }
        (1..).map(|i| format!("{base}_{i}")).find(|n| self.taken.insert(n.clone())).unwrap_or_default()
    }

    fn is_leaf(&self, e: ExprId) -> bool {
        matches!(self.m.expr(e).kind, ExprKind::Signal(_))
    }

    /// A name for `e` usable with a bit-select: a signal's own name, or a new wire.
    fn named(&mut self, e: ExprId, base: &str) -> String {
        if let ExprKind::Signal(s) = self.m.expr(e).kind {
            return self.m.signal(s).name.clone();
        }
        if let Some(n) = self.temps.get(&e) {
            return n.clone();
        }
        let name = self.fresh(&format!("{base}_{}", op_word(&self.m.expr(e).kind)));
        let width = self.m.expr(e).width;
        self.temp_used.insert(name.clone(), vec![false; width as usize]);
        let text = self.assigned(e, base);
        // Registered after its own text is written, so that later uses of the same value
        // read the wire instead of repeating the logic.
        self.temps.insert(e, name.clone());
        self.temp_decls.push((name.clone(), width));
        self.temp_assigns.push((name.clone(), text));
        name
    }

    /// Note that bits `[lo + width - 1 : lo]` of wire `name` are read (if it is one of
    /// the emitter's own wires).
    fn mark_read(&mut self, name: &str, lo: u32, width: u32) {
        if let Some(bits) = self.temp_used.get_mut(name) {
            for b in bits.iter_mut().skip(lo as usize).take(width as usize) {
                *b = true;
            }
        }
    }

    /// Bit-selects of the emitter's wires that nothing reads, for `unused_ok`.
    fn unread_parts(&self) -> Vec<String> {
        let mut parts = Vec::new();
        for (name, _) in &self.temp_decls {
            let used = &self.temp_used[name];
            let mut i = used.len();
            while i > 0 {
                if used[i - 1] {
                    i -= 1;
                    continue;
                }
                let hi = i - 1;
                while i > 0 && !used[i - 1] {
                    i -= 1;
                }
                let lo = i;
                parts.push(match (used.len(), hi == lo) {
                    (1, _) => name.clone(),
                    (_, true) => format!("{name}[{lo}]"),
                    _ => format!("{name}[{hi}:{lo}]"),
                });
            }
        }
        parts
    }

    /// An expression at the top of an assignment (no outer parentheses).
    fn expr_top(&mut self, e: ExprId, base: &str) -> String {
        let s = self.expr(e, base);
        let wrapped = s.starts_with('(') && s.ends_with(')') && balanced_outer(&s);
        if wrapped {
            s[1..s.len() - 1].to_string()
        } else {
            s
        }
    }

    /// The right-hand side of `assign <target> = e`.
    fn assigned(&mut self, e: ExprId, target: &str) -> String {
        match self.signed_product(e) {
            Some(s) => s,
            None => self.expr_top(e, target),
        }
    }

    /// A product of two sign-extended signals, written as an engineer would:
    /// `$signed(a) * $signed(b)`. Only valid as a whole right-hand side of a continuous
    /// assignment, where Verilog extends both signed operands to the width of the target
    /// before multiplying (as an index or a condition it would be too narrow).
    fn signed_product(&self, e: ExprId) -> Option<String> {
        let m = self.m;
        let ExprKind::Binary(BinaryOp::Mul, a, b) = m.expr(e).kind else {
            return None;
        };
        let leaf = |x: ExprId| match &m.expr(x).kind {
            ExprKind::Ext { value, signed: true } => match m.expr(*value).kind {
                ExprKind::Signal(s) => Some(m.signal(s).name.clone()),
                _ => None,
            },
            _ => None,
        };
        Some(format!("$signed({}) * $signed({})", leaf(a)?, leaf(b)?))
    }

    /// The Verilog text of `e`; `base` names any wire it needs.
    fn expr(&mut self, e: ExprId, base: &str) -> String {
        let m = self.m;
        let node = m.expr(e);
        if let Some(name) = self.temps.get(&e).cloned() {
            self.mark_read(&name, 0, node.width);
            return name;
        }
        match &node.kind {
            ExprKind::Const(b) => literal(b),
            ExprKind::Signal(s) => m.signal(*s).name.clone(),
            ExprKind::Unary(op, a) => {
                let a = self.expr(*a, base);
                let o = match op {
                    UnaryOp::Not => "~",
                    UnaryOp::Neg => "-",
                    UnaryOp::AndReduce => "&",
                    UnaryOp::OrReduce => "|",
                    UnaryOp::XorReduce => "^",
                };
                format!("({o}{a})")
            }
            ExprKind::Binary(op, a, b) => {
                let signed_mul = *op == BinaryOp::Mul
                    && [*a, *b].iter().all(|x| matches!(m.expr(*x).kind, ExprKind::Ext { signed: true, .. }));
                let (sa, sb) = (self.expr(*a, base), self.expr(*b, base));
                let o = op.verilog();
                match op {
                    BinaryOp::LtS | BinaryOp::LeS | BinaryOp::GtS | BinaryOp::GeS => {
                        format!("($signed({sa}) {o} $signed({sb}))")
                    }
                    BinaryOp::Sar => format!("$unsigned($signed({sa}) >>> {sb})"),
                    _ if signed_mul => format!("$unsigned($signed({sa}) * $signed({sb}))"),
                    _ => format!("({sa} {o} {sb})"),
                }
            }
            ExprKind::Mux { sel, if_true, if_false } => {
                let s = self.expr(*sel, base);
                let t = self.expr(*if_true, base);
                let f = self.expr(*if_false, base);
                format!("({s} ? {t} : {f})")
            }
            ExprKind::Concat(parts) => {
                let ps: Vec<String> = parts.iter().map(|p| self.expr_top(*p, base)).collect();
                format!("{{{}}}", ps.join(", "))
            }
            ExprKind::Slice { value, lo } => {
                let v = self.named(*value, base);
                self.mark_read(&v, *lo, node.width);
                if node.width == 1 {
                    format!("{v}[{lo}]")
                } else {
                    format!("{v}[{}:{lo}]", lo + node.width - 1)
                }
            }
            ExprKind::Ext { value, signed } => {
                let wv = m.expr(*value).width;
                let k = node.width - wv;
                if !*signed {
                    let v = self.expr_top(*value, base);
                    format!("{{{k}'d0, {v}}}")
                } else {
                    let v = if self.is_leaf(*value) {
                        self.expr(*value, base)
                    } else {
                        let v = self.named(*value, base);
                        self.mark_read(&v, 0, wv);
                        v
                    };
                    let msb = if wv == 1 { v.clone() } else { format!("{v}[{}]", wv - 1) };
                    format!("{{{{{k}{{{msb}}}}}, {v}}}")
                }
            }
        }
    }
}

/// True when the first `(` of `s` closes at its last character.
fn balanced_outer(s: &str) -> bool {
    let mut depth = 0i32;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 && i != s.len() - 1 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

fn emit_module(design: &Design, m: &Module) -> String {
    let mut em = ModuleEmitter::new(m);
    let mut out = String::new();

    // ---- header -------------------------------------------------------------------
    let _ = writeln!(
        out,
        "// Generated by SeedChip rtl-gen {}. Do not edit: regenerate from the configuration.",
        env!("CARGO_PKG_VERSION")
    );
    out.push_str("//\n");
    let _ = writeln!(out, "// Module {}", m.name);
    if !m.doc.is_empty() {
        for line in wrap(&m.doc, 86) {
            let _ = writeln!(out, "//   {line}");
        }
    }
    if !m.params.is_empty() {
        out.push_str("//\n// Generated with:\n");
        let w = m.params.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        for (k, v) in &m.params {
            let _ = writeln!(out, "//   {k:<w$} = {v}");
        }
    }
    out.push_str("\n`default_nettype none\n\n");

    // ---- ports --------------------------------------------------------------------
    let _ = writeln!(out, "module {} (", m.name);
    let rw = m.ports.iter().map(|p| range(m.signal(*p).width).len()).max().unwrap_or(0);
    for (i, p) in m.ports.iter().enumerate() {
        let s = m.signal(*p);
        let dir = if s.kind == SignalKind::Input { "input " } else { "output" };
        let sep = if i + 1 == m.ports.len() { "" } else { "," };
        let _ = writeln!(out, "  {dir} wire {}{}{sep}", padded_range(s.width, rw), s.name);
    }
    out.push_str(");\n");

    // ---- body, built first so temporaries are known before declarations ------------
    let mut body = String::new();
    if !m.lint_waivers.is_empty() {
        body.push_str("\n  // Deliberate lint waivers:\n");
        for (rule, reason) in &m.lint_waivers {
            let _ = writeln!(body, "  //   {rule}: {reason}\n  /* verilator lint_off {rule} */");
        }
    }

    let assigns: Vec<(String, String)> = m
        .assigns
        .iter()
        .map(|a| {
            let name = m.signal(a.target).name.clone();
            let text = em.assigned(a.value, &name);
            (name, text)
        })
        .collect();

    let mut instances = String::new();
    for inst in &m.instances {
        let child = design.module(inst.module);
        let _ = writeln!(instances, "  {} {} (", child.name, inst.name);
        let pw = child.ports.iter().map(|p| child.signal(*p).name.len()).max().unwrap_or(0);
        for (i, p) in child.ports.iter().enumerate() {
            let pname = &child.signal(*p).name;
            let text = match inst.connections.iter().find(|(n, _)| n == pname).map(|(_, c)| c) {
                Some(Connection::Input(e)) => em.expr_top(*e, &format!("{}_{}", inst.name, pname)),
                Some(Connection::Output(s)) => m.signal(*s).name.clone(),
                None => String::new(),
            };
            let sep = if i + 1 == child.ports.len() { "" } else { "," };
            let _ = writeln!(instances, "    .{pname:<pw$} ({text}){sep}");
        }
        instances.push_str("  );\n\n");
    }

    let mut seq = String::new();
    let rst = m.reset.map_or("rst_i", |r| m.signal(r).name.as_str());
    for r in &m.registers {
        let q = &m.signal(r.q).name;
        let d = &m.signal(r.d).name;
        let en = r.enable.map(|e| em.expr_top(e, &format!("{}_en", r.name)));
        seq.push_str("  always @(posedge clk_i) begin\n");
        let mut indent = "    ";
        match (&r.reset, &en) {
            (Some(v), Some(en)) => {
                let _ = writeln!(seq, "    if ({rst}) begin\n      {q} <= {};", literal(v));
                let _ = writeln!(seq, "    end else if ({en}) begin");
                indent = "      ";
            }
            (Some(v), None) => {
                let _ = writeln!(seq, "    if ({rst}) begin\n      {q} <= {};", literal(v));
                seq.push_str("    end else begin\n");
                indent = "      ";
            }
            (None, Some(en)) => {
                let _ = writeln!(seq, "    if ({en}) begin");
                indent = "      ";
            }
            (None, None) => {}
        }
        let _ = writeln!(seq, "{indent}{q} <= {d};");
        if indent.len() > 4 {
            seq.push_str("    end\n");
        }
        seq.push_str("  end\n\n");
    }

    let mut mems = String::new();
    let mut mem_decls = String::new();
    for mem in &m.memories {
        let style = mem.style.as_ref().map(|s| format!(" (* ram_style = \"{s}\" *)")).unwrap_or_default();
        let _ = writeln!(
            mem_decls,
            "  (* no_rw_check *){style}\n  reg {} {} [0:{}];",
            range(mem.width),
            mem.name,
            mem.depth - 1
        );
        if let Some(w) = &mem.write {
            let en = em.expr_top(w.en, &format!("{}_we", mem.name));
            let addr = em.expr_top(w.addr, &format!("{}_waddr", mem.name));
            let data = em.expr_top(w.data, &format!("{}_wdata", mem.name));
            match w.byte_en {
                None => {
                    let _ = writeln!(
                        mems,
                        "  always @(posedge clk_i) begin\n    if ({en}) begin\n      {}[{addr}] <= {data};\n    end\n  end\n",
                        mem.name
                    );
                }
                Some(be) => {
                    let be = em.expr_top(be, &format!("{}_wbe", mem.name));
                    let _ = writeln!(mems, "  always @(posedge clk_i) begin\n    if ({en}) begin");
                    for i in 0..mem.width / 8 {
                        let _ = writeln!(
                            mems,
                            "      if ({be}[{i}]) {}[{addr}][{} +: 8] <= {data}[{} +: 8];",
                            mem.name,
                            8 * i,
                            8 * i
                        );
                    }
                    let _ = writeln!(mems, "    end\n  end\n");
                }
            }
        }
        for rp in &mem.reads {
            let q = m.signal(rp.data).name.clone();
            let base = q.trim_end_matches("_q").to_string();
            let en = em.expr_top(rp.en, &format!("{base}_re"));
            let addr = em.expr_top(rp.addr, &format!("{base}_addr"));
            let _ = writeln!(
                mems,
                "  always @(posedge clk_i) begin\n    if ({en}) begin\n      {q} <= {}[{addr}];\n    end\n  end\n",
                mem.name
            );
        }
    }

    // ---- declarations -------------------------------------------------------------
    let decls: Vec<(&str, String, String)> = m
        .signals
        .iter()
        .filter(|s| matches!(s.kind, SignalKind::Wire | SignalKind::Reg))
        .map(|s| {
            let kw = if s.kind == SignalKind::Reg { "reg " } else { "wire" };
            (kw, range(s.width), s.name.clone())
        })
        .chain(em.temp_decls.iter().map(|(n, w)| ("wire", range(*w), n.clone())))
        .collect();
    if !decls.is_empty() {
        let rw = decls.iter().map(|(_, r, _)| r.len()).max().unwrap_or(0);
        body.push('\n');
        for (kw, r, n) in &decls {
            let _ = writeln!(body, "  {kw} {}{n};", pad(r, rw));
        }
    }
    if !mem_decls.is_empty() {
        body.push('\n');
        body.push_str(&mem_decls);
    }

    let all_assigns: Vec<&(String, String)> = em.temp_assigns.iter().chain(assigns.iter()).collect();
    if !all_assigns.is_empty() {
        body.push('\n');
        for (n, t) in all_assigns {
            let _ = writeln!(body, "  assign {n} = {t};");
        }
    }
    if !instances.is_empty() {
        body.push('\n');
        body.push_str(instances.trim_end_matches('\n'));
        body.push('\n');
    }
    let seq_all = format!("{seq}{mems}");
    if !seq_all.is_empty() {
        body.push('\n');
        body.push_str(seq_all.trim_end_matches('\n'));
        body.push('\n');
    }
    let mut names: Vec<String> = m.unused.iter().map(|s| m.signal(*s).name.clone()).collect();
    names.extend(em.unread_parts());
    if !names.is_empty() {
        body.push_str("\n  // Deliberately unread; the name keeps Verilator's UNUSED check quiet.\n");
        let _ = writeln!(body, "  wire unused_ok = &{{1'b0, {}}};", names.join(", "));
    }
    for (rule, _) in &m.lint_waivers {
        let _ = writeln!(body, "  /* verilator lint_on {rule} */");
    }
    if !m.formal.is_empty() {
        body.push_str(&emit_formal(&mut em));
    }
    out.push_str(&body);
    out.push_str("\nendmodule\n\n`default_nettype wire\n");
    out
}

/// The formal section: helper registers, their wires and the properties, inside
/// `` `ifdef FORMAL``. Wires the properties need are declared here too, so nothing outside
/// the `ifdef` changes when properties are added.
fn emit_formal(em: &mut ModuleEmitter) -> String {
    let m = em.m;
    let first_temp = em.temp_decls.len();
    let mut seq = String::new();
    for r in &m.formal.regs {
        if let FormalRegKind::Next { d, .. } = &r.kind {
            let q = m.signal(r.q).name.clone();
            let text = em.expr_top(*d, &q);
            let _ = writeln!(seq, "  always @(posedge clk_i) begin\n    {q} <= {text};\n  end\n");
        }
    }
    let mut props = String::new();
    for p in &m.formal.props {
        let cond = em.expr_top(p.cond, &p.name);
        let stmt = format!("{}: {} ({cond});", p.name, p.kind.verilog());
        let _ = writeln!(props, "  // {}", p.doc);
        props.push_str("  always @(*) begin\n");
        match p.enable {
            Some(en) => {
                let en = em.expr_top(en, &format!("{}_en", p.name));
                let _ = writeln!(props, "    if ({en}) begin\n      {stmt}\n    end");
            }
            None => {
                let _ = writeln!(props, "    {stmt}");
            }
        }
        props.push_str("  end\n\n");
    }

    let mut decls: Vec<(String, String, String)> = Vec::new();
    for r in &m.formal.regs {
        let s = m.signal(r.q);
        let (attr, init) = match &r.kind {
            FormalRegKind::AnyConst => ("(* anyconst *) ", String::new()),
            FormalRegKind::AnySeq => ("(* anyseq *) ", String::new()),
            FormalRegKind::Next { init, .. } => {
                ("", init.as_ref().map(|v| format!(" = {}", literal(v))).unwrap_or_default())
            }
        };
        decls.push((format!("{attr}reg"), range(s.width), format!("{}{init}", s.name)));
    }
    for (n, w) in &em.temp_decls[first_temp..] {
        decls.push(("wire".into(), range(*w), n.clone()));
    }
    let kw = decls.iter().map(|(k, _, _)| k.len()).max().unwrap_or(0);
    let rw = decls.iter().map(|(_, r, _)| r.len()).max().unwrap_or(0);
    let mut out = String::from(
        "\n`ifdef FORMAL\n  // Formal properties for SymbiYosys (read_verilog -formal); simulators and synthesis\n  \
         // do not define FORMAL and skip this section.\n\n",
    );
    for (k, r, n) in &decls {
        let _ = writeln!(out, "  {k:<kw$} {}{n};", pad(r, rw));
    }
    if em.temp_assigns.len() > first_temp {
        out.push('\n');
        for (n, t) in &em.temp_assigns[first_temp..] {
            let _ = writeln!(out, "  assign {n} = {t};");
        }
    }
    out.push('\n');
    out.push_str(&seq);
    out.push_str(props.trim_end_matches('\n'));
    out.push_str("\n`endif\n");
    out
}

/// A range padded to a column of `column` characters plus a space; nothing when no
/// declaration of the block has a range.
fn pad(r: &str, column: usize) -> String {
    if column == 0 {
        String::new()
    } else {
        format!("{r:<column$} ")
    }
}

fn padded_range(width: u32, column: usize) -> String {
    pad(&range(width), column)
}

/// Greedy word wrap for header comments.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        if !cur.is_empty() && cur.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}
