//! MaxAbsScaler: each column divided by its largest absolute value.

use ndarray::{Array1, ArrayView1};
use serde::{Deserialize, Serialize};

use super::moments::{handle_zeros_in_scale, AffineParts};
use crate::estimator::Params;
use crate::partials::ColumnMoments;

/// MaxAbsScaler takes no parameters (scikit-learn's `copy` has no meaning here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaxAbsScalerParams {}

impl Params for MaxAbsScalerParams {}

/// scikit-learn's (and sklearnex's SPMD) `MaxAbsScaler` over all ranks' rows.
#[derive(Debug, Clone, Default)]
pub struct MaxAbsScaler {
    params: MaxAbsScalerParams,
}

/// A fitted [`MaxAbsScaler`], the same on every rank. Serialises `max_abs_`, `scale_`,
/// `n_samples_seen_` and `n_features_in_`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "MaxAbsAttributes", try_from = "MaxAbsAttributes")]
pub struct FittedMaxAbsScaler {
    max_abs: Array1<f64>,
    scale: Array1<f64>,
    n_samples_seen: f64,
}

#[derive(Serialize, Deserialize)]
struct MaxAbsAttributes {
    max_abs_: Vec<f64>,
    scale_: Vec<f64>,
    n_samples_seen_: f64,
    n_features_in_: usize,
}

impl From<FittedMaxAbsScaler> for MaxAbsAttributes {
    fn from(f: FittedMaxAbsScaler) -> Self {
        Self {
            n_features_in_: f.scale.len(),
            max_abs_: f.max_abs.to_vec(),
            scale_: f.scale.to_vec(),
            n_samples_seen_: f.n_samples_seen,
        }
    }
}

impl TryFrom<MaxAbsAttributes> for FittedMaxAbsScaler {
    type Error = String;
    fn try_from(a: MaxAbsAttributes) -> std::result::Result<Self, String> {
        let d = a.n_features_in_;
        if a.max_abs_.len() != d || a.scale_.len() != d {
            return Err(format!("max_abs_ and scale_ must have {d} values"));
        }
        Ok(Self {
            max_abs: a.max_abs_.into(),
            scale: a.scale_.into(),
            n_samples_seen: a.n_samples_seen_,
        })
    }
}

impl crate::estimator::Estimator for MaxAbsScaler {
    type Params = MaxAbsScalerParams;
    type Fitted = FittedMaxAbsScaler;
    const SUPERVISED: bool = false;

    fn from_params(params: MaxAbsScalerParams) -> Self {
        MaxAbsScaler { params }
    }

    fn fit<F: crate::Float>(
        &self,
        ctx: crate::estimator::Context<'_>,
        data: &crate::estimator::Dataset<'_, F>,
    ) -> crate::Result<FittedMaxAbsScaler> {
        crate::preprocessing::moments::fit_scaler(self, ctx, data)
    }
}

impl crate::preprocessing::Scaler for MaxAbsScaler {
    const WEIGHTED: bool = false;

    fn params(&self) -> &MaxAbsScalerParams {
        &self.params
    }

    fn from_moments(
        params: &MaxAbsScalerParams,
        m: &crate::partials::ColumnMoments,
    ) -> FittedMaxAbsScaler {
        FittedMaxAbsScaler::from_moments(params, m)
    }
}

impl crate::estimator::Fitted for FittedMaxAbsScaler {
    fn n_features_in(&self) -> usize {
        crate::preprocessing::moments::AffineParts::n_features(self)
    }
}

impl crate::estimator::Transform for FittedMaxAbsScaler {
    fn transform<F: crate::Float>(
        &self,
        ctx: crate::estimator::Context<'_>,
        x: ndarray::ArrayView2<'_, F>,
    ) -> crate::Result<ndarray::Array2<f64>> {
        crate::preprocessing::moments::scale(self, ctx, x)
    }
}

impl crate::estimator::InverseTransform for FittedMaxAbsScaler {
    fn inverse_transform<F: crate::Float>(
        &self,
        ctx: crate::estimator::Context<'_>,
        x: ndarray::ArrayView2<'_, F>,
    ) -> crate::Result<ndarray::Array2<f64>> {
        crate::preprocessing::moments::unscale(self, ctx, x)
    }
}

impl FittedMaxAbsScaler {
    fn from_moments(_: &MaxAbsScalerParams, m: &ColumnMoments) -> Self {
        let max_abs: Array1<f64> = m
            .min
            .iter()
            .zip(&m.max)
            .map(|(lo, hi)| lo.abs().max(hi.abs()))
            .collect();
        let mut scale = max_abs.clone();
        handle_zeros_in_scale(&mut scale, None);
        FittedMaxAbsScaler {
            max_abs,
            scale,
            n_samples_seen: m.count,
        }
    }

    /// Largest absolute value per column over all ranks (`max_abs_`).
    pub fn max_abs(&self) -> ArrayView1<'_, f64> {
        self.max_abs.view()
    }
    /// Per-column divisor (`scale_`): `max_abs_`, 1 where that is zero.
    pub fn scale(&self) -> ArrayView1<'_, f64> {
        self.scale.view()
    }
}

impl AffineParts for FittedMaxAbsScaler {
    fn n_features(&self) -> usize {
        self.scale.len()
    }

    fn affine_parts(&self) -> (Array1<f64>, Array1<f64>) {
        (
            self.scale.mapv(|s| 1.0 / s),
            Array1::zeros(self.scale.len()),
        )
    }
}
