//! Benchmark: fit times of the estimators, CPU and GPU paths, as a markdown table.
//!
//! `cargo run --release --example bench` (one rank) or `mpirun -n 2 target/release/examples/bench`
//! (the rows split over two ranks). Data generation is not timed; each CPU cell is the best of
//! `--repeats` fits (GPU cells: one fit).
//!
//! `bench --cli target/release/spmd-learn` (one process, not under mpirun) times instead what
//! users run: `spmd-learn fit` as whole processes on `.npy` files written to `--data-dir`, one
//! rank and `mpirun -n 2`, with peak memory, and daal4py's `np.load` + fit of the same files in
//! the same run (`--python`).
//!
//! `bench --scaling target/release/spmd-learn` runs each family's command under `mpirun -n P`
//! (`--ranks 1,2,4`) with the communication counters, for docs/scaling.md.

use std::time::Instant;

use clap::Parser;

#[path = "support/cli_bench.rs"]
mod cli_bench;
#[path = "support/scaling.rs"]
mod scaling;
use ndarray::{Array1, Array2};
use spmd_learn::cluster::{Dbscan, Init, KMeans};
use spmd_learn::comm::{Comm, ReduceOp};
use spmd_learn::covariance::EmpiricalCovariance;
use spmd_learn::decomposition::{NComponents, Pca, Qr};
use spmd_learn::ensemble::{RandomForestClassifier, RandomForestRegressor};
use spmd_learn::linear::LogisticRegression;
use spmd_learn::neighbors::KNeighborsClassifier;
use spmd_learn::prelude::*;

#[derive(Parser)]
struct Args {
    /// Fits per CPU measurement (the best is reported).
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// Skip the GPU rows (lavapipe proves correctness, not speed).
    #[arg(long)]
    cpu_only: bool,
    /// Workloads to run.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "linear-2000000x32,linear-200000x256,covariance-1000000x64,pca8-1000000x64,qr-2000000x32,kmeans-1000000x32,kmeans32-1000000x32,logreg-500000x32"
    )]
    only: Vec<String>,
    /// Time the command line binary at this path on files instead ("CLI load + fit" rows).
    #[arg(long)]
    cli: Option<std::path::PathBuf>,
    /// Where the CLI rows' data files are written (kept between runs).
    #[arg(long, default_value = "bench-data")]
    data_dir: std::path::PathBuf,
    /// Write the CLI rows' data files into this folder and exit (run by `--cli` as a process
    /// of its own).
    #[arg(long, hide = true)]
    write_cli_files: Option<std::path::PathBuf>,
    /// With `--cli`: time the CLI's `--gpu` fits instead, with each fit's GPU traffic.
    #[arg(long, requires = "cli")]
    cli_gpu: bool,
    /// With `--cli-gpu`: the adapter's memory bandwidth in GB/s, for the kernels' share of it.
    #[arg(long, requires = "cli_gpu")]
    gpu_peak_gbs: Option<f64>,
    /// Run each family's command line under `mpirun -n P` with the communication counters
    /// (the binary at this path; P from `--ranks`) instead.
    #[arg(long)]
    scaling: Option<std::path::PathBuf>,
    /// With `--scaling`: the rank counts.
    #[arg(long, value_delimiter = ',', default_value = "1,2,4")]
    ranks: Vec<usize>,
    /// Write the scaling rows' data files into this folder and exit (run by `--scaling`).
    #[arg(long, hide = true)]
    write_scaling_files: Option<std::path::PathBuf>,
    /// Python with numpy and daal4py for the peer's CLI rows; `none` skips them.
    #[arg(long, default_value = "python3")]
    python: String,
}

fn data(comm: &Comm, rows: usize, cols: usize) -> (Array2<f64>, Array1<f64>) {
    let (a, b) = (
        rows * comm.rank() / comm.size(),
        rows * (comm.rank() + 1) / comm.size(),
    );
    let mut state = 0x2545_F491_4F6C_DD1D_u64 ^ (a as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let x = Array2::from_shape_simple_fn((b - a, cols), &mut next);
    let y = Array1::from_shape_fn(b - a, |i| x.row(i).sum() + next());
    (x, y)
}

/// 1 with probability $1 / (1 + e^{-\sum_j x_{ij}})$, else 0.
fn binary_labels(comm: &Comm, x: &Array2<f64>) -> Array1<i64> {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64 ^ (comm.rank() as u64 + 1);
    x.rows()
        .into_iter()
        .map(|row| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            i64::from(u < 1.0 / (1.0 + (-row.sum()).exp()))
        })
        .collect()
}

/// DBSCAN's eps for the bench's blobs of `cols` features (bench/daal4py_bench.py uses the same).
fn dbscan_eps(cols: usize) -> f64 {
    match cols {
        c if c <= 4 => 0.1,
        c if c <= 8 => 2.0,
        _ => 9.5,
    }
}

