//! Random-forest kernels: the histograms of a round of nodes (`shaders/forest_histograms.wgsl`)
//! and the leaves rows reach (`shaders/forest_predict.wgsl`).
//!
//! Histograms are exact: every statistic is a 64-bit integer summed with carries, so the host
//! receives the integers the CPU would have summed. Prediction returns leaf indices; the
//! caller sums the leaves' values in f64.

use ndarray::ArrayView2;

use super::{check_shapes, input_buffer, Recorder};
pub use crate::forest_inputs::{HistogramTask, TreeArrays};
use crate::pack::pack_rows_parallel;
use crate::result_buffer::ResultBuffer;
use crate::{HostFloat, KernelFloat, Precision, Queue, Readback, Result};

const HISTOGRAMS: &str = "forest_histograms";
const PREDICT: &str = "forest_predict";
/// Rows one workgroup adds (`CHUNK_ROWS` in the shader).
const CHUNK_ROWS: usize = 4096;
/// Words of workgroup memory a histogram may use (`LOCAL_WORDS` in the shader).
const LOCAL_WORDS: usize = 4096;
/// Rows per prediction block on a software adapter.
const DEFAULT_BLOCK_ROWS: usize = 1 << 14;

/// A rank's binned rows on the device: codes (feature after feature), class indices, and the
/// fixed-point terms of the trees being grown.
#[derive(Debug)]
pub struct ForestRows {
    codes: wgpu::Buffer,
    rows: usize,
    code_bits: u32,
    classes: wgpu::Buffer,
    terms: Option<(wgpu::Buffer, usize)>,
    /// The buffers of a round's histograms, kept for the next rounds (levels and batches) and
    /// made larger when a round needs more.
    scratch: std::sync::Mutex<Scratch>,
}

/// A round's buffers: the node rows, the tasks, the chunks, the sums and their readback, each
/// with the bytes it holds (0: not made yet).
#[derive(Debug, Default)]
struct Scratch {
    rows: Option<(wgpu::Buffer, usize)>,
    tasks: Option<(wgpu::Buffer, usize)>,
    chunks: Option<(wgpu::Buffer, usize)>,
    sums: Option<(wgpu::Buffer, usize)>,
    result: Option<(ResultBuffer, usize)>,
}

/// `slot`'s buffer when it holds at least `bytes`, else a new one of `make(capacity)` with
/// room to grow (twice what is asked).
fn at_least<T>(
    slot: &mut Option<(T, usize)>,
    bytes: usize,
    make: impl FnOnce(usize) -> Result<T>,
) -> Result<&T> {
    if slot.as_ref().is_none_or(|(_, held)| *held < bytes) {
        let capacity = bytes.max(16).saturating_mul(2);
        *slot = Some((make(capacity)?, capacity));
    }
    match slot {
        Some((buffer, _)) => Ok(buffer),
        None => Err(crate::Error::Device("a scratch buffer was not made".into())),
    }
}

impl ForestRows {
    /// Uploads `codes` (`rows` codes of each feature in turn, `code_bytes` 1 or 2 bytes each,
    /// little-endian) and the rows' class indices (empty for a regressor).
    pub fn upload(
        queue: &Queue,
        codes: &[u8],
        code_bytes: usize,
        rows: usize,
        classes: &[u32],
    ) -> Result<Self> {
        check_shapes(HISTOGRAMS, code_bytes == 1 || code_bytes == 2, || {
            format!("codes of {code_bytes} bytes")
        })?;
        let mut words = vec![0_u32; codes.len().div_ceil(4)];
        bytemuck::cast_slice_mut::<u32, u8>(&mut words)[..codes.len()].copy_from_slice(codes);
        let buffer = input_buffer(queue, "forest codes", words.len() * 4)?;
        queue.write(&buffer, 0, bytemuck::cast_slice(&words));
        let class_buffer = input_buffer(queue, "forest classes", classes.len() * 4)?;
        if !classes.is_empty() {
            queue.write(&class_buffer, 0, bytemuck::cast_slice(classes));
        }
        Ok(Self {
            codes: buffer,
            rows,
            code_bits: 8 * code_bytes as u32,
            classes: class_buffer,
            terms: None,
            scratch: std::sync::Mutex::default(),
        })
    }

    /// Uploads the trees' terms: `row_width` per row, tree after tree.
    pub fn set_terms(&mut self, queue: &Queue, terms: &[i64], row_width: usize) -> Result<()> {
        let buffer = input_buffer(queue, "forest terms", terms.len() * 8)?;
        queue.write(&buffer, 0, bytemuck::cast_slice(terms));
        self.terms = Some((buffer, row_width));
        Ok(())
    }
}

