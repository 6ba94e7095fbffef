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
mod neighbors;
mod training_checksum;

pub use args::Cli;
pub use error::CliError;
pub use estimators::Sources;
pub use model_file::{ModelFile, ModelFileIo};
pub use spmd_core::registry::{Entry, FitInput, FitOutput, Operation, ESTIMATORS};

use clap::Parser;
use spmd_core::distributed::agree;
use spmd_core::estimator::Context;
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
        Command::Fit(a) => fit(comm, &a),
        Command::Predict(a) => apply(comm, &a, Operation::Predict),
        Command::Transform(a) => apply(comm, &a, Operation::Transform),
        Command::InverseTransform(a) => apply(comm, &a, Operation::InverseTransform),
        Command::Kneighbors(a) => kneighbors(comm, &a),
        Command::Estimators => {
            if comm.is_root() {
                for e in ESTIMATORS {
                    println!("{:<21} {}", e.name(), e.summary());
                }
            }
            Ok(())
        }
    }
}

/// Runs `step` on every rank and turns a failure on any rank into an error on every rank.
fn agreed<T>(comm: &Comm, step: impl FnOnce() -> Result<T, CliError>) -> Result<T, CliError> {
    Ok(agree(comm, step().map_err(CliError::into_core))?)
}

/// `fit`: every check that can fail on one rank (estimator, parameters, files) is agreed before
/// the estimator's first collective.
fn fit(comm: &Comm, a: &args::FitArgs) -> Result<(), CliError> {
    let queue = open_queue(comm, a.gpu)?;
    // Before any work: a model that could not be written would waste the fit. Rank 0 alone
    // writes it, so its directory need exist there only (ranks may not share a filesystem).
    agreed(comm, || {
        if comm.is_root() {
            data::check_output_dir(&a.out)
        } else {
            Ok(())
        }
    })?;
    let estimator = agreed(comm, || estimators::find(&a.estimator))?;
    let params = agreed(comm, || estimators::params(estimator, &a.param))?;
    let columns = agreed(comm, || {
        let mut columns = data::Columns::parse(a.columns.as_deref(), a.null_as_nan)?
            .with_csv_header(a.csv_header);
        columns.except = [&a.y_column, &a.sample_weight_column]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        Ok(columns)
    })?;
    let x = agreed(comm, || data::read_features_with(&a.x, comm, &columns))?;
    check_names_agree(comm, &x)?;
    // Targets and weights: the same global rows as the features, from a column of the
    // features' own file or from files of their own; every row count checked against X's.
    let partition = data::RowPartition::of_features(&a.x, comm, &x)?;
    let read_matching = |column: &Option<String>, file: &Option<String>| {
        let read = match (column, file) {
            (Some(name), _) => Some(partition.read(&a.x, &columns.only(name))),
            (None, Some(pattern)) => Some(partition.read(pattern, &columns.csv_only())),
            (None, None) => None,
        };
        read.map(|table| agreed(comm, || table)).transpose()
    };
    let y = read_matching(&a.y_column, &a.y)?;
    let sample_weight = read_matching(&a.sample_weight_column, &a.sample_weight)?;
    let input = agreed(comm, || {
        Ok(FitInput {
            y: y.as_ref()
                .map(|y| Ok::<_, CliError>((y.rows()?, y.one_dimensional())))
                .transpose()?,
            sample_weight: sample_weight
                .as_ref()
                .map(|w| w.one_column("sample_weight"))
                .transpose()?,
            ..FitInput::new(x.rows()?)
        })
    })?;
    agreed(comm, || {
        if estimator.supervised() && a.y.is_none() && a.y_column.is_none() {
            let message = format!("{} needs targets: pass --y", estimator.name());
            return Err(CliError::Core(spmd_core::Error::Input(message)));
        }
        Ok(())
    })?;
    let ctx = Context::new(comm, queue.as_ref());
    inject_panic(comm);
    let mut output = if estimator.keeps_rows() {
        let sources = Sources {
            x: neighbors::absolute(&a.x),
            y: a.y.as_deref().map(neighbors::absolute),
            columns: a.columns.clone(),
            y_column: a.y_column.clone(),
            null_as_nan: a.null_as_nan,
            csv_header: a.csv_header,
        };
        neighbors::fit(estimator, ctx, &params, &input, &sources)?
    } else {
        estimator.fit(ctx, &params, &input, a.out_local.is_some())?
    };
    if let Some(names) = x.names() {
        // scikit-learn's `feature_names_in_`: predict checks them.
        let names = serde_json::Value::from(names.to_vec());
        output
            .model
            .attributes
            .insert("feature_names_in_".into(), names);
    }
    if let Some(pattern) = &a.out_local {
        let rows = agreed(comm, || {
            output.local.as_ref().ok_or_else(|| CliError::Unsupported {
                estimator: estimator.name().into(),
                operation: "per-rank fit result (--out-local)",
            })
        })?;
        let written = data::write_rows(pattern, comm, rows);
        agreed(comm, || written)?;
    }
    let written = if comm.is_root() {
        output.model.write_atomically(&a.out)
    } else {
        Ok(())
    };
    agreed(comm, || written)?;
    tracing::info!(estimator = estimator.name(), out = %a.out.display(), "model written");
    Ok(())
}

