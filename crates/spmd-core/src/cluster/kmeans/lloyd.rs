//! One assignment step of Lloyd's algorithm on this rank's rows, on the CPU or the GPU.

use faer::{Accum, Mat, MatMut, MatRef, Par};
use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use spmd_comm::Comm;
use spmd_gpu::pack::pack_rows;
use spmd_gpu::{DeviceRows, Queue};

use crate::partials::readback_for_queue;
use crate::{Float, Result};

/// Rows per CPU block: the block and its products stay in cache.
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
    /// The rows prepared for the CPU steps (`None` when a queue is given).
    pub cpu: Option<&'a CpuRows<'a>>,
    /// The rows on the GPU, shifted by `shift` (when a queue is given).
    pub device: Option<&'a DeviceRows>,
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

/// This rank's rows as the CPU steps read them, made once per fit: shifted by the global means
/// so the distance expansion stays accurate (scikit-learn also centres a copy). Near-centred
/// contiguous f64 input is read in place; f32 input is kept (and multiplied) in f32.
pub(crate) enum Prepared<'a> {
    /// f64 rows, row-major: the input itself or a shifted copy.
    F64(std::borrow::Cow<'a, [f64]>),
    /// Shifted f32 rows, row-major.
    F32(Vec<f32>),
}

/// The prepared rows and the shift they carry (zeros for input read in place).
pub(crate) struct CpuRows<'a> {
    pub data: Prepared<'a>,
    pub shift: Vec<f64>,
}

impl<'a> CpuRows<'a> {
    /// Prepares `x` with the global column means `mean`.
    pub fn new<F: Float>(x: ArrayView2<'a, F>, mean: &[f64]) -> Self {
        let d = x.ncols();
        if let Some(parts) = crate::partials::direct_f64_parts(&[x], mean) {
            return Self {
                data: Prepared::F64(std::borrow::Cow::Borrowed(parts[0].0)),
                shift: vec![0.0; d],
            };
        }
        let n = x.nrows();
        let data = if std::mem::size_of::<F>() == 4 {
            let mut z = vec![0.0_f32; n * d];
            z.par_chunks_mut(BLOCK * d.max(1))
                .enumerate()
                .for_each(|(b, out)| {
                    pack_rows(
                        &[x],
                        Some(mean),
                        b * BLOCK,
                        out.len() / d.max(1),
                        d,
                        out,
                        None,
                    )
                });
            Prepared::F32(z)
        } else {
            let mut z = vec![0.0_f64; n * d];
            z.par_chunks_mut(BLOCK * d.max(1))
                .enumerate()
                .for_each(|(b, out)| {
                    pack_rows(
                        &[x],
                        Some(mean),
                        b * BLOCK,
                        out.len() / d.max(1),
                        d,
                        out,
                        None,
                    )
                });
            Prepared::F64(std::borrow::Cow::Owned(z))
        };
        Self {
            data,
            shift: mean.to_vec(),
        }
    }
}

/// Assigns every local row to its nearest centre (lowest label on ties), writing `labels`, and
/// sums the rows per cluster.
pub(crate) fn assign<F: Float>(
    rows: &Rows<'_, F>,
    centres: &Array2<f64>,
    labels: &mut [usize],
) -> Result<Step> {
    if let Some(queue) = rows.queue {
        return assign_gpu(rows, queue, centres, labels);
    }
    let prepared;
    let cpu = match rows.cpu {
        Some(cpu) => cpu,
        None => {
            prepared = CpuRows::new(rows.x, &rows.shift);
            &prepared
        }
    };
    Ok(assign_cpu(cpu, centres, labels))
}

fn assign_cpu(cpu: &CpuRows<'_>, centres: &Array2<f64>, labels: &mut [usize]) -> Step {
    let (k, d) = centres.dim();
    let shifted = centres - &ndarray::Array1::from(cpu.shift.clone());
    let step = match &cpu.data {
        Prepared::F64(z) => {
            let c = Mat::from_fn(k, d, |i, j| shifted[[i, j]]);
            let norms: Vec<f64> = shifted.rows().into_iter().map(|c| c.dot(&c)).collect();
            assign_blocks(z, &c, &norms, labels)
        }
        Prepared::F32(z) => {
            // The products are of the f32-rounded centres; their norms match them.
            let c = Mat::from_fn(k, d, |i, j| shifted[[i, j]] as f32);
            let norms: Vec<f64> = (0..k)
                .map(|i| (0..d).map(|j| f64::from(c[(i, j)]).powi(2)).sum())
                .collect();
            assign_blocks(z, &c, &norms, labels)
        }
    };
    unshift(step, &cpu.shift)
}

