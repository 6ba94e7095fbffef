//! Distributed k-nearest neighbours: `mpirun -n 4 target/release/examples/neighbors_spmd [--cpu]`.
//!
//! Each rank holds its own training rows (two noisy classes and a regression target) and its
//! own query rows. The training rows travel once around the ring of ranks; every rank gets its
//! queries' neighbours among all ranks' rows, with global indices. Rank 0 prints its first
//! query's neighbours and the global accuracy and R². Each rank's GPU lists the candidates of
//! every block (without `--cpu`); the neighbours are exact either way.

#[path = "common/synthetic.rs"]
mod synthetic;

use clap::Parser;
use ndarray::{Array1, Array2};
use spmd_learn::neighbors::{KNeighborsClassifier, KNeighborsRegressor, Weights};

#[derive(Parser)]
#[command(about = "Distributed k-nearest neighbours")]
struct Args {
    /// Training rows on each rank, and the device.
    #[command(flatten)]
    run: synthetic::Run,
    /// Query rows on each rank.
    #[arg(long, default_value_t = 500)]
    queries_per_rank: usize,
    /// Neighbours per query.
    #[arg(long, default_value_t = 5)]
    k: usize,
}

const FEATURES: usize = 8;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let (comm, queue) = args.run.start()?;
    let queue = queue.as_ref();
    // Class 1 sits one unit further along every feature; the target is the first feature's
    // square.
    let class = |row: u64| i64::from(synthetic::cell(row, 91) > 0.0);
    let rows = |count: usize, salt: u64| -> Array2<f64> {
        synthetic::rank_rows(&comm, count, FEATURES, |row, j, _| {
            class(row + salt) as f64 + synthetic::cell(row + salt, j as u64)
        })
    };
    let labels = |count: usize, salt: u64| -> Array1<i64> {
        let first = (comm.rank() * count) as u64;
        (0..count as u64).map(|i| class(first + i + salt)).collect()
    };
    let (x, y) = (
        rows(args.run.rows_per_rank, 0),
        labels(args.run.rows_per_rank, 0),
    );
    let salt = 1 << 40;
    let (queries, truth) = (
        rows(args.queries_per_rank, salt),
        labels(args.queries_per_rank, salt),
    );
    let target = x.column(0).mapv(|v| v * v);

    let classifier = KNeighborsClassifier::new()
        .n_neighbors(args.k)
        .weights(Weights::Distance)
        .fit(&x, &y)?;
    let (distances, indices) = classifier.kneighbors(Some(queries.view()), None, queue)?;
    let accuracy = classifier.score(queries.view(), &truth, queue)?;
    let regressor = KNeighborsRegressor::new()
        .n_neighbors(args.k)
        .fit(&x, &target)?;
    let r2 = regressor.score(queries.view(), &queries.column(0).mapv(|v| v * v), queue)?;
    if comm.is_root() {
        println!(
            "k-nearest neighbours over {} rank(s): {} training rows, k = {}",
            comm.size(),
            classifier.n_samples_fit(),
            args.k
        );
        if indices.nrows() > 0 {
            println!(
                "  rank 0's first query: neighbours {:?}",
                indices.row(0).to_vec()
            );
            println!("  at distances {:.3?}", distances.row(0).to_vec());
        }
        println!("  classifier accuracy {accuracy:.3}, regressor R² {r2:.3}");
    }
    Ok(())
}
