//! What each family sends between ranks, against the formulas of docs/scaling.md, from the
//! communication counters (`Comm::stats`), under `mpirun -n 1, 2, 4 and 8` (and as a plain
//! one-rank test). Each fit runs twice: on the rows, and on every rank's rows three times over
//! (the same fit on three times the data, with the same centres, splits and iterations); the
//! traffic that must not grow with the rows must then be the same, and the rest is bounded by
//! its formula. (The neighbour searches and DBSCAN, whose traffic grows with the rows, are
//! checked in tests/mpi/neighbors.rs and tests/mpi/cluster.rs.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
mod harness;

use common::synthetic;
use harness::{ensure, my_rows, split_rows, Check, Harness};
use ndarray::{concatenate, s, Array1, Array2, Axis};
use spmd_learn::cluster::{Init, KMeans, NInit};
use spmd_learn::comm::{Comm, CommStats};
use spmd_learn::covariance::EmpiricalCovariance;
use spmd_learn::decomposition::Pca;
use spmd_learn::ensemble::RandomForestClassifier;
use spmd_learn::linear::{LinearRegression, LogisticRegression, Ridge};
use spmd_learn::statistics::BasicStatistics;

/// Rows and features of the data.
const ROWS: usize = 3_000;
const COLS: usize = 6;

/// The counters' change while `fit` runs.
fn traffic(c: &Comm, fit: impl FnOnce() -> Result<(), String>) -> Result<CommStats, String> {
    let before = c.stats();
    fit()?;
    let after = c.stats();
    Ok(CommStats {
        allreduce: after.allreduce - before.allreduce,
        scan: after.scan - before.scan,
        broadcast: after.broadcast - before.broadcast,
        allgather: after.allgather - before.allgather,
        allgatherv: after.allgatherv - before.allgatherv,
        gatherv: after.gatherv - before.gatherv,
        alltoallv: after.alltoallv - before.alltoallv,
        ring_steps: after.ring_steps - before.ring_steps,
        barrier: after.barrier - before.barrier,
        split: after.split - before.split,
        sent_bytes: after.sent_bytes - before.sent_bytes,
        received_bytes: after.received_bytes - before.received_bytes,
        seconds: 0.0,
        ..after
    })
}

/// The collectives by kind, and the bytes.
fn shape(s: &CommStats) -> [u64; 12] {
    [
        s.allreduce,
        s.scan,
        s.broadcast,
        s.allgather,
        s.allgatherv,
        s.gatherv,
        s.alltoallv,
        s.ring_steps,
        s.barrier,
        s.split,
        s.sent_bytes,
        s.received_bytes,
    ]
}

/// This rank's rows of `x` (uneven, rank 0 empty where there are several), and the same three
/// times over.
fn mine(c: &Comm, x: &Array2<f64>) -> (Array2<f64>, Array2<f64>) {
    let p = c.size();
    let rows = my_rows(c, &split_rows(x.nrows(), p, |r| if p > 1 { r } else { 1 }));
    let local = x.slice(s![rows, ..]).to_owned();
    let thrice = concatenate![Axis(0), local, local, local];
    (local, thrice)
}

/// The bytes a rank may hand to the collectives that agree on the input before any fit (the
/// failure flags, the global shape) and share small results: a few hundred bytes per rank.
fn agreement_bytes(p: usize) -> u64 {
    4096 + 256 * p as u64
}

/// Gram-based estimators: the same collectives and bytes for three times the rows, and at
/// most four triangles of the (d + 2) x (d + 2) Gram (values and compensations, moments) in
/// f64 besides the agreement.
fn gram_family(c: &Comm, name: &str, fit: impl Fn(&Array2<f64>) -> Result<(), String>) -> Check {
    let (x, y) = synthetic(ROWS, COLS, 1, 5);
    let xy = concatenate![Axis(1), x, y];
    let (once, thrice) = mine(c, &xy);
    let small = traffic(c, || fit(&once))?;
    let large = traffic(c, || fit(&thrice))?;
    ensure(shape(&small) == shape(&large), || {
        format!("{name}: {small} for the rows, {large} for three times the rows")
    })?;
    let d = (COLS + 2) as u64;
    let bound = 4 * 8 * d * (d + 1) / 2 + agreement_bytes(c.size());
    ensure(small.ring_steps == 0 && small.sent_bytes <= bound, || {
        format!("{name}: sent {} bytes, more than {bound}", small.sent_bytes)
    })
}

