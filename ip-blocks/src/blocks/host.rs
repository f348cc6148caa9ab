//! The host interface `<prefix>_host`: an AXI4-Lite slave (12-bit byte addresses, 32-bit
//! data) built from a [`RegMap`], so that every register in `docs/registers.md` and the
//! C header is exactly what this block decodes.
//!
//! Ports (`clk_i` and `rst_i` first):
//!
//! | port | width | meaning |
//! |---|---|---|
//! | `s_axil_aw{valid_i,ready_o,addr_i,prot_i}` | 1, 1, 12, 3 | write address (`prot` unused) |
//! | `s_axil_w{valid_i,ready_o,data_i,strb_i}` | 1, 1, 32, 4 | write data |
//! | `s_axil_b{valid_o,ready_i,resp_o}` | 1, 1, 2 | write response |
//! | `s_axil_ar{valid_i,ready_o,addr_i,prot_i}` | 1, 1, 12, 3 | read address (`prot` unused) |
//! | `s_axil_r{valid_o,ready_i,data_o,resp_o}` | 1, 1, 32, 2 | read data |
//! | `cmd_valid_o`, `cmd_ready_i` | 1 | command channel to the controller's queue |
//! | `cmd_data_o` | 128 | `{w3, w2, w1, w0}` |
//! | `<reg>_i` | 32 | a read-only register fed by the controller (`status_i`, …) |
//! | `<reg>_o` | 32 | a read-write register's value, or a pulse register's one-cycle 1-bits |
//! | `<counter>_i` | 64 or 32 | a performance counter ([`RegMap::counter_bits`]), read through its `_LO`/`_HI` pair |
//! | `window_turn_i` | 1 | with [`HostOptions::turn_window`]: turn the window check's registers |
//!
//! Behaviour:
//! - **Writes.** AW and W are taken together: `awready` and `wready` rise in the cycle in
//!   which both valids are high and the write can complete, so a write whose AW and W
//!   arrive together is accepted in that cycle, and one that arrives in pieces (either
//!   first) is accepted when the second piece comes. The response is registered: BVALID
//!   rises the cycle after acceptance. Responses wait in a two-entry queue, so acceptance
//!   never depends on BREADY in the same cycle and writes go at one per cycle while
//!   BREADY is high. WSTRB enables each byte of a stored word (no read-modify-write).
//! - **Command push.** A `CMD3` write presents `cmd_valid_o` with
//!   `cmd_data_o = {strobed WDATA, w2, w1, w0}` while AW and W wait, and is accepted in
//!   exactly the cycle `cmd_ready_i` takes the command: while the queue is full the write
//!   is held (AWREADY/WREADY low), never dropped, and the command is pushed once.
//!   `cmd_valid_o` and the top word of `cmd_data_o` come combinationally from the write
//!   channels; `w0` to `w2` are registers.
//!   With [`HostOptions::hold_command_words`], writes to `CMD0` to `CMD2` wait the same
//!   way while `cmd_ready_i` is low, so that `w0` to `w2` hold the command at the head of
//!   the controller's one-entry queue.
//! - **Turning.** With [`HostOptions::turn_window`], `CMD1`, `WINDOW_BASE` and
//!   `WINDOW_LIMIT` turn right by one bit in each cycle `window_turn_i` is high, for the
//!   controller's bit-serial window check, which turns them 32 times (back to their
//!   values); meanwhile reads and writes of `WINDOW_BASE` and `WINDOW_LIMIT` and writes of
//!   `CMD1` wait (ARREADY, or AWREADY and WREADY, low).
//! - **Reads.** One per cycle while RREADY is high: ARREADY is high when the read-data
//!   register is empty or being taken; RDATA and RRESP are registered. With 64-bit
//!   counters, reading a counter's low word copies its high word into that counter's
//!   snapshot, which the high word returns; with 32-bit counters (`counter_bits`) the
//!   high words read 0 and there are no snapshots.
//! - **Errors.** An unmapped offset, a write to a read-only register and a read of a
//!   write-only one answer SLVERR and change nothing (a read answers data 0). The low two
//!   address bits are ignored.
//! - **Implemented bits.** Only the bits of a register's fields exist: the others read 0,
//!   are not stored, and do not pulse (a read-only input's other bits are ignored).
//! - No combinational path leads from a ready input (`bready`, `rready`, `cmd_ready_i`)
//!   to a valid output; `cmd_ready_i` reaches only AWREADY and WREADY, `rready` ARREADY.
//!
//! The read data is a tree of 2:1 multiplexers on the bits of the word address, the one
//! with the fewest multiplexers (a search over the readable registers): a word address
//! no readable register has is free to select anything, because its read answers 0
//! through `rd_okay`, an exact decode of the readable addresses that clears `r_data`.
//! A node `rd_<pattern>` carries the data of the word addresses matching the pattern
//! (highest address bit first, `x` for any), and only the registers' implemented bits
//! enter the tree. With 32-bit counters (11 live words) the tree costs about 10 LUT4s
//! per data bit on an iCE40, the one-hot AND-OR of before about 13.

