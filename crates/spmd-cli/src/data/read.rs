//! Reading this rank's rows of a pattern, a file or a range of rows.

use std::ops::Range;
use std::path::{Path, PathBuf};

use ndarray::Array2;
use spmd_core::Comm;

use crate::CliError;

#[cfg(feature = "parquet")]
use super::columnar;
use super::columns::Columns;
use super::selection::{resolve, Selection};
use super::table::Table;
use super::{csv_rows, npy};

/// This rank's feature rows: its shard, or its share of one file. Every rank calls it.
pub fn read_features(pattern: &str, comm: &Comm) -> Result<Table, CliError> {
    read_features_with(pattern, comm, &Columns::default())
}

/// [`read_features`] of the `columns` of a Parquet or Arrow input.
pub fn read_features_with(
    pattern: &str,
    comm: &Comm,
    columns: &Columns,
) -> Result<Table, CliError> {
    let (path, sharded) = resolve(pattern, comm.rank());
    let selection = if sharded {
        Selection::All
    } else {
        Selection::Share {
            rank: comm.rank(),
            size: comm.size(),
        }
    };
    read_table(&path, &selection, columns)
}

/// Rows `rows` (global row numbers) of the file `path`, in place where the file allows.
pub fn read_rows(path: &Path, rows: Range<usize>) -> Result<Table, CliError> {
    read_rows_with(path, rows, &Columns::default())
}

/// [`read_rows`] of the `columns` of a Parquet or Arrow input.
pub fn read_rows_with(
    path: &Path,
    rows: Range<usize>,
    columns: &Columns,
) -> Result<Table, CliError> {
    read_table(path, &Selection::Rows(rows), columns)
}

/// The files an input `path` stands for: a directory's `.parquet` files in name order (a
/// dataset), else the path itself.
pub fn files_of(path: &Path) -> Result<Vec<PathBuf>, CliError> {
    #[cfg(feature = "parquet")]
    if path.is_dir() {
        return columnar::parts(path);
    }
    Ok(vec![path.to_path_buf()])
}

/// The whole of a small file (initial centres), whatever the number of ranks.
pub fn read_whole(path: &Path) -> Result<Array2<f64>, CliError> {
    read_table(path, &Selection::All, &Columns::default())?.to_owned_as::<f64>()
}

pub(crate) fn read_table(
    path: &Path,
    selection: &Selection,
    columns: &Columns,
) -> Result<Table, CliError> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    #[cfg(feature = "parquet")]
    if columnar::handles(path) {
        let (storage, one_dimensional, names) = columnar::read(path, selection, columns)?;
        return Ok(Table {
            storage,
            one_dimensional,
            path: path.to_path_buf(),
            names: Some(names),
        });
    }
    if columns.chooses_columns() {
        return Err(CliError::file(
            path,
            "--columns, --y-column, --sample-weight-column and --null-as-nan need a Parquet or \
             Arrow input",
        ));
    }
    let (storage, one_dimensional) = match extension.as_deref() {
        Some("npy") => npy::read(path, selection)?,
        Some("csv") => csv_rows::read(path, selection, columns.csv_header)?,
        _ if cfg!(feature = "parquet") => {
            return Err(CliError::file(
                path,
                "expected a .npy, .csv, .parquet, .arrow or .feather file, or a directory of \
                 .parquet files",
            ))
        }
        _ => return Err(CliError::file(path, "expected a .npy or .csv file")),
    };
    Ok(Table {
        storage,
        one_dimensional,
        path: path.to_path_buf(),
        names: None,
    })
}
