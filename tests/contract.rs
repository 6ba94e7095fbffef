//! The estimator contract, driven for every estimator of the registry through it alone (as the
//! command line and the Python package drive them), so that an estimator is tested here by
//! registering it:
//!
//! - a clone answers as its model; a model written as JSON reads back to the same attributes,
//!   and the model read back predicts, transforms, inverts and scores exactly as the fitted one
//!   does (a model that keeps its training rows refuses to be read back instead);
//! - f32 rows give the f64 model to f32 accuracy, where the model is continuous in the data;
//! - batch by batch (`partial_fit`, the first batch empty) equals the one-shot fit;
//! - zero rows, zero columns and NaN are errors naming the problem, never a panic;
//! - on a GPU (lavapipe in CI) every operation equals the CPU's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::registry::{attributes, data, difference, fit, fit_in_batches, input, params};
use ndarray::{Array2, ArrayView2};
use spmd_learn::comm::Comm;
use spmd_learn::estimator::Context;
use spmd_learn::registry::{Entry, FitInput, Model, Operation, Rows, ESTIMATORS};

const OPERATIONS: [Operation; 5] = [
    Operation::Predict,
    Operation::Transform,
    Operation::InverseTransform,
    Operation::PredictLogProba,
    Operation::DecisionFunction,
];

/// The input of `operation`: the rows themselves, or for `inverse_transform` their transform.
fn operand(
    entry: &Entry,
    ctx: Context<'_>,
    model: &Model,
    operation: Operation,
    x: ArrayView2<'_, f64>,
) -> Array2<f64> {
    match operation {
        Operation::InverseTransform => entry
            .apply(Operation::Transform, ctx, model, Rows::F64(x))
            .unwrap(),
        _ => x.to_owned(),
    }
}

/// Every operation and the score of `model` on `x` and `y`.
fn outputs(
    entry: &Entry,
    ctx: Context<'_>,
    model: &Model,
    x: ArrayView2<'_, f64>,
    y: ArrayView2<'_, f64>,
) -> Vec<Array2<f64>> {
    let mut out = Vec::new();
    for operation in OPERATIONS.into_iter().filter(|&o| entry.has(o)) {
        let rows = operand(entry, ctx, model, operation, x);
        let result = entry.apply(operation, ctx, model, Rows::F64(rows.view()));
        let result =
            result.unwrap_or_else(|e| panic!("{} {}: {e}", entry.name(), operation.name()));
        assert_eq!(
            result.nrows(),
            x.nrows(),
            "{}: one result per row",
            entry.name()
        );
        out.push(result);
    }
    if entry.has_score() {
        let score = entry.score(ctx, model, &input(entry, x, y)).unwrap();
        out.push(Array2::from_elem((1, 1), score));
    }
    if entry.has_kneighbors() {
        let (distances, indices) = entry
            .kneighbors(ctx, model, Some(Rows::F64(x)), Some(3))
            .unwrap();
        out.push(distances);
        out.push(indices.mapv(|i| i as f64));
    }
    out
}

#[test]
fn a_model_read_back_answers_as_the_fitted_one() {
    let (x, y) = data(120);
    let comm = Comm::single();
    let ctx = Context::cpu(&comm);
    for entry in ESTIMATORS {
        let fitted =
            fit(entry, ctx, x.view(), y.view()).unwrap_or_else(|e| panic!("{}: {e}", entry.name()));
        assert_eq!(fitted.attributes["n_features_in_"], 4, "{}", entry.name());
        let text = serde_json::to_string(&fitted).unwrap();
        let read: Model = serde_json::from_str(&text).unwrap();
        assert_eq!(read, fitted, "{}: JSON round trip", entry.name());
        // A clone answers as the model it was cloned from.
        assert_eq!(
            outputs(entry, ctx, &fitted.clone(), x.view(), y.view()),
            outputs(entry, ctx, &fitted, x.view(), y.view()),
            "{}: a clone answers otherwise",
            entry.name()
        );
        let loaded = entry.load(read);
        if entry.keeps_rows() {
            let err = loaded.unwrap_err().to_string();
            assert!(err.contains("fit it again"), "{}: {err}", entry.name());
            outputs(entry, ctx, &fitted, x.view(), y.view());
            continue;
        }
        let loaded = loaded.unwrap();
        assert_eq!(
            outputs(entry, ctx, &fitted, x.view(), y.view()),
            outputs(entry, ctx, &loaded, x.view(), y.view()),
            "{}: the model read back answers otherwise",
            entry.name()
        );
    }
}

