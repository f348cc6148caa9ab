//! The ECP5 pair multiplier: two MULT18X18D, each with its A and B input registers and
//! its output register, so that a PE product's path is register to register inside the
//! DSP block (Yosys's own inference leaves MULT18X18D combinational, with the operand
//! and product registers in the fabric: routing in, the multiplier and routing out in one
//! cycle).

/// Widest operand of a MULT18X18D product.
pub const ECP5_MAX_BITS: u32 = 18;

/// Named connections `.<port><i>(<wire>[<i>])` for `i` in `0..n`, six to a line.
fn bus(port: &str, wire: &str, n: u32) -> String {
    let pins: Vec<String> = (0..n).map(|i| format!(".{port}{i}({wire}[{i}])")).collect();
    pins.chunks(6).map(|c| format!("    {},\n", c.join(", "))).collect()
}

/// Named connections `.<port><i>(<value>)` for `i` in `0..n`, six to a line.
fn tie(port: &str, value: &str, n: u32) -> String {
    let pins: Vec<String> = (0..n).map(|i| format!(".{port}{i}({value})")).collect();
    pins.chunks(6).map(|c| format!("    {},\n", c.join(", "))).collect()
}

/// One MULT18X18D `u_mul<k>`: `p<k>_q <= a<k>_q * b<k>_q` (signed), with `a<k>_q`,
/// `b<k>_q` its input registers and `p<k>_q` its output register, all on `clk_i` and
/// clock enable `en_i`, no reset.
fn instance(k: u32) -> String {
    mult18x18d(&format!("u_mul{k}"), &format!("a{k}_18"), &format!("b{k}_18"), &format!("mul{k}_p"), false)
}

/// One MULT18X18D `inst`: `p <= a * b` (signed, 18-bit wires `a` and `b`, the 36-bit wire
/// `p`), with its A and B input registers and its output register on `clk_i`, A's and
/// the output's enabled by `en_i` (CE0), B's by CE0 too or, with `b_every_cycle`, by CE1
/// tied high; no reset.
fn mult18x18d(inst: &str, a: &str, b: &str, p: &str, b_every_cycle: bool) -> String {
    format!(
        "  MULT18X18D #(\n    \
           .REG_INPUTA_CLK   (\"CLK0\"),\n    \
           .REG_INPUTA_CE    (\"CE0\"),\n    \
           .REG_INPUTA_RST   (\"RST0\"),\n    \
           .REG_INPUTB_CLK   (\"CLK0\"),\n    \
           .REG_INPUTB_CE    (\"{b_ce}\"),\n    \
           .REG_INPUTB_RST   (\"RST0\"),\n    \
           .REG_INPUTC_CLK   (\"NONE\"),\n    \
           .REG_PIPELINE_CLK (\"NONE\"),\n    \
           .REG_OUTPUT_CLK   (\"CLK0\"),\n    \
           .REG_OUTPUT_CE    (\"CE0\"),\n    \
           .REG_OUTPUT_RST   (\"RST0\"),\n    \
           .GSR              (\"DISABLED\"),\n    \
           .RESETMODE        (\"SYNC\")\n  \
         ) {inst} (\n\
         {a}{b}{c}    \
           .SIGNEDA(1'b1), .SIGNEDB(1'b1), .SOURCEA(1'b0), .SOURCEB(1'b0),\n    \
           .CLK0(clk_i), .CLK1(1'b0), .CLK2(1'b0), .CLK3(1'b0),\n    \
           .CE0(en_i), .CE1({ce1}), .CE2(1'b0), .CE3(1'b0),\n    \
           .RST0(1'b0), .RST1(1'b0), .RST2(1'b0), .RST3(1'b0),\n\
         {p}    \
           .SIGNEDP()\n  \
         );\n",
        a = bus("A", a, 18),
        b = bus("B", b, 18),
        c = tie("C", "1'b0", 18),
        p = bus("P", p, 36),
        b_ce = if b_every_cycle { "CE1" } else { "CE0" },
        ce1 = if b_every_cycle { "1'b1" } else { "1'b0" },
    )
}

