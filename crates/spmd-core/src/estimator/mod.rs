//! The contract every estimator implements: validated parameters, a fit that every rank calls,
//! and a serde-able fitted model with `predict`, `transform`, `inverse_transform` and `score`,
//! each with one shape.
//!
//! - [`Estimator`]: parameters ([`Params`]) in, [`Estimator::fit`] on a [`Dataset`] of this
//!   rank's rows, a [`Fitted`] model out. Collective: every rank of the context's communicator
//!   calls it and gets the same model.
//! - [`Predict`], [`Transform`], [`InverseTransform`]: local, this rank's rows only.
//! - [`Score`]: collective, one number over all ranks' rows.
//! - [`PartialFit`]: batches added locally, one collective [`PartialFit::finalize`].
//! - [`KNeighbors`]: the neighbour searches of a model that keeps this rank's training rows
//!   ([`Fitted::KEEPS_ROWS`]); collective, as are that model's `predict`, `transform` and
//!   `score`.
//!
//! Every method takes a [`Context`] (the communicator and this rank's optional GPU queue) first
//! and the rows second. Rows are views, `f32` or `f64`; nothing is copied to call a method, and
//! an `f32` view reaches the `f32` kernels.
//!
//! The CLI and the Python package drive every estimator through these traits alone, by way of
//! the [registry](crate::registry), so adding an estimator to both is one registry line. Each estimator type also keeps its own convenience
//! methods (`LinearRegression::new().fit(&x, &y, Some(&queue))`, with the communicator set by
//! `.comm(..)`); where a name coincides, method-call syntax picks the type's own method, so
//! generic code calls the contract as `Estimator::fit(&estimator, ctx, &data)`.
//!
//! ```
//! use ndarray::array;
//! use spmd_core::estimator::{Context, Dataset, Estimator, Predict};
//! use spmd_core::linear::Ridge;
//! use spmd_core::Comm;
//!
//! let comm = Comm::single();
//! let ctx = Context::cpu(&comm);
//! let x = array![[0.0_f64], [1.0], [2.0]];
//! let y = array![1.0, 3.0, 5.0];
//! let params = serde_json::from_str(r#"{"alpha": 0.0}"#)?;
//! let ridge = Ridge::from_params(params);
//! let model = Estimator::fit(&ridge, ctx, &Dataset::new(x.view()).targets(&y))?;
//! let predicted = Predict::predict(&model, ctx, x.view())?;
//! assert!((predicted[[2, 0]] - 5.0).abs() < 1e-12);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod batches;
mod classifier;
mod dataset;
mod impls;

pub(crate) use batches::{check_batch_size, fit_in_batches};
pub(crate) use classifier::{classifier_contract, classifier_methods};
pub(crate) use impls::{estimator, params_checked_by};

pub use dataset::Dataset;

use ndarray::{Array2, ArrayView2};
use serde::de::DeserializeOwned;
use serde::Serialize;
use spmd_comm::Comm;
use spmd_gpu::Queue;
use std::any::Any;

use crate::{Float, Result};

/// Where an estimator runs: the ranks that work together and this rank's GPU, if any.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The ranks that fit together.
    pub comm: &'a Comm,
    /// This rank's GPU, or `None` for the CPU.
    pub queue: Option<&'a Queue>,
}

impl<'a> Context<'a> {
    /// Ranks of `comm`, each on the GPU of `queue` or on the CPU.
    pub fn new(comm: &'a Comm, queue: Option<&'a Queue>) -> Self {
        Self { comm, queue }
    }

    /// Ranks of `comm`, each on its CPU.
    pub fn cpu(comm: &'a Comm) -> Self {
        Self { comm, queue: None }
    }

    /// This rank's index.
    pub fn rank(&self) -> usize {
        self.comm.rank()
    }
}

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

/// Errors unless every value of `x` is finite, naming this rank (a model read from a file does
/// not know which rank holds it: the context does).
pub(crate) fn check_rows<F: Float>(ctx: Context<'_>, x: ArrayView2<'_, F>) -> Result<()> {
    crate::validate::check_finite("X", x, ctx.rank())
}

/// Errors on every rank when any rank passes sample weights to the estimator `name`, which has
/// no use for them (silently ignoring them would fit another model than the one asked for).
pub(crate) fn refuse_weights<F>(ctx: Context<'_>, data: &Dataset<'_, F>, name: &str) -> Result<()> {
    let local = match data.weights() {
        Some(_) => Err(crate::Error::Input(format!(
            "{name} does not take sample weights (sample_weight)"
        ))),
        None => Ok(()),
    };
    crate::distributed::agree(ctx.comm, local)
}

/// The error of a supervised fit or score given no targets.
pub(crate) fn missing_targets() -> crate::Error {
    crate::Error::Input("this estimator needs targets (y); none were given".into())
}

/// The targets of `data`, or [`missing_targets`].
pub(crate) fn require_targets<'d, F>(data: &Dataset<'d, F>) -> Result<ArrayView2<'d, F>> {
    data.y().ok_or_else(missing_targets)
}
