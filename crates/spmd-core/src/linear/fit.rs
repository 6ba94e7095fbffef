//! The fit shared by LinearRegression and Ridge: centred normal equations, summed over ranks and
//! solved on every rank.

use std::borrow::Cow;

use ndarray::{Array1, Array2, ArrayBase, ArrayView1, ArrayView2, Data, Ix2};
use spmd_comm::{Comm, ReduceOp};
use spmd_gpu::Queue;

use super::{LinearModel, Targets};
use crate::distributed::{agree, comm_or_world, fit_weights, global_shape};
use crate::linalg::solve_normal_equations;
use crate::partials::{global_gram, GlobalGram};
use crate::validate::{check_same_rows, check_weights};
use crate::{Error, Float, Result};

struct LinearProblem<'a, F> {
    x: ArrayView2<'a, F>,
    y: ArrayView2<'a, F>,
    weights: Option<ArrayView1<'a, F>>,
    single_target: bool,
    fit_intercept: bool,
    alpha: f64,
}

/// The whole fit of a normal-equations estimator on `comm` (or `Comm::world()`), weighted by
/// `weights` when given (scikit-learn's weighted least squares: a row of weight 2 counts as that
/// row twice).
#[allow(clippy::too_many_arguments)]
pub(crate) fn fit_linear<F: Float, S: Data<Elem = F>>(
    comm: Option<&Comm>,
    x: &ArrayBase<S, Ix2>,
    y: &impl Targets<F>,
    weights: Option<ArrayView1<'_, F>>,
    fit_intercept: bool,
    alpha: f64,
    params_ok: Result<()>,
    queue: Option<&Queue>,
) -> Result<LinearModel<F>> {
    let comm = comm_or_world(comm)?;
    let problem = LinearProblem {
        x: x.view(),
        y: y.as_columns(),
        weights,
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
        weights,
        single_target,
        fit_intercept,
        alpha,
    } = problem;
    let weights: Option<Cow<'_, [f64]>> = weights.map(|w| w.iter().map(|v| v.as_f64()).collect());
    agree(
        comm,
        params_ok
            .and_then(|_| check_same_rows(x.nrows(), y.nrows()))
            .and_then(|_| {
                let view = weights.as_deref().map(ArrayView1::from);
                check_weights(view, x.nrows(), comm.rank())
            }),
    )?;
    let shape = global_shape(comm, x.nrows(), [x.ncols(), y.ncols()], ["X", "y"])?;
    if shape.rows == 0 {
        return Err(Error::Empty { what: "X" });
    }
    let [d, t] = shape.columns;
    let gram = match fit_weights(comm, weights, x.nrows())? {
        None => global_gram(comm, &[x, y], &["X", "y"], d + t, fit_intercept, queue)?,
        Some(w) => weighted_gram(comm, [x, y], &w, fit_intercept, queue)?,
    };
    model_from_gram(comm, &gram, [d, t], fit_intercept, alpha, single_target)
}

/// The [`GlobalGram`] of `[X, y]` with each row counted `w` times: the weighted mean
/// $\mu = \sum_i w_i z_i / \sum_i w_i$ (one allreduce) and $\sum_i w_i (z_i - \mu)(z_i - \mu)^\top$,
/// the Gram of the rows $\sqrt{w_i}\,(z_i - \mu)$, formed on the host in the rows' precision
/// and then summed by the unweighted path (on the queue when given). Without an intercept,
/// $\mu$ is zero. The weights do not sum to zero over all ranks ([`fit_weights`]).
fn weighted_gram<F: Float>(
    comm: &Comm,
    [x, y]: [ArrayView2<'_, F>; 2],
    w: &[f64],
    fit_intercept: bool,
    queue: Option<&Queue>,
) -> Result<GlobalGram> {
    let (d, t) = (x.ncols(), y.ncols());
    // [sum w z..., sum w], in f64.
    let mut sums = vec![0.0; d + t + 1];
    for (i, &wi) in w.iter().enumerate() {
        for j in 0..d {
            sums[j] += wi * x[(i, j)].as_f64();
        }
        for j in 0..t {
            sums[d + j] += wi * y[(i, j)].as_f64();
        }
        sums[d + t] += wi;
    }
    comm.allreduce_in_place(&mut sums, ReduceOp::Sum)?;
    let total = sums[d + t];
    let mean: Vec<f64> = if fit_intercept {
        sums[..d + t].iter().map(|s| s / total).collect()
    } else {
        vec![0.0; d + t]
    };
    let scaled = |z: ArrayView2<'_, F>, offset: usize| {
        Array2::from_shape_fn(z.dim(), |(i, j)| {
            F::from_f64_lossy(w[i].sqrt() * (z[(i, j)].as_f64() - mean[offset + j]))
        })
    };
    let (sx, sy) = (scaled(x, 0), scaled(y, d));
    let mut gram = global_gram(
        comm,
        &[sx.view(), sy.view()],
        &["X", "y"],
        d + t,
        false,
        queue,
    )?;
    gram.mean = mean;
    Ok(gram)
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
