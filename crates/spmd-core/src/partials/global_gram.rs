use ndarray::ArrayView2;
use spmd_comm::Comm;
use spmd_gpu::Queue;

use super::Moments;
use crate::distributed::agree;
use crate::{Float, Result};

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
/// Each rank forms its [`Moments`] (sums about a shift near its mean, so cross products stay
/// accurate), every rank learns of any rank's failure, and [`Moments::combine`] moves each
/// rank's cross products to the common centre exactly and adds them. Non-finite input is found
/// from the sums (no extra pass) and reported on every rank.
pub fn global_gram<F: Float>(
    comm: &Comm,
    parts: &[ArrayView2<'_, F>],
    names: &[&'static str],
    width: usize,
    center: bool,
    queue: Option<&Queue>,
) -> Result<GlobalGram> {
    // `of_rows` checks the memory for the Gram itself; an empty rank checks it here, so every
    // rank refuses (and agrees) alike.
    let local = if parts.first().is_none_or(|p| p.nrows() == 0) {
        crate::memory::check_gram(width, comm.rank()).map(|_| Moments::empty(width))
    } else {
        Moments::of_rows(comm.rank(), parts, names, queue)
    };
    agree(comm, local)?.combine(comm, center)
}
