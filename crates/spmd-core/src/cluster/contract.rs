//! KMeans under the [estimator contract](crate::estimator).

use ndarray::{Array2, ArrayView2, Axis};

use super::{FittedKMeans, KMeans, KMeansParams};
use crate::estimator::{Context, Dataset, Fitted, Predict, Score, Transform};
use crate::{Float, Result};

impl crate::estimator::Params for KMeansParams {
    fn check(&self) -> crate::Result<()> {
        KMeansParams::check(self)
    }
}

impl crate::estimator::Estimator for KMeans {
    type Params = KMeansParams;
    type Fitted = FittedKMeans;
    const SUPERVISED: bool = false;

    fn from_params(params: KMeansParams) -> Self {
        KMeans::with_params(params)
    }

    fn fit<F: crate::Float>(
        &self,
        ctx: crate::estimator::Context<'_>,
        data: &crate::estimator::Dataset<'_, F>,
    ) -> crate::Result<FittedKMeans> {
        let fitting = self.clone().comm(ctx.comm.clone());
        let weights = data.weights().map(|w| w.mapv(|v| v.as_f64()));
        let weights = weights.as_ref().map(|w| w.view());
        fitting.fit_with(data.x(), weights, ctx.queue, data.resident_rows())
    }
}

impl Fitted for FittedKMeans {
    fn n_features_in(&self) -> usize {
        self.cluster_centers().ncols()
    }
    /// Each row's cluster.
    fn local_result(&self) -> Option<Array2<f64>> {
        Some(self.labels().mapv(|l| l as f64).insert_axis(Axis(1)))
    }
}

impl Predict for FittedKMeans {
    fn predict<F: Float>(&self, ctx: Context<'_>, x: ArrayView2<'_, F>) -> Result<Array2<f64>> {
        let (labels, _) = self.nearest(ctx.rank(), x, ctx.queue)?;
        Ok(labels.mapv(|l| l as f64).insert_axis(Axis(1)))
    }
}

impl Transform for FittedKMeans {
    fn transform<F: Float>(&self, ctx: Context<'_>, x: ArrayView2<'_, F>) -> Result<Array2<f64>> {
        self.transform_on(ctx.rank(), x, ctx.queue)
    }
}

impl Score for FittedKMeans {
    fn score<F: Float>(&self, ctx: Context<'_>, data: &Dataset<'_, F>) -> Result<f64> {
        let w = data.weights().map(|w| w.mapv(|v| v.as_f64()));
        self.score_on(ctx.comm, data.x(), w.as_ref().map(|w| w.view()), ctx.queue)
    }
}
