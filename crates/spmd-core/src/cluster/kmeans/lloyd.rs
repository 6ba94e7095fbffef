//! One assignment step of Lloyd's algorithm on this rank's rows, on the CPU or the GPU.

use faer::{Accum, Mat, MatMut, MatRef, Par};
use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use spmd_comm::Comm;
use spmd_gpu::pack::pack_rows;
use spmd_gpu::Queue;

use crate::partials::readback_for_queue;
use crate::{Float, Result};

/// Rows per CPU block: the block, its distances and its scratch stay in cache.
const BLOCK: usize = 1024;

/// This rank's rows and what the steps need to know about them.
pub(crate) struct Rows<'a, F> {
    pub comm: &'a Comm,
    pub x: ArrayView2<'a, F>,
    /// Global index of this rank's first row.
    pub offset: u64,
    /// Rows over all ranks.
    pub total: u64,
    pub queue: Option<&'a Queue>,
    /// Global column means: rows and centres are shifted by them before distances are formed.
    pub shift: Vec<f64>,
}

/// Per-cluster sums and counts of this rank's rows, and how many labels changed.
pub(crate) struct Step {
    pub sums: Array2<f64>,
    pub counts: Vec<f64>,
    pub changed: u64,
}

impl Step {
    fn empty(k: usize, d: usize) -> Self {
        Self {
            sums: Array2::zeros((k, d)),
            counts: vec![0.0; k],
            changed: 0,
        }
    }

    fn add(mut self, other: Step) -> Self {
        self.sums += &other.sums;
        self.counts
            .iter_mut()
            .zip(&other.counts)
            .for_each(|(a, b)| *a += b);
        self.changed += other.changed;
        self
    }
}

/// Assigns every local row to its nearest centre (lowest label on ties), writing `labels`, and
/// sums the rows per cluster.
pub(crate) fn assign<F: Float>(
    rows: &Rows<'_, F>,
    centres: &Array2<f64>,
    labels: &mut [usize],
) -> Result<Step> {
    let (k, d) = centres.dim();
    match rows.queue {
        Some(queue) => assign_gpu(rows, queue, centres, labels),
        None => {
            // Near-centred contiguous f64 rows are used in place; others are copied shifted.
            let direct =
                crate::partials::direct_f64_parts(&[rows.x], &rows.shift).map(|parts| parts[0].0);
            let shift: Vec<f64> = if direct.is_some() {
                vec![0.0; d]
            } else {
                rows.shift.clone()
            };
            let shifted = centres - &ndarray::Array1::from(shift.clone());
            let norms: Vec<f64> = shifted.rows().into_iter().map(|c| c.dot(&c)).collect();
            let block = Block {
                c: Mat::from_fn(k, d, |i, j| shifted[[i, j]]),
                norms,
                shift: &shift,
                direct,
            };
            let step = labels
                .par_chunks_mut(BLOCK)
                .enumerate()
                .map(|(b, labels)| assign_block(rows, &block, b * BLOCK, labels))
                .reduce(|| Step::empty(k, d), Step::add);
            Ok(unshift(step, &shift))
        }
    }
}

/// What every CPU block shares: the shifted centres ($k \times d$), their squared norms, the
/// shift, and the input as one slice when it is used in place.
struct Block<'a> {
    c: Mat<f64>,
    norms: Vec<f64>,
    shift: &'a [f64],
    direct: Option<&'a [f64]>,
}

/// The sums were of shifted rows: add the shift back, once per row.
fn unshift(mut step: Step, shift: &[f64]) -> Step {
    for (mut row, &count) in step.sums.rows_mut().into_iter().zip(&step.counts) {
        row.iter_mut().zip(shift).for_each(|(v, s)| *v += count * s);
    }
    step
}

fn assign_block<F: Float>(
    rows: &Rows<'_, F>,
    block: &Block<'_>,
    start: usize,
    labels: &mut [usize],
) -> Step {
    let (k, d) = (block.c.nrows(), block.c.ncols());
    let n = labels.len();
    let mut scratch = Vec::new();
    let z: &[f64] = match block.direct {
        Some(all) => &all[start * d..(start + n) * d],
        None => {
            scratch.resize(n * d, 0.0);
            pack_rows(
                &[rows.x],
                Some(block.shift),
                start,
                n,
                d,
                &mut scratch,
                None,
            );
            &scratch
        }
    };
    // dots = C Z^T, k x n column-major: row i's k products are contiguous.
    let mut dots = vec![0.0_f64; k * n];
    faer::linalg::matmul::matmul(
        MatMut::from_column_major_slice_mut(&mut dots, k, n),
        Accum::Replace,
        block.c.as_ref(),
        MatRef::from_column_major_slice(z, d, n),
        1.0,
        Par::Seq,
    );
    let mut step = Step::empty(k, d);
    let sums = step.sums.as_slice_mut().unwrap_or(&mut []);
    let rows = Nearest {
        z,
        products: &dots,
        norms: &block.norms,
        d,
    };
    step.changed = nearest(&rows, labels, sums, &mut step.counts);
    step
}

