//! The estimators the command line knows. Adding one is an entry in [`ESTIMATORS`].

use ndarray::{Array2, Axis};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use spmd_core::cluster::{FittedKMeans, Init, KMeans, KMeansParams};
use spmd_core::covariance::{EmpiricalCovariance, EmpiricalCovarianceParams};
use spmd_core::decomposition::{
    FittedPca, FittedSvd, IncrementalPca, IncrementalPcaParams, Pca, PcaParams, Qr, Svd,
};
use spmd_core::linear::{LinearModel, LinearRegressionParams, Ridge, RidgeParams};
use spmd_core::statistics::{BasicStatistics, BasicStatisticsParams};
use spmd_core::{Comm, Queue};

use crate::data::TargetData;
use crate::{CliError, ModelFile};

mod classifiers;
use classifiers::{LogisticRegressionCli, MultinomialNbCli};

/// One estimator as the command line drives it.
pub trait CliEstimator: Sync {
    /// Kebab-case name (`linear-regression`).
    fn name(&self) -> &'static str;
    /// One line for `spmd-learn estimators`.
    fn summary(&self) -> &'static str;
    /// Fits on this rank's rows; every rank calls it and gets the same model file.
    fn fit(
        &self,
        comm: &Comm,
        params: Map<String, Value>,
        input: &FitData<'_>,
        queue: Option<&Queue>,
    ) -> Result<ModelFile, CliError>;
    /// Predictions for this rank's rows; estimators that are not models have none.
    fn predict(
        &self,
        _model: &ModelFile,
        _x: &Array2<f64>,
        _queue: Option<&Queue>,
    ) -> Result<Array2<f64>, CliError> {
        Err(unsupported(self.name(), "predict"))
    }
    /// Fits, and also returns this rank's rows of a per-row result (Q, U, labels) where the
    /// estimator has one.
    fn fit_with_local(
        &self,
        comm: &Comm,
        params: Map<String, Value>,
        input: &FitData<'_>,
        queue: Option<&Queue>,
    ) -> Result<(ModelFile, Option<Array2<f64>>), CliError> {
        Ok((self.fit(comm, params, input, queue)?, None))
    }
    /// Predictions for this rank's rows; most estimators other than models have none.
    /// Transformed rows; most estimators have none.
    fn transform(
        &self,
        _model: &ModelFile,
        _x: &Array2<f64>,
        _queue: Option<&Queue>,
    ) -> Result<Array2<f64>, CliError> {
        Err(CliError::Unsupported {
            estimator: self.name().into(),
            operation: "transform",
        })
    }
}

/// This rank's inputs to a fit.
pub struct FitData<'a> {
    /// Features.
    pub x: &'a Array2<f64>,
    /// Targets, if given.
    pub y: Option<&'a TargetData>,
    /// Sample weights, if given.
    pub sample_weight: Option<&'a TargetData>,
}

/// Every estimator of the command line.
pub static ESTIMATORS: &[&dyn CliEstimator] = &[
    &BasicStatisticsCli,
    &LinearRegressionCli,
    &RidgeCli,
    &EmpiricalCovarianceCli,
    &PcaCli,
    &IncrementalPcaCli,
    &QrCli,
    &SvdCli,
    &KMeansCli,
    &LogisticRegressionCli,
    &MultinomialNbCli,
];

/// The estimator called `name`.
pub(crate) fn find(name: &str) -> Result<&'static dyn CliEstimator, CliError> {
    ESTIMATORS
        .iter()
        .copied()
        .find(|e| e.name() == name)
        .ok_or_else(|| CliError::UnknownEstimator {
            name: name.into(),
            known: ESTIMATORS
                .iter()
                .map(|e| e.name())
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

/// Parses an estimator's parameters, naming the estimator in errors (unknown names list the
/// known ones).
fn parse_params<P: DeserializeOwned>(
    estimator: &str,
    params: Map<String, Value>,
) -> Result<P, CliError> {
    serde_json::from_value(Value::Object(params))
        .map_err(|e| CliError::Param(format!("{estimator}: {e}")))
}

fn need_targets<'a>(
    estimator: &str,
    y: Option<&'a TargetData>,
) -> Result<&'a TargetData, CliError> {
    y.ok_or_else(|| CliError::Param(format!("{estimator} needs targets: pass --y")))
}

