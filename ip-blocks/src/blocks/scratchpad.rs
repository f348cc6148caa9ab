//! A scratchpad bank: `rows` rows of one `cols`-wide input vector each, with one write
//! and one read port (simple dual-port, inferred as block RAM).
//!
//! With a read latency of two (`scratchpad.read_latency`), a register `rd_out` follows
//! the memory's read register, loaded every cycle: the row read in cycle `t` is on
//! `rd_data_o` in cycle `t + 2`. Yosys maps the ECP5's DP16KD without its output
//! register (5.8 ns from clock to data), so this register takes that delay off every
//! path that starts at the bank; on the iCE40 (1 cycle) it would only cost flip-flops.

use rtl_gen::ir::clog2;
use rtl_gen::{CheckErrors, Design, ModuleBuilder, ModuleId};

/// Parameters of a scratchpad bank.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScratchpadParams {
    /// Rows in the bank.
    pub rows: u32,
    /// Bits per row (`cols` x `input_bits`).
    pub row_bits: u32,
    /// Cycles from `rd_en_i` to the row on `rd_data_o`: 1, or 2 with the output register.
    pub read_latency: u32,
}

impl ScratchpadParams {
    /// Width of a row address.
    pub fn addr_bits(&self) -> u32 {
        clog2(self.rows.into()).max(1)
    }
}

/// Build the bank module `<prefix>_scratchpad_bank` into `design`.
pub fn build(design: &mut Design, prefix: &str, p: ScratchpadParams) -> Result<ModuleId, CheckErrors> {
    let mut m = ModuleBuilder::new(format!("{prefix}_scratchpad_bank"));
    m.doc(format!(
        "Scratchpad bank: simple dual-port memory of input vectors. Writes take effect at \
         the clock edge; a read returns the row {} after rd_en_i (the old contents \
         when the same row is written in that cycle){}.",
        if p.read_latency == 2 { "two cycles" } else { "one cycle" },
        if p.read_latency == 2 { ", through an output register after the memory's" } else { "" },
    ));
    m.param("rows", p.rows);
    m.param("row_bits", p.row_bits);
    if p.read_latency != 1 {
        m.param("read_latency", p.read_latency);
    }
    let aw = p.addr_bits();
    let wr_en = m.input("wr_en_i", 1);
    let wr_addr = m.input("wr_addr_i", aw);
    let wr_data = m.input("wr_data_i", p.row_bits);
    let rd_en = m.input("rd_en_i", 1);
    let rd_addr = m.input("rd_addr_i", aw);
    let rd_data = m.output("rd_data_o", p.row_bits);

    let mem = m.memory("mem", p.row_bits, p.rows);
    m.mem_write(mem, wr_en, wr_addr, wr_data);
    let q = m.mem_read(mem, "rd_data", rd_en, rd_addr);
    if p.read_latency == 2 {
        let out = m.reg("rd_out", p.row_bits).build();
        m.next(out, q);
        m.assign(rd_data, out);
    } else {
        m.assign(rd_data, q);
    }
    design.add(m)
}

/// Build the scratchpad `<prefix>_scratchpad`: `banks` banks (instances `sp_bank<i>` of
/// the bank module), each with its own write and read port (`b<i>_` prefixed ports), so
/// that a DMA write and an engine read of different banks happen in the same cycle.
pub fn build_banked(
    design: &mut Design,
    prefix: &str,
    banks: u32,
    p: ScratchpadParams,
) -> Result<ModuleId, CheckErrors> {
    let bank = match design.find(&format!("{prefix}_scratchpad_bank")) {
        Some(id) => id,
        None => build(design, prefix, p)?,
    };
    let mut m = ModuleBuilder::new(format!("{prefix}_scratchpad"));
    m.doc(format!(
        "Scratchpad: {banks} banks of {} rows of {} bits, each bank with one write and one read port \
         (b<i>_ prefixed), read data {} after the read enable.",
        p.rows,
        p.row_bits,
        if p.read_latency == 2 { "two cycles" } else { "one cycle" }
    ));
    m.param("banks", banks);
    m.param("rows_per_bank", p.rows);
    m.param("row_bits", p.row_bits);
    if p.read_latency != 1 {
        m.param("read_latency", p.read_latency);
    }
    let aw = p.addr_bits();
    for i in 0..banks {
        let inst = m.instance(format!("sp_bank{i}"), design, bank);
        for (port, width) in
            [("wr_en_i", 1), ("wr_addr_i", aw), ("wr_data_i", p.row_bits), ("rd_en_i", 1), ("rd_addr_i", aw)]
        {
            let s = m.input(format!("b{i}_{port}"), width);
            m.connect(inst, port, s);
        }
        let out = m.output(format!("b{i}_rd_data_o"), p.row_bits);
        m.connect(inst, "rd_data_o", out);
    }
    design.add(m)
}
