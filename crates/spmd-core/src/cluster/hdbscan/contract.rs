//! HDBSCAN under the [estimator contract](crate::estimator): `fit` only, its labels as the
//! per-row result.

use ndarray::{Array2, Axis};

use super::{FittedHdbscan, Hdbscan, HdbscanParams};
use crate::estimator::Fitted;

impl crate::estimator::Params for HdbscanParams {
    fn check(&self) -> crate::Result<()> {
        HdbscanParams::check(self)
    }
}

impl crate::estimator::Estimator for Hdbscan {
    type Params = HdbscanParams;
    type Fitted = FittedHdbscan;
    const SUPERVISED: bool = false;

    fn from_params(params: HdbscanParams) -> Self {
        Hdbscan::with_params(params)
    }

    fn fit<F: crate::Float>(
        &self,
        ctx: crate::estimator::Context<'_>,
        data: &crate::estimator::Dataset<'_, F>,
    ) -> crate::Result<FittedHdbscan> {
        crate::estimator::refuse_weights(ctx, data, "HDBSCAN")?;
        self.fit_on(ctx.comm, data.x(), ctx.queue)
    }
}

impl Fitted for FittedHdbscan {
    fn n_features_in(&self) -> usize {
        self.n_features_in
    }
    /// Each row's cluster: -1 for noise, -2 for infinite rows, -3 for rows with a NaN.
    fn local_result(&self) -> Option<Array2<f64>> {
        Some(self.labels.mapv(|l| l as f64).insert_axis(Axis(1)))
    }
    /// Each row's `probabilities_`.
    fn local_columns(&self) -> Vec<(&'static str, ndarray::Array1<f64>)> {
        vec![("probabilities_", self.probabilities.clone())]
    }
}
