//! Nearest-centre assignment and distances to every centre for k-means, over row blocks.

use ndarray::{Array2, ArrayView2};

use super::{check_shapes, input_buffer, run_dispatch, Grouping, Recorder};
use crate::pack::{pack_rows, pack_rows_parallel};
pub use crate::queue_info::LloydTotals;
use crate::result_buffer::ResultBuffer;
use crate::DeviceRows;
use crate::{HostFloat, KernelFloat, Precision, Queue, Readback, Result};

const NAME: &str = "kmeans_assign";
const DISTANCES: &str = "kmeans_distances";
const DEFAULT_BLOCK_ROWS: usize = 1 << 16;
/// The widest rows (in vec4s) the assignment kernel keeps in registers (`MAX_ROW_WIDTH4` in
/// `kmeans_assign.wgsl`).
const MAX_CACHED_WIDTH4: usize = 16;
/// The most centre vec4s its uniform buffer holds (`MAX_SMALL_CENTRES`).
const MAX_SMALL_CENTRES: usize = 512;

/// The nearest centre (row of `centres`, `k x d`) of each row of `x`, computed on the GPU.
/// Ties go to the lowest label.
///
/// Rows and centres are shifted by `shift` (near the data's mean) before they reach the device,
/// which leaves distances unchanged and keeps f32 accurate. Iterative callers upload the rows
/// once with [`DeviceRows::upload_shifted`] and call [`assign_resident`] instead.
pub fn assign<F: HostFloat>(
    queue: &Queue,
    x: ArrayView2<'_, F>,
    centres: ArrayView2<'_, f64>,
    shift: &[f64],
    readback: Readback,
) -> Result<Vec<u32>> {
    check_centres(NAME, x.ncols(), centres, Some(shift))?;
    let rows = DeviceRows::upload_shifted(queue, x, Some(shift))?;
    assign_resident(queue, &rows, centres, readback)
}

/// [`assign`] for rows already on the device; the centres are shifted by the rows' shift. Every
/// block is dispatched in one submission and the labels (4 bytes a row) are read back once.
pub fn assign_resident(
    queue: &Queue,
    x: &DeviceRows,
    centres: ArrayView2<'_, f64>,
    readback: Readback,
) -> Result<Vec<u32>> {
    check_centres(NAME, x.cols(), centres, None)?;
    match x.precision() {
        Precision::F32 => run::<f32>(queue, x, centres, readback),
        Precision::F64 => run::<f64>(queue, x, centres, readback),
    }
}

fn run<R: KernelFloat>(
    queue: &Queue,
    x: &DeviceRows,
    centres: ArrayView2<'_, f64>,
    readback: Readback,
) -> Result<Vec<u32>> {
    let (k, w4) = (centres.nrows(), x.k4);
    let mut labels = Vec::with_capacity(x.rows());
    let mut packed_centres = vec![R::default(); k * w4 * 4];
    pack_rows(
        &[centres],
        Some(x.shift()),
        0,
        k,
        w4 * 4,
        &mut packed_centres,
        None,
    );
    let assignment = Assignment::new(queue, x, k, &packed_centres)?;
    // Blocks in groups whose labels fit one buffer binding (all of them, but on huge inputs).
    let group_rows = queue.block_rows(4, usize::MAX).min(x.rows()).max(1);
    let result = ResultBuffer::new(queue, "kmeans labels", group_rows * 4, readback)?;
    // The kernel's record of moved rows, unused here.
    let no_moves = queue.storage_buffer("kmeans moved rows", 16, wgpu::BufferUsages::STORAGE)?;
    let mut blocks = x.blocks.iter().peekable();
    while blocks.peek().is_some() {
        let mut recorder = Recorder::new(queue);
        let mut filled = 0;
        while let Some(block) = blocks.next_if(|b| filled + b.rows <= group_rows || filled == 0) {
            let params = [
                block.rows as u32,
                w4 as u32,
                k as u32,
                filled as u32,
                0,
                0,
                0,
                0,
            ];
            let (centres, small_centres) = (&assignment.centres, &assignment.small_centres);
            let bindings = [
                &block.buffer,
                centres,
                result.binding(),
                &no_moves,
                small_centres,
            ];
            recorder.dispatch(&assignment.pipeline, &params, &bindings, block.rows)?;
            filled += block.rows;
        }
        recorder.copy(&result, filled * 4);
        recorder.submit_and_wait()?;
        result.read::<u32, _>(queue, filled * 4, |found| labels.extend_from_slice(found))?;
    }
    Ok(labels)
}

