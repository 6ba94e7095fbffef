//! BasicStatistics against sklearnex's values (tests/fixtures/make_statistics.py), on the CPU and
//! the GPU, one-shot and incremental, plain and weighted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::rel_err;
use ndarray::{s, Array1, Array2, ArrayD};
use spmd_learn::comm::Comm;
use spmd_learn::statistics::{
    BasicStatistics, FittedBasicStatistics, IncrementalBasicStatistics, Statistic,
};
use spmd_learn::Queue;

fn npy(name: &str) -> ArrayD<f64> {
    common::fixture("statistics", name)
}

fn check(case: &str, fitted: &FittedBasicStatistics, tol: f64, what: &str) {
    for statistic in Statistic::ALL {
        let name = statistic.attribute();
        let want = npy(&format!("{case}_{}.npy", name.trim_end_matches('_')));
        let got = fitted.get(statistic).unwrap();
        let err = rel_err(got.iter(), want.iter());
        assert!(err < tol, "{what} {case} {name}: {err:e}");
    }
}

#[test]
fn matches_sklearnex_one_shot_and_incremental() {
    let x: Array2<f64> = npy("x.npy").into_dimensionality().unwrap();
    let w: Array1<f64> = npy("weights.npy").into_dimensionality().unwrap();
    for queue in [None, Queue::shared_for_tests()] {
        let tol = if queue.is_some_and(|q| !q.info().supports_f64) {
            1e-5
        } else {
            1e-9
        };
        let device = if queue.is_some() { "GPU" } else { "CPU" };
        for (case, weights) in [("plain", None), ("weighted", Some(w.view()))] {
            let fitted = BasicStatistics::new()
                .comm(Comm::single())
                .fit(&x, weights, queue)
                .unwrap();
            check(case, &fitted, tol, device);

            let mut inc = IncrementalBasicStatistics::new().comm(Comm::single());
            for (a, b) in [(0, 1), (1, 30), (30, 31), (31, 90)] {
                let wb = weights.map(|w| w.slice_move(s![a..b]));
                inc.partial_fit(&x.slice(s![a..b, ..]), wb, queue).unwrap();
            }
            check(case, &inc.finalize().unwrap(), tol, device);
        }
    }
}

#[test]
fn f32_variance_of_a_large_mean_column_is_right() {
    // Column 3 has mean 1e6 and standard deviation 3: the naive sum of squares would lose it.
    let x: Array2<f64> = npy("x.npy").into_dimensionality().unwrap();
    let x32 = x.mapv(|v| v as f32);
    let exact = x32.mapv(f64::from);
    let col = exact.column(3);
    let mean = col.sum() / col.len() as f64;
    let want = col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (col.len() - 1) as f64;
    for queue in [None, Queue::shared_for_tests()] {
        let fitted = BasicStatistics::new()
            .comm(Comm::single())
            .fit(&x32, None, queue)
            .unwrap();
        let got = fitted.get(Statistic::Variance).unwrap()[3];
        assert!((got - want).abs() < 1e-5 * want, "{got} vs {want}");
    }
}

#[test]
fn result_options_select_attributes_and_serialise() {
    let x: Array2<f64> = npy("x.npy").into_dimensionality().unwrap();
    let fitted = BasicStatistics::new()
        .result_options(&[Statistic::Mean, Statistic::Variance])
        .comm(Comm::single())
        .fit(&x, None, None)
        .unwrap();
    assert!(fitted.get(Statistic::Min).is_none());
    let json = serde_json::to_value(&fitted).unwrap();
    let mut keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["mean_", "n_features_in_", "variance_"]);
    let back: FittedBasicStatistics = serde_json::from_value(json).unwrap();
    assert_eq!(back, fitted);
}

#[test]
fn bad_weights_and_nan_are_errors() {
    let x: Array2<f64> = npy("x.npy").into_dimensionality().unwrap();
    let short = Array1::<f64>::ones(10);
    let err = BasicStatistics::new()
        .comm(Comm::single())
        .fit(&x, Some(short.view()), None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("sample_weight") && err.contains("90 values"),
        "{err}"
    );
    let mut bad = x.clone();
    bad[[7, 4]] = f64::NAN;
    let err = BasicStatistics::new()
        .comm(Comm::single())
        .fit(&bad, None, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("NaN at row 7, column 4"), "{err}");
}
