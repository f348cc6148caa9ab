//! Flattening the hierarchy: every signal and every reachable expression node of every
//! instance is an element of a union-find. A plain connection (an assignment of a
//! signal, an instance port connected to a signal, a signal read in an expression)
//! merges two elements, so the merged class is stored once and never copied.
//!
//! After the checks of [`crate::check`], each class has at most one driver: a top-level
//! input, a register or memory read port (state), a constant, or one operator node.

use crate::ir::*;
use crate::Bits;
use std::collections::HashMap;

/// Disjoint sets over element indices.
struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind { parent: (0..n as u32).collect(), size: vec![1; n] }
    }

    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let up = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = up;
            x = up;
        }
        x
    }

    fn union(&mut self, a: u32, b: u32) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a as usize] < self.size[b as usize] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b as usize] = a;
        self.size[a as usize] += self.size[b as usize];
    }
}

/// One instance of the flattened hierarchy (index 0 is the top module).
pub(super) struct FlatInst {
    /// The instanced module.
    pub module: ModuleId,
    /// Hierarchical prefix of its names: empty for the top, `a.b.` below.
    pub prefix: String,
    /// First element: signals come first, then expression nodes.
    base: u32,
}

/// What gives a class its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Driver {
    /// Nothing (the top module's clock).
    None,
    /// A top-level input, driven by the testbench.
    External,
    /// A register output or memory read data, updated at the clock edge.
    State,
    /// A constant.
    Const(Bits),
    /// An operator node of an instance.
    Op { inst: u32, expr: ExprId },
}

/// A set of merged elements: one stored value.
pub(super) struct Class {
    /// Width in bits.
    pub width: u32,
    /// Its driver.
    pub driver: Driver,
    /// Hierarchical name of the first signal in the class, if any.
    pub name: Option<String>,
}

/// The flattened design.
pub(super) struct Flat<'d> {
    /// The design.
    pub design: &'d Design,
    /// Instances, parents before children (depth-first, in declaration order).
    pub insts: Vec<FlatInst>,
    /// Per module: which expression nodes are reachable from the module's roots.
    reachable: HashMap<ModuleId, Vec<bool>>,
    /// Element to class (`u32::MAX` for unreachable expression nodes).
    class_of: Vec<u32>,
    /// The classes.
    pub classes: Vec<Class>,
}

const NONE: u32 = u32::MAX;

/// The operands of an expression node.
pub(super) fn operands(kind: &ExprKind) -> Vec<ExprId> {
    match kind {
        ExprKind::Const(_) | ExprKind::Signal(_) => Vec::new(),
        ExprKind::Unary(_, a) | ExprKind::Slice { value: a, .. } | ExprKind::Ext { value: a, .. } => {
            vec![*a]
        }
        ExprKind::Binary(_, a, b) => vec![*a, *b],
        ExprKind::Mux { sel, if_true, if_false } => vec![*sel, *if_true, *if_false],
        ExprKind::Concat(parts) => parts.clone(),
    }
}

fn reachable_exprs(m: &Module) -> Vec<bool> {
    let mut seen = vec![false; m.exprs.len()];
    let mut stack = m.expr_roots();
    while let Some(e) = stack.pop() {
        if std::mem::replace(&mut seen[e.index()], true) {
            continue;
        }
        stack.extend(operands(&m.expr(e).kind));
    }
    seen
}

impl<'d> Flat<'d> {
    /// Flatten the hierarchy under `top` and merge plainly connected elements.
    pub fn new(design: &'d Design, top: ModuleId) -> Self {
        let mut flat =
            Flat { design, insts: Vec::new(), reachable: HashMap::new(), class_of: Vec::new(), classes: Vec::new() };
        let mut links = Vec::new();
        let mut next = 0;
        flat.visit(top, String::new(), &mut next, &mut links);
        let mut uf = UnionFind::new(next as usize);

        for (i, fi) in flat.insts.iter().enumerate() {
            let m = design.module(fi.module);
            let reach = &flat.reachable[&fi.module];
            for (e, node) in m.exprs.iter().enumerate() {
                if let (true, ExprKind::Signal(s)) = (reach[e], &node.kind) {
                    uf.union(flat.expr_elem(i, ExprId(e as u32)), flat.sig_elem(i, *s));
                }
            }
            for a in &m.assigns {
                uf.union(flat.sig_elem(i, a.target), flat.expr_elem(i, a.value));
            }
        }
        for (a, b) in links {
            uf.union(a, b);
        }
        flat.build_classes(&mut uf);
        flat
    }

