//! LogisticRegression against scikit-learn (tests/fixtures/make_classification.py): both
//! solvers reach scikit-learn's optimum, on the CPU and the GPU.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::classification::{logistic_cases, logistic_objective, LogisticCase};
use common::rel_err;
use ndarray::{array, Array1, Array2};
use spmd_learn::linear::{
    ClassWeight, FittedLogisticRegression, LogisticRegression, LogisticRegressionParams, Solver,
};
use spmd_learn::Queue;

fn estimator(case: &LogisticCase, solver: Solver) -> LogisticRegression {
    let mut params: LogisticRegressionParams = serde_json::from_value(case.params.clone())
        .unwrap_or_else(|e| panic!("{}: {e}", case.name));
    if case.params["C"].is_null() {
        params.c = f64::INFINITY;
    }
    params.solver = solver;
    params.tol = 1e-10;
    params.max_iter = 1000;
    LogisticRegression::with_params(params)
}

fn our_objective(case: &LogisticCase, model: &FittedLogisticRegression) -> f64 {
    logistic_objective(
        &case.x,
        &case.y,
        case.sample_weight.as_ref(),
        &model.coef().to_owned(),
        &model.intercept().to_owned(),
        case.params["C"].as_f64(),
        case.params["class_weight"] == "balanced",
    )
}

fn fit(case: &LogisticCase, solver: Solver, queue: Option<&Queue>) -> FittedLogisticRegression {
    estimator(case, solver)
        .fit_weighted(
            &case.x,
            &case.y,
            case.sample_weight.as_ref().map(|w| w.view()),
            queue,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", case.name))
}

#[test]
fn both_solvers_reach_sklearns_optimum_on_cpu_and_gpu() {
    for queue in [None, Queue::shared_for_tests()] {
        let f64_kernels = queue.is_none_or(|q| q.info().supports_f64);
        for case in logistic_cases() {
            for solver in [Solver::Lbfgs, Solver::NewtonCg] {
                let model = fit(&case, solver, queue);
                let what = format!("{} {solver:?} gpu={}", case.name, queue.is_some());
                assert_eq!(
                    model.classes(),
                    case.y
                        .iter()
                        .copied()
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .collect::<Vec<_>>()
                );
                let objective = our_objective(&case, &model);
                let (coef_tol, objective_tol) = if f64_kernels {
                    (1e-4, 1e-8)
                } else {
                    (1e-2, 1e-5)
                };
                assert!(
                    (objective - case.objective).abs() <= objective_tol * case.objective,
                    "{what}: objective {objective} vs scikit-learn {}",
                    case.objective
                );
                let mut ours: Vec<f64> = model.coef().iter().copied().collect();
                ours.extend(model.intercept().iter());
                let mut theirs: Vec<f64> = case.coef.iter().copied().collect();
                theirs.extend(case.intercept.iter());
                assert!(
                    rel_err(&ours, &theirs) < coef_tol,
                    "{what}: {ours:?} vs {theirs:?}"
                );
                let proba = model.predict_proba(&case.x, queue).unwrap();
                assert!(rel_err(&proba, &case.proba) < coef_tol, "{what}: proba");
                let rows: Vec<f64> = proba.rows().into_iter().map(|r| r.sum()).collect();
                assert!(rows.iter().all(|s| (s - 1.0).abs() < 1e-12));
                let score = model
                    .score(&spmd_learn::comm::Comm::single(), &case.x, &case.y, queue)
                    .unwrap();
                assert!(
                    (score - case.score).abs() <= 1.0 / case.x.nrows() as f64 + 1e-12,
                    "{what}: score {score} vs {}",
                    case.score
                );
            }
        }
    }
}

#[test]
fn a_gpu_fit_uploads_x_once_and_waits_once_per_evaluation() {
    let Some(queue) = Queue::for_tests() else {
        return;
    };
    for case in logistic_cases() {
        let before = queue.phase_stats();
        let model = fit(&case, Solver::NewtonCg, Some(&queue));
        assert!(model.n_iter() > 0);
        let phases = queue.phase_stats();
        let added = |name: &str| {
            let of = |all: &[(&str, spmd_learn::gpu::GpuStats)]| {
                all.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, s)| *s)
                    .unwrap_or_default()
            };
            let (now, then) = (of(&phases), of(&before));
            (
                now.submits - then.submits,
                now.waits - then.waits,
                now.uploaded_bytes - then.uploaded_bytes,
                now.readback_bytes - then.readback_bytes,
            )
        };
        let (rows, cols) = case.x.dim();
        let elem = if queue.info().supports_f64 { 8 } else { 4 };
        // X, padded to whole vec4s, with one label and weight per row: within 1.1 x X's bytes
        // at these widths.
        let x_bytes = (rows * cols.div_ceil(4) * 4 * elem) as u64;
        let (_, _, uploaded, _) = added("upload");
        assert!(
            uploaded <= x_bytes + (rows * (4 + elem)) as u64,
            "{}",
            case.name
        );
        // Every evaluation (loss and gradient, or a Hessian product): one submission, one
        // wait, the coefficients up and O(k d) back.
        let (submits, waits, up, back) = added("step");
        assert!(
            submits > 0 && waits == submits,
            "{}: {submits} {waits}",
            case.name
        );
        assert!(up <= submits * 64 * 1024, "{}", case.name);
        assert!(
            back <= submits * 64 * 1024,
            "{}: {back} over {submits}",
            case.name
        );
    }
}

