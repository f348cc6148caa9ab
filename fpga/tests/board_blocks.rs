//! The board top's blocks alone, on the IR interpreter: the UART at the edges of its
//! divider, the memory's AXI4 slave under random traffic with bridge accesses, the LEDs,
//! and the parameter checks.

use fpga::board_top::{self, memory, uart, BoardParams};
use fpga::runtime::{Link, SimUartLink, SimUartOptions};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rtl_gen::sim::{Interp, Simulator};
use rtl_gen::{Design, ModuleBuilder};
use std::time::Duration;

mod common;
use common::tiny;

const CLOCK: u32 = 12_000_000;

/// The host sends `bytes` to a UART loopback (receiver into transmitter) with a bit
/// time `ratio` times the board's; the bytes that come back.
fn loopback(divider: u32, ratio: f64, bytes: &[u8]) -> Vec<u8> {
    let mut d = Design::new();
    let rx = uart::build_rx(&mut d, "t", divider).unwrap_or_else(|e| panic!("{e}"));
    let tx = uart::build_tx(&mut d, "t", divider).unwrap_or_else(|e| panic!("{e}"));
    let mut m = ModuleBuilder::new("t_loopback");
    let rx_line = m.input("uart_rx_i", 1);
    let tx_line = m.output("uart_tx_o", 1);
    let r = m.instance("rx", &d, rx);
    let t = m.instance("tx", &d, tx);
    m.connect(r, "rx_i", rx_line);
    let v = m.connect_wire(r, "valid_o", "valid");
    let data = m.connect_wire(r, "data_o", "data");
    m.connect(t, "valid_i", v);
    m.connect(t, "data_i", data);
    let ready = m.connect_wire(t, "ready_o", "ready");
    m.mark_unused(ready);
    m.connect(t, "tx_o", tx_line);
    let top = d.add(m).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Interp::new(&d, top).unwrap_or_else(|e| panic!("{e}"));
    sim.reset(2);
    let opts = SimUartOptions {
        clock_hz: CLOCK,
        bit_cycles: f64::from(divider) * ratio,
        board_divider: divider,
        // A slow host leaves the echo time to finish; a fast one needs a gap so that the
        // echo (at the board's rate) keeps up.
        gap_bits: 0.3,
    };
    let mut link = SimUartLink::new(sim, opts).unwrap_or_else(|e| panic!("{e}"));
    link.send(bytes).unwrap_or_else(|e| panic!("{e}"));
    let mut got = link.recv(bytes.len(), Duration::from_micros(100)).unwrap_or_else(|e| {
        panic!("divider {divider}, host at {ratio} x the board's bit time: {e}");
    });
    got.extend(link.drain(Duration::from_micros(20)));
    assert_eq!(link.stats().framing_errors, 0);
    got
}

#[test]
fn uart_receives_and_sends_at_the_edges_of_its_divider() {
    let bytes: Vec<u8> = [0x00, 0xFF, 0x55, 0xAA, 0x01, 0x80, 0xA5, 0x5A].into_iter().chain(0..=40).collect();
    for divider in [uart::MIN_DIVIDER, 5, 7, 16] {
        // The smallest divider, odd dividers; the host exact, 2% slow and 2% fast.
        for ratio in [1.0, 1.02, 0.98] {
            assert_eq!(loopback(divider, ratio, &bytes), bytes, "divider {divider}, host bit time x {ratio}");
        }
    }
}

#[test]
fn uart_transmitter_holds_each_bit_for_exactly_one_divider() {
    let mut d = Design::new();
    let tx = uart::build_tx(&mut d, "t", 5).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Interp::new(&d, tx).unwrap_or_else(|e| panic!("{e}"));
    sim.reset(1);
    assert_eq!((sim.get("tx_o"), sim.get("ready_o")), (1, 1), "idle line high, ready");
    sim.set("valid_i", 1);
    sim.set("data_i", 0b1011_0010);
    sim.step();
    sim.set("valid_i", 0);
    sim.set("data_i", 0);
    let mut line = Vec::new();
    let mut ready = Vec::new();
    for _ in 0..50 {
        ready.push(sim.get("ready_o"));
        line.push(sim.get("tx_o"));
        sim.step();
    }
    assert_eq!(sim.get("ready_o"), 1, "ready after 10 bit times");
    assert!(ready[..49].iter().all(|r| *r == 0) && ready[49] == 1, "busy until the stop bit's last cycle");
    // A second byte taken in that last cycle starts right after the stop bit.
    sim.set("valid_i", 1);
    sim.set("data_i", 0xFF);
    sim.step();
    sim.set("valid_i", 0);
    assert_eq!(sim.get("tx_o"), 0, "the next start bit follows at once");
    let bits: Vec<u64> = [0, 0, 1, 0, 0, 1, 1, 0, 1, 1].into_iter().flat_map(|b| [b; 5]).collect();
    assert_eq!(line, bits, "start, 8 data bits LSB first, stop; 5 cycles each");
}