use super::util::rotate_right_1;
use crate::regmap::{Access, Kind, RegMap, Register, ADDR_BITS, DATA_BITS};
use rtl_gen::sim::PortDir;
use rtl_gen::{CheckError, CheckErrors, Design, ExprId, IntoExpr, ModuleBuilder, ModuleId, SignalId};
use std::collections::HashMap;

/// The AXI4-Lite slave's port prefix.
pub const AXIL_PREFIX: &str = "s_axil_";

/// AXI response OKAY.
pub const RESP_OKAY: u64 = 0b00;

/// AXI response SLVERR.
pub const RESP_SLVERR: u64 = 0b10;

/// Width of `cmd_data_o`.
pub const CMD_BITS: u32 = 4 * DATA_BITS;

/// Bits of a word address (the byte address without its low two bits).
const WORD_BITS: u32 = ADDR_BITS - 2;

/// OR of `terms` as a balanced tree (`zero` when there are none).
fn or_all(m: &mut ModuleBuilder, terms: &[ExprId], zero: ExprId) -> ExprId {
    match terms {
        [] => zero,
        [t] => *t,
        _ => {
            let (a, b) = terms.split_at(terms.len() / 2);
            let (a, b) = (or_all(m, a, zero), or_all(m, b, zero));
            m.or(a, b)
        }
    }
}

/// The select of the register at `offset`: `word == offset / 4`.
fn select(m: &mut ModuleBuilder, name: String, word: SignalId, offset: u32) -> SignalId {
    let at = m.lit(u64::from(offset >> 2), WORD_BITS);
    let hit = m.eq(word, at);
    m.named(name, hit)
}

/// `value` with only the implemented bits of `r` (unchanged when all 32 are).
fn implemented(m: &mut ModuleBuilder, r: &Register, value: impl IntoExpr) -> ExprId {
    let value = value.into_expr(m);
    match r.implemented() {
        u32::MAX => value,
        mask => {
            let mask = m.lit(mask.into(), DATA_BITS);
            m.and(value, mask)
        }
    }
}

/// What a readable register returns, for the read tree: equal values are one leaf.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Value {
    /// A constant.
    Const(u32),
    /// The register at this index in the map: an input, a stored word or a snapshot.
    Live(usize),
}

/// A multiplexer tree on word-address bits over some readable registers.
#[derive(Clone, Debug)]
enum Tree {
    /// The value of this entry (an index into the entries).
    Leaf(usize),
    /// Address bit `bit` picks `one` when set, `zero` when clear.
    Mux { bit: u32, zero: Box<Tree>, one: Box<Tree> },
}

/// The tree with the fewest multiplexers that returns, for each entry `(word, value)` in
/// `set`, its value; other word addresses are free. A multiplexer between two subtrees of
/// constants costs nothing (it folds into logic of the address shared by every bit).
/// Ties go to the lowest address bit.
fn read_tree(entries: &[(u32, Value)], set: &[usize], memo: &mut HashMap<Vec<usize>, (u32, Tree)>) -> (u32, Tree) {
    if let Some(hit) = memo.get(set) {
        return hit.clone();
    }
    let first = entries[set[0]].1;
    let best = if set.iter().all(|&e| entries[e].1 == first) {
        (0, Tree::Leaf(set[0]))
    } else {
        let constant = |part: &[usize]| part.iter().all(|&e| matches!(entries[e].1, Value::Const(_)));
        let mut best: Option<(u32, Tree)> = None;
        for bit in 0..WORD_BITS {
            let (one, zero): (Vec<usize>, Vec<usize>) = set.iter().partition(|&&e| entries[e].0 >> bit & 1 == 1);
            if one.is_empty() || zero.is_empty() {
                continue;
            }
            let (c0, t0) = read_tree(entries, &zero, memo);
            let (c1, t1) = read_tree(entries, &one, memo);
            let cost = c0 + c1 + u32::from(!(constant(&zero) && constant(&one)));
            if best.as_ref().is_none_or(|(c, _)| cost < *c) {
                best = Some((cost, Tree::Mux { bit, zero: Box::new(t0), one: Box::new(t1) }));
            }
        }
        best.expect("entries with different values differ in an address bit")
    };
    memo.insert(set.to_vec(), best.clone());
    best
}