#[test]
fn predictions_agree_with_probabilities_and_log_probabilities() {
    for case in logistic_cases()
        .into_iter()
        .filter(|c| c.name.ends_with("default"))
    {
        let model = fit(&case, Solver::Lbfgs, None);
        let proba = model.predict_proba(&case.x, None).unwrap();
        let log_proba = model.predict_log_proba(&case.x, None).unwrap();
        assert!(rel_err(&log_proba.mapv(f64::exp), &proba) < 1e-12);
        let predicted = model.predict(&case.x, None).unwrap();
        for (row, label) in proba.rows().into_iter().zip(&predicted) {
            let best = (0..row.len()).fold(0, |b, c| if row[c] > row[b] { c } else { b });
            assert_eq!(model.classes()[best], *label);
        }
        let decision = model.decision_function(&case.x, None).unwrap();
        assert_eq!(decision.ncols(), model.coef().nrows());
    }
}

fn logistic_case(name: &str) -> LogisticCase {
    logistic_cases()
        .into_iter()
        .find(|c| c.name == name)
        .expect("case in the fixtures")
}

#[test]
fn f32_input_and_float_labels_fit_the_same_model() {
    let case = logistic_case("multi_default");
    let x32 = case.x.mapv(|v| v as f32);
    let y_float: Array1<f64> = case.y.mapv(|v| v as f64);
    let model = estimator(&case, Solver::Lbfgs)
        .fit(&x32, &y_float, None)
        .unwrap();
    assert!(rel_err(model.coef(), &case.coef) < 1e-4);
    if let Some(queue) = Queue::shared_for_tests() {
        let model = estimator(&case, Solver::Lbfgs)
            .fit(&x32, &case.y, Some(queue))
            .unwrap();
        assert!(rel_err(model.coef(), &case.coef) < 1e-2);
    }
}

#[test]
fn serde_round_trip_uses_sklearn_names() {
    let case = logistic_case("binary_default");
    let model = fit(&case, Solver::Lbfgs, None);
    let json = serde_json::to_value(&model).unwrap();
    common::assert_has_keys(
        &json,
        &[
            "coef_",
            "intercept_",
            "classes_",
            "n_iter_",
            "n_features_in_",
        ],
    );
    assert_eq!(json["classes_"], serde_json::json!([3, 7]));
    assert_eq!(json["coef_"].as_array().unwrap().len(), 1);
    let back: FittedLogisticRegression = serde_json::from_value(json).unwrap();
    assert_eq!(back, model);
    let bad = serde_json::json!({"coef_": [[1.0]], "intercept_": [0.0], "classes_": [1, 2, 3], "n_iter_": [1], "n_features_in_": 1});
    assert!(serde_json::from_value::<FittedLogisticRegression>(bad).is_err());
}

#[test]
fn bad_input_is_a_clear_error() {
    let x = array![[0.0, 1.0], [1.0, 0.0], [2.0, 1.0]];
    let err = |r: Result<FittedLogisticRegression, spmd_learn::Error>| r.unwrap_err().to_string();
    let e = err(LogisticRegression::new().fit(&x, &array![1, 1, 1], None));
    assert!(
        e.contains("at least 2 classes") && e.contains("only one class: 1"),
        "{e}"
    );
    let e = err(LogisticRegression::new().fit(&x, &array![0.0, 0.5, 1.0], None));
    assert!(e.contains("0.5 at row 1") && e.contains("integers"), "{e}");
    let e = err(LogisticRegression::new().fit(&x, &array![0, 1], None));
    assert!(e.contains("y") && e.contains("3 rows"), "{e}");
    let mut nan = x.clone();
    nan[[2, 1]] = f64::NAN;
    let e = err(LogisticRegression::new().fit(&nan, &array![0, 1, 0], None));
    assert!(e.contains("NaN at row 2, column 1"), "{e}");
    let e = err(LogisticRegression::new()
        .c(0.0)
        .fit(&x, &array![0, 1, 0], None));
    assert!(e.contains("C=0"), "{e}");
    let weights = ClassWeight::Given([(5, 2.0)].into_iter().collect());
    let e =
        err(LogisticRegression::new()
            .class_weight(Some(weights))
            .fit(&x, &array![0, 1, 0], None));
    assert!(e.contains("class 5"), "{e}");
    let w = array![1.0, -1.0, 1.0];
    let e = err(LogisticRegression::new().fit_weighted(&x, &array![0, 1, 0], Some(w.view()), None));
    assert!(e.contains("sample_weight holds -1 at row 1"), "{e}");
    let e = err(LogisticRegression::new().fit(
        &Array2::<f64>::zeros((0, 2)),
        &Array1::<i64>::zeros(0),
        None,
    ));
    assert!(e.contains("zero rows"), "{e}");
    let model = LogisticRegression::new()
        .fit(&x, &array![0, 1, 0], None)
        .unwrap();
    let e = model
        .predict(&array![[1.0, 2.0, 3.0]], None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("2 features"), "{e}");
}
