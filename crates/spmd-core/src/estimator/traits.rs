//! The traits of the contract.

use ndarray::{Array2, ArrayView2};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::any::Any;

use super::{Context, Dataset};
use crate::{Float, Result};

/// An estimator's parameters, under scikit-learn's names: serde-able (JSON is the exchange
/// format of the CLI and model files) and checked once before any data is touched.
pub trait Params: Clone + std::fmt::Debug + Default + Serialize + DeserializeOwned {
    /// Errors on a value the estimator cannot use, naming the parameter.
    fn check(&self) -> Result<()> {
        Ok(())
    }
}

/// A fitted model: serialises to scikit-learn's attribute names. Every model but those that
/// keep their training rows ([`Self::KEEPS_ROWS`]) also reads back from them
/// (`DeserializeOwned`), which the registry asks for where it loads a model.
pub trait Fitted: Serialize + Any + Send + Sync {
    /// Whether the model keeps this rank's training rows (the neighbour searches): its queries
    /// are then collective (the rows travel around the ranks), and its attributes describe it
    /// without holding it, so it does not read back from them.
    const KEEPS_ROWS: bool = false;

    /// Number of features seen in fit (`n_features_in_`).
    fn n_features_in(&self) -> usize;

    /// This rank's rows of a per-row result of the fit (KMeans labels, QR's $Q$, SVD's $U$),
    /// where the estimator has one; `None` for a model read from a file.
    fn local_result(&self) -> Option<Array2<f64>> {
        None
    }

    /// Other per-row results of the fit, this rank's rows, under scikit-learn's attribute names
    /// (HDBSCAN's `probabilities_`); none by default.
    fn local_columns(&self) -> Vec<(&'static str, ndarray::Array1<f64>)> {
        Vec::new()
    }
}

/// An estimator: parameters in, a fitted model out.
pub trait Estimator: Sized {
    /// Its parameters.
    type Params: Params;
    /// What `fit` returns.
    type Fitted: Fitted;

    /// Whether `fit` needs targets (`y`).
    const SUPERVISED: bool;

    /// The estimator with these parameters.
    fn from_params(params: Self::Params) -> Self;

    /// Fits on this rank's rows of `data`. Collective: every rank of `ctx.comm` calls it (a
    /// rank without rows passes an empty view) and gets the same model; a failure on one rank
    /// is an error on every rank.
    fn fit<F: Float>(&self, ctx: Context<'_>, data: &Dataset<'_, F>) -> Result<Self::Fitted>;
}

/// Predictions for this rank's rows (local, but collective for a model that keeps its training
/// rows): `n x outputs` (class labels as their integer
/// values, regression targets one column each).
pub trait Predict {
    /// Predictions for the rows of `x`.
    fn predict<F: Float>(&self, ctx: Context<'_>, x: ArrayView2<'_, F>) -> Result<Array2<f64>>;
}

/// A per-row transformation (local, but collective for a model that keeps its training rows):
/// scaled rows, projections, distances, probabilities.
pub trait Transform {
    /// The rows of `x`, transformed.
    fn transform<F: Float>(&self, ctx: Context<'_>, x: ArrayView2<'_, F>) -> Result<Array2<f64>>;
}

/// The log of each class's probability for this rank's rows (local, but collective for a
/// model that keeps its training rows): `n x classes`, scikit-learn's `predict_log_proba`.
pub trait PredictLogProba {
    /// Log probabilities of the rows of `x`.
    fn predict_log_proba<F: Float>(
        &self,
        ctx: Context<'_>,
        x: ArrayView2<'_, F>,
    ) -> Result<Array2<f64>>;
}

/// A linear classifier's scores of this rank's rows (local): `n x 1` for two classes, else
/// `n x classes`, scikit-learn's `decision_function`.
pub trait DecisionFunction {
    /// Scores of the rows of `x`.
    fn decision_function<F: Float>(
        &self,
        ctx: Context<'_>,
        x: ArrayView2<'_, F>,
    ) -> Result<Array2<f64>>;
}

/// The inverse of [`Transform`] (local).
pub trait InverseTransform {
    /// Rows of the transformed space mapped back.
    fn inverse_transform<F: Float>(
        &self,
        ctx: Context<'_>,
        x: ArrayView2<'_, F>,
    ) -> Result<Array2<f64>>;
}

/// scikit-learn's `score` over all ranks' rows (collective): $R^2$ for regressors, accuracy for
/// classifiers, minus the inertia for KMeans. Every rank gets the same value.
pub trait Score {
    /// The score of `data` (targets where the estimator needs them).
    fn score<F: Float>(&self, ctx: Context<'_>, data: &Dataset<'_, F>) -> Result<f64>;
}

/// Fitting batch by batch: [`partial_fit`](PartialFit::partial_fit) is local (an error is also
/// remembered and fails `finalize` on every rank), [`finalize`](PartialFit::finalize) is
/// collective and equals the one-shot fit of every batch of every rank.
pub trait PartialFit: Sized {
    /// Its parameters.
    type Params: Params;
    /// What `finalize` returns.
    type Fitted: Fitted;

    /// No batches yet, with these parameters.
    fn from_params(params: Self::Params) -> Self;

    /// Adds a batch of this rank's rows. Local.
    fn partial_fit<F: Float>(&mut self, ctx: Context<'_>, data: &Dataset<'_, F>) -> Result<()>;

    /// The model of every batch of every rank. Collective.
    fn finalize(&self, ctx: Context<'_>) -> Result<Self::Fitted>;
}

/// The neighbours of query rows among every rank's training rows, as scikit-learn's
/// `kneighbors` and `radius_neighbors`. Collective: every rank calls it with its own query rows
/// (`None`: its own training rows, each without itself). Indices are global: row numbers in the
/// concatenation of every rank's training rows.
pub trait KNeighbors {
    /// Distances and indices (`n x k`, nearest first, ties to the lower index) of the `k`
    /// (default `n_neighbors`) nearest training rows of each query.
    fn kneighbors<F: Float>(
        &self,
        ctx: Context<'_>,
        x: Option<ArrayView2<'_, F>>,
        k: Option<usize>,
    ) -> Result<(Array2<f64>, Array2<u64>)>;

    /// Distances and indices of the training rows within `radius` (default the parameter's) of
    /// each query: in index order, or nearest first with `sort_results`.
    fn radius_neighbors<F: Float>(
        &self,
        ctx: Context<'_>,
        x: Option<ArrayView2<'_, F>>,
        radius: Option<f64>,
        sort_results: bool,
    ) -> Result<Vec<(Vec<f64>, Vec<u64>)>>;
}
