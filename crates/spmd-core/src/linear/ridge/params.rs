use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Parameters of [`Ridge`](super::Ridge), under scikit-learn's names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RidgeParams {
    /// Penalty strength (default 1.0).
    pub alpha: f64,
    /// Fit an intercept (default `true`).
    pub fit_intercept: bool,
}

impl Default for RidgeParams {
    fn default() -> Self {
        Self {
            alpha: 1.0,
            fit_intercept: true,
        }
    }
}

impl RidgeParams {
    /// Errors unless `alpha` is finite and non-negative.
    pub fn check(&self) -> Result<()> {
        if self.alpha.is_finite() && self.alpha >= 0.0 {
            Ok(())
        } else {
            Err(Error::InvalidParam {
                name: "alpha",
                value: self.alpha.to_string(),
                expected: "a finite number >= 0",
            })
        }
    }
}
