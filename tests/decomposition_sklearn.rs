//! EmpiricalCovariance and PCA against scikit-learn (tests/fixtures/make_decomposition.py), on
//! the CPU and on the GPU (lavapipe in CI).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::rel_err;
use ndarray::{Array2, ArrayD};
use spmd_learn::comm::Comm;
use spmd_learn::covariance::{EmpiricalCovariance, FittedEmpiricalCovariance};
use spmd_learn::decomposition::{FittedPca, NComponents, Pca};
use spmd_learn::Queue;

fn npy(name: &str) -> ArrayD<f64> {
    common::fixture("decomposition", name)
}

fn x() -> Array2<f64> {
    npy("x.npy").into_dimensionality().unwrap()
}

fn manifest() -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/decomposition/cases.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn devices() -> Vec<Option<&'static Queue>> {
    let mut d = vec![None];
    if let Some(q) = Queue::shared_for_tests() {
        d.push(Some(q));
    }
    d
}

fn tolerance(queue: Option<&Queue>) -> f64 {
    if queue.is_some_and(|q| !q.info().supports_f64) {
        1e-4
    } else {
        1e-9
    }
}

#[test]
fn empirical_covariance_matches_sklearn() {
    let x = x();
    for queue in devices() {
        let tol = tolerance(queue);
        for case in manifest()["covariance"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let centered = case["assume_centered"].as_bool().unwrap_or(false);
            let fitted = EmpiricalCovariance::new()
                .assume_centered(centered)
                .comm(Comm::single())
                .fit(&x, queue)
                .unwrap();
            let pairs: [(&str, Vec<f64>); 4] = [
                ("location", fitted.location().to_vec()),
                ("covariance", fitted.covariance().iter().copied().collect()),
                (
                    "precision",
                    fitted.precision().unwrap().iter().copied().collect(),
                ),
                ("mahalanobis", fitted.mahalanobis(&x).unwrap().to_vec()),
            ];
            for (attribute, got) in pairs {
                let want = npy(&format!("{name}_{attribute}.npy"));
                let err = rel_err(&got, want.iter());
                assert!(err < tol * 10.0, "{name} {attribute}: {err:e}");
            }
            let json = serde_json::to_value(&fitted).unwrap();
            assert!(json["covariance_"].is_array() && json["location_"].is_array());
            let back: FittedEmpiricalCovariance = serde_json::from_value(json).unwrap();
            assert_eq!(back.covariance(), fitted.covariance());
        }
    }
}

#[test]
fn correlation_has_unit_diagonal_and_matches_covariance() {
    let fitted = EmpiricalCovariance::new()
        .comm(Comm::single())
        .fit(&x(), None)
        .unwrap();
    let corr = fitted.correlation();
    let cov = fitted.covariance();
    for i in 0..corr.nrows() {
        assert!((corr[[i, i]] - 1.0).abs() < 1e-14);
        for j in 0..corr.ncols() {
            let want = cov[[i, j]] / (cov[[i, i]] * cov[[j, j]]).sqrt();
            assert!((corr[[i, j]] - want).abs() < 1e-14);
        }
    }
}

#[test]
fn pca_matches_sklearn() {
    let x = x();
    for queue in devices() {
        let tol = tolerance(queue);
        for case in manifest()["pca"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let n = match &case["n_components"] {
                serde_json::Value::Null => NComponents::All,
                v if v.is_u64() => NComponents::Count(v.as_u64().unwrap() as usize),
                v => NComponents::VarianceRatio(v.as_f64().unwrap()),
            };
            let whiten = case["whiten"].as_bool().unwrap();
            let fitted = Pca::new()
                .n_components(n)
                .whiten(whiten)
                .comm(Comm::single())
                .fit(&x, queue)
                .unwrap();
            assert_eq!(
                fitted.n_components() as u64,
                case["n_components_"].as_u64().unwrap(),
                "{name}"
            );
            let noise = case["noise_variance_"].as_f64().unwrap();
            assert!(
                (fitted.noise_variance() - noise).abs() <= tol * noise.abs().max(1.0),
                "{name} noise"
            );
            let projected = fitted.transform(&x, queue).unwrap();
            let pairs: [(&str, Vec<f64>); 7] = [
                ("components", fitted.components().iter().copied().collect()),
                ("explained_variance", fitted.explained_variance().to_vec()),
                (
                    "explained_variance_ratio",
                    fitted.explained_variance_ratio().to_vec(),
                ),
                ("singular_values", fitted.singular_values().to_vec()),
                ("mean", fitted.mean().to_vec()),
                ("transform", projected.iter().copied().collect()),
                (
                    "inverse",
                    fitted
                        .inverse_transform(&projected)
                        .unwrap()
                        .iter()
                        .copied()
                        .collect(),
                ),
            ];
            for (attribute, got) in pairs {
                let want = npy(&format!("{name}_{attribute}.npy"));
                let err = rel_err(&got, want.iter());
                // Projections go through the GPU in f32 where the adapter has no f64.
                assert!(
                    err < tol * 10.0,
                    "{name} {attribute} on {:?}: {err:e}",
                    queue.map(|q| q.info().name.clone())
                );
            }
            let back: FittedPca =
                serde_json::from_value(serde_json::to_value(&fitted).unwrap()).unwrap();
            assert_eq!(back, fitted);
            assert_eq!(
                back.transform(&x, None).unwrap(),
                fitted.transform(&x, None).unwrap()
            );
        }
    }
}

#[test]
fn pca_parameter_errors() {
    let x = x();
    for n in [
        NComponents::Count(0),
        NComponents::Count(7),
        NComponents::VarianceRatio(1.5),
    ] {
        let err = Pca::new()
            .n_components(n)
            .comm(Comm::single())
            .fit(&x, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("n_components"), "{err}");
    }
}

#[test]
fn f32_input_matches_sklearn_within_f32_accuracy() {
    let x32 = x().mapv(|v| v as f32);
    for queue in devices() {
        let cov = EmpiricalCovariance::new()
            .comm(Comm::single())
            .fit(&x32, queue)
            .unwrap();
        let err = rel_err(cov.covariance().iter(), npy("cov_covariance.npy").iter());
        assert!(err < 1e-5, "covariance f32: {err:e}");
        let pca = Pca::new()
            .n_components(NComponents::Count(3))
            .comm(Comm::single())
            .fit(&x32, queue)
            .unwrap();
        let err =
            rel_err(pca.components().iter(), npy("pca_3_components.npy").iter()).max(rel_err(
                pca.explained_variance().iter(),
                npy("pca_3_explained_variance.npy").iter(),
            ));
        assert!(err < 1e-5, "PCA f32: {err:e}");
    }
}

#[test]
fn svd_solver_full_keeps_small_components_of_ill_conditioned_data() {
    use spmd_learn::decomposition::{PcaParams, SvdSolver};
    let x: Array2<f64> = npy("ill.npy").into_dimensionality().unwrap();
    let want = npy("pca_full_ill_explained_variance.npy");
    let params = PcaParams {
        svd_solver: SvdSolver::Full,
        ..PcaParams::default()
    };
    let fitted = Pca::with_params(params)
        .comm(Comm::single())
        .fit(&x, None)
        .unwrap();
    // Every component to 1e-8 of its own size, the smallest (1e-12 of the largest) included.
    for (got, want) in fitted.explained_variance().iter().zip(want.iter()) {
        assert!((got - want).abs() <= 1e-8 * want, "{got:e} vs {want:e}");
    }
    let components = npy("pca_full_ill_components.npy");
    assert!(rel_err(fitted.components().iter(), components.iter()) < 1e-8);
}
