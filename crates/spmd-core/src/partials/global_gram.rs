use ndarray::ArrayView2;
use spmd_comm::{Comm, ReduceOp};
use spmd_gpu::Queue;

use super::{leading_mean, shifted_gram, ShiftedGram};
use crate::distributed::{agree, allreduce_sum};
use crate::validate::find_non_finite;
use crate::{Error, Float, Result};

/// Cross products of $z = [x, y]$ over the rows of every rank.
#[derive(Debug, Clone, PartialEq)]
pub struct GlobalGram {
    /// Rows over all ranks.
    pub rows: u64,
    /// Column means of $z$ over all rows.
    pub mean: Vec<f64>,
    /// $\sum_i (z_i - c)(z_i - c)^\top$, row-major `width` x `width`, where $c$ is `mean` when
    /// centred and zero otherwise.
    pub gram: Vec<f64>,
    /// Length of $z$.
    pub width: usize,
    /// Largest unit roundoff used by any rank's partials (f32's when a rank computed in f32).
    pub roundoff: f64,
}

/// Forms [`GlobalGram`] of `[parts...]` (this rank's rows; `width` columns in all, agreed
/// beforehand) with one local pass and two allreduces.
///
/// Each rank sums $z - s_r$ with its own shift $s_r$ near its mean; the first allreduce gives
/// the global mean $\mu$; each rank then moves its cross products to the common centre
/// $c$ exactly, $\sum (z - c)(z - c)^\top = G_r - d S_r^\top - S_r d^\top + n_r d d^\top$ with
/// $d = c - s_r$, and the second allreduce adds them. Non-finite input is found from the sums
/// (no extra pass) and reported on every rank.
pub fn global_gram<F: Float>(
    comm: &Comm,
    parts: &[ArrayView2<'_, F>],
    names: &[&'static str],
    width: usize,
    center: bool,
    queue: Option<&Queue>,
) -> Result<GlobalGram> {
    let rows = parts.first().map_or(0, |p| p.nrows());
    let local = if rows == 0 {
        Ok((empty(width), f64::EPSILON, vec![0.0; width]))
    } else {
        let shift = leading_mean(parts);
        shifted_gram(parts, &shift, queue).and_then(|(g, eps)| {
            check_finite_partial(comm.rank(), parts, names, &g)?;
            Ok((g, eps, shift))
        })
    };
    let (local, eps, shift) = agree(comm, local)?;
    let n_r = local.rows as f64;

    // First allreduce: global column sums (and the row count) give the mean.
    let mut totals: Vec<f64> = local
        .sums
        .iter()
        .zip(&shift)
        .map(|(s, m)| s + n_r * m)
        .collect();
    totals.push(n_r);
    allreduce_sum(comm, &mut totals)?;
    let n = totals.pop().unwrap_or(0.0);
    let mean: Vec<f64> = totals
        .iter()
        .map(|t| if n > 0.0 { t / n } else { 0.0 })
        .collect();
    let roundoff = comm.allreduce_scalar(eps, ReduceOp::Max)?;

    // Second allreduce: cross products about the common centre.
    let d: Vec<f64> = (0..width)
        .map(|j| if center { mean[j] } else { 0.0 } - shift[j])
        .collect();
    let mut gram = local.gram;
    if local.rows > 0 {
        for i in 0..width {
            for j in 0..width {
                gram[i * width + j] +=
                    -d[i] * local.sums[j] - local.sums[i] * d[j] + n_r * d[i] * d[j];
            }
        }
    }
    allreduce_sum(comm, &mut gram)?;
    Ok(GlobalGram {
        rows: n as u64,
        mean,
        gram,
        width,
        roundoff,
    })
}

fn empty(width: usize) -> ShiftedGram {
    ShiftedGram {
        rows: 0,
        width,
        sums: vec![0.0; width],
        gram: vec![0.0; width * width],
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
