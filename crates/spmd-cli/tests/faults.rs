//! The fault matrix: the `spmd-learn` command line under `mpirun -n 4` against bad inputs, bad
//! parameters, broken environments and a rank that dies.
//!
//! Every case makes its own data, runs the whole job and asserts its outcome: the exit status,
//! the words the user reads, that every rank exited within 10 s, that a failed `fit` left an
//! earlier model file as it was and a failed `predict` wrote no output. Cases that must work
//! (an empty rank, fewer rows than columns, MPI over TCP) are in the matrix too.
//!
//! Runs where `mpirun` runs the binary as several ranks (the `mpi` feature; `scripts/test.sh`);
//! `SPMD_MPIRUN` names another launcher command.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod faults_support;

use faults_support::*;

#[test]
fn fault_matrix() {
    let Some(launcher) = Launcher::find() else {
        return;
    };
    let dir = Scratch::new("faults");
    let mut cases = Vec::new();
    // Under Slurm's srun (`scripts/slurm-tests.sh`), the cases that differ by launcher.
    if std::env::var("SPMD_FAULT_SUBSET").as_deref() == Ok("slurm") {
        cases.extend(slurm_cases(&dir));
        return run_cases(&launcher, &dir, &cases);
    }
    cases.extend(input_cases(&dir));
    cases.extend(alignment_cases(&dir));
    cases.extend(zero_column_cases(&dir));
    cases.extend(estimator_cases(&dir));
    cases.extend(command_line_cases(&dir));
    cases.extend(environment_cases(&dir));
    cases.extend(neighbor_cases(&dir));
    cases.extend(dbscan_cases(&dir));
    cases.extend(hdbscan_cases(&dir));
    cases.extend(forest_cases(&dir));
    #[cfg(feature = "parquet")]
    cases.extend(parquet_cases(&dir));
    assert!(cases.len() >= 40, "{} cases", cases.len());
    run_cases(&launcher, &dir, &cases);
}

