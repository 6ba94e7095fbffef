//! Logistic regression's objective on resident rows (`shaders/logistic_rows.wgsl`, then
//! `xt_r.wgsl`, `column_sums.wgsl` and `reduce.wgsl`): one submission and one wait per evaluation of the loss and
//! gradient, or of a Hessian product, reading back only the $k (d + 1) + 1$ totals.

use ndarray::{Array2, ArrayView2};

use super::{check_shapes, input_buffer, Grouping, Recorder};
use crate::device_rows::RowBlock;
use crate::result_buffer::ResultBuffer;
use crate::{DeviceRows, KernelFloat, Precision, Queue, Readback, Result};

const NAME: &str = "logistic_rows";
/// Outputs (classes) the row kernel holds in registers.
pub const MAX_OUTPUTS: usize = 64;
/// Rows each invocation of $X^\top R$ sums.
const CHUNK: usize = 256;
/// Rows each invocation of the binary kernel takes: many on a software adapter (few cores,
/// each running long loops well), few on a GPU (which needs many invocations in flight).
fn binary_chunk(queue: &Queue) -> usize {
    if queue.info().device_type == "Cpu" {
        128
    } else {
        16
    }
}
/// The widest rows (in vec4s) the binary kernel holds in registers.
const MAX_BINARY_WIDTH4: usize = 16;

/// What an evaluation computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogisticPass {
    /// The loss and its gradient; keeps each row's curvature for later Hessian products.
    LossGradient = 0,
    /// The Hessian (at the last [`LogisticPass::LossGradient`]) times a direction.
    HessianProduct = 1,
}

/// One evaluation's sums over this rank's rows: the weighted loss, $R^\top X$ ($k \times d$)
/// and the column sums of $R$ (the intercepts' gradient).
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticSums {
    /// $\sum_i s_i \ell_i$ (0 for a Hessian product).
    pub loss: f64,
    /// $R^\top X$, $k \times d$.
    pub coef: Array2<f64>,
    /// $\sum_i R_{ic}$.
    pub intercept: Vec<f64>,
}

/// The device state of a logistic-regression fit over resident rows: each row's label and
/// weight (uploaded once), its curvature from the last loss evaluation, and the buffers every
/// evaluation reuses.
pub struct LogisticRows {
    outputs: usize,
    labels: wgpu::Buffer,
    weights: wgpu::Buffer,
    weighted: bool,
    curvature: wgpu::Buffer,
    coef: wgpu::Buffer,
    intercept: wgpu::Buffer,
    /// Per row: the k derivatives, then the loss.
    r: wgpu::Buffer,
    partials: wgpu::Buffer,
    column_partials: wgpu::Buffer,
    total: ResultBuffer,
}

impl LogisticRows {
    /// State for the rows `x` with class indices `labels` (binary: 1 is the positive class)
    /// and optional weights, for `outputs` outputs (1: binary; else one per class); `None`
    /// where the kernel cannot take them (more than [`MAX_OUTPUTS`] outputs, or no rows).
    pub fn new(
        queue: &Queue,
        x: &DeviceRows,
        labels: &[u32],
        weights: Option<&[f64]>,
        outputs: usize,
        readback: Readback,
    ) -> Result<Option<Self>> {
        check_shapes(NAME, labels.len() == x.rows(), || {
            format!("{} labels for {} rows", labels.len(), x.rows())
        })?;
        check_shapes(NAME, weights.is_none_or(|w| w.len() == x.rows()), || {
            "one weight per row".into()
        })?;
        if outputs == 0 || outputs > MAX_OUTPUTS || x.rows() == 0 {
            return Ok(None);
        }
        match x.precision() {
            Precision::F32 => Self::make::<f32>(queue, x, labels, weights, outputs, readback),
            Precision::F64 => Self::make::<f64>(queue, x, labels, weights, outputs, readback),
        }
        .map(Some)
    }

