//! The `spmd-learn` binary end to end on scikit-learn fixtures (one process).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use ndarray::{Array1, ArrayD};
use ndarray_npy::{ReadNpyExt, WriteNpyExt};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/linear")
        .join(name)
}

fn npy(path: &Path) -> ArrayD<f64> {
    ArrayD::<f64>::read_npy(std::fs::File::open(path).unwrap()).unwrap()
}

fn spmd_learn(args: &[&str]) -> std::process::Output {
    spmd_learn_with(args, &[])
}

/// [`spmd_learn`] with environment variables set.
fn spmd_learn_with(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_spmd-learn"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("binary runs")
}

/// A test's own directory of files under Cargo's scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(test: &str) -> Scratch {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("spmd-learn-cli-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

fn max_abs_diff(a: impl IntoIterator<Item = f64>, b: impl IntoIterator<Item = f64>) -> f64 {
    a.into_iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn fit_and_predict_match_sklearn() {
    let dir = scratch("fit");
    for (case, estimator, params) in [
        ("ols_basic", "linear-regression", vec![]),
        ("ols_multi", "linear-regression", vec![]),
        (
            "ridge_no_intercept",
            "ridge",
            vec!["--param", "alpha=2.5", "--param", "fit_intercept=False"],
        ),
    ] {
        let model_path = dir.join(format!("{case}.json"));
        let x = fixture(&format!("{case}_x.npy"));
        let y = fixture(&format!("{case}_y.npy"));
        let mut args = vec![
            "fit",
            estimator,
            "--x",
            x.to_str().unwrap(),
            "--y",
            y.to_str().unwrap(),
        ];
        args.extend(params.iter().copied());
        args.extend(["--out", model_path.to_str().unwrap()]);
        let out = spmd_learn(&args);
        assert!(
            out.status.success(),
            "{case}: {}",
            String::from_utf8_lossy(&out.stderr)
        );

        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&model_path).unwrap()).unwrap();
        assert_eq!(json["estimator"], estimator);
        let want_coef = npy(&fixture(&format!("{case}_coef.npy")));
        let coef: Vec<f64> = match &json["coef_"] {
            serde_json::Value::Array(rows) if rows[0].is_array() => rows
                .iter()
                .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()))
                .collect(),
            other => other
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect(),
        };
        assert!(
            max_abs_diff(coef, want_coef.iter().copied()) < 1e-9,
            "{case}: coef_"
        );

        let pred_path = dir.join(format!("{case}_pred.npy"));
        let out = spmd_learn(&[
            "predict",
            "--model",
            model_path.to_str().unwrap(),
            "--x",
            x.to_str().unwrap(),
            "--out",
            pred_path.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{case}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let want = npy(&fixture(&format!("{case}_pred.npy")));
        let got = npy(&pred_path);
        assert_eq!(
            got.shape(),
            want.shape(),
            "{case}: 1-D targets give 1-D predictions"
        );
        assert!(
            max_abs_diff(got.iter().copied(), want.iter().copied()) < 1e-9,
            "{case}: predictions"
        );
    }
}

