//! The board top in simulation, driven by the host runtime over a simulated UART: the
//! bridge protocol (registers, memory, damaged frames, timeouts, reset), tiled matmuls
//! against the golden model, the memory's AXI4 slave under random traffic, and the
//! UART at the edges of its divider.
//!
//! The board runs at 12 MHz with the UART at clock / 4 (3 Mbaud) so that a test takes
//! seconds; the frame timeout is 50 us (600 cycles) and the register timeout 1 ms.
//! Run with `--nocapture` to see the link's measured throughput.

use fpga::board_top::{self, memory, uart, BoardParams, BoardTop};
use fpga::protocol::{crc8, Request, Status, MAX_WRITE, REPLY_SYNC};
use fpga::runtime::{run_program, Bridge, BridgeError, BridgeOptions, Link, SimUartLink, SimUartOptions};
use ip_blocks::model::Model;
use ip_blocks::quant::{Activation, RequantParams};
use ip_blocks::regmap::regmap;
use ip_blocks::tiler::{random_matmul, reference_matmul, tile_matmul, MatmulSpec};
use ip_blocks::Config;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rtl_gen::sim::{Interp, Simulator};
use rtl_gen::{Design, ModuleBuilder};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use testbenches::{VerilatorModel, VerilatorSim};

const CLOCK: u32 = 12_000_000;
const DIVIDER: u32 = 4;
const MEM_BYTES: u32 = 8192;

