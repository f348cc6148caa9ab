//! The board's main memory: the storage `<name>_board_mem` and its AXI4 slave
//! `<name>_board_axi_mem`, which also gives the bridge a byte port.
//!
//! **Storage** `<name>_board_mem`: `depth` words of the accelerator's data width `W`
//! (`B = W / 8` bytes), one access per cycle, as block RAM or SPRAM offer it. Ports
//! (`clk_i` only, no reset: memory contents survive a reset):
//!
//! | port | width | meaning |
//! |---|---|---|
//! | `en_i` | 1 | access in this cycle |
//! | `we_i` | B | byte write enables (all 0: a read) |
//! | `addr_i` | clog2(depth) | word address |
//! | `wdata_i` | W | data to write |
//! | `rdata_o` | W | the word read by the last read access, [`MemSizes::read_latency`] cycles after its request (held until the next read) |
//!
//! Inside, for block RAM, one memory of 8-bit words per byte lane (`lane0` ..), each with
//! a write port and a read port on the same address. For SPRAM ([`MemSizes::spram`], the
//! iCE40 UP5K, where block RAM is scarce and SPRAM is not), one memory of whole words
//! `words` with byte enables and `(* ram_style = "huge" *)`, which Yosys maps to
//! SB_SPRAM256KA: the interface is the SPRAM's (one port, write masks, read data held).
//!
//! **AXI4 slave** `<name>_board_axi_mem`: the accelerator's `m_axi_*` master on one side
//! (ports `s_axi_*`, named after the master's with the directions turned), the storage
//! port (`mem_*`) on the other, and the bridge's byte port (`br_*`):
//!
//! | port | width | meaning |
//! |---|---|---|
//! | `br_req_i`, `br_gnt_o` | 1 | a bridge access, held until granted: in the same cycle, always (priority), or with a registered request ([`MemSizes::registered`]) `read_latency() + 1` cycles later |
//! | `br_we_i`, `br_addr_i`, `br_wdata_i` | 1, clog2(bytes), 8 | write or read one byte |
//! | `br_rdata_o` | 8 | the byte read, in the cycle after the grant |
//!
//! Behaviour: INCR bursts of full-width beats (the DMA's only kind; `*size`, `*burst`
//! and `awlen` are not looked at, `wlast` ends a write burst), one read burst and one
//! write burst at a time, one beat per cycle. When both directions are active they take
//! turns cycle by cycle; the bridge, which needs one cycle per byte at UART speed, goes
//! first and holds the AXI side for that cycle. A beat outside the memory answers SLVERR
//! (reads: data undefined; writes: nothing written, BRESP SLVERR). The burst address
//! counters (`rd_addr`, `wr_addr`) are only as wide as a word address of the memory; a
//! flag beside each (`rd_out`, `wr_out`) says the burst has left it: set when the burst
//! starts with address bits above the memory's, or when the counter steps past its top
//! (its carry out), and kept to the end of the burst (a memory that is not a power of two
//! also compares the counter with its end). So no beat aliases onto the low words. Read data wait in a
//! two-entry buffer (`r_*`, `skid_*`), so `s_axi_rready_i` low never loses a beat and
//! one beat per cycle flows while it is high; no `*ready` input reaches a `*valid`
//! output.
//!
//! **Registered request** ([`MemSizes::registered`], block-RAM main memory on the ECP5
//! boards, where the ULX3S's 64 DP16KD spread over the die took a whole cycle's routing
//! after the bridge's and the slave's logic, and their unregistered outputs, 5.6 ns clock
//! to out, another before the bridge's byte select): the storage registers its request
//! (`req_*`) and its read data (`rdata`), and answers three cycles after the request;
//! the slave's read buffer has `lat + 2` entries (`skid2_*` ..) and counts its room from
//! registers alone, so that `s_axi_rready_i` reaches no request; the bridge's access
//! starts the cycle after its request (`br_wait1`, a register: the bridge's state
//! reaches no AXI handshake) and its byte is registered (`br_byte`), so its grant comes
//! five cycles after the request. The bridge runs at UART speed; the AXI side's bursts
//! keep one beat per cycle.

use super::util::{bits_for, lt_const};
use rtl_gen::ir::clog2;
use rtl_gen::{CheckErrors, Design, ExprId, ModuleBuilder, ModuleId, Reg, SignalId};

