//! [`Queue`]: one rank's GPU.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The next queue's [`Queue::id`].
static NEXT_QUEUE_ID: AtomicU64 = AtomicU64::new(0);

/// Loop iterations after which llvmpipe ends a shader's loops (`LP_MAX_TGSI_LOOP_ITERATIONS`).
const LLVMPIPE_LOOP_LIMIT: usize = 65_535;

pub use crate::queue_info::{GpuPrecision, GpuStats, QueueInfo, QueueOptions};
use crate::selection::{name_filter, pick_index, preference};
use crate::{Error, HostFloat, Precision, Result};

/// A kernel, its precision and the values of its pipeline-overridable constants.
type PipelineKey = (&'static str, Precision, Vec<(&'static str, u32)>);

/// One rank's GPU: adapter, device, queue and the compute pipelines built on it.
///
/// Pipelines are built on first use and cached, so a kernel call is buffer writes and a dispatch.
///
/// ```no_run
/// let queue = spmd_gpu::Queue::new()?;
/// println!("running on {}", queue.info());
/// # Ok::<(), spmd_gpu::Error>(())
/// ```
pub struct Queue {
    id: u64,
    pub(crate) device: wgpu::Device,
    pub(crate) queue: wgpu::Queue,
    pub(crate) limits: wgpu::Limits,
    info: QueueInfo,
    max_block_rows: Option<usize>,
    pipelines: Mutex<HashMap<PipelineKey, Arc<wgpu::ComputePipeline>>>,
    staged_bytes: AtomicU64,
    stats: Counters,
    /// The same counts per named phase ([`Self::phase`]).
    phases: crate::phase::Phases,
    timeout: std::time::Duration,
    /// `SPMD_GPU_PRECISION=f64`: f32 data computed in f64 too.
    all_f64: bool,
    /// Kernel time from timestamp queries (with `SPMD_GPU_STATS=1`, where the device has them).
    pub(crate) timer: Option<crate::timer::KernelTimer>,
    /// Submissions not yet waited for, with the bytes each uploaded.
    /// Staging memory for streamed rows: chunks the host packs into, reused once the device has
    /// copied out of them.
    pub(crate) staging: Mutex<wgpu::util::StagingBelt>,
    in_flight: Mutex<std::collections::VecDeque<(wgpu::SubmissionIndex, u64)>>,
    /// Uniform buffers of kernel parameters, each shared by the dispatches of one submission
    /// and reused once the device has finished that submission.
    pub(crate) params_arenas: Mutex<Vec<crate::dispatch::ParamsArena>>,
    /// The first error wgpu reported outside a call that returns one (validation, out of
    /// memory); the next submission returns it instead of wgpu's default handler panicking.
    device_error: Arc<Mutex<Option<String>>>,
}

impl fmt::Debug for Queue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue").field("info", &self.info).finish()
    }
}

impl Queue {
    /// This rank's GPU, chosen by [`QueueOptions::from_env`] (and `WGPU_BACKEND`,
    /// `WGPU_ADAPTER_NAME`).
    pub fn new() -> Result<Self> {
        Self::with_options(QueueOptions::from_env()?)
    }

    /// A queue on the adapter `options` pick.
    pub fn with_options(options: QueueOptions) -> Result<Self> {
        let descriptor = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
        let backends = descriptor.backends;
        let instance = wgpu::Instance::new(descriptor);
        let mut adapters = pollster::block_on(instance.enumerate_adapters(backends));
        if let Some(wanted) = name_filter() {
            adapters.retain(|a| a.get_info().name.to_lowercase().contains(&wanted));
        }
        adapters.sort_by_key(|a| preference(a.get_info().device_type));
        if adapters
            .first()
            .is_some_and(|a| a.get_info().device_type != wgpu::DeviceType::Cpu)
        {
            adapters.retain(|a| a.get_info().device_type != wgpu::DeviceType::Cpu);
        }
        if adapters.is_empty() {
            return Err(Error::NoAdapter(format!(
                "backends {backends:?}{}",
                name_filter()
                    .map(|n| format!(", WGPU_ADAPTER_NAME={n:?}"))
                    .unwrap_or_default()
            )));
        }
        let names: Vec<String> = adapters.iter().map(|a| a.get_info().name).collect();
        let index = pick_index(options.device_index, options.local_rank, &names)?;
        let adapter = adapters.swap_remove(index);
        Self::open(&adapter, &options)
    }

