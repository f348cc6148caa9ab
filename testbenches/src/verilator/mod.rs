//! The Verilator harness: emitted (or hand-written) Verilog in, a [`Simulator`] out.
//!
//! A design is built once: its Verilog and a generated C++ shim (one `extern "C"` entry
//! per operation, a `switch` over port numbers inside) go through `verilator --build`
//! into a shared library, which is loaded with `libloading`. The build folder is named
//! by a SHA-256 of the Verilog, the shim, Verilator's version and its flags, under the
//! cache folder (`$SEEDCHIP_VERILATOR_CACHE`, else `target/verilator-cache`), so a
//! second test run or a second test process reuses it. Builds happen in a temporary
//! folder renamed into place when complete, so parallel test processes never see a
//! half-built model.
//!
//! - [`VerilatorModel`]: one built and loaded design; [`VerilatorModel::instantiate`]
//!   gives a running [`VerilatorSim`].
//! - [`ModelCache`]: the folder of built models, for a private cache or Verilator.
//! - [`verilate`]: emit an `rtl-gen` design and build it.
//!
//! [`Simulator`]: rtl_gen::sim::Simulator

mod build;
pub mod lint;
mod model;
mod shim;
mod sim;

pub use build::{CACHE_ENV, COVERAGE_ENV, VERILATOR_ENV};
pub use model::{ModelCache, VerilatorModel};
pub use sim::VerilatorSim;

use rtl_gen::sim::PortInfo;
use rtl_gen::{Design, ModuleId};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use thiserror::Error;

/// What went wrong while building or loading a Verilator model.
#[derive(Debug, Error)]
pub enum HarnessError {
    /// No Verilator executable was found.
    #[error("{}", build::NOT_FOUND_HELP)]
    VerilatorNotFound {
        /// The program that was tried (`$SEEDCHIP_VERILATOR` or `verilator`).
        program: PathBuf,
    },
    /// Verilator exists but does not run (`--version` fails).
    #[error("Verilator `{program}` does not run ({detail}); check the installation or `$SEEDCHIP_VERILATOR`, or run `scripts/setup-tools.sh`", program = program.display())]
    VerilatorUnusable {
        /// The program that was tried.
        program: PathBuf,
        /// What happened.
        detail: String,
    },
    /// The top name, file names or port list cannot be built.
    #[error("cannot build a Verilator model of `{top}`: {what}")]
    BadInput {
        /// Top module name.
        top: String,
        /// What is wrong.
        what: String,
    },
    /// Verilator or the C++ compiler failed.
    #[error("the Verilator build of `{top}` failed ({status}); the build folder is kept at {dir} (see `build.log` there):\n{output}", dir = dir.display())]
    BuildFailed {
        /// Top module name.
        top: String,
        /// Exit status of `verilator --build`.
        status: String,
        /// The build folder, kept for inspection.
        dir: PathBuf,
        /// Verilator's and the compiler's error lines and last lines of output.
        output: String,
    },
    /// The built library could not be loaded.
    #[error("cannot load the Verilator model {path}: {source}; delete its cache folder to rebuild it", path = path.display())]
    Load {
        /// The shared library.
        path: PathBuf,
        /// The loader's error.
        source: libloading::Error,
    },
    /// A cached model does not match the shim this harness generates.
    #[error("the cached Verilator model in {dir} does not match this harness ({detail}); delete that folder to rebuild it", dir = dir.display())]
    StaleModel {
        /// The cache folder.
        dir: PathBuf,
        /// How it differs.
        detail: String,
    },
    /// A file or folder operation failed.
    #[error("cannot {what} {path}: {source}; check the permissions and free space of the Verilator cache (`$SEEDCHIP_VERILATOR_CACHE`)", path = path.display())]
    Io {
        /// The operation, as a verb phrase.
        what: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The system's error.
        source: std::io::Error,
    },
}

impl HarnessError {
    fn io(what: &'static str, path: &Path, source: std::io::Error) -> Self {
        HarnessError::Io { what, path: path.to_path_buf(), source }
    }
}

/// Emit the Verilog of `top` in `design` and build (or fetch) its Verilator model.
pub fn verilate(design: &Design, top: ModuleId) -> Result<Arc<VerilatorModel>, HarnessError> {
    let files = rtl_gen::emit::verilog::emit(design, top).sources();
    let module = design.module(top);
    VerilatorModel::build(&module.name, &files, &PortInfo::of_module(module))
}
