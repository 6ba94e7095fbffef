//! Class labels of classifiers: what may be a label, and the classes over all ranks.

use ndarray::{ArrayBase, Data, Ix1};
use spmd_comm::Comm;

use crate::{Error, Result};

/// Element types accepted as class labels: integers, or floats holding integer values (as
/// `.npy` label files often do). Labels are stored as `i64`.
pub trait ClassLabel: Copy + Send + Sync + std::fmt::Display + 'static {
    /// The label as an integer, or `None` when it is not one (NaN, 0.5, out of range).
    fn to_class(self) -> Option<i64>;
}

macro_rules! integer_labels {
    ($($t:ty),*) => {$(
        impl ClassLabel for $t {
            fn to_class(self) -> Option<i64> {
                i64::try_from(self).ok()
            }
        }
    )*};
}
integer_labels!(i8, i16, i32, i64, u8, u16, u32, u64, usize, isize);

macro_rules! float_labels {
    ($($t:ty),*) => {$(
        impl ClassLabel for $t {
            fn to_class(self) -> Option<i64> {
                let v = f64::from(self);
                // Integers up to 2^53 are exact in f64.
                (v.fract() == 0.0 && v.abs() <= 9_007_199_254_740_992.0).then_some(v as i64)
            }
        }
    )*};
}
float_labels!(f32, f64);

/// This rank's labels as integers; the first value that is not one is an error naming its row.
pub(crate) fn local_classes<L: ClassLabel, S: Data<Elem = L>>(
    y: &ArrayBase<S, Ix1>,
    rank: usize,
) -> Result<Vec<i64>> {
    y.iter()
        .enumerate()
        .map(|(row, &label)| {
            label.to_class().ok_or_else(|| {
                Error::Input(format!(
                    "y holds {label} at row {row} (local to rank {rank}): class labels must be \
                     integers (continuous targets are for regressors)"
                ))
            })
        })
        .collect()
}

/// The sorted union of every rank's labels (scikit-learn's `classes_`), one allgatherv.
pub(crate) fn global_classes(comm: &Comm, labels: &[i64]) -> Result<Vec<i64>> {
    let mut mine = labels.to_vec();
    mine.sort_unstable();
    mine.dedup();
    let (mut all, _) = comm.allgatherv(&mine)?;
    all.sort_unstable();
    all.dedup();
    Ok(all)
}

/// The index of each label in the sorted `classes`.
pub(crate) fn encode(classes: &[i64], labels: &[i64]) -> Vec<u32> {
    labels
        .iter()
        .map(|l| classes.binary_search(l).map_or(u32::MAX, |i| i as u32))
        .collect()
}

/// Accuracy over all ranks from each rank's predictions and labels `y`: one allreduce.
pub(crate) fn global_accuracy<L: ClassLabel, S: Data<Elem = L>>(
    comm: &Comm,
    predicted: Result<ndarray::Array1<i64>>,
    y: &ArrayBase<S, Ix1>,
    sample_weight: Option<ndarray::ArrayView1<'_, f64>>,
) -> Result<f64> {
    let local = predicted.and_then(|predicted| {
        crate::validate::check_same_rows(predicted.len(), y.len())?;
        crate::validate::check_weights(sample_weight, y.len(), comm.rank())?;
        let labels = local_classes(y, comm.rank())?;
        let weight = |i: usize| sample_weight.map_or(1.0, |w| w[i]);
        Ok(predicted
            .iter()
            .zip(&labels)
            .enumerate()
            .filter(|(_, (p, l))| p == l)
            .map(|(i, _)| weight(i))
            .sum::<f64>())
    });
    let correct = crate::distributed::agree(comm, local)?;
    let total = sample_weight.map_or(y.len() as f64, |w| w.sum());
    let mut totals = [correct, total, y.len() as f64];
    comm.allreduce_in_place(&mut totals, spmd_comm::ReduceOp::Sum)?;
    if totals[2] == 0.0 {
        return Err(Error::Empty { what: "X" });
    }
    if totals[1] <= 0.0 {
        return Err(Error::Input(
            "the sample weights sum to zero over all ranks".into(),
        ));
    }
    Ok(totals[0] / totals[1])
}

/// Normalises each row of unnormalised log probabilities in place: subtracts its
/// log-sum-exp (computed from the row's maximum, so large scores do not overflow).
pub(crate) fn log_softmax_rows(scores: &mut ndarray::Array2<f64>) {
    for mut row in scores.rows_mut() {
        let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let log_sum = max + row.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
        row.mapv_inplace(|v| v - log_sum);
    }
}

/// The class of each row's largest score (the lowest class on ties). One column of scores is
/// binary log-odds: positive means `classes[1]`.
pub(crate) fn best_classes(scores: &ndarray::Array2<f64>, classes: &[i64]) -> ndarray::Array1<i64> {
    scores
        .rows()
        .into_iter()
        .map(|r| {
            let index = if r.len() == 1 {
                usize::from(r[0] > 0.0)
            } else {
                (0..r.len()).fold(0, |best, c| if r[c] > r[best] { c } else { best })
            };
            classes[index]
        })
        .collect()
}

/// $X W^\top + b$ for this rank's rows `x` (checked against `W`'s features and for finiteness):
/// the scores of a linear classifier, `n x rows of W`, on the GPU when a queue is given.
pub(crate) fn linear_scores<F: crate::Float>(
    backend: &crate::backend::Backend<'_>,
    x: ndarray::ArrayView2<'_, F>,
    weights: &ndarray::Array2<f64>,
    intercept: &ndarray::Array1<f64>,
) -> Result<ndarray::Array2<f64>> {
    let mut scores = backend.rows_times(x, weights.t())?;
    scores += intercept;
    Ok(scores)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn labels_must_be_integers() {
        assert_eq!(
            local_classes(&array![2.0_f64, -1.0], 0).ok(),
            Some(vec![2, -1])
        );
        assert_eq!(local_classes(&array![3_usize, 0], 0).ok(), Some(vec![3, 0]));
        let err = local_classes(&array![1.0_f64, 0.5], 3)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("0.5 at row 1") && err.contains("rank 3"),
            "{err}"
        );
        assert!(local_classes(&array![f64::NAN], 0).is_err());
    }

    #[test]
    fn classes_are_sorted_and_unique() {
        let comm = Comm::single();
        let classes = global_classes(&comm, &[5, -2, 5, 0]).unwrap_or_default();
        assert_eq!(classes, [-2, 0, 5]);
        assert_eq!(encode(&classes, &[0, 5, -2]), [1, 2, 0]);
    }
}
