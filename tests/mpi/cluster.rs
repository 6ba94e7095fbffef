//! KMeans, DBSCAN and HDBSCAN under `mpirun -n 2` and `-n 4` (and as a plain one-rank test): the
//! same seed gives the same centres whatever the number of ranks, and SPMD equals the
//! single-process fit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
mod harness;

use common::rel_err;
use harness::{ensure, my_rows, split_rows, Check, Harness};
use ndarray::{s, Array2, ArrayD};
use ndarray_npy::ReadNpyExt;
use spmd_learn::cluster::{
    Across, Dbscan, DbscanParams, Hdbscan, HdbscanParams, Init, KMeans, NInit,
};
use spmd_learn::comm::Comm;
use spmd_learn::{Error, Float, Queue};

fn x() -> Array2<f64> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kmeans/x.npy");
    ArrayD::<f64>::read_npy(std::fs::File::open(path).unwrap())
        .unwrap()
        .into_dimensionality()
        .unwrap()
}

fn same_as_single<F: Float>(
    x: &Array2<F>,
    c: &Comm,
    init: Init,
    counts: &[usize],
    queue: Option<&Queue>,
    tol: f64,
) -> Check {
    let estimator = |comm: Comm| {
        KMeans::new(5)
            .init(init.clone())
            .n_init(NInit::Count(2))
            .random_state(7)
            .comm(comm)
    };
    let reference = estimator(Comm::single())
        .fit(x, None)
        .map_err(|e| e.to_string())?;
    let rows = my_rows(c, counts);
    let fitted = estimator(c.clone())
        .fit(&x.slice(s![rows.clone(), ..]), queue)
        .map_err(|e| e.to_string())?;
    let err = rel_err(
        fitted.cluster_centers().iter(),
        reference.cluster_centers().iter(),
    );
    ensure(err < tol, || {
        format!("{init:?}: centres differ by {err:e} (counts {counts:?})")
    })?;
    ensure(
        (fitted.inertia() - reference.inertia()).abs() < tol * reference.inertia(),
        || "inertia differs".into(),
    )?;
    ensure(fitted.n_iter() == reference.n_iter(), || {
        format!("n_iter {} vs {}", fitted.n_iter(), reference.n_iter())
    })?;
    ensure(
        fitted.labels() == reference.labels().slice(s![rows]),
        || "local labels differ".into(),
    )
}

