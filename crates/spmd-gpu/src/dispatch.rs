//! Recording and running compute passes: the plumbing every kernel shares (buffers, dispatch
//! sizes, the recorder of a submission).

/// Workgroup size every kernel declares.
pub(crate) const WORKGROUP: u32 = 64;

/// Workgroup counts `(x, y)` covering `invocations`, within the 65535-per-dimension limit.
pub(crate) fn dispatch_size(invocations: usize, max_per_dim: u32) -> (u32, u32) {
    let groups = invocations.div_ceil(WORKGROUP as usize).max(1);
    let max = max_per_dim.max(1) as usize;
    if groups <= max {
        (groups as u32, 1)
    } else {
        (max as u32, groups.div_ceil(max) as u32)
    }
}

/// Dispatches whose parameters one arena holds (more in one submission take a buffer each).
const ARENA_SLOTS: usize = 64;
/// The most bytes of parameters an arena slot holds (the largest kernel's are 16 words).
const SLOT_BYTES: usize = 64;
/// Arenas a queue keeps for reuse.
const KEPT_ARENAS: usize = 8;

/// One uniform buffer holding the parameters of up to [`ARENA_SLOTS`] dispatches of a
/// submission, each in its own slot (bound as a range of it), written once before the
/// submission; reused by a later submission once the device has finished this one.
pub(crate) struct ParamsArena {
    buffer: wgpu::Buffer,
    /// Bytes from one slot to the next: the adapter's uniform offset alignment, at least
    /// [`SLOT_BYTES`].
    stride: usize,
    /// Set when the device has finished the last submission that used the arena.
    idle: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// The host's image of the buffer, filled slot by slot and written before the submission.
    image: Vec<u8>,
}

impl ParamsArena {
    /// An idle arena of `queue`'s, or a new one.
    fn take(queue: &crate::Queue) -> crate::Result<Self> {
        use std::sync::atomic::Ordering;
        if let Ok(mut kept) = queue.params_arenas.lock() {
            if let Some(i) = kept.iter().position(|a| a.idle.load(Ordering::Acquire)) {
                return Ok(kept.swap_remove(i));
            }
        }
        let align = queue.limits.min_uniform_buffer_offset_alignment as usize;
        let stride = SLOT_BYTES.max(align).next_multiple_of(16);
        let buffer = queue.storage_buffer(
            "kernel params",
            stride * ARENA_SLOTS,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        )?;
        Ok(Self {
            buffer,
            stride,
            idle: std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true)),
            image: vec![0; stride * ARENA_SLOTS],
        })
    }

    /// Hands the arena back to `queue`, to be reused once the device has finished what was
    /// submitted so far (the submission that used it among them).
    fn give_back(self, queue: &crate::Queue) {
        use std::sync::atomic::Ordering;
        self.idle.store(false, Ordering::Release);
        let idle = std::sync::Arc::clone(&self.idle);
        queue
            .queue
            .on_submitted_work_done(move || idle.store(true, Ordering::Release));
        if let Ok(mut kept) = queue.params_arenas.lock() {
            if kept.len() < KEPT_ARENAS {
                kept.push(self);
            }
        }
    }
}

/// Records one dispatch of `pipeline` over `invocations`, binding `params` to binding 0 and
/// `buffers` to bindings `1, 2, ...` of group 0.
fn record_dispatch(
    queue: &crate::Queue,
    encoder: &mut wgpu::CommandEncoder,
    pipeline: &wgpu::ComputePipeline,
    (params, buffers): (wgpu::BufferBinding<'_>, &[&wgpu::Buffer]),
    invocations: usize,
) {
    let layout = pipeline.get_bind_group_layout(0);
    let mut entries = vec![wgpu::BindGroupEntry {
        binding: 0,
        resource: wgpu::BindingResource::Buffer(params),
    }];
    entries.extend(
        buffers
            .iter()
            .enumerate()
            .map(|(binding, buffer)| wgpu::BindGroupEntry {
                binding: binding as u32 + 1,
                resource: buffer.as_entire_binding(),
            }),
    );
    let bind_group = queue.device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &layout,
        entries: &entries,
    });
    let (x, y) = dispatch_size(
        invocations,
        queue.limits.max_compute_workgroups_per_dimension,
    );
    let timer = queue.timer.as_ref().map(|t| t.pass(&queue.device));
    let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
        label: None,
        timestamp_writes: timer.as_ref().map(crate::timer::PassTimer::writes),
    });
    pass.set_pipeline(pipeline);
    pass.set_bind_group(0, &bind_group, &[]);
    pass.dispatch_workgroups(x, y, 1);
    drop(pass);
    if let (Some(t), Some(pass)) = (queue.timer.as_ref(), timer) {
        t.finish(pass, queue.current_phase(), encoder);
    }
}

