//! PCA, IncrementalPCA, QR and SVD under the [estimator contract](crate::estimator).

use ndarray::{Array2, ArrayView2};

use super::pca::{FittedPca, IncrementalPca, IncrementalPcaParams, Pca, PcaParams};
use super::tsqr::{qr, svd, FittedQr, FittedSvd, Qr, Svd};
use crate::backend::Backend;
use crate::estimator::{check_rows, Context, Fitted, InverseTransform, Params, Transform};
use crate::{Float, Result};

impl crate::estimator::Params for PcaParams {
    fn check(&self) -> crate::Result<()> {
        PcaParams::check(self)
    }
}

impl Params for IncrementalPcaParams {}

/// QR and SVD take no parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

impl Params for NoParams {}

impl crate::estimator::Estimator for Pca {
    type Params = PcaParams;
    type Fitted = FittedPca;
    const SUPERVISED: bool = false;

    fn from_params(params: PcaParams) -> Self {
        Pca::with_params(params)
    }

    fn fit<F: crate::Float>(
        &self,
        ctx: crate::estimator::Context<'_>,
        data: &crate::estimator::Dataset<'_, F>,
    ) -> crate::Result<FittedPca> {
        crate::estimator::refuse_weights(ctx, data, "Pca")?;
        self.clone()
            .comm(ctx.comm.clone())
            .fit(&data.x(), ctx.queue)
    }
}

impl crate::estimator::Estimator for IncrementalPca {
    type Params = IncrementalPcaParams;
    type Fitted = FittedPca;
    const SUPERVISED: bool = false;

    fn from_params(params: IncrementalPcaParams) -> Self {
        IncrementalPca::with_params(params)
    }

    fn fit<F: crate::Float>(
        &self,
        ctx: crate::estimator::Context<'_>,
        data: &crate::estimator::Dataset<'_, F>,
    ) -> crate::Result<FittedPca> {
        crate::estimator::refuse_weights(ctx, data, "IncrementalPca")?;
        let mut fitting = self.clone().comm(ctx.comm.clone());
        IncrementalPca::fit(&mut fitting, &data.x(), ctx.queue)
    }
}

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

impl crate::estimator::Estimator for Qr {
    type Params = NoParams;
    type Fitted = FittedQr;
    const SUPERVISED: bool = false;

    fn from_params(_: NoParams) -> Self {
        Qr::new()
    }

    fn fit<F: crate::Float>(
        &self,
        ctx: crate::estimator::Context<'_>,
        data: &crate::estimator::Dataset<'_, F>,
    ) -> crate::Result<FittedQr> {
        crate::estimator::refuse_weights(ctx, data, "Qr")?;
        qr(ctx.comm, data.x(), ctx.queue)
    }
}

impl Fitted for FittedQr {
    fn n_features_in(&self) -> usize {
        self.r().ncols()
    }
    fn local_result(&self) -> Option<Array2<f64>> {
        Some(self.q().to_owned())
    }
}

impl crate::estimator::Estimator for Svd {
    type Params = NoParams;
    type Fitted = FittedSvd;
    const SUPERVISED: bool = false;

    fn from_params(_: NoParams) -> Self {
        Svd::new()
    }

    fn fit<F: crate::Float>(
        &self,
        ctx: crate::estimator::Context<'_>,
        data: &crate::estimator::Dataset<'_, F>,
    ) -> crate::Result<FittedSvd> {
        crate::estimator::refuse_weights(ctx, data, "Svd")?;
        svd(ctx.comm, data.x(), ctx.queue)
    }
}

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
