//! One assignment step of Lloyd's algorithm on this rank's rows, on the CPU or the GPU.

use faer::{Accum, MatMut, MatRef, Par};
use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use spmd_comm::Comm;
use spmd_partials::pack_rows;

use super::element::Element;
use super::gpu::{self, DeviceRows};
use crate::backend::{distances_fastest, local_inertia, Backend};
use crate::partials::ColumnMoments;
use crate::{Float, Result};

/// Rows per CPU block: the block and its products stay in cache.
pub(super) const BLOCK: usize = 1024;

/// The `m` rows of `x` farthest from their centres, `(squared distance, local row)`, farthest
/// first, ties to the lower row. Memory: one block of distances per thread and `m` candidates
/// per block, never one distance per row.
pub(crate) fn farthest<F: Float>(
    x: ArrayView2<'_, F>,
    centres: &Array2<f64>,
    labels: &[usize],
    m: usize,
) -> Vec<(f64, usize)> {
    let keep = |mut list: Vec<(f64, usize)>| {
        list.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        list.truncate(m);
        list
    };
    (0..labels.len())
        .into_par_iter()
        .step_by(BLOCK)
        .map(|start| {
            let rows = start..(start + BLOCK).min(labels.len());
            let mut out = vec![0.0; rows.len()];
            let block = x.slice(ndarray::s![rows.clone(), ..]);
            distances_fastest(block, centres, &labels[rows.clone()], &mut out);
            keep(out.into_iter().zip(rows).collect())
        })
        .reduce(Vec::new, |mut a, b| {
            a.extend(b);
            keep(a)
        })
}

/// This rank's rows and what the steps need to know about them.
pub(crate) struct Rows<'a, F> {
    pub comm: &'a Comm,
    pub x: ArrayView2<'a, F>,
    /// Global index of this rank's first row.
    pub offset: u64,
    /// Rows over all ranks.
    pub total: u64,
    /// This rank's device.
    pub backend: Backend<'a>,
    /// Global column means: rows and centres are shifted by them before distances are formed.
    pub shift: Vec<f64>,
    /// The rows prepared for the CPU steps (`None` when a queue is given).
    pub cpu: Option<&'a CpuRows<'a>>,
    /// The rows on the GPU, shifted by `shift` (when a queue is given).
    pub device: Option<&'a DeviceRows>,
    /// Each row's sample weight (`None`: every row counts once).
    pub weights: Option<&'a [f64]>,
}

/// Per-cluster sums and counts of this rank's rows, and how many labels changed.
pub(crate) struct Step {
    pub sums: Array2<f64>,
    pub counts: Vec<f64>,
    pub changed: u64,
}

impl Step {
    pub(super) fn empty(k: usize, d: usize) -> Self {
        Self {
            sums: Array2::zeros((k, d)),
            counts: vec![0.0; k],
            changed: 0,
        }
    }

    pub(super) fn add(mut self, other: Step) -> Self {
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
    /// f32 rows, row-major: the input itself or a shifted copy.
    F32(std::borrow::Cow<'a, [f32]>),
}

/// The prepared rows and the shift they carry (zeros for input read in place).
pub(crate) struct CpuRows<'a> {
    pub data: Prepared<'a>,
    pub shift: Vec<f64>,
}

impl<'a> CpuRows<'a> {
    /// Prepares `x` with the global column means `mean`: read in place when `in_place` (see
    /// [`CpuRows::may_read_in_place`]) and `x` is contiguous, else copied shifted by `mean`.
    pub fn new<F: Float>(x: ArrayView2<'a, F>, mean: &[f64], in_place: bool) -> Self {
        let d = x.ncols();
        let zeros = || vec![0.0; d];
        let f32_rows = std::mem::size_of::<F>() == 4;
        // F is f32 or f64 (HostFloat is implemented for those only).
        let borrowed = x.to_slice().filter(|_| in_place).and_then(|data| {
            if f32_rows {
                let data = bytemuck::try_cast_slice::<F, f32>(data).ok()?;
                Some(Prepared::F32(std::borrow::Cow::Borrowed(data)))
            } else {
                let data = bytemuck::try_cast_slice::<F, f64>(data).ok()?;
                Some(Prepared::F64(std::borrow::Cow::Borrowed(data)))
            }
        });
        if let Some(data) = borrowed {
            return Self {
                data,
                shift: zeros(),
            };
        }
        let data = if f32_rows {
            Prepared::F32(std::borrow::Cow::Owned(shifted_copy(x, mean)))
        } else {
            Prepared::F64(std::borrow::Cow::Owned(shifted_copy(x, mean)))
        };
        Self {
            data,
            shift: mean.to_vec(),
        }
    }

