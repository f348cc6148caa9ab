//! Building a model: finding Verilator, naming the cache folder by a hash of everything
//! that goes into the build, and running `verilator --build` in a temporary folder that
//! is renamed into place only once the shared library is complete.

use super::HarnessError;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// Environment variable naming the Verilator executable (default: `verilator` on PATH).
pub const VERILATOR_ENV: &str = "SEEDCHIP_VERILATOR";
/// Environment variable naming the model cache folder.
pub const CACHE_ENV: &str = "SEEDCHIP_VERILATOR_CACHE";

/// Verilator's arguments that shape the model, in order; they are part of the cache hash.
/// `--top-module`, the output name, `-j` and the file names are added per build.
///
/// `-Wall` keeps the harness honest about the emitted Verilog being lint clean: any
/// warning fails the build. `OPT_FAST=-O3` replaces `--build`'s default `-Os` on the
/// model's hot code (2.5 to 4x faster); no `-O` goes into `-CFLAGS`, because Verilator
/// 5.048 puts `CFLAGS` after `OPT_FAST` and would override it (measured: half the speed).
/// `-Bsymbolic` keeps each loaded model bound to its own copy of the Verilator runtime.
/// `--x-assign unique --x-initial unique` let an instance start from random register and
/// memory contents ([`super::VerilatorModel::instantiate_seeded`]); a plain instance
/// starts from zeros.
pub(crate) const FLAGS: &[&str] = &[
    "--cc",
    "--x-assign",
    "unique",
    "--x-initial",
    "unique",
    "--exe",
    "--build",
    "-Wall",
    "--prefix",
    "Vdut",
    "-CFLAGS",
    "-fPIC",
    "-LDFLAGS",
    "-shared",
    "-LDFLAGS",
    "-Wl,-Bsymbolic",
    "-MAKEFLAGS",
    "OPT_FAST=-O3",
];

/// Environment variable naming a folder: when set, models are built with line and toggle
/// coverage (`--coverage-line --coverage-toggle`, a separate cache entry) and every
/// instance writes its counts there as `cov-*.dat` when destroyed (`make coverage`).
pub const COVERAGE_ENV: &str = "SEEDCHIP_COVERAGE_DIR";

/// Verilator's coverage arguments, added to [`FLAGS`] when [`COVERAGE_ENV`] is set.
pub(crate) const COVERAGE_FLAGS: &[&str] = &["--coverage-line", "--coverage-toggle"];

/// [`FLAGS`], plus [`COVERAGE_FLAGS`] when the environment asks for coverage.
pub(crate) fn flags() -> Vec<&'static str> {
    let mut f = FLAGS.to_vec();
    if std::env::var_os(COVERAGE_ENV).is_some_and(|v| !v.is_empty()) {
        f.extend_from_slice(COVERAGE_FLAGS);
    }
    f
}

/// File name of the generated C++ shim inside a build folder.
pub(crate) const SHIM_FILE: &str = "seedchip_shim.cpp";
/// File name of the captured Verilator and compiler output inside a build folder.
pub(crate) const LOG_FILE: &str = "build.log";

/// The message of a missing Verilator, word for word.
pub(crate) const NOT_FOUND_HELP: &str =
    "Verilator not found, run `scripts/setup-tools.sh` (or `make test`), which installs it with apt";

/// The Verilator the environment selects: `$SEEDCHIP_VERILATOR`, else `verilator`.
pub(crate) fn verilator_from_env() -> PathBuf {
    std::env::var_os(VERILATOR_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("verilator"))
}

/// The cache folder the environment selects: `$SEEDCHIP_VERILATOR_CACHE`, else
/// `<target dir>/verilator-cache`, else `$HOME/.cache/seedchip/verilator`.
pub(crate) fn cache_root_from_env() -> PathBuf {
    if let Some(dir) = std::env::var_os(CACHE_ENV).filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR").filter(|v| !v.is_empty()) {
        return PathBuf::from(dir).join("verilator-cache");
    }
    if let Some(target) = std::env::current_exe().ok().as_deref().and_then(target_dir_above) {
        return target.join("verilator-cache");
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| OsString::from("."));
    PathBuf::from(home).join(".cache").join("seedchip").join("verilator")
}

