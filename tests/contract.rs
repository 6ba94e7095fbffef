//! The estimator contract, driven for every estimator through its traits alone (as the CLI
//! drives them): a fit's model survives a JSON round trip unchanged, a model read back predicts
//! and transforms exactly as the fitted one does, and f32 views give the f64 model to f32
//! accuracy.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use ndarray::{Array2, ArrayView2};
use serde_json::{json, Value};
use spmd_learn::cluster::KMeans;
use spmd_learn::comm::Comm;
use spmd_learn::covariance::EmpiricalCovariance;
use spmd_learn::decomposition::{IncrementalPca, Pca, Qr, Svd};
use spmd_learn::estimator::{
    Context, Dataset, Estimator, Fitted, InverseTransform, Predict, Score, Transform,
};
use spmd_learn::linear::{LinearRegression, LogisticRegression, Ridge};
use spmd_learn::naive_bayes::MultinomialNb;
use spmd_learn::preprocessing::{MaxAbsScaler, MinMaxScaler, StandardScaler};
use spmd_learn::statistics::BasicStatistics;

/// Rows with positive values (naive Bayes counts) and integer labels 0..3 in y.
fn data() -> (Array2<f64>, Array2<f64>) {
    let (x, _) = common::synthetic(120, 4, 1, 3);
    let x = x.mapv(|v| (v * 4.0 + 5.0).round());
    let labels = Array2::from_shape_fn((120, 1), |(i, _)| {
        ((x[[i, 0]] + x[[i, 1]]) as usize % 3) as f64
    });
    (x, labels)
}

fn fit<E: Estimator>(params: Value, x: ArrayView2<'_, f64>, y: ArrayView2<'_, f64>) -> E::Fitted {
    let comm = Comm::single();
    let ctx = Context::cpu(&comm);
    let estimator = E::from_params(serde_json::from_value(params).expect("params"));
    let mut data = Dataset::new(x);
    if E::SUPERVISED {
        data = data.target_columns(y, true);
    }
    let fitted = Estimator::fit(&estimator, ctx, &data).expect("fit");
    assert_eq!(fitted.n_features_in(), x.ncols());
    // The JSON of the model read back is the JSON written.
    let written = serde_json::to_value(&fitted).unwrap();
    let loaded: E::Fitted = serde_json::from_value(written.clone()).expect("loads");
    assert_eq!(
        serde_json::to_value(&loaded).unwrap(),
        written,
        "round trip"
    );

    // f32 views reach a model within f32 accuracy of the f64 one.
    let (x32, y32) = (x.mapv(|v| v as f32), y.mapv(|v| v as f32));
    let mut data32 = Dataset::new(x32.view());
    if E::SUPERVISED {
        data32 = data32.target_columns(y32.view(), true);
    }
    let fitted32 = Estimator::fit(&estimator, ctx, &data32).expect("f32 fit");
    let close = numbers_close(&written, &serde_json::to_value(&fitted32).unwrap(), 1e-3);
    assert!(close, "f32 model differs: {written}");
    loaded
}

/// Whether two JSON values have the same shape and numbers within `tol` relative (to the
/// largest number in the same array).
fn numbers_close(a: &Value, b: &Value, tol: f64) -> bool {
    fn flat(v: &Value, out: &mut Vec<f64>) {
        match v {
            Value::Array(items) => items.iter().for_each(|i| flat(i, out)),
            Value::Object(map) => map.values().for_each(|i| flat(i, out)),
            other => out.extend(other.as_f64()),
        }
    }
    let (mut x, mut y) = (Vec::new(), Vec::new());
    flat(a, &mut x);
    flat(b, &mut y);
    x.len() == y.len() && common::rel_err(&y, &x) < tol
}

fn predicts_alike<E: Estimator>(params: Value) -> f64
where
    E::Fitted: Predict + Score,
{
    let (x, y) = data();
    let loaded = fit::<E>(params.clone(), x.view(), y.view());
    let comm = Comm::single();
    let ctx = Context::cpu(&comm);
    let estimator = E::from_params(serde_json::from_value(params).unwrap());
    let data = Dataset::new(x.view()).target_columns(y.view(), true);
    let fitted = Estimator::fit(&estimator, ctx, &data).unwrap();
    assert_eq!(
        fitted.predict(ctx, x.view()).unwrap(),
        loaded.predict(ctx, x.view()).unwrap()
    );
    let score = fitted.score(ctx, &data).unwrap();
    assert_eq!(score, loaded.score(ctx, &data).unwrap());
    score
}