    fn open(adapter: &wgpu::Adapter, options: &QueueOptions) -> Result<Self> {
        let max_block_rows = options.max_block_rows;
        let timeout = timeout_from_env()?;
        let adapter_info = adapter.get_info();
        let mut wanted = wgpu::Features::SHADER_F64
            | wgpu::Features::MAPPABLE_PRIMARY_BUFFERS
            | wgpu::Features::SHADER_INT64;
        if !options.avoid_subgroups {
            wanted |= wgpu::Features::SUBGROUP;
        }
        if stats_requested() {
            // Kernel time for the stats line (timestamp queries cost a little per pass).
            wanted |= wgpu::Features::TIMESTAMP_QUERY;
        }
        let features = adapter.features() & wanted;
        let limits = adapter.limits();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("spmd-learn"),
            required_features: features,
            required_limits: limits.clone(),
            memory_hints: wgpu::MemoryHints::Performance,
            ..Default::default()
        }))
        .map_err(|e| Error::RequestDevice {
            adapter: adapter_info.name.clone(),
            message: e.to_string(),
        })?;
        let has_f64 = features.contains(wgpu::Features::SHADER_F64);
        if options.precision == GpuPrecision::F64 && !has_f64 {
            return Err(Error::InvalidEnv {
                name: "SPMD_GPU_PRECISION",
                value: "f64".into(),
                expected: "f32 or auto: this adapter has no f64 (SHADER_F64)",
            });
        }
        let device_type = format!("{:?}", adapter_info.device_type);
        let f64_kernels = options
            .precision
            .f64_kernels(has_f64, &adapter_info.name, &device_type);
        let info = QueueInfo {
            name: adapter_info.name,
            backend: format!("{:?}", adapter_info.backend),
            device_type,
            supports_f64: f64_kernels,
            mappable_storage: features.contains(wgpu::Features::MAPPABLE_PRIMARY_BUFFERS),
            subgroups: features.contains(wgpu::Features::SUBGROUP),
            subgroup_min_size: adapter_info.subgroup_min_size,
            int64: features.contains(wgpu::Features::SHADER_INT64),
        };
        tracing::debug!(adapter = %info, "opened GPU queue");
        let timer = stats_requested()
            .then(|| crate::timer::KernelTimer::new(&device, &queue))
            .flatten();
        let device_error = Arc::new(Mutex::new(None));
        let slot = Arc::clone(&device_error);
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            if let Ok(mut first) = slot.lock() {
                first.get_or_insert_with(|| e.to_string());
            }
        }));
        let staging = Mutex::new(wgpu::util::StagingBelt::new(
            device.clone(),
            STAGING_CHUNK_BYTES,
        ));
        Ok(Self {
            id: NEXT_QUEUE_ID.fetch_add(1, Ordering::Relaxed),
            device,
            queue,
            limits,
            info,
            max_block_rows,
            pipelines: Mutex::new(HashMap::new()),
            staged_bytes: AtomicU64::new(0),
            stats: Counters::default(),
            phases: crate::phase::Phases::default(),
            timeout,
            all_f64: options.precision == GpuPrecision::F64,
            timer,
            in_flight: Mutex::new(std::collections::VecDeque::new()),
            params_arenas: Mutex::new(Vec::new()),
            staging,
            device_error,
        })
    }

    /// What this queue runs on.
    pub fn info(&self) -> &QueueInfo {
        &self.info
    }

    /// A number no other queue made in this process has: what a cache of device buffers
    /// (such as a fitted search's training rows) is keyed by.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The precision kernels use for host data of type `F`: f64 for f64 data where the queue
    /// computes f64 in f64 ([`QueueInfo::supports_f64`]), f32 otherwise; f64 for every kernel
    /// with `SPMD_GPU_PRECISION=f64`.
    pub fn precision_for<F: HostFloat>(&self) -> Precision {
        let f64_data = std::mem::size_of::<F>() == 8;
        if self.info.supports_f64 && (f64_data || self.all_f64) {
            Precision::F64
        } else {
            Precision::F32
        }
    }

    /// Bytes copied into host staging buffers since the queue was made (host-staging readback);
    /// stays 0 when results are read straight from mapped device buffers.
    pub fn staged_bytes(&self) -> u64 {
        self.staged_bytes.load(Ordering::Relaxed)
    }

    pub(crate) fn add_staged_bytes(&self, bytes: u64) {
        self.staged_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Rows of `row_bytes` bytes that fit one storage binding.
    pub(crate) fn binding_rows(&self, row_bytes: usize) -> usize {
        (self.limits.max_storage_buffer_binding_size as usize) / row_bytes.max(1)
    }

    /// Rows per streamed block for rows of `row_bytes` bytes: `default_rows` on a software
    /// adapter (whose few cores gain from packing one block while the next is computed), and on
    /// a hardware GPU at least [`GPU_BLOCK_BYTES`], so a block's kernels take far longer than
    /// its submission; never more than one storage binding holds, nor `SPMD_GPU_BLOCK_ROWS`.
    pub(crate) fn block_rows(&self, row_bytes: usize, default_rows: usize) -> usize {
        let software = self.software();
        let limits = (self.binding_rows(row_bytes), self.max_block_rows);
        block_rows_for(software, limits, row_bytes, default_rows)
    }

    /// Whether the adapter is a CPU running the kernels in software (lavapipe): it runs a few
    /// hundred lanes at once, so kernels need far fewer invocations to keep it busy.
    pub(crate) fn software(&self) -> bool {
        self.info.device_type == "Cpu"
    }

    /// The most loop iterations, all loops together, that one invocation of a kernel may run
    /// here, where the adapter has such a limit: llvmpipe (lavapipe) ends every loop of a
    /// shader once its loops have iterated 65,535 times in all, silently. Half of that, for
    /// the loops a kernel's count does not name.
    pub(crate) fn loop_budget(&self) -> Option<usize> {
        self.info
            .name
            .starts_with("llvmpipe")
            .then_some(LLVMPIPE_LOOP_LIMIT / 2)
    }

    /// The pipeline of `kernel` at `precision`, built from `source` on first use.
    pub(crate) fn pipeline(
        &self,
        kernel: &'static str,
        precision: Precision,
        source: &str,
    ) -> Result<Arc<wgpu::ComputePipeline>> {
        self.specialised_pipeline(kernel, precision, source, &[])
    }

    /// The reduction of partials into device totals (`shaders/reduce.wgsl`): its lanes folded
    /// by subgroup shuffles where the adapter has subgroup operations, else in workgroup memory.
    pub(crate) fn reduce_pipeline(
        &self,
        precision: Precision,
    ) -> Result<Arc<wgpu::ComputePipeline>> {
        if self.info.subgroups {
            self.pipeline(
                "reduce_subgroup",
                precision,
                crate::shaders::REDUCE_SUBGROUP,
            )
        } else {
            self.pipeline(
                "reduce_workgroup",
                precision,
                crate::shaders::REDUCE_WORKGROUP,
            )
        }
    }

    /// [`Self::pipeline`] with its `override` constants set to `constants`: each distinct set of
    /// values is its own pipeline, built once, which lets the shader compiler unroll loops whose
    /// bounds are among them.
    pub(crate) fn specialised_pipeline(
        &self,
        kernel: &'static str,
        precision: Precision,
        source: &str,
        constants: &[(&'static str, u32)],
    ) -> Result<Arc<wgpu::ComputePipeline>> {
        let mut cache = self
            .pipelines
            .lock()
            .map_err(|_| Error::Device("pipeline cache lock poisoned".into()))?;
        let key = (kernel, precision, constants.to_vec());
        if let Some(p) = cache.get(&key) {
            return Ok(p.clone());
        }
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(kernel),
                source: wgpu::ShaderSource::Wgsl(precision.specialise(source).into()),
            });
        let values: Vec<(&str, f64)> = constants
            .iter()
            .map(|&(name, value)| (name, f64::from(value)))
            .collect();
        let pipeline = Arc::new(self.device.create_compute_pipeline(
            &wgpu::ComputePipelineDescriptor {
                label: Some(kernel),
                layout: None,
                module: &module,
                entry_point: Some("main"),
                compilation_options: wgpu::PipelineCompilationOptions {
                    constants: &values,
                    ..Default::default()
                },
                cache: None,
            },
        ));
        cache.insert(key, pipeline.clone());
        Ok(pipeline)
    }

    /// Storage buffer of `bytes` bytes (at least 16); an error, not a device fault, where that
    /// exceeds the device's limit for a buffer, or for a binding where kernels bind it whole.
    pub(crate) fn storage_buffer(
        &self,
        label: &str,
        bytes: usize,
        usage: wgpu::BufferUsages,
    ) -> Result<wgpu::Buffer> {
        let size = (bytes.max(16) as u64).next_multiple_of(wgpu::COPY_BUFFER_ALIGNMENT);
        let mut limit = self.limits.max_buffer_size;
        if usage.contains(wgpu::BufferUsages::STORAGE) {
            limit = limit.min(self.limits.max_storage_buffer_binding_size);
        }
        if usage.contains(wgpu::BufferUsages::UNIFORM) {
            limit = limit.min(self.limits.max_uniform_buffer_binding_size);
        }
        if size > limit {
            return Err(Error::Device(format!(
                "{label} needs a {:.2} GB buffer; {} allows {:.2} GB",
                size as f64 / 1e9,
                self.info.name,
                limit as f64 / 1e9
            )));
        }
        Ok(self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage,
            mapped_at_creation: false,
        }))
    }

    /// Writes `data` into `buffer` at `offset` (counted as uploaded).
    pub(crate) fn write(&self, buffer: &wgpu::Buffer, offset: u64, data: &[u8]) {
        self.count_upload(data.len());
        self.queue.write_buffer(buffer, offset, data);
    }

    /// Counts `bytes` written to the device (for [`Self::stats`]).
    pub(crate) fn count_upload(&self, bytes: usize) {
        self.stats
            .uploaded_bytes
            .fetch_add(bytes as u64, Ordering::Relaxed);
        self.phases.count(|s| s.uploaded_bytes += bytes as u64);
    }

    /// Counts what the queue does from now on under the phase `name` too (besides the
    /// totals), until the guard is dropped: `SPMD_GPU_STATS=1` prints a line per phase, and
    /// [`Self::phase_stats`] returns them. Phases nest: the outer one resumes when the inner
    /// guard drops.
    ///
    /// ```no_run
    /// let queue = spmd_gpu::Queue::new()?;
    /// {
    ///     let _init = queue.phase("init");
    ///     // ... kernels counted under `init` ...
    /// }
    /// assert!(queue.phase_stats().iter().any(|(name, _)| *name == "init"));
    /// # Ok::<(), spmd_gpu::Error>(())
    /// ```
    pub fn phase(&self, name: &'static str) -> crate::PhaseGuard<'_> {
        crate::PhaseGuard {
            previous: self.phases.enter(name),
            phases: Some(&self.phases),
        }
    }

    /// Each phase's traffic so far, in the order the phases first ran.
    pub fn phase_stats(&self) -> Vec<(&'static str, GpuStats)> {
        self.phases.snapshot()
    }

    /// The phase running now, if any (for the kernel timer).
    pub(crate) fn current_phase(&self) -> Option<&'static str> {
        self.phases.current()
    }

    /// Submits `encoder` and waits for the device to finish it; an error wgpu reported since
    /// the last submission (a buffer or dispatch it refused) is returned here.
    pub(crate) fn submit_and_wait(&self, encoder: wgpu::CommandEncoder) -> Result<()> {
        self.stats.submits.fetch_add(1, Ordering::Relaxed);
        self.phases.count(|s| s.submits += 1);
        let index = self.queue.submit([encoder.finish()]);
        if let Err(waited) = self.wait(Some(index)) {
            // A submission wgpu refused cannot be waited for: its reason is the error to give.
            self.reported_error()?;
            return Err(waited);
        }
        if let Ok(mut in_flight) = self.in_flight.lock() {
            // Everything submitted before has finished too.
            in_flight.clear();
        }
        self.reported_error()
    }

    /// Submits `encoder` without waiting: the read that follows waits (see
    /// [`crate::dispatch::Recorder::submit_and_read`]).
    pub(crate) fn submit_unwaited(&self, encoder: wgpu::CommandEncoder) -> Result<()> {
        self.stats.submits.fetch_add(1, Ordering::Relaxed);
        self.phases.count(|s| s.submits += 1);
        self.queue.submit([encoder.finish()]);
        if let Ok(mut in_flight) = self.in_flight.lock() {
            // The read after it waits for everything.
            in_flight.clear();
        }
        Ok(())
    }

    /// `outcome` of a read after [`Self::submit_unwaited`], or the error wgpu reported for the
    /// submission (a buffer or dispatch it refused), which explains a failed read best.
    pub(crate) fn settled<T>(&self, outcome: Result<T>) -> Result<T> {
        self.reported_error()?;
        outcome
    }

    /// Submits `encoder` without waiting for it, unless the submissions still in flight have
    /// uploaded more than [`MAX_BYTES_IN_FLIGHT`]: then it waits for all but this one.
    /// This bounds the memory wgpu holds for uploads while packing, upload and compute overlap;
    /// a stream of blocks waits once per that many bytes, not once per block.
    pub(crate) fn submit_in_flight(
        &self,
        encoder: wgpu::CommandEncoder,
        uploaded: u64,
    ) -> Result<()> {
        self.stats.submits.fetch_add(1, Ordering::Relaxed);
        self.phases.count(|s| s.submits += 1);
        let index = self.queue.submit([encoder.finish()]);
        let mut in_flight = self
            .in_flight
            .lock()
            .map_err(|_| Error::Device("in-flight list lock poisoned".into()))?;
        in_flight.push_back((index, uploaded));
        let bytes: u64 = in_flight.iter().map(|(_, b)| b).sum();
        // Over the limit: wait for everything but this submission, so the device drains while
        // the host packs the next blocks (one wait per MAX_BYTES_IN_FLIGHT of input).
        let drained = (bytes > MAX_BYTES_IN_FLIGHT && in_flight.len() > 1).then(|| {
            let newest = in_flight.pop_back();
            let older = in_flight.pop_back().map(|(index, _)| index);
            in_flight.clear();
            in_flight.extend(newest);
            older
        });
        drop(in_flight);
        if let Some(Some(index)) = drained {
            self.wait(Some(index))?;
        }
        self.reported_error()
    }

    /// The first error wgpu reported since the last call, as an error.
    fn reported_error(&self) -> Result<()> {
        match self.device_error.lock().ok().and_then(|mut e| e.take()) {
            Some(message) => Err(Error::Device(message)),
            None => Ok(()),
        }
    }

    /// Waits for the device (for submission `index`, or for everything), at most
    /// `SPMD_GPU_TIMEOUT`: a device that hangs becomes an error, not a hung rank.
    pub(crate) fn wait(&self, index: Option<wgpu::SubmissionIndex>) -> Result<()> {
        self.stats.waits.fetch_add(1, Ordering::Relaxed);
        self.phases.count(|s| s.waits += 1);
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: index,
                timeout: Some(self.timeout),
            })
            .map(|_| ())
            .map_err(|e| match e {
                wgpu::PollError::Timeout => Error::Device(format!(
                    "the GPU did not finish within {} s (SPMD_GPU_TIMEOUT)",
                    self.timeout.as_secs_f64()
                )),
                other => Error::Device(other.to_string()),
            })
    }

    /// Counts `bytes` read back to the host.
    pub(crate) fn add_readback_bytes(&self, bytes: u64) {
        self.stats
            .readback_bytes
            .fetch_add(bytes, Ordering::Relaxed);
        self.phases.count(|s| s.readback_bytes += bytes);
    }

    /// What this queue has done since it was made.
    pub fn stats(&self) -> GpuStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        GpuStats {
            submits: get(&self.stats.submits),
            waits: get(&self.stats.waits),
            uploaded_bytes: get(&self.stats.uploaded_bytes),
            readback_bytes: get(&self.stats.readback_bytes),
        }
    }
}

