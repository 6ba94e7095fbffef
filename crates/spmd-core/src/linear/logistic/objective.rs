//! The penalised log-loss of every rank's rows: value, gradient and Hessian products, each
//! one pass over this rank's rows (CPU, or the GPU on rows kept on the device) and one
//! allreduce.

use super::gpu::Device;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use ndarray::ArrayView2;
use rayon::prelude::*;
use spmd_comm::Comm;
use spmd_gpu::kernels::logistic::LogisticPass;
use spmd_partials::pack_rows;

use super::binary_rows::{self, BinaryRows};
use crate::distributed::allreduce_or_fail;
use crate::optimize::Objective;
use crate::{Float, Result};

/// Rows per CPU block: the block's rows and outputs stay in cache between its two products.
const BLOCK: usize = 1024;

/// This rank's part of the fit.
pub(super) struct Problem<'a, F> {
    pub comm: &'a Comm,
    pub x: ArrayView2<'a, F>,
    /// Class index of each row.
    pub labels: &'a [u32],
    /// Sample weight times class weight of each row (`None`: all 1).
    pub weights: Option<&'a [f64]>,
    /// 1 (binary: the probability of class 1) or the number of classes (multinomial).
    pub outputs: usize,
    pub fit_intercept: bool,
    /// Sum of the weights over all ranks.
    pub weight_sum: f64,
    /// $1 / (C \sum_i s_i)$.
    pub l2: f64,
}

/// The objective scikit-learn's `LinearModelLoss` minimises, summed over ranks.
///
/// The parameters are laid out per output: `[w_c (d values), b_c]` for each output `c` (no
/// `b_c` without an intercept).
pub(super) struct LogLoss<'a, F> {
    problem: Problem<'a, F>,
    device: Option<Device<'a>>,
    /// From the latest evaluation, per row: binary $s p (1 - p)$; multinomial the class
    /// probabilities.
    curvature: Vec<f64>,
    /// Evaluations so far (value and gradient).
    pub evaluations: usize,
}

/// Per-block sums: loss, and the gradient (or Hessian product) of the coefficients and
/// intercepts.
struct Partial {
    loss: f64,
    coef: Mat<f64>,
    intercept: Vec<f64>,
}

impl Partial {
    fn zeros(k: usize, d: usize) -> Self {
        Self {
            loss: 0.0,
            coef: Mat::zeros(k, d),
            intercept: vec![0.0; k],
        }
    }

    /// From a binary block's loss and its $d + 1$ gradient sums.
    fn binary(loss: f64, sums: &[f64]) -> Self {
        let d = sums.len() - 1;
        Self {
            loss,
            coef: Mat::from_fn(1, d, |_, j| sums[j]),
            intercept: vec![sums[d]],
        }
    }

    fn add(mut self, other: Partial) -> Self {
        self.loss += other.loss;
        self.coef += &other.coef;
        self.intercept
            .iter_mut()
            .zip(&other.intercept)
            .for_each(|(a, b)| *a += b);
        self
    }
}

impl<'a, F: Float> LogLoss<'a, F> {
    pub fn new(problem: Problem<'a, F>, device: Option<Device<'a>>) -> Self {
        Self {
            problem,
            device,
            curvature: Vec::new(),
            evaluations: 0,
        }
    }

    fn width(&self) -> usize {
        self.problem.x.ncols() + usize::from(self.problem.fit_intercept)
    }

    /// Coefficients ($k \times d$) and intercepts of the parameter vector `w`.
    fn split(&self, w: &[f64]) -> (Mat<f64>, Vec<f64>) {
        let (d, k, width) = (self.problem.x.ncols(), self.problem.outputs, self.width());
        let coef = Mat::from_fn(k, d, |c, j| w[c * width + j]);
        let intercept = (0..k)
            .map(|c| {
                if self.problem.fit_intercept {
                    w[c * width + d]
                } else {
                    0.0
                }
            })
            .collect();
        (coef, intercept)
    }

    /// Sums `partial` over ranks (rank 0's sums on every rank, so every rank's optimiser takes
    /// identical steps), divides by the weight sum and adds the penalty's share. A rank whose
    /// `partial` failed makes every rank fail.
    fn combine(&self, partial: Result<Partial>, w: &[f64]) -> Result<(f64, Vec<f64>)> {
        let (d, k, width) = (self.problem.x.ncols(), self.problem.outputs, self.width());
        let local = partial.map(|partial| {
            let mut flat = vec![0.0; 1 + k * width];
            flat[0] = partial.loss;
            for c in 0..k {
                for j in 0..d {
                    flat[1 + c * width + j] = partial.coef[(c, j)];
                }
                if self.problem.fit_intercept {
                    flat[1 + c * width + d] = partial.intercept[c];
                }
            }
            flat
        });
        // A local failure (a GPU error) fails every rank rather than leaving them waiting.
        let flat = allreduce_or_fail(self.problem.comm, local, 1 + k * width)?;
        let scale = 1.0 / self.problem.weight_sum;
        let l2 = self.problem.l2;
        let mut penalty = 0.0;
        let mut gradient: Vec<f64> = flat[1..].iter().map(|g| g * scale).collect();
        for c in 0..k {
            for j in 0..d {
                let v = w[c * width + j];
                penalty += v * v;
                gradient[c * width + j] += l2 * v;
            }
        }
        Ok((flat[0] * scale + 0.5 * l2 * penalty, gradient))
    }