fn main() {
    let mut h = Harness::new("mpi_traffic");
    let split_xy = |xy: &Array2<f64>| {
        (
            xy.slice(s![.., ..COLS]).to_owned(),
            xy.slice(s![.., COLS..]).to_owned(),
        )
    };
    h.run("LinearRegression: O(d^2) bytes, whatever the rows", |c| {
        gram_family(c, "LinearRegression", |xy| {
            let (x, y) = split_xy(xy);
            LinearRegression::new()
                .comm(c.clone())
                .fit(&x, &y, None)
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    });
    h.run("Ridge: O(d^2) bytes, whatever the rows", |c| {
        gram_family(c, "Ridge", |xy| {
            let (x, y) = split_xy(xy);
            Ridge::new()
                .comm(c.clone())
                .fit(&x, &y, None)
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    });
    h.run("PCA: O(d^2) bytes, whatever the rows", |c| {
        gram_family(c, "PCA", |xy| {
            Pca::new()
                .comm(c.clone())
                .fit(&xy.slice(s![.., ..COLS]), None)
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    });
    h.run(
        "EmpiricalCovariance: O(d^2) bytes, whatever the rows",
        |c| {
            gram_family(c, "EmpiricalCovariance", |xy| {
                EmpiricalCovariance::new()
                    .comm(c.clone())
                    .fit(&xy.slice(s![.., ..COLS]), None)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        },
    );
    h.run("BasicStatistics: O(d) bytes, whatever the rows", |c| {
        gram_family(c, "BasicStatistics", |xy| {
            BasicStatistics::new()
                .comm(c.clone())
                .fit(&xy.slice(s![.., ..COLS]), None, None)
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    });
    h.run(
        "KMeans: per iteration one allreduce of O(k d) bytes, whatever the rows",
        |c| {
            let (x, _) = synthetic(ROWS, COLS, 1, 9);
            let k = 4;
            let centres = x.slice(s![..k, ..]).to_owned();
            let (once, thrice) = mine(c, &x);
            let mut iterations = Vec::new();
            let mut fit = |rows: &Array2<f64>| {
                traffic(c, || {
                    let fitted = KMeans::new(k)
                        .init(Init::Given(centres.clone()))
                        .n_init(NInit::Count(1))
                        .max_iter(100)
                        .comm(c.clone())
                        .fit(rows, None)
                        .map_err(|e| e.to_string())?;
                    iterations.push(fitted.n_iter());
                    Ok(())
                })
            };
            let small = fit(&once)?;
            let large = fit(&thrice)?;
            ensure(iterations[0] == iterations[1], || {
                format!("{iterations:?} iterations")
            })?;
            ensure(shape(&small) == shape(&large), || {
                format!("{small} for the rows, {large} for three times the rows")
            })?;
            // Per iteration: one allreduce of the sums, counts, changed count and failure flag
            // (k d + k + 2 values); rank 0 then broadcasts the totals (k d + k + 1) and the new
            // centres (k d), so that every rank goes on from the same bits.
            let (n_iter, kd, k) = (iterations[0] as u64, (k * COLS) as u64, k as u64);
            let per_iteration = 8 * (3 * kd + 2 * k + 3);
            let moments = 4 * 8 * (COLS as u64 + 2);
            let bound = n_iter * per_iteration + moments + agreement_bytes(c.size());
            let broadcasts = if c.size() > 1 { 2 * n_iter } else { n_iter };
            ensure(
                small.allreduce >= n_iter
                    && small.allreduce <= n_iter + 8
                    && small.broadcast <= broadcasts + 4
                    && small.sent_bytes <= bound
                    && small.ring_steps == 0,
                || format!("{small}: more than {bound} bytes for {n_iter} iterations"),
            )
        },
    );
    h.run(
        "LogisticRegression: per evaluation one allreduce of O(d classes) bytes",
        |c| {
            let (x, t) = synthetic(ROWS, COLS, 1, 13);
            let y: Array1<i64> = t.column(0).mapv(|v| i64::from(v > 0.0));
            let yx = concatenate![Axis(1), y.mapv(|v| v as f64).insert_axis(Axis(1)), x];
            let (once, thrice) = mine(c, &yx);
            let fit = |rows: &Array2<f64>| {
                let y: Array1<i64> = rows.column(0).mapv(|v| v as i64);
                traffic(c, || {
                    LogisticRegression::new()
                        .comm(c.clone())
                        .fit(&rows.slice(s![.., 1..]), &y, None)
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                })
            };
            let small = fit(&once)?;
            let large = fit(&thrice)?;
            // Binary, one column of coefficients: per evaluation one allreduce of the loss, the
            // gradient (d + 1 values) and the failure flag, which rank 0 then broadcasts.
            let per_evaluation = 2 * 8 * (COLS as u64 + 3);
            for s in [&small, &large] {
                let bound = s.allreduce * per_evaluation + agreement_bytes(c.size());
                ensure(s.sent_bytes <= bound && s.ring_steps == 0, || {
                    format!("{s}: more than {bound} bytes")
                })?;
            }
            Ok(())
        },
    );
    h.run(
        "RandomForestClassifier: per level one allreduce of the histograms",
        |c| {
            // Enough rows for the first levels to be grown in rounds (nodes of more than 4096
            // rows), the rest by one process each.
            let rows = 12_000;
            let (x, t) = synthetic(rows, COLS, 1, 17);
            let y: Array1<i64> = t.column(0).mapv(|v| i64::from(v > 0.0));
            let p = c.size();
            let mine = my_rows(c, &split_rows(rows, p, |r| if p > 1 { r } else { 1 }));
            let (depth, trees) = (4, 4);
            let s = traffic(c, || {
                RandomForestClassifier::new()
                    .n_estimators(trees)
                    .max_depth(Some(depth))
                    .random_state(0)
                    .comm(c.clone())
                    .fit(
                        &x.slice(s![mine.clone(), ..]),
                        &y.slice(s![mine.clone()]),
                        None,
                    )
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })?;
            // One batch of trees: one allreduce of the roots' counts and one per level grown in
            // rounds (at most the depth); per level, the small nodes' rows gathered onto the
            // rank growing them (one gatherv per such rank) and their subtrees shared (one
            // allgatherv); the bins' sample gathered once.
            let levels = depth as u64 + 1;
            ensure(
                s.ring_steps == 0
                    && s.allreduce <= levels + 2
                    && s.gatherv <= levels * p as u64
                    && s.allgatherv <= levels + 2,
                || format!("{s}: more collectives than {levels} levels need"),
            )
        },
    );
    h.finish();
}
