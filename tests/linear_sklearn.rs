//! LinearRegression and Ridge against scikit-learn's results (tests/fixtures/make_linear.py),
//! on the CPU and on the GPU (lavapipe in CI).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{linear_cases, rel_err, LinearCase};
use ndarray::{Array2, Axis};
use spmd_learn::comm::Comm;
use spmd_learn::linear::{LinearModel, LinearRegression, Ridge};
use spmd_learn::{Float, Queue};

fn fit<F: Float>(
    case: &LinearCase,
    x: &Array2<F>,
    y: &Array2<F>,
    queue: Option<&Queue>,
) -> LinearModel<F> {
    let comm = Comm::single();
    let result = if case.single {
        let y = y.index_axis(Axis(1), 0);
        match case.estimator.as_str() {
            "ridge" => Ridge::new()
                .alpha(case.alpha)
                .fit_intercept(case.fit_intercept)
                .comm(comm)
                .fit(x, &y, queue),
            _ => LinearRegression::new()
                .fit_intercept(case.fit_intercept)
                .comm(comm)
                .fit(x, &y, queue),
        }
    } else {
        match case.estimator.as_str() {
            "ridge" => Ridge::new()
                .alpha(case.alpha)
                .fit_intercept(case.fit_intercept)
                .comm(comm)
                .fit(x, y, queue),
            _ => LinearRegression::new()
                .fit_intercept(case.fit_intercept)
                .comm(comm)
                .fit(x, y, queue),
        }
    };
    result.unwrap_or_else(|e| panic!("{}: {e}", case.name))
}

fn check_f64(queue: Option<&Queue>, tol: f64) {
    for case in linear_cases() {
        let model = fit(&case, &case.x, &case.y, queue);
        let coef_err = rel_err(model.coef().iter(), case.coef.iter());
        let intercept_err = rel_err(model.intercept().iter(), case.intercept.iter());
        assert!(coef_err < tol, "{}: coef_ rel err {coef_err:e}", case.name);
        assert!(
            intercept_err < tol,
            "{}: intercept_ rel err {intercept_err:e}",
            case.name
        );
        let pred = model.predict(&case.x, queue).unwrap();
        let pred_tol = if queue.is_some_and(|q| !q.info().supports_f64) {
            1e-5
        } else {
            tol
        };
        assert!(
            rel_err(pred.iter(), case.pred.iter()) < pred_tol,
            "{}: predictions",
            case.name
        );
        let score = model.score(&case.x, &case.y, None).unwrap();
        assert!(
            (score - case.score).abs() < tol,
            "{}: score {score} vs {}",
            case.name,
            case.score
        );
    }
}

#[test]
fn cpu_matches_sklearn_in_f64() {
    check_f64(None, 1e-9);
}

#[test]
fn gpu_matches_sklearn() {
    let Some(queue) = Queue::shared_for_tests() else {
        return;
    };
    let tol = if queue.info().supports_f64 {
        1e-9
    } else {
        1e-4
    };
    check_f64(Some(queue), tol);
}

#[test]
fn f32_cpu_and_gpu_match_sklearn_within_f32_accuracy() {
    let queue = Queue::shared_for_tests();
    for case in linear_cases() {
        // The near-singular and offset cases amplify f32 input rounding beyond 1e-5 by design.
        if matches!(
            case.name.as_str(),
            "ols_collinear" | "ols_wide" | "ols_offset"
        ) {
            continue;
        }
        let (x, y) = (case.x.mapv(|v| v as f32), case.y.mapv(|v| v as f32));
        for q in [None, queue] {
            let model = fit(&case, &x, &y, q);
            let coef: Vec<f64> = model.coef().iter().map(|&v| f64::from(v)).collect();
            let intercept: Vec<f64> = model.intercept().iter().map(|&v| f64::from(v)).collect();
            let err =
                rel_err(&coef, case.coef.iter()).max(rel_err(&intercept, case.intercept.iter()));
            assert!(
                err < 1e-5,
                "{} on {:?}: rel err {err:e}",
                case.name,
                q.map(|q| q.info().name.clone())
            );
        }
    }
}

#[test]
fn model_json_uses_sklearn_names_and_round_trips() {
    for case in linear_cases() {
        let model = fit(&case, &case.x, &case.y, None);
        let json = serde_json::to_value(&model).unwrap();
        assert_eq!(json["n_features_in_"], case.x.ncols());
        if case.single {
            assert!(json["intercept_"].is_number(), "{}", case.name);
            assert_eq!(json["coef_"].as_array().unwrap().len(), case.x.ncols());
        } else {
            assert_eq!(json["intercept_"].as_array().unwrap().len(), case.y.ncols());
            assert_eq!(json["coef_"].as_array().unwrap().len(), case.y.ncols());
        }
        let loaded: LinearModel<f64> = serde_json::from_value(json).unwrap();
        assert_eq!(loaded, model);
        assert_eq!(
            loaded.predict(&case.x, None).unwrap(),
            model.predict(&case.x, None).unwrap()
        );
    }
}

#[test]
fn weighted_fits_match_sklearn_on_cpu_and_gpu() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/linear/cases.json");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = manifest["weighted_cases"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let load = |what: &str| -> ndarray::ArrayD<f64> {
            common::fixture("linear", &format!("{name}_{what}.npy"))
        };
        let x: Array2<f64> = load("x").into_dimensionality().unwrap();
        let y: Array2<f64> = load("y").into_dimensionality().unwrap();
        let w: ndarray::Array1<f64> = load("w").into_dimensionality().unwrap();
        let (coef, intercept) = (load("coef"), load("intercept"));
        let fit_intercept = case["fit_intercept"].as_bool().unwrap();
        common::on_cpu_and_gpu("sums the weighted rows", |queue| {
            let model = match case["estimator"].as_str().unwrap() {
                "ridge" => Ridge::new()
                    .alpha(case["alpha"].as_f64().unwrap())
                    .fit_intercept(fit_intercept)
                    .comm(Comm::single())
                    .fit_weighted(&x, &y, w.view(), queue),
                _ => LinearRegression::new()
                    .fit_intercept(fit_intercept)
                    .comm(Comm::single())
                    .fit_weighted(&x, &y, w.view(), queue),
            }
            .unwrap();
            let tol = if queue.is_some_and(|q| !q.info().supports_f64) {
                1e-4
            } else {
                1e-9
            };
            let coef_err = rel_err(model.coef().iter(), coef.iter());
            let intercept_err = rel_err(model.intercept().iter(), intercept.iter());
            assert!(
                coef_err < tol && intercept_err < tol,
                "{name}: {coef_err:e} {intercept_err:e}"
            );
        });
    }
}
