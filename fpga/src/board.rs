//! Boards: what a development board has (device, clock, UART, button, LEDs, hard-block
//! budget, where main memory lives) and the constraint file that puts the board top's
//! ports on its pins.
//!
//! Each board is a TOML file in `fpga/boards/` with its constraint file next to it
//! (`.pcf` for iCE40, `.lpf` for ECP5, `.cst` for Gowin); both are compiled into the
//! library, so [`Board::by_name`] works from any folder. The constraint file maps exactly
//! the board top's port names ([`port`]), and loading a board checks that it puts each
//! one on the pin the TOML file names.
//!
//! ```
//! use fpga::board::Board;
//! let b = Board::by_name("icebreaker")?;
//! assert_eq!((b.device.part.as_str(), b.clock.mhz), ("up5k", 12.0));
//! assert_eq!(b.resources.dsp, 8); // SB_MAC16
//! assert_eq!(b.leds.len(), 7);
//! # Ok::<(), fpga::board::BoardError>(())
//! ```

use crate::Family;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use thiserror::Error;

/// The board top's port names, which every constraint file maps.
pub mod port {
    /// The board's oscillator, input.
    pub const CLOCK: &str = "clk_i";
    /// The UART line from the host, input.
    pub const UART_RX: &str = "uart_rx_i";
    /// The UART line to the host, output.
    pub const UART_TX: &str = "uart_tx_o";
    /// The reset button, input, low while pressed (optional in a board top).
    pub const RESET_N: &str = "rst_ni";
    /// The LEDs, output bus `led_o[N-1:0]`, N up to the board's LED count.
    pub const LEDS: &str = "led_o";

    /// The name of LED `i` in a constraint file: `led_o[i]`.
    pub fn led(i: usize) -> String {
        format!("{LEDS}[{i}]")
    }
}

/// The boards built into the library: (name, TOML text, constraint file name, its text).
const BOARDS: &[(&str, &str, &str, &str)] = &[
    (
        "icebreaker",
        include_str!("../boards/icebreaker.toml"),
        "icebreaker.pcf",
        include_str!("../boards/icebreaker.pcf"),
    ),
    ("ulx3s", include_str!("../boards/ulx3s.toml"), "ulx3s.lpf", include_str!("../boards/ulx3s.lpf")),
    (
        "tangnano9k",
        include_str!("../boards/tangnano9k.toml"),
        "tangnano9k.cst",
        include_str!("../boards/tangnano9k.cst"),
    ),
    (
        "orangecrab",
        include_str!("../boards/orangecrab.toml"),
        "orangecrab.lpf",
        include_str!("../boards/orangecrab.lpf"),
    ),
];

/// Most LEDs a board top drives (`led_o` is at most 8 bits).
pub const MAX_LEDS: usize = 8;

/// A board file could not be read, or says something impossible.
#[derive(Debug, Error)]
pub enum BoardError {
    /// No built-in board of that name.
    #[error("no board named `{name}`; boards: {known}")]
    Unknown {
        /// The name asked for.
        name: String,
        /// The built-in boards.
        known: String,
    },
    /// A file could not be read.
    #[error("cannot read board file `{path}`: {source}")]
    Read {
        /// The file.
        path: String,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The TOML is malformed, has an unknown key, or a value of the wrong type.
    #[error("board file `{path}`: {message}")]
    Parse {
        /// The file.
        path: String,
        /// What the TOML reader said (it names the key and the line).
        message: String,
    },
    /// A value is out of range.
    #[error("board file `{path}`: `{key}` = {value} is out of range: {allowed}")]
    Range {
        /// The file.
        path: String,
        /// The key, with its table (`device.part`).
        key: String,
        /// The value found.
        value: String,
        /// What is allowed.
        allowed: String,
    },
    /// The constraint file does not agree with the board file.
    #[error("constraint file `{path}`: {detail}")]
    Constraints {
        /// The constraint file.
        path: String,
        /// What disagrees, naming the port and both pins.
        detail: String,
    },
}

/// The FPGA on a board, as the place-and-route tools name it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    /// The family: decides synthesis, place and route and packing.
    pub family: Family,
    /// The part: nextpnr's device flag (`up5k` for `--up5k`, `85k` for `--85k`) or, on
    /// Gowin, the full part number given to `--device` (`GW1NR-LV9QN88PC6/I5`).
    pub part: String,
    /// The package (`sg48`, `CABGA381`, `QN88`).
    pub package: String,
    /// The speed grade (`6` for ECP5's `--speed 6`; part of the part number on Gowin);
    /// iCE40 has none.
    #[serde(default)]
    pub speed: Option<String>,
    /// Gowin only: the chip name of `--vopt family=` and `gowin_pack -d` (`GW1N-9C`).
    #[serde(default)]
    pub chip: Option<String>,
}

