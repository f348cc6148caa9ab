//! The DMA: an AXI4 master that moves 2-D strided blocks of rows between main memory and
//! the local memories (scratchpad, accumulator). Loads (`mvin`) read main memory and
//! write whole local rows; stores (`mvout`) read local rows and write main memory. The
//! two directions are independent engines that run at the same time; this module wires
//! them to one AXI4 port and adds the sticky error flag. The engines come in two forms
//! with the same ports and rules: the streaming ones ([`load`] and [`store`]: bursts
//! queued up to `dma_outstanding` deep, rows realigned beat by beat, one row per cycle
//! both ways) and, when `dma_outstanding` is 1, the compact ones ([`compact_load`] and
//! [`compact_store`]: one burst and one row at a time, stores one byte per cycle), built
//! for the smallest FPGAs.
//!
//! `W` = `dma_data_bits`, `B = W / 8` bytes per beat, `R` = [`Geometry::dma_row_bytes`]
//! (the largest row), `LB` = [`Geometry::local_row_bits`]. Ports (`clk_i` and `rst_i`
//! first; commands arrive already checked, so every command is legal):
//!
//! | port | width | meaning |
//! |---|---|---|
//! | `m_axi_arvalid_o`, `m_axi_arready_i` | 1 | AXI4 read address channel |
//! | `m_axi_araddr_o`, `m_axi_arlen_o` | 32, 8 | burst start (aligned down to `B`), beats - 1 |
//! | `m_axi_arsize_o`, `m_axi_arburst_o` | 3, 2 | `log2 B`, `2'b01` (INCR): constants |
//! | `m_axi_rvalid_i`, `m_axi_rready_o` | 1 | AXI4 read data channel (one ID: in order) |
//! | `m_axi_rdata_i`, `m_axi_rresp_i`, `m_axi_rlast_i` | W, 2, 1 | read beat |
//! | `m_axi_awvalid_o`, `m_axi_awready_i` | 1 | AXI4 write address channel |
//! | `m_axi_awaddr_o`, `m_axi_awlen_o` | 32, 8 | burst start (aligned down to `B`), beats - 1 |
//! | `m_axi_awsize_o`, `m_axi_awburst_o` | 3, 2 | `log2 B`, `2'b01` (INCR): constants |
//! | `m_axi_wvalid_o`, `m_axi_wready_i` | 1 | AXI4 write data channel |
//! | `m_axi_wdata_o`, `m_axi_wstrb_o`, `m_axi_wlast_o` | W, B, 1 | write beat; strobes exactly on the row's bytes |
//! | `m_axi_bvalid_i`, `m_axi_bready_o`, `m_axi_bresp_i` | 1, 1, 2 | write response (`bready` is always high) |
//! | `resp_error_o` | 1 | sticky: some RRESP or BRESP was not OKAY (cleared by reset) |
//! | `ld_valid_i`, `ld_ready_o` | 1 | load command channel |
//! | `ld_dram_i`, `ld_stride_i` | 32 | main-memory address of row 0, bytes between rows |
//! | `ld_rows_i`, `ld_bytes_i` | 16 | rows (1..65535), bytes per row (1..R) |
//! | `ld_acc_i`, `ld_accumulate_i` | 1 | to the accumulator; add instead of overwrite |
//! | `ld_row_i` | LB | first local row |
//! | `ld_done_o` | 1 | pulse: the last local write of a load command was accepted at the previous edge |
//! | `lw_valid_o`, `lw_ready_i` | 1 | local write channel (loads) |
//! | `lw_acc_o`, `lw_accumulate_o`, `lw_row_o` | 1, 1, LB | where the row goes |
//! | `lw_data_o` | 8R | the row, byte `i` at bits `[8i +: 8]`; bytes past the command's `bytes` are zero |
//! | `lw_chunks_o` | `ceil(R / B)` | the beat-sized chunks of the row this write carries: all ones (the whole row), or with [`DmaSizes::chunk_writes`] one chunk, in order from chunk 0, only those holding bytes of the row (`lw_data_o` then carries that chunk in every chunk's place) |
//! | `st_valid_i`, `st_ready_o` | 1 | store command channel |
//! | `st_dram_i`, `st_stride_i` | 32 | main-memory address of row 0, bytes between rows |
//! | `st_rows_i`, `st_bytes_i` | 16 | rows (1..65535), bytes per row (1..R) |
//! | `st_acc_i`, `st_raw_i`, `st_row_i` | 1, 1, LB | local source: accumulator, raw, first row |
//! | `st_done_o` | 1 | pulse: the last B response of a store command arrived at the previous edge |
//! | `lr_valid_o`, `lr_ready_i` | 1 | local read requests (stores), one per row |
//! | `lr_acc_o`, `lr_raw_o`, `lr_row_o` | 1, 1, LB | the row to read |
//! | `lrd_valid_i`, `lrd_ready_o` | 1 | local read responses, in request order, any latency, held until taken |
//! | `lrd_data_i` | 8R | the row's bytes in main-memory order (formatted by the controller) |
//! | `ld_bytes_done_o` | 16 | payload bytes of the local row written in this cycle (0 when none) |
//! | `st_bytes_done_o` | 16 | payload bytes of the row whose last W beat is accepted in this cycle |
//! | `idle_o` | 1 | no command in progress and nothing in flight |
//!
//! Rules: row `r` of a command is the `bytes` bytes at `dram + r * stride` (32-bit
//! wrapping, so a negative stride works too), at any byte alignment. It travels as one
//! INCR burst from the address aligned down to `B`, or as two where it crosses a 4 KB
//! boundary. Commands of one direction complete in order. `ld_ready_o` / `st_ready_o` are
//! high while that engine has no command: the next command is taken the cycle after the
//! previous one issued its last burst (streaming engines; one cycle without a burst
//! between commands), after its last read burst was accepted (compact load) or its last
//! byte went into the W register (compact store), while the previous one's data is
//! still in flight. `rows` = 0, `bytes` = 0 or above
//! `R` are illegal (the controller never sends them); the bits of `*_bytes_i` above
//! `clog2(R + 1)` are ignored. Response errors do not stop a transfer: the data moves
//! anyway and only `resp_error_o` records them.
//!
//! Handshakes: no `*ready` input reaches a `*valid` output combinationally; every valid
//! (`m_axi_arvalid_o`, `m_axi_awvalid_o`, `m_axi_wvalid_o`, `lw_valid_o`, `lr_valid_o`)
//! is a register whose payload stays put until taken (in the compact engines the AR, AW
//! and local read payloads are functions of registers that hold while offered).
//! `lrd_ready_o` comes from registers only. In the streaming store it is low only while
//! the row buffer is full, when no response can be pending (requests are issued against
//! free places); the compact store keeps the held response as its row buffer and raises
//! `lrd_ready_o` for one cycle after it has sent the row's last byte. `m_axi_bready_o`
//! is always high. The combinational paths from inputs to outputs are `lw_ready_i` to
//! `ld_bytes_done_o` and `m_axi_wready_i` to `st_bytes_done_o`, in the streaming load
//! `lw_ready_i` and `m_axi_rlast_i` to `m_axi_rready_o`, and in the compact load with
//! chunk writes `lw_ready_i` to `m_axi_rready_o` (not with `write_ready_registered`).
//!
//! Structure, timing and resources of each engine: [`load`], [`store`],
//! [`compact_load`] and [`compact_store`]. Register bits for the presets: `ice40`
//! (W = 32, R = 16, 8 bursts in flight) 597 in the load engine, 892 in the store engine;
//! `ecp5` (W = 64, R = 32) 1094 and 1454. The compact engines for W = 32, R = 16 and 9
//! local row bits: 254 and 159 (Yosys `synth_ice40`: the whole DMA 637 LUT4, 414
//! flip-flops, 165 carries, against 1607, 1325 and 315 for the streaming engines with
//! one burst in flight).