    /// Whether the rows' products keep their accuracy unshifted: every column's global mean
    /// within 8 standard deviations of zero for f64 (the rounding error grows like
    /// `1 + (mean / std)^2`, and f64 has digits to spare), within 1 for f32. Decided from
    /// global moments only, so every rank, at any number of ranks, decides the same.
    pub fn may_read_in_place<F: Float>(moments: &ColumnMoments) -> bool {
        let limit = if std::mem::size_of::<F>() == 8 {
            crate::backend::DIRECT_MAX_OFFSET
        } else {
            1.0
        };
        let n = moments.count.max(1.0);
        moments
            .mean
            .iter()
            .zip(&moments.m2)
            .all(|(mean, m2)| mean.abs() <= limit * (m2 / n).sqrt())
    }
}

/// `x - mean`, row-major, in the kernel's element type, made in parallel blocks.
fn shifted_copy<F: Float, T: crate::Float>(x: ArrayView2<'_, F>, mean: &[f64]) -> Vec<T> {
    let (n, d) = x.dim();
    let mut z = vec![T::zero(); n * d];
    z.par_chunks_mut(BLOCK * d.max(1))
        .enumerate()
        .for_each(|(b, out)| {
            let rows = out.len() / d.max(1);
            pack_rows(&[x], Some(mean), b * BLOCK, rows, d, out, None)
        });
    z
}

/// Lloyd steps of one run: on the device with the labels kept there where the GPU can take
/// them ([`gpu::LloydOnDevice`]), otherwise [`assign`] each step.
pub(crate) struct Stepper<'a> {
    device: Option<gpu::LloydOnDevice<'a>>,
    /// Whether the host's labels are behind the device's.
    stale: bool,
}

impl<'a> Stepper<'a> {
    /// A stepper for `k` centres over `rows`. Weighted rows are summed on the host from their
    /// labels (found on the GPU where there is one), so they take the per-step path.
    pub fn new<F: Float>(rows: &Rows<'a, F>, k: usize) -> Self {
        let device = match rows.weights {
            None => gpu::LloydOnDevice::new(&rows.backend, rows.device, k),
            Some(_) => None,
        };
        Self {
            device,
            stale: false,
        }
    }

    /// One step: the labels of every row (kept on the device, or written to `labels`), and the
    /// per-cluster sums and counts of the rows.
    pub fn step<F: Float>(
        &mut self,
        rows: &Rows<'_, F>,
        centres: &Array2<f64>,
        labels: &mut [usize],
    ) -> Result<Step> {
        let Some(device) = self.device.as_mut() else {
            let step = assign(rows, centres, labels)?;
            return Ok(match rows.weights {
                None => step,
                Some(w) => weighted_sums(rows.x, labels, w, centres.dim(), step.changed),
            });
        };
        self.stale = true;
        let (sums, counts, changed) = device.step(centres)?;
        let step = Step {
            sums,
            counts,
            changed,
        };
        Ok(unshift(step, device.shift()))
    }

    /// This rank's inertia with `centres`: on the device from its labels where the steps ran
    /// there, else from `labels` on the host.
    pub fn inertia<F: Float>(
        &self,
        rows: &Rows<'_, F>,
        centres: &Array2<f64>,
        labels: &[usize],
    ) -> Result<f64> {
        match self.device.as_ref() {
            Some(device) => device.inertia(centres),
            None => Ok(local_inertia(rows.x, centres, labels, rows.weights)),
        }
    }

    /// Brings `labels` up to date with the device's (a readback of 4 bytes a row).
    pub fn sync(&mut self, labels: &mut [usize]) -> Result<()> {
        if let (true, Some(device)) = (self.stale, self.device.as_ref()) {
            device.labels(labels)?;
            self.stale = false;
        }
        Ok(())
    }
}

/// Assigns every local row to its nearest centre (lowest label on ties), writing `labels`, and
/// sums the rows per cluster.
pub(crate) fn assign<F: Float>(
    rows: &Rows<'_, F>,
    centres: &Array2<f64>,
    labels: &mut [usize],
) -> Result<Step> {
    let on_device = (rows.x, rows.device, rows.shift.as_slice());
    if let Some(found) = gpu::nearest(&rows.backend, on_device, centres) {
        return Ok(sums_of_labels(rows.x, &found?, centres.dim(), labels));
    }
    let prepared;
    let cpu = match rows.cpu {
        Some(cpu) => cpu,
        None => {
            prepared = CpuRows::new(rows.x, &rows.shift, false);
            &prepared
        }
    };
    Ok(assign_cpu(cpu, centres, labels))
}