fn main() {
    let mut h = Harness::new("mpi_cluster");
    let p = h.comm.size();
    let queue = Queue::for_tests();
    let q = queue.as_ref();
    let uneven = split_rows(600, p, |r| if p > 1 { r } else { 1 });
    let even = split_rows(600, p, |_| 1);

    for init in [Init::KMeansPlusPlus, Init::KMeansParallel, Init::Random] {
        let name = format!(
            "{init:?}: same seed, same centres as one process (uneven split, empty rank 0)"
        );
        h.run(&name, |c| {
            same_as_single(&x(), c, init.clone(), &uneven, None, 1e-12)
        });
    }
    h.run(
        "k-means++ drawn on each rank's GPU: same centres as one process on the CPU",
        |c| {
            let Some(q) = q else { return Ok(()) };
            let tol = if q.info().supports_f64 { 1e-9 } else { 1e-4 };
            same_as_single(&x(), c, Init::KMeansPlusPlus, &uneven, Some(q), tol)
        },
    );
    h.run(
        "centred f32 rows (read in place): same centres as one process",
        |c| {
            let x = x();
            let mean = x.mean_axis(ndarray::Axis(0)).unwrap();
            let centred = (&x - &mean).mapv(|v| v as f32);
            same_as_single(&centred, c, Init::KMeansPlusPlus, &uneven, None, 1e-9)
        },
    );
    h.run(
        "given centres on the GPU equal the single-process CPU fit",
        |c| {
            let Some(q) = q else { return Ok(()) };
            let init = Init::Given(x().slice(s![..5, ..]).to_owned() + 3.0);
            same_as_single(
                &x(),
                c,
                init,
                &even,
                Some(q),
                if q.info().supports_f64 { 1e-9 } else { 1e-4 },
            )
        },
    );
    h.run(
        "n_clusters above the global row count fails on every rank",
        |c| {
            let x = x();
            let rows = my_rows(c, &split_rows(6, p, |_| 1));
            match KMeans::new(7)
                .random_state(1)
                .comm(c.clone())
                .fit(&x.slice(s![rows, ..]), None)
            {
                Err(Error::InvalidParam {
                    name: "n_clusters", ..
                }) => Ok(()),
                other => Err(format!("unexpected outcome {other:?}")),
            }
        },
    );
    h.run("NaN on the last rank fails every rank", |c| {
        let mut x = x();
        let rows = my_rows(c, &even);
        if c.rank() == p - 1 {
            x[[rows.start, 0]] = f64::NAN;
        }
        match KMeans::new(3)
            .random_state(1)
            .comm(c.clone())
            .fit(&x.slice(s![rows, ..]), q)
        {
            Err(Error::NonFinite { .. }) if c.rank() == p - 1 => Ok(()),
            Err(Error::OnOtherRank { rank, .. }) if rank == p - 1 => Ok(()),
            other => Err(format!("unexpected outcome {other:?}")),
        }
    });
    for case in [
        "moons",
        "grid_euclidean",
        "blobs_weighted",
        "duplicates",
        "blobs_chebyshev",
        "dense",
    ] {
        for across in [Across::Ring, Across::Space] {
            let name = format!(
                "DBSCAN {case} {across:?}: rows sorted so clusters straddle ranks, rank 0 empty"
            );
            h.run(&name, |c| {
                dbscan_same_as_single(c, case, None, (across, true))
            });
        }
        let name = format!("DBSCAN {case} by space, rows in no order: labels come back home");
        h.run(&name, |c| {
            dbscan_same_as_single(c, case, None, (Across::Space, false))
        });
    }
    for case in ["moons", "grid_chebyshev", "dense"] {
        for across in [Across::Ring, Across::Space] {
            let name = format!("DBSCAN {case} {across:?} on each rank's GPU: as one process");
            h.run(&name, |c| dbscan_same_as_single(c, case, q, (across, true)));
        }
    }
    for case in [
        "varied",
        "varied_leaf",
        "varied_manhattan",
        "varied_centers",
        "moons",
        "moons_single",
        "duplicates",
        "nonfinite",
    ] {
        for sorted in [false, true] {
            let order = if sorted {
                "sorted rows"
            } else {
                "rows in no order"
            };
            let name = format!("HDBSCAN {case}, {order}, rank 0 empty: as one process");
            h.run(&name, |c| hdbscan_same_as_single(c, case, sorted, None));
        }
    }
    for case in ["varied", "moons_single"] {
        let name = format!("HDBSCAN {case}, core distances on each rank's GPU: as one process");
        h.run(&name, |c| hdbscan_same_as_single(c, case, true, q));
    }
    h.run("HDBSCAN: NaN on one rank is a label, not an error", |c| {
        let x = Array2::from_shape_fn((40, 2), |(i, j)| ((i * 7 + j * 3) % 11) as f64);
        let rows = my_rows(c, &split_rows(40, p, |_| 1));
        let mut mine = x.slice(s![rows, ..]).to_owned();
        if c.rank() == p - 1 {
            mine[[0, 1]] = f64::NAN;
        }
        let fitted = Hdbscan::new()
            .comm(c.clone())
            .fit(&mine, None)
            .map_err(|e| e.to_string())?;
        let first = fitted.labels().first().copied();
        ensure(c.rank() != p - 1 || first == Some(-3), || {
            format!("the NaN row's label is {first:?}")
        })
    });
    h.run(
        "HDBSCAN: min_samples above the global row count fails on every rank",
        |c| {
            let x = Array2::from_shape_fn((6, 2), |(i, j)| (i + j) as f64);
            let rows = my_rows(c, &split_rows(6, p, |_| 1));
            match Hdbscan::new()
                .min_cluster_size(7)
                .comm(c.clone())
                .fit(&x.slice(s![rows, ..]), None)
            {
                Err(e) if e.to_string().contains("min_samples (7)") => Ok(()),
                other => Err(format!("unexpected outcome {other:?}")),
            }
        },
    );
    h.finish();
}

