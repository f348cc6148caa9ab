//! The host side of the UART bridge: a byte [`Link`] to the board (a serial port, or a
//! simulated UART on the board top's RTL), the [`Bridge`] that speaks
//! [`crate::protocol`] over it, and [`run_program`], which runs an accelerator program
//! on the board from a memory image, as the co-simulation does on the RTL.
//!
//! ```
//! use fpga::protocol::{crc8, Status, REPLY_SYNC};
//! use fpga::runtime::{Bridge, BridgeOptions, Link, LinkError};
//! use std::collections::VecDeque;
//! use std::time::Duration;
//!
//! /// A board that answers every request with one canned reply.
//! struct Canned(VecDeque<u8>);
//! impl Link for Canned {
//!     fn send(&mut self, _bytes: &[u8]) -> Result<(), LinkError> { Ok(()) }
//!     fn recv(&mut self, n: usize, idle: Duration) -> Result<Vec<u8>, LinkError> {
//!         if self.0.len() < n {
//!             return Err(LinkError::Timeout { wanted: n, got: self.0.drain(..).collect(), idle });
//!         }
//!         Ok(self.0.drain(..n).collect())
//!     }
//! }
//! let value = 0x5345_4544u32.to_le_bytes();
//! let mut reply = vec![REPLY_SYNC, Status::Ok as u8];
//! reply.extend(value);
//! reply.push(crc8(&reply[1..]));
//! let mut bridge = Bridge::new(Canned(reply.into()), BridgeOptions::default());
//! assert_eq!(bridge.read_reg(0x000).expect("the canned reply is good"), 0x5345_4544);
//! ```

mod link;
mod program;
mod serial;
mod sim_link;

pub use link::{Link, LinkError};
pub use program::{run_program, Counters, RunError, RunResult};
pub use serial::SerialLink;
pub use sim_link::{SimUartLink, SimUartOptions};

use crate::protocol::{crc8, BoardInfo, Request, Status, MAX_WRITE, REPLY_SYNC};
use std::time::Duration;
use thiserror::Error;

/// How the [`Bridge`] waits and retries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BridgeOptions {
    /// The longest silence accepted while a reply is expected. It must cover the
    /// board's register timeout (a `CMD3` write waits while the command queue is full)
    /// and its frame timeout (error replies come after that much quiet).
    pub reply_timeout: Duration,
    /// Quiet time that resynchronizes after an error: longer than the board's frame
    /// timeout, so that the board has given up on any half-received frame and sent
    /// whatever reply it had.
    pub resync_quiet: Duration,
    /// Bytes per memory read request (1 to 65535).
    pub read_chunk: usize,
    /// Retries of a memory read or write whose request or reply was damaged on the
    /// line. Register accesses are never retried: writing `CMD3` twice would push a
    /// command twice.
    pub retries: u32,
}

impl Default for BridgeOptions {
    fn default() -> Self {
        BridgeOptions {
            reply_timeout: Duration::from_secs(2),
            resync_quiet: Duration::from_millis(50),
            read_chunk: 1024,
            retries: 2,
        }
    }
}

/// A bridge request that failed; every variant names the request.
#[derive(Debug, Error)]
pub enum BridgeError {
    /// The link failed or the board did not answer in time.
    #[error("{request}: {source}")]
    Link {
        /// What was being done.
        request: String,
        /// Why it failed.
        source: LinkError,
    },
    /// The board answered with an error status.
    #[error("{request}: the board answered {status}")]
    Status {
        /// What was being done.
        request: String,
        /// The status.
        status: Status,
    },
    /// The reply was malformed (damaged on the line).
    #[error("{request}: bad reply: {why}")]
    Reply {
        /// What was being done.
        request: String,
        /// What was wrong.
        why: String,
    },
    /// The request cannot be made (outside the board's memory, say).
    #[error("{request}: {why}")]
    Usage {
        /// What was being asked.
        request: String,
        /// Why it cannot be done.
        why: String,
    },
}

