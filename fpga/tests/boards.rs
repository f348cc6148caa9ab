//! Board files: the built-in boards parse, agree with their constraint files and with the
//! public constraint files their pins come from; a bad board file is refused with a
//! message naming the file, the key, the value and what is allowed.

use fpga::board::{port, Board, BoardError, Constraints, MemoryKind};
use fpga::Family;

#[test]
fn every_built_in_board_parses_and_places_the_board_top_ports() {
    assert_eq!(Board::names(), ["icebreaker", "ulx3s", "tangnano9k", "orangecrab"]);
    for name in Board::names() {
        let b = Board::by_name(name).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(b.name, name);
        assert!(!b.leds.is_empty() && b.leds.len() <= 8, "{name}");
        let pins = b.expected_pins();
        for p in [port::CLOCK, port::UART_RX, port::UART_TX, port::RESET_N] {
            assert!(pins.contains_key(p), "{name} places {p}");
        }
        let placed = fpga::board::parse_constraints(b.family(), &b.constraints.text).unwrap();
        assert_eq!(placed, pins, "{name}: the constraint file places exactly the board top's ports");
        let (dsp_cell, _) = b.family().dsp_cell();
        assert_eq!(b.resources.dsp_kind, dsp_cell);
        assert_eq!(b.resources.bram_kind, b.family().bram_cell());
    }
}

#[test]
fn icebreaker_facts_match_icestorms_pcf() {
    // YosysHQ/icestorm examples/icebreaker/icebreaker.pcf: CLK 35, RX 6, TX 9, BTN_N 10,
    // LEDR_N 11, LEDG_N 37, LED1..LED5 27 25 21 23 26.
    let b = Board::by_name("icebreaker").unwrap();
    assert_eq!(b.family(), Family::Ice40);
    assert_eq!((b.device.part.as_str(), b.device.package.as_str()), ("up5k", "sg48"));
    assert_eq!((b.clock.pin.as_str(), b.clock.mhz), ("35", 12.0));
    assert_eq!((b.uart.rx.as_str(), b.uart.tx.as_str()), ("6", "9"));
    let reset = b.reset.as_ref().unwrap();
    assert_eq!((reset.pin.as_str(), reset.active_low), ("10", true));
    let leds: Vec<(&str, bool)> = b.leds.iter().map(|l| (l.pin.as_str(), l.active_low)).collect();
    assert_eq!(
        leds,
        [("11", true), ("37", true), ("27", false), ("25", false), ("21", false), ("23", false), ("26", false)]
    );
    let r = &b.resources;
    assert_eq!((r.lut, r.ff, r.dsp, r.bram, r.spram), (5280, 5280, 8, 30, 4));
    assert_eq!((b.main_memory.kind, b.main_memory.bytes), (MemoryKind::Spram, 128 * 1024));
}

#[test]
fn ulx3s_facts_match_the_v20_lpf() {
    // emard/ulx3s doc/constraints/ulx3s_v20.lpf: clk_25mhz G2, ftdi_txd M1, ftdi_rxd L4,
    // led[0..7] B2 C2 C1 D2 D1 E2 E1 H3, btn[0] D6 (BTN_PWRn).
    let b = Board::by_name("ulx3s").unwrap();
    assert_eq!(b.family(), Family::Ecp5);
    assert_eq!(
        (b.device.part.as_str(), b.device.package.as_str(), b.device.speed.as_deref()),
        ("85k", "CABGA381", Some("6"))
    );
    assert_eq!((b.clock.pin.as_str(), b.clock.mhz), ("G2", 25.0));
    assert_eq!((b.uart.rx.as_str(), b.uart.tx.as_str()), ("M1", "L4"));
    assert_eq!(b.reset.as_ref().map(|r| (r.pin.as_str(), r.active_low)), Some(("D6", true)));
    let leds: Vec<&str> = b.leds.iter().map(|l| l.pin.as_str()).collect();
    assert_eq!(leds, ["B2", "C2", "C1", "D2", "D1", "E2", "E1", "H3"]);
    assert!(b.leds.iter().all(|l| !l.active_low));
    assert_eq!((b.resources.dsp, b.resources.bram), (156, 208));
}

#[test]
fn tangnano9k_facts_match_sipeeds_cst() {
    // sipeed/TangNano-9K-example: uart_tx 17, uart_rx 18, clk 52, led[0..5] 10 11 13 14 15
    // 16 (lit low), sys_rst_n 4 (button S1).
    let b = Board::by_name("tangnano9k").unwrap();
    assert_eq!(b.family(), Family::Gowin);
    assert_eq!((b.device.part.as_str(), b.device.chip.as_deref()), ("GW1NR-LV9QN88PC6/I5", Some("GW1N-9C")));
    assert_eq!((b.clock.pin.as_str(), b.clock.mhz), ("52", 27.0));
    assert_eq!((b.uart.rx.as_str(), b.uart.tx.as_str()), ("18", "17"));
    assert_eq!(b.reset.as_ref().map(|r| r.pin.as_str()), Some("4"));
    let leds: Vec<&str> = b.leds.iter().map(|l| l.pin.as_str()).collect();
    assert_eq!(leds, ["10", "11", "13", "14", "15", "16"]);
    assert!(b.leds.iter().all(|l| l.active_low));
    assert_eq!((b.resources.lut, b.resources.ff, b.resources.dsp, b.resources.bram), (8640, 6480, 40, 26));
}

const ICEBREAKER: &str = include_str!("../boards/icebreaker.toml");
const ICEBREAKER_PCF: &str = include_str!("../boards/icebreaker.pcf");