#[test]
fn csv_input_with_header_works() {
    let dir = scratch("csv");
    let x = npy(&fixture("ols_basic_x.npy"));
    let y = npy(&fixture("ols_basic_y.npy"));
    let mut text = String::from("a,b,c,d,e\n");
    for row in x.outer_iter() {
        text += &row
            .iter()
            .map(|v| format!("{v:.17e}"))
            .collect::<Vec<_>>()
            .join(",");
        text.push('\n');
    }
    std::fs::write(dir.join("x.csv"), text).unwrap();
    std::fs::write(
        dir.join("y.csv"),
        y.iter().map(|v| format!("{v:.17e}\n")).collect::<String>(),
    )
    .unwrap();
    let model = dir.join("m.json");
    let out = spmd_learn(&[
        "fit",
        "linear-regression",
        "--x",
        dir.join("x.csv").to_str().unwrap(),
        "--y",
        dir.join("y.csv").to_str().unwrap(),
        "--out",
        model.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    let want = npy(&fixture("ols_basic_coef.npy"));
    let coef = json["coef_"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap());
    assert!(max_abs_diff(coef, want.iter().copied()) < 1e-9);
    assert!(json["intercept_"].is_number());
}

#[test]
fn bad_input_fails_clearly_and_writes_no_model() {
    let dir = scratch("bad");
    let model = dir.join("m.json");
    let x = fixture("ols_basic_x.npy");
    let y = fixture("ols_basic_y.npy");

    let out = spmd_learn(&[
        "fit",
        "ridge",
        "--x",
        x.to_str().unwrap(),
        "--y",
        y.to_str().unwrap(),
        "--param",
        "alpa=1",
        "--out",
        model.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("unknown field `alpa`"),
        "{err}"
    );

    let out = spmd_learn(&[
        "fit",
        "lasso",
        "--x",
        x.to_str().unwrap(),
        "--out",
        model.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown estimator `lasso`"));

    let mut bad_x = npy(&x);
    bad_x[[4, 1]] = f64::NAN;
    let bad_path = dir.join("nan.npy");
    bad_x
        .write_npy(std::fs::File::create(&bad_path).unwrap())
        .unwrap();
    let out = spmd_learn(&[
        "fit",
        "linear-regression",
        "--x",
        bad_path.to_str().unwrap(),
        "--y",
        y.to_str().unwrap(),
        "--out",
        model.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("NaN at row 4, column 1"),
        "{err}"
    );
    assert!(!model.exists(), "a failed fit must not write a model");

    // A shared target file shorter or longer than the features is refused, never cut short.
    for (name, rows) in [("short.npy", 3), ("long.npy", 41)] {
        let y_file = dir.join(name);
        Array1::<f64>::zeros(rows)
            .write_npy(std::fs::File::create(&y_file).unwrap())
            .unwrap();
        let out = spmd_learn(&[
            "fit",
            "linear-regression",
            "--x",
            x.to_str().unwrap(),
            "--y",
            y_file.to_str().unwrap(),
            "--out",
            model.to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success()
                && err.contains(&format!("{name}: has {rows} rows, but"))
                && err.contains("has 40"),
            "{err}"
        );
    }
    assert!(!model.exists(), "a failed fit must not write a model");

    let out = spmd_learn(&[
        "fit",
        "linear-regression",
        "--x",
        dir.join("missing.npy").to_str().unwrap(),
        "--out",
        model.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.npy"));
    assert!(!model.exists());

    let out = spmd_learn(&["fit"]);
    assert_eq!(out.status.code(), Some(2));
}

fn decomposition_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/decomposition")
        .join(name)
}

#[test]
fn pca_fit_and_transform_match_sklearn() {
    let dir = scratch("pca");
    let model = dir.join("pca.json");
    let x = decomposition_fixture("x.npy");
    let out = spmd_learn(&[
        "fit",
        "pca",
        "--x",
        x.to_str().unwrap(),
        "--param",
        "n_components=3",
        "--out",
        model.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    assert_eq!(json["n_components_"], 3);
    assert_eq!(json["params"]["n_components"], 3);
    let projected = dir.join("projected.npy");
    let out = spmd_learn(&[
        "transform",
        "--model",
        model.to_str().unwrap(),
        "--x",
        x.to_str().unwrap(),
        "--out",
        projected.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = npy(&decomposition_fixture("pca_3_transform.npy"));
    assert!(max_abs_diff(npy(&projected).iter().copied(), want.iter().copied()) < 1e-9);

    let out = spmd_learn(&[
        "predict",
        "--model",
        model.to_str().unwrap(),
        "--x",
        x.to_str().unwrap(),
        "--out",
        projected.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("pca has no predict"));
}

#[test]
fn empirical_covariance_fit_matches_sklearn() {
    let dir = scratch("cov");
    let model = dir.join("cov.json");
    let x = decomposition_fixture("x.npy");
    // One shot, and each rank's rows fed in batches of 7 rows.
    for (estimator, params) in [
        ("empirical-covariance", vec![]),
        (
            "incremental-empirical-covariance",
            vec!["--param", "batch_size=7"],
        ),
    ] {
        let mut args = vec![
            "fit",
            estimator,
            "--x",
            x.to_str().unwrap(),
            "--out",
            model.to_str().unwrap(),
        ];
        args.extend(params);
        let out = spmd_learn(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
        assert_eq!(json["estimator"], estimator);
        let got: Vec<f64> = json["covariance_"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()))
            .collect();
        let want = npy(&decomposition_fixture("cov_covariance.npy"));
        assert!(
            max_abs_diff(got, want.iter().copied()) < 1e-9,
            "{estimator}"
        );
    }
}

#[test]
fn basic_statistics_with_weights_and_result_options() {
    let dir = scratch("stats");
    let model = dir.join("stats.json");
    let stats = |name: &str| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/statistics")
            .join(name)
    };
    let (x, w) = (stats("x.npy"), stats("weights.npy"));
    // One shot, and each rank's rows fed in batches of 5 rows.
    for (estimator, params) in [
        ("basic-statistics", vec![]),
        (
            "incremental-basic-statistics",
            vec!["--param", "batch_size=5"],
        ),
    ] {
        let mut args = vec![
            "fit",
            estimator,
            "--x",
            x.to_str().unwrap(),
            "--sample-weight",
            w.to_str().unwrap(),
            "--param",
            r#"result_options=["mean", "variance"]"#,
            "--out",
            model.to_str().unwrap(),
        ];
        args.extend(params);
        let out = spmd_learn(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
        assert!(json.get("min_").is_none());
        for name in ["mean", "variance"] {
            let got = json[format!("{name}_")]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap());
            let want = npy(&stats(&format!("weighted_{name}.npy")));
            let scale = want.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
            assert!(
                max_abs_diff(got, want.iter().copied()) < 1e-9 * scale,
                "{estimator} {name}"
            );
        }
    }
    let out = spmd_learn(&[
        "fit",
        "basic-statistics",
        "--x",
        x.to_str().unwrap(),
        "--param",
        "result_options=median",
        "--out",
        model.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown statistic `median`"));
}

#[test]
fn qr_and_svd_write_local_factors() {
    let dir = scratch("qr");
    let x = decomposition_fixture("tall.npy");
    let (model, q) = (dir.join("qr.json"), dir.join("q.npy"));
    let out = spmd_learn(&[
        "fit",
        "qr",
        "--x",
        x.to_str().unwrap(),
        "--out",
        model.to_str().unwrap(),
        "--out-local",
        q.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want_q = npy(&decomposition_fixture("qr_abs_q.npy"));
    assert!(max_abs_diff(npy(&q).iter().map(|v| v.abs()), want_q.iter().copied()) < 1e-12);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    let r: Vec<f64> = json["r_"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap().abs())
        })
        .collect();
    assert!(
        max_abs_diff(
            r,
            npy(&decomposition_fixture("qr_abs_r.npy")).iter().copied()
        ) < 1e-11
    );

    let (model, u, projected) = (dir.join("svd.json"), dir.join("u.npy"), dir.join("xv.npy"));
    let out = spmd_learn(&[
        "fit",
        "svd",
        "--x",
        x.to_str().unwrap(),
        "--out",
        model.to_str().unwrap(),
        "--out-local",
        u.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = spmd_learn(&[
        "transform",
        "--model",
        model.to_str().unwrap(),
        "--x",
        x.to_str().unwrap(),
        "--out",
        projected.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    let s: Vec<f64> = json["singular_values_"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    // X V = U Σ on the fitted rows.
    let (u_rows, xv) = (npy(&u), npy(&projected));
    let us: Vec<f64> = u_rows
        .outer_iter()
        .flat_map(|row| row.iter().zip(&s).map(|(a, b)| a * b).collect::<Vec<_>>())
        .collect();
    assert!(max_abs_diff(xv.iter().copied(), us) < 1e-10);

    let out = spmd_learn(&[
        "fit",
        "pca",
        "--x",
        x.to_str().unwrap(),
        "--out",
        model.to_str().unwrap(),
        "--out-local",
        u.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("pca has no per-rank fit result"));
}

#[test]
fn incremental_pca_in_batches_matches_sklearn_pca() {
    let dir = scratch("ipca");
    let model = dir.join("ipca.json");
    let projected = dir.join("projected.npy");
    let x = decomposition_fixture("x.npy");
    let out = spmd_learn(&[
        "fit",
        "incremental-pca",
        "--x",
        x.to_str().unwrap(),
        "--param",
        "n_components=3",
        "--param",
        "batch_size=7",
        "--out",
        model.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = spmd_learn(&[
        "transform",
        "--model",
        model.to_str().unwrap(),
        "--x",
        x.to_str().unwrap(),
        "--out",
        projected.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = npy(&decomposition_fixture("pca_3_transform.npy"));
    assert!(max_abs_diff(npy(&projected).iter().copied(), want.iter().copied()) < 1e-9);
}

#[test]
fn kmeans_fit_predict_and_labels_match_sklearn() {
    let dir = scratch("kmeans");
    let km = |name: &str| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/kmeans")
            .join(name)
    };
    let (x, init) = (km("x.npy"), km("given_init.npy"));
    let (model, labels, predicted) = (
        dir.join("km.json"),
        dir.join("labels.npy"),
        dir.join("pred.npy"),
    );
    let init_param = format!("init={}", init.display());
    let out = spmd_learn(&[
        "fit",
        "kmeans",
        "--x",
        x.to_str().unwrap(),
        "--param",
        "n_clusters=5",
        "--param",
        &init_param,
        "--out",
        model.to_str().unwrap(),
        "--out-local",
        labels.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    let centres: Vec<f64> = json["cluster_centers_"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()))
        .collect();
    let want = npy(&km("given_centers.npy"));
    assert!(max_abs_diff(centres, want.iter().copied()) < 1e-9);
    assert!(json["inertia_"].is_number() && json["n_iter_"].is_number());
    let want_labels =
        ArrayD::<i64>::read_npy(std::fs::File::open(km("given_labels.npy")).unwrap()).unwrap();
    let got = npy(&labels);
    assert!(got
        .iter()
        .zip(want_labels.iter())
        .all(|(a, &b)| *a == b as f64));

    let out = spmd_learn(&[
        "predict",
        "--model",
        model.to_str().unwrap(),
        "--x",
        x.to_str().unwrap(),
        "--out",
        predicted.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(npy(&predicted), got);

    let out = spmd_learn(&[
        "fit",
        "kmeans",
        "--x",
        x.to_str().unwrap(),
        "--param",
        "init=kmeans",
        "--out",
        model.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("init must be k-means++"));
}

fn classification_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/classification")
        .join(name)
}

#[test]
fn classifiers_fit_predict_and_give_probabilities_like_sklearn() {
    let dir = scratch("classifiers");
    for (estimator, data, case, params) in [
        (
            "logistic-regression",
            "binary",
            "binary_balanced",
            vec!["--param", "class_weight=balanced", "--param", "tol=1e-10"],
        ),
        (
            "logistic-regression",
            "multi",
            "multi_default",
            vec![
                "--param",
                "C=1.0",
                "--param",
                "solver=newton-cg",
                "--param",
                "tol=1e-10",
            ],
        ),
        (
            "multinomial-nb",
            "nb",
            "nb_class_prior",
            vec![
                "--param",
                "alpha=2.0",
                "--param",
                "class_prior=[0.2, 0.3, 0.5]",
            ],
        ),
    ] {
        let model = dir.join(format!("{case}.json"));
        let x = classification_fixture(&format!("{data}_x.npy"));
        let y = classification_fixture(&format!("{data}_y.npy"));
        let mut args = vec![
            "fit",
            estimator,
            "--x",
            x.to_str().unwrap(),
            "--y",
            y.to_str().unwrap(),
        ];
        args.extend(params.iter().copied());
        args.extend(["--out", model.to_str().unwrap()]);
        let out = spmd_learn(&args);
        assert!(
            out.status.success(),
            "{case}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
        let flat = |key: &str| -> Vec<f64> {
            json[key]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|r| match r.as_array() {
                    Some(row) => row.iter().map(|v| v.as_f64().unwrap()).collect(),
                    None => vec![r.as_f64().unwrap()],
                })
                .collect()
        };
        let (key, file) = if estimator == "multinomial-nb" {
            ("feature_log_prob_", "feature_log_prob")
        } else {
            ("coef_", "coef")
        };
        let want = npy(&classification_fixture(&format!("{case}_{file}.npy")));
        let scale = want.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        assert!(
            max_abs_diff(flat(key), want.iter().copied()) < 1e-4 * scale,
            "{case}: {key}"
        );
        assert!(json["classes_"].is_array(), "{case}");

        let proba = dir.join(format!("{case}_proba.npy"));
        let out = spmd_learn(&[
            "transform",
            "--model",
            model.to_str().unwrap(),
            "--x",
            x.to_str().unwrap(),
            "--out",
            proba.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{case}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let proba = npy(&proba);
        let want = npy(&classification_fixture(&format!("{case}_proba.npy")));
        assert!(
            max_abs_diff(proba.iter().copied(), want.iter().copied()) < 1e-4,
            "{case}: proba"
        );

        let labels = dir.join(format!("{case}_labels.npy"));
        let out = spmd_learn(&[
            "predict",
            "--model",
            model.to_str().unwrap(),
            "--x",
            x.to_str().unwrap(),
            "--out",
            labels.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{case}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let labels = npy(&labels);
        let classes: Vec<f64> = json["classes_"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_f64().unwrap())
            .collect();
        assert_eq!(labels.len(), proba.shape()[0]);
        for (row, label) in proba.outer_iter().zip(labels.iter()) {
            let best = (0..row.len()).fold(0, |b, c| if row[c] > row[b] { c } else { b });
            assert_eq!(classes[best], *label, "{case}");
        }
    }
    let x = classification_fixture("nb_x.npy");
    let y = classification_fixture("nb_y.npy");
    let model = dir.join("bad.json");
    let out = spmd_learn(&[
        "fit",
        "logistic-regression",
        "--x",
        x.to_str().unwrap(),
        "--y",
        y.to_str().unwrap(),
        "--param",
        "solver=sag",
        "--out",
        model.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("sag") && stderr.contains("lbfgs"),
        "{stderr}"
    );
    assert!(!model.exists());
}

fn preprocessing_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/preprocessing")
        .join(name)
}

/// A list of numbers, or a list of lists, flattened.
fn flatten(v: &serde_json::Value) -> Vec<f64> {
    match v {
        serde_json::Value::Array(items) => items.iter().flat_map(flatten).collect(),
        other => other.as_f64().into_iter().collect(),
    }
}

#[test]
fn scalers_fit_transform_and_invert_like_sklearn() {
    let dir = scratch("scalers");
    let cases: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(preprocessing_fixture("cases.json")).unwrap(),
    )
    .unwrap();
    let (x, w, x_new) = (
        preprocessing_fixture("x.npy"),
        preprocessing_fixture("weights.npy"),
        preprocessing_fixture("x_new.npy"),
    );
    for case in cases["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let model = dir.join(format!("{name}.json"));
        let params: Vec<String> = case["params"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let mut args = vec![
            "fit",
            case["estimator"].as_str().unwrap(),
            "--x",
            x.to_str().unwrap(),
            "--out",
            model.to_str().unwrap(),
        ];
        if case["weighted"].as_bool().unwrap() {
            args.extend(["--sample-weight", w.to_str().unwrap()]);
        }
        for p in &params {
            args.extend(["--param", p.as_str()]);
        }
        let out = spmd_learn(&args);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
        for (attribute, want) in case["attributes"].as_object().unwrap() {
            let (got, want) = (flatten(&json[attribute]), flatten(want));
            assert_eq!(got.len(), want.len(), "{name} {attribute}");
            let scale = want.iter().fold(1e-300_f64, |m, v| m.max(v.abs()));
            assert!(
                max_abs_diff(got, want) <= 1e-12 * scale,
                "{name} {attribute}"
            );
        }

        let (scaled, back) = (
            dir.join(format!("{name}_t.npy")),
            dir.join(format!("{name}_i.npy")),
        );
        for (command, input, output) in [
            ("transform", &x_new, &scaled),
            ("inverse-transform", &scaled, &back),
        ] {
            let out = spmd_learn(&[
                command,
                "--model",
                model.to_str().unwrap(),
                "--x",
                input.to_str().unwrap(),
                "--out",
                output.to_str().unwrap(),
            ]);
            assert!(
                out.status.success(),
                "{name} {command}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // The inverse of the transform, as scikit-learn inverts it (clipped values stay
        // clipped); values near 1e6 in one column: 1e-12 of the largest.
        let want = flatten(&case["inverse"]);
        let scale = want.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        let err = max_abs_diff(npy(&back).iter().copied(), want);
        assert!(err <= 1e-12 * scale, "{name} inverse: {err:e} of {scale:e}");
        let want = flatten(&case["transformed"]);
        let got: Vec<f64> = npy(&scaled).iter().copied().collect();
        let scale = want.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        // x - mean loses digits at 1e6 in any f64 code (see tests/common/preprocessing.rs).
        assert!(max_abs_diff(got, want) <= 1e-9 * scale, "{name} transform");
    }
}

#[test]
fn f32_files_reach_the_f32_path_and_match_sklearn() {
    use ndarray::Array2;
    let dir = scratch("kmeans32");
    let km = |name: &str| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/kmeans")
            .join(name)
    };
    let x32: Array2<f32> = npy(&km("x.npy"))
        .into_dimensionality::<ndarray::Ix2>()
        .unwrap()
        .mapv(|v| v as f32);
    let x_file = dir.join("x32.npy");
    x32.write_npy(std::fs::File::create(&x_file).unwrap())
        .unwrap();
    let model = dir.join("km32.json");
    let init_param = format!("init={}", km("given_init.npy").display());
    let out = spmd_learn(&[
        "fit",
        "kmeans",
        "--x",
        x_file.to_str().unwrap(),
        "--param",
        "n_clusters=5",
        "--param",
        &init_param,
        "--out",
        model.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    let got = flatten(&json["cluster_centers_"]);
    let want: Vec<f64> = npy(&km("given_centers.npy")).iter().copied().collect();
    let scale = want.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    assert!(max_abs_diff(got.iter().copied(), want) <= 1e-5 * scale);

    // The same fit through the Rust API on the f32 rows: the CLI took the same path.
    use spmd_core::cluster::{Init, KMeans};
    let init: Array2<f64> = npy(&km("given_init.npy")).into_dimensionality().unwrap();
    let fitted = KMeans::new(5)
        .init(Init::Given(init))
        .comm(spmd_core::Comm::single())
        .fit(&x32, None)
        .unwrap();
    let api: Vec<f64> = fitted.cluster_centers().iter().copied().collect();
    // Threads add partial sums in any order: equal to rounding. The f64 path would differ by
    // about 1e-7 (f32 products).
    assert!(max_abs_diff(got, api) <= 1e-12 * scale);
}

#[test]
fn gpu_stats_print_one_line_per_rank_with_the_traffic_and_kernel_time() {
    if spmd_core::Queue::shared_for_tests().is_none() {
        return;
    }
    let dir = scratch("gpu-stats");
    let model = dir.join("model.json");
    let (x, y) = (fixture("ols_basic_x.npy"), fixture("ols_basic_y.npy"));
    let args = [
        "fit",
        "linear-regression",
        "--gpu",
        "--out",
        model.to_str().unwrap(),
        "--x",
        x.to_str().unwrap(),
        "--y",
        y.to_str().unwrap(),
    ];
    let out = spmd_learn_with(&args, &[("SPMD_GPU_STATS", "1")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.starts_with("gpu stats: "))
        .unwrap_or_else(|| panic!("no stats line in {stderr}"));
    let fields: Vec<(&str, &str)> = line["gpu stats: ".len()..]
        .split(' ')
        .map(|f| f.split_once('=').expect("name=value"))
        .collect();
    let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "rank",
            "submits",
            "waits",
            "uploaded_bytes",
            "readback_bytes",
            "kernel_ms"
        ]
    );
    for (name, value) in &fields[..5] {
        assert!(value.parse::<u64>().is_ok(), "{name}={value}");
    }
    let kernel_ms = fields[5].1;
    assert!(
        kernel_ms == "na" || kernel_ms.parse::<f64>().is_ok_and(|ms| ms >= 0.0),
        "kernel_ms={kernel_ms}"
    );
}

/// `SPMD_COMM_STATS=1` prints one line of the communicator's counters at the end: on one
/// process a fit's collectives are copies, counted all the same (its reductions move the
/// Gram's bytes).
#[test]
fn comm_stats_print_one_line_with_the_collectives_and_their_bytes() {
    let dir = scratch("comm-stats");
    let model = dir.join("model.json");
    let (x, y) = (fixture("ols_basic_x.npy"), fixture("ols_basic_y.npy"));
    let args = [
        "fit",
        "linear-regression",
        "--out",
        model.to_str().unwrap(),
        "--x",
        x.to_str().unwrap(),
        "--y",
        y.to_str().unwrap(),
    ];
    let out = spmd_learn_with(&args, &[("SPMD_COMM_STATS", "1")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.starts_with("comm stats: "))
        .unwrap_or_else(|| panic!("no stats line in {stderr}"));
    let fields: std::collections::HashMap<&str, &str> = line["comm stats: ".len()..]
        .split(' ')
        .map(|f| f.split_once('=').expect("name=value"))
        .collect();
    let number = |name: &str| fields[name].parse::<f64>().expect("a number");
    assert_eq!((number("rank"), number("size")), (0.0, 1.0));
    assert!(number("allreduce") >= 1.0, "{line}");
    assert!(
        number("sent_bytes") > 0.0 && number("received_bytes") > 0.0,
        "{line}"
    );
    assert_eq!(number("ring_steps"), 0.0, "{line}");
    assert!(number("seconds") >= 0.0, "{line}");
    let without = spmd_learn_with(&args, &[]);
    let quiet = String::from_utf8_lossy(&without.stderr);
    assert!(!quiet.contains("comm stats"), "{quiet}");
}

/// The neighbour estimators: the model points at the training files; predict, transform and
/// kneighbors read them again and match scikit-learn; a changed training file is an error.
#[test]
fn neighbour_models_point_at_their_training_files_and_match_sklearn() {
    let dir = scratch("neighbors");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/neighbors");
    let ints = |name: &str| {
        ArrayD::<i64>::read_npy(std::fs::File::open(fixtures.join(name)).unwrap())
            .unwrap()
            .mapv(|v| v as f64)
    };
    let floats = |name: &str| npy(&fixtures.join(name));
    for name in ["x.npy", "labels.npy", "targets.npy"] {
        std::fs::copy(fixtures.join(name), dir.join(name)).unwrap();
    }
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let queries = fixtures.join("queries.npy").to_str().unwrap().to_string();
    let run = |args: &[&str]| {
        let out = spmd_learn(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let close = |got: ArrayD<f64>, want: ArrayD<f64>, what: &str| {
        assert_eq!(got.shape(), want.shape(), "{what}");
        assert!(
            max_abs_diff(got.iter().copied(), want.iter().copied()) < 1e-10,
            "{what}"
        );
    };
    let fit = |estimator: &str, y: Option<&str>, model: &str| {
        let (x, model) = (path("x.npy"), path(model));
        let mut args = vec!["fit", estimator, "--x", &x, "--param", "weights=distance"];
        let y = y.map(path);
        if let Some(y) = &y {
            args.extend(["--y", y]);
        }
        if estimator == "nearest-neighbors" {
            args.truncate(4);
        }
        args.extend(["--out", &model]);
        run(&args);
    };

    fit("knn-classifier", Some("labels.npy"), "c.json");
    let (model, out) = (path("c.json"), path("out.npy"));
    run(&["predict", "--model", &model, "--x", &queries, "--out", &out]);
    let want = ints("minkowski_p2_distance_predict.npy");
    close(npy(Path::new(&out)), want, "classifier predict");
    run(&[
        "transform",
        "--model",
        &model,
        "--x",
        &queries,
        "--out",
        &out,
    ]);
    close(
        npy(Path::new(&out)),
        floats("minkowski_p2_distance_proba.npy"),
        "predict_proba",
    );

    fit("knn-regressor", Some("targets.npy"), "r.json");
    let model = path("r.json");
    run(&["predict", "--model", &model, "--x", &queries, "--out", &out]);
    close(
        npy(Path::new(&out)),
        floats("minkowski_p2_distance_regress.npy"),
        "regressor",
    );

    fit("nearest-neighbors", None, "n.json");
    let (model, distances) = (path("n.json"), path("d.npy"));
    let args = [
        "kneighbors",
        "--model",
        &model,
        "--x",
        &queries,
        "--out",
        &out,
    ];
    run(&[&args[..], &["--out-distances", &distances]].concat());
    close(
        npy(Path::new(&out)),
        ints("minkowski_p2_uniform_indices.npy"),
        "indices",
    );
    let want = floats("minkowski_p2_uniform_distances.npy");
    close(npy(Path::new(&distances)), want, "distances");
    // The GPU lists the candidates; the neighbours are the same.
    if spmd_core::Queue::shared_for_tests().is_some() {
        run(&[&args[..], &["--out-distances", &distances, "--gpu"]].concat());
        let want = ints("minkowski_p2_uniform_indices.npy");
        close(npy(Path::new(&out)), want, "indices on the GPU");
        let want = floats("minkowski_p2_uniform_distances.npy");
        close(npy(Path::new(&distances)), want, "distances on the GPU");
    }
    let text = std::fs::read_to_string(&model).unwrap();
    assert!(
        text.contains("training_files") && !text.contains("0.5"),
        "{text}"
    );

    // A changed training file: the model no longer describes it.
    let mut x = npy(&dir.join("x.npy"));
    x[[0, 0]] += 1.0;
    x.write_npy(std::fs::File::create(dir.join("x.npy")).unwrap())
        .unwrap();
    let out = spmd_learn(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("changed since it was fitted"),
        "{stderr}"
    );
}

/// Neighbour models fitted on Parquet: `--columns` and `--y-column` (recorded in the model and
/// used again when the training rows are read back), a dataset directory (checksummed file by
/// file), and `kneighbors --columns`; the answers equal the `.npy` fit's.
#[cfg(feature = "parquet")]
#[test]
fn neighbour_models_read_parquet_columns_like_the_npy_path() {
    let dir = scratch("neighbors_columnar");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/columnar");
    let input = |name: &str| fixtures.join(name).to_str().unwrap().to_string();
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let run = |args: &[&str]| {
        let out = spmd_learn(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.success(), stderr)
    };
    let ok = |args: &[&str]| {
        let (success, stderr) = run(args);
        assert!(success, "{args:?}: {stderr}");
    };
    std::fs::copy(fixtures.join("table.parquet"), dir.join("table.parquet")).unwrap();
    let fit = |estimator: &str, x: &str, extra: &[&str], model: &str| {
        let mut args = vec!["fit", estimator, "--x", x, "--param", "n_neighbors=3"];
        args.extend_from_slice(extra);
        args.extend(["--out", model]);
        ok(&args);
    };
    let apply = |verb: &str, model: &str, x: &str, extra: &[&str], out: &str| {
        let mut args = vec![verb, "--model", model, "--x", x, "--out", out];
        args.extend_from_slice(extra);
        ok(&args);
        npy(Path::new(out))
    };

    // The regressor: features a, b, c and the target column of a table with a string column.
    let (npy_model, parquet_model) = (path("r_npy.json"), path("r_parquet.json"));
    fit(
        "knn-regressor",
        &input("x.npy"),
        &["--y", &input("y.npy")],
        &npy_model,
    );
    let table = path("table.parquet");
    let choice = ["--columns", "a,b,c", "--y-column", "target"];
    fit("knn-regressor", &table, &choice, &parquet_model);
    let text = std::fs::read_to_string(&parquet_model).unwrap();
    assert!(
        text.contains("\"y_column\": \"target\"") && text.contains("\"columns\": \"a,b,c\""),
        "{text}"
    );
    let queries = input("x.parquet");
    let want = apply("predict", &npy_model, &queries, &[], &path("want.npy"));
    let got = apply("predict", &parquet_model, &queries, &[], &path("got.npy"));
    assert_eq!(got, want, "regressor from Parquet columns");
    // kneighbors takes a column choice for its queries too.
    let want = apply(
        "kneighbors",
        &npy_model,
        &queries,
        &[],
        &path("want_idx.npy"),
    );
    let got = apply(
        "kneighbors",
        &parquet_model,
        &table,
        &["--columns", "a,b,c"],
        &path("got_idx.npy"),
    );
    assert_eq!(got, want, "kneighbors with --columns");
    // Queries under other names are refused, as predict refuses them.
    let (success, stderr) = run(&[
        "kneighbors",
        "--model",
        &parquet_model,
        "--x",
        &input("renamed.parquet"),
        "--out",
        &path("idx.npy"),
    ]);
    assert!(
        !success && stderr.contains("fitted on the columns"),
        "{stderr}"
    );
    // No sample weights, as in scikit-learn.
    let (success, stderr) = run(&[
        "fit",
        "knn-regressor",
        "--x",
        &table,
        "--columns",
        "a,b,c",
        "--y-column",
        "target",
        "--sample-weight-column",
        "weight",
        "--out",
        &path("w.json"),
    ]);
    assert!(
        !success && stderr.contains("KNeighborsRegressor does not take sample weights"),
        "{stderr}"
    );

    // A dataset directory: the same search as the one file's, until one of its files changes.
    let dataset = dir.join("x_dataset");
    std::fs::create_dir_all(&dataset).unwrap();
    for part in ["part-0", "part-1", "part-2"] {
        let name = format!("{part}.parquet");
        std::fs::copy(fixtures.join("x_dataset").join(&name), dataset.join(&name)).unwrap();
    }
    let model = path("n_dataset.json");
    fit("nearest-neighbors", dataset.to_str().unwrap(), &[], &model);
    let got = apply("kneighbors", &model, &queries, &[], &path("ds_idx.npy"));
    assert_eq!(got, want, "a dataset directory");
    std::fs::copy(
        fixtures.join("x_dataset/part-0.parquet"),
        dataset.join("part-2.parquet"),
    )
    .unwrap();
    let (success, stderr) = run(&[
        "kneighbors",
        "--model",
        &model,
        "--x",
        &queries,
        "--out",
        &path("idx.npy"),
    ]);
    assert!(
        !success && stderr.contains("changed since it was fitted"),
        "{stderr}"
    );
}

/// `dbscan`: `--out-local` writes scikit-learn's labels (weights from `--sample-weight`); the
/// model holds the parameters and the counts, no per-row arrays.
#[test]
fn dbscan_writes_scikit_learns_labels_and_a_small_model() {
    let dir = scratch("dbscan");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/dbscan");
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let (model, labels) = (path("dbscan.json"), path("labels_{rank}.npy"));
    let x = fixtures.join("blobs.npy").to_str().unwrap().to_string();
    let w = fixtures.join("weights.npy").to_str().unwrap().to_string();
    let out = spmd_learn(&[
        "fit",
        "dbscan",
        "--x",
        &x,
        "--sample-weight",
        &w,
        "--param",
        "eps=0.7",
        "--param",
        "min_samples=6",
        "--out",
        &model,
        "--out-local",
        &labels,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = ArrayD::<i64>::read_npy(
        std::fs::File::open(fixtures.join("blobs_weighted_labels.npy")).unwrap(),
    )
    .unwrap();
    let got = npy(&dir.join("labels_0.npy"));
    assert_eq!(got.len(), want.len());
    assert!(got.iter().zip(&want).all(|(&g, &w)| g == w as f64));
    let text = std::fs::read_to_string(&model).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["n_clusters_"], 4, "{text}");
    // Unweighted, on the GPU: scikit-learn's labels again.
    if spmd_core::Queue::shared_for_tests().is_some() {
        let out = spmd_learn(&[
            "fit",
            "dbscan",
            "--x",
            &x,
            "--param",
            "eps=0.7",
            "--out",
            &model,
            "--out-local",
            &labels,
            "--gpu",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let want = ArrayD::<i64>::read_npy(
            std::fs::File::open(fixtures.join("blobs_euclidean_labels.npy")).unwrap(),
        )
        .unwrap();
        let got = npy(&dir.join("labels_0.npy"));
        assert!(got.iter().zip(&want).all(|(&g, &w)| g == w as f64));
    }
    assert!(text.len() < 400, "{text}");
    let out = spmd_learn(&[
        "fit",
        "dbscan",
        "--x",
        &x,
        "--param",
        "metric=cosine",
        "--out",
        &model,
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("metric"),
        "{stderr}"
    );
}

/// `hdbscan`: `--out-local` writes scikit-learn's labels (-3 for rows with a NaN), on the CPU and
/// with `--gpu`; the model holds the parameters, the counts and the centres asked for.
#[test]
fn hdbscan_writes_scikit_learns_labels_and_a_small_model() {
    let dir = scratch("hdbscan");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/hdbscan");
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let (model, labels) = (path("hdbscan.json"), path("labels_{rank}.npy"));
    for (data, case, extra) in [
        (
            "varied",
            "varied_centers",
            vec![
                "--param",
                "min_cluster_size=15",
                "--param",
                "store_centers=both",
            ],
        ),
        (
            "nonfinite",
            "nonfinite",
            vec!["--param", "min_cluster_size=8"],
        ),
        // The core distances' neighbours searched on the GPU (lavapipe in CI).
        (
            "varied",
            "varied",
            vec!["--param", "min_cluster_size=15", "--gpu"],
        ),
    ] {
        if extra.contains(&"--gpu") && spmd_core::Queue::shared_for_tests().is_none() {
            continue;
        }
        let x = fixtures
            .join(format!("{data}.npy"))
            .to_str()
            .unwrap()
            .to_string();
        let mut words = vec![
            "fit",
            "hdbscan",
            "--x",
            &x,
            "--out",
            &model,
            "--out-local",
            &labels,
        ];
        words.extend(extra);
        let out = spmd_learn(&words);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let want = ArrayD::<i64>::read_npy(
            std::fs::File::open(fixtures.join(format!("{case}_labels.npy"))).unwrap(),
        )
        .unwrap();
        let got = npy(&dir.join("labels_0.npy"));
        assert_eq!(got.len(), want.len());
        assert!(
            got.iter().zip(&want).all(|(&g, &w)| g == w as f64),
            "{case}"
        );
        let text = std::fs::read_to_string(&model).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let clusters = want.iter().copied().max().unwrap() + 1;
        assert_eq!(json["n_clusters_"], clusters, "{text}");
        if case == "varied_centers" {
            let centroids = json["centroids_"].as_array().unwrap();
            assert_eq!(centroids.len() as i64, clusters, "{text}");
            assert_eq!(json["medoids_"].as_array().unwrap().len() as i64, clusters);
        }
    }
    let x = fixtures.join("small.npy").to_str().unwrap().to_string();
    let out = spmd_learn(&[
        "fit",
        "hdbscan",
        "--x",
        &x,
        "--param",
        "metric=cosine",
        "--out",
        &model,
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("metric"),
        "{stderr}"
    );
}

/// Parquet (snappy and zstd, several row groups), a directory of Parquet files and an Arrow IPC
/// file give the same model and predictions as the same rows in `.npy`; every numeric type is
/// read as its value; a null or a string column is an error naming the column (and the row).
#[cfg(feature = "parquet")]
#[test]
fn parquet_and_arrow_inputs_equal_the_npy_path() {
    let dir = scratch("columnar");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/columnar");
    let input = |name: &str| fixtures.join(name).to_str().unwrap().to_string();
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let run = |args: &[&str]| {
        let out = spmd_learn(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let fit = |x: &str, y: &str, model: &str| {
        run(&[
            "fit",
            "linear-regression",
            "--x",
            x,
            "--y",
            y,
            "--out",
            model,
        ]);
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(model).unwrap()).unwrap();
        json["coef_"].clone()
    };
    let want = fit(&input("x.npy"), &input("y.npy"), &path("npy.json"));
    let predicted = path("npy_pred.npy");
    run(&[
        "predict",
        "--model",
        &path("npy.json"),
        "--x",
        &input("x.npy"),
        "--out",
        &predicted,
    ]);
    let predicted = npy(Path::new(&predicted));
    for x in ["x.parquet", "x_zstd.parquet", "x_dataset", "x.arrow"] {
        let model = path(&format!("{x}.json"));
        assert_eq!(fit(&input(x), &input("y.parquet"), &model), want, "{x}");
        let out = path(&format!("{x}_pred.npy"));
        run(&[
            "predict",
            "--model",
            &model,
            "--x",
            &input(x),
            "--out",
            &out,
        ]);
        assert_eq!(npy(Path::new(&out)), predicted, "{x}");
    }
    // Predictions written as Parquet: one float64 column per output.
    let out = path("pred.parquet");
    run(&[
        "predict",
        "--model",
        &path("npy.json"),
        "--x",
        &input("x.npy"),
        "--out",
        &out,
    ]);
    let file = std::fs::File::open(&out).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let mut values = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        assert_eq!(batch.schema().field(0).name(), "0");
        let column = batch.column(0);
        let column = arrow_array::cast::AsArray::as_primitive::<arrow_array::types::Float64Type>(
            column.as_ref(),
        );
        values.extend(column.values().iter().copied());
    }
    assert_eq!(values, predicted.iter().copied().collect::<Vec<_>>());
    // Every numeric type, as its value.
    let scaler = path("scaler.json");
    run(&[
        "fit",
        "max-abs-scaler",
        "--x",
        &input("types.npy"),
        "--out",
        &scaler,
    ]);
    let (a, b) = (path("types_npy.npy"), path("types_parquet.npy"));
    run(&[
        "transform",
        "--model",
        &scaler,
        "--x",
        &input("types.npy"),
        "--out",
        &a,
    ]);
    run(&[
        "transform",
        "--model",
        &scaler,
        "--x",
        &input("types.parquet"),
        "--out",
        &b,
    ]);
    assert_eq!(npy(Path::new(&a)), npy(Path::new(&b)));
    // float32 columns stay f32 and give the f32 rows' model.
    let (f32_model, f32_npy) = (path("f32.json"), path("x_f32.npy"));
    let x32 = npy(&fixtures.join("x.npy")).mapv(|v| v as f32);
    x32.write_npy(std::fs::File::create(&f32_npy).unwrap())
        .unwrap();
    let from_npy = fit(&f32_npy, &input("y.npy"), &f32_model);
    assert_eq!(
        fit(&input("x_f32.parquet"), &input("y.npy"), &f32_model),
        from_npy
    );
    let fails = |args: &[&str], says: &str| {
        let out = spmd_learn(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains(says),
            "{args:?}: {stderr}"
        );
    };
    let nulls = input("nulls.parquet");
    fails(
        &["fit", "standard-scaler", "--x", &nulls, "--out", &scaler],
        "column \"b\" holds a null at row 13",
    );
    let strings = input("strings.parquet");
    fails(
        &[
            "fit",
            "standard-scaler",
            "--x",
            &strings,
            "--columns",
            "a,name",
            "--out",
            &scaler,
        ],
        "column \"name\" is of type Utf8",
    );
    // Nulls as NaN reach the estimator, which refuses NaN.
    let args = [
        "fit",
        "standard-scaler",
        "--x",
        &nulls,
        "--null-as-nan",
        "--out",
        &scaler,
    ];
    fails(&args, "NaN at row 13, column 1");

    // Features, target and weights from one table: by names or positions; the model keeps
    // the feature names and predict checks them. (A forest: the linear models take no weights.)
    let table = input("table.parquet");
    let forest = ["--param", "n_estimators=3", "--param", "random_state=0"];
    let weighted = |extra: &[&str], model: &str| {
        let mut args = vec![
            "fit",
            "random-forest-regressor",
            "--x",
            &table,
            "--y-column",
            "target",
        ];
        args.extend_from_slice(extra);
        args.extend_from_slice(&forest);
        args.extend(["--sample-weight-column", "weight", "--out", model]);
        run(&args);
        std::fs::read_to_string(model).unwrap()
    };
    let (by_name, by_npy) = (path("by_name.json"), path("by_npy.json"));
    let named = weighted(&["--columns", "a,b,c"], &by_name);
    let (x_npy, y_npy, w_npy) = (input("x.npy"), input("y.npy"), input("w.npy"));
    run(&[
        "fit",
        "random-forest-regressor",
        "--x",
        &x_npy,
        "--y",
        &y_npy,
        "--sample-weight",
        &w_npy,
        "--param",
        "n_estimators=3",
        "--param",
        "random_state=0",
        "--out",
        &by_npy,
    ]);
    let coef = |text: &str| {
        serde_json::from_str::<serde_json::Value>(text).unwrap()["feature_importances_"].clone()
    };
    assert_eq!(
        coef(&named),
        coef(&std::fs::read_to_string(&by_npy).unwrap())
    );
    assert!(named.contains("\"feature_names_in_\""), "{named}");
    let out = path("by_name_pred.npy");
    run(&[
        "predict",
        "--model",
        &by_name,
        "--x",
        &input("x.parquet"),
        "--out",
        &out,
    ]);
    run(&[
        "predict",
        "--model",
        &by_name,
        "--x",
        &table,
        "--columns",
        "a,b,c",
        "--out",
        &out,
    ]);
    let renamed = input("renamed.parquet");
    fails(
        &[
            "predict", "--model", &by_name, "--x", &renamed, "--out", &out,
        ],
        "fitted on the columns [\"a\", \"b\", \"c\"]",
    );
    // The default choice is every numeric column but the target and weights (the string
    // column is left out): the same model.
    let by_default = path("by_default.json");
    assert_eq!(coef(&weighted(&[], &by_default)), coef(&named));
    let err_model = path("err.json");
    let fit_table = |extra: &[&str]| {
        let mut args = vec!["fit", "ridge", "--x", &table, "--y-column", "target"];
        args.extend_from_slice(extra);
        args.extend(["--out", &err_model]);
        args.iter().map(|a| a.to_string()).collect::<Vec<_>>()
    };
    let missing = fit_table(&["--columns", "a,zz"]);
    let missing: Vec<&str> = missing.iter().map(String::as_str).collect();
    fails(&missing, "has no column \"zz\"");
}
