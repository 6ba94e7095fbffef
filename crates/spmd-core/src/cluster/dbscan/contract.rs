//! DBSCAN under the [estimator contract](crate::estimator): `fit` only, its labels as the
//! per-row result.

use ndarray::{Array2, Axis};

use super::{Dbscan, DbscanParams, FittedDbscan};
use crate::estimator::Fitted;

impl crate::estimator::Params for DbscanParams {
    fn check(&self) -> crate::Result<()> {
        DbscanParams::check(self)
    }
}

impl crate::estimator::Estimator for Dbscan {
    type Params = DbscanParams;
    type Fitted = FittedDbscan;
    const SUPERVISED: bool = false;

    fn from_params(params: DbscanParams) -> Self {
        Dbscan::with_params(params)
    }

    fn fit<F: crate::Float>(
        &self,
        ctx: crate::estimator::Context<'_>,
        data: &crate::estimator::Dataset<'_, F>,
    ) -> crate::Result<FittedDbscan> {
        let weights = data.weights().map(|w| w.mapv(|v| v.as_f64()));
        self.fit_on(
            ctx.comm,
            data.x(),
            weights.as_ref().map(|w| w.view()),
            ctx.queue,
        )
    }
}

impl Fitted for FittedDbscan {
    fn n_features_in(&self) -> usize {
        self.n_features_in
    }
    /// Each row's cluster, -1 for noise.
    fn local_result(&self) -> Option<Array2<f64>> {
        Some(self.labels.mapv(|l| l as f64).insert_axis(Axis(1)))
    }
}
