//! EmpiricalCovariance and its fit: the centred scatter of every rank's rows.

use ndarray::{ArrayBase, Data, Ix2};
use spmd_gpu::Queue;

use crate::distributed::comm_or_world;
use crate::partials::global_scatter;
use crate::{Float, Result};

use super::fitted::FittedEmpiricalCovariance;
use super::params::EmpiricalCovarianceParams;

crate::builder::builder!(
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
    pub struct EmpiricalCovariance,
    EmpiricalCovarianceParams {
        /// Treat the data as centred (`location_` zero).
        assume_centered: bool,
        /// Whether to compute `precision_`.
        store_precision: bool,
    },
    new = "scikit-learn's defaults."
);

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
