//! KMeans under `mpirun -n 2` and `-n 4` (and as a plain one-rank test): the same seed gives the
//! same centres whatever the number of ranks, and SPMD equals the single-process fit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
mod harness;

use common::rel_err;
use harness::{ensure, my_rows, split_rows, Check, Harness};
use ndarray::{s, Array2, ArrayD};
use ndarray_npy::ReadNpyExt;
use spmd_learn::cluster::{Init, KMeans, NInit};
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
    h.finish();
}
