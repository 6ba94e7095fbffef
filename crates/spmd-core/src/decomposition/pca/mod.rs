//! Principal component analysis.

mod incremental;
mod params;

pub use incremental::{IncrementalPca, IncrementalPcaParams};
pub use params::{NComponents, PcaParams, SvdSolver};

use ndarray::{Array1, Array2, ArrayBase, ArrayView1, ArrayView2, Axis, Data, Ix2};
use serde::{Deserialize, Serialize};
use spmd_comm::Comm;
use spmd_gpu::Queue;

use crate::backend::Backend;
use crate::decomposition::Svd;
use crate::distributed::{agree, comm_or_world, global_shape};
use crate::linalg::symmetric_eigen_descending;
use crate::partials::{
    column_moments, combine_column_moments, global_scatter, ColumnMoments, GlobalScatter,
};
use crate::validate::check_features;
use crate::{Error, Float, Result};

crate::builder::builder!(
    /// scikit-learn's `PCA` with the `covariance_eigh` solver: the centred scatter matrix of all
    /// ranks' rows is summed with one allreduce and eigendecomposed on every rank.
    ///
    /// Components follow scikit-learn's sign convention: the entry of largest magnitude of each
    /// component is positive.
    ///
    /// ```
    /// use ndarray::array;
    /// use spmd_core::decomposition::{NComponents, Pca};
    ///
    /// let x = array![[2.0_f64, 0.0], [0.0, 1.0], [-2.0, 0.0], [0.0, -1.0]];
    /// let pca = Pca::new().n_components(NComponents::Count(1)).fit(&x, None)?;
    /// assert_eq!(pca.components().row(0).to_vec(), [1.0, 0.0]);
    /// assert!((pca.explained_variance()[0] - 8.0 / 3.0).abs() < 1e-12);
    /// let projected = pca.transform(&x, None)?;
    /// assert!((projected[[0, 0]] - 2.0).abs() < 1e-12);
    /// # Ok::<(), spmd_core::Error>(())
    /// ```
    pub struct Pca,
    PcaParams {
        /// Components to keep.
        n_components: NComponents,
        /// Scale projections to unit variance.
        whiten: bool,
    },
    new = "scikit-learn's defaults (all components, no whitening)."
);

impl Pca {
    /// Fits on this rank's rows; every rank calls it and gets the same components.
    pub fn fit<F: Float, S: Data<Elem = F>>(
        &self,
        x: &ArrayBase<S, Ix2>,
        queue: Option<&Queue>,
    ) -> Result<FittedPca> {
        let comm = comm_or_world(self.comm.as_ref())?;
        if self.params.svd_solver == SvdSolver::Full {
            return FittedPca::by_svd(&comm, &self.params, x.view(), queue);
        }
        let scatter = global_scatter(&comm, x.view(), true, self.params.check(), queue)?;
        FittedPca::from_scatter(&self.params, scatter, comm.rank())
    }
}

/// A fitted [`Pca`], the same on every rank; serialises under scikit-learn's names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "Attributes", try_from = "Attributes")]
pub struct FittedPca {
    components: Array2<f64>,
    explained_variance: Array1<f64>,
    explained_variance_ratio: Array1<f64>,
    singular_values: Array1<f64>,
    mean: Array1<f64>,
    noise_variance: f64,
    n_samples: usize,
    whiten: bool,
    rank: usize,
}

impl FittedPca {
    /// Components from the combined centred scatter of all ranks' rows.
    pub(crate) fn from_scatter(
        params: &PcaParams,
        scatter: GlobalScatter,
        rank: usize,
    ) -> Result<Self> {
        let n = scatter.rows as usize;
        if n < 2 {
            return Err(Error::Shape {
                what: "X".into(),
                expected: "at least 2 rows over all ranks".into(),
                found: format!("{n}"),
            });
        }
        let covariance = scatter.scatter / (n - 1) as f64;
        let (values, vectors) = symmetric_eigen_descending(&covariance)?;
        Self::from_spectrum(
            params,
            values,
            vectors.t().to_owned(),
            scatter.mean,
            n,
            rank,
        )
    }