    /// The rows `z` of a block starting at `start`, with their labels and weights.
    fn binary_rows<'z>(&'z self, start: usize, z: &'z [f64]) -> BinaryRows<'z> {
        let d = self.problem.x.ncols();
        let rows = z.len() / d.max(1);
        BinaryRows {
            z,
            d,
            labels: &self.problem.labels[start..start + rows],
            weights: self.problem.weights.map(|w| &w[start..start + rows]),
        }
    }

    /// This rank's rows `start..start + rows` as contiguous f64: in place when the input is
    /// already, else copied into `scratch`.
    fn block_rows<'s>(&'s self, start: usize, rows: usize, scratch: &'s mut Vec<f64>) -> &'s [f64] {
        let d = self.problem.x.ncols();
        if let Some(all) = f64_rows(self.problem.x) {
            return &all[start * d..(start + rows) * d];
        }
        scratch.resize(rows * d, 0.0);
        pack_rows(&[self.problem.x], None, start, rows, d, scratch, None);
        scratch
    }

    /// The local loss and gradient sums on the CPU, block by block.
    fn local_cpu(&mut self, coef: &Mat<f64>, intercept: &[f64]) -> Partial {
        let (n, d, k) = (
            self.problem.x.nrows(),
            self.problem.x.ncols(),
            self.problem.outputs,
        );
        let mut curvature = std::mem::take(&mut self.curvature);
        curvature.resize(n * k, 0.0);
        let binary_w: Vec<f64> = (0..d).map(|j| coef[(0, j)]).collect();
        let this = &*self;
        let partial = curvature
            .par_chunks_mut(BLOCK * k)
            .enumerate()
            .map(|(b, curvature)| {
                let (start, rows) = (b * BLOCK, curvature.len() / k);
                let mut scratch = Vec::new();
                let z = this.block_rows(start, rows, &mut scratch);
                if k == 1 {
                    let mut sums = vec![0.0; d + 1];
                    let loss = binary_rows::loss_gradient(
                        &this.binary_rows(start, z),
                        &binary_w,
                        intercept[0],
                        curvature,
                        &mut sums,
                    );
                    return Partial::binary(loss, &sums);
                }
                let xt = MatRef::from_column_major_slice(z, d, rows);
                let mut raw = outputs(coef, xt);
                let mut partial = Partial::zeros(k, d);
                partial.loss = this.rows_loss(start, &mut raw, intercept, curvature);
                this.gradient_sums(&raw, xt, &mut partial);
                partial
            })
            .reduce(|| Partial::zeros(k, d), Partial::add);
        self.curvature = curvature;
        partial
    }

    /// Adds $R X_b$ and the row sums of $R$ ($k \times$ rows, column-major) to `partial`.
    fn gradient_sums(&self, r: &[f64], xt: MatRef<'_, f64>, partial: &mut Partial) {
        let k = self.problem.outputs;
        let rows = xt.ncols();
        faer::linalg::matmul::matmul(
            partial.coef.as_mut(),
            Accum::Add,
            MatRef::from_column_major_slice(r, k, rows),
            xt.transpose(),
            1.0,
            Par::Seq,
        );
        for row in r.chunks_exact(k) {
            partial
                .intercept
                .iter_mut()
                .zip(row)
                .for_each(|(a, v)| *a += v);
        }
    }

    /// Turns the raw outputs of rows `start..` (each row's `k` values contiguous, intercepts
    /// not yet added) into the loss derivatives $s_i (p_i - y_i)$ in place, writes their
    /// curvature, and returns their weighted loss.
    fn rows_loss(
        &self,
        start: usize,
        raw: &mut [f64],
        intercept: &[f64],
        curvature: &mut [f64],
    ) -> f64 {
        let k = self.problem.outputs;
        let labels = &self.problem.labels[start..];
        let weight = |i: usize| self.problem.weights.map_or(1.0, |w| w[start + i]);
        let mut loss = 0.0;
        if k == 1 {
            for (i, (z, h)) in raw.iter_mut().zip(curvature.iter_mut()).enumerate() {
                let (s, y) = (weight(i), f64::from(labels[i] == 1));
                let (row_loss, p) = binary_rows::log_loss(*z + intercept[0], y);
                loss += s * row_loss;
                *z = s * (p - y);
                *h = s * p * (1.0 - p);
            }
        } else {
            for (i, (z, p)) in raw
                .chunks_exact_mut(k)
                .zip(curvature.chunks_exact_mut(k))
                .enumerate()
            {
                let (s, y) = (weight(i), labels[i] as usize);
                z.iter_mut().zip(intercept).for_each(|(v, b)| *v += b);
                let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let log_sum = max + z.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
                loss += s * (log_sum - z[y]);
                for (c, (v, p)) in z.iter_mut().zip(p.iter_mut()).enumerate() {
                    *p = (*v - log_sum).exp();
                    *v = s * (*p - f64::from(c == y));
                }
            }
        }
        loss
    }

