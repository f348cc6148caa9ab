//! `fpga`: SeedChip's FPGA flow. It describes the boards, plans the hard blocks a
//! configuration will use and predicts whether it fits a board before any tool runs,
//! then synthesizes with Yosys, places and routes with nextpnr and packs a bitstream
//! (YoWASP's builds in the project's `.venv`), reporting Fmax and the cells used.
//!
//! The plan rules answer "how many DSPs and block RAMs will this take?" from sizes alone,
//! matching what Yosys 0.70 does, so that the generator can budget a device (DESIGN
//! decision 9) and a test can check synthesis against the plan:
//!
//! ```
//! use fpga::{plan, Family};
//!
//! // The iCE40 preset: 4x4 int8 PEs, scratchpad banks of 512 rows x 32 bits.
//! assert_eq!(plan::dsp_for_multiply(Family::Ice40, 8, 8), 1); // a product Yosys maps
//! assert_eq!(plan::dsp_for_pair(Family::Ice40, 8), 1); // two, in the flow's pair multiplier
//! assert_eq!(plan::bram_for_memory(Family::Ice40, 32, 512), 4); // SB_RAM40_4K per bank
//! // A 32x32 product needs four DSPs on iCE40 and ECP5, one MULT36X36 (8 MULT9X9
//! // units) on Gowin.
//! assert_eq!(plan::dsp_for_multiply(Family::Ice40, 32, 32), 4);
//! assert_eq!(plan::dsp_for_multiply(Family::Ecp5, 32, 32), 4);
//! assert_eq!(plan::dsp_for_multiply(Family::Gowin, 32, 32), 8);
//! ```
//!
//! Synthesis needs Yosys; a missing Yosys is an error that says how to install it
//! (`scripts/setup-tools.sh`), never a skipped step. The first run after installing
//! compiles Yosys to machine code, about 70 s, once.
//!
//! ```no_run
//! use fpga::{yosys, Family};
//! let verilog = "module inv(input wire a_i, output wire y_o); assign y_o = ~a_i; endmodule\n";
//! let report = yosys::synthesize(&[("inv.v".into(), verilog.into())], "inv", Family::Ice40, false)?;
//! println!("{report}"); // ice40 `inv`: 1 LUT, 0 carry, 0 FF, 0 DSP (SB_MAC16), 0 BRAM ...
//! # Ok::<(), yosys::FlowError>(())
//! ```
//!
//! On the board, the accelerator sits in a board top (`<name>_board`, [`board_top`]):
//! power-on reset, UART, on-chip main memory and a bridge through which the host
//! runtime ([`runtime`]) reaches memory and registers (`docs/bridge.md`).
//!
//! A whole board build, once a design has the board top's ports
//! ([`board::port`]: `clk_i`, `uart_rx_i`, `uart_tx_o`, `led_o`, `rst_ni`):
//!
//! ```no_run
//! use fpga::{board::Board, fit, flow};
//! # fn board_top(cfg: &ip_blocks::Config, b: &Board) -> (rtl_gen::Design, rtl_gen::ModuleId) { unimplemented!() }
//! let board = Board::by_name("ulx3s")?;
//! let cfg = ip_blocks::Config::preset("ecp5")?;
//! println!("{}", fit::check(&cfg, &board)?); // refuses, with numbers, what cannot fit
//! let (design, top) = board_top(&cfg, &board);
//! let opts = flow::FlowOptions::default(); // the board's clock, seed 1
//! let report = flow::run(&design, top, &board, "out/ulx3s/build".as_ref(), &opts, &mut |p| eprintln!("{p}"))?;
//! println!("{report}"); // Fmax, timing met or not, LUT/FF/DSP/BRAM used of available
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Table of contents:
//! - [`Family`]: the device families (iCE40, ECP5, Gowin) and their hard-block names.
//! - [`board`]: the boards (`boards/*.toml` and their constraint files), [`board::Board`].
//! - [`plan`]: DSP and block-RAM counts computed from sizes, before any tool runs.
//! - [`estimate`]: LUTs and flip-flops of a design estimated from its IR.
//! - [`fit`]: will a configuration fit a board? [`fit::check`] refuses with numbers.
//! - [`yosys`]: finding Yosys, running it in a build folder, the [`yosys::SynthReport`]
//!   of cells used, and [`yosys::FlowError`].
//! - [`flow`]: synthesis, place and route and bitstream for a board, the
//!   [`flow::FlowReport`].
//! - [`board_top`]: the board top generator (reset, UART, bridge, memory, LEDs).
//! - [`protocol`]: the UART bridge protocol, shared by the bridge's RTL and the host.
//! - [`runtime`]: the host side: links (serial port, simulated UART), the bridge client,
//!   and `run_program`.

pub mod board;
pub mod board_top;
pub mod estimate;
pub mod family;
pub mod fit;
pub mod flow;
pub mod plan;
pub mod pll;
pub mod protocol;
pub mod runtime;
pub mod yosys;

pub use family::Family;
