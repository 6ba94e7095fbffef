//! BasicStatistics under the [estimator contract](crate::estimator).

use super::{BasicStatistics, BasicStatisticsParams, FittedBasicStatistics};
use crate::estimator::{Context, Dataset, Estimator, Fitted, Params};
use crate::{Float, Result};

impl Params for BasicStatisticsParams {}

impl Estimator for BasicStatistics {
    type Params = BasicStatisticsParams;
    type Fitted = FittedBasicStatistics;
    const SUPERVISED: bool = false;

    fn from_params(params: BasicStatisticsParams) -> Self {
        BasicStatistics::with_params(params)
    }

    fn fit<F: Float>(
        &self,
        ctx: Context<'_>,
        data: &Dataset<'_, F>,
    ) -> Result<FittedBasicStatistics> {
        self.clone()
            .comm(ctx.comm.clone())
            .fit(&data.x(), data.weights(), ctx.queue)
    }
}

impl Fitted for FittedBasicStatistics {
    fn n_features_in(&self) -> usize {
        FittedBasicStatistics::n_features_in(self)
    }
}
