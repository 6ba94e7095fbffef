//! Reading this rank's rows from `.npy`, `.csv`, and (with the `parquet` feature) Parquet and
//! Arrow IPC files, and writing per-rank results.
//!
//! A path with `{rank}` names one shard per rank. A path without it is one file whose rows the
//! ranks share in rank order.
//!
//! Features are read in place where the file allows it: a `.npy` of float64 or float32, in C or
//! Fortran order, is memory-mapped and this rank's rows are handed to the estimator as a view
//! of the map, with no copy (f32 stays f32). Other dtypes (integers, booleans, big-endian) and
//! `.csv` are converted for this rank's rows only. Targets and weights are read for exactly the
//! global rows this rank's features hold, and must hold as many rows as the features
//! ([`RowPartition`]).

#[cfg(feature = "parquet")]
mod columnar;
mod csv_rows;
mod npy;
mod partition;

use std::ops::Range;
use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use ndarray_npy::WriteNpyExt;
use spmd_core::{Comm, Float};

use crate::CliError;

pub(crate) use npy::Mapped;
pub use partition::RowPartition;

/// The path of this rank's shard, or the shared file, and whether it is a shard.
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

/// Which rows of a file this rank reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Selection {
    /// Every row (a shard of its own).
    All,
    /// An even share of the rows: rank `rank` of `size`.
    Share { rank: usize, size: usize },
    /// These global rows of a file that holds at least as many (a piece of a shard).
    Rows(Range<usize>),
    /// These global rows of a file that must hold exactly `total` rows, as the features do:
    /// targets and weights.
    Aligned {
        /// This rank's rows.
        rows: Range<usize>,
        /// Rows the file must hold.
        total: usize,
        /// The features, as messages name them, with their verb (`x.npy has`).
        features: String,
    },
}

/// The rows `selection` picks of a first axis of `total` rows (of the file `path`, for
/// messages).
pub(crate) fn rows_of(
    selection: &Selection,
    total: usize,
    path: &Path,
) -> Result<Range<usize>, CliError> {
    match selection {
        Selection::All => Ok(0..total),
        Selection::Share { rank, size } => {
            let (start, end) = share(total, *rank, *size);
            Ok(start..end)
        }
        Selection::Rows(rows) if rows.end <= total => Ok(rows.clone()),
        Selection::Rows(rows) => Err(CliError::file(
            path,
            format!(
                "has {total} rows, fewer than the features' {} rows (this rank needs rows {}..{})",
                rows.end, rows.start, rows.end
            ),
        )),
        Selection::Aligned {
            rows,
            total: expected,
            ..
        } if total == *expected => Ok(rows.clone()),
        Selection::Aligned {
            total: expected,
            features,
            ..
        } => Err(partition::row_count_mismatch(
            path, total, features, *expected,
        )),
    }
}

/// Whether the first line of a `.csv` file is a header.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum CsvHeader {
    /// A header exactly when none of its fields is a number; a line with some fields numbers
    /// and others not is an error naming the line and the field.
    #[default]
    Auto,
    /// The first line is a header.
    Yes,
    /// Every line is data.
    No,
}

impl CsvHeader {
    /// Whether this is the default (models leave it out).
    pub fn is_auto(&self) -> bool {
        *self == Self::Auto
    }
}

/// How a file is read: which columns of a Parquet or Arrow file, how nulls are taken, and
/// whether a `.csv` file's first line is a header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Columns {
    /// Names, or one range of positions (`0:12`); `None`: every column but `except`.
    pub chosen: Option<ColumnChoice>,
    /// Columns left out of the default choice (the target and weight columns).
    pub except: Vec<String>,
    /// Read nulls as NaN (estimators that refuse NaN still refuse them).
    pub null_as_nan: bool,
    /// Whether a `.csv` file's first line is a header.
    pub csv_header: CsvHeader,
}

/// Columns named, or a range of positions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnChoice {
    /// These columns, in this order.
    Names(Vec<String>),
    /// Positions `start..end`.
    Positions(Range<usize>),
}