#[test]
fn uart_receiver_ignores_glitches_and_drops_framing_errors() {
    let mut d = Design::new();
    let rx = uart::build_rx(&mut d, "t", 8).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Interp::new(&d, rx).unwrap_or_else(|e| panic!("{e}"));
    sim.set("rx_i", 1);
    sim.reset(2);
    let send = |sim: &mut Interp, levels: &[u64]| {
        let mut got = Vec::new();
        for &l in levels {
            sim.set("rx_i", l as i64);
            for _ in 0..8 {
                sim.step();
                if sim.get("valid_o") == 1 {
                    got.push(sim.get("data_o"));
                }
            }
        }
        got
    };
    // A low pulse shorter than half a bit is not a start bit.
    sim.set("rx_i", 0);
    sim.run(3);
    assert!(send(&mut sim, &[1, 1, 1]).is_empty(), "a 3-cycle glitch is ignored");
    // A character with a low stop bit is dropped; the next good one comes through.
    assert!(send(&mut sim, &[0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1]).is_empty(), "framing error");
    assert_eq!(send(&mut sim, &[0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 1]), [0x55]);
}

#[test]
fn leds_show_heartbeat_idle_and_errors() {
    // A 2 kHz clock so that half a second is 1000 cycles, on the interpreter.
    let mut p = BoardParams::new(tiny(), 2000, 500, 256, 4);
    p.frame_timeout_us = 100_000;
    p.register_timeout_us = 100_000;
    p.leds_active_low = true;
    let b = board_top::build(&p).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(b.por_cycles, 16);
    let mut sim = Interp::new(&b.design, b.top).unwrap_or_else(|e| panic!("{e}"));
    sim.set("uart_rx_i", 1);
    let mut leds = Vec::new();
    for _ in 0..2200 {
        leds.push(!sim.get("led_o") & 0xF);
        sim.step();
    }
    let beat: Vec<u64> = leds.iter().map(|l| l & 1).collect();
    // Half a second is 1000 cycles; the nearest power of two, 1024, is the half period.
    assert_eq!(board_top::heartbeat_bits(2000), 10);
    assert_eq!(beat.iter().position(|b| *b == 1), Some(16 + 1024), "on after the reset and about half a second");
    assert_eq!(beat[16 + 2048 - 1], 1, "on until");
    assert_eq!(beat[16 + 2048], 0, "off about half a second later");
    assert!(leds[100..].iter().all(|l| l & 0b1110 == 0b0010), "idle lit, no error, no bridge error");
    assert_eq!(sim.get("uart_tx_o"), 1, "the line idles high");
}

#[test]
fn with_a_pll_the_reset_waits_for_lock_and_returns_when_it_is_lost() {
    let mut p = BoardParams::new(tiny(), 2000, 500, 256, 4);
    p.frame_timeout_us = 100_000;
    p.register_timeout_us = 100_000;
    p.pll_lock = true;
    let b = board_top::build(&p).unwrap_or_else(|e| panic!("{e}"));
    let top = b.design.module(b.top);
    let ports: Vec<&str> = top.ports.iter().map(|p| top.signal(*p).name.as_str()).collect();
    assert_eq!(ports, ["clk_i", "uart_rx_i", "uart_tx_o", "led_o", "pll_locked_i"]);
    let mut sim = Interp::new(&b.design, b.top).unwrap_or_else(|e| panic!("{e}"));
    sim.set("uart_rx_i", 1);
    let idle = |sim: &mut Interp| sim.peek_path("rst").expect("the board's reset wire").to_u64() == 0;
    // Unlocked: held in reset however long it lasts.
    for _ in 0..200 {
        sim.step();
        assert!(!idle(&mut sim), "in reset while the PLL is not locked");
    }
    // Locked: two synchronizer flip-flops and the power-on count, then out of reset.
    sim.set("pll_locked_i", 1);
    let edges = (1..100).find(|_| {
        sim.step();
        idle(&mut sim)
    });
    assert_eq!(edges, Some(2 + b.por_cycles as usize), "two synchronizer edges, then {} counted", b.por_cycles);
    // Lock lost for one cycle: the reset returns and counts again.
    sim.set("pll_locked_i", 0);
    sim.step();
    sim.set("pll_locked_i", 1);
    for _ in 0..3 {
        sim.step();
    }
    assert!(!idle(&mut sim), "back in reset after a loss of lock");
}

