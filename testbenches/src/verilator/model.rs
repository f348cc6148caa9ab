//! [`VerilatorModel`]: a design compiled by Verilator into a shared library and loaded,
//! and [`ModelCache`], the folder of built models it comes from.

use super::build::{self, lock};
use super::shim::{self, SHIM_ABI};
use super::{HarnessError, VerilatorSim};
use libloading::Library;
use rtl_gen::sim::{PortDir, PortInfo};
use std::collections::{HashMap, HashSet};
use std::ffi::c_void;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// Name of the clock input the harness drives itself.
pub(crate) const CLOCK: &str = "clk_i";

/// The shim's entry points, copied out of the loaded library (valid while it is loaded).
#[derive(Clone, Copy)]
pub(crate) struct Abi {
    pub(crate) create: unsafe extern "C" fn() -> *mut c_void,
    pub(crate) create_seeded: unsafe extern "C" fn(u64) -> *mut c_void,
    pub(crate) destroy: unsafe extern "C" fn(*mut c_void),
    pub(crate) eval: unsafe extern "C" fn(*mut c_void),
    pub(crate) poke: unsafe extern "C" fn(*mut c_void, u32, *const u64),
    pub(crate) peek: unsafe extern "C" fn(*mut c_void, u32, *mut u64),
}

/// A design compiled by Verilator into a shared library and loaded into this process;
/// [`VerilatorModel::instantiate`] makes running copies of it.
pub struct VerilatorModel {
    top: String,
    hash: String,
    dir: PathBuf,
    was_cached: bool,
    all_ports: Vec<PortInfo>,
    /// The ports a testbench sees: all but the clock.
    pub(crate) sim_ports: Vec<PortInfo>,
    /// Shim port number of each visible port.
    pub(crate) shim_index: Vec<u32>,
    /// Shim port number of `clk_i`, when the design has one.
    pub(crate) clock: Option<u32>,
    pub(crate) abi: Abi,
    // Declared last: dropped after everything that points into it.
    _lib: Library,
}

impl std::fmt::Debug for VerilatorModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerilatorModel")
            .field("top", &self.top)
            .field("hash", &self.hash)
            .field("dir", &self.dir)
            .field("was_cached", &self.was_cached)
            .finish_non_exhaustive()
    }
}

type Slot = Arc<Mutex<Option<Arc<VerilatorModel>>>>;

impl VerilatorModel {
    /// Build (or fetch from the cache [`ModelCache::from_env`] selects) the model of
    /// top module `top` from Verilog `files` (file name, text), whose top ports, clock
    /// included, are `ports`. Each model is built and loaded once per process.
    pub fn build(
        top: &str,
        files: &[(String, String)],
        ports: &[PortInfo],
    ) -> Result<Arc<VerilatorModel>, HarnessError> {
        static LOADED: OnceLock<Mutex<HashMap<PathBuf, Slot>>> = OnceLock::new();
        let cache = ModelCache::from_env();
        let plan = cache.plan(top, files, ports)?;
        let slot = lock(LOADED.get_or_init(Default::default)).entry(plan.dir.clone()).or_default().clone();
        // Held while building: another thread asking for the same model waits for it.
        let mut loaded = lock(&slot);
        if let Some(model) = loaded.as_ref() {
            return Ok(Arc::clone(model));
        }
        let model = Arc::new(cache.realize(plan)?);
        *loaded = Some(Arc::clone(&model));
        Ok(model)
    }

    /// A new running instance: registers at zero, inputs at zero, cycle 0.
    pub fn instantiate(self: &Arc<Self>) -> VerilatorSim {
        VerilatorSim::new(Arc::clone(self), None)
    }

    /// A new running instance whose registers and memories start from random values
    /// drawn from `seed` (Verilator's `--x-initial unique`), as on a real power-up; a
    /// design must reach a defined state through its reset.
    pub fn instantiate_seeded(self: &Arc<Self>, seed: u64) -> VerilatorSim {
        VerilatorSim::new(Arc::clone(self), Some(seed))
    }

    /// Name of the top module.
    pub fn top(&self) -> &str {
        &self.top
    }

    /// SHA-256 (hex) of everything the build depended on; names the cache folder.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The cache folder holding the Verilog, the shim, `build.log` and `obj_dir/`.
    pub fn build_dir(&self) -> &Path {
        &self.dir
    }

    /// True when the model came from the disk cache, without running Verilator.
    pub fn was_cached(&self) -> bool {
        self.was_cached
    }

