//! Covariance estimators.

mod empirical;

pub use empirical::{EmpiricalCovariance, EmpiricalCovarianceParams, FittedEmpiricalCovariance};
