//! The board top `<name>_board`: the accelerator with everything a bare FPGA board needs
//! around it, so that a host reaches it through one UART.
//!
//! ```text
//!            ┌──────────────────────────── <name>_board ─────────────────────────────┐
//!  clk_i ───►│ <name>_board_reset (power-on) ──► rst, acc_rst <= rst | acc_reset    │
//!  uart_rx_i►│ uart_rx ─► <name>_board_bridge ─► uart_tx ─────────────────────────────►uart_tx_o
//!            │                 │ m_axil_*            │ mem_* (byte port)             │
//!            │                 ▼                     ▼                               │
//!            │        <name>_top s_axil_*   <name>_board_axi_mem ◄── m_axi_* <name>_top│
//!            │                                       │ mem_*                         │
//!            │                               <name>_board_mem (block RAM)            │
//!  led_o ◄───│ heartbeat, accelerator idle, accelerator error, bridge error          │
//!            └────────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! Ports, fixed (the board constraint files use them): `clk_i` (the board oscillator),
//! `uart_rx_i`, `uart_tx_o`, `led_o[leds-1:0]`. There is no reset pin: the power-on
//! reset generator holds everything in reset for [`BoardTop::por_cycles`] cycles after
//! configuration (at least 10 us, which also covers the iCE40's block-RAM start-up), and
//! the bridge's `Reset` request resets the accelerator and its memory port alone (both
//! through a register, `acc_rst`, a cycle later). The generator counts from the
//! flip-flops' configuration value, 0 on iCE40, ECP5 and Gowin devices; a simulation must
//! start from zeros too (Verilator's default).
//!
//! LEDs, in order (fewer LEDs keep the first ones, more are off): 0 heartbeat (about
//! 1 Hz: its half period the power of two nearest half a second, [`heartbeat_bits`]),
//! 1 accelerator idle, 2 accelerator error (`STATUS.error`), 3 bridge error (the last
//! reply was an error). `leds_active_low` inverts them all for boards whose LEDs light
//! on a low pin.
//!
//! With [`BoardParams::pll_lock`] the board top runs from a PLL: `clk_i` is the PLL's
//! output and the input `pll_locked_i` its lock, which holds the power-on reset. The
//! PLL itself is a vendor primitive, instanced by the synthesis wrapper of
//! [`crate::pll::wrap`]; simulations drive `clk_i` and `pll_locked_i` directly.
//!
//! ```
//! use fpga::board_top::{self, BoardParams};
//! use ip_blocks::Config;
//!
//! let cfg = Config::preset("ice40").expect("preset");
//! let params = BoardParams::new(cfg, 12_000_000, 115_200, 16 * 1024, 4);
//! let board = board_top::build(&params).expect("the board top builds");
//! assert_eq!(board.uart.divider, 104);
//! assert!(board.to_string().contains("UART 115200 baud (divider 104, 115385 baud, +0.16%)"));
//! let verilog = board.verilog();
//! assert!(verilog.file("seedchip_board").is_some());
//! assert!(verilog.file("seedchip_board_mem").is_some());
//! ```

pub mod bridge;
pub mod memory;
pub mod uart;
mod util;

use crate::protocol::{BoardInfo, MAX_WRITE, VERSION};
use ip_blocks::Config;
use rtl_gen::emit::verilog::{self, VerilogOutput};
use rtl_gen::ir::{InstId, SignalKind};
use rtl_gen::{CheckErrors, Design, ModuleBuilder, ModuleId};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use util::bits_for;

pub use uart::UartTiming;

