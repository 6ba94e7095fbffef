//! StandardScaler: $(x - \mu) / \sigma$ per column.

use ndarray::{Array1, ArrayView1};
use serde::{Deserialize, Serialize};

use super::moments::{handle_zeros_in_scale, AffineParts};
use crate::estimator::Params;
use crate::partials::ColumnMoments;

/// Parameters of [`StandardScaler`], under scikit-learn's names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StandardScalerParams {
    /// Subtract the mean (default true).
    pub with_mean: bool,
    /// Divide by the standard deviation (default true).
    pub with_std: bool,
}

impl Default for StandardScalerParams {
    fn default() -> Self {
        Self {
            with_mean: true,
            with_std: true,
        }
    }
}

impl Params for StandardScalerParams {}

/// scikit-learn's `StandardScaler` over all ranks' rows, with optional sample weights (the
/// weighted mean and the weighted population variance).
#[derive(Debug, Clone, Default)]
pub struct StandardScaler {
    params: StandardScalerParams,
}

impl StandardScaler {
    /// Whether to subtract the mean.
    pub fn with_mean(mut self, yes: bool) -> Self {
        self.params.with_mean = yes;
        self
    }

    /// Whether to divide by the standard deviation.
    pub fn with_std(mut self, yes: bool) -> Self {
        self.params.with_std = yes;
        self
    }
}

/// A fitted [`StandardScaler`], the same on every rank. Serialises `mean_`, `var_`, `scale_`
/// (null where scikit-learn's are `None`), `n_samples_seen_` and `n_features_in_`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedStandardScaler {
    #[serde(rename = "with_mean", default = "yes")]
    with_mean: bool,
    #[serde(rename = "mean_")]
    mean: Option<Vec<f64>>,
    #[serde(rename = "var_")]
    var: Option<Vec<f64>>,
    #[serde(rename = "scale_")]
    scale: Option<Vec<f64>>,
    #[serde(rename = "n_samples_seen_")]
    n_samples_seen: f64,
    #[serde(rename = "n_features_in_")]
    n_features: usize,
}

fn yes() -> bool {
    true
}

impl crate::estimator::Estimator for StandardScaler {
    type Params = StandardScalerParams;
    type Fitted = FittedStandardScaler;
    const SUPERVISED: bool = false;

    fn from_params(params: StandardScalerParams) -> Self {
        StandardScaler { params }
    }

    fn fit<F: crate::Float>(
        &self,
        ctx: crate::estimator::Context<'_>,
        data: &crate::estimator::Dataset<'_, F>,
    ) -> crate::Result<FittedStandardScaler> {
        crate::preprocessing::moments::fit_scaler(self, ctx, data)
    }
}

impl crate::preprocessing::Scaler for StandardScaler {
    const WEIGHTED: bool = true;

    fn params(&self) -> &StandardScalerParams {
        &self.params
    }

    fn from_moments(
        params: &StandardScalerParams,
        m: &crate::partials::ColumnMoments,
    ) -> FittedStandardScaler {
        FittedStandardScaler::from_moments(params, m)
    }
}

impl crate::estimator::Fitted for FittedStandardScaler {
    fn n_features_in(&self) -> usize {
        crate::preprocessing::moments::AffineParts::n_features(self)
    }
}

impl crate::estimator::Transform for FittedStandardScaler {
    fn transform<F: crate::Float>(
        &self,
        ctx: crate::estimator::Context<'_>,
        x: ndarray::ArrayView2<'_, F>,
    ) -> crate::Result<ndarray::Array2<f64>> {
        crate::preprocessing::moments::scale(self, ctx, x)
    }
}

impl crate::estimator::InverseTransform for FittedStandardScaler {
    fn inverse_transform<F: crate::Float>(
        &self,
        ctx: crate::estimator::Context<'_>,
        x: ndarray::ArrayView2<'_, F>,
    ) -> crate::Result<ndarray::Array2<f64>> {
        crate::preprocessing::moments::unscale(self, ctx, x)
    }
}

impl FittedStandardScaler {
    fn from_moments(params: &StandardScalerParams, m: &ColumnMoments) -> Self {
        let n = m.count;
        let mean = Array1::from(m.mean.clone());
        let var = Array1::from(m.m2.iter().map(|v| v / n).collect::<Vec<_>>());
        // scikit-learn's _is_constant_feature: variance within rounding of zero.
        let constant: Vec<bool> = var
            .iter()
            .zip(&mean)
            .map(|(v, mu)| {
                let eps = f64::EPSILON;
                *v <= n * eps * v + (n * mu * eps).powi(2)
            })
            .collect();
        let mut scale = var.mapv(f64::sqrt);
        handle_zeros_in_scale(&mut scale, Some(&constant));
        let any = params.with_mean || params.with_std;
        FittedStandardScaler {
            with_mean: params.with_mean,
            mean: any.then(|| mean.to_vec()),
            var: params.with_std.then(|| var.to_vec()),
            scale: params.with_std.then(|| scale.to_vec()),
            n_samples_seen: n,
            n_features: m.mean.len(),
        }
    }

    /// Column means (`mean_`), unless neither centring nor scaling.
    pub fn mean(&self) -> Option<ArrayView1<'_, f64>> {
        self.mean.as_deref().map(ArrayView1::from)
    }
    /// Column population variances (`var_`), when scaling.
    pub fn var(&self) -> Option<ArrayView1<'_, f64>> {
        self.var.as_deref().map(ArrayView1::from)
    }
    /// Per-column divisor (`scale_`): the standard deviation, 1 for constant columns.
    pub fn scale(&self) -> Option<ArrayView1<'_, f64>> {
        self.scale.as_deref().map(ArrayView1::from)
    }
    /// Rows seen over all ranks, or the sum of their weights (`n_samples_seen_`).
    pub fn n_samples_seen(&self) -> f64 {
        self.n_samples_seen
    }
}

impl AffineParts for FittedStandardScaler {
    fn n_features(&self) -> usize {
        self.n_features
    }

    fn affine_parts(&self) -> (Array1<f64>, Array1<f64>) {
        let d = self.n_features;
        let a = self
            .scale
            .as_ref()
            .map_or_else(|| Array1::ones(d), |s| s.iter().map(|v| 1.0 / v).collect());
        let b = match (&self.mean, self.with_mean) {
            (Some(m), true) => m.iter().zip(&a).map(|(m, a)| -m * a).collect(),
            _ => Array1::zeros(d),
        };
        (a, b)
    }
}
