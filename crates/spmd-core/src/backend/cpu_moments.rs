//! Per-column moments of this rank's rows on the CPU: threads take row blocks, and the blocks'
//! moments merge pairwise.

use ndarray::ArrayView2;
use rayon::prelude::*;
use spmd_partials::ColumnMoments;

use super::leading_mean;
use crate::Float;

const BLOCK_ROWS: usize = 4096;

/// [`ColumnMoments`] of `x` on the CPU: threads take row ranges, sum $x - s$, its square, and
/// track min and max in one pass; the ranges merge pairwise.
pub fn column_moments_cpu<F: Float>(x: ArrayView2<'_, F>, shift: &[f64]) -> ColumnMoments {
    merged_blocks(x.nrows(), x.ncols(), |rows, mut acc| {
        accumulate_dispatch(x.slice(ndarray::s![rows.clone(), ..]), shift, &mut acc);
        acc.into_moments(rows.len() as f64, shift)
    })
}

/// The moments of every block of `BLOCK_ROWS` rows, each from `block(its rows, zeroed sums)` on
/// some thread, merged pairwise.
fn merged_blocks(
    rows: usize,
    width: usize,
    block: impl Fn(std::ops::Range<usize>, BlockSums) -> ColumnMoments + Sync,
) -> ColumnMoments {
    let starts: Vec<usize> = (0..rows).step_by(BLOCK_ROWS).collect();
    starts
        .into_par_iter()
        .map(|start| block(start..(start + BLOCK_ROWS).min(rows), BlockSums::new(width)))
        .reduce(
            || ColumnMoments::empty(width),
            |mut a, b| {
                a.merge(&b);
                a
            },
        )
}

/// Per-column sums of $x - s$ and its square, min and max of one block of rows.
struct BlockSums {
    sums: Vec<f64>,
    squares: Vec<f64>,
    min: Vec<f64>,
    max: Vec<f64>,
}

impl BlockSums {
    fn new(width: usize) -> Self {
        Self {
            sums: vec![0.0; width],
            squares: vec![0.0; width],
            min: vec![f64::INFINITY; width],
            max: vec![f64::NEG_INFINITY; width],
        }
    }

    /// The moments of the `count` rows added, which were shifted by `shift`.
    fn into_moments(self, count: f64, shift: &[f64]) -> ColumnMoments {
        ColumnMoments::from_shifted_sums(
            count,
            shift,
            &self.sums,
            &self.squares,
            self.min,
            self.max,
        )
    }
}

crate::simd::with_avx2_fma! {
    /// [`accumulate`], compiled for AVX2 and FMA when the CPU has them.
    fn accumulate_dispatch<F: Float>(block: ArrayView2<'_, F>, shift: &[f64], acc: &mut BlockSums);
    fast: accumulate(block, shift, acc);
    plain: accumulate(block, shift, acc);
}

/// Adds `block`'s rows to `acc`; contiguous rows run as slices, so the loop is vectorised.
#[inline(always)]
fn accumulate<F: Float>(block: ArrayView2<'_, F>, shift: &[f64], acc: &mut BlockSums) {
    for row in block.rows() {
        match row.as_slice() {
            Some(row) => add_row(row.iter().map(|v| v.as_f64()), shift, acc),
            None => add_row(row.iter().map(|v| v.as_f64()), shift, acc),
        }
    }
}

#[inline(always)]
fn add_row(values: impl Iterator<Item = f64>, shift: &[f64], acc: &mut BlockSums) {
    let BlockSums {
        sums,
        squares,
        min,
        max,
    } = acc;
    let columns = shift.iter().zip(sums.iter_mut()).zip(squares.iter_mut());
    let bounds = min.iter_mut().zip(max.iter_mut());
    for (v, (((s, sum), square), (lo, hi))) in values.zip(columns.zip(bounds)) {
        let z = v - s;
        *sum += z;
        *square += z * z;
        *lo = lo.min(v);
        *hi = hi.max(v);
    }
}

/// [`ColumnMoments`] of the rows of `x` weighted by `w` (CPU): `count` is the sum of the
/// weights, `mean` and `m2` the weighted mean and weighted sum of squared deviations. Rows of
/// zero weight still count towards min and max.
pub fn weighted_column_moments_cpu<F: Float>(
    x: ArrayView2<'_, F>,
    w: ndarray::ArrayView1<'_, F>,
) -> ColumnMoments {
    let shift = leading_mean(&[x]);
    merged_blocks(x.nrows(), x.ncols(), |rows, mut acc| {
        let mut total = 0.0;
        for i in rows {
            let wi = w[i].as_f64();
            total += wi;
            for (j, v) in x.row(i).iter().enumerate() {
                let v = v.as_f64();
                let z = v - shift[j];
                acc.sums[j] += wi * z;
                acc.squares[j] += wi * z * z;
                acc.min[j] = acc.min[j].min(v);
                acc.max[j] = acc.max[j].max(v);
            }
        }
        acc.into_moments(total, &shift)
    })
}
