//! The models that keep their training rows (the neighbour searches) on the command line. Their
//! model file keeps the parameters and where the training rows are (the `--x` and `--y`
//! patterns as absolute paths, the Parquet column choice, a checksum of every file), not the
//! rows themselves: `predict`, `transform` and `kneighbors` read them again, split over the
//! ranks of that run, fit again (which only keeps the rows), and fail if a file changed or
//! vanished.

use std::ops::Range;
use std::path::{Path, PathBuf};

use ndarray::Array2;
use serde::{Deserialize, Serialize};
use spmd_core::distributed::agree;
use spmd_core::estimator::Context;
use spmd_core::registry::{Entry, FitInput, FitOutput, Rows};
use spmd_core::Comm;

use crate::data::{self, resolve, Columns, CsvHeader, RowPartition};
use crate::estimators::Sources;
use crate::{training_checksum, CliError, ModelFile};

/// Where a model's training rows are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct TrainingFiles {
    /// The `--x` pattern, absolute.
    x: String,
    /// The `--y` pattern, absolute, for the classifier and the regressor.
    y: Option<String>,
    /// Ranks of the fit: a `{rank}` pattern names one file per rank of it.
    ranks: usize,
    /// A checksum of each file, `x`'s then `y`'s, one per rank for `{rank}` patterns.
    checksums: Vec<u64>,
    /// The chunk size of the checksums ([`training_checksum`]); absent in models written
    /// before chunked checksums, whose checksums hash each file whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    checksum_chunk_bytes: Option<u64>,
    /// Rows of each shard of a `{rank}` pattern (empty for one file): a run with another
    /// number of ranks splits their concatenation evenly.
    #[serde(default)]
    shard_rows: Vec<u64>,
    /// `--columns` of the fit, as given (Parquet, Arrow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    columns: Option<String>,
    /// `--y-column` of the fit: the targets are this column of `x`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    y_column: Option<String>,
    /// `--null-as-nan` of the fit.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    null_as_nan: bool,
    /// `--csv-header` of the fit.
    #[serde(default, skip_serializing_if = "CsvHeader::is_auto")]
    csv_header: CsvHeader,
}

impl TrainingFiles {
    /// Whether the rows are in one file per rank of the fit.
    fn sharded(&self) -> bool {
        self.x.contains("{rank}") || self.y.as_deref().is_some_and(|y| y.contains("{rank}"))
    }

    /// The features' columns, chosen as the fit chose them.
    fn feature_columns(&self) -> Result<Columns, CliError> {
        let mut columns = Columns::parse(self.columns.as_deref(), self.null_as_nan)?
            .with_csv_header(self.csv_header);
        columns.except = self.y_column.iter().cloned().collect();
        Ok(columns)
    }

    /// Where the targets are: a file of their own, or a column of `x`'s.
    fn targets(&self, features: &Columns) -> Option<(&str, Columns)> {
        match (&self.y, &self.y_column) {
            (_, Some(column)) => Some((&self.x, features.only(column))),
            (Some(y), None) => Some((y, features.csv_only())),
            (None, None) => None,
        }
    }
}

/// `fit`: fits as usual (which checks the rows and keeps them, collective), then writes where
/// the rows are beside the model's attributes.
pub(crate) fn fit(
    entry: &Entry,
    ctx: Context<'_>,
    params: &serde_json::Value,
    input: &FitInput<'_>,
    sources: &Sources,
) -> Result<FitOutput, CliError> {
    let comm = ctx.comm;
    let mut output = entry.fit(ctx, params, input, false)?;
    let Sources {
        x,
        y,
        columns,
        y_column,
        null_as_nan,
        csv_header,
    } = sources.clone();
    let mut training = TrainingFiles {
        x,
        y,
        ranks: comm.size(),
        checksums: Vec::new(),
        checksum_chunk_bytes: Some(training_checksum::CHUNK_BYTES),
        shard_rows: Vec::new(),
        columns,
        y_column,
        null_as_nan,
        csv_header,
    };
    training.checksums = checksums(comm, &training)?;
    if training.sharded() {
        let rows = [input.x.dim().0 as u64];
        training.shard_rows = comm.allgather(&rows).map_err(spmd_core::Error::from)?;
    }
    let training = serde_json::to_value(training).map_err(|e| CliError::Param(e.to_string()))?;
    output
        .model
        .attributes
        .insert("training_files".into(), training);
    Ok(output)
}

