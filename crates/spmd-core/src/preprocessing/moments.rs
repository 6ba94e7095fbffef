//! What every scaler is fitted from: the column moments of all ranks' rows.

use ndarray::{Array1, Array2, ArrayView2};

use crate::backend::Backend;
use crate::distributed::agree;
use crate::estimator::{Context, Dataset, Estimator};
use crate::partials::{global_column_moments, ColumnMoments};
use crate::{Error, Float, Result};

/// A scaler: an estimator fitted from the [`ColumnMoments`] of every rank's rows, which is what
/// lets [`IncrementalScaler`](super::IncrementalScaler) fit any of them batch by batch.
pub trait Scaler: Estimator {
    /// Whether the scaler takes sample weights (scikit-learn's StandardScaler does).
    const WEIGHTED: bool;
    /// The scaler's parameters.
    fn params(&self) -> &Self::Params;
    /// The fitted scaler from the moments of every rank's rows.
    fn from_moments(params: &Self::Params, moments: &ColumnMoments) -> Self::Fitted;
}

/// This rank's moments of `data` (weighted when it has weights). Local.
pub(crate) fn local_moments<S: Scaler, F: Float>(
    ctx: Context<'_>,
    data: &Dataset<'_, F>,
) -> Result<ColumnMoments> {
    let x = data.x();
    let backend = Backend::new(ctx.rank(), ctx.queue)?;
    match data.weights() {
        None => backend.column_moments(x),
        Some(_) if !S::WEIGHTED => Err(Error::Input(
            "this scaler takes no sample_weight (scikit-learn's does not either)".into(),
        )),
        Some(w) => {
            crate::validate::check_weights(
                Some(w.mapv(|v| v.as_f64()).view()),
                x.nrows(),
                ctx.rank(),
            )?;
            backend.weighted_column_moments(x, w)
        }
    }
}

/// The one-shot fit of a scaler: local moments, agreed, combined over ranks. Collective.
pub(crate) fn fit_scaler<S: Scaler, F: Float>(
    scaler: &S,
    ctx: Context<'_>,
    data: &Dataset<'_, F>,
) -> Result<S::Fitted> {
    let params_ok = crate::estimator::Params::check(scaler.params());
    let local = params_ok.and_then(|_| local_moments::<S, F>(ctx, data));
    let local = agree(ctx.comm, local)?;
    let all = global_column_moments(ctx.comm, &local, data.x().ncols())?;
    Ok(S::from_moments(scaler.params(), &all))
}

/// `x * scale + offset` per column, in f64, on the context's device (see [`Backend::affine`]).
pub(crate) fn affine<F: Float>(
    ctx: Context<'_>,
    x: ArrayView2<'_, F>,
    scale: &Array1<f64>,
    offset: &Array1<f64>,
) -> Result<Array2<f64>> {
    let (scale, offset) = (scale.to_vec(), offset.to_vec());
    Backend::new(ctx.rank(), ctx.queue)?.affine(x, &scale, &offset)
}

/// A fitted scaler's `transform`: `x * a + b` per column, then an optional clip. Its inverse
/// is `(x - b) / a`.
pub(crate) trait AffineParts {
    /// Features seen in fit.
    fn n_features(&self) -> usize;
    /// `(a, b)` of `transform`.
    fn affine_parts(&self) -> (Array1<f64>, Array1<f64>);
    /// The bounds `transform` clips its output to, if any.
    fn clip_range(&self) -> Option<(f64, f64)> {
        None
    }
}

/// `fitted`'s `(a, b)`, checked to have one value per feature (a model read from a file may
/// not).
fn checked_parts(fitted: &impl AffineParts) -> Result<(Array1<f64>, Array1<f64>)> {
    let (a, b) = fitted.affine_parts();
    let n = fitted.n_features();
    if a.len() != n || b.len() != n {
        return Err(Error::Input(format!(
            "the scaler's attributes disagree: n_features_in_ is {n} but they give {} scales \
             and {} offsets",
            a.len(),
            b.len()
        )));
    }
    Ok((a, b))
}

/// `fitted`'s `transform` of `x`.
pub(crate) fn scale<F: Float>(
    fitted: &impl AffineParts,
    ctx: Context<'_>,
    x: ArrayView2<'_, F>,
) -> Result<Array2<f64>> {
    let (a, b) = checked_parts(fitted)?;
    let mut out = affine(ctx, x, &a, &b)?;
    if let Some((lo, hi)) = fitted.clip_range() {
        out.mapv_inplace(|v| v.clamp(lo, hi));
    }
    Ok(out)
}

/// `fitted`'s `inverse_transform` of `x`: $(x - b) / a$.
pub(crate) fn unscale<F: Float>(
    fitted: &impl AffineParts,
    ctx: Context<'_>,
    x: ArrayView2<'_, F>,
) -> Result<Array2<f64>> {
    let (a, b) = checked_parts(fitted)?;
    affine(ctx, x, &a.mapv(|v| 1.0 / v), &(-&b / &a))
}

/// scikit-learn's `_handle_zeros_in_scale`: scales below 10 machine epsilons, or marked
/// constant, become 1.
pub(crate) fn handle_zeros_in_scale(scale: &mut Array1<f64>, constant: Option<&[bool]>) {
    for (j, s) in scale.iter_mut().enumerate() {
        let is_constant = constant.map_or(*s < 10.0 * f64::EPSILON, |c| c[j]);
        if is_constant {
            *s = 1.0;
        }
    }
}