/// The per-cluster weighted sums and weights of the rows `x` under their `labels`, in parallel
/// blocks (`changed` carried over from the step that set the labels).
fn weighted_sums<F: Float>(
    x: ArrayView2<'_, F>,
    labels: &[usize],
    weights: &[f64],
    (k, d): (usize, usize),
    changed: u64,
) -> Step {
    let mut step = labels
        .par_chunks(BLOCK)
        .zip(weights.par_chunks(BLOCK))
        .enumerate()
        .map(|(b, (labels, weights))| {
            let mut step = Step::empty(k, d);
            for (i, (&label, &w)) in labels.iter().zip(weights).enumerate() {
                step.counts[label] += w;
                step.sums
                    .row_mut(label)
                    .iter_mut()
                    .zip(x.row(b * BLOCK + i))
                    .for_each(|(s, v)| *s += w * v.as_f64());
            }
            step
        })
        .reduce(|| Step::empty(k, d), Step::add);
    step.changed = changed;
    step
}

/// The per-cluster sums and counts of the rows `x` under their new labels `found` (`k x d`),
/// written to `labels`, and how many changed; in parallel blocks of rows.
fn sums_of_labels<F: Float>(
    x: ArrayView2<'_, F>,
    found: &[u32],
    (k, d): (usize, usize),
    labels: &mut [usize],
) -> Step {
    labels
        .par_chunks_mut(BLOCK)
        .zip(found.par_chunks(BLOCK))
        .enumerate()
        .map(|(b, (labels, found))| {
            let mut step = Step::empty(k, d);
            for (i, (label, &new)) in labels.iter_mut().zip(found).enumerate() {
                let new = new as usize;
                step.changed += u64::from(*label != new);
                *label = new;
                step.counts[new] += 1.0;
                step.sums
                    .row_mut(new)
                    .iter_mut()
                    .zip(x.row(b * BLOCK + i))
                    .for_each(|(s, v)| *s += v.as_f64());
            }
            step
        })
        .reduce(|| Step::empty(k, d), Step::add)
}

