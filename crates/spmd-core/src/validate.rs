//! Local input checks.

use ndarray::{ArrayView1, ArrayView2};

use crate::{Error, Float, Result};

/// First non-finite value of `a`, as an error naming where it is.
pub(crate) fn find_non_finite<F: Float>(
    what: &'static str,
    a: ArrayView2<'_, F>,
    rank: usize,
) -> Option<Error> {
    a.indexed_iter()
        .find(|(_, v)| !v.is_finite())
        .map(|((row, column), v)| Error::NonFinite {
            what,
            value: v.to_string(),
            row,
            column,
            rank,
        })
}

/// Errors unless every value of `a` is finite. The common case is one fast scan; only a failure
/// pays for locating the value.
pub(crate) fn check_finite<F: Float>(
    what: &'static str,
    a: ArrayView2<'_, F>,
    rank: usize,
) -> Result<()> {
    let all_finite = match a.as_slice_memory_order() {
        Some(values) => values.iter().all(|v| v.is_finite()),
        None => a.iter().all(|v| v.is_finite()),
    };
    if all_finite {
        return Ok(());
    }
    find_non_finite(what, a, rank).map_or(Ok(()), Err)
}

/// Errors unless `x` and `y` have the same number of rows.
pub(crate) fn check_same_rows(x_rows: usize, y_rows: usize) -> Result<()> {
    if x_rows == y_rows {
        Ok(())
    } else {
        Err(Error::Shape {
            what: "y".into(),
            expected: format!("{x_rows} rows, as X has"),
            found: format!("{y_rows} rows"),
        })
    }
}

/// Errors unless `x` has the `expected` number of columns.
pub(crate) fn check_features(expected: usize, found: usize) -> Result<()> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::Shape {
            what: "X".into(),
            expected: format!("{expected} features, as in fit"),
            found: format!("{found} features"),
        })
    }
}

/// Errors unless the weights are one finite, non-negative value per row.
pub(crate) fn check_weights(
    sample_weight: Option<ArrayView1<'_, f64>>,
    rows: usize,
    rank: usize,
) -> Result<()> {
    let Some(w) = sample_weight else {
        return Ok(());
    };
    if w.len() != rows {
        return Err(Error::Shape {
            what: "sample_weight".into(),
            expected: format!("{rows} values, one per row of X"),
            found: format!("{} values", w.len()),
        });
    }
    match w.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
        Some(row) => Err(Error::Input(format!(
            "sample_weight holds {} at row {row} (local to rank {rank}): weights must be finite \
             and >= 0",
            w[row]
        ))),
        None => Ok(()),
    }
}
