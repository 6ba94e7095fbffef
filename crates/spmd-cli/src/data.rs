//! Reading this rank's rows from `.npy` or `.csv`, and writing per-rank results.
//!
//! A path with `{rank}` names one shard per rank. A path without it is one file whose rows the
//! ranks split evenly in rank order; `.npy` files are memory-mapped so each rank touches only its
//! own rows.

use std::borrow::Cow;
use std::fs::File;
use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, ArrayD, Axis, Ix2};
use ndarray_npy::{ReadNpyExt, ViewNpyExt, WriteNpyExt};
use spmd_core::Comm;

use crate::CliError;

/// Targets read from a file: `single` when the file is one-dimensional (or one CSV column).
#[derive(Debug, Clone)]
pub struct TargetData {
    /// n x t.
    pub values: Array2<f64>,
    /// Whether the file held 1-D targets.
    pub single: bool,
}

/// The path of this rank's shard, or the shared file.
pub fn resolve(pattern: &str, rank: usize) -> (PathBuf, bool) {
    if pattern.contains("{rank}") {
        (
            PathBuf::from(pattern.replace("{rank}", &rank.to_string())),
            true,
        )
    } else {
        (PathBuf::from(pattern), false)
    }
}

/// Rows `[start, end)` of `total` rows that rank `rank` of `size` reads from a shared file.
pub fn share(total: usize, rank: usize, size: usize) -> (usize, usize) {
    (total * rank / size, total * (rank + 1) / size)
}

/// This rank's feature rows (n x d).
pub fn read_matrix(pattern: &str, comm: &Comm) -> Result<Array2<f64>, CliError> {
    let (path, sharded) = resolve(pattern, comm.rank());
    let data = read_any(&path, sharded, comm)?;
    match data.ndim() {
        2 => Ok(data
            .into_dimensionality::<Ix2>()
            .map_err(|e| CliError::file(&path, e))?),
        1 => {
            let n = data.len();
            data.into_shape_with_order((n, 1))
                .map_err(|e| CliError::file(&path, e))?
                .into_dimensionality::<Ix2>()
                .map_err(|e| CliError::file(&path, e))
        }
        k => Err(CliError::file(
            &path,
            format!("expected a 2-D array of features, found {k} dimensions"),
        )),
    }
}

/// This rank's targets (1-D or 2-D).
pub fn read_targets(pattern: &str, comm: &Comm) -> Result<TargetData, CliError> {
    let (path, sharded) = resolve(pattern, comm.rank());
    let data = read_any(&path, sharded, comm)?;
    let single = data.ndim() == 1 || (is_csv(&path) && data.shape().get(1) == Some(&1));
    let values = match data.ndim() {
        1 => data.insert_axis(Axis(1)).into_dimensionality::<Ix2>(),
        2 => data.into_dimensionality::<Ix2>(),
        k => {
            return Err(CliError::file(
                &path,
                format!("expected 1-D or 2-D targets, found {k} dimensions"),
            ))
        }
    }
    .map_err(|e| CliError::file(&path, e))?;
    Ok(TargetData { values, single })
}

fn is_csv(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

fn read_any(path: &Path, sharded: bool, comm: &Comm) -> Result<ArrayD<f64>, CliError> {
    let (rank, size) = if sharded {
        (0, 1)
    } else {
        (comm.rank(), comm.size())
    };
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("npy") => read_npy_rows(path, rank, size),
        Some("csv") => read_csv_rows(path, rank, size),
        _ => Err(CliError::file(path, "expected a .npy or .csv file")),
    }
}

fn read_npy_rows(path: &Path, rank: usize, size: usize) -> Result<ArrayD<f64>, CliError> {
    let file = File::open(path).map_err(|e| CliError::file(path, e))?;
    // SAFETY: the map is read-only and dropped before returning; a file truncated by another
    // process meanwhile is outside what any reader can guard against.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| CliError::file(path, e))?;
    let rows = |a: ndarray::ArrayViewD<'_, f64>| {
        let total = a.shape().first().copied().unwrap_or(0);
        let (start, end) = share(total, rank, size);
        a.slice_axis(Axis(0), ndarray::Slice::from(start..end))
            .to_owned()
    };
    if let Ok(view) = ndarray::ArrayViewD::<f64>::view_npy(&map) {
        return Ok(rows(view));
    }
    // Other dtypes (float32, int64, big-endian, Fortran order): read whole, convert.
    let open = || File::open(path).map_err(|e| CliError::file(path, e));
    let all = match ArrayD::<f64>::read_npy(open()?) {
        Ok(a) => a,
        Err(first) => match ArrayD::<f32>::read_npy(open()?) {
            Ok(a) => a.mapv(f64::from),
            Err(_) => match ArrayD::<i64>::read_npy(open()?) {
                Ok(a) => a.mapv(|v| v as f64),
                Err(_) => {
                    return Err(CliError::file(
                        path,
                        format!("expected a float64, float32 or int64 array: {first}"),
                    ))
                }
            },
        },
    };
    Ok(rows(all.view()))
}

fn read_csv_rows(path: &Path, rank: usize, size: usize) -> Result<ArrayD<f64>, CliError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| CliError::file(path, e))?;
    let mut rows: Vec<Vec<f64>> = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| CliError::file(path, e))?;
        let parsed: Result<Vec<f64>, _> = record.iter().map(str::parse::<f64>).collect();
        match parsed {
            Ok(values) => rows.push(values),
            // A first line that is not numbers is a header.
            Err(_) if line == 0 => continue,
            Err(e) => return Err(CliError::file(path, format!("line {}: {e}", line + 1))),
        }
    }
    let width = rows.first().map_or(0, Vec::len);
    if let Some(bad) = rows.iter().position(|r| r.len() != width) {
        return Err(CliError::file(
            path,
            format!(
                "row {} has {} values, the first has {width}",
                bad + 1,
                rows[bad].len()
            ),
        ));
    }
    let (start, end) = share(rows.len(), rank, size);
    let mine: Vec<f64> = rows[start..end].iter().flatten().copied().collect();
    Array2::from_shape_vec((end - start, width), mine)
        .map(|a| a.into_dyn())
        .map_err(|e| CliError::file(path, e))
}

/// Writes this rank's result rows: with `{rank}` in `pattern` each rank writes its own .npy;
/// without it the rows are gathered and rank 0 writes one file. One column is written 1-D.
pub fn write_rows(pattern: &str, comm: &Comm, rows: &Array2<f64>) -> Result<(), CliError> {
    let (path, sharded) = resolve(pattern, comm.rank());
    if sharded {
        return write_npy(&path, rows);
    }
    // Contiguous rows are sent as they are; only other layouts are copied.
    let values: Cow<'_, [f64]> = rows
        .as_slice()
        .map_or_else(|| Cow::Owned(rows.iter().copied().collect()), Cow::Borrowed);
    let (all, counts) = comm.allgatherv(&values)?;
    if !comm.is_root() {
        return Ok(());
    }
    let width = rows.ncols().max(1);
    let total: usize = counts.iter().sum::<usize>() / width;
    let gathered =
        Array2::from_shape_vec((total, rows.ncols()), all).map_err(|e| CliError::file(&path, e))?;
    write_npy(&path, &gathered)
}

fn write_npy(path: &Path, rows: &Array2<f64>) -> Result<(), CliError> {
    let file = File::create(path).map_err(|e| CliError::file(path, e))?;
    let result = if rows.ncols() == 1 {
        let column: Array1<f64> = rows.column(0).to_owned();
        column.write_npy(file)
    } else {
        rows.write_npy(file)
    };
    result.map_err(|e| CliError::file(path, e))
}