fn assign_cpu(cpu: &CpuRows<'_>, centres: &Array2<f64>, labels: &mut [usize]) -> Step {
    let shifted = centres - &ndarray::Array1::from(cpu.shift.clone());
    let step = match &cpu.data {
        Prepared::F64(z) => assign_blocks(z, &Centres::new(&shifted), labels),
        Prepared::F32(z) => assign_blocks(z, &Centres::new(&shifted), labels),
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

/// The (shifted) centres in the element type of the rows, and their squared norms.
struct Centres<T> {
    /// k x d, row-major.
    values: Vec<T>,
    /// $\lVert c \rVert^2$ of the rounded centres, so they match the products.
    norms: Vec<f64>,
    d: usize,
}

impl<T: Element> Centres<T> {
    fn new(shifted: &Array2<f64>) -> Self {
        let values: Vec<T> = shifted.iter().map(|&v| T::from_f64(v)).collect();
        let norms = shifted
            .rows()
            .into_iter()
            .map(|c| c.iter().map(|&v| T::from_f64(v).into().powi(2)).sum())
            .collect();
        Self {
            values,
            norms,
            d: shifted.ncols(),
        }
    }

    fn k(&self) -> usize {
        self.norms.len()
    }
}

/// The CPU step over cache-sized blocks of the prepared rows `z` (f64 or f32), in parallel.
fn assign_blocks<T: Element>(z: &[T], centres: &Centres<T>, labels: &mut [usize]) -> Step {
    let (k, d) = (centres.k(), centres.d);
    let c = MatRef::from_row_major_slice(&centres.values, k, d);
    #[cfg(target_arch = "x86_64")]
    let fused = super::sweep_x86::Sweep::new(&centres.values, &centres.norms);
    labels
        .par_chunks_mut(BLOCK)
        .enumerate()
        .map(|(b, labels)| {
            let n = labels.len();
            let z = &z[b * BLOCK * d..(b * BLOCK + n) * d];
            let mut step = Step::empty(k, d);
            let sums = step.sums.as_slice_mut().unwrap_or(&mut []);
            #[cfg(target_arch = "x86_64")]
            if let Some(fused) = &fused {
                step.changed = fused.run(z, labels, sums, &mut step.counts);
                return step;
            }
            // dots = C Z^T, k x n column-major: row i's k products are contiguous.
            let mut dots = vec![T::default(); k * n];
            faer::linalg::matmul::matmul(
                MatMut::from_column_major_slice_mut(&mut dots, k, n),
                Accum::Replace,
                c,
                MatRef::from_column_major_slice(z, d, n),
                T::one(),
                Par::Seq,
            );
            let rows = Nearest {
                z,
                products: &dots,
                norms: &centres.norms,
                d,
            };
            step.changed = nearest(&rows, labels, sums, &mut step.counts);
            step
        })
        .reduce(|| Step::empty(k, d), Step::add)
}

/// A block's rows, their products with every centre and the centres' squared norms.
struct Nearest<'a, T> {
    z: &'a [T],
    /// Row i's k products are `products[i k .. (i + 1) k]`.
    products: &'a [T],
    norms: &'a [f64],
    d: usize,
}

crate::simd::with_avx2_fma! {
    /// Labels each row with its nearest centre (lowest label on ties), adds it to its cluster's
    /// sums and count, and returns how many labels changed.
    fn nearest<T: Element>(
        rows: &Nearest<'_, T>,
        labels: &mut [usize],
        sums: &mut [f64],
        counts: &mut [f64],
    ) -> u64;
    fast: nearest_body(rows, labels, sums, counts);
    plain: nearest_body(rows, labels, sums, counts);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::squared_distance;

    /// Centres too many for the fused sweep's panel take the general product; both must give
    /// the exact nearest centre and the sums.
    #[test]
    fn general_product_path_labels_rows_exactly() {
        let (n, k, d) = (40, 120, 300);
        let centres =
            Array2::from_shape_fn((k, d), |(c, j)| ((c * 131 + j * 17) % 97) as f64 - 48.0);
        let x = Array2::from_shape_fn((n, d), |(i, j)| {
            centres[[(i * 7) % k, j]] + ((i + j) % 5) as f64 * 0.1
        });
        let mut labels = vec![usize::MAX; n];
        let cpu = CpuRows::new(x.view(), &vec![0.0; d], true);
        let step = assign_cpu(&cpu, &centres, &mut labels);
        let mut sums = Array2::<f64>::zeros((k, d));
        for (i, &label) in labels.iter().enumerate() {
            let distance = |c: usize| (&x.row(i) - &centres.row(c)).mapv(|v| v * v).sum();
            let nearest = (0..k).fold(0, |b, c| if distance(c) < distance(b) { c } else { b });
            assert_eq!(label, nearest, "row {i}");
            sums.row_mut(label).zip_mut_with(&x.row(i), |s, v| *s += v);
        }
        assert_eq!(step.changed, n as u64);
        assert!((&step.sums - &sums).iter().all(|v| v.abs() < 1e-9));
        assert_eq!(step.counts.iter().sum::<f64>(), n as f64);
    }

    #[test]
    fn rows_are_read_in_place_only_when_near_centred() {
        let moments = |mean: f64| ColumnMoments {
            count: 4.0,
            mean: vec![0.0, mean],
            // A variance of 1 in both columns.
            m2: vec![4.0, 4.0],
            min: vec![-1.0; 2],
            max: vec![1.0; 2],
        };
        assert!(CpuRows::may_read_in_place::<f64>(&moments(7.5)));
        assert!(!CpuRows::may_read_in_place::<f64>(&moments(-8.5)));
        assert!(CpuRows::may_read_in_place::<f32>(&moments(-0.9)));
        assert!(!CpuRows::may_read_in_place::<f32>(&moments(1.5)));
        let x = Array2::from_shape_fn((3, 2), |(i, j)| (i + j) as f32);
        let mean = [1.0, 2.0];
        let read = CpuRows::new(x.view(), &mean, true);
        assert!(matches!(
            read.data,
            Prepared::F32(std::borrow::Cow::Borrowed(_))
        ));
        assert_eq!(read.shift, [0.0, 0.0]);
        let copied = CpuRows::new(x.view(), &mean, false);
        let Prepared::F32(z) = &copied.data else {
            panic!("f32 rows stay f32")
        };
        assert_eq!(z.as_ref(), [-1.0, -1.0, 0.0, 0.0, 1.0, 1.0]);
        assert_eq!(copied.shift, mean);
    }

    #[test]
    fn farthest_rows_are_the_largest_distances_ties_to_the_lower_row() {
        let n = 3 * BLOCK + 17;
        let x = Array2::from_shape_fn((n, 2), |(i, j)| ((i * 7 + j * 3) % 11) as f64);
        let centres = ndarray::array![[0.0, 0.0], [5.0, 5.0]];
        let labels: Vec<usize> = (0..n).map(|i| i % 2).collect();
        let mut all: Vec<(f64, usize)> = (0..n)
            .map(|i| (squared_distance(x.row(i), centres.row(labels[i])), i))
            .collect();
        all.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for m in [0, 1, 5, 40] {
            assert_eq!(farthest(x.view(), &centres, &labels, m), all[..m].to_vec());
        }
    }
}