#[test]
fn board_parameters_are_checked_with_reasons() {
    let err = |p: BoardParams| board_top::build(&p).err().map(|e| e.to_string()).unwrap_or_default();
    let base = || BoardParams::new(tiny(), CLOCK, 115_200, 8192, 4);
    assert!(err(BoardParams { clock_hz: 1_000_000, ..base() }).contains("divider 9 gives 111111 baud"));
    assert!(err(BoardParams { baud: 460_800, clock_hz: 1_000_000, ..base() }).contains("at most clock / 4"));
    assert!(err(BoardParams { mem_bytes: 1002, ..base() }).contains("multiple of the accelerator's 4-byte"));
    assert!(err(BoardParams { mem_bytes: 128, ..base() }).contains("256 to 16 MiB"));
    assert!(err(BoardParams { leds: 0, ..base() }).contains("`leds` = 0"));
    assert!(err(BoardParams { frame_timeout_us: 100, ..base() }).contains("at least three characters"));
    assert!(err(BoardParams { register_timeout_us: 1, ..base() }).contains("register_timeout_us"));
    let ok = board_top::build(&base()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ok.uart.divider, 104);
    let top = ok.design.module(ok.top);
    let ports: Vec<&str> = top.ports.iter().map(|p| top.signal(*p).name.as_str()).collect();
    assert_eq!(ports, ["clk_i", "uart_rx_i", "uart_tx_o", "led_o"], "the fixed board ports, no reset pin");
}

/// Random AXI4 bursts (reads and writes with random backpressure) and bridge byte
/// accesses on the memory module alone, against a byte model.
#[test]
fn board_memory_serves_axi_bursts_and_bridge_bytes_together() {
    board_memory_against_a_byte_model(false, false);
}

/// The same with the SPRAM form of the storage (one memory of words with byte enables).
#[test]
fn spram_board_memory_serves_axi_bursts_and_bridge_bytes_together() {
    board_memory_against_a_byte_model(true, false);
}

/// The same with the storage's request and read data registered (block RAM main memory
/// on the ECP5 boards): reads answer two cycles later, the bridge waits for its grant.
#[test]
fn registered_board_memory_serves_axi_bursts_and_bridge_bytes_together() {
    board_memory_against_a_byte_model(false, true);
}

/// With the storage's request and read data registered, a read burst still flows one beat per cycle
/// while `rready` is high, and the beats come in order with their data.
#[test]
fn registered_board_memory_streams_a_read_burst_one_beat_per_cycle() {
    for registered in [false, true] {
        let sizes = memory::MemSizes { data_bits: 32, bytes: 1024, spram: false, registered };
        let mut sim = memory_harness(sizes);
        sim.reset(2);
        let pattern: Vec<u32> = (0..32u32).map(|w| 0xA500_0000 | (w * 0x0301)).collect();
        assert_eq!(axi_write(&mut sim, 0x80, &pattern[..16]), 0);
        assert_eq!(axi_write(&mut sim, 0xC0, &pattern[16..]), 0);
        axi_address(&mut sim, "ar", 0x80, 32);
        sim.set("s_axi_rready_i", 1);
        let (mut got, mut first, mut last) = (Vec::new(), None, 0);
        for cycle in 0..100u32 {
            if sim.get("s_axi_rvalid_o") == 1 {
                got.push(sim.get("s_axi_rdata_o") as u32);
                first.get_or_insert(cycle);
                last = cycle;
            }
            sim.step();
            if got.len() == 32 {
                break;
            }
        }
        sim.set("s_axi_rready_i", 0);
        assert_eq!(got, pattern, "registered {registered}: the burst's data in order");
        let first = first.expect("beats");
        assert_eq!(last - first, 31, "registered {registered}: one beat per cycle");
        let lat = sizes.read_latency();
        assert!(first <= 1 + lat, "registered {registered}: first beat at cycle {first}");
    }
}