/// Sizes of the board memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemSizes {
    /// Bits of a word: the accelerator's AXI4 data width.
    pub data_bits: u32,
    /// Bytes of memory (a multiple of `data_bits / 8`).
    pub bytes: u32,
    /// Single-port RAM with write masks (SPRAM on the iCE40 UP5K) rather than block RAM.
    pub spram: bool,
    /// The storage registers its request (enable, write enables, address, write data) one
    /// cycle before the memory, and its read data one cycle after: a read's word comes
    /// three cycles after the request rather than one, and the slave's read buffer is
    /// two entries deeper. For block RAM spread over the device (the ULX3S's 64 DP16KD),
    /// so that no logic sits in front of the request's fan-out nor behind the blocks'
    /// unregistered outputs.
    pub registered: bool,
}

impl MemSizes {
    /// Bytes per word.
    pub fn beat_bytes(&self) -> u32 {
        self.data_bits / 8
    }

    /// Words.
    pub fn depth(&self) -> u32 {
        self.bytes / self.beat_bytes()
    }

    /// Bits of a word address.
    pub fn word_addr_bits(&self) -> u32 {
        clog2(self.depth().into()).max(1)
    }

    /// Bits of a byte address.
    pub fn byte_addr_bits(&self) -> u32 {
        clog2(self.bytes.into()).max(1)
    }

    /// Cycles from a request on the storage port to its read data on `rdata_o`: 1, or 3
    /// with a registered request and read data ([`MemSizes::registered`]).
    pub fn read_latency(&self) -> u32 {
        1 + 2 * u32::from(self.registered)
    }
}

/// Build the storage `<prefix>_board_mem`.
pub fn build_storage(design: &mut Design, prefix: &str, s: MemSizes) -> Result<ModuleId, CheckErrors> {
    let (w, b, depth, aw) = (s.data_bits, s.beat_bytes(), s.depth(), s.word_addr_bits());
    let mut m = ModuleBuilder::new(format!("{prefix}_board_mem"));
    m.doc(format!(
        "Board main memory: {depth} words of {w} bits ({} bytes), one access per cycle with byte \
         write enables; rdata_o holds the word of the last read. {}",
        s.bytes,
        if s.spram {
            "One memory with byte enables, marked for single-port RAM (SPRAM)."
        } else {
            "One block-RAM-inferable memory per byte lane."
        }
    ));
    m.param("data_bits", w);
    m.param("depth", depth);
    let en = m.input("en_i", 1);
    let we = m.input("we_i", b);
    let addr = m.input("addr_i", aw);
    let wdata = m.input("wdata_i", w);
    let rdata = m.output("rdata_o", w);
    // The request registered one cycle (no reset: a request caught by a reset still
    // completes, as it would have without the register).
    let (en, we, addr, wdata) = if s.registered {
        let mut q = |name: &str, d: SignalId, width: u32| {
            let r = m.reg(name, width).build();
            m.next(r, d);
            r.q
        };
        (q("req_en", en, 1), q("req_we", we, b), q("req_addr", addr, aw), q("req_wdata", wdata, w))
    } else {
        (en, we, addr, wdata)
    };
    let writing = m.any(we);
    let not_writing = m.not(writing);
    let read_en = m.and(en, not_writing);
    let read_en = m.named("read_en", read_en);
    if s.spram {
        // One memory of whole words with byte enables, marked `huge`: Yosys maps it to
        // SB_SPRAM256KA (16K x 16, nibble write masks), 2 wide per 32 bits.
        let mem = m.memory("words", w, depth);
        m.mem_style(mem, "huge");
        m.mem_write_bytes(mem, en, addr, wdata, we);
        let q = m.mem_read(mem, "words_rdata", read_en, addr);
        let word = m.sig(q);
        assign_rdata(&mut m, s, rdata, word);
        return design.add(m);
    }
    let mut lanes = Vec::new();
    for i in 0..b {
        let mem = m.memory(format!("lane{i}"), 8, depth);
        let bit = m.bit(we, i);
        let wen = m.and(en, bit);
        let data = m.slice(wdata, 8 * i, 8);
        m.mem_write(mem, wen, addr, data);
        let q = m.mem_read(mem, format!("lane{i}_rdata"), read_en, addr);
        lanes.push(q);
    }
    lanes.reverse();
    let word = m.concat(lanes);
    assign_rdata(&mut m, s, rdata, word);
    design.add(m)
}

