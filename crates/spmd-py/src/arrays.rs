//! numpy arrays in, numpy arrays out. The package hands over C-contiguous float32 or float64
//! arrays (converting anything else once); they are viewed here, never copied.

use ndarray::ArrayView2;
use numpy::{PyArray2, PyReadonlyArray2, ToPyArray};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use spmd_core::registry::Rows;

/// A borrowed 2-D float array, kept read-only while Rust looks at it.
pub(crate) enum Input<'py> {
    F32(PyReadonlyArray2<'py, f32>),
    F64(PyReadonlyArray2<'py, f64>),
}

impl<'py> Input<'py> {
    /// `array` viewed as float32 or float64 rows; any other type is a `TypeError` naming `what`.
    pub(crate) fn extract(array: &Bound<'py, PyAny>, what: &str) -> PyResult<Self> {
        if let Ok(a) = array.extract::<PyReadonlyArray2<'py, f64>>() {
            return Ok(Self::F64(a));
        }
        if let Ok(a) = array.extract::<PyReadonlyArray2<'py, f32>>() {
            return Ok(Self::F32(a));
        }
        Err(PyTypeError::new_err(format!(
            "{what} must be a 2-D float64 or float32 numpy array"
        )))
    }

    /// The rows, in place.
    pub(crate) fn rows(&self) -> Rows<'_> {
        match self {
            Self::F32(a) => Rows::F32(standard_if_empty(a.as_array())),
            Self::F64(a) => Rows::F64(standard_if_empty(a.as_array())),
        }
    }
}

/// An empty array with standard strides: numpy gives empty slices strides that ndarray's
/// element-wise maps refuse.
fn standard_if_empty<T>(view: ArrayView2<'_, T>) -> ArrayView2<'_, T> {
    if view.is_empty() {
        if let Ok(empty) = ArrayView2::from_shape(view.dim(), &[]) {
            return empty;
        }
    }
    view
}

/// An optional input.
pub(crate) fn extract_optional<'py>(
    array: Option<&Bound<'py, PyAny>>,
    what: &str,
) -> PyResult<Option<Input<'py>>> {
    array.map(|a| Input::extract(a, what)).transpose()
}

/// A result as a new numpy array.
pub(crate) fn to_numpy<'py>(
    py: Python<'py>,
    values: &ndarray::Array2<f64>,
) -> Bound<'py, PyArray2<f64>> {
    values.to_pyarray(py)
}
