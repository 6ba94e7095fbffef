//! The command line under `mpirun`, in-process: ranks split one file by rows or read `{rank}`
//! shards, and the model equals scikit-learn's fit of all the rows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
mod harness;

use common::{linear_cases, rel_err};
use harness::{ensure, Harness};
use ndarray::{s, ArrayD};
use ndarray_npy::{ReadNpyExt, WriteNpyExt};
use spmd_learn::comm::Comm;

fn run(comm: &Comm, args: &[&str]) -> Result<(), String> {
    let mut argv = vec!["spmd-learn"];
    argv.extend_from_slice(args);
    let cli = <spmd_cli::Cli as clap::Parser>::try_parse_from(argv).map_err(|e| e.to_string())?;
    spmd_cli::run_parsed(comm, cli).map_err(|e| e.to_string())
}

/// A matrix attribute (`coef_`, `cluster_centers_`) of a model file, flattened.
fn read_matrix_attribute(model: &std::path::Path, name: &str) -> Result<Vec<f64>, String> {
    let text = std::fs::read_to_string(model).map_err(|e| e.to_string())?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    Ok(json[name]
        .as_array()
        .ok_or(format!("{name} is not a list"))?
        .iter()
        .flat_map(|r| {
            r.as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_f64())
        })
        .collect())
}