fn transforms_alike<E: Estimator>(params: Value) -> Array2<f64>
where
    E::Fitted: Transform,
{
    let (x, y) = data();
    let loaded = fit::<E>(params.clone(), x.view(), y.view());
    let comm = Comm::single();
    let ctx = Context::cpu(&comm);
    let estimator = E::from_params(serde_json::from_value(params).unwrap());
    let fitted = Estimator::fit(&estimator, ctx, &Dataset::new(x.view())).unwrap();
    let out = fitted.transform(ctx, x.view()).unwrap();
    assert_eq!(out, loaded.transform(ctx, x.view()).unwrap());
    out
}

fn inverts<E: Estimator>(params: Value)
where
    E::Fitted: Transform + InverseTransform,
{
    let (x, y) = data();
    let fitted = fit::<E>(params, x.view(), y.view());
    let comm = Comm::single();
    let ctx = Context::cpu(&comm);
    let back = fitted
        .inverse_transform(ctx, fitted.transform(ctx, x.view()).unwrap().view())
        .unwrap();
    assert!(common::rel_err(back.iter(), x.iter()) < 1e-12);
}

#[test]
fn regressors_and_classifiers() {
    // Exact fits: the data are integers, y a function of them.
    assert!(predicts_alike::<LinearRegression>(json!({})) > 0.0);
    assert!(predicts_alike::<Ridge>(json!({"alpha": 0.5})) > 0.0);
    assert!(predicts_alike::<LogisticRegression>(json!({"C": 10.0})) > 0.5);
    assert!(predicts_alike::<MultinomialNb>(json!({})) > 0.3);
}

#[test]
fn transformers_and_inverses() {
    for out in [
        transforms_alike::<Pca>(json!({"n_components": 2})),
        transforms_alike::<IncrementalPca>(json!({"n_components": 2})),
        transforms_alike::<Svd>(json!({})),
        transforms_alike::<KMeans>(json!({"n_clusters": 3, "random_state": 0})),
        transforms_alike::<StandardScaler>(json!({})),
        transforms_alike::<MinMaxScaler>(json!({"feature_range": [-1.0, 1.0]})),
        transforms_alike::<MaxAbsScaler>(json!({})),
    ] {
        assert_eq!(out.nrows(), 120);
    }
    inverts::<Pca>(json!({}));
    inverts::<StandardScaler>(json!({}));
    inverts::<MinMaxScaler>(json!({}));
    inverts::<MaxAbsScaler>(json!({}));
}

#[test]
fn estimators_without_predict_fit_and_round_trip() {
    let (x, y) = data();
    fit::<BasicStatistics>(json!({}), x.view(), y.view());
    fit::<EmpiricalCovariance>(json!({}), x.view(), y.view());
    let qr = fit::<Qr>(json!({}), x.view(), y.view());
    // A model read back has no per-row Q: it stayed with the rows.
    assert_eq!(qr.local_result().map(|q| q.nrows()), Some(0));
}

#[test]
fn a_supervised_fit_without_targets_names_the_need() {
    let (x, _) = data();
    let comm = Comm::single();
    let ridge = Ridge::from_params(Default::default());
    let err = Estimator::fit(&ridge, Context::cpu(&comm), &Dataset::new(x.view())).unwrap_err();
    assert!(err.to_string().contains("needs targets"), "{err}");
}

#[test]
fn estimators_without_weights_refuse_them_instead_of_ignoring_them() {
    let (x, y) = data();
    let w = ndarray::Array1::from_elem(x.nrows(), 2.0);
    let comm = Comm::single();
    let ctx = Context::cpu(&comm);
    let weighted = Dataset::new(x.view())
        .target_columns(y.view(), true)
        .sample_weight(w.view());
    let linear = LinearRegression::from_params(Default::default());
    let err = Estimator::fit(&linear, ctx, &weighted).unwrap_err();
    assert!(
        err.to_string()
            .contains("LinearRegression does not take sample weights"),
        "{err}"
    );
    let kmeans = KMeans::from_params(serde_json::from_value(json!({"n_clusters": 2})).unwrap());
    let err = Estimator::fit(&kmeans, ctx, &weighted).unwrap_err();
    assert!(
        err.to_string()
            .contains("KMeans does not take sample weights"),
        "{err}"
    );
    // Those that use weights still take them.
    Estimator::fit(
        &BasicStatistics::from_params(Default::default()),
        ctx,
        &weighted,
    )
    .unwrap();
}

