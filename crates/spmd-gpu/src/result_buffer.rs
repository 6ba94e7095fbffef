//! Kernel output buffers and how their contents reach the host.

use crate::{Error, Queue, Readback, Result};

/// A kernel's output buffer and, for staged readback, its staging twin. Reused across blocks.
#[derive(Debug)]
pub(crate) struct ResultBuffer {
    device: wgpu::Buffer,
    staging: Option<wgpu::Buffer>,
}

impl ResultBuffer {
    pub(crate) fn new(queue: &Queue, label: &str, bytes: usize, mode: Readback) -> Result<Self> {
        use wgpu::BufferUsages as U;
        match mode {
            Readback::Mapped if !queue.info().mappable_storage => Err(Error::MappingUnsupported {
                adapter: queue.info().name.clone(),
            }),
            Readback::Mapped => Ok(Self {
                device: queue.storage_buffer(label, bytes, U::STORAGE | U::MAP_READ)?,
                staging: None,
            }),
            Readback::Staged => Ok(Self {
                device: queue.storage_buffer(label, bytes, U::STORAGE | U::COPY_SRC)?,
                staging: Some(queue.storage_buffer(label, bytes, U::MAP_READ | U::COPY_DST)?),
            }),
        }
    }

    /// A buffer the device copies into and the host maps: for results copied from elsewhere.
    pub(crate) fn copy_target(queue: &Queue, label: &str, bytes: usize) -> Result<Self> {
        use wgpu::BufferUsages as U;
        Ok(Self {
            device: queue.storage_buffer(label, bytes, U::MAP_READ | U::COPY_DST)?,
            staging: None,
        })
    }

    /// The buffer kernels write.
    pub(crate) fn binding(&self) -> &wgpu::Buffer {
        &self.device
    }

    /// Records the staging copy of the first `bytes` bytes (nothing when mapped directly).
    pub(crate) fn record_copy(&self, encoder: &mut wgpu::CommandEncoder, bytes: usize) {
        if let Some(staging) = &self.staging {
            encoder.copy_buffer_to_buffer(&self.device, 0, staging, 0, bytes as u64);
        }
    }

    /// The buffer the host maps.
    fn host_buffer(&self) -> &wgpu::Buffer {
        self.staging.as_ref().unwrap_or(&self.device)
    }

    /// Maps the first bytes of every result (`(result, bytes)`) once the submitted work has
    /// finished, with one wait for them all; each is then read with [`Self::read_mapped`].
    pub(crate) fn map_all(queue: &Queue, results: &[(&ResultBuffer, usize)]) -> Result<()> {
        let mut receivers = Vec::with_capacity(results.len());
        for &(result, bytes) in results {
            if result.staging.is_some() {
                queue.add_staged_bytes(bytes as u64);
            }
            queue.add_readback_bytes(bytes as u64);
            let (sender, receiver) = std::sync::mpsc::channel();
            let slice = result.host_buffer().slice(0..bytes as u64);
            slice.map_async(wgpu::MapMode::Read, move |outcome| {
                // The receiver waits below; a send error means it is gone, which cannot happen.
                let _ = sender.send(outcome);
            });
            receivers.push(receiver);
        }
        queue.wait(None)?;
        for receiver in receivers {
            receiver
                .recv()
                .map_err(|e| Error::Device(e.to_string()))?
                .map_err(|e| Error::Device(e.to_string()))?;
        }
        Ok(())
    }

    /// Hands the first `bytes` bytes, mapped by [`Self::map_all`], to `read`, and unmaps.
    pub(crate) fn read_mapped<T: bytemuck::Pod, R>(
        &self,
        bytes: usize,
        read: impl FnOnce(&[T]) -> R,
    ) -> Result<R> {
        let buffer = self.host_buffer();
        let result = {
            let view = buffer
                .slice(0..bytes as u64)
                .get_mapped_range()
                .map_err(|e| Error::Device(e.to_string()))?;
            read(bytemuck::cast_slice(&view))
        };
        buffer.unmap();
        Ok(result)
    }

    /// Maps the first `bytes` bytes after the submitted work finished, hands them to `read`,
    /// and unmaps.
    pub(crate) fn read<T: bytemuck::Pod, R>(
        &self,
        queue: &Queue,
        bytes: usize,
        read: impl FnOnce(&[T]) -> R,
    ) -> Result<R> {
        let buffer = self.staging.as_ref().unwrap_or(&self.device);
        if self.staging.is_some() {
            queue.add_staged_bytes(bytes as u64);
        }
        queue.add_readback_bytes(bytes as u64);
        let slice = buffer.slice(0..bytes as u64);
        let (sender, receiver) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |result| {
            // The receiver waits below; a send error means it is gone, which cannot happen.
            let _ = sender.send(result);
        });
        queue.wait(None)?;
        receiver
            .recv()
            .map_err(|e| Error::Device(e.to_string()))?
            .map_err(|e| Error::Device(e.to_string()))?;
        let result = {
            let view = slice
                .get_mapped_range()
                .map_err(|e| Error::Device(e.to_string()))?;
            read(bytemuck::cast_slice(&view))
        };
        buffer.unmap();
        Ok(result)
    }
}
