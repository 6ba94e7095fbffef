//! The neighbour estimators against scikit-learn's brute force (tests/fixtures/make_neighbors.py):
//! every metric, both weights, queries and `kneighbors(X=None)`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use ndarray::{Array1, Array2, Ix1, Ix2};
use spmd_learn::comm::Comm;
use spmd_learn::neighbors::{
    KNeighborsClassifier, KNeighborsRegressor, Metric, NearestNeighbors, NeighborsParams, Weights,
};
use spmd_learn::Queue;

fn array2<T: ndarray_npy::ReadableElement>(name: &str) -> Array2<T> {
    common::fixture::<T, Ix2>("neighbors", name)
}

fn array1<T: ndarray_npy::ReadableElement>(name: &str) -> Array1<T> {
    common::fixture::<T, Ix1>("neighbors", name)
}

fn cases() -> Vec<(String, NeighborsParams)> {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/neighbors/manifest.json"),
    )
    .unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    manifest["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| {
            let params = NeighborsParams {
                n_neighbors: case["k"].as_u64().unwrap() as usize,
                weights: serde_json::from_value(case["weights"].clone()).unwrap(),
                metric: serde_json::from_value(case["metric"].clone()).unwrap(),
                p: case["p"].as_f64().unwrap(),
                ..NeighborsParams::default()
            };
            (case["name"].as_str().unwrap().to_string(), params)
        })
        .collect()
}

fn assert_close(got: &Array2<f64>, want: &Array2<f64>, what: &str) {
    assert_eq!(got.dim(), want.dim(), "{what}");
    let err = common::rel_err(got.iter(), want.iter());
    assert!(err < 1e-10, "{what}: {err:e}");
}

#[test]
fn every_metric_and_weighting_matches_scikit_learn_on_cpu_and_gpu() {
    common::on_cpu_and_gpu("found no candidates", every_case_matches);
}

fn every_case_matches(queue: Option<&Queue>) {
    let (x, queries) = (array2::<f64>("x.npy"), array2::<f64>("queries.npy"));
    let (labels, targets) = (array1::<i64>("labels.npy"), array2::<f64>("targets.npy"));
    let comm = Comm::single();
    let device = if queue.is_some() { "GPU" } else { "CPU" };
    for (name, params) in cases() {
        let name = format!("{name} ({device})");
        let file = |suffix: &str| format!("{}_{suffix}.npy", name.split(' ').next().unwrap());
        let search = NearestNeighbors::with_params(params.clone())
            .comm(comm.clone())
            .fit(&x)
            .unwrap();
        let (distances, indices) = search
            .kneighbors(Some(queries.view()), None, queue)
            .unwrap();
        assert_eq!(
            indices.mapv(|i| i as i64),
            array2::<i64>(&file("indices")),
            "{name}"
        );
        assert_close(&distances, &array2(&file("distances")), &name);
        let (distances, indices) = search.kneighbors::<f64>(None, None, queue).unwrap();
        let want = array2::<i64>(&file("self_indices"));
        assert_eq!(indices.mapv(|i| i as i64), want, "{name} X=None");
        assert_close(&distances, &array2(&file("self_distances")), &name);

        let classifier = KNeighborsClassifier::with_params(params.clone())
            .comm(comm.clone())
            .fit(&x, &labels)
            .unwrap();
        let predicted = classifier.predict(queries.view(), queue).unwrap();
        assert_eq!(predicted, array1::<i64>(&file("predict")), "{name}");
        let proba = classifier.predict_proba(queries.view(), queue).unwrap();
        assert_close(&proba, &array2(&file("proba")), &name);

        let regressor = KNeighborsRegressor::with_params(params)
            .comm(comm.clone())
            .fit(&x, &targets)
            .unwrap();
        let predicted = regressor.predict(queries.view(), queue).unwrap();
        assert_close(&predicted, &array2(&file("regress")), &name);
    }
}

#[test]
fn f32_rows_find_the_same_neighbours() {
    let (x, queries) = (array2::<f64>("x.npy"), array2::<f64>("queries.npy"));
    let search = NearestNeighbors::new()
        .comm(Comm::single())
        .fit(&x.mapv(|v| v as f32))
        .unwrap();
    let (_, indices) = search
        .kneighbors(Some(queries.mapv(|v| v as f32).view()), None, None)
        .unwrap();
    let want = array2::<i64>("minkowski_p2_uniform_indices.npy");
    assert_eq!(indices.mapv(|i| i as i64), want);
}

