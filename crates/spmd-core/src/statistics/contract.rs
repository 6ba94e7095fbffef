//! BasicStatistics under the [estimator contract](crate::estimator).

use super::{BasicStatistics, BasicStatisticsParams, FittedBasicStatistics};
use crate::estimator::{estimator, Fitted, Params};

impl Params for BasicStatisticsParams {}

estimator!(
    BasicStatistics, BasicStatisticsParams => FittedBasicStatistics, supervised: false,
    weighted: true,
    from: BasicStatistics::with_params,
    fit: |this, ctx, data| {
        let fitting = this.clone().comm(ctx.comm.clone());
        fitting.fit(&data.x(), data.weights(), ctx.queue)
    },
);

impl Fitted for FittedBasicStatistics {
    fn n_features_in(&self) -> usize {
        FittedBasicStatistics::n_features_in(self)
    }
}