    fn make<R: KernelFloat>(
        queue: &Queue,
        x: &DeviceRows,
        labels: &[u32],
        weights: Option<&[f64]>,
        outputs: usize,
        readback: Readback,
    ) -> Result<Self> {
        use wgpu::BufferUsages as U;
        let (n, k, k4, elem) = (x.rows(), outputs, x.k4, std::mem::size_of::<R>());
        let largest = x.blocks.iter().map(|b| b.rows).max().unwrap_or(1);
        let label_buffer = input_buffer(queue, "logistic labels", n * 4)?;
        queue.write(&label_buffer, 0, bytemuck::cast_slice(labels));
        let weight_buffer = match weights {
            Some(w) => {
                let buffer = input_buffer(queue, "logistic weights", n * elem)?;
                let values: Vec<R> = w.iter().map(|&v| R::from_f64(v)).collect();
                queue.write(&buffer, 0, bytemuck::cast_slice(&values));
                buffer
            }
            None => input_buffer(queue, "logistic weights (none)", elem)?,
        };
        let partial_elems = k4 * k * 4;
        let binary_partials = largest.div_ceil(binary_chunk(queue)) * (k4 * 4 + 2);
        let partials = (largest.div_ceil(CHUNK) * partial_elems).max(binary_partials);
        Ok(Self {
            outputs,
            labels: label_buffer,
            weights: weight_buffer,
            weighted: weights.is_some(),
            curvature: queue.storage_buffer("logistic curvature", n * k * elem, U::STORAGE)?,
            coef: input_buffer(queue, "logistic coefficients", k * k4 * 4 * elem)?,
            intercept: input_buffer(queue, "logistic intercepts", k * elem)?,
            r: queue.storage_buffer("logistic residuals", largest * (k + 1) * elem, U::STORAGE)?,
            partials: queue.storage_buffer("logistic partials", partials * elem, U::STORAGE)?,
            column_partials: queue.storage_buffer(
                "logistic column partials",
                largest.div_ceil(CHUNK) * (k + 1) * elem,
                U::STORAGE,
            )?,
            total: ResultBuffer::new(
                queue,
                "logistic totals",
                (partial_elems + k + 1) * 2 * elem,
                readback,
            )?,
        })
    }

