//! Which adapter this rank uses.

use crate::{Error, Result};

/// Environment variables that give this process's rank among the ranks of its node.
const LOCAL_RANK_VARS: &[&str] = &[
    "OMPI_COMM_WORLD_LOCAL_RANK", // Open MPI
    "MPI_LOCALRANKID",            // MPICH / Intel MPI (Hydra)
    "PMI_LOCAL_RANK",
    "PMIX_LOCAL_RANK",
    "SLURM_LOCALID", // srun
    "PALS_LOCAL_RANKID",
];

/// This process's rank on its node, from the launcher's environment (0 when not launched).
pub(crate) fn local_rank_from_env() -> usize {
    LOCAL_RANK_VARS
        .iter()
        .find_map(|v| std::env::var(v).ok()?.trim().parse().ok())
        .unwrap_or(0)
}

/// Environment variables that give this process's rank in the whole job.
#[cfg(feature = "gpu")]
const WORLD_RANK_VARS: &[&str] = &[
    "OMPI_COMM_WORLD_RANK",
    "PMI_RANK",
    "PMIX_RANK",
    "SLURM_PROCID",
];

/// This process's rank in the job, from the launcher's environment (0 when not launched).
#[cfg(feature = "gpu")]
pub(crate) fn world_rank_from_env() -> usize {
    WORLD_RANK_VARS
        .iter()
        .find_map(|v| std::env::var(v).ok()?.trim().parse().ok())
        .unwrap_or(0)
}

/// Parses an optional index variable such as `SPMD_DEVICE`.
pub(crate) fn index_from_env(name: &'static str) -> Result<Option<usize>> {
    match std::env::var(name) {
        Err(_) => Ok(None),
        Ok(v) if v.trim().is_empty() => Ok(None),
        Ok(v) => v.trim().parse().map(Some).map_err(|_| Error::InvalidEnv {
            name,
            value: v,
            expected: "a non-negative integer",
        }),
    }
}

/// Hardware GPUs first (discrete, integrated, virtual), software adapters only when nothing
/// else exists; so `local_rank % count` spreads ranks over real GPUs.
#[cfg(feature = "gpu")]
pub(crate) fn preference(device_type: wgpu::DeviceType) -> u8 {
    match device_type {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    }
}

/// Keeps the adapters whose name contains `WGPU_ADAPTER_NAME` (case-insensitive), if set.
#[cfg(feature = "gpu")]
pub(crate) fn name_filter() -> Option<String> {
    std::env::var("WGPU_ADAPTER_NAME")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|v| v.to_lowercase())
}

/// Picks `requested` or `local_rank % count`.
#[cfg(feature = "gpu")]
pub(crate) fn pick_index(
    requested: Option<usize>,
    local_rank: usize,
    names: &[String],
) -> Result<usize> {
    let count = names.len();
    match requested {
        Some(index) if index >= count => Err(Error::DeviceIndex {
            index,
            count,
            names: names.join(", "),
        }),
        Some(index) => Ok(index),
        None => Ok(local_rank % count.max(1)),
    }
}

#[cfg(all(test, feature = "gpu"))]
mod tests {
    use super::*;

    #[test]
    fn ranks_spread_over_adapters() -> Result<()> {
        let names: Vec<String> = vec!["gpu0".into(), "gpu1".into()];
        assert_eq!(pick_index(None, 3, &names)?, 1);
        assert_eq!(pick_index(Some(0), 3, &names)?, 0);
        let err = pick_index(Some(2), 0, &names).unwrap_err().to_string();
        assert!(
            err.contains("index 2") && err.contains("gpu0, gpu1"),
            "{err}"
        );
        Ok(())
    }

    #[test]
    fn hardware_before_software() {
        assert!(preference(wgpu::DeviceType::DiscreteGpu) < preference(wgpu::DeviceType::Cpu));
        assert!(preference(wgpu::DeviceType::IntegratedGpu) < preference(wgpu::DeviceType::Cpu));
    }
}