/// The board's oscillator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clock {
    /// The pin it enters on.
    pub pin: String,
    /// Its frequency in MHz: the flow's default timing target.
    pub mhz: f64,
}

/// The UART to the host, as the FPGA sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Uart {
    /// The FPGA's receive pin (the USB bridge's transmit line).
    pub rx: String,
    /// The FPGA's transmit pin.
    pub tx: String,
}

/// A push button or an LED, and its polarity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pin {
    /// The pin.
    pub pin: String,
    /// True when the signal is active low (a pressed button reads 0; an LED lights at 0).
    pub active_low: bool,
}

/// The device's budget of logic and hard blocks, from its data sheet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// LUT4s (iCE40: logic cells, a LUT4 and a flip-flop each).
    pub lut: u64,
    /// Flip-flops.
    pub ff: u64,
    /// DSP blocks, in the unit [`crate::plan`] counts ([`Family::dsp_cell`]).
    pub dsp: u64,
    /// That unit's cell name (`SB_MAC16`, `MULT18X18D`, `MULT9X9`).
    pub dsp_kind: String,
    /// Block RAMs.
    pub bram: u64,
    /// Their cell name (`SB_RAM40_4K`, `DP16KD`, `BSRAM`).
    pub bram_kind: String,
    /// Kilobits per block RAM (4 or 18).
    pub bram_kbits: u64,
    /// Single-port RAMs (iCE40 UP5K: SB_SPRAM256KA); 0 elsewhere.
    pub spram: u64,
    /// Kilobits per SPRAM (256), 0 without.
    pub spram_kbits: u64,
}

/// Where the board top keeps main memory (the DMA's AXI4 target).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MemoryKind {
    /// The UP5K's single-port RAMs (SB_SPRAM256KA, 16K x 16 each).
    Spram,
    /// Block RAM.
    Bram,
}

/// The board's main memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MainMemory {
    /// What it is built from.
    pub kind: MemoryKind,
    /// Its size in bytes (a power of two).
    pub bytes: u64,
}

/// A constraint file: its name (`icebreaker.pcf`) and text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Constraints {
    /// The file name, written as is into a build folder.
    pub file: String,
    /// The text.
    #[serde(skip)]
    pub text: String,
}

/// The board file as written (TOML); [`Board`] adds the constraint file.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct BoardFile {
    name: String,
    description: String,
    constraints: String,
    device: Device,
    clock: Clock,
    uart: Uart,
    #[serde(default)]
    reset: Option<Pin>,
    #[serde(default)]
    leds: Vec<Pin>,
    resources: Resources,
    main_memory: MainMemory,
}

/// A development board: its device, pins, resources and constraint file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Board {
    /// Short name (`icebreaker`), used for `--board` and `out/<board>/`.
    pub name: String,
    /// One line for people.
    pub description: String,
    /// The FPGA.
    pub device: Device,
    /// The oscillator.
    pub clock: Clock,
    /// The UART to the host.
    pub uart: Uart,
    /// The reset button, if the board has one for the board top.
    pub reset: Option<Pin>,
    /// The LEDs, `led_o[0]` first (at most [`MAX_LEDS`]).
    pub leds: Vec<Pin>,
    /// The device's budget.
    pub resources: Resources,
    /// Main memory.
    pub main_memory: MainMemory,
    /// The constraint file for the board top's ports.
    pub constraints: Constraints,
}

