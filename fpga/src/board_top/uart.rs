//! The board's UART, 8N1: a receiver `<name>_board_uart_rx` and a transmitter
//! `<name>_board_uart_tx`, both timed by one divider, `round(clock / baud)` clock cycles
//! per bit ([`UartTiming`]).
//!
//! Receiver (ports `clk_i`, `rst_i`, `rx_i`, `valid_o`, `data_o[7:0]`):
//! - `rx_i` passes a two-flop synchronizer (`rx_meta`, `rx_sync`, reset to the idle 1);
//! - a low synchronized line while idle starts a character; the start bit is sampled
//!   `divider / 2` cycles later (a high line there was a glitch: back to idle), then
//!   every `divider` cycles the eight data bits (least significant first) and the stop
//!   bit, each near the middle of its bit;
//! - a high stop bit gives `valid_o` for one cycle with the byte on `data_o` (the shift
//!   register itself: `data_o` is the byte only while `valid_o` is high); a low one
//!   (framing error) drops the byte. The receiver is idle again from the middle of the
//!   stop bit, so a transmitter up to half a bit fast per character is still followed.
//!
//! Transmitter (ports `clk_i`, `rst_i`, `valid_i`, `data_i[7:0]`, `ready_o`, `tx_o`):
//! `ready_o` is high while idle and in the last cycle of a stop bit; a byte taken with
//! `valid_i` is sent as a start bit, eight data bits (least significant first) and a
//! stop bit, `divider` cycles each, from the register `tx_q` (no glitches on the pin).
//! Back to back, a character is exactly `10 x divider` cycles.

use super::util::bits_for;
use super::BoardError;
use rtl_gen::{CheckErrors, Design, ModuleBuilder, ModuleId};

/// The smallest divider: the receiver samples at `divider / 2`, which needs at least two
/// cycles on each side of the sampling point.
pub const MIN_DIVIDER: u32 = 4;

/// The largest baud-rate error accepted between the divided clock and the baud asked
/// for: two such ends of a link drift by at most 0.4 bit over a character, inside the
/// half bit that mid-bit sampling allows.
pub const MAX_BAUD_ERROR: f64 = 0.02;

/// The divider for a clock and a baud rate, and the baud rate it really gives.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UartTiming {
    /// Clock cycles per bit.
    pub divider: u32,
    /// `clock / divider`.
    pub actual_baud: f64,
    /// `(actual_baud - baud) / baud`: positive when the board is fast.
    pub baud_error: f64,
}

impl UartTiming {
    /// The divider for `clock_hz` and `baud`; refused when it is below [`MIN_DIVIDER`] or
    /// the rate it gives is more than [`MAX_BAUD_ERROR`] off.
    pub fn new(clock_hz: u32, baud: u32) -> Result<UartTiming, BoardError> {
        if baud == 0 || clock_hz == 0 {
            return Err(BoardError::Parameter {
                parameter: if baud == 0 { "baud" } else { "clock_hz" },
                value: "0".into(),
                allowed: "a positive number".into(),
            });
        }
        let divider = ((u64::from(clock_hz) + u64::from(baud) / 2) / u64::from(baud)) as u32;
        if divider < MIN_DIVIDER {
            return Err(BoardError::Parameter {
                parameter: "baud",
                value: baud.to_string(),
                allowed: format!(
                    "at most clock / {MIN_DIVIDER} = {} baud (the receiver samples in the middle of a bit of at least \
                     {MIN_DIVIDER} cycles)",
                    clock_hz / MIN_DIVIDER
                ),
            });
        }
        let actual_baud = f64::from(clock_hz) / f64::from(divider);
        let baud_error = (actual_baud - f64::from(baud)) / f64::from(baud);
        if baud_error.abs() > MAX_BAUD_ERROR {
            return Err(BoardError::BaudError {
                clock_hz,
                baud,
                divider,
                actual_baud,
                error_percent: baud_error * 100.0,
            });
        }
        Ok(UartTiming { divider, actual_baud, baud_error })
    }
}

