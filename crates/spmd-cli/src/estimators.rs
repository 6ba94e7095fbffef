//! The estimators the command line knows: one generic adapter over the
//! [estimator contract](spmd_core::estimator), and one registry line per estimator.

use ndarray::Array2;
use serde_json::{Map, Value};
use spmd_core::cluster::{Dbscan, KMeans};
use spmd_core::covariance::EmpiricalCovariance;
use spmd_core::decomposition::{IncrementalPca, Pca, Qr, Svd};
use spmd_core::ensemble::{RandomForestClassifier, RandomForestRegressor};
use spmd_core::estimator::{
    Context, Dataset, Estimator, InverseTransform, Params, Predict, Transform,
};
use spmd_core::linear::{LinearRegression, LogisticRegression, Ridge};
use spmd_core::naive_bayes::MultinomialNb;
use spmd_core::preprocessing::{MaxAbsScaler, MinMaxScaler, StandardScaler};
use spmd_core::statistics::BasicStatistics;
use spmd_core::Float;

use crate::data::{read_whole, Rows};
use crate::{CliError, ModelFile};

/// This rank's inputs to a fit, in the features' precision.
pub struct FitInput<'a> {
    /// Features, viewed in place where the file allows.
    pub x: Rows<'a>,
    /// Targets (`n x t`) and whether they were 1-D.
    pub y: Option<(Rows<'a>, bool)>,
    /// One weight per row (one column, checked).
    pub sample_weight: Option<Rows<'a>>,
    /// Where the rows came from (the neighbour models point at the files).
    pub sources: Sources,
}

/// Where a fit's rows came from, as the command line gave them: the neighbour models record it
/// and read the same rows again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    /// The `--x` pattern, absolute.
    pub x: String,
    /// The `--y` pattern, absolute.
    pub y: Option<String>,
    /// `--columns` as given (Parquet, Arrow).
    pub columns: Option<String>,
    /// `--y-column`: the targets are this column of `x`.
    pub y_column: Option<String>,
    /// `--null-as-nan`.
    pub null_as_nan: bool,
    /// `--csv-header`.
    pub csv_header: crate::data::CsvHeader,
}

/// What a fit returns: the model file and, when asked for, this rank's per-row result
/// (labels, Q, U) if the estimator has one.
pub struct FitOutput {
    /// The model, the same on every rank.
    pub model: ModelFile,
    /// This rank's rows of a per-row result (only when asked for: it is O(rows)).
    pub local: Option<Array2<f64>>,
}

type FitFn = fn(&str, Context<'_>, &Value, &FitInput<'_>, bool) -> Result<FitOutput, CliError>;
type ParamsFn = fn(Map<String, Value>) -> Result<Value, CliError>;
type ApplyFn = fn(Context<'_>, &ModelFile, Rows<'_>) -> Result<Array2<f64>, CliError>;

/// One estimator as the command line drives it.
pub struct Entry {
    name: &'static str,
    summary: &'static str,
    supervised: bool,
    params: ParamsFn,
    fit: FitFn,
    predict: Option<ApplyFn>,
    transform: Option<ApplyFn>,
    inverse_transform: Option<ApplyFn>,
}

impl Entry {
    /// `E` under the kebab-case `name`, with `fit` only.
    const fn of<E: Estimator>(name: &'static str, summary: &'static str) -> Self {
        Self {
            name,
            summary,
            supervised: E::SUPERVISED,
            params: checked_params::<E>,
            fit: fit::<E>,
            predict: None,
            transform: None,
            inverse_transform: None,
        }
    }

    const fn predicts<E: Estimator>(mut self) -> Self
    where
        E::Fitted: Predict,
    {
        self.predict = Some(predict::<E>);
        self
    }

    const fn transforms<E: Estimator>(mut self) -> Self
    where
        E::Fitted: Transform,
    {
        self.transform = Some(transform::<E>);
        self
    }

    const fn inverts<E: Estimator>(mut self) -> Self
    where
        E::Fitted: InverseTransform,
    {
        self.inverse_transform = Some(inverse_transform::<E>);
        self
    }