/// Drive the storage's `rdata_o` with the word read: straight, or with a registered
/// request through a register (`rdata`, always loading, no reset), so that the block
/// RAMs' unregistered outputs (a DP16KD's is 5.6 ns clock to out) reach only a flip-flop
/// each, which the placer puts beside its block.
fn assign_rdata(m: &mut ModuleBuilder, s: MemSizes, rdata: SignalId, word: ExprId) {
    if s.registered {
        let r = m.reg("rdata", s.data_bits).build();
        m.next(r, word);
        m.assign(rdata, r);
    } else {
        m.assign(rdata, word);
    }
}

/// Build the AXI4 slave `<prefix>_board_axi_mem`.
pub fn build_axi_slave(design: &mut Design, prefix: &str, s: MemSizes) -> Result<ModuleId, CheckErrors> {
    let (w, b, depth, aw, ab) = (s.data_bits, s.beat_bytes(), s.depth(), s.word_addr_bits(), s.byte_addr_bits());
    let lb = b.trailing_zeros();
    let mut m = ModuleBuilder::new(format!("{prefix}_board_axi_mem"));
    m.doc(format!(
        "AXI4 slave of the board memory ({} bytes, {w}-bit beats): INCR bursts, one read and one \
         write burst at a time, one beat per cycle, reads and writes taking turns when both are \
         active; beats outside the memory answer SLVERR. The bridge's byte port br_* goes first.",
        s.bytes
    ));
    m.param("data_bits", w);
    m.param("bytes", s.bytes);
    let p = "s_axi_";
    let arvalid = m.input(format!("{p}arvalid_i"), 1);
    let arready_o = m.output(format!("{p}arready_o"), 1);
    let araddr = m.input(format!("{p}araddr_i"), 32);
    let arlen = m.input(format!("{p}arlen_i"), 8);
    let arsize = m.input(format!("{p}arsize_i"), 3);
    let arburst = m.input(format!("{p}arburst_i"), 2);
    let rvalid_o = m.output(format!("{p}rvalid_o"), 1);
    let rready = m.input(format!("{p}rready_i"), 1);
    let rdata_o = m.output(format!("{p}rdata_o"), w);
    let rresp_o = m.output(format!("{p}rresp_o"), 2);
    let rlast_o = m.output(format!("{p}rlast_o"), 1);
    let awvalid = m.input(format!("{p}awvalid_i"), 1);
    let awready_o = m.output(format!("{p}awready_o"), 1);
    let awaddr = m.input(format!("{p}awaddr_i"), 32);
    let awlen = m.input(format!("{p}awlen_i"), 8);
    let awsize = m.input(format!("{p}awsize_i"), 3);
    let awburst = m.input(format!("{p}awburst_i"), 2);
    let wvalid = m.input(format!("{p}wvalid_i"), 1);
    let wready_o = m.output(format!("{p}wready_o"), 1);
    let wdata = m.input(format!("{p}wdata_i"), w);
    let wstrb = m.input(format!("{p}wstrb_i"), b);
    let wlast = m.input(format!("{p}wlast_i"), 1);
    let bvalid_o = m.output(format!("{p}bvalid_o"), 1);
    let bready = m.input(format!("{p}bready_i"), 1);
    let bresp_o = m.output(format!("{p}bresp_o"), 2);
    let br_req = m.input("br_req_i", 1);
    let br_gnt_o = m.output("br_gnt_o", 1);
    let br_we = m.input("br_we_i", 1);
    let br_addr = m.input("br_addr_i", ab);
    let br_wdata = m.input("br_wdata_i", 8);
    let br_rdata_o = m.output("br_rdata_o", 8);
    let mem_en_o = m.output("mem_en_o", 1);
    let mem_we_o = m.output("mem_we_o", b);
    let mem_addr_o = m.output("mem_addr_o", aw);
    let mem_wdata_o = m.output("mem_wdata_o", w);
    let mem_rdata = m.input("mem_rdata_i", w);
    // Only full-width INCR bursts come from the DMA; the write length is in wlast; a
    // burst starts at its address aligned down to the beat.
    for sig in [arsize, arburst, awsize, awburst, awlen, araddr, awaddr] {
        m.mark_unused(sig);
    }
    let okay = m.lit(0, 2);
    let slverr = m.lit(2, 2);
    let geometry = (lb, aw, depth);

    // ---- state ---------------------------------------------------------------------
    let r_act = m.reg("rd_active", 1).reset(0).build();
    let r_addr = m.reg("rd_addr", aw).reset(0).build();
    let r_out = m.reg("rd_out", 1).reset(0).build();
    let r_left = m.reg("rd_left", 8).reset(0).build();
    let inflight = m.reg("rd_inflight", 1).reset(0).build();
    let inflight_last = m.reg("rd_inflight_last", 1).reset(0).build();
    let inflight_err = m.reg("rd_inflight_err", 1).reset(0).build();
    let rv = m.reg("r_valid", 1).reset(0).build();
    let rd = m.reg("r_data", w).build();
    let rl = m.reg("r_last", 1).reset(0).build();
    let re = m.reg("r_err", 1).reset(0).build();
    let sv = m.reg("skid_valid", 1).reset(0).build();
    let sd = m.reg("skid_data", w).build();
    let sl = m.reg("skid_last", 1).reset(0).build();
    let se = m.reg("skid_err", 1).reset(0).build();
    let w_act = m.reg("wr_active", 1).reset(0).build();
    let w_addr = m.reg("wr_addr", aw).reset(0).build();
    let w_out = m.reg("wr_out", 1).reset(0).build();
    let w_err = m.reg("wr_err", 1).reset(0).build();
    let b_valid = m.reg("b_valid", 1).reset(0).build();
    let b_resp = m.reg("b_resp", 2).reset(0).build();
    let prefer_w = m.reg("prefer_write", 1).reset(0).build();
    let br_lane = m.reg("br_lane", lb).reset(0).build();

    // ---- turns: decided from registers only ----------------------------------------
    let both = m.and(w_act, r_act);
    let not_r = m.not(r_act);
    let not_w = m.not(w_act);
    let not_pw = m.not(prefer_w);
    let w_turn = {
        let t = m.or(prefer_w, not_r);
        m.and(w_act, t)
    };
    let r_turn = {
        let t = m.or(not_pw, not_w);
        m.and(r_act, t)
    };
    let flip = m.xor(prefer_w, both);
    m.next(prefer_w, flip);
    // The bridge's access: at once (`br_req_i`), or, with a registered storage request,
    // from the cycle after the request on (`br_wait1`, a register), so that the bridge's
    // logic reaches no AXI handshake. It is granted once the byte of its first access is a
    // cycle away: at once, or after the wait, the storage's latency and the registered
    // byte (`br_byte`, below): `lat + 1` cycles of `br_wait<k>` (the access repeats
    // meanwhile, which changes nothing).
    let lat = s.read_latency();
    let (br_access, br_gnt) = if s.registered {
        let waits: Vec<Reg> = (1..=lat + 1).map(|k| m.reg(format!("br_wait{k}"), 1).reset(0).build()).collect();
        let gnt = m.and(br_req, waits[waits.len() - 1].q);
        let gnt = m.named("br_grant", gnt);
        let not_gnt = m.not(gnt);
        let mut held = m.and(br_req, not_gnt);
        for r in &waits {
            m.next(*r, held);
            let more = m.and(r.q, br_req);
            held = m.and(more, not_gnt);
        }
        (waits[0].q, gnt)
    } else {
        (br_req, br_req)
    };
    let axi_free = m.not(br_access);
    let axi_free = m.named("axi_free", axi_free);

    // ---- read side -----------------------------------------------------------------
    let ar_ready = m.not(r_act);
    let ar_take = m.and(arvalid, ar_ready);
    let ar_take = m.named("ar_take", ar_take);
    m.assign(arready_o, ar_ready);
    let pop = m.and(rv, rready);
    let pop = m.named("r_pop", pop);
    // With a registered storage request (read latency `lat` > 1), the stages of a read
    // in flight after the first (`rd_inflight<k>`, k = 1 ..) and the buffer's entries
    // after `skid_*` (`skid<k>_*`, k = 2 ..): `lat + 2` entries in all, so that one beat
    // per cycle flows while `s_axi_rready_i` is high although the room for another beat
    // is counted from the registers alone, without the beat leaving (no `rready` reaches
    // the storage's request).
    let stages: Vec<[Reg; 3]> = (1..lat)
        .map(|k| {
            let v = m.reg(format!("rd_inflight{k}"), 1).reset(0).build();
            let l = m.reg(format!("rd_inflight{k}_last"), 1).reset(0).build();
            let e = m.reg(format!("rd_inflight{k}_err"), 1).reset(0).build();
            [v, l, e]
        })
        .collect();
    let entries = if s.registered { lat + 2 } else { 2 };
    let extra: Vec<[Reg; 4]> = (2..entries)
        .map(|k| {
            let v = m.reg(format!("skid{k}_valid"), 1).reset(0).build();
            let d = m.reg(format!("skid{k}_data"), w).build();
            let l = m.reg(format!("skid{k}_last"), 1).reset(0).build();
            let e = m.reg(format!("skid{k}_err"), 1).reset(0).build();
            [v, d, l, e]
        })
        .collect();
    // Beats held or in flight, less the one leaving: at most one (one more may issue);
    // with a registered request, not less the one leaving: at most `lat + 1`.
    let room = if lat == 1 {
        let occ = {
            let a = m.zext(rv, 2);
            let s2 = m.zext(sv, 2);
            let i2 = m.zext(inflight, 2);
            let p2 = m.zext(pop, 2);
            let sum = m.add(a, s2);
            let sum = m.add(sum, i2);
            m.sub(sum, p2)
        };
        let one2 = m.lit(1, 2);
        m.le(occ, one2)
    } else {
        let ow = bits_for(u64::from(2 * lat + 2));
        let mut held = vec![rv.q, sv.q, inflight.q];
        held.extend(stages.iter().map(|[v, _, _]| v.q));
        held.extend(extra.iter().map(|[v, _, _, _]| v.q));
        let mut sum = m.zext(held[0], ow);
        for h in &held[1..] {
            let x = m.zext(*h, ow);
            sum = m.add(sum, x);
        }
        let occ = m.named("rd_held", sum);
        let max = m.lit(u64::from(lat + 1), ow);
        m.le(occ, max)
    };
    let rd_issue = {
        let t = m.and(r_turn, axi_free);
        m.and(t, room)
    };
    let rd_issue = m.named("rd_issue", rd_issue);
    let last_beat = m.eq_const(r_left, 0);
    let rd_done = m.and(rd_issue, last_beat);
    let keep_active = {
        let nd = m.not(rd_done);
        m.and(r_act, nd)
    };
    let r_act_d = m.or(ar_take, keep_active);
    m.next(r_act, r_act_d);
    let r_in = burst_address(&mut m, (r_addr, r_out), (ar_take, araddr), rd_issue, geometry);
    let r_in = m.named("r_in_memory", r_in);
    let r_left_dec = m.dec(r_left);
    let r_left_run = m.mux(rd_issue, r_left_dec, r_left);
    let r_left_d = m.mux(ar_take, arlen, r_left_run);
    m.next(r_left, r_left_d);
    m.next(inflight, rd_issue);
    m.next(inflight_last, last_beat);
    let r_err = m.not(r_in);
    m.next(inflight_err, r_err);
    // The read's stages in flight; the beat arriving from the storage is the last one's.
    let mut arrive = (inflight.q, inflight_last.q, inflight_err.q);
    for [v, l, e] in &stages {
        m.next(*v, arrive.0);
        m.next(*l, arrive.1);
        m.next(*e, arrive.2);
        arrive = (v.q, l.q, e.q);
    }
    if lat == 1 {
        // The two-entry buffer: r_* is on the bus, skid_* behind it.
        let keep = {
            let np = m.not(pop);
            m.and(rv, np)
        };
        let keep = m.named("r_keep", keep);
        // r_*: kept, or refilled from the skid entry, or from the arriving beat.
        let from_skid = m.mux(sv, sd, mem_rdata);
        let rd_d = m.mux(keep, rd, from_skid);
        m.next(rd, rd_d);
        let last_in = m.mux(sv, sl, inflight_last);
        let rl_d = m.mux(keep, rl, last_in);
        m.next(rl, rl_d);
        let err_in = m.mux(sv, se, inflight_err);
        let re_d = m.mux(keep, re, err_in);
        m.next(re, re_d);
        let refill = m.or(sv, inflight);
        let rv_d = m.or(keep, refill);
        m.next(rv, rv_d);
        // skid_*: takes the arriving beat when r_* is kept and the skid is empty, or when
        // the skid moves up into r_*; empties when it moves up with nothing arriving.
        let not_sv = m.not(sv);
        let skid_load = {
            let a = m.and(keep, not_sv);
            let not_keep = m.not(keep);
            let b2 = m.and(not_keep, sv);
            m.or(a, b2)
        };
        let skid_load = m.named("skid_load", skid_load);
        let sv_d = m.mux(skid_load, inflight, sv);
        m.next(sv, sv_d);
        m.set_enable(sd, skid_load);
        m.next(sd, mem_rdata);
        let sl_d = m.mux(skid_load, inflight_last, sl);
        m.next(sl, sl_d);
        let se_d = m.mux(skid_load, inflight_err, se);
        m.next(se, se_d);
    } else {
        let mut entries = vec![[rv, rd, rl, re], [sv, sd, sl, se]];
        entries.extend(extra.iter().copied());
        read_buffer(&mut m, &entries, arrive, mem_rdata, pop);
    }
    m.assign(rvalid_o, rv);
    m.assign(rdata_o, rd);
    m.assign(rlast_o, rl);
    let rresp = m.mux(re, slverr, okay);
    m.assign(rresp_o, rresp);

    // ---- write side ----------------------------------------------------------------
    let not_b = m.not(b_valid);
    let aw_ready = m.and(not_w, not_b);
    m.assign(awready_o, aw_ready);
    let aw_take = m.and(awvalid, aw_ready);
    let aw_take = m.named("aw_take", aw_take);
    let w_ready = m.and(w_turn, axi_free);
    let w_ready = m.named("w_ready", w_ready);
    m.assign(wready_o, w_ready);
    let beat = m.and(w_ready, wvalid);
    let beat = m.named("w_beat", beat);
    let w_in = burst_address(&mut m, (w_addr, w_out), (aw_take, awaddr), beat, geometry);
    let w_in = m.named("w_in_memory", w_in);
    let w_end = m.and(beat, wlast);
    let w_keep = {
        let ne = m.not(w_end);
        m.and(w_act, ne)
    };
    let w_act_d = m.or(aw_take, w_keep);
    m.next(w_act, w_act_d);
    let w_err_beat = m.not(w_in);
    let beat_out = m.and(beat, w_err_beat);
    let err_now = m.or(w_err, beat_out);
    let zero1 = m.lit(0, 1);
    let w_err_d = m.mux(aw_take, zero1, err_now);
    m.next(w_err, w_err_d);
    let b_keep = {
        let nr = m.not(bready);
        m.and(b_valid, nr)
    };
    let b_valid_d = m.or(w_end, b_keep);
    m.next(b_valid, b_valid_d);
    let resp_now = m.mux(err_now, slverr, okay);
    m.set_enable(b_resp, w_end);
    m.next(b_resp, resp_now);
    m.assign(bvalid_o, b_valid);
    m.assign(bresp_o, b_resp);

    // ---- the storage port ----------------------------------------------------------
    m.assign(br_gnt_o, br_gnt);
    let br_lane_bits = m.slice(br_addr, 0, lb);
    let br_word = m.slice(br_addr, lb, ab - lb);
    let br_word = m.resize(br_word, aw, false);
    m.set_enable(br_lane, br_access);
    m.next(br_lane, br_lane_bits);
    let en = {
        let a = m.or(br_access, beat);
        m.or(a, rd_issue)
    };
    m.assign(mem_en_o, en);
    // Bridge write: one lane; AXI write: the strobes of a beat inside the memory.
    let one_b = m.lit(1, b);
    let br_onehot = m.shl(one_b, br_lane_bits);
    let zero_b = m.lit(0, b);
    let br_strobes = m.mux(br_we, br_onehot, zero_b);
    let w_ok = m.and(beat, w_in);
    let w_strobes = m.mux(w_ok, wstrb, zero_b);
    let we = m.mux(br_access, br_strobes, w_strobes);
    m.assign(mem_we_o, we);
    let axi_word = m.mux(beat, w_addr, r_addr);
    let addr = m.mux(br_access, br_word, axi_word);
    m.assign(mem_addr_o, addr);
    let lanes: Vec<ExprId> = (0..b).map(|_| m.sig(br_wdata)).collect();
    let br_word_data = m.concat(lanes);
    let wd = m.mux(br_access, br_word_data, wdata);
    m.assign(mem_wdata_o, wd);
    let shift = {
        let lane = m.sig(br_lane.q);
        let z = m.lit(0, 3);
        m.concat([lane, z])
    };
    let shifted = m.shr(mem_rdata, shift);
    let byte = m.slice(shifted, 0, 8);
    if s.registered {
        // The byte select over every lane's block RAM, away from the bridge's logic.
        let r = m.reg("br_byte", 8).build();
        m.next(r, byte);
        m.assign(br_rdata_o, r);
    } else {
        m.assign(br_rdata_o, byte);
    }
    design.add(m)
}

