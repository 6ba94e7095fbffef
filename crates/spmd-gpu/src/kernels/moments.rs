//! Per-column count, mean, centred sum of squares, minimum and maximum over row blocks.

use ndarray::{ArrayView1, ArrayView2};

use super::{check_shapes, input_buffer, settle, Grouping, Recorder};
use crate::result_buffer::ResultBuffer;
pub use spmd_partials::ColumnMoments;

use crate::{HostFloat, KernelFloat, Precision, Queue, Readback, Result};

const NAME: &str = "moments";
const DEFAULT_BLOCK_ROWS: usize = 1 << 16;
const CHUNK_ROWS: usize = 256;

/// [`ColumnMoments`] of `x` on the GPU: rows shifted by `shift` (near the column means) are
/// streamed in blocks without waits; each invocation reduces a chunk of rows of four columns,
/// a second kernel adds the chunks into totals kept on the device, read back once.
pub fn column_moments<F: HostFloat>(
    queue: &Queue,
    x: ArrayView2<'_, F>,
    shift: &[f64],
    readback: Readback,
) -> Result<ColumnMoments> {
    moments(queue, x, None, shift, readback)
}

/// [`column_moments`] with row `i` weighing `weights[i]`: the count is the sum of the weights,
/// the mean and centred squares are weighted; the minimum and maximum are over every row.
pub fn weighted_column_moments<F: HostFloat>(
    queue: &Queue,
    x: ArrayView2<'_, F>,
    weights: ArrayView1<'_, f64>,
    shift: &[f64],
    readback: Readback,
) -> Result<ColumnMoments> {
    check_shapes(NAME, weights.len() == x.nrows(), || {
        format!("x has {} rows, weights {}", x.nrows(), weights.len())
    })?;
    moments(queue, x, Some(weights), shift, readback)
}

fn moments<F: HostFloat>(
    queue: &Queue,
    x: ArrayView2<'_, F>,
    weights: Option<ArrayView1<'_, f64>>,
    shift: &[f64],
    readback: Readback,
) -> Result<ColumnMoments> {
    check_shapes(NAME, shift.len() == x.ncols(), || {
        format!("x has {} columns, shift {}", x.ncols(), shift.len())
    })?;
    match queue.precision_for::<F>() {
        Precision::F32 => run::<F, f32>(queue, x, weights, shift, readback, Precision::F32),
        Precision::F64 => run::<F, f64>(queue, x, weights, shift, readback, Precision::F64),
    }
}

fn run<F: HostFloat, R: KernelFloat>(
    queue: &Queue,
    x: ArrayView2<'_, F>,
    weights: Option<ArrayView1<'_, f64>>,
    shift: &[f64],
    readback: Readback,
    precision: Precision,
) -> Result<ColumnMoments> {
    let (rows, width) = (x.nrows(), x.ncols());
    if rows == 0 || width == 0 {
        return Ok(ColumnMoments::empty(width));
    }
    let w4 = width.div_ceil(4);
    let elem = std::mem::size_of::<R>();
    let block_rows = queue
        .block_rows(w4 * 4 * elem, DEFAULT_BLOCK_ROWS)
        .min(rows);
    let max_chunks = block_rows.div_ceil(CHUNK_ROWS);

    let pipeline = queue.pipeline(NAME, precision, crate::shaders::MOMENTS)?;
    let reduce = queue.reduce_pipeline(precision)?;
    let z_buffer = input_buffer(queue, "moments rows", block_rows * w4 * 4 * elem)?;
    let partials = queue.storage_buffer(
        "moments partials",
        max_chunks * w4 * 16 * elem,
        wgpu::BufferUsages::STORAGE,
    )?;
    // Totals on the device: (sum, compensation) pairs, or (min, -) and (max, -).
    let total_elems = w4 * 16;
    let totals = ResultBuffer::new(queue, "moments totals", total_elems * 2 * elem, readback)?;
    let weighted = weights.is_some();
    let weight_rows = if weighted { block_rows } else { 4 };
    let weight_buffer = input_buffer(queue, "moments weights", weight_rows * elem)?;
    let mut host_weights = vec![R::default(); weight_rows];

    for start in (0..rows).step_by(block_rows) {
        let n = block_rows.min(rows - start);
        let mut recorder = Recorder::new(queue);
        let block = (start, n, w4 * 4);
        let uploaded = recorder.upload_rows::<F, R>(&z_buffer, &[x], Some(shift), block, None)?;
        if let Some(w) = weights {
            for (h, v) in host_weights
                .iter_mut()
                .zip(w.slice(ndarray::s![start..start + n]))
            {
                *h = R::from_f64(*v);
            }
            queue.write(&weight_buffer, 0, bytemuck::cast_slice(&host_weights[..n]));
        }
        let chunks = n.div_ceil(CHUNK_ROWS);
        let params = [n, w4, CHUNK_ROWS, chunks, usize::from(weighted), 0, 0, 0].map(|v| v as u32);
        recorder.dispatch(
            &pipeline,
            &params,
            &[&z_buffer, &weight_buffer, &partials],
            chunks * w4,
        )?;
        let (into, sizes) = ((&partials, &totals), (total_elems, chunks, 0));
        recorder.reduce(&reduce, into, sizes, Grouping::Moments, start == 0)?;
        recorder.submit(uploaded)?;
    }
    settle(queue, &totals, total_elems * 2 * elem)?;
    let count = weights.map_or(rows as f64, |w| w.sum());
    read_totals::<R>(queue, &totals, count, shift, width)
}