/// The parameters of a board top.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardParams {
    /// The accelerator.
    pub config: Config,
    /// The board clock in Hz (`clk_i`).
    pub clock_hz: u32,
    /// The UART's baud rate.
    pub baud: u32,
    /// Bytes of on-chip main memory, from address 0: a multiple of the accelerator's
    /// AXI beat, 256 to 16 MiB.
    pub mem_bytes: u32,
    /// LEDs on `led_o`, 1 to 32.
    pub leds: u32,
    /// The LEDs light on a low pin.
    pub leds_active_low: bool,
    /// Quiet time that ends a frame, in microseconds: a frame interrupted for this long
    /// is answered with a timeout, and after an error the bridge waits for this much
    /// quiet before it replies. Default 20 000 (20 ms, above USB-serial latencies).
    pub frame_timeout_us: u32,
    /// Time a register access may wait, in microseconds, before the bridge resets the
    /// accelerator. Default 1 000 000.
    pub register_timeout_us: u32,
    /// The clock comes from a PLL: the board top has an input `pll_locked_i`, and the
    /// power-on reset counts only while it is high (its count restarts if lock is lost).
    /// Default false: `clk_i` is the oscillator, stable from configuration.
    #[serde(default)]
    pub pll_lock: bool,
    /// Main memory in single-port RAM with write masks (SPRAM, the iCE40 UP5K) rather than
    /// block RAM. Default false.
    #[serde(default)]
    pub spram: bool,
    /// Main memory registers its request one cycle before the block RAM and its read data
    /// one cycle after ([`memory::MemSizes::registered`]): for devices whose main memory
    /// is many block RAMs spread over the die (the ULX3S's 64 DP16KD). Default false.
    #[serde(default)]
    pub registered_memory: bool,
}

impl BoardParams {
    /// Parameters with the default timeouts and LEDs lit on a high pin.
    pub fn new(config: Config, clock_hz: u32, baud: u32, mem_bytes: u32, leds: u32) -> Self {
        BoardParams {
            config,
            clock_hz,
            baud,
            mem_bytes,
            leds,
            leds_active_low: false,
            frame_timeout_us: 20_000,
            register_timeout_us: 1_000_000,
            pll_lock: false,
            spram: false,
            registered_memory: false,
        }
    }

    fn cycles(&self, us: u32) -> u64 {
        u64::from(self.clock_hz) * u64::from(us) / 1_000_000
    }
}

/// Why a board top cannot be built.
#[derive(Debug, Error)]
pub enum BoardError {
    /// A parameter out of range.
    #[error("board parameter `{parameter}` = {value}: {allowed}")]
    Parameter {
        /// Its name in [`BoardParams`].
        parameter: &'static str,
        /// The value given.
        value: String,
        /// What is allowed, and why.
        allowed: String,
    },
    /// The clock cannot be divided down to the baud rate closely enough.
    #[error(
        "{baud} baud from a {clock_hz} Hz clock: divider {divider} gives {actual_baud:.0} baud, \
         {error_percent:+.2}% off; more than 2% is refused (choose a baud rate near clock / n)"
    )]
    BaudError {
        /// The clock.
        clock_hz: u32,
        /// The baud rate asked for.
        baud: u32,
        /// The nearest divider.
        divider: u32,
        /// The rate it gives.
        actual_baud: f64,
        /// The error in percent.
        error_percent: f64,
    },
    /// The accelerator configuration is invalid.
    #[error("{0}")]
    Config(#[from] ip_blocks::ConfigError),
    /// A block failed its structural checks (a generator bug).
    #[error("the board top does not pass the checks:\n{0}")]
    Check(#[from] CheckErrors),
}

/// A built board top.
#[derive(Clone, Debug)]
pub struct BoardTop {
    /// Every module: the accelerator's and the board's.
    pub design: Design,
    /// `<name>_board`.
    pub top: ModuleId,
    /// `<name>_top`, the accelerator.
    pub accelerator: ModuleId,
    /// The parameters it was built with.
    pub params: BoardParams,
    /// The UART divider and its baud-rate error.
    pub uart: UartTiming,
    /// Cycles the power-on reset lasts.
    pub por_cycles: u32,
    /// Quiet cycles that end a frame.
    pub frame_timeout_cycles: u32,
    /// Cycles a register access may wait.
    pub register_timeout_cycles: u32,
}

impl BoardTop {
    /// The Verilog of the board top and everything under it, with `filelist.f`.
    pub fn verilog(&self) -> VerilogOutput {
        verilog::emit(&self.design, self.top)
    }

    /// What the bridge's `Info` request answers.
    pub fn info(&self) -> BoardInfo {
        BoardInfo {
            version: VERSION,
            max_write: MAX_WRITE as u16,
            mem_bytes: self.params.mem_bytes,
            clock_hz: self.params.clock_hz,
        }
    }
}

impl std::fmt::Display for BoardTop {
    /// One paragraph: clock, UART (divider and baud-rate error), memory, timeouts.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = &self.params;
        write!(
            f,
            "{}_board: {} Hz, UART {} baud (divider {}, {:.0} baud, {:+.2}%), {} bytes of memory, {} LEDs; \
             power-on reset {} cycles, frame timeout {} cycles, register timeout {} cycles",
            p.config.name,
            p.clock_hz,
            p.baud,
            self.uart.divider,
            self.uart.actual_baud,
            self.uart.baud_error * 100.0,
            p.mem_bytes,
            p.leds,
            self.por_cycles,
            self.frame_timeout_cycles,
            self.register_timeout_cycles
        )
    }
}

