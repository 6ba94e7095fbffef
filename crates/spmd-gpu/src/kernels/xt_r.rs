//! $X^\top R$ for resident rows $X$ and host weights $R$: the gradient of a linear model's loss.

use ndarray::{Array2, ArrayView2};

use super::{check_shapes, input_buffer, run_dispatch};
use crate::result_buffer::ResultBuffer;
use crate::{DeviceRows, KernelFloat, Precision, Queue, Readback, Result};

const NAME: &str = "xt_r";
/// Rows each invocation sums.
const CHUNK: usize = 256;

/// Returns $X^\top R$ ($d \times t$) for resident rows $X$ ($n \times d$) and $R$ ($n \times t$)
/// on the host. Each invocation sums a chunk of rows in the kernel's precision; the chunks'
/// partials are added in f64.
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
    let r_buffer = input_buffer(queue, "xt_r r", largest * t * elem)?;
    let partial_bytes = largest.div_ceil(CHUNK) * k4 * t * 4 * elem;
    let result = ResultBuffer::new(queue, "xt_r partials", partial_bytes, readback)?;
    let mut host_r = vec![R::default(); largest * t];
    for block in &x.blocks {
        let n = block.rows;
        for (i, row) in host_r.chunks_exact_mut(t).take(n).enumerate() {
            for (v, w) in row.iter_mut().zip(r.row(block.start + i)) {
                *v = R::from_f64(*w);
            }
        }
        queue.write(&r_buffer, 0, bytemuck::cast_slice(&host_r[..n * t]));
        let chunks = n.div_ceil(CHUNK);
        let bytes = chunks * k4 * t * 4 * elem;
        run_dispatch(
            queue,
            &pipeline,
            &[n as u32, k4 as u32, t as u32, CHUNK as u32],
            &[&block.buffer, &r_buffer],
            &[(&result, bytes)],
            chunks * k4 * t,
        )?;
        result.read::<R, _>(queue, bytes, |partials| {
            // partials[chunk][j4][column] is a vec4 over features 4 j4 .. 4 j4 + 4.
            for chunk in partials.chunks_exact(k4 * t * 4) {
                for (index, lanes) in chunk.chunks_exact(4).enumerate() {
                    let (j4, column) = (index / t, index % t);
                    for (lane, v) in lanes.iter().enumerate() {
                        let feature = 4 * j4 + lane;
                        if feature < d {
                            out[[feature, column]] += v.to_f64();
                        }
                    }
                }
            }
        })?;
    }
    Ok(out)
}
