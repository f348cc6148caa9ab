//! `seedchip gen`: write the Verilog of a configuration and its manifest, atomically.

use crate::manifest::{Manifest, ModuleEntry, PortEntry, MANIFEST};
use anyhow::{bail, Context, Result};
use ip_blocks::Config;
use rtl_gen::sim::PortDir;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What `gen` did, as printed (or as the `--json` object).
#[derive(Clone, Debug, Serialize)]
pub struct GenSummary {
    /// The output folder.
    pub out: PathBuf,
    /// Modules written, children first.
    pub modules: Vec<String>,
    /// Files written, relative to the output folder.
    pub files: Vec<String>,
    /// Time to build the IR and emit the Verilog, in milliseconds.
    pub generation_ms: f64,
}

/// Everything `gen` writes, in memory: (path relative to the output folder, contents).
pub struct Artifacts {
    /// The files.
    pub files: Vec<(String, String)>,
    /// Module names, children first.
    pub modules: Vec<String>,
    /// Time spent building and emitting.
    pub generation_ms: f64,
}

/// Build the design and render every output file (nothing touches the disk).
pub fn render(cfg: &Config, source: &str) -> Result<Artifacts> {
    let t0 = Instant::now();
    let generated = ip_blocks::generate(cfg)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("generator bug: a block failed its structural checks; please report it")?;
    let verilog = generated.verilog();
    let generation_ms = t0.elapsed().as_secs_f64() * 1e3;

    let design = &generated.design;
    let modules: Vec<ModuleEntry> = verilog
        .module_files
        .iter()
        .map(|f| {
            let id = design.find(&f.module).expect("emitted modules come from the design");
            let m = design.module(id);
            ModuleEntry {
                name: f.module.clone(),
                file: format!("rtl/{}", f.file_name),
                ports: rtl_gen::sim::PortInfo::of_module(m)
                    .into_iter()
                    .map(|p| PortEntry {
                        dir: if p.dir == PortDir::Input { "input" } else { "output" }.into(),
                        name: p.name,
                        width: p.width,
                    })
                    .collect(),
            }
        })
        .collect();
    let manifest = Manifest {
        generator: "seedchip".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        source: source.into(),
        config: cfg.clone(),
        roots: generated.roots().iter().map(|r| design.module(*r).name.clone()).collect(),
        filelist: "rtl/filelist.f".into(),
        modules,
    };
    let mut files: Vec<(String, String)> =
        verilog.module_files.iter().map(|f| (format!("rtl/{}", f.file_name), f.text.clone())).collect();
    files.push(("rtl/filelist.f".into(), verilog.filelist.clone()));
    // The register map, from the same description the host block was built from: a C
    // header next to the Verilog and its manual.
    let map = ip_blocks::regmap::regmap(&cfg.geometry(), cfg.array.dataflow);
    files.push((format!("rtl/{}_regs.h", cfg.name), map.c_header(&cfg.name)));
    files.push(("docs/registers.md".into(), map.markdown()));
    let mut json = serde_json::to_string_pretty(&manifest)?;
    json.push('\n');
    files.push((MANIFEST.into(), json));
    Ok(Artifacts { files, modules: verilog.module_files.iter().map(|f| f.module.clone()).collect(), generation_ms })
}

/// Generate `cfg` into the folder `out`.
///
/// The files are written to a temporary folder beside `out` and moved into place when
/// all are written; an earlier `gen` output in `out` is replaced, anything else there is
/// left alone and reported.
pub fn generate_to(cfg: &Config, source: &str, out: &Path) -> Result<GenSummary> {
    let art = render(cfg, source)?;
    write_atomically(out, &art.files)?;
    Ok(GenSummary {
        out: out.to_path_buf(),
        modules: art.modules,
        files: art.files.iter().map(|(p, _)| p.clone()).collect(),
        generation_ms: art.generation_ms,
    })
}

/// Write `files` into a fresh temporary folder next to `out`, then rename it to `out`.
pub fn write_atomically(out: &Path, files: &[(String, String)]) -> Result<()> {
    write_dir_atomically(out, files, MANIFEST, "seedchip gen", "--out")
}

/// Write `files` into a fresh temporary folder next to `out`, then rename it to `out`,
/// replacing an earlier output of `command` (a folder holding `marker`) or an empty folder,
/// and refusing anything else (`flag` names the option that chose `out`, for the message).
pub fn write_dir_atomically(
    out: &Path,
    files: &[(String, String)],
    marker: &str,
    command: &str,
    flag: &str,
) -> Result<()> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let leaf = out
        .file_name()
        .with_context(|| format!("{flag} `{}` must name a folder", out.display()))?
        .to_string_lossy()
        .to_string();
    if out.exists() {
        let is_previous = out.join(marker).is_file();
        let is_empty = out.is_dir() && std::fs::read_dir(out)?.next().is_none();
        if !out.is_dir() || !(is_previous || is_empty) {
            bail!(
                "refusing to replace `{}`: it exists and is not an earlier `{command}` output \
                 (no {marker} inside); choose another {flag} folder or remove it",
                out.display()
            );
        }
    }
    std::fs::create_dir_all(&parent).with_context(|| format!("cannot create the folder `{}`", parent.display()))?;
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{leaf}.tmp-"))
        .tempdir_in(&parent)
        .with_context(|| format!("cannot create a temporary folder in `{}`", parent.display()))?;
    for (rel, text) in files {
        let path = tmp.path().join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    let staged = tmp.keep();
    if out.exists() {
        let old = tempfile::Builder::new().prefix(&format!(".{leaf}.old-")).tempdir_in(&parent)?;
        let old_path = old.keep();
        std::fs::remove_dir(&old_path)?;
        std::fs::rename(out, &old_path)
            .with_context(|| format!("cannot move the earlier output `{}` aside", out.display()))?;
        if let Err(e) = std::fs::rename(&staged, out) {
            let _ = std::fs::rename(&old_path, out);
            let _ = std::fs::remove_dir_all(&staged);
            return Err(e).with_context(|| format!("cannot move the new output into `{}`", out.display()));
        }
        std::fs::remove_dir_all(&old_path)?;
    } else if let Err(e) = std::fs::rename(&staged, out) {
        let _ = std::fs::remove_dir_all(&staged);
        return Err(e).with_context(|| format!("cannot move the new output into `{}`", out.display()));
    }
    Ok(())
}
