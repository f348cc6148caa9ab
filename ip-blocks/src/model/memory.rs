//! The main-memory image the golden model's DMA reads and writes, and the DMA window.

use super::ModelError;

/// A main-memory image: `bytes[i]` is the byte at address `base + i`, covering
/// `[base, base + bytes.len())`. Integers are little-endian, as on the AXI bus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Memory {
    /// Address of `bytes[0]`.
    pub base: u32,
    /// The contents.
    pub bytes: Vec<u8>,
}

/// The DMA window `[base, limit]` (inclusive, as the `WINDOW_BASE` and `WINDOW_LIMIT`
/// registers): every byte a `mvin` or `mvout` touches must lie inside it. The golden model
/// also needs it to lie inside the [`Memory`] image it is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// First byte the DMA may touch.
    pub base: u32,
    /// Last byte the DMA may touch (inclusive).
    pub limit: u32,
}

impl Window {
    /// True when every byte of `[first, last]` lies inside the window.
    pub fn covers(&self, first: u64, last: u64) -> bool {
        first <= last && first >= u64::from(self.base) && last <= u64::from(self.limit)
    }
}

impl Memory {
    /// `len` zero bytes from address `base`.
    pub fn new(base: u32, len: usize) -> Memory {
        Memory { base, bytes: vec![0; len] }
    }

    /// One past the last address of the image (may be 2^32 or more).
    pub fn end(&self) -> u64 {
        u64::from(self.base) + self.bytes.len() as u64
    }

    /// The window covering the whole image (an empty image gives an empty window at
    /// `base`, which no transfer passes: `limit < base` is never covered).
    pub fn window(&self) -> Window {
        let last = self.end().saturating_sub(1).min(u64::from(u32::MAX)) as u32;
        if self.bytes.is_empty() {
            Window { base: self.base.max(1), limit: self.base.max(1) - 1 }
        } else {
            Window { base: self.base, limit: last }
        }
    }

    /// True when `[addr, addr + len)` lies inside the image.
    pub fn contains(&self, addr: u64, len: u64) -> bool {
        addr >= u64::from(self.base) && addr.checked_add(len).is_some_and(|e| e <= self.end())
    }

    /// Check that `window` lies inside the image.
    pub fn check_window(&self, window: Window) -> Result<(), ModelError> {
        let (b, l) = (u64::from(window.base), u64::from(window.limit));
        if l >= b && !self.contains(b, l - b + 1) {
            return Err(ModelError::WindowOutsideMemory {
                window_base: window.base,
                window_limit: window.limit,
                base: self.base,
                end: self.end(),
            });
        }
        Ok(())
    }

    fn range(&self, addr: u64, len: usize) -> Result<std::ops::Range<usize>, ModelError> {
        if !self.contains(addr, len as u64) {
            return Err(ModelError::OutsideMemory { addr, len: len as u64, base: self.base, end: self.end() });
        }
        let start = (addr - u64::from(self.base)) as usize;
        Ok(start..start + len)
    }

    /// The `len` bytes from `addr`.
    pub fn slice(&self, addr: u32, len: usize) -> Result<&[u8], ModelError> {
        let r = self.range(addr.into(), len)?;
        Ok(&self.bytes[r])
    }

    /// The `len` bytes from `addr`, writable.
    pub fn slice_mut(&mut self, addr: u32, len: usize) -> Result<&mut [u8], ModelError> {
        let r = self.range(addr.into(), len)?;
        Ok(&mut self.bytes[r])
    }

    /// The little-endian integer of `nbytes` (1, 2, 4 or 8) bytes at `addr`,
    /// sign-extended.
    pub fn read_int(&self, addr: u32, nbytes: u32) -> Result<i64, ModelError> {
        self.read_int_at(addr.into(), nbytes)
    }

    /// Write the low `nbytes` (1, 2, 4 or 8) bytes of `value` little-endian at `addr`.
    pub fn write_int(&mut self, addr: u32, nbytes: u32, value: i64) -> Result<(), ModelError> {
        self.write_int_at(addr.into(), nbytes, value)
    }

    /// `count` integers of `nbytes` bytes each, consecutive from `addr`.
    pub fn read_ints(&self, addr: u32, nbytes: u32, count: usize) -> Result<Vec<i64>, ModelError> {
        (0..count as u64).map(|i| self.read_int_at(u64::from(addr) + i * u64::from(nbytes), nbytes)).collect()
    }

    /// Write `values` as consecutive integers of `nbytes` bytes each from `addr`.
    pub fn write_ints(&mut self, addr: u32, nbytes: u32, values: &[i64]) -> Result<(), ModelError> {
        self.range(addr.into(), values.len() * nbytes as usize)?;
        for (i, v) in values.iter().enumerate() {
            self.write_int_at(u64::from(addr) + i as u64 * u64::from(nbytes), nbytes, *v)?;
        }
        Ok(())
    }

    pub(crate) fn read_int_at(&self, addr: u64, nbytes: u32) -> Result<i64, ModelError> {
        let n = int_bytes(nbytes)?;
        let r = self.range(addr, n)?;
        let mut buf = [0u8; 8];
        buf[..n].copy_from_slice(&self.bytes[r]);
        Ok(crate::quant::wrap(i64::from_le_bytes(buf), 8 * n as u32))
    }

    pub(crate) fn write_int_at(&mut self, addr: u64, nbytes: u32, value: i64) -> Result<(), ModelError> {
        let n = int_bytes(nbytes)?;
        let r = self.range(addr, n)?;
        self.bytes[r].copy_from_slice(&value.to_le_bytes()[..n]);
        Ok(())
    }
}

fn int_bytes(nbytes: u32) -> Result<usize, ModelError> {
    match nbytes {
        1 | 2 | 4 | 8 => Ok(nbytes as usize),
        _ => Err(ModelError::IntSize { nbytes }),
    }
}
