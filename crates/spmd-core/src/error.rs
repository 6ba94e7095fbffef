use thiserror::Error;

/// Errors of the estimators. Each names what was wrong, what was expected and, where it matters,
/// the rank it happened on.
#[derive(Debug, Error)]
pub enum Error {
    /// An array has the wrong shape.
    #[error("{what}: expected {expected}, found {found}")]
    Shape {
        /// Which array.
        what: String,
        /// Expected shape.
        expected: String,
        /// Shape found.
        found: String,
    },

    /// An input holds NaN or infinity.
    #[error(
        "{what} contains {value} at row {row}, column {column} (row index local to rank {rank})"
    )]
    NonFinite {
        /// Which array (`X`, `y`).
        what: &'static str,
        /// `NaN`, `inf` or `-inf`.
        value: String,
        /// Row, counted within this rank's rows.
        row: usize,
        /// Column.
        column: usize,
        /// Rank holding the row.
        rank: usize,
    },

    /// Finite inputs whose sums overflowed.
    #[error("sums of {what} overflow on rank {rank}; rescale the data")]
    Overflow {
        /// Which array.
        what: &'static str,
        /// Rank.
        rank: usize,
    },

    /// Ranks passed arrays that do not fit together.
    #[error("ranks disagree on {what}: {detail}")]
    RankMismatch {
        /// The quantity (`the number of features`, ...).
        what: &'static str,
        /// Per-rank values.
        detail: String,
    },

    /// No rank holds any row.
    #[error("cannot fit on zero rows: every rank's {what} is empty")]
    Empty {
        /// Which array.
        what: &'static str,
    },

    /// The rows have no columns.
    #[error("X has 0 features (shape ({rows}, 0) over all ranks): at least 1 feature is required")]
    NoFeatures {
        /// Rows over all ranks.
        rows: u64,
    },

    /// The input needs more memory than this rank can allocate.
    #[error(
        "not enough memory on rank {rank}: {what} needs {:.1} GB",
        *bytes as f64 / 1e9
    )]
    OutOfMemory {
        /// What would not fit.
        what: String,
        /// Bytes it needs.
        bytes: u64,
        /// The rank that could not allocate them.
        rank: usize,
    },

    /// A parameter has a value the estimator cannot use.
    #[error("invalid parameter {name}={value}: {expected}")]
    InvalidParam {
        /// scikit-learn's name of the parameter.
        name: &'static str,
        /// Value given.
        value: String,
        /// What is allowed.
        expected: &'static str,
    },

    /// Parameters given as JSON are malformed, unknown to the estimator or of the wrong type.
    #[error("{0}")]
    Params(String),

    /// The registry knows no estimator of that name.
    #[error("unknown estimator `{name}`; known: {known}")]
    UnknownEstimator {
        /// Name given.
        name: String,
        /// Names known.
        known: String,
    },

    /// The estimator has no such operation.
    #[error("{estimator} has no {operation}")]
    Unsupported {
        /// The registry's name of the estimator.
        estimator: String,
        /// `predict`, `transform`, `partial_fit`, ...
        operation: &'static str,
    },

    /// A model's attributes do not describe a model of its estimator.
    #[error("{0}")]
    InvalidModel(String),

    /// Input from outside the estimators (a file, a command line) is unusable.
    #[error("{0}")]
    Input(String),

    /// A linear system could not be solved.
    #[error("{0}")]
    Singular(String),

    /// Another rank failed; every rank reports it.
    #[error("rank {rank} failed: {message}")]
    OnOtherRank {
        /// Lowest failing rank.
        rank: usize,
        /// Its message.
        message: String,
    },

    /// Communication failed.
    #[error(transparent)]
    Comm(#[from] spmd_comm::Error),

    /// The GPU failed.
    #[error(transparent)]
    Gpu(#[from] spmd_gpu::Error),
}

impl Error {
    /// `Err(`[`Error::InvalidParam`]`)`: parameter `name` set to `value`, which is not `expected`.
    pub(crate) fn invalid_param<T>(
        name: &'static str,
        value: impl ToString,
        expected: &'static str,
    ) -> Result<T, Self> {
        Err(Self::InvalidParam {
            name,
            value: value.to_string(),
            expected,
        })
    }
}
