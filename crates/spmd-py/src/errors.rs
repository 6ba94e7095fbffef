//! spmd-learn's errors as Python exceptions: bad input raises `ValueError` (as scikit-learn
//! does), everything else `spmd_learn.SpmdError`.

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::PyErr;
use spmd_core::Error;

pyo3::create_exception!(
    _native,
    SpmdError,
    PyRuntimeError,
    "A failure of spmd-learn that is not bad input: MPI, the GPU, a failed solve."
);

/// A Python exception for an error of the estimators.
pub(crate) fn core_error(error: Error) -> PyErr {
    let message = error.to_string();
    match error {
        Error::Shape { .. }
        | Error::NonFinite { .. }
        | Error::Input(_)
        | Error::InvalidParam { .. }
        | Error::Empty { .. }
        | Error::NoFeatures { .. }
        | Error::Overflow { .. }
        | Error::RankMismatch { .. }
        | Error::Params(_)
        | Error::UnknownEstimator { .. }
        | Error::InvalidModel(_) => PyValueError::new_err(message),
        // Another rank's failure, a solve, MPI, the GPU, memory.
        _ => SpmdError::new_err(message),
    }
}

/// A Python exception for an error of the communicator.
pub(crate) fn comm_error(error: spmd_comm::Error) -> PyErr {
    SpmdError::new_err(error.to_string())
}
