//! # spmd-learn
//!
//! scikit-learn-style estimators for SPMD execution: every MPI rank runs the same program on its
//! own slice of the rows, computes partial results on its own GPU (wgpu: Vulkan, Metal, DX12) or
//! CPU, and every rank ends holding the same fitted model, equal to the one a single process would
//! fit on all the rows.
//!
//! ```no_run
//! use spmd_learn::prelude::*;
//! # let x_local = ndarray::Array2::<f64>::zeros((10, 3));
//! # let y_local = ndarray::Array1::<f64>::zeros(10);
//! let queue = Queue::new()?; // this rank's GPU
//! let model = LinearRegression::new().fit(&x_local, &y_local, Some(&queue))?; // None = CPU
//! let y_hat = model.predict(&x_local, Some(&queue))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The crates behind it: [`comm`] (MPI or a single process), [`gpu`] (queue and WGSL kernels),
//! and the estimators re-exported here from `spmd-core`.

pub use spmd_comm as comm;
pub use spmd_core::*;
pub use spmd_gpu as gpu;

/// The names most programs need.
pub mod prelude {
    pub use spmd_comm::Comm;
    pub use spmd_core::linear::{LinearModel, LinearRegression, Ridge};
    pub use spmd_core::{init_logging, Error, Float};
    pub use spmd_gpu::Queue;
}
