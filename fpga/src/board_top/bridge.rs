//! The UART bridge `<name>_board_bridge`: it parses request frames from the UART
//! receiver, checks them, runs them on the board memory (byte port `mem_*`) or on the
//! accelerator's registers (AXI4-Lite master `m_axil_*`), and sends the reply through
//! the UART transmitter. The protocol is [`crate::protocol`] (`docs/bridge.md`).
//!
//! Ports (`clk_i` and `rst_i` first):
//!
//! | port | width | meaning |
//! |---|---|---|
//! | `rx_valid_i`, `rx_data_i` | 1, 8 | a received byte (no backpressure; at most every other cycle) |
//! | `tx_valid_o`, `tx_ready_i`, `tx_data_o` | 1, 1, 8 | a byte to send |
//! | `mem_req_o`, `mem_gnt_i` | 1 | a memory access, and its grant |
//! | `mem_we_o`, `mem_addr_o`, `mem_wdata_o` | 1, clog2(bytes), 8 | write or read one byte |
//! | `mem_rdata_i` | 8 | the byte read, in the cycle after the grant |
//! | `m_axil_*` | | AXI4-Lite master (12-bit addresses, 32-bit data) |
//! | `acc_reset_o` | 1 | hold the accelerator and its memory port in reset |
//! | `error_o` | 1 | the last reply was an error (for an LED) |
//!
//! How a frame goes (states of `state_q`):
//! 1. `HUNT` drops bytes until [`SYNC`]; `OPCODE`, `FIELDS`, `PAYLOAD` and `CRC` take
//!    the rest, computing the CRC as they go. A write's payload goes into the buffer
//!    `payload` (256 bytes, one block RAM), not into memory.
//! 2. After the CRC byte, `EXEC` checks the ranges and starts the work: `COMMIT_READ` /
//!    `COMMIT_WRITE` copy the buffer into memory one byte per grant; `REG_REQUEST` /
//!    `REG_RESPONSE` make one AXI4-Lite access; `RESET` holds `acc_reset_o` for
//!    [`RESET_CYCLES`] cycles.
//! 3. `TX_SYNC`, `TX_STATUS`, `TX_PAYLOAD` (with `TX_FETCH` / `TX_WAIT` fetching each
//!    byte of a memory read from the byte port, `TX_WAIT` alone loading a short payload's
//!    byte, while the previous one is on the line) and `TX_CRC` send the
//!    reply; then `HUNT` again.
//!
//! The byte counter `count_q` is only cleared or stepped; its compares (`field_last`,
//! `payload_last`, one flag for every kind of payload) are registered, read a cycle or
//! more after the count last moved (bytes arrive at most every other cycle, a commit step
//! follows a `COMMIT_READ` cycle). One timer `timer_q` counts the quiet cycles of a frame
//! (held at the frame timeout), the cycles of a register access and those of the reset:
//! their states never overlap, and each timeout is an equality, not a carry chain. One
//! CRC-8 step serves both directions. A register read's value lands in the value fields
//! (`field2` to `field5`, unused by a register read), and every payload byte goes out
//! through `fetched`.
//!
//! Errors change nothing: an unknown opcode or a CRC mismatch sends the frame to
//! `DISCARD`, which drops every byte until the line has been quiet for the frame
//! timeout, and only then replies, so that the rest of a damaged frame is never read
//! as a new one. The same timeout in the middle of a frame replies
//! [`Status::FrameTimeout`]. A register access not accepted within the register timeout
//! (a `CMD3` write while the command queue stays full behind an error) resets the
//! accelerator, which ends the access on both sides, and replies
//! [`Status::RegTimeout`]. Bytes arriving while a request runs or its reply goes out
//! are dropped (the host waits for each reply).

use super::util::{and_all, bits_for, crc8_step, le_const, lt_const, nm, or_all, pick};
use crate::protocol::{BoardInfo, Opcode, Status, MAX_WRITE, REG_SPACE, REPLY_SYNC, SYNC, VERSION};
use rtl_gen::{CheckErrors, Design, ExprId, ModuleBuilder, ModuleId, SignalId};

/// Cycles the `Reset` request holds the accelerator in reset.
pub const RESET_CYCLES: u32 = 16;

/// The bridge's parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BridgeParams {
    /// Bytes of board memory (requests must stay below).
    pub mem_bytes: u32,
    /// The board clock, reported by the `Info` request.
    pub clock_hz: u32,
    /// Quiet cycles that end a frame (mid-frame: a timeout; after an error: the end of
    /// the discarded bytes).
    pub frame_timeout: u32,
    /// Cycles a register access may wait before the accelerator is reset.
    pub reg_timeout: u32,
}

/// The states of the bridge, in the order a request goes through them.
const STATES: [&str; 18] = [
    "HUNT",
    "OPCODE",
    "FIELDS",
    "PAYLOAD",
    "CRC",
    "DISCARD",
    "EXEC",
    "COMMIT_READ",
    "COMMIT_WRITE",
    "REG_REQUEST",
    "REG_RESPONSE",
    "RESET",
    "TX_SYNC",
    "TX_STATUS",
    "TX_FETCH",
    "TX_WAIT",
    "TX_PAYLOAD",
    "TX_CRC",
];

