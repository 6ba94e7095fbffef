//! EmpiricalCovariance under the [estimator contract](crate::estimator).

use super::{EmpiricalCovariance, EmpiricalCovarianceParams, FittedEmpiricalCovariance};
use crate::estimator::{Context, Dataset, Estimator, Fitted, Params};
use crate::{Float, Result};

impl Params for EmpiricalCovarianceParams {}

impl Estimator for EmpiricalCovariance {
    type Params = EmpiricalCovarianceParams;
    type Fitted = FittedEmpiricalCovariance;
    const SUPERVISED: bool = false;

    fn from_params(params: EmpiricalCovarianceParams) -> Self {
        EmpiricalCovariance::with_params(params)
    }

    fn fit<F: Float>(
        &self,
        ctx: Context<'_>,
        data: &Dataset<'_, F>,
    ) -> Result<FittedEmpiricalCovariance> {
        self.clone()
            .comm(ctx.comm.clone())
            .fit(&data.x(), ctx.queue)
    }
}

impl Fitted for FittedEmpiricalCovariance {
    fn n_features_in(&self) -> usize {
        FittedEmpiricalCovariance::n_features_in(self)
    }
}
