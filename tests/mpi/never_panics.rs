//! Every registered estimator, driven through the command line over every small shape: a model
//! or a clear error on every rank alike, never a panic or a hang.
//!
//! The shapes are enumerated, not sampled (they are few): 0 to 3 rows on each rank (so empty
//! ranks and every rank empty), 0 to 3 columns, varied or constant values, and a NaN in X on the
//! last rank; the estimators with `n_components`, `n_clusters`, `n_neighbors` or
//! `min_cluster_size` also take those at 0, 1, the number of rows and columns, and past them.
//! Each case writes each rank's shard and runs `fit`, then, for a model, every operation it
//! has (`predict`, `transform`, `inverse-transform`, `kneighbors`) on the same rows. The
//! properties:
//! - no rank panics (a panic ends the job through `MPI_Abort`, naming the case);
//! - every rank gets the same outcome, and an error has a message;
//! - a model is written, and every result has one row per input row.
//!
//! Runs as one process under `cargo test` and under `mpirun -n 2` and `-n 4`
//! (`scripts/mpi-tests.sh`); with more than 2 ranks, even ranks take the first rank's row
//! count and odd ranks the second's, over a subset of the shapes (0 and 2 rows and columns,
//! varied values and NaN, the edge parameters 0, 1 and 4).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use harness::{ensure, Harness};
use ndarray::{Array1, Array2, ArrayD};
use ndarray_npy::{ReadNpyExt, WriteNpyExt};
use spmd_cli::{Entry, Operation, ESTIMATORS};
use spmd_learn::comm::{Comm, ReduceOp};

thread_local! {
    /// The case running, for the panic hook.
    static CASE: RefCell<String> = const { RefCell::new(String::new()) };
}

/// One generated input.
#[derive(Debug, Clone)]
struct Shape {
    /// Rows of even ranks, rows of odd ranks.
    rows: [usize; 2],
    columns: usize,
    constant: bool,
    nan_on_last_rank: bool,
    /// One extra `--param NAME=VALUE`.
    param: Option<(&'static str, usize)>,
    /// Its place in the list (names its files).
    index: usize,
}

impl Shape {
    fn label(&self, entry: &Entry) -> String {
        let mut label = format!(
            "{} rows {:?} x {} columns{}{}",
            entry.name(),
            self.rows,
            self.columns,
            if self.constant { ", constant" } else { "" },
            if self.nan_on_last_rank {
                ", NaN on the last rank"
            } else {
                ""
            },
        );
        if let Some((name, value)) = self.param {
            label += &format!(", {name}={value}");
        }
        label
    }

    fn rows_of(&self, rank: usize) -> usize {
        self.rows[rank % 2]
    }

    /// This rank's features: small non-negative counts (multinomial naive Bayes takes them too).
    fn x(&self, comm: &Comm) -> Array2<f64> {
        let (rank, n) = (comm.rank(), self.rows_of(comm.rank()));
        let mut x = Array2::from_shape_fn((n, self.columns), |(i, j)| {
            if self.constant {
                2.0
            } else {
                ((rank * 5 + i * 7 + j * 3) % 5) as f64
            }
        });
        if self.nan_on_last_rank && rank + 1 == comm.size() && n > 0 && self.columns > 0 {
            x[[n - 1, self.columns - 1]] = f64::NAN;
        }
        x
    }

