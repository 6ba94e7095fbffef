//! BasicStatistics fitted batch by batch.

use ndarray::{ArrayBase, ArrayView1, Data, Ix2};
use serde::{Deserialize, Serialize};
use spmd_comm::Comm;
use spmd_gpu::Queue;

use super::basic::{weighted, FittedBasicStatistics};
use super::ResultOptions;
use crate::distributed::comm_or_world;
use crate::partials::{column_moments, ColumnMoments, FailureMemory};
use crate::{Float, Result};

/// Parameters of [`IncrementalBasicStatistics`], under sklearnex's names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct IncrementalBasicStatisticsParams {
    /// Which statistics to report (default `"all"`).
    pub result_options: ResultOptions,
    /// Rows per batch of a one-shot fit through the contract (default five times the number of
    /// features).
    pub batch_size: Option<usize>,
}

/// sklearnex's `IncrementalBasicStatistics`: [`partial_fit`](Self::partial_fit) per batch
/// (local), [`finalize`](Self::finalize) (collective) for the statistics of all batches of all
/// ranks, equal to a one-shot [`BasicStatistics`](super::BasicStatistics) fit.
#[derive(Debug, Clone, Default)]
pub struct IncrementalBasicStatistics {
    params: IncrementalBasicStatisticsParams,
    comm: Option<Comm>,
    moments: Option<ColumnMoments>,
    failure: FailureMemory,
}

impl IncrementalBasicStatistics {
    /// All statistics.
    pub fn new() -> Self {
        Self::default()
    }

    /// From parameters (as read from a model file or the command line).
    pub fn with_params(params: IncrementalBasicStatisticsParams) -> Self {
        Self {
            params,
            ..Self::default()
        }
    }

    /// The ranks that fit together; `Comm::world()` by default.
    pub fn comm(mut self, comm: spmd_comm::Comm) -> Self {
        self.comm = Some(comm);
        self
    }

    /// The parameters.
    pub fn params(&self) -> &IncrementalBasicStatisticsParams {
        &self.params
    }

    /// Rows per batch of a one-shot fit.
    pub fn batch_size(mut self, batch_size: Option<usize>) -> Self {
        self.params.batch_size = batch_size;
        self
    }
}

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
        self.add(rank, x.view(), sample_weight, queue)
    }

    /// [`partial_fit`](Self::partial_fit) naming `rank` in its errors.
    pub(super) fn add<F: Float>(
        &mut self,
        rank: usize,
        x: ndarray::ArrayView2<'_, F>,
        sample_weight: Option<ArrayView1<'_, F>>,
        queue: Option<&Queue>,
    ) -> Result<()> {
        let result = self.try_add(rank, x, sample_weight, queue);
        self.failure.remember(result)
    }

    fn try_add<F: Float>(
        &mut self,
        rank: usize,
        x: ndarray::ArrayView2<'_, F>,
        w: Option<ArrayView1<'_, F>>,
        queue: Option<&Queue>,
    ) -> Result<()> {
        if let Some(m) = &self.moments {
            crate::validate::check_features(m.mean.len(), x.ncols())?;
        }
        let rows = weighted(x, w, rank)?;
        let batch = column_moments(rank, rows.as_ref().map_or(x, |r| r.view()), queue)?;
        match &mut self.moments {
            Some(m) => m.merge(&batch),
            None => self.moments = Some(batch),
        }
        Ok(())
    }

    /// The statistics of every batch of every rank. Every rank calls it.
    pub fn finalize(&self) -> Result<FittedBasicStatistics> {
        self.finalize_over(&comm_or_world(self.comm.as_ref())?)
    }

    /// [`finalize`](Self::finalize) over the ranks of `comm`.
    pub(super) fn finalize_over(&self, comm: &Comm) -> Result<FittedBasicStatistics> {
        self.failure.agree(comm)?;
        let empty = ColumnMoments::empty(0);
        let moments = self.moments.as_ref().unwrap_or(&empty);
        FittedBasicStatistics::combine(
            comm,
            moments,
            moments.mean.len(),
            &self.params.result_options,
        )
    }
}