/// The squared distance of each row of `x` to every row of `centres` (`k x d`), `n x k`, computed
/// on the GPU block by block as sums of squared differences of the rows and centres less `shift`
/// (near the data, which keeps f32 accurate).
///
/// ```no_run
/// use ndarray::array;
/// use spmd_gpu::{kernels::kmeans::squared_distances, Queue, Readback};
///
/// let queue = Queue::new()?;
/// let x = array![[0.0_f32, 0.0], [3.0, 4.0]];
/// let centres = array![[0.0, 0.0]];
/// let d = squared_distances(&queue, x.view(), centres.view(), &[0.0, 0.0], Readback::Staged)?;
/// assert_eq!(d, array![[0.0], [25.0]]);
/// # Ok::<(), spmd_gpu::Error>(())
/// ```
pub fn squared_distances<F: HostFloat>(
    queue: &Queue,
    x: ArrayView2<'_, F>,
    centres: ArrayView2<'_, f64>,
    shift: &[f64],
    readback: Readback,
) -> Result<Array2<f64>> {
    check_centres(DISTANCES, x.ncols(), centres, Some(shift))?;
    match queue.precision_for::<F>() {
        Precision::F32 => run_distances::<F, f32>(queue, x, centres, shift, readback),
        Precision::F64 => run_distances::<F, f64>(queue, x, centres, shift, readback),
    }
}

fn run_distances<F: HostFloat, R: KernelFloat>(
    queue: &Queue,
    x: ArrayView2<'_, F>,
    centres: ArrayView2<'_, f64>,
    shift: &[f64],
    readback: Readback,
) -> Result<Array2<f64>> {
    let (rows, k, w4) = (x.nrows(), centres.nrows(), x.ncols().div_ceil(4).max(1));
    let mut out = Array2::zeros((rows, k));
    if rows == 0 || k == 0 {
        return Ok(out);
    }
    let elem = std::mem::size_of::<R>();
    let block_rows = queue
        .block_rows(w4 * 4 * elem, DEFAULT_BLOCK_ROWS)
        .min(queue.block_rows(k * elem, DEFAULT_BLOCK_ROWS))
        .min((u32::MAX as usize / k).max(1))
        .min(rows);
    let precision = queue.precision_for::<F>();
    let pipeline = queue.pipeline(DISTANCES, precision, crate::shaders::KMEANS_DISTANCES)?;
    let mut packed_centres = vec![R::default(); k * w4 * 4];
    pack_rows(
        &[centres],
        Some(shift),
        0,
        k,
        w4 * 4,
        &mut packed_centres,
        None,
    );
    let centre_buffer = input_buffer(queue, "kmeans centres", packed_centres.len() * elem)?;
    queue.write(&centre_buffer, 0, bytemuck::cast_slice(&packed_centres));
    let x_buffer = input_buffer(queue, "kmeans rows", block_rows * w4 * 4 * elem)?;
    let result = ResultBuffer::new(queue, "kmeans distances", block_rows * k * elem, readback)?;
    let mut host_rows = vec![R::default(); block_rows * w4 * 4];

    for start in (0..rows).step_by(block_rows) {
        let n = block_rows.min(rows - start);
        pack_rows_parallel(&[x], Some(shift), start, n, w4 * 4, &mut host_rows, None);
        queue.write(&x_buffer, 0, bytemuck::cast_slice(&host_rows[..n * w4 * 4]));
        let bytes = n * k * elem;
        run_dispatch(
            queue,
            &pipeline,
            &[n as u32, w4 as u32, k as u32, 0],
            &[&x_buffer, &centre_buffer],
            &[(&result, bytes)],
            n * k,
        )?;
        result.read::<R, _>(queue, bytes, |d| {
            let block = out.slice_mut(ndarray::s![start..start + n, ..]);
            for (o, v) in block.into_iter().zip(d) {
                *o = KernelFloat::to_f64(*v).max(0.0);
            }
        })?;
    }
    Ok(out)
}

/// The assignment kernel for `x`'s rows and `k` centres, and its centres.
struct Assignment {
    pipeline: std::sync::Arc<wgpu::ComputePipeline>,
    /// The centres in storage (the general kernel), or a placeholder.
    centres: wgpu::Buffer,
    /// The centres in a uniform buffer (the kernel specialised to the row width), or a
    /// placeholder.
    small_centres: wgpu::Buffer,
}

