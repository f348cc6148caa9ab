//! The scratchpad bank against a Rust model of a simple dual-port RAM (read-before-
//! write, one or two cycles of read latency), on random traffic, on both engines.

use ip_blocks::blocks::scratchpad::{self, ScratchpadParams};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rtl_gen::sim::{Interp, Simulator};
use rtl_gen::{Bits, Design};
use testbenches::lockstep::random_bits;

fn check(sim: &mut dyn Simulator, p: ScratchpadParams, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut model = vec![Bits::zero(p.row_bits); p.rows as usize];
    let (wr_data, rd_data) = (sim.port("wr_data_i").unwrap(), sim.port("rd_data_o").unwrap());
    // The memory's read register, and with a latency of two the output register after it.
    let mut read_q: Option<Bits> = None;
    for cycle in 0..2000 {
        // Hot addresses make reads of the row being written common.
        let pick =
            |rng: &mut ChaCha8Rng| if rng.gen_bool(0.3) { rng.gen_range(0..4) } else { rng.gen_range(0..p.rows) };
        let (we, re) = (rng.gen_bool(0.5), rng.gen_bool(0.6));
        let (wa, ra) = (pick(&mut rng), pick(&mut rng));
        let data = random_bits(&mut rng, p.row_bits);
        sim.set("wr_en_i", we as i64);
        sim.set("wr_addr_i", wa as i64);
        sim.poke(wr_data, &data).unwrap();
        sim.set("rd_en_i", re as i64);
        sim.set("rd_addr_i", ra as i64);
        let read_now = re.then(|| model[ra as usize].clone());
        if we {
            model[wa as usize] = data;
        }
        sim.step();
        let out_q = read_q.clone();
        if let Some(v) = read_now {
            read_q = Some(v);
        }
        let expected = if p.read_latency == 2 { &out_q } else { &read_q };
        if let Some(e) = expected {
            let got = sim.peek(rd_data);
            assert_eq!(&got, e, "cycle {cycle}: rd_data_o expected {e}, got {got}");
        }
    }
}

fn params() -> [ScratchpadParams; 3] {
    [
        ScratchpadParams { rows: 16, row_bits: 32, read_latency: 1 },
        ScratchpadParams { rows: 100, row_bits: 128, read_latency: 1 },
        ScratchpadParams { rows: 16, row_bits: 32, read_latency: 2 },
    ]
}

#[test]
fn scratchpad_bank_matches_ram_model_on_interpreter() {
    for (i, p) in params().into_iter().enumerate() {
        let mut d = Design::new();
        let top = scratchpad::build(&mut d, "sc", p).unwrap();
        check(&mut Interp::new(&d, top).unwrap(), p, i as u64);
    }
}

#[test]
fn scratchpad_bank_matches_ram_model_on_verilator() {
    for (i, p) in params().into_iter().enumerate() {
        let mut d = Design::new();
        let top = scratchpad::build(&mut d, "sc", p).unwrap();
        let model = testbenches::verilate(&d, top).unwrap_or_else(|e| panic!("{e}"));
        check(&mut model.instantiate(), p, i as u64);
    }
}