/// Fits linear-regression on the files `x` and `y` (shared by the ranks), predicts `x` into one
/// gathered file, and checks both against scikit-learn's fit of `case`.
fn fit_predict_matches(
    c: &Comm,
    case: &common::LinearCase,
    x: &std::path::Path,
    y: &std::path::Path,
    model: &std::path::Path,
    pred: &std::path::Path,
) -> Result<(), String> {
    let path = |p: &std::path::Path| p.to_str().unwrap_or_default().to_string();
    let (x, y, model_path, pred_path) = (path(x), path(y), path(model), path(pred));
    run(
        c,
        &[
            "fit",
            "linear-regression",
            "--x",
            &x,
            "--y",
            &y,
            "--out",
            &model_path,
        ],
    )?;
    run(
        c,
        &[
            "predict",
            "--model",
            &model_path,
            "--x",
            &x,
            "--out",
            &pred_path,
        ],
    )?;
    c.barrier().map_err(|e| e.to_string())?;
    let coef = read_matrix_attribute(model, "coef_")?;
    ensure(rel_err(&coef, case.coef.iter()) < 1e-9, || {
        "coef_ differs from sklearn".into()
    })?;
    let got = ArrayD::<f64>::read_npy(std::fs::File::open(pred).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    ensure(rel_err(got.iter(), case.pred.iter()) < 1e-9, || {
        "gathered predictions differ".into()
    })
}

fn main() {
    let mut h = Harness::new("mpi_cli");
    let dir = std::env::temp_dir().join(format!(
        "spmd-learn-mpi-cli-{}",
        std::env::var("OMPI_COMM_WORLD_SIZE").unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let case = linear_cases()
        .into_iter()
        .find(|c| c.name == "ols_multi")
        .expect("fixture");
    let x_file = common::fixtures_dir().join("ols_multi_x.npy");
    let y_file = common::fixtures_dir().join("ols_multi_y.npy");

    h.run(
        "ranks split one .npy by rows; fit and gathered predict match sklearn",
        |c| {
            let model = dir.join("split.json");
            let pred = dir.join("split_pred.npy");
            fit_predict_matches(c, &case, &x_file, &y_file, &model, &pred)
        },
    );

    h.run(
        "a shared CSV split by bytes, y from another CSV by rows, predictions on rank 0",
        |c| {
            let (x_csv, y_csv) = (dir.join("shared_x.csv"), dir.join("shared_y.csv"));
            let (model, pred) = (dir.join("csv.json"), dir.join("csv_pred.npy"));
            if c.is_root() {
                let header = (0..case.x.ncols())
                    .map(|j| format!("f{j}"))
                    .collect::<Vec<_>>();
                let mut text = header.join(",") + "\n";
                for row in case.x.rows() {
                    let cells: Vec<String> = row.iter().map(|v| format!("{v:?}")).collect();
                    text += &(cells.join(",") + "\r\n");
                }
                std::fs::write(&x_csv, text).map_err(|e| e.to_string())?;
                let mut text = String::from("target\n");
                for row in case.y.rows() {
                    let cells: Vec<String> = row.iter().map(|v| format!("{v:?}")).collect();
                    text += &(cells.join(",") + "\n");
                }
                std::fs::write(&y_csv, text).map_err(|e| e.to_string())?;
            }
            c.barrier().map_err(|e| e.to_string())?;
            fit_predict_matches(c, &case, &x_csv, &y_csv, &model, &pred)
        },
    );

    h.run(
        "standard-scaler with weights over ranks equals scikit-learn",
        |c| {
            let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/preprocessing");
            let model = dir.join("scaler.json");
            run(
                c,
                &[
                    "fit",
                    "standard-scaler",
                    "--x",
                    fixtures.join("x.npy").to_str().unwrap(),
                    "--sample-weight",
                    fixtures.join("weights.npy").to_str().unwrap(),
                    "--out",
                    model.to_str().unwrap(),
                ],
            )?;
            c.barrier().map_err(|e| e.to_string())?;
            let cases: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(fixtures.join("cases.json")).map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string())?;
            let case = cases["cases"]
                .as_array()
                .and_then(|all| all.iter().find(|k| k["name"] == "standard_weighted"))
                .ok_or("no standard_weighted case")?;
            for attribute in ["mean_", "var_", "scale_"] {
                let want: Vec<f64> = serde_json::from_value(case["attributes"][attribute].clone())
                    .map_err(|e| e.to_string())?;
                let text = std::fs::read_to_string(&model).map_err(|e| e.to_string())?;
                let json: serde_json::Value =
                    serde_json::from_str(&text).map_err(|e| e.to_string())?;
                let got: Vec<f64> =
                    serde_json::from_value(json[attribute].clone()).map_err(|e| e.to_string())?;
                ensure(rel_err(&got, &want) < 1e-12, || {
                    format!("{attribute} differs")
                })?;
            }
            Ok(())
        },
    );

    h.run(
        "{rank} shards with an empty rank give the same model",
        |c| {
            // Rank r holds rows r*10.. of the first 10*(size-1) rows; the last rank the rest; rank 0
            // none when there are several ranks.
            let n = case.x.nrows();
            let p = c.size();
            let bounds: Vec<usize> = (0..=p)
                .map(|r| {
                    if r == 0 {
                        0
                    } else if r == p {
                        n
                    } else {
                        (r - 1) * n / p.max(2)
                    }
                })
                .collect();
            let (a, b) = (bounds[c.rank()], bounds[c.rank() + 1].max(bounds[c.rank()]));
            let xs = dir.join(format!("x_{}.npy", c.rank()));
            let ys = dir.join(format!("y_{}.npy", c.rank()));
            case.x
                .slice(s![a..b, ..])
                .to_owned()
                .write_npy(std::fs::File::create(&xs).unwrap())
                .map_err(|e| e.to_string())?;
            case.y
                .slice(s![a..b, ..])
                .to_owned()
                .write_npy(std::fs::File::create(&ys).unwrap())
                .map_err(|e| e.to_string())?;
            let model = dir.join("shards.json");
            let xp = dir.join("x_{rank}.npy");
            let yp = dir.join("y_{rank}.npy");
            run(
                c,
                &[
                    "fit",
                    "ridge",
                    "--param",
                    "alpha=0",
                    "--x",
                    xp.to_str().unwrap(),
                    "--y",
                    yp.to_str().unwrap(),
                    "--out",
                    model.to_str().unwrap(),
                ],
            )?;
            c.barrier().map_err(|e| e.to_string())?;
            let coef = read_matrix_attribute(&model, "coef_")?;
            ensure(rel_err(&coef, case.coef.iter()) < 1e-9, || {
                "coef_ differs from sklearn".into()
            })
        },
    );

    h.run(
        "a bad shard on one rank fails every rank and writes no model",
        |c| {
            let model = dir.join("bad.json");
            let _ = std::fs::remove_file(&model);
            c.barrier().map_err(|e| e.to_string())?;
            let xp = dir.join("bad_x_{rank}.npy");
            let mine = dir.join(format!("bad_x_{}.npy", c.rank()));
            let mut x = case.x.clone();
            if c.rank() == c.size() - 1 {
                x[[2, 2]] = f64::INFINITY;
            }
            x.write_npy(std::fs::File::create(&mine).unwrap())
                .map_err(|e| e.to_string())?;
            let yp = dir.join("bad_y_{rank}.npy");
            case.y
                .write_npy(
                    std::fs::File::create(dir.join(format!("bad_y_{}.npy", c.rank()))).unwrap(),
                )
                .map_err(|e| e.to_string())?;
            let result = run(
                c,
                &[
                    "fit",
                    "linear-regression",
                    "--x",
                    xp.to_str().unwrap(),
                    "--y",
                    yp.to_str().unwrap(),
                    "--out",
                    model.to_str().unwrap(),
                ],
            );
            c.barrier().map_err(|e| e.to_string())?;
            ensure(!model.exists(), || {
                "model written despite the failure".into()
            })?;
            match result {
                Err(e) if e.contains("inf") => Ok(()),
                other => Err(format!("unexpected outcome {other:?}")),
            }
        },
    );
    h.run(
        "kmeans on one shared file: same centres as one process for the same seed",
        |c| {
            let x_file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/kmeans/x.npy");
            let model = dir.join("kmeans.json");
            run(
                c,
                &[
                    "fit",
                    "kmeans",
                    "--x",
                    x_file.to_str().unwrap(),
                    "--param",
                    "n_clusters=5",
                    "--param",
                    "init=k-means||",
                    "--param",
                    "random_state=3",
                    "--out",
                    model.to_str().unwrap(),
                ],
            )?;
            c.barrier().map_err(|e| e.to_string())?;
            let got = read_matrix_attribute(&model, "cluster_centers_")?;
            let x: ndarray::Array2<f64> = ndarray::ArrayD::<f64>::read_npy(
                std::fs::File::open(&x_file).map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string())?
            .into_dimensionality()
            .map_err(|e| e.to_string())?;
            let reference = spmd_learn::cluster::KMeans::new(5)
                .init(spmd_learn::cluster::Init::KMeansParallel)
                .random_state(3)
                .comm(Comm::single())
                .fit(&x, None)
                .map_err(|e| e.to_string())?;
            ensure(
                rel_err(&got, reference.cluster_centers().iter()) < 1e-12,
                || "centres depend on the number of ranks".into(),
            )
        },
    );
    h.run(
        "logistic-regression on one shared file: the model and labels match scikit-learn",
        |c| {
            let case = common::classification::logistic_cases()
                .into_iter()
                .find(|c| c.name == "multi_balanced")
                .expect("fixture");
            let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/classification");
            let (x_file, y_file) = (fixtures.join("multi_x.npy"), fixtures.join("multi_y.npy"));
            let model = dir.join("logistic.json");
            let labels = dir.join("logistic_labels_{rank}.npy");
            run(
                c,
                &[
                    "fit",
                    "logistic-regression",
                    "--x",
                    x_file.to_str().unwrap(),
                    "--y",
                    y_file.to_str().unwrap(),
                    "--param",
                    "C=10",
                    "--param",
                    "class_weight=balanced",
                    "--param",
                    "tol=1e-10",
                    "--param",
                    "max_iter=1000",
                    "--out",
                    model.to_str().unwrap(),
                ],
            )?;
            c.barrier().map_err(|e| e.to_string())?;
            let got = read_matrix_attribute(&model, "coef_")?;
            ensure(rel_err(&got, case.coef.iter()) < 1e-4, || {
                "coef_ differs from scikit-learn".into()
            })?;
            run(
                c,
                &[
                    "predict",
                    "--model",
                    model.to_str().unwrap(),
                    "--x",
                    x_file.to_str().unwrap(),
                    "--out",
                    labels.to_str().unwrap(),
                ],
            )?;
            c.barrier().map_err(|e| e.to_string())?;
            // Every rank's labels, in rank order, are the labels of the whole file.
            let mut all = Vec::new();
            for rank in 0..c.size() {
                let path = dir.join(format!("logistic_labels_{rank}.npy"));
                let part =
                    ArrayD::<f64>::read_npy(std::fs::File::open(&path).map_err(|e| e.to_string())?)
                        .map_err(|e| e.to_string())?;
                all.extend(part.iter().copied());
            }
            let proba = case.proba;
            ensure(all.len() == proba.nrows(), || {
                format!("{} labels", all.len())
            })?;
            let agree = proba
                .outer_iter()
                .zip(&all)
                .filter(|(row, label)| {
                    let best = (0..row.len()).fold(0, |b, k| if row[k] > row[b] { k } else { b });
                    best as f64 == **label
                })
                .count();
            ensure(agree == all.len(), || {
                format!("{agree} of {} labels agree", all.len())
            })
        },
    );
    h.run(
        "a model read from a file names the rank whose rows hold NaN",
        |c| {
            // The logistic model of the check above; each rank predicts its own shard, and the
            // last rank's holds a NaN.
            let model = dir.join("logistic.json");
            let mut x = ndarray::Array2::<f64>::ones((3, 4));
            let last = c.size() - 1;
            if c.rank() == last {
                x[[1, 2]] = f64::NAN;
            }
            let shard = dir.join(format!("nan_x_{}.npy", c.rank()));
            x.write_npy(std::fs::File::create(&shard).map_err(|e| e.to_string())?)
                .map_err(|e| e.to_string())?;
            let pattern = dir.join("nan_x_{rank}.npy");
            let out = dir.join("nan_pred_{rank}.npy");
            for command in ["predict", "transform"] {
                let err = run(
                    c,
                    &[
                        command,
                        "--model",
                        model.to_str().unwrap(),
                        "--x",
                        pattern.to_str().unwrap(),
                        "--out",
                        out.to_str().unwrap(),
                    ],
                )
                .err()
                .unwrap_or_default();
                let named = format!("row 1, column 2 (row index local to rank {last})");
                ensure(err.contains(&named), || format!("{command}: `{err}`"))?;
            }
            Ok(())
        },
    );
    h.run(
        "a neighbour model on {rank} shards answers alike from another number of ranks",
        |c| {
            let fixtures =
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/neighbors");
            let read = |name: &str| -> Result<ndarray::Array2<f64>, String> {
                let file = std::fs::File::open(fixtures.join(name)).map_err(|e| e.to_string())?;
                let any = ArrayD::<f64>::read_npy(file).map_err(|e| e.to_string())?;
                any.into_dimensionality().map_err(|e| e.to_string())
            };
            let read_ints = |path: &std::path::Path| -> Result<Vec<i64>, String> {
                let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
                let any = ArrayD::<i64>::read_npy(file).map_err(|e| e.to_string())?;
                Ok(any.iter().copied().collect())
            };
            // Uneven shards, rank 0's empty when there are several.
            let x = read("x.npy")?;
            let counts = harness::split_rows(x.nrows(), c.size(), |r| {
                usize::from(r > 0 || c.size() == 1) * (r + 1)
            });
            let mine = harness::my_rows(c, &counts);
            let shard = dir.join(format!("nn_x_{}.npy", c.rank()));
            x.slice(s![mine, ..])
                .to_owned()
                .write_npy(std::fs::File::create(&shard).map_err(|e| e.to_string())?)
                .map_err(|e| e.to_string())?;
            let (pattern, model) = (dir.join("nn_x_{rank}.npy"), dir.join("nn.json"));
            run(
                c,
                &[
                    "fit",
                    "nearest-neighbors",
                    "--x",
                    pattern.to_str().unwrap(),
                    "--out",
                    model.to_str().unwrap(),
                ],
            )?;
            c.barrier().map_err(|e| e.to_string())?;
            // Rank 0 alone, and the others together: neither group has the fit's rank count.
            let color = u32::from(c.rank() > 0);
            let group = c.split(color, 0).map_err(|e| e.to_string())?;
            let (out, distances) = (
                dir.join(format!("nn_idx_{color}.npy")),
                dir.join(format!("nn_dist_{color}.npy")),
            );
            let queries = fixtures.join("queries.npy");
            run(
                &group,
                &[
                    "kneighbors",
                    "--model",
                    model.to_str().unwrap(),
                    "--x",
                    queries.to_str().unwrap(),
                    "--out",
                    out.to_str().unwrap(),
                    "--out-distances",
                    distances.to_str().unwrap(),
                ],
            )?;
            c.barrier().map_err(|e| e.to_string())?;
            let got =
                ArrayD::<f64>::read_npy(std::fs::File::open(&out).map_err(|e| e.to_string())?)
                    .map_err(|e| e.to_string())?;
            let want = read_ints(&fixtures.join("minkowski_p2_uniform_indices.npy"))?;
            ensure(
                got.iter().map(|&v| v as i64).collect::<Vec<_>>() == want,
                || format!("indices differ from sklearn on a group of {}", group.size()),
            )?;
            let got = ArrayD::<f64>::read_npy(
                std::fs::File::open(&distances).map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string())?;
            let want = read("minkowski_p2_uniform_distances.npy")?;
            ensure(
                rel_err(got.as_slice().unwrap_or_default(), want.iter()) < 1e-10,
                || "distances differ from sklearn".into(),
            )
        },
    );

    h.run(
        "a random forest fitted by the ranks is one process's model file, byte for byte",
        |c| {
            let fixtures =
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forest");
            let (x, y) = (
                fixtures.join("multiclass_x.npy"),
                fixtures.join("multiclass_y.npy"),
            );
            let fit = |comm: &Comm, out: &std::path::Path| {
                run(
                    comm,
                    &[
                        "fit",
                        "random-forest-classifier",
                        "--x",
                        x.to_str().unwrap(),
                        "--y",
                        y.to_str().unwrap(),
                        "--param",
                        "n_estimators=4",
                        "--param",
                        "random_state=11",
                        "--param",
                        "oob_score=True",
                        "--out",
                        out.to_str().unwrap(),
                    ],
                )
            };
            let (spmd, single) = (dir.join("forest_spmd.json"), dir.join("forest_single.json"));
            fit(c, &spmd)?;
            if c.is_root() {
                fit(&Comm::single(), &single)?;
                let (a, b) = (std::fs::read(&spmd), std::fs::read(&single));
                ensure(
                    a.map_err(|e| e.to_string())? == b.map_err(|e| e.to_string())?,
                    || "the model files differ".into(),
                )?;
            }
            c.barrier().map_err(|e| e.to_string())
        },
    );

    #[cfg(feature = "parquet")]
    h.run(
        "Parquet (one file, a dataset directory) and Arrow over the ranks give the .npy's model",
        |c| {
            let fixtures =
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/columnar");
            let input = |name: &str| fixtures.join(name).to_str().unwrap_or_default().to_string();
            let coef = |x: &str, y: &str, name: &str| -> Result<Vec<f64>, String> {
                let model = dir.join(format!("columnar_{name}.json"));
                run(
                    c,
                    &[
                        "fit",
                        "linear-regression",
                        "--x",
                        x,
                        "--y",
                        y,
                        "--out",
                        model.to_str().unwrap_or_default(),
                    ],
                )?;
                c.barrier().map_err(|e| e.to_string())?;
                read_matrix_attribute(&model, "coef_")
            };
            let want = coef(&input("x.npy"), &input("y.npy"), "npy")?;
            for x in ["x.parquet", "x_zstd.parquet", "x_dataset", "x.arrow"] {
                let got = coef(&input(x), &input("y.parquet"), x)?;
                // Whole row groups per rank: another split than the .npy's, the same model.
                ensure(rel_err(&got, &want) < 1e-12, || {
                    format!("{x}: {got:?} against {want:?}")
                })?;
            }
            Ok(())
        },
    );

    #[cfg(feature = "parquet")]
    h.run(
        "a neighbour model on Parquet columns answers as the .npy fit, from any number of ranks",
        |c| {
            let fixtures =
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/columnar");
            let input = |name: &str| fixtures.join(name).to_str().unwrap_or_default().to_string();
            let file = |name: &str| dir.join(name).to_str().unwrap_or_default().to_string();
            let fit = |comm: &Comm, x: &str, extra: &[&str], model: &str| {
                let mut args = vec!["fit", "knn-regressor", "--x", x, "--param", "n_neighbors=3"];
                args.extend_from_slice(extra);
                args.extend(["--out", model]);
                run(comm, &args)?;
                comm.barrier().map_err(|e| e.to_string())
            };
            let predict = |comm: &Comm, model: &str, out: &str| -> Result<Vec<f64>, String> {
                let queries = input("x.parquet");
                run(
                    comm,
                    &["predict", "--model", model, "--x", &queries, "--out", out],
                )?;
                comm.barrier().map_err(|e| e.to_string())?;
                let file = std::fs::File::open(out).map_err(|e| e.to_string())?;
                let got = ArrayD::<f64>::read_npy(file).map_err(|e| e.to_string())?;
                Ok(got.iter().copied().collect())
            };
            // One process on the .npy files.
            let (npy_model, npy_out) = (file("knn_npy.json"), file("knn_npy_pred.npy"));
            if c.is_root() {
                let single = Comm::single();
                let y = ["--y", &input("y.npy")];
                fit(&single, &input("x.npy"), &y, &npy_model)?;
                predict(&single, &npy_model, &npy_out)?;
            }
            c.barrier().map_err(|e| e.to_string())?;
            let want = predict(c, &npy_model, &npy_out)?;
            // The ranks, on the features a, b, c and the target column of one shared table.
            let choice = ["--columns", "a,b,c", "--y-column", "target"];
            let model = file("knn_table.json");
            fit(c, &input("table.parquet"), &choice, &model)?;
            let got = predict(c, &model, &file("knn_table_pred.npy"))?;
            ensure(rel_err(&got, want.iter()) < 1e-12, || {
                "Parquet columns over the ranks differ from the .npy fit".into()
            })?;
            // {rank} shards (copies of the table), read back by groups of other sizes: each
            // reads its rows' columns across the shards.
            let shard = dir.join(format!("knn_t_{}.parquet", c.rank()));
            std::fs::copy(fixtures.join("table.parquet"), shard).map_err(|e| e.to_string())?;
            c.barrier().map_err(|e| e.to_string())?;
            let model = file("knn_shards.json");
            fit(c, &file("knn_t_{rank}.parquet"), &choice, &model)?;
            let whole = predict(c, &model, &file("knn_shards_pred.npy"))?;
            let color = u32::from(c.rank() > 0);
            let group = c.split(color, 0).map_err(|e| e.to_string())?;
            let out = file(&format!("knn_shards_pred_{color}.npy"));
            let got = predict(&group, &model, &out)?;
            ensure(rel_err(&got, whole.iter()) < 1e-12, || {
                format!("a group of {} differs from the fit's ranks", group.size())
            })
        },
    );

    h.finish();
}