impl Assignment {
    /// Specialised to the row width where rows fit in registers and the centres (`packed`,
    /// `k x` the rows' padded width) in the uniform buffer; the general kernel otherwise.
    fn new<R: KernelFloat>(queue: &Queue, x: &DeviceRows, k: usize, packed: &[R]) -> Result<Self> {
        use wgpu::BufferUsages as U;
        let source = crate::shaders::KMEANS_ASSIGN;
        let elem = std::mem::size_of::<R>();
        let small_bytes = MAX_SMALL_CENTRES * 4 * elem;
        let bytes = std::mem::size_of_val(packed);
        let uniform =
            |bytes| queue.storage_buffer("kmeans centres", bytes, U::UNIFORM | U::COPY_DST);
        if x.k4 <= MAX_CACHED_WIDTH4 && k * x.k4 <= MAX_SMALL_CENTRES {
            let width = ("ROW_WIDTH4", x.k4 as u32);
            let small_centres = uniform(small_bytes)?;
            queue.write(&small_centres, 0, bytemuck::cast_slice(packed));
            Ok(Self {
                pipeline: queue.specialised_pipeline(NAME, x.precision(), source, &[width])?,
                centres: input_buffer(queue, "kmeans centres placeholder", 4 * elem)?,
                small_centres,
            })
        } else {
            let centres = input_buffer(queue, "kmeans centres", bytes)?;
            queue.write(&centres, 0, bytemuck::cast_slice(packed));
            Ok(Self {
                pipeline: queue.pipeline(NAME, x.precision(), source)?,
                centres,
                small_centres: uniform(small_bytes)?,
            })
        }
    }
}

/// Errors unless there are centres, of the rows' width `cols` (and so is `shift`, if given).
fn check_centres(
    kernel: &'static str,
    cols: usize,
    centres: ArrayView2<'_, f64>,
    shift: Option<&[f64]>,
) -> Result<()> {
    let fits = centres.ncols() == cols && centres.nrows() > 0;
    check_shapes(
        kernel,
        fits && shift.is_none_or(|s| s.len() == cols),
        || {
            format!(
                "x has {cols} columns, centres {} x {}, shift {:?}",
                centres.nrows(),
                centres.ncols(),
                shift.map(<[f64]>::len)
            )
        },
    )
}

/// Clusters a [`LloydStep`] handles on the device (its kernel keeps one accumulator each).
pub const MAX_DEVICE_CLUSTERS: usize = 32;
/// Rows one invocation of the per-cluster sums adds.
const SUMS_CHUNK_ROWS: usize = 256;

/// Lloyd steps on resident rows with the labels kept on the device: each step is one
/// submission that assigns every row, adds the rows of each cluster (compensated, on the
/// device) and reads back only the `k x d` sums, the counts and the changed count.
///
/// The first step sums every row; later ones sum only the rows whose label changed (added to
/// their new cluster, taken from their old one), and the totals are kept here in f64.
pub struct LloydStep {
    k: usize,
    labels: wgpu::Buffer,
    previous: wgpu::Buffer,
    /// One bit per row, set by the assignment where the row's label changed.
    moved: wgpu::Buffer,
    partial_sums: wgpu::Buffer,
    partial_counts: wgpu::Buffer,
    /// The sums and counts of the last step's clusters (shifted rows), in f64; `None` before
    /// the first step, which sums every row and counts each as changed.
    running: Option<LloydTotals>,
    /// The step's totals: the sums' (sum, compensation) pairs, then the counts' and the
    /// changed count's.
    totals: ResultBuffer,
}

