//! scikit-learn-style estimators for SPMD execution.
//!
//! Every rank calls the same `fit` on its own rows; partial results are computed on the CPU or on
//! the rank's GPU (pass `Some(&queue)`), combined with one or two allreduces, and every rank ends
//! with the same fitted model: the model one process would fit on all the rows.
//!
//! ```
//! use ndarray::{array, Array1};
//! use spmd_core::linear::LinearRegression;
//!
//! let x = array![[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]];
//! let y: Array1<f64> = x.rows().into_iter().map(|r| 1.0 + 2.0 * r[0] - r[1]).collect();
//! let model = LinearRegression::new().fit(&x, &y, None)?; // None: the CPU
//! assert!((model.coef()[[0, 0]] - 2.0).abs() < 1e-12);
//! assert!((model.intercept()[0] - 1.0).abs() < 1e-12);
//! # Ok::<(), spmd_core::Error>(())
//! ```
//!
//! Every estimator also implements one contract, [`estimator`]: parameters checked once, `fit`
//! on a [`estimator::Dataset`] of f32 or f64 views, and `predict`, `transform`,
//! `inverse_transform`, `score` and `partial_fit` with one shape each, the communicator and the
//! optional queue passed together as an [`estimator::Context`]. Front ends (the command line)
//! drive every estimator through it. [`backend::Backend`] is the one place that chooses the CPU
//! or the GPU; docs/architecture.md lists which operations run on the GPU.

pub mod backend;
pub mod classes;
pub mod cluster;
pub mod covariance;
pub mod decomposition;
pub mod distributed;
pub mod ensemble;
mod error;
pub mod estimator;
pub mod linalg;
pub mod linear;
mod logging;
pub mod memory;
pub mod naive_bayes;
pub mod neighbors;
pub mod optimize;
pub mod partials;
pub mod preprocessing;
mod progress;
mod random;
pub mod registry;
mod ring;
mod simd;
pub mod statistics;
mod validate;

pub use error::Error;
pub use logging::init_logging;
pub use spmd_comm::Comm;
pub use spmd_gpu::Queue;
pub use spmd_partials::HostFloat as Float;

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
