//! PCA fitted batch by batch.

use ndarray::{s, ArrayBase, Data, Ix2};
use serde::{Deserialize, Serialize};
use spmd_comm::Comm;
use spmd_gpu::Queue;

use super::{FittedPca, NComponents, PcaParams};
use crate::distributed::{agree, comm_or_world};
use crate::partials::Accumulator;
use crate::{Float, Result};

/// sklearnex's `IncrementalPCA` (covariance method): [`partial_fit`](Self::partial_fit) per
/// batch (local), [`finalize`](Self::finalize) (collective) for the components of all batches
/// of all ranks, equal to a one-shot [`Pca`](super::Pca) fit.
#[derive(Debug, Clone, Default)]
pub struct IncrementalPca {
    params: PcaParams,
    batch_size: Option<usize>,
    comm: Option<Comm>,
    accumulator: Accumulator,
}

impl IncrementalPca {
    /// scikit-learn's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// From parameters.
    pub fn with_params(params: IncrementalPcaParams) -> Self {
        Self {
            params: PcaParams {
                n_components: params.n_components,
                whiten: params.whiten,
                ..PcaParams::default()
            },
            batch_size: params.batch_size,
            ..Self::default()
        }
    }

    /// Fits this rank's rows in batches of `batch_size` (default five times the number of
    /// features), as scikit-learn's `IncrementalPCA.fit` does, then finalizes. Collective.
    pub fn fit<F: Float, S: Data<Elem = F>>(
        &mut self,
        x: &ArrayBase<S, Ix2>,
        queue: Option<&Queue>,
    ) -> Result<FittedPca> {
        let batch = self.batch_size.unwrap_or(5 * x.ncols()).max(1);
        let mut start = 0;
        while start < x.nrows() {
            let end = (start + batch).min(x.nrows());
            // A failure is remembered and reported by finalize on every rank.
            if self
                .partial_fit(&x.slice(s![start..end, ..]), queue)
                .is_err()
            {
                break;
            }
            start = end;
        }
        self.finalize()
    }

    /// The ranks that fit together; `Comm::world()` by default.
    pub fn comm(mut self, comm: Comm) -> Self {
        self.comm = Some(comm);
        self
    }

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

    /// The components of every batch of every rank. Every rank calls it.
    pub fn finalize(&self) -> Result<FittedPca> {
        let comm = comm_or_world(self.comm.as_ref())?;
        agree(&comm, self.params.check())?;
        let (gram, _) = self.accumulator.finalize(&comm, true)?;
        FittedPca::from_scatter(&self.params, gram.into(), comm.rank())
    }
}

/// Parameters of [`IncrementalPca`], under scikit-learn's names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct IncrementalPcaParams {
    /// Components to keep.
    #[serde(with = "super::params::n_components_serde")]
    pub n_components: NComponents,
    /// Scale projections to unit variance.
    pub whiten: bool,
    /// Rows per batch in `fit` (default five times the number of features).
    pub batch_size: Option<usize>,
}

impl crate::estimator::PartialFit for IncrementalPca {
    type Params = IncrementalPcaParams;
    type Fitted = FittedPca;

    fn from_params(params: IncrementalPcaParams) -> Self {
        Self::with_params(params)
    }

    fn partial_fit<F: Float>(
        &mut self,
        ctx: crate::estimator::Context<'_>,
        data: &crate::estimator::Dataset<'_, F>,
    ) -> Result<()> {
        if data.weights().is_some() {
            let message = "IncrementalPCA does not take sample weights";
            return self.accumulator.refuse(crate::Error::Input(message.into()));
        }
        self.accumulator.add_rows(ctx.rank(), data.x(), ctx.queue)
    }

    fn finalize(&self, ctx: crate::estimator::Context<'_>) -> Result<FittedPca> {
        IncrementalPca::finalize(&self.clone().comm(ctx.comm.clone()))
    }
}
