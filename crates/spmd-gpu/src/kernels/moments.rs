//! Per-column count, mean, centred sum of squares, minimum and maximum over row blocks.

use ndarray::{ArrayView1, ArrayView2};

use super::{check_shapes, input_buffer, run_dispatch};
use crate::pack::pack_rows;
use crate::result_buffer::ResultBuffer;
pub use spmd_partials::ColumnMoments;

use crate::{HostFloat, KernelFloat, Precision, Queue, Readback, Result};

const NAME: &str = "moments";
const DEFAULT_BLOCK_ROWS: usize = 1 << 16;
const CHUNK_ROWS: usize = 256;

/// [`ColumnMoments`] of `x` on the GPU: rows shifted by `shift` (near the column means) are
/// streamed in blocks; each invocation reduces a chunk of rows of four columns, and the host
/// merges the chunks in f64.
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
    let mut total = ColumnMoments::empty(width);
    if rows == 0 || width == 0 {
        return Ok(total);
    }
    let w4 = width.div_ceil(4);
    let elem = std::mem::size_of::<R>();
    let block_rows = queue
        .block_rows(w4 * 4 * elem, DEFAULT_BLOCK_ROWS)
        .min(rows);
    let max_chunks = block_rows.div_ceil(CHUNK_ROWS);

    let pipeline = queue.pipeline(NAME, precision, crate::shaders::MOMENTS)?;
    let z_buffer = input_buffer(queue, "moments rows", block_rows * w4 * 4 * elem)?;
    let result = ResultBuffer::new(
        queue,
        "moments partials",
        max_chunks * w4 * 16 * elem,
        readback,
    )?;
    let mut host_rows = vec![R::default(); block_rows * w4 * 4];
    let weighted = weights.is_some();
    let weight_rows = if weighted { block_rows } else { 4 };
    let weight_buffer = input_buffer(queue, "moments weights", weight_rows * elem)?;
    let mut host_weights = vec![R::default(); weight_rows];

    for start in (0..rows).step_by(block_rows) {
        let n = block_rows.min(rows - start);
        pack_rows(&[x], Some(shift), start, n, w4 * 4, &mut host_rows, None);
        queue.write(&z_buffer, 0, bytemuck::cast_slice(&host_rows[..n * w4 * 4]));
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
        let bytes = chunks * w4 * 16 * elem;
        let params = [n, w4, CHUNK_ROWS, chunks, usize::from(weighted), 0, 0, 0].map(|v| v as u32);
        run_dispatch(
            queue,
            &pipeline,
            &params,
            &[&z_buffer, &weight_buffer],
            &[(&result, bytes)],
            chunks * w4,
        )?;
        result.read::<R, _>(queue, bytes, |partials| {
            for chunk in 0..chunks {
                let first = start + chunk * CHUNK_ROWS;
                let last = (first + CHUNK_ROWS).min(start + n);
                let count = match weights {
                    Some(w) => w.slice(ndarray::s![first..last]).sum(),
                    None => (last - first) as f64,
                };
                let mut sums = vec![0.0; width];
                let mut squares = vec![0.0; width];
                let mut min = vec![0.0; width];
                let mut max = vec![0.0; width];
                for j in 0..width {
                    let base = (chunk * w4 + j / 4) * 16 + j % 4;
                    sums[j] = partials[base].to_f64();
                    squares[j] = partials[base + 4].to_f64();
                    min[j] = partials[base + 8].to_f64() + shift[j];
                    max[j] = partials[base + 12].to_f64() + shift[j];
                }
                total.merge(&ColumnMoments::from_shifted_sums(
                    count, shift, &sums, &squares, min, max,
                ));
            }
        })?;
    }
    Ok(total)
}
