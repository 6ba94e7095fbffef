use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::data::CsvHeader;

/// scikit-learn-style estimators over MPI ranks and GPUs.
///
/// Run under mpirun to use several ranks; each reads its own shard (`{rank}` in a path) or its
/// share of the rows of one file.
#[derive(Debug, Parser)]
#[command(name = "spmd-learn", version)]
pub struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Fit an estimator and write the model as JSON (rank 0 writes it).
    Fit(FitArgs),
    /// Predict with a fitted model; each rank writes its rows' predictions.
    Predict(ApplyArgs),
    /// Transform with a fitted model (estimators that transform).
    Transform(ApplyArgs),
    /// Map transformed rows back (scalers, PCA).
    InverseTransform(ApplyArgs),
    /// The nearest training rows of each row (neighbour models); each rank writes its rows'.
    Kneighbors(KneighborsArgs),
    /// List the estimators.
    Estimators,
}

#[derive(Debug, Args)]
pub(crate) struct KneighborsArgs {
    /// Model written by `spmd-learn fit` for a neighbour estimator.
    #[arg(long)]
    pub model: PathBuf,
    /// Query rows: a .npy, .csv, .parquet, .arrow or .feather path, or a directory of .parquet files; `{rank}` is replaced by the rank.
    #[arg(long)]
    pub x: String,
    /// Parquet/Arrow queries: columns by name (`a,b,c`) or position (`0:12`); default every
    /// numeric column (a model with `feature_names_in_` needs the same names).
    #[arg(long)]
    pub columns: Option<String>,
    /// Parquet/Arrow: read nulls as NaN (the search still refuses NaN, naming it).
    #[arg(long)]
    pub null_as_nan: bool,
    /// .csv inputs: whether the first line is a header (`auto`: when none of its fields is a
    /// number; a line mixing numbers and other text is an error).
    #[arg(long, value_enum, default_value_t = CsvHeader::Auto)]
    pub csv_header: CsvHeader,
    /// Output .npy of the neighbours' global row numbers, nearest first (like predict's --out).
    #[arg(long)]
    pub out: String,
    /// Output .npy of their distances.
    #[arg(long)]
    pub out_distances: Option<String>,
    /// Find candidates on this rank's GPU (exact neighbours either way).
    #[arg(long)]
    pub gpu: bool,
}

#[derive(Debug, Args)]
pub(crate) struct FitArgs {
    /// Estimator, kebab-case (`spmd-learn estimators` lists them).
    pub estimator: String,
    /// Features: a .npy, .csv, .parquet, .arrow or .feather path, or a directory of .parquet files; `{rank}` is replaced by the rank.
    #[arg(long)]
    pub x: String,
    /// Targets, like --x.
    #[arg(long)]
    pub y: Option<String>,
    /// Sample weights (one per row), like --x; for estimators that take them.
    #[arg(long)]
    pub sample_weight: Option<String>,
    /// Parquet/Arrow features: columns by name (`a,b,c`) or position (`0:12`); default every
    /// numeric column but those of --y-column and --sample-weight-column.
    #[arg(long)]
    pub columns: Option<String>,
    /// Parquet/Arrow: read nulls as NaN instead of refusing them (estimators that refuse NaN
    /// still do).
    #[arg(long)]
    pub null_as_nan: bool,
    /// .csv inputs: whether the first line is a header (`auto`: when none of its fields is a
    /// number; a line mixing numbers and other text is an error).
    #[arg(long, value_enum, default_value_t = CsvHeader::Auto)]
    pub csv_header: CsvHeader,
    /// Parquet/Arrow: the targets are this column of --x (instead of --y).
    #[arg(long, conflicts_with = "y")]
    pub y_column: Option<String>,
    /// Parquet/Arrow: the sample weights are this column of --x (instead of --sample-weight).
    #[arg(long, conflicts_with = "sample_weight")]
    pub sample_weight_column: Option<String>,
    /// A parameter under scikit-learn's name, e.g. `alpha=0.5` or `fit_intercept=false`.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub param: Vec<String>,
    /// Compute on this rank's GPU instead of the CPU.
    #[arg(long)]
    pub gpu: bool,
    /// Where to write the model (JSON).
    #[arg(long)]
    pub out: PathBuf,
    /// Where each rank writes its own rows of a per-row result of the fit (Q for qr, U for
    /// svd), as .npy; like --out of predict.
    #[arg(long)]
    pub out_local: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ApplyArgs {
    /// Model written by `spmd-learn fit`.
    #[arg(long)]
    pub model: PathBuf,
    /// Features: a .npy, .csv, .parquet, .arrow or .feather path, or a directory of .parquet files; `{rank}` is replaced by the rank.
    #[arg(long)]
    pub x: String,
    /// Parquet/Arrow features: columns by name (`a,b,c`) or position (`0:12`); default every
    /// numeric column (a model with `feature_names_in_` needs the same names).
    #[arg(long)]
    pub columns: Option<String>,
    /// Parquet/Arrow: read nulls as NaN instead of refusing them (estimators that refuse NaN
    /// still do).
    #[arg(long)]
    pub null_as_nan: bool,
    /// .csv inputs: whether the first line is a header (`auto`: when none of its fields is a
    /// number; a line mixing numbers and other text is an error).
    #[arg(long, value_enum, default_value_t = CsvHeader::Auto)]
    pub csv_header: CsvHeader,
    /// Compute on this rank's GPU instead of the CPU.
    #[arg(long)]
    pub gpu: bool,
    /// Output .npy: with `{rank}` each rank writes its own file, without it rank 0 writes all
    /// rows in rank order.
    #[arg(long)]
    pub out: String,
}
