//! The `spmd-learn` command line: fit, predict and transform over `.npy` or `.csv` shards.
//!
//! ```text
//! mpirun -n 4 spmd-learn fit linear-regression --x 'x_{rank}.npy' --y 'y_{rank}.npy' --out model.json
//! mpirun -n 4 spmd-learn predict --model model.json --x 'x_{rank}.npy' --out 'pred_{rank}.npy'
//! ```
//!
//! Everything here is also reachable from Rust through `spmd-core`; [`run`] is the whole program,
//! callable in-process (the multi-rank tests do).

mod args;
pub mod data;
mod error;
mod estimators;
mod model_file;

pub use args::Cli;
pub use error::CliError;
pub use estimators::ESTIMATORS;
pub use model_file::ModelFile;

use clap::Parser;
use spmd_core::distributed::agree;
use spmd_core::{Comm, Queue};

use args::Command;

/// Runs the command line `args` (the first item is the program name) on `Comm::world()`.
pub fn run<I, T>(args: I) -> Result<(), CliError>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = Cli::try_parse_from(args).map_err(CliError::Usage)?;
    let comm = Comm::world()?;
    spmd_core::init_logging(&comm);
    run_parsed(&comm, cli)
}

/// Runs an already parsed command line on `comm`.
pub fn run_parsed(comm: &Comm, cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Fit(a) => {
            let queue = open_queue(comm, a.gpu)?;
            let estimator = agree(
                comm,
                estimators::find(&a.estimator).map_err(CliError::into_core),
            )?;
            let params = agree(
                comm,
                estimators::params_from_pairs(&a.param).map_err(CliError::into_core),
            )?;
            let x = agree(
                comm,
                data::read_matrix(&a.x, comm).map_err(CliError::into_core),
            )?;
            let y = read_column_file(comm, a.y.as_deref())?;
            let sample_weight = read_column_file(comm, a.sample_weight.as_deref())?;
            let input = estimators::FitData {
                x: &x,
                y: y.as_ref(),
                sample_weight: sample_weight.as_ref(),
            };
            let (model, local) = estimator.fit_with_local(comm, params, &input, queue.as_ref())?;
            if let Some(pattern) = &a.out_local {
                let rows = local.ok_or_else(|| CliError::Unsupported {
                    estimator: estimator.name().into(),
                    operation: "per-rank fit result (--out-local)",
                });
                let written = rows.and_then(|rows| data::write_rows(pattern, comm, &rows));
                agree(comm, written.map_err(CliError::into_core))?;
            }
            let written = if comm.is_root() {
                model.write_atomically(&a.out)
            } else {
                Ok(())
            };
            agree(comm, written.map_err(CliError::into_core))?;
            tracing::info!(estimator = estimator.name(), out = %a.out.display(), "model written");
            Ok(())
        }
        Command::Predict(a) => apply(comm, &a, false),
        Command::Transform(a) => apply(comm, &a, true),
        Command::Estimators => {
            if comm.is_root() {
                for e in ESTIMATORS {
                    println!("{:<20} {}", e.name(), e.summary());
                }
            }
            Ok(())
        }
    }
}

/// `predict` or `transform` with a model file; each rank handles its own rows.
fn apply(comm: &Comm, a: &args::ApplyArgs, transform: bool) -> Result<(), CliError> {
    let queue = open_queue(comm, a.gpu)?;
    let model = agree(comm, ModelFile::read(&a.model).map_err(CliError::into_core))?;
    let estimator = agree(
        comm,
        estimators::find(&model.estimator).map_err(CliError::into_core),
    )?;
    let x = agree(
        comm,
        data::read_matrix(&a.x, comm).map_err(CliError::into_core),
    )?;
    let out = if transform {
        estimator.transform(&model, &x, queue.as_ref())
    } else {
        estimator.predict(&model, &x, queue.as_ref())
    };
    let out = agree(comm, out.map_err(CliError::into_core))?;
    let written = data::write_rows(&a.out, comm, &out);
    agree(comm, written.map_err(CliError::into_core))?;
    Ok(())
}

/// Targets or weights from `pattern`, if given; a read failure on any rank fails every rank.
fn read_column_file(
    comm: &Comm,
    pattern: Option<&str>,
) -> Result<Option<data::TargetData>, CliError> {
    match pattern {
        Some(p) => Ok(Some(agree(
            comm,
            data::read_targets(p, comm).map_err(CliError::into_core),
        )?)),
        None => Ok(None),
    }
}

/// Opens this rank's GPU when asked; a missing adapter on any rank is an error on every rank.
fn open_queue(comm: &Comm, gpu: bool) -> Result<Option<Queue>, CliError> {
    if !gpu {
        return Ok(None);
    }
    let queue = agree(comm, Queue::new().map_err(spmd_core::Error::from))?;
    tracing::info!(adapter = %queue.info(), "GPU");
    Ok(Some(queue))
}
