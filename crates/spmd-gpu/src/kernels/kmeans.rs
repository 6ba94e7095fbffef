//! Nearest-centre assignment and distances to every centre for k-means, over row blocks.

use ndarray::{Array2, ArrayView2};

use super::{check_shapes, input_buffer, run_dispatch, Recorder};
use crate::pack::pack_rows;
use crate::result_buffer::ResultBuffer;
use crate::DeviceRows;
use crate::{HostFloat, KernelFloat, Precision, Queue, Readback, Result};

const NAME: &str = "kmeans_assign";
const DISTANCES: &str = "kmeans_distances";
const DEFAULT_BLOCK_ROWS: usize = 1 << 16;

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
    let elem = std::mem::size_of::<R>();
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
    let pipeline = queue.pipeline(NAME, x.precision(), crate::shaders::KMEANS_ASSIGN)?;
    let centre_buffer = input_buffer(queue, "kmeans centres", packed_centres.len() * elem)?;
    queue.write(&centre_buffer, 0, bytemuck::cast_slice(&packed_centres));
    // Blocks in groups whose labels fit one buffer binding (all of them, but on huge inputs).
    let group_rows = queue.block_rows(4, usize::MAX).min(x.rows()).max(1);
    let result = ResultBuffer::new(queue, "kmeans labels", group_rows * 4, readback)?;
    let mut blocks = x.blocks.iter().peekable();
    while blocks.peek().is_some() {
        let mut recorder = Recorder::new(queue);
        let mut filled = 0;
        while let Some(block) = blocks.next_if(|b| filled + b.rows <= group_rows || filled == 0) {
            let params = [block.rows as u32, w4 as u32, k as u32, filled as u32];
            recorder.dispatch(
                &pipeline,
                &params,
                &[&block.buffer, &centre_buffer, result.binding()],
                block.rows,
            )?;
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
        pack_rows(&[x], Some(shift), start, n, w4 * 4, &mut host_rows, None);
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
                *o = v.to_f64().max(0.0);
            }
        })?;
    }
    Ok(out)
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