/// The fitted model's outputs on `queue`'s GPU and on the CPU, for rows `x`.
fn on_gpu_and_cpu<E: Estimator>(
    queue: &spmd_learn::Queue,
    params: Value,
    output: impl Fn(&E::Fitted, Context<'_>, ArrayView2<'_, f64>) -> Array2<f64>,
) -> (Array2<f64>, Array2<f64>) {
    let (x, y) = data();
    let fitted = fit::<E>(params, x.view(), y.view());
    let comm = Comm::single();
    (
        output(&fitted, Context::new(&comm, Some(queue)), x.view()),
        output(&fitted, Context::cpu(&comm), x.view()),
    )
}

#[test]
fn a_model_predicts_and_transforms_on_the_gpu_as_on_the_cpu() {
    let Some(queue) = spmd_learn::Queue::shared_for_tests() else {
        return;
    };
    let tol = if queue.info().supports_f64 {
        1e-10
    } else {
        1e-4
    };
    fn predict<M: Predict>(m: &M, ctx: Context<'_>, x: ArrayView2<'_, f64>) -> Array2<f64> {
        m.predict(ctx, x).unwrap()
    }
    fn transform<M: Transform>(m: &M, ctx: Context<'_>, x: ArrayView2<'_, f64>) -> Array2<f64> {
        m.transform(ctx, x).unwrap()
    }
    let pairs = [
        on_gpu_and_cpu::<LinearRegression>(queue, json!({}), predict),
        on_gpu_and_cpu::<Ridge>(queue, json!({"alpha": 0.5}), predict),
        on_gpu_and_cpu::<Pca>(queue, json!({"n_components": 2}), transform),
        on_gpu_and_cpu::<IncrementalPca>(queue, json!({"n_components": 2}), transform),
        on_gpu_and_cpu::<Svd>(queue, json!({}), transform),
        on_gpu_and_cpu::<KMeans>(
            queue,
            json!({"n_clusters": 3, "random_state": 0}),
            transform,
        ),
        on_gpu_and_cpu::<StandardScaler>(queue, json!({}), transform),
        on_gpu_and_cpu::<MinMaxScaler>(queue, json!({}), transform),
        on_gpu_and_cpu::<MaxAbsScaler>(queue, json!({}), transform),
    ];
    for (i, (gpu, cpu)) in pairs.iter().enumerate() {
        assert_eq!(gpu.dim(), cpu.dim());
        let err = common::rel_err(gpu.iter(), cpu.iter());
        assert!(err < tol, "estimator {i}: GPU differs from CPU by {err:e}");
    }
}

#[test]
fn kmeans_fits_share_one_upload_of_rows_kept_on_the_device() {
    let Some(queue) = spmd_learn::Queue::for_tests() else {
        return;
    };
    let (x, _) = common::synthetic(5000, 6, 7, 3);
    let mean: Vec<f64> = x.mean_axis(ndarray::Axis(0)).unwrap().to_vec();
    let rows = spmd_learn::gpu::DeviceRows::upload_shifted(&queue, x.view(), Some(&mean)).unwrap();
    let one_upload = queue.stats().uploaded_bytes;
    let comm = Comm::single();
    let ctx = Context::new(&comm, Some(&queue));
    let before = queue.stats().uploaded_bytes;
    let mut shared = Vec::new();
    for k in [2, 3, 5] {
        let kmeans = KMeans::from_params(
            serde_json::from_value(json!({"n_clusters": k, "random_state": 0})).unwrap(),
        );
        let data = Dataset::new(x.view()).resident(&rows);
        shared.push((kmeans.clone(), Estimator::fit(&kmeans, ctx, &data).unwrap()));
    }
    // Three fits, and not a quarter of another copy of the rows: centres and parameters.
    let uploaded = queue.stats().uploaded_bytes - before;
    assert!(
        uploaded < one_upload / 4,
        "{uploaded} bytes uploaded, the rows {one_upload}"
    );
    // The same models as fits that upload their own rows.
    for (kmeans, fitted) in &shared {
        let own = Estimator::fit(kmeans, ctx, &Dataset::new(x.view())).unwrap();
        let err = common::rel_err(
            fitted.cluster_centers().iter(),
            own.cluster_centers().iter(),
        );
        assert!(err < 1e-6, "{err:e}");
        assert_eq!(fitted.labels(), own.labels());
    }
    // Rows of another shape are an error that names them.
    let other =
        spmd_learn::gpu::DeviceRows::upload(&queue, x.slice(ndarray::s![..10, ..])).unwrap();
    let data = Dataset::new(x.view()).resident(&other);
    let err = Estimator::fit(&KMeans::new(2), ctx, &data).unwrap_err();
    assert!(err.to_string().contains("resident on the device"), "{err}");
}