impl LloydStep {
    /// State for steps over `x` with `k` centres; `None` where the device cannot take them
    /// (more than [`MAX_DEVICE_CLUSTERS`] centres, or labels beyond one binding).
    pub fn new(
        queue: &Queue,
        x: &DeviceRows,
        k: usize,
        readback: Readback,
    ) -> Result<Option<Self>> {
        let n = x.rows();
        if k == 0 || k > MAX_DEVICE_CLUSTERS || n == 0 || queue.binding_rows(4) < n {
            return Ok(None);
        }
        use wgpu::BufferUsages as U;
        let elem = x.precision().bytes();
        let largest = x.blocks.iter().map(|b| b.rows).max().unwrap_or(0);
        let chunks = largest.div_ceil(SUMS_CHUNK_ROWS);
        let labels = queue.storage_buffer("kmeans labels", n * 4, U::STORAGE | U::COPY_SRC)?;
        let previous =
            queue.storage_buffer("kmeans previous labels", n * 4, U::STORAGE | U::COPY_DST)?;
        let moved_bytes = n.div_ceil(32) * 4;
        let moved =
            queue.storage_buffer("kmeans moved rows", moved_bytes, U::STORAGE | U::COPY_DST)?;
        let partial_sums = queue.storage_buffer(
            "kmeans partial sums",
            chunks * x.k4 * k * 4 * elem,
            U::STORAGE,
        )?;
        let partial_counts =
            queue.storage_buffer("kmeans partial counts", chunks * (k + 1) * elem, U::STORAGE)?;
        let totals_bytes = (x.k4 * k * 4 + k + 1) * 2 * elem;
        let totals = ResultBuffer::new(queue, "kmeans totals", totals_bytes, readback)?;
        Ok(Some(Self {
            k,
            labels,
            previous,
            moved,
            partial_sums,
            partial_counts,
            totals,
            running: None,
        }))
    }

    /// One step with `centres` (`k x d`, unshifted).
    pub fn step(
        &mut self,
        queue: &Queue,
        x: &DeviceRows,
        centres: ArrayView2<'_, f64>,
    ) -> Result<LloydTotals> {
        check_centres(NAME, x.cols(), centres, None)?;
        check_shapes(NAME, centres.nrows() == self.k, || {
            format!("{} centres, not {}", centres.nrows(), self.k)
        })?;
        match x.precision() {
            Precision::F32 => self.run::<f32>(queue, x, centres),
            Precision::F64 => self.run::<f64>(queue, x, centres),
        }
    }

    fn run<R: KernelFloat>(
        &mut self,
        queue: &Queue,
        x: &DeviceRows,
        centres: ArrayView2<'_, f64>,
    ) -> Result<LloydTotals> {
        let (k, w4, elem) = (self.k, x.k4, std::mem::size_of::<R>());
        let mut packed = vec![R::default(); k * w4 * 4];
        pack_rows(&[centres], Some(x.shift()), 0, k, w4 * 4, &mut packed, None);
        let assignment = Assignment::new(queue, x, k, &packed)?;
        let sums = queue.pipeline("kmeans_sums", x.precision(), crate::shaders::KMEANS_SUMS)?;
        let reduce = queue.reduce_pipeline(x.precision())?;
        let (sum_elems, count_elems) = (w4 * k * 4, k + 1);
        let mut recorder = Recorder::new(queue);
        let first_step = usize::from(self.running.is_none());
        recorder.clear(&self.moved);
        for (b, block) in x.blocks.iter().enumerate() {
            let (first, n) = (block.start as u32, block.rows);
            let record = 1 - first_step as u32;
            recorder.dispatch(
                &assignment.pipeline,
                &[n as u32, w4 as u32, k as u32, first, record, 0, 0, 0],
                &[
                    &block.buffer,
                    &assignment.centres,
                    &self.labels,
                    &self.moved,
                    &assignment.small_centres,
                ],
                n,
            )?;
            let chunks = n.div_ceil(SUMS_CHUNK_ROWS);
            let params = [
                n,
                w4,
                k,
                block.start,
                SUMS_CHUNK_ROWS,
                chunks,
                first_step,
                0,
            ];
            let params = params.map(|v| v as u32);
            recorder.dispatch(
                &sums,
                &params,
                &[
                    &block.buffer,
                    &self.labels,
                    &self.previous,
                    &self.moved,
                    &self.partial_sums,
                    &self.partial_counts,
                ],
                chunks * w4,
            )?;
            // Sums, then counts and the changed count, in one total read back once.
            let (first, sums) = (b == 0, (&self.partial_sums, &self.totals));
            recorder.reduce(&reduce, sums, (sum_elems, chunks, 0), Grouping::Sums, first)?;
            let counts = (&self.partial_counts, &self.totals);
            let sizes = (count_elems, chunks, sum_elems);
            recorder.reduce(&reduce, counts, sizes, Grouping::Sums, first)?;
        }
        recorder.copy_buffer(&self.labels, &self.previous, x.rows() * 4);
        let bytes = (sum_elems + count_elems) * 2 * elem;
        recorder.copy(&self.totals, bytes);
        recorder.submit_and_wait()?;
        let d = x.cols();
        let mut change = LloydTotals {
            sums: Array2::zeros((k, d)),
            counts: vec![0.0; k],
            changed: 0,
        };
        self.totals.read::<R, _>(queue, bytes, |pairs| {
            let value = |e: usize| pairs[2 * e].to_f64() + pairs[2 * e + 1].to_f64();
            for c in 0..k {
                for j in 0..d {
                    change.sums[[c, j]] = value(((j / 4) * k + c) * 4 + j % 4);
                }
            }
            for (c, count) in change.counts.iter_mut().enumerate() {
                *count = value(sum_elems + c).round();
            }
            change.changed = value(sum_elems + k).round() as u64;
        })?;
        let totals = match self.running.take() {
            None => change,
            Some(mut running) => {
                running.sums += &change.sums;
                for (count, delta) in running.counts.iter_mut().zip(&change.counts) {
                    *count += delta;
                }
                running.changed = change.changed;
                running
            }
        };
        self.running = Some(totals.clone());
        Ok(totals)
    }

