//! Every check of `Design::add` fires on a minimal bad module, and its message names
//! the module, the signal and the numbers.

use rtl_gen::{Design, ModuleBuilder};

fn errors(m: ModuleBuilder) -> String {
    let mut d = Design::new();
    d.add(m).expect_err("the module is bad").to_string()
}

fn expect(m: ModuleBuilder, needles: &[&str]) {
    let e = errors(m);
    for n in needles {
        assert!(e.contains(n), "message lacks `{n}`:\n{e}");
    }
}

#[test]
fn width_mismatch_names_operands_and_widths() {
    let mut m = ModuleBuilder::new("adder");
    let a = m.input("a_i", 8);
    let b = m.input("b_i", 16);
    let y = m.output("y_o", 8);
    let s = m.add(a, b);
    m.assign(y, s);
    expect(m, &["module `adder`", "assignment to `y_o`", "`a_i` is 8 bits", "`b_i` is 16 bits"]);
}

#[test]
fn assignment_width_mismatch_names_target() {
    let mut m = ModuleBuilder::new("trunc");
    let a = m.input("a_i", 16);
    let y = m.output("y_o", 8);
    m.assign(y, a);
    expect(m, &["assignment to `y_o`", "must be 8 bits", "`a_i` is 16 bits"]);
}

#[test]
fn undriven_output_and_register_without_next() {
    let mut m = ModuleBuilder::new("lazy");
    let _y = m.output("y_o", 4);
    let r = m.reg("state", 2).reset(0).build();
    let o = m.output("s_o", 2);
    m.assign(o, r);
    expect(
        m,
        &["output `y_o` is never driven", "wire `state_d` is never driven", "register `state` has no next value"],
    );
}

#[test]
fn multiply_driven_wire_lists_drivers() {
    let mut m = ModuleBuilder::new("fight");
    let a = m.input("a_i", 1);
    let y = m.output("y_o", 1);
    m.assign(y, a);
    m.assign(y, a);
    expect(m, &["output `y_o` has 2 drivers"]);
}

#[test]
fn driving_an_input_is_rejected() {
    let mut m = ModuleBuilder::new("backwards");
    let a = m.input("a_i", 1);
    let y = m.output("y_o", 1);
    m.assign(a, y);
    m.assign(y, a);
    expect(m, &["input `a_i` cannot be driven"]);
}

#[test]
fn combinational_loop_prints_the_path() {
    let mut m = ModuleBuilder::new("ring");
    let a = m.input("a_i", 1);
    let x = m.wire("x", 1);
    let z = m.wire("z", 1);
    let y = m.output("y_o", 1);
    let t = m.xor(a, z);
    m.assign(x, t);
    let u = m.not(x);
    m.assign(z, u);
    m.assign(y, z);
    expect(m, &["combinational loop", "x", "z"]);
}

#[test]
fn loop_through_an_instance_is_found() {
    let mut d = Design::new();
    let mut c = ModuleBuilder::new("inv");
    let i = c.input("a_i", 1);
    let o = c.output("y_o", 1);
    let n = c.not(i);
    c.assign(o, n);
    let inv = d.add(c).unwrap();
    let mut p = ModuleBuilder::new("osc");
    let y = p.output("y_o", 1);
    let w = p.wire("w", 1);
    let u = p.instance("u_inv", &d, inv);
    p.connect(u, "a_i", w);
    p.connect(u, "y_o", w);
    p.assign(y, w);
    let e = d.add(p).unwrap_err().to_string();
    assert!(e.contains("combinational loop") && e.contains("w -> w"), "{e}");
}

#[test]
fn registered_feedback_is_not_a_loop() {
    let mut m = ModuleBuilder::new("toggle");
    let y = m.output("y_o", 1);
    let r = m.reg("t", 1).reset(0).build();
    let n = m.not(r);
    m.next(r, n);
    m.assign(y, r);
    Design::new().add(m).expect("a toggle flop is fine");
}

#[test]
fn unconnected_and_unknown_instance_ports() {
    let mut d = Design::new();
    let mut c = ModuleBuilder::new("buf1");
    let i = c.input("a_i", 4);
    let o = c.output("y_o", 4);
    c.assign(o, i);
    let b = d.add(c).unwrap();
    let mut p = ModuleBuilder::new("top");
    let a = p.input("a_i", 4);
    let y = p.output("y_o", 4);
    let u = p.instance("u_buf", &d, b);
    p.connect(u, "y_o", y);
    p.connect(u, "b_i", a);
    let e = d.add(p).unwrap_err().to_string();
    assert!(e.contains("instance `u_buf` of `buf1`: port `a_i` (4 bits) is not connected"), "{e}");
    assert!(e.contains("has no port `b_i` (ports: a_i, y_o)"), "{e}");
}

