use std::path::PathBuf;

use thiserror::Error;

/// Errors of the command line.
#[derive(Debug, Error)]
pub enum CliError {
    /// The command line itself is wrong (clap's message).
    #[error("{0}")]
    Usage(clap::Error),

    /// No estimator of that name.
    #[error("unknown estimator `{name}`; known: {known}")]
    UnknownEstimator {
        /// Name given.
        name: String,
        /// Names known.
        known: String,
    },

    /// A `--param` is malformed or not accepted by the estimator.
    #[error("--param: {0}")]
    Param(String),

    /// The estimator has no such operation.
    #[error("{estimator} has no {operation}")]
    Unsupported {
        /// Estimator.
        estimator: String,
        /// `transform` or `predict`.
        operation: &'static str,
    },

    /// A file could not be read or written.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },

    /// The estimator failed.
    #[error(transparent)]
    Core(spmd_core::Error),

    /// Communication failed.
    #[error(transparent)]
    Comm(#[from] spmd_comm::Error),
}

impl From<spmd_core::Error> for CliError {
    /// The registry's errors about names, parameters and operations as the command line's own.
    fn from(error: spmd_core::Error) -> Self {
        use spmd_core::Error;
        match error {
            Error::Params(message) => Self::Param(message),
            Error::UnknownEstimator { name, known } => Self::UnknownEstimator { name, known },
            Error::Unsupported {
                estimator,
                operation,
            } => Self::Unsupported {
                estimator,
                operation,
            },
            other => Self::Core(other),
        }
    }
}

impl CliError {
    pub(crate) fn file(path: impl Into<PathBuf>, message: impl ToString) -> Self {
        Self::File {
            path: path.into(),
            message: message.to_string(),
        }
    }

    /// As an estimator error, so `agree` can carry it to every rank.
    pub(crate) fn into_core(self) -> spmd_core::Error {
        match self {
            Self::Core(e) => e,
            other => spmd_core::Error::Input(other.to_string()),
        }
    }

    /// Whether another rank's failure caused this one (only the failing rank and rank 0 print).
    pub fn is_remote(&self) -> bool {
        matches!(self, Self::Core(spmd_core::Error::OnOtherRank { .. }))
    }
}