/// Bytes of uploads the submissions in flight may hold before [`Queue::submit_in_flight`]
/// waits for the oldest.
const MAX_BYTES_IN_FLIGHT: u64 = 256 << 20;

/// Bytes of one streamed block on a hardware GPU (see [`Queue::block_rows`]).
const GPU_BLOCK_BYTES: usize = 64 << 20;

/// [`Queue::block_rows`] on a `software` adapter or not, with `binding_rows` rows fitting one
/// binding and an optional cap.
fn block_rows_for(
    software: bool,
    (binding_rows, cap): (usize, Option<usize>),
    row_bytes: usize,
    default_rows: usize,
) -> usize {
    let wanted = if software {
        default_rows
    } else {
        default_rows.max(GPU_BLOCK_BYTES / row_bytes.max(1))
    };
    binding_rows
        .max(1)
        .min(wanted)
        .min(cap.unwrap_or(usize::MAX))
        .max(1)
}

/// Bytes of one staging chunk: small writes (centres, coefficients, parameters) share one, a
/// block of streamed rows gets a chunk of its own size, and chunks come back for reuse as the
/// device finishes copying them. wgpu zeroes a chunk when it makes it, so a large default
/// would cost every run that writes a few bytes.
const STAGING_CHUNK_BYTES: u64 = 1 << 20;

