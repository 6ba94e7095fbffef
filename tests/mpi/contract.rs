//! The estimator contract under `mpirun -n 2` and `-n 4`, for every estimator of the registry
//! (so an estimator is tested here by registering it): each rank fits its share of the rows
//! (uneven, the last rank empty), and every rank's model equals the single-process fit of all
//! the rows, as do its answers on this rank's rows (operations, score, neighbours), one-shot and
//! batch by batch, on the CPU and the GPU; NaN on one rank, a rank of another width and no rows
//! anywhere fail every rank.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
mod harness;

use common::registry::{attributes, data, difference, fit, fit_in_batches, input};
use harness::{ensure, my_rows, split_rows, Check, Harness};
use ndarray::{s, Array2, ArrayView2};
use spmd_learn::comm::Comm;
use spmd_learn::estimator::Context;
use spmd_learn::registry::{Entry, Model, Operation, Rows, ESTIMATORS};
use spmd_learn::Queue;

const ROWS: usize = 90;

/// The answers of `model` on this rank's rows: every operation and the neighbours.
fn answers(
    entry: &Entry,
    ctx: Context<'_>,
    model: &Model,
    x: ArrayView2<'_, f64>,
) -> Result<Vec<Array2<f64>>, String> {
    let fail = |what: &str, e: spmd_learn::Error| format!("{} {what}: {e}", entry.name());
    let mut out = Vec::new();
    for operation in [
        Operation::Predict,
        Operation::Transform,
        Operation::PredictLogProba,
        Operation::DecisionFunction,
    ] {
        if entry.has(operation) {
            let result = entry.apply(operation, ctx, model, Rows::F64(x));
            out.push(result.map_err(|e| fail(operation.name(), e))?);
        }
    }
    if entry.has_kneighbors() {
        let found = entry.kneighbors(ctx, model, Some(Rows::F64(x)), Some(3));
        let (distances, indices) = found.map_err(|e| fail("kneighbors", e))?;
        out.push(distances);
        out.push(indices.mapv(|i| i as f64));
    }
    Ok(out)
}

/// Every rank's fit of its share equals one process's fit of all rows, and answers alike.
fn spmd_equals_one_process(
    comm: &Comm,
    entry: &'static Entry,
    queue: Option<&Queue>,
    batched: bool,
) -> Check {
    let (x, y) = data(ROWS);
    let counts = split_rows(ROWS, comm.size(), |r| {
        if comm.size() > 1 && r + 1 == comm.size() {
            0
        } else {
            r + 1
        }
    });
    let mine = my_rows(comm, &counts);
    let (xl, yl) = (x.slice(s![mine.clone(), ..]), y.slice(s![mine, ..]));
    let ctx = Context::new(comm, queue);
    let single = Comm::single();
    let alone = Context::new(&single, queue);
    let fitting = |ctx, x, y| {
        if batched {
            fit_in_batches(entry, ctx, x, y)
        } else {
            fit(entry, ctx, x, y)
        }
    };
    let spmd = fitting(ctx, xl, yl).map_err(|e| format!("{}: {e}", entry.name()))?;
    let whole = fitting(alone, x.view(), y.view()).map_err(|e| format!("{}: {e}", entry.name()))?;
    let tol = if queue.is_some_and(|q| !q.info().supports_f64) {
        1e-4
    } else {
        1e-9
    };
    let err = difference(&attributes(&spmd).into(), &attributes(&whole).into());
    ensure(err.is_some_and(|e| e <= tol), || {
        format!(
            "{}: the model differs from one process's by {err:?} (counts {counts:?})",
            entry.name()
        )
    })?;
    if batched {
        return Ok(());
    }
    // A model that keeps its rows answers collectively; one process's model answers for this
    // rank's rows on its own (its collectives are over one rank).
    let got = answers(entry, ctx, &spmd, xl)?;
    let want = answers(entry, alone, &whole, xl)?;
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        if g.len() != w.len() {
            return Err(format!(
                "{}: answer {i} has {} values, one process's {}",
                entry.name(),
                g.len(),
                w.len()
            ));
        }
        let err = if g.is_empty() {
            0.0
        } else {
            common::rel_err(g.iter(), w.iter())
        };
        ensure(err <= tol, || {
            format!("{}: answer {i} differs by {err:e}", entry.name())
        })?;
    }
    Ok(())
}

