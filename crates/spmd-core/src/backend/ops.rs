//! The operations a backend offers: each runs on this rank's GPU or on its CPU, and estimators
//! call them without knowing which.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rayon::prelude::*;
use spmd_gpu::DeviceRows;
use spmd_partials::{ColumnMoments, ShiftedGram};

use super::distances::{local_inertia, squared_distance};
use super::Backend;
use super::{column_moments_cpu, leading_mean, shifted_gram_cpu, weighted_column_moments_cpu};
use crate::validate::{check_features, check_finite, find_non_finite};
use crate::{Error, Float, Result};

/// Rows per CPU task in the row-block operations: a block stays in cache while it is used.
const BLOCK_ROWS: usize = 4096;

impl<'a> Backend<'a> {
    /// [`ShiftedGram`] of `[parts...] - shift`, and the unit roundoff of the arithmetic used.
    pub fn shifted_gram<F: Float>(
        &self,
        parts: &[ArrayView2<'_, F>],
        shift: &[f64],
    ) -> Result<(ShiftedGram, f64)> {
        let gram = match self.gpu {
            None => shifted_gram_cpu(parts, shift),
            Some(g) => spmd_gpu::kernels::gram::shifted_gram(g.queue, parts, shift, g.readback)?,
        };
        Ok((gram, self.roundoff::<F>()))
    }

    /// [`ColumnMoments`] of the rows of `x`; NaN or infinity is an error naming where it is.
    pub fn column_moments<F: Float>(&self, x: ArrayView2<'_, F>) -> Result<ColumnMoments> {
        if x.nrows() == 0 {
            return Ok(ColumnMoments::empty(x.ncols()));
        }
        let shift = leading_mean(&[x]);
        let moments = match self.gpu {
            None => column_moments_cpu(x, &shift),
            Some(g) => spmd_gpu::kernels::moments::column_moments(g.queue, x, &shift, g.readback)?,
        };
        self.finite_moments(x, moments)
    }

    /// The rows' [`ColumnMoments`] and, on a GPU, the rows kept on the device for an iterative
    /// fit: uploaded once (shifted by the mean of their first rows) and the moments formed from
    /// that copy, so the rows cross to the device once. On the CPU, `(moments, None)`.
    pub fn moments_and_upload<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
    ) -> Result<(ColumnMoments, Option<DeviceRows>)> {
        let Some(g) = self.gpu.filter(|_| x.nrows() > 0) else {
            return Ok((self.column_moments(x)?, None));
        };
        let rows = DeviceRows::upload_shifted(g.queue, x, Some(&leading_mean(&[x])))?;
        let moments =
            spmd_gpu::kernels::moments::column_moments_resident(g.queue, &rows, g.readback)?;
        Ok((self.finite_moments(x, moments)?, Some(rows)))
    }

