//! Maximum-likelihood covariance.

mod fit;
mod fitted;
mod params;

pub use fit::EmpiricalCovariance;
pub use fitted::FittedEmpiricalCovariance;
pub use params::EmpiricalCovarianceParams;
