//! PCA, QR and SVD over MPI ranks: `mpirun -n 4 target/release/examples/decomposition_spmd`.
//!
//! Each rank builds its rows of one synthetic data set with three strong directions, fits PCA
//! (on its GPU, or `--cpu`), and factors the rows with TSQR; rank 0 prints the results.

#[path = "common/synthetic.rs"]
mod synthetic;

use clap::Parser;
use spmd_learn::decomposition::{NComponents, Pca, Qr, Svd};

#[derive(Parser)]
#[command(about = "Distributed PCA, QR and SVD")]
struct Args {
    #[command(flatten)]
    run: synthetic::Run,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let (comm, queue) = args.run.start()?;
    // Three latent factors spread over 8 columns, plus a little noise.
    let x = synthetic::rank_rows(&comm, args.run.rows_per_rank, 8, |row, j, noise| {
        let factor = |k: u64| synthetic::cell(row, 100 + k);
        let loading = [3.0, 2.0, 1.0];
        (0..3)
            .map(|k| loading[k] * factor(k as u64) * ((j + k) % 3) as f64)
            .sum::<f64>()
            + 0.01 * noise
    });

    let pca = Pca::new()
        .n_components(NComponents::VarianceRatio(0.999))
        .fit(&x, queue.as_ref())?;
    let qr = Qr::new().fit(&x)?;
    let svd = Svd::new().fit(&x)?;
    if comm.is_root() {
        println!(
            "PCA over {} rank(s): {} components explain 99.9% of the variance",
            comm.size(),
            pca.n_components()
        );
        println!(
            "  explained_variance_ratio_ = {:.4}",
            pca.explained_variance_ratio()
        );
        println!("QR: diag(R) = {:.2}", qr.r().diag());
        println!("SVD: singular_values_ = {:.2}", svd.singular_values());
        println!(
            "this rank's Q block: {:?}, U block: {:?}",
            qr.q().dim(),
            svd.u().dim()
        );
    }
    Ok(())
}
