//! Helpers shared by the integration tests and the MPI test programs.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use ndarray::{Array1, Array2, ArrayD, Ix1, Ix2};
use ndarray_npy::ReadNpyExt;

/// Runs `check` on the CPU (no queue), then on the shared test GPU where there is one, which
/// must have read something back (`what` says what it failed to do otherwise).
pub fn on_cpu_and_gpu(what: &str, mut check: impl FnMut(Option<&spmd_learn::Queue>)) {
    for queue in [None, spmd_learn::Queue::shared_for_tests()] {
        let before = queue.map(|q| q.stats().readback_bytes);
        check(queue);
        if let (Some(q), Some(before)) = (queue, before) {
            assert!(q.stats().readback_bytes > before, "the GPU {what}");
        }
    }
}

pub mod classification;
pub mod preprocessing;
pub mod registry;

/// One scikit-learn reference case from `tests/fixtures/linear/cases.json`.
#[derive(Debug, Clone)]
pub struct LinearCase {
    pub name: String,
    pub estimator: String,
    pub fit_intercept: bool,
    pub alpha: f64,
    pub score: f64,
    pub x: Array2<f64>,
    /// Targets as n x t; `single` says whether scikit-learn saw 1-D targets.
    pub y: Array2<f64>,
    pub single: bool,
    /// coef_ as t x d.
    pub coef: Array2<f64>,
    pub intercept: Array1<f64>,
    pub pred: Array2<f64>,
}

/// `tests/fixtures/<family>/<name>`, read as an array of the element type and dimension asked for.
pub fn fixture<T: ndarray_npy::ReadableElement, D: ndarray::Dimension>(
    family: &str,
    name: &str,
) -> ndarray::Array<T, D> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(family)
        .join(name);
    ArrayD::<T>::read_npy(std::fs::File::open(&path).expect("fixture exists"))
        .expect("valid npy")
        .into_dimensionality()
        .expect("fixture shape")
}

/// Panics unless the JSON object has every one of `keys`.
pub fn assert_has_keys(json: &serde_json::Value, keys: &[&str]) {
    for key in keys {
        assert!(json.get(key).is_some(), "{key} in {json}");
    }
}

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/linear")
}

fn read(name: &str) -> ArrayD<f64> {
    fixture("linear", name)
}

fn as_columns(a: ArrayD<f64>) -> (Array2<f64>, bool) {
    match a.ndim() {
        1 => {
            let v = a.into_dimensionality::<Ix1>().unwrap();
            let n = v.len();
            (v.into_shape_with_order((n, 1)).unwrap(), true)
        }
        _ => (a.into_dimensionality::<Ix2>().unwrap(), false),
    }
}

pub fn linear_cases() -> Vec<LinearCase> {
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures_dir().join("cases.json")).unwrap())
            .unwrap();
    manifest["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let name = c["name"].as_str().unwrap().to_string();
            let x = read(&format!("{name}_x.npy"))
                .into_dimensionality::<Ix2>()
                .unwrap();
            let (y, single) = as_columns(read(&format!("{name}_y.npy")));
            let (coef_raw, coef_single) = as_columns(read(&format!("{name}_coef.npy")));
            // 1-D coef_ (d,) becomes 1 x d; 2-D stays t x d.
            let coef = if coef_single {
                coef_raw.reversed_axes()
            } else {
                coef_raw
            };
            let (pred, _) = as_columns(read(&format!("{name}_pred.npy")));
            LinearCase {
                estimator: c["estimator"].as_str().unwrap().to_string(),
                fit_intercept: c["fit_intercept"].as_bool().unwrap(),
                alpha: c["alpha"].as_f64().unwrap(),
                score: c["score"].as_f64().unwrap(),
                intercept: read(&format!("{name}_intercept.npy"))
                    .into_dimensionality::<Ix1>()
                    .unwrap(),
                name,
                x,
                y,
                single,
                coef,
                pred,
            }
        })
        .collect()
}

/// max |got - want| / max |want|.
pub fn rel_err<'a>(
    got: impl IntoIterator<Item = &'a f64>,
    want: impl IntoIterator<Item = &'a f64>,
) -> f64 {
    let (got, want): (Vec<f64>, Vec<f64>) = (
        got.into_iter().copied().collect(),
        want.into_iter().copied().collect(),
    );
    assert_eq!(got.len(), want.len(), "lengths differ");
    let scale = want.iter().fold(0.0_f64, |m, v| m.max(v.abs())).max(1e-300);
    got.iter()
        .zip(&want)
        .map(|(g, w)| (g - w).abs() / scale)
        .fold(0.0, f64::max)
}

/// Deterministic data: `rows` x `cols` features and targets `x w + 1.5` with a little noise.
pub fn synthetic(
    rows: usize,
    cols: usize,
    targets: usize,
    seed: u64,
) -> (Array2<f64>, Array2<f64>) {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(1);
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    let x = Array2::from_shape_fn((rows, cols), |_| next());
    let w = Array2::from_shape_fn((cols, targets), |(i, j)| {
        (i as f64 + 1.0) * if j % 2 == 0 { 0.5 } else { -0.25 }
    });
    let noise = Array2::from_shape_fn((rows, targets), |_| 0.01 * next());
    let y = x.dot(&w) + 1.5 + noise;
    (x, y)
}