pub mod compact_load;
pub mod compact_store;
pub mod load;
pub mod store;

use super::util::select;
use crate::geometry::Geometry;
use rtl_gen::ir::clog2;
use rtl_gen::{CheckError, CheckErrors, Design, ExprId, IntoExpr, ModuleBuilder, ModuleId, SignalId};

/// The sizes the DMA is built with, derived from a [`Geometry`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DmaSizes {
    /// `W`: AXI4 data bits.
    pub data_bits: u32,
    /// `B`: bytes per beat.
    pub beat_bytes: u32,
    /// `log2 B`: bits of a byte lane number (and `arsize`).
    pub lane_bits: u32,
    /// `R`: bytes of the largest row.
    pub row_bytes: u32,
    /// Bits of a row's byte count (`0..=R`).
    pub bytes_bits: u32,
    /// `LB`: bits of a local row number.
    pub local_row_bits: u32,
    /// Read bursts in flight at most (depth of the load's burst FIFO).
    pub outstanding: u32,
    /// The command channels hold `<ch>_stride_i` from a command's acceptance until its
    /// `<ch>_done_o` pulse (the controller without a scoreboard changes a stride only
    /// while that side is idle): the compact engines then read the stride from the port
    /// rather than keep a copy. False from [`DmaSizes::of`].
    pub stride_held: bool,
    /// The compact load writes each beat-sized chunk of a row as soon as it is complete
    /// (`lw_chunks_o` one-hot) instead of assembling the row: no row register. From
    /// [`DmaSizes::of`] when the engines are compact, a scratchpad row fits one beat and
    /// accumulator elements do not straddle beats.
    pub chunk_writes: bool,
    /// The compact store copies the local read response into a register of its own
    /// (`lrd_row`) before selecting its bytes, one cycle more per row, so that no path
    /// runs from a block RAM behind the response to the W register; set with the
    /// scratchpad's output register (`scratchpad.read_latency` = 2). False from
    /// [`DmaSizes::of`].
    pub response_register: bool,
    /// The compact store steps a row's bytes only once the local read response has been
    /// offered for a cycle (`lrd_seen`, registered), one cycle more per row, so that no
    /// combinational path runs from `lrd_valid_i` into the store (`dma.local_read_registered`).
    /// False from [`DmaSizes::of`].
    pub response_valid_registered: bool,
    /// With [`DmaSizes::chunk_writes`], the compact load takes an R beat only while its
    /// chunk register is empty (`m_axi_rready_o` from registers only, not from
    /// `lw_ready_i`), a beat every other cycle at best, so that no combinational path runs
    /// from the local write's ready onto the AXI read channel (`dma.local_read_registered`).
    /// False from [`DmaSizes::of`].
    pub write_ready_registered: bool,
}

/// Rows a store buffers between its local read requests and the W channel (requests in
/// flight included): enough for one row per cycle with local read latencies up to 2.
pub const STORE_ROWS: u32 = 4;

/// Store commands whose B responses may be outstanding at once.
pub const STORE_COMMANDS: u32 = 4;

impl DmaSizes {
    /// The sizes of `g`'s DMA.
    pub fn of(g: &Geometry) -> DmaSizes {
        let beat_bytes = g.dma_data_bits / 8;
        let row_bytes = g.dma_row_bytes();
        DmaSizes {
            data_bits: g.dma_data_bits,
            beat_bytes,
            lane_bits: clog2(beat_bytes.max(1).into()),
            row_bytes,
            bytes_bits: clog2(u64::from(row_bytes) + 1).max(1),
            local_row_bits: g.local_row_bits(),
            outstanding: g.dma_outstanding,
            stride_held: false,
            chunk_writes: g.dma_outstanding == 1
                && g.sp_row_bytes() <= beat_bytes
                && beat_bytes.is_multiple_of(g.acc_elem_bytes()),
            response_register: false,
            response_valid_registered: false,
            write_ready_registered: false,
        }
    }

