//! Per-rank partial results, computed on the CPU or on the rank's GPU, and their combination
//! across ranks.
//!
//! An estimator never loops over rows itself: it asks for partials here, and the same call runs
//! on either device.

mod accumulator;
mod column_moments;
mod cpu_gram;
mod failure;
mod global_gram;
mod moments;
mod readback;
mod scatter;

pub use accumulator::Accumulator;
pub use column_moments::{
    column_moments, column_moments_cpu, combine_column_moments, global_column_moments,
    weighted_column_moments_cpu, ColumnMoments,
};
pub use cpu_gram::shifted_gram_cpu;
pub(crate) use cpu_gram::DIRECT_MAX_OFFSET;
pub use failure::FailureMemory;
pub use global_gram::{global_gram, GlobalGram};
pub use moments::Moments;
pub(crate) use readback::readback_for as readback_for_queue;
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

/// A shift close to the data's mean: the mean of the first rows. Subtracting it before forming
/// cross products keeps them accurate when the mean is large relative to the spread.
pub fn leading_mean<F: Float>(parts: &[ArrayView2<'_, F>]) -> Vec<f64> {
    let rows = parts.first().map_or(0, |p| p.nrows()).min(256);
    let mut shift = Vec::new();
    for part in parts {
        for column in part.columns() {
            let sum: f64 = column.iter().take(rows).map(|v| v.as_f64()).sum();
            shift.push(if rows == 0 { 0.0 } else { sum / rows as f64 });
        }
    }
    shift
}
