//! Host rows packed for the device on every thread: [`spmd_partials::pack_rows`] (the layout the
//! kernels read, which the CPU paths share) in parallel tasks, or straight into staging memory.

pub use spmd_partials::pack_rows;

#[cfg(any(feature = "gpu", test))]
use ndarray::ArrayView2;

#[cfg(any(feature = "gpu", test))]
use crate::{HostFloat, KernelFloat};

/// [`pack_rows`] on every thread, for the large blocks streamed to a GPU (the CPU paths call
/// [`pack_rows`] from their own parallel loops): tasks of [`PARALLEL_ROWS`] rows, each with its
/// own column sums, merged at the end.
#[cfg(any(feature = "gpu", test))]
pub(crate) fn pack_rows_parallel<F: HostFloat, R: KernelFloat>(
    parts: &[ArrayView2<'_, F>],
    shift: Option<&[f64]>,
    start: usize,
    rows: usize,
    stride: usize,
    out: &mut [R],
    sums: Option<&mut [f64]>,
) {
    use rayon::prelude::*;
    if rows < 2 * PARALLEL_ROWS || stride == 0 {
        return pack_rows(parts, shift, start, rows, stride, out, sums);
    }
    let width: usize = parts.iter().map(|p| p.ncols()).sum();
    let want_sums = sums.is_some();
    let len = (rows * stride).min(out.len());
    let block_sums: Vec<Vec<f64>> = out[..len]
        .par_chunks_mut(PARALLEL_ROWS * stride)
        .enumerate()
        .map(|(b, out)| {
            let mut local = vec![0.0; if want_sums { width } else { 0 }];
            let local_sums = want_sums.then_some(local.as_mut_slice());
            let rows = out.len() / stride;
            let first = start + b * PARALLEL_ROWS;
            pack_rows(parts, shift, first, rows, stride, out, local_sums);
            local
        })
        .collect();
    add_task_sums(sums, &block_sums);
}

/// [`pack_rows_parallel`] straight into write-only staging memory (`out`, the bytes of
/// `rows x stride` values of `R`): each task packs its [`PARALLEL_ROWS`] rows into a buffer of
/// its own, small enough to stay in cache, and copies it into its part of `out`, so the rows
/// cross main memory once on their way to the device.
#[cfg(feature = "gpu")]
pub(crate) fn pack_rows_to_staging<F: HostFloat, R: KernelFloat>(
    parts: &[ArrayView2<'_, F>],
    shift: Option<&[f64]>,
    start: usize,
    stride: usize,
    out: wgpu::WriteOnly<'_, [u8]>,
    sums: Option<&mut [f64]>,
) {
    use rayon::prelude::*;
    let row_bytes = stride * std::mem::size_of::<R>();
    if row_bytes == 0 {
        return;
    }
    let mut pieces = Vec::new();
    let mut rest = out;
    while rest.len() > PARALLEL_ROWS * row_bytes {
        let (piece, tail) = rest.split_at(PARALLEL_ROWS * row_bytes);
        pieces.push(StagingPiece(piece));
        rest = tail;
    }
    pieces.push(StagingPiece(rest));
    let width: usize = parts.iter().map(|p| p.ncols()).sum();
    let want_sums = sums.is_some();
    let block_sums: Vec<Vec<f64>> = pieces
        .into_par_iter()
        .enumerate()
        .map(|(b, StagingPiece(mut piece))| {
            let rows = piece.len() / row_bytes;
            let mut packed = vec![R::default(); rows * stride];
            let mut local = vec![0.0; if want_sums { width } else { 0 }];
            let local_sums = want_sums.then_some(local.as_mut_slice());
            let first = start + b * PARALLEL_ROWS;
            pack_rows(parts, shift, first, rows, stride, &mut packed, local_sums);
            piece.copy_from_slice(bytemuck::cast_slice(&packed));
            local
        })
        .collect();
    add_task_sums(sums, &block_sums);
}

/// A part of a staging buffer that one task writes.
#[cfg(feature = "gpu")]
struct StagingPiece<'a>(wgpu::WriteOnly<'a, [u8]>);

// SAFETY: a `WriteOnly<[u8]>` is an exclusive, write-only borrow of its bytes, like `&mut [u8]`,
// which is `Send`; wgpu implements `Send` for `WriteOnly<T>` of sized `T` only. The pieces are
// disjoint (made by `split_at`), so each task writes its own bytes.
#[cfg(feature = "gpu")]
unsafe impl Send for StagingPiece<'_> {}

/// Adds each parallel task's column sums into `sums`, in task order (so the total is the same
/// on every run).
#[cfg(any(feature = "gpu", test))]
fn add_task_sums(sums: Option<&mut [f64]>, tasks: &[Vec<f64>]) {
    if let Some(sums) = sums {
        for task in tasks {
            sums.iter_mut().zip(task).for_each(|(s, t)| *s += t);
        }
    }
}

/// Rows per task of [`pack_rows_parallel`] and [`pack_rows_to_staging`].
#[cfg(any(feature = "gpu", test))]
const PARALLEL_ROWS: usize = 4096;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_packing_equals_serial_packing() {
        let x = ndarray::Array2::from_shape_fn((20_001, 3), |(i, j)| (i * 3 + j) as f64 * 0.5);
        let shift = [1.0, 2.0, 3.0];
        let (mut serial, mut parallel) = (vec![0.0_f32; 20_001 * 4], vec![0.0_f32; 20_001 * 4]);
        let (mut serial_sums, mut parallel_sums) = (vec![0.0; 3], vec![0.0; 3]);
        pack_rows(
            &[x.view()],
            Some(&shift),
            0,
            20_001,
            4,
            &mut serial,
            Some(&mut serial_sums),
        );
        pack_rows_parallel(
            &[x.view()],
            Some(&shift),
            0,
            20_001,
            4,
            &mut parallel,
            Some(&mut parallel_sums),
        );
        assert_eq!(serial, parallel);
        // Sums of integers and halves: exact in either order.
        assert_eq!(serial_sums, parallel_sums);
    }
}