    /// The engines are the compact ones ([`compact_load`], [`compact_store`]): one read
    /// burst in flight (`dma_outstanding` = 1) and one row at a time in each direction.
    pub fn compact(&self) -> bool {
        self.outstanding == 1
    }

    /// Beats of the longest row at the worst alignment: `ceil((B - 1 + R) / B)`.
    pub fn max_row_beats(&self) -> u32 {
        (self.beat_bytes - 1 + self.row_bytes).div_ceil(self.beat_bytes)
    }

    /// Beat-sized chunks of a row: `ceil(R / B)`.
    pub fn chunks(&self) -> u32 {
        self.row_bytes.div_ceil(self.beat_bytes)
    }

    /// Bits of a beat index within a row.
    pub fn beat_index_bits(&self) -> u32 {
        clog2(self.max_row_beats().into()).max(1)
    }

    /// Check every size; the error names the module, the parameter, its value and the
    /// allowed range.
    pub fn check(&self, module: &str) -> Result<(), CheckErrors> {
        let mut errors = Vec::new();
        let mut bad = |parameter: &str, value: u32, allowed: String| {
            errors.push(CheckError::Parameter {
                module: module.to_string(),
                parameter: parameter.to_string(),
                value: value.to_string(),
                allowed,
            })
        };
        if ![32, 64, 128, 256].contains(&self.data_bits) {
            bad("dma_data_bits", self.data_bits, "32, 64, 128 or 256 (an AXI4 data width)".into());
        } else if self.row_bytes == 0 || self.row_bytes > 4096 || self.max_row_beats() > 256 {
            bad(
                "dma_row_bytes",
                self.row_bytes,
                format!(
                    "1 to 4096 with at most 256 beats of {} bytes per row (one 4 KB crossing, one AXI4 burst length)",
                    self.beat_bytes
                ),
            );
        }
        if !(1..=64).contains(&self.outstanding) {
            bad("dma_outstanding", self.outstanding, "1 to 64".into());
        }
        if !(1..=20).contains(&self.local_row_bits) {
            bad("local_row_bits", self.local_row_bits, "1 to 20".into());
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(CheckErrors(errors))
        }
    }
}

/// The ports of `<prefix>_dma` in order (after `clk_i`, `rst_i`). `resp_error_o` and
/// `idle_o` are the top's own; every other port belongs to the load or the store engine.
const PORT_ORDER: &[&str] = &[
    "m_axi_arvalid_o",
    "m_axi_arready_i",
    "m_axi_araddr_o",
    "m_axi_arlen_o",
    "m_axi_arsize_o",
    "m_axi_arburst_o",
    "m_axi_rvalid_i",
    "m_axi_rready_o",
    "m_axi_rdata_i",
    "m_axi_rresp_i",
    "m_axi_rlast_i",
    "m_axi_awvalid_o",
    "m_axi_awready_i",
    "m_axi_awaddr_o",
    "m_axi_awlen_o",
    "m_axi_awsize_o",
    "m_axi_awburst_o",
    "m_axi_wvalid_o",
    "m_axi_wready_i",
    "m_axi_wdata_o",
    "m_axi_wstrb_o",
    "m_axi_wlast_o",
    "m_axi_bvalid_i",
    "m_axi_bready_o",
    "m_axi_bresp_i",
    "resp_error_o",
    "ld_valid_i",
    "ld_ready_o",
    "ld_dram_i",
    "ld_stride_i",
    "ld_rows_i",
    "ld_bytes_i",
    "ld_acc_i",
    "ld_accumulate_i",
    "ld_row_i",
    "ld_done_o",
    "lw_valid_o",
    "lw_ready_i",
    "lw_acc_o",
    "lw_accumulate_o",
    "lw_row_o",
    "lw_data_o",
    "lw_chunks_o",
    "st_valid_i",
    "st_ready_o",
    "st_dram_i",
    "st_stride_i",
    "st_rows_i",
    "st_bytes_i",
    "st_acc_i",
    "st_raw_i",
    "st_row_i",
    "st_done_o",
    "lr_valid_o",
    "lr_ready_i",
    "lr_acc_o",
    "lr_raw_o",
    "lr_row_o",
    "lrd_valid_i",
    "lrd_ready_o",
    "lrd_data_i",
    "ld_bytes_done_o",
    "st_bytes_done_o",
    "idle_o",
];

/// The ports of a load engine: its command channel, the AXI4 read channels, the local write channel and its status.
///
/// Declared in this order by both forms of the engine, so their Verilog ports agree.
struct LoadPorts {
    ld_valid: SignalId,
    ld_ready: SignalId,
    ld_dram: SignalId,
    ld_stride: SignalId,
    ld_rows: SignalId,
    ld_bytes: SignalId,
    ld_acc: SignalId,
    ld_accumulate: SignalId,
    ld_row: SignalId,
    ld_done: SignalId,
    ar_valid_o: SignalId,
    ar_ready: SignalId,
    ar_addr_o: SignalId,
    ar_len_o: SignalId,
    ar_size_o: SignalId,
    ar_burst_o: SignalId,
    r_valid: SignalId,
    r_ready_o: SignalId,
    r_data: SignalId,
    r_resp: SignalId,
    r_last: SignalId,
    lw_valid_o: SignalId,
    lw_ready: SignalId,
    lw_acc_o: SignalId,
    lw_accumulate_o: SignalId,
    lw_row_o: SignalId,
    lw_data_o: SignalId,
    lw_chunks_o: SignalId,
    ld_bytes_done: SignalId,
    resp_error: SignalId,
    idle: SignalId,
}

