//! [`Link`]: the bytes between the host and the board.

use std::time::Duration;
use thiserror::Error;

/// A byte link to the board's UART bridge.
pub trait Link {
    /// Send `bytes`, in order.
    fn send(&mut self, bytes: &[u8]) -> Result<(), LinkError>;

    /// Receive exactly `n` bytes. Gives up with [`LinkError::Timeout`] (carrying the
    /// bytes that did come) when no byte has arrived for `idle`: the limit is on the
    /// silence, so a long reply never times out while it is flowing.
    fn recv(&mut self, n: usize, idle: Duration) -> Result<Vec<u8>, LinkError>;

    /// Wait until the line has been quiet for `quiet`; return what arrived meanwhile.
    fn drain(&mut self, quiet: Duration) -> Vec<u8> {
        let mut dropped = Vec::new();
        loop {
            match self.recv(1, quiet) {
                Ok(b) => dropped.extend(b),
                Err(LinkError::Timeout { got, .. }) => {
                    dropped.extend(got);
                    return dropped;
                }
                Err(_) => return dropped,
            }
        }
    }
}

/// Why a link operation failed.
#[derive(Debug, Error)]
pub enum LinkError {
    /// Nothing came for `idle`.
    #[error("no reply: {} of {wanted} bytes received, then nothing for {idle:?}", got.len())]
    Timeout {
        /// Bytes asked for.
        wanted: usize,
        /// Bytes that came.
        got: Vec<u8>,
        /// The silence that ended the wait.
        idle: Duration,
    },
    /// The device failed.
    #[error("{what} {device}: {source}")]
    Io {
        /// The operation, as a verb phrase.
        what: &'static str,
        /// The device.
        device: String,
        /// The system's error.
        source: std::io::Error,
    },
    /// The device could not be set up.
    #[error("{device}: {why}")]
    Setup {
        /// The device.
        device: String,
        /// What went wrong.
        why: String,
    },
}
