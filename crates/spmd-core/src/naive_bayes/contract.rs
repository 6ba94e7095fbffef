//! MultinomialNB under the [estimator contract](crate::estimator).

use super::{FittedMultinomialNb, MultinomialNb, MultinomialNbParams};
use crate::{Float, Result};

impl crate::estimator::Params for MultinomialNbParams {
    fn check(&self) -> crate::Result<()> {
        MultinomialNbParams::check(self)
    }
}

impl MultinomialNb {
    /// Fits on every rank's rows `x` and labels `y`; every rank calls it and gets the
    /// same model. The classes are the union of all ranks' labels.
    pub fn fit<F, L, S, T>(
        &self,
        x: &ndarray::ArrayBase<S, ndarray::Ix2>,
        y: &ndarray::ArrayBase<T, ndarray::Ix1>,
        queue: Option<&spmd_gpu::Queue>,
    ) -> crate::Result<FittedMultinomialNb>
    where
        F: crate::Float,
        L: crate::classes::ClassLabel,
        S: ndarray::Data<Elem = F>,
        T: ndarray::Data<Elem = L>,
    {
        self.fit_labelled(&x.view(), &y.view(), None, queue)
    }

    /// [`fit`](Self::fit) with a weight per row (scikit-learn's `sample_weight`).
    pub fn fit_weighted<F, L, S, T>(
        &self,
        x: &ndarray::ArrayBase<S, ndarray::Ix2>,
        y: &ndarray::ArrayBase<T, ndarray::Ix1>,
        sample_weight: Option<ndarray::ArrayView1<'_, f64>>,
        queue: Option<&spmd_gpu::Queue>,
    ) -> crate::Result<FittedMultinomialNb>
    where
        F: crate::Float,
        L: crate::classes::ClassLabel,
        S: ndarray::Data<Elem = F>,
        T: ndarray::Data<Elem = L>,
    {
        self.fit_labelled(&x.view(), &y.view(), sample_weight, queue)
    }
}

impl crate::estimator::Estimator for MultinomialNb {
    type Params = MultinomialNbParams;
    type Fitted = FittedMultinomialNb;
    const SUPERVISED: bool = true;

    fn from_params(params: MultinomialNbParams) -> Self {
        Self::with_params(params)
    }

    fn fit<F: crate::Float>(
        &self,
        ctx: crate::estimator::Context<'_>,
        data: &crate::estimator::Dataset<'_, F>,
    ) -> crate::Result<FittedMultinomialNb> {
        let (y, w) = crate::estimator::labels_and_weights(ctx, data)?;
        self.clone().comm(ctx.comm.clone()).fit_weighted(
            &data.x(),
            &y,
            w.as_ref().map(|w| w.view()),
            ctx.queue,
        )
    }
}

impl crate::estimator::ClassifierModel for FittedMultinomialNb {
    fn predict_on<F: crate::Float>(
        &self,
        backend: &crate::backend::Backend<'_>,
        x: ndarray::ArrayView2<'_, F>,
    ) -> crate::Result<ndarray::Array1<i64>> {
        FittedMultinomialNb::predict_on(self, backend, x)
    }

    fn log_proba_on<F: crate::Float>(
        &self,
        backend: &crate::backend::Backend<'_>,
        x: ndarray::ArrayView2<'_, F>,
    ) -> crate::Result<ndarray::Array2<f64>> {
        FittedMultinomialNb::log_proba_on(self, backend, x)
    }
}

impl crate::estimator::Fitted for FittedMultinomialNb {
    fn n_features_in(&self) -> usize {
        FittedMultinomialNb::n_features_in(self)
    }
}

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