/// Build the receiver `<prefix>_board_uart_rx`.
pub fn build_rx(design: &mut Design, prefix: &str, divider: u32) -> Result<ModuleId, CheckErrors> {
    let mut m = ModuleBuilder::new(format!("{prefix}_board_uart_rx"));
    m.doc(format!(
        "UART receiver, 8N1, {divider} clock cycles per bit: two-flop synchronizer, start bit \
         checked at mid-bit, data and stop bits sampled every {divider} cycles from there; a byte \
         with a low stop bit is dropped. valid_o pulses for one cycle with data_o."
    ));
    m.param("divider", divider);
    let rx_i = m.input("rx_i", 1);
    let valid_o = m.output("valid_o", 1);
    let data_o = m.output("data_o", 8);

    let meta = m.reg("rx_meta", 1).reset(1).build();
    m.next(meta, rx_i);
    let sync = m.reg("rx_sync", 1).reset(1).build();
    m.next(sync, meta);

    let cw = bits_for(u64::from(divider - 1));
    let busy = m.reg("busy", 1).reset(0).build();
    let count = m.reg("count", cw).reset(0).build();
    // 0: start bit, 1 to 8: data bits, 9: stop bit.
    let bit = m.reg("bit", 4).reset(0).build();
    let shift = m.reg("shift", 8).reset(0).build();
    let valid = m.reg("valid", 1).reset(0).build();

    let idle = m.not(busy);
    let line_low = m.not(sync);
    let start = m.and(idle, line_low);
    let start = m.named("start", start);
    let at_zero = m.eq_const(count, 0);
    let sample = m.and(busy, at_zero);
    let sample = m.named("sample", sample);
    let is_start_bit = m.eq_const(bit, 0);
    let is_stop_bit = m.eq_const(bit, 9);
    let false_start = {
        let a = m.and(sample, is_start_bit);
        m.and(a, sync)
    };
    let stop = m.and(sample, is_stop_bit);
    let byte_done = m.and(stop, sync);
    let byte_done = m.named("byte_done", byte_done);
    let finish = m.or(false_start, stop);

    // busy: set by a start, cleared at a false start or at the stop bit.
    let nfinish = m.not(finish);
    let stay = m.and(busy, nfinish);
    let busy_d = m.or(start, stay);
    m.next(busy, busy_d);
    // count: half a bit to the start bit's middle, then a whole bit per sample.
    let half = m.lit(u64::from(divider / 2 - 1), cw);
    let full = m.lit(u64::from(divider - 1), cw);
    let count_dec = m.dec(count);
    let count_run = m.mux(at_zero, full, count_dec);
    let count_d = m.mux(start, half, count_run);
    m.next(count, count_d);
    let zero4 = m.lit(0, 4);
    let bit_inc = m.inc(bit);
    let bit_run = m.mux(sample, bit_inc, bit);
    let bit_d = m.mux(start, zero4, bit_run);
    m.next(bit, bit_d);
    // Data bits arrive least significant first: shift in from the top.
    let is_data = {
        let not_start = m.not(is_start_bit);
        let not_stop = m.not(is_stop_bit);
        let a = m.and(sample, not_start);
        m.and(a, not_stop)
    };
    let upper = m.slice(shift, 1, 7);
    let sync_e = m.sig(sync.q);
    let shifted = m.concat([sync_e, upper]);
    m.set_enable(shift, is_data);
    m.next(shift, shifted);
    m.next(valid, byte_done);
    m.assign(valid_o, valid);
    // The byte stays in the shift register while valid_o is high: the stop bit does not
    // shift, and the next character's first data bit is one and a half bits away.
    m.assign(data_o, shift);
    design.add(m)
}

