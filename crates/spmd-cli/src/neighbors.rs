//! The neighbour estimators on the command line. Their model file keeps the parameters and
//! where the training rows are (the `--x` and `--y` patterns as absolute paths, with a checksum
//! of every file), not the rows themselves: `predict`, `transform` and `kneighbors` read them
//! again, split over the ranks of that run, and fail if a file changed or vanished.

use std::io::Read;
use std::path::{Path, PathBuf};

use ndarray::{Array2, ArrayView2, CowArray, Ix2};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use spmd_core::distributed::agree;
use spmd_core::estimator::Context;
use spmd_core::neighbors::{
    FittedNeighbors, KNeighborsClassifier, KNeighborsRegressor, NearestNeighbors, NeighborsParams,
};
use spmd_core::Comm;

use crate::data::{self, resolve, Rows};
use crate::estimators::{FitInput, FitOutput};
use crate::{CliError, ModelFile};

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
}

/// `NAME=VALUE` parameters checked and normalised, each bad value named.
pub(crate) fn params(pairs: Map<String, Value>) -> Result<Value, CliError> {
    crate::estimators::checked::<NeighborsParams>(pairs)
}

fn parse(params: &Value) -> Result<NeighborsParams, CliError> {
    serde_json::from_value(params.clone()).map_err(|e| CliError::Param(e.to_string()))
}

/// The search over the rows `x` (and targets `y`) for the estimator `name`, fitted on every
/// rank. Collective.
enum Fitted {
    Search(FittedNeighbors),
    Classifier(spmd_core::neighbors::FittedKNeighborsClassifier),
    Regressor(spmd_core::neighbors::FittedKNeighborsRegressor),
}

impl Fitted {
    fn search(&self) -> &FittedNeighbors {
        match self {
            Fitted::Search(s) => s,
            Fitted::Classifier(c) => c,
            Fitted::Regressor(r) => r,
        }
    }
}

