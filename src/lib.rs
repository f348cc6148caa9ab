//! The `seedchip` command line, as a library: each command is a function here that the
//! thin `main.rs` calls, so the commands are tested directly.
//!
//! - [`gen`]: configuration -> `DIR/rtl/*.v`, `DIR/rtl/filelist.f`, `DIR/manifest.json`,
//!   written to a temporary folder and moved into place when complete.
//! - [`lint`]: `verilator --lint-only -Wall` over what `gen` wrote.
//! - [`sim`]: run a workload (a matmul with random or `.npy` operands, an int8 MLP) on
//!   the RTL or the golden model and check it; [`npy`] reads and writes the `.npy` files,
//!   [`mlp`] runs a network from a committed fixture layer by layer.
//! - [`sweep`]: the random configuration sweep (`seedchip sweep`): shards, failing
//!   configurations as TOML files, JUnit XML.
//! - [`fpga`]: predict whether a configuration fits a board, then build its bitstream
//!   (Yosys, nextpnr, packer) into `out/<board>/`.
//! - [`bench`]: the performance suite (generation time, simulator speed, Verilator
//!   build time, MAC utilization) into `out/bench/bench.json` and `bench.md`.
//! - [`report`]: `--report DIR` on `gen`, `sim` and `fpga`: an HTML page with SVG
//!   pictures of the configuration, the last run and the boards.
//!
//! ```
//! let cfg = ip_blocks::Config::preset("ice40").unwrap();
//! let dir = tempfile::tempdir().unwrap();
//! let out = dir.path().join("ice40");
//! let summary = seedchip::gen::generate_to(&cfg, "preset ice40", &out).unwrap();
//! assert!(out.join("rtl/filelist.f").exists());
//! assert!(summary.modules.contains(&"seedchip_systolic_array".to_string()));
//! ```

pub mod bench;
pub mod fpga;
pub mod gen;
pub mod lint;
pub mod manifest;
pub mod mlp;
pub mod npy;
pub mod progress;
pub mod report;
pub mod sim;
pub mod sweep;