    /// Labels 0 and 1 alternating (one label when constant): classifiers and regressors alike.
    fn y(&self, comm: &Comm) -> Array1<f64> {
        let (rank, n) = (comm.rank(), self.rows_of(comm.rank()));
        Array1::from_shape_fn(n, |i| {
            if self.constant {
                1.0
            } else {
                ((rank + i) % 2) as f64
            }
        })
    }
}

/// The shapes every estimator is driven with: every one (`all`), or 0 and 2 rows and columns,
/// varied values with and without a NaN, and the edge parameters 0, 1 and 4.
fn shapes(entry: &Entry, all_shapes: bool) -> Vec<Shape> {
    let counts: &[usize] = if all_shapes { &[0, 1, 2, 3] } else { &[0, 2] };
    let flavours: &[(bool, bool)] = if all_shapes {
        &[(false, false), (true, false), (false, true)]
    } else {
        &[(false, false), (false, true)]
    };
    let mut all = Vec::new();
    for &a in counts {
        for &b in counts {
            for &columns in counts {
                for &(constant, nan_on_last_rank) in flavours {
                    all.push(Shape {
                        rows: [a, b],
                        columns,
                        constant,
                        nan_on_last_rank,
                        param: None,
                        index: all.len(),
                    });
                }
            }
        }
    }
    let defaults = entry
        .params(serde_json::Map::new())
        .expect("defaults parse");
    for name in [
        "n_components",
        "n_clusters",
        "n_neighbors",
        "min_cluster_size",
    ] {
        if defaults.get(name).is_none() {
            continue;
        }
        let values: &[usize] = if all_shapes {
            &[0, 1, 2, 3, 4, 7]
        } else {
            &[0, 1, 4]
        };
        for &value in values {
            for (rows, columns) in [([1, 2], 2), ([3, 0], 3), ([2, 2], 1)] {
                all.push(Shape {
                    rows,
                    columns,
                    constant: false,
                    nan_on_last_rank: false,
                    param: Some((name, value)),
                    index: all.len(),
                });
            }
        }
    }
    all
}

fn run(comm: &Comm, words: &[String]) -> Result<(), String> {
    let argv = std::iter::once("spmd-learn".to_string()).chain(words.iter().cloned());
    let cli = <spmd_cli::Cli as clap::Parser>::try_parse_from(argv).map_err(|e| e.to_string())?;
    spmd_cli::run_parsed(comm, cli).map_err(|e| e.to_string())
}

/// Every rank had the same outcome, and an error says something.
fn same_outcome(comm: &Comm, what: &str, outcome: &Result<(), String>) -> Result<bool, String> {
    let ok = u64::from(outcome.is_ok());
    let all = comm.allreduce_scalar(ok, ReduceOp::Min).unwrap();
    let any = comm.allreduce_scalar(ok, ReduceOp::Max).unwrap();
    ensure(all == any, || {
        format!(
            "{what}: the ranks disagree (rank {}: {outcome:?})",
            comm.rank()
        )
    })?;
    let said = match outcome {
        Err(message) => ensure(!message.trim().is_empty(), || {
            format!("{what}: an empty error")
        }),
        Ok(()) => Ok(()),
    };
    on_every_rank(comm, said)?;
    Ok(all == 1)
}

/// A local check made collective: it fails on every rank if it failed on any, so that no rank
/// leaves the case while the others wait in its next collective.
fn on_every_rank(comm: &Comm, local: Result<(), String>) -> Result<(), String> {
    let failed = comm
        .allreduce_scalar(u64::from(local.is_err()), ReduceOp::Max)
        .unwrap();
    match (local, failed) {
        (Err(e), _) => Err(e),
        (Ok(()), 0) => Ok(()),
        (Ok(()), _) => Err("a check failed on another rank".into()),
    }
}

fn write_npy<A: WriteNpyExt>(path: &Path, a: &A) {
    a.write_npy(std::fs::File::create(path).unwrap()).unwrap();
}

/// Rows of a written result (`{rank}` shard of this rank).
fn rows_written(path: &Path) -> Result<usize, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let a = ArrayD::<f64>::read_npy(file).map_err(|e| e.to_string())?;
    Ok(a.shape().first().copied().unwrap_or(0))
}