/// [`ColumnMoments`] of rows already on the device (their upload's shift is added back): no
/// upload, one readback.
pub fn column_moments_resident(
    queue: &Queue,
    x: &crate::DeviceRows,
    readback: Readback,
) -> Result<ColumnMoments> {
    let width = x.cols();
    if x.rows() == 0 || width == 0 {
        return Ok(ColumnMoments::empty(width));
    }
    let (w4, precision) = (x.k4, x.precision());
    let elem = precision.bytes();
    let largest = x.blocks.iter().map(|b| b.rows).max().unwrap_or(0);
    let pipeline = queue.pipeline(NAME, precision, crate::shaders::MOMENTS)?;
    let reduce = queue.reduce_pipeline(precision)?;
    let partials = queue.storage_buffer(
        "moments partials",
        largest.div_ceil(CHUNK_ROWS) * w4 * 16 * elem,
        wgpu::BufferUsages::STORAGE,
    )?;
    let no_weights = input_buffer(queue, "moments weights", 4 * elem)?;
    let total_elems = w4 * 16;
    let totals = ResultBuffer::new(queue, "moments totals", total_elems * 2 * elem, readback)?;
    let mut recorder = Recorder::new(queue);
    for (b, block) in x.blocks.iter().enumerate() {
        let chunks = block.rows.div_ceil(CHUNK_ROWS);
        let params = [block.rows, w4, CHUNK_ROWS, chunks, 0, 0, 0, 0].map(|v| v as u32);
        let buffers = [&block.buffer, &no_weights, &partials];
        recorder.dispatch(&pipeline, &params, &buffers, chunks * w4)?;
        let (into, sizes) = ((&partials, &totals), (total_elems, chunks, 0));
        recorder.reduce(&reduce, into, sizes, Grouping::Moments, b == 0)?;
    }
    recorder.copy(&totals, total_elems * 2 * elem);
    recorder.submit_and_wait()?;
    let shift = x.shift();
    match precision {
        Precision::F32 => read_totals::<f32>(queue, &totals, x.rows() as f64, shift, width),
        Precision::F64 => read_totals::<f64>(queue, &totals, x.rows() as f64, shift, width),
    }
}

/// The moments from the device totals of `count` rows shifted by `shift`.
fn read_totals<R: KernelFloat>(
    queue: &Queue,
    totals: &ResultBuffer,
    count: f64,
    shift: &[f64],
    width: usize,
) -> Result<ColumnMoments> {
    let bytes = width.div_ceil(4) * 16 * 2 * std::mem::size_of::<R>();
    totals.read::<R, _>(queue, bytes, |pairs| {
        let value = |j: usize, part: usize, compensated: bool| {
            let e = (j / 4) * 16 + part * 4 + j % 4;
            let (v, c) = (pairs[2 * e].to_f64(), pairs[2 * e + 1].to_f64());
            if compensated {
                v + c
            } else {
                v
            }
        };
        let sums: Vec<f64> = (0..width).map(|j| value(j, 0, true)).collect();
        let squares: Vec<f64> = (0..width).map(|j| value(j, 1, true)).collect();
        let min = (0..width).map(|j| value(j, 2, false) + shift[j]).collect();
        let max = (0..width).map(|j| value(j, 3, false) + shift[j]).collect();
        ColumnMoments::from_shifted_sums(count, shift, &sums, &squares, min, max)
    })
}
