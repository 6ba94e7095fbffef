//! Logistic regression on this rank's GPU: the rows, labels and weights uploaded once and kept
//! there for every evaluation of the objective, each evaluation (loss and gradient, or a
//! Hessian product) one submission reading back only its $k (d + 1) + 1$ sums
//! (`spmd_gpu::kernels::logistic`).

use faer::Mat;
use ndarray::{Array2, ArrayView2};
use spmd_gpu::kernels::logistic::{LogisticPass, LogisticRows, LogisticSums};
use spmd_gpu::{DeviceRows, Queue};

use crate::backend::Backend;
use crate::{Float, Result};

/// The GPU a [`LogLoss`](super::objective::LogLoss) runs on, with the rows already there.
pub(super) struct Device<'a> {
    queue: &'a Queue,
    rows: DeviceRows,
    state: LogisticRows,
}

/// This rank's rows `x` (class indices `labels`, optional `weights`, `outputs` outputs) on
/// `backend`'s GPU, or `None` on its CPU (or where the kernel cannot take that many classes).
pub(super) fn upload<'a, F: Float>(
    backend: &Backend<'a>,
    x: ArrayView2<'_, F>,
    (labels, weights): (&[u32], Option<&[f64]>),
    outputs: usize,
) -> Result<Option<Device<'a>>> {
    let Some((queue, readback)) = backend.device() else {
        return Ok(None);
    };
    if outputs > spmd_gpu::kernels::logistic::MAX_OUTPUTS {
        tracing::warn!(
            classes = outputs,
            "logistic regression with more than {} classes runs on the CPU",
            spmd_gpu::kernels::logistic::MAX_OUTPUTS
        );
        return Ok(None);
    }
    let _upload = queue.phase("upload");
    let rows = DeviceRows::upload(queue, x)?;
    let Some(state) = LogisticRows::new(queue, &rows, labels, weights, outputs, readback)? else {
        return Ok(None);
    };
    Ok(Some(Device { queue, rows, state }))
}

impl Device<'_> {
    /// The loss and gradient sums (`pass` [`LogisticPass::LossGradient`]), or the Hessian
    /// product's, at coefficients `coef` ($k \times d$) and `intercept`.
    pub(super) fn sums(
        &self,
        (coef, intercept): (&Mat<f64>, &[f64]),
        pass: LogisticPass,
    ) -> Result<LogisticSums> {
        let _step = self.queue.phase("step");
        let w = Array2::from_shape_fn((coef.nrows(), coef.ncols()), |(c, j)| coef[(c, j)]);
        Ok(self
            .state
            .evaluate(self.queue, &self.rows, (w.view(), intercept), pass)?)
    }
}
