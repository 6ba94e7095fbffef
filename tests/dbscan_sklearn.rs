//! DBSCAN against scikit-learn (tests/fixtures/make_dbscan.py): blobs, moons with noise, an
//! integer grid with pairs at exactly eps, duplicated rows, weights, every metric.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use ndarray::{Array1, Array2, Ix1, Ix2};
use spmd_learn::cluster::{Dbscan, DbscanParams};
use spmd_learn::comm::Comm;

fn manifest() -> serde_json::Value {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dbscan/cases.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn labels_and_core_rows_match_scikit_learn() {
    for case in manifest()["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let x: Array2<f64> = common::fixture::<f64, Ix2>(
            "dbscan",
            &format!("{}.npy", case["data"].as_str().unwrap()),
        );
        let params: DbscanParams = serde_json::from_value(case["params"].clone()).unwrap();
        let weights: Option<Array1<f64>> = case["weights"]
            .as_bool()
            .unwrap()
            .then(|| common::fixture::<f64, Ix1>("dbscan", "weights.npy"));
        let fitted = Dbscan::with_params(params)
            .comm(Comm::single())
            .fit(&x, weights.as_ref())
            .unwrap();
        let labels = common::fixture::<i64, Ix1>("dbscan", &format!("{name}_labels.npy"));
        assert_eq!(fitted.labels(), labels.view(), "{name}");
        let core = common::fixture::<i64, Ix1>("dbscan", &format!("{name}_core.npy"));
        let core: Vec<u64> = core.iter().map(|&i| i as u64).collect();
        assert_eq!(fitted.core_sample_indices(), &core[..], "{name}");
        assert_eq!(
            fitted.n_clusters() as u64,
            case["n_clusters"].as_u64().unwrap(),
            "{name}"
        );
    }
}

#[test]
fn bad_parameters_and_rows_are_errors_that_name_them() {
    let x = Array2::<f64>::zeros((4, 2));
    let fit = |params: DbscanParams| {
        Dbscan::with_params(params)
            .comm(Comm::single())
            .fit(&x, None)
            .unwrap_err()
            .to_string()
    };
    let err = fit(DbscanParams {
        eps: 0.0,
        ..Default::default()
    });
    assert!(err.contains("eps"), "{err}");
    let err = fit(DbscanParams {
        min_samples: 0,
        ..Default::default()
    });
    assert!(err.contains("min_samples"), "{err}");
    let cosine = spmd_learn::neighbors::Metric::Cosine;
    let err = fit(DbscanParams {
        metric: cosine,
        ..Default::default()
    });
    assert!(err.contains("metric"), "{err}");
    let mut nan = x.clone();
    nan[[2, 1]] = f64::NAN;
    let err = Dbscan::new()
        .comm(Comm::single())
        .fit(&nan, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("NaN"), "{err}");
}