/// The AXI slave and its storage in one module, every port of the slave but the
/// storage's brought out under its own name.
fn memory_harness(sizes: memory::MemSizes) -> Interp {
    let mut d = Design::new();
    let storage = memory::build_storage(&mut d, "t", sizes).unwrap_or_else(|e| panic!("{e}"));
    let slave = memory::build_axi_slave(&mut d, "t", sizes).unwrap_or_else(|e| panic!("{e}"));
    let mut m = ModuleBuilder::new("t_memory");
    let s = m.instance("axi_mem", &d, slave);
    let st = m.instance("mem", &d, storage);
    for p in d.module(slave).ports.clone() {
        let sig = d.module(slave).signal(p).clone();
        if sig.name == "clk_i" || sig.name == "rst_i" {
            continue;
        }
        if let Some(rest) = sig.name.strip_prefix("mem_") {
            let base = rest.trim_end_matches("_i").trim_end_matches("_o");
            let (other, mine) = if sig.kind == rtl_gen::ir::SignalKind::Output {
                (format!("{base}_i"), true)
            } else {
                (format!("{base}_o"), false)
            };
            let w = m.wire(format!("mem_{base}"), sig.width);
            if mine {
                m.connect(s, &sig.name, w);
                m.connect(st, &other, w);
            } else {
                m.connect(st, &other, w);
                m.connect(s, &sig.name, w);
            }
        } else {
            let io = if sig.kind == rtl_gen::ir::SignalKind::Input {
                m.input(&sig.name, sig.width)
            } else {
                m.output(&sig.name, sig.width)
            };
            m.connect(s, &sig.name, io);
        }
    }
    let top = d.add(m).unwrap_or_else(|e| panic!("{e}"));
    Interp::new(&d, top).unwrap_or_else(|e| panic!("{e}"))
}

