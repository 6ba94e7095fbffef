//! EmpiricalCovariance under the [estimator contract](crate::estimator).

use super::{EmpiricalCovariance, EmpiricalCovarianceParams, FittedEmpiricalCovariance};
use crate::estimator::{estimator, Fitted, Params};

impl Params for EmpiricalCovarianceParams {}

estimator!(
    EmpiricalCovariance, EmpiricalCovarianceParams => FittedEmpiricalCovariance, supervised: false,
    from: EmpiricalCovariance::with_params,
    fit: |this, ctx, data| this.clone().comm(ctx.comm.clone()).fit(&data.x(), ctx.queue),
);

impl Fitted for FittedEmpiricalCovariance {
    fn n_features_in(&self) -> usize {
        FittedEmpiricalCovariance::n_features_in(self)
    }
}
