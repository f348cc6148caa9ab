//! A snapshot of one module that uses every construct the emitter writes, so that a
//! change to the emitter's output shows up in review, and a check that the emitter is
//! deterministic.

use rtl_gen::emit::verilog;
use rtl_gen::{Design, ModuleBuilder};

fn every_construct() -> Design {
    let mut d = Design::new();
    let mut c = ModuleBuilder::new("leaf");
    let x = c.input("x_i", 8);
    let y = c.output("y_o", 8);
    let r = c.reg("hold", 8).build();
    c.next(r, x);
    c.assign(y, r);
    let leaf = d.add(c).unwrap();

    let mut m = ModuleBuilder::new("every_construct");
    m.doc("Exercises every expression form, registers, a memory and an instance.");
    m.param("width", 8);
    let a = m.input("a_i", 8);
    let b = m.input("b_i", 8);
    let sh = m.input("sh_i", 3);
    let en = m.input("en_i", 1);
    let wide = m.input("wide_i", 100);
    let sum_o = m.output("sum_o", 9);
    let cmp_o = m.output("cmp_o", 4);
    let prod_o = m.output("prod_o", 16);
    let sar_o = m.output("sar_o", 8);
    let mux_o = m.output("mux_o", 8);
    let red_o = m.output("red_o", 3);
    let part_o = m.output("part_o", 4);
    let mem_o = m.output("mem_o", 8);
    let leaf_o = m.output("leaf_o", 8);
    let wide_o = m.output("wide_o", 100);

    let (za, zb) = (m.zext(a, 9), m.zext(b, 9));
    let s = m.add(za, zb);
    m.assign(sum_o, s);
    let c0 = m.lt(a, b);
    let c1 = m.lt_s(a, b);
    let c2 = m.eq(a, b);
    let c3 = m.ge_s(a, b);
    let cmp = m.concat([c0, c1, c2, c3]);
    m.assign(cmp_o, cmp);
    let p = m.mul_signed_full(a, b);
    m.assign(prod_o, p);
    let sr = m.sar(a, sh);
    m.assign(sar_o, sr);
    let na = m.not(a);
    let ng = m.neg(b);
    let mx = m.mux(en, na, ng);
    m.assign(mux_o, mx);
    let (r0, r1, r2) = (m.any(a), m.all(b), m.parity(a));
    let red = m.concat([r0, r1, r2]);
    m.assign(red_o, red);
    // A slice and a sign extension of computed values need wires of their own.
    let x = m.xor(a, b);
    let hi = m.slice(x, 2, 4);
    m.assign(part_o, hi);
    let acc = m.reg("acc", 8).reset(0).enable(en).build();
    let d8 = m.sub(acc, b);
    m.next(acc, d8);
    let mem = m.memory("ram", 8, 4);
    let wa = m.slice(b, 0, 2);
    m.mem_write(mem, en, wa, a);
    let ra = m.slice(a, 0, 2);
    let q = m.mem_read(mem, "ram_rd", en, ra);
    let qx = m.sext(q, 8);
    m.assign(mem_o, qx);
    let u = m.instance("u_leaf", &d, leaf);
    m.connect(u, "x_i", acc);
    m.connect(u, "y_o", leaf_o);
    let wsh = m.shl(wide, sh);
    m.assign(wide_o, wsh);
    m.mark_unused(a);
    m.mark_unused(b);
    d.add(m).unwrap();
    d
}

#[test]
fn every_construct_verilog() {
    let d = every_construct();
    let top = d.find("every_construct").unwrap();
    let out = verilog::emit(&d, top);
    assert_eq!(out.filelist, "leaf.v\nevery_construct.v\n");
    insta::assert_snapshot!(out.file("every_construct").unwrap().text);
}

#[test]
fn emission_is_deterministic() {
    let a = verilog::emit(&every_construct(), rtl_gen::ModuleId(1));
    let b = verilog::emit(&every_construct(), rtl_gen::ModuleId(1));
    assert_eq!(a, b);
}

/// A counter with formal properties: registers and properties appear only inside
/// `ifdef FORMAL`, and the rest of the file is the same as without them.
fn counter(with_formal: bool) -> Design {
    let mut m = ModuleBuilder::new("counter");
    let en = m.input("en_i", 1);
    let count_o = m.output("count_o", 4);
    let cnt = m.reg("cnt", 4).reset(0).enable(en).build();
    let limit = m.lit(9, 4);
    let at_limit = m.eq(cnt, limit);
    let zero = m.lit(0, 4);
    let inc = m.inc(cnt);
    let next = m.mux(at_limit, zero, inc);
    m.next(cnt, next);
    m.assign(count_o, cnt);
    if with_formal {
        m.assume_initial_reset();
        let ten = m.lit(10, 4);
        let below = m.lt(cnt, ten);
        m.assert_always("f_count_below_ten", "the counter wraps after 9", below);
        let past_en = m.past("en", en);
        let past_cnt = m.past("cnt", cnt);
        let rst = m.reset();
        let past_rst = m.past("rst", rst);
        let not_past_rst = m.not(past_rst);
        let not_past_en = m.not(past_en);
        let held = m.and(not_past_rst, not_past_en);
        let same = m.eq(cnt, past_cnt);
        m.assert_when("f_count_held", "without enable the count stays", held, same);
        let low = m.slice(cnt, 0, 3);
        let low_is_one = m.eq_const(low, 1);
        let hi = m.bit(cnt, 3);
        let nine = m.and(hi, low_is_one);
        m.property(rtl_gen::ir::PropertyKind::Cover, "f_reach_nine", "the count reaches 9", None, nine);
    }
    let mut d = Design::new();
    d.add(m).unwrap();
    d
}

#[test]
fn formal_properties_stay_inside_ifdef() {
    let plain = verilog::emit(&counter(false), rtl_gen::ModuleId(0));
    let formal = verilog::emit(&counter(true), rtl_gen::ModuleId(0));
    let (p, f) = (&plain.module_files[0].text, &formal.module_files[0].text);
    let start = f.find("\n`ifdef FORMAL").expect("a formal section");
    let end = f.find("`endif\n").expect("its end") + "`endif\n".len();
    let outside = format!("{}{}", &f[..start], &f[end..]);
    assert_eq!(&outside, p, "only the ifdef section differs");
    insta::assert_snapshot!(&f[start..end]);
}

/// A multiplexer whose arms are the same value is that value, so that a comparison with
/// it folds as one with a constant does: `x > (s ? 3 : 3)` on a 2-bit `x` is never true,
/// and Verilator's -Wall rejects the comparison it would otherwise emit (CMPCONST).
#[test]
fn a_mux_of_equal_arms_folds_and_so_does_a_compare_with_it() {
    let mut m = ModuleBuilder::new("folds");
    let x = m.input("x_i", 2);
    let s = m.input("s_i", 1);
    let a = m.input("a_i", 2);
    let gt_o = m.output("gt_o", 1);
    let same_o = m.output("same_o", 2);
    let three = m.lit(3, 2);
    let three_again = m.lit(3, 2);
    let lim = m.mux(s, three, three_again);
    let gt = m.gt(x, lim);
    m.assign(gt_o, gt);
    let same = m.mux(s, a, a);
    m.assign(same_o, same);
    m.mark_unused(x);
    m.mark_unused(s);
    let mut d = Design::new();
    let id = d.add(m).unwrap();
    let text = &verilog::emit(&d, id).module_files[0].text;
    assert!(text.contains("assign gt_o = 1'd0;"), "{text}");
    assert!(text.contains("assign same_o = a_i;"), "{text}");
    assert!(!text.contains(" ? "), "{text}");
}
