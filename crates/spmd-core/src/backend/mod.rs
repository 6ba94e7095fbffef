//! The one place that chooses a device: this rank's CPU, or its GPU.
//!
//! Estimators ask a [`Backend`] for partial results and never branch on the queue themselves.
//! Where a GPU is given, the readback (host staging, or the mapped device buffer, per
//! `SPMD_OFFLOAD`) is chosen once, when the backend is made, not per kernel call.

use ndarray::ArrayView2;
use spmd_gpu::{Precision, Queue, Readback};

mod cpu_gram;
mod cpu_moments;
mod distances;
mod kept;
mod ops;
mod readback;
mod resident;

pub use cpu_gram::shifted_gram_cpu;
pub(crate) use cpu_gram::DIRECT_MAX_OFFSET;
pub use cpu_moments::{column_moments_cpu, weighted_column_moments_cpu};
pub(crate) use distances::{distances_fastest, local_inertia, squared_distance};
pub(crate) use kept::KeptOnDevice;
pub use resident::ResidentRows;

use crate::{Float, Result};

/// This rank's compute device, and the rank (which errors name).
///
/// ```
/// use ndarray::array;
/// use spmd_core::backend::Backend;
///
/// let cpu = Backend::new(0, None)?;
/// let x = array![[1.0_f64, 2.0], [3.0, 4.0]];
/// let w = array![[1.0], [-1.0]];
/// assert_eq!(cpu.rows_times(x.view(), w.view())?, array![[-1.0], [-1.0]]);
/// # Ok::<(), spmd_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Backend<'a> {
    rank: usize,
    gpu: Option<Gpu<'a>>,
}

#[derive(Debug, Clone, Copy)]
struct Gpu<'a> {
    queue: &'a Queue,
    readback: Readback,
}

impl<'a> Backend<'a> {
    /// Rank `rank`'s GPU of `queue`, or its CPU when `None`. Reads `SPMD_OFFLOAD` once.
    pub fn new(rank: usize, queue: Option<&'a Queue>) -> Result<Self> {
        let gpu = match queue {
            None => None,
            Some(queue) => Some(Gpu {
                queue,
                readback: readback::readback_for(queue)?,
            }),
        };
        Ok(Self { rank, gpu })
    }

    /// Rank `rank`'s CPU.
    pub fn cpu(rank: usize) -> Self {
        Self { rank, gpu: None }
    }

    /// This rank.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// The GPU's queue and the readback chosen for it, if this is a GPU: for the families'
    /// `gpu.rs` files alone, which orchestrate their kernels; everything else asks for the
    /// operations below and never sees which device runs them.
    pub(crate) fn device(&self) -> Option<(&'a Queue, Readback)> {
        self.gpu.map(|g| (g.queue, g.readback))
    }

    /// Counts this GPU's work under the phase `name` until the guard drops (see
    /// [`Queue::phase`]); nothing on the CPU.
    pub fn phase(&self, name: &'static str) -> Option<spmd_gpu::PhaseGuard<'a>> {
        self.gpu.map(|g| g.queue.phase(name))
    }

    /// Whether this backend is the CPU.
    pub fn is_cpu(&self) -> bool {
        self.gpu.is_none()
    }

    /// The queue of this backend, if it is a GPU, for a collective operation that makes its own
    /// backend from it (a global Gram over the ranks).
    pub(crate) fn queue(&self) -> Option<&'a Queue> {
        self.gpu.map(|g| g.queue)
    }

    /// The unit roundoff of the arithmetic this backend uses for elements `F`.
    pub fn roundoff<F: Float>(&self) -> f64 {
        match self.gpu.map(|g| g.queue.precision_for::<F>()) {
            Some(Precision::F32) => f64::from(f32::EPSILON),
            _ => f64::EPSILON,
        }
    }

    /// This backend, or the CPU where the GPU would compute elements `F` in f32 (for
    /// algorithms that need f64 partials, such as CholeskyQR2).
    pub fn in_f64<F: Float>(self) -> Self {
        match self.gpu {
            Some(g) if g.queue.precision_for::<F>() == Precision::F32 => Self::cpu(self.rank),
            _ => self,
        }
    }
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
