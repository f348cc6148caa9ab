//! The sizes every part of the machine derives from one [`Config`]: local row formats,
//! element sizes in main memory, address widths. The controller, the DMA, the golden
//! model and the tiler all read them from here, so they cannot disagree.
//!
//! Row formats:
//! - A **scratchpad row** holds `sp_elems = max(rows, cols)` inputs of `input_bits`
//!   bits, element `e` at bits `[e * input_bits +: input_bits]`. A weight-stationary A
//!   vector (and an output-stationary A column) is its first `rows` elements; a weight
//!   row (and an output-stationary B row) its first `cols`.
//! - An **accumulator row** holds `cols` accumulators of `acc_bits` bits.
//!
//! In main memory an element is little-endian, whole bytes:
//! - an input: `sp_elem_bytes` = 1 byte up to 8 bits, else 2; `mvin` takes its low
//!   `input_bits` bits, `mvout` writes it sign-extended;
//! - an accumulator: `acc_elem_bytes` = 4 bytes up to 32 bits, else 8; `mvin` takes its
//!   low `acc_bits` bits, a raw `mvout` writes it sign-extended;
//! - a requantized accumulator (`mvout` without `.raw`): an input, `sp_elem_bytes`.

use crate::isa::{LocalAddr, Space};
use crate::Config;
use rtl_gen::ir::clog2;

/// Derived sizes of one configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    /// PE rows.
    pub rows: u32,
    /// PE columns.
    pub cols: u32,
    /// Bits of an input (scratchpad element, weight).
    pub input_bits: u32,
    /// Bits of an accumulator.
    pub acc_bits: u32,
    /// Scratchpad banks.
    pub sp_banks: u32,
    /// Rows in each scratchpad bank.
    pub sp_rows_per_bank: u32,
    /// Accumulator rows.
    pub acc_rows: u32,
    /// AXI4 data width in bits.
    pub dma_data_bits: u32,
    /// Read bursts in flight.
    pub dma_outstanding: u32,
    /// Bits of a performance counter (64 or 32).
    pub counter_bits: u32,
}

impl Geometry {
    /// The geometry of a (validated) configuration.
    pub fn of(cfg: &Config) -> Geometry {
        Geometry {
            rows: cfg.array.rows,
            cols: cfg.array.cols,
            input_bits: cfg.array.input_bits,
            acc_bits: cfg.array.acc_bits,
            sp_banks: cfg.scratchpad.banks,
            sp_rows_per_bank: cfg.scratchpad.rows_per_bank,
            acc_rows: cfg.accumulator.rows,
            dma_data_bits: cfg.dma.data_bits,
            dma_outstanding: cfg.dma.outstanding,
            counter_bits: cfg.controller.counter_bits,
        }
    }

    /// Elements in a scratchpad row: `max(rows, cols)`.
    pub fn sp_elems(&self) -> u32 {
        self.rows.max(self.cols)
    }

    /// Bits of a scratchpad row.
    pub fn sp_row_bits(&self) -> u32 {
        self.sp_elems() * self.input_bits
    }

    /// Scratchpad rows in all banks.
    pub fn sp_rows(&self) -> u32 {
        self.sp_banks * self.sp_rows_per_bank
    }

    /// The bank of scratchpad row `row` (banks are consecutive ranges of rows).
    pub fn sp_bank(&self, row: u32) -> u32 {
        row / self.sp_rows_per_bank
    }

    /// Bytes of an input in main memory.
    pub fn sp_elem_bytes(&self) -> u32 {
        if self.input_bits <= 8 {
            1
        } else {
            2
        }
    }

    /// Bytes of an accumulator in main memory.
    pub fn acc_elem_bytes(&self) -> u32 {
        if self.acc_bits <= 32 {
            4
        } else {
            8
        }
    }

    /// Bytes of one main-memory element of a `mvin` (`mvout` false) or `mvout` (true)
    /// from or to `local`: an accumulator for the accumulator's loads and raw stores,
    /// an input otherwise (requantized stores included).
    pub fn dram_elem_bytes(&self, local: LocalAddr, mvout: bool) -> u32 {
        match local.space {
            Space::Accumulator if !mvout || local.raw => self.acc_elem_bytes(),
            _ => self.sp_elem_bytes(),
        }
    }

    /// Bytes of a whole scratchpad row in main memory.
    pub fn sp_row_bytes(&self) -> u32 {
        self.sp_elems() * self.sp_elem_bytes()
    }

    /// Bytes of a whole raw accumulator row in main memory.
    pub fn acc_row_bytes(&self) -> u32 {
        self.cols * self.acc_elem_bytes()
    }

    /// The largest row the DMA moves, in bytes.
    pub fn dma_row_bytes(&self) -> u32 {
        self.sp_row_bytes().max(self.acc_row_bytes())
    }

    /// Bytes of one AXI4 beat.
    pub fn dma_beat_bytes(&self) -> u32 {
        self.dma_data_bits / 8
    }

    /// Bits of a local row number (enough for the larger memory, at least 1).
    pub fn local_row_bits(&self) -> u32 {
        clog2(u64::from(self.sp_rows().max(self.acc_rows))).max(1)
    }

    /// Peak multiply-accumulates per cycle.
    pub fn macs_per_cycle(&self) -> u64 {
        u64::from(self.rows) * u64::from(self.cols)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets() {
        let g = Config::preset("ice40").unwrap().geometry();
        assert_eq!((g.sp_elems(), g.sp_rows(), g.acc_rows, g.dma_beat_bytes()), (4, 1024, 256, 4));
        assert_eq!((g.sp_row_bytes(), g.acc_row_bytes(), g.dma_row_bytes(), g.local_row_bits()), (4, 16, 16, 10));
        let g = Config::preset("ecp5").unwrap().geometry();
        assert_eq!((g.sp_elems(), g.sp_rows(), g.acc_row_bytes(), g.dma_beat_bytes()), (8, 4096, 32, 8));
        assert_eq!(g.sp_bank(1023), 0);
        assert_eq!(g.sp_bank(1024), 1);
    }

    #[test]
    fn non_square_and_wide() {
        let text = "[array]\nrows = 3\ncols = 5\ninput_bits = 12\nacc_bits = 40\n\
                    [scratchpad]\nbanks = 2\nrows_per_bank = 32\n[accumulator]\nrows = 64\n";
        let g = Config::from_toml(text, "t").unwrap().geometry();
        assert_eq!((g.sp_elems(), g.sp_elem_bytes(), g.acc_elem_bytes()), (5, 2, 8));
        assert_eq!((g.sp_row_bytes(), g.acc_row_bytes(), g.dma_row_bytes()), (10, 40, 40));
    }
}