/// The word address of a burst, as wide as the memory's word address (`rd_addr`,
/// `wr_addr`), and a flag that the burst is outside the memory (`rd_out`, `wr_out`):
/// set when the burst starts with address bits above the memory's, or when the address
/// steps past the last word of a power-of-two memory (the counter wraps there), and
/// kept until the next burst. Loaded from `addr` on `take`, stepped on `step`. The
/// expression: the current beat is inside the memory.
fn burst_address(
    m: &mut ModuleBuilder,
    (addr_reg, out_reg): (Reg, Reg),
    (take, addr): (SignalId, SignalId),
    step: SignalId,
    (lb, aw, depth): (u32, u32, u32),
) -> ExprId {
    let word = m.slice(addr, lb, aw);
    let high = m.slice(addr, lb + aw, 32 - lb - aw);
    let high_set = m.any(high);
    // The increment one bit wider: its top bit, the carry out, is the wrap.
    let wide = m.zext(addr_reg, aw + 1);
    let wide_inc = m.inc(wide);
    let inc = m.slice(wide_inc, 0, aw);
    let at_top = m.bit(wide_inc, aw);
    let run = m.mux(step, inc, addr_reg);
    let d = m.mux(take, word, run);
    m.next(addr_reg, d);
    let wraps = m.and(step, at_top);
    let out_run = m.or(out_reg, wraps);
    let out_d = m.mux(take, high_set, out_run);
    m.next(out_reg, out_d);
    let inside = m.not(out_reg);
    if depth.is_power_of_two() {
        inside
    } else {
        let below = lt_const(m, addr_reg, u64::from(depth));
        m.and(inside, below)
    }
}