/// Builds the histograms of `tasks` over `node_rows` into `out` (`width` statistics per bin,
/// zeros where no row falls): row counts and the trees' terms, summed exactly. (The sums are
/// copied to a mapped buffer whatever the readback: they are cleared on the device first.)
pub fn histograms(
    queue: &Queue,
    data: &ForestRows,
    node_rows: &[u32],
    tasks: &[HistogramTask],
    width: usize,
    out: &mut [i64],
) -> Result<()> {
    out.iter_mut().for_each(|v| *v = 0);
    let Some((terms, row_width)) = &data.terms else {
        return Err(crate::Error::Shape {
            kernel: HISTOGRAMS,
            message: "no terms uploaded".into(),
        });
    };
    check_shapes(HISTOGRAMS, out.len() * 2 < u32::MAX as usize, || {
        "histograms of more than 2^31 statistics".into()
    })?;
    let mut chunks = Vec::new();
    let mut packed = Vec::with_capacity(tasks.len() * 8);
    let mut local = true;
    for (i, t) in tasks.iter().enumerate() {
        let end = t.out as usize + t.bins as usize * width;
        check_shapes(HISTOGRAMS, end <= out.len(), || {
            format!(
                "a histogram ends at {end}, beyond the {} statistics",
                out.len()
            )
        })?;
        local &= t.bins as usize * width * 2 <= LOCAL_WORDS;
        packed.extend([
            t.rows_start,
            t.rows_len,
            t.feature,
            t.bins,
            (t.out * 2) as u32,
            t.tree * data.rows as u32,
            0,
            0,
        ]);
        for start in (0..t.rows_len as usize).step_by(CHUNK_ROWS) {
            chunks.extend([i as u32, start as u32]);
        }
    }
    if chunks.is_empty() {
        return Ok(());
    }
    let pipeline = queue.pipeline(
        HISTOGRAMS,
        Precision::F32,
        crate::shaders::FOREST_HISTOGRAMS,
    )?;
    let mut scratch = data
        .scratch
        .lock()
        .map_err(|_| crate::Error::Device("the forest buffers' lock is poisoned".into()))?;
    let Scratch {
        rows,
        tasks: task_slot,
        chunks: chunk_slot,
        sums,
        result,
    } = &mut *scratch;
    let upload = |slot: &mut Option<(wgpu::Buffer, usize)>, label, words: &[u32]| {
        let bytes = words.len() * 4;
        let buffer = at_least(slot, bytes, |capacity| input_buffer(queue, label, capacity))?;
        queue.write(buffer, 0, bytemuck::cast_slice(words));
        Ok::<_, crate::Error>(buffer.clone())
    };
    let rows_buffer = upload(rows, "forest node rows", node_rows)?;
    let tasks_buffer = upload(task_slot, "forest tasks", &packed)?;
    let chunks_buffer = upload(chunk_slot, "forest chunks", &chunks)?;
    let bytes = out.len() * 8;
    // Summed into a buffer cleared first, then copied to one the host maps.
    let sums = at_least(sums, bytes, |capacity| {
        queue.storage_buffer(
            "forest histograms",
            capacity,
            wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_DST
                | wgpu::BufferUsages::COPY_SRC,
        )
    })?;
    let result = at_least(result, bytes, |capacity| {
        ResultBuffer::copy_target(queue, "forest histograms readback", capacity)
    })?;
    let params = [
        (chunks.len() / 2) as u32,
        data.rows as u32,
        width as u32,
        *row_width as u32,
        data.code_bits,
        u32::from(local),
        0,
        0,
    ];
    let mut recorder = Recorder::new(queue);
    recorder.clear_first(sums, bytes);
    let bindings = [
        &data.codes,
        &rows_buffer,
        terms,
        &data.classes,
        &tasks_buffer,
        &chunks_buffer,
        sums,
    ];
    let invocations = chunks.len() / 2 * super::WORKGROUP as usize;
    recorder.dispatch(&pipeline, &params, &bindings, invocations)?;
    recorder.copy_buffer(sums, result.binding(), bytes);
    // One wait: the submission and the map of its sums.
    recorder.submit_and_read(result, bytes, |words: &[u32]| {
        for (v, pair) in out.iter_mut().zip(words.chunks_exact(2)) {
            *v = (u64::from(pair[1]) << 32 | u64::from(pair[0])) as i64;
        }
    })
}