/// `Ok(())` where the shapes fit, otherwise [`crate::Error::Shape`] of `kernel` saying `message()`.
pub(crate) fn check_shapes(
    kernel: &'static str,
    fits: bool,
    message: impl FnOnce() -> String,
) -> crate::Result<()> {
    if fits {
        Ok(())
    } else {
        Err(crate::Error::Shape {
            kernel,
            message: message(),
        })
    }
}

/// Runs one dispatch of `pipeline` to completion: a uniform holding `params` at binding 0, then
/// `inputs`, then each result's buffer, over `invocations` invocations; the first `bytes` of
/// each result are then readable by the host.
pub(crate) fn run_dispatch(
    queue: &crate::Queue,
    pipeline: &wgpu::ComputePipeline,
    params: &[u32],
    inputs: &[&wgpu::Buffer],
    results: &[(&crate::result_buffer::ResultBuffer, usize)],
    invocations: usize,
) -> crate::Result<()> {
    let mut buffers = inputs.to_vec();
    buffers.extend(results.iter().map(|(result, _)| result.binding()));
    let mut recorder = Recorder::new(queue);
    recorder.dispatch(pipeline, params, &buffers, invocations)?;
    for (result, bytes) in results {
        recorder.copy(result, *bytes);
    }
    recorder.submit_and_wait()
}

/// How `shaders/reduce.wgsl` combines the partials.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Grouping {
    /// Every element is a compensated sum.
    Sums = 0,
    /// Groups of 4 vec4s: sums, sums of squares, minima, maxima.
    Moments = 1,
}

/// Dispatches recorded into one command encoder and submitted together: the way to chain
/// kernels over one block without a wait between them.
pub(crate) struct Recorder<'q> {
    queue: &'q crate::Queue,
    encoder: wgpu::CommandEncoder,
    /// The queue's staging memory, held from the first upload until the submission.
    staging: Option<std::sync::MutexGuard<'q, wgpu::util::StagingBelt>>,
    /// The dispatches' parameters: the arena and the slots used.
    params: Option<(ParamsArena, usize)>,
    /// Bytes of parameters the dispatches carry (what the uploads count of them).
    params_bytes: usize,
}

impl<'q> Recorder<'q> {
    pub(crate) fn new(queue: &'q crate::Queue) -> Self {
        Self {
            queue,
            encoder: queue.device.create_command_encoder(&Default::default()),
            staging: None,
            params: None,
            params_bytes: 0,
        }
    }

