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
    format!(
        "  MULT18X18D #(\n    \
           .REG_INPUTA_CLK   (\"CLK0\"),\n    \
           .REG_INPUTA_CE    (\"CE0\"),\n    \
           .REG_INPUTA_RST   (\"RST0\"),\n    \
           .REG_INPUTB_CLK   (\"CLK0\"),\n    \
           .REG_INPUTB_CE    (\"CE0\"),\n    \
           .REG_INPUTB_RST   (\"RST0\"),\n    \
           .REG_INPUTC_CLK   (\"NONE\"),\n    \
           .REG_PIPELINE_CLK (\"NONE\"),\n    \
           .REG_OUTPUT_CLK   (\"CLK0\"),\n    \
           .REG_OUTPUT_CE    (\"CE0\"),\n    \
           .REG_OUTPUT_RST   (\"RST0\"),\n    \
           .GSR              (\"DISABLED\"),\n    \
           .RESETMODE        (\"SYNC\")\n  \
         ) u_mul{k} (\n\
         {a}{b}{c}    \
           .SIGNEDA(1'b1), .SIGNEDB(1'b1), .SOURCEA(1'b0), .SOURCEB(1'b0),\n    \
           .CLK0(clk_i), .CLK1(1'b0), .CLK2(1'b0), .CLK3(1'b0),\n    \
           .CE0(en_i), .CE1(1'b0), .CE2(1'b0), .CE3(1'b0),\n    \
           .RST0(1'b0), .RST1(1'b0), .RST2(1'b0), .RST3(1'b0),\n\
         {p}    \
           .SIGNEDP()\n  \
         );\n",
        a = bus("A", &format!("a{k}_18"), 18),
        b = bus("B", &format!("b{k}_18"), 18),
        c = tie("C", "1'b0", 18),
        p = bus("P", &format!("mul{k}_p"), 36),
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
