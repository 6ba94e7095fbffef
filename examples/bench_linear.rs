//! Benchmark: LinearRegression fit, CPU and GPU paths, printed as a markdown table.
//!
//! `cargo run --release --example bench_linear` (one rank) or
//! `mpirun -n 2 target/release/examples/bench_linear` (the rows split over two ranks).
//! Data generation is not timed; each cell is the best of `--repeats` fits.

use std::time::Instant;

use clap::Parser;
use ndarray::{Array1, Array2};
use spmd_learn::comm::{Comm, ReduceOp};
use spmd_learn::prelude::*;

#[derive(Parser)]
struct Args {
    /// Fits per measurement (the best is reported).
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// Skip the GPU rows (lavapipe proves correctness, not speed).
    #[arg(long)]
    cpu_only: bool,
    /// Problem sizes as ROWSxCOLS (global rows).
    #[arg(long, value_delimiter = ',', default_value = "2000000x32,200000x256")]
    sizes: Vec<String>,
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

fn best_fit(
    comm: &Comm,
    x: &Array2<f64>,
    y: &Array1<f64>,
    queue: Option<&Queue>,
    repeats: usize,
) -> Result<f64, Box<dyn std::error::Error>> {
    let mut best = f64::INFINITY;
    for _ in 0..repeats.max(1) {
        comm.barrier()?;
        let start = Instant::now();
        let model = LinearRegression::new()
            .comm(comm.clone())
            .fit(x, y, queue)?;
        let seconds = comm.allreduce_scalar(start.elapsed().as_secs_f64(), ReduceOp::Max)?;
        std::hint::black_box(model);
        best = best.min(seconds);
    }
    Ok(best)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let comm = Comm::world()?;
    let queue = if args.cpu_only {
        None
    } else {
        Queue::new().ok()
    };
    if comm.is_root() {
        println!(
            "| ranks | rows x features | device | fit s | GB/s read | GFLOP/s (symmetric Gram) |"
        );
        println!("|---|---|---|---|---|---|");
    }
    for size in &args.sizes {
        let (rows, cols) = size
            .split_once('x')
            .and_then(|(r, c)| Some((r.parse::<usize>().ok()?, c.parse::<usize>().ok()?)))
            .ok_or_else(|| format!("size {size:?} is not ROWSxCOLS"))?;
        let (x, y) = data(&comm, rows, cols);
        let bytes = (rows * (cols + 1) * 8) as f64;
        let w = (cols + 1) as f64;
        let flops = rows as f64 * w * (w + 1.0);
        let mut devices: Vec<(String, Option<&Queue>)> = vec![("CPU".into(), None)];
        if let Some(q) = &queue {
            devices.push((q.info().name.clone(), Some(q)));
        }
        for (name, q) in devices {
            let repeats = if q.is_some() { 1 } else { args.repeats };
            let seconds = best_fit(&comm, &x, &y, q, repeats)?;
            if comm.is_root() {
                println!(
                    "| {} | {rows} x {cols} | {name} | {seconds:.3} | {:.1} | {:.1} |",
                    comm.size(),
                    bytes / seconds / 1e9,
                    flops / seconds / 1e9
                );
            }
        }
    }
    Ok(())
}
