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
    let parts = parts(path)?;
    let mut batches: Vec<(PathBuf, u64, RecordBatch)> = Vec::new();
    if matches!(extension(path).as_deref(), Some("arrow" | "feather")) {
        read_ipc(path, selection, &mut batches)?;
    } else {
        read_parquet(&parts, selection, &mut batches)?;
    }
    let schema = match batches.first() {
        Some((_, _, b)) => b.schema(),
        None => schema_of(&parts, path)?,
    };
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
    let single = schema
        .fields()
        .iter()
        .all(|f| f.data_type() == &DataType::Float32);
    let rows: usize = batches.iter().map(|(_, _, b)| b.num_rows()).sum();
    let storage = if single {
        let mut out = Array2::<f32>::zeros((rows, columns));
        fill(&batches, &mut out, |a| {
            Ok(a.as_primitive::<Float32Type>().values().to_vec())
        })?;
        Storage::F32(out)
    } else {
        let mut out = Array2::<f64>::zeros((rows, columns));
        fill(&batches, &mut out, |a| {
            let cast = arrow_cast::cast(a, &DataType::Float64).map_err(|e| e.to_string())?;
            Ok(cast.as_primitive::<Float64Type>().values().to_vec())
        })?;
        Storage::F64(out)
    };
    Ok((storage, columns == 1))
}

/// Whether a column of this type is read (as numbers).
fn readable(data_type: &DataType) -> bool {
    data_type.is_numeric() || matches!(data_type, DataType::Boolean)
}

/// Copies every batch's columns (as `values` gives them) into `out`, row after row; a null is
/// an error naming the file, the column and its row over the whole input.
fn fill<T: Copy>(
    batches: &[(PathBuf, u64, RecordBatch)],
    out: &mut Array2<T>,
    values: impl Fn(&dyn Array) -> Result<Vec<T>, String>,
) -> Result<(), CliError> {
    let mut at = 0;
    for (path, first, batch) in batches {
        for (j, column) in batch.columns().iter().enumerate() {
            if column.null_count() > 0 {
                let row = (0..column.len()).find(|&i| column.is_null(i)).unwrap_or(0);
                let name = batch.schema().field(j).name().clone();
                return Err(CliError::file(
                    path,
                    format!("column {name:?} holds a null at row {}", first + row as u64),
                ));
            }
            let values = values(column.as_ref()).map_err(|e| CliError::file(path, e))?;
            for (i, v) in values.into_iter().enumerate() {
                out[[at + i, j]] = v;
            }
        }
        at += batch.num_rows();
    }
    Ok(())
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

/// The schema of the first part (for a rank with no rows), its columns checked as any.
fn schema_of(parts: &[PathBuf], path: &Path) -> Result<arrow_schema::SchemaRef, CliError> {
    let first = parts
        .first()
        .ok_or_else(|| CliError::file(path, "no files"))?;
    if matches!(extension(first).as_deref(), Some("arrow" | "feather")) {
        let file = File::open(first).map_err(|e| CliError::file(first, e))?;
        let reader = arrow_ipc::reader::FileReader::try_new(file, None)
            .map_err(|e| CliError::file(first, e))?;
        return Ok(reader.schema());
    }
    Ok(open_parquet(first)?.schema().clone())
}

/// The row groups of `parts` that hold this rank's rows, decoded and cut to them; each batch
/// with its file and the global row of its first row.
fn read_parquet(
    parts: &[PathBuf],
    selection: &Selection,
    batches: &mut Vec<(PathBuf, u64, RecordBatch)>,
) -> Result<(), CliError> {
    // Every row group's global rows, over the files in order.
    let mut groups: Vec<(usize, usize, Range<usize>)> = Vec::new();
    let mut total = 0;
    let mut schema: Option<arrow_schema::SchemaRef> = None;
    for (f, part) in parts.iter().enumerate() {
        let builder = open_parquet(part)?;
        if let Some(first) = &schema {
            if first.fields() != builder.schema().fields() {
                return Err(CliError::file(
                    part,
                    format!(
                        "has columns {:?}, the dataset's first file {:?}",
                        names(builder.schema()),
                        names(first)
                    ),
                ));
            }
        } else {
            schema = Some(builder.schema().clone());
        }
        for (g, group) in builder.metadata().row_groups().iter().enumerate() {
            let rows = usize::try_from(group.num_rows()).unwrap_or(0);
            groups.push((f, g, total..total + rows));
            total += rows;
        }
    }
    let mine = rows_of(selection, total, &parts[0])?;
    for (f, g, rows) in groups {
        let (lo, hi) = (rows.start.max(mine.start), rows.end.min(mine.end));
        if lo >= hi {
            continue;
        }
        let reader = open_parquet(&parts[f])?
            .with_row_groups(vec![g])
            .with_batch_size(rows.len().max(1))
            .build()
            .map_err(|e| CliError::file(&parts[f], e))?;
        let mut at = rows.start;
        for batch in reader {
            let batch = batch.map_err(|e| CliError::file(&parts[f], e))?;
            let n = batch.num_rows();
            let (from, to) = (lo.max(at), hi.min(at + n));
            if from < to {
                let cut = batch.slice(from - at, to - from);
                batches.push((parts[f].clone(), from as u64, cut));
            }
            at += n;
        }
    }
    Ok(())
}

/// An Arrow IPC file's batches, decoded in order and cut to this rank's rows.
fn read_ipc(
    path: &Path,
    selection: &Selection,
    batches: &mut Vec<(PathBuf, u64, RecordBatch)>,
) -> Result<(), CliError> {
    let open = || {
        let file = File::open(path).map_err(|e| CliError::file(path, e))?;
        arrow_ipc::reader::FileReader::try_new(file, None).map_err(|e| CliError::file(path, e))
    };
    let mut all = Vec::new();
    for batch in open()? {
        all.push(batch.map_err(|e| CliError::file(path, e))?);
    }
    let total: usize = all.iter().map(RecordBatch::num_rows).sum();
    let mine = rows_of(selection, total, path)?;
    let mut at = 0;
    for batch in all {
        let n = batch.num_rows();
        let (from, to) = (mine.start.max(at), mine.end.min(at + n));
        if from < to {
            batches.push((
                path.to_path_buf(),
                from as u64,
                batch.slice(from - at, to - from),
            ));
        }
        at += n;
    }
    Ok(())
}

fn names(schema: &arrow_schema::SchemaRef) -> Vec<String> {
    schema.fields().iter().map(|f| f.name().clone()).collect()
}