/// HDBSCAN over ranks holding the fixture's rows (sorted by their first feature, so clusters
/// straddle ranks, or in the fixture's order), uneven, rank 0 empty (the core distances on
/// each rank's GPU with `queue`): each rank's labels and
/// probabilities are the single process's for its rows (and so scikit-learn's), the centres
/// the same.
fn hdbscan_same_as_single(c: &Comm, case: &str, sorted: bool, queue: Option<&Queue>) -> Check {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hdbscan");
    let cases: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("cases.json")).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let case = cases["cases"]
        .as_array()
        .and_then(|all| all.iter().find(|k| k["name"] == case))
        .ok_or("no such case")?;
    let file =
        std::fs::File::open(dir.join(format!("{}.npy", case["data"].as_str().unwrap_or_default())))
            .map_err(|e| e.to_string())?;
    let x: Array2<f64> = ArrayD::<f64>::read_npy(file)
        .map_err(|e| e.to_string())?
        .into_dimensionality()
        .map_err(|e| e.to_string())?;
    let mut order: Vec<usize> = (0..x.nrows()).collect();
    if sorted {
        order.sort_by(|&a, &b| x[[a, 0]].total_cmp(&x[[b, 0]]).then(a.cmp(&b)));
    }
    let x = x.select(ndarray::Axis(0), &order);
    let params: HdbscanParams =
        serde_json::from_value(case["params"].clone()).map_err(|e| e.to_string())?;
    let whole = Hdbscan::with_params(params.clone())
        .comm(Comm::single())
        .fit(&x, None)
        .map_err(|e| e.to_string())?;
    let p = c.size();
    let counts = split_rows(x.nrows(), p, |r| if p > 1 { r } else { 1 });
    let mine = my_rows(c, &counts);
    let split = Hdbscan::with_params(params)
        .comm(c.clone())
        .fit(&x.slice(s![mine.clone(), ..]), queue)
        .map_err(|e| e.to_string())?;
    ensure(
        split.labels() == whole.labels().slice(s![mine.clone()]),
        || "labels differ from one process's".into(),
    )?;
    let same = split
        .probabilities()
        .iter()
        .zip(whole.probabilities().slice(s![mine]))
        .all(|(a, b)| a.to_bits() == b.to_bits());
    ensure(same, || "probabilities differ from one process's".into())?;
    ensure(split.n_clusters() == whole.n_clusters(), || {
        "cluster counts differ".into()
    })?;
    for (ours, theirs) in [
        (split.centroids(), whole.centroids()),
        (split.medoids(), whole.medoids()),
    ] {
        match (ours, theirs) {
            (Some(a), Some(b)) => {
                let err = rel_err(a.iter(), b.iter());
                ensure(err < 1e-12, || format!("centres differ by {err:e}"))?;
            }
            (None, None) => {}
            _ => return Err("centres stored on one side only".into()),
        }
    }
    Ok(())
}

