//! A one-shot fit made of batches: what `fit` is for the incremental estimators.

use ndarray::s;

use super::{Context, Dataset, PartialFit};
use crate::{Error, Float, Result};

/// Feeds this rank's rows of `data` to `batches` in slices of `batch_size` rows (default five
/// times the number of features, as scikit-learn's `IncrementalPCA` and sklearnex's
/// incremental estimators), then finalizes. Collective; a rank without rows adds one empty
/// batch, so that it knows the width. A failing batch stops the feeding on its rank, and
/// `finalize` fails on every rank.
pub(crate) fn fit_in_batches<P: PartialFit, F: Float>(
    mut batches: P,
    ctx: Context<'_>,
    data: &Dataset<'_, F>,
    batch_size: Option<usize>,
) -> Result<P::Fitted> {
    let x = data.x();
    let batch = batch_size.unwrap_or(5 * x.ncols()).max(1);
    let mut start = 0;
    loop {
        let end = (start + batch).min(x.nrows());
        let rows = s![start..end, ..];
        let mut slice = Dataset::new(x.slice_move(rows));
        if let Some(y) = data.y() {
            slice = slice.target_columns(y.slice_move(rows), data.y_is_1d());
        }
        if let Some(w) = data.weights() {
            slice = slice.sample_weight(w.slice_move(s![start..end]));
        }
        if let Some(classes) = data.given_classes() {
            slice = slice.classes(classes);
        }
        if batches.partial_fit(ctx, &slice).is_err() {
            break;
        }
        start = end;
        if start >= x.nrows() {
            break;
        }
    }
    batches.finalize(ctx)
}

/// Errors unless `batch_size` is unset or at least 1.
pub(crate) fn check_batch_size(batch_size: Option<usize>) -> Result<()> {
    match batch_size {
        Some(0) => Err(Error::InvalidParam {
            name: "batch_size",
            value: "0".into(),
            expected: "an integer >= 1, or None (five times the number of features)",
        }),
        _ => Ok(()),
    }
}
