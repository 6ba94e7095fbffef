//! LogisticRegression under the [estimator contract](crate::estimator).

use ndarray::{Array2, ArrayView2};

use super::{FittedLogisticRegression, LogisticRegression, LogisticRegressionParams};
use crate::backend::Backend;
use crate::estimator::{Context, DecisionFunction};
use crate::{Float, Result};

impl crate::estimator::Params for LogisticRegressionParams {
    fn check(&self) -> crate::Result<()> {
        LogisticRegressionParams::check(self)
    }
}

impl LogisticRegression {
    /// Fits on every rank's rows `x` and labels `y`; every rank calls it and gets the
    /// same model. The classes are the union of all ranks' labels.
    pub fn fit<F, L, S, T>(
        &self,
        x: &ndarray::ArrayBase<S, ndarray::Ix2>,
        y: &ndarray::ArrayBase<T, ndarray::Ix1>,
        queue: Option<&spmd_gpu::Queue>,
    ) -> crate::Result<FittedLogisticRegression>
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
    ) -> crate::Result<FittedLogisticRegression>
    where
        F: crate::Float,
        L: crate::classes::ClassLabel,
        S: ndarray::Data<Elem = F>,
        T: ndarray::Data<Elem = L>,
    {
        self.fit_labelled(&x.view(), &y.view(), sample_weight, queue)
    }
}

impl crate::estimator::Estimator for LogisticRegression {
    type Params = LogisticRegressionParams;
    type Fitted = FittedLogisticRegression;
    const SUPERVISED: bool = true;

    fn from_params(params: LogisticRegressionParams) -> Self {
        Self::with_params(params)
    }

    fn fit<F: crate::Float>(
        &self,
        ctx: crate::estimator::Context<'_>,
        data: &crate::estimator::Dataset<'_, F>,
    ) -> crate::Result<FittedLogisticRegression> {
        let (y, w) = crate::estimator::labels_and_weights(ctx, data)?;
        self.clone().comm(ctx.comm.clone()).fit_weighted(
            &data.x(),
            &y,
            w.as_ref().map(|w| w.view()),
            ctx.queue,
        )
    }
}

impl crate::estimator::ClassifierModel for FittedLogisticRegression {
    fn predict_on<F: crate::Float>(
        &self,
        backend: &crate::backend::Backend<'_>,
        x: ndarray::ArrayView2<'_, F>,
    ) -> crate::Result<ndarray::Array1<i64>> {
        FittedLogisticRegression::predict_on(self, backend, x)
    }

    fn log_proba_on<F: crate::Float>(
        &self,
        backend: &crate::backend::Backend<'_>,
        x: ndarray::ArrayView2<'_, F>,
    ) -> crate::Result<ndarray::Array2<f64>> {
        FittedLogisticRegression::log_proba_on(self, backend, x)
    }
}

impl crate::estimator::Fitted for FittedLogisticRegression {
    fn n_features_in(&self) -> usize {
        FittedLogisticRegression::n_features_in(self)
    }
}

impl DecisionFunction for FittedLogisticRegression {
    fn decision_function<F: Float>(
        &self,
        ctx: Context<'_>,
        x: ArrayView2<'_, F>,
    ) -> Result<Array2<f64>> {
        self.scores_on(&Backend::new(ctx.rank(), ctx.queue)?, x)
    }
}
