//! Property-based fuzzing of the instruction decoder and the assembler (proptest; see
//! `docs/architecture.md`, "Fuzzing", for why not `cargo fuzz`):
//!
//! - any 128-bit command (four 32-bit words, or two 64-bit halves), uniformly random,
//!   biased towards real opcodes and edge values, or a valid command with one to three
//!   bits flipped: `Instr::decode` never panics, and a command it accepts re-encodes to
//!   exactly the same words and survives its assembly text;
//! - any 32-bit local address word: `LocalAddr::decode` never panics and re-encodes;
//! - valid instructions: `decode(encode(x)) == x`, and through the assembly text;
//! - instructions with arbitrary field values (out of range included): `decode(encode(x))`
//!   is a rejection or an instruction with the same encoding, never another command;
//! - arbitrary text and mutated assembly: the assembler never panics, and what it
//!   accepts decodes.
//!
//! Fixed seed; `SEEDCHIP_FUZZ_CASES=N` runs more cases (`make fuzz`), proptest's
//! `PROPTEST_RNG_SEED=S` another seed.

use ip_blocks::isa::{opcode, parse_program, Instr, LocalAddr, Mode, Space, MAX_B_ROW, MAX_ROW};
use ip_blocks::quant::Activation;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngSeed};

/// Fixed seed and `cases` cases, or `$SEEDCHIP_FUZZ_CASES` (`make fuzz`). proptest's own
/// `PROPTEST_CASES` and `PROPTEST_RNG_SEED`, when set, override both.
fn fuzz_config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("SEEDCHIP_FUZZ_CASES").ok().and_then(|v| v.parse::<u32>().ok()).unwrap_or(cases);
    ProptestConfig { cases, rng_seed: RngSeed::Fixed(0x15a_dec0), ..ProptestConfig::default() }
}

const OPCODES: [u8; 8] = [
    opcode::CONFIG_EX,
    opcode::CONFIG_LD,
    opcode::CONFIG_ST,
    opcode::MVIN,
    opcode::MVOUT,
    opcode::PRELOAD,
    opcode::COMPUTE,
    opcode::FENCE,
];

/// A 32-bit word biased towards the values that sit on field edges.
fn edgy_word() -> impl Strategy<Value = u32> {
    prop_oneof![
        3 => any::<u32>(),
        1 => prop::sample::select(vec![0, 1, u32::MAX, 0xffff, 0x1_0000, 0x8000_0000, 0x4000_0000, 0x2000_0000,
            MAX_ROW, MAX_ROW + 1, 0xe000_0000, 0xffff_0000]),
        1 => (0u32..32).prop_map(|b| 1 << b),
        1 => 0u32..0x20,
    ]
}

/// Four command words whose opcode is usually a real one.
fn command() -> impl Strategy<Value = [u32; 4]> {
    (
        prop_oneof![4 => prop::sample::select(OPCODES.to_vec()), 1 => any::<u8>()],
        edgy_word(),
        edgy_word(),
        edgy_word(),
        edgy_word(),
    )
        .prop_map(|(op, w0, w1, w2, w3)| [(w0 & !0xff) | u32::from(op), w1, w2, w3])
}

/// Accepted commands must re-encode to the same words and read back from their text.
fn check_words(w: [u32; 4]) -> Result<(), TestCaseError> {
    if let Ok(i) = Instr::decode(w) {
        prop_assert_eq!(i.encode(), w, "{} does not re-encode to the words it came from", i);
        let text = i.to_string();
        prop_assert_eq!(text.parse::<Instr>(), Ok(i), "assembly `{}`", text);
    }
    Ok(())
}

fn local(write: bool) -> impl Strategy<Value = LocalAddr> {
    (any::<bool>(), 0..=MAX_ROW, any::<bool>()).prop_map(move |(acc, row, flag)| {
        if acc {
            let mut a = LocalAddr::accumulator(row);
            if write {
                a.accumulate = flag;
            } else {
                a.raw = flag;
            }
            a
        } else {
            LocalAddr::scratchpad(row)
        }
    })
}

fn activation() -> impl Strategy<Value = Activation> {
    prop::sample::select(vec![Activation::None, Activation::Relu, Activation::Relu6])
}

/// A valid instruction (every field in its range).
fn valid_instr() -> impl Strategy<Value = Instr> {
    let mode = prop::sample::select(vec![Mode::Ws, Mode::Os]);
    prop_oneof![
        (mode, activation(), 0u8..32, any::<i32>(), any::<i16>()).prop_map(
            |(mode, activation, shift, multiplier, relu6_max)| {
                Instr::ConfigEx { mode, activation, shift, multiplier, relu6_max }
            }
        ),
        any::<u32>().prop_map(|stride| Instr::ConfigLd { stride }),
        any::<u32>().prop_map(|stride| Instr::ConfigSt { stride }),
        (any::<u32>(), local(true), 1u16.., 1u16..).prop_map(|(dram, local, rows, cols)| Instr::Mvin {
            dram,
            local,
            rows,
            cols
        }),
        (any::<u32>(), local(false), 1u16.., 1u16..).prop_map(|(dram, local, rows, cols)| Instr::Mvout {
            dram,
            local,
            rows,
            cols
        }),
        (0..=MAX_ROW, 1u16..).prop_map(|(row, rows)| Instr::Preload { local: LocalAddr::scratchpad(row), rows }),
        (0..=MAX_ROW).prop_map(|row| Instr::Preload { local: LocalAddr::accumulator(row), rows: 1 }),
        (0..=MAX_ROW, 0..=MAX_B_ROW, 0..=MAX_ROW, any::<bool>(), 1u16..).prop_map(|(a, b, row, acc, count)| {
            Instr::Compute { a, b, c: LocalAddr { accumulate: acc, ..LocalAddr::accumulator(row) }, count }
        }),
        Just(Instr::Fence),
    ]
}

