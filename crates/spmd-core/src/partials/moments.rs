use ndarray::ArrayView2;
use spmd_comm::{Comm, ReduceOp};
use spmd_gpu::Queue;

use super::{leading_mean, shifted_gram, GlobalGram, ShiftedGram};
use crate::distributed::{allreduce_sum, global_mean};
use crate::validate::find_non_finite;
use crate::{Error, Float, Result};

/// Count, mean and centred cross products $M_2 = \sum_i (z_i - \bar z)(z_i - \bar z)^\top$ of some
/// rows: the state one rank accumulates, batch by batch, before ranks combine.
#[derive(Debug, Clone, PartialEq)]
pub struct Moments {
    /// Rows seen.
    pub count: f64,
    /// Column means.
    pub mean: Vec<f64>,
    /// Centred cross products, row-major `width` x `width`.
    pub m2: Vec<f64>,
    /// Largest unit roundoff of the arithmetic that produced them.
    pub roundoff: f64,
}

impl Moments {
    /// No rows yet.
    pub fn empty(width: usize) -> Self {
        Self {
            count: 0.0,
            mean: vec![0.0; width],
            m2: vec![0.0; width * width],
            roundoff: f64::EPSILON,
        }
    }

    /// Number of columns.
    pub fn width(&self) -> usize {
        self.mean.len()
    }

    /// The moments of `[parts...]` (this rank's rows), on the CPU or the GPU. NaN or infinity in
    /// the input is an error naming where it is.
    pub fn of_rows<F: Float>(
        rank: usize,
        parts: &[ArrayView2<'_, F>],
        names: &[&'static str],
        queue: Option<&Queue>,
    ) -> Result<Self> {
        let width: usize = parts.iter().map(|p| p.ncols()).sum();
        crate::memory::check_gram(width, rank)?;
        if parts.first().is_none_or(|p| p.nrows() == 0) {
            return Ok(Self::empty(width));
        }
        let shift = leading_mean(parts);
        let (g, roundoff) = shifted_gram(parts, &shift, queue)?;
        check_finite_partial(rank, parts, names, &g)?;
        Ok(Self::from_shifted(&g, &shift, roundoff))
    }

    /// From sums about a shift $s$: $\bar z = s + S / n$, $M_2 = G - S S^\top / n$.
    pub fn from_shifted(g: &ShiftedGram, shift: &[f64], roundoff: f64) -> Self {
        let n = g.rows as f64;
        let w = g.width;
        if g.rows == 0 {
            return Self::empty(w);
        }
        let mean = (0..w).map(|j| shift[j] + g.sums[j] / n).collect();
        let m2 = (0..w * w)
            .map(|k| g.gram[k] - g.sums[k / w] * g.sums[k % w] / n)
            .collect();
        Self {
            count: n,
            mean,
            m2,
            roundoff,
        }
    }

    /// Adds `other`'s rows (Chan et al.'s pairwise update, stable however the rows are split).
    pub fn merge(&mut self, other: &Moments) {
        let Some(merge) = spmd_partials::Pairwise::of(self.count, other.count) else {
            if self.count == 0.0 {
                *self = other.clone();
            }
            return;
        };
        let w = self.width();
        let delta: Vec<f64> = (0..w).map(|j| other.mean[j] - self.mean[j]).collect();
        for i in 0..w {
            for j in 0..w {
                self.m2[i * w + j] += other.m2[i * w + j] + delta[i] * delta[j] * merge.cross;
            }
        }
        for (m, d) in self.mean.iter_mut().zip(&delta) {
            *m += d * merge.step;
        }
        self.count = merge.count;
        self.roundoff = self.roundoff.max(other.roundoff);
    }

    /// Combines every rank's moments with two allreduces: the global mean $\mu$, then
    /// $\sum_r M_{2,r} + n_r (\bar z_r - c)(\bar z_r - c)^\top$ about $c = \mu$ (centred) or
    /// $c = 0$. Every rank calls it.
    pub fn combine(&self, comm: &Comm, center: bool) -> Result<GlobalGram> {
        let w = self.width();
        let (n, mean) = global_mean(comm, self.count, &self.mean)?;
        let roundoff = comm.allreduce_scalar(self.roundoff, ReduceOp::Max)?;
        let d: Vec<f64> = (0..w)
            .map(|j| self.mean[j] - if center { mean[j] } else { 0.0 })
            .collect();
        let mut gram = self.m2.clone();
        for i in 0..w {
            for j in 0..w {
                gram[i * w + j] += self.count * d[i] * d[j];
            }
        }
        allreduce_sum(comm, &mut gram)?;
        Ok(GlobalGram {
            rows: n as u64,
            mean,
            gram,
            width: w,
            roundoff,
        })
    }
}

/// Any NaN or infinity in the input makes its column's sum non-finite; only then are the rows
/// searched, to name the place.
fn check_finite_partial<F: Float>(
    rank: usize,
    parts: &[ArrayView2<'_, F>],
    names: &[&'static str],
    g: &ShiftedGram,
) -> Result<()> {
    let diagonal_ok = (0..g.width).all(|i| g.gram[i * g.width + i].is_finite());
    if g.sums.iter().all(|s| s.is_finite()) && diagonal_ok {
        return Ok(());
    }
    for (part, name) in parts.iter().zip(names) {
        if let Some(e) = find_non_finite(name, part.view(), rank) {
            return Err(e);
        }
    }
    Err(Error::Overflow {
        what: names.first().copied().unwrap_or("X"),
        rank,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{s, Array2};

    #[test]
    fn merged_batches_equal_one_pass() -> Result<()> {
        let x = Array2::from_shape_fn((300, 3), |(i, j)| {
            1e6 + ((i * 13 + j * 7) % 29) as f64 * 0.5
        });
        let whole = Moments::of_rows(0, &[x.view()], &["X"], None)?;
        let mut merged = Moments::empty(3);
        for (a, b) in [(0, 7), (7, 7), (7, 150), (150, 300)] {
            merged.merge(&Moments::of_rows(
                0,
                &[x.slice(s![a..b, ..])],
                &["X"],
                None,
            )?);
        }
        assert_eq!(merged.count, 300.0);
        for (m, w) in merged.mean.iter().zip(&whole.mean) {
            assert!((m - w).abs() < 1e-9);
        }
        for (m, w) in merged.m2.iter().zip(&whole.m2) {
            assert!((m - w).abs() < 1e-8 * w.abs().max(1.0), "{m} vs {w}");
        }
        Ok(())
    }
}