/// The score over every rank's rows equals one process's score of all rows.
fn score_is_global(comm: &Comm, entry: &'static Entry) -> Check {
    let (x, y) = data(ROWS);
    let counts = split_rows(ROWS, comm.size(), |r| r + 1);
    let mine = my_rows(comm, &counts);
    let (xl, yl) = (x.slice(s![mine.clone(), ..]), y.slice(s![mine, ..]));
    let ctx = Context::cpu(comm);
    let single = Comm::single();
    let alone = Context::cpu(&single);
    let spmd = fit(entry, ctx, xl, yl).map_err(|e| e.to_string())?;
    let whole = fit(entry, alone, x.view(), y.view()).map_err(|e| e.to_string())?;
    let got = entry
        .score(ctx, &spmd, &input(entry, xl, yl))
        .map_err(|e| e.to_string())?;
    let want = entry
        .score(alone, &whole, &input(entry, x.view(), y.view()))
        .map_err(|e| e.to_string())?;
    ensure((got - want).abs() <= 1e-9 * want.abs().max(1.0), || {
        format!(
            "{}: score {got} over the ranks, {want} in one process",
            entry.name()
        )
    })
}

/// NaN on the last rank with rows, another width on rank 1 and no rows anywhere: every rank
/// fails, with the same kind of message.
fn bad_input_fails_every_rank(comm: &Comm, entry: &'static Entry) -> Check {
    let (x, y) = data(ROWS);
    let counts = split_rows(ROWS, comm.size(), |_| 1);
    let mine = my_rows(comm, &counts);
    let (xl, yl) = (
        x.slice(s![mine.clone(), ..]).to_owned(),
        y.slice(s![mine, ..]),
    );
    let ctx = Context::cpu(comm);
    let last = comm.size() - 1;
    let mut nan = xl.clone();
    if comm.rank() == last {
        nan[[0, 1]] = f64::NAN;
    }
    let narrow = if comm.rank() == 1.min(last) && comm.size() > 1 {
        xl.slice(s![.., ..3]).to_owned()
    } else {
        xl.clone()
    };
    let none = Array2::<f64>::zeros((0, 4));
    let cases: [(&str, ArrayView2<'_, f64>, ArrayView2<'_, f64>, &str); 3] = [
        ("NaN", nan.view(), yl, "NaN"),
        (
            "width",
            narrow.view(),
            yl,
            if comm.size() > 1 { "features" } else { "" },
        ),
        ("no rows", none.view(), yl.slice(s![..0, ..]), ""),
    ];
    for (case, x, y, says) in cases {
        match fit(entry, ctx, x, y) {
            Ok(_) if case == "width" && comm.size() == 1 => {}
            // scikit-learn's HDBSCAN labels a row with a NaN (-3) instead of refusing it.
            Ok(_) if case == "NaN" && entry.name() == "hdbscan" => {}
            Ok(_) => {
                return Err(format!(
                    "{} {case}: rank {} fitted",
                    entry.name(),
                    comm.rank()
                ))
            }
            Err(e) => ensure(e.to_string().contains(says), || {
                format!("{} {case}: {e}", entry.name())
            })?,
        }
    }
    Ok(())
}

fn main() {
    let mut h = Harness::new("mpi_contract");
    let queue = Queue::shared_for_tests();
    for entry in ESTIMATORS {
        h.run(&format!("{}: fit on the CPU", entry.name()), |c| {
            spmd_equals_one_process(c, entry, None, false)
        });
        if entry.has_partial_fit() {
            h.run(&format!("{}: batch by batch", entry.name()), |c| {
                spmd_equals_one_process(c, entry, None, true)
            });
        }
        if entry.has_score() {
            h.run(&format!("{}: score over every rank", entry.name()), |c| {
                score_is_global(c, entry)
            });
        }
        h.run(
            &format!("{}: bad input fails every rank", entry.name()),
            |c| bad_input_fails_every_rank(c, entry),
        );
        if let Some(queue) = queue {
            h.run(&format!("{}: fit on the GPU", entry.name()), |c| {
                spmd_equals_one_process(c, entry, Some(queue), false)
            });
        }
    }
    h.finish();
}
