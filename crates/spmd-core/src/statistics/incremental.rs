//! BasicStatistics fitted batch by batch.

use ndarray::{ArrayBase, ArrayView1, Data, Ix2};
use spmd_comm::Comm;
use spmd_gpu::Queue;

use super::basic::{weighted, BasicStatisticsParams, FittedBasicStatistics};
use crate::distributed::comm_or_world;
use crate::partials::{column_moments, ColumnMoments, FailureMemory};
use crate::{Float, Result};

/// sklearnex's `IncrementalBasicStatistics`: [`partial_fit`](Self::partial_fit) per batch
/// (local), [`finalize`](Self::finalize) (collective) for the statistics of all batches of all
/// ranks, equal to a one-shot [`BasicStatistics`](super::BasicStatistics) fit.
#[derive(Debug, Clone, Default)]
pub struct IncrementalBasicStatistics {
    params: BasicStatisticsParams,
    comm: Option<Comm>,
    moments: Option<ColumnMoments>,
    failure: FailureMemory,
}

crate::builder::builder!(
    IncrementalBasicStatistics,
    BasicStatisticsParams {},
    new = "All statistics."
);

impl IncrementalBasicStatistics {
    /// Adds a batch of this rank's rows. Local; an error is also remembered and makes
    /// `finalize` fail on every rank.
    pub fn partial_fit<F: Float, S: Data<Elem = F>>(
        &mut self,
        x: &ArrayBase<S, Ix2>,
        sample_weight: Option<ArrayView1<'_, F>>,
        queue: Option<&Queue>,
    ) -> Result<()> {
        let rank = self.comm.as_ref().map_or(0, Comm::rank);
        let result = self.try_add(rank, x, sample_weight, queue);
        self.failure.remember(result)
    }

    fn try_add<F: Float, S: Data<Elem = F>>(
        &mut self,
        rank: usize,
        x: &ArrayBase<S, Ix2>,
        w: Option<ArrayView1<'_, F>>,
        queue: Option<&Queue>,
    ) -> Result<()> {
        if let Some(m) = &self.moments {
            crate::validate::check_features(m.mean.len(), x.ncols())?;
        }
        let rows = weighted(x.view(), w, rank)?;
        let batch = column_moments(rank, rows.as_ref().map_or(x.view(), |r| r.view()), queue)?;
        match &mut self.moments {
            Some(m) => m.merge(&batch),
            None => self.moments = Some(batch),
        }
        Ok(())
    }

    /// The statistics of every batch of every rank. Every rank calls it.
    pub fn finalize(&self) -> Result<FittedBasicStatistics> {
        let comm = comm_or_world(self.comm.as_ref())?;
        self.failure.agree(&comm)?;
        let empty = ColumnMoments::empty(0);
        let moments = self.moments.as_ref().unwrap_or(&empty);
        FittedBasicStatistics::combine(
            &comm,
            moments,
            moments.mean.len(),
            &self.params.result_options,
        )
    }
}