impl Columns {
    /// `--columns a,b,c` (names) or `--columns 0:12` (positions), with `--null-as-nan`.
    pub fn parse(spec: Option<&str>, null_as_nan: bool) -> Result<Self, CliError> {
        let chosen = match spec {
            None => None,
            Some(spec) => Some(match spec.split_once(':') {
                Some((a, b)) => {
                    let position = |v: &str| {
                        v.trim().parse::<usize>().map_err(|_| {
                            CliError::Param(format!(
                                "--columns {spec}: expected names a,b,c or positions START:END"
                            ))
                        })
                    };
                    ColumnChoice::Positions(position(a)?..position(b)?)
                }
                None => {
                    ColumnChoice::Names(spec.split(',').map(|n| n.trim().to_string()).collect())
                }
            }),
        };
        Ok(Self {
            chosen,
            except: Vec::new(),
            null_as_nan,
            csv_header: CsvHeader::Auto,
        })
    }

    /// This choice with `csv_header` for `.csv` files.
    pub fn with_csv_header(mut self, csv_header: CsvHeader) -> Self {
        self.csv_header = csv_header;
        self
    }

    /// The one column `name`, nulls as this choice takes them.
    pub fn only(&self, name: &str) -> Self {
        Self {
            chosen: Some(ColumnChoice::Names(vec![name.to_string()])),
            except: Vec::new(),
            null_as_nan: self.null_as_nan,
            csv_header: self.csv_header,
        }
    }

    /// Only the way a `.csv` file is read (for targets and weights in files of their own).
    pub fn csv_only(&self) -> Self {
        Self {
            csv_header: self.csv_header,
            ..Self::default()
        }
    }

    /// Whether a Parquet or Arrow option is set (other files refuse them).
    fn chooses_columns(&self) -> bool {
        self.chosen.is_some() || !self.except.is_empty() || self.null_as_nan
    }
}

/// A rank's rows of a file: a memory map viewed in place, or rows converted on reading.
#[derive(Debug)]
pub struct Table {
    storage: Storage,
    /// Whether the file held one dimension (targets as scikit-learn's 1-D `y`).
    one_dimensional: bool,
    /// The file, for messages.
    path: PathBuf,
    /// The columns' names, where the file has them (Parquet, Arrow).
    names: Option<Vec<String>>,
}

#[derive(Debug)]
enum Storage {
    Mapped(Mapped),
    F64(Array2<f64>),
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))]
    F32(Array2<f32>),
}

/// A view of a [`Table`]'s rows in the file's precision: the registry's [`Rows`].
pub use spmd_core::registry::Rows;

impl Table {
    /// This rank's rows, without copying a mapped file.
    pub fn rows(&self) -> Result<Rows<'_>, CliError> {
        match &self.storage {
            Storage::Mapped(m) => m.rows().map_err(|e| CliError::file(&self.path, e)),
            Storage::F64(a) => Ok(Rows::F64(a.view())),
            Storage::F32(a) => Ok(Rows::F32(a.view())),
        }
    }

    /// Number of this rank's rows.
    pub fn nrows(&self) -> usize {
        match &self.storage {
            Storage::Mapped(m) => m.nrows(),
            Storage::F64(a) => a.nrows(),
            Storage::F32(a) => a.nrows(),
        }
    }

    /// Whether the file held a 1-D array (or one CSV column).
    pub fn one_dimensional(&self) -> bool {
        self.one_dimensional
    }

    /// The file the rows came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The columns' names, where the file has them (Parquet, Arrow).
    pub fn names(&self) -> Option<&[String]> {
        self.names.as_deref()
    }

    /// The rows as `F` (a copy: for targets and weights, small beside the features).
    pub fn to_owned_as<F: Float>(&self) -> Result<Array2<F>, CliError> {
        Ok(self.rows()?.to_owned_as())
    }

    /// The rows of a file that must hold one value per row (weights); an error naming the file
    /// otherwise.
    pub fn one_column(&self, what: &str) -> Result<Rows<'_>, CliError> {
        let rows = self.rows()?;
        match rows.dim().1 {
            1 => Ok(rows),
            k => Err(CliError::file(
                &self.path,
                format!("{what} must be one value per row, found {k} columns"),
            )),
        }
    }

    /// The single column of a file as `F` (see [`one_column`](Self::one_column)).
    pub fn column_as<F: Float>(&self, what: &str) -> Result<Array1<F>, CliError> {
        Ok(self
            .one_column(what)?
            .to_owned_as::<F>()
            .index_axis_move(Axis(1), 0))
    }
}

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

