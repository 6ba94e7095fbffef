//! A fitted PCA: the components, and the projections they give.

use ndarray::{Array1, Array2, ArrayBase, ArrayView1, ArrayView2, Axis, Data, Ix2};
use serde::{Deserialize, Serialize};
use spmd_gpu::Queue;

use crate::backend::Backend;
use crate::validate::check_features;
use crate::{Float, Result};

/// A fitted [`Pca`](super::Pca), the same on every rank; serialises under scikit-learn's names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "Attributes", try_from = "Attributes")]
pub struct FittedPca {
    pub(super) components: Array2<f64>,
    pub(super) explained_variance: Array1<f64>,
    pub(super) explained_variance_ratio: Array1<f64>,
    pub(super) singular_values: Array1<f64>,
    pub(super) mean: Array1<f64>,
    pub(super) var: Array1<f64>,
    pub(super) noise_variance: f64,
    pub(super) n_samples: usize,
    pub(super) whiten: bool,
    pub(super) rank: usize,
}

impl FittedPca {
    /// Principal axes, `n_components x n_features` (`components_`).
    pub fn components(&self) -> ArrayView2<'_, f64> {
        self.components.view()
    }
    /// Variance along each component (`explained_variance_`).
    pub fn explained_variance(&self) -> ArrayView1<'_, f64> {
        self.explained_variance.view()
    }
    /// Fraction of the total variance along each component (`explained_variance_ratio_`).
    pub fn explained_variance_ratio(&self) -> ArrayView1<'_, f64> {
        self.explained_variance_ratio.view()
    }
    /// Singular values of the centred data (`singular_values_`).
    pub fn singular_values(&self) -> ArrayView1<'_, f64> {
        self.singular_values.view()
    }
    /// Column means (`mean_`).
    pub fn mean(&self) -> ArrayView1<'_, f64> {
        self.mean.view()
    }
    /// Column variances, over `n` rows (`var_`, as scikit-learn's `IncrementalPCA`).
    pub fn var(&self) -> ArrayView1<'_, f64> {
        self.var.view()
    }
    /// Mean variance of the discarded directions (`noise_variance_`).
    pub fn noise_variance(&self) -> f64 {
        self.noise_variance
    }
    /// Components kept (`n_components_`).
    pub fn n_components(&self) -> usize {
        self.components.nrows()
    }
    /// Rows seen in fit over all ranks (`n_samples_`).
    pub fn n_samples(&self) -> usize {
        self.n_samples
    }

    /// Projections of this rank's rows, `n x n_components`: $(X - \mu) W^\top$, divided by
    /// $\sqrt{\lambda}$ when whitened. Local: no communication.
    pub fn transform<F: Float, S: Data<Elem = F>>(
        &self,
        x: &ArrayBase<S, Ix2>,
        queue: Option<&Queue>,
    ) -> Result<Array2<f64>> {
        self.transform_on(&Backend::new(self.rank, queue)?, x.view())
    }

    /// [`transform`](Self::transform) on `backend` (whose rank errors name).
    pub(crate) fn transform_on<F: Float>(
        &self,
        backend: &Backend<'_>,
        x: ArrayView2<'_, F>,
    ) -> Result<Array2<f64>> {
        check_features(self.mean.len(), x.ncols())?;
        let mean = self.mean.as_slice().unwrap_or(&[]);
        let mut out = backend.centred_rows_times(x, mean, self.components.t())?;
        if self.whiten {
            let scale = self
                .explained_variance
                .mapv(|v| if v > 0.0 { 1.0 / v.sqrt() } else { 0.0 });
            out *= &scale;
        }
        Ok(out)
    }

    /// Rows back in feature space: $Y W + \mu$ (undoing the whitening when it was applied).
    pub fn inverse_transform(&self, y: &Array2<f64>) -> Result<Array2<f64>> {
        check_features(self.n_components(), y.ncols())?;
        let w = if self.whiten {
            &self.components * &self.explained_variance.mapv(f64::sqrt).insert_axis(Axis(1))
        } else {
            self.components.clone()
        };
        Ok(y.dot(&w) + &self.mean)
    }
}

#[derive(Serialize, Deserialize)]
struct Attributes {
    components_: Vec<Vec<f64>>,
    explained_variance_: Vec<f64>,
    explained_variance_ratio_: Vec<f64>,
    singular_values_: Vec<f64>,
    mean_: Vec<f64>,
    /// Absent from model files written before it was kept.
    #[serde(default)]
    var_: Vec<f64>,
    noise_variance_: f64,
    n_components_: usize,
    n_samples_: usize,
    n_features_in_: usize,
    whiten: bool,
}

impl From<FittedPca> for Attributes {
    fn from(m: FittedPca) -> Self {
        Attributes {
            components_: m
                .components
                .rows()
                .into_iter()
                .map(|r| r.to_vec())
                .collect(),
            explained_variance_: m.explained_variance.to_vec(),
            explained_variance_ratio_: m.explained_variance_ratio.to_vec(),
            singular_values_: m.singular_values.to_vec(),
            n_components_: m.components.nrows(),
            n_features_in_: m.mean.len(),
            mean_: m.mean.to_vec(),
            var_: m.var.to_vec(),
            noise_variance_: m.noise_variance,
            n_samples_: m.n_samples,
            whiten: m.whiten,
        }
    }
}

impl TryFrom<Attributes> for FittedPca {
    type Error = String;
    fn try_from(a: Attributes) -> std::result::Result<Self, String> {
        let (k, d) = (a.n_components_, a.n_features_in_);
        let ok = a.components_.len() == k
            && a.components_.iter().all(|r| r.len() == d)
            && a.mean_.len() == d
            && (a.var_.is_empty() || a.var_.len() == d)
            && [
                a.explained_variance_.len(),
                a.explained_variance_ratio_.len(),
                a.singular_values_.len(),
            ] == [k; 3];
        if !ok {
            return Err(format!(
                "PCA attributes must describe {k} components of {d} features"
            ));
        }
        Ok(Self {
            components: Array2::from_shape_fn((k, d), |(i, j)| a.components_[i][j]),
            explained_variance: Array1::from(a.explained_variance_),
            explained_variance_ratio: Array1::from(a.explained_variance_ratio_),
            singular_values: Array1::from(a.singular_values_),
            mean: Array1::from(a.mean_),
            var: Array1::from(a.var_),
            noise_variance: a.noise_variance_,
            n_samples: a.n_samples_,
            whiten: a.whiten,
            rank: 0,
        })
    }
}