/// The highest address bit `tree` looks at.
fn top_bit(tree: &Tree) -> Option<u32> {
    match tree {
        Tree::Leaf(_) => None,
        Tree::Mux { bit, zero, one } => Some((*bit).max(top_bit(zero).unwrap_or(0)).max(top_bit(one).unwrap_or(0))),
    }
}

/// Emit `tree`: a leaf is its entry's value; a multiplexer below the root is a wire
/// named after the address pattern of its node (`path`: the bits fixed on the way down,
/// by bit).
fn emit_tree(
    m: &mut ModuleBuilder,
    tree: &Tree,
    word: SignalId,
    leaves: &[ExprId],
    path: &mut Vec<Option<bool>>,
) -> ExprId {
    match tree {
        Tree::Leaf(e) => leaves[*e],
        Tree::Mux { bit, zero, one } => {
            let root = path.iter().all(Option::is_none);
            let name: String = path.iter().rev().map(|b| b.map_or('x', |b| if b { '1' } else { '0' })).collect();
            let b = *bit as usize;
            path[b] = Some(false);
            let z = emit_tree(m, zero, word, leaves, path);
            path[b] = Some(true);
            let o = emit_tree(m, one, word, leaves, path);
            path[b] = None;
            let sel = m.bit(word, *bit);
            let v = m.mux(sel, o, z);
            if root {
                return v;
            }
            let node = m.named(format!("rd_{name}"), v);
            m.sig(node)
        }
    }
}

/// A decoded condition: known at generation time, or an expression.
#[derive(Clone, Copy, Debug)]
enum Cond {
    Always(bool),
    Expr(ExprId),
}

/// A decision diagram of "some word of `words` is addressed", on the low `bits` address
/// bits (`words` hold only those), highest first. Bits the answer does not depend on are
/// skipped, so the result is a small expression of the few bits that matter.
fn decode(m: &mut ModuleBuilder, word: SignalId, words: &[u32], bits: u32) -> Cond {
    if words.is_empty() || words.len() == 1 << bits {
        return Cond::Always(!words.is_empty());
    }
    // Some but not all words: at least one bit is left.
    let bit = bits - 1;
    let low = |w: &u32| w & ((1 << bit) - 1);
    let zero: Vec<u32> = words.iter().filter(|w| *w >> bit & 1 == 0).map(low).collect();
    let one: Vec<u32> = words.iter().filter(|w| *w >> bit & 1 == 1).map(low).collect();
    if zero == one {
        return decode(m, word, &zero, bit);
    }
    let z = decode(m, word, &zero, bit);
    let o = decode(m, word, &one, bit);
    let sel = m.bit(word, bit);
    Cond::Expr(match (z, o) {
        (Cond::Always(false), Cond::Always(true)) => sel,
        (Cond::Always(true), Cond::Always(false)) => m.not(sel),
        (Cond::Always(false), Cond::Expr(o)) => m.and(sel, o),
        (Cond::Always(true), Cond::Expr(o)) => {
            let n = m.not(sel);
            m.or(n, o)
        }
        (Cond::Expr(z), Cond::Always(false)) => {
            let n = m.not(sel);
            m.and(n, z)
        }
        (Cond::Expr(z), Cond::Always(true)) => m.or(sel, z),
        (Cond::Expr(z), Cond::Expr(o)) => m.mux(sel, o, z),
        (Cond::Always(_), Cond::Always(_)) => unreachable!("equal halves were skipped"),
    })
}

