//! Parquet files, directories of Parquet files (a dataset, files in name order) and Arrow IPC
//! files (`.arrow`, `.feather`), read for this rank's rows only.
//!
//! The columns read are those chosen ([`Columns`]), by default every numeric column but the
//! target and weight columns. Integer, boolean, decimal and float columns are read; a choice
//! of columns that are all float32 stays f32. A chosen column of another type (strings,
//! dictionaries, nested types) or with a null is an error that names the file, the column and,
//! for a null, its first row (counted over the whole input).
//!
//! For Parquet, a rank reads each file's metadata once and decodes only the chosen columns of
//! the row groups that hold its rows: of a shared input, whole
//! row groups balanced by rows (an even share of the rows, cut inside row groups, when there
//! are fewer row groups than ranks); for targets and weights, the rows its features gave it.
//! An Arrow IPC file is decoded batch by batch and cut to the rank's rows.

use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{ArrowPrimitiveType, Float32Type, Float64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use ndarray::Array2;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::ProjectionMask;

use super::columns::{ColumnChoice, Columns};
use super::selection::{rows_of, Selection};
use super::table::Storage;
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

/// This rank's rows of the `columns` of `path` (see the module's notes), whether it has one
/// column, and the columns' names.
pub(super) fn read(
    path: &Path,
    selection: &Selection,
    columns: &Columns,
) -> Result<(Storage, bool, Vec<String>), CliError> {
    let source = if matches!(extension(path).as_deref(), Some("arrow" | "feather")) {
        Source::ipc(path)?
    } else {
        Source::parquet(parts(path)?)?
    };
    let chosen = choose(&source.schema, columns, path)?;
    if chosen.is_empty() {
        return Err(CliError::file(path, "has no columns to read"));
    }
    let fields: Vec<&arrow_schema::Field> =
        chosen.iter().map(|&j| source.schema.field(j)).collect();
    for field in &fields {
        if !readable(field.data_type()) {
            return Err(CliError::file(
                path,
                format!(
                    "column {:?} is of type {}; only integer, boolean, decimal and float columns \
                     can be read (--columns chooses others)",
                    field.name(),
                    field.data_type()
                ),
            ));
        }
    }
    let names: Vec<String> = fields.iter().map(|f| f.name().clone()).collect();
    let mine = match (selection, &source.kind) {
        // A shared Parquet input: whole row groups to each rank, balanced by rows, where there
        // are enough of them.
        (Selection::Share { rank, size }, Kind::Parquet { groups, .. })
            if groups.len() >= *size =>
        {
            let ranges: Vec<Range<usize>> = groups.iter().map(|g| g.2.clone()).collect();
            by_row_groups(&ranges, source.total, *rank, *size)
        }
        _ => rows_of(selection, source.total, path)?,
    };
    let single = fields.iter().all(|f| f.data_type() == &DataType::Float32);
    let storage = if single {
        let rows = (&mine, chosen.as_slice());
        Storage::F32(decode::<Float32Type>(
            &source,
            rows,
            columns.null_as_nan,
            f32::NAN,
        )?)
    } else {
        let rows = (&mine, chosen.as_slice());
        Storage::F64(decode::<Float64Type>(
            &source,
            rows,
            columns.null_as_nan,
            f64::NAN,
        )?)
    };
    Ok((storage, chosen.len() == 1, names))
}

/// The positions of the columns `columns` picks in `schema`; a name or position the input
/// lacks is an error that lists what it has.
fn choose(
    schema: &arrow_schema::SchemaRef,
    columns: &Columns,
    path: &Path,
) -> Result<Vec<usize>, CliError> {
    let all = names(schema);
    let has = || format!("its columns are {all:?}");
    match &columns.chosen {
        // Every numeric column but the target and weight columns.
        None => Ok((0..all.len())
            .filter(|&j| !columns.except.contains(&all[j]) && readable(schema.field(j).data_type()))
            .collect()),
        Some(ColumnChoice::Names(wanted)) => wanted
            .iter()
            .map(|name| {
                all.iter().position(|n| n == name).ok_or_else(|| {
                    CliError::file(path, format!("has no column {name:?}; {}", has()))
                })
            })
            .collect(),
        Some(ColumnChoice::Positions(range))
            if range.end <= all.len() && range.start < range.end =>
        {
            Ok(range.clone().collect())
        }
        Some(ColumnChoice::Positions(range)) => Err(CliError::file(
            path,
            format!(
                "has {} columns, so positions {}:{} do not fit; {}",
                all.len(),
                range.start,
                range.end,
                has()
            ),
        )),
    }
}

/// Whether a column of this type is read (as numbers).
fn readable(data_type: &DataType) -> bool {
    data_type.is_numeric() || matches!(data_type, DataType::Boolean)
}

/// The rows `mine` of the `chosen` columns of `source` as `T` (nulls as `nan` with
/// `null_as_nan`, else an error naming the file, the column and its row over the whole input).
fn decode<T: ArrowPrimitiveType>(
    source: &Source,
    (mine, chosen): (&Range<usize>, &[usize]),
    null_as_nan: bool,
    nan: T::Native,
) -> Result<Array2<T::Native>, CliError> {
    // The decoded batches hold the chosen columns once each, in the file's order.
    let mut decoded: Vec<usize> = chosen.to_vec();
    decoded.sort_unstable();
    decoded.dedup();
    let mut out = Array2::from_elem((mine.len(), chosen.len()), nan);
    source.each_batch(mine, &decoded, |file, first, batch| {
        let at = first - mine.start;
        for (k, &j) in chosen.iter().enumerate() {
            let column = batch.column(decoded.binary_search(&j).unwrap_or(0));
            if column.null_count() > 0 && !null_as_nan {
                let row = (0..column.len()).find(|&i| column.is_null(i)).unwrap_or(0);
                let name = source.schema.field(j).name();
                return Err(CliError::file(
                    file,
                    format!(
                        "column {name:?} holds a null at row {} (--null-as-nan reads nulls as \
                         NaN)",
                        first + row
                    ),
                ));
            }
            let cast =
                arrow_cast::cast(column, &T::DATA_TYPE).map_err(|e| CliError::file(file, e))?;
            let values = cast.as_primitive::<T>();
            for i in 0..values.len() {
                if values.is_valid(i) {
                    out[[at + i, k]] = values.value(i);
                }
            }
        }
        Ok(())
    })?;
    Ok(out)
}

/// An input's schema, its row count, and where its rows are.
struct Source {
    schema: arrow_schema::SchemaRef,
    total: usize,
    kind: Kind,
}

enum Kind {
    /// Every row group of the files in order: file, group, global rows; and each file's
    /// metadata, read once.
    Parquet {
        parts: Vec<PathBuf>,
        metadata: Vec<ArrowReaderMetadata>,
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
        let mut metadata = Vec::new();
        let mut total = 0;
        for (f, part) in parts.iter().enumerate() {
            let file = File::open(part).map_err(|e| CliError::file(part, e))?;
            let meta = ArrowReaderMetadata::load(&file, ArrowReaderOptions::default())
                .map_err(|e| CliError::file(part, e))?;
            if let Some(first) = metadata.first().map(ArrowReaderMetadata::schema) {
                if first.fields() != meta.schema().fields() {
                    return Err(CliError::file(
                        part,
                        format!(
                            "has columns {:?}, the dataset's first file {:?}",
                            names(meta.schema()),
                            names(first)
                        ),
                    ));
                }
            }
            for (g, group) in meta.metadata().row_groups().iter().enumerate() {
                let rows = usize::try_from(group.num_rows()).unwrap_or(0);
                groups.push((f, g, total..total + rows));
                total += rows;
            }
            metadata.push(meta);
        }
        let schema = metadata
            .first()
            .map(|m| m.schema().clone())
            .ok_or_else(|| CliError::Param("no Parquet files".into()))?;
        Ok(Self {
            schema,
            total,
            kind: Kind::Parquet {
                parts,
                metadata,
                groups,
            },
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
    /// rows `mine`, in order, with the columns `columns` (ascending) alone, decoding only the
    /// Parquet row groups and columns that hold them.
    fn each_batch(
        &self,
        mine: &Range<usize>,
        columns: &[usize],
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
                    let projected = batch
                        .project(columns)
                        .map_err(|e| CliError::file(path, e))?;
                    cut(path, *at, &projected)?;
                }
            }
            Kind::Parquet {
                parts,
                metadata,
                groups,
            } => {
                for (f, g, rows) in groups {
                    if rows.end <= mine.start || rows.start >= mine.end {
                        continue;
                    }
                    let (part, meta) = (&parts[*f], &metadata[*f]);
                    let file = File::open(part).map_err(|e| CliError::file(part, e))?;
                    let projection =
                        ProjectionMask::roots(meta.parquet_schema(), columns.iter().copied());
                    let reader =
                        ParquetRecordBatchReaderBuilder::new_with_metadata(file, meta.clone())
                            .with_row_groups(vec![*g])
                            .with_projection(projection)
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
pub(super) fn parts(path: &Path) -> Result<Vec<PathBuf>, CliError> {
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

/// The rows of rank `rank` of `size` when whole row groups (of global rows `groups`, in order)
/// go to the rank whose even share holds their middle row: contiguous, balanced by rows to
/// within a row group.
fn by_row_groups(groups: &[Range<usize>], total: usize, rank: usize, size: usize) -> Range<usize> {
    let owner = |g: &Range<usize>| ((g.start + g.end) / 2 * size / total.max(1)).min(size - 1);
    let mine: Vec<&Range<usize>> = groups.iter().filter(|g| owner(g) == rank).collect();
    match (mine.first(), mine.last()) {
        (Some(first), Some(last)) => first.start..last.end,
        _ => {
            // No group: an empty range where the next rank's rows start.
            let at = groups
                .iter()
                .find(|g| owner(g) > rank)
                .map_or(total, |g| g.start);
            at..at
        }
    }
}

/// Writes `rows` as a Parquet file (snappy) of float64 columns named `0`, `1`, ... (an Arrow
/// IPC file for `.arrow` and `.feather`).
pub(super) fn write(path: &Path, rows: ndarray::ArrayView2<'_, f64>) -> Result<(), CliError> {
    use std::sync::Arc;
    let fields: Vec<arrow_schema::Field> = (0..rows.ncols())
        .map(|j| arrow_schema::Field::new(j.to_string(), DataType::Float64, false))
        .collect();
    let schema = Arc::new(arrow_schema::Schema::new(fields));
    let columns: Vec<arrow_array::ArrayRef> = rows
        .columns()
        .into_iter()
        .map(|c| Arc::new(arrow_array::Float64Array::from(c.to_vec())) as arrow_array::ArrayRef)
        .collect();
    let batch =
        RecordBatch::try_new(schema.clone(), columns).map_err(|e| CliError::file(path, e))?;
    let file = File::create(path).map_err(|e| CliError::file(path, e))?;
    if matches!(extension(path).as_deref(), Some("arrow" | "feather")) {
        let mut writer = arrow_ipc::writer::FileWriter::try_new(file, &schema)
            .map_err(|e| CliError::file(path, e))?;
        writer.write(&batch).map_err(|e| CliError::file(path, e))?;
        return writer.finish().map_err(|e| CliError::file(path, e));
    }
    let properties = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .build();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, schema, Some(properties))
        .map_err(|e| CliError::file(path, e))?;
    writer.write(&batch).map_err(|e| CliError::file(path, e))?;
    writer
        .close()
        .map(drop)
        .map_err(|e| CliError::file(path, e))
}

fn names(schema: &arrow_schema::SchemaRef) -> Vec<String> {
    schema.fields().iter().map(|f| f.name().clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_row_groups_go_to_the_ranks_in_order_balanced_by_rows() {
        let groups: Vec<Range<usize>> = [0..7, 7..14, 14..21, 21..28, 28..35, 35..40].into();
        for size in 1..=6 {
            let mut at = 0;
            for rank in 0..size {
                let mine = by_row_groups(&groups, 40, rank, size);
                assert_eq!(mine.start, at, "size {size}");
                assert!(groups.iter().any(|g| g.start == mine.start) || mine.is_empty());
                at = mine.end;
            }
            assert_eq!(at, 40);
        }
        assert_eq!(by_row_groups(&groups, 40, 1, 2), 21..40);
    }
}