impl LoadPorts {
    fn declare(m: &mut ModuleBuilder, s: &DmaSizes) -> Self {
        let (w, r, lb) = (s.data_bits, s.row_bytes, s.local_row_bits);
        Self {
            ld_valid: m.input("ld_valid_i", 1),
            ld_ready: m.output("ld_ready_o", 1),
            ld_dram: m.input("ld_dram_i", 32),
            ld_stride: m.input("ld_stride_i", 32),
            ld_rows: m.input("ld_rows_i", 16),
            ld_bytes: m.input("ld_bytes_i", 16),
            ld_acc: m.input("ld_acc_i", 1),
            ld_accumulate: m.input("ld_accumulate_i", 1),
            ld_row: m.input("ld_row_i", lb),
            ld_done: m.output("ld_done_o", 1),
            ar_valid_o: m.output("m_axi_arvalid_o", 1),
            ar_ready: m.input("m_axi_arready_i", 1),
            ar_addr_o: m.output("m_axi_araddr_o", 32),
            ar_len_o: m.output("m_axi_arlen_o", 8),
            ar_size_o: m.output("m_axi_arsize_o", 3),
            ar_burst_o: m.output("m_axi_arburst_o", 2),
            r_valid: m.input("m_axi_rvalid_i", 1),
            r_ready_o: m.output("m_axi_rready_o", 1),
            r_data: m.input("m_axi_rdata_i", w),
            r_resp: m.input("m_axi_rresp_i", 2),
            r_last: m.input("m_axi_rlast_i", 1),
            lw_valid_o: m.output("lw_valid_o", 1),
            lw_ready: m.input("lw_ready_i", 1),
            lw_acc_o: m.output("lw_acc_o", 1),
            lw_accumulate_o: m.output("lw_accumulate_o", 1),
            lw_row_o: m.output("lw_row_o", lb),
            lw_data_o: m.output("lw_data_o", 8 * r),
            lw_chunks_o: m.output("lw_chunks_o", s.chunks()),
            ld_bytes_done: m.output("ld_bytes_done_o", 16),
            resp_error: m.output("resp_error_o", 1),
            idle: m.output("idle_o", 1),
        }
    }
}

/// The ports of a store engine: its command channel, the local read request and response channels, the AXI4 write channels and its status.
///
/// Declared in this order by both forms of the engine, so their Verilog ports agree.
struct StorePorts {
    st_valid: SignalId,
    st_ready: SignalId,
    st_dram: SignalId,
    st_stride: SignalId,
    st_rows: SignalId,
    st_bytes: SignalId,
    st_acc: SignalId,
    st_raw: SignalId,
    st_row: SignalId,
    st_done: SignalId,
    lr_valid_o: SignalId,
    lr_ready: SignalId,
    lr_acc_o: SignalId,
    lr_raw_o: SignalId,
    lr_row_o: SignalId,
    lrd_valid: SignalId,
    lrd_ready_o: SignalId,
    lrd_data: SignalId,
    aw_valid_o: SignalId,
    aw_ready: SignalId,
    aw_addr_o: SignalId,
    aw_len_o: SignalId,
    aw_size_o: SignalId,
    aw_burst_o: SignalId,
    w_valid_o: SignalId,
    w_ready: SignalId,
    w_data_o: SignalId,
    w_strb_o: SignalId,
    w_last_o: SignalId,
    b_valid: SignalId,
    b_ready_o: SignalId,
    b_resp: SignalId,
    st_bytes_done: SignalId,
    resp_error: SignalId,
    idle: SignalId,
}

impl StorePorts {
    fn declare(m: &mut ModuleBuilder, s: &DmaSizes) -> Self {
        let (w, b, r, lb) = (s.data_bits, s.beat_bytes, s.row_bytes, s.local_row_bits);
        Self {
            st_valid: m.input("st_valid_i", 1),
            st_ready: m.output("st_ready_o", 1),
            st_dram: m.input("st_dram_i", 32),
            st_stride: m.input("st_stride_i", 32),
            st_rows: m.input("st_rows_i", 16),
            st_bytes: m.input("st_bytes_i", 16),
            st_acc: m.input("st_acc_i", 1),
            st_raw: m.input("st_raw_i", 1),
            st_row: m.input("st_row_i", lb),
            st_done: m.output("st_done_o", 1),
            lr_valid_o: m.output("lr_valid_o", 1),
            lr_ready: m.input("lr_ready_i", 1),
            lr_acc_o: m.output("lr_acc_o", 1),
            lr_raw_o: m.output("lr_raw_o", 1),
            lr_row_o: m.output("lr_row_o", lb),
            lrd_valid: m.input("lrd_valid_i", 1),
            lrd_ready_o: m.output("lrd_ready_o", 1),
            lrd_data: m.input("lrd_data_i", 8 * r),
            aw_valid_o: m.output("m_axi_awvalid_o", 1),
            aw_ready: m.input("m_axi_awready_i", 1),
            aw_addr_o: m.output("m_axi_awaddr_o", 32),
            aw_len_o: m.output("m_axi_awlen_o", 8),
            aw_size_o: m.output("m_axi_awsize_o", 3),
            aw_burst_o: m.output("m_axi_awburst_o", 2),
            w_valid_o: m.output("m_axi_wvalid_o", 1),
            w_ready: m.input("m_axi_wready_i", 1),
            w_data_o: m.output("m_axi_wdata_o", w),
            w_strb_o: m.output("m_axi_wstrb_o", b),
            w_last_o: m.output("m_axi_wlast_o", 1),
            b_valid: m.input("m_axi_bvalid_i", 1),
            b_ready_o: m.output("m_axi_bready_o", 1),
            b_resp: m.input("m_axi_bresp_i", 2),
            st_bytes_done: m.output("st_bytes_done_o", 16),
            resp_error: m.output("resp_error_o", 1),
            idle: m.output("idle_o", 1),
        }
    }
}

/// Build the DMA `<prefix>_dma` (with its engines `<prefix>_dma_load` and
/// `<prefix>_dma_store`) into `design`.
pub fn build(design: &mut Design, prefix: &str, g: &Geometry) -> Result<ModuleId, CheckErrors> {
    build_sized(design, prefix, DmaSizes::of(g))
}

