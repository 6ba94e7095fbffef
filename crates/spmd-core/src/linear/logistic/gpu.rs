//! Logistic regression on this rank's GPU: the rows uploaded once and kept there for every
//! evaluation of the objective, whose two row passes ($X W^\top$, then $R^\top X$) run there.

use faer::Mat;
use ndarray::{Array2, ArrayView2};
use spmd_gpu::kernels::{matmul::matmul_resident, xt_r::xt_r};
use spmd_gpu::{DeviceRows, Queue, Readback};

use crate::backend::Backend;
use crate::{Float, Result};

/// The GPU a [`LogLoss`](super::objective::LogLoss) runs on, with the rows already there.
pub(super) struct Device<'a> {
    queue: &'a Queue,
    rows: DeviceRows,
    readback: Readback,
}

/// This rank's rows `x` on `backend`'s GPU, or `None` on its CPU.
pub(super) fn upload<'a, F: Float>(
    backend: &Backend<'a>,
    x: ArrayView2<'_, F>,
) -> Result<Option<Device<'a>>> {
    let Some((queue, readback)) = backend.device() else {
        return Ok(None);
    };
    let rows = DeviceRows::upload(queue, x)?;
    Ok(Some(Device {
        queue,
        rows,
        readback,
    }))
}

impl Device<'_> {
    /// $X W^\top$, $n \times k$ row-major.
    pub(super) fn products(&self, coef: &Mat<f64>) -> Result<Array2<f64>> {
        let w = Array2::from_shape_fn((coef.ncols(), coef.nrows()), |(j, c)| coef[(c, j)]);
        Ok(matmul_resident(
            self.queue,
            &self.rows,
            w.view(),
            self.readback,
        )?)
    }

    /// $X^\top R$ ($d \times k$) for $R$ ($n \times k$).
    pub(super) fn transposed_times(&self, r: &Array2<f64>) -> Result<Array2<f64>> {
        Ok(xt_r(self.queue, &self.rows, r.view(), self.readback)?)
    }
}
