//! $Y = X W$ over row blocks, for predictions.

use ndarray::{Array2, ArrayView2};

use super::{check_shapes, input_buffer, run_dispatch};
use crate::pack::pack_rows_parallel;
use crate::result_buffer::ResultBuffer;
use crate::KernelFloat;
use crate::{DeviceRows, HostFloat, Precision, Queue, Readback, Result};

const NAME: &str = "matmul";
const DEFAULT_BLOCK_ROWS: usize = 1 << 16;

/// Returns $X W$ ($n \times t$) for $X$ ($n \times k$) on the host and $W$ ($k \times t$), computed
/// on the GPU in row blocks.
///
/// ```no_run
/// use ndarray::array;
/// use spmd_gpu::{kernels::matmul::matmul, Queue, Readback};
///
/// let queue = Queue::new()?;
/// let x = array![[1.0_f32, 2.0], [3.0, 4.0]];
/// let w = array![[1.0], [0.5]];
/// assert_eq!(matmul(&queue, x.view(), w.view(), Readback::Staged)?, array![[2.0], [5.0]]);
/// # Ok::<(), spmd_gpu::Error>(())
/// ```
pub fn matmul<F: HostFloat>(
    queue: &Queue,
    x: ArrayView2<'_, F>,
    w: ArrayView2<'_, f64>,
    readback: Readback,
) -> Result<Array2<f64>> {
    check_shapes(NAME, x.ncols() == w.nrows(), || {
        format!("x has {} columns but w has {} rows", x.ncols(), w.nrows())
    })?;
    match queue.precision_for::<F>() {
        Precision::F32 => run::<F, f32>(queue, x, w, readback, Precision::F32),
        Precision::F64 => run::<F, f64>(queue, x, w, readback, Precision::F64),
    }
}

fn run<F: HostFloat, R: KernelFloat>(
    queue: &Queue,
    x: ArrayView2<'_, F>,
    w: ArrayView2<'_, f64>,
    readback: Readback,
    precision: Precision,
) -> Result<Array2<f64>> {
    let (rows, k, t) = (x.nrows(), x.ncols(), w.ncols());
    let mut y = Array2::zeros((rows, t));
    if rows == 0 || t == 0 {
        return Ok(y);
    }
    let (k4, t4) = (k.div_ceil(4).max(1), t.div_ceil(4));
    let elem = std::mem::size_of::<R>();
    let block_rows = queue
        .block_rows(k4 * 4 * elem, DEFAULT_BLOCK_ROWS)
        .min(queue.block_rows(t4 * 4 * elem, DEFAULT_BLOCK_ROWS))
        .min(rows);

    let pipeline = queue.pipeline(NAME, precision, crate::shaders::MATMUL)?;
    let w_buffer = weights_buffer::<R>(queue, w, k4, t4)?;
    let x_buffer = input_buffer(queue, "matmul x", block_rows * k4 * 4 * elem)?;
    let result = ResultBuffer::new(queue, "matmul y", block_rows * t4 * 4 * elem, readback)?;
    let mut host_rows = vec![R::default(); block_rows * k4 * 4];

    for start in (0..rows).step_by(block_rows) {
        let n = block_rows.min(rows - start);
        pack_rows_parallel(&[x], None, start, n, k4 * 4, &mut host_rows, None);
        queue.write(&x_buffer, 0, bytemuck::cast_slice(&host_rows[..n * k4 * 4]));
        let block = Block {
            pipeline: &pipeline,
            x: &x_buffer,
            w: &w_buffer,
            result: &result,
            k4,
        };
        block.multiply::<R>(queue, start, n, &mut y)?;
    }
    Ok(y)
}

/// One block's dispatch: its rows' products written into `y` from row `start` on.
struct Block<'a> {
    pipeline: &'a wgpu::ComputePipeline,
    x: &'a wgpu::Buffer,
    w: &'a wgpu::Buffer,
    result: &'a ResultBuffer,
    k4: usize,
}

impl Block<'_> {
    fn multiply<R: KernelFloat>(
        &self,
        queue: &Queue,
        start: usize,
        n: usize,
        y: &mut Array2<f64>,
    ) -> Result<()> {
        let t = y.ncols();
        let t4 = t.div_ceil(4);
        let bytes = n * t4 * 4 * std::mem::size_of::<R>();
        run_dispatch(
            queue,
            self.pipeline,
            &[n as u32, self.k4 as u32, t4 as u32, 0],
            &[self.x, self.w],
            &[(self.result, bytes)],
            n * t4,
        )?;
        self.result.read::<R, _>(queue, bytes, |out| {
            for (r, row) in out.chunks_exact(t4 * 4).enumerate() {
                for (j, v) in row[..t].iter().enumerate() {
                    y[[start + r, j]] = KernelFloat::to_f64(*v);
                }
            }
        })
    }
}

/// Returns $X W$ ($n \times t$) for rows $X$ already on the device (see [`DeviceRows`]) and $W$
/// ($d \times t$): no upload of $X$.
pub fn matmul_resident(
    queue: &Queue,
    x: &DeviceRows,
    w: ArrayView2<'_, f64>,
    readback: Readback,
) -> Result<Array2<f64>> {
    check_shapes(NAME, x.cols() == w.nrows(), || {
        format!("x has {} columns but w has {} rows", x.cols(), w.nrows())
    })?;
    match x.precision() {
        Precision::F32 => run_resident::<f32>(queue, x, w, readback),
        Precision::F64 => run_resident::<f64>(queue, x, w, readback),
    }
}

fn run_resident<R: KernelFloat>(
    queue: &Queue,
    x: &DeviceRows,
    w: ArrayView2<'_, f64>,
    readback: Readback,
) -> Result<Array2<f64>> {
    let (k4, t) = (x.k4, w.ncols());
    let mut y = Array2::zeros((x.rows(), t));
    let Some(largest) = x.blocks.iter().map(|b| b.rows).max() else {
        return Ok(y);
    };
    if t == 0 {
        return Ok(y);
    }
    let t4 = t.div_ceil(4);
    let elem = std::mem::size_of::<R>();
    let pipeline = queue.pipeline(NAME, x.precision(), crate::shaders::MATMUL)?;
    let w_buffer = weights_buffer::<R>(queue, w, k4, t4)?;
    let result = ResultBuffer::new(queue, "matmul y", largest * t4 * 4 * elem, readback)?;
    for rows in &x.blocks {
        let block = Block {
            pipeline: &pipeline,
            x: &rows.buffer,
            w: &w_buffer,
            result: &result,
            k4,
        };
        block.multiply::<R>(queue, rows.start, rows.rows, &mut y)?;
    }
    Ok(y)
}

/// $W$ padded to `4 k4` rows of `t4` vec4s, on the device.
fn weights_buffer<R: KernelFloat>(
    queue: &Queue,
    w: ArrayView2<'_, f64>,
    k4: usize,
    t4: usize,
) -> Result<wgpu::Buffer> {
    let mut host = vec![R::default(); k4 * 4 * t4 * 4];
    for ((i, j), v) in w.indexed_iter() {
        host[i * t4 * 4 + j] = R::from_f64(*v);
    }
    let buffer = input_buffer(queue, "matmul w", host.len() * std::mem::size_of::<R>())?;
    queue.write(&buffer, 0, bytemuck::cast_slice(&host));
    Ok(buffer)
}
