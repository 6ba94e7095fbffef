use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Parameters of [`MultinomialNb`](super::MultinomialNb), under scikit-learn's names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MultinomialNbParams {
    /// Additive (Laplace/Lidstone) smoothing (default 1).
    pub alpha: f64,
    /// Keep `alpha` even below 1e-10 (default true, as scikit-learn since 1.4); otherwise such
    /// an `alpha` becomes 1e-10.
    pub force_alpha: bool,
    /// Learn the class priors from the class counts (default true); otherwise uniform.
    pub fit_prior: bool,
    /// Given class priors, one per class in sorted label order (overrides `fit_prior`).
    pub class_prior: Option<Vec<f64>>,
}

impl Default for MultinomialNbParams {
    fn default() -> Self {
        Self {
            alpha: 1.0,
            force_alpha: true,
            fit_prior: true,
            class_prior: None,
        }
    }
}

impl MultinomialNbParams {
    /// Errors on values scikit-learn rejects.
    pub fn check(&self) -> Result<()> {
        if self.alpha.is_nan() || self.alpha < 0.0 || self.alpha.is_infinite() {
            return Err(Error::InvalidParam {
                name: "alpha",
                value: self.alpha.to_string(),
                expected: "a finite number >= 0",
            });
        }
        if let Some(prior) = &self.class_prior {
            if prior.iter().any(|p| p.is_nan() || *p < 0.0) {
                return Err(Error::InvalidParam {
                    name: "class_prior",
                    value: format!("{prior:?}"),
                    expected: "probabilities >= 0, one per class",
                });
            }
        }
        Ok(())
    }

    /// The smoothing actually used.
    pub(super) fn effective_alpha(&self) -> f64 {
        if self.force_alpha || self.alpha >= 1e-10 {
            self.alpha
        } else {
            tracing::warn!(
                alpha = self.alpha,
                "alpha too small; using 1e-10 (force_alpha=false)"
            );
            1e-10
        }
    }
}