    /// Records an upload of rows `start..start + rows` of `[parts[0] | ...] - shift`, packed
    /// (one row every `stride` values of `R`) in parallel straight into the queue's staging
    /// memory, into `buffer`; adds the packed values to `sums` as [`crate::pack::pack_rows`]
    /// does. Returns the bytes uploaded.
    pub(crate) fn upload_rows<F: crate::HostFloat, R: crate::KernelFloat>(
        &mut self,
        buffer: &wgpu::Buffer,
        parts: &[ndarray::ArrayView2<'_, F>],
        shift: Option<&[f64]>,
        (start, rows, stride): (usize, usize, usize),
        sums: Option<&mut [f64]>,
    ) -> crate::Result<usize> {
        let bytes = rows * stride * std::mem::size_of::<R>();
        let Some(size) = wgpu::BufferSize::new(bytes as u64) else {
            return Ok(0);
        };
        let belt = match &mut self.staging {
            Some(belt) => belt,
            None => self.staging.insert(
                self.queue
                    .staging
                    .lock()
                    .map_err(|_| crate::Error::Device("staging lock poisoned".into()))?,
            ),
        };
        let mut view = belt.write_buffer(&mut self.encoder, buffer, 0, size);
        crate::pack::pack_rows_to_staging::<F, R>(
            parts,
            shift,
            start,
            stride,
            view.slice(..),
            sums,
        );
        drop(view);
        self.queue.count_upload(bytes);
        Ok(bytes)
    }

    /// Records a dispatch of `pipeline`: a uniform of `params` at binding 0, then `buffers`.
    /// The parameters take a slot of the submission's arena (written with the submission);
    /// past its slots, a buffer of their own.
    pub(crate) fn dispatch(
        &mut self,
        pipeline: &wgpu::ComputePipeline,
        params: &[u32],
        buffers: &[&wgpu::Buffer],
        invocations: usize,
    ) -> crate::Result<()> {
        let own;
        let binding = match (self.slot(params)?, self.params.as_ref()) {
            (Some((offset, size)), Some((arena, _))) => wgpu::BufferBinding {
                buffer: &arena.buffer,
                offset,
                size: wgpu::BufferSize::new(size),
            },
            _ => {
                own = uniform_buffer(self.queue, "kernel params", params)?;
                own.as_entire_buffer_binding()
            }
        };
        record_dispatch(
            self.queue,
            &mut self.encoder,
            pipeline,
            (binding, buffers),
            invocations,
        );
        Ok(())
    }

    /// Puts `params` in the next slot of the submission's arena (taking one first); returns
    /// the slot's offset and bound size, or `None` where they do not fit a slot or every slot
    /// is taken.
    fn slot(&mut self, params: &[u32]) -> crate::Result<Option<(u64, u64)>> {
        let bytes = std::mem::size_of_val(params);
        // A uniform struct's size is a multiple of 16 bytes.
        let size = bytes.max(16).next_multiple_of(16);
        if size > SLOT_BYTES {
            return Ok(None);
        }
        let (arena, used) = match &mut self.params {
            Some(held) => held,
            None => self.params.insert((ParamsArena::take(self.queue)?, 0)),
        };
        if *used == ARENA_SLOTS {
            return Ok(None);
        }
        let offset = *used * arena.stride;
        arena.image[offset..offset + bytes].copy_from_slice(bytemuck::cast_slice(params));
        // The rest of the bound size reads as zeros, as a buffer of its own would.
        arena.image[offset + bytes..offset + size].fill(0);
        *used += 1;
        self.params_bytes += bytes;
        Ok(Some((offset as u64, size as u64)))
    }

    /// Records adding `chunks` groups of `width` partials into `total` from element `at` on
    /// (`shaders/reduce.wgsl`; `first`: the first block, which starts the totals).
    pub(crate) fn reduce(
        &mut self,
        pipeline: &wgpu::ComputePipeline,
        (partials, total): (&wgpu::Buffer, &crate::result_buffer::ResultBuffer),
        (width, chunks, at): (usize, usize, usize),
        grouping: Grouping,
        first: bool,
    ) -> crate::Result<()> {
        let params = [
            width,
            chunks,
            grouping as usize,
            usize::from(first),
            at,
            0,
            0,
            0,
        ];
        let params = params.map(|v| v as u32);
        // One workgroup per element.
        let invocations = width * WORKGROUP as usize;
        self.dispatch(pipeline, &params, &[partials, total.binding()], invocations)
    }

    /// Records a copy of the first `bytes` of `from` into `to`.
    pub(crate) fn copy_buffer(&mut self, from: &wgpu::Buffer, to: &wgpu::Buffer, bytes: usize) {
        self.encoder
            .copy_buffer_to_buffer(from, 0, to, 0, bytes as u64);
    }

    /// Records setting the whole of `buffer` to zeros.
    pub(crate) fn clear(&mut self, buffer: &wgpu::Buffer) {
        self.encoder.clear_buffer(buffer, 0, None);
    }

    /// Records setting the first `bytes` of `buffer` (rounded up to 4) to zeros.
    pub(crate) fn clear_first(&mut self, buffer: &wgpu::Buffer, bytes: usize) {
        let size = (bytes as u64).next_multiple_of(wgpu::COPY_BUFFER_ALIGNMENT);
        self.encoder
            .clear_buffer(buffer, 0, Some(size.min(buffer.size())));
    }

    /// Records making the first `bytes` of `result` readable by the host.
    pub(crate) fn copy(&mut self, result: &crate::result_buffer::ResultBuffer, bytes: usize) {
        result.record_copy(&mut self.encoder, bytes);
    }

    /// Submits without waiting (see [`crate::Queue::submit_in_flight`]); `uploaded` is the
    /// bytes written for this submission.
    pub(crate) fn submit(self, uploaded: usize) -> crate::Result<()> {
        let queue = self.queue;
        self.submit_with(|encoder| queue.submit_in_flight(encoder, uploaded as u64))
    }

    /// The queue this records for.
    pub(crate) fn queue(&self) -> &'q crate::Queue {
        self.queue
    }

