//! The scikit-learn classifier fixtures (`tests/fixtures/make_classification.py`) and an
//! independent f64 evaluation of the logistic objective.

use ndarray::{Array1, Array2, Dimension};
use ndarray_npy::ReadableElement;
use serde_json::Value;

pub fn npy<T: ReadableElement, D: Dimension>(name: &str) -> ndarray::Array<T, D> {
    super::fixture("classification", name)
}

pub fn manifest() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/classification/cases.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("manifest")).expect("json")
}

/// One LogisticRegression case: data, parameters and scikit-learn's optimum.
pub struct LogisticCase {
    pub name: String,
    pub x: Array2<f64>,
    pub y: Array1<i64>,
    pub sample_weight: Option<Array1<f64>>,
    pub params: Value,
    pub coef: Array2<f64>,
    pub intercept: Array1<f64>,
    pub proba: Array2<f64>,
    pub objective: f64,
    pub score: f64,
}

pub fn logistic_cases() -> Vec<LogisticCase> {
    manifest()["logistic"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|case| {
            let name = case["name"].as_str().expect("name").to_string();
            let data = case["data"].as_str().expect("data");
            LogisticCase {
                x: npy(&format!("{data}_x.npy")),
                y: npy(&format!("{data}_y.npy")),
                sample_weight: case["weighted"]
                    .as_bool()
                    .unwrap_or(false)
                    .then(|| npy("binary_w.npy")),
                params: case["params"].clone(),
                coef: npy(&format!("{name}_coef.npy")),
                intercept: npy(&format!("{name}_intercept.npy")),
                proba: npy(&format!("{name}_proba.npy")),
                objective: case["objective"].as_f64().expect("objective"),
                score: case["score"].as_f64().expect("score"),
                name,
            }
        })
        .collect()
}

/// scikit-learn's lbfgs objective (weighted mean log-loss plus the L2 term) at `coef`,
/// `intercept`, computed directly in f64. `c = None`: no penalty; `balanced` applies
/// balanced class weights.
pub fn logistic_objective(
    x: &Array2<f64>,
    y: &Array1<i64>,
    sample_weight: Option<&Array1<f64>>,
    coef: &Array2<f64>,
    intercept: &Array1<f64>,
    c: Option<f64>,
    balanced: bool,
) -> f64 {
    let mut classes: Vec<i64> = y.to_vec();
    classes.sort_unstable();
    classes.dedup();
    let index = |label: i64| classes.binary_search(&label).expect("known class");
    let mut sw: Vec<f64> = (0..y.len())
        .map(|i| sample_weight.map_or(1.0, |w| w[i]))
        .collect();
    if balanced {
        let mut counts = vec![0.0; classes.len()];
        for (i, &label) in y.iter().enumerate() {
            counts[index(label)] += sw[i];
        }
        let total: f64 = counts.iter().sum();
        for (i, &label) in y.iter().enumerate() {
            sw[i] *= total / (classes.len() as f64 * counts[index(label)]);
        }
    }
    let scores = x.dot(&coef.t()) + intercept;
    let mut loss = 0.0;
    for (i, row) in scores.rows().into_iter().enumerate() {
        let k = index(y[i]);
        let l = if row.len() == 1 {
            let z = row[0];
            let t = if k == 1 { 1.0 } else { 0.0 };
            z.max(0.0) + (-z.abs()).exp().ln_1p() - t * z
        } else {
            let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            max + row.iter().map(|v| (v - max).exp()).sum::<f64>().ln() - row[k]
        };
        loss += sw[i] * l;
    }
    let sum: f64 = sw.iter().sum();
    let penalty = c.map_or(0.0, |c| {
        0.5 / (c * sum) * coef.iter().map(|v| v * v).sum::<f64>()
    });
    loss / sum + penalty
}
