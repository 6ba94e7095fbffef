//! A fitted EmpiricalCovariance: the estimate, and what it gives.

use ndarray::{Array1, Array2, ArrayBase, ArrayView1, ArrayView2, Data, Ix2};
use serde::{Deserialize, Serialize};

use crate::linalg::pinv_symmetric;
use crate::partials::GlobalScatter;
use crate::validate::{check_features, check_finite};
use crate::{Float, Result};

use super::params::EmpiricalCovarianceParams;

/// A fitted [`EmpiricalCovariance`](super::EmpiricalCovariance), the same on every rank; serialises under scikit-learn's
/// names (`location_`, `covariance_`, `precision_`, `n_features_in_`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "Attributes", try_from = "Attributes")]
pub struct FittedEmpiricalCovariance {
    pub(super) location: Array1<f64>,
    pub(super) covariance: Array2<f64>,
    pub(super) precision: Option<Array2<f64>>,
    pub(super) rank: usize,
}

impl FittedEmpiricalCovariance {
    /// The estimate from the combined scatter of all ranks' rows (centred unless
    /// `assume_centered`).
    pub(crate) fn from_scatter(
        params: &EmpiricalCovarianceParams,
        scatter: GlobalScatter,
        rank: usize,
    ) -> Result<Self> {
        let covariance = scatter.scatter / scatter.rows as f64;
        let location = if params.assume_centered {
            Array1::zeros(covariance.nrows())
        } else {
            scatter.mean
        };
        let precision = if params.store_precision {
            Some(pinv_symmetric(&covariance, scatter.roundoff)?)
        } else {
            None
        };
        Ok(Self {
            location,
            covariance,
            precision,
            rank,
        })
    }

    /// Mean used as the centre (`location_`).
    pub fn location(&self) -> ArrayView1<'_, f64> {
        self.location.view()
    }

    /// The covariance matrix (`covariance_`).
    pub fn covariance(&self) -> ArrayView2<'_, f64> {
        self.covariance.view()
    }

    /// Pseudo-inverse of the covariance (`precision_`), if stored.
    pub fn precision(&self) -> Option<ArrayView2<'_, f64>> {
        self.precision.as_ref().map(|p| p.view())
    }

    /// Number of features.
    pub fn n_features_in(&self) -> usize {
        self.location.len()
    }

    /// The correlation matrix $C_{ij} / \sqrt{C_{ii} C_{jj}}$ (zero where a variance is zero).
    pub fn correlation(&self) -> Array2<f64> {
        let d = self.covariance.diag().mapv(f64::sqrt);
        Array2::from_shape_fn(self.covariance.raw_dim(), |(i, j)| {
            let s = d[i] * d[j];
            if s > 0.0 {
                self.covariance[[i, j]] / s
            } else {
                0.0
            }
        })
    }

    /// Squared Mahalanobis distances $(x - \mu)^\top P (x - \mu)$ of this rank's rows, with the
    /// stored precision $P$ (computed here when not stored).
    pub fn mahalanobis<F: Float, S: Data<Elem = F>>(
        &self,
        x: &ArrayBase<S, Ix2>,
    ) -> Result<Array1<f64>> {
        check_features(self.n_features_in(), x.ncols())?;
        check_finite("X", x.view(), self.rank)?;
        let computed;
        let precision = match &self.precision {
            Some(p) => p,
            None => {
                computed = pinv_symmetric(&self.covariance, f64::EPSILON)?;
                &computed
            }
        };
        let centred = x.mapv(|v| v.as_f64()) - &self.location;
        let projected = centred.dot(precision);
        Ok((&projected * &centred).sum_axis(ndarray::Axis(1)))
    }
}

#[derive(Serialize, Deserialize)]
struct Attributes {
    location_: Vec<f64>,
    covariance_: Vec<Vec<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    precision_: Option<Vec<Vec<f64>>>,
    n_features_in_: usize,
}

fn rows(a: &Array2<f64>) -> Vec<Vec<f64>> {
    a.rows().into_iter().map(|r| r.to_vec()).collect()
}

fn matrix(name: &str, rows: Vec<Vec<f64>>, d: usize) -> std::result::Result<Array2<f64>, String> {
    if rows.len() != d || rows.iter().any(|r| r.len() != d) {
        return Err(format!("{name} must be {d} x {d}"));
    }
    Ok(Array2::from_shape_fn((d, d), |(i, j)| rows[i][j]))
}

impl From<FittedEmpiricalCovariance> for Attributes {
    fn from(m: FittedEmpiricalCovariance) -> Self {
        Attributes {
            location_: m.location.to_vec(),
            covariance_: rows(&m.covariance),
            precision_: m.precision.as_ref().map(rows),
            n_features_in_: m.location.len(),
        }
    }
}

impl TryFrom<Attributes> for FittedEmpiricalCovariance {
    type Error = String;
    fn try_from(a: Attributes) -> std::result::Result<Self, String> {
        let d = a.n_features_in_;
        if a.location_.len() != d {
            return Err(format!("location_ must have {d} values"));
        }
        Ok(Self {
            location: Array1::from(a.location_),
            covariance: matrix("covariance_", a.covariance_, d)?,
            precision: a
                .precision_
                .map(|p| matrix("precision_", p, d))
                .transpose()?,
            rank: 0,
        })
    }
}
