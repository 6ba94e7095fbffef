//! EmpiricalCovariance and PCA under `mpirun -n 2` and `-n 4` (and as a plain one-rank test):
//! the SPMD fit equals the single-process fit of the concatenated rows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
mod harness;

use common::{rel_err, synthetic};
use harness::{ensure, my_rows, split_rows, Check, Harness};
use ndarray::{s, Array2};
use spmd_learn::comm::Comm;
use spmd_learn::covariance::{EmpiricalCovariance, IncrementalEmpiricalCovariance};
use spmd_learn::decomposition::{IncrementalPca, NComponents, Pca, PcaParams, Qr, Svd, SvdSolver};
use spmd_learn::linear::{IncrementalLinearRegression, LinearRegression};
use spmd_learn::statistics::{BasicStatistics, IncrementalBasicStatistics, Statistic};
use spmd_learn::Queue;

fn data() -> Array2<f64> {
    // Features with different scales and a large offset on one column.
    let (x, _) = synthetic(611, 7, 1, 21);
    let mut x = x;
    for (j, mut column) in x.columns_mut().into_iter().enumerate() {
        column.mapv_inplace(|v| v * (j as f64 + 1.0) + if j == 3 { 500.0 } else { 0.0 });
    }
    x
}

fn covariance_check(c: &Comm, counts: &[usize], queue: Option<&Queue>, tol: f64) -> Check {
    let x = data();
    let reference = EmpiricalCovariance::new()
        .comm(Comm::single())
        .fit(&x, None)
        .map_err(|e| e.to_string())?;
    let mine = x.slice(s![my_rows(c, counts), ..]);
    let fitted = EmpiricalCovariance::new()
        .comm(c.clone())
        .fit(&mine, queue)
        .map_err(|e| e.to_string())?;
    let err = rel_err(fitted.covariance().iter(), reference.covariance().iter()).max(rel_err(
        fitted.location().iter(),
        reference.location().iter(),
    ));
    ensure(err < tol, || {
        format!("covariance differs by {err:e} (counts {counts:?})")
    })
}

fn pca_check(c: &Comm, counts: &[usize], queue: Option<&Queue>, tol: f64) -> Check {
    let x = data();
    let pca = |comm: Comm| {
        Pca::new()
            .n_components(NComponents::Count(4))
            .whiten(true)
            .comm(comm)
    };
    let reference = pca(Comm::single())
        .fit(&x, None)
        .map_err(|e| e.to_string())?;
    let rows = my_rows(c, counts);
    let mine = x.slice(s![rows.clone(), ..]);
    let fitted = pca(c.clone())
        .fit(&mine, queue)
        .map_err(|e| e.to_string())?;
    let err = rel_err(fitted.components().iter(), reference.components().iter()).max(rel_err(
        fitted.explained_variance().iter(),
        reference.explained_variance().iter(),
    ));
    ensure(err < tol, || {
        format!("components differ by {err:e} (counts {counts:?})")
    })?;
    let projected = fitted.transform(&mine, queue).map_err(|e| e.to_string())?;
    let want = reference.transform(&x, None).map_err(|e| e.to_string())?;
    let err = rel_err(projected.iter(), want.slice(s![rows, ..]).iter());
    ensure(err < tol.max(1e-5), || {
        format!("local projections differ by {err:e}")
    })
}