impl Board {
    /// The names of the built-in boards.
    pub fn names() -> Vec<&'static str> {
        BOARDS.iter().map(|(n, ..)| *n).collect()
    }

    /// A built-in board by name.
    pub fn by_name(name: &str) -> Result<Board, BoardError> {
        let (_, toml_text, file, text) = BOARDS
            .iter()
            .find(|(n, ..)| *n == name)
            .ok_or_else(|| BoardError::Unknown { name: name.to_string(), known: Board::names().join(", ") })?;
        let constraints = Constraints { file: file.to_string(), text: text.to_string() };
        Board::from_toml(toml_text, &format!("fpga/boards/{name}.toml"), |_| Ok(constraints.clone()))
    }

    /// Read a board file and the constraint file it names (relative to its folder).
    pub fn from_file(path: &Path) -> Result<Board, BoardError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| BoardError::Read { path: origin.clone(), source })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        Board::from_toml(&text, &origin, |file| {
            let cpath = dir.join(file);
            let text = std::fs::read_to_string(&cpath)
                .map_err(|source| BoardError::Read { path: cpath.display().to_string(), source })?;
            Ok(Constraints { file: file.to_string(), text })
        })
    }

    /// Parse and check a board file's text; `origin` names it in messages and
    /// `constraints` loads the constraint file it names.
    pub fn from_toml(
        text: &str,
        origin: &str,
        constraints: impl FnOnce(&str) -> Result<Constraints, BoardError>,
    ) -> Result<Board, BoardError> {
        let f: BoardFile = toml::from_str(text).map_err(|e| BoardError::Parse {
            path: origin.to_string(),
            message: e.to_string().trim_end().replace('\n', "\n  "),
        })?;
        check(&f, origin)?;
        let c = constraints(&f.constraints)?;
        let board = Board {
            name: f.name,
            description: f.description,
            device: f.device,
            clock: f.clock,
            uart: f.uart,
            reset: f.reset,
            leds: f.leds,
            resources: f.resources,
            main_memory: f.main_memory,
            constraints: c,
        };
        board.check_constraints()?;
        Ok(board)
    }

    /// The family of the board's FPGA.
    pub fn family(&self) -> Family {
        self.device.family
    }

    /// The device for messages: `iCE40 UP5K`, `ECP5 LFE5U-85F`, `Gowin GW1NR-LV9QN88PC6/I5`.
    pub fn device_name(&self) -> String {
        let d = &self.device;
        match d.family {
            Family::Ice40 => format!("iCE40 {}", d.part.to_uppercase()),
            Family::Ecp5 => {
                let (variant, size) = match d.part.split_once('-') {
                    Some((v, size)) => (v.to_uppercase(), size),
                    None => ("U".to_string(), d.part.as_str()),
                };
                format!("ECP5 LFE5{variant}-{}F", size.trim_end_matches('k'))
            }
            Family::Gowin => format!("Gowin {}", d.part),
        }
    }

    /// Every port the constraint file must place, with the pin from the board file.
    pub fn expected_pins(&self) -> BTreeMap<String, String> {
        let mut pins = BTreeMap::new();
        pins.insert(port::CLOCK.to_string(), self.clock.pin.clone());
        pins.insert(port::UART_RX.to_string(), self.uart.rx.clone());
        pins.insert(port::UART_TX.to_string(), self.uart.tx.clone());
        if let Some(r) = &self.reset {
            pins.insert(port::RESET_N.to_string(), r.pin.clone());
        }
        for (i, led) in self.leds.iter().enumerate() {
            pins.insert(port::led(i), led.pin.clone());
        }
        pins
    }

    /// The constraint file must place exactly the board top's ports, each on the pin the
    /// board file names.
    fn check_constraints(&self) -> Result<(), BoardError> {
        let file = &self.constraints.file;
        let bad = |detail: String| Err(BoardError::Constraints { path: file.clone(), detail });
        let ext = match self.family() {
            Family::Ice40 => ".pcf",
            Family::Ecp5 => ".lpf",
            Family::Gowin => ".cst",
        };
        if !file.ends_with(ext) {
            return bad(format!("a {} board needs a `{ext}` constraint file", self.family()));
        }
        let found = match parse_constraints(self.family(), &self.constraints.text) {
            Ok(found) => found,
            Err(detail) => return bad(detail),
        };
        let expected = self.expected_pins();
        for (port, pin) in &found {
            match expected.get(port) {
                None => {
                    return bad(format!(
                        "places `{port}`, which is not a port of the board top (expected: {})",
                        expected.keys().cloned().collect::<Vec<_>>().join(", ")
                    ))
                }
                Some(want) if want != pin => {
                    return bad(format!("places `{port}` on pin {pin}, but the board file says {want}"))
                }
                Some(_) => {}
            }
        }
        if let Some((port, pin)) = expected.iter().find(|(p, _)| !found.contains_key(*p)) {
            return bad(format!("does not place `{port}` (pin {pin} in the board file)"));
        }
        Ok(())
    }
}