fn board_memory_against_a_byte_model(spram: bool, registered: bool) {
    let sizes = memory::MemSizes { data_bits: 32, bytes: 1024, spram, registered };
    // Cycles a bridge request waits for its grant: none, or with a registered request,
    // one (the access starts a cycle late), the storage's read latency and one for the
    // registered byte, less the cycle of the grant.
    let grant_wait = if registered { sizes.read_latency() + 1 } else { 0 };
    let mut sim = memory_harness(sizes);
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    sim.reset(2);
    let n = sizes.bytes as usize;
    let mut model = vec![0u8; n];
    // Phase 1: the bridge writes every byte.
    for (a, slot) in model.iter_mut().enumerate() {
        let v: u8 = rng.gen();
        sim.set("br_req_i", 1);
        sim.set("br_we_i", 1);
        sim.set("br_addr_i", a as i64);
        sim.set("br_wdata_i", i64::from(v));
        for _ in 0..grant_wait {
            assert_eq!(sim.get("br_gnt_o"), 0, "not granted before its read data is near");
            sim.step();
        }
        assert_eq!(sim.get("br_gnt_o"), 1);
        sim.step();
        *slot = v;
    }
    sim.set("br_req_i", 0);
    // Phase 2: AXI writes to the low half, AXI reads of the high half (and a burst
    // past the end), bridge reads anywhere, all at once.
    let half = n / 2;
    let (mut writes_done, mut reads_done, mut bridge_reads) = (0, 0, 0);
    let mut w_burst: Option<(usize, usize, usize)> = None; // (word, beats, sent)
    let mut aw_pending: Option<(usize, usize)> = None;
    let mut b_wait = false;
    let mut r_burst: Option<(usize, usize, usize)> = None; // (word, beats, received)
    let mut ar_pending: Option<(usize, usize)> = None;
    let mut bridge_read: Option<usize> = None;
    // A bridge request held until granted: (address, cycles waited).
    let mut bridge_req: Option<(usize, u32)> = None;
    let mut w_beat: Option<(u32, u8)> = None;
    for cycle in 0..20_000u32 {
        // Drive.
        if aw_pending.is_none() && w_burst.is_none() && !b_wait && writes_done < 40 {
            let beats = rng.gen_range(1..=8usize);
            let word = rng.gen_range(0..half / 4 - beats);
            aw_pending = Some((word, beats));
        }
        if ar_pending.is_none() && r_burst.is_none() && reads_done < 40 {
            let beats = rng.gen_range(1..=8usize);
            // Every tenth burst runs past the end of memory.
            let word = if reads_done % 10 == 9 { n / 4 - 2 } else { rng.gen_range(half / 4..n / 4 - beats) };
            ar_pending = Some((word, beats));
        }
        sim.set("s_axi_awvalid_i", aw_pending.is_some() as i64);
        let (aw_word, aw_beats) = aw_pending.unwrap_or((0, 1));
        sim.set("s_axi_awaddr_i", (aw_word * 4) as i64);
        sim.set("s_axi_awlen_i", aw_beats as i64 - 1);
        sim.set("s_axi_awsize_i", 2);
        sim.set("s_axi_awburst_i", 1);
        if w_burst.is_some() && w_beat.is_none() && rng.gen_bool(0.7) {
            w_beat = Some((rng.gen(), rng.gen_range(0..16u8)));
        }
        let (wdata, wstrb) = w_beat.unwrap_or((0, 0));
        let w_last = w_burst.is_some_and(|(_, beats, sent)| sent + 1 == beats);
        sim.set("s_axi_wvalid_i", w_beat.is_some() as i64);
        sim.set("s_axi_wdata_i", i64::from(wdata));
        sim.set("s_axi_wstrb_i", i64::from(wstrb));
        sim.set("s_axi_wlast_i", w_last as i64);
        let bready = rng.gen_bool(0.6);
        sim.set("s_axi_bready_i", bready as i64);
        sim.set("s_axi_arvalid_i", ar_pending.is_some() as i64);
        let (ar_word, ar_beats) = ar_pending.unwrap_or((0, 1));
        sim.set("s_axi_araddr_i", (ar_word * 4) as i64);
        sim.set("s_axi_arlen_i", ar_beats as i64 - 1);
        sim.set("s_axi_arsize_i", 2);
        sim.set("s_axi_arburst_i", 1);
        let rready = rng.gen_bool(0.6);
        sim.set("s_axi_rready_i", rready as i64);
        if bridge_req.is_none() && bridge_read.is_none() && bridge_reads < 300 && rng.gen_bool(0.1) {
            bridge_req = Some((rng.gen_range(0..n), 0));
        }
        sim.set("br_req_i", bridge_req.is_some() as i64);
        sim.set("br_we_i", 0);
        sim.set("br_addr_i", bridge_req.map_or(0, |(a, _)| a) as i64);
        // Check what the design answers, then take the handshakes at the edge.
        if let Some(a) = bridge_read.take() {
            assert_eq!(sim.get("br_rdata_o") as u8, model[a], "cycle {cycle}: bridge read of {a:#x}");
            bridge_reads += 1;
        }
        if let Some((a, waited)) = bridge_req {
            let granted = sim.get("br_gnt_o") == 1;
            assert_eq!(granted, waited == grant_wait, "cycle {cycle}: the bridge's grant after {waited} cycles");
            bridge_req = if granted {
                bridge_read = Some(a);
                None
            } else {
                Some((a, waited + 1))
            };
        }
        if sim.get("s_axi_rvalid_o") == 1 && rready {
            let (word, beats, got) = r_burst.expect("no R beat without a burst");
            let w = word + got;
            let resp = sim.get("s_axi_rresp_o");
            if w < n / 4 {
                assert_eq!(resp, 0, "beat inside the memory");
                let data = sim.get("s_axi_rdata_o") as u32;
                assert_eq!(data.to_le_bytes(), model[4 * w..4 * w + 4], "cycle {cycle}: AXI read of word {w}");
            } else {
                assert_eq!(resp, 2, "beat past the end: SLVERR");
            }
            assert_eq!(sim.get("s_axi_rlast_o") == 1, got + 1 == beats, "rlast");
            r_burst = if got + 1 == beats {
                reads_done += 1;
                None
            } else {
                Some((word, beats, got + 1))
            };
        }
        if ar_pending.is_some() && sim.get("s_axi_arready_o") == 1 {
            r_burst = ar_pending.take().map(|(w, b)| (w, b, 0));
        }
        if let Some((wd, ws)) = w_beat {
            if sim.get("s_axi_wready_o") == 1 {
                let (word, beats, sent) = w_burst.expect("W beats follow their AW");
                for (k, byte) in wd.to_le_bytes().iter().enumerate() {
                    if ws >> k & 1 == 1 {
                        model[4 * (word + sent) + k] = *byte;
                    }
                }
                w_beat = None;
                w_burst = if sent + 1 == beats {
                    b_wait = true;
                    None
                } else {
                    Some((word, beats, sent + 1))
                };
            }
        }
        if aw_pending.is_some() && sim.get("s_axi_awready_o") == 1 {
            w_burst = aw_pending.take().map(|(w, b)| (w, b, 0));
        }
        if b_wait && bready && sim.get("s_axi_bvalid_o") == 1 {
            assert_eq!(sim.get("s_axi_bresp_o"), 0);
            b_wait = false;
            writes_done += 1;
        }
        sim.step();
        if writes_done == 40 && reads_done == 40 && bridge_reads >= 300 {
            break;
        }
    }
    assert_eq!((writes_done, reads_done), (40, 40), "every burst completed");
    assert!(bridge_reads >= 300, "{bridge_reads} bridge reads");
}

