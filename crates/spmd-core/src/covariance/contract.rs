//! EmpiricalCovariance and IncrementalEmpiricalCovariance under the
//! [estimator contract](crate::estimator).

use super::{
    EmpiricalCovariance, EmpiricalCovarianceParams, FittedEmpiricalCovariance,
    IncrementalEmpiricalCovariance, IncrementalEmpiricalCovarianceParams,
};
use crate::estimator::{
    check_batch_size, fit_in_batches, refuse_weights, Context, Dataset, Estimator, Fitted, Params,
    PartialFit,
};
use crate::{Error, Float, Result};

impl Params for EmpiricalCovarianceParams {}

impl crate::estimator::Estimator for EmpiricalCovariance {
    type Params = EmpiricalCovarianceParams;
    type Fitted = FittedEmpiricalCovariance;
    const SUPERVISED: bool = false;

    fn from_params(params: EmpiricalCovarianceParams) -> Self {
        EmpiricalCovariance::with_params(params)
    }

    fn fit<F: crate::Float>(
        &self,
        ctx: crate::estimator::Context<'_>,
        data: &crate::estimator::Dataset<'_, F>,
    ) -> crate::Result<FittedEmpiricalCovariance> {
        crate::estimator::refuse_weights(ctx, data, "EmpiricalCovariance")?;
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

impl Params for IncrementalEmpiricalCovarianceParams {
    fn check(&self) -> Result<()> {
        check_batch_size(self.batch_size)
    }
}

impl Estimator for IncrementalEmpiricalCovariance {
    type Params = IncrementalEmpiricalCovarianceParams;
    type Fitted = FittedEmpiricalCovariance;
    const SUPERVISED: bool = false;

    fn from_params(params: IncrementalEmpiricalCovarianceParams) -> Self {
        Self::with_params(params)
    }

    /// This rank's rows in batches of `batch_size`, then [`PartialFit::finalize`].
    fn fit<F: Float>(&self, ctx: Context<'_>, data: &Dataset<'_, F>) -> Result<Self::Fitted> {
        refuse_weights(ctx, data, "IncrementalEmpiricalCovariance")?;
        let batches = <Self as PartialFit>::from_params(self.params().clone());
        fit_in_batches(batches, ctx, data, self.params().batch_size)
    }
}

impl PartialFit for IncrementalEmpiricalCovariance {
    type Params = IncrementalEmpiricalCovarianceParams;
    type Fitted = FittedEmpiricalCovariance;

    fn from_params(params: IncrementalEmpiricalCovarianceParams) -> Self {
        Self::with_params(params)
    }

    fn partial_fit<F: Float>(&mut self, ctx: Context<'_>, data: &Dataset<'_, F>) -> Result<()> {
        if data.weights().is_some() {
            let message = "IncrementalEmpiricalCovariance does not take sample weights";
            return self.refuse(Error::Input(message.into()));
        }
        self.add(ctx.rank(), data.x(), ctx.queue)
    }

    fn finalize(&self, ctx: Context<'_>) -> Result<FittedEmpiricalCovariance> {
        self.finalize_over(ctx.comm)
    }
}