/// Port -> pin from a constraint file's text (`set_io`, `LOCATE COMP ... SITE`, `IO_LOC`).
pub fn parse_constraints(family: Family, text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut pins = BTreeMap::new();
    let unquote = |s: &str| s.trim_matches('"').to_string();
    let mut add = |port: String, pin: String, line: usize| {
        if pins.insert(port.clone(), pin).is_some() {
            return Err(format!("line {line}: `{port}` is placed twice"));
        }
        Ok(())
    };
    match family {
        Family::Ice40 => {
            for (n, line) in text.lines().enumerate() {
                let line = line.split('#').next().unwrap_or("");
                let mut words = line.split_whitespace();
                if words.next() != Some("set_io") {
                    continue;
                }
                let mut rest = Vec::new();
                while let Some(w) = words.next() {
                    match w {
                        "-nowarn" => {}
                        "-pullup" | "-pullup_resistor" => {
                            words.next();
                        }
                        _ => rest.push(w),
                    }
                }
                match rest.as_slice() {
                    [port, pin] => add(port.to_string(), pin.to_string(), n + 1)?,
                    _ => return Err(format!("line {}: expected `set_io [-nowarn] PORT PIN`", n + 1)),
                }
            }
        }
        Family::Ecp5 => {
            for (n, line) in text.lines().enumerate() {
                let line = line.split('#').next().unwrap_or("");
                for statement in line.split(';') {
                    let words: Vec<&str> = statement.split_whitespace().collect();
                    if words.first() != Some(&"LOCATE") {
                        continue;
                    }
                    match words.as_slice() {
                        ["LOCATE", "COMP", port, "SITE", site] => add(unquote(port), unquote(site), n + 1)?,
                        _ => return Err(format!("line {}: expected `LOCATE COMP \"PORT\" SITE \"PIN\";`", n + 1)),
                    }
                }
            }
        }
        Family::Gowin => {
            for (n, line) in text.lines().enumerate() {
                let line = line.split("//").next().unwrap_or("");
                for statement in line.split(';') {
                    let words: Vec<&str> = statement.split_whitespace().collect();
                    if words.first() != Some(&"IO_LOC") {
                        continue;
                    }
                    match words.as_slice() {
                        ["IO_LOC", port, pin] => add(unquote(port), pin.to_string(), n + 1)?,
                        _ => return Err(format!("line {}: expected `IO_LOC \"PORT\" PIN;`", n + 1)),
                    }
                }
            }
        }
    }
    Ok(pins)
}

/// Parts nextpnr-ice40 and nextpnr-ecp5 know (their device flags).
const ICE40_PARTS: &[&str] =
    &["lp384", "lp1k", "lp4k", "lp8k", "hx1k", "hx4k", "hx8k", "up3k", "up5k", "u1k", "u2k", "u4k"];
const ECP5_PARTS: &[&str] =
    &["12k", "25k", "45k", "85k", "um-25k", "um-45k", "um-85k", "um5g-25k", "um5g-45k", "um5g-85k"];