    /// The moments of `x` from its copy already on the device (`rows`), which must hold the
    /// rows of `x`; on the CPU, from `x`.
    pub fn resident_moments<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        rows: &DeviceRows,
    ) -> Result<ColumnMoments> {
        let Some(g) = self.gpu.filter(|_| x.nrows() > 0) else {
            return self.column_moments(x);
        };
        check_resident(x, rows)?;
        let moments =
            spmd_gpu::kernels::moments::column_moments_resident(g.queue, rows, g.readback)?;
        self.finite_moments(x, moments)
    }

    /// [`column_moments`](Self::column_moments) with row `i` weighing `weights[i]` (finite, not
    /// negative: the caller checks): weighted count, mean and centred squares; min and max over
    /// every row.
    pub fn weighted_column_moments<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        weights: ArrayView1<'_, F>,
    ) -> Result<ColumnMoments> {
        if x.nrows() == 0 {
            return Ok(ColumnMoments::empty(x.ncols()));
        }
        let moments = match self.gpu {
            None => weighted_column_moments_cpu(x, weights),
            Some(g) => spmd_gpu::kernels::moments::weighted_column_moments(
                g.queue,
                x,
                weights.mapv(|w| w.as_f64()).view(),
                &leading_mean(&[x]),
                g.readback,
            )?,
        };
        self.finite_moments(x, moments)
    }

    /// `moments`, or an error naming the first NaN or infinity of `x` where they are not finite.
    fn finite_moments<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        moments: ColumnMoments,
    ) -> Result<ColumnMoments> {
        let finite = moments
            .mean
            .iter()
            .chain(&moments.m2)
            .all(|v| v.is_finite());
        if !finite {
            return Err(
                find_non_finite("X", x, self.rank).unwrap_or(Error::Overflow {
                    what: "X",
                    rank: self.rank,
                }),
            );
        }
        Ok(moments)
    }

    /// $X W$ for this rank's rows `x` (`n x d`) and `w` (`d x k`), in f64. Checks the width and
    /// that `x` is finite. The CPU converts and multiplies cache-sized row blocks in parallel,
    /// so no f64 copy of `x` is made.
    pub fn rows_times<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        w: ArrayView2<'_, f64>,
    ) -> Result<Array2<f64>> {
        self.shifted_rows_times(x, None, w)
    }

    /// $(X - 1 \mu^\top) W$: [`rows_times`](Self::rows_times) of the rows less `mean`. The CPU
    /// subtracts the mean from each block before multiplying (accurate whatever the mean); the
    /// GPU multiplies the rows and subtracts $\mu^\top W$.
    pub fn centred_rows_times<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        mean: &[f64],
        w: ArrayView2<'_, f64>,
    ) -> Result<Array2<f64>> {
        self.shifted_rows_times(x, Some(mean), w)
    }

    fn shifted_rows_times<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        mean: Option<&[f64]>,
        w: ArrayView2<'_, f64>,
    ) -> Result<Array2<f64>> {
        check_features(w.nrows(), x.ncols())?;
        check_finite("X", x, self.rank)?;
        if let Some(g) = self.gpu {
            let raw = spmd_gpu::kernels::matmul::matmul(g.queue, x, w, g.readback)?;
            return Ok(match mean {
                Some(mean) => raw - &ArrayView1::from(mean).dot(&w),
                None => raw,
            });
        }
        let (n, k) = (x.nrows(), w.ncols());
        let mut out = Array2::zeros((n, k));
        let Some(values) = out.as_slice_mut() else {
            return Ok(block_times(x, mean, w));
        };
        values
            .par_chunks_mut(BLOCK_ROWS * k.max(1))
            .enumerate()
            .for_each(|(b, chunk)| {
                let start = b * BLOCK_ROWS;
                let rows = chunk.len() / k.max(1);
                let block = x.slice(ndarray::s![start..start + rows, ..]);
                if let Some(block) = block_times(block, mean, w).as_slice() {
                    chunk.copy_from_slice(block);
                }
            });
        Ok(out)
    }

    /// The nearest row of `centres` (`k x d`) to each row of `x` (ties to the lowest), and the
    /// sum of the exact squared distances to them. Checks the width and that `x` is finite.
    pub fn nearest<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        centres: ArrayView2<'_, f64>,
    ) -> Result<(Array1<usize>, f64)> {
        check_features(centres.ncols(), x.ncols())?;
        check_finite("X", x, self.rank)?;
        let mut labels = vec![0; x.nrows()];
        let total = match self.gpu {
            Some(g) if x.nrows() > 0 && centres.nrows() > 0 => {
                let found = spmd_gpu::kernels::kmeans::assign(
                    g.queue,
                    x,
                    centres,
                    &mean_row(centres),
                    g.readback,
                )?;
                labels = found.into_iter().map(|l| l as usize).collect();
                // Exact distances of the winners, in f64 whatever precision found them.
                local_inertia(x, &centres.to_owned(), &labels, None)
            }
            _ => {
                let mut total = 0.0;
                for (label, row) in labels.iter_mut().zip(x.rows()) {
                    let (nearest, distance) = nearest_row(row, centres);
                    *label = nearest;
                    total += distance;
                }
                total
            }
        };
        Ok((Array1::from(labels), total))
    }

    /// The Euclidean distance of each row of `x` to every row of `centres` (`k x d`), `n x k`.
    /// Checks the width and that `x` is finite. Both devices sum squared differences (no norm
    /// expansion); the GPU about the centres' mean, the CPU in f64 over row blocks in parallel.
    pub fn distances<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        centres: ArrayView2<'_, f64>,
    ) -> Result<Array2<f64>> {
        check_features(centres.ncols(), x.ncols())?;
        check_finite("X", x, self.rank)?;
        let k = centres.nrows();
        let squared = match self.gpu {
            Some(g) if x.nrows() > 0 && k > 0 => spmd_gpu::kernels::kmeans::squared_distances(
                g.queue,
                x,
                centres,
                &mean_row(centres),
                g.readback,
            )?,
            _ => {
                let mut out = Array2::zeros((x.nrows(), k));
                if let Some(values) = out.as_slice_mut().filter(|_| k > 0) {
                    values
                        .par_chunks_mut(BLOCK_ROWS * k)
                        .enumerate()
                        .for_each(|(b, chunk)| {
                            for (i, row) in chunk.chunks_exact_mut(k).enumerate() {
                                let point = x.row(b * BLOCK_ROWS + i);
                                for (d, centre) in row.iter_mut().zip(centres.rows()) {
                                    *d = squared_distance(point, centre);
                                }
                            }
                        });
                }
                out
            }
        };
        Ok(squared.mapv_into(f64::sqrt))
    }

    /// `x * scale + offset` per column, in f64 (the scalers' `transform` and its inverse).
    /// Checks the width and that `x` is finite. The GPU computes $(x - c) s$ with
    /// $c = -b / s$ subtracted on the host in f64, so f32 keeps the digits that matter.
    pub fn affine<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        scale: &[f64],
        offset: &[f64],
    ) -> Result<Array2<f64>> {
        check_features(scale.len(), x.ncols())?;
        check_features(offset.len(), x.ncols())?;
        check_finite("X", x, self.rank)?;
        if let Some(g) = self.gpu.filter(|_| x.nrows() > 0) {
            let (centre, offset): (Vec<f64>, Vec<f64>) = scale
                .iter()
                .zip(offset)
                .map(|(&s, &b)| if s == 0.0 { (0.0, b) } else { (-b / s, 0.0) })
                .unzip();
            return Ok(spmd_gpu::kernels::affine::affine(
                g.queue, x, &centre, scale, &offset, g.readback,
            )?);
        }
        let mut out = Array2::zeros(x.dim());
        out.axis_chunks_iter_mut(ndarray::Axis(0), BLOCK_ROWS)
            .into_par_iter()
            .zip(x.axis_chunks_iter(ndarray::Axis(0), BLOCK_ROWS))
            .for_each(|(mut out, x)| {
                for (mut o, row) in out.rows_mut().into_iter().zip(x.rows()) {
                    for ((o, v), (s, b)) in o.iter_mut().zip(row).zip(scale.iter().zip(offset)) {
                        *o = v.as_f64() * s + b;
                    }
                }
            });
        Ok(out)
    }

    /// Per-class weighted sums of the rows, `classes x d`: row `i` (weight `weight(i)`) is
    /// added to class `labels[i]`'s sum. On the GPU, $X^\top$ times the weighted one-hot labels.
    pub fn class_sums<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        labels: &[u32],
        classes: usize,
        weight: impl Fn(usize) -> f64,
    ) -> Result<Array2<f64>> {
        match self.gpu {
            Some(g) if x.nrows() > 0 => {
                let one_hot = Array2::from_shape_fn((x.nrows(), classes), |(i, c)| {
                    if labels[i] as usize == c {
                        weight(i)
                    } else {
                        0.0
                    }
                });
                let rows = DeviceRows::upload(g.queue, x)?;
                let sums =
                    spmd_gpu::kernels::xt_r::xt_r(g.queue, &rows, one_hot.view(), g.readback)?;
                Ok(sums.reversed_axes())
            }
            _ => {
                let mut sums = Array2::zeros((classes, x.ncols()));
                for (i, (row, &c)) in x.rows().into_iter().zip(labels).enumerate() {
                    let s = weight(i);
                    sums.row_mut(c as usize)
                        .zip_mut_with(&row, |acc, v| *acc += s * v.as_f64());
                }
                Ok(sums)
            }
        }
    }
}

