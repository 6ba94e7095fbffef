//! The native half of the `spmd_learn` Python package (`spmd_learn._native`).
//!
//! The Python classes (`spmd_learn.linear_model.LinearRegression`, ...) keep scikit-learn's
//! conventions in Python; everything they compute goes through the few functions here, which
//! drive the same estimator registry as the command line ([`spmd_core::registry`]): parameters
//! as JSON, fitted models as the JSON model file, arrays as numpy views.
//!
//! - `Communicator`: the ranks that fit together, `MPI_COMM_WORLD` or a duplicate of an mpi4py
//!   communicator.
//! - `Queue`: this rank's GPU.
//! - `fit` and `Model.apply`: an estimator's fit and its per-row operations, with the GIL
//!   released; `Model.kneighbors` and `Model.radius_neighbors`: the neighbour searches, whose
//!   every query is collective; `Incremental`: `partial_fit` batch by batch.

mod arrays;
mod communicator;
mod errors;
mod estimators;
mod incremental;
mod queue;

use pyo3::prelude::*;

/// The module `spmd_learn._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<communicator::Communicator>()?;
    m.add_class::<queue::Queue>()?;
    m.add_class::<estimators::Model>()?;
    m.add_class::<incremental::Incremental>()?;
    m.add_function(wrap_pyfunction!(estimators::estimator_names, m)?)?;
    m.add_function(wrap_pyfunction!(estimators::check_params, m)?)?;
    m.add_function(wrap_pyfunction!(estimators::fit, m)?)?;
    m.add_function(wrap_pyfunction!(communicator::mpi_library_version, m)?)?;
    m.add("SpmdError", m.py().get_type::<errors::SpmdError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
