//! Two simulators of one design, driven with the same random inputs and compared on
//! every output at every cycle: the differential test of the emitter (Verilator runs
//! the emitted Verilog) against the interpreter (which runs the IR).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rtl_gen::sim::{PortDir, Simulator};
use rtl_gen::Bits;
use std::fmt;

/// The first disagreement between the two simulators.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// Clock edges applied before the comparison.
    pub cycle: u64,
    /// The output port.
    pub signal: String,
    /// Value from the reference simulator.
    pub expected: Bits,
    /// Value from the simulator under test.
    pub got: Bits,
    /// Name of the reference simulator.
    pub reference: String,
    /// Name of the simulator under test.
    pub under_test: String,
    /// The inputs applied in this cycle.
    pub inputs: Vec<(String, Bits)>,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "cycle {}: signal `{}`: expected {} ({}), got {} ({})",
            self.cycle, self.signal, self.expected, self.reference, self.got, self.under_test
        )?;
        write!(f, "inputs in that cycle:")?;
        for (n, v) in &self.inputs {
            write!(f, " {n}={v}")?;
        }
        Ok(())
    }
}

/// A random value of `width` bits, biased towards the corners (0, all ones, one bit).
pub fn random_bits(rng: &mut ChaCha8Rng, width: u32) -> Bits {
    let words: Vec<u64> = (0..width.div_ceil(64))
        .map(|_| match rng.gen_range(0..8) {
            0 => 0,
            1 => u64::MAX,
            2 => 1 << rng.gen_range(0..64),
            _ => rng.gen(),
        })
        .collect();
    Bits::from_words(&words, width)
}

/// Drive `reference` and `under_test` with the same random inputs for `cycles` clock
/// edges (reset held for the first two, then pulsed now and then), comparing every
/// output after the inputs settle and after each edge.
pub fn run_lockstep(
    reference: &mut dyn Simulator,
    under_test: &mut dyn Simulator,
    names: (&str, &str),
    cycles: u64,
    seed: u64,
) -> Result<(), Box<Mismatch>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let ports = reference.ports().to_vec();
    assert_eq!(ports, under_test.ports().to_vec(), "the two simulators must have the same ports");
    let compare = |r: &mut dyn Simulator, u: &mut dyn Simulator, inputs: &[(String, Bits)]| {
        for (i, p) in ports.iter().enumerate() {
            if p.dir != PortDir::Output {
                continue;
            }
            let id = rtl_gen::sim::PortId(i);
            let (e, g) = (r.peek(id), u.peek(id));
            if e != g {
                return Err(Box::new(Mismatch {
                    cycle: r.cycle(),
                    signal: p.name.clone(),
                    expected: e,
                    got: g,
                    reference: names.0.to_string(),
                    under_test: names.1.to_string(),
                    inputs: inputs.to_vec(),
                }));
            }
        }
        Ok(())
    };
    for cycle in 0..cycles {
        let mut applied = Vec::new();
        for (i, p) in ports.iter().enumerate() {
            if p.dir != PortDir::Input {
                continue;
            }
            let v = if p.name == "rst_i" {
                Bits::from_u64((cycle < 2 || rng.gen_ratio(1, 40)) as u64, 1)
            } else {
                random_bits(&mut rng, p.width)
            };
            let id = rtl_gen::sim::PortId(i);
            reference.poke(id, &v).expect("ports come from the simulator");
            under_test.poke(id, &v).expect("ports come from the simulator");
            applied.push((p.name.clone(), v));
        }
        compare(reference, under_test, &applied)?;
        reference.step();
        under_test.step();
        compare(reference, under_test, &applied)?;
    }
    Ok(())
}