#[test]
fn f32_rows_give_the_f64_model_to_f32_accuracy() {
    let (x, y) = data(120);
    let (x32, y32) = (x.mapv(|v| v as f32), y.mapv(|v| v as f32));
    let comm = Comm::single();
    let ctx = Context::cpu(&comm);
    for entry in ESTIMATORS {
        let f64_model = fit(entry, ctx, x.view(), y.view()).unwrap();
        let input32 = FitInput {
            y: entry.supervised().then_some((Rows::F32(y32.view()), true)),
            ..FitInput::new(Rows::F32(x32.view()))
        };
        let f32_model = entry
            .fit(ctx, &params(entry), &input32, false)
            .unwrap()
            .model;
        let (want, got) = (attributes(&f64_model).into(), attributes(&f32_model).into());
        let err = difference(&got, &want);
        assert!(
            err.is_some_and(|e| e < 1e-3),
            "{}: the f32 model differs by {err:?}",
            entry.name()
        );
    }
}

#[test]
fn batch_by_batch_equals_the_one_shot_fit() {
    let (x, y) = data(120);
    let comm = Comm::single();
    let ctx = Context::cpu(&comm);
    let batched: Vec<&str> = ESTIMATORS
        .iter()
        .filter(|e| e.has_partial_fit())
        .map(Entry::name)
        .collect();
    for name in [
        "basic-statistics",
        "incremental-basic-statistics",
        "linear-regression",
        "empirical-covariance",
        "incremental-empirical-covariance",
        "incremental-pca",
        "multinomial-nb",
        "standard-scaler",
        "min-max-scaler",
        "max-abs-scaler",
    ] {
        assert!(batched.contains(&name), "{name} fits batch by batch");
    }
    for entry in ESTIMATORS.iter().filter(|e| e.has_partial_fit()) {
        let once = fit(entry, ctx, x.view(), y.view()).unwrap();
        let batches = fit_in_batches(entry, ctx, x.view(), y.view()).unwrap();
        let err = difference(&attributes(&batches).into(), &attributes(&once).into());
        assert!(
            err.is_some_and(|e| e < 1e-10),
            "{}: batch by batch differs by {err:?}",
            entry.name()
        );
    }
}

#[test]
fn empty_rows_no_columns_and_nan_are_errors_naming_the_problem() {
    let comm = Comm::single();
    let ctx = Context::cpu(&comm);
    let (x, y) = data(12);
    let mut nan = x.clone();
    nan[[5, 2]] = f64::NAN;
    let no_rows = Array2::<f64>::zeros((0, 4));
    let no_columns = Array2::<f64>::zeros((12, 0));
    for entry in ESTIMATORS {
        let err = |x: ArrayView2<'_, f64>, y: ArrayView2<'_, f64>| {
            fit(entry, ctx, x, y)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_else(|| panic!("{}: fitted on bad input", entry.name()))
        };
        let message = err(no_rows.view(), y.slice(ndarray::s![..0, ..]));
        assert!(
            message.contains("zero rows") || message.contains("empty"),
            "{}: {message}",
            entry.name()
        );
        let message = err(no_columns.view(), y.view());
        assert!(
            message.contains("0 features"),
            "{}: {message}",
            entry.name()
        );
        if entry.name() == "hdbscan" {
            // scikit-learn's HDBSCAN labels a row with a NaN -3 instead of refusing it.
            let output = entry
                .fit(
                    ctx,
                    &params(entry),
                    &input(entry, nan.view(), y.view()),
                    true,
                )
                .unwrap();
            assert_eq!(output.local.unwrap()[[5, 0]], -3.0, "hdbscan: the NaN row");
            continue;
        }
        let message = err(nan.view(), y.view());
        assert!(message.contains("NaN"), "{}: {message}", entry.name());
    }
}

