use thiserror::Error;

/// Errors of the communicator.
#[derive(Debug, Error)]
pub enum Error {
    /// A cargo feature needed for the request was not compiled in.
    #[error("spmd-learn was built without the `{0}` feature; rebuild with `--features {0}`")]
    FeatureDisabled(&'static str),

    /// The environment shows an MPI launcher, but this process cannot see the other ranks.
    #[error("{0}")]
    Launcher(String),

    /// An environment variable holds a value the library cannot use.
    #[error("environment variable {name}={value:?} is invalid: {expected}")]
    InvalidEnv {
        /// Variable name.
        name: &'static str,
        /// Value found.
        value: String,
        /// What was expected instead.
        expected: &'static str,
    },

    /// Buffers passed to a collective do not have the sizes the collective needs.
    #[error("collective `{op}`: {message}")]
    BufferSize {
        /// The collective.
        op: &'static str,
        /// What was wrong.
        message: String,
    },

    /// A rank index outside the communicator.
    #[error("rank {rank} is outside a communicator of size {size}")]
    InvalidRank {
        /// The rank asked for.
        rank: usize,
        /// Size of the communicator.
        size: usize,
    },

    /// The MPI library reported a failure.
    #[error("MPI: {0}")]
    Mpi(String),
}
