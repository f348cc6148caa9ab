//! Progress on the terminal (indicatif): spinners and bars on stderr for the commands that
//! run longer than a second or two (`sim` of large workloads, `bench`, the steps of
//! `fpga`). They are drawn only when stderr is a terminal and the command is not asked
//! for `--json`, so scripts and tests see exactly the output they saw before.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// Whether progress is drawn: stderr is a terminal and the output is not JSON.
pub fn enabled(json: bool) -> bool {
    !json && std::io::stderr().is_terminal()
}

/// A spinner with `message` and the elapsed time, ticking by itself; hidden unless
/// `show`. Clear it (`finish_and_clear`) before printing the result.
pub fn spinner(show: bool, message: impl Into<String>) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(message.into());
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

/// A bar of `len` steps with the current step's name; hidden unless `show`.
pub fn bar(show: bool, len: u64) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_hides_progress_and_hidden_bars_draw_nothing() {
        assert!(!enabled(true));
        assert!(spinner(false, "x").is_hidden());
        assert!(bar(false, 3).is_hidden());
    }
}
