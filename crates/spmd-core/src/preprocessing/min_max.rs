//! MinMaxScaler: each column mapped linearly onto `feature_range`.

use ndarray::{Array1, ArrayView1};
use serde::{Deserialize, Serialize};

use super::moments::{handle_zeros_in_scale, AffineParts};
use crate::estimator::Params;
use crate::partials::ColumnMoments;
use crate::{Error, Result};

/// Parameters of [`MinMaxScaler`], under scikit-learn's names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MinMaxScalerParams {
    /// The range each column is mapped onto (default `[0, 1]`).
    pub feature_range: (f64, f64),
    /// Clip transformed values to `feature_range` (default false).
    pub clip: bool,
}

impl Default for MinMaxScalerParams {
    fn default() -> Self {
        Self {
            feature_range: (0.0, 1.0),
            clip: false,
        }
    }
}

impl Params for MinMaxScalerParams {
    fn check(&self) -> Result<()> {
        let (lo, hi) = self.feature_range;
        if lo.is_finite() && hi.is_finite() && lo < hi {
            Ok(())
        } else {
            Err(Error::InvalidParam {
                name: "feature_range",
                value: format!("[{lo}, {hi}]"),
                expected: "two finite numbers, the first smaller",
            })
        }
    }
}

/// scikit-learn's `MinMaxScaler` over all ranks' rows.
#[derive(Debug, Clone, Default)]
pub struct MinMaxScaler {
    params: MinMaxScalerParams,
}

impl MinMaxScaler {
    /// The range each column is mapped onto.
    pub fn feature_range(mut self, lo: f64, hi: f64) -> Self {
        self.params.feature_range = (lo, hi);
        self
    }

    /// Whether to clip transformed values to the range.
    pub fn clip(mut self, yes: bool) -> Self {
        self.params.clip = yes;
        self
    }
}

/// A fitted [`MinMaxScaler`], the same on every rank. Serialises `data_min_`, `data_max_`,
/// `data_range_`, `scale_`, `min_`, `n_samples_seen_` and `n_features_in_`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "MinMaxAttributes", try_from = "MinMaxAttributes")]
pub struct FittedMinMaxScaler {
    feature_range: (f64, f64),
    clip: bool,
    data_min: Array1<f64>,
    data_max: Array1<f64>,
    data_range: Array1<f64>,
    scale: Array1<f64>,
    min: Array1<f64>,
    n_samples_seen: f64,
}

#[derive(Serialize, Deserialize)]
struct MinMaxAttributes {
    feature_range: (f64, f64),
    clip: bool,
    data_min_: Vec<f64>,
    data_max_: Vec<f64>,
    data_range_: Vec<f64>,
    scale_: Vec<f64>,
    min_: Vec<f64>,
    n_samples_seen_: f64,
    n_features_in_: usize,
}

impl From<FittedMinMaxScaler> for MinMaxAttributes {
    fn from(f: FittedMinMaxScaler) -> Self {
        Self {
            feature_range: f.feature_range,
            clip: f.clip,
            n_features_in_: f.scale.len(),
            data_min_: f.data_min.to_vec(),
            data_max_: f.data_max.to_vec(),
            data_range_: f.data_range.to_vec(),
            scale_: f.scale.to_vec(),
            min_: f.min.to_vec(),
            n_samples_seen_: f.n_samples_seen,
        }
    }
}

impl TryFrom<MinMaxAttributes> for FittedMinMaxScaler {
    type Error = String;
    fn try_from(a: MinMaxAttributes) -> std::result::Result<Self, String> {
        let d = a.n_features_in_;
        let columns = [
            &a.data_min_,
            &a.data_max_,
            &a.data_range_,
            &a.scale_,
            &a.min_,
        ];
        if columns.iter().any(|c| c.len() != d) {
            return Err(format!("every per-column attribute must have {d} values"));
        }
        Ok(Self {
            feature_range: a.feature_range,
            clip: a.clip,
            data_min: a.data_min_.into(),
            data_max: a.data_max_.into(),
            data_range: a.data_range_.into(),
            scale: a.scale_.into(),
            min: a.min_.into(),
            n_samples_seen: a.n_samples_seen_,
        })
    }
}