/// A 2x2 accelerator: small and quick to build.
fn tiny() -> Config {
    Config::from_toml(
        r#"
name = "tiny"
[array]
rows = 2
cols = 2
dataflow = "ws"
[scratchpad]
banks = 2
rows_per_bank = 64
[accumulator]
rows = 32
[dma]
data_bits = 32
outstanding = 2
"#,
        "tiny",
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn params(cfg: Config) -> BoardParams {
    let mut p = BoardParams::new(cfg, CLOCK, CLOCK / DIVIDER, MEM_BYTES, 4);
    p.frame_timeout_us = 50;
    p.register_timeout_us = 1000;
    p
}

/// The board top and its Verilator model, built once per configuration.
fn board(which: &str) -> &'static (BoardTop, Arc<VerilatorModel>) {
    static TINY: OnceLock<(BoardTop, Arc<VerilatorModel>)> = OnceLock::new();
    static ICE40: OnceLock<(BoardTop, Arc<VerilatorModel>)> = OnceLock::new();
    let (cell, cfg) = match which {
        "tiny" => (&TINY, tiny as fn() -> Config),
        _ => (&ICE40, (|| Config::preset("ice40").unwrap_or_else(|e| panic!("{e}"))) as fn() -> Config),
    };
    cell.get_or_init(|| {
        let b = board_top::build(&params(cfg())).unwrap_or_else(|e| panic!("{e}"));
        let model = testbenches::verilate(&b.design, b.top).unwrap_or_else(|e| panic!("{e}"));
        (b, model)
    })
}

type SimBridge = Bridge<SimUartLink<VerilatorSim>>;

fn options() -> BridgeOptions {
    BridgeOptions {
        reply_timeout: Duration::from_micros(2000),
        resync_quiet: Duration::from_micros(100),
        ..BridgeOptions::default()
    }
}

/// A fresh board, out of its power-on reset, and the host's bridge to it.
fn connect(which: &str) -> SimBridge {
    let (b, model) = board(which);
    let mut link = SimUartLink::new(model.instantiate(), SimUartOptions::matched(CLOCK, b.uart.divider))
        .unwrap_or_else(|e| panic!("{e}"));
    link.idle(u64::from(b.por_cycles) + 4);
    Bridge::new(link, options())
}

fn reg(cfg: &Config, name: &str) -> u16 {
    regmap(&cfg.geometry(), cfg.array.dataflow).by_name(name).unwrap_or_else(|| panic!("no register {name}")).offset
        as u16
}

/// Send raw bytes; the status of the one reply that follows, and nothing after it.
fn raw(bridge: &mut SimBridge, bytes: &[u8]) -> Status {
    let link = bridge.link_mut();
    link.send(bytes).unwrap_or_else(|e| panic!("{e}"));
    let reply = link.recv(3, Duration::from_micros(500)).unwrap_or_else(|e| panic!("no reply to {bytes:02x?}: {e}"));
    assert_eq!(reply[0], REPLY_SYNC);
    assert_eq!(reply[2], crc8(&reply[1..2]), "reply CRC");
    let extra = link.drain(Duration::from_micros(100));
    assert!(extra.is_empty(), "nothing may follow an error reply, got {extra:02x?}");
    Status::from_byte(reply[1]).unwrap_or_else(|| panic!("unknown status {}", reply[1]))
}

fn led(bridge: &mut SimBridge, i: u32) -> bool {
    bridge.link_mut().sim_mut().get("led_o") >> i & 1 == 1
}

fn random_bytes(rng: &mut ChaCha8Rng, n: usize) -> Vec<u8> {
    (0..n).map(|_| rng.gen()).collect()
}

#[test]
fn register_reads_and_writes_round_trip() {
    let cfg = tiny();
    let mut br = connect("tiny");
    let info = br.info().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((info.version, info.mem_bytes, info.clock_hz), (1, MEM_BYTES, CLOCK));
    assert_eq!(usize::from(info.max_write), MAX_WRITE);
    assert_eq!(br.read_reg(reg(&cfg, "ID")).unwrap_or_else(|e| panic!("{e}")), 0x5345_4544, "\"SEED\"");
    assert_eq!(br.read_reg(reg(&cfg, "HW_ARRAY")).unwrap_or_else(|e| panic!("{e}")), 0x2008_0202);
    assert_eq!(br.read_reg(reg(&cfg, "STATUS")).unwrap_or_else(|e| panic!("{e}")) & 1, 1, "idle after reset");
    for (name, value) in [("WINDOW_BASE", 0x0000_1230u32), ("WINDOW_LIMIT", 0xDEAD_BEEF)] {
        br.write_reg(reg(&cfg, name), value).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(br.read_reg(reg(&cfg, name)).unwrap_or_else(|e| panic!("{e}")), value, "{name}");
    }
    // The accelerator's own errors come back as bus errors; offsets it cannot take, as
    // range errors, before any bus access.
    let bus = |r: Result<u32, BridgeError>| r.err().and_then(|e| e.status());
    assert_eq!(bus(br.read_reg(reg(&cfg, "CMD0"))), Some(Status::BusError), "CMD0 is write-only");
    assert_eq!(bus(br.read_reg(0x0FFC)), Some(Status::BusError), "unmapped");
    assert_eq!(bus(br.read_reg(0x1000)), Some(Status::BadRange), "outside the 4 KB register space");
    assert_eq!(bus(br.read_reg(0x0052)), Some(Status::BadRange), "not a multiple of 4");
    let e = br.write_reg(reg(&cfg, "ID"), 1).expect_err("ID is read-only");
    assert_eq!(e.status(), Some(Status::BusError));
    assert!(e.to_string().contains("write of 0x00000001 to register 0x000"), "the error names the request: {e}");
    assert!(led(&mut br, 3), "the bridge-error LED is lit after an error reply");
    assert_eq!(br.read_reg(reg(&cfg, "WINDOW_BASE")).unwrap_or_else(|e| panic!("{e}")), 0x1230, "nothing changed");
    assert!(!led(&mut br, 3), "and goes out with the next good reply");
    assert!(led(&mut br, 1), "the idle LED is lit");
    assert!(!led(&mut br, 2), "the accelerator-error LED is dark");
}

#[test]
fn memory_reads_and_writes_round_trip_at_any_alignment() {
    let mut br = connect("tiny");
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut shadow = vec![0u8; MEM_BYTES as usize];
    let whole = random_bytes(&mut rng, MEM_BYTES as usize);
    br.write_mem(0, &whole).unwrap_or_else(|e| panic!("{e}"));
    shadow.copy_from_slice(&whole);
    for _ in 0..12 {
        let len = rng.gen_range(1..=600usize);
        let addr = rng.gen_range(0..=MEM_BYTES as usize - len);
        let data = random_bytes(&mut rng, len);
        br.write_mem(addr as u32, &data).unwrap_or_else(|e| panic!("{e}"));
        shadow[addr..addr + len].copy_from_slice(&data);
        let (a, l) = (rng.gen_range(0..MEM_BYTES as usize - 1), rng.gen_range(1..200usize));
        let l = l.min(MEM_BYTES as usize - a);
        assert_eq!(
            br.read_mem(a as u32, l).unwrap_or_else(|e| panic!("{e}")),
            &shadow[a..a + l],
            "{l} bytes at {a:#x}"
        );
    }
    assert_eq!(br.read_mem(0, MEM_BYTES as usize).unwrap_or_else(|e| panic!("{e}")), shadow, "the whole memory");
    // Ranges the board refuses (sent as they are, past the host's own checks).
    for req in [
        Request::ReadMem { addr: MEM_BYTES - 2, len: 4 },
        Request::ReadMem { addr: 0, len: 0 },
        Request::WriteMem { addr: 16, data: vec![0; MAX_WRITE + 1] },
        Request::WriteMem { addr: MEM_BYTES - 1, data: vec![1, 2] },
        Request::ReadMem { addr: u32::MAX, len: 2 },
    ] {
        let e = br.transact(&req).expect_err("out of range");
        assert_eq!(e.status(), Some(Status::BadRange), "{req}");
    }
    let e = br.read_mem(MEM_BYTES - 4, 8).expect_err("the host checks the range too");
    assert!(e.to_string().contains("the board has 8192 bytes"), "{e}");
    assert_eq!(br.read_mem(0, MEM_BYTES as usize).unwrap_or_else(|e| panic!("{e}")), shadow, "nothing changed");
}

#[test]
fn damaged_frames_get_an_error_reply_and_change_nothing() {
    let cfg = tiny();
    let mut br = connect("tiny");
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let image = random_bytes(&mut rng, 1024);
    br.write_mem(0, &image).unwrap_or_else(|e| panic!("{e}"));
    br.write_reg(reg(&cfg, "WINDOW_BASE"), 0x40).unwrap_or_else(|e| panic!("{e}"));
    let write = Request::WriteMem { addr: 0x100, data: vec![0xA5; 40] }.encode();
    let flip = |frame: &[u8], byte: usize, bit: u32| {
        let mut f = frame.to_vec();
        f[byte] ^= 1 << bit;
        f
    };
    // A flipped bit in the payload, the address, the opcode (0x01 becomes 0x03, a
    // register write), the CRC itself.
    assert_eq!(raw(&mut br, &flip(&write, 20, 3)), Status::BadCrc, "payload bit");
    assert_eq!(raw(&mut br, &flip(&write, 3, 0)), Status::BadCrc, "address bit");
    assert_eq!(raw(&mut br, &flip(&write, 1, 1)), Status::BadCrc, "opcode bit");
    let last = write.len() - 1;
    assert_eq!(raw(&mut br, &flip(&write, last, 7)), Status::BadCrc, "CRC bit");
    // A longer length: the board waits for bytes that never come.
    assert_eq!(raw(&mut br, &flip(&write, 7, 0)), Status::FrameTimeout, "length bit (longer)");
    // A shorter length: a payload byte taken as the CRC; the rest is discarded.
    assert_eq!(raw(&mut br, &flip(&write, 6, 3)), Status::BadCrc, "length bit (shorter)");
    // A truncated frame: the line goes quiet.
    assert_eq!(raw(&mut br, &write[..20]), Status::FrameTimeout, "truncated");
    // An unknown opcode, followed at once by a whole valid frame: the valid frame is
    // part of the damaged one's remains and is discarded with it.
    let mut junk = vec![0xA5, 0x7E];
    junk.extend(&write);
    assert_eq!(raw(&mut br, &junk), Status::BadCommand, "unknown opcode");
    let reg_write = Request::WriteReg { offset: reg(&cfg, "WINDOW_BASE"), value: 0x99 }.encode();
    assert_eq!(raw(&mut br, &flip(&reg_write, 4, 0)), Status::BadCrc, "register value bit");
    // Bytes before the sync byte are skipped.
    let mut noise = vec![0x00, 0xFF, 0x5A, 0x13];
    noise.extend(Request::ReadReg { offset: reg(&cfg, "WINDOW_BASE") }.encode());
    br.link_mut().send(&noise).unwrap_or_else(|e| panic!("{e}"));
    let reply = br.link_mut().recv(7, Duration::from_micros(500)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(&reply[..6], &[REPLY_SYNC, 0, 0x40, 0, 0, 0], "noise before a frame is ignored");
    // Nothing changed.
    assert_eq!(br.read_mem(0, 1024).unwrap_or_else(|e| panic!("{e}")), image, "memory unchanged");
    assert_eq!(br.read_reg(reg(&cfg, "WINDOW_BASE")).unwrap_or_else(|e| panic!("{e}")), 0x40, "register unchanged");
    // And the bridge works as before.
    br.write_mem(0x100, &[1, 2, 3]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(br.read_mem(0xFF, 5).unwrap_or_else(|e| panic!("{e}")), [image[0xFF], 1, 2, 3, image[0x103]]);
}

#[test]
fn reset_request_resets_the_accelerator_but_not_the_memory() {
    let cfg = tiny();
    let mut br = connect("tiny");
    br.write_mem(0x200, &[9, 8, 7, 6]).unwrap_or_else(|e| panic!("{e}"));
    br.write_reg(reg(&cfg, "WINDOW_BASE"), 0x200).unwrap_or_else(|e| panic!("{e}"));
    br.reset().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(br.read_reg(reg(&cfg, "WINDOW_BASE")).unwrap_or_else(|e| panic!("{e}")), 0, "reset value");
    assert_eq!(br.read_mem(0x200, 4).unwrap_or_else(|e| panic!("{e}")), [9, 8, 7, 6], "memory kept");
}

#[test]
fn a_register_write_that_cannot_complete_times_out_and_resets_the_accelerator() {
    let cfg = tiny();
    let mut br = connect("tiny");
    let cmd3 = reg(&cfg, "CMD3");
    // An illegal command (opcode 0) stops dispatch; the queue (2 entries) fills behind
    // it and the next CMD3 write can never be accepted.
    let mut outcome = Vec::new();
    while outcome.len() < 5 && !outcome.contains(&Some(Status::RegTimeout)) {
        outcome.push(br.write_reg(cmd3, 0).err().and_then(|e| e.status()));
    }
    let t0 = br.link().cycle();
    let taken = outcome.iter().take_while(|o| o.is_none()).count();
    assert!((2..=3).contains(&taken), "the failing command and the queue's worth are taken: {outcome:?}");
    assert_eq!(outcome[taken], Some(Status::RegTimeout), "the next waits until the register timeout");
    let status = br.read_reg(reg(&cfg, "STATUS")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status & 0b111, 0b001, "the accelerator was reset: idle, no error, queue empty");
    assert!(br.link().cycle() > t0, "time went on");
    assert_eq!(br.read_reg(reg(&cfg, "CMD_COUNT")).unwrap_or_else(|e| panic!("{e}")), 0, "counts from the reset");
}

fn matmul_matches_the_golden_model(which: &str, cfg: &Config, spec: MatmulSpec, seed: u64) {
    let tiled = tile_matmul(cfg, &spec, 0x100).unwrap_or_else(|e| panic!("{e}"));
    let (a, b, bias) = random_matmul(&spec, cfg, seed);
    let image = tiled.memory(&a, &b, &bias);
    let window = tiled.layout.window();
    let mut expected = image.clone();
    let outcome = Model::new(cfg).run(&tiled.words(), &mut expected, window);
    assert!(outcome.is_clean(), "{outcome:?}");
    let mut br = connect(which);
    let t0 = br.link().cycle();
    let run = run_program(cfg, &mut br, &tiled.words(), &image, Some(window)).unwrap_or_else(|e| panic!("{e}"));
    let cycles = br.link().cycle() - t0;
    assert_eq!(run.error, None);
    assert_eq!(run.commands_pushed, tiled.program.len());
    let g = cfg.geometry();
    assert_eq!(tiled.read_c(&run.memory), reference_matmul(&spec, g.acc_bits, g.input_bits, &a, &b, &bias));
    assert!(run.memory.bytes == expected.bytes, "the whole image equals the golden model's");
    assert_eq!(run.counters.macs, outcome.macs, "MACS counter");
    assert!(run.cycles > 0 && run.counters.engine_busy > 0);
    let s = br.stats();
    println!(
        "{which} matmul {}x{}x{}: {} commands, image {} bytes, {} requests, {} bytes sent, {} received, \
         {cycles} board cycles ({:.1} ms at {CLOCK} Hz), accelerator busy {} cycles",
        spec.m,
        spec.k,
        spec.n,
        tiled.program.len(),
        image.bytes.len(),
        s.requests,
        s.bytes_sent,
        s.bytes_received,
        cycles as f64 * 1e3 / f64::from(CLOCK),
        run.cycles
    );
}

fn requant() -> RequantParams {
    RequantParams { multiplier: 1 << 30, shift: 7, activation: Activation::Relu, relu6_max: 0 }
}

#[test]
fn tiled_matmul_over_the_uart_matches_the_golden_model() {
    let spec = MatmulSpec { m: 6, k: 9, n: 5, bias: true, requant: requant() };
    matmul_matches_the_golden_model("tiny", &tiny(), spec, 11);
}

#[test]
fn tiled_matmul_on_the_ice40_preset_matches_the_golden_model() {
    let cfg = Config::preset("ice40").unwrap_or_else(|e| panic!("{e}"));
    let spec = MatmulSpec { m: 9, k: 10, n: 7, bias: true, requant: requant() };
    matmul_matches_the_golden_model("ice40", &cfg, spec, 5);
}

#[test]
fn a_failing_program_reports_the_golden_models_error() {
    let cfg = tiny();
    let spec = MatmulSpec { m: 4, k: 4, n: 4, bias: false, requant: requant() };
    let tiled = tile_matmul(&cfg, &spec, 0x100).unwrap_or_else(|e| panic!("{e}"));
    let (a, b, bias) = random_matmul(&spec, &cfg, 2);
    let image = tiled.memory(&a, &b, &bias);
    // The window ends before C: the first mvout to C fails with dma_window.
    let window = ip_blocks::model::Window { base: tiled.layout.base, limit: tiled.layout.c - 1 };
    let mut expected = image.clone();
    let outcome = Model::new(&cfg).run(&tiled.words(), &mut expected, window);
    let (index, code) = outcome.error.expect("the model fails too");
    let mut br = connect("tiny");
    let run = run_program(&cfg, &mut br, &tiled.words(), &image, Some(window)).unwrap_or_else(|e| panic!("{e}"));
    let e = run.error.expect("the board reports the error");
    assert_eq!((e.index as usize, e.error_code()), (index, Some(code)));
    assert!(run.commands_pushed > index && run.commands_pushed < tiled.program.len());
    assert!(run.memory.bytes == expected.bytes, "memory as the model left it");
    assert!(led(&mut br, 2), "the accelerator-error LED is lit");
}

/// Cycles, characters on the line (both ways) and the cycles the board spent beyond
/// the characters (processing, turnarounds) for `f`.
fn measure(br: &mut SimBridge, f: impl FnOnce(&mut SimBridge)) -> (f64, f64, f64) {
    let (c0, s0) = (br.link().cycle(), br.stats());
    f(br);
    let (c1, s1) = (br.link().cycle(), br.stats());
    let cycles = (c1 - c0) as f64;
    let chars = ((s1.bytes_sent - s0.bytes_sent) + (s1.bytes_received - s0.bytes_received)) as f64;
    (cycles, chars, cycles - chars * 10.0 * f64::from(DIVIDER))
}

#[test]
fn link_throughput_is_measured() {
    let mut br = connect("tiny");
    let data = random_bytes(&mut ChaCha8Rng::seed_from_u64(1), 4096);
    let n = data.len() as f64;
    let write = measure(&mut br, |br| br.write_mem(0, &data).unwrap_or_else(|e| panic!("{e}")));
    let mut back = Vec::new();
    let read = measure(&mut br, |br| back = br.read_mem(0, data.len()).unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(back, data);
    let reg = measure(&mut br, |br| {
        for _ in 0..16 {
            br.read_reg(0).unwrap_or_else(|e| panic!("{e}"));
        }
    });
    // Efficiency here (divider 4), and extrapolated to a 12 MHz board at 115200 baud:
    // the same characters at 10 / 115200 s each plus the same processing cycles.
    let line = |(cycles, _, _): (f64, f64, f64)| n * 10.0 * f64::from(DIVIDER) / cycles;
    let at_115200 = |(_, chars, extra): (f64, f64, f64)| n / (chars * 10.0 / 115_200.0 + extra / 12e6) / 1000.0;
    println!(
        "link throughput at divider {DIVIDER}: memory writes {:.1}% of the line rate ({:.0} characters and {:.0} \
         processing cycles for {n} bytes), reads {:.1}% ({:.0} characters, {:.0} cycles); a register read takes \
         {:.1} characters. Extrapolated to 115200 baud: writes {:.1} KB/s, reads {:.1} KB/s, {:.0} register reads/s",
        line(write) * 100.0,
        write.1,
        write.2,
        line(read) * 100.0,
        read.1,
        read.2,
        reg.1 / 16.0,
        at_115200(write),
        at_115200(read),
        115_200.0 / 10.0 / (reg.1 / 16.0),
    );
    assert!(
        line(write) > 0.88 && line(read) > 0.97,
        "write {:.3}, read {:.3} of the line rate",
        line(write),
        line(read)
    );
}

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
    for _ in 0..2100 {
        leds.push(!sim.get("led_o") & 0xF);
        sim.step();
    }
    let beat: Vec<u64> = leds.iter().map(|l| l & 1).collect();
    assert_eq!(beat.iter().position(|b| *b == 1), Some(16 + 1000), "on after the reset and half a second");
    assert_eq!(beat[2016 + 1], 0, "and off half a second later");
    assert!(leds[100..].iter().all(|l| l & 0b1110 == 0b0010), "idle lit, no error, no bridge error");
    assert_eq!(sim.get("uart_tx_o"), 1, "the line idles high");
}

#[test]
fn board_parameters_are_checked_with_reasons() {
    let err = |p: BoardParams| board_top::build(&p).err().map(|e| e.to_string()).unwrap_or_default();
    let base = || BoardParams::new(tiny(), CLOCK, 115_200, MEM_BYTES, 4);
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
    let sizes = memory::MemSizes { data_bits: 32, bytes: 1024 };
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
    let mut sim = Interp::new(&d, top).unwrap_or_else(|e| panic!("{e}"));
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
        let br_start = bridge_read.is_none() && bridge_reads < 300 && rng.gen_bool(0.1);
        let br_addr = rng.gen_range(0..n);
        sim.set("br_req_i", br_start as i64);
        sim.set("br_we_i", 0);
        sim.set("br_addr_i", br_addr as i64);
        // Check what the design answers, then take the handshakes at the edge.
        if let Some(a) = bridge_read.take() {
            assert_eq!(sim.get("br_rdata_o") as u8, model[a], "cycle {cycle}: bridge read of {a:#x}");
            bridge_reads += 1;
        }
        if br_start {
            assert_eq!(sim.get("br_gnt_o"), 1, "the bridge is always granted");
            bridge_read = Some(br_addr);
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
