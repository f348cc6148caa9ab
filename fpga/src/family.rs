//! The FPGA families the flow targets, and what each calls its hard blocks.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An FPGA family: decides the Yosys synthesis command, the place-and-route tool and the
/// names of the cells in its reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Lattice iCE40 (UP5K on the iCEBreaker): SB_LUT4, SB_MAC16, SB_RAM40_4K, SB_SPRAM256KA.
    Ice40,
    /// Lattice ECP5 (85F on the ULX3S): LUT4/CCU2C, MULT18X18D, DP16KD, TRELLIS_DPR16X4.
    Ecp5,
    /// Gowin GW1N (GW1NR-9 on the Tang Nano 9K): LUT4/ALU, MULT9X9/MULT18X18/MULT36X36,
    /// 18-kbit BSRAM (SDPB, DPB ...), RAM16SDP4.
    Gowin,
}

impl Family {
    /// Every family, in a fixed order.
    pub const ALL: [Family; 3] = [Family::Ice40, Family::Ecp5, Family::Gowin];

    /// The lower-case name used in file names and messages (`ice40`, `ecp5`, `gowin`).
    pub fn name(self) -> &'static str {
        match self {
            Family::Ice40 => "ice40",
            Family::Ecp5 => "ecp5",
            Family::Gowin => "gowin",
        }
    }

    /// The unit DSP blocks are counted in, and its operand width: `SB_MAC16` (16x16),
    /// `MULT18X18D` (18x18), and on Gowin `MULT9X9` (9x9), half of a MULT18X18 site: a
    /// MULT18X18 counts as 2 and a MULT36X36 as 8.
    pub fn dsp_cell(self) -> (&'static str, u32) {
        match self {
            Family::Ice40 => ("SB_MAC16", 16),
            Family::Ecp5 => ("MULT18X18D", 18),
            Family::Gowin => ("MULT9X9", 9),
        }
    }

    /// The family's block RAM cell (`SB_RAM40_4K`, 4 kbit; `DP16KD`, 18 kbit; Gowin's
    /// `BSRAM`, 18 kbit, which Yosys instances as SDPB, SDPX9B, DPB, DPX9B, SP or SPX9).
    pub fn bram_cell(self) -> &'static str {
        match self {
            Family::Ice40 => "SB_RAM40_4K",
            Family::Ecp5 => "DP16KD",
            Family::Gowin => "BSRAM",
        }
    }

    /// The family's distributed (LUT) RAM cell: `TRELLIS_DPR16X4` or `RAM16SDP4`, 16 words
    /// of 4 bits; none on iCE40.
    pub fn lutram_cell(self) -> Option<&'static str> {
        match self {
            Family::Ice40 => None,
            Family::Ecp5 => Some("TRELLIS_DPR16X4"),
            Family::Gowin => Some("RAM16SDP4"),
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
        let e = "xilinx".parse::<Family>().unwrap_err();
        assert!(e.contains("ice40") && e.contains("ecp5") && e.contains("gowin"), "{e}");
    }
}
