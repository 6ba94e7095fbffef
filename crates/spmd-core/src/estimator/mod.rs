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
mod checks;
mod classifier;
mod context;
mod dataset;
mod targets;
mod traits;

pub(crate) use batches::{check_batch_size, fit_in_batches};
pub(crate) use checks::{check_rows, missing_targets, refuse_weights, require_targets};
pub(crate) use classifier::{accuracy, labels_and_weights, ClassifierModel};

pub use context::Context;
pub use dataset::Dataset;
pub(crate) use targets::TargetColumns;
pub use targets::Targets;
pub use traits::{
    DecisionFunction, Estimator, Fitted, InverseTransform, KNeighbors, Params, PartialFit, Predict,
    PredictLogProba, Score, Transform,
};