/// A register access the accelerator never completes (an AXI4-Lite slave that never
/// takes the write) ends at the register timeout: the bridge answers `RegTimeout` and
/// pulses `acc_reset_o`. The bridge alone on the interpreter, bytes fed directly. (A
/// healthy accelerator never holds a write that long: after an error its command queue
/// discards, so this guards against a hung one.)
#[test]
fn a_register_write_that_never_completes_times_out_and_resets_the_accelerator() {
    use fpga::board_top::bridge::{self, BridgeParams};
    use fpga::protocol::{crc8, Request, Status};
    let reg_timeout = 200;
    let mut d = Design::new();
    let params = BridgeParams { mem_bytes: 1024, clock_hz: CLOCK, frame_timeout: 1000, reg_timeout };
    let top = bridge::build(&mut d, "t", params).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Interp::new(&d, top).unwrap_or_else(|e| panic!("{e}"));
    sim.reset(2);
    sim.set("tx_ready_i", 1);
    // Bytes two cycles apart (the UART receiver's are ten bit times apart, at least 40).
    for byte in (Request::WriteReg { offset: 0x03C, value: 0 }).encode() {
        sim.set("rx_valid_i", 1);
        sim.set("rx_data_i", i64::from(byte));
        sim.step();
        sim.set("rx_valid_i", 0);
        sim.step();
    }
    sim.set("rx_valid_i", 0);
    let (mut reply, mut reset_at, mut awvalid_cycles) = (Vec::new(), None, 0u32);
    for cycle in 0..(4 * reg_timeout) {
        awvalid_cycles += sim.get("m_axil_awvalid_o") as u32;
        if sim.get("acc_reset_o") == 1 && reset_at.is_none() {
            reset_at = Some(cycle);
        }
        if sim.get("tx_valid_o") == 1 {
            reply.push(sim.get("tx_data_o") as u8);
        }
        sim.step();
        if reply.len() == 3 {
            break;
        }
    }
    let status = Status::RegTimeout as u8;
    assert_eq!(reply, [0x5A, status, crc8(&[status])], "the timeout reply");
    let reset_at = reset_at.expect("acc_reset_o pulses");
    assert!(reset_at >= reg_timeout, "not before the timeout: cycle {reset_at}");
    assert!(awvalid_cycles >= reg_timeout, "the write was offered all along: {awvalid_cycles} cycles");
}

/// One INCR burst's address of `beats` 32-bit beats at byte address `addr` on channel
/// `ch` (`aw` or `ar`), held until the slave takes it.
fn axi_address(sim: &mut Interp, ch: &str, addr: u32, beats: usize) {
    sim.set(&format!("s_axi_{ch}valid_i"), 1);
    sim.set(&format!("s_axi_{ch}addr_i"), i64::from(addr));
    sim.set(&format!("s_axi_{ch}len_i"), beats as i64 - 1);
    sim.set(&format!("s_axi_{ch}size_i"), 2);
    sim.set(&format!("s_axi_{ch}burst_i"), 1);
    while sim.get(&format!("s_axi_{ch}ready_o")) == 0 {
        sim.step();
    }
    sim.step();
    sim.set(&format!("s_axi_{ch}valid_i"), 0);
}