/// Build the DMA `<prefix>_dma` with sizes `s` (for [`DmaSizes::stride_held`]; [`build`]
/// takes them from a geometry).
pub fn build_sized(design: &mut Design, prefix: &str, s: DmaSizes) -> Result<ModuleId, CheckErrors> {
    let name = format!("{prefix}_dma");
    s.check(&name)?;
    let load = match design.find(&format!("{prefix}_dma_load")) {
        Some(id) => id,
        None if s.compact() => compact_load::build(design, prefix, &s)?,
        None => load::build(design, prefix, &s)?,
    };
    let store = match design.find(&format!("{prefix}_dma_store")) {
        Some(id) => id,
        None if s.compact() => compact_store::build(design, prefix, &s)?,
        None => store::build(design, prefix, &s)?,
    };
    let mut m = ModuleBuilder::new(name);
    m.doc(format!(
        "DMA: AXI4 master ({} data bits, INCR bursts split at 4 KB boundaries, up to {} read \
         bursts in flight) moving 2-D strided blocks of rows of up to {} bytes at any byte \
         alignment between main memory and the local memories. Loads (ld_*, local writes \
         lw_*) and stores (st_*, local reads lr_*/lrd_*) run concurrently in the engines \
         dma_load and dma_store; resp_error_o is sticky once a response is not OKAY.",
        s.data_bits, s.outstanding, s.row_bytes
    ));
    m.param("data_bits", s.data_bits);
    m.param("row_bytes", s.row_bytes);
    m.param("local_row_bits", s.local_row_bits);
    m.param("outstanding", s.outstanding);

    let load_inst = m.instance("load", design, load);
    let store_inst = m.instance("store", design, store);
    let mut top_ports: Vec<(&str, SignalId)> = Vec::new();
    for port in PORT_ORDER {
        let own = ["resp_error_o", "idle_o"].contains(port);
        let found = [(load_inst, load), (store_inst, store)].into_iter().filter(|_| !own).find_map(|(inst, child)| {
            let cm = design.module(child);
            let sig = cm.find_signal(port).filter(|s| cm.ports.contains(s))?;
            Some((inst, cm.signal(sig).width))
        });
        match found {
            Some((inst, width)) if port.ends_with("_i") => {
                let sig = m.input(*port, width);
                m.connect(inst, port, sig);
            }
            Some((inst, width)) => {
                let sig = m.output(*port, width);
                m.connect(inst, port, sig);
            }
            None => {
                let sig = m.output(*port, 1);
                top_ports.push((port, sig));
            }
        }
    }
    let top = |name: &str| top_ports.iter().find(|(n, _)| *n == name).map(|(_, s)| *s).expect("a top port");
    let load_error = m.connect_wire(load_inst, "resp_error_o", "load_resp_error");
    let store_error = m.connect_wire(store_inst, "resp_error_o", "store_resp_error");
    let load_idle = m.connect_wire(load_inst, "idle_o", "load_idle");
    let store_idle = m.connect_wire(store_inst, "idle_o", "store_idle");

    let resp_error = m.reg("resp_error", 1).reset(0).build();
    let new_error = m.or(load_error, store_error);
    let sticky = m.or(resp_error, new_error);
    m.next(resp_error, sticky);
    m.assign(top("resp_error_o"), resp_error);
    let idle = m.and(load_idle, store_idle);
    m.assign(top("idle_o"), idle);
    design.add(m)
}

/// The assumptions both engines make of a command channel (`<ch>_valid_i` and the rest):
/// the offer is held while not taken, and the command is legal (`rows` >= 1, `bytes` 1 to
/// `R`, as the controller guarantees).
fn assume_legal_commands(m: &mut ModuleBuilder, s: &DmaSizes, ch: &str, ports: &[SignalId]) {
    let find = |m: &ModuleBuilder, n: &str| {
        let full = format!("{ch}_{n}");
        m.module().find_signal(&full).unwrap_or_else(|| panic!("{ch}: no port {full}"))
    };
    let (valid, ready) = (find(m, "valid_i"), find(m, "ready_o"));
    super::formal::assume_offer_held(m, &format!("{ch}_cmd"), valid, ready, ports);
    let (rows, bytes) = (find(m, "rows_i"), find(m, "bytes_i"));
    let rows_ok = m.any(rows);
    let bytes_some = m.any(bytes);
    let r = m.lit(s.row_bytes.into(), 16);
    let bytes_max = m.le(bytes, r);
    let ok = m.and(rows_ok, bytes_some);
    let ok = m.and(ok, bytes_max);
    let pv = m.formal_past_valid();
    let en = m.and(pv, valid);
    m.property(
        rtl_gen::ir::PropertyKind::Assume,
        format!("f_env_{ch}_cmd_legal"),
        format!("{ch} commands are legal: rows >= 1, bytes 1 to {}", s.row_bytes),
        Some(en),
        ok,
    );
}

/// `value == constant`, false when `constant` is above `max` (the largest value `value`
/// ever takes), so that no comparison with an unreachable constant is emitted.
fn equals(m: &mut ModuleBuilder, value: impl IntoExpr, constant: u32, max: u32) -> ExprId {
    let value = value.into_expr(m);
    if constant > max {
        return m.lit(0, 1);
    }
    let width = m.width(value);
    let c = m.lit(constant.into(), width);
    m.eq(value, c)
}

/// A first-in first-out queue of `depth` entries in registers (`<name><i>_q`, one word
/// per entry), the head always visible. Push and pop are wires the caller drives
/// (pushing into a full queue or popping an empty one is the caller's bug).
struct Fifo {
    /// Entries held (`<name>_count_q`).
    count: SignalId,
    /// The head entry's fields, in the order given, as wires `<name>_<field>`.
    head: Vec<SignalId>,
    /// Drive high to add an entry at the edge.
    push: SignalId,
    /// Drive high to drop the head at the edge.
    pop: SignalId,
}

