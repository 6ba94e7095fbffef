//! EmpiricalCovariance and its fit: the centred scatter of every rank's rows.

use ndarray::{ArrayBase, Data, Ix2};
use spmd_gpu::Queue;

use crate::distributed::comm_or_world;
use crate::partials::global_scatter;
use crate::{Float, Result};

use super::fitted::FittedEmpiricalCovariance;
use super::params::EmpiricalCovarianceParams;

/// scikit-learn's `EmpiricalCovariance`: the maximum-likelihood covariance
/// $\frac{1}{n} \sum_i (x_i - \mu)(x_i - \mu)^\top$ of all ranks' rows.
///
/// ```
/// use ndarray::array;
/// use spmd_core::covariance::EmpiricalCovariance;
///
/// let x = array![[1.0_f64, 2.0], [3.0, 2.0], [2.0, 5.0]];
/// let cov = EmpiricalCovariance::new().fit(&x, None)?;
/// assert_eq!(cov.location().to_vec(), [2.0, 3.0]);
/// assert!((cov.covariance()[[0, 0]] - 2.0 / 3.0).abs() < 1e-15);
/// assert!((cov.covariance()[[1, 1]] - 2.0).abs() < 1e-15);
/// # Ok::<(), spmd_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct EmpiricalCovariance {
    pub(super) params: EmpiricalCovarianceParams,
    pub(super) comm: Option<spmd_comm::Comm>,
}

impl EmpiricalCovariance {
    /// scikit-learn's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// From parameters (as read from a model file or the command line).
    pub fn with_params(params: EmpiricalCovarianceParams) -> Self {
        Self {
            params,
            ..Self::default()
        }
    }

    /// The ranks that fit together; `Comm::world()` by default.
    pub fn comm(mut self, comm: spmd_comm::Comm) -> Self {
        self.comm = Some(comm);
        self
    }

    /// The parameters.
    pub fn params(&self) -> &EmpiricalCovarianceParams {
        &self.params
    }

    /// Treat the data as centred (`location_` zero).
    pub fn assume_centered(mut self, assume_centered: bool) -> Self {
        self.params.assume_centered = assume_centered;
        self
    }

    /// Whether to compute `precision_`.
    pub fn store_precision(mut self, store_precision: bool) -> Self {
        self.params.store_precision = store_precision;
        self
    }
}

impl EmpiricalCovariance {
    /// Fits on this rank's rows; every rank calls it and gets the same estimate.
    pub fn fit<F: Float, S: Data<Elem = F>>(
        &self,
        x: &ArrayBase<S, Ix2>,
        queue: Option<&Queue>,
    ) -> Result<FittedEmpiricalCovariance> {
        let comm = comm_or_world(self.comm.as_ref())?;
        let centred = !self.params.assume_centered;
        let scatter = global_scatter(&comm, x.view(), centred, Ok(()), queue)?;
        FittedEmpiricalCovariance::from_scatter(&self.params, scatter, comm.rank())
    }
}
