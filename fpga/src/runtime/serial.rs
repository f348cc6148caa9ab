//! [`SerialLink`]: a serial port (`/dev/ttyUSB0`, `/dev/ttyACM0` ...) as a [`Link`],
//! opened as a file and put in raw mode with `stty`, so that no serial-port crate (and
//! no system library) is needed. Linux and macOS; not tested on hardware here.

use super::link::{Link, LinkError};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A serial port at a fixed baud rate, 8N1, raw, no flow control.
pub struct SerialLink {
    device: PathBuf,
    file: File,
}

impl SerialLink {
    /// Open `device` at `baud`: `stty` sets raw 8N1 without flow control, and reads that
    /// return after at most 0.1 s (VMIN 0, VTIME 1), so that timeouts can be kept.
    pub fn open(device: &Path, baud: u32) -> Result<SerialLink, LinkError> {
        let name = device.display().to_string();
        let file = OpenOptions::new().read(true).write(true).open(device).map_err(|source| LinkError::Io {
            what: "cannot open",
            device: name.clone(),
            source,
        })?;
        let flag = if cfg!(target_os = "macos") { "-f" } else { "-F" };
        let out = Command::new("stty")
            .arg(flag)
            .arg(device)
            .args([&baud.to_string(), "raw", "-echo", "cs8", "-cstopb", "-parenb", "-crtscts", "min", "0", "time", "1"])
            .output()
            .map_err(|e| LinkError::Setup { device: name.clone(), why: format!("cannot run stty: {e}") })?;
        if !out.status.success() {
            return Err(LinkError::Setup {
                device: name,
                why: format!("stty refused {baud} baud raw mode: {}", String::from_utf8_lossy(&out.stderr).trim()),
            });
        }
        Ok(SerialLink { device: device.to_path_buf(), file })
    }
}

impl Link for SerialLink {
    fn send(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        let device = self.device.display().to_string();
        self.file.write_all(bytes).and_then(|_| self.file.flush()).map_err(|source| LinkError::Io {
            what: "cannot write to",
            device,
            source,
        })
    }

    fn recv(&mut self, n: usize, idle: Duration) -> Result<Vec<u8>, LinkError> {
        let mut got = Vec::with_capacity(n);
        let mut buf = [0u8; 256];
        let mut last = Instant::now();
        while got.len() < n {
            let want = (n - got.len()).min(buf.len());
            match self.file.read(&mut buf[..want]) {
                Ok(0) => {
                    if last.elapsed() >= idle {
                        return Err(LinkError::Timeout { wanted: n, got, idle });
                    }
                }
                Ok(k) => {
                    got.extend_from_slice(&buf[..k]);
                    last = Instant::now();
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(LinkError::Io {
                        what: "cannot read from",
                        device: self.device.display().to_string(),
                        source,
                    })
                }
            }
        }
        Ok(got)
    }
}