impl BridgeError {
    /// The board's status, when it answered with an error.
    pub fn status(&self) -> Option<Status> {
        match self {
            BridgeError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True when the request or reply was damaged on the way (a retry may succeed).
    fn transient(&self) -> bool {
        matches!(
            self,
            BridgeError::Link { source: LinkError::Timeout { .. }, .. }
                | BridgeError::Reply { .. }
                | BridgeError::Status { status: Status::BadCrc | Status::FrameTimeout, .. }
        )
    }
}

/// Counts of what went over the link.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BridgeStats {
    /// Requests sent (retries included).
    pub requests: u64,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Bytes received.
    pub bytes_received: u64,
    /// Requests retried.
    pub retries: u64,
}

/// The host end of the UART bridge.
pub struct Bridge<L: Link> {
    link: L,
    opts: BridgeOptions,
    info: Option<BoardInfo>,
    stats: BridgeStats,
}

impl<L: Link> Bridge<L> {
    /// A bridge over `link`.
    pub fn new(link: L, opts: BridgeOptions) -> Self {
        Bridge { link, opts, info: None, stats: BridgeStats::default() }
    }

    /// The link (to send raw bytes in a test, or to reach a simulator).
    pub fn link_mut(&mut self) -> &mut L {
        &mut self.link
    }

    /// The link, by reference.
    pub fn link(&self) -> &L {
        &self.link
    }

    /// The options.
    pub fn options(&self) -> &BridgeOptions {
        &self.opts
    }

    /// What went over the link so far.
    pub fn stats(&self) -> BridgeStats {
        self.stats
    }

    /// Wait until the line has been quiet for [`BridgeOptions::resync_quiet`] and drop
    /// whatever arrived: after this, board and host are both between frames.
    pub fn resync(&mut self) {
        let dropped = self.link.drain(self.opts.resync_quiet);
        self.stats.bytes_received += dropped.len() as u64;
    }

    /// Send one request and return the payload of its reply. Nothing is retried; after
    /// a failure the link is resynchronized.
    pub fn transact(&mut self, req: &Request) -> Result<Vec<u8>, BridgeError> {
        let r = self.transact_once(req);
        // A damaged exchange may leave bytes on the line. (An error status needs no
        // resync: the board replies only once the line has been quiet.)
        if r.as_ref().is_err_and(BridgeError::transient) {
            self.resync();
        }
        r
    }

    fn transact_once(&mut self, req: &Request) -> Result<Vec<u8>, BridgeError> {
        let frame = req.encode();
        self.stats.requests += 1;
        self.stats.bytes_sent += frame.len() as u64;
        let link_err = |source| BridgeError::Link { request: req.to_string(), source };
        self.link.send(&frame).map_err(link_err)?;
        let head = self.recv(req, 2)?;
        if head[0] != REPLY_SYNC {
            return Err(BridgeError::Reply {
                request: req.to_string(),
                why: format!("starts with {:#04x}, not {REPLY_SYNC:#04x}", head[0]),
            });
        }
        let status = Status::from_byte(head[1]).ok_or_else(|| BridgeError::Reply {
            request: req.to_string(),
            why: format!("unknown status {}", head[1]),
        })?;
        let n = if status == Status::Ok { req.reply_payload_bytes() } else { 0 };
        let rest = self.recv(req, n + 1)?;
        let mut body = vec![head[1]];
        body.extend(&rest[..n]);
        if crc8(&body) != rest[n] {
            return Err(BridgeError::Reply {
                request: req.to_string(),
                why: format!("CRC {:#04x} does not match the reply ({:#04x})", rest[n], crc8(&body)),
            });
        }
        if status != Status::Ok {
            return Err(BridgeError::Status { request: req.to_string(), status });
        }
        Ok(rest[..n].to_vec())
    }

