//! A memory-mapped `.npy`: this rank's rows are a view of the map.

use std::ops::Range;

use ndarray::{ArrayViewD, Axis, Ix2, Slice};
use ndarray_npy::{ViewElement, ViewNpyExt};
use spmd_core::registry::Rows;

/// A memory-mapped `.npy` of float32 or float64 and the rows of it this rank reads.
#[derive(Debug)]
pub(crate) struct Mapped {
    pub(super) map: memmap2::Mmap,
    pub(super) single_precision: bool,
    pub(super) range: Range<usize>,
}

impl Mapped {
    /// This rank's rows, a view of the map.
    pub(super) fn rows(&self) -> Result<Rows<'_>, String> {
        if self.single_precision {
            Ok(Rows::F32(self.view::<f32>()?))
        } else {
            Ok(Rows::F64(self.view::<f64>()?))
        }
    }

    pub(super) fn nrows(&self) -> usize {
        self.range.len()
    }

    /// The addresses of the map (tests check that views point into it).
    #[cfg(test)]
    pub(super) fn map_range(&self) -> Range<usize> {
        let start = self.map.as_ptr() as usize;
        start..start + self.map.len()
    }

    fn view<T: ViewElement>(&self) -> Result<ndarray::ArrayView2<'_, T>, String> {
        let all = ArrayViewD::<T>::view_npy(&self.map).map_err(|e| e.to_string())?;
        let mine = all.slice_axis_move(Axis(0), Slice::from(self.range.clone()));
        as_two_dimensional(mine)
    }
}

/// A view with one or two dimensions as rows x columns (1-D: one column).
pub(super) fn as_two_dimensional<T>(
    a: ArrayViewD<'_, T>,
) -> Result<ndarray::ArrayView2<'_, T>, String> {
    let a = if a.ndim() == 1 {
        a.insert_axis(Axis(1))
    } else {
        a
    };
    a.into_dimensionality::<Ix2>().map_err(|e| e.to_string())
}