    /// A neighbour estimator: its model points at the training files (see
    /// [`crate::neighbors`]).
    /// `predicts` and `transforms` say which of those it has, so that the others fail before
    /// the training files are read again.
    const fn neighbors(
        name: &'static str,
        summary: &'static str,
        supervised: bool,
        (predicts, transforms): (bool, bool),
    ) -> Self {
        Self {
            name,
            summary,
            supervised,
            params: crate::neighbors::params,
            fit: crate::neighbors::fit,
            predict: if predicts {
                Some(crate::neighbors::predict)
            } else {
                None
            },
            transform: if transforms {
                Some(crate::neighbors::transform)
            } else {
                None
            },
            inverse_transform: None,
        }
    }

    /// Kebab-case name (`linear-regression`).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// One line for `spmd-learn estimators`.
    pub fn summary(&self) -> &'static str {
        self.summary
    }

    /// Whether a fit needs targets.
    pub fn supervised(&self) -> bool {
        self.supervised
    }

    /// Whether a fitted model has `operation`.
    pub fn has(&self, operation: Operation) -> bool {
        match operation {
            Operation::Predict => self.predict.is_some(),
            Operation::Transform => self.transform.is_some(),
            Operation::InverseTransform => self.inverse_transform.is_some(),
        }
    }

    /// `NAME=VALUE` parameters parsed, checked and normalised (defaults filled in). Local.
    pub fn params(&self, pairs: Map<String, Value>) -> Result<Value, CliError> {
        (self.params)(pairs).map_err(|e| match e {
            CliError::Param(m) => CliError::Param(format!("{}: {m}", self.name)),
            other => other,
        })
    }

    /// Fits on this rank's rows with `params` from [`params`](Self::params), keeping the
    /// per-row result when `local` is set. Collective.
    pub fn fit(
        &self,
        ctx: Context<'_>,
        params: &Value,
        input: &FitInput<'_>,
        local: bool,
    ) -> Result<FitOutput, CliError> {
        if self.supervised && input.y.is_none() {
            let message = format!("{} needs targets: pass --y", self.name);
            return Err(CliError::Core(spmd_core::Error::Input(message)));
        }
        (self.fit)(self.name, ctx, params, input, local)
    }

    /// `predict`, `transform` or `inverse_transform` of this rank's rows. Local.
    pub fn apply(
        &self,
        operation: Operation,
        ctx: Context<'_>,
        model: &ModelFile,
        x: Rows<'_>,
    ) -> Result<Array2<f64>, CliError> {
        let apply = match operation {
            Operation::Predict => self.predict,
            Operation::Transform => self.transform,
            Operation::InverseTransform => self.inverse_transform,
        };
        let apply = apply.ok_or_else(|| CliError::Unsupported {
            estimator: self.name.into(),
            operation: operation.name(),
        })?;
        apply(ctx, model, x)
    }
}

/// What `apply` does with a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `predict`.
    Predict,
    /// `transform`.
    Transform,
    /// `inverse_transform`.
    InverseTransform,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Operation::Predict => "predict",
            Operation::Transform => "transform",
            Operation::InverseTransform => "inverse_transform",
        }
    }
}

