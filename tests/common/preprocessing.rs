//! The scaler references written by tests/fixtures/make_preprocessing.py.

use ndarray::{Array1, Array2, ArrayD};
use serde_json::Value;

use spmd_learn::comm::Comm;
use spmd_learn::estimator::{Context, Dataset, InverseTransform, PartialFit, Transform};
use spmd_learn::preprocessing::{
    IncrementalScaler, MaxAbsScaler, MinMaxScaler, Scaler, StandardScaler,
};
use spmd_learn::{Float, Queue};

pub struct ScalerCase {
    pub name: String,
    pub estimator: String,
    pub params: Value,
    pub weighted: bool,
    pub attributes: serde_json::Map<String, Value>,
    pub transformed: Array2<f64>,
    pub inverse: Array2<f64>,
}

fn dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/preprocessing")
}

pub fn npy(name: &str) -> ArrayD<f64> {
    super::fixture("preprocessing", name)
}

pub fn x() -> Array2<f64> {
    npy("x.npy").into_dimensionality().expect("2-D")
}

pub fn weights() -> Array1<f64> {
    npy("weights.npy").into_dimensionality().expect("1-D")
}

pub fn x_new() -> Array2<f64> {
    npy("x_new.npy").into_dimensionality().expect("2-D")
}

fn matrix(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).expect("rows");
    let d = rows.first().map_or(0, Vec::len);
    Array2::from_shape_vec((rows.len(), d), rows.concat()).expect("rectangular")
}

pub fn cases() -> Vec<ScalerCase> {
    let text = std::fs::read_to_string(dir().join("cases.json")).expect("cases.json");
    let json: Value = serde_json::from_str(&text).expect("json");
    json["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| ScalerCase {
            name: c["name"].as_str().expect("name").into(),
            estimator: c["estimator"].as_str().expect("estimator").into(),
            params: c["params"].clone(),
            weighted: c["weighted"].as_bool().expect("weighted"),
            attributes: c["attributes"].as_object().expect("attributes").clone(),
            transformed: matrix(&c["transformed"]),
            inverse: matrix(&c["inverse"]),
        })
        .collect()
}

/// The fitted scaler's JSON, its transform of `x_new` and the inverse of that.
pub struct Outcome {
    pub attributes: Value,
    pub transformed: Array2<f64>,
    pub inverse: Array2<f64>,
}

/// Fits the case's scaler on `x` (with `w` when weighted) through the estimator contract, in
/// one shot or (`batches`) batch by batch.
pub fn fit_case<F: Float>(
    case: &ScalerCase,
    comm: &Comm,
    queue: Option<&Queue>,
    x: ndarray::ArrayView2<'_, F>,
    w: Option<ndarray::ArrayView1<'_, F>>,
    batches: Option<&[usize]>,
) -> Result<Outcome, String> {
    fn run<E: Scaler, F: Float>(
        params: &Value,
        ctx: Context<'_>,
        data: &Dataset<'_, F>,
        batches: Option<&[usize]>,
    ) -> Result<Outcome, String>
    where
        E::Fitted: Transform + InverseTransform,
    {
        let params = serde_json::from_value(params.clone()).map_err(|e| e.to_string())?;
        let scaler = E::from_params(params);
        let fitted = match batches {
            None => scaler.fit(ctx, data).map_err(|e| e.to_string())?,
            Some(cuts) => {
                let mut inc = IncrementalScaler::new(scaler);
                for pair in cuts.windows(2) {
                    let rows = ndarray::s![pair[0]..pair[1], ..];
                    let batch = Dataset::new(data.x().slice_move(rows)).maybe_sample_weight(
                        data.weights()
                            .map(|w| w.slice_move(ndarray::s![pair[0]..pair[1]])),
                    );
                    inc.partial_fit(ctx, &batch).map_err(|e| e.to_string())?;
                }
                inc.finalize(ctx).map_err(|e| e.to_string())?
            }
        };
        let new = x_new();
        let transformed = fitted
            .transform(ctx, new.view())
            .map_err(|e| e.to_string())?;
        let inverse = fitted
            .inverse_transform(ctx, transformed.view())
            .map_err(|e| e.to_string())?;
        Ok(Outcome {
            attributes: serde_json::to_value(&fitted).map_err(|e| e.to_string())?,
            transformed,
            inverse,
        })
    }
    let ctx = Context::new(comm, queue);
    let data = Dataset::new(x).maybe_sample_weight(if case.weighted { w } else { None });
    match case.estimator.as_str() {
        "standard-scaler" => run::<StandardScaler, F>(&case.params, ctx, &data, batches),
        "min-max-scaler" => run::<MinMaxScaler, F>(&case.params, ctx, &data, batches),
        "max-abs-scaler" => run::<MaxAbsScaler, F>(&case.params, ctx, &data, batches),
        other => Err(format!("unknown scaler {other}")),
    }
}

/// Largest relative difference between the outcome and scikit-learn's values, over every
/// attribute scikit-learn reports (null where it reports None) and the transforms.
pub fn worst_error(case: &ScalerCase, got: &Outcome) -> Result<f64, String> {
    let mut worst = 0.0_f64;
    for (name, want) in &case.attributes {
        let have = &got.attributes[name];
        match (want, have) {
            (Value::Null, Value::Null) => {}
            (Value::Null, other) | (other, Value::Null) => {
                return Err(format!(
                    "{}: {name} is {other} on one side, null on the other",
                    case.name
                ))
            }
            (want, have) => {
                let want: Vec<f64> = serde_json::from_value(want.clone())
                    .or_else(|_| serde_json::from_value(want.clone()).map(|v: f64| vec![v]))
                    .map_err(|e| e.to_string())?;
                let have: Vec<f64> = serde_json::from_value(have.clone())
                    .or_else(|_| serde_json::from_value(have.clone()).map(|v: f64| vec![v]))
                    .map_err(|e| format!("{name}: {e}"))?;
                worst = worst.max(super::rel_err(have.iter(), want.iter()));
            }
        }
    }
    worst = worst.max(transform_error(&got.transformed, &case.transformed));
    worst = worst.max(super::rel_err(got.inverse.iter(), case.inverse.iter()));
    Ok(worst)
}

/// Largest error of a transform relative to the size of its terms: per column, the largest
/// |x| of the rows transformed times the map's slope (from scikit-learn's first two rows). A
/// column near 1e6 with unit spread loses ten digits to `x - mean` in any f64 code; measuring
/// against |x| times the slope counts only the error the fit added.
fn transform_error(got: &Array2<f64>, want: &Array2<f64>) -> f64 {
    let x = x_new();
    let mut worst = 0.0_f64;
    for j in 0..want.ncols() {
        let slope = ((want[[0, j]] - want[[1, j]]) / (x[[0, j]] - x[[1, j]])).abs();
        let largest =
            |c: ndarray::ArrayView1<'_, f64>| c.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        let size = (largest(x.column(j)) * slope).max(largest(want.column(j)));
        for i in 0..want.nrows() {
            worst = worst.max((got[[i, j]] - want[[i, j]]).abs() / size.max(1e-300));
        }
    }
    worst
}
