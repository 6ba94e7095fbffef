//! Exact squared distances of rows to centres on the CPU, the sums KMeans' inertia and the
//! backend's nearest centres are made of.

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

use crate::Float;

/// Rows per parallel task of [`local_inertia`].
const BLOCK: usize = 1024;

crate::simd::with_avx2_fma! {
    /// [`distances_body`], compiled for AVX2 and FMA when the CPU has them.
    pub(crate) fn distances_fastest<F: Float>(
        block: ArrayView2<'_, F>,
        centres: &Array2<f64>,
        labels: &[usize],
        out: &mut [f64],
    );
    fast: distances_body(block, centres, labels, out);
    plain: distances_body(block, centres, labels, out);
}

#[inline(always)]
fn distances_body<F: Float>(
    block: ArrayView2<'_, F>,
    centres: &Array2<f64>,
    labels: &[usize],
    out: &mut [f64],
) {
    for ((row, &label), out) in block.rows().into_iter().zip(labels).zip(out) {
        *out = squared_distance(row, centres.row(label));
    }
}

/// $\sum_j (x_j - c_j)^2$, with independent accumulators over contiguous rows (vectorised).
#[inline(always)]
pub(crate) fn squared_distance<F: Float>(
    x: ndarray::ArrayView1<'_, F>,
    c: ndarray::ArrayView1<'_, f64>,
) -> f64 {
    const LANES: usize = 8;
    let (Some(x), Some(c)) = (x.as_slice(), c.as_slice()) else {
        return x.iter().zip(c).map(|(v, m)| (v.as_f64() - m).powi(2)).sum();
    };
    let n = x.len().min(c.len());
    let split = n / LANES * LANES;
    let mut acc = [0.0; LANES];
    for (x, c) in x[..split]
        .chunks_exact(LANES)
        .zip(c[..split].chunks_exact(LANES))
    {
        for lane in 0..LANES {
            let t = x[lane].as_f64() - c[lane];
            acc[lane] += t * t;
        }
    }
    let mut sum = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (v, m) in x[split..n].iter().zip(&c[split..n]) {
        sum += (v.as_f64() - m).powi(2);
    }
    sum
}

/// $\sum_i w_i \lVert x_i - c_{l_i} \rVert^2$ over this rank's rows, each formed directly
/// ($w_i = 1$ without `weights`).
pub(crate) fn local_inertia<F: Float>(
    x: ArrayView2<'_, F>,
    centres: &Array2<f64>,
    labels: &[usize],
    weights: Option<&[f64]>,
) -> f64 {
    // One sum per block, added in order: the same result on every run.
    let blocks: Vec<f64> = (0..labels.len().div_ceil(BLOCK))
        .into_par_iter()
        .map(|b| {
            let rows = b * BLOCK..labels.len().min((b + 1) * BLOCK);
            let mut out = [0.0; BLOCK];
            let out = &mut out[..rows.len()];
            distances_fastest(
                x.slice(ndarray::s![rows.clone(), ..]),
                centres,
                &labels[rows.clone()],
                out,
            );
            match weights {
                None => out.iter().sum::<f64>(),
                Some(w) => out.iter().zip(&w[rows]).map(|(d, w)| w * d).sum::<f64>(),
            }
        })
        .collect();
    blocks.iter().sum()
}
