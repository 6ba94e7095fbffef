//! The linear models under the [estimator contract](crate::estimator).

use ndarray::{Array2, ArrayView1, ArrayView2, Axis};

use super::fit::fit_linear;
use super::{LinearModel, LinearRegression, LinearRegressionParams, Ridge, RidgeParams};
use crate::estimator::TargetColumns;
use crate::estimator::{
    missing_targets, require_targets, Context, Dataset, Fitted, Params, Predict, Score,
};
use crate::{Float, Result};

impl crate::estimator::Params for RidgeParams {
    fn check(&self) -> crate::Result<()> {
        RidgeParams::check(self)
    }
}

impl Params for LinearRegressionParams {}

/// The normal-equations fit of `data`, as an f64 model whatever the rows' precision.
fn fit_columns<F: Float>(
    ctx: Context<'_>,
    data: &Dataset<'_, F>,
    fit_intercept: bool,
    alpha: f64,
    params_ok: Result<()>,
) -> Result<LinearModel<f64>> {
    // A rank without targets fails at the fit's first agreement, like any other bad input.
    let (y, params_ok) = match data.y() {
        Some(y) => (y, params_ok),
        None => (
            ArrayView1::from(&[] as &[F]).insert_axis(Axis(1)),
            params_ok.and(Err(missing_targets())),
        ),
    };
    let columns = TargetColumns {
        y,
        single: data.y_is_1d(),
    };
    let model = fit_linear(
        Some(ctx.comm),
        &data.x(),
        &columns,
        data.weights(),
        fit_intercept,
        alpha,
        params_ok,
        ctx.queue,
    )?;
    Ok(model.to_precision())
}

impl crate::estimator::Estimator for Ridge {
    type Params = RidgeParams;
    type Fitted = LinearModel<f64>;
    const SUPERVISED: bool = true;

    fn from_params(params: RidgeParams) -> Self {
        Ridge::with_params(params)
    }

    fn fit<F: crate::Float>(
        &self,
        ctx: crate::estimator::Context<'_>,
        data: &crate::estimator::Dataset<'_, F>,
    ) -> crate::Result<LinearModel<f64>> {
        let p = self.params();
        fit_columns(ctx, data, p.fit_intercept, p.alpha, p.check())
    }
}

impl crate::estimator::Estimator for LinearRegression {
    type Params = LinearRegressionParams;
    type Fitted = LinearModel<f64>;
    const SUPERVISED: bool = true;

    fn from_params(params: LinearRegressionParams) -> Self {
        LinearRegression::with_params(params)
    }

    fn fit<F: crate::Float>(
        &self,
        ctx: crate::estimator::Context<'_>,
        data: &crate::estimator::Dataset<'_, F>,
    ) -> crate::Result<LinearModel<f64>> {
        fit_columns(ctx, data, self.params().fit_intercept, 0.0, Ok(()))
    }
}

impl Fitted for LinearModel<f64> {
    fn n_features_in(&self) -> usize {
        LinearModel::n_features_in(self)
    }
}

impl Predict for LinearModel<f64> {
    fn predict<F: Float>(&self, ctx: Context<'_>, x: ArrayView2<'_, F>) -> Result<Array2<f64>> {
        let model = self.to_precision::<F>().with_comm(ctx.comm.clone());
        Ok(model.predict(&x, ctx.queue)?.mapv(|v| v.as_f64()))
    }
}

impl Score for LinearModel<f64> {
    fn score<F: Float>(&self, ctx: Context<'_>, data: &Dataset<'_, F>) -> Result<f64> {
        let model = self.to_precision::<F>().with_comm(ctx.comm.clone());
        let y = crate::distributed::agree(ctx.comm, require_targets(data))?;
        let w = data.weights().map(|w| w.mapv(|v| v.as_f64()));
        model.score_weighted(&data.x(), &y, w.as_ref().map(|w| w.view()), ctx.queue)
    }
}
