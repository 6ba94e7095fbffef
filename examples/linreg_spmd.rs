//! The flagship demo: `mpirun -n 4 target/release/examples/linreg_spmd`.
//!
//! Each rank builds its slice of one synthetic regression problem (the rows depend only on their
//! global index, so the problem is the same for any number of ranks) or reads `--x`/`--y` .npy
//! shards, fits LinearRegression on its GPU (`--cpu` for the CPU), and rank 0 prints the model,
//! the global R², timings and the adapters used.

#[path = "common/synthetic.rs"]
mod synthetic;

use std::time::Instant;

use clap::Parser;
use ndarray::{Array1, Array2};
use spmd_learn::comm::{Comm, ReduceOp};
use spmd_learn::prelude::*;
use synthetic::{cell, rank_rows};

#[derive(Parser)]
#[command(about = "Distributed LinearRegression over MPI ranks and GPUs")]
struct Args {
    /// Rows on each rank (synthetic data).
    #[arg(long, default_value_t = 250_000)]
    rows_per_rank: usize,
    /// Features (synthetic data).
    #[arg(long, default_value_t = 16)]
    features: usize,
    /// This rank's features: a .npy path with `{rank}` (replaces the synthetic data).
    #[arg(long, requires = "y")]
    x: Option<String>,
    /// This rank's targets, like --x.
    #[arg(long, requires = "x")]
    y: Option<String>,
    /// Fit on the CPU instead of the GPU.
    #[arg(long)]
    cpu: bool,
}

/// True coefficients 1, -2, 3, ... and intercept 0.5; noise 0.01.
fn synthetic(comm: &Comm, rows: usize, features: usize) -> (Array2<f64>, Array1<f64>) {
    let first = (comm.rank() * rows) as u64;
    let x = rank_rows(comm, rows, features, |_, _, v| v);
    let y = Array1::from_shape_fn(rows, |i| {
        let row = x.row(i);
        let signal: f64 = row
            .iter()
            .enumerate()
            .map(|(j, v)| v * (j as f64 + 1.0) * if j % 2 == 0 { 1.0 } else { -1.0 })
            .sum();
        0.5 + signal + 0.01 * cell(first + i as u64, u64::MAX)
    });
    (x, y)
}

fn load(pattern: &str, comm: &Comm) -> Result<Array2<f64>, Box<dyn std::error::Error>> {
    Ok(spmd_cli::data::read_features(pattern, comm)?.to_owned_as::<f64>()?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let comm = Comm::world()?;
    init_logging(&comm);

    let (x, y) = match (&args.x, &args.y) {
        (Some(xp), Some(yp)) => (load(xp, &comm)?, load(yp, &comm)?.column(0).to_owned()),
        _ => synthetic(&comm, args.rows_per_rank, args.features),
    };

    let queue = if args.cpu { None } else { Some(Queue::new()?) };
    let device = queue
        .as_ref()
        .map_or("CPU".to_string(), |q| q.info().to_string());
    let (devices, _) = comm.allgatherv(format!("rank {}: {device}\n", comm.rank()).as_bytes())?;

    comm.barrier()?;
    let start = Instant::now();
    let model = LinearRegression::new().fit(&x, &y, queue.as_ref())?;
    let fit_seconds = comm.allreduce_scalar(start.elapsed().as_secs_f64(), ReduceOp::Max)?;
    let start = Instant::now();
    let r2 = model.score(&x, &y, queue.as_ref())?;
    let score_seconds = comm.allreduce_scalar(start.elapsed().as_secs_f64(), ReduceOp::Max)?;

    // Every rank holds the same model: compare each rank's coefficients with rank 0's.
    let mine: Vec<f64> = model
        .coef()
        .iter()
        .chain(model.intercept().iter())
        .copied()
        .collect();
    let mut root = mine.clone();
    comm.broadcast(0, &mut root)?;
    let same = comm.allreduce_scalar(u64::from(mine == root), ReduceOp::Min)? == 1;
    let rows = comm.allreduce_scalar(x.nrows() as u64, ReduceOp::Sum)?;

    if comm.is_root() {
        println!(
            "spmd-learn LinearRegression on {} rank(s), {rows} rows x {} features",
            comm.size(),
            x.ncols()
        );
        print!("{}", String::from_utf8_lossy(&devices));
        let shown: Vec<String> = model
            .coef()
            .row(0)
            .iter()
            .take(8)
            .map(|v| format!("{v:.4}"))
            .collect();
        let more = if model.n_features_in() > 8 {
            ", ..."
        } else {
            ""
        };
        println!("coef_      = [{}{more}]", shown.join(", "));
        println!("intercept_ = {:.6}", model.intercept()[0]);
        println!("R^2        = {r2:.6}");
        println!("fit        = {fit_seconds:.3} s, score = {score_seconds:.3} s");
        println!(
            "every rank holds the same model: {}",
            if same { "yes" } else { "NO" }
        );
    }
    if !same {
        return Err("ranks hold different models".into());
    }
    Ok(())
}
