//! The Verilog the flow synthesizes for a family: the generic core as `rtl-gen` emits
//! it, with the one board-specific replacement DESIGN decision 9 allows. Everything the
//! flow writes and runs (`seedchip fpga`'s `rtl/` folder, [`super::run`],
//! [`crate::yosys::synthesize_module`]) comes from [`emit`], so what is synthesized is
//! what is written down.
//!
//! - **iCE40**: each pair multiplier of the matrix engine
//!   (`ip_blocks::blocks::mul`, `<prefix>_mul_pair_<n>x<n>`, two independent signed
//!   products written with `*`) becomes one SB_MAC16 in its 8x8 mode, which computes
//!   both: Yosys's own `-dsp` inference gives every product a whole SB_MAC16. The
//!   replacement has the same name and ports; operands narrower than 8 bits are
//!   sign-extended into the 8-bit halves. Wider operands keep the generic module.
//! - **ECP5**: each pair multiplier becomes two MULT18X18D ([`ecp5`]), one product each
//!   (nextpnr does not use ECP5's MULT9X9D), with the operand registers in the block's A
//!   and B input registers and the product register in its output register: Yosys's own
//!   inference leaves the MULT18X18D combinational and the registers in the fabric, so a
//!   product's cycle holds routing into the block, the multiplier and routing out.
//!   Operands of up to 18 bits. The requantizer's split 32x32 product
//!   (`accumulator.product_stages = 2`, `ip_blocks::blocks::mul::build_split`) becomes four
//!   MULT18X18D ([`ecp5::mul_split`]) the same way, its operand registers in the A and B
//!   input registers and its partial-product registers in the output registers, so that
//!   nextpnr cannot place the blocks away from their registers.
//! - **Gowin**: nothing is replaced (Gowin's MULT9X9 already takes one int8 product each).
//!
//! Simulation (Verilator, the IR interpreter) always runs the generic module; the test
//! `ice40_mul_pair_equals_the_generic_module` (fpga/tests/dsp_pair.rs) proves with Yosys's
//! SAT solver, over every input bit, that the replacement computes the same products as
//! the generic module through Yosys's simulation model of SB_MAC16;
//! `ecp5_mul_pair_equals_the_generic_module` does the same for ECP5 through a model of
//! the MULT18X18D features used (Yosys has only a black box of it), and
//! `ecp5_split_product_equals_the_generic_module` for the split product.

pub mod ecp5;

use crate::Family;
use ip_blocks::blocks::mul;
use rtl_gen::emit::verilog::VerilogOutput;
use rtl_gen::{Design, ModuleId};

/// Widest operand of an SB_MAC16 8x8 product.
pub const ICE40_PAIR_MAX_BITS: u32 = 8;

/// The Verilog of module `top` of `design` (and everything under it) as the flow
/// synthesizes it for `family`: the emitter's files with the family's replacements.
pub fn emit(design: &Design, top: ModuleId, family: Family) -> VerilogOutput {
    let mut out = rtl_gen::emit::verilog::emit(design, top);
    for file in &mut out.module_files {
        let Some(id) = design.find(&file.module) else { continue };
        if family == Family::Ecp5 && mul::is_split(design.module(id)) {
            file.text = ecp5::mul_split(&file.module);
        }
        if let Some((a_bits, b_bits)) = mul::pair_bits(design.module(id)) {
            let b_load = mul::pair_loads_b(design.module(id));
            if let Some(text) = mul_pair(family, &file.module, a_bits, b_bits, b_load) {
                file.text = text;
            }
        }
    }
    out
}

/// True when `family` computes a pair multiplier of `a_bits` x `b_bits` products in one
/// DSP block (the flow replaces the generic module).
pub fn pairs_share_a_dsp(family: Family, a_bits: u32, b_bits: u32) -> bool {
    family == Family::Ice40 && a_bits.max(b_bits) <= ICE40_PAIR_MAX_BITS && a_bits.min(b_bits) >= 1
}