/// Fits `estimator` (LinearRegression is Ridge with `alpha = 0`: the same normal equations)
/// and packs the model file.
fn fit_linear(
    name: &str,
    params: Value,
    estimator: Ridge,
    x: &Array2<f64>,
    y: Option<&TargetData>,
    queue: Option<&Queue>,
) -> Result<ModelFile, CliError> {
    let y = need_targets(name, y)?;
    let model = if y.single {
        estimator.fit(x, &y.values.index_axis(Axis(1), 0), queue)?
    } else {
        estimator.fit(x, &y.values, queue)?
    };
    let fitted = serde_json::to_value(&model).map_err(|e| CliError::Param(e.to_string()))?;
    ModelFile::new(name, params, fitted)
}

fn linear_predict(
    model: &ModelFile,
    x: &Array2<f64>,
    queue: Option<&Queue>,
) -> Result<Array2<f64>, CliError> {
    let fitted: LinearModel<f64> = model.fitted()?;
    Ok(fitted.predict(x, queue)?)
}

fn as_json(params: &impl serde::Serialize) -> Value {
    serde_json::to_value(params).unwrap_or_default()
}

struct LinearRegressionCli;

impl CliEstimator for LinearRegressionCli {
    fn name(&self) -> &'static str {
        "linear-regression"
    }
    fn summary(&self) -> &'static str {
        "ordinary least squares (params: fit_intercept)"
    }
    fn fit(
        &self,
        comm: &Comm,
        params: Map<String, Value>,
        input: &FitData<'_>,
        queue: Option<&Queue>,
    ) -> Result<ModelFile, CliError> {
        let params: LinearRegressionParams = parse_params(self.name(), params)?;
        let estimator = Ridge::new()
            .alpha(0.0)
            .fit_intercept(params.fit_intercept)
            .comm(comm.clone());
        fit_linear(
            self.name(),
            as_json(&params),
            estimator,
            input.x,
            input.y,
            queue,
        )
    }
    fn predict(
        &self,
        model: &ModelFile,
        x: &Array2<f64>,
        queue: Option<&Queue>,
    ) -> Result<Array2<f64>, CliError> {
        linear_predict(model, x, queue)
    }
}

struct RidgeCli;

impl CliEstimator for RidgeCli {
    fn name(&self) -> &'static str {
        "ridge"
    }
    fn summary(&self) -> &'static str {
        "least squares with an L2 penalty (params: alpha, fit_intercept)"
    }
    fn fit(
        &self,
        comm: &Comm,
        params: Map<String, Value>,
        input: &FitData<'_>,
        queue: Option<&Queue>,
    ) -> Result<ModelFile, CliError> {
        let params: RidgeParams = parse_params(self.name(), params)?;
        let estimator = Ridge::with_params(params.clone()).comm(comm.clone());
        fit_linear(
            self.name(),
            as_json(&params),
            estimator,
            input.x,
            input.y,
            queue,
        )
    }
    fn predict(
        &self,
        model: &ModelFile,
        x: &Array2<f64>,
        queue: Option<&Queue>,
    ) -> Result<Array2<f64>, CliError> {
        linear_predict(model, x, queue)
    }
}

fn model_file(
    name: &str,
    params: &impl serde::Serialize,
    fitted: &impl serde::Serialize,
) -> Result<ModelFile, CliError> {
    let fitted = serde_json::to_value(fitted).map_err(|e| CliError::Param(e.to_string()))?;
    ModelFile::new(name, as_json(params), fitted)
}

fn unsupported(estimator: &str, operation: &'static str) -> CliError {
    CliError::Unsupported {
        estimator: estimator.into(),
        operation,
    }
}

struct BasicStatisticsCli;

impl CliEstimator for BasicStatisticsCli {
    fn name(&self) -> &'static str {
        "basic-statistics"
    }
    fn summary(&self) -> &'static str {
        "per-column min, max, sum, mean, variance, ... (params: result_options; --sample-weight)"
    }
    fn fit(
        &self,
        comm: &Comm,
        params: Map<String, Value>,
        input: &FitData<'_>,
        queue: Option<&Queue>,
    ) -> Result<ModelFile, CliError> {
        let params: BasicStatisticsParams = parse_params(self.name(), params)?;
        let weights = input.sample_weight.map(|w| w.values.column(0));
        let fitted = BasicStatistics::with_params(params.clone())
            .comm(comm.clone())
            .fit(input.x, weights, queue)?;
        model_file(self.name(), &params, &fitted)
    }
}

struct EmpiricalCovarianceCli;

impl CliEstimator for EmpiricalCovarianceCli {
    fn name(&self) -> &'static str {
        "empirical-covariance"
    }
    fn summary(&self) -> &'static str {
        "maximum-likelihood covariance (params: assume_centered, store_precision)"
    }
    fn fit(
        &self,
        comm: &Comm,
        params: Map<String, Value>,
        input: &FitData<'_>,
        queue: Option<&Queue>,
    ) -> Result<ModelFile, CliError> {
        let params: EmpiricalCovarianceParams = parse_params(self.name(), params)?;
        let fitted = EmpiricalCovariance::with_params(params.clone())
            .comm(comm.clone())
            .fit(input.x, queue)?;
        model_file(self.name(), &params, &fitted)
    }
}