/// Options of the host interface beyond its register map.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostOptions {
    /// Writes to command words 0 to 2 wait, like a `CMD3` push, while `cmd_ready_i` is
    /// low, so that the stored words hold the command at the head of a one-entry queue
    /// and the controller need not copy them ([`super::controller::reads_host_words`]).
    pub hold_command_words: bool,
    /// `CMD1`, `WINDOW_BASE` and `WINDOW_LIMIT` turn right by one bit (bit 0 takes bit
    /// 1, bit 31 bit 0) in every cycle the input `window_turn_i` is high, so that the
    /// controller reads them one bit per cycle at bit 0
    /// ([`super::controller::turns_window`]); it turns them 32 times, back to where they
    /// were. Meanwhile reads and writes of `WINDOW_BASE` and `WINDOW_LIMIT` and writes of
    /// `CMD1` wait.
    pub turn_window: bool,
}

/// The registers [`HostOptions::turn_window`] turns.
pub const TURNING: [&str; 3] = ["CMD1", "WINDOW_BASE", "WINDOW_LIMIT"];

/// Build `<prefix>_host` from `map` into `design`. A map with problems
/// ([`RegMap::problems`]) is refused with every problem listed.
pub fn build(design: &mut Design, prefix: &str, map: &RegMap) -> Result<ModuleId, CheckErrors> {
    build_with(design, prefix, map, HostOptions::default())
}

