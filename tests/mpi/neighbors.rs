//! The neighbour estimators under `mpirun -n 2` and `-n 4` (and as a plain one-rank test): the
//! ring search gives each rank's queries exactly the neighbours (global indices), distances,
//! votes and values of one process holding every row, for uneven splits, an empty rank and
//! ranks missing classes; a bad query on one rank fails every rank.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
mod harness;

use harness::{ensure, my_rows, split_rows, Check, Harness};
use ndarray::{s, Array1, Array2, Axis, Ix1, Ix2};
use spmd_learn::comm::Comm;
use spmd_learn::neighbors::{
    KNeighborsClassifier, KNeighborsRegressor, Metric, NearestNeighbors, Weights,
};
use spmd_learn::{Error, Queue};

fn fixture<T: ndarray_npy::ReadableElement, D: ndarray::Dimension>(
    name: &str,
) -> ndarray::Array<T, D> {
    common::fixture("neighbors", name)
}

/// Training rows ordered by label, so that a split leaves ranks without some classes.
fn data() -> (Array2<f64>, Array1<i64>, Array2<f64>, Array2<f64>) {
    let x: Array2<f64> = fixture::<f64, Ix2>("x.npy");
    let labels: Array1<i64> = fixture::<i64, Ix1>("labels.npy");
    let targets: Array2<f64> = fixture::<f64, Ix2>("targets.npy");
    let queries: Array2<f64> = fixture::<f64, Ix2>("queries.npy");
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_by_key(|&i| (labels[i], i));
    (
        x.select(Axis(0), &order),
        labels.select(Axis(0), &order),
        targets.select(Axis(0), &order),
        queries,
    )
}

fn same(what: &str, got: &Array2<f64>, want: &Array2<f64>) -> Check {
    ensure(got.dim() == want.dim(), || {
        format!("{what}: shapes {:?} {:?}", got.dim(), want.dim())
    })?;
    let err = common::rel_err(got.iter(), want.iter());
    ensure(err < 1e-12, || format!("{what}: differs by {err:e}"))
}

/// Every output for training rows split by `train` and queries split by `query`.
/// With `queue`, the split search finds its candidates on each rank's GPU.
fn same_as_one_process(
    c: &Comm,
    train: &[usize],
    query: &[usize],
    metric: Metric,
    queue: Option<&Queue>,
) -> Check {
    let (x, labels, targets, queries) = data();
    let one = Comm::single();
    let (mine, asked) = (my_rows(c, train), my_rows(c, query));
    let (xl, ql) = (
        x.slice(s![mine.clone(), ..]),
        queries.slice(s![asked.clone(), ..]),
    );
    let fail = |e: Error| e.to_string();

    let whole = NearestNeighbors::new()
        .metric(metric)
        .comm(one.clone())
        .fit(&x)
        .map_err(fail)?;
    let split = NearestNeighbors::new()
        .metric(metric)
        .comm(c.clone())
        .fit(&xl)
        .map_err(fail)?;
    let (wd, wi) = whole
        .kneighbors(Some(queries.view()), Some(7), None)
        .map_err(fail)?;
    let (d, i) = split.kneighbors(Some(ql), Some(7), queue).map_err(fail)?;
    ensure(i == wi.slice(s![asked.clone(), ..]), || {
        "query neighbours differ".into()
    })?;
    same("distances", &d, &wd.slice(s![asked.clone(), ..]).to_owned())?;
    // X=None: each rank's training rows among every rank's others.
    let (wd, wi) = whole.kneighbors::<f64>(None, Some(4), None).map_err(fail)?;
    let (d, i) = split
        .kneighbors::<f64>(None, Some(4), queue)
        .map_err(fail)?;
    ensure(i == wi.slice(s![mine.clone(), ..]), || {
        "X=None neighbours differ".into()
    })?;
    same(
        "X=None distances",
        &d,
        &wd.slice(s![mine.clone(), ..]).to_owned(),
    )?;

    // Radius searches: the same rows, in the same order, with global indices.
    let whole_radius = NearestNeighbors::new()
        .metric(metric)
        .radius(0.9)
        .comm(one.clone());
    let split_radius = NearestNeighbors::new()
        .metric(metric)
        .radius(0.9)
        .comm(c.clone());
    let whole_radius = whole_radius.fit(&x).map_err(fail)?;
    let split_radius = split_radius.fit(&xl).map_err(fail)?;
    for sort in [false, true] {
        let want = whole_radius
            .radius_neighbors(Some(queries.view()), None, sort)
            .map_err(fail)?;
        let got = split_radius
            .radius_neighbors(Some(ql), None, sort)
            .map_err(fail)?;
        ensure(got == want[asked.clone()], || {
            "radius neighbours differ".into()
        })?;
        let want = whole_radius
            .radius_neighbors::<f64>(None, None, sort)
            .map_err(fail)?;
        let got = split_radius
            .radius_neighbors::<f64>(None, None, sort)
            .map_err(fail)?;
        ensure(got == want[mine.clone()], || {
            "X=None radius neighbours differ".into()
        })?;
    }

    let yl = labels.slice(s![mine.clone()]);
    let classifier = |comm: &Comm| {
        KNeighborsClassifier::new()
            .weights(Weights::Distance)
            .metric(metric)
            .comm(comm.clone())
    };
    let whole = classifier(&one).fit(&x, &labels).map_err(fail)?;
    let split = classifier(c).fit(&xl, &yl).map_err(fail)?;
    ensure(split.classes() == whole.classes(), || {
        format!("classes {:?}", split.classes())
    })?;
    let wp = whole.predict_proba(queries.view(), None).map_err(fail)?;
    same(
        "proba",
        &split.predict_proba(ql, queue).map_err(fail)?,
        &wp.slice(s![asked.clone(), ..]).to_owned(),
    )?;
    // Accuracy on every rank's training rows, over all ranks.
    let want = whole.score(x.view(), &labels, None).map_err(fail)?;
    let got = split.score(xl, &yl, queue).map_err(fail)?;
    ensure((got - want).abs() < 1e-15, || {
        format!("accuracy {got} against {want}")
    })?;

    let tl = targets.slice(s![mine, ..]).to_owned();
    let regressor = |comm: &Comm| KNeighborsRegressor::new().metric(metric).comm(comm.clone());
    let whole = regressor(&one).fit(&x, &targets).map_err(fail)?;
    let split = regressor(c).fit(&xl, &tl).map_err(fail)?;
    let wr = whole.predict(queries.view(), None).map_err(fail)?;
    same(
        "regression",
        &split.predict(ql, queue).map_err(fail)?,
        &wr.slice(s![asked, ..]).to_owned(),
    )
}

