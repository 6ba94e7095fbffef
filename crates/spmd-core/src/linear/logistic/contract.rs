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
        <LogisticRegression>::with_params(params)
    }

    fn fit<F: crate::Float>(
        &self,
        ctx: crate::estimator::Context<'_>,
        data: &crate::estimator::Dataset<'_, F>,
    ) -> crate::Result<FittedLogisticRegression> {
        let y = crate::distributed::agree(ctx.comm, data.labels())?.mapv(|v| v.as_f64());
        let w = data.weights().map(|w| w.mapv(|v| v.as_f64()));
        self.clone().comm(ctx.comm.clone()).fit_weighted(
            &data.x(),
            &y,
            w.as_ref().map(|w| w.view()),
            ctx.queue,
        )
    }
}

impl crate::estimator::Fitted for FittedLogisticRegression {
    fn n_features_in(&self) -> usize {
        <FittedLogisticRegression>::n_features_in(self)
    }

    fn local_result(&self) -> Option<ndarray::Array2<f64>> {
        let _m = self;
        None
    }
}

impl crate::estimator::Predict for FittedLogisticRegression {
    fn predict<F: crate::Float>(
        &self,
        ctx: crate::estimator::Context<'_>,
        x: ndarray::ArrayView2<'_, F>,
    ) -> crate::Result<ndarray::Array2<f64>> {
        let backend = crate::backend::Backend::new(ctx.rank(), ctx.queue)?;
        Ok(self
            .predict_on(&backend, x)?
            .mapv(|label| label as f64)
            .insert_axis(ndarray::Axis(1)))
    }
}

impl crate::estimator::Transform for FittedLogisticRegression {
    fn transform<F: crate::Float>(
        &self,
        ctx: crate::estimator::Context<'_>,
        x: ndarray::ArrayView2<'_, F>,
    ) -> crate::Result<ndarray::Array2<f64>> {
        let backend = crate::backend::Backend::new(ctx.rank(), ctx.queue)?;
        Ok(self.log_proba_on(&backend, x)?.mapv(f64::exp))
    }
}

impl crate::estimator::PredictLogProba for FittedLogisticRegression {
    fn predict_log_proba<F: crate::Float>(
        &self,
        ctx: crate::estimator::Context<'_>,
        x: ndarray::ArrayView2<'_, F>,
    ) -> crate::Result<ndarray::Array2<f64>> {
        let backend = crate::backend::Backend::new(ctx.rank(), ctx.queue)?;
        self.log_proba_on(&backend, x)
    }
}

impl crate::estimator::Score for FittedLogisticRegression {
    fn score<F: crate::Float>(
        &self,
        ctx: crate::estimator::Context<'_>,
        data: &crate::estimator::Dataset<'_, F>,
    ) -> crate::Result<f64> {
        let y = crate::distributed::agree(ctx.comm, data.labels())?.mapv(|v| v.as_f64());
        let w = data.weights().map(|w| w.mapv(|v| v.as_f64()));
        <FittedLogisticRegression>::score_weighted(
            self,
            ctx.comm,
            &data.x(),
            &y,
            w.as_ref().map(|w| w.view()),
            ctx.queue,
        )
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
