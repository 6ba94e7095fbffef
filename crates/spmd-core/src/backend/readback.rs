use spmd_comm::Offload;
use spmd_gpu::{Queue, Readback};

use crate::Result;

/// The readback `SPMD_OFFLOAD` asks for on this queue.
pub(crate) fn readback_for(queue: &Queue) -> Result<Readback> {
    let mappable = queue.info().mappable_storage;
    Ok(match Offload::from_env()? {
        Offload::HostStaging => Readback::Staged,
        Offload::GpuAware if !mappable => {
            return Err(spmd_gpu::Error::MappingUnsupported {
                adapter: queue.info().name.clone(),
            }
            .into())
        }
        Offload::GpuAware => Readback::Mapped,
        Offload::Auto if mappable => Readback::Mapped,
        Offload::Auto => {
            tracing::debug!(adapter = %queue.info().name, "storage buffers not mappable: host staging");
            Readback::Staged
        }
    })
}