/// QR and SVD over a split where ranks 1.. hold 3, 5, ... rows (fewer than the 7 columns at
/// first) and rank 0 none, against the single-process factors. `scale` multiplies column 5:
/// 1e-9 makes the matrix ill-conditioned enough for the Householder path.
fn qr_svd_check(c: &Comm, p: usize, scale: f64) -> Check {
    let mut x = data();
    x.column_mut(5).mapv_inplace(|v| v * scale);
    let mut counts: Vec<usize> = (0..p)
        .map(|r| if r == 0 && p > 1 { 0 } else { 2 * r + 1 })
        .collect();
    let used: usize = counts[..p - 1].iter().sum();
    counts[p - 1] = 611 - used;
    let rows = my_rows(c, &counts);
    let reference = Qr::new()
        .comm(Comm::single())
        .fit(&x)
        .map_err(|e| e.to_string())?;
    let fitted = Qr::new()
        .comm(c.clone())
        .fit(&x.slice(s![rows.clone(), ..]))
        .map_err(|e| e.to_string())?;
    let err = rel_err(fitted.r().iter(), reference.r().iter());
    ensure(err < 1e-10, || format!("R differs by {err:e}"))?;
    let want_q = reference.q().slice(s![rows.clone(), ..]).to_owned();
    let err = rel_err(fitted.q().iter(), want_q.iter());
    ensure(err < 1e-8, || format!("local Q differs by {err:e}"))?;
    let reference = Svd::new()
        .comm(Comm::single())
        .fit(&x)
        .map_err(|e| e.to_string())?;
    let fitted = Svd::new()
        .comm(c.clone())
        .fit(&x.slice(s![rows.clone(), ..]))
        .map_err(|e| e.to_string())?;
    let err = rel_err(
        fitted.singular_values().iter(),
        reference.singular_values().iter(),
    );
    ensure(err < 1e-10, || format!("singular values differ by {err:e}"))
}

