//! GPU compute for spmd-learn through wgpu (Vulkan, Metal, DX12) and WGSL kernels.
//!
//! A [`Queue`] is one rank's GPU: adapter, device, queue and a cache of compute pipelines. The
//! kernels turn blocks of rows into small partial results that the estimators combine across
//! ranks:
//! - [`kernels::gram::shifted_gram`]: one pass over the rows giving $\sum_i z_i z_i^\top$ and
//!   $\sum_i z_i$ for $z_i = [x_i, y_i] - s$ (a shift that keeps f32 accurate);
//! - [`kernels::matmul::matmul`]: $X W$ for predictions;
//! - [`kernels::affine::affine`]: $(x - c) s + b$ per column, for the scalers;
//! - [`kernels::kmeans::assign`]: the nearest centre of each row;
//! - [`kernels::kmeans::LloydStep`]: Lloyd steps with the labels and per-cluster sums on the
//!   device;
//! - [`kernels::kmeans::squared_distances`]: squared distance of each row to every centre;
//! - [`kernels::moments::column_moments`] (and its weighted twin): per-column count, mean,
//!   centred sum of squares, min and max;
//! - [`kernels::dbscan::pair_records`]: DBSCAN's neighbourhood counts and touching components
//!   of a block, with the pairs too close to eps to decide listed for the host;
//! - [`kernels::neighbors::candidates`]: for each query row, the training rows of a block with
//!   the smallest distance keys (lists the neighbour search makes exact on the host);
//! - [`kernels::matmul::matmul_resident`] and [`kernels::xt_r::xt_r`]: $X W$ and $X^\top R$ on
//!   rows kept on the device ([`DeviceRows`]) across the iterations of a solver;
//! - [`kernels::logistic::LogisticRows`]: logistic regression's loss, gradient and Hessian
//!   products on resident rows, one submission per evaluation;
//! - [`kernels::kmeans_seeding::Seeding`]: k-means++ seeding (distances to the nearest centre,
//!   weighted draws, candidates' potentials) on resident rows.
//!
//! [`Queue::phase`] names the phases of an estimator's work, counted apart for
//! `SPMD_GPU_STATS`.
//!
//! Every kernel's WGSL is `shaders/common.wgsl` (the element type and the invocation numbering)
//! followed by its own file ([`shaders`]).
//!
//! Inputs larger than the device's storage-binding limit are streamed in row blocks through
//! reused buffers, submitted without waiting; the passes that reduce (Gram, moments, $X^\top R$)
//! add their partials on the device and read the total back once. Kernels run in f64 where
//! `SPMD_GPU_PRECISION` and the adapter allow it ([`GpuPrecision`]), otherwise in f32 with the
//! partials combined by compensated sums.
//!
//! This crate knows nothing of MPI or estimators.
//!
//! Built without its `gpu` feature (on by default) it does not compile wgpu: the API stays the
//! same and [`Queue::new`] returns [`Error::Disabled`], so every estimator runs on the CPU.

mod candidate_lists;
#[cfg(feature = "gpu")]
mod device_rows;
#[cfg(not(feature = "gpu"))]
mod disabled;
#[cfg(feature = "gpu")]
mod dispatch;
pub mod error;
mod forest_inputs;
#[cfg(feature = "gpu")]
pub mod kernels;
pub mod pack;
mod pair_records;
mod phase;
mod precision;
#[cfg(feature = "gpu")]
mod queue;
mod queue_info;
mod readback;
#[cfg(feature = "gpu")]
mod result_buffer;
mod selection;
pub mod shaders;
mod testing;
#[cfg(feature = "gpu")]
mod timer;
pub use testing::gpu_required;

#[cfg(feature = "gpu")]
pub use device_rows::DeviceRows;
#[cfg(not(feature = "gpu"))]
pub use disabled::{kernels, DeviceRows, Queue};
pub use error::Error;
pub use phase::PhaseGuard;
pub use precision::{KernelFloat, Precision};
#[cfg(feature = "gpu")]
pub use queue::Queue;
pub use queue_info::{GpuPrecision, GpuStats, QueueInfo, QueueOptions};
pub use readback::Readback;
pub use shaders::{SHADERS, SHARED_PARTS};
pub use spmd_partials::HostFloat;

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
