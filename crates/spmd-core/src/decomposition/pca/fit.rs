//! PCA's fit: the components from the centred scatter of every rank's rows, or from TSQR.

use ndarray::{Array1, Array2, ArrayBase, ArrayView2, Data, Ix2};
use spmd_comm::Comm;
use spmd_gpu::Queue;

use crate::decomposition::Svd;
use crate::distributed::{agree, comm_or_world, global_shape};
use crate::linalg::symmetric_eigen_descending;
use crate::partials::{
    column_moments, combine_column_moments, global_scatter, ColumnMoments, GlobalScatter,
};
use crate::{Error, Float, Result};

use super::fitted::FittedPca;
use super::params::{NComponents, Pca, PcaParams, SvdSolver};

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
                found: format!("n_samples={n}"),
            });
        }
        let var = scatter.scatter.diag().mapv(|s| s / n as f64);
        let covariance = scatter.scatter / (n - 1) as f64;
        let (values, vectors) = symmetric_eigen_descending(&covariance)?;
        Self::from_spectrum(
            params,
            values,
            vectors.t().to_owned(),
            [scatter.mean, var],
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
                found: format!("n_samples={n}"),
            });
        }
        let var = moments.m2.iter().map(|m| m / n as f64).collect();
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
            [mean, var],
            n,
            comm.rank(),
        )
    }

    /// The fit from the covariance spectrum: `values` descending, `axes` the matching unit
    /// vectors as rows (all of them, or `min(n, d)` from an SVD); `[mean, var]` the columns'
    /// means and (population) variances.
    fn from_spectrum(
        params: &PcaParams,
        mut values: Array1<f64>,
        axes: Array2<f64>,
        [mean, var]: [Array1<f64>; 2],
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
            var,
            noise_variance,
            n_samples: n,
            whiten: params.whiten,
            rank,
        })
    }
}