#[test]
fn instance_connection_width_mismatch() {
    let mut d = Design::new();
    let mut c = ModuleBuilder::new("buf8");
    let i = c.input("a_i", 8);
    let o = c.output("y_o", 8);
    c.assign(o, i);
    let b = d.add(c).unwrap();
    let mut p = ModuleBuilder::new("top");
    let a = p.input("a_i", 4);
    let y = p.output("y_o", 8);
    let u = p.instance("u_buf", &d, b);
    p.connect(u, "a_i", a);
    p.connect(u, "y_o", y);
    let e = d.add(p).unwrap_err().to_string();
    assert!(e.contains("port `a_i` of instance `u_buf`") && e.contains("must be 8 bits"), "{e}");
}

#[test]
fn name_clashes_and_bad_identifiers() {
    let mut m = ModuleBuilder::new("clash");
    let a = m.input("a_i", 1);
    let b = m.input("a_i", 1);
    let k = m.input("module", 1);
    let d = m.input("x$y", 1);
    let y = m.output("y_o", 1);
    let t = m.and(a, b);
    let t = m.and(t, k);
    let t = m.and(t, d);
    m.assign(y, t);
    expect(m, &["the name `a_i` is declared twice", "`module` is not a usable Verilog identifier", "`x$y`"]);
}

#[test]
fn duplicate_module_name() {
    let mut d = Design::new();
    for _ in 0..2 {
        let mut m = ModuleBuilder::new("same");
        let a = m.input("a_i", 1);
        let y = m.output("y_o", 1);
        m.assign(y, a);
        if d.add(m).is_err() {
            return;
        }
    }
    panic!("a second module `same` was accepted");
}

#[test]
fn zero_width_signal() {
    let mut m = ModuleBuilder::new("empty");
    let a = m.input("a_i", 0);
    m.mark_unused(a);
    expect(m, &["signal `a_i` has width 0; widths must be 1 to"]);
}

#[test]
fn unread_signals_and_bits_are_reported_unless_marked() {
    let mut m = ModuleBuilder::new("waste");
    let a = m.input("a_i", 8);
    let _b = m.input("b_i", 4);
    let y = m.output("y_o", 4);
    let lo = m.slice(a, 0, 4);
    m.assign(y, lo);
    let e = errors(m);
    assert!(e.contains("input `a_i` is never read in bits 4..=7"), "{e}");
    assert!(e.contains("input `b_i` is never read;"), "{e}");

    let mut m = ModuleBuilder::new("waste_ok");
    let a = m.input("a_i", 8);
    let y = m.output("y_o", 4);
    let lo = m.slice(a, 0, 4);
    m.assign(y, lo);
    m.mark_unused(a);
    Design::new().add(m).expect("marked unused is accepted");
}

#[test]
fn memory_port_widths_and_depth() {
    let mut m = ModuleBuilder::new("ram");
    let we = m.input("we_i", 1);
    let addr = m.input("addr_i", 3);
    let data = m.input("data_i", 8);
    let y = m.output("q_o", 8);
    let mem = m.memory("mem", 8, 16);
    m.mem_write(mem, we, addr, data);
    let q = m.mem_read(mem, "rd", we, addr);
    m.assign(y, q);
    expect(m, &["memory `mem`", "write address must be 4 bits, `addr_i` is 3 bits"]);
}

#[test]
fn slice_out_of_range() {
    let mut m = ModuleBuilder::new("slicer");
    let a = m.input("a_i", 8);
    let y = m.output("y_o", 4);
    let s = m.slice(a, 6, 4);
    m.assign(y, s);
    m.mark_unused(a);
    expect(m, &["slice [9:6] of `a_i` is outside its 8 bits"]);
}

#[test]
fn logic_reading_a_formal_register_is_rejected() {
    let mut m = ModuleBuilder::new("leaky");
    let a = m.input("a_i", 1);
    let y = m.output("y_o", 1);
    let past = m.past("a", a);
    m.assign(y, past);
    expect(m, &["module `leaky`", "formal register `f_past_a`", "only formal properties may read it"]);
}

#[test]
fn formal_property_condition_must_be_one_bit() {
    let mut m = ModuleBuilder::new("wide_assert");
    let a = m.input("a_i", 4);
    let y = m.output("y_o", 4);
    m.assign(y, a);
    m.property(rtl_gen::ir::PropertyKind::Assert, "f_wide", "a 4-bit condition", None, a);
    expect(m, &["module `wide_assert`", "formal property `f_wide`", "must be 1 bits"]);
}
