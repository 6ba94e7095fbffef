//! EmpiricalCovariance fitted batch by batch.

use ndarray::{ArrayBase, Data, Ix2};
use spmd_comm::Comm;
use spmd_gpu::Queue;

use super::{EmpiricalCovarianceParams, FittedEmpiricalCovariance};
use crate::distributed::comm_or_world;
use crate::partials::Accumulator;
use crate::{Float, Result};

/// sklearnex's `IncrementalEmpiricalCovariance`: [`partial_fit`](Self::partial_fit) per batch
/// (local), [`finalize`](Self::finalize) (collective) for the estimate of all batches of all
/// ranks, equal to a one-shot [`EmpiricalCovariance`](super::EmpiricalCovariance) fit.
#[derive(Debug, Clone, Default)]
pub struct IncrementalEmpiricalCovariance {
    params: EmpiricalCovarianceParams,
    comm: Option<Comm>,
    accumulator: Accumulator,
}

crate::builder::builder!(
    IncrementalEmpiricalCovariance,
    EmpiricalCovarianceParams {},
    new = "scikit-learn's defaults."
);

impl IncrementalEmpiricalCovariance {
    /// Adds a batch of this rank's rows. Local; an error is also remembered and makes
    /// `finalize` fail on every rank.
    pub fn partial_fit<F: Float, S: Data<Elem = F>>(
        &mut self,
        x: &ArrayBase<S, Ix2>,
        queue: Option<&Queue>,
    ) -> Result<()> {
        let rank = self.comm.as_ref().map_or(0, Comm::rank);
        self.accumulator.add_rows(rank, x.view(), queue)
    }

    /// The estimate of every batch of every rank. Every rank calls it.
    pub fn finalize(&self) -> Result<FittedEmpiricalCovariance> {
        let comm = comm_or_world(self.comm.as_ref())?;
        let (gram, _) = self
            .accumulator
            .finalize(&comm, !self.params.assume_centered)?;
        FittedEmpiricalCovariance::from_scatter(&self.params, gram.into(), comm.rank())
    }
}
