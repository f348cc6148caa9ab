//! The FPGA families the flow targets, and what each calls its hard blocks.

use std::fmt;

/// An FPGA family: decides the Yosys synthesis command and the names of the cells in
/// its reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// Lattice iCE40 (UP5K on the iCEBreaker): SB_LUT4, SB_MAC16, SB_RAM40_4K, SB_SPRAM256KA.
    Ice40,
    /// Lattice ECP5 (85F on the ULX3S): LUT4/CCU2C, MULT18X18D, DP16KD, TRELLIS_DPR16X4.
    Ecp5,
}

impl Family {
    /// Every family, in a fixed order.
    pub const ALL: [Family; 2] = [Family::Ice40, Family::Ecp5];

    /// The lower-case name used in file names and messages (`ice40`, `ecp5`).
    pub fn name(self) -> &'static str {
        match self {
            Family::Ice40 => "ice40",
            Family::Ecp5 => "ecp5",
        }
    }

    /// The family's multiplier block and its operand width (`SB_MAC16`, 16x16 signed or
    /// unsigned; `MULT18X18D`, 18x18).
    pub fn dsp_cell(self) -> (&'static str, u32) {
        match self {
            Family::Ice40 => ("SB_MAC16", 16),
            Family::Ecp5 => ("MULT18X18D", 18),
        }
    }

    /// The family's block RAM cell (`SB_RAM40_4K`, 4 kbit; `DP16KD`, 18 kbit).
    pub fn bram_cell(self) -> &'static str {
        match self {
            Family::Ice40 => "SB_RAM40_4K",
            Family::Ecp5 => "DP16KD",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Family {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Family::ALL.into_iter().find(|f| f.name().eq_ignore_ascii_case(s)).ok_or_else(|| {
            let known: Vec<&str> = Family::ALL.iter().map(|f| f.name()).collect();
            format!("unknown FPGA family `{s}`; families: {}", known.join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_names_round_trip() {
        for f in Family::ALL {
            assert_eq!(f.name().parse::<Family>(), Ok(f));
        }
        let e = "gowin".parse::<Family>().unwrap_err();
        assert!(e.contains("ice40") && e.contains("ecp5"), "{e}");
    }
}
