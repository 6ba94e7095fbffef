//! BasicStatistics and IncrementalBasicStatistics under the
//! [estimator contract](crate::estimator).

use super::{
    BasicStatistics, BasicStatisticsParams, FittedBasicStatistics, IncrementalBasicStatistics,
    IncrementalBasicStatisticsParams,
};
use crate::estimator::{
    check_batch_size, fit_in_batches, Context, Dataset, Estimator, Fitted, Params, PartialFit,
};
use crate::{Float, Result};

impl Params for BasicStatisticsParams {}

impl crate::estimator::Estimator for BasicStatistics {
    type Params = BasicStatisticsParams;
    type Fitted = FittedBasicStatistics;
    const SUPERVISED: bool = false;

    fn from_params(params: BasicStatisticsParams) -> Self {
        BasicStatistics::with_params(params)
    }

    fn fit<F: crate::Float>(
        &self,
        ctx: crate::estimator::Context<'_>,
        data: &crate::estimator::Dataset<'_, F>,
    ) -> crate::Result<FittedBasicStatistics> {
        let fitting = self.clone().comm(ctx.comm.clone());
        fitting.fit(&data.x(), data.weights(), ctx.queue)
    }
}

impl Fitted for FittedBasicStatistics {
    fn n_features_in(&self) -> usize {
        FittedBasicStatistics::n_features_in(self)
    }
}

impl Params for IncrementalBasicStatisticsParams {
    fn check(&self) -> Result<()> {
        check_batch_size(self.batch_size)
    }
}

impl Estimator for IncrementalBasicStatistics {
    type Params = IncrementalBasicStatisticsParams;
    type Fitted = FittedBasicStatistics;
    const SUPERVISED: bool = false;

    fn from_params(params: IncrementalBasicStatisticsParams) -> Self {
        Self::with_params(params)
    }

    /// This rank's rows in batches of `batch_size`, then [`PartialFit::finalize`].
    fn fit<F: Float>(&self, ctx: Context<'_>, data: &Dataset<'_, F>) -> Result<Self::Fitted> {
        let batches = <Self as PartialFit>::from_params(self.params().clone());
        fit_in_batches(batches, ctx, data, self.params().batch_size)
    }
}

impl PartialFit for IncrementalBasicStatistics {
    type Params = IncrementalBasicStatisticsParams;
    type Fitted = FittedBasicStatistics;

    fn from_params(params: IncrementalBasicStatisticsParams) -> Self {
        Self::with_params(params)
    }

    fn partial_fit<F: Float>(&mut self, ctx: Context<'_>, data: &Dataset<'_, F>) -> Result<()> {
        self.add(ctx.rank(), data.x(), data.weights(), ctx.queue)
    }

    fn finalize(&self, ctx: Context<'_>) -> Result<FittedBasicStatistics> {
        self.finalize_over(ctx.comm)
    }
}