/// A forest's trees on the device (nodes, thresholds in the precision of the rows they will
/// take, each tree's root), for [`leaves_of`]: uploaded once, used for every prediction.
#[derive(Debug)]
pub struct DeviceTrees {
    nodes: wgpu::Buffer,
    thresholds: wgpu::Buffer,
    roots: wgpu::Buffer,
    trees: usize,
    /// Columns the rows must have (the trees split on features below it).
    cols: usize,
    precision: Precision,
}

impl DeviceTrees {
    /// Uploads `trees` for rows of `cols` features compared in `precision`: thresholds rounded
    /// down to `f32` for `F32`, which keeps every comparison of `f32` rows.
    pub fn upload(
        queue: &Queue,
        trees: &[TreeArrays<'_>],
        cols: usize,
        precision: Precision,
    ) -> Result<Self> {
        match precision {
            Precision::F32 => Self::upload_in::<f32>(queue, trees, cols, precision),
            Precision::F64 => Self::upload_in::<f64>(queue, trees, cols, precision),
        }
    }

    fn upload_in<R: KernelFloat>(
        queue: &Queue,
        trees: &[TreeArrays<'_>],
        cols: usize,
        precision: Precision,
    ) -> Result<Self> {
        let mut nodes = Vec::new();
        let mut thresholds = Vec::new();
        let mut roots = Vec::with_capacity(trees.len());
        for t in trees {
            let n = t.feature.len();
            check_shapes(
                PREDICT,
                t.left.len() == n && t.right.len() == n && t.threshold.len() == n,
                || "a tree's arrays differ in length".into(),
            )?;
            check_shapes(
                PREDICT,
                t.feature
                    .iter()
                    .zip(t.left)
                    .all(|(&f, &l)| l < 0 || (f >= 0 && (f as usize) < cols)),
                || format!("a tree splits on a feature beyond the rows' {cols}"),
            )?;
            roots.push(nodes.len() as u32 / 4);
            for i in 0..n {
                nodes.extend([t.left[i], t.right[i], t.feature[i], 0]);
                thresholds.push(at_most::<R>(t.threshold[i]));
            }
        }
        let nodes_buffer = input_buffer(queue, "forest nodes", nodes.len() * 4)?;
        queue.write(&nodes_buffer, 0, bytemuck::cast_slice(&nodes));
        let elem = std::mem::size_of::<R>();
        let thresholds_buffer = input_buffer(queue, "forest thresholds", thresholds.len() * elem)?;
        queue.write(&thresholds_buffer, 0, bytemuck::cast_slice(&thresholds));
        let roots_buffer = input_buffer(queue, "forest roots", roots.len() * 4)?;
        queue.write(&roots_buffer, 0, bytemuck::cast_slice(&roots));
        Ok(Self {
            nodes: nodes_buffer,
            thresholds: thresholds_buffer,
            roots: roots_buffer,
            trees: trees.len(),
            cols,
            precision,
        })
    }
}

/// The leaf each row of `x` reaches in each of `trees` (uploaded in the precision
/// [`Queue::precision_for`] gives `F`, for rows of their columns), `rows x trees` (row after
/// row). Exact: for `f32` rows each threshold was rounded down to `f32`, which keeps every
/// comparison; `f64` rows need an adapter with f64 ([`Queue::precision_for`] says `F64`).
pub fn leaves_of<F: HostFloat>(
    queue: &Queue,
    x: ArrayView2<'_, F>,
    trees: &DeviceTrees,
    readback: Readback,
) -> Result<Vec<u32>> {
    let precision = queue.precision_for::<F>();
    check_shapes(
        PREDICT,
        (std::mem::size_of::<F>() == 4 || precision == Precision::F64)
            && trees.precision == precision
            && x.ncols() == trees.cols,
        || {
            format!(
                "rows of {} columns in {precision:?} for trees uploaded for {} columns in {:?}",
                x.ncols(),
                trees.cols,
                trees.precision
            )
        },
    )?;
    match precision {
        Precision::F32 => leaves_in::<F, f32>(queue, x, trees, precision, readback),
        Precision::F64 => leaves_in::<F, f64>(queue, x, trees, precision, readback),
    }
}

/// The largest `R` at most `value` (for `f32`; `f64` as it is).
fn at_most<R: KernelFloat>(value: f64) -> R {
    let r = R::from_f64(value);
    if r.to_f64() <= value {
        return r;
    }
    let below = f64::from(f32::from_bits((value as f32).to_bits() - 1));
    R::from_f64(if value as f32 > 0.0 {
        below
    } else {
        // Negative: one step further from zero.
        f64::from(f32::from_bits((value as f32).to_bits() + 1))
    })
}

fn leaves_in<F: HostFloat, R: KernelFloat>(
    queue: &Queue,
    x: ArrayView2<'_, F>,
    trees: &DeviceTrees,
    precision: Precision,
    readback: Readback,
) -> Result<Vec<u32>> {
    let (rows, d, n_trees) = (x.nrows(), x.ncols(), trees.trees);
    let mut out = vec![0_u32; rows * n_trees];
    if rows == 0 || n_trees == 0 {
        return Ok(out);
    }
    let pipeline = queue.pipeline(PREDICT, precision, crate::shaders::FOREST_PREDICT)?;
    let elem = std::mem::size_of::<R>();
    let w4 = d.div_ceil(4);
    let block_rows = queue
        .block_rows((w4 * 4 * elem).max(n_trees * 4), DEFAULT_BLOCK_ROWS)
        .min(rows);
    let x_buffer = input_buffer(queue, "forest rows", block_rows * w4 * 4 * elem)?;
    let result = ResultBuffer::new(queue, "forest leaves", block_rows * n_trees * 4, readback)?;
    let mut host_rows = vec![R::default(); block_rows * w4 * 4];
    for start in (0..rows).step_by(block_rows) {
        let n = block_rows.min(rows - start);
        pack_rows_parallel(&[x], None, start, n, w4 * 4, &mut host_rows, None);
        queue.write(&x_buffer, 0, bytemuck::cast_slice(&host_rows[..n * w4 * 4]));
        let params = [n as u32, w4 as u32, n_trees as u32, 0];
        let bytes = n * n_trees * 4;
        let mut recorder = Recorder::new(queue);
        let bindings = [
            &x_buffer,
            &trees.nodes,
            &trees.thresholds,
            &trees.roots,
            result.binding(),
        ];
        recorder.dispatch(&pipeline, &params, &bindings, n * n_trees)?;
        recorder.copy(&result, bytes);
        recorder.submit_and_read(&result, bytes, |got: &[u32]| {
            out[start * n_trees..(start + n) * n_trees].copy_from_slice(got);
        })?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_round_down_to_f32() {
        for t in [0.1_f64, -0.1, 1.0, 3.000_000_1, -7.25e-3, 0.0] {
            let r: f32 = at_most(t);
            assert!(f64::from(r) <= t, "{t}");
            // No f32 lies between r and t.
            let next = f32::from_bits(if r >= 0.0 {
                r.to_bits() + 1
            } else {
                r.to_bits() - 1
            });
            assert!(f64::from(next) > t || r == 0.0 && t == 0.0, "{t}");
        }
    }

    /// A round's buffers serve the next rounds: a smaller round reuses them, and its counts
    /// are right (no trace of the larger round before it).
    #[test]
    fn rounds_reuse_their_buffers() {
        let Some(queue) = Queue::for_tests() else {
            return;
        };
        // 64 rows of one feature with codes 0..4 in turn, all of class 0, weight 1.
        let codes: Vec<u8> = (0..64).map(|i| (i % 4) as u8).collect();
        let mut data = ForestRows::upload(&queue, &codes, 1, 64, &[0; 64]).unwrap();
        data.set_terms(&queue, &[1; 64], 1).unwrap();
        let all: Vec<u32> = (0..64).collect();
        let task = |rows_len: u32, out: u64| HistogramTask {
            rows_start: 0,
            rows_len,
            feature: 0,
            bins: 4,
            out,
            tree: 0,
        };
        let width = 2;
        let mut big = vec![0_i64; 2 * 4 * width];
        histograms(
            &queue,
            &data,
            &all,
            &[task(64, 0), task(32, 8)],
            width,
            &mut big,
        )
        .unwrap();
        let held = |data: &ForestRows| {
            let scratch = data.scratch.lock().unwrap();
            scratch.sums.as_ref().map(|(b, c)| (b.size(), *c))
        };
        let before = held(&data);
        let mut small = vec![0_i64; 4 * width];
        histograms(&queue, &data, &all[..16], &[task(16, 0)], width, &mut small).unwrap();
        assert_eq!(held(&data), before);
        let counts = |h: &[i64]| h.chunks(width).map(|bin| bin[0]).collect::<Vec<_>>();
        assert_eq!(counts(&big[..8]), [16; 4]);
        assert_eq!(counts(&big[8..]), [8; 4]);
        assert_eq!(counts(&small), [4; 4]);
    }
}
