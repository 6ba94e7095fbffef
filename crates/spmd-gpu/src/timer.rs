//! Kernel time from timestamp queries, for `SPMD_GPU_STATS`: each compute pass writes a
//! timestamp at its start and end, copied where the host reads them when the queue is dropped.

use std::sync::Mutex;

/// One pass's timestamps: the query set and the buffer the host maps.
pub(crate) struct PassTimer {
    set: wgpu::QuerySet,
    resolve: wgpu::Buffer,
    readable: wgpu::Buffer,
}

/// The timestamps of every timed pass of a queue.
pub(crate) struct KernelTimer {
    passes: Mutex<Vec<(Option<&'static str>, wgpu::Buffer)>>,
    period_ns: f64,
}

impl KernelTimer {
    /// A timer where the device has timestamp queries, else `None`.
    pub(crate) fn new(device: &wgpu::Device, queue: &wgpu::Queue) -> Option<Self> {
        device
            .features()
            .contains(wgpu::Features::TIMESTAMP_QUERY)
            .then(|| Self {
                passes: Mutex::new(Vec::new()),
                period_ns: f64::from(queue.get_timestamp_period()),
            })
    }

    /// Query set and buffers for one pass.
    pub(crate) fn pass(&self, device: &wgpu::Device) -> PassTimer {
        use wgpu::BufferUsages as U;
        let buffer = |usage| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("pass timestamps"),
                size: 16,
                usage,
                mapped_at_creation: false,
            })
        };
        PassTimer {
            set: device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("pass timestamps"),
                ty: wgpu::QueryType::Timestamp,
                count: 2,
            }),
            resolve: buffer(U::QUERY_RESOLVE | U::COPY_SRC),
            readable: buffer(U::MAP_READ | U::COPY_DST),
        }
    }

    /// Records the copy of `pass`'s timestamps after the pass, and keeps them (with the
    /// queue's `phase` then) for [`Self::phase_ms`].
    pub(crate) fn finish(
        &self,
        pass: PassTimer,
        phase: Option<&'static str>,
        encoder: &mut wgpu::CommandEncoder,
    ) {
        encoder.resolve_query_set(&pass.set, 0..2, &pass.resolve, 0);
        encoder.copy_buffer_to_buffer(&pass.resolve, 0, &pass.readable, 0, 16);
        if let Ok(mut passes) = self.passes.lock() {
            passes.push((phase, pass.readable));
        }
    }

    /// Milliseconds the timed passes ran per phase (`None`: outside every phase), once the
    /// device has finished them; `None` when a buffer could not be read.
    pub(crate) fn phase_ms(
        &self,
        device: &wgpu::Device,
    ) -> Option<Vec<(Option<&'static str>, f64)>> {
        let passes = self.passes.lock().ok()?;
        for (_, buffer) in passes.iter() {
            buffer.slice(..).map_async(wgpu::MapMode::Read, |_| {});
        }
        device.poll(wgpu::PollType::wait_indefinitely()).ok()?;
        let mut per_phase: Vec<(Option<&'static str>, f64)> = Vec::new();
        for (phase, buffer) in passes.iter() {
            let view = buffer.slice(..).get_mapped_range().ok()?;
            let stamps: &[u64] = bytemuck::cast_slice(&view);
            let ms = stamps[1].saturating_sub(stamps[0]) as f64 * self.period_ns / 1e6;
            match per_phase.iter_mut().find(|(p, _)| p == phase) {
                Some((_, total)) => *total += ms,
                None => per_phase.push((*phase, ms)),
            }
        }
        Some(per_phase)
    }
}

impl PassTimer {
    /// The pass's timestamp writes.
    pub(crate) fn writes(&self) -> wgpu::ComputePassTimestampWrites<'_> {
        wgpu::ComputePassTimestampWrites {
            query_set: &self.set,
            beginning_of_pass_write_index: Some(0),
            end_of_pass_write_index: Some(1),
        }
    }
}