struct PcaCli;

impl CliEstimator for PcaCli {
    fn name(&self) -> &'static str {
        "pca"
    }
    fn summary(&self) -> &'static str {
        "principal component analysis (params: n_components, whiten, svd_solver)"
    }
    fn fit(
        &self,
        comm: &Comm,
        params: Map<String, Value>,
        input: &FitData<'_>,
        queue: Option<&Queue>,
    ) -> Result<ModelFile, CliError> {
        let params: PcaParams = parse_params(self.name(), params)?;
        let fitted = Pca::with_params(params.clone())
            .comm(comm.clone())
            .fit(input.x, queue)?;
        model_file(self.name(), &params, &fitted)
    }
    fn transform(
        &self,
        model: &ModelFile,
        x: &Array2<f64>,
        queue: Option<&Queue>,
    ) -> Result<Array2<f64>, CliError> {
        pca_transform(model, x, queue)
    }
}

fn pca_transform(
    model: &ModelFile,
    x: &Array2<f64>,
    queue: Option<&Queue>,
) -> Result<Array2<f64>, CliError> {
    let fitted: FittedPca = model.fitted()?;
    Ok(fitted.transform(x, queue)?)
}

struct IncrementalPcaCli;

impl CliEstimator for IncrementalPcaCli {
    fn name(&self) -> &'static str {
        "incremental-pca"
    }
    fn summary(&self) -> &'static str {
        "PCA fitted in batches of rows (params: n_components, whiten, batch_size)"
    }
    fn fit(
        &self,
        comm: &Comm,
        params: Map<String, Value>,
        input: &FitData<'_>,
        queue: Option<&Queue>,
    ) -> Result<ModelFile, CliError> {
        let params: IncrementalPcaParams = parse_params(self.name(), params)?;
        let fitted = IncrementalPca::with_params(params.clone())
            .comm(comm.clone())
            .fit(input.x, queue)?;
        model_file(self.name(), &params, &fitted)
    }
    fn transform(
        &self,
        model: &ModelFile,
        x: &Array2<f64>,
        queue: Option<&Queue>,
    ) -> Result<Array2<f64>, CliError> {
        pca_transform(model, x, queue)
    }
}

/// QR and SVD take no parameters.
fn no_params(estimator: &str, params: Map<String, Value>) -> Result<(), CliError> {
    match params.keys().next() {
        Some(name) => Err(CliError::Param(format!(
            "{estimator} takes no parameters, not `{name}`"
        ))),
        None => Ok(()),
    }
}

struct QrCli;

impl CliEstimator for QrCli {
    fn name(&self) -> &'static str {
        "qr"
    }
    fn summary(&self) -> &'static str {
        "QR of the rows of all ranks (TSQR); R in the model, each rank's Q with --out-local"
    }
    fn fit(
        &self,
        comm: &Comm,
        params: Map<String, Value>,
        input: &FitData<'_>,
        queue: Option<&Queue>,
    ) -> Result<ModelFile, CliError> {
        Ok(self.fit_with_local(comm, params, input, queue)?.0)
    }
    fn fit_with_local(
        &self,
        comm: &Comm,
        params: Map<String, Value>,
        input: &FitData<'_>,
        _queue: Option<&Queue>,
    ) -> Result<(ModelFile, Option<Array2<f64>>), CliError> {
        no_params(self.name(), params)?;
        let fitted = Qr::new().comm(comm.clone()).fit(input.x)?;
        let r: Vec<Vec<f64>> = fitted.r().rows().into_iter().map(|r| r.to_vec()).collect();
        let attributes = serde_json::json!({ "r_": r, "n_features_in_": input.x.ncols() });
        Ok((
            ModelFile::new(self.name(), Value::Object(Map::new()), attributes)?,
            Some(fitted.q().to_owned()),
        ))
    }
}

struct SvdCli;

