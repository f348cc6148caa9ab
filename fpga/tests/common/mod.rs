//! Helpers shared by the board tests.

use ip_blocks::Config;

/// A 2x2 accelerator: small and quick to build.
pub fn tiny() -> Config {
    Config::from_toml(
        r#"
name = "tiny"
[array]
rows = 2
cols = 2
dataflow = "ws"
[scratchpad]
banks = 2
rows_per_bank = 64
[accumulator]
rows = 32
[dma]
data_bits = 32
outstanding = 2
"#,
        "tiny",
    )
    .unwrap_or_else(|e| panic!("{e}"))
}
