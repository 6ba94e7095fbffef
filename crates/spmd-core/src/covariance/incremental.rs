//! EmpiricalCovariance fitted batch by batch.

use ndarray::{ArrayBase, Data, Ix2};
use serde::{Deserialize, Serialize};
use spmd_comm::Comm;
use spmd_gpu::Queue;

use super::{EmpiricalCovarianceParams, FittedEmpiricalCovariance};
use crate::distributed::comm_or_world;
use crate::partials::Accumulator;
use crate::{Float, Result};

/// Parameters of [`IncrementalEmpiricalCovariance`], under sklearnex's names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IncrementalEmpiricalCovarianceParams {
    /// Compute and keep `precision_` (default `true`).
    pub store_precision: bool,
    /// Treat the data as centred: `location_` is zero (default `false`).
    pub assume_centered: bool,
    /// Rows per batch of a one-shot fit through the contract (default five times the number of
    /// features).
    pub batch_size: Option<usize>,
}

impl Default for IncrementalEmpiricalCovarianceParams {
    fn default() -> Self {
        let EmpiricalCovarianceParams {
            store_precision,
            assume_centered,
        } = EmpiricalCovarianceParams::default();
        Self {
            store_precision,
            assume_centered,
            batch_size: None,
        }
    }
}

impl IncrementalEmpiricalCovarianceParams {
    /// The one-shot estimator's parameters.
    fn estimate(&self) -> EmpiricalCovarianceParams {
        EmpiricalCovarianceParams {
            store_precision: self.store_precision,
            assume_centered: self.assume_centered,
        }
    }
}

/// sklearnex's `IncrementalEmpiricalCovariance`: [`partial_fit`](Self::partial_fit) per batch
/// (local), [`finalize`](Self::finalize) (collective) for the estimate of all batches of all
/// ranks, equal to a one-shot [`EmpiricalCovariance`](super::EmpiricalCovariance) fit.
#[derive(Debug, Clone, Default)]
pub struct IncrementalEmpiricalCovariance {
    params: IncrementalEmpiricalCovarianceParams,
    comm: Option<Comm>,
    accumulator: Accumulator,
}

impl IncrementalEmpiricalCovariance {
    /// scikit-learn's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// From parameters (as read from a model file or the command line).
    pub fn with_params(params: IncrementalEmpiricalCovarianceParams) -> Self {
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
    pub fn params(&self) -> &IncrementalEmpiricalCovarianceParams {
        &self.params
    }

    /// Compute and keep `precision_`.
    pub fn store_precision(mut self, store_precision: bool) -> Self {
        self.params.store_precision = store_precision;
        self
    }

    /// Treat the data as centred.
    pub fn assume_centered(mut self, assume_centered: bool) -> Self {
        self.params.assume_centered = assume_centered;
        self
    }

    /// Rows per batch of a one-shot fit.
    pub fn batch_size(mut self, batch_size: Option<usize>) -> Self {
        self.params.batch_size = batch_size;
        self
    }
}

impl IncrementalEmpiricalCovariance {
    /// Adds a batch of this rank's rows. Local; an error is also remembered and makes
    /// `finalize` fail on every rank.
    pub fn partial_fit<F: Float, S: Data<Elem = F>>(
        &mut self,
        x: &ArrayBase<S, Ix2>,
        queue: Option<&Queue>,
    ) -> Result<()> {
        let rank = self.comm.as_ref().map_or(0, Comm::rank);
        self.add(rank, x.view(), queue)
    }

    /// [`partial_fit`](Self::partial_fit) naming `rank` in its errors.
    pub(super) fn add<F: Float>(
        &mut self,
        rank: usize,
        x: ndarray::ArrayView2<'_, F>,
        queue: Option<&Queue>,
    ) -> Result<()> {
        self.accumulator.add_rows(rank, x, queue)
    }

    /// Remembers a batch refused before it was added: `finalize` then fails on every rank.
    pub(super) fn refuse(&mut self, error: crate::Error) -> Result<()> {
        self.accumulator.refuse(error)
    }

    /// The estimate of every batch of every rank. Every rank calls it.
    pub fn finalize(&self) -> Result<FittedEmpiricalCovariance> {
        self.finalize_over(&comm_or_world(self.comm.as_ref())?)
    }

    /// [`finalize`](Self::finalize) over the ranks of `comm`.
    pub(super) fn finalize_over(&self, comm: &Comm) -> Result<FittedEmpiricalCovariance> {
        let (gram, _) = self
            .accumulator
            .finalize(comm, !self.params.assume_centered)?;
        FittedEmpiricalCovariance::from_scatter(&self.params.estimate(), gram.into(), comm.rank())
    }
}