#[test]
fn weights_are_used_or_refused_never_ignored() {
    let (x, y) = data(40);
    let w = Array2::from_elem((40, 1), 2.0);
    let comm = Comm::single();
    let ctx = Context::cpu(&comm);
    for entry in ESTIMATORS {
        let weighted = FitInput {
            sample_weight: Some(Rows::F64(w.view())),
            ..input(entry, x.view(), y.view())
        };
        match entry.fit(ctx, &params(entry), &weighted, false) {
            Ok(_) => {}
            Err(e) => assert!(
                e.to_string().contains("sample weight") || e.to_string().contains("sample_weight"),
                "{}: {e}",
                entry.name()
            ),
        }
    }
    let pca = spmd_learn::registry::find("pca").unwrap();
    let weighted = FitInput {
        sample_weight: Some(Rows::F64(w.view())),
        ..input(pca, x.view(), y.view())
    };
    let err = pca.fit(ctx, &params(pca), &weighted, false).unwrap_err();
    assert!(
        err.to_string().contains("Pca does not take sample weights"),
        "{err}"
    );
}

#[test]
fn a_supervised_fit_without_targets_names_the_need() {
    let (x, _) = data(20);
    let comm = Comm::single();
    let ctx = Context::cpu(&comm);
    for entry in ESTIMATORS.iter().filter(|e| e.supervised()) {
        let err = entry
            .fit(
                ctx,
                &params(entry),
                &FitInput::new(Rows::F64(x.view())),
                false,
            )
            .unwrap_err()
            .to_string();
        assert!(err.contains("y"), "{}: {err}", entry.name());
    }
}

#[test]
fn every_operation_on_the_gpu_equals_the_cpu() {
    let Some(queue) = spmd_learn::Queue::shared_for_tests() else {
        return;
    };
    let tol = if queue.info().supports_f64 {
        1e-10
    } else {
        1e-4
    };
    let (x, y) = data(120);
    let comm = Comm::single();
    let (cpu, gpu) = (Context::cpu(&comm), Context::new(&comm, Some(queue)));
    for entry in ESTIMATORS {
        let model = fit(entry, cpu, x.view(), y.view()).unwrap();
        let on_cpu = outputs(entry, cpu, &model, x.view(), y.view());
        let on_gpu = outputs(entry, gpu, &model, x.view(), y.view());
        for (g, c) in on_gpu.iter().zip(&on_cpu) {
            let err = common::rel_err(g.iter(), c.iter());
            assert!(
                err < tol,
                "{}: the GPU differs from the CPU by {err:e}",
                entry.name()
            );
        }
    }
}

#[test]
fn a_weighted_score_weighs_each_row() {
    let (x, y) = data(120);
    let comm = Comm::single();
    let ctx = Context::cpu(&comm);
    let half = ndarray::s![60.., ..];
    for entry in ESTIMATORS.iter().filter(|e| e.has_score()) {
        let model = fit(entry, ctx, x.view(), y.view()).unwrap();
        let score = |w: Option<&Array2<f64>>, x: ArrayView2<'_, f64>, y: ArrayView2<'_, f64>| {
            let input = FitInput {
                sample_weight: w.map(|w| Rows::F64(w.view())),
                ..input(entry, x, y)
            };
            entry.score(ctx, &model, &input).unwrap()
        };
        let plain = score(None, x.view(), y.view());
        let doubled = score(Some(&Array2::from_elem((120, 1), 2.0)), x.view(), y.view());
        // Zero weight on the first half: the score of the second half alone (KMeans' is a sum,
        // so it is the second half's too).
        let second = Array2::from_shape_fn((120, 1), |(i, _)| f64::from(u8::from(i >= 60)));
        let masked = score(Some(&second), x.view(), y.view());
        let alone = score(None, x.slice(half), y.slice(half));
        let name = entry.name();
        let scale = if name == "kmeans" { 2.0 } else { 1.0 };
        assert!(
            (doubled - scale * plain).abs() <= 1e-9 * plain.abs().max(1.0),
            "{name}"
        );
        assert!(
            (masked - alone).abs() <= 1e-9 * alone.abs().max(1.0),
            "{name}"
        );
    }
}
