//! What the generic contract suites need to drive every estimator of the registry: data every
//! estimator can fit, the parameters that keep each fit quick, and a comparison of models.

use ndarray::{s, Array2, ArrayView2};
use serde_json::{Map, Value};
use spmd_learn::estimator::Context;
use spmd_learn::registry::{Entry, FitInput, Model, Rows};

/// Rows with non-negative integer values (naive Bayes counts), and integer labels 0..3 as
/// targets (a classifier's labels, a regressor's values).
pub fn data(rows: usize) -> (Array2<f64>, Array2<f64>) {
    let (x, _) = super::synthetic(rows, 4, 1, 3);
    let x = x.mapv(|v| (v * 4.0 + 5.0).round());
    let labels = Array2::from_shape_fn((rows, 1), |(i, _)| {
        ((x[[i, 0]] + x[[i, 1]]) as usize % 3) as f64
    });
    (x, labels)
}

/// Every class of [`data`]'s labels (a classifier's first batch names them).
pub const CLASSES: [i64; 3] = [0, 1, 2];

/// The parameters each estimator is fitted with here: its defaults, but where they would make
/// a slow or degenerate fit on [`data`].
pub fn params(entry: &Entry) -> Value {
    let given: Value = match entry.name() {
        "kmeans" => serde_json::json!({"n_clusters": 3, "random_state": 0}),
        "dbscan" => serde_json::json!({"eps": 2.5, "min_samples": 3}),
        "pca" | "incremental-pca" => serde_json::json!({"n_components": 2}),
        "logistic-regression" => serde_json::json!({"C": 10.0}),
        "random-forest-classifier" | "random-forest-regressor" => {
            serde_json::json!({"n_estimators": 3, "random_state": 0, "max_depth": 4})
        }
        "incremental-basic-statistics" | "incremental-empirical-covariance" => {
            serde_json::json!({"batch_size": 7})
        }
        _ => serde_json::json!({}),
    };
    let Value::Object(pairs) = given else {
        unreachable!("parameters are an object")
    };
    entry
        .params(pairs)
        .unwrap_or_else(|e| panic!("{}: {e}", entry.name()))
}

/// The input of a fit of `x` (and `y` as one column, for supervised estimators).
pub fn input<'a>(entry: &Entry, x: ArrayView2<'a, f64>, y: ArrayView2<'a, f64>) -> FitInput<'a> {
    FitInput {
        y: entry.supervised().then_some((Rows::F64(y), true)),
        ..FitInput::new(Rows::F64(x))
    }
}

/// Fits `entry` on this rank's `x` and `y`.
pub fn fit(
    entry: &Entry,
    ctx: Context<'_>,
    x: ArrayView2<'_, f64>,
    y: ArrayView2<'_, f64>,
) -> spmd_learn::Result<Model> {
    Ok(entry
        .fit(ctx, &params(entry), &input(entry, x, y), false)?
        .model)
}

/// Fits `entry` batch by batch: this rank's rows in three batches (the first may be empty).
pub fn fit_in_batches(
    entry: &'static Entry,
    ctx: Context<'_>,
    x: ArrayView2<'_, f64>,
    y: ArrayView2<'_, f64>,
) -> spmd_learn::Result<Model> {
    let mut fitting = entry.begin(&params(entry))?;
    let n = x.nrows();
    for (start, end) in [(0, n / 3), (n / 3, 2 * n / 3), (2 * n / 3, n)] {
        let rows = s![start..end, ..];
        let batch = FitInput {
            classes: Some(&CLASSES),
            ..input(entry, x.slice(rows), y.slice(rows))
        };
        fitting.partial_fit(ctx, &batch)?;
    }
    fitting.finalize(ctx)
}

/// The model's attributes without the library's version.
pub fn attributes(model: &Model) -> Map<String, Value> {
    let mut attributes = model.attributes.clone();
    attributes.remove("spmd_learn_version");
    attributes
}

/// The largest difference between two JSON values of the same shape, relative to the largest
/// number in `want`; `None` when their shapes or non-numbers differ.
pub fn difference(got: &Value, want: &Value) -> Option<f64> {
    fn flat(v: &Value, numbers: &mut Vec<f64>, rest: &mut Vec<String>) {
        match v {
            Value::Array(items) => items.iter().for_each(|i| flat(i, numbers, rest)),
            Value::Object(map) => map.iter().for_each(|(k, i)| {
                rest.push(k.clone());
                flat(i, numbers, rest)
            }),
            Value::Number(n) => numbers.extend(n.as_f64()),
            other => rest.push(other.to_string()),
        }
    }
    let (mut a, mut b, mut ra, mut rb) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    flat(got, &mut a, &mut ra);
    flat(want, &mut b, &mut rb);
    (a.len() == b.len() && ra == rb).then(|| super::rel_err(&a, &b))
}