/// Counters of a queue's traffic, for [`Queue::stats`] and `SPMD_GPU_STATS`.
#[derive(Debug, Default)]
struct Counters {
    submits: AtomicU64,
    waits: AtomicU64,
    uploaded_bytes: AtomicU64,
    readback_bytes: AtomicU64,
}

impl Drop for Queue {
    /// With `SPMD_GPU_STATS=1`, prints this rank's line of [`GpuStats`] to stderr, then one
    /// line per phase ([`Queue::phase`]) in the same form with `phase=NAME` after the rank.
    fn drop(&mut self) {
        if stats_requested() {
            let kernel_ms = self.timer.as_ref().and_then(|t| t.phase_ms(&self.device));
            let rank = crate::selection::world_rank_from_env();
            let line = |phase: Option<&str>, s: GpuStats| {
                let ms = kernel_ms
                    .as_ref()
                    .map(|per_phase| {
                        per_phase
                            .iter()
                            .filter(|(p, _)| phase.is_none() || *p == phase)
                            .fold(0.0, |total, (_, ms)| total + ms)
                    })
                    .map_or_else(|| "na".to_string(), |ms| format!("{ms:.3}"));
                let phase = phase.map(|p| format!(" phase={p}")).unwrap_or_default();
                eprintln!(
                    "gpu stats: rank={rank}{phase} submits={} waits={} uploaded_bytes={} readback_bytes={} kernel_ms={ms}",
                    s.submits, s.waits, s.uploaded_bytes, s.readback_bytes
                );
            };
            line(None, self.stats());
            for (name, stats) in self.phase_stats() {
                line(Some(name), stats);
            }
        }
    }
}

