//! KMeans against scikit-learn (tests/fixtures/make_kmeans.py), on the CPU and the GPU.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::rel_err;
use ndarray::{Array1, Array2, ArrayD};
use spmd_learn::cluster::{FittedKMeans, Init, KMeans, NInit};
use spmd_learn::comm::Comm;
use spmd_learn::Queue;

fn npy<T: ndarray_npy::ReadableElement>(name: &str) -> ArrayD<T> {
    common::fixture("kmeans", name)
}

fn x() -> Array2<f64> {
    npy::<f64>("x.npy").into_dimensionality().unwrap()
}

fn manifest() -> serde_json::Value {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kmeans/cases.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `fitted` has scikit-learn's centres and labels, and the inertia and iterations of `case`.
fn assert_matches(
    fitted: &FittedKMeans,
    (centres, labels): (&ArrayD<f64>, &Array1<i64>),
    case: &serde_json::Value,
    what: &str,
) {
    assert!(
        rel_err(fitted.cluster_centers().iter(), centres.iter()) < 1e-9,
        "{what} centres"
    );
    assert!(
        fitted
            .labels()
            .iter()
            .zip(labels)
            .all(|(&a, &b)| a as i64 == b),
        "{what} labels"
    );
    let inertia = case["inertia"].as_f64().unwrap();
    assert!(
        (fitted.inertia() - inertia).abs() < 1e-9 * inertia,
        "{what} inertia {} vs {inertia}",
        fitted.inertia()
    );
    assert_eq!(
        fitted.n_iter() as u64,
        case["n_iter"].as_u64().unwrap(),
        "{what} n_iter"
    );
}

#[test]
fn given_centres_match_sklearn_exactly_on_cpu_and_gpu() {
    let x = x();
    for queue in [None, Queue::shared_for_tests()] {
        for case in manifest()["cases"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let init: Array2<f64> = npy::<f64>(&format!("{name}_init.npy"))
                .into_dimensionality()
                .unwrap();
            let fitted = KMeans::new(5)
                .init(Init::Given(init))
                .comm(Comm::single())
                .fit(&x, queue)
                .unwrap();
            let centres = npy::<f64>(&format!("{name}_centers.npy"));
            let labels: Array1<i64> = npy::<i64>(&format!("{name}_labels.npy"))
                .into_dimensionality()
                .unwrap();
            let device = if queue.is_some() { "GPU" } else { "CPU" };
            assert_matches(
                &fitted,
                (&centres, &labels),
                case,
                &format!("{device} {name}"),
            );
        }
    }
}

#[test]
fn kmeans_plus_plus_on_the_gpu_draws_the_cpus_centres_in_its_own_phase() {
    let Some(queue) = Queue::for_tests() else {
        return;
    };
    let x = x();
    let fit = |queue: Option<&Queue>| {
        KMeans::new(5)
            .init(Init::KMeansPlusPlus)
            .random_state(11)
            .max_iter(1)
            .comm(Comm::single())
            .fit(&x, queue)
            .unwrap()
    };
    let (cpu, gpu) = (fit(None), fit(Some(&queue)));
    // One Lloyd step from the same drawn rows: the same labels, centres to rounding.
    assert_eq!(cpu.labels(), gpu.labels());
    let tol = if queue.info().supports_f64 {
        1e-9
    } else {
        1e-4
    };
    assert!(rel_err(gpu.cluster_centers(), cpu.cluster_centers()) < tol);
    let phases = queue.phase_stats();
    let phase = |name: &str| phases.iter().find(|(n, _)| *n == name).map(|(_, s)| *s);
    let init = phase("init").expect("an init phase");
    // Two submissions per centre after the first, each waited for once: the draws, then the
    // candidates' potentials.
    assert_eq!((init.submits, init.waits), (2 * 4, 2 * 4), "{init:?}");
    let step = phase("step").expect("a step phase");
    assert!(step.waits <= 2 * step.submits, "{step:?}");
    assert!(step.readback_bytes <= 64 * 1024 * step.submits, "{step:?}");
}

#[test]
fn seeded_initialisations_come_close_to_sklearn_kmeans_plus_plus() {
    let x = x();
    let reference = manifest()["kmeans_plus_plus_inertia"].as_f64().unwrap();
    for init in [Init::KMeansPlusPlus, Init::KMeansParallel, Init::Random] {
        // Any one initialisation can land in a local minimum (scikit-learn's too): the best of
        // five, as n_init=5 runs them, must match scikit-learn's optimum.
        let fit = || {
            KMeans::new(5)
                .init(init.clone())
                .n_init(NInit::Count(5))
                .random_state(0)
                .comm(Comm::single())
                .fit(&x, None)
                .unwrap()
        };
        let fitted = fit();
        assert!(
            fitted.inertia() < reference * 1.05,
            "{init:?}: {} vs scikit-learn {reference}",
            fitted.inertia()
        );
        let again = fit();
        assert_eq!(
            again.cluster_centers(),
            fitted.cluster_centers(),
            "{init:?} is reproducible"
        );
    }
}

#[test]
fn predict_transform_score_and_serde() {
    let x = x();
    let init: Array2<f64> = npy::<f64>("given_init.npy").into_dimensionality().unwrap();
    let fitted = KMeans::new(5)
        .init(Init::Given(init))
        .comm(Comm::single())
        .fit(&x, None)
        .unwrap();
    assert_eq!(fitted.predict(&x).unwrap(), fitted.labels());
    let distances = fitted.transform(&x).unwrap();
    assert_eq!(distances.dim(), (600, 5));
    let score = fitted.score(&Comm::single(), &x).unwrap();
    assert!((score + fitted.inertia()).abs() < 1e-9 * fitted.inertia());
    let json = serde_json::to_value(&fitted).unwrap();
    assert_eq!(json["n_iter_"], fitted.n_iter());
    let back: FittedKMeans = serde_json::from_value(json).unwrap();
    assert_eq!(back.cluster_centers(), fitted.cluster_centers());
    assert_eq!(back.predict(&x).unwrap(), fitted.labels());
}

#[test]
fn bad_parameters_and_input_are_errors() {
    let x = x();
    let too_many = KMeans::new(601)
        .random_state(0)
        .comm(Comm::single())
        .fit(&x, None)
        .unwrap_err()
        .to_string();
    assert!(
        too_many.contains("n_clusters") && too_many.contains("rows"),
        "{too_many}"
    );
    let zero = KMeans::new(0)
        .comm(Comm::single())
        .fit(&x, None)
        .unwrap_err()
        .to_string();
    assert!(zero.contains("n_clusters=0"), "{zero}");
    let mut bad = x.clone();
    bad[[9, 3]] = f64::NAN;
    let nan = KMeans::new(3)
        .random_state(0)
        .comm(Comm::single())
        .fit(&bad, None)
        .unwrap_err()
        .to_string();
    assert!(nan.contains("NaN at row 9, column 3"), "{nan}");
    let wrong = KMeans::new(2)
        .init(Init::Given(Array2::zeros((3, 4))))
        .comm(Comm::single())
        .fit(&x, None)
        .unwrap_err()
        .to_string();
    assert!(wrong.contains("2 x 4"), "{wrong}");
}

#[test]
fn f32_input_matches_sklearn_within_f32_accuracy() {
    let x32 = x().mapv(|v| v as f32);
    let init: Array2<f64> = npy::<f64>("given_init.npy").into_dimensionality().unwrap();
    let want = npy::<f64>("given_centers.npy");
    let labels: Array1<i64> = npy::<i64>("given_labels.npy")
        .into_dimensionality()
        .unwrap();
    for queue in [None, Queue::shared_for_tests()] {
        let fitted = KMeans::new(5)
            .init(Init::Given(init.clone()))
            .comm(Comm::single())
            .fit(&x32, queue)
            .unwrap();
        assert!(rel_err(fitted.cluster_centers().iter(), want.iter()) < 1e-5);
        assert!(fitted
            .labels()
            .iter()
            .zip(&labels)
            .all(|(&a, &b)| a as i64 == b));
    }
    // Centred f32 rows are read in place rather than copied; the clustering is the same one,
    // moved by the mean.
    let mean = x().mean_axis(ndarray::Axis(0)).unwrap();
    let centred = (&x() - &mean).mapv(|v| v as f32);
    let fitted = KMeans::new(5)
        .init(Init::Given(&init - &mean))
        .comm(Comm::single())
        .fit(&centred, None)
        .unwrap();
    let moved = &fitted.cluster_centers() + &mean;
    assert!(rel_err(moved.iter(), want.iter()) < 1e-5);
    assert!(fitted
        .labels()
        .iter()
        .zip(&labels)
        .all(|(&a, &b)| a as i64 == b));
}

#[test]
fn transform_predict_and_score_match_f64_reference_on_cpu_and_gpu() {
    use spmd_learn::estimator::{Context, Dataset, Predict, Score, Transform};
    let x = x();
    let init: Array2<f64> = npy::<f64>("given_init.npy").into_dimensionality().unwrap();
    let comm = Comm::single();
    let fitted = KMeans::new(5)
        .init(Init::Given(init))
        .comm(comm.clone())
        .fit(&x, None)
        .unwrap();
    let centres = fitted.cluster_centers();
    let want = Array2::from_shape_fn((x.nrows(), 5), |(i, c)| {
        (&x.row(i) - &centres.row(c)).mapv(|v| v * v).sum().sqrt()
    });
    for queue in [None, Queue::shared_for_tests()] {
        let ctx = Context::new(&comm, queue);
        let tol = match queue {
            Some(q) if !q.info().supports_f64 => 1e-5,
            _ => 1e-12,
        };
        let got = Transform::transform(&fitted, ctx, x.view()).unwrap();
        assert!(rel_err(&got, &want) < tol, "{:?}", queue.map(|q| q.info()));
        let labels = Predict::predict(&fitted, ctx, x.view()).unwrap();
        assert_eq!(labels.column(0).mapv(|l| l as usize), fitted.labels());
        let score = Score::score(&fitted, ctx, &Dataset::new(x.view())).unwrap();
        assert!((score + fitted.inertia()).abs() < 1e-9 * fitted.inertia());
        // f32 rows reach the kernel as f32.
        let got = Transform::transform(&fitted, ctx, x.mapv(|v| v as f32).view()).unwrap();
        assert!(rel_err(&got, &want) < 1e-5);
    }
}

#[test]
fn a_gpu_fit_uploads_its_rows_once_and_reads_back_little_per_iteration() {
    let Some(queue) = Queue::for_tests() else {
        return;
    };
    let x = Array2::from_shape_fn((20_000, 8), |(i, j)| {
        ((i * 7919 + j * 104_729) % 1000) as f32 / 100.0 + (i % 5) as f32 * 20.0
    });
    let init = x.slice(ndarray::s![..5, ..]).mapv(f64::from);
    let fitted = KMeans::new(5)
        .init(Init::Given(init))
        .max_iter(30)
        .tol(0.0)
        .comm(Comm::single())
        .fit(&x, Some(&queue))
        .unwrap();
    let stats = queue.stats();
    let x_bytes = (20_000 * 8 * 4) as u64;
    assert!(stats.uploaded_bytes <= x_bytes * 11 / 10, "{stats:?}");
    // Labels once (4 bytes a row) and a few KB per iteration.
    let per_iteration = (stats.readback_bytes - 20_000 * 4) / fitted.n_iter().max(1) as u64;
    assert!(
        per_iteration <= 4096,
        "{stats:?} over {} iterations",
        fitted.n_iter()
    );
}

#[test]
fn weighted_fit_matches_sklearn_exactly_on_cpu_and_gpu() {
    let x = x();
    let weights: Array1<f64> = npy::<f64>("weighted_weights.npy")
        .into_dimensionality()
        .unwrap();
    let init: Array2<f64> = npy::<f64>("weighted_init.npy")
        .into_dimensionality()
        .unwrap();
    let centres = npy::<f64>("weighted_centers.npy");
    let labels: Array1<i64> = npy::<i64>("weighted_labels.npy")
        .into_dimensionality()
        .unwrap();
    let reference = &manifest()["weighted"];
    common::on_cpu_and_gpu("finds each step's nearest centres", |queue| {
        let fitted = KMeans::new(5)
            .init(Init::Given(init.clone()))
            .comm(Comm::single())
            .fit_weighted(&x, weights.view(), queue)
            .unwrap();
        let device = if queue.is_some() { "GPU" } else { "CPU" };
        assert_matches(
            &fitted,
            (&centres, &labels),
            reference,
            &format!("{device} weighted"),
        );
    });
}

#[test]
fn weighted_seeding_draws_only_rows_of_positive_weight() {
    let x = x();
    let chosen = [7, 99, 250, 401, 588];
    let mut weights = Array1::<f64>::zeros(x.nrows());
    for &i in &chosen {
        weights[i] = 1.0;
    }
    let mut expected: Vec<Vec<f64>> = chosen.iter().map(|&i| x.row(i).to_vec()).collect();
    expected.sort_by(|a, b| a[0].total_cmp(&b[0]));
    for init in [Init::KMeansPlusPlus, Init::Random, Init::KMeansParallel] {
        // One step: each of the five rows is alone (with rows of weight 0) in its cluster.
        let fitted = KMeans::new(5)
            .init(init.clone())
            .n_init(NInit::Count(1))
            .max_iter(1)
            .random_state(3)
            .comm(Comm::single())
            .fit_weighted(&x, weights.view(), None)
            .unwrap();
        let mut got: Vec<Vec<f64>> = fitted
            .cluster_centers()
            .rows()
            .into_iter()
            .map(|r| r.to_vec())
            .collect();
        got.sort_by(|a, b| a[0].total_cmp(&b[0]));
        assert_eq!(got, expected, "{init:?}");
    }
    let zero = Array1::<f64>::zeros(x.nrows());
    let err = KMeans::new(5)
        .comm(Comm::single())
        .fit_weighted(&x, zero.view(), None)
        .unwrap_err();
    assert!(err.to_string().contains("sum to zero"), "{err}");
}