/// A block's rows, their products with every centre and the centres' squared norms.
struct Nearest<'a> {
    z: &'a [f64],
    /// Row i's k products are `products[i k .. (i + 1) k]`.
    products: &'a [f64],
    norms: &'a [f64],
    d: usize,
}

/// Labels each row with its nearest centre (lowest label on ties), adds it to its cluster's
/// sums and count, and returns how many labels changed.
fn nearest(rows: &Nearest<'_>, labels: &mut [usize], sums: &mut [f64], counts: &mut [f64]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::has_avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA, checked just above.
        return unsafe { nearest_avx2(rows, labels, sums, counts) };
    }
    nearest_body::<false>(rows, labels, sums, counts)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn nearest_avx2(
    rows: &Nearest<'_>,
    labels: &mut [usize],
    sums: &mut [f64],
    counts: &mut [f64],
) -> u64 {
    nearest_body::<true>(rows, labels, sums, counts)
}

#[inline(always)]
fn nearest_body<const FMA: bool>(
    rows: &Nearest<'_>,
    labels: &mut [usize],
    sums: &mut [f64],
    counts: &mut [f64],
) -> u64 {
    let (d, k) = (rows.d, rows.norms.len());
    let mut changed = 0;
    for (i, (row, products)) in rows
        .z
        .chunks_exact(d)
        .zip(rows.products.chunks_exact(k))
        .enumerate()
    {
        // |x - c|^2 = |x|^2 + (|c|^2 - 2 x.c); the row's own norm does not decide the label,
        // and distances are formed exactly where they are needed (relocation, inertia).
        let (mut best, mut best_part) = (0, f64::INFINITY);
        for (cluster, (&cn, &dot)) in rows.norms.iter().zip(products).enumerate() {
            let part = cn - 2.0 * dot;
            if part < best_part {
                best = cluster;
                best_part = part;
            }
        }
        changed += u64::from(labels[i] != best);
        labels[i] = best;
        counts[best] += 1.0;
        crate::simd::axpy::<FMA>(1.0, row, &mut sums[best * d..(best + 1) * d]);
    }
    changed
}

fn assign_gpu<F: Float>(
    rows: &Rows<'_, F>,
    queue: &Queue,
    centres: &Array2<f64>,
    labels: &mut [usize],
) -> Result<Step> {
    let (k, d) = centres.dim();
    let mut step = Step::empty(k, d);
    let readback = readback_for_queue(queue)?;
    spmd_gpu::kernels::kmeans::assign(
        queue,
        rows.x,
        centres.view(),
        &rows.shift,
        readback,
        |i, label, _distance| {
            step.changed += u64::from(labels[i] != label);
            labels[i] = label;
            step.counts[label] += 1.0;
            step.sums
                .row_mut(label)
                .iter_mut()
                .zip(rows.x.row(i))
                .for_each(|(s, v)| *s += v.as_f64());
        },
    )?;
    Ok(step)
}

/// $\lVert x_i - c_{l_i} \rVert^2$ of each of this rank's rows, formed directly (no norm
/// expansion, so accurate even far from the origin), in parallel.
pub(crate) fn squared_distances<F: Float>(
    x: ArrayView2<'_, F>,
    centres: &Array2<f64>,
    labels: &[usize],
) -> Vec<f64> {
    let mut out = vec![0.0; labels.len()];
    out.par_chunks_mut(BLOCK).enumerate().for_each(|(b, out)| {
        for (i, o) in out.iter_mut().enumerate() {
            let row = b * BLOCK + i;
            *o = squared_distance(x.row(row), centres.row(labels[row]));
        }
    });
    out
}

/// $\sum_j (x_j - c_j)^2$ with independent accumulators (vectorisable).
fn squared_distance<F: Float>(
    x: ndarray::ArrayView1<'_, F>,
    c: ndarray::ArrayView1<'_, f64>,
) -> f64 {
    let mut acc = [0.0; 4];
    for (j, (v, m)) in x.iter().zip(c).enumerate() {
        let t = v.as_f64() - m;
        acc[j % 4] += t * t;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// $\sum_i \lVert x_i - c_{l_i} \rVert^2$ over this rank's rows (see [`squared_distances`]).
pub(crate) fn local_inertia<F: Float>(
    x: ArrayView2<'_, F>,
    centres: &Array2<f64>,
    labels: &[usize],
) -> f64 {
    squared_distances(x, centres, labels).iter().sum()
}
