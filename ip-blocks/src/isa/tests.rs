use super::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random_local(rng: &mut ChaCha8Rng, write: bool) -> LocalAddr {
    if rng.gen_bool(0.5) {
        LocalAddr::scratchpad(rng.gen_range(0..=MAX_ROW))
    } else {
        let mut a = LocalAddr::accumulator(rng.gen_range(0..=MAX_ROW));
        if write {
            a.accumulate = rng.gen();
        } else {
            a.raw = rng.gen();
        }
        a
    }
}

fn random_instr(rng: &mut ChaCha8Rng) -> Instr {
    let nz = |rng: &mut ChaCha8Rng| rng.gen_range(1..=u16::MAX);
    match rng.gen_range(0..8) {
        0 => Instr::ConfigEx {
            mode: if rng.gen() { Mode::Os } else { Mode::Ws },
            activation: [Activation::None, Activation::Relu, Activation::Relu6][rng.gen_range(0..3)],
            shift: rng.gen_range(0..32),
            multiplier: rng.gen(),
            relu6_max: rng.gen(),
        },
        1 => Instr::ConfigLd { stride: rng.gen() },
        2 => Instr::ConfigSt { stride: rng.gen() },
        3 => Instr::Mvin { dram: rng.gen(), local: random_local(rng, true), rows: nz(rng), cols: nz(rng) },
        4 => Instr::Mvout { dram: rng.gen(), local: random_local(rng, false), rows: nz(rng), cols: nz(rng) },
        5 => {
            if rng.gen() {
                Instr::Preload { local: LocalAddr::scratchpad(rng.gen_range(0..=MAX_ROW)), rows: nz(rng) }
            } else {
                Instr::Preload { local: LocalAddr::accumulator(rng.gen_range(0..=MAX_ROW)), rows: 1 }
            }
        }
        6 => {
            let mut c = LocalAddr::accumulator(rng.gen_range(0..=MAX_ROW));
            c.accumulate = rng.gen();
            Instr::Compute { a: rng.gen_range(0..=MAX_ROW), b: rng.gen_range(0..=MAX_B_ROW), c, count: nz(rng) }
        }
        _ => Instr::Fence,
    }
}

#[test]
fn every_instruction_round_trips_through_words_and_text() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for _ in 0..20_000 {
        let i = random_instr(&mut rng);
        assert_eq!(Instr::decode(i.encode()), Ok(i), "{i}");
        let text = i.to_string();
        assert_eq!(text.parse::<Instr>(), Ok(i), "{text}");
    }
}

#[test]
fn decoding_random_and_mutated_words_never_panics_and_accepted_words_re_encode() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let mut accepted = 0;
    for n in 0..200_000 {
        let w: [u32; 4] = if n % 2 == 0 {
            rng.gen()
        } else {
            // A valid command with one bit flipped: exercises every field's edge.
            let mut w = random_instr(&mut rng).encode();
            w[rng.gen_range(0..4)] ^= 1 << rng.gen_range(0..32);
            w
        };
        if let Ok(i) = Instr::decode(w) {
            accepted += 1;
            assert_eq!(i.encode(), w, "{i} does not re-encode to the words it came from");
        }
    }
    assert!(accepted > 20_000, "only {accepted} commands were valid");
}

#[test]
fn decode_errors_name_the_problem() {
    let e = Instr::decode([0xff, 0, 0, 0]).unwrap_err();
    assert_eq!(e.to_string(), "illegal opcode 0xff");
    let e = Instr::decode([0x30, 0, 0, 1]).unwrap_err();
    assert_eq!(e.to_string(), "opcode 0x30: reserved bits set in w3: 0x00000001");
    let e = Instr::decode([0x01 | 3 << 9, 0, 0, 0]).unwrap_err();
    assert!(e.to_string().contains("activation = 3"), "{e}");
    let e = Instr::decode([0x10, 0, 0x4000_0000, 0x0001_0001]).unwrap_err();
    assert!(e.to_string().contains("only with the accumulator"), "{e}");
    let e = Instr::decode([0x10, 0, 0, 0x0001_0000]).unwrap_err();
    assert_eq!(e.to_string(), "rows = 0 is not allowed: 1 to 65535");
    let e = Instr::decode([0x21, 0, 0, 1]).unwrap_err();
    assert!(e.to_string().contains("compute output address"), "{e}");
    let e = Instr::decode([0x20, 0, 0x8000_0000, 2]).unwrap_err();
    assert!(e.to_string().contains("one accumulator row"), "{e}");
}

#[test]
fn assembly_programs_parse_with_comments_and_name_bad_lines() {
    let prog = "\
        # a 4x4 tile\n\
        config_ex mode=ws activation=relu shift=7 multiplier=1073741824 relu6_max=0\n\
        config_ld stride=4\n\
        mvin dram=0x100 local=sp[0] rows=4 cols=4   # weights\n\
        mvin dram=0x200 local=sp[4] rows=8 cols=4\n\
        preload local=sp[0] rows=4\n\
        compute a=sp[4] b=sp[0] c=acc[0] count=8\n\
        config_st stride=4\n\
        mvout dram=0x300 local=acc[0] rows=8 cols=4\n\
        fence\n";
    let p = parse_program(prog).unwrap();
    assert_eq!(p.len(), 9);
    assert_eq!(p[5], Instr::Compute { a: 4, b: 0, c: LocalAddr::accumulator(0), count: 8 });
    let e = parse_program("fence\nmvin dram=1 local=sp[0] rows=4\n").unwrap_err();
    assert_eq!(e.0, "line 2: `mvin` needs `cols=`");
    let e = parse_program("mvin dram=1 local=sp[0].raw rows=1 cols=1").unwrap_err();
    assert!(e.0.starts_with("line 1: `sp[0].raw`"), "{}", e.0);
    let e = parse_program("mvout dram=1 local=acc[0].accumulate rows=1 cols=1").unwrap_err();
    assert!(e.0.contains("no accumulate flag"), "{}", e.0);
    let e = parse_program("jump to=0").unwrap_err();
    assert!(e.0.contains("unknown instruction `jump`"), "{}", e.0);
    let e = parse_program("config_ex mode=ws activation=relu shift=32 multiplier=1 relu6_max=0").unwrap_err();
    assert!(e.0.contains("`shift=32` is out of range: 0 to 31"), "{}", e.0);
}