fn read_table(path: &Path, selection: &Selection, columns: &Columns) -> Result<Table, CliError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array1, ShapeBuilder};

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("spmd-learn-data-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    /// Whether the view's first value lies inside the table's memory map: read in place.
    fn reads_in_place(table: &Table) -> bool {
        let Storage::Mapped(m) = &table.storage else {
            return false;
        };
        let map = m.map_range();
        let first = match table.rows().unwrap() {
            Rows::F32(v) => v.as_ptr() as usize,
            Rows::F64(v) => v.as_ptr() as usize,
        };
        map.contains(&first)
    }

    #[test]
    fn float_npy_is_viewed_in_place_in_its_own_precision() {
        let comm = Comm::single();
        let x = array![[1.0_f64, 2.0], [3.0, 4.0], [5.0, 6.0]];
        let path = scratch("c64.npy");
        x.write_npy(std::fs::File::create(&path).unwrap()).unwrap();
        let table = read_features(path.to_str().unwrap(), &comm).unwrap();
        assert!(reads_in_place(&table));
        assert!(matches!(table.rows().unwrap(), Rows::F64(v) if v == x));

        let path = scratch("c32.npy");
        x.mapv(|v| v as f32)
            .write_npy(std::fs::File::create(&path).unwrap())
            .unwrap();
        let table = read_features(path.to_str().unwrap(), &comm).unwrap();
        assert!(reads_in_place(&table));
        assert!(matches!(table.rows().unwrap(), Rows::F32(v) if v == x.mapv(|v| v as f32)));

        // Fortran order is viewed in place too, with column-major strides.
        let path = scratch("f64.npy");
        let mut fortran = ndarray::Array2::<f64>::zeros((3, 2).f());
        fortran.assign(&x);
        fortran
            .write_npy(std::fs::File::create(&path).unwrap())
            .unwrap();
        let table = read_features(path.to_str().unwrap(), &comm).unwrap();
        assert!(reads_in_place(&table));
        assert!(matches!(table.rows().unwrap(), Rows::F64(v) if v == x));
    }

    #[test]
    fn ranks_share_rows_and_other_dtypes_convert_only_their_rows() {
        let path = scratch("ints.npy");
        Array1::from_iter(0..10_i32)
            .write_npy(std::fs::File::create(&path).unwrap())
            .unwrap();
        let selection = Selection::Share { rank: 1, size: 3 };
        let table = read_table(&path, &selection, &Columns::default()).unwrap();
        assert!(table.one_dimensional() && !reads_in_place(&table));
        assert_eq!(
            table.column_as::<f64>("y").unwrap().to_vec(),
            [3.0, 4.0, 5.0]
        );
        let table = read_table(&path, &Selection::Rows(7..10), &Columns::default()).unwrap();
        assert_eq!(
            table.column_as::<f32>("y").unwrap().to_vec(),
            [7.0, 8.0, 9.0]
        );
        let err = read_table(&path, &Selection::Rows(8..12), &Columns::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("has 10 rows, fewer than the features' 12 rows"),
            "{err}"
        );
    }

    #[test]
    fn bad_shapes_are_refused_with_the_file_named() {
        let path = scratch("three.npy");
        ndarray::Array3::<f64>::zeros((2, 2, 2))
            .write_npy(std::fs::File::create(&path).unwrap())
            .unwrap();
        let err = read_table(&path, &Selection::All, &Columns::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("three.npy") && err.contains("3 dimensions"),
            "{err}"
        );
        let path = scratch("scalar.npy");
        ndarray::arr0(1.0_f64)
            .write_npy(std::fs::File::create(&path).unwrap())
            .unwrap();
        let err = read_table(&path, &Selection::All, &Columns::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("0 dimensions"), "{err}");
    }

    #[test]
    fn csv_ranks_parse_their_own_bytes_and_match_rows_of_another_file() {
        let path = scratch("x.csv");
        let text: String = std::iter::once("a,b\n".to_string())
            .chain((0..9).map(|i| format!("{i},{}\n", 10 * i)))
            .collect();
        std::fs::write(&path, text).unwrap();
        let mut seen = Vec::new();
        for rank in 0..4 {
            let table = read_table(
                &path,
                &Selection::Share { rank, size: 4 },
                &Columns::default(),
            )
            .unwrap();
            seen.extend(table.to_owned_as::<f64>().unwrap().column(0).to_vec());
        }
        assert_eq!(seen, (0..9).map(f64::from).collect::<Vec<_>>());
        // More ranks than rows: the ranks without a line get 0 rows of the file's width.
        for rank in 0..16 {
            let table = read_table(
                &path,
                &Selection::Share { rank, size: 16 },
                &Columns::default(),
            )
            .unwrap();
            assert_eq!(table.rows().unwrap().dim().1, 2, "rank {rank}");
        }
        let table = read_table(&path, &Selection::Rows(2..5), &Columns::default()).unwrap();
        assert_eq!(
            table.to_owned_as::<f64>().unwrap().column(1).to_vec(),
            [20.0, 30.0, 40.0]
        );
    }

    /// A version-1 `.npy` file of `descr` and `shape` holding the bytes `data`, as numpy writes.
    fn npy_file(name: &str, descr: &str, fortran: bool, shape: &str, data: &[u8]) -> PathBuf {
        let dict = format!(
            "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
            if fortran { "True" } else { "False" }
        );
        let mut header = dict.into_bytes();
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(b' ');
        }
        header.push(b'\n');
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend((header.len() as u16).to_le_bytes());
        bytes.extend(header);
        bytes.extend(data);
        let path = scratch(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn big_endian_npy_converts_only_this_ranks_rows_from_the_map() {
        // Rows i = 0..5 of [i, 10 i] as big-endian f64, in C then Fortran order.
        let c: Vec<u8> = (0..5)
            .flat_map(|i| [f64::from(i), 10.0 * f64::from(i)])
            .flat_map(f64::to_be_bytes)
            .collect();
        let path = npy_file("be_c.npy", ">f8", false, "(5, 2)", &c);
        let table = read_table(
            &path,
            &Selection::Share { rank: 1, size: 2 },
            &Columns::default(),
        )
        .unwrap();
        let want = array![[2.0, 20.0], [3.0, 30.0], [4.0, 40.0]];
        assert_eq!(table.to_owned_as::<f64>().unwrap(), want);

        let f: Vec<u8> = (0..5)
            .map(f64::from)
            .chain((0..5).map(|i| 10.0 * f64::from(i)))
            .flat_map(f64::to_be_bytes)
            .collect();
        let path = npy_file("be_f.npy", ">f8", true, "(5, 2)", &f);
        let table = read_table(&path, &Selection::Rows(2..5), &Columns::default()).unwrap();
        assert_eq!(table.to_owned_as::<f64>().unwrap(), want);

        let ints: Vec<u8> = [7_i32, -3, 5]
            .into_iter()
            .flat_map(i32::to_be_bytes)
            .collect();
        let path = npy_file("be_i4.npy", ">i4", false, "(3,)", &ints);
        let table = read_table(&path, &Selection::All, &Columns::default()).unwrap();
        assert!(table.one_dimensional());
        assert_eq!(
            table.column_as::<f64>("y").unwrap().to_vec(),
            [7.0, -3.0, 5.0]
        );
    }

    #[test]
    fn unreadable_npy_files_are_errors_naming_the_problem() {
        let short = npy_file("be_short.npy", ">f8", false, "(5, 2)", &[0; 16]);
        let strings = npy_file("strings.npy", "<U3", false, "(2,)", &[0; 24]);
        let garbage = scratch("garbage.npy");
        std::fs::write(&garbage, b"not an array at all").unwrap();
        for (path, says) in [
            (short, "truncated"),
            (strings, "found dtype '<U3'"),
            (garbage, "no .npy magic string"),
        ] {
            let err = read_table(&path, &Selection::All, &Columns::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains(says), "{err}");
        }
    }
}
