//! Nearest-centre assignment for k-means, streamed in row blocks.

use ndarray::ArrayView2;

use super::{input_buffer, record_dispatch, uniform_buffer};
use crate::pack::pack_rows;
use crate::readback::ResultBuffer;
use crate::{Error, HostFloat, KernelFloat, Precision, Queue, Readback, Result};

/// WGSL of the kernel.
pub const SOURCE: &str = include_str!("../../../../shaders/kmeans_assign.wgsl");

const NAME: &str = "kmeans_assign";
const DEFAULT_BLOCK_ROWS: usize = 1 << 16;

/// For each row of `x`, calls `visit(row, label, squared_distance)` with its nearest centre
/// (rows of `centres`, `k x d`), computed on the GPU block by block. Ties go to the lowest label.
///
/// Rows and centres are shifted by `shift` (near the data's mean) before they reach the device,
/// which leaves distances unchanged and keeps f32 accurate.
pub fn assign<F: HostFloat>(
    queue: &Queue,
    x: ArrayView2<'_, F>,
    centres: ArrayView2<'_, f64>,
    shift: &[f64],
    readback: Readback,
    mut visit: impl FnMut(usize, usize, f64),
) -> Result<()> {
    if x.ncols() != centres.ncols() || shift.len() != x.ncols() || centres.nrows() == 0 {
        return Err(Error::Shape {
            kernel: NAME,
            message: format!(
                "x has {} columns, centres {} x {}, shift {}",
                x.ncols(),
                centres.nrows(),
                centres.ncols(),
                shift.len()
            ),
        });
    }
    match queue.precision_for::<F>() {
        Precision::F32 => run::<F, f32>(
            queue,
            x,
            centres,
            shift,
            readback,
            Precision::F32,
            &mut visit,
        ),
        Precision::F64 => run::<F, f64>(
            queue,
            x,
            centres,
            shift,
            readback,
            Precision::F64,
            &mut visit,
        ),
    }
}

fn run<F: HostFloat, R: KernelFloat>(
    queue: &Queue,
    x: ArrayView2<'_, F>,
    centres: ArrayView2<'_, f64>,
    shift: &[f64],
    readback: Readback,
    precision: Precision,
    visit: &mut impl FnMut(usize, usize, f64),
) -> Result<()> {
    let (rows, d, k) = (x.nrows(), x.ncols(), centres.nrows());
    if rows == 0 {
        return Ok(());
    }
    let w4 = d.div_ceil(4).max(1);
    let elem = std::mem::size_of::<R>();
    let block_rows = queue
        .block_rows(w4 * 4 * elem, DEFAULT_BLOCK_ROWS)
        .min(rows);

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
    let pipeline = queue.pipeline(NAME, precision, SOURCE)?;
    let centre_buffer = input_buffer(queue, "kmeans centres", packed_centres.len() * elem);
    queue
        .queue
        .write_buffer(&centre_buffer, 0, bytemuck::cast_slice(&packed_centres));
    let x_buffer = input_buffer(queue, "kmeans rows", block_rows * w4 * 4 * elem);
    let labels = ResultBuffer::new(queue, "kmeans labels", block_rows * 4, readback)?;
    let distances = ResultBuffer::new(queue, "kmeans distances", block_rows * elem, readback)?;
    let mut host_rows = vec![R::default(); block_rows * w4 * 4];

    for start in (0..rows).step_by(block_rows) {
        let n = block_rows.min(rows - start);
        pack_rows(&[x], Some(shift), start, n, w4 * 4, &mut host_rows, None);
        queue
            .queue
            .write_buffer(&x_buffer, 0, bytemuck::cast_slice(&host_rows[..n * w4 * 4]));
        let params = uniform_buffer(queue, "kmeans params", &[n as u32, w4 as u32, k as u32, 0]);
        let mut encoder = queue.device.create_command_encoder(&Default::default());
        record_dispatch(
            queue,
            &mut encoder,
            &pipeline,
            &[
                &params,
                &x_buffer,
                &centre_buffer,
                labels.binding(),
                distances.binding(),
            ],
            n,
        );
        labels.record_copy(&mut encoder, n * 4);
        distances.record_copy(&mut encoder, n * elem);
        queue.submit_and_wait(encoder)?;
        let found: Vec<u32> = labels.read::<u32, _>(queue, n * 4, |l| l.to_vec())?;
        distances.read::<R, _>(queue, n * elem, |dist| {
            for (i, (&label, d)) in found.iter().zip(dist).enumerate() {
                visit(start + i, label as usize, d.to_f64().max(0.0));
            }
        })?;
    }
    Ok(())
}
