//! MultinomialNB under the [estimator contract](crate::estimator).

use super::{FittedMultinomialNb, MultinomialNb, MultinomialNbParams};
use crate::{Float, Result};

crate::estimator::classifier_contract!(MultinomialNb, MultinomialNbParams, FittedMultinomialNb);

impl crate::estimator::PartialFit for MultinomialNb {
    type Params = MultinomialNbParams;
    type Fitted = FittedMultinomialNb;

    fn from_params(params: MultinomialNbParams) -> Self {
        Self::with_params(params)
    }

    /// A batch of this rank's rows and labels; [`Dataset::classes`] names every class of the
    /// whole fit, on the first batch at least (scikit-learn's `classes`).
    ///
    /// [`Dataset::classes`]: crate::estimator::Dataset::classes
    fn partial_fit<F: Float>(
        &mut self,
        ctx: crate::estimator::Context<'_>,
        data: &crate::estimator::Dataset<'_, F>,
    ) -> Result<()> {
        self.comm.get_or_insert_with(|| ctx.comm.clone());
        let labels = match data.labels() {
            Ok(labels) => labels.mapv(|v| v.as_f64()),
            Err(e) => return self.failure.remember(Err(e)),
        };
        let w = data.weights().map(|w| w.mapv(|v| v.as_f64()));
        let (x, classes) = (data.x(), data.given_classes());
        let w = w.as_ref().map(|w| w.view());
        MultinomialNb::partial_fit(self, &x, &labels, classes, w, ctx.queue)
    }

    fn finalize(&self, ctx: crate::estimator::Context<'_>) -> Result<FittedMultinomialNb> {
        MultinomialNb::finalize(&self.clone().comm(ctx.comm.clone()))
    }
}
