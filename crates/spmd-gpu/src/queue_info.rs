//! What a queue is asked for and what it runs on: plain data, available with or without the
//! `gpu` feature.

use std::fmt;

use crate::selection::{index_from_env, local_rank_from_env};
use crate::Result;

/// How [`Queue::with_options`](crate::Queue::with_options) picks and uses an adapter.
#[derive(Debug, Clone, Default)]
pub struct QueueOptions {
    /// Adapter index (in preference order: hardware before software). `None`: `local_rank`
    /// modulo the number of adapters.
    pub device_index: Option<usize>,
    /// This process's rank on its node.
    pub local_rank: usize,
    /// Upper bound on rows per streamed block (the storage-binding limit also bounds it). Small
    /// values exercise the streaming path on small data.
    pub max_block_rows: Option<usize>,
}

impl QueueOptions {
    /// Options from the environment: `SPMD_DEVICE` (adapter index), the launcher's local rank
    /// (`OMPI_COMM_WORLD_LOCAL_RANK`, `MPI_LOCALRANKID`, `SLURM_LOCALID`, ...) and
    /// `SPMD_GPU_BLOCK_ROWS`.
    pub fn from_env() -> Result<Self> {
        Ok(Self {
            device_index: index_from_env("SPMD_DEVICE")?,
            local_rank: local_rank_from_env(),
            max_block_rows: index_from_env("SPMD_GPU_BLOCK_ROWS")?.filter(|&n| n > 0),
        })
    }
}

/// What a [`Queue`](crate::Queue) runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueInfo {
    /// Adapter name, e.g. `"llvmpipe (LLVM 15.0.6, 256 bits)"`.
    pub name: String,
    /// Graphics API (`Vulkan`, `Metal`, `Dx12`).
    pub backend: String,
    /// Discrete, integrated, virtual, software (`Cpu`) or other.
    pub device_type: String,
    /// Whether kernels can compute in f64.
    pub supports_f64: bool,
    /// Whether storage buffers can be mapped by the host (GPU-aware offload).
    pub mappable_storage: bool,
}

impl fmt::Display for QueueInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}, {}, f64 {})",
            self.name,
            self.backend,
            self.device_type,
            if self.supports_f64 { "yes" } else { "no" }
        )
    }
}

/// A queue's traffic since it was made: submissions, waits for the device, bytes written to
/// the device and bytes read back from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GpuStats {
    /// Command submissions.
    pub submits: u64,
    /// Waits for the device (after submissions and for mapped reads).
    pub waits: u64,
    /// Bytes written from the host into device buffers.
    pub uploaded_bytes: u64,
    /// Bytes the host read back from device or staging buffers.
    pub readback_bytes: u64,
}
