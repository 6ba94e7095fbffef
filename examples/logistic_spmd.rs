//! Distributed logistic regression: `mpirun -n 4 target/release/examples/logistic_spmd [--cpu]`.
//!
//! Each rank builds its rows of one synthetic three-class problem (rank r's rows only ever hold
//! classes r mod 3 and (r + 1) mod 3, so no rank sees every class), fits a multinomial
//! LogisticRegression, and rank 0 prints the coefficients and the global accuracy.

#[path = "common/synthetic.rs"]
mod synthetic;

use clap::Parser;
use ndarray::Array1;
use spmd_learn::linear::{LogisticRegression, Solver};

#[derive(Parser)]
#[command(about = "Distributed LogisticRegression")]
struct Args {
    #[command(flatten)]
    run: synthetic::Run,
    /// Inverse regularisation strength.
    #[arg(long, default_value_t = 1.0)]
    c: f64,
    /// Use Newton-CG instead of L-BFGS.
    #[arg(long)]
    newton_cg: bool,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let (comm, queue) = args.run.start()?;
    let rank = comm.rank() as u64;
    // Class of global row r: one of this rank's two classes; features centred on the class.
    let class = |row: u64| (rank + (synthetic::cell(row, 77) > 0.0) as u64) % 3;
    let x = synthetic::rank_rows(&comm, args.run.rows_per_rank, 4, |row, j, noise| {
        let c = class(row) as f64;
        [1.0, -1.0, 0.5, 0.0][j] * c + 1.5 * noise
    });
    let first = comm.rank() * args.run.rows_per_rank;
    let y: Array1<i64> = (0..args.run.rows_per_rank)
        .map(|i| class((first + i) as u64) as i64)
        .collect();
    let solver = if args.newton_cg {
        Solver::NewtonCg
    } else {
        Solver::Lbfgs
    };
    let model = LogisticRegression::new()
        .c(args.c)
        .solver(solver)
        .fit(&x, &y, queue.as_ref())?;
    let accuracy = model.score(&comm, &x, &y, queue.as_ref())?;
    if comm.is_root() {
        println!(
            "LogisticRegression over {} rank(s): classes {:?}, {} iterations, accuracy {accuracy:.3}",
            comm.size(),
            model.classes(),
            model.n_iter()
        );
        for (c, row) in model.coef().rows().into_iter().enumerate() {
            println!(
                "  class {c}: coef {row:.3}, intercept {:.3}",
                model.intercept()[c]
            );
        }
    }
    Ok(())
}