/// [`build`] with `options`.
pub fn build_with(
    design: &mut Design,
    prefix: &str,
    map: &RegMap,
    options: HostOptions,
) -> Result<ModuleId, CheckErrors> {
    let name = format!("{prefix}_host");
    let problems = map.problems();
    if !problems.is_empty() {
        return Err(CheckErrors(
            problems
                .into_iter()
                .map(|p| CheckError::Parameter {
                    module: name.clone(),
                    parameter: "map".into(),
                    value: p.subject,
                    allowed: p.rule,
                })
                .collect(),
        ));
    }
    let wide = map.counter_bits > DATA_BITS;
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Host interface: AXI4-Lite slave of the register map in docs/registers.md. A write is \
         accepted when AW and W are both valid (one per cycle while BREADY is high); a CMD3 \
         write pushes {{w3, w2, w1, w0}} on the command channel and waits while cmd_ready_i is \
         low. Unmapped offsets, writes to read-only and reads of write-only registers answer \
         SLVERR and change nothing. {} Read data: a tree of multiplexers on word-address \
         bits; rd_<pattern> is the data for the word addresses matching the pattern (highest \
         bit first, x for any), and rd_okay clears it for addresses no readable register has.",
        if wide {
            "Counters are 64 bits: reading a _LO word snapshots the _HI word."
        } else {
            "Counters are 32 bits: the _HI words read 0."
        }
    ));
    m.param("registers", map.registers.len());
    m.param("address_bits", ADDR_BITS);
    m.param("data_bits", DATA_BITS);
    m.param("counter_bits", map.counter_bits);
    if options.hold_command_words {
        m.param("hold_command_words", true);
    }
    if options.turn_window {
        m.param("turn_window", true);
    }

    let p = AXIL_PREFIX;
    let awvalid = m.input(format!("{p}awvalid_i"), 1);
    let awready = m.output(format!("{p}awready_o"), 1);
    let awaddr = m.input(format!("{p}awaddr_i"), ADDR_BITS);
    let awprot = m.input(format!("{p}awprot_i"), 3);
    let wvalid = m.input(format!("{p}wvalid_i"), 1);
    let wready = m.output(format!("{p}wready_o"), 1);
    let wdata = m.input(format!("{p}wdata_i"), DATA_BITS);
    let wstrb = m.input(format!("{p}wstrb_i"), DATA_BITS / 8);
    let bvalid = m.output(format!("{p}bvalid_o"), 1);
    let bready = m.input(format!("{p}bready_i"), 1);
    let bresp = m.output(format!("{p}bresp_o"), 2);
    let arvalid = m.input(format!("{p}arvalid_i"), 1);
    let arready = m.output(format!("{p}arready_o"), 1);
    let araddr = m.input(format!("{p}araddr_i"), ADDR_BITS);
    let arprot = m.input(format!("{p}arprot_i"), 3);
    let rvalid = m.output(format!("{p}rvalid_o"), 1);
    let rready = m.input(format!("{p}rready_i"), 1);
    let rdata = m.output(format!("{p}rdata_o"), DATA_BITS);
    let rresp = m.output(format!("{p}rresp_o"), 2);
    let cmd_valid = m.output("cmd_valid_o", 1);
    let cmd_ready = m.input("cmd_ready_i", 1);
    let cmd_data = m.output("cmd_data_o", CMD_BITS);
    let turn = options.turn_window.then(|| m.input("window_turn_i", 1));
    let turns = |r: &Register| turn.is_some() && TURNING.contains(&r.name);
    let ports: Vec<Option<SignalId>> = map
        .registers
        .iter()
        .map(|r| {
            map.port(r).map(|pi| match pi.dir {
                PortDir::Input => m.input(pi.name, pi.width),
                PortDir::Output => m.output(pi.name, pi.width),
            })
        })
        .collect();
    // Protection is not used; a byte address selects its word.
    m.mark_unused(awprot);
    m.mark_unused(arprot);
    m.mark_unused(awaddr);
    m.mark_unused(araddr);

    let lower = |r: &Register| r.name.to_lowercase();
    let okay = m.lit(RESP_OKAY, 2);
    let slverr = m.lit(RESP_SLVERR, 2);

    // ---- write: decode, acceptance, command push ----------------------------------
    let wr_word_e = m.slice(awaddr, 2, WORD_BITS);
    let wr_word = m.named("wr_word", wr_word_e);
    let wr_req_e = m.and(awvalid, wvalid);
    let wr_req = m.named("wr_req", wr_req_e);
    let (ones, zeros) = (m.lit(0xFF, 8), m.lit(0, 8));
    let bytes: Vec<ExprId> = (0..DATA_BITS / 8)
        .rev()
        .map(|i| {
            let b = m.bit(wstrb, i);
            m.mux(b, ones, zeros)
        })
        .collect();
    let wr_mask_e = m.concat(bytes);
    let wr_mask = m.named("wr_mask", wr_mask_e);
    let wr_bytes_e = m.and(wdata, wr_mask);
    let wr_bytes = m.named("wr_bytes", wr_bytes_e);
    let wr_sel: Vec<Option<SignalId>> = map
        .registers
        .iter()
        .map(|r| r.access.writable().then(|| select(&mut m, format!("wr_sel_{}", lower(r)), wr_word, r.offset)))
        .collect();
    let sels: Vec<ExprId> = wr_sel.iter().flatten().map(|s| m.sig(*s)).collect();
    let no = m.lit(0, 1);
    let wr_okay_e = or_all(&mut m, &sels, no);
    let wr_okay = m.named("wr_okay", wr_okay_e);
    let cmd3 = map.registers.iter().position(|r| r.kind == Kind::CommandWord(3)).and_then(|i| wr_sel[i]);
    let wr_push = match cmd3 {
        Some(s) => m.sig(s),
        None => no,
    };
    // The writes that wait for `cmd_ready_i`: the push, and with `hold_command_words`
    // those of command words 0 to 2.
    let wr_waits = if options.hold_command_words {
        let words: Vec<ExprId> = map
            .registers
            .iter()
            .zip(&wr_sel)
            .filter(|(r, _)| matches!(r.kind, Kind::CommandWord(_)))
            .filter_map(|(_, sel)| sel.map(|s| m.sig(s)))
            .collect();
        let e = or_all(&mut m, &words, no);
        let s = m.named("wr_cmd_word", e);
        m.sig(s)
    } else {
        wr_push
    };

    // Write responses wait in a two-entry queue: b (on the bus) and b_skid behind it.
    let b_valid = m.reg("b_valid", 1).reset(0).build();
    let b_resp = m.reg("b_resp", 2).build();
    let b_skid_valid = m.reg("b_skid_valid", 1).reset(0).build();
    let b_skid_resp = m.reg("b_skid_resp", 2).build();
    let wr_room_e = m.not(b_skid_valid);
    let wr_room = m.named("wr_room", wr_room_e);
    let push_offer = m.and(wr_req, wr_push);
    let cmd_valid_e = m.and(push_offer, wr_room);
    m.assign(cmd_valid, cmd_valid_e);
    // While the turning registers turn, their writes wait.
    let wr_waits = match turn {
        Some(t) => {
            let words: Vec<ExprId> = map
                .registers
                .iter()
                .zip(&wr_sel)
                .filter(|(r, _)| turns(r))
                .filter_map(|(_, sel)| sel.map(|s| m.sig(s)))
                .collect();
            let any = or_all(&mut m, &words, no);
            let held = m.and(t, any);
            let held = m.named("wr_turn_wait", held);
            m.or(wr_waits, held)
        }
        None => wr_waits,
    };
    let no_wait = m.not(wr_waits);
    let cmd_ok = m.or(no_wait, cmd_ready);
    let req_room = m.and(wr_req, wr_room);
    let wr_accept_e = m.and(req_room, cmd_ok);
    let wr_accept = m.named("wr_accept", wr_accept_e);
    m.assign(awready, wr_accept);
    m.assign(wready, wr_accept);

    // Stored words: read-write registers (by register index) and command words 0 to 2.
    // Each byte is loaded when its strobe is set: no merge with the old value.
    let mut stored: Vec<Option<SignalId>> = vec![None; map.registers.len()];
    let mut held_words: [Option<SignalId>; 3] = [None; 3];
    for (i, (r, sel)) in map.registers.iter().zip(&wr_sel).enumerate() {
        let Some(sel) = *sel else { continue };
        // Word 3 is not stored: it goes straight out with the push.
        if r.kind == Kind::CommandWord(3) {
            continue;
        }
        let en_e = m.and(wr_accept, sel);
        let en = m.named(format!("wr_en_{}", lower(r)), en_e);
        match r.kind {
            Kind::Plain | Kind::CommandWord(0..=2) => {
                let name = match r.kind {
                    Kind::CommandWord(n) => format!("cmd_w{n}"),
                    _ => lower(r),
                };
                let q = m.reg(name, DATA_BITS).reset(r.reset.into()).enable(en).build();
                let bytes: Vec<ExprId> = (0..DATA_BITS / 8)
                    .rev()
                    .map(|b| {
                        let strobe = m.bit(wstrb, b);
                        let new = m.slice(wdata, 8 * b, 8);
                        let old = m.slice(q, 8 * b, 8);
                        m.mux(strobe, new, old)
                    })
                    .collect();
                let d = m.concat(bytes);
                let d = implemented(&mut m, r, d);
                match turn.filter(|_| turns(r)) {
                    Some(t) => {
                        let turned = rotate_right_1(&mut m, q);
                        let d = m.mux(t, turned, d);
                        m.next(q, d);
                        let en = m.or(en, t);
                        m.set_enable(q, en);
                    }
                    None => m.next(q, d),
                }
                match (r.kind, ports[i]) {
                    (Kind::CommandWord(n), _) => held_words[usize::from(n)] = Some(q.q),
                    (_, Some(port)) => m.assign(port, q),
                    (_, None) => unreachable!("a stored plain register has an output"),
                }
                stored[i] = Some(q.q);
            }
            Kind::Pulse => {
                let q = m.reg(lower(r), DATA_BITS).reset(0).build();
                let zero = m.lit(0, DATA_BITS);
                let bits = implemented(&mut m, r, wr_bytes);
                let d = m.mux(en, bits, zero);
                m.next(q, d);
                m.assign(ports[i].expect("a pulse register has an output"), q);
            }
            Kind::CommandWord(_) | Kind::Constant | Kind::CounterLo(_) | Kind::CounterHi(_) => {
                unreachable!("RegMap::problems refuses writable {:?} registers", r.kind)
            }
        }
    }
    let [Some(w0), Some(w1), Some(w2)] = held_words else {
        unreachable!("RegMap::problems requires command words 0 to 2")
    };
    let cmd_e = m.concat([wr_bytes, w2, w1, w0]);
    m.assign(cmd_data, cmd_e);

    // Response queue next state. `b_free`: the bus slot is empty or being taken.
    let wr_resp_e = m.mux(wr_okay, okay, slverr);
    let wr_resp = m.named("wr_resp", wr_resp_e);
    let not_bready = m.not(bready);
    let b_kept = m.and(b_valid, not_bready);
    let b_valid_or_skid = m.or(b_kept, b_skid_valid);
    let b_valid_d = m.or(b_valid_or_skid, wr_accept);
    m.next(b_valid, b_valid_d);
    let b_empty = m.not(b_valid);
    let b_free_e = m.or(b_empty, bready);
    let b_free = m.named("b_free", b_free_e);
    let from_skid = m.and(b_skid_valid, bready);
    let from_write = m.and(wr_accept, b_free);
    let b_load_e = m.or(from_skid, from_write);
    let b_load = m.named("b_load", b_load_e);
    m.set_enable(b_resp, b_load);
    let b_resp_d = m.mux(b_skid_valid, b_skid_resp, wr_resp);
    m.next(b_resp, b_resp_d);
    let b_busy = m.not(b_free);
    let to_skid_e = m.and(wr_accept, b_busy);
    let to_skid = m.named("b_to_skid", to_skid_e);
    let skid_kept = m.and(b_skid_valid, not_bready);
    let b_skid_valid_d = m.or(skid_kept, to_skid);
    m.next(b_skid_valid, b_skid_valid_d);
    m.set_enable(b_skid_resp, to_skid);
    m.next(b_skid_resp, wr_resp);
    m.assign(bvalid, b_valid);
    m.assign(bresp, b_resp);

    // ---- read: decode, snapshots, registered data ---------------------------------
    let r_valid = m.reg("r_valid", 1).reset(0).build();
    let rd_word_e = m.slice(araddr, 2, WORD_BITS);
    let rd_word = m.named("rd_word", rd_word_e);
    let r_empty = m.not(r_valid);
    let rd_room_e = m.or(r_empty, rready);
    let rd_room = m.named("rd_room", rd_room_e);
    // While the turning registers turn, their reads wait.
    let rd_ready = match turn {
        Some(t) => {
            let words: Vec<u32> =
                map.registers.iter().filter(|r| turns(r) && r.access.readable()).map(|r| r.offset >> 2).collect();
            let hit = match decode(&mut m, rd_word, &words, WORD_BITS) {
                Cond::Always(a) => m.lit(a.into(), 1),
                Cond::Expr(e) => e,
            };
            let held = m.and(t, hit);
            let held = m.named("rd_turn_wait", held);
            let nh = m.not(held);
            let e = m.and(rd_room, nh);
            m.named("rd_ready", e)
        }
        None => rd_room,
    };
    m.assign(arready, rd_ready);
    let rd_accept_e = m.and(arvalid, rd_ready);
    let rd_accept = m.named("rd_accept", rd_accept_e);
    // Counter snapshots (64-bit counters), filled by reads of the low words.
    let mut snapshots: Vec<(&str, SignalId)> = Vec::new();
    for (r, port) in map.registers.iter().zip(&ports) {
        if let (Kind::CounterLo(c), Some(port), true) = (r.kind, port, wide) {
            let sel = select(&mut m, format!("rd_sel_{}", lower(r)), rd_word, r.offset);
            let en_e = m.and(rd_accept, sel);
            let en = m.named(format!("rd_en_{}", lower(r)), en_e);
            let snap = m.reg(format!("{}_hi", c.to_lowercase()), DATA_BITS).reset(0).enable(en).build();
            let hi = m.slice(*port, DATA_BITS, DATA_BITS);
            m.next(snap, hi);
            snapshots.push((c, snap.q));
        }
    }
    // The readable registers: word address, value, and the value's expression.
    let mut entries: Vec<(u32, Value)> = Vec::new();
    let mut leaves: Vec<ExprId> = Vec::new();
    for (i, r) in map.registers.iter().enumerate().filter(|(_, r)| r.access.readable()) {
        let (value, e) = match (r.kind, r.access, ports[i], stored[i]) {
            (Kind::Constant, ..) => (Value::Const(r.reset), m.lit(r.reset.into(), DATA_BITS)),
            (Kind::Plain, Access::Ro, Some(port), _) => (Value::Live(i), implemented(&mut m, r, port)),
            (Kind::Plain, _, _, Some(q)) => (Value::Live(i), m.sig(q)),
            (Kind::CounterLo(_), _, Some(port), _) => (Value::Live(i), m.slice(port, 0, DATA_BITS)),
            (Kind::CounterHi(c), ..) => match snapshots.iter().find(|(n, _)| *n == c) {
                Some((_, snap)) => (Value::Live(i), m.sig(*snap)),
                None => (Value::Const(0), m.lit(0, DATA_BITS)),
            },
            _ => unreachable!("RegMap::problems refuses a readable {:?} {:?} register", r.access, r.kind),
        };
        entries.push((r.offset >> 2, value));
        leaves.push(e);
    }
    let rd_data_e = if entries.is_empty() {
        m.lit(0, DATA_BITS)
    } else {
        let all: Vec<usize> = (0..entries.len()).collect();
        let (_, tree) = read_tree(&entries, &all, &mut HashMap::new());
        let mut path = vec![None; top_bit(&tree).map_or(0, |b| b as usize + 1)];
        emit_tree(&mut m, &tree, rd_word, &leaves, &mut path)
    };
    let rd_data = m.named("rd_data", rd_data_e);
    let words: Vec<u32> = entries.iter().map(|(w, _)| *w).collect();
    let rd_okay_e = match decode(&mut m, rd_word, &words, WORD_BITS) {
        Cond::Always(a) => m.lit(a.into(), 1),
        Cond::Expr(e) => e,
    };
    let rd_okay = m.named("rd_okay", rd_okay_e);
    let r_kept = {
        let not_rready = m.not(rready);
        m.and(r_valid, not_rready)
    };
    let r_valid_d = m.or(rd_accept, r_kept);
    m.next(r_valid, r_valid_d);
    let r_data = m.reg("r_data", DATA_BITS).enable(rd_accept).build();
    let zero = m.lit(0, DATA_BITS);
    let r_data_d = m.mux(rd_okay, rd_data, zero);
    m.next(r_data, r_data_d);
    let r_resp = m.reg("r_resp", 2).enable(rd_accept).build();
    let r_resp_d = m.mux(rd_okay, okay, slverr);
    m.next(r_resp, r_resp_d);
    m.assign(rvalid, r_valid);
    m.assign(rdata, r_data);
    m.assign(rresp, r_resp);

    // ---- Formal properties (`ifdef FORMAL`): the AXI4-Lite slave rules. ---------------
    m.assume_initial_reset();
    use super::formal::{assert_offer_held, assume_offer_held, counter, fire};
    assume_offer_held(&mut m, "s_axil_aw", awvalid, awready, &[awaddr, awprot]);
    assume_offer_held(&mut m, "s_axil_w", wvalid, wready, &[wdata, wstrb]);
    assume_offer_held(&mut m, "s_axil_ar", arvalid, arready, &[araddr, arprot]);
    assert_offer_held(&mut m, "s_axil_b", bvalid, bready, &[bresp]);
    assert_offer_held(&mut m, "s_axil_r", rvalid, rready, &[rdata, rresp]);
    if turn.is_some() {
        // `w1` may turn under a waiting push; the controller reads it only at its head.
        assert_offer_held(&mut m, "cmd", cmd_valid, cmd_ready, &[wr_bytes, w2, w0]);
    } else {
        assert_offer_held(&mut m, "cmd", cmd_valid, cmd_ready, &[cmd_data]);
    }
    let aw_fire = fire(&mut m, awvalid, awready);
    let w_fire = fire(&mut m, wvalid, wready);
    let together = m.eq(aw_fire, w_fire);
    m.assert_always("f_s_axil_aw_w_together", "AW and W are accepted in the same cycle", together);
    let b_fire = fire(&mut m, bvalid, bready);
    let b_owed = counter(&mut m, "b_owed", 3, aw_fire, b_fire);
    let some = m.any(b_owed);
    m.assert_when("f_s_axil_b_only_for_writes", "a B response only for an accepted write", bvalid, some);
    let two = m.lit(2, 3);
    let bounded = m.le(b_owed, two);
    m.assert_always("f_s_axil_b_owed_bounded", "at most two write responses owed (the B queue)", bounded);
    let ar_fire = fire(&mut m, arvalid, arready);
    let r_fire = fire(&mut m, rvalid, rready);
    let r_owed = counter(&mut m, "r_owed", 2, ar_fire, r_fire);
    let some = m.any(r_owed);
    m.assert_when("f_s_axil_r_only_for_reads", "an R response only for an accepted read", rvalid, some);
    let one = m.lit(1, 2);
    let bounded = m.le(r_owed, one);
    m.assert_always("f_s_axil_r_owed_bounded", "at most one read response owed", bounded);
    let cmd_fire = fire(&mut m, cmd_valid, cmd_ready);
    let pushed_with_write = m.eq(cmd_fire, aw_fire);
    m.assert_when(
        "f_cmd_pushed_once",
        "a command is pushed exactly when its CMD3 write is accepted (never dropped, never twice)",
        cmd_valid,
        pushed_with_write,
    );
    design.add(m)
}
