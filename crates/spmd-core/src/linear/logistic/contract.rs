//! LogisticRegression under the [estimator contract](crate::estimator).

use ndarray::{Array2, ArrayView2};

use super::{FittedLogisticRegression, LogisticRegression, LogisticRegressionParams};
use crate::backend::Backend;
use crate::estimator::{Context, DecisionFunction};
use crate::{Float, Result};

crate::estimator::classifier_contract!(
    LogisticRegression,
    LogisticRegressionParams,
    FittedLogisticRegression
);

impl DecisionFunction for FittedLogisticRegression {
    fn decision_function<F: Float>(
        &self,
        ctx: Context<'_>,
        x: ArrayView2<'_, F>,
    ) -> Result<Array2<f64>> {
        self.scores_on(&Backend::new(ctx.rank(), ctx.queue)?, x)
    }
}
