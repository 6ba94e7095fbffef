//! The checks every estimator's contract impls share.

use ndarray::ArrayView2;

use super::{Context, Dataset};
use crate::{Float, Result};

/// Errors unless every value of `x` is finite, naming this rank (a model read from a file does
/// not know which rank holds it: the context does).
pub(crate) fn check_rows<F: Float>(ctx: Context<'_>, x: ArrayView2<'_, F>) -> Result<()> {
    crate::validate::check_finite("X", x, ctx.rank())
}

/// Errors on every rank when any rank passes sample weights to the estimator `name`, which has
/// no use for them (silently ignoring them would fit another model than the one asked for).
pub(crate) fn refuse_weights<F>(ctx: Context<'_>, data: &Dataset<'_, F>, name: &str) -> Result<()> {
    let local = match data.weights() {
        Some(_) => Err(crate::Error::Input(format!(
            "{name} does not take sample weights (sample_weight)"
        ))),
        None => Ok(()),
    };
    crate::distributed::agree(ctx.comm, local)
}

/// The error of a supervised fit or score given no targets.
pub(crate) fn missing_targets() -> crate::Error {
    crate::Error::Input("this estimator needs targets (y); none were given".into())
}

/// The targets of `data`, or [`missing_targets`].
pub(crate) fn require_targets<'d, F>(data: &Dataset<'d, F>) -> Result<ArrayView2<'d, F>> {
    data.y().ok_or_else(missing_targets)
}
