//! HDBSCAN against scikit-learn (tests/fixtures/make_hdbscan.py): blobs of varying density,
//! moons with noise, duplicated rows, rows with inf and NaN, every parameter.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use ndarray::{Array2, Ix1, Ix2};
use spmd_learn::cluster::{Hdbscan, HdbscanParams};
use spmd_learn::comm::Comm;
use spmd_learn::Queue;

fn manifest() -> serde_json::Value {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hdbscan/cases.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Equal to `tolerance` (relative to 1 or the value), NaN where the other is NaN.
fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= tolerance * b.abs().max(1.0)
}

#[test]
fn labels_probabilities_and_centres_match_scikit_learn_on_cpu_and_gpu() {
    common::on_cpu_and_gpu("searched nothing", every_case_matches);
}

/// Every case on one process, the core distances searched on `queue`'s GPU where given.
fn every_case_matches(queue: Option<&Queue>) {
    for case in manifest()["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let data = case["data"].as_str().unwrap();
        let x: Array2<f64> = common::fixture::<f64, Ix2>("hdbscan", &format!("{data}.npy"));
        let params: HdbscanParams = serde_json::from_value(case["params"].clone()).unwrap();
        let fitted = Hdbscan::with_params(params)
            .comm(Comm::single())
            .fit(&x, queue)
            .unwrap();
        // scikit-learn's own code with the documented order among equal weights always;
        // HDBSCAN's result itself where that order does not change it.
        let mut references = vec!["rule_"];
        if !case["ties_matter"].as_bool().unwrap() {
            references.push("");
        }
        for reference in references {
            let file = |what: &str| format!("{name}_{reference}{what}.npy");
            let labels = common::fixture::<i64, Ix1>("hdbscan", &file("labels"));
            let differ: Vec<(usize, i64, i64)> = (0..labels.len())
                .filter(|&i| fitted.labels()[i] != labels[i])
                .map(|i| (i, fitted.labels()[i], labels[i]))
                .take(10)
                .collect();
            assert!(
                differ.is_empty(),
                "{name} {reference}: labels differ at (row, ours, theirs) {differ:?}"
            );
            let expected = common::fixture::<f64, Ix1>("hdbscan", &file("probabilities"));
            for (i, (&ours, &theirs)) in fitted.probabilities().iter().zip(&expected).enumerate() {
                assert!(
                    close(ours, theirs, 1e-12),
                    "{name} {reference}: probability {i}: {ours} vs {theirs}"
                );
            }
        }
        let rule = common::fixture::<i64, Ix1>("hdbscan", &format!("{name}_rule_labels.npy"));
        let clusters = rule.iter().copied().max().map_or(0, |m| (m + 1).max(0)) as usize;
        assert_eq!(fitted.n_clusters(), clusters, "{name}");
        for (attribute, ours) in [
            ("centroids", fitted.centroids()),
            ("medoids", fitted.medoids()),
        ] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("tests/fixtures/hdbscan/{name}_{attribute}.npy"));
            match (ours, path.exists()) {
                (Some(ours), true) => {
                    let theirs =
                        common::fixture::<f64, Ix2>("hdbscan", &format!("{name}_{attribute}.npy"));
                    assert_eq!(ours.dim(), theirs.dim(), "{name}: {attribute}");
                    for (a, b) in ours.iter().zip(&theirs) {
                        assert!(close(*a, *b, 1e-12), "{name}: {attribute}: {a} vs {b}");
                    }
                }
                (None, false) => {}
                (ours, _) => panic!(
                    "{name}: {attribute}: ours {ours:?}, scikit-learn's exists: {}",
                    path.exists()
                ),
            }
        }
    }
}

#[test]
fn bad_input_is_a_clear_error() {
    let x = Array2::from_shape_fn((10, 2), |(i, j)| (i * 3 + j) as f64);
    let fit = |h: Hdbscan, x: &Array2<f64>| h.comm(Comm::single()).fit(x, None);
    let message = |r: spmd_learn::Result<_>| r.err().unwrap().to_string();
    assert!(message(fit(Hdbscan::new().min_cluster_size(1), &x)).contains("min_cluster_size"));
    assert!(message(fit(Hdbscan::new().min_cluster_size(11), &x)).contains("min_samples (11)"));
    assert!(message(fit(Hdbscan::new().alpha(0.0), &x)).contains("alpha"));
    let one = x.slice(ndarray::s![..1, ..]).to_owned();
    assert!(message(fit(Hdbscan::new().min_samples(1), &one)).contains("n_samples=1"));
    let empty = Array2::<f64>::zeros((0, 2));
    assert!(message(fit(Hdbscan::new(), &empty)).contains("zero rows"));
    let no_columns = Array2::<f64>::zeros((5, 0));
    assert!(fit(Hdbscan::new(), &no_columns).is_err());
}

#[test]
fn identical_rows_are_one_cluster_or_noise_as_scikit_learn_has_them() {
    // Every distance 0: scikit-learn finds no cluster without allow_single_cluster, and every
    // row in one cluster with it (probability 1).
    let x = Array2::from_elem((30, 3), 2.5);
    let fitted = Hdbscan::new().comm(Comm::single()).fit(&x, None).unwrap();
    assert!(fitted.labels().iter().all(|&l| l == -1));
    let single = Hdbscan::new()
        .allow_single_cluster(true)
        .comm(Comm::single())
        .fit(&x, None)
        .unwrap();
    assert!(single.labels().iter().all(|&l| l == 0));
    assert!(single.probabilities().iter().all(|&p| p == 1.0));
}
