use super::*;
use crate::isa::LocalAddr;

#[test]
fn memory_reads_and_writes_little_endian_sign_extended_ints() {
    let mut m = Memory::new(0x100, 32);
    m.write_int(0x100, 4, -2).unwrap();
    assert_eq!(&m.bytes[..4], &[0xfe, 0xff, 0xff, 0xff]);
    assert_eq!(m.read_int(0x100, 4), Ok(-2));
    assert_eq!(m.read_int(0x100, 1), Ok(-2));
    assert_eq!(m.read_int(0x101, 1), Ok(-1));
    m.write_int(0x108, 2, 0x1_8001).unwrap(); // the low 2 bytes: 0x8001
    assert_eq!(m.read_int(0x108, 2), Ok(-32767));
    m.write_int(0x110, 8, i64::MIN).unwrap();
    assert_eq!(m.read_int(0x110, 8), Ok(i64::MIN));
    m.write_ints(0x118, 1, &[1, -1, 127]).unwrap();
    assert_eq!(m.read_ints(0x118, 1, 3), Ok(vec![1, -1, 127]));
    assert_eq!(m.slice(0x118, 2), Ok(&[1u8, 0xff][..]));
    m.slice_mut(0x11f, 1).unwrap()[0] = 9;
    assert_eq!(m.bytes[31], 9);
}

#[test]
fn memory_refuses_accesses_outside_the_image_and_odd_sizes() {
    let mut m = Memory::new(0x100, 16);
    assert!(matches!(m.read_int(0xff, 1), Err(ModelError::OutsideMemory { addr: 0xff, len: 1, .. })));
    assert!(matches!(m.read_int(0x10d, 4), Err(ModelError::OutsideMemory { .. })));
    assert!(m.read_int(0x10c, 4).is_ok());
    assert!(matches!(m.write_int(0x100, 3, 0), Err(ModelError::IntSize { nbytes: 3 })));
    // A failed multi-int write writes nothing.
    assert!(m.write_ints(0x10e, 1, &[1, 2, 3]).is_err());
    assert_eq!(m.bytes[14..], [0, 0]);
    assert!(m.slice(u32::MAX, 2).is_err());
    let e = m.read_int(0x200, 1).unwrap_err().to_string();
    assert!(e.contains("0x200") && e.contains("outside the memory image"), "{e}");
}

#[test]
fn whole_image_window_and_window_checks() {
    let m = Memory::new(0x100, 16);
    assert_eq!(m.window(), Window { base: 0x100, limit: 0x10f });
    assert_eq!(m.check_window(m.window()), Ok(()));
    assert!(m.check_window(Window { base: 0x100, limit: 0x110 }).is_err());
    // An empty window (limit below base) lets nothing through, so it needs no memory.
    assert_eq!(m.check_window(Window { base: 0x200, limit: 0x1ff }), Ok(()));
    let w = Memory::new(0x100, 0).window();
    assert!(!w.covers(0x100, 0x100));
    // The top of the address space.
    let top = Memory::new(u32::MAX - 3, 4);
    assert_eq!(top.window(), Window { base: u32::MAX - 3, limit: u32::MAX });
    assert!(top.window().covers(u64::from(u32::MAX), u64::from(u32::MAX)));
}

#[test]
fn dma_span_does_not_wrap() {
    assert_eq!(dma_span(0x10, 8, 3, 2, 1), (0x10, 0x10 + 16 + 2 - 1));
    assert_eq!(dma_span(0x10, 0, 3, 2, 4), (0x10, 0x10 + 7));
    let (_, last) = dma_span(u32::MAX, u32::MAX, u16::MAX, u16::MAX, 8);
    assert!(last > u64::from(u32::MAX));
}

#[test]
fn undefined_rows_are_described_as_runs() {
    let rows = [(Space::Accumulator, 3), (Space::Scratchpad, 5), (Space::Scratchpad, 4), (Space::Scratchpad, 9)];
    assert_eq!(describe_rows(&rows), ["scratchpad rows 4..=5", "scratchpad row 9", "accumulator row 3"]);
}

#[test]
fn undefined_read_reports_are_capped() {
    let cfg = Config::preset("ice40").unwrap();
    let mut model = Model::new(&cfg);
    let mut mem = Memory::new(0, 64);
    let w = mem.window();
    let mvout = Instr::Mvout { dram: 0, local: LocalAddr::scratchpad(0), rows: 1, cols: 1 }.encode();
    for _ in 0..MAX_UNDEFINED_REPORTS + 10 {
        assert_eq!(model.execute(mvout, &mut mem, w), Ok(()));
    }
    let r = model.undefined_reads();
    assert_eq!(r.len(), MAX_UNDEFINED_REPORTS + 1);
    assert_eq!(r[MAX_UNDEFINED_REPORTS], "... and 10 more commands with undefined reads");
}
