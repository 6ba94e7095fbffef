//! Ordinary least squares.

mod params;

pub use params::LinearRegressionParams;

use ndarray::{ArrayBase, ArrayView1, Data, Ix2};
use spmd_gpu::Queue;

use super::fit::fit_linear;
use super::{LinearModel, Targets};
use crate::{Float, Result};

/// Ordinary least squares, scikit-learn's `LinearRegression`: minimises
/// $\lVert y - X w - b \rVert^2$ over all ranks' rows.
///
/// Each rank forms the centred cross products of its rows (CPU, or GPU with a queue), one
/// allreduce sums them, and every rank solves the $d \times d$ system. Collinear columns or fewer
/// rows than features give scikit-learn's minimum-norm solution.
///
/// ```
/// use ndarray::array;
/// use spmd_core::linear::LinearRegression;
///
/// let x = array![[1.0_f64, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]];
/// let y = array![3.0, 2.0, 4.0, 6.0]; // 2 x0 + 1 x1 + 1
/// let model = LinearRegression::new().fit(&x, &y, None)?;
/// assert!((model.coef()[[0, 0]] - 2.0).abs() < 1e-12);
/// assert!((model.coef()[[0, 1]] - 1.0).abs() < 1e-12);
/// assert!((model.intercept()[0] - 1.0).abs() < 1e-12);
/// assert!((model.score(&x, &y, None)? - 1.0).abs() < 1e-12);
/// # Ok::<(), spmd_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct LinearRegression {
    pub(super) params: LinearRegressionParams,
    pub(super) comm: Option<spmd_comm::Comm>,
}

impl LinearRegression {
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

    /// Whether to fit an intercept (otherwise the data are taken as centred).
    pub fn fit_intercept(mut self, fit_intercept: bool) -> Self {
        self.params.fit_intercept = fit_intercept;
        self
    }
}

impl LinearRegression {
    /// Fits on this rank's rows `x` (`n x d`) and targets `y` (`n` or `n x t`); every rank of the
    /// communicator calls it. `queue`: this rank's GPU, or `None` for the CPU.
    pub fn fit<F: Float, S: Data<Elem = F>>(
        &self,
        x: &ArrayBase<S, Ix2>,
        y: &impl Targets<F>,
        queue: Option<&Queue>,
    ) -> Result<LinearModel<F>> {
        fit_linear(
            self.comm.as_ref(),
            x,
            y,
            None,
            self.params.fit_intercept,
            0.0,
            Ok(()),
            queue,
        )
    }

    /// As [`fit`](Self::fit), each row counted `sample_weight[i]` times (finite, non-negative,
    /// not all zero over the ranks), as scikit-learn's `fit(X, y, sample_weight)`. The weighted
    /// rows are formed once on the host, then summed as `fit` sums its rows (on `queue` when
    /// given).
    pub fn fit_weighted<F: Float, S: Data<Elem = F>>(
        &self,
        x: &ArrayBase<S, Ix2>,
        y: &impl Targets<F>,
        sample_weight: ArrayView1<'_, F>,
        queue: Option<&Queue>,
    ) -> Result<LinearModel<F>> {
        fit_linear(
            self.comm.as_ref(),
            x,
            y,
            Some(sample_weight),
            self.params.fit_intercept,
            0.0,
            Ok(()),
            queue,
        )
    }
}