fn fit_rows(
    name: &str,
    comm: &Comm,
    params: &NeighborsParams,
    x: ArrayView2<'_, f64>,
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
    warn_if_gpu(ctx);
    let comm = ctx.comm;
    let parsed = parse(params)?;
    let x = as_f64(input.x.clone());
    let y = input
        .y
        .as_ref()
        .map(|(y, one_d)| (y.to_owned_as::<f64>(), *one_d));
    let fitted = fit_rows(
        name,
        comm,
        &parsed,
        x.view(),
        y.as_ref().map(|(y, d)| (y, *d)),
    )?;
    let (x_pattern, y_pattern) = &input.sources;
    let mut checksums = checksums_of(comm, x_pattern)?;
    if let Some(y) = y_pattern {
        checksums.extend(checksums_of(comm, y)?);
    }
    let training = TrainingFiles {
        x: x_pattern.clone(),
        y: y_pattern.clone(),
        ranks: comm.size(),
        checksums,
    };
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

/// Says, once per command, that the neighbour search ignores `--gpu`.
fn warn_if_gpu(ctx: Context<'_>) {
    if ctx.queue.is_some() {
        tracing::warn!("the neighbour estimators run on the CPU; --gpu is ignored");
    }
}

/// The search a model describes, its training rows read again (every rank its share).
fn refit(comm: &Comm, model: &ModelFile) -> Result<Fitted, CliError> {
    let files: TrainingFiles = model
        .attributes
        .get("training_files")
        .cloned()
        .ok_or_else(|| model_error(model, "it names no training files".into()))
        .and_then(|v| serde_json::from_value(v).map_err(|e| model_error(model, e.to_string())))?;
    let sharded =
        files.x.contains("{rank}") || files.y.as_deref().is_some_and(|y| y.contains("{rank}"));
    if sharded && files.ranks != comm.size() {
        let message = format!(
            "its training rows are in one file per rank of a {}-rank fit ({}); run with {} \
             ranks, or fit from one file, which any number of ranks can share",
            files.ranks, files.x, files.ranks
        );
        return Err(model_error(model, message));
    }
    let mut found = checksums_of(comm, &files.x)?;
    if let Some(y) = &files.y {
        found.extend(checksums_of(comm, y)?);
    }
    if found != files.checksums {
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
    let x = data::read_features(&files.x, comm)?;
    let y = files
        .y
        .as_deref()
        .map(|y| data::read_matching(y, comm, &x))
        .transpose()?;
    let x_rows = as_f64(x.rows()?);
    let y_rows = y
        .as_ref()
        .map(|y| Ok::<_, CliError>((y.to_owned_as::<f64>()?, y.one_dimensional())))
        .transpose()?;
    fit_rows(
        &model.estimator,
        comm,
        &parse(&model.params)?,
        x_rows.view(),
        y_rows.as_ref().map(|(y, d)| (y, *d)),
    )
}

/// `predict`: labels (classifier) or values (regressor) of this rank's rows. Collective.
pub(crate) fn predict(
    ctx: Context<'_>,
    model: &ModelFile,
    x: Rows<'_>,
) -> Result<Array2<f64>, CliError> {
    refit_and(ctx, model, x, "predict", |fitted, queries| match fitted {
        Fitted::Classifier(c) => Ok(Some(
            c.predict(queries)?
                .mapv(|l| l as f64)
                .insert_axis(ndarray::Axis(1)),
        )),
        Fitted::Regressor(r) => Ok(Some(r.predict(queries)?)),
        Fitted::Search(_) => Ok(None),
    })
}

/// `transform`: the classifier's class probabilities. Collective.
pub(crate) fn transform(
    ctx: Context<'_>,
    model: &ModelFile,
    x: Rows<'_>,
) -> Result<Array2<f64>, CliError> {
    refit_and(ctx, model, x, "transform", |fitted, queries| match fitted {
        Fitted::Classifier(c) => Ok(Some(c.predict_proba(queries)?)),
        _ => Ok(None),
    })
}

/// Refits the model's search and applies `operation` to this rank's rows `x`; `None` from it
/// means the estimator has no such operation.
fn refit_and(
    ctx: Context<'_>,
    model: &ModelFile,
    x: Rows<'_>,
    operation: &'static str,
    apply: impl FnOnce(&Fitted, ArrayView2<'_, f64>) -> spmd_core::Result<Option<Array2<f64>>>,
) -> Result<Array2<f64>, CliError> {
    warn_if_gpu(ctx);
    let queries = as_f64(x);
    let fitted = refit(ctx.comm, model)?;
    apply(&fitted, queries.view())?.ok_or_else(|| CliError::Unsupported {
        estimator: model.estimator.clone(),
        operation,
    })
}

/// `kneighbors`: distances and global indices (as numbers) of this rank's rows. Collective.
pub(crate) fn kneighbors(
    comm: &Comm,
    model: &ModelFile,
    x: Rows<'_>,
) -> Result<(Array2<f64>, Array2<f64>), CliError> {
    let queries = as_f64(x);
    let fitted = refit(comm, model)?;
    let (distances, indices) = fitted.search().kneighbors(Some(queries.view()), None)?;
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

/// Whether `name` is a neighbour estimator.
pub(crate) fn is_neighbors(name: &str) -> bool {
    matches!(
        name,
        "nearest-neighbors" | "knn-classifier" | "knn-regressor"
    )
}

/// The checksum of each file of `pattern`: one per rank for a `{rank}` pattern (each rank
/// reads its own), else the one file's (rank 0 reads it). Collective.
fn checksums_of(comm: &Comm, pattern: &str) -> Result<Vec<u64>, CliError> {
    let (path, per_rank) = resolve(pattern, comm.rank());
    let mine = if per_rank || comm.is_root() {
        checksum(&path)
    } else {
        Ok(0)
    };
    let mine = agree(comm, mine.map_err(CliError::into_core))?;
    let all = comm.allgather(&[mine]).map_err(spmd_core::Error::from)?;
    Ok(if per_rank { all } else { all[..1].to_vec() })
}

/// A 64-bit checksum of a file's bytes (FNV-1a over 8-byte words, then its length).
fn checksum(path: &Path) -> Result<u64, CliError> {
    let mut file = std::fs::File::open(path)
        .map_err(|e| CliError::file(path, format!("training file: {e}")))?;
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    let mut buffer = vec![0_u8; 1 << 20];
    let mut length = 0_u64;
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(|e| CliError::file(path, e))?;
        if n == 0 {
            break;
        }
        length += n as u64;
        for word in buffer[..n].chunks(8) {
            let mut bytes = [0_u8; 8];
            bytes[..word.len()].copy_from_slice(word);
            hash = (hash ^ u64::from_le_bytes(bytes)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    Ok((hash ^ length).wrapping_mul(0x0100_0000_01b3))
}

/// `pattern` made absolute (the `{rank}` placeholder kept), so a model read elsewhere finds
/// its files.
pub(crate) fn absolute(pattern: &str) -> String {
    std::path::absolute(PathBuf::from(pattern))
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| pattern.to_string())
}