/// DBSCAN over ranks holding the fixture's rows (sorted by their first feature, so clusters
/// straddle ranks, or in the fixture's order), uneven, rank 0 empty (on each rank's GPU with
/// `queue`), `across` ranks by the ring or by space: each rank's labels and core rows are the
/// single process's on the CPU, and scikit-learn's. The communication counters show two
/// passes around the ring, each bringing the other ranks' rows; or, by space, no ring step and
/// eight exchanges (rows and ids to their regions, then to the halos; the halo rows' core
/// flags and components; the labels and core flags back).
fn dbscan_same_as_single(
    c: &Comm,
    case: &str,
    queue: Option<&Queue>,
    (across, sorted): (Across, bool),
) -> Check {
    let cases: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/dbscan/cases.json"),
        )
        .map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let case = cases["cases"]
        .as_array()
        .and_then(|all| all.iter().find(|k| k["name"] == case))
        .ok_or("no such case")?;
    let read = |name: &str| -> Result<ArrayD<f64>, String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/dbscan")
            .join(name);
        let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
        ArrayD::<f64>::read_npy(file).map_err(|e| e.to_string())
    };
    let x: Array2<f64> = read(&format!(
        "{}.npy",
        case["data"].as_str().unwrap_or_default()
    ))?
    .into_dimensionality()
    .map_err(|e| e.to_string())?;
    let weights = if case["weights"].as_bool() == Some(true) {
        Some(
            read("weights.npy")?
                .into_dimensionality::<ndarray::Ix1>()
                .map_err(|e| e.to_string())?,
        )
    } else {
        None
    };
    let mut order: Vec<usize> = (0..x.nrows()).collect();
    if sorted {
        order.sort_by(|&a, &b| x[[a, 0]].total_cmp(&x[[b, 0]]).then(a.cmp(&b)));
    }
    let x = x.select(ndarray::Axis(0), &order);
    let weights = weights.map(|w| w.select(ndarray::Axis(0), &order));
    let params: DbscanParams =
        serde_json::from_value(case["params"].clone()).map_err(|e| e.to_string())?;
    let fail = |e: Error| e.to_string();
    let whole = Dbscan::with_params(params.clone())
        .comm(Comm::single())
        .fit(&x, weights.as_ref(), None)
        .map_err(fail)?;
    let p = c.size();
    let counts = split_rows(x.nrows(), p, |r| if p > 1 { r } else { 1 });
    let mine = my_rows(c, &counts);
    let xl = x.slice(s![mine.clone(), ..]).to_owned();
    let wl = weights
        .as_ref()
        .map(|w| w.slice(s![mine.clone()]).to_owned());
    let before = c.stats();
    let split = Dbscan::with_params(params)
        .comm(c.clone())
        .across(across)
        .fit(&xl, wl.as_ref(), queue)
        .map_err(fail)?;
    let after = c.stats();
    let steps = after.ring_steps - before.ring_steps;
    let exchanges = after.alltoallv - before.alltoallv;
    if across == Across::Space && p > 1 {
        ensure(steps == 0 && exchanges == 8, || {
            format!("{steps} ring steps and {exchanges} exchanges by space")
        })?;
    } else {
        // Two passes around the ring (counts, then components), each bringing every other
        // rank's rows (at least their features, 8 bytes a value).
        ensure(steps == 2 * (p as u64 - 1) && exchanges == 0, || {
            format!("{steps} ring steps and {exchanges} exchanges")
        })?;
        let received = after.received_bytes - before.received_bytes;
        let others = 2 * (x.nrows() - xl.nrows()) * x.ncols() * 8;
        ensure(received >= others as u64, || {
            format!("received {received} bytes, the other ranks' rows are {others} twice")
        })?;
    }
    ensure(
        split.labels() == whole.labels().slice(s![mine.clone()]),
        || "labels differ from one process".into(),
    )?;
    let core: Vec<u64> = whole
        .core_sample_indices()
        .iter()
        .copied()
        .filter(|&i| mine.contains(&(i as usize)))
        .collect();
    ensure(split.core_sample_indices() == &core[..], || {
        "core rows differ".into()
    })?;
    ensure(split.n_clusters() == whole.n_clusters(), || {
        "cluster counts differ".into()
    })?;
    ensure(
        whole.n_clusters() as u64 == case["n_clusters"].as_u64().unwrap_or_default(),
        || "the single process differs from scikit-learn".into(),
    )
}
