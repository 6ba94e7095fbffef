//! LogisticRegression and its fit: the objective summed over ranks, minimised alike on every rank.

use ndarray::{Array2, ArrayView1, ArrayView2};
use spmd_comm::{Comm, ReduceOp};
use spmd_gpu::Queue;

use super::fitted::FittedLogisticRegression;
use super::gpu;
use super::objective::{LogLoss, Problem};
use super::params::{ClassWeight, LogisticRegressionParams, Solver};
use crate::backend::Backend;
use crate::classes::{encode, global_classes, local_classes, ClassLabel};
use crate::distributed::{agree, comm_or_world, global_shape};
use crate::optimize::{lbfgs, newton_cg, LbfgsOptions, NewtonCgOptions};
use crate::validate::{check_finite, check_same_rows, check_weights};
use crate::{Error, Float, Result};

/// scikit-learn's `LogisticRegression` over all ranks' rows.
///
/// Two classes give one coefficient row (the log-odds of the larger class label); more give
/// one row per class (multinomial, softmax). The classes are the union of every rank's labels,
/// so a rank may hold rows of only some classes, or none.
///
/// Every solver step needs the loss and gradient of all rows: each rank computes its rows'
/// sums (CPU, or the GPU with the rows uploaded once), one allreduce adds them, and the
/// optimiser runs identically on every rank. All ranks end with the same coefficients.
///
/// ```
/// use ndarray::array;
/// use spmd_core::linear::LogisticRegression;
///
/// let x = array![[-2.0_f64], [-1.0], [-0.5], [0.5], [1.0], [2.0]];
/// let y = array![0, 0, 1, 0, 1, 1];
/// let model = LogisticRegression::new().tol(1e-10).fit(&x, &y, None)?;
/// assert_eq!(model.classes(), [0, 1]);
/// assert!(model.coef()[[0, 0]] > 0.0);
/// assert_eq!(model.predict(&array![[-3.0], [3.0]], None)?.to_vec(), [0, 1]);
/// # Ok::<(), spmd_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct LogisticRegression {
    pub(super) params: LogisticRegressionParams,
    pub(super) comm: Option<spmd_comm::Comm>,
}

impl LogisticRegression {
    /// scikit-learn's defaults: `C=1`, lbfgs, `tol=1e-4`, `max_iter=100`, an intercept.
    pub fn new() -> Self {
        Self::default()
    }

    /// From parameters (as read from a model file or the command line).
    pub fn with_params(params: LogisticRegressionParams) -> Self {
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
    pub fn params(&self) -> &LogisticRegressionParams {
        &self.params
    }

    /// Inverse regularisation strength (scikit-learn's `C`; `f64::INFINITY`: no penalty).
    pub fn c(mut self, c: f64) -> Self {
        self.params.c = c;
        self
    }

    /// Whether to fit an intercept.
    pub fn fit_intercept(mut self, fit_intercept: bool) -> Self {
        self.params.fit_intercept = fit_intercept;
        self
    }

    /// Class weights.
    pub fn class_weight(mut self, class_weight: Option<ClassWeight>) -> Self {
        self.params.class_weight = class_weight;
        self
    }

    /// Solver iterations at most.
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.params.max_iter = max_iter;
        self
    }

    /// Gradient tolerance.
    pub fn tol(mut self, tol: f64) -> Self {
        self.params.tol = tol;
        self
    }

    /// The optimiser.
    pub fn solver(mut self, solver: Solver) -> Self {
        self.params.solver = solver;
        self
    }
}