impl Fifo {
    /// Build the queue; `fields` are (name, value pushed), packed into one word.
    fn new(m: &mut ModuleBuilder, name: &str, depth: u32, fields: &[(&str, ExprId)]) -> Fifo {
        let push = m.wire(format!("{name}_push"), 1);
        let pop = m.wire(format!("{name}_pop"), 1);
        let cw = clog2(u64::from(depth) + 1);
        let count = m.reg(format!("{name}_count"), cw).reset(0).build();
        let one = m.lit(1, cw);
        let up = m.add(count, one);
        let down = m.sub(count, one);
        let not_pop = m.not(pop);
        let not_push = m.not(push);
        let grows = m.and(push, not_pop);
        let shrinks = m.and(pop, not_push);
        let after_pop = m.mux(shrinks, down, count);
        let next = m.mux(grows, up, after_pop);
        m.next(count, next);
        let (write_ptr, _) = super::util::wrapping_counter(m, &format!("{name}_wr"), depth, push);
        let (read_ptr, _) = super::util::wrapping_counter(m, &format!("{name}_rd"), depth, pop);
        let word = m.concat(fields.iter().rev().map(|(_, v)| *v));
        let word = if fields.len() > 1 {
            let named = m.named(format!("{name}_in"), word);
            m.sig(named)
        } else {
            word
        };
        let width = m.width(word);
        let entries: Vec<ExprId> = (0..depth)
            .map(|i| {
                let en = match write_ptr {
                    Some(wp) => {
                        let here = equals(m, wp, i, depth - 1);
                        m.and(push, here)
                    }
                    None => m.sig(push),
                };
                let entry = m.reg(format!("{name}{i}"), width).enable(en).build();
                m.next(entry, word);
                m.sig(entry.q)
            })
            .collect();
        let head_word = match read_ptr {
            Some(rp) => select(m, rp, entries),
            None => entries[0],
        };
        let head_word = if fields.len() > 1 {
            let named = m.named(format!("{name}_head"), head_word);
            m.sig(named)
        } else {
            head_word
        };
        let mut lo = 0;
        let head = fields
            .iter()
            .map(|(field, v)| {
                let w = m.width(*v);
                let value = m.slice(head_word, lo, w);
                lo += w;
                m.named(format!("{name}_{field}"), value)
            })
            .collect();
        super::formal::fifo(m, name, depth, count.q, push, pop, word, head_word);
        Fifo { count: count.q, head, push, pop }
    }

    /// 1 when the queue holds an entry.
    fn nonempty(&self, m: &mut ModuleBuilder) -> ExprId {
        m.any(self.count)
    }

    /// 1 when the queue holds `depth` entries.
    fn full(&self, m: &mut ModuleBuilder, depth: u32) -> ExprId {
        let width = m.module().signal(self.count).width;
        let d = m.lit(depth.into(), width);
        m.eq(self.count, d)
    }
}

/// How one row at `addr` of `bytes` bytes travels: one burst, or two where it crosses a
/// 4 KB boundary (a row is at most 4096 bytes, so it crosses at most once).
struct RowBursts {
    /// `addr % B`: the lane of the row's first byte.
    off: ExprId,
    /// The row crosses a 4 KB boundary: two bursts.
    cross: ExprId,
    /// Start of the first burst: `addr` aligned down to `B`.
    first_addr: ExprId,
    /// `arlen`/`awlen` of the first burst (the whole row when it does not cross).
    first_len: ExprId,
    /// Start of the second burst: the 4 KB boundary.
    second_addr: ExprId,
    /// `arlen`/`awlen` of the second burst.
    second_len: ExprId,
    /// Index of the row's last beat.
    last_beat: ExprId,
    /// Index of the first burst's last beat when the row crosses.
    split_beat: ExprId,
}

impl RowBursts {
    /// The bursts of the row at `addr` (32 bits) of `bytes` (`bytes_bits`, 1..=R) bytes.
    fn new(m: &mut ModuleBuilder, s: &DmaSizes, addr: SignalId, bytes: SignalId) -> RowBursts {
        let lb = s.lane_bits;
        let b = s.beat_bytes;
        let off = m.slice(addr, 0, lb);
        let off = m.named("row_off", off);
        let high = m.slice(addr, lb, 32 - lb);
        let zeros = m.lit(0, lb);
        let first_addr = m.concat([high, zeros]);
        // Beats of the row: ceil((off + bytes) / B), counted in `nw` bits.
        let cw = clog2(u64::from(2 * b + s.row_bytes));
        let off_c = m.zext(off, cw);
        let bytes_c = m.zext(bytes, cw);
        let end = m.add(off_c, bytes_c);
        let round = m.lit(u64::from(b - 1), cw);
        let rounded = m.add(end, round);
        let beats = m.slice(rounded, lb, cw - lb);
        let nw = (cw - lb).max(9);
        let beats = m.zext(beats, nw);
        let beats = m.named("row_beats", beats);
        // Beats up to the 4 KB boundary: 2^(12 - lb) - addr[11:lb].
        let pw = 13 - lb;
        let page_beats = m.lit(1 << (12 - lb), pw);
        let in_page = m.slice(addr, lb, 12 - lb);
        let in_page = m.zext(in_page, pw);
        let to_boundary = m.sub(page_beats, in_page);
        let to_boundary = m.resize(to_boundary, nw, false);
        let to_boundary = m.named("row_beats_to_4k", to_boundary);
        // The row crosses when its last byte is in the next page: addr[11:0] + bytes > 4096.
        let page_off = m.slice(addr, 0, 12);
        let page_off = m.zext(page_off, 14);
        let bytes14 = m.zext(bytes, 14);
        let row_end = m.add(page_off, bytes14);
        let page = m.lit(4096, 14);
        let cross = m.gt(row_end, page);
        let cross = m.named("row_crosses_4k", cross);
        let one = m.lit(1, nw);
        let first_beats = m.mux(cross, to_boundary, beats);
        let first_len = m.sub(first_beats, one);
        let first_len = m.trunc(first_len, 8);
        let first_len = m.named("row_first_len", first_len);
        let second_beats = m.sub(beats, to_boundary);
        let second_len = m.sub(second_beats, one);
        let second_len = m.trunc(second_len, 8);
        let second_len = m.named("row_second_len", second_len);
        let page_hi = m.slice(addr, 12, 20);
        let one20 = m.lit(1, 20);
        let next_page = m.add(page_hi, one20);
        let zeros12 = m.lit(0, 12);
        let second_addr = m.concat([next_page, zeros12]);
        let kw = s.beat_index_bits();
        let last_beat = m.sub(beats, one);
        let last_beat = m.trunc(last_beat, kw);
        let split_beat = m.sub(to_boundary, one);
        let split_beat = m.trunc(split_beat, kw);
        let off = m.sig(off);
        let cross = m.sig(cross);
        let (first_len, second_len) = (m.sig(first_len), m.sig(second_len));
        RowBursts { off, cross, first_addr, first_len, second_addr, second_len, last_beat, split_beat }
    }
}