/// Runs every case, then fails naming each case that did not hold.
fn run_cases(launcher: &Launcher, dir: &Scratch, cases: &[Case]) {
    let mut failures = Vec::new();
    for case in cases {
        let report = case.run(launcher, dir);
        println!("{:<34} {}", case.name, report.summary());
        if let Err(why) = report.verdict {
            failures.push(format!(
                "{}: {why}\n--- stderr ---\n{}",
                case.name, report.stderr
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// A case of one unreadable shard: its name, the shard's rank, the shard, what the error says.
type UnreadableShard = (&'static str, usize, fn() -> Shard, &'static str);

/// Bad or unusual feature, target and weight files, on one rank or all.
fn input_cases(dir: &Scratch) -> Vec<Case> {
    let x = dir.shards("x", |r| rows(r, 40, 3));
    let y = dir.shards("y", |r| targets(r, 40));
    let fit = |x: &str, y: &str| args(&["fit", "linear-regression", "--x", x, "--y", y]);
    let with_x = |name: &str, bad: &dyn Fn(usize) -> Shard| dir.shards_with(name, bad);
    // One unreadable shard among good ones: (case, its rank, the shard, what the error says).
    let unreadable: [UnreadableShard; 6] = [
        (
            "a truncated shard on rank 1",
            1,
            || Shard::Truncated,
            "truncated",
        ),
        (
            "a garbage shard on rank 2",
            2,
            || Shard::Garbage,
            "not a valid .npy",
        ),
        ("a 0-d shard on rank 0", 0, || Shard::Scalar, "0 dimensions"),
        ("a 3-d shard on rank 3", 3, || Shard::ThreeD, "3 dimensions"),
        ("strings in a shard", 1, || Shard::Strings, "dtype '<U3'"),
        ("float16 shard", 0, || Shard::Half, "dtype '<f2'"),
    ];
    let unreadable = unreadable
        .into_iter()
        .enumerate()
        .map(|(i, (name, bad, shard, says))| {
            let good = |r| Shard::Good(rows(r, 40, 3));
            let x = with_x(&format!("x_bad{i}"), &|r| {
                if r == bad {
                    shard()
                } else {
                    good(r)
                }
            });
            Case::new(name, fit(&x, &y)).fails(&[&format!("x_bad{i}_{bad}.npy"), says])
        });
    unreadable.chain([
        Case::new("fit works", fit(&x, &y)).succeeds(),
        Case::new(
            "NaN in X on rank 2",
            fit(&dir.shards("x_nan", |r| poison(rows(r, 40, 3), r == 2, f64::NAN)), &y),
        )
        .fails(&["rank 2", "NaN at row 0, column 1"]),
        Case::new(
            "infinity in y on rank 1",
            fit(&x, &dir.shards("y_inf", |r| poison(targets(r, 40), r == 1, f64::INFINITY))),
        )
        .fails(&["rank 1", "y"]),
        Case::new(
            "NaN in weights on rank 3",
            args(&[
                "fit",
                "standard-scaler",
                "--x",
                &x,
                "--sample-weight",
                &dir.shards("w_nan", |r| poison(ones(40), r == 3, f64::NAN)),
            ]),
        )
        .fails(&["rank 3"]),
        Case::new(
            "4 columns on rank 1, 3 elsewhere",
            fit(&dir.shards("x_wide1", |r| rows(r, 40, if r == 1 { 4 } else { 3 })), &y),
        )
        .fails(&["columns"]),
        Case::new(
            "X and y rows differ on rank 2",
            fit(&x, &dir.shards("y_short2", |r| targets(r, if r == 2 { 39 } else { 40 }))),
        )
        .fails(&["rank 2"]),
        Case::new("a missing shard on rank 3", fit(&dir.missing_on("x_gone", 3), &y))
            .fails(&["x_gone_3.npy"]),
        Case::new(
            "an empty rank",
            fit(
                &dir.shards("x_empty2", |r| rows(r, if r == 2 { 0 } else { 40 }, 3)),
                &dir.shards("y_empty2", |r| targets(r, if r == 2 { 0 } else { 40 })),
            ),
        )
        .succeeds(),
        Case::new(
            "every rank empty",
            fit(&dir.shards("x_none", |r| rows(r, 0, 3)), &dir.shards("y_none", |r| targets(r, 0))),
        )
        .fails(&["zero rows"]),
        Case::new(
            "fewer rows than columns",
            args(&[
                "fit",
                "ridge",
                "--x",
                &dir.shards("x_flat", |r| rows(r, 2, 12)),
                "--y",
                &dir.shards("y_flat", |r| targets(r, 2)),
            ]),
        )
        .succeeds(),
        Case::new(
            "big-endian and integer shards",
            fit(
                &with_x("x_mixed", &|r| match r {
                    0 => Shard::BigEndian(rows(r, 40, 3)),
                    1 => Shard::Integers(40, 3),
                    _ => Shard::Good(rows(r, 40, 3)),
                }),
                &y,
            ),
        )
        .succeeds(),
        Case::new(
            "weights of shape (n, 0) on rank 1",
            args(&[
                "fit",
                "basic-statistics",
                "--x",
                &x,
                "--sample-weight",
                &dir.shards("w_n0", |r| rows(r, 40, if r == 1 { 0 } else { 1 })),
            ]),
        )
        .fails(&["sample_weight"]),
        Case::new(
            "negative weights on rank 0",
            args(&[
                "fit",
                "logistic-regression",
                "--x",
                &x,
                "--y",
                &dir.shards("w_labels", |r| classes(r, 40, 2)),
                "--sample-weight",
                &dir.shards("w_neg", |r| poison(ones(40), r == 0, -1.0)),
            ]),
        )
        .fails(&["rank 0", "weights must be finite and >= 0"]),
        Case::new("a ragged CSV row", fit(&dir.csv("ragged", "1,2,3\n4,5\n6,7,8\n"), &dir.csv("ragged_y", "1\n2\n3\n")))
            .fails(&["ragged.csv", "line 2: 2 fields, but the first row has 3"]),
        Case::new("a blank CSV field", fit(&dir.csv("blank", "1,2,3\n4,,6\n7,8,9\n"), &dir.csv("blank_y", "1\n2\n3\n")))
            .fails(&["blank.csv", "line 2: column 2"]),
        Case::new(
            "CSV with BOM, header, CRLF, quotes and nan spellings",
            args(&[
                "fit",
                "basic-statistics",
                "--x",
                &dir.csv(
                    "friendly",
                    "\u{feff}a,b\r\n\"1.5\",2\r\n3,4\r\n5,6\r\n7,8\r\n9,10\r\n11,12\r\n13,14\r\n15,16\r\n",
                ),
            ]),
        )
        .succeeds(),
        Case::new("an empty CSV", fit(&dir.csv("empty", ""), &dir.csv("empty_y", "")))
            .fails(&["zero rows"]),
    ])
    .collect()
}

/// Targets and weights whose row counts differ from the features', in every kind of file and
/// mix of shards and shared files: an error naming both files and both counts, never a model
/// fitted on rows paired with the wrong targets.
fn alignment_cases(dir: &Scratch) -> Vec<Case> {
    let fit = |x: &str, y: &str| args(&["fit", "linear-regression", "--x", x, "--y", y]);
    let x40 = dir.file("ax40.npy", rows(0, 40, 3));
    let y43 = dir.file("ay43.npy", targets(0, 43));
    let csv = |name: &str, a: &ndarray::Array2<f64>| {
        let text: String = a
            .rows()
            .into_iter()
            .map(|r| {
                r.iter()
                    .map(|v| format!("{v}"))
                    .collect::<Vec<_>>()
                    .join(",")
                    + "\n"
            })
            .collect();
        dir.csv(name, &text)
    };
    let x_csv = csv("ax40", &rows(0, 40, 3));
    let y_csv41 = csv("ay41", &targets(0, 41));
    let x_shards = dir.shards("ax_sh", |r| rows(r, 40, 3));
    let typo = "0.5,1.2x,0.3\n".to_string()
        + &(1..40)
            .map(|i| format!("{i},{},{}\n", i * 2, i % 3))
            .collect::<String>();
    let numeric_header = "2020,2021,2022\n".to_string()
        + &(0..40)
            .map(|i| format!("{i},{},{}\n", (i * 7) % 11, i % 3))
            .collect::<String>();
    let mut cases = vec![
        Case::new("shared npy: X 40 rows, y 43", fit(&x40, &y43)).fails(&[
            "ay43.npy",
            "has 43 rows, but",
            "ax40.npy has 40",
        ]),
        Case::new("shared csv: X 40 rows, y 41", fit(&x_csv, &y_csv41)).fails(&[
            "ay41.csv",
            "has 41 rows, but",
            "ax40.csv has 40",
        ]),
        Case::new("mixed: X .npy 40 rows, y .csv 41", fit(&x40, &y_csv41)).fails(&[
            "ay41.csv",
            "has 41 rows",
            "ax40.npy has 40",
        ]),
        Case::new(
            "X shards of 160 rows, shared y 150",
            fit(&x_shards, &dir.file("ay150.npy", targets(0, 150))),
        )
        .fails(&["ay150.npy", "has 150 rows", "the shards", "have 160"]),
        Case::new(
            "shared X of 40 rows, y shards of 10 and 11",
            fit(
                &x40,
                &dir.shards("ay_sh", |r| targets(r, if r == 3 { 11 } else { 10 })),
            ),
        )
        .fails(&["rank 3", "ay_sh_3.npy", "has 11 rows", "rank 3's share of"]),
        Case::new(
            "shared weights 1 row short",
            args(&[
                "fit",
                "standard-scaler",
                "--x",
                &x40,
                "--sample-weight",
                &dir.file("aw39.npy", ones(39)),
            ]),
        )
        .fails(&["aw39.npy", "has 39 rows", "ax40.npy has 40"]),
        Case::new(
            "shared npy: X and y of 40 rows",
            fit(&x40, &dir.file("ay40.npy", targets(0, 40))),
        )
        .succeeds(),
        Case::new(
            "a CSV whose first line has a typo",
            fit(&dir.csv("atypo", &typo), &y_csv41),
        )
        .fails(&["atypo.csv", "line 1: column 2: `1.2x` is not a number"]),
        Case::new(
            "a CSV header of numbers with --csv-header yes",
            args(&[
                "fit",
                "basic-statistics",
                "--x",
                &dir.csv("anumhead", &numeric_header),
                "--csv-header",
                "yes",
            ]),
        )
        .succeeds(),
    ];
    // predict's output follows its input's rows: a shared file gathered on rank 0.
    #[cfg(feature = "parquet")]
    {
        let fixtures =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/columnar");
        let x_parquet = fixtures.join("x.parquet").to_string_lossy().into_owned();
        let y_parquet = fixtures.join("y.parquet").to_string_lossy().into_owned();
        cases.extend([
            Case::new("parquet X 40 rows, y .npy 43", fit(&x_parquet, &y43)).fails(&[
                "ay43.npy",
                "has 43 rows",
                "x.parquet has 40",
            ]),
            Case::new(
                "npy X 43 rows, parquet y 40",
                fit(&dir.file("ax43.npy", rows(0, 43, 3)), &y_parquet),
            )
            .fails(&["y.parquet", "has 40 rows", "ax43.npy has 43"]),
            Case::new(
                "parquet dataset X 40 rows, y .npy 43",
                fit(&fixtures.join("x_dataset").to_string_lossy(), &y43),
            )
            .fails(&["ay43.npy", "has 43 rows", "x_dataset has 40"]),
        ]);
    }
    // A copy of its own: other groups write `ridge.json` of other widths.
    let model = dir.path("aridge.json");
    std::fs::copy(dir.model("ridge", &x40, &dir.path("ay40.npy")), &model).unwrap();
    let out = dir.path("apred.npy");
    cases.push(
        Case::new(
            "predict on a shared csv, gathered",
            args(&["predict", "--model", &model, "--x", &x_csv, "--out", &out]),
        )
        .succeeds(),
    );
    cases
}

/// Rows with zero columns, for every estimator: an error on every rank, never a panic.
fn zero_column_cases(dir: &Scratch) -> Vec<Case> {
    let x = dir.shards("zx", |r| rows(r, 10, 0));
    let y = dir.shards("zy", |r| classes(r, 10, 2));
    spmd_cli::ESTIMATORS
        .iter()
        .map(|entry| {
            let mut words = vec!["fit", entry.name(), "--x", &x];
            if entry.supervised() {
                words.extend(["--y", &y]);
            }
            let name: &'static str =
                Box::leak(format!("zero columns: {}", entry.name()).into_boxed_str());
            Case::new(name, args(&words)).fails(&["0 features"])
        })
        .collect()
}

/// What differs by launcher, for `srun`: a working fit, NaN on one rank, a panic on one rank,
/// a rank killed mid-fit, mismatched row counts, zero columns.
fn slurm_cases(dir: &Scratch) -> Vec<Case> {
    let x = dir.shards("sx", |r| rows(r, 40, 3));
    let y = dir.shards("sy", |r| targets(r, 40));
    let fit = |x: &str, y: &str| args(&["fit", "linear-regression", "--x", x, "--y", y]);
    let slow = dir.shards("sslow", |r| rows(r, 200_000, 8));
    vec![
        Case::new("srun: fit works", fit(&x, &y)).succeeds(),
        Case::new(
            "srun: NaN in X on rank 2",
            fit(
                &dir.shards("sx_nan", |r| poison(rows(r, 40, 3), r == 2, f64::NAN)),
                &y,
            ),
        )
        .fails(&["rank 2", "NaN at row 0, column 1"]),
        Case::new("srun: a panic on rank 1", fit(&x, &y))
            .env("SPMD_INJECT_PANIC_ON_RANK", "1")
            .fails(&["rank 1 panicked"]),
        killed_mid_fit("srun: a rank killed mid-fit", &slow),
        Case::new(
            "srun: X shards of 160 rows, shared y 150",
            fit(&x, &dir.file("sy150.npy", targets(0, 150))),
        )
        .fails(&["sy150.npy", "has 150 rows", "have 160"]),
        Case::new(
            "srun: zero columns",
            args(&["fit", "pca", "--x", &dir.shards("sx0", |r| rows(r, 10, 0))]),
        )
        .fails(&["0 features"]),
    ]
}

/// A long k-means fit on `slow` (shards of 200,000 rows) whose rank 1 is killed after 1.5 s:
/// the job must end, with a failure, within the limit.
fn killed_mid_fit(name: &'static str, slow: &str) -> Case {
    let words = [
        "fit",
        "kmeans",
        "--x",
        slow,
        "--param",
        "n_clusters=50",
        "--param",
        "max_iter=100000",
        "--param",
        "tol=0",
    ];
    Case::new(name, args(&words))
        .kill_rank_after(1, 1.5)
        .fails(&[])
}

/// Each estimator family's own invalid inputs.
fn estimator_cases(dir: &Scratch) -> Vec<Case> {
    let x = dir.shards("ex", |r| rows(r, 30, 4));
    let counts = dir.shards("counts", |r| {
        rows(r, 30, 4).mapv(|v| (v.abs() * 3.0).round())
    });
    let labels = dir.shards("labels", |r| classes(r, 30, 3));
    vec![
        Case::new(
            "logistic: one class",
            args(&[
                "fit",
                "logistic-regression",
                "--x",
                &x,
                "--y",
                &dir.shards("one_class", |_| ones(30)),
            ]),
        )
        .fails(&["at least 2 classes"]),
        Case::new(
            "logistic: non-integer labels",
            args(&[
                "fit",
                "logistic-regression",
                "--x",
                &x,
                "--y",
                &dir.shards("half_labels", |r| poison(classes(r, 30, 2), r == 1, 0.5)),
            ]),
        )
        .fails(&["rank 1", "integer"]),
        Case::new(
            "logistic: labels with 2 columns on rank 1",
            args(&[
                "fit",
                "logistic-regression",
                "--x",
                &x,
                "--y",
                &dir.shards("labels2", |r| {
                    rows(r, 30, if r == 1 { 2 } else { 1 }).mapv(|v| v.round().abs())
                }),
            ]),
        )
        .fails(&["rank 1"]),
        Case::new(
            "naive Bayes: negative counts",
            args(&[
                "fit",
                "multinomial-nb",
                "--x",
                &dir.shards("neg_counts", |r| {
                    poison(rows(r, 30, 4).mapv(f64::abs), r == 3, -2.0)
                }),
                "--y",
                &labels,
            ]),
        )
        .fails(&["Negative values"]),
        Case::new(
            "naive Bayes works",
            args(&["fit", "multinomial-nb", "--x", &counts, "--y", &labels]),
        )
        .succeeds(),
        Case::new(
            "kmeans: k > n",
            args(&["fit", "kmeans", "--x", &x, "--param", "n_clusters=500"]),
        )
        .fails(&["n_clusters"]),
        Case::new(
            "kmeans: init file of the wrong width",
            args(&[
                "fit",
                "kmeans",
                "--x",
                &x,
                "--param",
                "n_clusters=2",
                "--param",
                &format!("init={}", dir.file("init_wide.npy", rows(0, 2, 5))),
            ]),
        )
        .fails(&["init"]),
        Case::new(
            "kmeans: a missing init file",
            args(&[
                "fit",
                "kmeans",
                "--x",
                &x,
                "--param",
                "n_clusters=2",
                "--param",
                &format!("init={}", dir.path("nowhere.npy")),
            ]),
        )
        .fails(&["nowhere.npy"]),
        Case::new(
            "pca: too many components",
            args(&["fit", "pca", "--x", &x, "--param", "n_components=9"]),
        )
        .fails(&["n_components"]),
        Case::new(
            "scaler: min > max range",
            args(&[
                "fit",
                "min-max-scaler",
                "--x",
                &x,
                "--param",
                "feature_range=[1, 0]",
            ]),
        )
        .fails(&["feature_range"]),
        Case::new(
            "supervised fit without --y",
            args(&["fit", "ridge", "--x", &x]),
        )
        .fails(&["needs targets"]),
    ]
}

/// The command line itself: names, values, models and outputs.
fn command_line_cases(dir: &Scratch) -> Vec<Case> {
    let x = dir.shards("cx", |r| rows(r, 30, 3));
    let y = dir.shards("cy", |r| targets(r, 30));
    let model = dir.model("linear-regression", &x, &y);
    let scaler = dir.model("standard-scaler", &x, &y);
    let predict = |model: &str, x: &str, out: &str| {
        args(&["predict", "--model", model, "--x", x, "--out", out])
    };
    let out = dir.pattern("pred");
    vec![
        Case::new("an unknown estimator", args(&["fit", "forest", "--x", &x]))
            .fails(&["unknown estimator `forest`"]),
        Case::new(
            "an unknown parameter",
            args(&["fit", "ridge", "--x", &x, "--y", &y, "--param", "alpah=1"]),
        )
        .fails(&["unknown field `alpah`", "alpha"]),
        Case::new(
            "a bad parameter value",
            args(&["fit", "ridge", "--x", &x, "--y", &y, "--param", "alpha=abc"]),
        )
        .fails(&["alpha=abc"]),
        Case::new(
            "a negative alpha",
            args(&["fit", "ridge", "--x", &x, "--y", &y, "--param", "alpha=-1"]),
        )
        .fails(&["alpha=-1"]),
        Case::new("predict works", predict(&model, &x, &out))
            .succeeds()
            .writes(&out),
        Case::new(
            "a corrupt model",
            predict(
                &dir.text("corrupt.json", "{\"estimator\": \"ridge\", \"coef_\": [1,"),
                &x,
                &out,
            ),
        )
        .fails(&["corrupt.json"])
        .writes_nothing(&out),
        Case::new(
            "a missing model",
            predict(&dir.path("absent.json"), &x, &out),
        )
        .fails(&["absent.json"])
        .writes_nothing(&out),
        Case::new(
            "predict with the wrong width",
            predict(&model, &dir.shards("cx5", |r| rows(r, 30, 5)), &out),
        )
        .fails(&["3", "5"])
        .writes_nothing(&out),
        Case::new(
            "NaN at predict on rank 1",
            predict(
                &model,
                &dir.shards("cx_nan", |r| poison(rows(r, 30, 3), r == 1, f64::NAN)),
                &out,
            ),
        )
        .fails(&["rank 1", "NaN"])
        .writes_nothing(&out),
        Case::new(
            "transform with a regressor",
            args(&["transform", "--model", &model, "--x", &x, "--out", &out]),
        )
        .fails(&["has no transform"])
        .writes_nothing(&out),
        Case::new(
            "inverse-transform works",
            args(&[
                "inverse-transform",
                "--model",
                &scaler,
                "--x",
                &x,
                "--out",
                &out,
            ]),
        )
        .succeeds()
        .writes(&out),
        Case::new(
            "fit into a missing directory",
            args(&["fit", "ridge", "--x", &x, "--y", &y]).out(&dir.path("no/such/dir/m.json")),
        )
        .fails(&["no directory"]),
        Case::new(
            "predict into a missing directory",
            predict(&model, &x, &dir.path("no/such/dir/p_{rank}.npy")),
        )
        .fails(&["no directory"]),
    ]
}

/// Broken or unusual environments: GPU drivers, launchers, networks, memory, dead ranks.
fn environment_cases(dir: &Scratch) -> Vec<Case> {
    let x = dir.shards("vx", |r| rows(r, 30, 3));
    let y = dir.shards("vy", |r| targets(r, 30));
    let fit = || args(&["fit", "linear-regression", "--x", &x, "--y", &y]);
    let wide = dir.shards("vwide", |r| rows(r, 2, 40_000));
    let wide_y = dir.shards("vwide_y", |r| targets(r, 2));
    let slow = dir.shards("vslow", |r| rows(r, 200_000, 8));
    vec![
        Case::new("--gpu with no Vulkan driver", fit().arg("--gpu"))
            .env("VK_ICD_FILENAMES", "/nonexistent/icd.json")
            .env("WGPU_BACKEND", "vulkan")
            .fails(&["GPU"]),
        Case::new("MPI over TCP only", fit())
            .env("OMPI_MCA_btl", "tcp,self")
            .succeeds(),
        Case::new("a panic on rank 1", fit())
            .env("SPMD_INJECT_PANIC_ON_RANK", "1")
            .fails(&["rank 1 panicked"]),
        Case::new(
            "40,000 columns under a 3 GB limit",
            args(&["fit", "linear-regression", "--x", &wide, "--y", &wide_y]),
        )
        .memory_limit_kb(3_000_000)
        .fails(&["not enough memory", "40001 x 40001 Gram matrix"]),
        killed_mid_fit("a rank killed mid-fit", &slow),
        Case::new("a launcher from another MPI", fit())
            .foreign_launcher()
            .fails(&["different MPI"]),
    ]
}

/// The neighbour estimators: bad training rows, models whose training files changed, models
/// sharded for another number of ranks (their rows split anew), bad queries.
fn neighbor_cases(dir: &Scratch) -> Vec<Case> {
    let x = dir.shards("nx", |r| rows(r, 30, 4));
    let labels = dir.shards("nlabels", |r| classes(r, 30, 3));
    let queries = dir.shards("nq", |r| rows(r, 5, 4));
    let narrow = dir.shards("nq_narrow", |r| rows(r, 5, if r == 3 { 3 } else { 4 }));
    // Models fitted by one process: on one file (any number of ranks may use it), on a
    // `{rank}` pattern (one shard: a 1-rank fit), and on a file changed afterwards.
    let whole = dir.file("nwhole.npy", rows(0, 40, 4));
    let whole_labels = dir.file("nwhole_labels.npy", classes(0, 40, 3));
    let model = dir.model("knn-classifier", &whole, &whole_labels);
    let sharded = dir.model("knn-regressor", &x, &dir.shards("ny", |r| targets(r, 30)));
    let changed_x = dir.file("nchanged.npy", rows(0, 40, 4));
    let changed = dir.model("nearest-neighbors", &changed_x, &whole_labels);
    dir.file("nchanged.npy", rows(1, 40, 4));
    let out = dir.pattern("nout");
    let apply =
        |verb: &str, model: &str, x: &str| args(&[verb, "--model", model, "--x", x, "--out", &out]);
    vec![
        Case::new(
            "knn: NaN in rank 2's training rows",
            args(&[
                "fit",
                "knn-classifier",
                "--x",
                &dir.shards("nx_nan", |r| poison(rows(r, 30, 4), r == 2, f64::NAN)),
                "--y",
                &labels,
            ]),
        )
        .fails(&["rank 2", "NaN"]),
        Case::new(
            "knn: n_neighbors=abc",
            args(&[
                "fit",
                "knn-regressor",
                "--x",
                &x,
                "--y",
                &labels,
                "--param",
                "n_neighbors=abc",
            ]),
        )
        .fails(&["invalid parameter n_neighbors=abc"]),
        Case::new(
            "knn: predict on 4 ranks with a one-file model",
            apply("predict", &model, &queries),
        )
        .succeeds()
        .writes(&out),
        Case::new(
            "knn: kneighbors, queries 3 wide on rank 3",
            apply("kneighbors", &model, &narrow),
        )
        .fails(&["rank 3", "features"])
        .writes_nothing(&out),
        Case::new(
            "knn: a model sharded for 1 rank, run on 4",
            apply("predict", &sharded, &queries),
        )
        .succeeds()
        .writes(&out),
        Case::new(
            "knn: a training file changed after the fit",
            apply("kneighbors", &changed, &queries),
        )
        .fails(&["changed since it was fitted"])
        .writes_nothing(&out),
        Case::new(
            "kneighbors with a ridge model",
            apply(
                "kneighbors",
                &dir.model("ridge", &whole, &whole_labels),
                &queries,
            ),
        )
        .fails(&["ridge has no kneighbors"])
        .writes_nothing(&out),
    ]
}

/// HDBSCAN: NaN on one rank (a label, -3, not an error), min_cluster_size above the row count,
/// every row identical (all noise), an empty rank.
fn hdbscan_cases(dir: &Scratch) -> Vec<Case> {
    let x = dir.shards("hx", |r| rows(r, if r == 2 { 0 } else { 40 }, 3));
    let labels = dir.pattern("hlabels");
    let fit = |x: &str, extra: &[&str]| {
        let mut words = vec!["fit", "hdbscan", "--x", x];
        words.extend_from_slice(extra);
        args(&words)
    };
    vec![
        Case::new(
            "hdbscan: rank 2 empty, labels per rank",
            fit(&x, &["--out-local", &labels]),
        )
        .succeeds()
        .writes(&labels),
        Case::new(
            "hdbscan: NaN on rank 3 is its row's label",
            fit(
                &dir.shards("hx_nan", |r| poison(rows(r, 40, 3), r == 3, f64::NAN)),
                &["--out-local", &dir.pattern("hlabels_nan")],
            ),
        )
        .succeeds()
        .writes(&dir.pattern("hlabels_nan")),
        Case::new(
            "hdbscan: min_cluster_size above the rows",
            fit(&x, &["--param", "min_cluster_size=500"]),
        )
        .fails(&["min_samples (500)", "number of samples"]),
        Case::new(
            "hdbscan: every row identical",
            fit(
                &dir.shards("hx_same", |_| ndarray::Array2::from_elem((30, 3), 1.5)),
                &[],
            ),
        )
        .succeeds(),
        Case::new(
            "hdbscan: min_cluster_size=1",
            fit(&x, &["--param", "min_cluster_size=1"]),
        )
        .fails(&["min_cluster_size", ">= 2"]),
    ]
}

/// DBSCAN: an empty rank and labels per rank (ok), NaN on one rank, bad parameters, negative
/// weights on one rank.
fn dbscan_cases(dir: &Scratch) -> Vec<Case> {
    let x = dir.shards("dx", |r| rows(r, if r == 2 { 0 } else { 40 }, 3));
    let labels = dir.pattern("dlabels");
    let fit = |x: &str, extra: &[&str]| {
        let mut words = vec!["fit", "dbscan", "--x", x, "--param", "eps=0.8"];
        words.extend_from_slice(extra);
        args(&words)
    };
    vec![
        Case::new(
            "dbscan: rank 2 empty, labels per rank",
            fit(&x, &["--out-local", &labels]),
        )
        .succeeds()
        .writes(&labels),
        Case::new(
            "dbscan: NaN on rank 3",
            fit(
                &dir.shards("dx_nan", |r| poison(rows(r, 40, 3), r == 3, f64::NAN)),
                &[],
            ),
        )
        .fails(&["rank 3", "NaN"]),
        Case::new("dbscan: eps=-1", fit(&x, &["--param", "eps=-1"])).fails(&["eps"]),
        Case::new(
            "dbscan: metric=cosine",
            fit(&x, &["--param", "metric=cosine"]),
        )
        .fails(&["metric", "euclidean, manhattan"]),
        Case::new(
            "dbscan: a negative weight on rank 1",
            fit(
                &x,
                &[
                    "--sample-weight",
                    &dir.shards("dw", |r| {
                        poison(ones(if r == 2 { 0 } else { 40 }), r == 1, -1.0)
                    }),
                ],
            ),
        )
        .fails(&["rank 1", "sample_weight"]),
    ]
}

/// Random forests: an empty rank and the out-of-bag results per rank (ok), NaN and a
/// fractional label on one rank, bad parameters, two target columns for the regressor.
fn forest_cases(dir: &Scratch) -> Vec<Case> {
    let n = |r: usize| if r == 2 { 0 } else { 40 };
    let x = dir.shards("fx", |r| rows(r, n(r), 3));
    let labels = dir.shards("flabels", |r| classes(r, n(r), 3));
    let values = dir.shards("fvalues", |r| targets(r, n(r)));
    let oob = dir.pattern("foob");
    let fit = |estimator: &str, x: &str, y: &str, extra: &[&str]| {
        let mut words = vec![
            "fit",
            estimator,
            "--x",
            x,
            "--y",
            y,
            "--param",
            "n_estimators=3",
        ];
        words.extend_from_slice(extra);
        args(&words)
    };
    let classifier = "random-forest-classifier";
    let regressor = "random-forest-regressor";
    vec![
        Case::new(
            "forest: rank 2 empty, oob per rank",
            fit(
                classifier,
                &x,
                &labels,
                &["--param", "oob_score=True", "--out-local", &oob],
            ),
        )
        .succeeds()
        .writes(&oob),
        Case::new(
            "forest: NaN on rank 3",
            fit(
                classifier,
                &dir.shards("fx_nan", |r| poison(rows(r, n(r), 3), r == 3, f64::NAN)),
                &labels,
                &[],
            ),
        )
        .fails(&["rank 3", "NaN"]),
        Case::new(
            "forest: label 0.5 on rank 1",
            fit(
                classifier,
                &x,
                &dir.shards("flabels_half", |r| poison(classes(r, n(r), 3), r == 1, 0.5)),
                &[],
            ),
        )
        .fails(&["rank 1", "integers"]),
        Case::new(
            "forest: max_features=0",
            fit(classifier, &x, &labels, &["--param", "max_features=0"]),
        )
        .fails(&["max_features"]),
        Case::new(
            "forest: criterion=friedman_mse",
            fit(
                regressor,
                &x,
                &values,
                &["--param", "criterion=friedman_mse"],
            ),
        )
        .fails(&["criterion", "squared_error"]),
        Case::new(
            "forest: two target columns",
            fit(
                regressor,
                &x,
                &dir.shards("fvalues2", |r| rows(r, n(r), 2)),
                &[],
            ),
        )
        .fails(&["one target column"]),
    ]
}

/// Parquet inputs: `{rank}` shards (copies of the columnar fixtures) where one rank's file has
/// a null, a chosen string column or other column names; a column the files lack.
#[cfg(feature = "parquet")]
fn parquet_cases(dir: &Scratch) -> Vec<Case> {
    let fixtures =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/columnar");
    let shards = |name: &str, odd: (usize, &str)| {
        for rank in 0..RANKS {
            let file = if rank == odd.0 { odd.1 } else { "x.parquet" };
            let to = dir.path(&format!("{name}_{rank}.parquet"));
            std::fs::copy(fixtures.join(file), to).expect("fixture copies");
        }
        dir.path(&format!("{name}_{{rank}}.parquet"))
    };
    let fit = |x: &str, extra: &[&str]| {
        let mut words = vec!["fit", "standard-scaler", "--x", x];
        words.extend_from_slice(extra);
        args(&words)
    };
    vec![
        Case::new(
            "parquet: a null on rank 2",
            fit(&shards("pnull", (2, "nulls.parquet")), &[]),
        )
        .fails(&["pnull_2.parquet", "column \"b\" holds a null at row 13"]),
        Case::new(
            "parquet: a string column chosen on rank 1",
            fit(
                &shards("pstr", (1, "b_string.parquet")),
                &["--columns", "a,b,c"],
            ),
        )
        .fails(&["pstr_1.parquet", "column \"b\" is of type Utf8"]),
        Case::new(
            "parquet: other column names on rank 3",
            fit(&shards("pnames", (3, "renamed.parquet")), &[]),
        )
        .fails(&["disagree on their columns", "rank 3 has [p, q, r]"]),
        Case::new(
            "parquet: a missing column",
            fit(&shards("pmiss", (0, "x.parquet")), &["--columns", "a,zz"]),
        )
        .fails(&["has no column \"zz\""]),
    ]
}