/// The nearest folder above `exe` that is a Cargo target folder: named `target`, or
/// holding the `CACHEDIR.TAG` Cargo writes into every target folder.
pub(crate) fn target_dir_above(exe: &Path) -> Option<PathBuf> {
    exe.ancestors()
        .skip(1)
        .find(|dir| dir.file_name().is_some_and(|n| n == "target") || dir.join("CACHEDIR.TAG").is_file())
        .map(Path::to_path_buf)
}

/// `verilator --version`, run once per executable and process.
pub(crate) fn verilator_version(program: &Path) -> Result<String, HarnessError> {
    static VERSIONS: OnceLock<Mutex<HashMap<PathBuf, String>>> = OnceLock::new();
    let versions = VERSIONS.get_or_init(Default::default);
    if let Some(v) = lock(versions).get(program) {
        return Ok(v.clone());
    }
    let out = match Command::new(program).arg("--version").output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(HarnessError::VerilatorNotFound { program: program.to_path_buf() })
        }
        Err(source) => {
            return Err(HarnessError::VerilatorUnusable { program: program.to_path_buf(), detail: source.to_string() })
        }
    };
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || text.is_empty() {
        let mut detail = format!("`--version` exited with {}", out.status);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !stderr.trim().is_empty() {
            detail = format!("{detail}: {}", stderr.trim());
        }
        return Err(HarnessError::VerilatorUnusable { program: program.to_path_buf(), detail });
    }
    lock(versions).insert(program.to_path_buf(), text.clone());
    Ok(text)
}

/// Lock a mutex, carrying on after a panic in another test thread (the data are caches).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// SHA-256, in hex, of every input of a build, each length-prefixed so that no two
/// different inputs hash alike.
pub(crate) fn build_hash(top: &str, files: &[(String, String)], shim: &str, version: &str) -> String {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(b"seedchip-verilator-model");
    field(top.as_bytes());
    for (name, text) in files {
        field(name.as_bytes());
        field(text.as_bytes());
    }
    field(shim.as_bytes());
    field(version.as_bytes());
    for flag in flags() {
        field(flag.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Name of the shared library inside `obj_dir`; unique per model, so that two models
/// loaded in one process never share a library name.
pub(crate) fn library_name(top: &str, hash: &str) -> String {
    format!("lib{top}_{}.so", &hash[..16])
}

/// Run Verilator in a fresh temporary folder under `root` and move the finished folder
/// to `final_dir`. When another process finished the same build first, its folder is
/// kept and ours removed. Returns the folder that holds the model.
pub(crate) fn build_into(
    program: &Path,
    root: &Path,
    final_dir: &Path,
    top: &str,
    files: &[(String, String)],
    shim: &str,
    lib_name: &str,
) -> Result<(), HarnessError> {
    static SERIAL: AtomicU64 = AtomicU64::new(0);
    std::fs::create_dir_all(root).map_err(|e| HarnessError::io("create the model cache folder", root, e))?;
    let dir_name = final_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = root.join(format!(".tmp-{dir_name}-{}-{}", std::process::id(), SERIAL.fetch_add(1, Ordering::Relaxed)));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| HarnessError::io("remove a stale build folder", &tmp, e))?;
    }
    std::fs::create_dir_all(&tmp).map_err(|e| HarnessError::io("create the build folder", &tmp, e))?;
    for (name, text) in files {
        let path = tmp.join(name);
        std::fs::write(&path, text).map_err(|e| HarnessError::io("write a Verilog file", &path, e))?;
    }
    let shim_path = tmp.join(SHIM_FILE);
    std::fs::write(&shim_path, shim).map_err(|e| HarnessError::io("write the C++ shim", &shim_path, e))?;

    run_verilator(program, &tmp, top, files, lib_name)?;

    match std::fs::rename(&tmp, final_dir) {
        Ok(()) => Ok(()),
        // Lost the race: another process renamed the same build into place first.
        Err(_) if final_dir.join("obj_dir").join(lib_name).is_file() => {
            let _ = std::fs::remove_dir_all(&tmp);
            Ok(())
        }
        Err(e) => Err(HarnessError::io("move the finished build into the cache", final_dir, e)),
    }
}

/// `verilator --build` inside `dir`, its output saved to `build.log`.
fn run_verilator(
    program: &Path,
    dir: &Path,
    top: &str,
    files: &[(String, String)],
    lib_name: &str,
) -> Result<(), HarnessError> {
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
    let mut cmd = Command::new(program);
    cmd.current_dir(dir)
        .args(flags())
        .args(["-j", &jobs.to_string(), "--top-module", top, "-o", lib_name])
        .args(files.iter().map(|(name, _)| name.as_str()))
        .arg(SHIM_FILE)
        // An enclosing `make` (as in `make test`) must not leak its flags or jobserver
        // into the model's build. VERILATOR_ROOT, CXX and the like pass through.
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS")
        .env_remove("MAKELEVEL");
    let out = match cmd.output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(HarnessError::VerilatorNotFound { program: program.to_path_buf() })
        }
        Err(e) => return Err(HarnessError::io("run Verilator", program, e)),
    };
    let mut log = out.stdout;
    log.extend_from_slice(&out.stderr);
    let log = String::from_utf8_lossy(&log).into_owned();
    let log_path = dir.join(LOG_FILE);
    // The log is a convenience for inspection; failing to write it must not hide the result.
    let _ = std::fs::write(&log_path, &log);
    let lib = dir.join("obj_dir").join(lib_name);
    if out.status.success() && lib.is_file() {
        return Ok(());
    }
    Err(HarnessError::BuildFailed {
        top: top.to_string(),
        status: out.status.to_string(),
        dir: dir.to_path_buf(),
        output: output_excerpt(&log),
    })
}

