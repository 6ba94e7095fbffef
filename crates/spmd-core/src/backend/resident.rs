//! Rows kept on a GPU between fits.

use ndarray::ArrayView2;
use spmd_gpu::{DeviceRows, Queue};

use super::leading_mean;
use crate::{Float, Result};

/// This rank's rows kept on its GPU, uploaded once (shifted by the mean of their first rows,
/// for f32 accuracy) and shared by every fit given them
/// ([`Dataset::resident`](crate::estimator::Dataset::resident)).
#[derive(Debug)]
pub struct ResidentRows(pub(crate) DeviceRows);

impl ResidentRows {
    /// Uploads `x` to `queue`'s device.
    pub fn upload<F: Float>(queue: &Queue, x: ArrayView2<'_, F>) -> Result<Self> {
        Ok(Self(DeviceRows::upload_shifted(
            queue,
            x,
            Some(&leading_mean(&[x])),
        )?))
    }

    /// Rows and columns held.
    pub fn dim(&self) -> (usize, usize) {
        (self.0.rows(), self.0.cols())
    }
}
