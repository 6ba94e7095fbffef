//! Column statistics and covariance over MPI ranks:
//! `mpirun -n 4 target/release/examples/statistics_spmd [--cpu]`.
//!
//! Each rank builds its rows of one synthetic data set (column j has mean 10^j, so the last
//! columns test the numerics), computes BasicStatistics and EmpiricalCovariance on its GPU or
//! CPU, and rank 0 prints them.

#[path = "common/synthetic.rs"]
mod synthetic;

use clap::Parser;
use spmd_learn::covariance::EmpiricalCovariance;
use spmd_learn::statistics::{BasicStatistics, Statistic};

#[derive(Parser)]
#[command(about = "Distributed BasicStatistics and EmpiricalCovariance")]
struct Args {
    #[command(flatten)]
    run: synthetic::Run,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let (comm, queue) = args.run.start()?;
    let x = synthetic::rank_rows(&comm, args.run.rows_per_rank, 5, |_, j, v| {
        10f64.powi(j as i32) + v * (j as f64 + 1.0)
    });

    let stats = BasicStatistics::new().fit(&x, None, queue.as_ref())?;
    let cov = EmpiricalCovariance::new().fit(&x, queue.as_ref())?;
    if comm.is_root() {
        println!("BasicStatistics over {} rank(s):", comm.size());
        for s in [
            Statistic::Mean,
            Statistic::StandardDeviation,
            Statistic::Min,
            Statistic::Max,
        ] {
            let values: Vec<String> = stats
                .get(s)
                .map(|v| v.iter().map(|v| format!("{v:.4}")).collect())
                .unwrap_or_default();
            println!("  {:<20} [{}]", s.attribute(), values.join(", "));
        }
        println!(
            "correlation of columns 0 and 1: {:.4}",
            cov.correlation()[[0, 1]]
        );
        println!(
            "device: {}",
            queue
                .as_ref()
                .map_or("CPU".into(), |q| q.info().to_string())
        );
    }
    Ok(())
}
