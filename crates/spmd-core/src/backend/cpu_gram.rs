use faer::linalg::matmul::triangular::{matmul, BlockStructure};
use faer::{Accum, Mat, MatRef, Par};
use ndarray::ArrayView2;
use rayon::prelude::*;
use spmd_partials::pack_rows;

use crate::Float;
use spmd_partials::ShiftedGram;

/// Bytes of f64 scratch per block: small enough to stay in L2 while the block's Gram is formed.
const BLOCK_BYTES: usize = 256 * 1024;

/// [`ShiftedGram`] of `[parts...] - shift` on the CPU, in one pass over the rows.
///
/// Threads take contiguous row ranges. Each copies a cache-sized block of rows, shifted and in
/// f64, into scratch (summing the columns as it goes) and adds the block's lower-triangular
/// $Z_b^\top Z_b$ with faer; the threads' results are added at the end.
///
/// f64 input whose columns are already near-centred (`|shift| <= 8 std` in the leading rows)
/// skips the copy: faer multiplies the input rows in place, and the shift is applied exactly
/// afterwards, which then costs at most a few bits.
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

    let direct = direct_f64_parts(parts, shift);
    let (sums, gram) = (0..tasks)
        .into_par_iter()
        .map(|task| {
            let start = (task * per_task).min(rows);
            let end = ((task + 1) * per_task).min(rows);
            match &direct {
                Some(direct) => accumulate_direct(direct, shift, start..end, block),
                None => accumulate(parts, shift, start..end, block, width),
            }
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

/// Largest |shift| / std of a column for which the unshifted product keeps full accuracy: the
/// rounding error of the raw sums grows like `1 + (mean / std)^2` relative to the centred ones.
pub(crate) const DIRECT_MAX_OFFSET: f64 = 8.0;

/// The f64 slices of `parts` when the direct (copy-free) path is accurate: every part f64 and in
/// standard layout, the leading part at least 8 columns wide, and every column's shift within
/// [`DIRECT_MAX_OFFSET`] standard deviations of zero, judged on the leading rows.
fn direct_f64_parts<'a, F: Float>(
    parts: &[ArrayView2<'a, F>],
    shift: &[f64],
) -> Option<Vec<(&'a [f64], usize)>> {
    if std::mem::size_of::<F>() != 8 || parts.first().is_none_or(|p| p.ncols() < 8) {
        return None;
    }
    let mut slices = Vec::with_capacity(parts.len());
    let mut col = 0;
    for part in parts {
        let data: &'a [F] = part.to_slice()?;
        // F is f64 here (HostFloat is implemented for f32 and f64 only).
        let data: &'a [f64] = bytemuck::try_cast_slice(data).ok()?;
        let rows = part.nrows().min(256);
        for j in 0..part.ncols() {
            let column = part.column(j);
            let values = column.iter().take(rows).map(|v| v.as_f64());
            let mean = values.clone().sum::<f64>() / rows.max(1) as f64;
            let var = values.map(|v| (v - mean) * (v - mean)).sum::<f64>() / rows.max(1) as f64;
            if shift[col + j].abs() > DIRECT_MAX_OFFSET * var.sqrt() {
                return None;
            }
        }
        col += part.ncols();
        slices.push((data, part.ncols()));
    }
    Some(slices)
}

/// The copy-free path: per block, faer's lower-triangular $X_b^\top X_b$ on the input rows in
/// place, and $[X_b, T_b]^\top [T_b, 1]$ for the tail parts $T_b$ (targets) and the column
/// sums; then the shift is applied exactly.
fn accumulate_direct(
    parts: &[(&[f64], usize)],
    shift: &[f64],
    range: std::ops::Range<usize>,
    block: usize,
) -> (Vec<f64>, Mat<f64>) {
    let lead = parts[0].1;
    let width: usize = parts.iter().map(|p| p.1).sum();
    let tail = width - lead;
    let mut gram = Mat::<f64>::zeros(width, width);
    // cross = [X, T]^T [T, 1]: the tail columns of the Gram and, in its last column, the sums.
    let mut cross = Mat::<f64>::zeros(width, tail + 1);
    let mut tail_block = Mat::<f64>::zeros(block, tail + 1);
    for start in range.clone().step_by(block) {
        let n = block.min(range.end - start);
        let x =
            MatRef::from_row_major_slice(&parts[0].0[start * lead..(start + n) * lead], n, lead);
        matmul(
            gram.as_mut().submatrix_mut(0, 0, lead, lead),
            BlockStructure::TriangularLower,
            Accum::Add,
            x.transpose(),
            BlockStructure::Rectangular,
            x,
            BlockStructure::Rectangular,
            1.0,
            Par::Seq,
        );
        let mut col = 0;
        for &(data, cols) in &parts[1..] {
            for i in 0..n {
                for j in 0..cols {
                    tail_block[(i, col + j)] = data[(start + i) * cols + j];
                }
            }
            col += cols;
        }
        for i in 0..n {
            tail_block[(i, tail)] = 1.0;
        }
        let t = tail_block.as_ref().subrows(0, n);
        faer::linalg::matmul::matmul(
            cross.as_mut().subrows_mut(0, lead),
            Accum::Add,
            x.transpose(),
            t,
            1.0,
            Par::Seq,
        );
        if tail > 0 {
            let targets = t.subcols(0, tail);
            faer::linalg::matmul::matmul(
                cross.as_mut().subrows_mut(lead, tail),
                Accum::Add,
                targets.transpose(),
                t,
                1.0,
                Par::Seq,
            );
        }
    }
    for k in 0..tail {
        for j in 0..width {
            if j <= lead + k {
                gram[(lead + k, j)] = cross[(j, k)];
            }
        }
    }
    // Raw sums S and raw Gram G give the shifted ones exactly:
    // sum (z - s) = S - n s,  sum (z - s)(z - s)^T = G - s S^T - S s^T + n s s^T.
    let n = range.len() as f64;
    let raw_sums: Vec<f64> = (0..width).map(|j| cross[(j, tail)]).collect();
    for i in 0..width {
        for j in 0..=i {
            gram[(i, j)] +=
                -shift[i] * raw_sums[j] - raw_sums[i] * shift[j] + n * shift[i] * shift[j];
        }
    }
    let sums = raw_sums.iter().zip(shift).map(|(s, m)| s - n * m).collect();
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
    fn direct_and_copy_paths_agree() {
        // Centred data takes the copy-free path, offset data the shifted copy; both must match
        // the naive sums.
        for offset in [0.0, 1e4] {
            let x = Array2::from_shape_fn((5_000, 9), |(i, j)| {
                offset + ((i * 7 + j * 5) % 19) as f64 - 9.0
            });
            let y = Array2::from_shape_fn((5_000, 2), |(i, k)| ((i + 3 * k) % 11) as f64 - 5.0);
            let shift: Vec<f64> = (0..11)
                .map(|j| if j < 9 { offset + 0.5 } else { 0.25 })
                .collect();
            assert_eq!(
                direct_f64_parts(&[x.view(), y.view()], &shift).is_some(),
                offset == 0.0
            );
            let g = shifted_gram_cpu(&[x.view(), y.view()], &shift);
            let z = |i: usize, c: usize| if c < 9 { x[[i, c]] } else { y[[i, c - 9]] } - shift[c];
            for a in 0..11 {
                let want_sum: f64 = (0..5_000).map(|i| z(i, a)).sum();
                assert!(
                    (g.sums[a] - want_sum).abs() <= 1e-9 * want_sum.abs().max(1.0),
                    "offset {offset} sum {a}"
                );
                for b in 0..11 {
                    let want: f64 = (0..5_000).map(|i| z(i, a) * z(i, b)).sum();
                    let got = g.gram[a * 11 + b];
                    assert!(
                        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
                        "offset {offset} ({a},{b}): {got} vs {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn no_rows_gives_zeros() {
        let x = Array2::<f32>::zeros((0, 2));
        let g = shifted_gram_cpu(&[x.view()], &[0.0, 0.0]);
        assert_eq!((g.rows, g.sums, g.gram), (0, vec![0.0; 2], vec![0.0; 4]));
    }
}
