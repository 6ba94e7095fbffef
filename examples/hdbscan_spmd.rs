//! Distributed HDBSCAN: `mpirun -n 4 target/release/examples/hdbscan_spmd`.
//!
//! Each rank builds its rows of one synthetic data set (four blobs of different spreads, with
//! scattered noise), HDBSCAN labels every rank's rows as one process would, and rank 0 prints
//! the clusters, their sizes over all ranks, the noise and the mean probability of the rows in
//! clusters. Each rank's GPU searches the core distances' neighbours (without `--cpu`); the
//! labels are the same either way.

#[path = "common/synthetic.rs"]
mod synthetic;

use clap::Parser;
use spmd_learn::cluster::Hdbscan;
use spmd_learn::comm::ReduceOp;

#[derive(Parser)]
#[command(about = "Distributed HDBSCAN")]
struct Args {
    /// Rows on each rank, and the device.
    #[command(flatten)]
    run: synthetic::Run,
    /// The fewest rows of a cluster.
    #[arg(long, default_value_t = 25)]
    min_cluster_size: usize,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let (comm, queue) = args.run.start()?;
    // Row r: a point of blob (hash of r) % 4, whose spread grows with its number, or, one row
    // in twenty, noise anywhere in the square.
    let x = synthetic::rank_rows(&comm, args.run.rows_per_rank, 2, |row, j, noise| {
        if synthetic::cell(row, 11) > 0.9 {
            return synthetic::cell(row, 13 + j as u64) * 12.0;
        }
        let blob = ((synthetic::cell(row, 5) * 0.5 + 0.5) * 4.0)
            .floor()
            .min(3.0);
        let centre = [8.0 * (blob % 2.0) - 4.0, 8.0 * (blob / 2.0).floor() - 4.0][j];
        centre + (0.2 + 0.3 * blob) * noise
    });
    let fitted = Hdbscan::new()
        .min_cluster_size(args.min_cluster_size)
        .fit(&x, queue.as_ref())?;
    // Per cluster, then noise last: rows, and the sum of the probabilities of clustered rows.
    let clusters = fitted.n_clusters();
    let mut sizes = vec![0.0_f64; clusters + 2];
    for (&label, &p) in fitted.labels().iter().zip(fitted.probabilities()) {
        match usize::try_from(label) {
            Ok(c) => {
                sizes[c] += 1.0;
                sizes[clusters + 1] += p;
            }
            Err(_) => sizes[clusters] += 1.0,
        }
    }
    comm.allreduce_in_place(&mut sizes, ReduceOp::Sum)?;
    if comm.is_root() {
        let clustered: f64 = sizes[..clusters].iter().sum();
        println!(
            "HDBSCAN over {} rank(s): {} rows",
            comm.size(),
            fitted.n_samples()
        );
        let counts: Vec<u64> = sizes[..clusters].iter().map(|&s| s as u64).collect();
        println!("  {clusters} clusters of sizes {counts:?}");
        println!("  noise: {} rows", sizes[clusters]);
        println!(
            "  mean probability in clusters: {:.3}",
            sizes[clusters + 1] / clustered.max(1.0)
        );
    }
    Ok(())
}
