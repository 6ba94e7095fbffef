//! The fit shared by LinearRegression and Ridge: centred normal equations, summed over ranks and
//! solved on every rank.

use ndarray::{Array1, Array2, ArrayBase, ArrayView2, Data, Ix2};
use spmd_comm::Comm;
use spmd_gpu::Queue;

use super::{LinearModel, Targets};
use crate::distributed::{agree, comm_or_world, global_shape};
use crate::linalg::solve_normal_equations;
use crate::partials::{global_gram, GlobalGram};
use crate::validate::check_same_rows;
use crate::{Error, Float, Result};

struct LinearProblem<'a, F> {
    x: ArrayView2<'a, F>,
    y: ArrayView2<'a, F>,
    single_target: bool,
    fit_intercept: bool,
    alpha: f64,
}

/// The whole fit of a normal-equations estimator on `comm` (or `Comm::world()`).
pub(crate) fn fit_linear<F: Float, S: Data<Elem = F>>(
    comm: Option<&Comm>,
    x: &ArrayBase<S, Ix2>,
    y: &impl Targets<F>,
    fit_intercept: bool,
    alpha: f64,
    params_ok: Result<()>,
    queue: Option<&Queue>,
) -> Result<LinearModel<F>> {
    let comm = comm_or_world(comm)?;
    let problem = LinearProblem {
        x: x.view(),
        y: y.as_columns(),
        single_target: y.is_single(),
        fit_intercept,
        alpha,
    };
    fit_normal_equations(&comm, problem, params_ok, queue)
}

fn fit_normal_equations<F: Float>(
    comm: &Comm,
    problem: LinearProblem<'_, F>,
    params_ok: Result<()>,
    queue: Option<&Queue>,
) -> Result<LinearModel<F>> {
    let LinearProblem {
        x,
        y,
        single_target,
        fit_intercept,
        alpha,
    } = problem;
    agree(
        comm,
        params_ok.and_then(|_| check_same_rows(x.nrows(), y.nrows())),
    )?;
    let shape = global_shape(comm, x.nrows(), [x.ncols(), y.ncols()], ["X", "y"])?;
    if shape.rows == 0 {
        return Err(Error::Empty { what: "X" });
    }
    let [d, t] = shape.columns;
    let gram = global_gram(comm, &[x, y], &["X", "y"], d + t, fit_intercept, queue)?;
    model_from_gram(comm, &gram, [d, t], fit_intercept, alpha, single_target)
}

/// Solves the normal equations of a combined [`GlobalGram`] of `[X, y]` on every rank and makes
/// the models bit-identical (rank 0's answer is broadcast).
pub(crate) fn model_from_gram<F: Float>(
    comm: &Comm,
    gram: &GlobalGram,
    [d, t]: [usize; 2],
    fit_intercept: bool,
    alpha: f64,
    single_target: bool,
) -> Result<LinearModel<F>> {
    let width = d + t;
    let a: Vec<f64> = (0..d * d)
        .map(|k| gram.gram[(k / d) * width + k % d] + if k / d == k % d { alpha } else { 0.0 })
        .collect();
    let b: Vec<f64> = (0..d * t)
        .map(|k| gram.gram[(k / t) * width + d + k % t])
        .collect();
    let (coef, method) = solve_normal_equations(&a, &b, d, t, gram.roundoff)?;
    tracing::debug!(
        ?method,
        rows = gram.rows,
        features = d,
        targets = t,
        "solved normal equations"
    );

    // coef_ is t x d; intercept_ = mean(y) - mean(x) . coef
    let mut model = vec![0.0; t * d + t];
    for j in 0..t {
        let mut intercept = if fit_intercept { gram.mean[d + j] } else { 0.0 };
        for i in 0..d {
            model[j * d + i] = coef[i * t + j];
            if fit_intercept {
                intercept -= gram.mean[i] * coef[i * t + j];
            }
        }
        model[t * d + j] = intercept;
    }
    // Every rank solved the same system; rank 0's answer makes the models bit-identical.
    comm.broadcast(0, &mut model)?;
    let coef = Array2::from_shape_fn((t, d), |(j, i)| F::from_f64_lossy(model[j * d + i]));
    let intercept = Array1::from_shape_fn(t, |j| F::from_f64_lossy(model[t * d + j]));
    Ok(LinearModel::new(
        coef,
        intercept,
        single_target,
        comm.clone(),
    ))
}
