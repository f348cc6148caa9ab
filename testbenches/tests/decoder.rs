//! The controller's command decoder against `Instr::decode`: the RTL must call exactly
//! the same commands illegal and name the same opcode, for valid encodings, random
//! words, and valid encodings with one bit flipped (reserved bits, flags, zero counts).

use ip_blocks::blocks::decoder::{self, OPS};
use ip_blocks::isa::{opcode, Instr};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rtl_gen::bits::Bits;
use rtl_gen::sim::{Interp, Simulator};
use rtl_gen::Design;

fn op_index(i: &Instr) -> usize {
    match i {
        Instr::ConfigEx { .. } => 0,
        Instr::ConfigLd { .. } => 1,
        Instr::ConfigSt { .. } => 2,
        Instr::Mvin { .. } => 3,
        Instr::Mvout { .. } => 4,
        Instr::Preload { .. } => 5,
        Instr::Compute { .. } => 6,
        Instr::Fence => 7,
    }
}

fn random_words(rng: &mut ChaCha8Rng) -> [u32; 4] {
    const OPCODES: [u8; 9] = [
        opcode::CONFIG_EX,
        opcode::CONFIG_LD,
        opcode::CONFIG_ST,
        opcode::MVIN,
        opcode::MVOUT,
        opcode::PRELOAD,
        opcode::COMPUTE,
        opcode::FENCE,
        0x7f,
    ];
    let mut w: [u32; 4] = [0; 4];
    for x in &mut w {
        // Mostly small or zero words, so that legal commands are common.
        *x = match rng.gen_range(0..4) {
            0 => 0,
            1 => rng.gen_range(0..4),
            2 => rng.gen::<u32>() & 0x8000_ffff,
            _ => rng.gen(),
        };
    }
    w[0] = (w[0] & !0xff) | u32::from(OPCODES[rng.gen_range(0..OPCODES.len())]);
    if rng.gen_bool(0.5) {
        w[0] &= 0xff;
    }
    if rng.gen_bool(0.3) {
        w[3] = (1 << 16) | 1;
    }
    w
}

#[test]
fn rtl_decoder_agrees_with_instr_decode() {
    let mut d = Design::new();
    let top = decoder::build(&mut d, "sc").unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Interp::new(&d, top).expect("interpreter");
    let cmd = sim.port("cmd_i").unwrap();
    let outs: Vec<_> = OPS.iter().map(|n| sim.port(&format!("{n}_o")).unwrap()).collect();
    let illegal = sim.port("illegal_o").unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let (mut legal_seen, mut illegal_seen) = (0, 0);
    for n in 0..30_000 {
        let mut w = random_words(&mut rng);
        if n % 3 == 0 {
            // A valid encoding with one bit flipped.
            if let Ok(i) = Instr::decode(w) {
                let mut v = i.encode();
                let bit = rng.gen_range(8..128);
                v[bit / 32] ^= 1 << (bit % 32);
                w = v;
            }
        }
        let words: Vec<u64> = vec![u64::from(w[0]) | u64::from(w[1]) << 32, u64::from(w[2]) | u64::from(w[3]) << 32];
        sim.poke(cmd, &Bits::from_words(&words, 128)).unwrap();
        let got_illegal = sim.peek(illegal).to_u64() == 1;
        let got_ops: Vec<bool> = outs.iter().map(|p| sim.peek(*p).to_u64() == 1).collect();
        match Instr::decode(w) {
            Ok(i) => {
                legal_seen += 1;
                assert!(!got_illegal, "command {w:08x?} ({i}): RTL says illegal, Instr::decode accepts it");
                let want = op_index(&i);
                for (k, g) in got_ops.iter().enumerate() {
                    assert_eq!(*g, k == want, "command {w:08x?} ({i}): {}_o = {g}", OPS[k]);
                }
            }
            Err(e) => {
                illegal_seen += 1;
                assert!(got_illegal, "command {w:08x?}: RTL accepts it, Instr::decode says {e}");
                assert!(got_ops.iter().all(|g| !g), "command {w:08x?}: an opcode output is high on an illegal command");
            }
        }
    }
    assert!(legal_seen > 2_000 && illegal_seen > 2_000, "coverage: {legal_seen} legal, {illegal_seen} illegal");
}
