//! Rows uploaded once and kept on the device, for solvers that pass over them many times.

use ndarray::ArrayView2;

use crate::dispatch::{input_buffer, Recorder};
use crate::{Error, HostFloat, KernelFloat, Precision, Queue, Result};

/// Rows per resident block when the binding limit allows it.
const DEFAULT_BLOCK_ROWS: usize = 1 << 18;

/// One block of resident rows.
pub(crate) struct RowBlock {
    /// Index of the block's first row.
    pub start: usize,
    /// Rows in the block.
    pub rows: usize,
    /// The rows, each padded to `k4` vec4s.
    pub buffer: wgpu::Buffer,
}

/// A host matrix copied to the device in the kernels' padded layout, in blocks no larger than
/// the storage-binding limit. Iterative solvers upload their rows once and run
/// [`matmul_resident`](crate::kernels::matmul::matmul_resident) and
/// [`xt_r`](crate::kernels::xt_r::xt_r) on them every iteration.
///
/// ```no_run
/// use ndarray::array;
/// use spmd_gpu::{kernels::xt_r::xt_r, DeviceRows, Queue, Readback};
///
/// let queue = Queue::new()?;
/// let x = array![[1.0_f64, 2.0], [3.0, 4.0]];
/// let rows = DeviceRows::upload(&queue, x.view())?;
/// let r = array![[1.0], [-1.0]];
/// assert_eq!(xt_r(&queue, &rows, r.view(), Readback::Staged)?, array![[-2.0], [-2.0]]);
/// # Ok::<(), spmd_gpu::Error>(())
/// ```
pub struct DeviceRows {
    pub(crate) precision: Precision,
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) k4: usize,
    pub(crate) blocks: Vec<RowBlock>,
    /// What was subtracted from every row (zeros for [`DeviceRows::upload`]).
    pub(crate) shift: Vec<f64>,
}

impl std::fmt::Debug for DeviceRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceRows")
            .field("precision", &self.precision)
            .field("rows", &self.rows)
            .field("cols", &self.cols)
            .field("blocks", &self.blocks.len())
            .finish()
    }
}

impl DeviceRows {
    /// Copies `x` to the device, in f64 where the adapter and `F` allow, f32 otherwise.
    pub fn upload<F: HostFloat>(queue: &Queue, x: ArrayView2<'_, F>) -> Result<Self> {
        Self::upload_shifted(queue, x, None)
    }

    /// Copies `x - shift` to the device (a shift near the data's mean keeps f32 accurate for
    /// kernels that take differences, such as distances).
    pub fn upload_shifted<F: HostFloat>(
        queue: &Queue,
        x: ArrayView2<'_, F>,
        shift: Option<&[f64]>,
    ) -> Result<Self> {
        if let Some(shift) = shift.filter(|s| s.len() != x.ncols()) {
            return Err(Error::Shape {
                kernel: "resident rows",
                message: format!("x has {} columns but shift {}", x.ncols(), shift.len()),
            });
        }
        match queue.precision_for::<F>() {
            Precision::F32 => Self::upload_as::<F, f32>(queue, x, shift, Precision::F32),
            Precision::F64 => Self::upload_as::<F, f64>(queue, x, shift, Precision::F64),
        }
    }

    fn upload_as<F: HostFloat, R: KernelFloat>(
        queue: &Queue,
        x: ArrayView2<'_, F>,
        shift: Option<&[f64]>,
        precision: Precision,
    ) -> Result<Self> {
        let (rows, cols) = x.dim();
        let k4 = cols.div_ceil(4).max(1);
        let row_bytes = k4 * 4 * precision.bytes();
        let block_rows = queue
            .block_rows(row_bytes, DEFAULT_BLOCK_ROWS)
            .min(rows.max(1));
        let mut blocks = Vec::new();
        // Running out of device memory is an error to return, not a panic of wgpu's default
        // handler.
        let scope = queue
            .device
            .push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        for start in (0..rows).step_by(block_rows) {
            let n = block_rows.min(rows - start);
            let buffer = input_buffer(queue, "resident rows", n * row_bytes)?;
            let mut recorder = Recorder::new(queue);
            let uploaded =
                recorder.upload_rows::<F, R>(&buffer, &[x], shift, (start, n, k4 * 4), None)?;
            recorder.submit(uploaded)?;
            blocks.push(RowBlock {
                start,
                rows: n,
                buffer,
            });
        }
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(Error::Device(format!(
                "{rows} x {cols} rows do not fit in the device's memory ({e}); fit on the CPU \
                 or on more ranks"
            )));
        }
        queue.submit_and_wait(queue.device.create_command_encoder(&Default::default()))?;
        Ok(Self {
            precision,
            rows,
            cols,
            k4,
            blocks,
            shift: shift.map_or_else(|| vec![0.0; cols], <[f64]>::to_vec),
        })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// What was subtracted from every row before upload.
    pub fn shift(&self) -> &[f64] {
        &self.shift
    }

    /// The precision the rows are stored and multiplied in.
    pub fn precision(&self) -> Precision {
        self.precision
    }
}