/// The read buffer of a slave whose storage answers `lat` > 1 cycles after the request:
/// `entries` (valid, data, last, error) in order, the first on the bus, filled in order
/// and moved up one when the first is empty or leaves (`pop`). The arriving beat
/// (valid, last, error from the last stage in flight, data `data`) goes into the first
/// entry that is empty after the move.
fn read_buffer(
    m: &mut ModuleBuilder,
    entries: &[[Reg; 4]],
    arrive: (SignalId, SignalId, SignalId),
    data: SignalId,
    pop: SignalId,
) {
    let (a_valid, a_last, a_err) = arrive;
    let [v0, d0, l0, e0] = entries[0];
    let keep = {
        let np = m.not(pop);
        m.and(v0, np)
    };
    let keep = m.named("r_keep", keep);
    let shift = m.not(keep);
    // The first entry: kept, or refilled from the second, or from the arriving beat.
    let [v1, d1, l1, e1] = entries[1];
    let pairs = [(d0, d1.q, data), (l0, l1.q, a_last), (e0, e1.q, a_err)];
    for (r, behind, arriving) in pairs {
        let from = m.mux(v1, behind, arriving);
        let next = m.mux(keep, r, from);
        m.next(r, next);
    }
    let refill = m.or(v1, a_valid);
    let v0_d = m.or(keep, refill);
    m.next(v0, v0_d);
    // Entry k: on a move, the one behind it, or the arriving beat when it was the last
    // one held; else the arriving beat when it is the first empty one.
    for k in 1..entries.len() {
        let [v, d, l, e] = entries[k];
        let prev = entries[k - 1][0].q;
        let behind = entries.get(k + 1).copied();
        let mut v_moved = m.and(v, a_valid);
        if let Some([bv, ..]) = behind {
            v_moved = m.or(bv, v_moved);
        }
        let filled = m.and(prev, a_valid);
        let v_kept = m.or(v, filled);
        let v_d = m.mux(shift, v_moved, v_kept);
        m.next(v, v_d);
        let first_empty = {
            let nv = m.not(v);
            m.and(prev, nv)
        };
        let load = m.or(shift, first_empty);
        let load = m.named(if k == 1 { "skid_load".to_string() } else { format!("skid{k}_load") }, load);
        for (r, arriving, field) in [(d, data, 1), (l, a_last, 2), (e, a_err, 3)] {
            m.set_enable(r, load);
            match behind {
                Some(b) => {
                    let x = m.mux(b[0], b[field], arriving);
                    m.next(r, x);
                }
                None => m.next(r, arriving),
            }
        }
    }
}
