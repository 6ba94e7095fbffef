//! $Y = (X - 1 c^\top) \operatorname{diag}(s) + 1 b^\top$, column by column (the scalers'
//! `transform` and `inverse_transform`), streamed in row blocks.

use ndarray::{s, Array2, ArrayView2};

use super::{check_shapes, input_buffer, run_dispatch};
use crate::pack::pack_rows_parallel;
use crate::result_buffer::ResultBuffer;
use crate::{HostFloat, KernelFloat, Precision, Queue, Readback, Result};

const NAME: &str = "affine";
const DEFAULT_BLOCK_ROWS: usize = 1 << 16;

/// Returns `(x - centre) * scale + offset` per column, `n x d`, computed on the GPU block by
/// block. The centre is subtracted on the host in f64, so a centre near the data keeps f32
/// accurate.
///
/// ```no_run
/// use ndarray::array;
/// use spmd_gpu::{kernels::affine::affine, Queue, Readback};
///
/// let queue = Queue::new()?;
/// let x = array![[1.0_f32, 10.0], [3.0, 30.0]];
/// let y = affine(&queue, x.view(), &[2.0, 20.0], &[1.0, 0.1], &[0.0, 1.0], Readback::Staged)?;
/// assert_eq!(y, array![[-1.0, 0.0], [1.0, 2.0]]);
/// # Ok::<(), spmd_gpu::Error>(())
/// ```
pub fn affine<F: HostFloat>(
    queue: &Queue,
    x: ArrayView2<'_, F>,
    centre: &[f64],
    scale: &[f64],
    offset: &[f64],
    readback: Readback,
) -> Result<Array2<f64>> {
    let d = x.ncols();
    check_shapes(
        NAME,
        centre.len() == d && scale.len() == d && offset.len() == d,
        || {
            format!(
                "x has {d} columns; centre {}, scale {}, offset {}",
                centre.len(),
                scale.len(),
                offset.len()
            )
        },
    )?;
    match queue.precision_for::<F>() {
        Precision::F32 => {
            run::<F, f32>(queue, x, [centre, scale, offset], Precision::F32, readback)
        }
        Precision::F64 => {
            run::<F, f64>(queue, x, [centre, scale, offset], Precision::F64, readback)
        }
    }
}

fn run<F: HostFloat, R: KernelFloat>(
    queue: &Queue,
    x: ArrayView2<'_, F>,
    [centre, scale, offset]: [&[f64]; 3],
    precision: Precision,
    readback: Readback,
) -> Result<Array2<f64>> {
    let (rows, d) = (x.nrows(), x.ncols());
    let mut y = Array2::zeros((rows, d));
    if rows == 0 || d == 0 {
        return Ok(y);
    }
    let (w4, elem) = (d.div_ceil(4), std::mem::size_of::<R>());
    let block_rows = queue
        .block_rows(w4 * 4 * elem, DEFAULT_BLOCK_ROWS)
        .min(rows);
    let pipeline = queue.pipeline(NAME, precision, crate::shaders::AFFINE)?;

    let mut coefficients = vec![R::default(); 2 * w4 * 4];
    for j in 0..d {
        coefficients[j] = R::from_f64(scale[j]);
        coefficients[w4 * 4 + j] = R::from_f64(offset[j]);
    }
    let coefficient_buffer = input_buffer(queue, "affine coefficients", coefficients.len() * elem)?;
    queue.write(&coefficient_buffer, 0, bytemuck::cast_slice(&coefficients));
    let z_buffer = input_buffer(queue, "affine rows", block_rows * w4 * 4 * elem)?;
    let result = ResultBuffer::new(queue, "affine y", block_rows * w4 * 4 * elem, readback)?;
    let mut host_rows = vec![R::default(); block_rows * w4 * 4];

    for start in (0..rows).step_by(block_rows) {
        let n = block_rows.min(rows - start);
        let values = n * w4 * 4;
        pack_rows_parallel(&[x], Some(centre), start, n, w4 * 4, &mut host_rows, None);
        queue.write(&z_buffer, 0, bytemuck::cast_slice(&host_rows[..values]));
        run_dispatch(
            queue,
            &pipeline,
            &[n as u32, w4 as u32, 0, 0],
            &[&z_buffer, &coefficient_buffer],
            &[(&result, values * elem)],
            n * w4,
        )?;
        result.read::<R, _>(queue, values * elem, |out| {
            let mut block = y.slice_mut(s![start..start + n, ..]);
            for (mut row, got) in block.rows_mut().into_iter().zip(out.chunks_exact(w4 * 4)) {
                for (v, g) in row.iter_mut().zip(got) {
                    *v = KernelFloat::to_f64(*g);
                }
            }
        })?;
    }
    Ok(y)
}