/// One case: fit, then every operation of the model. Ok(whether a model was fitted). Collective:
/// every rank returns the same outcome.
fn drive(comm: &Comm, entry: &Entry, shape: &Shape, dir: &Path) -> Result<bool, String> {
    let rank = comm.rank();
    let shard = |name: &str| dir.join(format!("{name}_{rank}.npy"));
    let pattern = |name: &str| dir.join(format!("{name}_{{rank}}.npy"));
    let text = |p: PathBuf| p.to_string_lossy().into_owned();
    let x = shape.x(comm);
    write_npy(&shard("x"), &x);
    write_npy(&shard("y"), &shape.y(comm));
    // A model file of its own per case: rank 0 writes it, every rank reads it.
    let model = dir.join(format!("model_{}.json", shape.index));
    comm.barrier().unwrap();

    let mut fit: Vec<String> = ["fit", entry.name(), "--x"].map(String::from).to_vec();
    fit.push(text(pattern("x")));
    if entry.supervised() {
        fit.extend(["--y".into(), text(pattern("y"))]);
    }
    if entry.name().starts_with("random-forest") {
        fit.extend(["--param".into(), "n_estimators=3".into()]);
    }
    if let Some((name, value)) = shape.param {
        fit.extend(["--param".into(), format!("{name}={value}")]);
    }
    fit.extend(["--out".into(), text(model.clone())]);
    let fitted = run(comm, &fit);
    comm.barrier().unwrap();
    if !same_outcome(comm, "fit", &fitted)? {
        return Ok(false);
    }
    on_every_rank(
        comm,
        ensure(model.exists(), || "fit succeeded but wrote no model".into()),
    )?;

    let mut operations: Vec<&str> = [
        (Operation::Predict, "predict"),
        (Operation::Transform, "transform"),
        (Operation::InverseTransform, "inverse-transform"),
    ]
    .into_iter()
    .filter(|(op, _)| entry.has(*op))
    .map(|(_, name)| name)
    .collect();
    if entry.has_kneighbors() {
        operations.push("kneighbors");
    }
    for operation in operations {
        let out = dir.join(format!("out_{operation}_{{rank}}.npy"));
        let mine = dir.join(format!("out_{operation}_{rank}.npy"));
        let _ = std::fs::remove_file(&mine);
        let words: Vec<String> = [
            operation,
            "--model",
            &text(model.clone()),
            "--x",
            &text(pattern("x")),
            "--out",
            &text(out),
        ]
        .map(String::from)
        .to_vec();
        let applied = run(comm, &words);
        if same_outcome(comm, operation, &applied)? {
            let rows = rows_written(&mine).and_then(|written| {
                ensure(written == x.nrows(), || {
                    format!(
                        "{operation} wrote {written} rows for {} input rows",
                        x.nrows()
                    )
                })
            });
            on_every_rank(comm, rows)?;
        }
    }
    if comm.is_root() {
        let _ = std::fs::remove_file(&model);
    }
    Ok(true)
}

fn main() {
    let mut h = Harness::new("mpi_never_panics");
    // A panic on one rank would leave the others waiting in a collective: end the job, naming
    // the case.
    std::panic::set_hook(Box::new(|info| {
        let case = CASE.with(|c| c.borrow().clone());
        let rank = spmd_learn::comm::LauncherInfo::from_env().rank.unwrap_or(0);
        eprintln!("error: rank {rank} panicked in case `{case}`: {info}");
        spmd_learn::comm::abort_job(101);
    }));
    let dir = std::env::temp_dir().join(format!("spmd-learn-never-panics-{}", h.comm.size()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    // Every shape on 1 and 2 ranks. On more ranks, which share CI's two cores, a collective
    // waits for a rank to be scheduled (MPICH polls without yielding: milliseconds each), so a
    // subset: empty ranks, 0 and 2 columns, NaN and the edge parameters.
    let all_shapes = h.comm.size() <= 2;
    // `SPMD_SHAPES_VERBOSE=1`: rank 0 prints each case and its time (to find a slow one).
    let verbose = std::env::var("SPMD_SHAPES_VERBOSE").is_ok();
    for entry in ESTIMATORS {
        let label = format!("{}: a model or a clear error for every shape", entry.name());
        h.run(&label, |c| {
            let (mut models, mut errors) = (0, 0);
            for shape in shapes(entry, all_shapes) {
                let case = shape.label(entry);
                CASE.with(|c| *c.borrow_mut() = case.clone());
                let start = std::time::Instant::now();
                let outcome = drive(c, entry, &shape, &dir);
                if verbose && c.is_root() {
                    println!("    {case} ({:.1?})", start.elapsed());
                }
                match outcome {
                    Ok(true) => models += 1,
                    Ok(false) => errors += 1,
                    Err(why) => return Err(format!("{case}: {why}")),
                }
            }
            if c.is_root() {
                println!("  {}: {models} models, {errors} clear errors", entry.name());
            }
            // Some shape must fit: a generator that only made errors would prove little.
            ensure(models > 0, || "no shape gave a model".into())
        });
    }
    let _ = std::fs::remove_dir_all(&dir);
    h.finish()
}