    fn recv(&mut self, req: &Request, n: usize) -> Result<Vec<u8>, BridgeError> {
        match self.link.recv(n, self.opts.reply_timeout) {
            Ok(b) => {
                self.stats.bytes_received += b.len() as u64;
                Ok(b)
            }
            Err(e) => {
                if let LinkError::Timeout { got, .. } = &e {
                    self.stats.bytes_received += got.len() as u64;
                }
                Err(BridgeError::Link { request: req.to_string(), source: e })
            }
        }
    }

    /// `transact` with up to [`BridgeOptions::retries`] retries of transient failures.
    fn transact_retrying(&mut self, req: &Request) -> Result<Vec<u8>, BridgeError> {
        let mut tries = 0;
        loop {
            match self.transact(req) {
                Err(e) if e.transient() && tries < self.opts.retries => {
                    tries += 1;
                    self.stats.retries += 1;
                }
                r => return r,
            }
        }
    }

    /// The board's parameters (asked once, then remembered).
    pub fn info(&mut self) -> Result<BoardInfo, BridgeError> {
        if let Some(i) = self.info {
            return Ok(i);
        }
        let payload = self.transact_retrying(&Request::Info)?;
        let info = BoardInfo::from_bytes(&payload).ok_or_else(|| BridgeError::Reply {
            request: Request::Info.to_string(),
            why: format!("{} bytes of information", payload.len()),
        })?;
        self.info = Some(info);
        Ok(info)
    }

    fn check_range(&mut self, what: &str, addr: u32, len: usize) -> Result<(), BridgeError> {
        let info = self.info()?;
        let end = u64::from(addr) + len as u64;
        if end > u64::from(info.mem_bytes) {
            return Err(BridgeError::Usage {
                request: format!("{what} of {len} bytes at {addr:#010x}"),
                why: format!("the board has {} bytes of memory, from address 0", info.mem_bytes),
            });
        }
        Ok(())
    }

    /// Write `data` to board memory at `addr`, in requests of at most the board's
    /// largest write.
    pub fn write_mem(&mut self, addr: u32, data: &[u8]) -> Result<(), BridgeError> {
        self.check_range("memory write", addr, data.len())?;
        let max = self.info.map_or(MAX_WRITE, |i| usize::from(i.max_write)).max(1);
        for (k, chunk) in data.chunks(max).enumerate() {
            let a = addr + (k * max) as u32;
            self.transact_retrying(&Request::WriteMem { addr: a, data: chunk.to_vec() })?;
        }
        Ok(())
    }

    /// Read `len` bytes of board memory at `addr`.
    pub fn read_mem(&mut self, addr: u32, len: usize) -> Result<Vec<u8>, BridgeError> {
        self.check_range("memory read", addr, len)?;
        let chunk = self.opts.read_chunk.clamp(1, 65535);
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            let n = chunk.min(len - out.len());
            let a = addr + out.len() as u32;
            out.extend(self.transact_retrying(&Request::ReadMem { addr: a, len: n as u16 })?);
        }
        Ok(out)
    }

    /// Write an accelerator register (never retried).
    pub fn write_reg(&mut self, offset: u16, value: u32) -> Result<(), BridgeError> {
        self.transact(&Request::WriteReg { offset, value }).map(|_| ())
    }

    /// Read an accelerator register.
    pub fn read_reg(&mut self, offset: u16) -> Result<u32, BridgeError> {
        let p = self.transact(&Request::ReadReg { offset })?;
        Ok(u32::from_le_bytes([p[0], p[1], p[2], p[3]]))
    }

    /// Reset the accelerator (its registers, queues and memory port; not the memory).
    pub fn reset(&mut self) -> Result<(), BridgeError> {
        self.transact(&Request::Reset).map(|_| ())
    }
}

/// The time `n` characters take on a UART at `baud` (10 bits each: 8N1).
pub fn char_time(baud: u32, n: usize) -> Duration {
    Duration::from_secs_f64(10.0 * n as f64 / f64::from(baud.max(1)))
}