/// Every estimator of the command line.
pub static ESTIMATORS: &[Entry] = &[
    Entry::of::<BasicStatistics>(
        "basic-statistics",
        "per-column min, max, sum, mean, variance, ... (params: result_options; --sample-weight)",
    ),
    Entry::of::<LinearRegression>("linear-regression", "ordinary least squares (params: fit_intercept)")
        .predicts::<LinearRegression>(),
    Entry::of::<Ridge>("ridge", "least squares with an L2 penalty (params: alpha, fit_intercept)")
        .predicts::<Ridge>(),
    Entry::of::<EmpiricalCovariance>(
        "empirical-covariance",
        "maximum-likelihood covariance (params: assume_centered, store_precision)",
    ),
    Entry::of::<Pca>("pca", "principal component analysis (params: n_components, whiten, svd_solver)")
        .transforms::<Pca>()
        .inverts::<Pca>(),
    Entry::of::<IncrementalPca>(
        "incremental-pca",
        "PCA fitted in batches of rows (params: n_components, whiten, batch_size)",
    )
    .transforms::<IncrementalPca>()
    .inverts::<IncrementalPca>(),
    Entry::of::<Qr>(
        "qr",
        "QR of the rows of all ranks (TSQR); R in the model, each rank's Q with --out-local",
    ),
    Entry::of::<Svd>(
        "svd",
        "SVD of the rows of all ranks (from TSQR); transform gives X V, --out-local each rank's U",
    )
    .transforms::<Svd>(),
    Entry::of::<KMeans>(
        "kmeans",
        "k-means (params: n_clusters, init (a name or a .npy/.csv of centres), n_init, max_iter, tol, random_state); predict gives labels, transform distances, --out-local labels",
    )
    .predicts::<KMeans>()
    .transforms::<KMeans>(),
    Entry::of::<Dbscan>(
        "dbscan",
        "DBSCAN, scikit-learn's labels for any split (params: eps, min_samples, metric, p; --sample-weight); --out-local labels, -1 for noise",
    ),
    Entry::of::<LogisticRegression>(
        "logistic-regression",
        "logistic regression, binary or multinomial (params: C, fit_intercept, class_weight, solver, max_iter, tol); predict gives labels, transform probabilities",
    )
    .predicts::<LogisticRegression>()
    .transforms::<LogisticRegression>(),
    Entry::of::<MultinomialNb>(
        "multinomial-nb",
        "multinomial naive Bayes on counts (params: alpha, force_alpha, fit_prior, class_prior); predict gives labels, transform probabilities",
    )
    .predicts::<MultinomialNb>()
    .transforms::<MultinomialNb>(),
    Entry::of::<RandomForestClassifier>(
        "random-forest-classifier",
        "random forest, the same trees for any number of ranks (params: n_estimators, criterion, max_depth, min_samples_split, min_samples_leaf, max_features, max_leaf_nodes, bootstrap, max_samples, class_weight, oob_score, random_state, max_bins; --sample-weight); predict gives labels, transform probabilities, --out-local the out-of-bag probabilities",
    )
    .predicts::<RandomForestClassifier>()
    .transforms::<RandomForestClassifier>(),
    Entry::of::<RandomForestRegressor>(
        "random-forest-regressor",
        "random forest of regression trees, the same for any number of ranks (params as random-forest-classifier, without class_weight; criterion=squared_error); predict gives values, --out-local the out-of-bag predictions",
    )
    .predicts::<RandomForestRegressor>(),
    Entry::of::<StandardScaler>(
        "standard-scaler",
        "(x - mean) / std per column (params: with_mean, with_std; --sample-weight); transform scales",
    )
    .transforms::<StandardScaler>()
    .inverts::<StandardScaler>(),
    Entry::of::<MinMaxScaler>(
        "min-max-scaler",
        "each column to feature_range (params: feature_range, clip); transform scales",
    )
    .transforms::<MinMaxScaler>()
    .inverts::<MinMaxScaler>(),
    Entry::of::<MaxAbsScaler>(
        "max-abs-scaler",
        "each column divided by its largest absolute value; transform scales",
    )
    .transforms::<MaxAbsScaler>()
    .inverts::<MaxAbsScaler>(),
    Entry::neighbors(
        "nearest-neighbors",
        "k nearest neighbours, brute force (params: n_neighbors, metric, p); use with kneighbors",
        false,
        (false, false),
    ),
    Entry::neighbors(
        "knn-classifier",
        "k-nearest-neighbours classifier (params: n_neighbors, weights, metric, p); predict gives labels, transform probabilities",
        true,
        (true, true),
    ),
    Entry::neighbors(
        "knn-regressor",
        "k-nearest-neighbours regressor (params: n_neighbors, weights, metric, p); predict gives values",
        true,
        (true, false),
    ),
];

