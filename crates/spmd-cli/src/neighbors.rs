//! The neighbour estimators on the command line. Their model file keeps the parameters and
//! where the training rows are (the `--x` and `--y` patterns as absolute paths, the Parquet
//! column choice, a checksum of every file), not the rows themselves: `predict`, `transform`
//! and `kneighbors` read them again, split over the ranks of that run, and fail if a file
//! changed or vanished.
//! [`fit_rows`] and [`Fitted`] also serve the Python package, whose estimators keep their rows.

use std::ops::Range;
use std::path::{Path, PathBuf};

use ndarray::{Array2, ArrayView2, CowArray, Ix2};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use spmd_core::distributed::agree;
use spmd_core::estimator::Context;
use spmd_core::neighbors::{
    FittedNeighbors, KNeighborsClassifier, KNeighborsRegressor, NearestNeighbors, NeighborsParams,
};
use spmd_core::{Comm, Queue};

use crate::data::{self, resolve, Columns, CsvHeader, RowPartition, Rows};
use crate::estimators::{FitInput, FitOutput, Sources};
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

/// `NAME=VALUE` parameters checked and normalised, each bad value named.
pub(crate) fn params(pairs: Map<String, Value>) -> Result<Value, CliError> {
    crate::estimators::checked::<NeighborsParams>(pairs)
}

fn parse(params: &Value) -> Result<NeighborsParams, CliError> {
    serde_json::from_value(params.clone()).map_err(|e| CliError::Param(e.to_string()))
}

/// A neighbour estimator fitted on this rank's rows: `nearest-neighbors`, `knn-classifier` or
/// `knn-regressor`.
pub enum Fitted {
    /// `nearest-neighbors`.
    Search(FittedNeighbors),
    /// `knn-classifier`.
    Classifier(spmd_core::neighbors::FittedKNeighborsClassifier),
    /// `knn-regressor`.
    Regressor(spmd_core::neighbors::FittedKNeighborsRegressor),
}

impl Fitted {
    /// The search every neighbour estimator is.
    pub fn search(&self) -> &FittedNeighbors {
        match self {
            Fitted::Search(s) => s,
            Fitted::Classifier(c) => c,
            Fitted::Regressor(r) => r,
        }
    }
}

/// The search over this rank's rows `x` (and targets `y`, 2-D, with whether they were one
/// column given as a vector) for the estimator `name`. Collective: every rank calls it.
pub fn fit_rows(
    name: &str,
    comm: &Comm,
    params: &NeighborsParams,
    x: Rows<'_>,
    y: Option<(&Array2<f64>, bool)>,
) -> Result<Fitted, CliError> {
    // float32 rows stay f32, so the search prunes in f32.
    match x {
        Rows::F32(x) => fit_typed(name, comm, params, x, y),
        Rows::F64(x) => fit_typed(name, comm, params, x, y),
    }
}

fn fit_typed<F: spmd_core::Float>(
    name: &str,
    comm: &Comm,
    params: &NeighborsParams,
    x: ArrayView2<'_, F>,
    y: Option<(&Array2<f64>, bool)>,
) -> Result<Fitted, CliError> {
    let needs_y = || {
        CliError::Core(spmd_core::Error::Input(format!(
            "{name} needs targets: pass --y"
        )))
    };
    Ok(match name {
        "knn-classifier" => {
            let (y, _) = y.ok_or_else(needs_y)?;
            let labels = y.column(0).to_owned();
            let estimator = KNeighborsClassifier::with_params(params.clone()).comm(comm.clone());
            Fitted::Classifier(estimator.fit(&x, &labels)?)
        }
        "knn-regressor" => {
            let (y, one_d) = y.ok_or_else(needs_y)?;
            let estimator = KNeighborsRegressor::with_params(params.clone()).comm(comm.clone());
            let fitted = if one_d {
                estimator.fit(&x, &y.column(0).to_owned())?
            } else {
                estimator.fit(&x, y)?
            };
            Fitted::Regressor(fitted)
        }
        _ => Fitted::Search(
            NearestNeighbors::with_params(params.clone())
                .comm(comm.clone())
                .fit(&x)?,
        ),
    })
}

