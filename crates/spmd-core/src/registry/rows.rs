//! Rows as a front end hands them over: float32 or float64, viewed in place.

use ndarray::{Array2, ArrayView2};

use crate::Float;

/// This rank's rows, `n x d`, in the precision they came in: float32 rows reach the f32 kernels,
/// everything else arrives as float64.
#[derive(Debug, Clone)]
pub enum Rows<'a> {
    /// float32 rows.
    F32(ArrayView2<'a, f32>),
    /// float64 rows (and every dtype converted on reading).
    F64(ArrayView2<'a, f64>),
}

impl Rows<'_> {
    /// The rows as `F` (a copy: for targets and weights, small beside the features).
    pub fn to_owned_as<F: Float>(&self) -> Array2<F> {
        match self {
            Rows::F32(v) => v.mapv(|x| F::from_f64_lossy(f64::from(x))),
            Rows::F64(v) => v.mapv(F::from_f64_lossy),
        }
    }

    /// Rows and columns.
    pub fn dim(&self) -> (usize, usize) {
        match self {
            Rows::F32(v) => v.dim(),
            Rows::F64(v) => v.dim(),
        }
    }
}