/// The command registers of a compact engine on the command channel `<ch>_*`, as the
/// streaming engines': taken when not busy (`<ch>_ready_o`); the row in progress is at
/// `cmd_addr` (advanced by the stride), goes to local row `cmd_row`, and
/// `cmd_rows_left` rows remain. The engine drives `advance` (the row in progress is done
/// with) and `finish` (so is the command: the engine is free at the next edge).
struct Command {
    /// A command is in progress.
    busy: SignalId,
    /// The row's main-memory address.
    addr: SignalId,
    /// Bytes per row.
    bytes: SignalId,
    /// The row's local row.
    row: SignalId,
    /// The row is the command's last.
    last_row: SignalId,
    /// Drive high to move to the next row at the edge.
    advance: SignalId,
    /// Drive high to end the command at the edge.
    finish: SignalId,
}

impl Command {
    /// The registers of channel `ch` (`ld` or `st`), with the command's two flags
    /// (`<ch>_<flag>_i` into `cmd_<flag>`) returned after it.
    fn new(m: &mut ModuleBuilder, s: &DmaSizes, ch: &str, flags: [&str; 2]) -> (Command, [SignalId; 2]) {
        let port = |m: &ModuleBuilder, n: &str| {
            let full = format!("{ch}_{n}");
            m.module().find_signal(&full).unwrap_or_else(|| panic!("{ch}: no port {full}"))
        };
        let (valid, ready) = (port(m, "valid_i"), port(m, "ready_o"));
        let (dram, stride_in, rows_in, bytes_in, row_in) =
            (port(m, "dram_i"), port(m, "stride_i"), port(m, "rows_i"), port(m, "bytes_i"), port(m, "row_i"));
        let advance = m.wire("cmd_advance", 1);
        let finish = m.wire("cmd_finish", 1);
        let busy = m.reg("busy", 1).reset(0).build();
        let not_busy = m.not(busy);
        m.assign(ready, not_busy);
        let accept = m.and(valid, not_busy);
        let accept = m.named("cmd_accept", accept);
        let not_finish = m.not(finish);
        let still = m.and(busy, not_finish);
        let busy_next = m.or(accept, still);
        m.next(busy, busy_next);
        let moves = m.or(accept, advance);

        let addr = m.reg("cmd_addr", 32).enable(moves).build();
        let stride = if s.stride_held {
            // Held by the controller until the command is done: no copy.
            m.sig(stride_in)
        } else {
            let r = m.reg("cmd_stride", 32).enable(accept).build();
            m.next(r, stride_in);
            m.sig(r.q)
        };
        let next_addr = m.add(addr, stride);
        let addr_next = m.mux(accept, dram, next_addr);
        m.next(addr, addr_next);
        let rows_left = m.reg("cmd_rows_left", 16).enable(moves).build();
        let fewer = m.dec(rows_left);
        let rows_next = m.mux(accept, rows_in, fewer);
        m.next(rows_left, rows_next);
        let last_row = m.eq_const(rows_left, 1);
        let last_row = m.named("cmd_last_row", last_row);
        let rb = s.bytes_bits;
        let bytes = m.reg("cmd_bytes", rb).enable(accept).build();
        let bytes_value = m.trunc(bytes_in, rb);
        m.next(bytes, bytes_value);
        if rb < 16 {
            m.mark_unused(bytes_in); // legal counts are at most R
        }
        let row = m.reg("cmd_row", s.local_row_bits).enable(moves).build();
        let next_row = m.inc(row);
        let row_next = m.mux(accept, row_in, next_row);
        m.next(row, row_next);
        let flags = flags.map(|f| {
            let input = port(m, &format!("{f}_i"));
            let reg = m.reg(format!("cmd_{f}"), 1).enable(accept).build();
            m.next(reg, input);
            reg.q
        });
        let cmd = Command { busy: busy.q, addr: addr.q, bytes: bytes.q, row: row.q, last_row, advance, finish };
        (cmd, flags)
    }
}

/// The burst arithmetic of the compact engines, for the row at `addr` of `bytes` bytes
/// (1..=R), with small adders only. With `S = max(clog2 R, log2 B)` (a row spans at most
/// `2^S` bytes): `t = addr % B + bytes - 1` is the row's last byte counted from its first
/// beat, so its last beat is `t / B`; the row crosses a 4 KB boundary exactly when
/// `addr[11:S]` is all ones and `addr[S-1:B] + t / B` carries out of `S - log2 B` bits.
/// The first burst then runs to the end of the page (`~addr[S-1:B]` more beats) and the
/// second holds the carried-out beats.
struct RowSpan {
    /// `addr % B`: the lane of the row's first byte.
    off: ExprId,
    /// The row crosses a 4 KB boundary: two bursts.
    cross: ExprId,
    /// `t`, the row's last byte counted from its first beat (`row_last_byte`).
    last_byte: SignalId,
    /// Beats - 1 of the first burst (the whole row when it does not cross).
    first_len: ExprId,
    /// Beats - 1 of the second burst.
    second_len: ExprId,
}