/// The family's replacement of pair multiplier `name` (ports as the generic module's;
/// `b_load`: it has the `b_load_i` input of a broadcast array's pair), or `None` when the
/// generic module stays. A pair with `b_load_i` is replaced only on iCE40 at 8x8, the form
/// whose equality is proved (`tests/dsp_pair.rs`); others keep the generic module.
pub fn mul_pair(family: Family, name: &str, a_bits: u32, b_bits: u32, b_load: bool) -> Option<String> {
    match family {
        Family::Ice40 => {
            let proved = !b_load || (a_bits, b_bits) == (ICE40_PAIR_MAX_BITS, ICE40_PAIR_MAX_BITS);
            (pairs_share_a_dsp(family, a_bits, b_bits) && proved).then(|| ice40_mul_pair(name, a_bits, b_bits, b_load))
        }
        Family::Ecp5 => (!b_load && a_bits.max(b_bits) <= ecp5::ECP5_MAX_BITS && a_bits.min(b_bits) >= 1)
            .then(|| ecp5::mul_pair(name, a_bits, b_bits)),
        Family::Gowin => None,
    }
}

/// `x` (a `bits`-wide port) sign-extended to `width` bits, as Verilog: an SB_MAC16 byte
/// lane (8), a MULT18X18D operand (18).
fn sign_extend(x: &str, bits: u32, width: u32) -> String {
    match bits {
        _ if bits == width => x.to_string(),
        1 => format!("{{{width}{{{x}}}}}"),
        _ => format!("{{{{{}{{{x}[{}]}}}}, {x}}}", width - bits, bits - 1),
    }
}

/// The opening of a family's replacement of pair multiplier `name`, up to the end of its
/// port list: the generated-file header with `what` (the module's description, one
/// comment line each) and the generation parameters, then the generic module's ports
/// (`extra_ports`, each a line ending in a newline and indent, before `a0_i`).
fn pair_module_head(family: &str, name: &str, what: &[&str], a_bits: u32, b_bits: u32, extra_ports: &str) -> String {
    let range = |w: u32| if w == 1 { String::new() } else { format!("[{}:0] ", w - 1) };
    let (ra, rb, rp) = (range(a_bits), range(b_bits), range(a_bits + b_bits));
    let what: String = what.iter().map(|l| format!("//   {l}\n")).collect();
    format!(
        "// Generated by SeedChip fpga for {family}. Do not edit: regenerate from the configuration.\n\
         //\n\
         // Module {name}\n\
         {what}\
         //\n\
         // Generated with:\n\
         //   a_bits = {a_bits}\n\
         //   b_bits = {b_bits}\n\
         \n\
         `default_nettype none\n\
         \n\
         module {name} (\n  \
           input  wire clk_i,\n  \
           input  wire en_i,\n  \
           {extra_ports}input  wire {ra}a0_i,\n  \
           input  wire {rb}b0_i,\n  \
           output wire {rp}p0_o,\n  \
           input  wire {ra}a1_i,\n  \
           input  wire {rb}b1_i,\n  \
           output wire {rp}p1_o\n\
         );\n"
    )
}