fn st(name: &str) -> u64 {
    STATES.iter().position(|s| *s == name).expect("a known state") as u64
}

/// Build `<prefix>_board_bridge`.
pub fn build(design: &mut Design, prefix: &str, p: BridgeParams) -> Result<ModuleId, CheckErrors> {
    let ab =
        super::memory::MemSizes { data_bits: 32, bytes: p.mem_bytes, spram: false, registered: false }.byte_addr_bits();
    let mut m = ModuleBuilder::new(format!("{prefix}_board_bridge"));
    m.doc(format!(
        "UART bridge (docs/bridge.md): request frames from the UART receiver, checked by CRC-8 \
         before anything is done; memory writes are buffered ({MAX_WRITE} bytes) and committed \
         only after the CRC matched; memory reads stream from the byte port; register accesses \
         go through the AXI4-Lite master. Replies go to the UART transmitter. A damaged frame \
         is discarded until the line has been quiet for {} cycles, then answered with an error.",
        p.frame_timeout
    ));
    m.param("mem_bytes", p.mem_bytes);
    m.param("max_write", MAX_WRITE);
    m.param("frame_timeout_cycles", p.frame_timeout);
    m.param("register_timeout_cycles", p.reg_timeout);

    let rx_valid = m.input("rx_valid_i", 1);
    let rx_data = m.input("rx_data_i", 8);
    let tx_valid_o = m.output("tx_valid_o", 1);
    let tx_ready = m.input("tx_ready_i", 1);
    let tx_data_o = m.output("tx_data_o", 8);
    let mem_req_o = m.output("mem_req_o", 1);
    let mem_gnt = m.input("mem_gnt_i", 1);
    let mem_we_o = m.output("mem_we_o", 1);
    let mem_addr_o = m.output("mem_addr_o", ab);
    let mem_wdata_o = m.output("mem_wdata_o", 8);
    let mem_rdata = m.input("mem_rdata_i", 8);
    let pl = "m_axil_";
    let awvalid_o = m.output(format!("{pl}awvalid_o"), 1);
    let awready = m.input(format!("{pl}awready_i"), 1);
    let awaddr_o = m.output(format!("{pl}awaddr_o"), 12);
    let awprot_o = m.output(format!("{pl}awprot_o"), 3);
    let wvalid_o = m.output(format!("{pl}wvalid_o"), 1);
    let wready = m.input(format!("{pl}wready_i"), 1);
    let wdata_o = m.output(format!("{pl}wdata_o"), 32);
    let wstrb_o = m.output(format!("{pl}wstrb_o"), 4);
    let bvalid = m.input(format!("{pl}bvalid_i"), 1);
    let bready_o = m.output(format!("{pl}bready_o"), 1);
    let bresp = m.input(format!("{pl}bresp_i"), 2);
    let arvalid_o = m.output(format!("{pl}arvalid_o"), 1);
    let arready = m.input(format!("{pl}arready_i"), 1);
    let araddr_o = m.output(format!("{pl}araddr_o"), 12);
    let arprot_o = m.output(format!("{pl}arprot_o"), 3);
    let rvalid = m.input(format!("{pl}rvalid_i"), 1);
    let rready_o = m.output(format!("{pl}rready_o"), 1);
    let rdata = m.input(format!("{pl}rdata_i"), 32);
    let rresp = m.input(format!("{pl}rresp_i"), 2);
    let acc_reset_o = m.output("acc_reset_o", 1);
    let error_o = m.output("error_o", 1);

    // ---- registers -----------------------------------------------------------------
    let state = m.reg("state", 5).reset(st("HUNT")).build();
    let fields: Vec<_> = (0..6).map(|i| m.reg(format!("field{i}"), 8).reset(0).build()).collect();
    let count = m.reg("count", 16).reset(0).build();
    let crc = m.reg("crc", 8).reset(0).build();
    let status = m.reg("status", 8).reset(0).build();
    // One timer for the frame timeout (quiet cycles while a frame is received), the
    // register timeout (cycles in a register access) and the reset's length: their
    // states never overlap.
    let tw = bits_for(u64::from(p.frame_timeout).max(u64::from(p.reg_timeout)).max(u64::from(RESET_CYCLES)));
    let timer = m.reg("timer", tw).reset(0).build();
    let fetched = m.reg("fetched", 8).reset(0).build();
    let aw_pending = m.reg("aw_pending", 1).reset(0).build();
    let w_pending = m.reg("w_pending", 1).reset(0).build();
    let ar_pending = m.reg("ar_pending", 1).reset(0).build();
    let acc_reset = m.reg("acc_reset", 1).reset(0).build();
    let error = m.reg("error", 1).reset(0).build();

    let s: Vec<SignalId> = STATES
        .iter()
        .map(|n| {
            let e = m.eq_const(state, st(n));
            m.named(format!("in_{}", n.to_lowercase()), e)
        })
        .collect();
    let is = |n: &str| s[st(n) as usize];
    // Each state's number as a named constant wire (`st_hunt` ...), so that the next-state
    // logic reads with names.
    let lit = |m: &mut ModuleBuilder, name: &str| {
        let c = m.lit(st(name), 5);
        nm(m, format!("st_{}", name.to_lowercase()), c)
    };

    // Fields, little-endian: addr or offset from field0, len after addr, value after offset.
    let f: Vec<ExprId> = fields.iter().map(|r| m.sig(r.q)).collect();
    let addr = m.concat([f[3], f[2], f[1], f[0]]);
    let addr = nm(&mut m, "addr", addr);
    let len = m.concat([f[5], f[4]]);
    let len = nm(&mut m, "len", len);
    let offset = m.concat([f[1], f[0]]);
    let offset = nm(&mut m, "offset", offset);
    let value = m.concat([f[5], f[4], f[3], f[2]]);
    let value = nm(&mut m, "value", value);
    // The opcode, decoded as it arrives: one flag per opcode (so that no 8-bit compare
    // sits in front of the logic that reads it).
    let op_regs: Vec<_> = Opcode::ALL
        .iter()
        .map(|o| m.reg(format!("op_{}", format!("{o:?}").to_lowercase()), 1).reset(0).build())
        .collect();
    let op_is: Vec<SignalId> = op_regs.iter().map(|r| r.q).collect();
    let op = |o: Opcode| op_is[Opcode::ALL.iter().position(|x| *x == o).expect("an opcode")];

    // ---- receiving -----------------------------------------------------------------
    let byte = m.sig(rx_data);
    let receiving = {
        let t: Vec<ExprId> = ["OPCODE", "FIELDS", "PAYLOAD", "CRC", "DISCARD"].iter().map(|n| m.sig(is(n))).collect();
        or_all(&mut m, &t)
    };
    let receiving = nm(&mut m, "receiving", receiving);
    // While a frame is received the timer counts cycles without a byte, up to the frame
    // timeout, and holds there, so that equalities (LUT trees, no carry chains) tell the
    // timeouts.
    let timed_out = m.eq_const(timer, u64::from(p.frame_timeout));
    let timed_out = nm(&mut m, "frame_timed_out", timed_out);

    let got = |m: &mut ModuleBuilder, state_name: &str| {
        let in_s = m.sig(is(state_name));
        m.and(in_s, rx_valid)
    };
    let sync_c = m.lit(u64::from(SYNC), 8);
    let is_sync = m.eq(rx_data, sync_c);
    let hunt_sync = {
        let g = got(&mut m, "HUNT");
        m.and(g, is_sync)
    };
    let hunt_sync = nm(&mut m, "hunt_sync", hunt_sync);
    let got_opcode = got(&mut m, "OPCODE");
    let got_field = got(&mut m, "FIELDS");
    let got_payload = got(&mut m, "PAYLOAD");
    let got_crc = got(&mut m, "CRC");
    let got_opcode = nm(&mut m, "got_opcode", got_opcode);
    let got_field = nm(&mut m, "got_field", got_field);
    let got_payload = nm(&mut m, "got_payload", got_payload);
    let got_crc = nm(&mut m, "got_crc", got_crc);

    // Opcode byte: known?, and its field count.
    let rx_op_is: Vec<ExprId> = Opcode::ALL.iter().map(|o| m.eq_const(rx_data, *o as u64)).collect();
    let known = or_all(&mut m, &rx_op_is);
    let known = nm(&mut m, "opcode_known", known);
    let no_fields = {
        let i = |o: Opcode| Opcode::ALL.iter().position(|x| *x == o).expect("an opcode");
        m.or(rx_op_is[i(Opcode::Reset)], rx_op_is[i(Opcode::Info)])
    };
    // Fields of the opcode held: 2 for ReadReg, else 6 (opcodes without fields skip).
    let last_field_index = {
        let one = m.lit(1, 3);
        let five = m.lit(5, 3);
        let rr = m.sig(op(Opcode::ReadReg));
        m.mux(rr, one, five)
    };
    // Registered like the length compares below (the count is still between bytes).
    let count_field = m.slice(count, 0, 3);
    let field_last = {
        let r = m.reg("field_last", 1).reset(0).build();
        let e = m.eq(count_field, last_field_index);
        m.next(r, e);
        nm(&mut m, "field_last", r)
    };
    let count16 = m.sig(count.q);
    let count_inc = m.inc(count16);
    let count_inc = nm(&mut m, "count_inc", count_inc);
    let len_after_fields = {
        let f4 = m.sig(fields[4].q);
        m.concat([byte, f4])
    };
    let len_zero_rx = m.eq_const(len_after_fields, 0);
    // The byte counter's compares with a length are registered (`payload_last`,
    // `payload_end`): the counter moves only on a byte received or sent, and the UART's
    // bytes are a frame's time apart, or on a commit step, after a `COMMIT_READ` cycle
    // that leaves it as it is; so in every cycle that reads a flag, the flag computed in
    // the cycle before is the count's, and no 16-bit increment and compare sits in front
    // of the next state.
    // One flag serves every payload: a write's (received and committed) and a memory
    // read's end at `len`, a register value's at 4 bytes and the board information's at
    // INFO_BYTES (compared on the count's low bits: those replies are short).
    let is_short = {
        let rr = m.sig(op(Opcode::ReadReg));
        let inf = m.sig(op(Opcode::Info));
        m.or(rr, inf)
    };
    let payload_last = {
        let r = m.reg("payload_last", 1).reset(0).build();
        let at_len = m.eq(count_inc, len);
        let count4 = m.slice(count, 0, 4);
        let short_last = {
            let inf = m.sig(op(Opcode::Info));
            let info_last = m.eq_const(count4, crate::protocol::INFO_BYTES as u64 - 1);
            let reg_last = m.eq_const(count4, 3);
            m.mux(inf, info_last, reg_last)
        };
        let e = m.mux(is_short, short_last, at_len);
        m.next(r, e);
        nm(&mut m, "payload_last", r)
    };
    let crc_ok = m.eq(rx_data, crc);
    let crc_ok = nm(&mut m, "crc_ok", crc_ok);

    // ---- checks at EXEC --------------------------------------------------------------
    // addr + len <= mem_bytes, with the address's bits above the memory's zero and the
    // sum taken as wide as needed, not over 33 bits.
    let ew = ab.max(16) + 1;
    let addr_low = m.slice(addr, 0, ab);
    let addr_high = m.slice(addr, ab, 32 - ab);
    let high_zero = m.eq_const(addr_high, 0);
    let end = {
        let a = m.zext(addr_low, ew);
        let l = m.zext(len, ew);
        m.add(a, l)
    };
    let below = le_const(&mut m, end, u64::from(p.mem_bytes));
    let below = nm(&mut m, "end_in_memory", below);
    let fits = m.and(high_zero, below);
    let len_nonzero = {
        let z = m.eq_const(len, 0);
        m.not(z)
    };
    let len_small = le_const(&mut m, len, MAX_WRITE as u64);
    let read_ok = m.and(fits, len_nonzero);
    let read_ok = nm(&mut m, "read_range_ok", read_ok);
    let write_ok = m.and(read_ok, len_small);
    let write_ok = nm(&mut m, "write_range_ok", write_ok);
    let in_space = lt_const(&mut m, offset, u64::from(REG_SPACE));
    let low2 = m.slice(offset, 0, 2);
    let aligned = m.eq_const(low2, 0);
    let reg_ok = m.and(in_space, aligned);
    let reg_ok = nm(&mut m, "reg_offset_ok", reg_ok);
    let is_write_reg = m.sig(op(Opcode::WriteReg));
    let is_read_reg = m.sig(op(Opcode::ReadReg));
    let is_reg = m.or(is_write_reg, is_read_reg);
    let is_write_mem = m.sig(op(Opcode::WriteMem));
    let is_read_mem = m.sig(op(Opcode::ReadMem));
    let is_reset = m.sig(op(Opcode::Reset));
    let range_ok = {
        let yes = m.lit(1, 1);
        pick(&mut m, yes, &[(is_write_mem, write_ok), (is_read_mem, read_ok), (is_reg, reg_ok)])
    };
    // Registered: the fields and the opcode are in at least a byte's time before `EXEC`
    // (the CRC byte comes between), so the 17-bit sum and compare stay off its paths.
    let range_ok = {
        let r = m.reg("range_ok", 1).reset(0).build();
        m.next(r, range_ok);
        nm(&mut m, "range_ok", r)
    };

    // ---- memory port ---------------------------------------------------------------
    // The range check keeps addr + count below mem_bytes: the low bits suffice.
    let mem_addr = {
        let c = m.resize(count, ab, false);
        m.add(addr_low, c)
    };
    m.assign(mem_addr_o, mem_addr);
    let in_commit_write = m.sig(is("COMMIT_WRITE"));
    let in_tx_fetch = m.sig(is("TX_FETCH"));
    let mem_req = m.or(in_commit_write, in_tx_fetch);
    m.assign(mem_req_o, mem_req);
    m.assign(mem_we_o, in_commit_write);
    let granted = m.and(mem_req, mem_gnt);
    let granted = nm(&mut m, "mem_granted", granted);

    // The payload buffer: written while receiving, read while committing.
    let buf = m.memory("payload", 8, MAX_WRITE as u32);
    let bw = bits_for(MAX_WRITE as u64 - 1);
    let count_low = m.slice(count, 0, bw);
    let count_high = m.slice(count, bw, 16 - bw);
    let count_in_buffer = m.eq_const(count_high, 0);
    let buf_we = m.and(got_payload, count_in_buffer);
    m.mem_write(buf, buf_we, count_low, rx_data);
    let in_commit_read = m.sig(is("COMMIT_READ"));
    let buf_q = m.mem_read(buf, "payload_rdata", in_commit_read, count_low);
    m.assign(mem_wdata_o, buf_q);

    // ---- AXI4-Lite master ------------------------------------------------------------
    let reg_addr = m.slice(offset, 0, 12);
    m.assign(awaddr_o, reg_addr);
    m.assign(araddr_o, reg_addr);
    let prot = m.lit(0, 3);
    m.assign(awprot_o, prot);
    m.assign(arprot_o, prot);
    m.assign(wdata_o, value);
    let strb = m.lit(0xF, 4);
    m.assign(wstrb_o, strb);
    let in_req = m.sig(is("REG_REQUEST"));
    let in_resp = m.sig(is("REG_RESPONSE"));
    let awv = m.and(in_req, aw_pending);
    let wv = m.and(in_req, w_pending);
    let arv = m.and(in_req, ar_pending);
    m.assign(awvalid_o, awv);
    m.assign(wvalid_o, wv);
    m.assign(arvalid_o, arv);
    let br = m.and(in_resp, is_write_reg);
    let rr = m.and(in_resp, is_read_reg);
    m.assign(bready_o, br);
    m.assign(rready_o, rr);
    let aw_left = {
        let nr = m.not(awready);
        m.and(aw_pending, nr)
    };
    let w_left = {
        let nr = m.not(wready);
        m.and(w_pending, nr)
    };
    let ar_left = {
        let nr = m.not(arready);
        m.and(ar_pending, nr)
    };
    // The request is done once nothing is pending, from the registers alone: the cycle
    // after the last handshake, so that the slave's ready (decoded from the address)
    // reaches only the pending flags, never the next state.
    let none_pending = {
        let pending: Vec<ExprId> = [aw_pending, w_pending, ar_pending].iter().map(|r| m.sig(r.q)).collect();
        let any = or_all(&mut m, &pending);
        m.not(any)
    };
    let req_done = m.and(in_req, none_pending);
    let req_done = nm(&mut m, "reg_request_done", req_done);
    let resp_in = {
        let b = m.and(br, bvalid);
        let r = m.and(rr, rvalid);
        m.or(b, r)
    };
    let resp_in = nm(&mut m, "reg_response", resp_in);
    let resp_code = m.mux(is_write_reg, bresp, rresp);
    let resp_okay = m.eq_const(resp_code, 0);
    let in_reg = m.or(in_req, in_resp);
    // The register access's time is up (in REG_REQUEST or REG_RESPONSE).
    let reg_time_up = m.eq_const(timer, u64::from(p.reg_timeout));
    let reg_timed_out = {
        let nr = m.not(resp_in);
        and_all(&mut m, &[in_reg, reg_time_up, nr])
    };
    let reg_timed_out = nm(&mut m, "reg_timed_out", reg_timed_out);
    let exec = m.sig(is("EXEC"));
    let exec_ok = m.and(exec, range_ok);
    let start_reg = m.and(exec_ok, is_reg);
    let start_reg = nm(&mut m, "start_reg", start_reg);
    let start_write = m.and(start_reg, is_write_reg);
    let start_read = m.and(start_reg, is_read_reg);
    let clear_pending = m.or(reg_timed_out, req_done);
    let pend = |m: &mut ModuleBuilder, start: ExprId, left: ExprId| {
        let z = m.lit(0, 1);
        let run = m.mux(in_req, left, z);
        let run = m.mux(clear_pending, z, run);
        m.or(start, run)
    };
    let aw_d = pend(&mut m, start_write, aw_left);
    m.next(aw_pending, aw_d);
    let w_d = pend(&mut m, start_write, w_left);
    m.next(w_pending, w_d);
    let ar_d = pend(&mut m, start_read, ar_left);
    m.next(ar_pending, ar_d);
    // The value read lands in the value fields (2 to 5), which a register read does not
    // use: no register of its own.
    let rdata_in = m.and(rr, rvalid);
    let rdata_in = nm(&mut m, "reg_rdata_in", rdata_in);

    // ---- reset request ----------------------------------------------------------------
    let start_reset = {
        let a = m.and(exec, is_reset);
        m.or(a, reg_timed_out)
    };
    let start_reset = nm(&mut m, "start_reset", start_reset);
    let in_reset = m.sig(is("RESET"));
    let reset_last = m.eq_const(timer, u64::from(RESET_CYCLES - 1));
    let reset_end = m.and(in_reset, reset_last);
    let reset_end = nm(&mut m, "reset_end", reset_end);
    let acc_hold = {
        let ne = m.not(reset_end);
        m.and(acc_reset, ne)
    };
    let acc_reset_d = m.or(start_reset, acc_hold);
    m.next(acc_reset, acc_reset_d);
    m.assign(acc_reset_o, acc_reset);
    // timer: cleared by a byte received in a frame, by the start of a reset and outside
    // the frame, register and reset states; held at the frame timeout in a frame.
    let counting = m.or(in_reg, in_reset);
    let timer_clear = {
        let byte_in = m.and(receiving, rx_valid);
        let timed = m.or(receiving, counting);
        let idle = m.not(timed);
        or_all(&mut m, &[start_reset, byte_in, idle])
    };
    let timer_clear = nm(&mut m, "timer_clear", timer_clear);
    let timer_hold = m.and(receiving, timed_out);
    let timer_en = {
        let run = m.not(timer_hold);
        m.or(timer_clear, run)
    };
    let zero_tw = m.lit(0, tw);
    let timer_inc = m.inc(timer);
    let timer_d = m.mux(timer_clear, zero_tw, timer_inc);
    m.set_enable(timer, timer_en);
    m.next(timer, timer_d);

    // ---- replies -------------------------------------------------------------------
    let status_ok = m.eq_const(status, Status::Ok as u64);
    let status_ok = nm(&mut m, "status_ok", status_ok);
    // A good reply has a payload for the reads and Info (a memory read's length is not 0:
    // the range check refuses that).
    let has_payload = {
        let reads = m.or(is_read_mem, is_short);
        m.and(status_ok, reads)
    };
    let payload_end = payload_last;
    // A byte of a short payload (register value or board information).
    let info =
        BoardInfo { version: VERSION, max_write: MAX_WRITE as u16, mem_bytes: p.mem_bytes, clock_hz: p.clock_hz };
    let info_bytes = info.to_bytes();
    // Byte `count` of each, selected before the two are: a byte of the constant is a
    // function of the count alone, one of the register value a 4:1 multiplexer.
    let byte_at = |m: &mut ModuleBuilder, v: ExprId, index_bits: u32| {
        let idx = m.slice(count, 0, index_bits);
        let z = m.lit(0, 3);
        let shift = m.concat([idx, z]);
        let t = m.shr(v, shift);
        m.slice(t, 0, 8)
    };
    let short_byte = {
        let bytes: Vec<ExprId> = info_bytes.iter().rev().map(|b| m.lit(u64::from(*b), 8)).collect();
        let info_e = m.concat(bytes);
        let info_byte = byte_at(&mut m, info_e, 4);
        let reg_byte = byte_at(&mut m, value, 2);
        let is_info = m.sig(op(Opcode::Info));
        m.mux(is_info, info_byte, reg_byte)
    };
    // Every payload byte goes through `fetched`: a memory read's from the byte port, a
    // short payload's from the value fields or the board information.
    let payload_byte = m.sig(fetched.q);
    let tx_byte = {
        let sync = m.lit(u64::from(REPLY_SYNC), 8);
        let cases = [
            (m.sig(is("TX_SYNC")), sync),
            (m.sig(is("TX_STATUS")), m.sig(status.q)),
            (m.sig(is("TX_PAYLOAD")), payload_byte),
        ];
        pick(&mut m, crc, &cases)
    };
    m.assign(tx_data_o, tx_byte);
    let sending = {
        let t: Vec<ExprId> = ["TX_SYNC", "TX_STATUS", "TX_PAYLOAD", "TX_CRC"].iter().map(|n| m.sig(is(n))).collect();
        or_all(&mut m, &t)
    };
    m.assign(tx_valid_o, sending);
    let sent = m.and(sending, tx_ready);
    let sent = nm(&mut m, "sent", sent);
    let sent_in = |m: &mut ModuleBuilder, n: &str| {
        let i = m.sig(is(n));
        m.and(sent, i)
    };
    let sent_sync = sent_in(&mut m, "TX_SYNC");
    let sent_sync = nm(&mut m, "sent_sync", sent_sync);
    let sent_status = sent_in(&mut m, "TX_STATUS");
    let sent_status = nm(&mut m, "sent_status", sent_status);
    let sent_payload = sent_in(&mut m, "TX_PAYLOAD");
    let sent_payload = nm(&mut m, "sent_payload", sent_payload);
    let sent_crc = sent_in(&mut m, "TX_CRC");
    let sent_crc = nm(&mut m, "sent_crc", sent_crc);
    let in_tx_wait = m.sig(is("TX_WAIT"));
    m.set_enable(fetched, in_tx_wait);
    let fetched_d = m.mux(is_read_mem, mem_rdata, short_byte);
    m.next(fetched, fetched_d);
    // The error LED: set by an error reply, cleared by a good one.
    let not_ok = m.not(status_ok);
    let error_d = m.mux(sent_crc, not_ok, error);
    m.next(error, error_d);
    m.assign(error_o, error);

    // ---- next state ----------------------------------------------------------------
    let to = |m: &mut ModuleBuilder, n: &str| lit(m, n);
    let (s_hunt, s_opcode, s_fields, s_payload, s_crc, s_discard, s_exec) = (
        to(&mut m, "HUNT"),
        to(&mut m, "OPCODE"),
        to(&mut m, "FIELDS"),
        to(&mut m, "PAYLOAD"),
        to(&mut m, "CRC"),
        to(&mut m, "DISCARD"),
        to(&mut m, "EXEC"),
    );
    let (s_commit_read, s_commit_write, s_reg_request, s_reg_response, s_reset) = (
        to(&mut m, "COMMIT_READ"),
        to(&mut m, "COMMIT_WRITE"),
        to(&mut m, "REG_REQUEST"),
        to(&mut m, "REG_RESPONSE"),
        to(&mut m, "RESET"),
    );
    let (s_tx_sync, s_tx_status, s_tx_fetch, s_tx_wait, s_tx_payload, s_tx_crc) = (
        to(&mut m, "TX_SYNC"),
        to(&mut m, "TX_STATUS"),
        to(&mut m, "TX_FETCH"),
        to(&mut m, "TX_WAIT"),
        to(&mut m, "TX_PAYLOAD"),
        to(&mut m, "TX_CRC"),
    );
    // After the opcode: fields, the CRC, or discard.
    let after_opcode = {
        let f = m.mux(no_fields, s_crc, s_fields);
        m.mux(known, f, s_discard)
    };
    let after_opcode = nm(&mut m, "after_opcode", after_opcode);
    // After the last field: the payload of a non-empty write, else the CRC.
    let after_fields = {
        let nz = m.not(len_zero_rx);
        let wp = m.and(is_write_mem, nz);
        m.mux(wp, s_payload, s_crc)
    };
    let after_fields = nm(&mut m, "after_fields", after_fields);
    let after_crc = m.mux(crc_ok, s_exec, s_discard);
    let after_crc = nm(&mut m, "after_crc", after_crc);
    let after_exec = {
        let work =
            pick(&mut m, s_tx_sync, &[(is_write_mem, s_commit_read), (is_reg, s_reg_request), (is_reset, s_reset)]);
        m.mux(range_ok, work, s_tx_sync)
    };
    let after_exec = nm(&mut m, "after_exec", after_exec);
    let after_commit = m.mux(payload_last, s_tx_sync, s_commit_read);
    let after_commit = nm(&mut m, "after_commit", after_commit);
    // A short payload's byte needs no memory access: straight to `TX_WAIT`.
    let next_byte = m.mux(is_read_mem, s_tx_fetch, s_tx_wait);
    let after_status = m.mux(has_payload, next_byte, s_tx_crc);
    let after_status = nm(&mut m, "after_status", after_status);
    let after_payload = m.mux(payload_end, s_tx_crc, next_byte);
    let after_payload = nm(&mut m, "after_payload", after_payload);
    let frame_open = {
        let t: Vec<ExprId> = ["OPCODE", "FIELDS", "PAYLOAD", "CRC"].iter().map(|n| m.sig(is(n))).collect();
        or_all(&mut m, &t)
    };
    let frame_lost = {
        let nv = m.not(rx_valid);
        and_all(&mut m, &[frame_open, timed_out, nv])
    };
    let frame_lost = nm(&mut m, "frame_lost", frame_lost);
    let commit_step = m.and(in_commit_write, granted);
    let commit_step = nm(&mut m, "commit_step", commit_step);
    let field_done = m.and(got_field, field_last);
    let field_done = nm(&mut m, "field_done", field_done);
    // The next state, per state: each state's own transitions from the signals it waits
    // on (the same as one priority chain over the conditions `reg_timed_out`,
    // `frame_lost`, `hunt_sync`, `got_opcode`, ..., `sent_crc`, each of which holds in
    // its state only; but the FSM's next-state logic then reads a few signals per state,
    // not every condition with the state folded in).
    let state_d = {
        let rx = m.sig(rx_valid);
        let nv = m.not(rx_valid);
        let lost = m.and(timed_out, nv);
        let sync_in = m.and(rx, is_sync);
        let field_in = m.and(rx, field_last);
        let payload_in = m.and(rx, payload_last);
        let gnt = m.sig(mem_gnt);
        let txr = m.sig(tx_ready);
        let resp = {
            let b = m.and(is_write_reg, bvalid);
            let r = m.and(is_read_reg, rvalid);
            m.or(b, r)
        };
        let cases = [
            ("HUNT", pick(&mut m, s_hunt, &[(sync_in, s_opcode)])),
            ("OPCODE", pick(&mut m, s_opcode, &[(lost, s_tx_sync), (rx, after_opcode)])),
            ("FIELDS", pick(&mut m, s_fields, &[(lost, s_tx_sync), (field_in, after_fields)])),
            ("PAYLOAD", pick(&mut m, s_payload, &[(lost, s_tx_sync), (payload_in, s_crc)])),
            ("CRC", pick(&mut m, s_crc, &[(lost, s_tx_sync), (rx, after_crc)])),
            ("DISCARD", pick(&mut m, s_discard, &[(lost, s_tx_sync)])),
            ("EXEC", after_exec),
            ("COMMIT_READ", s_commit_write),
            ("COMMIT_WRITE", pick(&mut m, s_commit_write, &[(gnt, after_commit)])),
            ("REG_REQUEST", pick(&mut m, s_reg_request, &[(reg_time_up, s_reset), (none_pending, s_reg_response)])),
            ("REG_RESPONSE", pick(&mut m, s_reg_response, &[(resp, s_tx_sync), (reg_time_up, s_reset)])),
            ("RESET", pick(&mut m, s_reset, &[(reset_last, s_tx_sync)])),
            ("TX_SYNC", pick(&mut m, s_tx_sync, &[(txr, s_tx_status)])),
            ("TX_STATUS", pick(&mut m, s_tx_status, &[(txr, after_status)])),
            ("TX_FETCH", pick(&mut m, s_tx_fetch, &[(gnt, s_tx_wait)])),
            ("TX_WAIT", s_tx_payload),
            ("TX_PAYLOAD", pick(&mut m, s_tx_payload, &[(txr, after_payload)])),
            ("TX_CRC", pick(&mut m, s_tx_crc, &[(txr, s_hunt)])),
        ];
        let cases: Vec<(ExprId, ExprId)> = cases.iter().map(|(n, v)| (m.sig(is(n)), *v)).collect();
        pick(&mut m, state, &cases)
    };
    m.next(state, state_d);

    // opcode, fields
    for (r, is_op) in op_regs.iter().zip(&rx_op_is) {
        m.set_enable(*r, got_opcode);
        m.next(*r, *is_op);
    }
    // The value fields also take a register read's data.
    for (i, r) in fields.iter().enumerate() {
        let at = m.eq_const(count_field, i as u64);
        let en = m.and(got_field, at);
        if i >= 2 {
            let read_byte = m.slice(rdata, 8 * (i as u32 - 2), 8);
            let d = m.mux(rdata_in, read_byte, rx_data);
            let en = m.or(en, rdata_in);
            m.set_enable(*r, en);
            m.next(*r, d);
        } else {
            m.set_enable(*r, en);
            m.next(*r, rx_data);
        }
    }
    // count: fields, payload, commit and reply bytes.
    // It is cleared or stepped, never loaded: an enabled counter with a synchronous clear.
    let zero16 = m.lit(0, 16);
    let commit_end = m.and(commit_step, payload_last);
    let count_clear = or_all(&mut m, &[got_opcode, field_done, exec, commit_end, sent_status]);
    let count_clear = nm(&mut m, "count_clear", count_clear);
    let count_step = or_all(&mut m, &[got_field, got_payload, commit_step, sent_payload]);
    let count_en = m.or(count_clear, count_step);
    let count_d = m.mux(count_clear, zero16, count_inc);
    m.set_enable(count, count_en);
    m.next(count, count_d);
    // crc: over the opcode and fields while receiving, over status and payload when sending.
    // One CRC step serves both directions: it takes the received byte while receiving
    // and the byte on the line while sending (cleared by the sync byte of each).
    let zero8 = m.lit(0, 8);
    let crc_clear = m.or(hunt_sync, sent_sync);
    let crc_step = or_all(&mut m, &[got_opcode, got_field, got_payload, sent_status, sent_payload]);
    let crc_byte = m.mux(sending, tx_byte, byte);
    let crc_next = crc8_step(&mut m, "crc", crc, crc_byte);
    let crc_next = nm(&mut m, "crc_next", crc_next);
    let crc_d = m.mux(crc_clear, zero8, crc_next);
    let crc_en = m.or(crc_clear, crc_step);
    m.set_enable(crc, crc_en);
    m.next(crc, crc_d);
    // status: set where the outcome is known.
    let lit8 = |m: &mut ModuleBuilder, s: Status| m.lit(s as u64, 8);
    let (ok, bad_crc, bad_cmd, bad_range, bus_error, reg_timeout, frame_timeout) = (
        lit8(&mut m, Status::Ok),
        lit8(&mut m, Status::BadCrc),
        lit8(&mut m, Status::BadCommand),
        lit8(&mut m, Status::BadRange),
        lit8(&mut m, Status::BusError),
        lit8(&mut m, Status::RegTimeout),
        lit8(&mut m, Status::FrameTimeout),
    );
    let bad_opcode = {
        let nk = m.not(known);
        m.and(got_opcode, nk)
    };
    let crc_bad = {
        let n = m.not(crc_ok);
        m.and(got_crc, n)
    };
    let exec_status = m.mux(range_ok, ok, bad_range);
    let resp_status = m.mux(resp_okay, ok, bus_error);
    let status_d = pick(
        &mut m,
        status,
        &[
            (reg_timed_out, reg_timeout),
            (frame_lost, frame_timeout),
            (bad_opcode, bad_cmd),
            (crc_bad, bad_crc),
            (exec, exec_status),
            (resp_in, resp_status),
        ],
    );
    m.next(status, status_d);
    design.add(m)
}
