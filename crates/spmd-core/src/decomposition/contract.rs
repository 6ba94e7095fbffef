//! PCA, IncrementalPCA, QR and SVD under the [estimator contract](crate::estimator).

use ndarray::{Array2, ArrayView2};

use super::pca::{FittedPca, IncrementalPca, IncrementalPcaParams, Pca, PcaParams};
use super::tsqr::{qr, svd, FittedQr, FittedSvd, Qr, Svd};
use crate::backend::Backend;
use crate::estimator::{
    check_rows, estimator, params_checked_by, Context, Fitted, InverseTransform, Params, Transform,
};
use crate::{Float, Result};

params_checked_by!(PcaParams);

impl Params for IncrementalPcaParams {}

/// QR and SVD take no parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

impl Params for NoParams {}

estimator!(
    Pca, PcaParams => FittedPca, supervised: false,
    from: Pca::with_params,
    fit: |this, ctx, data| this.clone().comm(ctx.comm.clone()).fit(&data.x(), ctx.queue),
);

estimator!(
    IncrementalPca, IncrementalPcaParams => FittedPca, supervised: false,
    from: IncrementalPca::with_params,
    fit: |this, ctx, data| {
        let mut fitting = this.clone().comm(ctx.comm.clone());
        IncrementalPca::fit(&mut fitting, &data.x(), ctx.queue)
    },
);

impl Fitted for FittedPca {
    fn n_features_in(&self) -> usize {
        self.components().ncols()
    }
}

impl Transform for FittedPca {
    fn transform<F: Float>(&self, ctx: Context<'_>, x: ArrayView2<'_, F>) -> Result<Array2<f64>> {
        self.transform_on(&Backend::new(ctx.rank(), ctx.queue)?, x)
    }
}

impl InverseTransform for FittedPca {
    fn inverse_transform<F: Float>(
        &self,
        ctx: Context<'_>,
        x: ArrayView2<'_, F>,
    ) -> Result<Array2<f64>> {
        check_rows(ctx, x)?;
        FittedPca::inverse_transform(self, &x.mapv(|v| v.as_f64()))
    }
}

estimator!(
    Qr, NoParams => FittedQr, supervised: false,
    from: |_: NoParams| Qr::new(),
    fit: |_this, ctx, data| qr(ctx.comm, data.x(), ctx.queue),
);

impl Fitted for FittedQr {
    fn n_features_in(&self) -> usize {
        self.r().ncols()
    }
    fn local_result(&self) -> Option<Array2<f64>> {
        Some(self.q().to_owned())
    }
}

estimator!(
    Svd, NoParams => FittedSvd, supervised: false,
    from: |_: NoParams| Svd::new(),
    fit: |_this, ctx, data| svd(ctx.comm, data.x(), ctx.queue),
);

impl Fitted for FittedSvd {
    fn n_features_in(&self) -> usize {
        self.components().ncols()
    }
    fn local_result(&self) -> Option<Array2<f64>> {
        Some(self.u().to_owned())
    }
}

impl Transform for FittedSvd {
    fn transform<F: Float>(&self, ctx: Context<'_>, x: ArrayView2<'_, F>) -> Result<Array2<f64>> {
        self.transform_on(&Backend::new(ctx.rank(), ctx.queue)?, x)
    }
}
