//! LogisticRegression and MultinomialNB under `mpirun -n 2` and `-n 4` (and as a plain one-rank
//! test): the SPMD fit equals the single-process fit for uneven splits, for ranks that hold only
//! some of the classes, and on the GPU; failures on one rank reach every rank.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
mod harness;

use common::classification::{logistic_cases, npy, LogisticCase};
use common::rel_err;
use harness::{ensure, my_rows, split_rows, Check, Harness};
use ndarray::{s, Array1, Array2, Axis};
use spmd_learn::comm::Comm;
use spmd_learn::linear::{
    FittedLogisticRegression, LogisticRegression, LogisticRegressionParams, Solver,
};
use spmd_learn::naive_bayes::{FittedMultinomialNb, MultinomialNb};
use spmd_learn::{Error, Queue};

fn estimator(case: &LogisticCase, solver: Solver, comm: Comm) -> LogisticRegression {
    let mut params: LogisticRegressionParams = serde_json::from_value(case.params.clone()).unwrap();
    params.solver = solver;
    params.tol = 1e-10;
    params.max_iter = 1000;
    LogisticRegression::with_params(params).comm(comm)
}

/// The case's rows ordered by label, so a split gives ranks only some of the classes.
fn sorted_by_label(case: &LogisticCase) -> (Array2<f64>, Array1<i64>, Option<Array1<f64>>) {
    let mut order: Vec<usize> = (0..case.y.len()).collect();
    order.sort_by_key(|&i| (case.y[i], i));
    (
        case.x.select(Axis(0), &order),
        case.y.select(Axis(0), &order),
        case.sample_weight
            .as_ref()
            .map(|w| w.select(Axis(0), &order)),
    )
}

/// The coefficients and intercepts as one vector.
fn params_of(m: &FittedLogisticRegression) -> Vec<f64> {
    m.coef()
        .iter()
        .chain(m.intercept().iter())
        .copied()
        .collect()
}

/// Every rank holds bit-identical values.
fn identical_on_every_rank(c: &Comm, values: &[f64]) -> Check {
    let all = c.allgather(values).map_err(|e| e.to_string())?;
    ensure(
        all.chunks_exact(values.len().max(1)).all(|r| r == values),
        || "ranks hold different models".into(),
    )
}

fn logistic_same_as_single(
    c: &Comm,
    case: &LogisticCase,
    solver: Solver,
    counts: &[usize],
    by_label: bool,
    queue: Option<&Queue>,
    tol: f64,
) -> Check {
    let (x, y, w) = if by_label {
        sorted_by_label(case)
    } else {
        (case.x.clone(), case.y.clone(), case.sample_weight.clone())
    };
    let reference = estimator(case, solver, Comm::single())
        .fit_weighted(&x, &y, w.as_ref().map(|w| w.view()), None)
        .map_err(|e| e.to_string())?;
    let rows = my_rows(c, counts);
    let (xl, yl) = (x.slice(s![rows.clone(), ..]), y.slice(s![rows.clone()]));
    let wl = w.as_ref().map(|w| w.slice(s![rows.clone()]));
    let fitted = estimator(case, solver, c.clone())
        .fit_weighted(&xl, &yl, wl, queue)
        .map_err(|e| e.to_string())?;
    ensure(fitted.classes() == reference.classes(), || {
        "classes differ".into()
    })?;
    let err = rel_err(&params_of(&fitted), &params_of(&reference));
    ensure(err < tol, || {
        format!("{} {solver:?}: coefficients differ by {err:e}", case.name)
    })?;
    identical_on_every_rank(c, &params_of(&fitted))?;
    let score = fitted.score(c, &xl, &yl, None).map_err(|e| e.to_string())?;
    let want = reference
        .score(&Comm::single(), &x, &y, None)
        .map_err(|e| e.to_string())?;
    ensure((score - want).abs() < 1e-12, || {
        format!("global score {score} vs {want}")
    })
}

fn nb_x() -> (Array2<f64>, Array1<i64>, Array1<f64>) {
    let (x, y, w): (Array2<f64>, Array1<i64>, Array1<f64>) =
        (npy("nb_x.npy"), npy("nb_y.npy"), npy("nb_w.npy"));
    let mut order: Vec<usize> = (0..y.len()).collect();
    order.sort_by_key(|&i| (y[i], i));
    (
        x.select(Axis(0), &order),
        y.select(Axis(0), &order),
        w.select(Axis(0), &order),
    )
}

fn nb_values(m: &FittedMultinomialNb) -> Vec<f64> {
    m.feature_log_prob()
        .iter()
        .chain(m.class_log_prior().iter())
        .chain(m.feature_count().iter())
        .copied()
        .collect()
}

