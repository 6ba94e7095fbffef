//! Writing each rank's result rows: `.npy`, `.csv`, or Parquet and Arrow.

use std::path::Path;

use ndarray::{Array2, ArrayView1, ArrayView2, Axis};
use ndarray_npy::WriteNpyExt;
use spmd_core::Comm;

use crate::CliError;

#[cfg(feature = "parquet")]
use super::columnar;
use super::selection::resolve;

/// Errors unless the directory `path` would be written in exists: checked before any work, so a
/// missing directory does not cost a whole fit.
pub fn check_output_dir(path: impl AsRef<Path>) -> Result<(), CliError> {
    let path = path.as_ref();
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if dir.is_dir() {
        Ok(())
    } else {
        Err(CliError::file(
            path,
            format!("cannot be written: no directory {}", dir.display()),
        ))
    }
}

/// [`check_output_dir`] where [`write_rows`] will write `pattern`: on every rank with `{rank}`,
/// on rank 0 alone without it.
pub fn check_rows_output(pattern: &str, comm: &Comm) -> Result<(), CliError> {
    let (path, sharded) = resolve(pattern, comm.rank());
    if sharded || comm.is_root() {
        check_output_dir(path)
    } else {
        Ok(())
    }
}

/// Writes this rank's result rows: with `{rank}` in `pattern` each rank writes its own .npy;
/// without it the rows are gathered to rank 0 alone, which writes one file. One column is
/// written 1-D.
pub fn write_rows(pattern: &str, comm: &Comm, rows: &Array2<f64>) -> Result<(), CliError> {
    let (path, sharded) = resolve(pattern, comm.rank());
    if sharded {
        return write_file(&path, rows.view());
    }
    // Contiguous rows are sent as they are; only other layouts are copied.
    let values: std::borrow::Cow<'_, [f64]> = rows.as_slice().map_or_else(
        || rows.iter().copied().collect::<Vec<_>>().into(),
        Into::into,
    );
    let width = comm.allreduce_scalar(rows.ncols() as u64, spmd_comm::ReduceOp::Max)? as usize;
    let Some((all, _)) = comm.gatherv(0, &values)? else {
        return Ok(());
    };
    let total = all.len() / width.max(1);
    let gathered =
        Array2::from_shape_vec((total, width), all).map_err(|e| CliError::file(&path, e))?;
    write_file(&path, gathered.view())
}

/// Writes `rows` as Parquet where `path` ends in `.parquet` (with the `parquet` feature), as
/// `.npy` otherwise.
fn write_file(path: &Path, rows: ArrayView2<'_, f64>) -> Result<(), CliError> {
    #[cfg(feature = "parquet")]
    if columnar::handles(path) && !path.is_dir() {
        return columnar::write(path, rows);
    }
    write_npy(path, rows)
}

fn write_npy(path: &Path, rows: ArrayView2<'_, f64>) -> Result<(), CliError> {
    let file = std::fs::File::create(path).map_err(|e| CliError::file(path, e))?;
    let writer = std::io::BufWriter::new(file);
    let result = if rows.ncols() == 1 {
        let column: ArrayView1<'_, f64> = rows.index_axis(Axis(1), 0);
        column.write_npy(writer)
    } else {
        rows.write_npy(writer)
    };
    result.map_err(|e| CliError::file(path, e))
}
