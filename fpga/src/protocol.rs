//! The UART bridge protocol, described once: the board top's bridge
//! ([`crate::board_top::bridge`]) is generated from these constants and the host runtime
//! ([`crate::runtime`]) encodes and decodes with them. `docs/bridge.md` is its manual.
//!
//! A request is `SYNC, opcode, fields..., crc`; a reply is `REPLY_SYNC, status,
//! payload..., crc`. Multi-byte fields are little-endian. The CRC is CRC-8 with
//! polynomial 0x07 (initial value 0, no reflection, no final XOR), over the opcode and
//! the fields (request) or over the status and the payload (reply). A reply carries a
//! payload only when its status is [`Status::Ok`].
//!
//! ```
//! use fpga::protocol::{crc8, Request};
//! let frame = Request::ReadReg { offset: 0x024 }.encode();
//! assert_eq!(frame, vec![0xA5, 0x04, 0x24, 0x00, crc8(&[0x04, 0x24, 0x00])]);
//! assert_eq!(crc8(b"123456789"), 0xF4); // the CRC-8 check value
//! ```

use std::fmt;

/// First byte of every request.
pub const SYNC: u8 = 0xA5;
/// First byte of every reply.
pub const REPLY_SYNC: u8 = 0x5A;
/// Protocol version, returned by [`Request::Info`].
pub const VERSION: u8 = 1;
/// The most payload bytes one [`Request::WriteMem`] may carry: the bridge buffers them
/// until the CRC has been checked (one block RAM of 256 x 8 bits).
pub const MAX_WRITE: usize = 256;
/// Bytes of the [`Request::Info`] reply payload.
pub const INFO_BYTES: usize = 11;
/// Register offsets the AXI4-Lite master can reach: `0..REG_SPACE`, multiples of 4.
pub const REG_SPACE: u32 = 1 << 12;

/// A request's opcode (its second byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Opcode {
    /// `addr: u32, len: u16, data[len]`: write main memory (1 to [`MAX_WRITE`] bytes).
    WriteMem = 0x01,
    /// `addr: u32, len: u16`: read main memory (1 to 65535 bytes).
    ReadMem = 0x02,
    /// `offset: u16, value: u32`: write an accelerator register.
    WriteReg = 0x03,
    /// `offset: u16`: read an accelerator register.
    ReadReg = 0x04,
    /// No fields: hold the accelerator (and its memory port) in reset for a few cycles.
    Reset = 0x05,
    /// No fields: the board's parameters ([`BoardInfo`]).
    Info = 0x06,
}

impl Opcode {
    /// Every opcode, in numeric order.
    pub const ALL: [Opcode; 6] =
        [Opcode::WriteMem, Opcode::ReadMem, Opcode::WriteReg, Opcode::ReadReg, Opcode::Reset, Opcode::Info];

    /// Field bytes between the opcode and the payload (or the CRC).
    pub fn field_bytes(self) -> usize {
        match self {
            Opcode::WriteMem | Opcode::ReadMem | Opcode::WriteReg => 6,
            Opcode::ReadReg => 2,
            Opcode::Reset | Opcode::Info => 0,
        }
    }

    /// The opcode of a byte, if it is one.
    pub fn from_byte(b: u8) -> Option<Opcode> {
        Opcode::ALL.into_iter().find(|o| *o as u8 == b)
    }
}

/// A reply's status byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Status {
    /// Done; the payload follows.
    Ok = 0,
    /// The request's CRC did not match: nothing was done.
    BadCrc = 1,
    /// Unknown opcode: nothing was done.
    BadCommand = 2,
    /// Address or length outside main memory, a length of 0 or above [`MAX_WRITE`], or
    /// a register offset outside the register space or not a multiple of 4.
    BadRange = 3,
    /// The accelerator answered the register access with SLVERR.
    BusError = 4,
    /// The register access was not accepted in time (a `CMD3` write while the command
    /// queue stays full): the accelerator was reset to end it.
    RegTimeout = 5,
    /// The line went quiet in the middle of a request: nothing was done.
    FrameTimeout = 6,
}