    /// Every top port, clock included, as given to [`VerilatorModel::build`].
    pub fn ports(&self) -> &[PortInfo] {
        &self.all_ports
    }
}

/// A folder of built models, one sub-folder per build hash, and the Verilator that
/// fills it. [`VerilatorModel::build`] uses [`ModelCache::from_env`] and adds an
/// in-process memo; use a `ModelCache` directly for a private cache.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelCache {
    root: PathBuf,
    verilator: PathBuf,
}

/// Everything decided before building: validated inputs, shim text, hash, folder.
pub(crate) struct Plan {
    top: String,
    files: Vec<(String, String)>,
    ports: Vec<PortInfo>,
    shim: String,
    hash: String,
    lib_name: String,
    dir: PathBuf,
}

impl ModelCache {
    /// The cache the environment selects: `$SEEDCHIP_VERILATOR_CACHE`, else
    /// `<cargo target dir>/verilator-cache`, else `$HOME/.cache/seedchip/verilator`;
    /// Verilator from `$SEEDCHIP_VERILATOR`, else `verilator` on `PATH`.
    pub fn from_env() -> Self {
        ModelCache { root: build::cache_root_from_env(), verilator: build::verilator_from_env() }
    }

    /// A cache in folder `root`, with the Verilator the environment selects.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        ModelCache { root: root.into(), verilator: build::verilator_from_env() }
    }

    /// The same cache, building with the Verilator executable `program`.
    pub fn with_verilator(mut self, program: impl Into<PathBuf>) -> Self {
        self.verilator = program.into();
        self
    }

    /// The cache folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The Verilator executable used for builds.
    pub fn verilator(&self) -> &Path {
        &self.verilator
    }

    /// Load the model from this cache, building it first when absent. Unlike
    /// [`VerilatorModel::build`] there is no in-process memo: each call loads anew.
    pub fn build(
        &self,
        top: &str,
        files: &[(String, String)],
        ports: &[PortInfo],
    ) -> Result<VerilatorModel, HarnessError> {
        self.realize(self.plan(top, files, ports)?)
    }

    /// Validate the inputs and work out the build's hash and folder.
    pub(crate) fn plan(&self, top: &str, files: &[(String, String)], ports: &[PortInfo]) -> Result<Plan, HarnessError> {
        validate(top, files, ports)?;
        let version = build::verilator_version(&self.verilator)?;
        let shim = shim::source(top, ports);
        let hash = build::build_hash(top, files, &shim, &version);
        Ok(Plan {
            top: top.to_string(),
            files: files.to_vec(),
            ports: ports.to_vec(),
            lib_name: build::library_name(top, &hash),
            dir: self.root.join(format!("{top}-{hash}")),
            shim,
            hash,
        })
    }

    /// Load the planned model, building it first when the cache lacks it.
    pub(crate) fn realize(&self, plan: Plan) -> Result<VerilatorModel, HarnessError> {
        let lib = plan.dir.join("obj_dir").join(&plan.lib_name);
        let was_cached = lib.is_file();
        if !was_cached {
            if plan.dir.exists() {
                // A folder without its library was damaged by hand: build it again.
                std::fs::remove_dir_all(&plan.dir)
                    .map_err(|e| HarnessError::io("remove an incomplete cached model", &plan.dir, e))?;
            }
            build::build_into(
                &self.verilator,
                &self.root,
                &plan.dir,
                &plan.top,
                &plan.files,
                &plan.shim,
                &plan.lib_name,
            )?;
        }
        load(plan, &lib, was_cached)
    }
}

/// Check names and widths before anything reaches Verilator or the C++ compiler.
fn validate(top: &str, files: &[(String, String)], ports: &[PortInfo]) -> Result<(), HarnessError> {
    let bad = |what: String| Err(HarnessError::BadInput { top: top.to_string(), what });
    if !is_identifier(top) {
        return bad("the top module name is not a plain Verilog identifier".to_string());
    }
    if files.is_empty() {
        return bad("no Verilog files were given".to_string());
    }
    let mut names = HashSet::new();
    for (name, _) in files {
        let plain = !name.is_empty()
            && !name.starts_with('.')
            && !name.contains(['/', '\\'])
            && ![build::SHIM_FILE, build::LOG_FILE, "obj_dir"].contains(&name.as_str());
        if !plain {
            return bad(format!("`{name}` is not a plain file name (no folders, not `{}`)", build::SHIM_FILE));
        }
        if !names.insert(name.as_str()) {
            return bad(format!("the file name `{name}` is given twice"));
        }
    }
    let mut port_names = HashSet::new();
    for p in ports {
        if !is_identifier(&p.name) {
            return bad(format!("port `{}` is not a plain Verilog identifier", p.name));
        }
        if p.width == 0 {
            return bad(format!("port `{}` has width 0", p.name));
        }
        if !port_names.insert(p.name.as_str()) {
            return bad(format!("port `{}` is listed twice", p.name));
        }
        if p.name == CLOCK && (p.width != 1 || p.dir != PortDir::Input) {
            return bad(format!("`{CLOCK}` must be a 1-bit input, it is given as {} bits {:?}", p.width, p.dir));
        }
    }
    if u32::try_from(ports.len()).is_err() {
        return bad(format!("{} ports are more than the shim can number", ports.len()));
    }
    Ok(())
}

