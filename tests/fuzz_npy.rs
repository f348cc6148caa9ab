//! Property-based fuzzing of the `.npy` reader (proptest; see `docs/architecture.md`,
//! "Fuzzing", for why not `cargo fuzz`):
//!
//! - any bytes, and any bytes behind a real `.npy` magic and version: the matrix and
//!   vector readers never panic, and say which file;
//! - a valid file written by the writer, then truncated, or with bytes of its header
//!   changed: never a panic; an accepted file has the shape its header says and as many
//!   values as the shape;
//! - arbitrary headers (dtype, order, shape text): never a panic, and an accepted matrix
//!   has `rows * cols` values.
//!
//! Fixed seed; `SEEDCHIP_FUZZ_CASES=N` runs more cases (`make fuzz`).

use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngSeed};
use seedchip::npy::{matrix_from_bytes, vector_from_bytes, write_matrix};

fn fuzz_config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("SEEDCHIP_FUZZ_CASES").ok().and_then(|v| v.parse::<u32>().ok()).unwrap_or(cases);
    ProptestConfig { cases, rng_seed: RngSeed::Fixed(0x0de1_77a0), ..ProptestConfig::default() }
}

/// Read `bytes` both ways for each element size; an error must name the file.
fn read_all_ways(bytes: &[u8]) {
    for elem in [1u32, 4] {
        match matrix_from_bytes(bytes, "f.npy", "X", elem) {
            Ok(m) => assert_eq!(m.data.len(), m.rows * m.cols, "{m:?}"),
            Err(e) => assert!(format!("{e:#}").contains("f.npy"), "{e:#}"),
        }
        if let Err(e) = vector_from_bytes(bytes, "f.npy", "v", elem) {
            assert!(format!("{e:#}").contains("f.npy"), "{e:#}");
        }
    }
}

/// The bytes `write_matrix` writes for a `rows` x `cols` matrix of `elem`-byte values.
fn written(rows: usize, cols: usize, elem: u32, seed: i64) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.npy");
    let lim = 1i64 << (8 * elem - 1);
    let data: Vec<i64> =
        (0..rows * cols).map(|i| (seed.wrapping_mul(31).wrapping_add(i as i64 * 7919)) % lim).collect();
    write_matrix(&path, rows, cols, &data, elem).unwrap();
    std::fs::read(&path).unwrap()
}

/// A `.npy` v1.0 file with header dictionary `dict` and `payload` bytes after it.
fn with_header(dict: &str, payload: &[u8]) -> Vec<u8> {
    let mut header = dict.to_string();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((header.len() as u16).to_le_bytes());
    out.extend(header.as_bytes());
    out.extend(payload);
    out
}

proptest! {
    #![proptest_config(fuzz_config(2000))]

    #[test]
    fn any_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        read_all_ways(&bytes);
    }

    #[test]
    fn any_bytes_behind_the_magic_never_panic(rest in proptest::collection::vec(any::<u8>(), 0..300), v in 1u8..4) {
        let mut bytes = b"\x93NUMPY".to_vec();
        bytes.extend([v, 0]);
        bytes.extend(rest);
        read_all_ways(&bytes);
    }

    #[test]
    fn truncated_or_damaged_real_files_never_panic(
        rows in 1usize..6, cols in 1usize..6, elem in prop::sample::select(vec![1u32, 4]), seed in any::<i64>(),
        cut in any::<prop::sample::Index>(), flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
    ) {
        let good = written(rows, cols, elem, seed);
        let m = matrix_from_bytes(&good, "f.npy", "X", elem).expect("the writer's file reads back");
        prop_assert_eq!((m.rows, m.cols), (rows, cols));
        read_all_ways(&good[..cut.index(good.len())]);
        let mut bad = good.clone();
        for (i, b) in flips {
            let i = i.index(bad.len());
            bad[i] ^= b;
        }
        read_all_ways(&bad);
    }

    #[test]
    fn arbitrary_headers_never_panic(
        descr in prop::sample::select(vec!["<i1", "|i1", "<i4", ">i4", "<i8", "<f4", "<u1", "|b1", "<i2", "xx", ""]),
        fortran in any::<bool>(),
        shape in prop::sample::select(vec!["()", "(3,)", "(2, 3)", "(2, 3,)", "(0, 4)", "(4294967296, 4294967296)",
            "(1, 1, 1)", "(-1, 2)", "(2,", "2, 3", "(99999999999999999999, 1)", "(3, 'a')"]),
        payload in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let dict = format!("{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}", if fortran { "True" } else { "False" });
        read_all_ways(&with_header(&dict, &payload));
    }
}
