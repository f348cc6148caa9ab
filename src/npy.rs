//! `.npy` files (numpy's `np.save` format) in and out of `seedchip sim`: integer matrices
//! and vectors of one element size, read with every check a user's file can fail (not an
//! npy file, truncated, wrong dtype, wrong rank, empty) reported with the file's name and
//! what was expected; written to a temporary file beside the target and renamed into
//! place, so a failed run leaves nothing behind.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("c.npy");
//! seedchip::npy::write_matrix(&path, 2, 3, &[1, -2, 3, -128, 127, 0], 1).unwrap();
//! let c = seedchip::npy::read_matrix(&path, "C", 1).unwrap();
//! assert_eq!((c.rows, c.cols, c.data), (2, 3, vec![1, -2, 3, -128, 127, 0]));
//! ```

use anyhow::{anyhow, bail, Context, Result};
use npyz::WriterBuilder;
use std::io::Write;
use std::path::Path;

/// A 2-D integer array, row-major.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Matrix {
    /// Rows (the first axis).
    pub rows: usize,
    /// Columns (the second axis).
    pub cols: usize,
    /// `rows * cols` values, row after row.
    pub data: Vec<i64>,
}

/// The numpy name of a signed integer of `bytes` bytes.
pub fn int_dtype(bytes: u32) -> &'static str {
    match bytes {
        1 => "int8",
        2 => "int16",
        4 => "int32",
        _ => "int64",
    }
}

/// An npy file's header and values, as signed integers of `bytes` bytes.
struct Loaded {
    shape: Vec<u64>,
    fortran: bool,
    data: Vec<i64>,
}

/// Read `bytes` (the contents of the file `name`) as an npy array of signed integers of
/// `elem_bytes` bytes (either endianness). `what` says what the array is for, e.g. "A, the
/// M x K input matrix".
fn load(bytes: &[u8], name: &str, what: &str, elem_bytes: u32) -> Result<Loaded> {
    let want = int_dtype(elem_bytes);
    let npy = npyz::NpyFile::new(bytes).map_err(|e| {
        anyhow!(
            "`{name}` is not a readable .npy file ({e}); {what} must be saved with numpy: np.save(\"{name}\", x.astype(np.{want}))"
        )
    })?;
    let shape = npy.shape().to_vec();
    let fortran = npy.order() == npyz::Order::Fortran;
    let descr = match npy.dtype() {
        npyz::DType::Plain(t) => t.to_string(),
        other => other.descr(),
    };
    // `|i1`, `<i4`, `>i4`: the kind and size after the byte-order mark.
    let kind = descr.get(1..).unwrap_or_default();
    if kind != format!("i{elem_bytes}") {
        bail!(
            "`{name}` holds {} values, {what} must be {want}; convert it with x.astype(np.{want}) after checking the values fit",
            numpy_name(&descr)
        );
    }
    let expected_len: u64 = shape.iter().product();
    let data: std::io::Result<Vec<i64>> = match elem_bytes {
        1 => npy.into_vec::<i8>().map(|v| v.into_iter().map(i64::from).collect()),
        2 => npy.into_vec::<i16>().map(|v| v.into_iter().map(i64::from).collect()),
        4 => npy.into_vec::<i32>().map(|v| v.into_iter().map(i64::from).collect()),
        _ => npy.into_vec::<i64>(),
    };
    let data = data.map_err(|e| {
        anyhow!("`{name}` is truncated or damaged: its header promises {expected_len} {want} values ({e})")
    })?;
    if data.len() as u64 != expected_len {
        bail!("`{name}` is truncated: its header promises {expected_len} values, it holds {}", data.len());
    }
    Ok(Loaded { shape, fortran, data })
}

/// numpy's name for an npy type string (`<f8` -> float64), or the string itself.
fn numpy_name(descr: &str) -> String {
    let kind = descr.get(1..2).unwrap_or_default();
    let bytes: u32 = descr.get(2..).and_then(|s| s.parse().ok()).unwrap_or(0);
    let base = match kind {
        "i" => "int",
        "u" => "uint",
        "f" => "float",
        "c" => "complex",
        "b" => return "bool".into(),
        _ => return format!("`{descr}`"),
    };
    format!("{base}{} ({descr})", bytes * 8)
}

fn shape_text(shape: &[u64]) -> String {
    match shape {
        [x] => format!("({x},)"),
        _ => format!("({})", shape.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")),
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))
}

/// Read a 2-D array of signed `elem_bytes`-byte integers (C or Fortran order) from `path`.
/// `what` names the matrix in messages ("A, the M x K input").
pub fn read_matrix(path: &Path, what: &str, elem_bytes: u32) -> Result<Matrix> {
    matrix_from_bytes(&read_file(path)?, &path.display().to_string(), what, elem_bytes)
}

