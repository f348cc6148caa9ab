//! `ip-blocks`: SeedChip's accelerator, described with `rtl-gen`.
//!
//! A [`Config`] (TOML, validated) becomes a [`Generated`] design, the whole accelerator
//! `<name>_top`: the matrix engine (a systolic array of int8 MACs with int32 sums,
//! weight- and/or output-stationary, DSP or soft multipliers per PE), the banked
//! scratchpad, the accumulator memory with its requantizing read-out ([`quant`] is the
//! reference of that arithmetic), the controller that runs the instruction set
//! ([`isa`]), the DMA engine (AXI4 master) and the AXI4-Lite host interface
//! ([`regmap`]). The [`model`] is the golden model of the instruction set and the
//! [`tiler`] turns matmuls into programs for it.
//!
//! ```
//! use ip_blocks::{generate, Config};
//! let cfg = Config::preset("ice40").expect("preset");
//! let generated = generate(&cfg).expect("the preset generates");
//! let verilog = generated.verilog();
//! assert!(verilog.file("seedchip_top").is_some());
//! assert!(verilog.file("seedchip_systolic_array").is_some());
//! ```
//!
//! Table of contents:
//! - [`config`]: the configuration schema, presets and validation.
//! - [`geometry`]: the sizes and row formats derived from a configuration.
//! - [`isa`]: the instruction set (encoding, decoding, assembly); `docs/isa.md`.
//! - [`quant`]: the reference of the accumulator's requantizing read-out.
//! - [`model`]: the golden model, the executable meaning of the instruction set.
//! - [`tiler`]: matrix multiplications of any shape as memory images and programs.
//! - [`regmap`]: the host interface's register map, described once (Verilog, C header,
//!   `docs/registers.md`).
//! - [`blocks`]: the PE and multipliers, the matrix engine, the scratchpad, the
//!   accumulator memory, the DMA, the decoder and controller, the host interface and the
//!   top `<name>_top`.

pub mod blocks;
pub mod config;
pub mod geometry;
pub mod isa;
pub mod model;
pub mod quant;
pub mod regmap;
pub mod tiler;

pub use config::{Config, ConfigError};

use rtl_gen::emit::verilog::{self, VerilogOutput};
use rtl_gen::{CheckErrors, Design, ModuleId};

/// The hardware generated from one configuration.
#[derive(Clone, Debug)]
pub struct Generated {
    /// All modules.
    pub design: Design,
    /// The systolic array (matrix engine).
    pub systolic_array: ModuleId,
    /// The banked scratchpad.
    pub scratchpad: ModuleId,
    /// The accumulator memory with its requantizing read-out.
    pub accumulator: ModuleId,
    /// The controller (instances the engine, the scratchpad and the accumulator).
    pub controller: ModuleId,
    /// The DMA engine (AXI4 master).
    pub dma: ModuleId,
    /// The AXI4-Lite host interface.
    pub host: ModuleId,
    /// The whole accelerator, `<name>_top`.
    pub top: ModuleId,
}

impl Generated {
    /// The top-level modules of this generation, in emission order.
    pub fn roots(&self) -> Vec<ModuleId> {
        vec![self.top]
    }

    /// The Verilog of every module, children first, with one `filelist.f`.
    pub fn verilog(&self) -> VerilogOutput {
        let mut out = VerilogOutput { module_files: Vec::new(), filelist: String::new() };
        for root in self.roots() {
            for f in verilog::emit(&self.design, root).module_files {
                if out.file(&f.module).is_none() {
                    out.filelist.push_str(&f.file_name);
                    out.filelist.push('\n');
                    out.module_files.push(f);
                }
            }
        }
        out
    }
}

/// Build every block a configuration asks for.
///
/// The configuration must have been validated (as [`Config::from_toml`] does); a block
/// that still fails its structural checks is a generator bug, reported with the module
/// and signal names.
pub fn generate(cfg: &Config) -> Result<Generated, CheckErrors> {
    let mut design = Design::new();
    let systolic_array = blocks::systolic_array::build(&mut design, &cfg.name, &cfg.array)?;
    let scratchpad = blocks::scratchpad::build_banked(
        &mut design,
        &cfg.name,
        cfg.scratchpad.banks,
        blocks::scratchpad::ScratchpadParams {
            rows: cfg.scratchpad.rows_per_bank,
            row_bits: cfg.scratchpad_row_bits(),
            read_latency: cfg.scratchpad.read_latency,
        },
    )?;
    let accumulator = blocks::accumulator::build(
        &mut design,
        &cfg.name,
        blocks::accumulator::AccumulatorParams {
            rows: cfg.accumulator.rows,
            cols: cfg.array.cols,
            acc_bits: cfg.array.acc_bits,
            out_bits: cfg.array.input_bits,
            requant_dsps: cfg.accumulator.requant_dsps,
            read_latency: cfg.accumulator.read_latency,
            product_stages: cfg.accumulator.product_stages,
            read_ready_registered: cfg.dma.local_read_registered,
            read_out_registered: cfg.accumulator.read_out_registered,
        },
    )?;
    let controller = blocks::controller::build(
        &mut design,
        cfg,
        blocks::controller::Datapath { engine: systolic_array, scratchpad, accumulator },
    )?;
    let g = cfg.geometry();
    let sizes = blocks::dma::DmaSizes {
        stride_held: blocks::controller::dma_stride_held(cfg),
        response_register: cfg.scratchpad.read_latency == 2,
        response_valid_registered: cfg.dma.local_read_registered,
        write_ready_registered: cfg.dma.local_read_registered,
        ..blocks::dma::DmaSizes::of(&g)
    };
    let dma = blocks::dma::build_sized(&mut design, &cfg.name, sizes)?;
    let host_options = blocks::host::HostOptions {
        hold_command_words: blocks::controller::reads_host_words(cfg),
        turn_window: blocks::controller::turns_window(cfg),
    };
    let host = blocks::host::build_with(&mut design, &cfg.name, &regmap::regmap(&g, cfg.array.dataflow), host_options)?;
    let top = blocks::top::build(&mut design, &cfg.name, blocks::top::TopParts { host, controller, dma })?;
    Ok(Generated { design, systolic_array, scratchpad, accumulator, controller, dma, host, top })
}