/// Fault injection for the failure tests: `SPMD_INJECT_PANIC_ON_RANK=N` panics on rank `N` just
/// before the fit's first collective, where the other ranks would otherwise wait forever.
fn inject_panic(comm: &Comm) {
    let target = std::env::var("SPMD_INJECT_PANIC_ON_RANK").ok();
    if target.and_then(|r| r.trim().parse::<usize>().ok()) == Some(comm.rank()) {
        panic!("injected by SPMD_INJECT_PANIC_ON_RANK");
    }
}

/// `predict`, `transform` or `inverse_transform` with a model file; each rank handles its own
/// rows.
fn apply(comm: &Comm, a: &args::ApplyArgs, operation: Operation) -> Result<(), CliError> {
    let queue = open_queue(comm, a.gpu)?;
    let model = agreed(comm, || ModelFile::read(&a.model))?;
    let estimator = agreed(comm, || estimators::find(&model.estimator))?;
    let columns = (a.columns.as_deref(), a.null_as_nan, a.csv_header);
    let x = read_queries(comm, &model, &a.x, columns)?;
    agreed(comm, || data::check_rows_output(&a.out, comm))?;
    let ctx = Context::new(comm, queue.as_ref());
    let out = if estimator.keeps_rows() {
        // Collective (the training rows go around the ranks): every rank enters it, and it
        // agrees on its own failures.
        agreed(comm, || {
            if estimator.has(operation) {
                Ok(())
            } else {
                Err(CliError::Unsupported {
                    estimator: estimator.name().into(),
                    operation: operation.name(),
                })
            }
        })?;
        let model = neighbors::refit(estimator, ctx, &model)?;
        let rows = agreed(comm, || x.rows())?;
        estimator.apply(operation, ctx, &model, rows)?
    } else {
        agreed(comm, || {
            Ok(estimator.apply(operation, ctx, &model, x.rows()?)?)
        })?
    };
    agreed(comm, || check_one_result_per_row(&x, out.nrows()))?;
    let written = data::write_rows(&a.out, comm, &out);
    agreed(comm, || written)?;
    Ok(())
}

/// `kneighbors` with a neighbour model: each rank writes its rows' neighbours (global row
/// numbers of the training rows) and, when asked, their distances.
fn kneighbors(comm: &Comm, a: &args::KneighborsArgs) -> Result<(), CliError> {
    let queue = open_queue(comm, a.gpu)?;
    let model = agreed(comm, || ModelFile::read(&a.model))?;
    let estimator = agreed(comm, || {
        let estimator = estimators::find(&model.estimator)?;
        if estimator.has_kneighbors() {
            Ok(estimator)
        } else {
            Err(CliError::Unsupported {
                estimator: model.estimator.clone(),
                operation: "kneighbors",
            })
        }
    })?;
    let columns = (a.columns.as_deref(), a.null_as_nan, a.csv_header);
    let x = read_queries(comm, &model, &a.x, columns)?;
    agreed(comm, || data::check_rows_output(&a.out, comm))?;
    if let Some(d) = &a.out_distances {
        agreed(comm, || data::check_rows_output(d, comm))?;
    }
    let rows = agreed(comm, || x.rows())?;
    let ctx = Context::new(comm, queue.as_ref());
    let model = neighbors::refit(estimator, ctx, &model)?;
    let (distances, indices) = estimator.kneighbors(ctx, &model, Some(rows), None)?;
    let indices = indices.mapv(|i| i as f64);
    agreed(comm, || check_one_result_per_row(&x, indices.nrows()))?;
    let written = data::write_rows(&a.out, comm, &indices);
    agreed(comm, || written)?;
    if let Some(d) = &a.out_distances {
        let written = data::write_rows(d, comm, &distances);
        agreed(comm, || written)?;
    }
    Ok(())
}

