//! LinearRegression and Ridge under `mpirun -n 2` and `-n 4` (and as a plain one-rank test):
//! the SPMD fit equals the single-process fit of the concatenated rows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
mod harness;

use std::time::{Duration, Instant};

use common::{rel_err, synthetic};
use harness::{ensure, my_rows, split_rows, Check, Harness};
use ndarray::{s, Array2};
use spmd_learn::comm::{Comm, ReduceOp};
use spmd_learn::linear::{LinearModel, LinearRegression, Ridge};
use spmd_learn::{Error, Queue};

fn fit_ols(
    comm: &Comm,
    x: &Array2<f64>,
    y: &Array2<f64>,
    queue: Option<&Queue>,
) -> Result<LinearModel<f64>, Error> {
    LinearRegression::new().comm(comm.clone()).fit(x, y, queue)
}

/// SPMD fit over `counts` vs one process on all rows; also checks every rank holds the same model.
fn spmd_equals_single(
    comm: &Comm,
    rows: usize,
    cols: usize,
    counts: &[usize],
    queue: Option<&Queue>,
    tol: f64,
) -> Check {
    let (x, y) = synthetic(rows, cols, 2, 7);
    let reference = fit_ols(&Comm::single(), &x, &y, None).map_err(|e| e.to_string())?;
    let mine = my_rows(comm, counts);
    let (xl, yl) = (
        x.slice(s![mine.clone(), ..]).to_owned(),
        y.slice(s![mine, ..]).to_owned(),
    );
    let model = fit_ols(comm, &xl, &yl, queue).map_err(|e| e.to_string())?;
    let err = rel_err(model.coef().iter(), reference.coef().iter()).max(rel_err(
        model.intercept().iter(),
        reference.intercept().iter(),
    ));
    ensure(err < tol, || {
        format!("coef differs from single process by {err:e} (counts {counts:?})")
    })?;

    let flat: Vec<f64> = model
        .coef()
        .iter()
        .chain(model.intercept().iter())
        .copied()
        .collect();
    let mut lo = flat.clone();
    comm.allreduce_in_place(&mut lo, ReduceOp::Min)
        .map_err(|e| e.to_string())?;
    ensure(lo == flat, || "ranks hold different models".into())?;

    let score = model.score(&xl, &yl, queue).map_err(|e| e.to_string())?;
    let want = reference.score(&x, &y, None).map_err(|e| e.to_string())?;
    ensure((score - want).abs() < 1e-10, || {
        format!("global R2 {score} vs single-process {want}")
    })
}