    /// $\sum_i \lVert x_i - c_{l_i} \rVert^2$ over the rows, with $l_i$ the last step's labels
    /// and `centres` (`k x d`, unshifted): the inertia, summed on the device (one submission,
    /// one value back).
    pub fn inertia(
        &self,
        queue: &Queue,
        x: &DeviceRows,
        centres: ArrayView2<'_, f64>,
    ) -> Result<f64> {
        check_centres(NAME, x.cols(), centres, None)?;
        match x.precision() {
            Precision::F32 => self.inertia_in::<f32>(queue, x, centres),
            Precision::F64 => self.inertia_in::<f64>(queue, x, centres),
        }
    }

    fn inertia_in<R: KernelFloat>(
        &self,
        queue: &Queue,
        x: &DeviceRows,
        centres: ArrayView2<'_, f64>,
    ) -> Result<f64> {
        let (k, w4, elem) = (centres.nrows(), x.k4, std::mem::size_of::<R>());
        let mut packed = vec![R::default(); k * w4 * 4];
        pack_rows(&[centres], Some(x.shift()), 0, k, w4 * 4, &mut packed, None);
        let centres_buffer = input_buffer(queue, "kmeans inertia centres", packed.len() * elem)?;
        queue.write(&centres_buffer, 0, bytemuck::cast_slice(&packed));
        let chunks: usize = x
            .blocks
            .iter()
            .map(|b| b.rows.div_ceil(SUMS_CHUNK_ROWS))
            .sum();
        let partials = queue.storage_buffer(
            "kmeans inertia partials",
            chunks * elem,
            wgpu::BufferUsages::STORAGE,
        )?;
        let total = ResultBuffer::new(queue, "kmeans inertia", 2 * elem, Readback::Staged)?;
        let pipeline = queue.specialised_pipeline(
            "kmeans_inertia",
            x.precision(),
            crate::shaders::KMEANS_INERTIA,
            &[("WIDTH4", w4 as u32)],
        )?;
        let reduce = queue.reduce_pipeline(x.precision())?;
        let mut recorder = Recorder::new(queue);
        let mut chunk_first = 0;
        for block in &x.blocks {
            let n = block.rows.div_ceil(SUMS_CHUNK_ROWS);
            let params = [
                block.rows,
                w4,
                block.start,
                SUMS_CHUNK_ROWS,
                chunk_first,
                0,
                0,
                0,
            ];
            let bindings = [&block.buffer, &centres_buffer, &self.labels, &partials];
            recorder.dispatch(&pipeline, &params.map(|v| v as u32), &bindings, n)?;
            chunk_first += n;
        }
        recorder.reduce(
            &reduce,
            (&partials, &total),
            (1, chunks, 0),
            Grouping::Sums,
            true,
        )?;
        recorder.copy(&total, 2 * elem);
        recorder.submit_and_read(&total, 2 * elem, |pair: &[R]| {
            pair[0].to_f64() + pair[1].to_f64()
        })
    }

    /// The labels of the last step, read back from the device (4 bytes a row).
    pub fn labels(&self, queue: &Queue, x: &DeviceRows) -> Result<Vec<u32>> {
        let bytes = x.rows() * 4;
        let out = ResultBuffer::copy_target(queue, "kmeans labels out", bytes)?;
        let mut recorder = Recorder::new(queue);
        recorder.copy_buffer(&self.labels, out.binding(), bytes);
        recorder.submit_and_wait()?;
        out.read::<u32, _>(queue, bytes, <[u32]>::to_vec)
    }
}
