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
    /// The precision kernels compute in (`SPMD_GPU_PRECISION`).
    pub precision: GpuPrecision,
    /// Keep to workgroup memory even where the adapter has subgroup operations
    /// (`SPMD_GPU_SUBGROUPS=0`); both ways give the same results to rounding.
    pub avoid_subgroups: bool,
}

/// The precision kernels compute in, chosen by `SPMD_GPU_PRECISION`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GpuPrecision {
    /// f64 data in f64 where the adapter's f64 is fast (CPU adapters, data-centre GPUs), f32
    /// otherwise (with the partials combined in f64 or with compensated sums); f32 data in f32.
    #[default]
    Auto,
    /// Every kernel in f32: half the upload of f64 data, about 1e-6 relative accuracy.
    F32,
    /// Every kernel in f64 (an error where the adapter has no f64).
    F64,
}

impl GpuPrecision {
    /// `SPMD_GPU_PRECISION`: `f32`, `f64` or `auto` (the default).
    pub fn from_env() -> Result<Self> {
        match std::env::var("SPMD_GPU_PRECISION") {
            Err(_) => Ok(Self::Auto),
            Ok(v) => match v.trim().to_ascii_lowercase().as_str() {
                "" | "auto" => Ok(Self::Auto),
                "f32" => Ok(Self::F32),
                "f64" => Ok(Self::F64),
                _ => Err(crate::Error::InvalidEnv {
                    name: "SPMD_GPU_PRECISION",
                    value: v,
                    expected: "f32, f64 or auto",
                }),
            },
        }
    }

    /// Whether f64 data compute in f64 on an adapter `name` of type `device_type` that has
    /// f64 (`has_f64`). Auto trusts CPU adapters and data-centre GPUs, whose f64 runs at half
    /// the f32 rate or better; consumer GPUs run it at 1/16 to 1/64.
    pub fn f64_kernels(self, has_f64: bool, name: &str, device_type: &str) -> bool {
        const FAST_F64: &[&str] = &[
            "a100",
            "h100",
            "h200",
            "h800",
            "b100",
            "b200",
            "gh200",
            "v100",
            "mi100",
            "mi210",
            "mi250",
            "mi300",
            "ponte vecchio",
            "max 1",
        ];
        let name = name.to_lowercase();
        match self {
            Self::F32 => false,
            Self::F64 => has_f64,
            Self::Auto => {
                has_f64 && (device_type == "Cpu" || FAST_F64.iter().any(|n| name.contains(n)))
            }
        }
    }
}

impl QueueOptions {
    /// Options from the environment: `SPMD_DEVICE` (adapter index), the launcher's local rank
    /// (`OMPI_COMM_WORLD_LOCAL_RANK`, `MPI_LOCALRANKID`, `SLURM_LOCALID`, ...) and
    /// `SPMD_GPU_BLOCK_ROWS`, `SPMD_GPU_PRECISION` and `SPMD_GPU_SUBGROUPS`.
    pub fn from_env() -> Result<Self> {
        Ok(Self {
            device_index: index_from_env("SPMD_DEVICE")?,
            local_rank: local_rank_from_env(),
            max_block_rows: index_from_env("SPMD_GPU_BLOCK_ROWS")?.filter(|&n| n > 0),
            precision: GpuPrecision::from_env()?,
            avoid_subgroups: std::env::var("SPMD_GPU_SUBGROUPS").is_ok_and(|v| v.trim() == "0"),
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
    /// Whether f64 data are computed in f64 on this queue: the adapter has f64 and
    /// `SPMD_GPU_PRECISION` chooses it (see [`GpuPrecision`]).
    pub supports_f64: bool,
    /// Whether storage buffers can be mapped by the host (GPU-aware offload).
    pub mappable_storage: bool,
    /// Whether kernels use subgroup operations: the adapter has them and
    /// `SPMD_GPU_SUBGROUPS=0` does not turn them off.
    pub subgroups: bool,
    /// The fewest lanes a subgroup of this adapter has (0 where unknown).
    pub subgroup_min_size: u32,
    /// Whether kernels may use 64-bit integers (`SHADER_INT64`): the random draws of k-means++
    /// seeding then take one multiply where they otherwise take several.
    pub int64: bool,
}

impl fmt::Display for QueueInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}, {}, f64 {}, subgroups {})",
            self.name,
            self.backend,
            self.device_type,
            if self.supports_f64 { "yes" } else { "no" },
            if self.subgroups { "yes" } else { "no" }
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

/// One Lloyd step's totals for this rank's rows: per-cluster sums of the rows (as uploaded,
/// that is less the rows' shift), row counts, and how many rows changed cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct LloydTotals {
    /// `k x d` sums of the shifted rows of each cluster.
    pub sums: ndarray::Array2<f64>,
    /// Rows in each cluster.
    pub counts: Vec<f64>,
    /// Rows whose label changed in this step.
    pub changed: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_trusts_cpu_adapters_and_data_centre_gpus_with_f64() {
        let auto = GpuPrecision::Auto;
        assert!(auto.f64_kernels(true, "llvmpipe (LLVM 15.0.6, 256 bits)", "Cpu"));
        assert!(auto.f64_kernels(true, "NVIDIA H200", "DiscreteGpu"));
        assert!(!auto.f64_kernels(true, "NVIDIA GeForce RTX 4090", "DiscreteGpu"));
        assert!(!auto.f64_kernels(false, "NVIDIA H200", "DiscreteGpu"));
        assert!(!GpuPrecision::F32.f64_kernels(true, "NVIDIA H200", "DiscreteGpu"));
        assert!(GpuPrecision::F64.f64_kernels(true, "NVIDIA GeForce RTX 4090", "DiscreteGpu"));
    }
}