fn main() {
    let mut h = Harness::new("mpi_linear");
    let p = h.comm.size();
    let queue = Queue::for_tests();
    let q = queue.as_ref();

    h.run("even split equals single process (CPU)", |c| {
        spmd_equals_single(c, 1001, 6, &split_rows(1001, p, |_| 1), None, 1e-10)
    });
    h.run("uneven split with an empty rank 0 (CPU)", |c| {
        spmd_equals_single(
            c,
            503,
            5,
            &split_rows(503, p, |r| if p > 1 { r * r } else { 1 }),
            None,
            1e-10,
        )
    });
    h.run("ranks with fewer rows than features (CPU)", |c| {
        spmd_equals_single(
            c,
            3 * p + 7,
            8,
            &split_rows(3 * p + 7, p, |_| 1),
            None,
            1e-9,
        )
    });
    h.run("fewer global rows than features: minimum norm (CPU)", |c| {
        spmd_equals_single(c, 5, 9, &split_rows(5, p, |r| r + 1), None, 1e-9)
    });
    h.run("GPU fit equals single-process CPU fit", |c| {
        let Some(q) = q else { return Ok(()) };
        let tol = if q.info().supports_f64 { 1e-9 } else { 1e-4 };
        spmd_equals_single(c, 777, 7, &split_rows(777, p, |r| r + 1), Some(q), tol)
    });
    h.run("Ridge SPMD equals single process", |c| {
        let (x, y) = synthetic(300, 4, 1, 11);
        let y = y.column(0).to_owned();
        let ridge = |comm: &Comm| Ridge::new().alpha(3.0).comm(comm.clone());
        let reference = ridge(&Comm::single())
            .fit(&x, &y, None)
            .map_err(|e| e.to_string())?;
        let mine = my_rows(c, &split_rows(300, p, |r| 2 * r + 1));
        let model = ridge(c)
            .fit(&x.slice(s![mine.clone(), ..]), &y.slice(s![mine]), q)
            .map_err(|e| e.to_string())?;
        let err = rel_err(model.coef().iter(), reference.coef().iter());
        ensure(err < 1e-9, || format!("ridge coef differs by {err:e}"))
    });
    h.run(
        "weighted fits equal one process; a rank without weights counts its rows once",
        |c| {
            let (x, y) = synthetic(400, 5, 2, 13);
            let w = ndarray::Array1::from_shape_fn(400, |i| ((i * 7) % 5) as f64 * 0.5);
            let even = split_rows(400, p, |_| 1);
            let ones_on_rank_0 = w
                .iter()
                .enumerate()
                .map(|(i, &v)| if i < even[0] { 1.0 } else { v })
                .collect::<ndarray::Array1<f64>>();
            let counts = split_rows(400, p, |r| 2 * r + 1);
            let mine = my_rows(c, &counts);
            let (xl, yl) = (x.slice(s![mine.clone(), ..]), y.slice(s![mine.clone(), ..]));
            for queue in [None, q] {
                let ridge = |comm: &Comm| Ridge::new().alpha(0.5).comm(comm.clone());
                let reference = ridge(&Comm::single())
                    .fit_weighted(&x, &y, w.view(), None)
                    .map_err(|e| e.to_string())?;
                let model = ridge(c)
                    .fit_weighted(&xl, &yl, w.slice(s![mine.clone()]), queue)
                    .map_err(|e| e.to_string())?;
                let tol = if queue.is_some_and(|q| !q.info().supports_f64) {
                    1e-4
                } else {
                    1e-9
                };
                let err = rel_err(model.coef().iter(), reference.coef().iter());
                ensure(err < tol, || format!("weighted coef differs by {err:e}"))?;
            }
            // Rank 0 passes no weights: its rows count once, as in a fit with weight 1 there.
            let rank0 = my_rows(c, &even);
            let reference = LinearRegression::new()
                .comm(Comm::single())
                .fit_weighted(&x, &y, ones_on_rank_0.view(), None)
                .map_err(|e| e.to_string())?;
            let (xl, yl) = (
                x.slice(s![rank0.clone(), ..]),
                y.slice(s![rank0.clone(), ..]),
            );
            let model = if c.rank() == 0 {
                LinearRegression::new().comm(c.clone()).fit(&xl, &yl, None)
            } else {
                LinearRegression::new().comm(c.clone()).fit_weighted(
                    &xl,
                    &yl,
                    ones_on_rank_0.slice(s![rank0]),
                    None,
                )
            }
            .map_err(|e| e.to_string())?;
            let err = rel_err(model.coef().iter(), reference.coef().iter());
            ensure(err < 1e-9, || format!("mixed weights differ by {err:e}"))
        },
    );
    h.run(
        "NaN on the last rank is an error on every rank, quickly",
        |c| {
            let (mut x, y) = synthetic(40 * p, 3, 1, 3);
            let last = p - 1;
            let mine = my_rows(c, &split_rows(40 * p, p, |_| 1));
            if c.rank() == last {
                x[[mine.start + 5, 1]] = f64::NAN;
            }
            let start = Instant::now();
            let result = fit_ols(
                c,
                &x.slice(s![mine.clone(), ..]).to_owned(),
                &y.slice(s![mine, ..]).to_owned(),
                q,
            );
            ensure(start.elapsed() < Duration::from_secs(10), || {
                "error agreement took too long".into()
            })?;
            match result {
                Err(Error::NonFinite {
                    row: 5, column: 1, ..
                }) if c.rank() == last => Ok(()),
                Err(Error::OnOtherRank { rank, message })
                    if c.rank() != last && rank == last && message.contains("NaN") =>
                {
                    Ok(())
                }
                other => Err(format!("unexpected outcome {other:?}")),
            }
        },
    );
    h.run("ranks disagreeing on the number of columns", |c| {
        let cols = if c.rank() == p - 1 && p > 1 { 4 } else { 3 };
        let (x, y) = synthetic(20, cols, 1, 5);
        match fit_ols(c, &x, &y, None) {
            Err(Error::RankMismatch { detail, .. }) if p > 1 => {
                ensure(detail.contains(&format!("rank {}: 4", p - 1)), || {
                    detail.clone()
                })
            }
            Ok(_) if p == 1 => Ok(()),
            other => Err(format!("unexpected outcome {other:?}")),
        }
    });
    h.run(
        "SPMD_OFFLOAD=0 and 1 agree; the staged-byte counter shows the path",
        |c| {
            if q.is_none() {
                return Ok(());
            }
            let (x, y) = synthetic(400, 5, 1, 9);
            let mine = my_rows(c, &split_rows(400, p, |_| 1));
            let (xl, yl) = (
                x.slice(s![mine.clone(), ..]).to_owned(),
                y.slice(s![mine, ..]).to_owned(),
            );
            let mut models = Vec::new();
            for mode in ["0", "1"] {
                // Single-threaded program: changing the environment here races with nothing.
                std::env::set_var("SPMD_OFFLOAD", mode);
                let queue = Queue::for_tests().ok_or("no adapter")?;
                let result = fit_ols(c, &xl, &yl, Some(&queue));
                let staged = queue.staged_bytes();
                match (mode, result) {
                    ("0", Ok(m)) => {
                        ensure(staged > 0, || "host staging staged nothing".into())?;
                        models.push(m);
                    }
                    ("1", Ok(m)) => {
                        ensure(queue.info().mappable_storage, || {
                            "GPU-aware ran on an unmappable adapter".into()
                        })?;
                        ensure(staged == 0, || {
                            format!("GPU-aware path staged {staged} bytes")
                        })?;
                        models.push(m);
                    }
                    ("1", Err(e)) if !queue.info().mappable_storage => {
                        ensure(e.to_string().contains("SPMD_OFFLOAD"), || e.to_string())?;
                    }
                    (_, Err(e)) => return Err(e.to_string()),
                    _ => unreachable!(),
                }
            }
            std::env::remove_var("SPMD_OFFLOAD");
            if let [a, b] = &models[..] {
                let err = rel_err(a.coef().iter(), b.coef().iter());
                ensure(err < 1e-12, || format!("offload modes differ by {err:e}"))?;
            }
            Ok(())
        },
    );
    h.finish();
}
