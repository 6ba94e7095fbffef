//! `.npy` files: float64 and float32 viewed in place through a memory map; other dtypes
//! converted for this rank's rows only.

use std::fs::File;
use std::ops::Range;
use std::path::Path;

use ndarray::{Array2, ArrayD, ArrayViewD, Axis, Ix2, Slice};
use ndarray_npy::{ReadNpyExt, ViewElement, ViewNpyExt};

use super::{share, Rows, Selection, Storage};
use crate::CliError;

/// A memory-mapped `.npy` of float32 or float64 and the rows of it this rank reads.
#[derive(Debug)]
pub(crate) struct Mapped {
    map: memmap2::Mmap,
    single_precision: bool,
    range: Range<usize>,
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
fn as_two_dimensional<T>(a: ArrayViewD<'_, T>) -> Result<ndarray::ArrayView2<'_, T>, String> {
    let a = if a.ndim() == 1 {
        a.insert_axis(Axis(1))
    } else {
        a
    };
    a.into_dimensionality::<Ix2>().map_err(|e| e.to_string())
}

/// The rows `selection` picks of a first axis of `total` rows.
fn rows_of(selection: &Selection, total: usize, path: &Path) -> Result<Range<usize>, CliError> {
    match selection {
        Selection::All => Ok(0..total),
        Selection::Share { rank, size } => {
            let (start, end) = share(total, *rank, *size);
            Ok(start..end)
        }
        Selection::Rows(rows) if rows.end <= total => Ok(rows.clone()),
        Selection::Rows(rows) => Err(CliError::file(
            path,
            format!(
                "has {total} rows, fewer than the features' {} rows (this rank needs rows {}..{})",
                rows.end, rows.start, rows.end
            ),
        )),
    }
}

/// Errors unless the array has one or two dimensions; whether it has one.
fn check_dims(shape: &[usize], path: &Path) -> Result<bool, CliError> {
    match shape.len() {
        1 => Ok(true),
        2 => Ok(false),
        k => Err(CliError::file(
            path,
            format!("expected a 1-D or 2-D array, found {k} dimensions (shape {shape:?})"),
        )),
    }
}

pub(super) fn read(path: &Path, selection: &Selection) -> Result<(Storage, bool), CliError> {
    let file = File::open(path).map_err(|e| CliError::file(path, e))?;
    // SAFETY: the map is read-only; a file truncated by another process while mapped is outside
    // what any reader can guard against.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| CliError::file(path, e))?;

    for single_precision in [false, true] {
        let shape = if single_precision {
            ArrayViewD::<f32>::view_npy(&map).map(|v| v.shape().to_vec())
        } else {
            ArrayViewD::<f64>::view_npy(&map).map(|v| v.shape().to_vec())
        };
        if let Ok(shape) = shape {
            let one_dimensional = check_dims(&shape, path)?;
            let range = rows_of(selection, shape[0], path)?;
            let mapped = Mapped {
                map,
                single_precision,
                range,
            };
            return Ok((Storage::Mapped(mapped), one_dimensional));
        }
    }

    // Other native-endian dtypes: view the map, convert this rank's rows only.
    macro_rules! convert_viewed {
        ($($t:ty),*) => {$(
            if let Ok(all) = ArrayViewD::<$t>::view_npy(&map) {
                let one_dimensional = check_dims(all.shape(), path)?;
                let range = rows_of(selection, all.shape()[0], path)?;
                let mine = as_two_dimensional(all.slice_axis_move(Axis(0), Slice::from(range)))
                    .map_err(|e| CliError::file(path, e))?;
                return Ok((Storage::F64(mine.mapv(|v| v as f64)), one_dimensional));
            }
        )*};
    }
    convert_viewed!(i64, i32, i16, i8, u64, u32, u16, u8);
    if let Ok(all) = ArrayViewD::<bool>::view_npy(&map) {
        let one_dimensional = check_dims(all.shape(), path)?;
        let range = rows_of(selection, all.shape()[0], path)?;
        let mine = as_two_dimensional(all.slice_axis_move(Axis(0), Slice::from(range)))
            .map_err(|e| CliError::file(path, e))?;
        return Ok((Storage::F64(mine.mapv(f64::from)), one_dimensional));
    }
    drop(map);
    read_converted(path, selection)
}

/// Big-endian or otherwise unmappable arrays: read whole (numpy's byte order handled by the
/// reader), then this rank's rows kept as f64.
fn read_converted(path: &Path, selection: &Selection) -> Result<(Storage, bool), CliError> {
    let open = || File::open(path).map_err(|e| CliError::file(path, e));
    let all: ArrayD<f64> = match ArrayD::<f64>::read_npy(open()?) {
        Ok(a) => a,
        Err(first) => match ArrayD::<f32>::read_npy(open()?) {
            Ok(a) => a.mapv(f64::from),
            Err(_) => match ArrayD::<i64>::read_npy(open()?) {
                Ok(a) => a.mapv(|v| v as f64),
                Err(_) => {
                    return Err(CliError::file(
                        path,
                        format!("expected an array of numbers (float, integer or bool): {first}"),
                    ))
                }
            },
        },
    };
    let one_dimensional = check_dims(all.shape(), path)?;
    let range = rows_of(selection, all.shape()[0], path)?;
    let mine: Array2<f64> =
        as_two_dimensional(all.view().slice_axis_move(Axis(0), Slice::from(range)))
            .map_err(|e| CliError::file(path, e))?
            .to_owned();
    Ok((Storage::F64(mine), one_dimensional))
}