fn main() {
    let mut h = Harness::new("mpi_neighbors");
    let p = h.comm.size();
    let uneven = split_rows(80, p, |r| r + 1);
    let empty_first = split_rows(80, p, |r| usize::from(r > 0 || p == 1));
    let queries_last = split_rows(17, p, |r| usize::from(r + 1 == p));
    h.run("uneven training split, uneven queries, euclidean", |c| {
        same_as_one_process(
            c,
            &uneven,
            &split_rows(17, p, |r| 2 + r),
            Metric::Euclidean,
            None,
        )
    });
    h.run(
        "an empty training rank, queries on the last rank, manhattan",
        |c| same_as_one_process(c, &empty_first, &queries_last, Metric::Manhattan, None),
    );
    let queue = Queue::for_tests();
    h.run(
        "on each rank's GPU: an empty training rank, euclidean",
        |c| {
            same_as_one_process(
                c,
                &empty_first,
                &uneven_queries(p),
                Metric::Euclidean,
                queue.as_ref(),
            )
        },
    );
    h.run(
        "the comm counters: a search takes p - 1 ring steps and receives the other ranks' rows",
        |c| {
            let (x, _, _, queries) = data();
            let rows = my_rows(c, &uneven);
            let fitted = NearestNeighbors::new()
                .comm(c.clone())
                .fit(&x.slice(s![rows.clone(), ..]))
                .map_err(|e| e.to_string())?;
            let before = c.stats();
            fitted
                .kneighbors(Some(queries.view()), None, None)
                .map_err(|e| e.to_string())?;
            let after = c.stats();
            let steps = after.ring_steps - before.ring_steps;
            ensure(steps == (p - 1) as u64, || format!("{steps} ring steps"))?;
            // Each step brings one other rank's block (its rows, 8 bytes a value, and its
            // length); the search's other collectives agree on small values.
            let others = (x.nrows() - rows.len()) * x.ncols() * 8 + 8 * (p - 1);
            let received = (after.received_bytes - before.received_bytes) as usize;
            ensure(received >= others && received <= others + 4096, || {
                format!("received {received} bytes, the other ranks' rows are {others}")
            })
        },
    );
    h.run("cosine, the other way round", |c| {
        same_as_one_process(
            c,
            &queries_last_as_train(p),
            &uneven_queries(p),
            Metric::Cosine,
            None,
        )
    });
    h.run(
        "a query of the wrong width on one rank fails every rank",
        |c| {
            let (x, _, _, queries) = data();
            let rows = my_rows(c, &uneven);
            let fitted = NearestNeighbors::new()
                .comm(c.clone())
                .fit(&x.slice(s![rows, ..]))
                .map_err(|e| e.to_string())?;
            let q = if c.rank() == p - 1 {
                queries.slice(s![.., ..3]).to_owned()
            } else {
                queries.clone()
            };
            match fitted.kneighbors(Some(q.view()), None, None) {
                Err(Error::Shape { .. }) if c.rank() == p - 1 => Ok(()),
                Err(Error::OnOtherRank { rank, .. }) if rank == p - 1 => Ok(()),
                Ok(_) if p == 1 => Err("a narrow query was accepted".into()),
                other => Err(format!("unexpected outcome {:?}", other.map(|_| ()))),
            }
        },
    );
    h.finish();
}

fn queries_last_as_train(p: usize) -> Vec<usize> {
    split_rows(80, p, |r| usize::from(r + 1 == p) * 3 + 1)
}

fn uneven_queries(p: usize) -> Vec<usize> {
    split_rows(17, p, |r| p - r)
}