/// Any local address value, flags and rows out of range included.
fn any_local() -> impl Strategy<Value = LocalAddr> {
    (any::<bool>(), any::<u32>(), any::<bool>(), any::<bool>()).prop_map(|(acc, row, accumulate, raw)| LocalAddr {
        space: if acc { Space::Accumulator } else { Space::Scratchpad },
        row,
        accumulate,
        raw,
    })
}

/// An instruction with arbitrary field values: zero counts, rows past 2^29, shifts past
/// 31, flags where they mean nothing.
fn any_instr() -> impl Strategy<Value = Instr> {
    let mode = prop::sample::select(vec![Mode::Ws, Mode::Os]);
    prop_oneof![
        (mode, activation(), any::<u8>(), any::<i32>(), any::<i16>()).prop_map(
            |(mode, activation, shift, multiplier, relu6_max)| {
                Instr::ConfigEx { mode, activation, shift, multiplier, relu6_max }
            }
        ),
        (any::<u32>(), any_local(), any::<u16>(), any::<u16>()).prop_map(|(dram, local, rows, cols)| Instr::Mvin {
            dram,
            local,
            rows,
            cols
        }),
        (any::<u32>(), any_local(), any::<u16>(), any::<u16>()).prop_map(|(dram, local, rows, cols)| Instr::Mvout {
            dram,
            local,
            rows,
            cols
        }),
        (any_local(), any::<u16>()).prop_map(|(local, rows)| Instr::Preload { local, rows }),
        (any::<u32>(), any::<u32>(), any_local(), any::<u16>()).prop_map(|(a, b, c, count)| Instr::Compute {
            a,
            b,
            c,
            count
        }),
    ]
}

/// The fields of `i` are within what the encoding can hold (so a decode that accepts
/// must give `i` back, not merely the same words).
fn representable(i: &Instr) -> bool {
    let local_ok = |l: &LocalAddr| l.row <= MAX_ROW;
    match i {
        Instr::ConfigEx { shift, .. } => *shift < 32,
        Instr::Mvin { local, .. } | Instr::Mvout { local, .. } | Instr::Preload { local, .. } => local_ok(local),
        Instr::Compute { b, c, .. } => *b <= MAX_B_ROW && local_ok(c),
        _ => true,
    }
}

/// Delete a character (`None`), or put any character, or one the assembly uses, there.
fn edit() -> impl Strategy<Value = Option<char>> {
    prop_oneof![
        Just(None),
        any::<char>().prop_map(Some),
        prop::sample::select("0123456789abcxz=[]. _-".chars().collect::<Vec<_>>()).prop_map(Some)
    ]
}

proptest! {
    #![proptest_config(fuzz_config(20_000))]

    #[test]
    fn any_four_words_decode_without_panic_and_accepted_ones_re_encode(w in any::<[u32; 4]>()) {
        check_words(w)?;
    }

    #[test]
    fn any_two_64_bit_halves_decode_without_panic(h in any::<[u64; 2]>()) {
        check_words([h[0] as u32, (h[0] >> 32) as u32, h[1] as u32, (h[1] >> 32) as u32])?;
    }

    #[test]
    fn commands_near_real_ones_decode_without_panic_and_re_encode(w in command()) {
        check_words(w)?;
    }

    #[test]
    fn valid_commands_with_bits_flipped_decode_without_panic_and_re_encode(
        i in valid_instr(),
        flips in prop::collection::vec((0usize..4, 0u32..32), 1..4),
    ) {
        let mut w = i.encode();
        for (word, bit) in flips {
            w[word] ^= 1 << bit;
        }
        check_words(w)?;
    }

    #[test]
    fn any_local_address_word_decodes_without_panic_and_re_encodes(w in any::<u32>()) {
        if let Ok(a) = LocalAddr::decode(w) {
            prop_assert_eq!(a.encode(), w);
            prop_assert!(a.space == Space::Accumulator || !(a.accumulate || a.raw));
        }
    }

    #[test]
    fn valid_instructions_round_trip_through_words_and_text(i in valid_instr()) {
        prop_assert_eq!(Instr::decode(i.encode()), Ok(i));
        prop_assert_eq!(i.to_string().parse::<Instr>(), Ok(i));
    }

    #[test]
    fn arbitrary_instructions_decode_to_themselves_or_are_rejected(i in any_instr()) {
        if let Ok(j) = Instr::decode(i.encode()) {
            prop_assert_eq!(j.encode(), i.encode());
            if representable(&i) {
                prop_assert_eq!(j, i);
            }
        }
    }

    #[test]
    fn arbitrary_text_never_panics_the_assembler(text in any::<String>()) {
        if let Ok(p) = parse_program(&text) {
            for i in p {
                prop_assert_eq!(Instr::decode(i.encode()), Ok(i));
            }
        }
    }

    #[test]
    fn mutated_assembly_never_panics_and_what_is_accepted_decodes(
        i in valid_instr(),
        at in any::<prop::sample::Index>(),
        edit in edit(),
    ) {
        let mut chars: Vec<char> = i.to_string().chars().collect();
        let k = at.index(chars.len());
        match edit {
            None => { chars.remove(k); }
            Some(c) => chars[k] = c,
        }
        let text: String = chars.into_iter().collect();
        if let Ok(j) = text.parse::<Instr>() {
            prop_assert_eq!(Instr::decode(j.encode()), Ok(j), "`{}`", text);
        }
    }
}