/// The pair multiplier `name` for ECP5: ports and behaviour of the generic module (two
/// signed products, operands and products registered while `en_i` is high), in two
/// MULT18X18D with their input and output registers. The shift-chain inputs (`SRIA`,
/// `SRIB`) and the cascade outputs (`SROA`, `SROB`, `ROA`, `ROB`, `ROC`) are left open.
pub fn mul_pair(name: &str, a_bits: u32, b_bits: u32) -> String {
    let p_bits = a_bits + b_bits;
    let unused = if p_bits < 36 {
        format!(
            "\n  // Above the {p_bits}-bit products the outputs hold only copies of their signs.\n  \
             wire unused_ok = &{{1'b0, mul0_p[35:{p_bits}], mul1_p[35:{p_bits}]}};\n"
        )
    } else {
        String::new()
    };
    let what = [
        "Two independent signed multipliers for two PEs with registered operands and",
        "products (loaded while en_i is high), p0 <= a0 * b0 and p1 <= a1 * b1, each in one",
        "MULT18X18D with its A and B input registers and its output register. It replaces,",
        "for ECP5 synthesis only, the generic module of the same name and ports, which",
        "simulation runs.",
    ];
    let head = super::pair_module_head("ECP5", name, &what, a_bits, b_bits, "");
    format!(
        "{head}\
         \n  \
           wire [17:0] a0_18 = {a0};\n  \
           wire [17:0] b0_18 = {b0};\n  \
           wire [17:0] a1_18 = {a1};\n  \
           wire [17:0] b1_18 = {b1};\n  \
           wire [35:0] mul0_p;\n  \
           wire [35:0] mul1_p;\n\
         \n\
         {m0}\n\
         {m1}\n  \
           assign p0_o = mul0_p[{p_hi}:0];\n  \
           assign p1_o = mul1_p[{p_hi}:0];\n\
         {unused}\
         \n\
         endmodule\n\
         \n\
         `default_nettype wire\n",
        a0 = super::sign_extend("a0_i", a_bits, ECP5_MAX_BITS),
        a1 = super::sign_extend("a1_i", a_bits, ECP5_MAX_BITS),
        b0 = super::sign_extend("b0_i", b_bits, ECP5_MAX_BITS),
        b1 = super::sign_extend("b1_i", b_bits, ECP5_MAX_BITS),
        m0 = instance(0),
        m1 = instance(1),
        p_hi = p_bits - 1,
    )
}

/// The requantizer's split 32x32 product `name` for ECP5 (ports and behaviour of the
/// generic module, `ip_blocks::blocks::mul::build_split`): four MULT18X18D, one per
/// 16x16 partial product, whose A input registers hold the digits of `x` (loaded while
/// `en_i` is high), whose B input registers hold those of `m` (loaded every cycle: CE1
/// tied high), and whose output registers hold the partial products (loaded while
/// `en_i` is high). The unsigned low digits enter zero-extended to 18 bits, the signed
/// high ones sign-extended; every product is signed 18x18.
pub fn mul_split(name: &str) -> String {
    let products = [
        ("u_ll", "x_lo_18", "m_lo_18", "ll_p"),
        ("u_hl", "x_hi_18", "m_lo_18", "hl_p"),
        ("u_lh", "x_lo_18", "m_hi_18", "lh_p"),
        ("u_hh", "x_hi_18", "m_hi_18", "hh_p"),
    ];
    let instances: String =
        products.iter().map(|(inst, a, b, p)| format!("{}\n", mult18x18d(inst, a, b, p, true))).collect();
    format!(
        "// Generated by SeedChip fpga for ECP5. Do not edit: regenerate from the configuration.\n\
         //\n\
         // Module {name}\n\
         //   The requantizer's signed 32x32 product as four 16x16 partial products, each in one\n\
         //   MULT18X18D with its A and B input registers (x loaded while en_i is high, m every\n\
         //   cycle) and its output register (loaded while en_i is high). It replaces, for ECP5\n\
         //   synthesis only, the generic module of the same name and ports, which simulation runs.\n\
         \n\
         `default_nettype none\n\
         \n\
         module {name} (\n  \
           input  wire clk_i,\n  \
           input  wire en_i,\n  \
           input  wire [31:0] x_i,\n  \
           input  wire [31:0] m_i,\n  \
           output wire [15:0] ll_o,\n  \
           output wire [32:0] hl_o,\n  \
           output wire [32:0] lh_o,\n  \
           output wire [31:0] hh_o\n\
         );\n\
         \n  \
           wire [17:0] x_lo_18 = {{2'b00, x_i[15:0]}};\n  \
           wire [17:0] x_hi_18 = {{{{2{{x_i[31]}}}}, x_i[31:16]}};\n  \
           wire [17:0] m_lo_18 = {{2'b00, m_i[15:0]}};\n  \
           wire [17:0] m_hi_18 = {{{{2{{m_i[31]}}}}, m_i[31:16]}};\n  \
           wire [35:0] ll_p;\n  \
           wire [35:0] hl_p;\n  \
           wire [35:0] lh_p;\n  \
           wire [35:0] hh_p;\n\
         \n\
         {instances}  \
           assign ll_o = ll_p[31:16];\n  \
           assign hl_o = hl_p[32:0];\n  \
           assign lh_o = lh_p[32:0];\n  \
           assign hh_o = hh_p[31:0];\n\
         \n  \
           // The low product's bits below 16 cannot reach the result; above each product's\n  \
           // width the outputs hold only copies of its sign (or zeros).\n  \
           wire unused_ok = &{{1'b0, ll_p[35:32], ll_p[15:0], hl_p[35:33], lh_p[35:33], hh_p[35:32]}};\n\
         \n\
         endmodule\n\
         \n\
         `default_nettype wire\n"
    )
}
