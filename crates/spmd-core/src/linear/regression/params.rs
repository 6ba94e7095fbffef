use serde::{Deserialize, Serialize};

/// Parameters of [`LinearRegression`](super::LinearRegression), under scikit-learn's names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LinearRegressionParams {
    /// Fit an intercept (default `true`).
    pub fit_intercept: bool,
}

impl Default for LinearRegressionParams {
    fn default() -> Self {
        Self {
            fit_intercept: true,
        }
    }
}
