//! Each tree's rows and their weights, with no row moved: a row's bootstrap count is a
//! counter-based draw on (seed, tree, global row), so it does not depend on which rank holds
//! the row.
//!
//! The counts are Poisson with mean `max_samples / n` (the limit of scikit-learn's draw of
//! `max_samples` rows with replacement, which would need all ranks to draw together). A row's
//! weight in a tree is its count times its `sample_weight` times its class weight; rows of
//! weight 0 take no part, as in scikit-learn. The weights (and, for regression, the weighted
//! targets and squares) are turned into 62-bit fixed point on a scale every rank derives from
//! two exact global values (the row count and the largest term), so that sums of them are
//! exact and the same in any order.

use rayon::prelude::*;
use spmd_comm::{Comm, ReduceOp};

use super::split::{Scale, Task};
use crate::random::{uniform_in, Stream};
use crate::Result;

/// Stream of the bootstrap draws (tree `t` uses stream `BOOTSTRAP + t`).
const BOOTSTRAP: u64 = 0xB007_0000_0000;

/// One tree's bootstrap: how many times it draws each global row, Poisson with mean `rate`
/// (the stream's part of the hash and $e^{-rate}$ worked out once).
#[derive(Debug, Clone, Copy)]
pub(crate) struct TreeDraws {
    stream: Stream,
    rate: f64,
    zero: f64,
}

impl TreeDraws {
    /// Tree `tree`'s draws under `seed`.
    pub fn new(seed: u64, tree: usize, rate: f64) -> Self {
        Self {
            stream: Stream::new(seed, BOOTSTRAP + tree as u64),
            rate,
            zero: (-rate).exp(),
        }
    }

    /// How many times the tree draws global row `row`.
    pub fn count(&self, row: u64) -> u32 {
        let u = uniform_in(self.stream, row);
        if u <= self.zero {
            return 0;
        }
        let mut p = self.zero;
        let mut cdf = p;
        let mut k = 0_u32;
        while u > cdf && k < 1000 {
            k += 1;
            p *= self.rate / f64::from(k);
            cdf += p;
        }
        k
    }
}

/// What every tree's sample is made from: this rank's rows.
pub(crate) struct Rows<'a> {
    pub task: Task,
    /// Class index of each row (classifier) or empty.
    pub classes: &'a [u32],
    /// Target of each row (regressor) or empty.
    pub targets: &'a [f64],
    /// `sample_weight`, or empty for 1 each.
    pub sample_weight: &'a [f64],
    /// Global index of the first row.
    pub row_offset: u64,
    /// Rows of all ranks.
    pub total_rows: u64,
}

/// One tree's rows: the local rows it draws and their fixed-point terms.
#[derive(Debug, Clone)]
pub(crate) struct TreeSample {
    /// Local rows with a positive weight.
    pub rows: Vec<u32>,
    /// `task.row_width()` terms per local row (zero for rows not drawn).
    pub terms: Vec<i64>,
    pub scale: Scale,
}

/// How rows are drawn and weighted.
pub(crate) struct Draw<'a> {
    pub seed: u64,
    pub bootstrap: bool,
    pub rate: f64,
    /// Weight of each class index (empty: 1 each).
    pub class_weight: &'a [f64],
    /// Reweight each tree's classes by its own draw (`balanced_subsample`).
    pub balanced_subsample: bool,
}