/// `[A-Za-z_][A-Za-z0-9_]*`: a name that is the same in Verilog, C++ and a file name.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// dlopen the built library and check that it is the shim these ports need.
fn load(plan: Plan, lib_path: &Path, was_cached: bool) -> Result<VerilatorModel, HarnessError> {
    let load_err = |source| HarnessError::Load { path: lib_path.to_path_buf(), source };
    // SAFETY: the library is one we built from a generated shim; its initialisers are
    // Verilator's runtime and the C++ standard library's.
    let lib = unsafe { Library::new(lib_path) }.map_err(load_err)?;
    // SAFETY (all `get`s): each symbol is defined by the shim with exactly this C
    // signature (see `shim::source`), checked through `seedchip_abi`.
    let (abi_version, port_count, abi) = unsafe {
        let abi_version = *lib.get::<unsafe extern "C" fn() -> u32>(b"seedchip_abi").map_err(load_err)?;
        let port_count = *lib.get::<unsafe extern "C" fn() -> u32>(b"seedchip_port_count").map_err(load_err)?;
        let abi = Abi {
            create: *lib.get(b"seedchip_create").map_err(load_err)?,
            create_seeded: *lib.get(b"seedchip_create_seeded").map_err(load_err)?,
            destroy: *lib.get(b"seedchip_destroy").map_err(load_err)?,
            eval: *lib.get(b"seedchip_eval").map_err(load_err)?,
            poke: *lib.get(b"seedchip_poke").map_err(load_err)?,
            peek: *lib.get(b"seedchip_peek").map_err(load_err)?,
        };
        (abi_version(), port_count(), abi)
    };
    if abi_version != SHIM_ABI || port_count as usize != plan.ports.len() {
        return Err(HarnessError::StaleModel {
            dir: plan.dir,
            detail: format!(
                "shim version {abi_version} with {port_count} ports, expected version {SHIM_ABI} with {} ports",
                plan.ports.len()
            ),
        });
    }
    let mut sim_ports = Vec::new();
    let mut shim_index = Vec::new();
    let mut clock = None;
    for (i, p) in plan.ports.iter().enumerate() {
        if p.name == CLOCK {
            clock = Some(i as u32);
        } else {
            sim_ports.push(p.clone());
            shim_index.push(i as u32);
        }
    }
    Ok(VerilatorModel {
        top: plan.top,
        hash: plan.hash,
        dir: plan.dir,
        was_cached,
        all_ports: plan.ports,
        sim_ports,
        shim_index,
        clock,
        abi,
        _lib: lib,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(name: &str, width: u32, dir: PortDir) -> PortInfo {
        PortInfo { name: name.to_string(), width, dir }
    }

    #[test]
    fn identifiers_are_plain() {
        assert!(is_identifier("pe_r2_c3"));
        assert!(is_identifier("_x"));
        assert!(!is_identifier("2x"));
        assert!(!is_identifier("a$b"));
        assert!(!is_identifier(""));
    }

    #[test]
    fn validation_names_the_bad_input() {
        let files = vec![("t.v".to_string(), String::new())];
        let err = validate("t", &files, &[port("clk_i", 2, PortDir::Input)]).unwrap_err();
        assert!(err.to_string().contains("`clk_i` must be a 1-bit input"), "{err}");
        let err = validate("t", &files, &[port("a_i", 0, PortDir::Input)]).unwrap_err();
        assert!(err.to_string().contains("port `a_i` has width 0"), "{err}");
        let nested = vec![("../t.v".to_string(), String::new())];
        let err = validate("t", &nested, &[]).unwrap_err();
        assert!(err.to_string().contains("not a plain file name"), "{err}");
        assert!(validate("t", &files, &[port("clk_i", 1, PortDir::Input)]).is_ok());
    }
}
