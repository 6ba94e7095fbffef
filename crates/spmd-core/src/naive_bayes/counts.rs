//! Per-class sums of this rank's rows: the sufficient statistics of MultinomialNB.

use ndarray::{Array2, ArrayView1, ArrayView2};
use spmd_gpu::Queue;

use crate::backend::Backend;
use crate::{Error, Float, Result};

/// Weighted row count and feature sums of each class.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Counts {
    pub class_count: Vec<f64>,
    /// `classes x features`.
    pub feature_count: Array2<f64>,
}

impl Counts {
    pub fn zeros(classes: usize, features: usize) -> Self {
        Self {
            class_count: vec![0.0; classes],
            feature_count: Array2::zeros((classes, features)),
        }
    }

    /// Adds rows `x` of classes `labels` (indices) with `weights`, on the CPU or the GPU
    /// ($X^\top$ times the weighted one-hot labels).
    pub fn add<F: Float>(
        &mut self,
        x: ArrayView2<'_, F>,
        labels: &[u32],
        weights: Option<ArrayView1<'_, f64>>,
        queue: Option<&Queue>,
    ) -> Result<()> {
        let k = self.class_count.len();
        let weight = |i: usize| weights.as_ref().map_or(1.0, |w| w[i]);
        for (i, &c) in labels.iter().enumerate() {
            self.class_count[c as usize] += weight(i);
        }
        let backend = Backend::new(0, queue)?;
        self.feature_count += &backend.class_sums(x, labels, k, weight)?;
        Ok(())
    }
}

/// Errors unless every value of `x` is finite and non-negative (counts or frequencies).
pub(super) fn check_counts<F: Float>(x: ArrayView2<'_, F>, rank: usize) -> Result<()> {
    crate::validate::check_finite("X", x, rank)?;
    match x.indexed_iter().find(|(_, v)| v.as_f64() < 0.0) {
        Some(((row, column), v)) => Err(Error::Input(format!(
            "Negative values in data passed to MultinomialNB (input X): {v} at row {row}, column \
             {column} (row index local to rank {rank}); features must be counts or frequencies"
        ))),
        None => Ok(()),
    }
}
