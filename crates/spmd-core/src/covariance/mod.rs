//! Covariance estimators.

mod contract;
mod empirical;
mod incremental;

pub use empirical::{EmpiricalCovariance, EmpiricalCovarianceParams, FittedEmpiricalCovariance};
pub use incremental::{IncrementalEmpiricalCovariance, IncrementalEmpiricalCovarianceParams};