/// `fit`: checks the rows as a search would (collective), then writes where they are.
pub(crate) fn fit(
    name: &str,
    ctx: Context<'_>,
    params: &Value,
    input: &FitInput<'_>,
    _local: bool,
) -> Result<FitOutput, CliError> {
    let comm = ctx.comm;
    let parsed = parse(params)?;
    if input.sample_weight.is_some() {
        // scikit-learn's neighbour estimators take none either.
        return Err(CliError::Param(format!("{name} takes no sample weights")));
    }
    let y = input
        .y
        .as_ref()
        .map(|(y, one_d)| (y.to_owned_as::<f64>(), *one_d));
    let fitted = fit_rows(
        name,
        comm,
        &parsed,
        input.x.clone(),
        y.as_ref().map(|(y, d)| (y, *d)),
    )?;
    let Sources {
        x,
        y,
        columns,
        y_column,
        null_as_nan,
        csv_header,
    } = input.sources.clone();
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
    let search = fitted.search();
    let mut attributes = Map::new();
    attributes.insert("n_features_in_".into(), search.n_features_in().into());
    attributes.insert("n_samples_fit_".into(), search.n_samples_fit().into());
    if let Fitted::Classifier(c) = &fitted {
        attributes.insert("classes_".into(), c.classes().to_vec().into());
    }
    let training = serde_json::to_value(training).map_err(|e| CliError::Param(e.to_string()))?;
    attributes.insert("training_files".into(), training);
    let model = ModelFile::new(name, params.clone(), Value::Object(attributes))?;
    Ok(FitOutput { model, local: None })
}

/// The search a model describes, its training rows read again (every rank its share).
fn refit(comm: &Comm, model: &ModelFile) -> Result<Fitted, CliError> {
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
    fit_rows(
        &model.estimator,
        comm,
        &parse(&model.params)?,
        x_rows,
        y_rows.as_ref().map(|(y, d)| (y, *d)),
    )
}

/// `predict`: labels (classifier) or values (regressor) of this rank's rows. Collective.
pub(crate) fn predict(
    ctx: Context<'_>,
    model: &ModelFile,
    x: Rows<'_>,
) -> Result<Array2<f64>, CliError> {
    refit_and(
        ctx,
        model,
        x,
        "predict",
        |fitted, queries, queue| match fitted {
            Fitted::Classifier(c) => Ok(Some(
                c.predict(queries, queue)?
                    .mapv(|l| l as f64)
                    .insert_axis(ndarray::Axis(1)),
            )),
            Fitted::Regressor(r) => Ok(Some(r.predict(queries, queue)?)),
            Fitted::Search(_) => Ok(None),
        },
    )
}

/// `transform`: the classifier's class probabilities. Collective.
pub(crate) fn transform(
    ctx: Context<'_>,
    model: &ModelFile,
    x: Rows<'_>,
) -> Result<Array2<f64>, CliError> {
    refit_and(
        ctx,
        model,
        x,
        "transform",
        |fitted, queries, queue| match fitted {
            Fitted::Classifier(c) => Ok(Some(c.predict_proba(queries, queue)?)),
            _ => Ok(None),
        },
    )
}

/// Refits the model's search and applies `operation` to this rank's rows `x` (on the context's
/// queue); `None` from it means the estimator has no such operation.
fn refit_and(
    ctx: Context<'_>,
    model: &ModelFile,
    x: Rows<'_>,
    operation: &'static str,
    apply: impl FnOnce(
        &Fitted,
        ArrayView2<'_, f64>,
        Option<&Queue>,
    ) -> spmd_core::Result<Option<Array2<f64>>>,
) -> Result<Array2<f64>, CliError> {
    let queries = as_f64(x);
    let fitted = refit(ctx.comm, model)?;
    apply(&fitted, queries.view(), ctx.queue)?.ok_or_else(|| CliError::Unsupported {
        estimator: model.estimator.clone(),
        operation,
    })
}

/// `kneighbors`: distances and global indices (as numbers) of this rank's rows. Collective.
pub(crate) fn kneighbors(
    ctx: Context<'_>,
    model: &ModelFile,
    x: Rows<'_>,
) -> Result<(Array2<f64>, Array2<f64>), CliError> {
    let queries = as_f64(x);
    let fitted = refit(ctx.comm, model)?;
    let search = fitted.search();
    let (distances, indices) = search.kneighbors(Some(queries.view()), None, ctx.queue)?;
    Ok((distances, indices.mapv(|i| i as f64)))
}

/// Features as f64 for the search: float64 rows as they are (in place where the file is
/// mapped), float32 rows widened.
fn as_f64(rows: Rows<'_>) -> CowArray<'_, f64, Ix2> {
    match rows {
        Rows::F64(v) => v.into(),
        Rows::F32(v) => v.mapv(f64::from).into(),
    }
}

/// An error about the neighbour model `model`, naming it.
fn model_error(model: &ModelFile, message: String) -> CliError {
    CliError::Core(spmd_core::Error::Input(format!(
        "{} model: {message}",
        model.estimator
    )))
}

/// Whether `name` is a neighbour estimator (its models answer `kneighbors`).
pub fn is_neighbors(name: &str) -> bool {
    matches!(
        name,
        "nearest-neighbors" | "knn-classifier" | "knn-regressor"
    )
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