impl CliEstimator for SvdCli {
    fn name(&self) -> &'static str {
        "svd"
    }
    fn summary(&self) -> &'static str {
        "SVD of the rows of all ranks (from TSQR); transform gives X V, --out-local each rank's U"
    }
    fn fit(
        &self,
        comm: &Comm,
        params: Map<String, Value>,
        input: &FitData<'_>,
        queue: Option<&Queue>,
    ) -> Result<ModelFile, CliError> {
        Ok(self.fit_with_local(comm, params, input, queue)?.0)
    }
    fn fit_with_local(
        &self,
        comm: &Comm,
        params: Map<String, Value>,
        input: &FitData<'_>,
        _queue: Option<&Queue>,
    ) -> Result<(ModelFile, Option<Array2<f64>>), CliError> {
        no_params(self.name(), params)?;
        let fitted = Svd::new().comm(comm.clone()).fit(input.x)?;
        let model = model_file(self.name(), &Map::new(), &fitted)?;
        Ok((model, Some(fitted.u().to_owned())))
    }
    fn transform(
        &self,
        model: &ModelFile,
        x: &Array2<f64>,
        _queue: Option<&Queue>,
    ) -> Result<Array2<f64>, CliError> {
        let fitted: FittedSvd = model.fitted()?;
        Ok(fitted.transform(x)?)
    }
}

struct KMeansCli;

/// `init` is a name (`k-means++`, `k-means||`, `random`) or a .npy/.csv file of centres, read
/// whole by every rank.
fn kmeans_init(value: Option<Value>) -> Result<Init, CliError> {
    match value {
        None => Ok(Init::KMeansPlusPlus),
        Some(Value::String(name)) => match name.as_str() {
            "k-means++" => Ok(Init::KMeansPlusPlus),
            "k-means||" => Ok(Init::KMeansParallel),
            "random" => Ok(Init::Random),
            path if path.ends_with(".npy") || path.ends_with(".csv") => {
                // Read whole on every rank (a single-rank communicator does not split it).
                Ok(Init::Given(crate::data::read_matrix(path, &Comm::single())?))
            }
            other => Err(CliError::Param(format!(
                "kmeans: init must be k-means++, k-means||, random or a .npy/.csv file of centres, not `{other}`"
            ))),
        },
        Some(other) => Err(CliError::Param(format!("kmeans: init must be a name or a file, not {other}"))),
    }
}

impl CliEstimator for KMeansCli {
    fn name(&self) -> &'static str {
        "kmeans"
    }
    fn summary(&self) -> &'static str {
        "k-means (params: n_clusters, init, n_init, max_iter, tol, random_state); predict gives labels"
    }
    fn fit(
        &self,
        comm: &Comm,
        params: Map<String, Value>,
        input: &FitData<'_>,
        queue: Option<&Queue>,
    ) -> Result<ModelFile, CliError> {
        Ok(self.fit_with_local(comm, params, input, queue)?.0)
    }
    fn fit_with_local(
        &self,
        comm: &Comm,
        mut params: Map<String, Value>,
        input: &FitData<'_>,
        queue: Option<&Queue>,
    ) -> Result<(ModelFile, Option<Array2<f64>>), CliError> {
        let init_value = params.remove("init");
        let init = kmeans_init(init_value.clone())?;
        let parsed: KMeansParams = parse_params(self.name(), params)?;
        let fitted = KMeans::with_params(parsed.clone(), init)
            .comm(comm.clone())
            .fit(input.x, queue)?;
        let mut recorded = as_json(&parsed);
        if let (Value::Object(map), Some(init)) = (&mut recorded, init_value) {
            map.insert("init".into(), init);
        }
        let labels = fitted
            .labels()
            .mapv(|l| l as f64)
            .insert_axis(ndarray::Axis(1));
        Ok((model_file(self.name(), &recorded, &fitted)?, Some(labels)))
    }
    fn predict(
        &self,
        model: &ModelFile,
        x: &Array2<f64>,
        _queue: Option<&Queue>,
    ) -> Result<Array2<f64>, CliError> {
        let fitted: FittedKMeans = model.fitted()?;
        Ok(fitted
            .predict(x)?
            .mapv(|l| l as f64)
            .insert_axis(ndarray::Axis(1)))
    }
    fn transform(
        &self,
        model: &ModelFile,
        x: &Array2<f64>,
        _queue: Option<&Queue>,
    ) -> Result<Array2<f64>, CliError> {
        let fitted: FittedKMeans = model.fitted()?;
        Ok(fitted.transform(x)?)
    }
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
        let bad = params_from_pairs(&["alpa=1".into()]).unwrap();
        let err = parse_params::<RidgeParams>("ridge", bad)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown field `alpa`") && err.contains("alpha"),
            "{err}"
        );
        let bad = params_from_pairs(&["alpha=big".into()]).unwrap();
        let err = parse_params::<RidgeParams>("ridge", bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains("ridge") && err.contains("big"), "{err}");
        let err = find("kmeans-typo")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("linear-regression, ridge"), "{err}");
    }
}
