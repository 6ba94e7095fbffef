//! Per-rank partial results, computed on the CPU or on the rank's GPU, and their combination
//! across ranks.
//!
//! An estimator never loops over rows itself: it asks for partials here, and the same call runs
//! on either device.

mod accumulator;
mod column_moments;
mod failure;
mod global_gram;
mod moments;
mod scatter;

pub use crate::backend::{
    column_moments_cpu, leading_mean, shifted_gram_cpu, weighted_column_moments_cpu,
};
pub use accumulator::Accumulator;
pub use column_moments::{
    column_moments, combine_column_moments, global_column_moments, ColumnMoments,
};
pub use failure::FailureMemory;
pub use global_gram::{global_gram, GlobalGram};
pub use moments::Moments;
pub use scatter::{global_scatter, GlobalScatter};
pub use spmd_partials::ShiftedGram;

use ndarray::ArrayView2;
use spmd_gpu::Queue;

use crate::{Float, Result};

/// [`ShiftedGram`] of `[parts...] - shift` on the GPU of `queue`, or on the CPU when `None`.
/// The second value is the unit roundoff of the arithmetic used (f32's or f64's).
pub fn shifted_gram<F: Float>(
    parts: &[ArrayView2<'_, F>],
    shift: &[f64],
    queue: Option<&Queue>,
) -> Result<(ShiftedGram, f64)> {
    crate::backend::Backend::new(0, queue)?.shifted_gram(parts, shift)
}