    /// Number the elements of an instance of `module` and of its children; collect the
    /// port connections to merge.
    fn visit(&mut self, module: ModuleId, prefix: String, next: &mut u32, links: &mut Vec<(u32, u32)>) {
        let m = self.design.module(module);
        let me = self.insts.len();
        self.insts.push(FlatInst { module, prefix: prefix.clone(), base: *next });
        *next += (m.signals.len() + m.exprs.len()) as u32;
        self.reachable.entry(module).or_insert_with(|| reachable_exprs(m));
        for inst in &m.instances {
            let child_idx = self.insts.len();
            self.visit(inst.module, format!("{prefix}{}.", inst.name), next, links);
            let child = self.design.module(inst.module);
            for (port, conn) in &inst.connections {
                let p = child.port(port).expect("checked: instance ports exist");
                let child_elem = self.sig_elem(child_idx, p);
                links.push(match conn {
                    Connection::Input(e) => (self.expr_elem(me, *e), child_elem),
                    Connection::Output(s) => (self.sig_elem(me, *s), child_elem),
                });
            }
        }
    }

    fn sig_elem(&self, inst: usize, s: SignalId) -> u32 {
        self.insts[inst].base + s.0
    }

    fn expr_elem(&self, inst: usize, e: ExprId) -> u32 {
        let fi = &self.insts[inst];
        fi.base + self.design.module(fi.module).signals.len() as u32 + e.0
    }

    fn build_classes(&mut self, uf: &mut UnionFind) {
        let mut root_class: HashMap<u32, u32> = HashMap::new();
        self.class_of = vec![NONE; uf.parent.len()];
        for i in 0..self.insts.len() {
            let m = self.design.module(self.insts[i].module);
            for (s, sig) in m.signals.iter().enumerate() {
                let elem = self.sig_elem(i, SignalId(s as u32));
                let driver = match sig.kind {
                    SignalKind::Reg => Driver::State,
                    SignalKind::Input if i == 0 && Some(SignalId(s as u32)) != m.clock => Driver::External,
                    _ => Driver::None,
                };
                let name = format!("{}{}", self.insts[i].prefix, sig.name);
                self.join(uf, &mut root_class, elem, sig.width, driver, Some(name));
            }
            let reach = self.reachable[&self.insts[i].module].clone();
            for (e, node) in m.exprs.iter().enumerate() {
                if !reach[e] {
                    continue;
                }
                let driver = match &node.kind {
                    ExprKind::Signal(_) => Driver::None,
                    ExprKind::Const(b) => Driver::Const(b.clone()),
                    _ => Driver::Op { inst: i as u32, expr: ExprId(e as u32) },
                };
                let elem = self.expr_elem(i, ExprId(e as u32));
                self.join(uf, &mut root_class, elem, node.width, driver, None);
            }
        }
    }

    /// Put `elem` in its class, creating the class on first sight, and record a driver.
    fn join(
        &mut self,
        uf: &mut UnionFind,
        root_class: &mut HashMap<u32, u32>,
        elem: u32,
        width: u32,
        driver: Driver,
        name: Option<String>,
    ) {
        let root = uf.find(elem);
        let classes = &mut self.classes;
        let c = *root_class.entry(root).or_insert_with(|| {
            classes.push(Class { width, driver: Driver::None, name: None });
            classes.len() as u32 - 1
        });
        self.class_of[elem as usize] = c;
        let class = &mut self.classes[c as usize];
        if class.driver == Driver::None {
            class.driver = driver;
        }
        if class.name.is_none() {
            class.name = name;
        }
    }

    /// The class of signal `s` of instance `inst`.
    pub fn sig_class(&self, inst: usize, s: SignalId) -> u32 {
        self.class_of[self.sig_elem(inst, s) as usize]
    }

    /// The class of a reachable expression node `e` of instance `inst`.
    pub fn expr_class(&self, inst: usize, e: ExprId) -> u32 {
        let c = self.class_of[self.expr_elem(inst, e) as usize];
        assert!(c != NONE, "expression {e:?} of instance {inst} is read but was not found reachable");
        c
    }

    /// The module of instance `inst`.
    pub fn module(&self, inst: usize) -> &'d Module {
        self.design.module(self.insts[inst].module)
    }

    /// A readable name for a class: its signals (`y_o (also u1.y_o)`), or the
    /// expression it computes.
    pub fn class_label(&self, c: u32) -> String {
        let mut names = Vec::new();
        for (i, fi) in self.insts.iter().enumerate() {
            for (s, sig) in self.module(i).signals.iter().enumerate() {
                if self.sig_class(i, SignalId(s as u32)) == c {
                    names.push(format!("{}{}", fi.prefix, sig.name));
                }
            }
        }
        match (names.len(), &self.classes[c as usize].driver) {
            (1, _) => names.swap_remove(0),
            (0, Driver::Op { inst, expr }) => {
                let fi = &self.insts[*inst as usize];
                format!("{}{}", fi.prefix, self.module(*inst as usize).describe(*expr))
            }
            (0, _) => format!("<value {c}>"),
            _ => format!("{} (also {})", names[0], names[1..].join(", ")),
        }
    }
}
