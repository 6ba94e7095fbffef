//! Distributed multinomial naive Bayes: `mpirun -n 4 target/release/examples/naive_bayes_spmd
//! [--cpu]`.
//!
//! Each rank builds word counts of synthetic documents from three topics, feeds them to
//! `partial_fit` in batches, and one collective `finalize` gives every rank the model of all
//! documents; rank 0 prints the most likely words of each topic and the global accuracy.

#[path = "common/synthetic.rs"]
mod synthetic;

use clap::Parser;
use ndarray::{s, Array1, Array2};
use spmd_learn::comm::Comm;
use spmd_learn::naive_bayes::MultinomialNb;
use spmd_learn::prelude::*;

#[derive(Parser)]
#[command(about = "Distributed MultinomialNB")]
struct Args {
    /// Documents on each rank.
    #[arg(long, default_value_t = 50_000)]
    rows_per_rank: usize,
    /// Documents per partial_fit batch.
    #[arg(long, default_value_t = 10_000)]
    batch: usize,
    /// Compute on the CPU instead of the GPU.
    #[arg(long)]
    cpu: bool,
}

const WORDS: usize = 8;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let comm = Comm::world()?;
    init_logging(&comm);
    // Topic t favours words t, t + 3 and t + 6 (where they exist).
    let topic = |row: u64| {
        ((synthetic::cell(row, 55) * 0.5 + 0.5) * 3.0)
            .floor()
            .min(2.0) as usize
    };
    let counts: Array2<f64> =
        synthetic::rank_rows(&comm, args.rows_per_rank, WORDS, |row, j, noise| {
            let rate = if j % 3 == topic(row) { 4.0 } else { 1.0 };
            (rate * (1.0 + noise)).round()
        });
    let first = (comm.rank() * args.rows_per_rank) as u64;
    let y: Array1<i64> = (0..args.rows_per_rank as u64)
        .map(|i| topic(first + i) as i64)
        .collect();
    let queue = if args.cpu { None } else { Some(Queue::new()?) };

    let mut nb = MultinomialNb::new();
    for start in (0..args.rows_per_rank).step_by(args.batch.max(1)) {
        let end = (start + args.batch.max(1)).min(args.rows_per_rank);
        let batch = s![start..end, ..];
        nb.partial_fit(
            &counts.slice(batch),
            &y.slice(s![start..end]),
            Some(&[0, 1, 2]),
            None,
            queue.as_ref(),
        )?;
    }
    let model = nb.finalize()?;
    let accuracy = model.score(&comm, &counts, &y, queue.as_ref())?;
    if comm.is_root() {
        println!(
            "MultinomialNB over {} rank(s): {} documents, accuracy {accuracy:.3}",
            comm.size(),
            model.class_count().sum()
        );
        for (t, row) in model.feature_log_prob().rows().into_iter().enumerate() {
            let mut words: Vec<usize> = (0..WORDS).collect();
            words.sort_by(|&a, &b| row[b].total_cmp(&row[a]));
            println!("  topic {t}: top words {:?}", &words[..3]);
        }
    }
    Ok(())
}