/// [`read_matrix`] of the bytes of a file named `name`.
pub fn matrix_from_bytes(bytes: &[u8], name: &str, what: &str, elem_bytes: u32) -> Result<Matrix> {
    let l = load(bytes, name, what, elem_bytes)?;
    let [rows, cols] = l.shape[..] else {
        bail!(
            "`{name}` has shape {}, a {}-D array; {what} must be a 2-D {} array",
            shape_text(&l.shape),
            l.shape.len(),
            int_dtype(elem_bytes)
        );
    };
    if rows == 0 || cols == 0 {
        bail!("`{name}` has shape {}: {what} needs at least one row and one column", shape_text(&l.shape));
    }
    let (rows, cols) = (rows as usize, cols as usize);
    let data = if l.fortran {
        // Stored column after column: transpose into row-major.
        (0..rows * cols).map(|i| l.data[(i % cols) * rows + i / cols]).collect()
    } else {
        l.data
    };
    Ok(Matrix { rows, cols, data })
}

/// Read a 1-D array of signed `elem_bytes`-byte integers from `path`.
pub fn read_vector(path: &Path, what: &str, elem_bytes: u32) -> Result<Vec<i64>> {
    vector_from_bytes(&read_file(path)?, &path.display().to_string(), what, elem_bytes)
}

/// [`read_vector`] of the bytes of a file named `name`.
pub fn vector_from_bytes(bytes: &[u8], name: &str, what: &str, elem_bytes: u32) -> Result<Vec<i64>> {
    let l = load(bytes, name, what, elem_bytes)?;
    if l.shape.len() != 1 {
        bail!(
            "`{name}` has shape {}, a {}-D array; {what} must be a 1-D {} array",
            shape_text(&l.shape),
            l.shape.len(),
            int_dtype(elem_bytes)
        );
    }
    Ok(l.data)
}

/// Write a `rows` x `cols` matrix of signed `elem_bytes`-byte integers (C order,
/// little-endian, as `np.save` writes them) to `path`: into a temporary file in the same
/// folder, renamed over `path` when complete.
pub fn write_matrix(path: &Path, rows: usize, cols: usize, data: &[i64], elem_bytes: u32) -> Result<()> {
    assert_eq!(data.len(), rows * cols, "a {rows} x {cols} matrix");
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".seedchip-").suffix(".npy.tmp");
    // A result file, not a secret: the usual rw-rw-rw- less the umask, not tempfile's 0600.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = builder
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a file in `{}` for `{}`", dir.display(), path.display()))?;
    let shape = [rows as u64, cols as u64];
    let io = |e: std::io::Error| anyhow!("writing `{}`: {e}", path.display());
    {
        let f = std::io::BufWriter::new(tmp.as_file_mut());
        match elem_bytes {
            1 => put::<i8, _>(f, &shape, data),
            2 => put::<i16, _>(f, &shape, data),
            4 => put::<i32, _>(f, &shape, data),
            _ => put::<i64, _>(f, &shape, data),
        }
        .map_err(io)?;
    }
    tmp.as_file_mut().flush().map_err(io)?;
    tmp.persist(path).map_err(|e| anyhow!("cannot move the result into `{}`: {}", path.display(), e.error))?;
    Ok(())
}

fn put<T, W>(w: W, shape: &[u64], data: &[i64]) -> std::io::Result<()>
where
    T: npyz::AutoSerialize + TryFrom<i64>,
    W: Write,
{
    let mut out = npyz::WriteOptions::<T>::new().default_dtype().shape(shape).writer(w).begin_nd()?;
    for &v in data {
        let x = T::try_from(v).map_err(|_| std::io::Error::other(format!("{v} does not fit the element type")))?;
        out.push(&x)?;
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_matrix_reads_back_for_every_element_size() {
        let dir = tempfile::tempdir().unwrap();
        for (bytes, v) in [(1, 127i64), (2, -32768), (4, i64::from(i32::MIN)), (8, i64::MAX)] {
            let p = dir.path().join(format!("m{bytes}.npy"));
            write_matrix(&p, 1, 3, &[v, 0, -1], bytes).unwrap();
            let m = read_matrix(&p, "M", bytes).unwrap();
            assert_eq!(m, Matrix { rows: 1, cols: 3, data: vec![v, 0, -1] });
            let e = read_matrix(&p, "M", if bytes == 1 { 4 } else { 1 }).unwrap_err().to_string();
            assert!(e.contains(&format!("`{}` holds {}", p.display(), int_dtype(bytes))), "{e}");
        }
        // Nothing but the results: the temporary files were renamed.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 4);
    }

    #[test]
    fn numpy_names_of_type_strings() {
        assert_eq!(numpy_name("<f8"), "float64 (<f8)");
        assert_eq!(numpy_name("|u1"), "uint8 (|u1)");
        assert_eq!(numpy_name("|b1"), "bool");
        assert_eq!(shape_text(&[3]), "(3,)");
        assert_eq!(shape_text(&[2, 3, 4]), "(2, 3, 4)");
    }
}