/// The sums were of shifted rows: add the shift back, once per row.
fn unshift(mut step: Step, shift: &[f64]) -> Step {
    for (mut row, &count) in step.sums.rows_mut().into_iter().zip(&step.counts) {
        row.iter_mut().zip(shift).for_each(|(v, s)| *v += count * s);
    }
    step
}

/// The CPU step over cache-sized blocks of the prepared rows `z` (f64 or f32), in parallel.
fn assign_blocks<T: Element>(z: &[T], c: &Mat<T>, norms: &[f64], labels: &mut [usize]) -> Step {
    let (k, d) = (c.nrows(), c.ncols());
    labels
        .par_chunks_mut(BLOCK)
        .enumerate()
        .map(|(b, labels)| {
            let n = labels.len();
            let z = &z[b * BLOCK * d..(b * BLOCK + n) * d];
            // dots = C Z^T, k x n column-major: row i's k products are contiguous.
            let mut dots = vec![T::default(); k * n];
            faer::linalg::matmul::matmul(
                MatMut::from_column_major_slice_mut(&mut dots, k, n),
                Accum::Replace,
                c.as_ref(),
                MatRef::from_column_major_slice(z, d, n),
                T::one(),
                Par::Seq,
            );
            let mut step = Step::empty(k, d);
            let sums = step.sums.as_slice_mut().unwrap_or(&mut []);
            let rows = Nearest {
                z,
                products: &dots,
                norms,
                d,
            };
            step.changed = nearest(&rows, labels, sums, &mut step.counts);
            step
        })
        .reduce(|| Step::empty(k, d), Step::add)
}

/// f32 or f64: what the CPU step multiplies in.
pub(crate) trait Element:
    faer::traits::ComplexField + Copy + Default + Send + Sync + Into<f64> + 'static
{
    /// 1 in this type.
    fn one() -> Self;
}

impl Element for f64 {
    fn one() -> Self {
        1.0
    }
}

impl Element for f32 {
    fn one() -> Self {
        1.0
    }
}

/// A block's rows, their products with every centre and the centres' squared norms.
struct Nearest<'a, T> {
    z: &'a [T],
    /// Row i's k products are `products[i k .. (i + 1) k]`.
    products: &'a [T],
    norms: &'a [f64],
    d: usize,
}

/// Labels each row with its nearest centre (lowest label on ties), adds it to its cluster's
/// sums and count, and returns how many labels changed.
fn nearest<T: Element>(
    rows: &Nearest<'_, T>,
    labels: &mut [usize],
    sums: &mut [f64],
    counts: &mut [f64],
) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::has_avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA, checked just above.
        return unsafe { nearest_avx2(rows, labels, sums, counts) };
    }
    nearest_body(rows, labels, sums, counts)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn nearest_avx2<T: Element>(
    rows: &Nearest<'_, T>,
    labels: &mut [usize],
    sums: &mut [f64],
    counts: &mut [f64],
) -> u64 {
    nearest_body(rows, labels, sums, counts)
}

#[inline(always)]
fn nearest_body<T: Element>(
    rows: &Nearest<'_, T>,
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
            let part = cn - 2.0 * dot.into();
            if part < best_part {
                best = cluster;
                best_part = part;
            }
        }
        changed += u64::from(labels[i] != best);
        labels[i] = best;
        counts[best] += 1.0;
        for (s, v) in sums[best * d..(best + 1) * d].iter_mut().zip(row) {
            *s += (*v).into();
        }
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
    let uploaded;
    let device = match rows.device {
        Some(device) => device,
        None => {
            uploaded = DeviceRows::upload_shifted(queue, rows.x, Some(&rows.shift))?;
            &uploaded
        }
    };
    spmd_gpu::kernels::kmeans::assign_resident(
        queue,
        device,
        centres.view(),
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