impl crate::estimator::Estimator for MinMaxScaler {
    type Params = MinMaxScalerParams;
    type Fitted = FittedMinMaxScaler;
    const SUPERVISED: bool = false;

    fn from_params(params: MinMaxScalerParams) -> Self {
        MinMaxScaler { params }
    }

    fn fit<F: crate::Float>(
        &self,
        ctx: crate::estimator::Context<'_>,
        data: &crate::estimator::Dataset<'_, F>,
    ) -> crate::Result<FittedMinMaxScaler> {
        crate::preprocessing::moments::fit_scaler(self, ctx, data)
    }
}

impl crate::preprocessing::Scaler for MinMaxScaler {
    const WEIGHTED: bool = false;

    fn params(&self) -> &MinMaxScalerParams {
        &self.params
    }

    fn from_moments(
        params: &MinMaxScalerParams,
        m: &crate::partials::ColumnMoments,
    ) -> FittedMinMaxScaler {
        FittedMinMaxScaler::from_moments(params, m)
    }
}

impl crate::estimator::Fitted for FittedMinMaxScaler {
    fn n_features_in(&self) -> usize {
        crate::preprocessing::moments::AffineParts::n_features(self)
    }
}

impl crate::estimator::Transform for FittedMinMaxScaler {
    fn transform<F: crate::Float>(
        &self,
        ctx: crate::estimator::Context<'_>,
        x: ndarray::ArrayView2<'_, F>,
    ) -> crate::Result<ndarray::Array2<f64>> {
        crate::preprocessing::moments::scale(self, ctx, x)
    }
}

impl crate::estimator::InverseTransform for FittedMinMaxScaler {
    fn inverse_transform<F: crate::Float>(
        &self,
        ctx: crate::estimator::Context<'_>,
        x: ndarray::ArrayView2<'_, F>,
    ) -> crate::Result<ndarray::Array2<f64>> {
        crate::preprocessing::moments::unscale(self, ctx, x)
    }
}

impl FittedMinMaxScaler {
    fn from_moments(params: &MinMaxScalerParams, m: &ColumnMoments) -> Self {
        let (lo, hi) = params.feature_range;
        let data_min = Array1::from(m.min.clone());
        let data_max = Array1::from(m.max.clone());
        let data_range = &data_max - &data_min;
        let mut divisor = data_range.clone();
        handle_zeros_in_scale(&mut divisor, None);
        let scale = divisor.mapv(|r| (hi - lo) / r);
        let min = lo - &data_min * &scale;
        FittedMinMaxScaler {
            feature_range: params.feature_range,
            clip: params.clip,
            data_min,
            data_max,
            data_range,
            scale,
            min,
            n_samples_seen: m.count,
        }
    }

    /// Column minima over all ranks (`data_min_`).
    pub fn data_min(&self) -> ArrayView1<'_, f64> {
        self.data_min.view()
    }
    /// Column maxima over all ranks (`data_max_`).
    pub fn data_max(&self) -> ArrayView1<'_, f64> {
        self.data_max.view()
    }
    /// Per-column factor (`scale_`).
    pub fn scale(&self) -> ArrayView1<'_, f64> {
        self.scale.view()
    }
    /// Per-column offset (`min_`).
    pub fn min(&self) -> ArrayView1<'_, f64> {
        self.min.view()
    }
}

impl AffineParts for FittedMinMaxScaler {
    fn n_features(&self) -> usize {
        self.scale.len()
    }

    fn affine_parts(&self) -> (Array1<f64>, Array1<f64>) {
        (self.scale.clone(), self.min.clone())
    }

    fn clip_range(&self) -> Option<(f64, f64)> {
        self.clip.then_some(self.feature_range)
    }
}