    /// Turns the raw products $V x_i$ (intercepts not yet added) into the Hessian weights of
    /// rows `start..` in place.
    fn rows_hessian(&self, start: usize, raw: &mut [f64], intercept: &[f64], curvature: &[f64]) {
        let k = self.problem.outputs;
        if k == 1 {
            for (z, h) in raw.iter_mut().zip(curvature) {
                *z = h * (*z + intercept[0]);
            }
        } else {
            for (i, (z, p)) in raw
                .chunks_exact_mut(k)
                .zip(curvature.chunks_exact(k))
                .enumerate()
            {
                let s = self.problem.weights.map_or(1.0, |w| w[start + i]);
                z.iter_mut().zip(intercept).for_each(|(v, b)| *v += b);
                let mean: f64 = z.iter().zip(p).map(|(v, p)| v * p).sum();
                z.iter_mut()
                    .zip(p)
                    .for_each(|(v, p)| *v = s * p * (*v - mean));
            }
        }
    }

    fn local_hessian_cpu(&self, coef: &Mat<f64>, intercept: &[f64]) -> Partial {
        let (d, k) = (self.problem.x.ncols(), self.problem.outputs);
        let binary_v: Vec<f64> = (0..d).map(|j| coef[(0, j)]).collect();
        self.curvature
            .par_chunks(BLOCK * k)
            .enumerate()
            .map(|(b, curvature)| {
                let (start, rows) = (b * BLOCK, curvature.len() / k);
                let mut scratch = Vec::new();
                let z = self.block_rows(start, rows, &mut scratch);
                if k == 1 {
                    let mut sums = vec![0.0; d + 1];
                    binary_rows::hessian_product(
                        &self.binary_rows(start, z),
                        &binary_v,
                        intercept[0],
                        curvature,
                        &mut sums,
                    );
                    return Partial::binary(0.0, &sums);
                }
                let xt = MatRef::from_column_major_slice(z, d, rows);
                let mut raw = outputs(coef, xt);
                self.rows_hessian(start, &mut raw, intercept, curvature);
                let mut partial = Partial::zeros(k, d);
                self.gradient_sums(&raw, xt, &mut partial);
                partial
            })
            .reduce(|| Partial::zeros(k, d), Partial::add)
    }
}

impl<F: Float> LogLoss<'_, F> {
    /// This rank's sums of `pass` on the GPU, as a [`Partial`].
    fn device_sums(
        device: &Device<'_>,
        (coef, intercept): (&Mat<f64>, &[f64]),
        pass: LogisticPass,
    ) -> Result<Partial> {
        let sums = device.sums((coef, intercept), pass)?;
        Ok(Partial {
            loss: sums.loss,
            coef: Mat::from_fn(coef.nrows(), coef.ncols(), |c, j| sums.coef[[c, j]]),
            intercept: sums.intercept,
        })
    }
}

impl<F: Float> Objective for LogLoss<'_, F> {
    fn value_gradient(&mut self, w: &[f64]) -> Result<(f64, Vec<f64>)> {
        self.evaluations += 1;
        let (coef, intercept) = self.split(w);
        let partial = match &self.device {
            None => Ok(self.local_cpu(&coef, &intercept)),
            Some(device) => {
                Self::device_sums(device, (&coef, &intercept), LogisticPass::LossGradient)
            }
        };
        self.combine(partial, w)
    }

    fn hessian_product(&mut self, v: &[f64]) -> Result<Vec<f64>> {
        let (coef, intercept) = self.split(v);
        let partial = match &self.device {
            None => Ok(self.local_hessian_cpu(&coef, &intercept)),
            Some(device) => {
                Self::device_sums(device, (&coef, &intercept), LogisticPass::HessianProduct)
            }
        };
        Ok(self.combine(partial, v)?.1)
    }
}

/// $W X_b^\top$ for a block's rows `xt` ($d \times$ rows): $k \times$ rows, column-major, so each
/// row's $k$ outputs are contiguous.
fn outputs(coef: &Mat<f64>, xt: MatRef<'_, f64>) -> Vec<f64> {
    let (k, rows) = (coef.nrows(), xt.ncols());
    let mut raw = vec![0.0; k * rows];
    faer::linalg::matmul::matmul(
        MatMut::from_column_major_slice_mut(&mut raw, k, rows),
        Accum::Replace,
        coef.as_ref(),
        xt,
        1.0,
        Par::Seq,
    );
    raw
}

/// The rows of `x` as one f64 slice, when they are f64 in standard layout.
fn f64_rows<'a, F: Float>(x: ArrayView2<'a, F>) -> Option<&'a [f64]> {
    bytemuck::try_cast_slice(x.to_slice()?)
        .ok()
        .filter(|_| std::mem::size_of::<F>() == 8)
}