#[test]
fn bad_requests_are_errors_that_name_the_problem() {
    let x = array2::<f64>("x.npy");
    let comm = Comm::single();
    let fitted = NearestNeighbors::new().comm(comm.clone()).fit(&x).unwrap();
    let err = fitted
        .kneighbors::<f64>(None, Some(80), None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("n_neighbors"), "{err}");
    let narrow = x.slice(ndarray::s![.., ..3]).to_owned();
    let err = fitted
        .kneighbors(Some(narrow.view()), None, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("features"), "{err}");
    let err = NearestNeighbors::new()
        .n_neighbors(0)
        .comm(comm.clone())
        .fit(&x)
        .unwrap_err()
        .to_string();
    assert!(err.contains("n_neighbors"), "{err}");
    let err = NearestNeighbors::new()
        .metric(Metric::Minkowski)
        .p(0.5)
        .comm(comm.clone())
        .fit(&x)
        .unwrap_err()
        .to_string();
    assert!(err.contains('p'), "{err}");
    // A regressor's score checks y before the search: rows, then the number of targets.
    let targets = array2::<f64>("targets.npy");
    let regressor = KNeighborsRegressor::new()
        .comm(comm.clone())
        .fit(&x, &targets)
        .unwrap();
    let err = regressor
        .score(x.slice(ndarray::s![..10, ..]), &targets, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("rows"), "{err}");
    let one = targets.slice(ndarray::s![.., ..1]).to_owned();
    let err = regressor
        .score(x.view(), &one, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("targets"), "{err}");
    let mut with_nan = x.clone();
    with_nan[[3, 1]] = f64::NAN;
    let err = KNeighborsClassifier::new()
        .weights(Weights::Distance)
        .comm(comm)
        .fit(&with_nan, &array1::<i64>("labels.npy"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("NaN") || err.contains("finite"), "{err}");
}

#[test]
fn radius_searches_and_the_graph_match_scikit_learn() {
    let (x, queries) = (array2::<f64>("x.npy"), array2::<f64>("queries.npy"));
    let search = NearestNeighbors::new()
        .radius(1.2)
        .comm(Comm::single())
        .fit(&x)
        .unwrap();
    let cases = [
        ("radius", Some(queries.view()), false),
        ("radius_sorted", Some(queries.view()), true),
        ("self_radius", None, false),
    ];
    for (name, q, sort) in cases {
        let found = search.radius_neighbors(q, None, sort).unwrap();
        let lengths: Vec<i64> = found.iter().map(|(_, i)| i.len() as i64).collect();
        assert_eq!(
            lengths,
            array1::<i64>(&format!("{name}_lengths.npy")).to_vec(),
            "{name}"
        );
        let indices: Vec<i64> = found
            .iter()
            .flat_map(|(_, i)| i.iter().map(|&v| v as i64))
            .collect();
        assert_eq!(
            indices,
            array1::<i64>(&format!("{name}_indices.npy")).to_vec(),
            "{name}"
        );
        let distances: Vec<f64> = found.iter().flat_map(|(d, _)| d.iter().copied()).collect();
        let want = array1::<f64>(&format!("{name}_distances.npy"));
        assert!(
            common::rel_err(distances.iter(), want.iter()) < 1e-10,
            "{name}"
        );
    }
    let graph = NearestNeighbors::new()
        .n_neighbors(3)
        .comm(Comm::single())
        .fit(&x)
        .unwrap()
        .kneighbors_graph(Some(queries.view()), None, true, None)
        .unwrap();
    let as_i64 = |v: &[usize]| v.iter().map(|&i| i as i64).collect::<Vec<_>>();
    assert_eq!(
        as_i64(&graph.indptr),
        array1::<i64>("graph_indptr.npy").to_vec()
    );
    let indices: Vec<i64> = graph.indices.iter().map(|&i| i as i64).collect();
    assert_eq!(indices, array1::<i64>("graph_indices.npy").to_vec());
    let want = array1::<f64>("graph_data.npy");
    assert!(common::rel_err(graph.data.iter(), want.iter()) < 1e-10);
    assert_eq!(graph.n_cols, 80);
}

#[test]
fn column_major_rows_find_the_same_neighbours() {
    use ndarray::ShapeBuilder;
    let fortran = |a: &Array2<f64>| {
        let mut f = Array2::zeros(a.raw_dim().f());
        f.assign(a);
        f
    };
    let (x, queries) = (array2::<f64>("x.npy"), array2::<f64>("queries.npy"));
    let search = NearestNeighbors::new()
        .metric(Metric::Cosine)
        .comm(Comm::single())
        .fit(&fortran(&x))
        .unwrap();
    let (distances, indices) = search
        .kneighbors(Some(fortran(&queries).view()), None, None)
        .unwrap();
    let want = array2::<i64>("cosine_p2_uniform_indices.npy");
    assert_eq!(indices.mapv(|i| i as i64), want);
    assert_close(
        &distances,
        &array2("cosine_p2_uniform_distances.npy"),
        "cosine, column-major",
    );
}

/// The GPU's candidate lists give exactly the CPU's neighbours: rows far from the origin (f32
/// device keys lose most digits there), more duplicates of one row than a list holds (its lists
/// overflow and are searched again on the host), f32 and f64 rows, every metric the device
/// takes, k from 1 to 64, with queries and with `X=None`.
#[test]
fn gpu_candidates_give_exactly_the_cpu_neighbours() {
    let Some(queue) = Queue::shared_for_tests() else {
        return;
    };
    let (rows, width) = (1500, 7);
    let mut state = 11_u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut x = Array2::from_shape_simple_fn((rows, width), || 1000.0 + next());
    let copy = x.row(3).to_owned();
    for r in (0..rows).step_by(5) {
        x.row_mut(r).assign(&copy);
    }
    let queries = x.slice(ndarray::s![..40, ..]).mapv(|v| v + 1e-7);
    let comm = Comm::single();
    for metric in [
        Metric::Euclidean,
        Metric::Sqeuclidean,
        Metric::Manhattan,
        Metric::Chebyshev,
        Metric::Cosine,
    ] {
        for k in [1, 5, 64] {
            let fit = |single: bool| {
                let estimator = NearestNeighbors::new()
                    .n_neighbors(k)
                    .metric(metric)
                    .comm(comm.clone());
                if single {
                    estimator.fit(&x.mapv(|v| v as f32)).unwrap()
                } else {
                    estimator.fit(&x).unwrap()
                }
            };
            for single in [false, true] {
                let search = fit(single);
                let what = format!("{metric:?} k={k} f32={single}");
                let cpu = search.kneighbors(Some(queries.view()), None, None).unwrap();
                let gpu = search
                    .kneighbors(Some(queries.view()), None, Some(queue))
                    .unwrap();
                assert_eq!(cpu.1, gpu.1, "{what}");
                assert_eq!(cpu.0, gpu.0, "{what}");
                let cpu = search.kneighbors::<f64>(None, None, None).unwrap();
                let gpu = search.kneighbors::<f64>(None, None, Some(queue)).unwrap();
                assert_eq!(cpu.1, gpu.1, "{what} X=None");
                assert_eq!(cpu.0, gpu.0, "{what} X=None");
            }
        }
    }
}

/// On the GPU each block comes back as one merged list per query (its `k + max(k / 4, 4)`
/// nearest rows by the device's f32 keys, with their rows and a count), after one wait, and
/// the neighbours are exactly the CPU's; the training rows stay on the device for the next
/// search.
#[test]
fn a_gpu_search_reads_back_one_merged_list_per_query() {
    let Some(queue) = Queue::for_tests() else {
        return;
    };
    let (rows, width, n_queries, k) = (20_000, 8, 300, 5);
    let x = Array2::from_shape_fn((rows, width), |(i, j)| {
        let blob = (i % 7) as f64 * 5.0;
        blob + ((i * 7919 + j * 104_729) % 1000) as f64 / 500.0
    });
    let queries = x.slice(ndarray::s![..n_queries, ..]).mapv(|v| v + 1e-3);
    let search = NearestNeighbors::new()
        .n_neighbors(k)
        .comm(Comm::single())
        .fit(&x)
        .unwrap();
    let cpu = search.kneighbors(Some(queries.view()), None, None).unwrap();
    let gpu = search
        .kneighbors(Some(queries.view()), None, Some(&queue))
        .unwrap();
    assert_eq!(cpu.1, gpu.1);
    assert_eq!(cpu.0, gpu.0);
    let phases = queue.phase_stats();
    let step = phases
        .iter()
        .find(|(p, _)| *p == "step")
        .map(|(_, s)| *s)
        .expect("a step phase");
    let keep = k + 4;
    assert_eq!(step.waits, 1, "{step:?}");
    assert_eq!(
        step.readback_bytes,
        (n_queries * (keep * (4 + 4) + 4)) as u64,
        "{step:?}"
    );
    // The training rows stay on the device: the next search uploads only the queries.
    let uploaded = |phases: &[(&str, spmd_learn::gpu::GpuStats)]| {
        let upload = phases.iter().find(|(p, _)| *p == "upload").map(|(_, s)| *s);
        upload.expect("an upload phase").uploaded_bytes
    };
    let (training, query_bytes) = ((rows * width * 4) as u64, (n_queries * width * 4) as u64);
    assert!(uploaded(&phases) >= training + query_bytes, "{phases:?}");
    let again = search
        .kneighbors(Some(queries.view()), None, Some(&queue))
        .unwrap();
    assert_eq!(again, gpu);
    let after = queue.phase_stats();
    assert_eq!(
        uploaded(&after) - uploaded(&phases),
        query_bytes,
        "{after:?}"
    );
}