fn main() {
    let mut h = Harness::new("mpi_classification");
    let p = h.comm.size();
    let queue = Queue::for_tests();
    let q = queue.as_ref();
    let cases = logistic_cases();
    let keep = [
        "binary_default",
        "binary_balanced",
        "binary_weighted",
        "multi_default",
        "multi_balanced",
        "multi_weighted",
    ];

    for case in cases.iter().filter(|c| keep.contains(&c.name.as_str())) {
        for solver in [Solver::Lbfgs, Solver::NewtonCg] {
            let n = case.x.nrows();
            let uneven = split_rows(n, p, |r| if p > 1 { r } else { 1 });
            let even = split_rows(n, p, |_| 1);
            h.run(
                &format!("{} {solver:?}: uneven split with an empty rank", case.name),
                |c| logistic_same_as_single(c, case, solver, &uneven, false, None, 1e-6),
            );
            h.run(
                &format!("{} {solver:?}: ranks hold only some classes", case.name),
                |c| logistic_same_as_single(c, case, solver, &even, true, None, 1e-6),
            );
        }
    }
    for case in cases
        .iter()
        .filter(|c| c.name == "binary_balanced" || c.name == "multi_default")
    {
        h.run(
            &format!("{} on the GPU equals the single-process CPU fit", case.name),
            |c| {
                let Some(q) = q else { return Ok(()) };
                let tol = if q.info().supports_f64 { 1e-6 } else { 1e-2 };
                let even = split_rows(case.x.nrows(), p, |_| 1);
                logistic_same_as_single(c, case, Solver::Lbfgs, &even, true, Some(q), tol)
            },
        );
    }
    h.run(
        "a label that is not an integer on the last rank fails every rank",
        |c| {
            let case = &cases[0];
            let rows = my_rows(c, &split_rows(case.x.nrows(), p, |_| 1));
            let mut y = case.y.mapv(|v| v as f64);
            if c.rank() == p - 1 {
                y[rows.start] = 0.5;
            }
            match LogisticRegression::new().comm(c.clone()).fit(
                &case.x.slice(s![rows.clone(), ..]),
                &y.slice(s![rows]),
                None,
            ) {
                Err(Error::Input(m)) if c.rank() == p - 1 && m.contains("0.5") => Ok(()),
                Err(Error::OnOtherRank { rank, .. }) if rank == p - 1 => Ok(()),
                other => Err(format!("unexpected outcome {other:?}")),
            }
        },
    );

    h.run(
        "MultinomialNB: ranks holding only some classes give the single-process model",
        |c| {
            let (x, y, w) = nb_x();
            let reference = MultinomialNb::new()
                .comm(Comm::single())
                .fit_weighted(&x, &y, Some(w.view()), None)
                .map_err(|e| e.to_string())?;
            let rows = my_rows(c, &split_rows(x.nrows(), p, |r| if p > 1 { r } else { 1 }));
            let fitted = MultinomialNb::new()
                .comm(c.clone())
                .fit_weighted(
                    &x.slice(s![rows.clone(), ..]),
                    &y.slice(s![rows.clone()]),
                    Some(w.slice(s![rows])),
                    q,
                )
                .map_err(|e| e.to_string())?;
            let tol = if q.is_none_or(|q| q.info().supports_f64) {
                1e-12
            } else {
                1e-5
            };
            let err = rel_err(&nb_values(&fitted), &nb_values(&reference));
            ensure(err < tol, || format!("models differ by {err:e}"))?;
            ensure(fitted.classes() == [1, 3, 5], || {
                format!("classes {:?}", fitted.classes())
            })?;
            identical_on_every_rank(c, &nb_values(&fitted))
        },
    );
    h.run(
        "MultinomialNB: partial_fit batches on every rank, one finalize",
        |c| {
            let (x, y, _) = nb_x();
            let reference = MultinomialNb::new()
                .comm(Comm::single())
                .fit(&x, &y, None)
                .map_err(|e| e.to_string())?;
            let rows = my_rows(c, &split_rows(x.nrows(), p, |_| 1));
            let mut nb = MultinomialNb::new().comm(c.clone());
            let mid = rows.start + rows.len() / 3;
            for part in [rows.start..mid, mid..rows.end] {
                nb.partial_fit(
                    &x.slice(s![part.clone(), ..]),
                    &y.slice(s![part]),
                    Some(&[1, 3, 5]),
                    None,
                    None,
                )
                .map_err(|e| e.to_string())?;
            }
            let fitted = nb.finalize().map_err(|e| e.to_string())?;
            let err = rel_err(&nb_values(&fitted), &nb_values(&reference));
            ensure(err < 1e-12, || format!("models differ by {err:e}"))
        },
    );
    h.run(
        "MultinomialNB: a negative count on the last rank fails every rank",
        |c| {
            let (mut x, y, _) = nb_x();
            let rows = my_rows(c, &split_rows(x.nrows(), p, |_| 1));
            if c.rank() == p - 1 {
                x[[rows.start, 2]] = -1.0;
            }
            match MultinomialNb::new().comm(c.clone()).fit(
                &x.slice(s![rows.clone(), ..]),
                &y.slice(s![rows]),
                None,
            ) {
                Err(Error::Input(m)) if c.rank() == p - 1 && m.contains("Negative values") => {
                    Ok(())
                }
                Err(Error::OnOtherRank { rank, .. }) if rank == p - 1 => Ok(()),
                other => Err(format!("unexpected outcome {other:?}")),
            }
        },
    );
    h.run(
        "an iterative step that fails on the last rank fails every rank, without a hang",
        |c| {
            use spmd_learn::distributed::allreduce_or_fail;
            let sums = allreduce_or_fail(c, Ok(vec![1.0, c.rank() as f64]), 2)
                .map_err(|e| e.to_string())?;
            let want = (p * (p - 1) / 2) as f64;
            ensure(sums == [p as f64, want], || format!("sums {sums:?}"))?;
            let local = if c.rank() == p - 1 {
                Err(Error::Input("device lost".into()))
            } else {
                Ok(vec![1.0, 2.0])
            };
            match allreduce_or_fail(c, local, 2) {
                Err(Error::Input(m)) if c.rank() == p - 1 && m == "device lost" => Ok(()),
                Err(Error::OnOtherRank { rank, message })
                    if rank == p - 1 && message == "device lost" =>
                {
                    Ok(())
                }
                other => Err(format!("unexpected outcome {other:?}")),
            }
        },
    );
    h.finish();
}
