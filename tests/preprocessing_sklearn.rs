//! StandardScaler, MinMaxScaler and MaxAbsScaler against scikit-learn
//! (tests/fixtures/make_preprocessing.py): one shot and batch by batch, CPU and GPU, f64 and f32.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::preprocessing::{cases, fit_case, weights, worst_error, x};
use spmd_learn::comm::Comm;
use spmd_learn::Queue;

#[test]
fn scalers_match_sklearn_on_cpu_and_gpu() {
    let (x, w) = (x(), weights());
    let comm = Comm::single();
    for queue in [None, Queue::shared_for_tests()] {
        let device = if queue.is_some() { "GPU" } else { "CPU" };
        // The GPU computes in f32 where the adapter has no f64.
        let tol = if queue.is_some_and(|q| !q.info().supports_f64) {
            1e-5
        } else {
            1e-12
        };
        for case in cases() {
            for batches in [None, Some(&[0, 1, 40, 40, 101][..])] {
                let got = fit_case(&case, &comm, queue, x.view(), Some(w.view()), batches)
                    .unwrap_or_else(|e| panic!("{device} {}: {e}", case.name));
                let err = worst_error(&case, &got).unwrap();
                assert!(
                    err < tol,
                    "{device} {} batches {batches:?}: {err:e}",
                    case.name
                );
            }
        }
    }
}

#[test]
fn f32_rows_are_scaled_to_f32_accuracy() {
    let (x, w) = (x().mapv(|v| v as f32), weights().mapv(|v| v as f32));
    let comm = Comm::single();
    for queue in [None, Queue::shared_for_tests()] {
        for case in cases() {
            let got = fit_case(&case, &comm, queue, x.view(), Some(w.view()), None).unwrap();
            // Column 3 holds values near 1e6: f32 rounds them by up to 0.03, which the
            // transform of rows 5 apart in that column scales to about 1e-2 relative.
            let err = worst_error(&case, &got).unwrap();
            assert!(err < 2e-2, "{} on {}: {err:e}", case.name, queue.is_some());
        }
    }
}

#[test]
fn bad_inputs_name_the_problem() {
    use ndarray::array;
    use spmd_learn::estimator::{Context, Dataset, Estimator, Transform};
    use spmd_learn::preprocessing::{MaxAbsScaler, MinMaxScaler, StandardScaler};

    let comm = Comm::single();
    let ctx = Context::cpu(&comm);
    let x = array![[1.0_f64, f64::NAN], [2.0, 3.0]];
    let err = StandardScaler::default()
        .fit(ctx, &Dataset::new(x.view()))
        .unwrap_err();
    assert!(err.to_string().contains("NaN at row 0, column 1"), "{err}");

    let x = array![[1.0_f64], [2.0]];
    let w = array![1.0_f64, 1.0];
    let err = MaxAbsScaler::default()
        .fit(ctx, &Dataset::new(x.view()).sample_weight(w.view()))
        .unwrap_err();
    assert!(err.to_string().contains("sample_weight"), "{err}");

    let params = serde_json::from_str(r#"{"feature_range": [1.0, 0.0]}"#).unwrap();
    let err = MinMaxScaler::from_params(params)
        .fit(ctx, &Dataset::new(x.view()))
        .unwrap_err();
    assert!(err.to_string().contains("feature_range"), "{err}");

    let fitted = MinMaxScaler::default()
        .fit(ctx, &Dataset::new(x.view()))
        .unwrap();
    let err = fitted
        .transform(ctx, array![[1.0_f64, 2.0]].view())
        .unwrap_err();
    assert!(err.to_string().contains("1 features"), "{err}");

    let empty = ndarray::Array2::<f64>::zeros((0, 1));
    let err = StandardScaler::default()
        .fit(ctx, &Dataset::new(empty.view()))
        .unwrap_err();
    assert!(err.to_string().contains("zero rows"), "{err}");
}