/// `(x - mean) w` in f64 for one block of rows (converted once, in cache).
fn block_times<F: Float>(
    x: ArrayView2<'_, F>,
    mean: Option<&[f64]>,
    w: ArrayView2<'_, f64>,
) -> Array2<f64> {
    let z = match mean {
        Some(mean) => Array2::from_shape_fn(x.dim(), |(i, j)| x[[i, j]].as_f64() - mean[j]),
        None => x.mapv(|v| v.as_f64()),
    };
    z.dot(&w)
}

/// The mean of the rows of `centres` (zeros with none): a shift near the data for the GPU.
fn mean_row(centres: ArrayView2<'_, f64>) -> Vec<f64> {
    centres
        .mean_axis(ndarray::Axis(0))
        .map_or_else(|| vec![0.0; centres.ncols()], |m| m.to_vec())
}

/// The nearest row of `centres` to `x` (ties to the lowest index) and its squared distance.
fn nearest_row<F: Float>(x: ArrayView1<'_, F>, centres: ArrayView2<'_, f64>) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for (c, centre) in centres.rows().into_iter().enumerate() {
        let d = squared_distance(x, centre);
        if d < best.1 {
            best = (c, d);
        }
    }
    best
}

/// An error unless `rows` (a device copy given by the caller) has the shape of `x`.
fn check_resident<F>(x: ArrayView2<'_, F>, rows: &DeviceRows) -> Result<()> {
    if (rows.rows(), rows.cols()) == x.dim() {
        return Ok(());
    }
    Err(Error::Shape {
        what: "the rows resident on the device".into(),
        expected: format!("{} x {}, the shape of X", x.nrows(), x.ncols()),
        found: format!("{} x {}", rows.rows(), rows.cols()),
    })
}