impl Status {
    /// Every status, in numeric order.
    pub const ALL: [Status; 7] = [
        Status::Ok,
        Status::BadCrc,
        Status::BadCommand,
        Status::BadRange,
        Status::BusError,
        Status::RegTimeout,
        Status::FrameTimeout,
    ];

    /// The status of a byte, if it is one.
    pub fn from_byte(b: u8) -> Option<Status> {
        Status::ALL.into_iter().find(|s| *s as u8 == b)
    }

    /// What the status means, for error messages.
    pub fn meaning(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::BadCrc => "the board saw a CRC mismatch (the request was corrupted on the line)",
            Status::BadCommand => "the board does not know the opcode",
            Status::BadRange => "address, length or register offset out of range",
            Status::BusError => "the accelerator answered the register access with SLVERR",
            Status::RegTimeout => "the register access was not accepted in time; the accelerator was reset",
            Status::FrameTimeout => "the line went quiet in the middle of the request",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "status {} ({})", *self as u8, self.meaning())
    }
}

/// One step of CRC-8 (polynomial 0x07): the CRC after `byte`, from `crc`.
pub fn crc8_update(crc: u8, byte: u8) -> u8 {
    let mut c = crc ^ byte;
    for _ in 0..8 {
        c = if c & 0x80 != 0 { (c << 1) ^ 0x07 } else { c << 1 };
    }
    c
}

/// CRC-8 (polynomial 0x07, initial value 0) of `bytes`.
pub fn crc8(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0, |c, b| crc8_update(c, *b))
}

/// A request from the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Write `data` (1 to [`MAX_WRITE`] bytes) at `addr`.
    WriteMem {
        /// First byte address.
        addr: u32,
        /// The bytes.
        data: Vec<u8>,
    },
    /// Read `len` bytes at `addr`.
    ReadMem {
        /// First byte address.
        addr: u32,
        /// Bytes to read.
        len: u16,
    },
    /// Write `value` to the register at `offset`.
    WriteReg {
        /// Byte offset in the register map.
        offset: u16,
        /// The value.
        value: u32,
    },
    /// Read the register at `offset`.
    ReadReg {
        /// Byte offset in the register map.
        offset: u16,
    },
    /// Reset the accelerator.
    Reset,
    /// Ask for the board's parameters.
    Info,
}

impl Request {
    /// The opcode.
    pub fn opcode(&self) -> Opcode {
        match self {
            Request::WriteMem { .. } => Opcode::WriteMem,
            Request::ReadMem { .. } => Opcode::ReadMem,
            Request::WriteReg { .. } => Opcode::WriteReg,
            Request::ReadReg { .. } => Opcode::ReadReg,
            Request::Reset => Opcode::Reset,
            Request::Info => Opcode::Info,
        }
    }

    /// The whole frame: sync, opcode, fields, payload, CRC. A `WriteMem` longer than
    /// 65535 bytes is encoded with its length truncated (the board refuses it anyway
    /// above [`MAX_WRITE`]); the runtime never sends one.
    pub fn encode(&self) -> Vec<u8> {
        let mut body = vec![self.opcode() as u8];
        match self {
            Request::WriteMem { addr, data } => {
                body.extend(addr.to_le_bytes());
                body.extend((data.len() as u16).to_le_bytes());
                body.extend(data);
            }
            Request::ReadMem { addr, len } => {
                body.extend(addr.to_le_bytes());
                body.extend(len.to_le_bytes());
            }
            Request::WriteReg { offset, value } => {
                body.extend(offset.to_le_bytes());
                body.extend(value.to_le_bytes());
            }
            Request::ReadReg { offset } => body.extend(offset.to_le_bytes()),
            Request::Reset | Request::Info => {}
        }
        let crc = crc8(&body);
        let mut frame = Vec::with_capacity(body.len() + 2);
        frame.push(SYNC);
        frame.extend(body);
        frame.push(crc);
        frame
    }