impl LogisticRegression {
    /// [`fit_weighted`](Self::fit_weighted) on views.
    pub(super) fn fit_labelled<F: Float, L: ClassLabel>(
        &self,
        x: &ArrayView2<'_, F>,
        y: &ArrayView1<'_, L>,
        sample_weight: Option<ArrayView1<'_, f64>>,
        queue: Option<&Queue>,
    ) -> Result<FittedLogisticRegression> {
        let comm = comm_or_world(self.comm.as_ref())?;
        let x = x.view();
        let rank = comm.rank();
        let labels = self
            .params
            .check()
            .and_then(|_| check_same_rows(x.nrows(), y.len()))
            .and_then(|_| check_weights(sample_weight, x.nrows(), rank))
            .and_then(|_| check_finite("X", x, rank))
            .and_then(|_| local_classes(y, rank));
        let labels = agree(&comm, labels)?;
        let shape = global_shape(&comm, x.nrows(), [x.ncols(), 0], ["X", "y"])?;
        if shape.rows == 0 {
            return Err(Error::Empty { what: "X" });
        }
        let d = shape.columns[0];
        if d == 0 {
            return Err(Error::Shape {
                what: "X".into(),
                expected: "at least 1 feature".into(),
                found: "0 features".into(),
            });
        }
        let classes = global_classes(&comm, &labels)?;
        if classes.len() < 2 {
            return Err(Error::Input(format!(
                "LogisticRegression needs samples of at least 2 classes in the data, but the \
                 data (every rank's y) contains only one class: {}",
                classes.first().copied().unwrap_or_default()
            )));
        }
        let encoded = encode(&classes, &labels);
        let class_weights = agree(
            &comm,
            self.class_weights(&comm, &classes, &encoded, sample_weight),
        )?;
        let weights: Option<Vec<f64>> = match (&class_weights, sample_weight) {
            (None, None) => None,
            (cw, sw) => Some(
                encoded
                    .iter()
                    .enumerate()
                    .map(|(i, &c)| {
                        cw.as_ref().map_or(1.0, |cw| cw[c as usize]) * sw.map_or(1.0, |sw| sw[i])
                    })
                    .collect(),
            ),
        };
        let local_sum = weights
            .as_ref()
            .map_or(x.nrows() as f64, |w| w.iter().sum());
        let weight_sum = comm.allreduce_scalar(local_sum, ReduceOp::Sum)?;
        if weight_sum.is_nan() || weight_sum <= 0.0 {
            return Err(Error::Input(
                "the sample weights (times class weights) sum to zero over all ranks".into(),
            ));
        }
        let outputs = if classes.len() == 2 { 1 } else { classes.len() };
        // On the GPU the rows are uploaded once and stay there for every evaluation.
        let device = Backend::new(comm.rank(), queue)
            .and_then(|backend| gpu::upload(&backend, x, (&encoded, weights.as_deref()), outputs));
        let device = agree(&comm, device)?;
        let problem = Problem {
            comm: &comm,
            x,
            labels: &encoded,
            weights: weights.as_deref(),
            outputs,
            fit_intercept: self.params.fit_intercept,
            weight_sum,
            l2: if self.params.c.is_finite() {
                1.0 / (self.params.c * weight_sum)
            } else {
                0.0
            },
        };
        let mut loss = LogLoss::new(problem, device);
        let width = d + usize::from(self.params.fit_intercept);
        let start = vec![0.0; outputs * width];
        let minimum = match self.params.solver {
            Solver::Lbfgs => lbfgs(
                &mut loss,
                start,
                &LbfgsOptions {
                    max_iter: self.params.max_iter,
                    gtol: self.params.tol,
                    ..LbfgsOptions::default()
                },
            )?,
            Solver::NewtonCg => newton_cg(
                &mut loss,
                start,
                &NewtonCgOptions {
                    max_iter: self.params.max_iter,
                    tol: self.params.tol,
                    ..NewtonCgOptions::default()
                },
            )?,
        };
        if !minimum.converged {
            tracing::warn!(
                iterations = minimum.iterations,
                "LogisticRegression did not converge; raise max_iter or scale the data"
            );
        }
        tracing::debug!(
            iterations = minimum.iterations,
            evaluations = loss.evaluations,
            value = minimum.value,
            "logistic regression fitted"
        );
        let mut w = minimum.x;
        comm.broadcast(0, &mut w)?;
        let coef = Array2::from_shape_fn((outputs, d), |(c, j)| w[c * width + j]);
        let intercept = (0..outputs)
            .map(|c| {
                if self.params.fit_intercept {
                    w[c * width + d]
                } else {
                    0.0
                }
            })
            .collect();
        Ok(FittedLogisticRegression::new(
            coef,
            intercept,
            classes,
            minimum.iterations,
        ))
    }

    /// The weight of each class, or `None` when all are 1.
    fn class_weights(
        &self,
        comm: &Comm,
        classes: &[i64],
        encoded: &[u32],
        sample_weight: Option<ArrayView1<'_, f64>>,
    ) -> Result<Option<Vec<f64>>> {
        match &self.params.class_weight {
            None => Ok(None),
            Some(ClassWeight::Given(given)) => {
                if let Some(unknown) = given.keys().find(|c| classes.binary_search(c).is_err()) {
                    return Err(Error::Input(format!(
                        "class_weight names class {unknown}, which no rank's y holds (classes: {classes:?})"
                    )));
                }
                Ok(Some(
                    classes
                        .iter()
                        .map(|c| given.get(c).copied().unwrap_or(1.0))
                        .collect(),
                ))
            }
            Some(ClassWeight::Balanced) => {
                // n_samples / (n_classes * count(class)), with weighted counts over all ranks.
                let mut counts = vec![0.0; classes.len()];
                for (i, &c) in encoded.iter().enumerate() {
                    counts[c as usize] += sample_weight.map_or(1.0, |w| w[i]);
                }
                comm.allreduce_in_place(&mut counts, ReduceOp::Sum)?;
                let total: f64 = counts.iter().sum();
                let k = classes.len() as f64;
                Ok(Some(
                    counts
                        .iter()
                        .map(|&count| {
                            if count > 0.0 {
                                total / (k * count)
                            } else {
                                0.0
                            }
                        })
                        .collect(),
                ))
            }
        }
    }
}