/// The model `model` describes, fitted again on its training rows read again (every rank its
/// share): a live model, ready for queries. Collective.
pub(crate) fn refit(
    entry: &Entry,
    ctx: Context<'_>,
    model: &ModelFile,
) -> Result<ModelFile, CliError> {
    let comm = ctx.comm;
    let files: TrainingFiles = model
        .attributes
        .get("training_files")
        .cloned()
        .ok_or_else(|| model_error(model, "it names no training files".into()))
        .and_then(|v| serde_json::from_value(v).map_err(|e| model_error(model, e.to_string())))?;
    let resplit = files.sharded() && files.ranks != comm.size();
    if resplit && files.shard_rows.len() != files.ranks {
        let message = format!(
            "its training rows are in one file per rank of a {}-rank fit ({}) and it does not \
             record their row counts; run with {} ranks, or fit again",
            files.ranks, files.x, files.ranks
        );
        return Err(model_error(model, message));
    }
    if checksums(comm, &files)? != files.checksums {
        let y = files
            .y
            .as_deref()
            .map(|y| format!(", {y}"))
            .unwrap_or_default();
        let message = format!(
            "its training files changed since it was fitted ({}{y}); fit again",
            files.x
        );
        return Err(model_error(model, message));
    }
    let columns = files.feature_columns()?;
    let targets = files.targets(&columns);
    // The rows live here: a mapped file, or the pieces of shards joined. A read that fails on
    // one rank fails every rank before the next collective.
    let (x_table, x_joined);
    let (x_rows, y_rows) = if resplit {
        let rows = share_of_shards(comm, &files.shard_rows);
        let read = |pattern: &str, columns: &Columns| {
            agree(
                comm,
                read_range(pattern, &files.shard_rows, rows.clone(), columns),
            )
        };
        x_joined = read(&files.x, &columns)?.0;
        let y = targets.map(|(y, columns)| read(y, &columns)).transpose()?;
        (Rows::F64(x_joined.view()), y)
    } else {
        let read = data::read_features_with(&files.x, comm, &columns);
        x_table = agree(comm, read.map_err(CliError::into_core))?;
        let partition = RowPartition::of_features(&files.x, comm, &x_table)?;
        let y = targets
            .map(|(y, columns)| {
                let read = partition.read(y, &columns);
                agree(comm, read.map_err(CliError::into_core))
            })
            .transpose()?;
        let x_rows = x_table.rows()?;
        let y_rows = y
            .as_ref()
            .map(|y| Ok::<_, CliError>((y.to_owned_as::<f64>()?, y.one_dimensional())))
            .transpose()?;
        (x_rows, y_rows)
    };
    let input = FitInput {
        y: y_rows
            .as_ref()
            .map(|(y, one_d)| (Rows::F64(y.view()), *one_d)),
        ..FitInput::new(x_rows)
    };
    let mut fitted = entry.fit(ctx, &model.params, &input, false)?.model;
    fitted.attributes = model.attributes.clone();
    Ok(fitted)
}

/// An error about the neighbour model `model`, naming it.
fn model_error(model: &ModelFile, message: String) -> CliError {
    CliError::Core(spmd_core::Error::Input(format!(
        "{} model: {message}",
        model.estimator
    )))
}