/// Errors unless a result has one row per row of this rank's input `x`: written results line
/// up with the rows they answer.
fn check_one_result_per_row(x: &data::Table, rows: usize) -> Result<(), CliError> {
    if rows == x.nrows() {
        return Ok(());
    }
    Err(CliError::file(
        x.path(),
        format!("the result has {rows} rows for {} input rows", x.nrows()),
    ))
}

/// This rank's rows of `pattern` for `model` (`predict`, `transform`, `kneighbors`): the
/// `columns` of a Parquet or Arrow input (names or positions, nulls as NaN, the `.csv` header
/// rule), named alike on every rank and as the model's `feature_names_in_`. Collective.
fn read_queries(
    comm: &Comm,
    model: &ModelFile,
    pattern: &str,
    (columns, null_as_nan, csv_header): (Option<&str>, bool, data::CsvHeader),
) -> Result<data::Table, CliError> {
    let columns = agreed(comm, || {
        Ok(data::Columns::parse(columns, null_as_nan)?.with_csv_header(csv_header))
    })?;
    let x = agreed(comm, || data::read_features_with(pattern, comm, &columns))?;
    check_names_agree(comm, &x)?;
    agreed(comm, || check_feature_names(model, &x, pattern))?;
    Ok(x)
}

/// Errors unless every rank's input that names its columns names the same ones (`{rank}`
/// shards of Parquet or Arrow files); one allgatherv. Collective.
fn check_names_agree(comm: &Comm, x: &data::Table) -> Result<(), CliError> {
    // One byte first (some MPIs refuse a gather of nothing): 1 where names follow.
    let mut mine = vec![u8::from(x.names().is_some())];
    mine.extend(
        x.names()
            .map(|n| n.join("\u{1f}"))
            .unwrap_or_default()
            .bytes(),
    );
    let (all, counts) = comm.allgatherv(&mine).map_err(spmd_core::Error::from)?;
    let mut at = 0;
    let mut per_rank = Vec::new();
    for (rank, &count) in counts.iter().enumerate() {
        let chunk = &all[at..at + count];
        at += count;
        if chunk.first() == Some(&1) {
            per_rank.push((rank, String::from_utf8_lossy(&chunk[1..]).into_owned()));
        }
    }
    match per_rank.iter().find(|(_, n)| *n != per_rank[0].1) {
        None => Ok(()),
        Some((rank, names)) => {
            let list = |n: &str| n.split('\u{1f}').collect::<Vec<_>>().join(", ");
            Err(CliError::Param(format!(
                "the ranks' inputs disagree on their columns: rank {} has [{}], rank {rank} \
                 has [{}]",
                per_rank[0].0,
                list(&per_rank[0].1),
                list(names)
            )))
        }
    }
}

/// Errors when the model was fitted on named columns (`feature_names_in_`) and `x` names
/// others, as scikit-learn does; inputs without names (`.npy`, `.csv`) are taken by position.
fn check_feature_names(model: &ModelFile, x: &data::Table, pattern: &str) -> Result<(), CliError> {
    let (Some(fitted), Some(given)) = (model.attributes.get("feature_names_in_"), x.names()) else {
        return Ok(());
    };
    let fitted: Vec<String> = serde_json::from_value(fitted.clone()).unwrap_or_default();
    if fitted == given {
        return Ok(());
    }
    Err(CliError::Param(format!(
        "the model was fitted on the columns {fitted:?}; {pattern} gives {given:?} (--columns \
         chooses them)"
    )))
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