    /// scikit-learn's `svd_solver="full"`: the SVD of the centred rows (through TSQR, so the
    /// covariance is never formed and ill-conditioned data keep their small components).
    fn by_svd<F: Float>(
        comm: &Comm,
        params: &PcaParams,
        x: ArrayView2<'_, F>,
        queue: Option<&Queue>,
    ) -> Result<Self> {
        let local = params
            .check()
            .and_then(|_| column_moments(comm.rank(), x, queue));
        let local = agree(comm, local)?;
        let shape = global_shape(comm, x.nrows(), [x.ncols(), 0], ["X", "y"])?;
        let width = shape.columns[0];
        let local = if x.nrows() == 0 {
            ColumnMoments::empty(width)
        } else {
            local
        };
        let moments = combine_column_moments(comm, &local)?;
        let n = moments.count as usize;
        if n < 2 {
            return Err(Error::Shape {
                what: "X".into(),
                expected: "at least 2 rows over all ranks".into(),
                found: format!("{n}"),
            });
        }
        let mean = Array1::from(moments.mean);
        let centred = if x.nrows() == 0 {
            Array2::zeros((0, width))
        } else {
            x.mapv(|v| v.as_f64()) - &mean
        };
        let svd = Svd::new().comm(comm.clone()).fit(&centred)?;
        let values = svd.singular_values().mapv(|s| s * s / (n - 1) as f64);
        Self::from_spectrum(
            params,
            values,
            svd.components().to_owned(),
            mean,
            n,
            comm.rank(),
        )
    }

    /// The fit from the covariance spectrum: `values` descending, `axes` the matching unit
    /// vectors as rows (all of them, or `min(n, d)` from an SVD).
    fn from_spectrum(
        params: &PcaParams,
        mut values: Array1<f64>,
        axes: Array2<f64>,
        mean: Array1<f64>,
        n: usize,
        rank: usize,
    ) -> Result<Self> {
        let d = mean.len();
        values.mapv_inplace(|v| v.max(0.0));
        let total: f64 = values.sum();
        let ratio = values.mapv(|v| if total > 0.0 { v / total } else { 0.0 });
        let rank_limit = n.min(d);
        let k = match params.n_components {
            NComponents::All => rank_limit,
            NComponents::Count(c) if c <= rank_limit => c,
            NComponents::Count(c) => {
                return Err(Error::InvalidParam {
                    name: "n_components",
                    value: c.to_string(),
                    expected: "at most min(n_samples, n_features)",
                })
            }
            NComponents::VarianceRatio(r) => {
                // scikit-learn: searchsorted(cumsum(ratio), r, side="right") + 1
                let mut cumulative = 0.0;
                let below = ratio.iter().take_while(|&&v| {
                    cumulative += v;
                    cumulative <= r
                });
                (below.count() + 1).min(rank_limit)
            }
        };
        let mut components = axes.slice(ndarray::s![..k, ..]).to_owned();
        for mut row in components.rows_mut() {
            let largest = row
                .iter()
                .copied()
                .fold(0.0_f64, |m, v| if v.abs() > m.abs() { v } else { m });
            if largest < 0.0 {
                row.mapv_inplace(|v| -v);
            }
        }
        let noise_variance = if k < rank_limit {
            values
                .slice(ndarray::s![k..rank_limit])
                .mean()
                .unwrap_or(0.0)
        } else {
            0.0
        };
        let explained = values.slice(ndarray::s![..k]).to_owned();
        Ok(Self {
            singular_values: explained.mapv(|v| (v * (n - 1) as f64).sqrt()),
            explained_variance_ratio: ratio.slice(ndarray::s![..k]).to_owned(),
            explained_variance: explained,
            components,
            mean,
            noise_variance,
            n_samples: n,
            whiten: params.whiten,
            rank,
        })
    }

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
            noise_variance: a.noise_variance_,
            n_samples: a.n_samples_,
            whiten: a.whiten,
            rank: 0,
        })
    }
}
