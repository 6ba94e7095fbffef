use faer::linalg::matmul::triangular::{matmul, BlockStructure};
use faer::{Accum, Mat, MatRef, Par};
use ndarray::ArrayView2;
use rayon::prelude::*;
use spmd_gpu::pack::pack_rows;

use super::ShiftedGram;
use crate::Float;

/// Bytes of f64 scratch per block: small enough to stay in L2 while the block's Gram is formed.
const BLOCK_BYTES: usize = 256 * 1024;

/// [`ShiftedGram`] of `[parts...] - shift` on the CPU, in one pass over the rows.
///
/// Threads take contiguous row ranges. Each copies a cache-sized block of rows, shifted and in
/// f64, into scratch (summing the columns as it goes) and adds the block's lower-triangular
/// $Z_b^\top Z_b$ with faer; the threads' results are added at the end.
///
/// ```
/// use ndarray::array;
/// let x = array![[1.0_f64, 2.0], [3.0, 4.0]];
/// let g = spmd_core::partials::shifted_gram_cpu(&[x.view()], &[1.0, 1.0]);
/// assert_eq!(g.sums, [2.0, 4.0]);
/// assert_eq!(g.gram, [4.0, 6.0, 6.0, 10.0]);
/// ```
pub fn shifted_gram_cpu<F: Float>(parts: &[ArrayView2<'_, F>], shift: &[f64]) -> ShiftedGram {
    let rows = parts.first().map_or(0, |p| p.nrows());
    let width: usize = parts.iter().map(|p| p.ncols()).sum();
    let block = (BLOCK_BYTES / 8 / width.max(1)).clamp(16, 8192);
    let threads = rayon::current_num_threads().max(1);
    let tasks = rows.div_ceil(block).min(threads).max(1);
    let per_task = rows.div_ceil(tasks).div_ceil(block) * block;

    let (sums, gram) = (0..tasks)
        .into_par_iter()
        .map(|task| {
            let start = (task * per_task).min(rows);
            let end = ((task + 1) * per_task).min(rows);
            accumulate(parts, shift, start..end, block, width)
        })
        .reduce(
            || (vec![0.0; width], Mat::zeros(width, width)),
            |(mut s1, g1), (s2, g2)| {
                s1.iter_mut().zip(&s2).for_each(|(a, b)| *a += b);
                (s1, g1 + g2)
            },
        );
    let mut full = vec![0.0; width * width];
    for j in 0..width {
        for i in j..width {
            full[i * width + j] = gram[(i, j)];
            full[j * width + i] = gram[(i, j)];
        }
    }
    ShiftedGram {
        rows,
        width,
        sums,
        gram: full,
    }
}

fn accumulate<F: Float>(
    parts: &[ArrayView2<'_, F>],
    shift: &[f64],
    range: std::ops::Range<usize>,
    block: usize,
    width: usize,
) -> (Vec<f64>, Mat<f64>) {
    let mut sums = vec![0.0; width];
    let mut gram = Mat::<f64>::zeros(width, width);
    let mut scratch = vec![0.0_f64; block * width];
    for start in range.clone().step_by(block) {
        let n = block.min(range.end - start);
        pack_rows(
            parts,
            Some(shift),
            start,
            n,
            width,
            &mut scratch,
            Some(&mut sums),
        );
        let z = MatRef::from_row_major_slice(&scratch[..n * width], n, width);
        matmul(
            gram.as_mut(),
            BlockStructure::TriangularLower,
            Accum::Add,
            z.transpose(),
            BlockStructure::Rectangular,
            z,
            BlockStructure::Rectangular,
            1.0,
            Par::Seq,
        );
    }
    (sums, gram)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn matches_naive_sums_over_many_blocks() {
        let x = Array2::from_shape_fn((20_000, 3), |(i, j)| ((i * 7 + j * 13) % 17) as f64 - 8.0);
        let y = Array2::from_shape_fn((20_000, 1), |(i, _)| (i % 5) as f64);
        let shift = [0.5, -1.0, 2.0, 0.25];
        let g = shifted_gram_cpu(&[x.view(), y.view()], &shift);
        let mut want = [0.0; 16];
        let mut want_sums = [0.0; 4];
        for i in 0..20_000 {
            let z = [
                x[[i, 0]] - 0.5,
                x[[i, 1]] + 1.0,
                x[[i, 2]] - 2.0,
                y[[i, 0]] - 0.25,
            ];
            for a in 0..4 {
                want_sums[a] += z[a];
                for b in 0..4 {
                    want[a * 4 + b] += z[a] * z[b];
                }
            }
        }
        assert_eq!(g.rows, 20_000);
        for (g, w) in g.gram.iter().zip(&want) {
            assert!((g - w).abs() <= 1e-9 * w.abs().max(1.0), "{g} vs {w}");
        }
        for (g, w) in g.sums.iter().zip(&want_sums) {
            assert!((g - w).abs() <= 1e-9 * w.abs().max(1.0));
        }
    }

    #[test]
    fn no_rows_gives_zeros() {
        let x = Array2::<f32>::zeros((0, 2));
        let g = shifted_gram_cpu(&[x.view()], &[0.0, 0.0]);
        assert_eq!((g.rows, g.sums, g.gram), (0, vec![0.0; 2], vec![0.0; 4]));
    }
}
