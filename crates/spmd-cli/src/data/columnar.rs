//! Parquet files, directories of Parquet files (a dataset, files in name order) and Arrow IPC
//! files (`.arrow`, `.feather`), read for this rank's rows only.
//!
//! Every column is a feature (or, for targets and weights, a target column). Integer, boolean,
//! decimal and float columns are read; a file whose columns are all float32 stays f32. A column
//! of another type (strings, dictionaries, nested types) or with a null is an error that names
//! the file, the column and, for a null, its first row (counted over the whole input).
//!
//! For Parquet, a rank decodes only the row groups that hold its rows (its share of a shared
//! input, or the rows another file gave it); an Arrow IPC file is decoded batch by batch and
//! cut to the rank's rows.

use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Float64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use ndarray::Array2;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::{share, Selection, Storage};
use crate::CliError;

/// Whether `path` is read here: a directory, or a `.parquet`, `.arrow` or `.feather` file.
pub(super) fn handles(path: &Path) -> bool {
    path.is_dir()
        || matches!(
            extension(path).as_deref(),
            Some("parquet" | "arrow" | "feather")
        )
}

fn extension(path: &Path) -> Option<String> {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

/// This rank's rows of `path` (see the module's notes), and whether it has one column.
pub(super) fn read(path: &Path, selection: &Selection) -> Result<(Storage, bool), CliError> {
    let source = if matches!(extension(path).as_deref(), Some("arrow" | "feather")) {
        Source::ipc(path)?
    } else {
        Source::parquet(parts(path)?)?
    };
    let schema = source.schema.clone();
    let columns = schema.fields().len();
    if columns == 0 {
        return Err(CliError::file(path, "has no columns"));
    }
    for field in schema.fields() {
        if !readable(field.data_type()) {
            return Err(CliError::file(
                path,
                format!(
                    "column {:?} is of type {}; only integer, boolean, decimal and float columns \
                     can be read",
                    field.name(),
                    field.data_type()
                ),
            ));
        }
    }
    let mine = rows_of(selection, source.total, path)?;
    let single = schema
        .fields()
        .iter()
        .all(|f| f.data_type() == &DataType::Float32);
    let storage = if single {
        let mut out = Array2::<f32>::zeros((mine.len(), columns));
        source.each_batch(&mine, |file, first, batch| {
            fill(file, (first, first - mine.start), batch, &mut out, |a| {
                Ok(a.as_primitive::<Float32Type>().values().to_vec())
            })
        })?;
        Storage::F32(out)
    } else {
        let mut out = Array2::<f64>::zeros((mine.len(), columns));
        source.each_batch(&mine, |file, first, batch| {
            fill(file, (first, first - mine.start), batch, &mut out, |a| {
                let cast = arrow_cast::cast(a, &DataType::Float64).map_err(|e| e.to_string())?;
                Ok(cast.as_primitive::<Float64Type>().values().to_vec())
            })
        })?;
        Storage::F64(out)
    };
    Ok((storage, columns == 1))
}

/// Whether a column of this type is read (as numbers).
fn readable(data_type: &DataType) -> bool {
    data_type.is_numeric() || matches!(data_type, DataType::Boolean)
}

/// Copies a batch's columns (as `values` gives them) into `out` from row `at`; a null is an
/// error naming the file, the column and its row over the whole input (`first` is the batch's
/// first row there).
fn fill<T: Copy>(
    file: &Path,
    (first, at): (usize, usize),
    batch: &RecordBatch,
    out: &mut Array2<T>,
    values: impl Fn(&dyn Array) -> Result<Vec<T>, String>,
) -> Result<(), CliError> {
    for (j, column) in batch.columns().iter().enumerate() {
        if column.null_count() > 0 {
            let row = (0..column.len()).find(|&i| column.is_null(i)).unwrap_or(0);
            let name = batch.schema().field(j).name().clone();
            return Err(CliError::file(
                file,
                format!("column {name:?} holds a null at row {}", first + row),
            ));
        }
        let values = values(column.as_ref()).map_err(|e| CliError::file(file, e))?;
        for (i, v) in values.into_iter().enumerate() {
            out[[at + i, j]] = v;
        }
    }
    Ok(())
}

/// An input's schema, its row count, and where its rows are.
struct Source {
    schema: arrow_schema::SchemaRef,
    total: usize,
    kind: Kind,
}

enum Kind {
    /// Every row group of the files in order: file, group, global rows.
    Parquet {
        parts: Vec<PathBuf>,
        groups: Vec<(usize, usize, Range<usize>)>,
    },
    /// An IPC file's batches, decoded, with their first global rows.
    Ipc {
        path: PathBuf,
        batches: Vec<(usize, RecordBatch)>,
    },
}

impl Source {
    /// The files' metadata (no rows decoded); every file must have the first one's columns.
    fn parquet(parts: Vec<PathBuf>) -> Result<Self, CliError> {
        let mut groups = Vec::new();
        let mut total = 0;
        let mut schema: Option<arrow_schema::SchemaRef> = None;
        for (f, part) in parts.iter().enumerate() {
            let builder = open_parquet(part)?;
            match &schema {
                Some(first) if first.fields() != builder.schema().fields() => {
                    return Err(CliError::file(
                        part,
                        format!(
                            "has columns {:?}, the dataset's first file {:?}",
                            names(builder.schema()),
                            names(first)
                        ),
                    ))
                }
                Some(_) => {}
                None => schema = Some(builder.schema().clone()),
            }
            for (g, group) in builder.metadata().row_groups().iter().enumerate() {
                let rows = usize::try_from(group.num_rows()).unwrap_or(0);
                groups.push((f, g, total..total + rows));
                total += rows;
            }
        }
        let schema = schema.ok_or_else(|| CliError::Param("no Parquet files".into()))?;
        Ok(Self {
            schema,
            total,
            kind: Kind::Parquet { parts, groups },
        })
    }

    /// An Arrow IPC file, decoded batch by batch.
    fn ipc(path: &Path) -> Result<Self, CliError> {
        let file = File::open(path).map_err(|e| CliError::file(path, e))?;
        let reader = arrow_ipc::reader::FileReader::try_new(file, None)
            .map_err(|e| CliError::file(path, e))?;
        let schema = reader.schema();
        let mut batches = Vec::new();
        let mut total = 0;
        for batch in reader {
            let batch = batch.map_err(|e| CliError::file(path, e))?;
            let n = batch.num_rows();
            batches.push((total, batch));
            total += n;
        }
        Ok(Self {
            schema,
            total,
            kind: Kind::Ipc {
                path: path.to_path_buf(),
                batches,
            },
        })
    }

    /// Calls `visit(file, first global row, batch)` for the pieces of the input that hold the
    /// rows `mine`, in order, decoding only the Parquet row groups that hold them.
    fn each_batch(
        &self,
        mine: &Range<usize>,
        mut visit: impl FnMut(&Path, usize, &RecordBatch) -> Result<(), CliError>,
    ) -> Result<(), CliError> {
        let mut cut = |file: &Path, at: usize, batch: &RecordBatch| {
            let n = batch.num_rows();
            let (from, to) = (mine.start.max(at), mine.end.min(at + n));
            if from < to {
                visit(file, from, &batch.slice(from - at, to - from))?;
            }
            Ok::<_, CliError>(())
        };
        match &self.kind {
            Kind::Ipc { path, batches } => {
                for (at, batch) in batches {
                    cut(path, *at, batch)?;
                }
            }
            Kind::Parquet { parts, groups } => {
                for (f, g, rows) in groups {
                    if rows.end <= mine.start || rows.start >= mine.end {
                        continue;
                    }
                    let part = &parts[*f];
                    let reader = open_parquet(part)?
                        .with_row_groups(vec![*g])
                        .build()
                        .map_err(|e| CliError::file(part, e))?;
                    let mut at = rows.start;
                    for batch in reader {
                        let batch = batch.map_err(|e| CliError::file(part, e))?;
                        cut(part, at, &batch)?;
                        at += batch.num_rows();
                    }
                }
            }
        }
        Ok(())
    }
}

/// The Parquet files of `path`: itself, or a directory's `.parquet` files in name order.
fn parts(path: &Path) -> Result<Vec<PathBuf>, CliError> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| CliError::file(path, e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| extension(p).as_deref() == Some("parquet"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(CliError::file(
            path,
            "is a directory with no .parquet files",
        ));
    }
    Ok(files)
}

/// The global rows this rank reads of an input of `total` rows.
fn rows_of(selection: &Selection, total: usize, path: &Path) -> Result<Range<usize>, CliError> {
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
    }
}

fn open_parquet(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>, CliError> {
    let file = File::open(path).map_err(|e| CliError::file(path, e))?;
    ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| CliError::file(path, e))
}

fn names(schema: &arrow_schema::SchemaRef) -> Vec<String> {
    schema.fields().iter().map(|f| f.name().clone()).collect()
}