/// The iCEBreaker's board file with `from` replaced by `to`, loaded with its own pcf.
fn edited(from: &str, to: &str) -> Result<Board, BoardError> {
    edited_with(from, to, ICEBREAKER_PCF)
}

fn edited_with(from: &str, to: &str, pcf: &str) -> Result<Board, BoardError> {
    assert!(ICEBREAKER.contains(from), "the board file has no `{from}`");
    let text = ICEBREAKER.replacen(from, to, 1);
    Board::from_toml(&text, "my.toml", |file| Ok(Constraints { file: file.to_string(), text: pcf.to_string() }))
}

/// The error of a board file edited so, which must name `my.toml` and every piece.
fn refused(from: &str, to: &str, pieces: &[&str]) {
    let e = edited(from, to).expect_err(&format!("`{to}` must be refused")).to_string();
    assert!(e.contains("my.toml"), "the file is named: {e}");
    for p in pieces {
        assert!(e.contains(p), "`{p}` in: {e}");
    }
}

#[test]
fn the_unedited_board_file_loads() {
    assert_eq!(
        edited("name = \"icebreaker\"", "name = \"icebreaker\"").unwrap(),
        Board::by_name("icebreaker").unwrap()
    );
}

#[test]
fn bad_board_files_name_the_key_the_value_and_the_range() {
    refused("part = \"up5k\"", "part = \"up9k\"", &["`device.part` = \"up9k\"", "up5k"]);
    refused("package = \"sg48\"", "package = \"\"", &["`device.package`"]);
    refused("part = \"up5k\"", "part = \"up5k\"\nspeed = \"6\"", &["`device.speed`", "no speed grades"]);
    refused("part = \"up5k\"", "part = \"up5k\"\nchip = \"GW1N-9C\"", &["`device.chip`", "Gowin only"]);
    refused("mhz = 12.0", "mhz = 0.0", &["`clock.mhz` = 0", "1 to 500 MHz"]);
    refused("rx = \"6\"", "rx = \"6 7\"", &["`uart.rx` = \"6 7\"", "a pin name"]);
    refused("dsp = 8", "dsp = 200000", &["`resources.dsp` = 200000"]);
    refused("dsp_kind = \"SB_MAC16\"", "dsp_kind = \"DSP48\"", &["`resources.dsp_kind` = \"DSP48\"", "SB_MAC16"]);
    refused("bram_kbits = 4", "bram_kbits = 18", &["`resources.bram_kbits` = 18", "4 (SB_RAM40_4K)"]);
    refused("lut = 5280", "lut = 0", &["`resources.lut` = 0", "1 to"]);
    refused("bytes = 131072", "bytes = 100000", &["`main_memory.bytes` = 100000", "power of two"]);
    refused("bytes = 131072", "bytes = 262144", &["`main_memory.bytes` = 262144", "at most 131072"]);
    refused("name = \"icebreaker\"", "name = \"ice breaker\"", &["`name`"]);
    refused("constraints = \"icebreaker.pcf\"", "constraints = \"../x.pcf\"", &["`constraints`"]);
}

#[test]
fn nine_leds_are_too_many() {
    let more = "[[leds]]\npin = \"2\"\nactive_low = false\n\n".repeat(2);
    refused("[[leds]]\npin = \"26\"", &format!("{more}[[leds]]\npin = \"26\""), &["`leds` = 9 LEDs", "0 to 8"]);
}

#[test]
fn unknown_keys_and_wrong_types_are_named_by_the_toml_reader() {
    refused("mhz = 12.0", "mhz = 12.0\nmegahertz = 12", &["unknown field `megahertz`"]);
    refused("dsp = 8", "dsp = \"eight\"", &["dsp", "invalid type"]);
    refused("family = \"ice40\"", "family = \"xc7\"", &["unknown variant `xc7`", "ice40", "ecp5", "gowin"]);
    refused("kind = \"spram\"", "kind = \"sdram\"", &["unknown variant `sdram`"]);
}

#[test]
fn a_constraint_file_that_disagrees_is_refused_with_both_pins() {
    let moved = ICEBREAKER_PCF.replace("set_io clk_i 35", "set_io clk_i 36");
    let e = edited_with("name", "name", &moved).unwrap_err().to_string();
    assert!(e.contains("icebreaker.pcf") && e.contains("`clk_i` on pin 36") && e.contains("says 35"), "{e}");
    let missing = ICEBREAKER_PCF.replace("set_io uart_tx_o 9\n", "");
    let e = edited_with("name", "name", &missing).unwrap_err().to_string();
    assert!(e.contains("does not place `uart_tx_o`"), "{e}");
    let extra = format!("{ICEBREAKER_PCF}set_io led_o[7] 4\n");
    let e = edited_with("name", "name", &extra).unwrap_err().to_string();
    assert!(e.contains("`led_o[7]`") && e.contains("not a port of the board top"), "{e}");
}

#[test]
fn board_files_load_from_a_folder_with_their_constraint_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.toml");
    std::fs::write(&path, ICEBREAKER).unwrap();
    let e = Board::from_file(&path).unwrap_err().to_string();
    assert!(e.contains("icebreaker.pcf"), "the missing constraint file is named: {e}");
    std::fs::write(dir.path().join("icebreaker.pcf"), ICEBREAKER_PCF).unwrap();
    let b = Board::from_file(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(b, Board::by_name("icebreaker").unwrap());
    let e = Board::from_file(&dir.path().join("none.toml")).unwrap_err().to_string();
    assert!(e.contains("none.toml"), "{e}");
}

#[test]
fn unknown_board_lists_the_boards() {
    let e = Board::by_name("arty").unwrap_err().to_string();
    assert!(e.contains("arty") && e.contains("icebreaker, ulx3s, tangnano9k"), "{e}");
}