/// The useful part of a failed build's output: Verilator's `%Error`/`%Warning` lines and
/// the compiler's `error:` lines, then the last lines, with a hint for missing tools.
pub(crate) fn output_excerpt(log: &str) -> String {
    const MAX_FLAGGED: usize = 30;
    const TAIL: usize = 15;
    let lines: Vec<&str> = log.lines().collect();
    let flagged: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("%Error") || l.starts_with("%Warning") || l.contains("error:"))
        .take(MAX_FLAGGED)
        .collect();
    let mut s = String::new();
    for l in &flagged {
        s.push_str(l);
        s.push('\n');
    }
    if !flagged.is_empty() {
        s.push_str("... last lines of output:\n");
    }
    for l in &lines[lines.len().saturating_sub(TAIL)..] {
        s.push_str(l);
        s.push('\n');
    }
    let missing_tool = [
        "make: not found",
        "make: command not found",
        "c++: not found",
        "g++: not found",
        "c++: No such file or directory",
        "g++: No such file or directory",
    ]
    .iter()
    .any(|m| log.contains(m));
    if missing_tool {
        s.push_str(
            "hint: Verilator needs a C++ compiler and make: install `build-essential` \
                    (scripts/setup-tools.sh does)\n",
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_dir_is_found_above_a_test_binary() {
        let exe = Path::new("/work/x/target/release/deps/harness-0123");
        assert_eq!(target_dir_above(exe), Some(PathBuf::from("/work/x/target")));
        assert_eq!(target_dir_above(Path::new("/usr/bin/tool")), None);
    }

    #[test]
    fn hash_changes_with_any_input() {
        let files = vec![("a.v".to_string(), "module a; endmodule".to_string())];
        let base = build_hash("a", &files, "shim", "Verilator 5.006");
        assert_eq!(base.len(), 64);
        assert_eq!(base, build_hash("a", &files, "shim", "Verilator 5.006"));
        assert_ne!(base, build_hash("a", &files, "shim", "Verilator 5.048"));
        assert_ne!(base, build_hash("a", &files, "shim2", "Verilator 5.006"));
        let other = vec![("a.v".to_string(), "module a ; endmodule".to_string())];
        assert_ne!(base, build_hash("a", &other, "shim", "Verilator 5.006"));
    }

    #[test]
    fn excerpt_puts_verilator_errors_first() {
        let log = "noise\n%Error: top.v:3:5: syntax error\nmore noise\n%Error: Exiting due to 1 error(s)\n";
        let ex = output_excerpt(log);
        assert!(ex.starts_with("%Error: top.v:3:5: syntax error\n"), "{ex}");
        assert!(ex.contains("more noise"));
    }
}
