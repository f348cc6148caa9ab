//! A small VCD (IEEE 1364 value change dump) writer, for the waveform a failing
//! co-simulation leaves behind. GTKWave and Surfer open it.
//!
//! ```
//! use rtl_gen::Bits;
//! use testbenches::vcd::Vcd;
//! let mut vcd = Vcd::new("top", &[("count_o".to_string(), 8), ("valid_o".to_string(), 1)]);
//! vcd.sample(0, &[Bits::from_u64(1, 8), Bits::from_u64(0, 1)]);
//! vcd.sample(1, &[Bits::from_u64(2, 8), Bits::from_u64(0, 1)]);
//! let text = vcd.finish();
//! assert!(text.contains("$var wire 8 ! count_o $end"));
//! assert!(text.contains("#1\nb00000010 !"));
//! ```

use rtl_gen::Bits;
use std::fmt::Write;

/// A value change dump being recorded.
pub struct Vcd {
    text: String,
    ids: Vec<String>,
    widths: Vec<u32>,
    last: Vec<Option<Bits>>,
}

/// The short identifier of signal `i` (printable ASCII from `!`).
fn id(mut i: usize) -> String {
    let mut s = String::new();
    loop {
        s.push(char::from(b'!' + (i % 94) as u8));
        i /= 94;
        if i == 0 {
            return s;
        }
        i -= 1;
    }
}

impl Vcd {
    /// A dump of the signals `(name, width)` under a scope named `scope`. Names with
    /// dots become nested scopes' signals as written (`controller.ldq_count_q`).
    pub fn new(scope: &str, signals: &[(String, u32)]) -> Vcd {
        let mut text = String::new();
        text.push_str("$date SeedChip co-simulation $end\n$version SeedChip testbenches $end\n$timescale 1ns $end\n");
        let _ = writeln!(text, "$scope module {scope} $end");
        let mut ids = Vec::new();
        for (i, (name, w)) in signals.iter().enumerate() {
            let name = name.replace('.', "__");
            let _ = writeln!(text, "$var wire {w} {} {name} $end", id(i));
            ids.push(id(i));
        }
        text.push_str("$upscope $end\n$enddefinitions $end\n");
        Vcd { text, ids, widths: signals.iter().map(|s| s.1).collect(), last: vec![None; signals.len()] }
    }

    /// The values at clock cycle `time` (one per signal, in order); only changes are
    /// written.
    pub fn sample(&mut self, time: u64, values: &[Bits]) {
        let mut stamp = false;
        for (i, v) in values.iter().enumerate() {
            if self.last[i].as_ref() == Some(v) {
                continue;
            }
            if !stamp {
                let _ = writeln!(self.text, "#{time}");
                stamp = true;
            }
            if self.widths[i] == 1 {
                let _ = writeln!(self.text, "{}{}", u8::from(v.bit(0)), self.ids[i]);
            } else {
                let bits: String = (0..self.widths[i]).rev().map(|b| if v.bit(b) { '1' } else { '0' }).collect();
                let _ = writeln!(self.text, "b{bits} {}", self.ids[i]);
            }
            self.last[i] = Some(v.clone());
        }
    }

    /// The whole dump.
    pub fn finish(self) -> String {
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_printable() {
        let all: std::collections::HashSet<String> = (0..10_000).map(id).collect();
        assert_eq!(all.len(), 10_000);
        assert!(all.iter().all(|s| s.bytes().all(|b| (b'!'..=b'~').contains(&b))));
    }

    #[test]
    fn only_changes_are_written() {
        let mut v = Vcd::new("t", &[("a".into(), 1)]);
        v.sample(0, &[Bits::from_u64(1, 1)]);
        v.sample(1, &[Bits::from_u64(1, 1)]);
        v.sample(2, &[Bits::from_u64(0, 1)]);
        let t = v.finish();
        assert!(t.contains("#0\n1!") && !t.contains("#1") && t.contains("#2\n0!"), "{t}");
    }
}