    /// Submits, then reads the first `bytes` of `result` (recorded with [`Self::copy`]) with
    /// `read` once the device has finished: one wait for both.
    pub(crate) fn submit_and_read<T: bytemuck::Pod, O>(
        self,
        result: &crate::result_buffer::ResultBuffer,
        bytes: usize,
        read: impl FnOnce(&[T]) -> O,
    ) -> crate::Result<O> {
        let queue = self.queue;
        self.submit_with(|encoder| queue.submit_unwaited(encoder))?;
        let out = result.read(queue, bytes, read);
        queue.settled(out)
    }

    /// Submits, then maps the first bytes of every result (recorded with [`Self::copy`]) once
    /// the device has finished: one wait for all; each is then read with
    /// [`crate::result_buffer::ResultBuffer::read_mapped`].
    pub(crate) fn submit_and_map(
        self,
        results: &[(&crate::result_buffer::ResultBuffer, usize)],
    ) -> crate::Result<()> {
        let queue = self.queue;
        self.submit_with(|encoder| queue.submit_unwaited(encoder))?;
        let mapped = crate::result_buffer::ResultBuffer::map_all(queue, results);
        queue.settled(mapped)
    }

    /// Submits and waits for the device to finish.
    pub(crate) fn submit_and_wait(self) -> crate::Result<()> {
        let queue = self.queue;
        self.submit_with(|encoder| queue.submit_and_wait(encoder))
    }

    /// Closes the staging chunks this submission copies from, submits with `submit`, and
    /// hands the chunks back to be reused once the device is done with them.
    fn submit_with(
        self,
        submit: impl FnOnce(wgpu::CommandEncoder) -> crate::Result<()>,
    ) -> crate::Result<()> {
        let Self {
            queue,
            encoder,
            mut staging,
            params,
            params_bytes,
        } = self;
        if let Some(belt) = staging.as_mut() {
            belt.finish();
        }
        if let Some((arena, used)) = &params {
            // Written before the submission's commands run.
            queue
                .queue
                .write_buffer(&arena.buffer, 0, &arena.image[..used * arena.stride]);
            queue.count_upload(params_bytes);
        }
        let submitted = submit(encoder);
        if let Some((arena, _)) = params {
            arena.give_back(queue);
        }
        if let Some(mut belt) = staging {
            belt.recall();
            // Lets chunks the device has finished with come back before the next upload.
            let _ = queue.device.poll(wgpu::PollType::Poll);
        }
        submitted
    }
}

/// Waits for everything submitted, then makes the first `bytes` of `total` readable by the
/// host: the end of a streamed pass whose totals stayed on the device.
pub(crate) fn settle(
    queue: &crate::Queue,
    total: &crate::result_buffer::ResultBuffer,
    bytes: usize,
) -> crate::Result<()> {
    let mut recorder = Recorder::new(queue);
    recorder.copy(total, bytes);
    recorder.submit_and_wait()
}

/// A uniform buffer holding `words`.
fn uniform_buffer(queue: &crate::Queue, label: &str, words: &[u32]) -> crate::Result<wgpu::Buffer> {
    let buffer = queue.storage_buffer(
        label,
        std::mem::size_of_val(words),
        wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
    )?;
    queue.write(&buffer, 0, bytemuck::cast_slice(words));
    Ok(buffer)
}

/// A storage buffer the host writes and kernels read.
pub(crate) fn input_buffer(
    queue: &crate::Queue,
    label: &str,
    bytes: usize,
) -> crate::Result<wgpu::Buffer> {
    queue.storage_buffer(
        label,
        bytes,
        wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each submission's parameters go in one arena, which the next submission reuses once
    /// the device has finished: after many waited submissions the queue holds one.
    #[test]
    fn submissions_reuse_one_arena_of_parameters() {
        let Some(queue) = crate::Queue::for_tests() else {
            return;
        };
        let x = ndarray::array![[1.0_f32, 10.0], [3.0, 30.0]];
        for shift in 0..5 {
            let centre = [f64::from(shift), 0.0];
            let y = crate::kernels::affine::affine(
                &queue,
                x.view(),
                &centre,
                &[1.0, 1.0],
                &[0.0, 0.0],
                crate::Readback::Staged,
            )
            .unwrap();
            // Each dispatch read its own parameters.
            assert_eq!(y[[1, 0]], 3.0 - f64::from(shift));
        }
        assert_eq!(queue.params_arenas.lock().unwrap().len(), 1);
    }

    #[test]
    fn dispatch_covers_every_invocation() {
        assert_eq!(dispatch_size(1, 65535), (1, 1));
        assert_eq!(dispatch_size(64 * 65535 + 1, 65535), (65535, 2));
        let (x, y) = dispatch_size(10_000_000, 65535);
        assert!(x as usize * y as usize * 64 >= 10_000_000);
    }
}
