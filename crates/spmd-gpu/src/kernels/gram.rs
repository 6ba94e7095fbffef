//! One pass over row blocks giving the shifted Gram matrix and column sums.

use ndarray::ArrayView2;

use super::{check_shapes, input_buffer, settle, Grouping, Recorder};
use crate::result_buffer::ResultBuffer;
use crate::KernelFloat;
pub use spmd_partials::ShiftedGram;

use crate::{HostFloat, Precision, Queue, Readback, Result};

const NAME: &str = "gram";
/// Rows per streamed block unless the binding limit or the queue's options say fewer.
const DEFAULT_BLOCK_ROWS: usize = 1 << 16;

/// Computes [`ShiftedGram`] of the horizontal concatenation of `parts` (all with the same number of
/// rows) minus `shift` on the GPU. The rows are streamed through the device in blocks without a
/// wait between them; each block's partials are added on the device into a compensated running
/// total, read back once.
///
/// ```no_run
/// use ndarray::array;
/// use spmd_gpu::{kernels::gram::shifted_gram, Queue, Readback};
///
/// let queue = Queue::new()?;
/// let x = array![[1.0_f64, 2.0], [3.0, 4.0]];
/// let g = shifted_gram(&queue, &[x.view()], &[0.0, 0.0], Readback::Staged)?;
/// assert_eq!(g.gram, [10.0, 14.0, 14.0, 20.0]);
/// # Ok::<(), spmd_gpu::Error>(())
/// ```
pub fn shifted_gram<F: HostFloat>(
    queue: &Queue,
    parts: &[ArrayView2<'_, F>],
    shift: &[f64],
    readback: Readback,
) -> Result<ShiftedGram> {
    let rows = parts.first().map_or(0, |p| p.nrows());
    let width: usize = parts.iter().map(|p| p.ncols()).sum();
    check_shapes(
        NAME,
        parts.iter().all(|p| p.nrows() == rows) && shift.len() == width,
        || {
            format!(
                "parts have rows {:?} and {} columns in all; shift has {}",
                parts.iter().map(|p| p.nrows()).collect::<Vec<_>>(),
                width,
                shift.len()
            )
        },
    )?;
    match queue.precision_for::<F>() {
        Precision::F32 => run::<F, f32>(queue, parts, shift, readback, rows, width),
        Precision::F64 => run::<F, f64>(queue, parts, shift, readback, rows, width),
    }
}

fn run<F: HostFloat, R: KernelFloat>(
    queue: &Queue,
    parts: &[ArrayView2<'_, F>],
    shift: &[f64],
    readback: Readback,
    rows: usize,
    width: usize,
) -> Result<ShiftedGram> {
    let precision = if std::mem::size_of::<R>() == 8 {
        Precision::F64
    } else {
        Precision::F32
    };
    let mut sums = vec![0.0; width];
    let w4 = width.div_ceil(4).max(1);
    let padded = w4 * 4;
    let mut gram = vec![0.0; padded * padded];
    if rows == 0 || width == 0 {
        return Ok(finish(rows, width, sums, &gram, padded));
    }

    let tiles: Vec<[u32; 2]> = (0..w4 as u32)
        .flat_map(|i| (i..w4 as u32).map(move |j| [i, j]))
        .collect();
    let elem = std::mem::size_of::<R>();
    let block_rows = queue
        .block_rows(padded * elem, DEFAULT_BLOCK_ROWS)
        .min(rows);
    // Enough invocations to fill a device, few enough partials to read back cheaply.
    let chunk_rows = (block_rows * tiles.len()).div_ceil(32_768).clamp(64, 1024);
    let max_chunks = block_rows.div_ceil(chunk_rows);
    let out_elems = max_chunks * tiles.len() * 16;

    let pipeline = queue.pipeline(NAME, precision, crate::shaders::GRAM)?;
    let reduce = queue.reduce_pipeline(precision)?;
    let z_buffer = input_buffer(queue, "gram rows", block_rows * padded * elem)?;
    let tile_buffer = input_buffer(queue, "gram tiles", tiles.len() * 8)?;
    queue.write(&tile_buffer, 0, bytemuck::cast_slice(&tiles));
    let partials = queue.storage_buffer(
        "gram partials",
        out_elems * elem,
        wgpu::BufferUsages::STORAGE,
    )?;
    // The running total stays on the device: (sum, compensation) per tile element.
    let total_elems = tiles.len() * 16;
    let total = ResultBuffer::new(queue, "gram total", total_elems * 2 * elem, readback)?;

    for start in (0..rows).step_by(block_rows) {
        let n = block_rows.min(rows - start);
        let mut recorder = Recorder::new(queue);
        let rows = (start, n, padded);
        let uploaded =
            recorder.upload_rows::<F, R>(&z_buffer, parts, Some(shift), rows, Some(&mut sums))?;
        let chunks = n.div_ceil(chunk_rows);
        let params = [n, w4, chunk_rows, tiles.len(), chunks, 0, 0, 0].map(|v| v as u32);
        recorder.dispatch(
            &pipeline,
            &params,
            &[&z_buffer, &tile_buffer, &partials],
            chunks * tiles.len(),
        )?;
        let (into, sizes) = ((&partials, &total), (total_elems, chunks, 0));
        recorder.reduce(&reduce, into, sizes, Grouping::Sums, start == 0)?;
        recorder.submit(uploaded)?;
    }
    // One readback per fit, of O(d^2) bytes.
    settle(queue, &total, total_elems * 2 * elem)?;
    total.read::<R, _>(queue, total_elems * 2 * elem, |pairs| {
        for (k, tile) in pairs.chunks_exact(32).enumerate() {
            let [bi, bj] = tiles[k];
            let (r0, c0) = (4 * bi as usize, 4 * bj as usize);
            for (e, pair) in tile.chunks_exact(2).enumerate() {
                let (i, j) = (e / 4, e % 4);
                gram[(r0 + i) * padded + c0 + j] = pair[0].to_f64() + pair[1].to_f64();
            }
        }
    })?;
    Ok(finish(rows, width, sums, &gram, padded))
}

/// Cuts the padded upper-tile accumulation to `width` x `width` and mirrors it.
fn finish(
    rows: usize,
    width: usize,
    sums: Vec<f64>,
    padded_gram: &[f64],
    padded: usize,
) -> ShiftedGram {
    let mut gram = vec![0.0; width * width];
    for i in 0..width {
        for j in i..width {
            // Tiles hold blocks with bi <= bj, so entry (i, j) is stored when i/4 <= j/4.
            let v = padded_gram[i * padded + j];
            gram[i * width + j] = v;
            gram[j * width + i] = v;
        }
    }
    ShiftedGram {
        rows,
        width,
        sums,
        gram,
    }
}
