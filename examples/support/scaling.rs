//! `bench --scaling target/release/spmd-learn`: each family's command as a whole process under
//! `mpirun -n P` (P from `--ranks`), with the communication counters every rank prints
//! (`SPMD_COMM_STATS=1`): the collectives, the ring steps, the bytes the busiest rank sent and
//! received, and its seconds inside the collectives, next to the wall time.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use ndarray::{Array1, Array2};
use ndarray_npy::WriteNpyExt;

/// The data files of the scaling rows.
struct Files {
    dense: PathBuf,
    target: PathBuf,
    labels: PathBuf,
    points: PathBuf,
    queries: PathBuf,
}

impl Files {
    fn in_dir(dir: &Path) -> Self {
        Self {
            dense: dir.join("scaling_x.npy"),
            target: dir.join("scaling_y.npy"),
            labels: dir.join("scaling_labels.npy"),
            points: dir.join("scaling_points.npy"),
            queries: dir.join("scaling_queries.npy"),
        }
    }

    fn all_exist(&self) -> bool {
        [
            &self.dense,
            &self.target,
            &self.labels,
            &self.points,
            &self.queries,
        ]
        .iter()
        .all(|p| p.exists())
    }
}

fn write_npy<A: WriteNpyExt>(path: &Path, a: &A) -> Result<(), String> {
    let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    a.write_npy(std::io::BufWriter::new(file))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes the scaling rows' files (`bench --write-scaling-files DIR`, a process of its own):
/// 200,000 x 16 rows with a regression target and two classes, 40,000 points in 4 dimensions
/// for DBSCAN, and 2,000 query rows.
pub fn write_files(
    dir: &Path,
    data: &dyn Fn(usize, usize) -> (Array2<f64>, Array1<f64>),
) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let f = Files::in_dir(dir);
    let (x, y) = data(200_000, 16);
    let labels = y.mapv(|v| if v > 0.0 { 1.0 } else { 0.0 });
    write_npy(&f.dense, &x)?;
    write_npy(&f.target, &y)?;
    write_npy(&f.labels, &labels)?;
    write_npy(&f.points, &data(40_000, 4).0)?;
    write_npy(&f.queries, &data(2_000, 16).0)?;
    Ok(())
}

/// One rank's `comm stats:` line, as name and value pairs.
fn stats_lines(stderr: &str) -> Vec<Vec<(String, f64)>> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("comm stats: "))
        .map(|l| {
            l.split(' ')
                .filter_map(|f| f.split_once('='))
                .filter_map(|(n, v)| Some((n.to_string(), v.parse::<f64>().ok()?)))
                .collect()
        })
        .collect()
}

fn field(line: &[(String, f64)], name: &str) -> f64 {
    line.iter()
        .find(|(n, _)| n == name)
        .map_or(0.0, |(_, v)| *v)
}

/// Prints the table.
pub fn run(binary: &Path, dir: &Path, ranks: &[usize]) -> Result<(), Box<dyn std::error::Error>> {
    let f = Files::in_dir(dir);
    crate::cli_bench::written_by_child(("--write-scaling-files", dir), || f.all_exist())?;
    let path = |p: &Path| p.display().to_string();
    let model = path(&dir.join("scaling_model.json"));
    let knn = path(&dir.join("scaling_knn.json"));
    let fit = |estimator: &str, x: &Path, y: Option<&Path>, params: &[&str], out: &str| {
        let mut args = vec!["fit".to_string(), estimator.into(), "--x".into(), path(x)];
        if let Some(y) = y {
            args.extend(["--y".into(), path(y)]);
        }
        for p in params {
            args.extend(["--param".into(), (*p).into()]);
        }
        args.extend(["--out".into(), out.into()]);
        args
    };
    let workloads: Vec<(&str, Vec<String>)> = vec![
        (
            "LinearRegression 200,000 x 16",
            fit("linear-regression", &f.dense, Some(&f.target), &[], &model),
        ),
        (
            "KMeans k=8, 10 iterations, 200,000 x 16",
            fit(
                "kmeans",
                &f.dense,
                None,
                &["n_clusters=8", "max_iter=10", "tol=0", "random_state=0"],
                &model,
            ),
        ),
        (
            "LogisticRegression 200,000 x 16",
            fit(
                "logistic-regression",
                &f.dense,
                Some(&f.labels),
                &[],
                &model,
            ),
        ),
        (
            "DBSCAN eps=0.1, 40,000 x 4",
            fit(
                "dbscan",
                &f.points,
                None,
                &["eps=0.1", "min_samples=5"],
                &model,
            ),
        ),
        (
            "RandomForestClassifier 10 trees, 200,000 x 16",
            fit(
                "random-forest-classifier",
                &f.dense,
                Some(&f.labels),
                &["n_estimators=10", "random_state=0"],
                &model,
            ),
        ),
        (
            "KNeighborsClassifier k=5 predict, 2,000 queries of 200,000 x 16",
            vec![
                "predict".into(),
                "--model".into(),
                knn.clone(),
                "--x".into(),
                path(&f.queries),
                "--out".into(),
                path(&dir.join("scaling_pred.npy")),
            ],
        ),
    ];
    let mpirun = std::env::var("SPMD_MPIRUN").unwrap_or_else(|_| "mpirun".into());
    let launch = |n: usize, args: &[String]| {
        let mut words = mpirun.split_whitespace();
        let mut c = Command::new(words.next().unwrap_or("mpirun"));
        c.args(words)
            .args(["-n", &n.to_string()])
            .arg(binary)
            .args(args);
        c.env("SPMD_COMM_STATS", "1");
        c
    };
    // The kNN model (its training files) once, on one rank.
    let knn_fit = fit("knn-classifier", &f.dense, Some(&f.labels), &[], &knn);
    let status = launch(1, &knn_fit).output()?;
    if !status.status.success() {
        return Err(String::from_utf8_lossy(&status.stderr).into_owned().into());
    }
    println!();
    println!("| workload | ranks | wall s | collectives | ring steps | sent MB (most of a rank) | received MB (most of a rank) | s in collectives (most) |");
    println!("|---|---|---|---|---|---|---|---|");
    for (name, args) in &workloads {
        for &n in ranks {
            let start = Instant::now();
            let out = launch(n, args).output()?;
            let wall = start.elapsed().as_secs_f64();
            let stderr = String::from_utf8_lossy(&out.stderr);
            if !out.status.success() {
                return Err(format!("{name} on {n} ranks: {stderr}").into());
            }
            let lines = stats_lines(&stderr);
            let most = |name: &str| lines.iter().map(|l| field(l, name)).fold(0.0, f64::max);
            let collectives: f64 = lines.first().map_or(0.0, |l| {
                [
                    "allreduce",
                    "scan",
                    "broadcast",
                    "allgather",
                    "allgatherv",
                    "gatherv",
                    "alltoallv",
                    "ring_steps",
                    "barrier",
                    "split",
                ]
                .iter()
                .map(|k| field(l, k))
                .sum()
            });
            println!(
                "| {name} | {n} | {wall:.3} | {collectives:.0} | {:.0} | {:.3} | {:.3} | {:.3} |",
                most("ring_steps"),
                most("sent_bytes") / 1e6,
                most("received_bytes") / 1e6,
                most("seconds"),
            );
        }
    }
    Ok(())
}