    /// Payload bytes of a successful reply.
    pub fn reply_payload_bytes(&self) -> usize {
        match self {
            Request::ReadMem { len, .. } => usize::from(*len),
            Request::ReadReg { .. } => 4,
            Request::Info => INFO_BYTES,
            _ => 0,
        }
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Request::WriteMem { addr, data } => write!(f, "write of {} bytes to memory at {addr:#010x}", data.len()),
            Request::ReadMem { addr, len } => write!(f, "read of {len} bytes of memory at {addr:#010x}"),
            Request::WriteReg { offset, value } => write!(f, "write of {value:#010x} to register {offset:#05x}"),
            Request::ReadReg { offset } => write!(f, "read of register {offset:#05x}"),
            Request::Reset => f.write_str("accelerator reset"),
            Request::Info => f.write_str("board information request"),
        }
    }
}

/// The board's parameters, from a [`Request::Info`] reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoardInfo {
    /// Protocol version ([`VERSION`]).
    pub version: u8,
    /// Most bytes one memory write may carry.
    pub max_write: u16,
    /// Bytes of main memory, from address 0.
    pub mem_bytes: u32,
    /// The board clock in Hz.
    pub clock_hz: u32,
}

impl BoardInfo {
    /// The payload bytes of the reply: version, max_write, mem_bytes, clock_hz.
    pub fn to_bytes(&self) -> [u8; INFO_BYTES] {
        let mut b = [0u8; INFO_BYTES];
        b[0] = self.version;
        b[1..3].copy_from_slice(&self.max_write.to_le_bytes());
        b[3..7].copy_from_slice(&self.mem_bytes.to_le_bytes());
        b[7..11].copy_from_slice(&self.clock_hz.to_le_bytes());
        b
    }

    /// Decode a reply payload; `None` when it is not [`INFO_BYTES`] long.
    pub fn from_bytes(b: &[u8]) -> Option<BoardInfo> {
        if b.len() != INFO_BYTES {
            return None;
        }
        let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        Some(BoardInfo { version: b[0], max_write: u16_at(1), mem_bytes: u32_at(3), clock_hz: u32_at(7) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc8_matches_the_catalogue_check_value() {
        // CRC-8 (poly 0x07, init 0, no reflection, no xorout): check value 0xF4.
        assert_eq!(crc8(b"123456789"), 0xF4);
        assert_eq!(crc8(&[]), 0);
    }

    #[test]
    fn crc8_catches_every_single_bit_flip_of_a_frame() {
        let frame = Request::WriteMem { addr: 0x1234, data: (0..=255u8).collect() }.encode();
        let body = &frame[1..frame.len() - 1];
        let crc = frame[frame.len() - 1];
        for i in 0..body.len() * 8 {
            let mut b = body.to_vec();
            b[i / 8] ^= 1 << (i % 8);
            assert_ne!(crc8(&b), crc, "bit {i} flipped unnoticed");
        }
    }

    #[test]
    fn frames_have_the_documented_layout() {
        let f = Request::WriteMem { addr: 0x0403_0201, data: vec![0xAA, 0xBB] }.encode();
        assert_eq!(&f[..10], &[0xA5, 0x01, 0x01, 0x02, 0x03, 0x04, 0x02, 0x00, 0xAA, 0xBB]);
        assert_eq!(f[10], crc8(&f[1..10]));
        let f = Request::WriteReg { offset: 0x50, value: 0xDEAD_BEEF }.encode();
        assert_eq!(&f[..8], &[0xA5, 0x03, 0x50, 0x00, 0xEF, 0xBE, 0xAD, 0xDE]);
        assert_eq!(Request::Reset.encode(), vec![0xA5, 0x05, crc8(&[0x05])]);
        for op in Opcode::ALL {
            assert_eq!(Opcode::from_byte(op as u8), Some(op));
        }
        assert_eq!(Opcode::from_byte(0x00), None);
        assert_eq!(Opcode::from_byte(0x07), None);
    }

    #[test]
    fn board_info_round_trips() {
        let i = BoardInfo { version: VERSION, max_write: 256, mem_bytes: 65536, clock_hz: 12_000_000 };
        assert_eq!(BoardInfo::from_bytes(&i.to_bytes()), Some(i));
        assert_eq!(BoardInfo::from_bytes(&[0; 3]), None);
    }
}
