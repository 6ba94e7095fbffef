//! $X^\top R$ for resident rows $X$ and host weights $R$: the gradient of a linear model's loss.

use ndarray::{Array2, ArrayView2};

use super::{check_shapes, input_buffer, settle, Grouping, Recorder};
use crate::result_buffer::ResultBuffer;
use crate::{DeviceRows, KernelFloat, Precision, Queue, Readback, Result};

const NAME: &str = "xt_r";
/// Rows each invocation sums.
const CHUNK: usize = 256;

/// Returns $X^\top R$ ($d \times t$) for resident rows $X$ ($n \times d$) and $R$ ($n \times t$)
/// on the host. Each invocation sums a chunk of rows in the kernel's precision; the chunks'
/// partials are added on the device (compensated) and read back once.
pub fn xt_r(
    queue: &Queue,
    x: &DeviceRows,
    r: ArrayView2<'_, f64>,
    readback: Readback,
) -> Result<Array2<f64>> {
    check_shapes(NAME, r.nrows() == x.rows(), || {
        format!("x has {} rows but r has {}", x.rows(), r.nrows())
    })?;
    match x.precision() {
        Precision::F32 => run::<f32>(queue, x, r, readback),
        Precision::F64 => run::<f64>(queue, x, r, readback),
    }
}

fn run<R: KernelFloat>(
    queue: &Queue,
    x: &DeviceRows,
    r: ArrayView2<'_, f64>,
    readback: Readback,
) -> Result<Array2<f64>> {
    let (d, t, k4) = (x.cols(), r.ncols(), x.k4);
    let mut out = Array2::zeros((d, t));
    let Some(largest) = x.blocks.iter().map(|b| b.rows).max() else {
        return Ok(out);
    };
    if t == 0 {
        return Ok(out);
    }
    let elem = std::mem::size_of::<R>();
    let pipeline = queue.pipeline(NAME, x.precision(), crate::shaders::XT_R)?;
    let reduce = queue.reduce_pipeline(x.precision())?;
    let r_buffer = input_buffer(queue, "xt_r r", largest * t * elem)?;
    let partial_elems = k4 * t * 4;
    let partials = queue.storage_buffer(
        "xt_r partials",
        largest.div_ceil(CHUNK) * partial_elems * elem,
        wgpu::BufferUsages::STORAGE,
    )?;
    let total = ResultBuffer::new(queue, "xt_r total", partial_elems * 2 * elem, readback)?;
    let mut host_r = vec![R::default(); largest * t];
    for (b, block) in x.blocks.iter().enumerate() {
        let n = block.rows;
        for (i, row) in host_r.chunks_exact_mut(t).take(n).enumerate() {
            for (v, w) in row.iter_mut().zip(r.row(block.start + i)) {
                *v = R::from_f64(*w);
            }
        }
        let uploaded = bytemuck::cast_slice(&host_r[..n * t]);
        queue.write(&r_buffer, 0, uploaded);
        let chunks = n.div_ceil(CHUNK);
        let mut recorder = Recorder::new(queue);
        recorder.dispatch(
            &pipeline,
            &[
                n as u32,
                k4 as u32,
                t as u32,
                CHUNK as u32,
                t as u32,
                0,
                0,
                0,
            ],
            &[&block.buffer, &r_buffer, &partials],
            chunks * k4 * t,
        )?;
        let (into, sizes) = ((&partials, &total), (partial_elems, chunks, 0));
        recorder.reduce(&reduce, into, sizes, Grouping::Sums, b == 0)?;
        recorder.submit(uploaded.len())?;
    }
    settle(queue, &total, partial_elems * 2 * elem)?;
    total.read::<R, _>(queue, partial_elems * 2 * elem, |pairs| {
        // Element (j4, column, lane) is feature 4 j4 + lane of column `column`.
        for (index, pair) in pairs.chunks_exact(2).enumerate() {
            let (lane, vec) = (index % 4, index / 4);
            let (j4, column) = (vec / t, vec % t);
            let feature = 4 * j4 + lane;
            if feature < d {
                out[[feature, column]] = pair[0].to_f64() + pair[1].to_f64();
            }
        }
    })?;
    Ok(out)
}
