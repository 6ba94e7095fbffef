//! The contract of the fitted classifiers, which share one shape: `predict` gives labels,
//! `transform` class probabilities (`predict_proba`), `predict_log_proba` their logarithms and
//! `score` the (weighted) accuracy over every rank's rows. A fitted classifier implements
//! [`ClassifierModel`]; these impls follow from it.

use ndarray::{Array1, Array2, ArrayBase, ArrayView1, ArrayView2, Axis, Data, Ix1};
use spmd_comm::Comm;
use spmd_gpu::Queue;

use super::{Context, Dataset, Predict, PredictLogProba, Score, Transform};
use crate::backend::Backend;
use crate::classes::ClassLabel;
use crate::{Float, Result};

/// A fitted classifier's two row operations on a backend; the contract follows from them.
pub(crate) trait ClassifierModel {
    /// The class of each row of `x` (ties to the lower label).
    fn predict_on<F: Float>(
        &self,
        backend: &Backend<'_>,
        x: ArrayView2<'_, F>,
    ) -> Result<Array1<i64>>;

    /// The logarithm of each class's probability for each row of `x`.
    fn log_proba_on<F: Float>(
        &self,
        backend: &Backend<'_>,
        x: ArrayView2<'_, F>,
    ) -> Result<Array2<f64>>;
}

impl<M: ClassifierModel> Predict for M {
    fn predict<F: Float>(&self, ctx: Context<'_>, x: ArrayView2<'_, F>) -> Result<Array2<f64>> {
        let backend = Backend::new(ctx.rank(), ctx.queue)?;
        Ok(self
            .predict_on(&backend, x)?
            .mapv(|label| label as f64)
            .insert_axis(Axis(1)))
    }
}

impl<M: ClassifierModel> Transform for M {
    fn transform<F: Float>(&self, ctx: Context<'_>, x: ArrayView2<'_, F>) -> Result<Array2<f64>> {
        Ok(self.predict_log_proba(ctx, x)?.mapv(f64::exp))
    }
}

impl<M: ClassifierModel> PredictLogProba for M {
    fn predict_log_proba<F: Float>(
        &self,
        ctx: Context<'_>,
        x: ArrayView2<'_, F>,
    ) -> Result<Array2<f64>> {
        self.log_proba_on(&Backend::new(ctx.rank(), ctx.queue)?, x)
    }
}

impl<M: ClassifierModel> Score for M {
    fn score<F: Float>(&self, ctx: Context<'_>, data: &Dataset<'_, F>) -> Result<f64> {
        let (labels, weights) = labels_and_weights(ctx, data)?;
        let weights = weights.as_ref().map(|w| w.view());
        accuracy(self, ctx.comm, data.x(), &labels, weights, ctx.queue)
    }
}

/// The (weighted) accuracy of `model`'s labels for every rank's rows `x` against `y`, the labels
/// found on `queue`'s GPU when given. Collective.
pub(crate) fn accuracy<M, F, L, T>(
    model: &M,
    comm: &Comm,
    x: ArrayView2<'_, F>,
    y: &ArrayBase<T, Ix1>,
    sample_weight: Option<ArrayView1<'_, f64>>,
    queue: Option<&Queue>,
) -> Result<f64>
where
    M: ClassifierModel,
    F: Float,
    L: ClassLabel,
    T: Data<Elem = L>,
{
    let predicted = Backend::new(comm.rank(), queue).and_then(|b| model.predict_on(&b, x));
    crate::classes::global_accuracy(comm, predicted, y, sample_weight)
}

/// The labels of `data` (one column; a rank without them fails every rank) and its weights,
/// in f64: what a classifier's fit and score take.
pub(crate) fn labels_and_weights<F: Float>(
    ctx: Context<'_>,
    data: &Dataset<'_, F>,
) -> Result<(Array1<f64>, Option<Array1<f64>>)> {
    let labels = crate::distributed::agree(ctx.comm, data.labels())?.mapv(|v| v.as_f64());
    let weights = data.weights().map(|w| w.mapv(|v| v.as_f64()));
    Ok((labels, weights))
}