/// Build the transmitter `<prefix>_board_uart_tx`.
pub fn build_tx(design: &mut Design, prefix: &str, divider: u32) -> Result<ModuleId, CheckErrors> {
    let mut m = ModuleBuilder::new(format!("{prefix}_board_uart_tx"));
    m.doc(format!(
        "UART transmitter, 8N1, {divider} clock cycles per bit: a byte taken while ready_o is high \
         leaves as start bit, eight data bits (least significant first) and stop bit from the \
         register tx_q; ready_o is high again in the stop bit's last cycle (back to back)."
    ));
    m.param("divider", divider);
    let valid_i = m.input("valid_i", 1);
    let data_i = m.input("data_i", 8);
    let ready_o = m.output("ready_o", 1);
    let tx_o = m.output("tx_o", 1);

    let cw = bits_for(u64::from(divider - 1));
    let busy = m.reg("busy", 1).reset(0).build();
    let count = m.reg("count", cw).reset(0).build();
    // Bits still to send after the one on the line.
    let left = m.reg("left", 4).reset(0).build();
    // The data bits and the stop bit still to send, next one at bit 0.
    let shift = m.reg("shift", 9).reset(0x1FF).build();
    let tx = m.reg("tx", 1).reset(1).build();

    // `count == 0` and `left == 0`, kept in registers of their own (from the next
    // values), so that `ready_o` is one LUT from flip-flops.
    let count_zero = m.reg("count_zero", 1).reset(1).build();
    let left_zero = m.reg("left_zero", 1).reset(1).build();

    let idle = m.not(busy);
    let at_zero = m.sig(count_zero.q);
    let bit_end = m.and(busy, at_zero);
    let bit_end = m.named("bit_end", bit_end);
    let none_left = m.sig(left_zero.q);
    let done = m.and(bit_end, none_left);
    let done = m.named("done", done);
    // Ready while idle and in the last cycle of a stop bit: characters back to back.
    let ready = m.or(idle, done);
    let ready = m.named("ready", ready);
    let take = m.and(valid_i, ready);
    let take = m.named("take", take);
    let next_bit = {
        let more = m.not(none_left);
        m.and(bit_end, more)
    };
    let next_bit = m.named("next_bit", next_bit);

    let ndone = m.not(done);
    let stay = m.and(busy, ndone);
    let busy_d = m.or(take, stay);
    m.next(busy, busy_d);
    let full = m.lit(u64::from(divider - 1), cw);
    let count_dec = m.dec(count);
    let count_run = m.mux(at_zero, full, count_dec);
    let count_d = m.mux(take, full, count_run);
    m.next(count, count_d);
    let z = m.eq_const(count_d, 0);
    m.next(count_zero, z);
    let nine = m.lit(9, 4);
    let left_dec = m.dec(left);
    let left_run = m.mux(next_bit, left_dec, left);
    let left_d = m.mux(take, nine, left_run);
    m.next(left, left_d);
    let z = m.eq_const(left_d, 0);
    m.next(left_zero, z);
    let one = m.lit(1, 1);
    let data_e = m.sig(data_i);
    let loaded = m.concat([one, data_e]);
    let upper = m.slice(shift, 1, 8);
    let shifted = m.concat([one, upper]);
    let shift_run = m.mux(next_bit, shifted, shift);
    let shift_d = m.mux(take, loaded, shift_run);
    m.next(shift, shift_d);
    let zero = m.lit(0, 1);
    let first = m.bit(shift, 0);
    let tx_run = m.mux(next_bit, first, tx);
    let tx_idle = m.mux(done, one, tx_run);
    let tx_d = m.mux(take, zero, tx_idle);
    m.next(tx, tx_d);
    m.assign(tx_o, tx);
    m.assign(ready_o, ready);
    design.add(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divider_rounds_to_the_nearest_cycle() {
        let t = UartTiming::new(12_000_000, 115_200).expect("12 MHz / 115200 is 104.2 cycles a bit");
        assert_eq!(t.divider, 104);
        assert!((t.baud_error - 0.001_603).abs() < 1e-5, "{}", t.baud_error);
        assert_eq!(UartTiming::new(12_000_000, 3_000_000).expect("clock / 4").divider, 4);
    }

    #[test]
    fn baud_error_above_two_percent_is_refused_with_the_numbers() {
        // 1 MHz / 115200 = 8.68: 9 gives 111111 baud, 3.5% slow.
        let e = UartTiming::new(1_000_000, 115_200).unwrap_err().to_string();
        assert!(e.contains("divider 9") && e.contains("-3.5"), "{e}");
        // 10 MHz / 3 Mbaud = 3.3: below the smallest divider.
        let e = UartTiming::new(10_000_000, 3_000_000).unwrap_err().to_string();
        assert!(e.contains("baud") && e.contains("at most"), "{e}");
        // Just inside: 5 cycles for 1.02 x clock / 5.
        assert!(UartTiming::new(10_000_000, 1_960_800).is_ok());
        assert!(UartTiming::new(10_000_000, 1_960_000).is_err());
    }
}