/// The estimator called `name`.
pub(crate) fn find(name: &str) -> Result<&'static Entry, CliError> {
    ESTIMATORS
        .iter()
        .find(|e| e.name == name)
        .ok_or_else(|| CliError::UnknownEstimator {
            name: name.into(),
            known: ESTIMATORS
                .iter()
                .map(|e| e.name)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// `NAME=VALUE` pairs as a JSON object. Values are JSON where they parse (`0.5`, `false`,
/// `[1, 2]`), Python's `True`/`False`/`None` are accepted, anything else is a string.
pub(crate) fn params_from_pairs(pairs: &[String]) -> Result<Map<String, Value>, CliError> {
    let mut map = Map::new();
    for pair in pairs {
        let (name, value) = pair
            .split_once('=')
            .filter(|(n, _)| !n.trim().is_empty())
            .ok_or_else(|| CliError::Param(format!("`{pair}` is not NAME=VALUE")))?;
        let value = match value.trim() {
            "True" => Value::Bool(true),
            "False" => Value::Bool(false),
            "None" => Value::Null,
            v => serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.into())),
        };
        if map.insert(name.trim().into(), value).is_some() {
            return Err(CliError::Param(format!("`{}` is given twice", name.trim())));
        }
    }
    Ok(map)
}

/// A parameter naming a `.npy` or `.csv` file (KMeans' `init`) is replaced by the file's rows,
/// read whole on every rank.
fn inline_array_files(params: &mut Map<String, Value>) -> Result<(), CliError> {
    for value in params.values_mut() {
        let Value::String(text) = value else { continue };
        let lower = text.to_ascii_lowercase();
        if lower.ends_with(".npy") || lower.ends_with(".csv") {
            let rows = read_whole(std::path::Path::new(text.as_str()))?;
            let rows: Vec<Vec<f64>> = rows.rows().into_iter().map(|r| r.to_vec()).collect();
            *value = serde_json::to_value(rows).map_err(|e| CliError::Param(e.to_string()))?;
        }
    }
    Ok(())
}

fn checked_params<E: Estimator>(pairs: Map<String, Value>) -> Result<Value, CliError> {
    checked::<E::Params>(pairs)
}

/// `NAME=VALUE` parameters as `P`: each value checked alone first (so a bad one is named),
/// then together, then by `P`'s own checks; the normalised JSON (defaults filled in).
pub(crate) fn checked<P: Params>(mut pairs: Map<String, Value>) -> Result<Value, CliError> {
    inline_array_files(&mut pairs)?;
    // Each value alone first (on the defaults), so a value of the wrong type is named.
    for (name, value) in &pairs {
        let alone = Value::Object(Map::from_iter([(name.clone(), value.clone())]));
        if let Err(e) = serde_json::from_value::<P>(alone) {
            let message = e.to_string();
            if message.starts_with("unknown field") {
                return Err(CliError::Param(message));
            }
            if !message.starts_with("missing field") {
                let shown = value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_string);
                return Err(CliError::Param(format!(
                    "invalid parameter {name}={shown}: {message}"
                )));
            }
        }
    }
    let params: P =
        serde_json::from_value(Value::Object(pairs)).map_err(|e| CliError::Param(e.to_string()))?;
    params.check()?;
    serde_json::to_value(&params).map_err(|e| CliError::Param(e.to_string()))
}

fn fit<E: Estimator>(
    name: &str,
    ctx: Context<'_>,
    params: &Value,
    input: &FitInput<'_>,
    local: bool,
) -> Result<FitOutput, CliError> {
    let parsed: E::Params =
        serde_json::from_value(params.clone()).map_err(|e| CliError::Param(e.to_string()))?;
    let estimator = E::from_params(parsed);
    let fitted = match &input.x {
        Rows::F32(x) => fit_in::<E, f32>(&estimator, ctx, x.view(), input),
        Rows::F64(x) => fit_in::<E, f64>(&estimator, ctx, x.view(), input),
    }?;
    let attributes = serde_json::to_value(&fitted).map_err(|e| CliError::Param(e.to_string()))?;
    Ok(FitOutput {
        model: ModelFile::new(name, params.clone(), attributes)?,
        local: local
            .then(|| spmd_core::estimator::Fitted::local_result(&fitted))
            .flatten(),
    })
}

