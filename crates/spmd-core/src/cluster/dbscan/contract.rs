//! DBSCAN under the [estimator contract](crate::estimator): `fit` only, its labels as the
//! per-row result.

use ndarray::{Array2, Axis};

use super::{Dbscan, DbscanParams, FittedDbscan};
use crate::estimator::{estimator, params_checked_by, Fitted};

params_checked_by!(DbscanParams);

estimator!(
    Dbscan, DbscanParams => FittedDbscan, supervised: false,
    weighted: true,
    from: Dbscan::with_params,
    fit: |this, ctx, data| {
        let weights = data.weights().map(|w| w.mapv(|v| v.as_f64()));
        this.fit_on(ctx.comm, data.x(), weights.as_ref().map(|w| w.view()), ctx.queue)
    },
);

impl Fitted for FittedDbscan {
    fn n_features_in(&self) -> usize {
        self.n_features_in
    }
    /// Each row's cluster, -1 for noise.
    fn local_result(&self) -> Option<Array2<f64>> {
        Some(self.labels.mapv(|l| l as f64).insert_axis(Axis(1)))
    }
}