/// The samples of trees `trees`. Collective (two or three small allreduces).
pub(crate) fn tree_samples(
    comm: &Comm,
    rows: &Rows<'_>,
    draw: &Draw<'_>,
    trees: std::ops::Range<usize>,
) -> Result<Vec<TreeSample>> {
    let n = rows.classes.len().max(rows.targets.len());
    let counts: Vec<Vec<u32>> = trees
        .clone()
        .into_par_iter()
        .map(|t| {
            let draws = TreeDraws::new(draw.seed, t, draw.rate);
            (0..n)
                .map(|i| {
                    if draw.bootstrap {
                        draws.count(rows.row_offset + i as u64)
                    } else {
                        1
                    }
                })
                .collect()
        })
        .collect();
    let class_weights = class_weights_per_tree(comm, rows, draw, &counts)?;
    let rw = rows.task.row_width();
    // Each tree's weights and its largest terms, in one pass.
    let (weights, mut largest): (Vec<Vec<f64>>, Vec<Vec<f64>>) = counts
        .par_iter()
        .zip(&class_weights)
        .map(|(counts, cw)| {
            let mut m = vec![0.0_f64; rw];
            let w: Vec<f64> = (0..n)
                .map(|i| {
                    let mut w = f64::from(counts[i]);
                    if let Some(s) = rows.sample_weight.get(i) {
                        w *= s;
                    }
                    if !cw.is_empty() {
                        w *= cw[rows.classes[i] as usize];
                    }
                    for (m, term) in m.iter_mut().zip(real_terms(rows, i, w)) {
                        *m = m.max(term.abs());
                    }
                    w
                })
                .collect();
            (w, m)
        })
        .unzip();
    let mut largest: Vec<f64> = largest.drain(..).flatten().collect();
    comm.allreduce_in_place(&mut largest, ReduceOp::Max)?;
    Ok(weights
        .into_par_iter()
        .zip(largest.par_chunks_exact(rw))
        .map(|(w, largest)| {
            let exponents: Vec<i32> = largest
                .iter()
                .map(|&m| fixed_point_exponent(m, rows.total_rows))
                .collect();
            let scales: Vec<f64> = exponents.iter().map(|&e| 2f64.powi(e)).collect();
            let mut terms = vec![0_i64; n * rw];
            let mut drawn = Vec::new();
            for (i, &wi) in w.iter().enumerate() {
                if wi > 0.0 {
                    drawn.push(i as u32);
                    let row_terms = real_terms(rows, i, wi);
                    for ((t, term), scale) in terms[i * rw..(i + 1) * rw]
                        .iter_mut()
                        .zip(row_terms)
                        .zip(&scales)
                    {
                        *t = (term * scale).round() as i64;
                    }
                }
            }
            let mut unscale = vec![1.0];
            match rows.task {
                Task::Classes { classes, .. } => {
                    unscale.extend(std::iter::repeat_n(2f64.powi(-exponents[0]), classes))
                }
                Task::Regression => unscale.extend(exponents.iter().map(|&e| 2f64.powi(-e))),
            }
            TreeSample {
                rows: drawn,
                terms,
                scale: Scale { unscale },
            }
        })
        .collect())
}

/// Row `i`'s terms for weight `w`: `[w]`, or `[w, w y, w y^2]`.
fn real_terms(rows: &Rows<'_>, i: usize, w: f64) -> [f64; 3] {
    match rows.task {
        Task::Classes { .. } => [w, 0.0, 0.0],
        Task::Regression => {
            let y = rows.targets[i];
            [w, w * y, w * y * y]
        }
    }
}

/// The power of two that puts `rows` terms of magnitude at most `largest` below $2^{62}$ in
/// sum.
fn fixed_point_exponent(largest: f64, rows: u64) -> i32 {
    if largest <= 0.0 || !largest.is_finite() {
        return 0;
    }
    let bound = largest * rows.max(1) as f64;
    (62 - bound.log2().ceil() as i32).clamp(-1000, 1000)
}

/// The class weights of each tree (empty vectors for none).
fn class_weights_per_tree(
    comm: &Comm,
    rows: &Rows<'_>,
    draw: &Draw<'_>,
    counts: &[Vec<u32>],
) -> Result<Vec<Vec<f64>>> {
    let Task::Classes { classes: k, .. } = rows.task else {
        return Ok(vec![Vec::new(); counts.len()]);
    };
    if !draw.balanced_subsample {
        return Ok(vec![draw.class_weight.to_vec(); counts.len()]);
    }
    let mut drawn = vec![0_u64; counts.len() * k];
    for (t, counts) in counts.iter().enumerate() {
        for (i, &c) in counts.iter().enumerate() {
            drawn[t * k + rows.classes[i] as usize] += u64::from(c);
        }
    }
    comm.allreduce_in_place(&mut drawn, ReduceOp::Sum)?;
    Ok(drawn.chunks_exact(k).map(balanced).collect())
}

/// scikit-learn's `balanced` weights $n / (k\,n_c)$ from the class counts `counts`, over the
/// `k` classes present; 0 for a class absent.
pub(crate) fn balanced(counts: &[u64]) -> Vec<f64> {
    let n: u64 = counts.iter().sum();
    let present = counts.iter().filter(|&&c| c > 0).count() as f64;
    counts
        .iter()
        .map(|&c| {
            if c == 0 {
                0.0
            } else {
                n as f64 / (present * c as f64)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_draws_have_the_mean_asked_for() {
        let (first, second) = (TreeDraws::new(3, 0, 1.0), TreeDraws::new(3, 1, 1.0));
        let total: u32 = (0..100_000).map(|i| first.count(i)).sum();
        assert!((f64::from(total) / 1e5 - 1.0).abs() < 0.01);
        let zeros = (0..100_000).filter(|&i| second.count(i) == 0).count();
        assert!((zeros as f64 / 1e5 - (-1.0_f64).exp()).abs() < 0.01);
        let half = TreeDraws::new(3, 0, 0.5);
        assert_eq!(half.count(17), TreeDraws::new(3, 0, 0.5).count(17));
    }

    #[test]
    fn balanced_weights_follow_scikit_learn() {
        assert_eq!(balanced(&[6, 2, 0]), vec![8.0 / 12.0, 8.0 / 4.0, 0.0]);
    }
}
