//! Any scaler fitted batch by batch.

use crate::distributed::comm_or_world;
use crate::estimator::{Context, Dataset, PartialFit};
use crate::partials::{global_column_moments, ColumnMoments, FailureMemory};
use crate::validate::check_features;
use crate::{Float, Result};

use super::moments::{local_moments, Scaler};

/// A scaler fitted batch by batch: [`partial_fit`](PartialFit::partial_fit) merges each batch's
/// column moments locally, [`finalize`](PartialFit::finalize) combines every rank's and equals
/// the one-shot fit of all batches of all ranks.
///
/// ```
/// use ndarray::array;
/// use spmd_core::estimator::{Context, Dataset, PartialFit};
/// use spmd_core::preprocessing::{IncrementalScaler, MinMaxScaler};
/// use spmd_core::Comm;
///
/// let comm = Comm::single();
/// let ctx = Context::cpu(&comm);
/// let mut scaler = IncrementalScaler::new(MinMaxScaler::default());
/// scaler.partial_fit(ctx, &Dataset::new(array![[1.0_f64], [2.0]].view()))?;
/// scaler.partial_fit(ctx, &Dataset::new(array![[5.0_f64]].view()))?;
/// let fitted = scaler.finalize(ctx)?;
/// assert_eq!(fitted.data_max().to_vec(), [5.0]);
/// # Ok::<(), spmd_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct IncrementalScaler<S: Scaler> {
    scaler: S,
    moments: Option<ColumnMoments>,
    failure: FailureMemory,
}

impl<S: Scaler> IncrementalScaler<S> {
    /// Batches of `scaler` (a [`StandardScaler`](super::StandardScaler),
    /// [`MinMaxScaler`](super::MinMaxScaler) or [`MaxAbsScaler`](super::MaxAbsScaler)).
    pub fn new(scaler: S) -> Self {
        Self {
            scaler,
            moments: None,
            failure: FailureMemory::default(),
        }
    }

    fn add<F: Float>(&mut self, ctx: Context<'_>, data: &Dataset<'_, F>) -> Result<()> {
        if let Some(m) = &self.moments {
            check_features(m.mean.len(), data.x().ncols())?;
        }
        let batch = local_moments::<S, F>(ctx, data)?;
        match &mut self.moments {
            Some(m) => m.merge(&batch),
            None => self.moments = Some(batch),
        }
        Ok(())
    }
}

impl<S: Scaler> PartialFit for IncrementalScaler<S> {
    type Params = S::Params;
    type Fitted = S::Fitted;

    fn from_params(params: S::Params) -> Self {
        Self::new(S::from_params(params))
    }

    fn partial_fit<F: Float>(&mut self, ctx: Context<'_>, data: &Dataset<'_, F>) -> Result<()> {
        let result = self.add(ctx, data);
        self.failure.remember(result)
    }

    fn finalize(&self, ctx: Context<'_>) -> Result<S::Fitted> {
        let comm = comm_or_world(Some(ctx.comm))?;
        self.failure.agree(&comm)?;
        let empty = ColumnMoments::empty(0);
        let local = self.moments.as_ref().unwrap_or(&empty);
        let all = global_column_moments(&comm, local, local.mean.len())?;
        Ok(S::from_moments(self.scaler.params(), &all))
    }
}