fn main() {
    let mut h = Harness::new("mpi_decomposition");
    let p = h.comm.size();
    let queue = Queue::for_tests();
    let q = queue.as_ref();
    let gpu_tol = if q.is_some_and(|q| !q.info().supports_f64) {
        1e-4
    } else {
        1e-9
    };

    h.run("covariance: even split equals single process (CPU)", |c| {
        covariance_check(c, &split_rows(611, p, |_| 1), None, 1e-10)
    });
    h.run("covariance: uneven split, empty rank 0 (GPU)", |c| {
        let Some(q) = q else { return Ok(()) };
        covariance_check(
            c,
            &split_rows(611, p, |r| if p > 1 { r } else { 1 }),
            Some(q),
            gpu_tol,
        )
    });
    h.run("PCA: uneven split, empty rank 0 (CPU)", |c| {
        pca_check(
            c,
            &split_rows(611, p, |r| if p > 1 { r * r } else { 1 }),
            None,
            1e-9,
        )
    });
    h.run("PCA: even split (GPU)", |c| {
        let Some(q) = q else { return Ok(()) };
        pca_check(c, &split_rows(611, p, |_| 1), Some(q), gpu_tol)
    });
    h.run(
        "PCA: n_components beyond the data is an error on every rank",
        |c| {
            let x = data();
            let mine = x.slice(s![my_rows(c, &split_rows(611, p, |_| 1)), ..]);
            match Pca::new()
                .n_components(NComponents::Count(8))
                .comm(c.clone())
                .fit(&mine, None)
            {
                Err(e) if e.to_string().contains("n_components") => Ok(()),
                other => Err(format!("unexpected outcome {other:?}")),
            }
        },
    );
    h.run(
        "incremental fits: ranks feed different numbers of batches (rank 0 none)",
        |c| {
            let x = data();
            let (_, y) = synthetic(611, 7, 1, 21);
            let rows = my_rows(c, &split_rows(611, p, |r| if p > 1 { r } else { 1 }));
            let mut lin = IncrementalLinearRegression::new().comm(c.clone());
            let mut cov = IncrementalEmpiricalCovariance::new().comm(c.clone());
            let mut pca = IncrementalPca::new().comm(c.clone());
            // Rank r cuts its rows into r + 1 batches.
            let (a, b) = (rows.start, rows.end);
            let cuts: Vec<usize> = (0..=c.rank() + 1)
                .map(|k| a + (b - a) * k / (c.rank() + 1))
                .collect();
            for w in cuts.windows(2) {
                let (xb, yb) = (x.slice(s![w[0]..w[1], ..]), y.slice(s![w[0]..w[1], ..]));
                lin.partial_fit(&xb, &yb, q).map_err(|e| e.to_string())?;
                cov.partial_fit(&xb, q).map_err(|e| e.to_string())?;
                pca.partial_fit(&xb, q).map_err(|e| e.to_string())?;
            }
            let tol = gpu_tol;
            let one = LinearRegression::new()
                .comm(Comm::single())
                .fit(&x, &y, None)
                .map_err(|e| e.to_string())?;
            let inc = lin.finalize::<f64>().map_err(|e| e.to_string())?;
            ensure(rel_err(inc.coef().iter(), one.coef().iter()) < tol, || {
                "linear coef differs".into()
            })?;
            let one = EmpiricalCovariance::new()
                .comm(Comm::single())
                .fit(&x, None)
                .map_err(|e| e.to_string())?;
            let inc = cov.finalize().map_err(|e| e.to_string())?;
            ensure(
                rel_err(inc.covariance().iter(), one.covariance().iter()) < tol,
                || "covariance differs".into(),
            )?;
            let one = Pca::new()
                .comm(Comm::single())
                .fit(&x, None)
                .map_err(|e| e.to_string())?;
            let inc = pca.finalize().map_err(|e| e.to_string())?;
            ensure(
                rel_err(inc.components().iter(), one.components().iter()) < tol,
                || "components differ".into(),
            )
        },
    );
    h.run(
        "BasicStatistics: weighted, uneven split with an empty rank, one-shot and incremental",
        |c| {
            let x = data();
            let w = ndarray::Array1::from_shape_fn(611, |i| 0.5 + (i % 7) as f64 * 0.25);
            let reference = BasicStatistics::new()
                .comm(Comm::single())
                .fit(&x, Some(w.view()), None)
                .map_err(|e| e.to_string())?;
            let rows = my_rows(c, &split_rows(611, p, |r| if p > 1 { r } else { 1 }));
            let (xl, wl) = (x.slice(s![rows.clone(), ..]), w.slice(s![rows.clone()]));
            let fitted = BasicStatistics::new()
                .comm(c.clone())
                .fit(&xl, Some(wl), q)
                .map_err(|e| e.to_string())?;
            let mut inc = IncrementalBasicStatistics::new().comm(c.clone());
            let mid = rows.len() / 2;
            inc.partial_fit(&xl.slice(s![..mid, ..]), Some(wl.slice(s![..mid])), q)
                .map_err(|e| e.to_string())?;
            inc.partial_fit(&xl.slice(s![mid.., ..]), Some(wl.slice(s![mid..])), q)
                .map_err(|e| e.to_string())?;
            let incremental = inc.finalize().map_err(|e| e.to_string())?;
            for statistic in Statistic::ALL {
                let want = reference.get(statistic).ok_or("missing")?;
                for got in [
                    fitted.get(statistic).ok_or("missing")?,
                    incremental.get(statistic).ok_or("missing")?,
                ] {
                    let err = rel_err(got.iter(), want.iter());
                    ensure(err < gpu_tol.max(1e-10), || {
                        format!("{statistic:?} differs by {err:e}")
                    })?;
                }
            }
            Ok(())
        },
    );
    h.run(
        "QR and SVD (CholeskyQR2): ranks with fewer rows than columns, an empty rank",
        |c| qr_svd_check(c, p, 1.0),
    );
    h.run(
        "QR and SVD (Householder TSQR, condition ~1e9): same split",
        |c| qr_svd_check(c, p, 1e-9),
    );
    h.run(
        "PCA svd_solver=full (TSQR): uneven split with an empty rank",
        |c| {
            let x = data();
            let params = PcaParams {
                svd_solver: SvdSolver::Full,
                n_components: NComponents::Count(5),
                ..PcaParams::default()
            };
            let reference = Pca::with_params(params.clone())
                .comm(Comm::single())
                .fit(&x, None)
                .map_err(|e| e.to_string())?;
            let rows = my_rows(c, &split_rows(611, p, |r| if p > 1 { r } else { 1 }));
            let fitted = Pca::with_params(params)
                .comm(c.clone())
                .fit(&x.slice(s![rows, ..]), q)
                .map_err(|e| e.to_string())?;
            let err =
                rel_err(fitted.components().iter(), reference.components().iter()).max(rel_err(
                    fitted.explained_variance().iter(),
                    reference.explained_variance().iter(),
                ));
            ensure(err < 1e-9, || format!("full-solver PCA differs by {err:e}"))
        },
    );
    h.finish();
}
