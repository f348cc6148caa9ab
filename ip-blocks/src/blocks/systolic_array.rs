//! The matrix engine: a `rows` x `cols` weight-stationary systolic array of PEs, with
//! input skew and output de-skew inside, so the interface takes one input vector and
//! gives one output vector per cycle.
//!
//! Dataflow: PE (k, n) holds weight B[k][n]. An input vector A[m] (one element per row)
//! enters on `a_r<k>_i` with `in_valid_i`; row k is delayed k cycles so that partial sums
//! meet their inputs as they flow down the columns. Column n's sum is delayed
//! `cols - 1 - n` cycles so the whole output vector C[m] = A[m] x B leaves together on
//! `c_c<n>_o` with `out_valid_o`, [`latency`] cycles after it entered.
//!
//! Weights load from the top: with `w_load_i` high for `rows` cycles, feeding row
//! B[rows - 1] first and B[0] last on `w_c<n>_i`, PE (k, n) ends up holding B[k][n].

use super::pe::{self, PeParams};
use crate::config::ArrayConfig;
use rtl_gen::{CheckErrors, Design, ModuleBuilder, ModuleId, SignalId};

/// Cycles from an input vector entering to its output vector leaving.
pub fn latency(cfg: &ArrayConfig) -> u32 {
    cfg.rows + cfg.cols - 1
}

/// Build the array module `<prefix>_systolic_array` (and its PE) into `design`.
pub fn build(design: &mut Design, prefix: &str, cfg: &ArrayConfig) -> Result<ModuleId, CheckErrors> {
    let pe = match design.find(&format!("{prefix}_pe")) {
        Some(id) => id,
        None => pe::build(design, prefix, PeParams::from(cfg))?,
    };
    let (rows, cols, ib, ab) = (cfg.rows, cfg.cols, cfg.input_bits, cfg.acc_bits);
    let mut m = ModuleBuilder::new(format!("{prefix}_systolic_array"));
    m.doc(format!(
        "Weight-stationary systolic array of {rows} x {cols} MAC PEs with input skew and \
         output de-skew: c_c<n>_o = sum over k of a_r<k>_i * B[k][n], {} cycles after the \
         inputs, flagged by out_valid_o. Weights load from w_c<n>_i while w_load_i is high, \
         last row first.",
        latency(cfg)
    ));
    m.param("rows", rows);
    m.param("cols", cols);
    m.param("input_bits", ib);
    m.param("acc_bits", ab);

    let in_valid = m.input("in_valid_i", 1);
    let a_in: Vec<SignalId> = (0..rows).map(|k| m.input(format!("a_r{k}_i"), ib)).collect();
    let w_load = m.input("w_load_i", 1);
    let w_in: Vec<SignalId> = (0..cols).map(|n| m.input(format!("w_c{n}_i"), ib)).collect();
    let out_valid = m.output("out_valid_o", 1);
    let c_out: Vec<SignalId> = (0..cols).map(|n| m.output(format!("c_c{n}_o"), ab)).collect();

    // Input skew: row k waits k cycles.
    let skewed: Vec<SignalId> = (0..rows)
        .map(|k| {
            let mut cur = a_in[k as usize];
            for j in 0..k {
                let r = m.reg(format!("skew_r{k}_{j}"), ib).build();
                m.next(r, cur);
                cur = r.q;
            }
            cur
        })
        .collect();

    // The grid.
    let mut psum_out = vec![vec![SignalId(0); cols as usize]; rows as usize];
    let mut a_out = vec![vec![SignalId(0); cols as usize]; rows as usize];
    let mut w_out = vec![vec![SignalId(0); cols as usize]; rows as usize];
    for k in 0..rows as usize {
        for n in 0..cols as usize {
            let inst = m.instance(format!("pe_r{k}_c{n}"), design, pe);
            let a_src = if n == 0 { skewed[k] } else { a_out[k][n - 1] };
            m.connect(inst, "a_i", a_src);
            if k == 0 {
                let zero = m.lit(0, ab);
                m.connect(inst, "psum_i", zero);
                m.connect(inst, "w_i", w_in[n]);
            } else {
                m.connect(inst, "psum_i", psum_out[k - 1][n]);
                m.connect(inst, "w_i", w_out[k - 1][n]);
            }
            m.connect(inst, "w_load_i", w_load);
            a_out[k][n] = m.connect_wire(inst, "a_o", format!("a_r{k}_c{n}"));
            psum_out[k][n] = m.connect_wire(inst, "psum_o", format!("psum_r{k}_c{n}"));
            w_out[k][n] = m.connect_wire(inst, "w_o", format!("w_r{k}_c{n}"));
        }
    }
    // The last column's inputs and the bottom row's weights go nowhere.
    for row in &a_out {
        m.mark_unused(row[cols as usize - 1]);
    }
    for w in &w_out[rows as usize - 1] {
        m.mark_unused(*w);
    }

    // Output de-skew: column n waits cols - 1 - n cycles.
    for n in 0..cols {
        let mut cur = psum_out[rows as usize - 1][n as usize];
        for j in 0..cols - 1 - n {
            let r = m.reg(format!("deskew_c{n}_{j}"), ab).build();
            m.next(r, cur);
            cur = r.q;
        }
        m.assign(c_out[n as usize], cur);
    }

    // Valid travels beside the data.
    let lat = latency(cfg);
    let valid = m.reg("valid_pipe", lat).reset(0).build();
    let shifted = if lat == 1 {
        m.sig(in_valid)
    } else {
        let low = m.trunc(valid, lat - 1);
        let iv = m.sig(in_valid);
        m.concat([low, iv])
    };
    m.next(valid, shifted);
    let top_bit = m.bit(valid, lat - 1);
    m.assign(out_valid, top_bit);
    design.add(m)
}
