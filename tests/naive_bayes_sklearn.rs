//! MultinomialNB against scikit-learn (tests/fixtures/make_classification.py), on the CPU and
//! the GPU, in one fit and in batches.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::classification::{manifest, npy};
use common::rel_err;
use ndarray::{array, s, Array1, Array2};
use spmd_learn::naive_bayes::{FittedMultinomialNb, MultinomialNb, MultinomialNbParams};
use spmd_learn::Queue;

struct NbCase {
    name: String,
    params: MultinomialNbParams,
    weighted: bool,
}

fn cases() -> Vec<NbCase> {
    manifest()["naive_bayes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| NbCase {
            name: c["name"].as_str().unwrap().into(),
            params: serde_json::from_value(c["params"].clone()).unwrap(),
            weighted: c["weighted"].as_bool().unwrap(),
        })
        .collect()
}

fn data() -> (Array2<f64>, Array1<i64>, Array1<f64>) {
    (npy("nb_x.npy"), npy("nb_y.npy"), npy("nb_w.npy"))
}

fn check(model: &FittedMultinomialNb, case: &NbCase, x: &Array2<f64>, queue: Option<&Queue>) {
    let want = |what: &str| -> ndarray::ArrayD<f64> { npy(&format!("{}_{what}.npy", case.name)) };
    let tol = if queue.is_none_or(|q| q.info().supports_f64) {
        1e-10
    } else {
        1e-5
    };
    let what = format!("{} gpu={}", case.name, queue.is_some());
    assert_eq!(model.classes(), [1, 3, 5]);
    assert!(
        rel_err(model.class_count(), &want("class_count")) < 1e-12,
        "{what}"
    );
    assert!(
        rel_err(model.feature_count(), &want("feature_count")) < tol,
        "{what}"
    );
    assert!(
        rel_err(model.feature_log_prob(), &want("feature_log_prob")) < tol,
        "{what}"
    );
    assert!(
        rel_err(model.class_log_prior(), &want("class_log_prior")) < 1e-12,
        "{what}"
    );
    let proba = model.predict_proba(x, queue).unwrap();
    assert!(rel_err(&proba, &want("proba")) < tol, "{what}: proba");
    let log_proba = model.predict_log_proba(x, queue).unwrap();
    assert!(
        rel_err(&log_proba, &want("log_proba")) < tol,
        "{what}: log proba"
    );
}

#[test]
fn fit_matches_sklearn_on_cpu_and_gpu() {
    let (x, y, w) = data();
    for queue in [None, Queue::shared_for_tests()] {
        for case in cases() {
            let nb = MultinomialNb::with_params(case.params.clone());
            let weights = case.weighted.then(|| w.view());
            let model = nb.fit_weighted(&x, &y, weights, queue).unwrap();
            check(&model, &case, &x, queue);
        }
    }
}

#[test]
fn partial_fit_in_batches_equals_one_fit() {
    let (x, y, w) = data();
    for queue in [None, Queue::shared_for_tests()] {
        for case in cases() {
            let mut nb = MultinomialNb::with_params(case.params.clone());
            for (a, b) in [(0, 50), (50, 51), (51, 240)] {
                let weights = case.weighted.then(|| w.slice(s![a..b]));
                let classes = (a == 0).then_some(&[5_i64, 1, 3][..]);
                let (xb, yb) = (x.slice(s![a..b, ..]), y.slice(s![a..b]));
                nb.partial_fit(&xb, &yb, classes, weights, queue).unwrap();
            }
            check(&nb.finalize().unwrap(), &case, &x, queue);
        }
    }
}

#[test]
fn predictions_follow_the_probabilities_and_score_is_accuracy() {
    let (x, y, _) = data();
    let model = MultinomialNb::new().fit(&x, &y, None).unwrap();
    let proba = model.predict_proba(&x, None).unwrap();
    let predicted = model.predict(&x, None).unwrap();
    let mut correct = 0;
    for ((row, p), label) in proba.rows().into_iter().zip(&predicted).zip(&y) {
        let best = (0..3).fold(0, |b, c| if row[c] > row[b] { c } else { b });
        assert_eq!(model.classes()[best], *p);
        correct += usize::from(p == label);
    }
    let score = model
        .score(&spmd_learn::comm::Comm::single(), &x, &y, None)
        .unwrap();
    assert!((score - correct as f64 / 240.0).abs() < 1e-15);
}

#[test]
fn serde_round_trip_uses_sklearn_names() {
    let (x, y, _) = data();
    let model = MultinomialNb::new()
        .fit(&x.mapv(|v| v as f32), &y.mapv(|v| v as f64), None)
        .unwrap();
    let json = serde_json::to_value(&model).unwrap();
    common::assert_has_keys(
        &json,
        &[
            "classes_",
            "class_count_",
            "feature_count_",
            "class_log_prior_",
            "feature_log_prob_",
            "n_features_in_",
        ],
    );
    let back: FittedMultinomialNb = serde_json::from_value(json).unwrap();
    assert_eq!(back, model);
}

#[test]
fn bad_input_is_a_clear_error() {
    let x = array![[1.0, 0.0], [0.0, 2.0], [3.0, 1.0]];
    let y = array![0, 1, 0];
    let e = MultinomialNb::new()
        .fit(&array![[1.0, -1.0]], &array![0], None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Negative values in data passed to MultinomialNB")
            && e.contains("-1 at row 0, column 1"),
        "{e}"
    );
    let e = MultinomialNb::new()
        .alpha(-1.0)
        .fit(&x, &y, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("alpha=-1"), "{e}");
    let e = MultinomialNb::new()
        .class_prior(Some(vec![1.0]))
        .fit(&x, &y, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("class_prior") && e.contains("2 values"), "{e}");
    let mut nb = MultinomialNb::new();
    let e = nb
        .partial_fit(&x, &y, None, None, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("classes must be passed"), "{e}");
    nb.partial_fit(&x, &y, Some(&[0, 1]), None, None).unwrap();
    let e = nb
        .partial_fit(&x, &array![0, 2, 0], None, None, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("class 2") && e.contains("[0, 1]"), "{e}");
    let e = nb.finalize().unwrap_err().to_string();
    assert!(e.contains("earlier partial_fit failed"), "{e}");
    let e = MultinomialNb::new().finalize().unwrap_err().to_string();
    assert!(e.contains("zero rows"), "{e}");
}
