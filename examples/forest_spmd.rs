//! Distributed random forests: `mpirun -n 4 target/release/examples/forest_spmd [--cpu]`.
//!
//! Each rank holds its own rows of one synthetic problem (a class from a nonlinear rule of four
//! of eight features, and a noisy target from the same features). Every rank fits the same
//! RandomForestClassifier and RandomForestRegressor, whatever the number of ranks; rank 0 prints
//! the out-of-bag scores, held-out scores and the feature importances.

#[path = "common/synthetic.rs"]
mod synthetic;

use clap::Parser;
use ndarray::{Array1, Array2};
use spmd_learn::ensemble::{RandomForestClassifier, RandomForestRegressor};

#[derive(Parser)]
#[command(about = "Distributed random forests")]
struct Args {
    #[command(flatten)]
    run: synthetic::Run,
    /// Trees per forest.
    #[arg(long, default_value_t = 50)]
    trees: usize,
}

const FEATURES: usize = 8;

/// The rule the forests learn: features 0 to 3 matter, 4 to 7 are noise.
fn signal(x: &[f64]) -> f64 {
    (3.0 * x[0]).sin() + x[1] * x[2] + (x[3] > 0.2) as i32 as f64
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let (comm, queue) = args.run.start()?;
    let rows = args.run.rows_per_rank;
    let x: Array2<f64> = synthetic::rank_rows(&comm, rows, FEATURES, |_, _, v| v);
    let first = (comm.rank() * rows) as u64;
    let noise = |i: usize| 0.3 * synthetic::cell(first + i as u64, 99);
    let values: Array1<f64> = (0..rows)
        .map(|i| signal(x.row(i).as_slice().unwrap_or(&[0.0; FEATURES])) + noise(i))
        .collect();
    let labels: Array1<i64> = values.mapv(|v| i64::from(v > 0.5));
    // The last tenth of each rank's rows is held out.
    let train = rows - rows / 10;
    let (fit_x, test_x) = (
        x.slice(ndarray::s![..train, ..]),
        x.slice(ndarray::s![train.., ..]),
    );

    let classifier = RandomForestClassifier::new()
        .n_estimators(args.trees)
        .oob_score(true)
        .random_state(0)
        .comm(comm.clone())
        .fit(&fit_x, &labels.slice(ndarray::s![..train]), queue.as_ref())?;
    let accuracy = classifier.score(
        &comm,
        &test_x,
        &labels.slice(ndarray::s![train..]),
        queue.as_ref(),
    )?;
    let regressor = RandomForestRegressor::new()
        .n_estimators(args.trees)
        .max_features(Some(spmd_learn::ensemble::FeatureCount::Fraction(0.5)))
        .oob_score(true)
        .random_state(0)
        .comm(comm.clone())
        .fit(&fit_x, &values.slice(ndarray::s![..train]), queue.as_ref())?;
    let r2 = regressor.score(
        &comm,
        &test_x,
        &values.slice(ndarray::s![train..]),
        queue.as_ref(),
    )?;
    if comm.is_root() {
        let nodes: usize = classifier.estimators().iter().map(|t| t.node_count()).sum();
        println!(
            "RandomForestClassifier over {} rank(s): {} trees, {nodes} nodes, oob accuracy {:.3}, held-out accuracy {accuracy:.3}",
            comm.size(),
            args.trees,
            classifier.oob_score().unwrap_or(f64::NAN),
        );
        println!(
            "RandomForestRegressor: oob R² {:.3}, held-out R² {r2:.3}",
            regressor.oob_score().unwrap_or(f64::NAN)
        );
        let importances: Vec<String> = classifier
            .feature_importances()
            .iter()
            .map(|v| format!("{v:.3}"))
            .collect();
        println!(
            "  classifier feature importances: [{}]",
            importances.join(", ")
        );
    }
    Ok(())
}
