//! Targets as the estimators take them: one column given as a vector, or several.

use ndarray::{ArrayBase, ArrayView2, Axis, Data, Ix1, Ix2};

/// Regression targets: one (`Array1`, `n`) or several (`Array2`, `n x t`).
pub trait Targets<F> {
    /// The targets as an `n x t` view.
    fn as_columns(&self) -> ArrayView2<'_, F>;
    /// Whether the targets are one-dimensional (scikit-learn then reports 1-D `coef_`).
    fn is_single(&self) -> bool;
}

impl<F, S: Data<Elem = F>> Targets<F> for ArrayBase<S, Ix1> {
    fn as_columns(&self) -> ArrayView2<'_, F> {
        self.view().insert_axis(Axis(1))
    }
    fn is_single(&self) -> bool {
        true
    }
}

impl<F, S: Data<Elem = F>> Targets<F> for ArrayBase<S, Ix2> {
    fn as_columns(&self) -> ArrayView2<'_, F> {
        self.view()
    }
    fn is_single(&self) -> bool {
        false
    }
}

/// Targets already in columns, with the 1-D flag they came with (the contract's
/// [`Dataset`](crate::estimator::Dataset) holds them so).
pub(crate) struct TargetColumns<'a, F> {
    /// The `n x t` targets.
    pub(crate) y: ArrayView2<'a, F>,
    /// Whether they were one-dimensional.
    pub(crate) single: bool,
}

impl<F> Targets<F> for TargetColumns<'_, F> {
    fn as_columns(&self) -> ArrayView2<'_, F> {
        self.y.view()
    }
    fn is_single(&self) -> bool {
        self.single
    }
}