/// Whether `SPMD_GPU_STATS=1` asks for the stats line.
fn stats_requested() -> bool {
    std::env::var("SPMD_GPU_STATS").is_ok_and(|v| v.trim() == "1")
}

/// `SPMD_GPU_TIMEOUT` (seconds; default 600): how long a rank waits for its GPU.
fn timeout_from_env() -> Result<std::time::Duration> {
    match std::env::var("SPMD_GPU_TIMEOUT") {
        Err(_) => Ok(std::time::Duration::from_secs(600)),
        Ok(v) => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(std::time::Duration::from_secs_f64)
            .ok_or(Error::InvalidEnv {
                name: "SPMD_GPU_TIMEOUT",
                value: v,
                expected: "a positive number of seconds",
            }),
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn blocks_are_large_on_hardware_gpus_and_bounded_everywhere() {
        let row = 32 * 8;
        // Software adapters keep the kernel's default; hardware GPUs take 64 MB blocks.
        assert_eq!(block_rows_for(true, (1 << 30, None), row, 1 << 16), 1 << 16);
        assert_eq!(
            block_rows_for(false, (1 << 30, None), row, 1 << 16),
            (64 << 20) / row
        );
        // The binding limit and SPMD_GPU_BLOCK_ROWS bound both.
        assert_eq!(block_rows_for(false, (1000, None), row, 1 << 16), 1000);
        assert_eq!(block_rows_for(false, (1 << 30, Some(37)), row, 1 << 16), 37);
        assert_eq!(block_rows_for(true, (0, None), row, 1 << 16), 1);
    }
    use super::*;

    #[test]
    fn a_buffer_over_the_device_limit_is_an_error_not_a_fault() {
        let Some(queue) = Queue::for_tests() else {
            return;
        };
        let too_big = usize::try_from(queue.limits.max_buffer_size)
            .unwrap_or(usize::MAX)
            .saturating_add(4096);
        let err = queue
            .storage_buffer("huge", too_big, wgpu::BufferUsages::STORAGE)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("huge needs a"), "{err}");
        // The queue still works afterwards.
        let encoder = queue.device.create_command_encoder(&Default::default());
        assert!(queue.submit_and_wait(encoder).is_ok());
    }
}