    /// One evaluation at coefficients `coef` ($k \times d$) and `intercept` ($k$): the loss and
    /// gradient sums, or (after a loss evaluation) the Hessian-product sums for the direction
    /// they give.
    pub fn evaluate(
        &self,
        queue: &Queue,
        x: &DeviceRows,
        (coef, intercept): (ArrayView2<'_, f64>, &[f64]),
        pass: LogisticPass,
    ) -> Result<LogisticSums> {
        check_shapes(
            NAME,
            coef.dim() == (self.outputs, x.cols()) && intercept.len() == self.outputs,
            || {
                format!(
                    "{:?} coefficients and {} intercepts for {} outputs of {} columns",
                    coef.dim(),
                    intercept.len(),
                    self.outputs,
                    x.cols()
                )
            },
        )?;
        match x.precision() {
            Precision::F32 => self.run::<f32>(queue, x, (coef, intercept), pass),
            Precision::F64 => self.run::<f64>(queue, x, (coef, intercept), pass),
        }
    }

    fn run<R: KernelFloat>(
        &self,
        queue: &Queue,
        x: &DeviceRows,
        (coef, intercept): (ArrayView2<'_, f64>, &[f64]),
        pass: LogisticPass,
    ) -> Result<LogisticSums> {
        let (k, d, k4, elem) = (self.outputs, x.cols(), x.k4, std::mem::size_of::<R>());
        let mut packed = vec![R::default(); k * k4 * 4];
        for c in 0..k {
            for j in 0..d {
                packed[c * k4 * 4 + j] = R::from_f64(coef[[c, j]]);
            }
        }
        let b: Vec<R> = intercept.iter().map(|&v| R::from_f64(v)).collect();
        queue.write(&self.coef, 0, bytemuck::cast_slice(&packed));
        queue.write(&self.intercept, 0, bytemuck::cast_slice(&b));
        let partial_elems = k4 * k * 4;
        let bytes = (partial_elems + k + 1) * 2 * elem;
        let mut recorder = Recorder::new(queue);
        if k == 1 && k4 <= MAX_BINARY_WIDTH4 {
            self.record_binary(&mut recorder, x, pass)?;
        } else {
            self.record_rows(&mut recorder, x, pass)?;
        }
        recorder.copy(&self.total, bytes);
        let mut sums = LogisticSums {
            loss: 0.0,
            coef: Array2::zeros((k, d)),
            intercept: vec![0.0; k],
        };
        recorder.submit_and_read(&self.total, bytes, |pairs: &[R]| {
            let value = |e: usize| pairs[2 * e].to_f64() + pairs[2 * e + 1].to_f64();
            // Element (j4, output, lane) is feature 4 j4 + lane of that output.
            for e in 0..partial_elems {
                let (lane, vec) = (e % 4, e / 4);
                let (j4, c) = (vec / k, vec % k);
                let feature = 4 * j4 + lane;
                if feature < d {
                    sums.coef[[c, feature]] = value(e);
                }
            }
            for (c, v) in sums.intercept.iter_mut().enumerate() {
                *v = value(partial_elems + c);
            }
            sums.loss = value(partial_elems + k);
        })?;
        Ok(sums)
    }

    /// The row kernels' parameters for `block`: rows, vec4s per row, then `second` (the binary
    /// kernel's rows per invocation, the general kernel's outputs), the pass, where the block
    /// starts and whether rows are weighted.
    fn params(
        &self,
        block: &RowBlock,
        (k4, second): (usize, usize),
        pass: LogisticPass,
    ) -> [u32; 8] {
        let weighted = usize::from(self.weighted);
        [
            block.rows,
            k4,
            second,
            pass as usize,
            block.start,
            weighted,
            0,
            0,
        ]
        .map(|v| v as u32)
    }

    /// The row kernels' bindings for `block`, writing `out`.
    fn bindings<'b>(&'b self, block: &'b RowBlock, out: &'b wgpu::Buffer) -> [&'b wgpu::Buffer; 7] {
        [
            &block.buffer,
            &self.coef,
            &self.intercept,
            &self.labels,
            &self.weights,
            &self.curvature,
            out,
        ]
    }

    /// Records the binary kernel's one pass per block and the sum of its partials.
    fn record_binary(
        &self,
        recorder: &mut Recorder<'_>,
        x: &DeviceRows,
        pass: LogisticPass,
    ) -> Result<()> {
        let queue = recorder.queue();
        let pipeline = queue.specialised_pipeline(
            "logistic_binary",
            x.precision(),
            crate::shaders::LOGISTIC_BINARY,
            &[("WIDTH4", x.k4 as u32)],
        )?;
        let reduce = queue.reduce_pipeline(x.precision())?;
        for (index, block) in x.blocks.iter().enumerate() {
            let n = block.rows;
            let chunk = binary_chunk(queue);
            let chunks = n.div_ceil(chunk);
            let params = self.params(block, (x.k4, chunk), pass);
            let bindings = self.bindings(block, &self.partials);
            recorder.dispatch(&pipeline, &params, &bindings, chunks)?;
            let into = (&self.partials, &self.total);
            let sizes = (x.k4 * 4 + 2, chunks, 0);
            recorder.reduce(&reduce, into, sizes, Grouping::Sums, index == 0)?;
        }
        Ok(())
    }

    /// Records the general passes per block: the row kernel, $X^\top R$, the column sums of
    /// the derivatives and losses, and their sums.
    fn record_rows(
        &self,
        recorder: &mut Recorder<'_>,
        x: &DeviceRows,
        pass: LogisticPass,
    ) -> Result<()> {
        let queue = recorder.queue();
        let (k, k4) = (self.outputs, x.k4);
        let rows_pipeline = queue.pipeline(NAME, x.precision(), crate::shaders::LOGISTIC_ROWS)?;
        let xt_r = queue.pipeline("xt_r", x.precision(), crate::shaders::XT_R)?;
        let column_sums =
            queue.pipeline("column_sums", x.precision(), crate::shaders::COLUMN_SUMS)?;
        let reduce = queue.reduce_pipeline(x.precision())?;
        let partial_elems = k4 * k * 4;
        for (index, block) in x.blocks.iter().enumerate() {
            let n = block.rows;
            let params = self.params(block, (k4, k), pass);
            let bindings = self.bindings(block, &self.r);
            recorder.dispatch(&rows_pipeline, &params, &bindings, n)?;
            let chunks = n.div_ceil(CHUNK);
            let stride = k as u32 + 1;
            recorder.dispatch(
                &xt_r,
                &[n as u32, k4 as u32, k as u32, CHUNK as u32, stride, 0, 0, 0],
                &[&block.buffer, &self.r, &self.partials],
                chunks * k4 * k,
            )?;
            // The derivatives' and the losses' sums (the intercepts' gradient and the loss).
            recorder.dispatch(
                &column_sums,
                &[n as u32, stride, CHUNK as u32, 0],
                &[&self.r, &self.column_partials],
                chunks * (k + 1),
            )?;
            let first = index == 0;
            let into = (&self.partials, &self.total);
            recorder.reduce(
                &reduce,
                into,
                (partial_elems, chunks, 0),
                Grouping::Sums,
                first,
            )?;
            let into = (&self.column_partials, &self.total);
            let sizes = (k + 1, chunks, partial_elems);
            recorder.reduce(&reduce, into, sizes, Grouping::Sums, first)?;
        }
        Ok(())
    }
}
