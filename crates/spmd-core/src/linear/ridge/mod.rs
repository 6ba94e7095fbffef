//! Least squares with an L2 penalty.

mod params;

pub use params::RidgeParams;

use ndarray::{ArrayBase, ArrayView1, Data, Ix2};
use spmd_gpu::Queue;

use super::fit::fit_linear;
use super::{LinearModel, Targets};
use crate::{Float, Result};

/// scikit-learn's `Ridge`: minimises $\lVert y - X w - b \rVert^2 + \alpha \lVert w \rVert^2$ over
/// all ranks' rows (the intercept is not penalised).
///
/// ```
/// use ndarray::array;
/// use spmd_core::linear::Ridge;
///
/// let x = array![[0.0_f64], [1.0], [2.0]];
/// let y = array![0.0, 1.0, 2.0];
/// let model = Ridge::new().alpha(2.0).fit(&x, &y, None)?;
/// // centred: sum x^2 = 2, sum x y = 2, so w = 2 / (2 + alpha)
/// assert!((model.coef()[[0, 0]] - 0.5).abs() < 1e-12);
/// assert!((model.intercept()[0] - 0.5).abs() < 1e-12);
/// # Ok::<(), spmd_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Ridge {
    pub(super) params: RidgeParams,
    pub(super) comm: Option<spmd_comm::Comm>,
}

impl Ridge {
    /// scikit-learn's defaults (`alpha=1.0`, `fit_intercept=True`).
    pub fn new() -> Self {
        Self::default()
    }

    /// From parameters (as read from a model file or the command line).
    pub fn with_params(params: RidgeParams) -> Self {
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
    pub fn params(&self) -> &RidgeParams {
        &self.params
    }

    /// Strength of the penalty, finite and `>= 0`.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.params.alpha = alpha;
        self
    }

    /// Whether to fit an intercept.
    pub fn fit_intercept(mut self, fit_intercept: bool) -> Self {
        self.params.fit_intercept = fit_intercept;
        self
    }
}

impl Ridge {
    /// Fits on this rank's rows; every rank of the communicator calls it. `queue`: this rank's
    /// GPU, or `None` for the CPU.
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
            self.params.alpha,
            self.params.check(),
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
            self.params.alpha,
            self.params.check(),
            queue,
        )
    }
}