/// One AXI4 write burst of `data.len()` beats at byte address `addr` (all strobes), then
/// its response; the slave alone, nothing else on its ports.
fn axi_write(sim: &mut Interp, addr: u32, data: &[u32]) -> u64 {
    axi_address(sim, "aw", addr, data.len());
    for (i, word) in data.iter().enumerate() {
        sim.set("s_axi_wvalid_i", 1);
        sim.set("s_axi_wdata_i", i64::from(*word));
        sim.set("s_axi_wstrb_i", 0xF);
        sim.set("s_axi_wlast_i", (i + 1 == data.len()) as i64);
        while sim.get("s_axi_wready_o") == 0 {
            sim.step();
        }
        sim.step();
    }
    sim.set("s_axi_wvalid_i", 0);
    sim.set("s_axi_bready_i", 1);
    while sim.get("s_axi_bvalid_o") == 0 {
        sim.step();
    }
    let resp = sim.get("s_axi_bresp_o");
    sim.step();
    sim.set("s_axi_bready_i", 0);
    resp
}

/// One AXI4 read burst of `beats` beats at byte address `addr`: (data, resp) per beat.
fn axi_read(sim: &mut Interp, addr: u32, beats: usize) -> Vec<(u32, u64)> {
    axi_address(sim, "ar", addr, beats);
    sim.set("s_axi_rready_i", 1);
    let mut got = Vec::new();
    while got.len() < beats {
        if sim.get("s_axi_rvalid_o") == 1 {
            got.push((sim.get("s_axi_rdata_o") as u32, sim.get("s_axi_rresp_o")));
            assert_eq!(sim.get("s_axi_rlast_o") == 1, got.len() == beats, "rlast on the last beat only");
        }
        sim.step();
    }
    sim.set("s_axi_rready_i", 0);
    got
}

/// The slave's burst address counters are only as wide as the memory: a burst that
/// starts above the memory (address bits above it set, however high), or runs past its
/// end, still answers SLVERR beat by beat and writes nothing, never aliasing onto the
/// memory's low words. A power-of-two memory (the counter wraps at its end) and one
/// that is not (its end is compared).
#[test]
fn axi_beats_outside_the_memory_answer_slverr_and_write_nothing() {
    for (bytes, registered) in [(1024u32, false), (1000, false), (1024, true), (1000, true)] {
        let sizes = memory::MemSizes { data_bits: 32, bytes, spram: false, registered };
        let mut sim = memory_harness(sizes);
        sim.reset(2);
        let words = bytes / 4;
        // Fill the memory through AXI with a pattern.
        let pattern: Vec<u32> = (0..words).map(|w| 0x1000_0000 | (w * 0x0101)).collect();
        for (chunk, base) in pattern.chunks(16).zip((0..).step_by(64)) {
            assert_eq!(axi_write(&mut sim, base, chunk), 0, "{bytes} bytes: fill at {base:#x}");
        }
        let top = 1u32 << (32 - (bytes - 1).leading_zeros()); // the next power of two
        let outside = [
            bytes,               // the first word past the end
            top,                 // the word that aliases to word 0 in the counter
            top + 4 * 3,         // a few words above it
            0x8000_0000,         // the top address bit alone
            0xFFFF_FFF0,         // the last words of the address space
            bytes + 0x0100_0000, // a high bit and the memory's end
        ];
        for &addr in &outside {
            let data = [0xDEAD_0001, 0xDEAD_0002, 0xDEAD_0003, 0xDEAD_0004];
            assert_eq!(axi_write(&mut sim, addr, &data), 2, "{bytes} bytes: write at {addr:#x} answers SLVERR");
            let got = axi_read(&mut sim, addr, 4);
            assert!(got.iter().all(|(_, r)| *r == 2), "{bytes} bytes: read at {addr:#x}: {got:x?}");
        }
        // Bursts that start inside and run past the end: OKAY beats with the data, then
        // SLVERR; the write's response is SLVERR and its beats inside are written.
        let start = bytes - 8;
        let got = axi_read(&mut sim, start, 4);
        let resps: Vec<u64> = got.iter().map(|(_, r)| *r).collect();
        assert_eq!(resps, [0, 0, 2, 2], "{bytes} bytes: read across the end");
        assert_eq!((got[0].0, got[1].0), (pattern[words as usize - 2], pattern[words as usize - 1]));
        assert_eq!(axi_write(&mut sim, start, &[7, 8, 9, 10]), 2, "{bytes} bytes: write across the end");
        // Nothing else changed: every word but the two written reads back as filled.
        let mut expect = pattern.clone();
        expect[words as usize - 2] = 7;
        expect[words as usize - 1] = 8;
        for (w, want) in expect.iter().enumerate() {
            let got = axi_read(&mut sim, 4 * w as u32, 1);
            assert_eq!(got, [(*want, 0)], "{bytes} bytes: word {w} after the writes outside");
        }
    }
}
