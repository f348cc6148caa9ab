//! The board top on Verilator, driven by the host runtime over a simulated UART: the
//! bridge protocol (registers, memory, damaged frames, timeouts, reset), tiled matmuls
//! against the golden model, and the link's throughput. (The board's blocks alone are
//! tested on the interpreter in `board_blocks.rs`.)
//!
//! The board runs at 12 MHz with the UART at clock / 4 (3 Mbaud) so that a test takes
//! seconds; the frame timeout is 50 us (600 cycles) and the register timeout 1 ms.
//! Run with `--nocapture` to see the link's measured throughput.

use fpga::board_top::{self, BoardParams, BoardTop};
use fpga::protocol::{crc8, Request, Status, MAX_WRITE, REPLY_SYNC};
use fpga::runtime::{run_program, Bridge, BridgeError, BridgeOptions, Link, SimUartLink, SimUartOptions};
use ip_blocks::model::Model;
use ip_blocks::quant::{Activation, RequantParams};
use ip_blocks::regmap::regmap;
use ip_blocks::tiler::{random_matmul, reference_matmul, tile_matmul, MatmulSpec};
use ip_blocks::Config;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rtl_gen::sim::Simulator;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use testbenches::{VerilatorModel, VerilatorSim};

mod common;
use common::tiny;

const CLOCK: u32 = 12_000_000;
const DIVIDER: u32 = 4;
const MEM_BYTES: u32 = 8192;

/// The board parameters; the ice40 preset's board keeps main memory in its SPRAM form
/// (one memory with byte enables), as on the iCEBreaker, the tiny one in block-RAM lanes.
fn params(cfg: Config, spram: bool) -> BoardParams {
    let mut p = BoardParams::new(cfg, CLOCK, CLOCK / DIVIDER, MEM_BYTES, 4);
    p.frame_timeout_us = 50;
    p.register_timeout_us = 1000;
    p.spram = spram;
    p
}

/// The board top and its Verilator model, built once per configuration. `tiny` and
/// `ulx3s` (`configs/ulx3s-8x8.toml`) keep main memory in block-RAM lanes, the tiny one
/// also with its request registered (`tiny_registered`, as `seedchip fpga` builds the
/// ECP5's block-RAM main memory) and the ULX3S's always so.
fn board(which: &str) -> &'static (BoardTop, Arc<VerilatorModel>) {
    static TINY: OnceLock<(BoardTop, Arc<VerilatorModel>)> = OnceLock::new();
    static TINY_REGISTERED: OnceLock<(BoardTop, Arc<VerilatorModel>)> = OnceLock::new();
    static ICE40: OnceLock<(BoardTop, Arc<VerilatorModel>)> = OnceLock::new();
    static ICEBREAKER: OnceLock<(BoardTop, Arc<VerilatorModel>)> = OnceLock::new();
    static ULX3S: OnceLock<(BoardTop, Arc<VerilatorModel>)> = OnceLock::new();
    let (cell, cfg) = match which {
        "tiny" => (&TINY, tiny as fn() -> Config),
        "tiny_registered" => (&TINY_REGISTERED, tiny as fn() -> Config),
        "icebreaker" => (&ICEBREAKER, icebreaker as fn() -> Config),
        "ulx3s" => (&ULX3S, ulx3s as fn() -> Config),
        _ => (&ICE40, (|| Config::preset("ice40").unwrap_or_else(|e| panic!("{e}"))) as fn() -> Config),
    };
    let block_ram = ["tiny", "tiny_registered", "ulx3s"].contains(&which);
    cell.get_or_init(|| {
        let mut p = params(cfg(), !block_ram);
        p.registered_memory = ["tiny_registered", "ulx3s"].contains(&which);
        let b = board_top::build(&p).unwrap_or_else(|e| panic!("{e}"));
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
    memory_round_trip("tiny");
}

/// The same with main memory's request registered (the bridge waits for its grant).
#[test]
fn memory_reads_and_writes_round_trip_through_a_registered_memory() {
    memory_round_trip("tiny_registered");
}

fn memory_round_trip(which: &str) {
    let mut br = connect(which);
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
    damaged_frames("tiny");
}

/// The same with main memory's request registered.
#[test]
fn damaged_frames_change_nothing_in_a_registered_memory() {
    damaged_frames("tiny_registered");
}

fn damaged_frames(which: &str) {
    let cfg = tiny();
    let mut br = connect(which);
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
fn the_runtime_retries_a_memory_write_caught_in_a_damaged_exchange() {
    let mut br = connect("tiny");
    // The start of a frame that never finishes: the board takes the next request's
    // bytes as the rest of it, finds a CRC mismatch and answers that; the runtime
    // resynchronizes and sends the write again.
    br.link_mut().send(&[0xA5, 0x01]).unwrap_or_else(|e| panic!("{e}"));
    let data: Vec<u8> = (0..100).collect();
    br.write_mem(0x300, &data).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(br.stats().retries, 1, "one retry");
    assert_eq!(br.read_mem(0x300, 100).unwrap_or_else(|e| panic!("{e}")), data);
    // Register writes are never retried: the error reaches the caller.
    br.link_mut().send(&[0xA5, 0x03]).unwrap_or_else(|e| panic!("{e}"));
    let e = br.write_reg(0x050, 7).expect_err("the damaged exchange is reported");
    assert!(matches!(e.status(), Some(Status::BadCrc | Status::FrameTimeout)), "{e}");
    assert_eq!(br.stats().retries, 1, "no retry of a register write");
    assert_eq!(br.read_reg(0x050).unwrap_or_else(|e| panic!("{e}")), 0, "and it did not happen");
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
fn tiled_matmul_through_a_registered_memory_matches_the_golden_model() {
    let spec = MatmulSpec { m: 6, k: 9, n: 5, bias: true, requant: requant() };
    matmul_matches_the_golden_model("tiny_registered", &tiny(), spec, 11);
}

/// `configs/ulx3s-8x8.toml`: the 64 MACs the ULX3S builds, its main memory's request
/// registered.
fn ulx3s() -> Config {
    let text = include_str!("../../configs/ulx3s-8x8.toml");
    Config::from_toml(text, "configs/ulx3s-8x8.toml").unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn tiled_matmul_on_the_ulx3s_configuration_matches_the_golden_model() {
    let spec = MatmulSpec { m: 11, k: 13, n: 10, bias: true, requant: requant() };
    matmul_matches_the_golden_model("ulx3s", &ulx3s(), spec, 9);
}

/// `configs/icebreaker-2x2.toml`: the small-device control path the iCEBreaker builds.
fn icebreaker() -> Config {
    let text = include_str!("../../configs/icebreaker-2x2.toml");
    Config::from_toml(text, "configs/icebreaker-2x2.toml").unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn tiled_matmul_on_the_icebreaker_configuration_matches_the_golden_model() {
    let spec = MatmulSpec { m: 7, k: 9, n: 5, bias: true, requant: requant() };
    matmul_matches_the_golden_model("icebreaker", &icebreaker(), spec, 8);
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