fn param(parameter: &'static str, value: impl ToString, allowed: impl Into<String>) -> BoardError {
    BoardError::Parameter { parameter, value: value.to_string(), allowed: allowed.into() }
}

/// Build `<name>_board` for `params`, checking every parameter first.
pub fn build(params: &BoardParams) -> Result<BoardTop, BoardError> {
    let cfg = &params.config;
    cfg.validate("board parameters")?;
    let uart = UartTiming::new(params.clock_hz, params.baud)?;
    let beat = cfg.dma.data_bits / 8;
    let mb = params.mem_bytes;
    if !(256..=16 << 20).contains(&mb) || !mb.is_multiple_of(beat) {
        return Err(param(
            "mem_bytes",
            mb,
            format!("256 to 16 MiB, a multiple of the accelerator's {beat}-byte AXI beat (dma.data_bits)"),
        ));
    }
    if !(1..=32).contains(&params.leds) {
        return Err(param("leds", params.leds, "1 to 32"));
    }
    // A frame timeout shorter than three characters would cut frames sent back to back.
    let frame_timeout = params.cycles(params.frame_timeout_us);
    let min_frame = 30 * u64::from(uart.divider);
    if frame_timeout < min_frame || frame_timeout > u64::from(u32::MAX) {
        return Err(param(
            "frame_timeout_us",
            params.frame_timeout_us,
            format!(
                "at least three characters ({min_frame} cycles, {} us at {} baud) and below 2^32 cycles",
                min_frame * 1_000_000 / u64::from(params.clock_hz),
                params.baud
            ),
        ));
    }
    let reg_timeout = params.cycles(params.register_timeout_us);
    if !(64..=u64::from(u32::MAX)).contains(&reg_timeout) {
        return Err(param(
            "register_timeout_us",
            params.register_timeout_us,
            "at least 64 cycles and below 2^32 cycles",
        ));
    }
    let por_cycles = (params.cycles(10) as u32).max(16);

    let gen = ip_blocks::generate(cfg)?;
    let mut design = gen.design;
    let prefix = cfg.name.as_str();
    let sizes = memory::MemSizes {
        data_bits: cfg.dma.data_bits,
        bytes: mb,
        spram: params.spram,
        registered: params.registered_memory,
    };
    let por = build_por(&mut design, prefix, por_cycles, params.pll_lock)?;
    let rx = uart::build_rx(&mut design, prefix, uart.divider)?;
    let tx = uart::build_tx(&mut design, prefix, uart.divider)?;
    let bridge = bridge::build(
        &mut design,
        prefix,
        bridge::BridgeParams {
            mem_bytes: mb,
            clock_hz: params.clock_hz,
            frame_timeout: frame_timeout as u32,
            reg_timeout: reg_timeout as u32,
        },
    )?;
    let storage = memory::build_storage(&mut design, prefix, sizes)?;
    let axi_mem = memory::build_axi_slave(&mut design, prefix, sizes)?;

    let mut m = ModuleBuilder::new(format!("{prefix}_board"));
    m.doc(format!(
        "Board top: the {prefix} accelerator with {mb} bytes of on-chip main memory, a UART bridge \
         ({} baud, divider {}, docs/bridge.md) to its memory and registers, a power-on reset and \
         {} LEDs (heartbeat, idle, error, bridge error). {}",
        params.baud,
        uart.divider,
        params.leds,
        if params.pll_lock {
            "clk_i comes from a PLL; the power-on reset waits for pll_locked_i."
        } else {
            "No PLL: clk_i is the oscillator."
        }
    ));
    m.param("clock_hz", params.clock_hz);
    m.param("baud", params.baud);
    m.param("mem_bytes", mb);
    m.param("leds", params.leds);
    let rst = m.internal_reset("rst");
    let uart_rx_i = m.input("uart_rx_i", 1);
    let uart_tx_o = m.output("uart_tx_o", 1);
    let led_o = m.output("led_o", params.leds);

    let por_i = m.instance("por", &design, por);
    m.connect(por_i, "rst_o", rst);
    if params.pll_lock {
        let locked = m.input("pll_locked_i", 1);
        m.connect(por_i, "locked_i", locked);
    }
    let rx_i = m.instance("uart_rx", &design, rx);
    let tx_i = m.instance("uart_tx", &design, tx);
    let br_i = m.instance("bridge", &design, bridge);
    let mem_i = m.instance("mem", &design, storage);
    let axi_i = m.instance("axi_mem", &design, axi_mem);
    let acc_i = m.instance("accelerator", &design, gen.top);

    // Reset: the accelerator and its memory port also on the bridge's request, a cycle
    // later from a register (`acc_rst`, no reset: from configuration it follows the
    // power-on reset after one edge), so that the power-on count's compare and the
    // bridge's logic stay off the reset's fan-out over the accelerator.
    let acc_reset = m.connect_wire(br_i, "acc_reset_o", "bridge_acc_reset");
    let acc_rst_d = m.or(rst, acc_reset);
    let acc_rst = m.reg("acc_rst", 1).build();
    m.next(acc_rst, acc_rst_d);
    m.connect_reset(acc_i, acc_rst);
    m.connect_reset(axi_i, acc_rst);

    // UART.
    m.connect(rx_i, "rx_i", uart_rx_i);
    let rx_valid = m.connect_wire(rx_i, "valid_o", "rx_valid");
    let rx_data = m.connect_wire(rx_i, "data_o", "rx_data");
    m.connect(br_i, "rx_valid_i", rx_valid);
    m.connect(br_i, "rx_data_i", rx_data);
    let tx_valid = m.connect_wire(br_i, "tx_valid_o", "tx_valid");
    let tx_data = m.connect_wire(br_i, "tx_data_o", "tx_data");
    m.connect(tx_i, "valid_i", tx_valid);
    m.connect(tx_i, "data_i", tx_data);
    let tx_ready = m.connect_wire(tx_i, "ready_o", "tx_ready");
    m.connect(br_i, "tx_ready_i", tx_ready);
    m.connect(tx_i, "tx_o", uart_tx_o);

    // Buses: bridge -> accelerator registers, accelerator -> memory, memory -> storage.
    link(&mut m, &design, (br_i, bridge, "m_axil_"), (acc_i, gen.top, "s_axil_"), "axil_");
    link(&mut m, &design, (acc_i, gen.top, "m_axi_"), (axi_i, axi_mem, "s_axi_"), "axi_");
    link(&mut m, &design, (br_i, bridge, "mem_"), (axi_i, axi_mem, "br_"), "bridge_mem_");
    link(&mut m, &design, (axi_i, axi_mem, "mem_"), (mem_i, storage, ""), "mem_");

    // LEDs.
    let idle = m.connect_wire(acc_i, "idle_o", "acc_idle");
    let error = m.connect_wire(acc_i, "error_o", "acc_error");
    let bridge_error = m.connect_wire(br_i, "error_o", "bridge_error");
    // The heartbeat is the top bit of a free-running counter whose half period is the
    // power of two nearest half a second: no compare, no clear.
    let hb = heartbeat_bits(params.clock_hz);
    let beat_count = m.reg("beat_count", hb + 1).reset(0).build();
    let next_count = m.inc(beat_count);
    m.next(beat_count, next_count);
    let heartbeat = m.bit(beat_count, hb);
    let heartbeat = m.named("heartbeat", heartbeat);
    let lights = [heartbeat, idle, error, bridge_error];
    let mut bits = Vec::new();
    for (i, s) in lights.iter().enumerate() {
        if (i as u32) < params.leds {
            bits.push(m.sig(*s));
        } else {
            m.mark_unused(*s);
        }
    }
    while (bits.len() as u32) < params.leds {
        bits.push(m.lit(0, 1));
    }
    bits.reverse();
    let leds = m.concat(bits);
    let leds = if params.leds_active_low { m.not(leds) } else { leds };
    m.assign(led_o, leds);
    let top = design.add(m)?;
    Ok(BoardTop {
        design,
        top,
        accelerator: gen.top,
        params: params.clone(),
        uart,
        por_cycles,
        frame_timeout_cycles: frame_timeout as u32,
        register_timeout_cycles: reg_timeout as u32,
    })
}