impl RowSpan {
    /// The span of the row at `addr` (32 bits) of `bytes` (`bytes_bits`) bytes.
    fn new(m: &mut ModuleBuilder, s: &DmaSizes, addr: SignalId, bytes: SignalId) -> RowSpan {
        let lb = s.lane_bits;
        let kw = s.beat_index_bits();
        let sb = clog2(s.row_bytes.into()).max(lb);
        let tw = sb + 1;
        let off = m.slice(addr, 0, lb);
        let off_t = m.zext(off, tw);
        let bytes_t = m.resize(bytes, tw, false);
        let t = m.add(off_t, bytes_t);
        let t = m.dec(t);
        let t = m.named("row_last_byte", t);
        let last_beat = m.slice(t, lb, tw - lb);
        let last_beat = m.resize(last_beat, kw, false);
        let last_beat = m.named("row_last_beat", last_beat);
        let hw = sb - lb + 1;
        let beat_hi = m.slice(t, lb, tw - lb);
        let (end, first_rest) = if sb > lb {
            let start = m.slice(addr, lb, sb - lb);
            let start_e = m.zext(start, hw);
            let end = m.add(start_e, beat_hi);
            let rest = m.not(start);
            (end, Some(rest))
        } else {
            (beat_hi, None)
        };
        let end = m.named("row_end_beat", end);
        let carry = m.bit(end, hw - 1);
        let cross = if sb < 12 {
            let page = m.slice(addr, sb, 12 - sb);
            let top = m.all(page);
            m.and(top, carry)
        } else {
            carry
        };
        let cross = m.named("row_crosses_4k", cross);
        let (first_len, second_len) = match first_rest {
            Some(rest) => {
                let rest = m.resize(rest, kw, false);
                let first = m.mux(cross, rest, last_beat);
                let second = m.slice(end, 0, hw - 1);
                (first, m.resize(second, kw, false))
            }
            None => {
                let zero = m.lit(0, kw);
                let first = m.mux(cross, zero, last_beat);
                (first, zero)
            }
        };
        let first_len = m.named("row_first_len", first_len);
        let second_len = m.named("row_second_len", second_len);
        RowSpan { off, cross: m.sig(cross), last_byte: t, first_len: m.sig(first_len), second_len: m.sig(second_len) }
    }

    /// The start of the first burst (`split` low: `addr` aligned down to `B`) or of the
    /// second (the 4 KB boundary): `{addr[31:12] + split, addr[11:B] & ~split, 0}`.
    fn burst_addr(m: &mut ModuleBuilder, s: &DmaSizes, addr: SignalId, split: SignalId) -> ExprId {
        let lb = s.lane_bits;
        let page = m.slice(addr, 12, 20);
        let step = m.zext(split, 20);
        let page = m.add(page, step);
        let inside = m.slice(addr, lb, 12 - lb);
        let keep = m.not(split);
        let keep = m.named("first_burst", keep);
        let keep = m.sext(keep, 12 - lb);
        let inside = m.and(inside, keep);
        let zeros = m.lit(0, lb);
        m.concat([page, inside, zeros])
    }

    /// `AxLEN` of the burst in progress: the second when `split`, else the first.
    fn burst_len(&self, m: &mut ModuleBuilder, split: SignalId) -> ExprId {
        let len = m.mux(split, self.second_len, self.first_len);
        m.resize(len, 8, false)
    }
}

/// The constant AXI4 burst attributes: `size` = log2 B, `burst` = INCR.
fn drive_burst_attributes(m: &mut ModuleBuilder, s: &DmaSizes, size: SignalId, burst: SignalId) {
    let size_value = m.lit(s.lane_bits.into(), 3);
    m.assign(size, size_value);
    let incr = m.lit(1, 2);
    m.assign(burst, incr);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;

    #[test]
    fn presets_build() {
        for preset in ["ice40", "ecp5"] {
            let g = Config::preset(preset).unwrap().geometry();
            let mut d = Design::new();
            build(&mut d, "sc", &g).unwrap_or_else(|e| panic!("{preset}: {e}"));
        }
    }

    #[test]
    fn widest_rows_build() {
        let text = "[array]\nrows = 64\ncols = 64\ninput_bits = 16\nacc_bits = 48\n\
                    [scratchpad]\nbanks = 1\nrows_per_bank = 64\n[accumulator]\nrows = 64\n\
                    [dma]\ndata_bits = 32\noutstanding = 1\n";
        let g = Config::from_toml(text, "t").unwrap().geometry();
        let s = DmaSizes::of(&g);
        assert_eq!((s.row_bytes, s.max_row_beats()), (512, 129));
        let mut d = Design::new();
        let id = build(&mut d, "sc", &g).unwrap_or_else(|e| panic!("{e}"));
        // A whole-row write names all 128 chunks (once `(1 << 128) - 1` in a u64: none).
        let files = rtl_gen::emit::verilog::emit(&d, id);
        let load = files.module_files.iter().find(|f| f.text.contains("lw_chunks_o")).expect("the load engine");
        let ones = format!("assign lw_chunks_o = 128'h{};", "f".repeat(32));
        assert!(
            load.text.contains(&ones),
            "{}",
            load.text.lines().filter(|l| l.contains("lw_chunks_o =")).collect::<String>()
        );
    }

    #[test]
    fn bad_sizes_are_named() {
        let mut g = Config::preset("ice40").unwrap().geometry();
        g.dma_data_bits = 48;
        g.dma_outstanding = 0;
        let e = build(&mut Design::new(), "sc", &g).unwrap_err().to_string();
        assert!(e.contains("sc_dma") && e.contains("`dma_data_bits`: 48") && e.contains("`dma_outstanding`: 0"), "{e}");
    }
}
