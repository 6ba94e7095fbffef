//! LinearRegression fitted batch by batch.

use ndarray::{ArrayBase, Data, Ix2};
use spmd_comm::Comm;
use spmd_gpu::Queue;

use super::fit::model_from_gram;
use super::{LinearModel, LinearRegressionParams, Targets};
use crate::distributed::comm_or_world;
use crate::partials::Accumulator;
use crate::{Float, Result};

/// sklearnex's `IncrementalLinearRegression`: each rank feeds its batches with
/// [`partial_fit`](Self::partial_fit) (local, no communication), and
/// [`finalize`](Self::finalize) (collective) gives the model a one-shot
/// [`LinearRegression`](super::LinearRegression) fit of every batch of every rank would.
///
/// ```
/// use ndarray::{array, s};
/// use spmd_core::linear::IncrementalLinearRegression;
///
/// let x = array![[0.0_f64, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0], [4.0, 3.0]];
/// let y = array![0.0, 3.0, 3.0, 6.0, 6.0]; // 2 x0 - x1 + 1
/// let mut inc = IncrementalLinearRegression::new();
/// inc.partial_fit(&x.slice(s![..2, ..]), &y.slice(s![..2]), None)?;
/// inc.partial_fit(&x.slice(s![2.., ..]), &y.slice(s![2..]), None)?;
/// let model = inc.finalize::<f64>()?;
/// assert!((model.coef()[[0, 0]] - 2.0).abs() < 1e-12 && (model.intercept()[0] - 1.0).abs() < 1e-12);
/// # Ok::<(), spmd_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct IncrementalLinearRegression {
    params: LinearRegressionParams,
    comm: Option<Comm>,
    accumulator: Accumulator,
    single_target: Option<bool>,
}

impl IncrementalLinearRegression {
    /// scikit-learn's defaults (`fit_intercept=True`).
    pub fn new() -> Self {
        Self::default()
    }

    /// From parameters (as read from a model file or the command line).
    pub fn with_params(params: LinearRegressionParams) -> Self {
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
    pub fn params(&self) -> &LinearRegressionParams {
        &self.params
    }

    /// Whether to fit an intercept.
    pub fn fit_intercept(mut self, fit_intercept: bool) -> Self {
        self.params.fit_intercept = fit_intercept;
        self
    }
}

impl IncrementalLinearRegression {
    /// Adds a batch of this rank's rows. Local; an error is also remembered and makes
    /// `finalize` fail on every rank.
    pub fn partial_fit<F: Float, S: Data<Elem = F>>(
        &mut self,
        x: &ArrayBase<S, Ix2>,
        y: &impl Targets<F>,
        queue: Option<&Queue>,
    ) -> Result<()> {
        self.single_target.get_or_insert(y.is_single());
        let rank = self.comm.as_ref().map_or(0, Comm::rank);
        self.accumulator.add(rank, x.view(), y.as_columns(), queue)
    }

    /// The model of every batch of every rank. Every rank calls it.
    pub fn finalize<F: Float>(&self) -> Result<LinearModel<F>> {
        let comm = comm_or_world(self.comm.as_ref())?;
        let (gram, columns) = self
            .accumulator
            .finalize(&comm, self.params.fit_intercept)?;
        let single = self.single_target.unwrap_or(columns[1] == 1);
        model_from_gram(
            &comm,
            &gram,
            columns,
            self.params.fit_intercept,
            0.0,
            single,
        )
    }
}

impl crate::estimator::PartialFit for IncrementalLinearRegression {
    type Params = LinearRegressionParams;
    type Fitted = LinearModel<f64>;

    fn from_params(params: LinearRegressionParams) -> Self {
        Self::with_params(params)
    }

    fn partial_fit<F: Float>(
        &mut self,
        ctx: crate::estimator::Context<'_>,
        data: &crate::estimator::Dataset<'_, F>,
    ) -> Result<()> {
        self.comm.get_or_insert_with(|| ctx.comm.clone());
        let Some(y) = data.y() else {
            return self.accumulator.refuse(crate::estimator::missing_targets());
        };
        let y = crate::estimator::TargetColumns {
            y,
            single: data.y_is_1d(),
        };
        IncrementalLinearRegression::partial_fit(self, &data.x(), &y, ctx.queue)
    }

    fn finalize(&self, ctx: crate::estimator::Context<'_>) -> Result<LinearModel<f64>> {
        let fitting = self.clone().comm(ctx.comm.clone());
        IncrementalLinearRegression::finalize::<f64>(&fitting)
    }
}