/// The heartbeat LED's half period is `2^heartbeat_bits(clock_hz)` cycles: the power of
/// two nearest half a second (a blink of 0.7 to 1.4 Hz).
pub fn heartbeat_bits(clock_hz: u32) -> u32 {
    let half = (f64::from(clock_hz) / 2.0).max(1.0);
    half.log2().round() as u32
}

/// Connect every port `<a_prefix>NAME_{i,o}` of instance `a` to the port
/// `<b_prefix>NAME_{o,i}` of instance `b` through a wire `<wire_prefix>NAME`.
fn link(
    m: &mut ModuleBuilder,
    design: &Design,
    (a, a_mod, a_prefix): (InstId, ModuleId, &str),
    (b, b_mod, b_prefix): (InstId, ModuleId, &str),
    wire_prefix: &str,
) {
    let am = design.module(a_mod);
    let bm = design.module(b_mod);
    let ports: Vec<(String, SignalKind)> = am
        .ports
        .iter()
        .map(|p| am.signal(*p))
        .filter(|s| s.name.starts_with(a_prefix) && s.name != "clk_i" && s.name != "rst_i")
        .map(|s| (s.name.clone(), s.kind))
        .collect();
    for (name, kind) in ports {
        let rest = &name[a_prefix.len()..];
        let base = rest.strip_suffix("_i").or_else(|| rest.strip_suffix("_o")).unwrap_or(rest);
        let a_out = kind == SignalKind::Output;
        let b_name = format!("{b_prefix}{base}{}", if a_out { "_i" } else { "_o" });
        debug_assert!(bm.port(&b_name).is_some(), "{} has no port {b_name} for {name}", bm.name);
        let wire_name = format!("{wire_prefix}{base}");
        if a_out {
            let w = m.connect_wire(a, &name, wire_name);
            m.connect(b, &b_name, w);
        } else {
            let w = m.connect_wire(b, &b_name, wire_name);
            m.connect(a, &name, w);
        }
    }
}