/// An SB_MAC16 in 8x8 mode: its A and B input registers take the operands, its 8x8 product
/// registers `a0 * b0` (the bottom product, output bits 15:0) and `a1 * b1` (the top one,
/// bits 31:16), signed, all clocked by `clk_i` while `en_i` is high; they drive `p0_o`
/// and `p1_o`. With `b_load`, the B register holds (BHOLD) while `b_load_i` is low.
fn ice40_mul_pair(name: &str, a_bits: u32, b_bits: u32, b_load: bool) -> String {
    let p_bits = a_bits + b_bits;
    let unused = if p_bits < 16 {
        format!(
            "\n  // Above the {p_bits}-bit products the halves hold only copies of their signs.\n  \
             wire unused_ok = &{{1'b0, mac_o[31:{}], mac_o[15:{p_bits}]}};\n",
            16 + p_bits
        )
    } else {
        String::new()
    };
    let what = [
        "Two independent signed multipliers for two PEs with registered operands and",
        "products (loaded while en_i is high), p0 <= a0 * b0 and p1 <= a1 * b1, in one",
        "SB_MAC16 in its 8x8 mode (its A and B registers, bottom and top product registers,",
        "no accumulator). It replaces, for iCE40 synthesis only, the generic module of the",
        "same name and ports, which simulation runs.",
        "The B register (both weights) loads only while b_load_i is high (BHOLD).",
    ];
    let what = if b_load { &what[..] } else { &what[..5] };
    let extra_ports = if b_load { "input  wire b_load_i,\n  " } else { "" };
    let head = pair_module_head("iCE40", name, what, a_bits, b_bits, extra_ports);
    format!(
        "{head}\
         \n  \
           wire [31:0] mac_o;\n\
         \n  \
           SB_MAC16 #(\n    \
             .MODE_8x8                 (1'b1),\n    \
             .A_SIGNED                 (1'b1),\n    \
             .B_SIGNED                 (1'b1),\n    \
             .A_REG                    (1'b1),\n    \
             .B_REG                    (1'b1),\n    \
             .C_REG                    (1'b0),\n    \
             .D_REG                    (1'b0),\n    \
             .TOP_8x8_MULT_REG         (1'b1),\n    \
             .BOT_8x8_MULT_REG         (1'b1),\n    \
             .PIPELINE_16x16_MULT_REG1 (1'b0),\n    \
             .PIPELINE_16x16_MULT_REG2 (1'b0),\n    \
             .TOPOUTPUT_SELECT         (2'b10),\n    \
             .TOPADDSUB_LOWERINPUT     (2'b00),\n    \
             .TOPADDSUB_UPPERINPUT     (1'b0),\n    \
             .TOPADDSUB_CARRYSELECT    (2'b00),\n    \
             .BOTOUTPUT_SELECT         (2'b10),\n    \
             .BOTADDSUB_LOWERINPUT     (2'b00),\n    \
             .BOTADDSUB_UPPERINPUT     (1'b0),\n    \
             .BOTADDSUB_CARRYSELECT    (2'b00),\n    \
             .NEG_TRIGGER              (1'b0)\n  \
           ) u_mac (\n    \
             .CLK        (clk_i),\n    \
             .CE         (en_i),\n    \
             .A          ({{{a1}, {a0}}}),\n    \
             .B          ({{{b1}, {b0}}}),\n    \
             .C          (16'd0),\n    \
             .D          (16'd0),\n    \
             .AHOLD      (1'b0),\n    \
             .BHOLD      ({bhold}),\n    \
             .CHOLD      (1'b0),\n    \
             .DHOLD      (1'b0),\n    \
             .IRSTTOP    (1'b0),\n    \
             .IRSTBOT    (1'b0),\n    \
             .ORSTTOP    (1'b0),\n    \
             .ORSTBOT    (1'b0),\n    \
             .OLOADTOP   (1'b0),\n    \
             .OLOADBOT   (1'b0),\n    \
             .ADDSUBTOP  (1'b0),\n    \
             .ADDSUBBOT  (1'b0),\n    \
             .OHOLDTOP   (1'b0),\n    \
             .OHOLDBOT   (1'b0),\n    \
             .CI         (1'b0),\n    \
             .ACCUMCI    (1'b0),\n    \
             .SIGNEXTIN  (1'b0),\n    \
             .O          (mac_o),\n    \
             .CO         (),\n    \
             .ACCUMCO    (),\n    \
             .SIGNEXTOUT ()\n  \
           );\n\
         \n  \
           assign p0_o = mac_o[{p0_hi}:0];\n  \
           assign p1_o = mac_o[{p1_hi}:16];\n\
         {unused}\
         \n\
         endmodule\n\
         \n\
         `default_nettype wire\n",
        a0 = sign_extend("a0_i", a_bits, 8),
        a1 = sign_extend("a1_i", a_bits, 8),
        b0 = sign_extend("b0_i", b_bits, 8),
        b1 = sign_extend("b1_i", b_bits, 8),
        p0_hi = p_bits - 1,
        p1_hi = 16 + p_bits - 1,
        bhold = if b_load { "~b_load_i" } else { "1'b0" },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ice40_pairs_of_at_most_8_bits_are_replaced() {
        assert!(mul_pair(Family::Ice40, "t_mul_pair_8x8", 8, 8, false).is_some());
        assert!(mul_pair(Family::Ice40, "t_mul_pair_4x4", 4, 4, false).is_some());
        assert!(mul_pair(Family::Ice40, "t_mul_pair_9x9", 9, 9, false).is_none());
        assert!(mul_pair(Family::Ice40, "t_mul_pair_4x4", 4, 4, true).is_none());
        assert!(mul_pair(Family::Ecp5, "t_mul_pair_8x8", 8, 8, true).is_none());
        assert!(mul_pair(Family::Gowin, "t_mul_pair_8x8", 8, 8, false).is_none());
    }

    #[test]
    fn ecp5_pairs_of_at_most_18_bits_become_two_registered_mult18x18d() {
        assert!(mul_pair(Family::Ecp5, "t_mul_pair_19x19", 19, 19, false).is_none());
        let t = mul_pair(Family::Ecp5, "t_mul_pair_8x8", 8, 8, false).unwrap();
        assert_eq!(t.matches("MULT18X18D #(").count(), 2, "{t}");
        for reg in ["REG_INPUTA_CLK   (\"CLK0\")", "REG_INPUTB_CLK   (\"CLK0\")", "REG_OUTPUT_CLK   (\"CLK0\")"] {
            assert_eq!(t.matches(reg).count(), 2, "{reg}: {t}");
        }
        assert!(t.contains("wire [17:0] a0_18 = {{10{a0_i[7]}}, a0_i};"), "{t}");
        assert!(t.contains(".CE0(en_i)") && t.contains(".A17(a1_18[17])") && t.contains(".P35(mul1_p[35])"), "{t}");
        assert!(t.contains("assign p1_o = mul1_p[15:0];") && t.contains("unused_ok"), "{t}");
        let t = mul_pair(Family::Ecp5, "t_mul_pair_18x18", 18, 18, false).unwrap();
        assert!(t.contains("wire [17:0] b1_18 = b1_i;") && !t.contains("unused_ok"), "{t}");
    }

    #[test]
    fn narrow_operands_are_sign_extended_into_the_byte_lanes() {
        let t = mul_pair(Family::Ice40, "t_mul_pair_4x6", 4, 6, false).unwrap();
        assert!(t.contains(".A          ({{{4{a1_i[3]}}, a1_i}, {{4{a0_i[3]}}, a0_i}}),"), "{t}");
        assert!(t.contains(".B          ({{{2{b1_i[5]}}, b1_i}, {{2{b0_i[5]}}, b0_i}}),"), "{t}");
        assert!(t.contains("assign p1_o = mac_o[25:16];") && t.contains("unused_ok"), "{t}");
        let t = mul_pair(Family::Ice40, "t_mul_pair_8x8", 8, 8, false).unwrap();
        assert!(t.contains(".A          ({a1_i, a0_i}),") && !t.contains("unused_ok"), "{t}");
        assert!(t.contains("module t_mul_pair_8x8 (") && t.contains("assign p0_o = mac_o[15:0];"), "{t}");
    }

    #[test]
    fn emit_replaces_the_pair_multipliers_of_ice40_and_ecp5_arrays_only() {
        let cfg =
            ip_blocks::config::ArrayConfig { dsp_multipliers: Some(5), ..ip_blocks::config::ArrayConfig::new(2, 3) };
        let mut d = Design::new();
        let top = ip_blocks::blocks::systolic_array::build(&mut d, "t", &cfg).unwrap();
        let generic = rtl_gen::emit::verilog::emit(&d, top);
        let ice40 = emit(&d, top, Family::Ice40);
        let gowin = emit(&d, top, Family::Gowin);
        assert_eq!(gowin, generic);
        assert_eq!(ice40.filelist, generic.filelist);
        for (g, i) in generic.module_files.iter().zip(&ice40.module_files) {
            assert_eq!(g.text == i.text, g.module != "t_mul_pair_8x8", "{}", g.module);
        }
        assert!(ice40.file("t_mul_pair_8x8").unwrap().text.contains("SB_MAC16 #("));
        let ecp5 = emit(&d, top, Family::Ecp5);
        for (g, e) in generic.module_files.iter().zip(&ecp5.module_files) {
            assert_eq!(g.text == e.text, g.module != "t_mul_pair_8x8", "{}", g.module);
        }
        assert!(ecp5.file("t_mul_pair_8x8").unwrap().text.contains("MULT18X18D #("));
    }
}