/// The fit with targets and weights in the features' precision `F` (they are small beside the
/// features: each is converted once, a copy of n values a column).
fn fit_in<E: Estimator, F: Float>(
    estimator: &E,
    ctx: Context<'_>,
    x: ndarray::ArrayView2<'_, F>,
    input: &FitInput<'_>,
) -> Result<E::Fitted, CliError> {
    let y = input
        .y
        .as_ref()
        .map(|(y, single)| (y.to_owned_as::<F>(), *single));
    let w = input
        .sample_weight
        .as_ref()
        .map(|w| w.to_owned_as::<F>().index_axis_move(ndarray::Axis(1), 0));
    let mut data = Dataset::new(x).maybe_sample_weight(w.as_ref().map(|w| w.view()));
    if let Some((y, single)) = &y {
        data = data.target_columns(y.view(), *single);
    }
    Ok(estimator.fit(ctx, &data)?)
}

fn predict<E: Estimator>(
    ctx: Context<'_>,
    model: &ModelFile,
    x: Rows<'_>,
) -> Result<Array2<f64>, CliError>
where
    E::Fitted: Predict,
{
    let fitted: E::Fitted = model.fitted()?;
    Ok(match x {
        Rows::F32(x) => fitted.predict(ctx, x),
        Rows::F64(x) => fitted.predict(ctx, x),
    }?)
}

fn transform<E: Estimator>(
    ctx: Context<'_>,
    model: &ModelFile,
    x: Rows<'_>,
) -> Result<Array2<f64>, CliError>
where
    E::Fitted: Transform,
{
    let fitted: E::Fitted = model.fitted()?;
    Ok(match x {
        Rows::F32(x) => fitted.transform(ctx, x),
        Rows::F64(x) => fitted.transform(ctx, x),
    }?)
}

fn inverse_transform<E: Estimator>(
    ctx: Context<'_>,
    model: &ModelFile,
    x: Rows<'_>,
) -> Result<Array2<f64>, CliError>
where
    E::Fitted: InverseTransform,
{
    let fitted: E::Fitted = model.fitted()?;
    Ok(match x {
        Rows::F32(x) => fitted.inverse_transform(ctx, x),
        Rows::F64(x) => fitted.inverse_transform(ctx, x),
    }?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn param_values_parse_like_python() {
        let pairs: Vec<String> = ["alpha=0.5", "fit_intercept=False", "init=k-means++", "n=3"]
            .map(String::from)
            .to_vec();
        let map = params_from_pairs(&pairs).unwrap();
        assert_eq!(map["alpha"], 0.5);
        assert_eq!(map["fit_intercept"], false);
        assert_eq!(map["init"], "k-means++");
        assert_eq!(map["n"], 3);
        assert!(params_from_pairs(&["alpha".into()]).is_err());
        assert!(params_from_pairs(&["a=1".into(), "a=2".into()]).is_err());
    }

    #[test]
    fn unknown_or_mistyped_params_name_the_problem() {
        let ridge = find("ridge").unwrap();
        let bad = params_from_pairs(&["alpa=1".into()]).unwrap();
        let err = ridge.params(bad).unwrap_err().to_string();
        assert!(
            err.contains("unknown field `alpa`") && err.contains("alpha"),
            "{err}"
        );
        let bad = params_from_pairs(&["alpha=big".into()]).unwrap();
        let err = ridge.params(bad).unwrap_err().to_string();
        assert!(err.contains("ridge") && err.contains("big"), "{err}");
        let bad = params_from_pairs(&["alpha=-1".into()]).unwrap();
        let err = ridge.params(bad).unwrap_err().to_string();
        assert!(err.contains("alpha=-1"), "{err}");
        let err = find("kmeans-typo")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("linear-regression, ridge"), "{err}");
    }

    #[test]
    fn every_entry_has_a_unique_name_and_parses_its_defaults() {
        let mut names: Vec<&str> = ESTIMATORS.iter().map(Entry::name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ESTIMATORS.len());
        for entry in ESTIMATORS {
            entry.params(Map::new()).unwrap();
        }
    }
}