/// Build the power-on reset generator `<prefix>_board_reset`: `rst_o` is high from
/// configuration until `cycles` clock edges have passed. Its counter has no reset: it
/// starts from the flip-flops' configuration value, 0. With `locked` (a PLL clock) it has
/// an input `locked_i`, brought into the clock domain by two flip-flops, and the count
/// restarts from 0 while it is low.
fn build_por(design: &mut Design, prefix: &str, cycles: u32, locked: bool) -> Result<ModuleId, CheckErrors> {
    let mut m = ModuleBuilder::new(format!("{prefix}_board_reset"));
    m.doc(format!(
        "Power-on reset: rst_o is high for the first {cycles} cycles after configuration{}. The \
         counter has no reset; it starts from the configuration value of its flip-flops, 0.",
        if locked { " and after every loss of PLL lock (locked_i, synchronized)" } else { "" }
    ));
    m.param("cycles", cycles);
    let rst_o = m.output("rst_o", 1);
    let w = bits_for(u64::from(cycles));
    let count = m.reg("count", w).build();
    // `done` is a register, loaded with the compare of the count's next value, so that it
    // is always `count == cycles` (both start at 0, `cycles` is above 0) while the
    // compare stays off the reset's fan-out over the board.
    let done = m.reg("done", 1).build();
    let next = m.inc(count);
    let mut count_d = m.mux(done, count, next);
    if locked {
        let locked_i = m.input("locked_i", 1);
        let meta = m.reg("locked_meta", 1).build();
        m.next(meta, locked_i);
        let sync = m.reg("locked_sync", 1).build();
        m.next(sync, meta);
        let zero = m.lit(0, w);
        count_d = m.mux(sync, count_d, zero);
    }
    m.next(count, count_d);
    let done_d = m.eq_const(count.d, u64::from(cycles));
    m.next(done, done_d);
    let rst = m.not(done);
    m.assign(rst_o, rst);
    design.add(m)
}