/// KNeighborsClassifier (k = 5) fitted on `x`, predicting `queries` (candidates found on
/// `queue`'s GPU when given).
fn knn_predict<F: spmd_learn::Float>(
    comm: &Comm,
    (x, labels): (&Array2<F>, &Array1<i64>),
    queries: &Array2<F>,
    queue: Option<&Queue>,
) -> Result<(), Error> {
    KNeighborsClassifier::new()
        .comm(comm.clone())
        .fit(x, labels)?
        .predict(queries.view(), queue)
        .map(drop)
}

type Fit<'a> = Box<dyn Fn(Option<&Queue>) -> Result<(), Error> + 'a>;

fn best(
    comm: &Comm,
    fit: &Fit<'_>,
    queue: Option<&Queue>,
    repeats: usize,
) -> Result<f64, Box<dyn std::error::Error>> {
    let mut best = f64::INFINITY;
    for _ in 0..repeats.max(1) {
        comm.barrier()?;
        let start = Instant::now();
        fit(queue)?;
        best = best.min(comm.allreduce_scalar(start.elapsed().as_secs_f64(), ReduceOp::Max)?);
    }
    Ok(best)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if let Some(dir) = &args.write_scaling_files {
        let whole = |rows, cols| data(&Comm::single(), rows, cols);
        return Ok(scaling::write_files(dir, &whole)?);
    }
    if let Some(binary) = &args.scaling {
        return scaling::run(binary, &args.data_dir, &args.ranks);
    }
    if let Some(dir) = &args.write_cli_files {
        let whole = |rows, cols| data(&Comm::single(), rows, cols);
        return Ok(cli_bench::write_files(dir, &whole)?);
    }
    if let Some(binary) = &args.cli {
        let python = (args.python != "none").then_some(args.python.as_str());
        return cli_bench::run(
            binary,
            &args.data_dir,
            args.repeats,
            python,
            args.cli_gpu,
            args.gpu_peak_gbs,
        );
    }
    let comm = Comm::world()?;
    init_logging(&comm);
    let queue = if args.cpu_only {
        None
    } else {
        Queue::new().ok()
    };
    if comm.is_root() {
        println!("| ranks | workload | rows x features | device | fit s | GB/s read |");
        println!("|---|---|---|---|---|---|");
    }
    for workload in &args.only {
        let (name, size) = workload
            .split_once('-')
            .ok_or_else(|| format!("workload {workload:?} is not NAME-ROWSxCOLS"))?;
        let (rows, cols) = size
            .split_once('x')
            .and_then(|(r, c)| Some((r.parse::<usize>().ok()?, c.parse::<usize>().ok()?)))
            .ok_or_else(|| format!("size {size:?} is not ROWSxCOLS"))?;
        let (x, y) = data(&comm, rows, cols);
        let fit: Fit<'_> = match name {
            "linear" => Box::new(|q| {
                LinearRegression::new()
                    .comm(comm.clone())
                    .fit(&x, &y, q)
                    .map(drop)
            }),
            "covariance" => Box::new(|q| {
                EmpiricalCovariance::new()
                    .comm(comm.clone())
                    .fit(&x, q)
                    .map(drop)
            }),
            "pca8" => Box::new(|q| {
                Pca::new()
                    .n_components(NComponents::Count(8))
                    .comm(comm.clone())
                    .fit(&x, q)
                    .map(drop)
            }),
            "qr" => Box::new(|_| Qr::new().comm(comm.clone()).fit(&x).map(drop)),
            // k = 10, 20 Lloyd iterations from given centres (the first rows), as every library
            // can be made to do the same work; kmeans32 runs it on f32 data.
            "kmeans" | "kmeans32" => {
                let centres = data(&Comm::single(), 10, cols).0;
                let x32 = x.mapv(|v| v as f32);
                let km = move |c: &Comm| {
                    KMeans::new(10)
                        .init(Init::Given(centres.clone()))
                        .max_iter(20)
                        .tol(0.0)
                        .comm(c.clone())
                };
                let comm = comm.clone();
                if name == "kmeans" {
                    let x = x.clone();
                    Box::new(move |q| km(&comm).fit(&x, q).map(drop))
                } else {
                    Box::new(move |q| km(&comm).fit(&x32, q).map(drop))
                }
            }
            // Binary labels drawn with probability sigmoid(sum of the row); scikit-learn's
            // defaults (lbfgs, C = 1, tol = 1e-4).
            "logreg" => {
                let labels = binary_labels(&comm, &x);
                let (comm, x) = (comm.clone(), x.clone());
                Box::new(move |q| {
                    LogisticRegression::new()
                        .comm(comm.clone())
                        .fit(&x, &labels, q)
                        .map(drop)
                })
            }
            // KNeighborsClassifier (k = 5, brute force) fitted on the rows, predicting 10,000
            // query rows split over the ranks.
            // knn32 runs it on f32 rows and queries (the sweep prunes in f32).
            "knn" | "knn32" => {
                let labels = binary_labels(&comm, &x);
                // Negated, so the queries are not the first training rows themselves.
                let queries = data(&comm, 10_000, cols).0.mapv(|v| -v);
                let comm = comm.clone();
                if name == "knn" {
                    let x = x.clone();
                    Box::new(move |q| knn_predict(&comm, (&x, &labels), &queries, q))
                } else {
                    let (x, queries) = (x.mapv(|v| v as f32), queries.mapv(|v| v as f32));
                    Box::new(move |q| knn_predict(&comm, (&x, &labels), &queries, q))
                }
            }
            // make_blobs(centers=10, random_state=0) rows written by bench/daal4py_bench.py
            // (which times scikit-learn and scikit-learn-intelex on the same file), split over
            // the ranks; min_samples = 5 and eps by width, as there.
            "dbscan" => {
                let path = args.data_dir.join(format!("dbscan_{rows}x{cols}.npy"));
                let file = std::fs::File::open(&path).map_err(|e| {
                    format!("{}: {e}; bench/daal4py_bench.py writes it", path.display())
                })?;
                let all: Array2<f64> = ndarray_npy::ReadNpyExt::read_npy(file)?;
                let (start, end) = (
                    rows * comm.rank() / comm.size(),
                    rows * (comm.rank() + 1) / comm.size(),
                );
                let mine = all.slice(ndarray::s![start..end, ..]).to_owned();
                let eps = dbscan_eps(cols);
                let comm = comm.clone();
                Box::new(move |q| {
                    Dbscan::new()
                        .eps(eps)
                        .min_samples(5)
                        .comm(comm.clone())
                        .fit(&mine, None, q)
                        .map(drop)
                })
            }
            // RandomForestClassifier / RandomForestRegressor (max_features=1.0), 50 trees,
            // random_state=0, on make_classification / make_regression rows (16 informative)
            // written by bench/daal4py_bench.py, which times scikit-learn-intelex on them.
            "rfc" | "rfr" => {
                let kind = if name == "rfc" { "clf" } else { "reg" };
                let read = |part: &str| {
                    let path = args
                        .data_dir
                        .join(format!("forest_{kind}_{rows}x{cols}_{part}.npy"));
                    std::fs::File::open(&path).map_err(|e| {
                        format!("{}: {e}; bench/daal4py_bench.py writes it", path.display())
                    })
                };
                let (start, end) = (
                    rows * comm.rank() / comm.size(),
                    rows * (comm.rank() + 1) / comm.size(),
                );
                let all: Array2<f64> = ndarray_npy::ReadNpyExt::read_npy(read("x")?)?;
                let mine = all.slice(ndarray::s![start..end, ..]).to_owned();
                let comm = comm.clone();
                if name == "rfc" {
                    let y: Array1<i64> = ndarray_npy::ReadNpyExt::read_npy(read("y")?)?;
                    let y = y.slice(ndarray::s![start..end]).to_owned();
                    Box::new(move |q| {
                        RandomForestClassifier::new()
                            .n_estimators(50)
                            .random_state(0)
                            .comm(comm.clone())
                            .fit(&mine, &y, q)
                            .map(drop)
                    })
                } else {
                    let y: Array1<f64> = ndarray_npy::ReadNpyExt::read_npy(read("y")?)?;
                    let y = y.slice(ndarray::s![start..end]).to_owned();
                    Box::new(move |q| {
                        RandomForestRegressor::new()
                            .n_estimators(50)
                            .random_state(0)
                            .comm(comm.clone())
                            .fit(&mine, &y, q)
                            .map(drop)
                    })
                }
            }
            other => return Err(format!("unknown workload {other:?}").into()),
        };
        let single = name == "kmeans32" || name == "knn32";
        let bytes = (rows * cols * if single { 4 } else { 8 }) as f64;
        let mut devices: Vec<(String, Option<&Queue>, usize)> =
            vec![("CPU".into(), None, args.repeats)];
        if let (Some(q), false) = (&queue, name == "qr") {
            devices.push((q.info().name.clone(), Some(q), 1));
        }
        for (device, q, repeats) in devices {
            let seconds = best(&comm, &fit, q, repeats)?;
            if comm.is_root() {
                println!(
                    "| {} | {name} | {rows} x {cols} | {device} | {seconds:.3} | {:.1} |",
                    comm.size(),
                    bytes / seconds / 1e9
                );
            }
        }
    }
    Ok(())
}