/// The checksum of every training file, `x`'s then `y`'s. Collective.
fn checksums(comm: &Comm, files: &TrainingFiles) -> Result<Vec<u64>, CliError> {
    let chunk = files.checksum_chunk_bytes;
    let mut sums = checksums_of(comm, &files.x, files.ranks, chunk)?;
    if let Some(y) = &files.y {
        sums.extend(checksums_of(comm, y, files.ranks, chunk)?);
    }
    Ok(sums)
}

/// The checksum of each file of `pattern`, in chunks of `chunk` bytes (or whole, for older
/// models): one per shard of a `{rank}` pattern written by `shards` ranks (shard `i` read by
/// rank `i % size`, so by its own rank when the counts agree), else the one file's (its chunks
/// split over the ranks; an older model's read by rank 0). Collective.
fn checksums_of(
    comm: &Comm,
    pattern: &str,
    shards: usize,
    chunk: Option<u64>,
) -> Result<Vec<u64>, CliError> {
    let (rank, size) = (comm.rank(), comm.size());
    let per_rank = pattern.contains("{rank}");
    if let (false, Some(chunk)) = (per_rank, chunk) {
        return Ok(vec![training_checksum::shared(
            comm,
            Path::new(pattern),
            chunk,
        )?]);
    }
    let count = if per_rank { shards } else { 1 };
    let mine: Result<Vec<u64>, CliError> = (0..count)
        .map(|i| {
            if i % size != rank {
                return Ok(0);
            }
            let path = resolve(pattern, i).0;
            match chunk {
                Some(chunk) => training_checksum::local(&path, chunk),
                None => training_checksum::whole_file(&path),
            }
        })
        .collect();
    let mine = agree(comm, mine.map_err(CliError::into_core))?;
    let all = comm.allgather(&mine).map_err(spmd_core::Error::from)?;
    // Rank r's list starts at r * count; shard i is in its reader's list.
    Ok((0..count).map(|i| all[(i % size) * count + i]).collect())
}

/// This rank's even share of the global rows of shards holding `shard_rows` rows each.
fn share_of_shards(comm: &Comm, shard_rows: &[u64]) -> Range<usize> {
    let total = shard_rows.iter().sum::<u64>() as usize;
    let (start, end) = data::share(total, comm.rank(), comm.size());
    start..end
}

/// Global rows `rows` of the `columns` of `pattern` (shards of `shard_rows` rows each, or one
/// file) as f64, and whether the file held one dimension: the pieces of every shard they span,
/// joined.
fn read_range(
    pattern: &str,
    shard_rows: &[u64],
    rows: Range<usize>,
    columns: &Columns,
) -> spmd_core::Result<(Array2<f64>, bool)> {
    let read = |path: &Path, range: Range<usize>| {
        let table = data::read_rows_with(path, range, columns)?;
        Ok::<_, CliError>((table.to_owned_as::<f64>()?, table.one_dimensional()))
    };
    let read_all = || {
        if !pattern.contains("{rank}") {
            return read(Path::new(pattern), rows.clone());
        }
        let mut pieces = Vec::new();
        let mut one_d = false;
        let mut first = 0;
        for (i, &n) in shard_rows.iter().enumerate() {
            let (start, end) = (first, first + n as usize);
            first = end;
            let (lo, hi) = (rows.start.max(start), rows.end.min(end));
            if lo < hi || (rows.is_empty() && i == 0) {
                let (piece, d) = read(&resolve(pattern, i).0, lo - start..hi.max(lo) - start)?;
                one_d = d;
                pieces.push(piece);
            }
        }
        let views: Vec<_> = pieces.iter().map(|p| p.view()).collect();
        ndarray::concatenate(ndarray::Axis(0), &views)
            .map(|joined| (joined, one_d))
            .map_err(|e| CliError::Param(format!("{pattern}: shards of unequal widths ({e})")))
    };
    read_all().map_err(CliError::into_core)
}

/// `pattern` made absolute (the `{rank}` placeholder kept), so a model read elsewhere finds
/// its files.
pub(crate) fn absolute(pattern: &str) -> String {
    std::path::absolute(PathBuf::from(pattern))
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| pattern.to_string())
}
