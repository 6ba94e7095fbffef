use serde::{Deserialize, Serialize};

/// Parameters of [`EmpiricalCovariance`](super::EmpiricalCovariance), under scikit-learn's names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmpiricalCovarianceParams {
    /// Compute and keep `precision_` (default `true`).
    pub store_precision: bool,
    /// Treat the data as centred: `location_` is zero (default `false`).
    pub assume_centered: bool,
}

impl Default for EmpiricalCovarianceParams {
    fn default() -> Self {
        Self {
            store_precision: true,
            assume_centered: false,
        }
    }
}
