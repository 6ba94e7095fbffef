//! Distributed k-means: `mpirun -n 4 target/release/examples/kmeans_spmd [--cpu]`.
//!
//! Each rank builds its rows of one synthetic data set with `--clusters` blobs, clusters them
//! with k-means++ seeded by `--seed` (the same centres for any number of ranks), and rank 0
//! prints the centres, inertia and iterations.

#[path = "common/synthetic.rs"]
mod synthetic;

use clap::Parser;
use spmd_learn::cluster::{Init, KMeans};
use spmd_learn::comm::ReduceOp;

#[derive(Parser)]
#[command(about = "Distributed KMeans")]
struct Args {
    #[command(flatten)]
    run: synthetic::Run,
    /// Clusters in the data and in the model.
    #[arg(long, default_value_t = 6)]
    clusters: usize,
    /// Seed of the initialisation.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let (comm, queue) = args.run.start()?;
    let k = args.clusters as u64;
    // Row r belongs to blob (hash of r) % k, centred at (10 b, -5 b, 3 b, b).
    let x = synthetic::rank_rows(&comm, args.run.rows_per_rank, 4, |row, j, noise| {
        let blob = (synthetic::cell(row, 99) * 0.5 + 0.5) * k as f64;
        let blob = blob.floor().min(k as f64 - 1.0);
        blob * [10.0, -5.0, 3.0, 1.0][j] + noise
    });
    let fitted = KMeans::new(args.clusters)
        .init(Init::KMeansPlusPlus)
        .random_state(args.seed)
        .fit(&x, queue.as_ref())?;
    let sizes: Vec<u64> = (0..args.clusters)
        .map(|c| fitted.labels().iter().filter(|&&l| l == c).count() as u64)
        .collect();
    let mut sizes = sizes;
    comm.allreduce_in_place(&mut sizes, ReduceOp::Sum)?;
    if comm.is_root() {
        println!(
            "KMeans over {} rank(s): inertia {:.2} after {} iterations",
            comm.size(),
            fitted.inertia(),
            fitted.n_iter()
        );
        for (c, centre) in fitted.cluster_centers().rows().into_iter().enumerate() {
            println!("  cluster {c}: {:>8} rows, centre {:.3}", sizes[c], centre);
        }
    }
    Ok(())
}