/// Every value of a board file against what the flow supports.
fn check(f: &BoardFile, origin: &str) -> Result<(), BoardError> {
    let range = |key: &str, value: String, allowed: String| {
        Err(BoardError::Range { path: origin.to_string(), key: key.to_string(), value, allowed })
    };
    let plain = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !plain(&f.name) || !f.name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return range("name", format!("{:?}", f.name), "a lower-case name of letters, digits and `_`".into());
    }
    let file_ok = !f.constraints.is_empty()
        && f.constraints.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        && !f.constraints.starts_with('.');
    if !file_ok {
        return range("constraints", format!("{:?}", f.constraints), "a file name next to the board file".into());
    }
    let d = &f.device;
    let family = d.family;
    match family {
        Family::Ice40 if !ICE40_PARTS.contains(&d.part.as_str()) => {
            return range("device.part", format!("{:?}", d.part), format!("one of {}", ICE40_PARTS.join(", ")))
        }
        Family::Ecp5 if !ECP5_PARTS.contains(&d.part.as_str()) => {
            return range("device.part", format!("{:?}", d.part), format!("one of {}", ECP5_PARTS.join(", ")))
        }
        Family::Gowin if !d.part.starts_with("GW") => {
            return range("device.part", format!("{:?}", d.part), "a Gowin part number (`GW1NR-LV9QN88PC6/I5`)".into())
        }
        _ => {}
    }
    let token = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_/".contains(c));
    if !token(&d.package) {
        return range("device.package", format!("{:?}", d.package), "a package name (`sg48`, `CABGA381`)".into());
    }
    match (family, &d.speed) {
        (Family::Ecp5, Some(s)) if !["6", "7", "8"].contains(&s.as_str()) => {
            return range("device.speed", format!("{s:?}"), "6, 7 or 8 (ECP5 speed grades)".into())
        }
        (Family::Ecp5, None) => {
            return range("device.speed", "(missing)".into(), "6, 7 or 8 (ECP5 speed grades)".into())
        }
        (Family::Ice40, Some(s)) => {
            return range("device.speed", format!("{s:?}"), "absent: nextpnr-ice40 has no speed grades".into())
        }
        _ => {}
    }
    match (family, &d.chip) {
        (Family::Gowin, Some(c)) if !token(c) || !c.starts_with("GW") => {
            return range("device.chip", format!("{c:?}"), "a Gowin chip name (`GW1N-9C`)".into())
        }
        (Family::Gowin, None) => {
            return range("device.chip", "(missing)".into(), "a Gowin chip name (`GW1N-9C`), needed on Gowin".into())
        }
        (Family::Ice40 | Family::Ecp5, Some(c)) => {
            return range("device.chip", format!("{c:?}"), format!("absent on {family} (Gowin only)"))
        }
        _ => {}
    }
    if !(f.clock.mhz >= 1.0 && f.clock.mhz <= 500.0) {
        return range("clock.mhz", f.clock.mhz.to_string(), "1 to 500 MHz".into());
    }
    let pins = [("clock.pin", &f.clock.pin), ("uart.rx", &f.uart.rx), ("uart.tx", &f.uart.tx)];
    let reset = f.reset.iter().map(|r| ("reset.pin", &r.pin));
    for (key, pin) in pins.into_iter().chain(reset) {
        if !token(pin) {
            return range(key, format!("{pin:?}"), "a pin name (`35`, `G2`)".into());
        }
    }
    if f.leds.len() > MAX_LEDS {
        return range("leds", format!("{} LEDs", f.leds.len()), format!("0 to {MAX_LEDS} (led_o is at most 8 bits)"));
    }
    for (i, led) in f.leds.iter().enumerate() {
        if !token(&led.pin) {
            return range(&format!("leds[{i}].pin"), format!("{:?}", led.pin), "a pin name (`11`, `B2`)".into());
        }
    }
    let r = &f.resources;
    for (key, value, hi) in [("resources.lut", r.lut, 10_000_000), ("resources.ff", r.ff, 10_000_000)] {
        if value == 0 || value > hi {
            return range(key, value.to_string(), format!("1 to {hi}"));
        }
    }
    for (key, value) in [("resources.dsp", r.dsp), ("resources.bram", r.bram), ("resources.spram", r.spram)] {
        if value > 100_000 {
            return range(key, value.to_string(), "0 to 100000".into());
        }
    }
    let (dsp_cell, _) = family.dsp_cell();
    if r.dsp_kind != dsp_cell {
        return range(
            "resources.dsp_kind",
            format!("{:?}", r.dsp_kind),
            format!("\"{dsp_cell}\" on {family}, the unit fpga::plan counts DSPs in"),
        );
    }
    if r.bram_kind != family.bram_cell() {
        return range(
            "resources.bram_kind",
            format!("{:?}", r.bram_kind),
            format!("\"{}\" on {family}", family.bram_cell()),
        );
    }
    let bram_kbits = match family {
        Family::Ice40 => 4,
        Family::Ecp5 | Family::Gowin => 18,
    };
    if r.bram_kbits != bram_kbits {
        return range("resources.bram_kbits", r.bram_kbits.to_string(), format!("{bram_kbits} ({})", r.bram_kind));
    }
    match (family, r.spram, r.spram_kbits) {
        (Family::Ice40, 0, 0) | (Family::Ecp5 | Family::Gowin, 0, 0) => {}
        (Family::Ice40, _, 256) => {}
        (Family::Ice40, _, k) => {
            return range("resources.spram_kbits", k.to_string(), "256 (SB_SPRAM256KA), or 0 with no SPRAM".into())
        }
        (_, n, _) => return range("resources.spram", n.to_string(), format!("0: {family} has no SPRAM")),
    }
    let m = &f.main_memory;
    if !m.bytes.is_power_of_two() || !(1024..=1 << 24).contains(&m.bytes) {
        return range("main_memory.bytes", m.bytes.to_string(), "a power of two from 1024 to 16777216".into());
    }
    if m.kind == MemoryKind::Spram {
        let have = r.spram * r.spram_kbits * 1024 / 8;
        if have == 0 {
            return range("main_memory.kind", "\"spram\"".into(), "\"bram\": the device has no SPRAM".into());
        }
        if m.bytes > have {
            return range(
                "main_memory.bytes",
                m.bytes.to_string(),
                format!("at most {have} (the SPRAMs hold {have} bytes)"),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcf_lpf_and_cst_lines_are_read() {
        let pcf = "# c\nset_io clk_i 35\nset_io -nowarn led_o[0] 11 # red\nset_io -pullup yes uart_rx_i 6\n";
        let p = parse_constraints(Family::Ice40, pcf).unwrap();
        assert_eq!(p["clk_i"], "35");
        assert_eq!(p["led_o[0]"], "11");
        assert_eq!(p["uart_rx_i"], "6");
        let lpf = "LOCATE COMP \"clk_i\" SITE \"G2\"; # osc\nIOBUF PORT \"clk_i\" IO_TYPE=LVCMOS33;\n";
        assert_eq!(parse_constraints(Family::Ecp5, lpf).unwrap()["clk_i"], "G2");
        let cst = "// x\nIO_LOC \"clk_i\" 52;\nIO_PORT \"clk_i\" IO_TYPE=LVCMOS33;\n";
        assert_eq!(parse_constraints(Family::Gowin, cst).unwrap()["clk_i"], "52");
        let e = parse_constraints(Family::Ice40, "set_io a 1\nset_io a 2\n").unwrap_err();
        assert!(e.contains("line 2") && e.contains("twice"), "{e}");
        let e = parse_constraints(Family::Ice40, "set_io a\n").unwrap_err();
        assert!(e.contains("line 1"), "{e}");
    }

    #[test]
    fn device_names_read_like_data_sheets() {
        assert_eq!(Board::by_name("icebreaker").unwrap().device_name(), "iCE40 UP5K");
        assert_eq!(Board::by_name("ulx3s").unwrap().device_name(), "ECP5 LFE5U-85F");
        assert_eq!(Board::by_name("tangnano9k").unwrap().device_name(), "Gowin GW1NR-LV9QN88PC6/I5");
        assert_eq!(Board::by_name("orangecrab").unwrap().device_name(), "ECP5 LFE5U-25F");
    }
}
