//! Distributed DBSCAN: `mpirun -n 4 target/release/examples/dbscan_spmd [--cpu]`.
//!
//! Each rank builds its rows of one synthetic data set (rings of points around four centres,
//! with scattered noise), DBSCAN labels every rank's rows as one process would, and rank 0
//! prints the clusters, their sizes over all ranks, and the noise. Each rank's GPU sorts the
//! pairs of every block against eps (without `--cpu`); the labels are the same either way.

#[path = "common/synthetic.rs"]
mod synthetic;

use clap::Parser;
use spmd_learn::cluster::Dbscan;
use spmd_learn::comm::ReduceOp;

#[derive(Parser)]
#[command(about = "Distributed DBSCAN")]
struct Args {
    /// Rows on each rank, and the device.
    #[command(flatten)]
    run: synthetic::Run,
    /// The neighbourhood radius.
    #[arg(long, default_value_t = 0.3)]
    eps: f64,
    /// The neighbourhood size of a core row.
    #[arg(long, default_value_t = 10)]
    min_samples: usize,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let (comm, queue) = args.run.start()?;
    // Row r: a point on the ring of radius 2 around centre (hash of r) % 4, or, one row in
    // twenty, noise anywhere in the square.
    let x = synthetic::rank_rows(&comm, args.run.rows_per_rank, 2, |row, j, noise| {
        if synthetic::cell(row, 11) > 0.9 {
            return synthetic::cell(row, 13 + j as u64) * 12.0;
        }
        let u = synthetic::cell(row, 7) * 0.5 + 0.5;
        let centre = ((synthetic::cell(row, 5) * 0.5 + 0.5) * 4.0)
            .floor()
            .min(3.0);
        let angle = u * std::f64::consts::TAU;
        let offset = [
            8.0 * (centre % 2.0) - 4.0,
            8.0 * (centre / 2.0).floor() - 4.0,
        ][j];
        let ring = if j == 0 { angle.cos() } else { angle.sin() };
        offset + 2.0 * ring + 0.05 * noise
    });
    let fitted = Dbscan::new()
        .eps(args.eps)
        .min_samples(args.min_samples)
        .fit(&x, None, queue.as_ref())?;
    let mut sizes = vec![0_u64; fitted.n_clusters() + 1];
    for &label in fitted.labels() {
        sizes[(label + 1) as usize] += 1;
    }
    comm.allreduce_in_place(&mut sizes, ReduceOp::Sum)?;
    if comm.is_root() {
        println!(
            "DBSCAN over {} rank(s): {} rows, {} core",
            comm.size(),
            fitted.n_samples(),
            fitted.n_core_samples()
        );
        println!(
            "  {} clusters of sizes {:?}",
            fitted.n_clusters(),
            &sizes[1..]
        );
        println!("  noise: {} rows", sizes[0]);
    }
    Ok(())
}
