//! The ranks that fit together, as Python sees them.

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use spmd_comm::Comm;

use crate::errors::{comm_error, core_error};

/// The ranks an estimator fits over: `Communicator()` is every rank of the job
/// (`MPI_COMM_WORLD`, or this process alone when it was not started by an MPI launcher);
/// `Communicator(handle)` duplicates the mpi4py communicator whose Fortran handle
/// (`comm.py2f()`) is `handle`, a collective call over that communicator.
#[pyclass(frozen, module = "spmd_learn._native")]
pub(crate) struct Communicator {
    pub(crate) comm: Comm,
}

#[pymethods]
impl Communicator {
    #[new]
    #[pyo3(signature = (handle=None))]
    fn new(py: Python<'_>, handle: Option<i32>) -> PyResult<Self> {
        let comm = match handle {
            None => py.detach(Comm::world),
            // SAFETY: the package passes only `py2f()` of a live mpi4py intra-communicator, after
            // checking that mpi4py uses the MPI library this module is linked to.
            Some(handle) => py.detach(|| unsafe { Comm::duplicate_fortran_handle(handle) }),
        }
        .map_err(comm_error)?;
        if comm.size() > 1 {
            // A panic on one rank would leave the others waiting in a collective: as in the
            // command line, it ends the job (MPI_Abort) instead.
            static ABORT_ON_PANIC: std::sync::Once = std::sync::Once::new();
            ABORT_ON_PANIC.call_once(spmd_comm::abort_job_on_panic);
        }
        Ok(Self { comm })
    }

    /// This process's rank.
    #[getter]
    fn rank(&self) -> usize {
        self.comm.rank()
    }

    /// Number of ranks.
    #[getter]
    fn size(&self) -> usize {
        self.comm.size()
    }

    /// Raises on every rank when any rank passes an error message (collective): a failure
    /// that one rank finds before a collective call becomes an exception on all of them
    /// instead of a hang.
    #[pyo3(signature = (error=None))]
    fn agree(&self, py: Python<'_>, error: Option<String>) -> PyResult<()> {
        let local = error.map_or(Ok(()), |m| Err(spmd_core::Error::Input(m)));
        py.detach(|| spmd_core::distributed::agree(&self.comm, local))
            .map_err(core_error)
    }

    /// The element-wise sum of `values` over all ranks (collective); every rank gets it.
    fn allreduce_sum(&self, py: Python<'_>, mut values: Vec<f64>) -> PyResult<Vec<f64>> {
        py.detach(|| {
            self.comm
                .allreduce_in_place(&mut values, spmd_comm::ReduceOp::Sum)
        })
        .map_err(comm_error)?;
        Ok(values)
    }

    /// Every rank's `data`, in rank order (collective): what Python-side steps must agree on
    /// that is no vector of numbers, such as a classifier's labels of any type, pickled.
    fn allgather_bytes<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
    ) -> PyResult<Vec<Bound<'py, PyBytes>>> {
        let (all, counts) = py
            .detach(|| self.comm.allgatherv(data))
            .map_err(comm_error)?;
        let mut start = 0;
        Ok(counts
            .iter()
            .map(|&count| {
                let part = PyBytes::new(py, &all[start..start + count]);
                start += count;
                part
            })
            .collect())
    }

    fn __repr__(&self) -> String {
        format!(
            "Communicator(rank={}, size={}, mpi={})",
            self.comm.rank(),
            self.comm.size(),
            self.comm.is_mpi()
        )
    }
}

/// The MPI library this module is linked to, as `MPI_Get_library_version` describes it.
#[pyfunction]
pub(crate) fn mpi_library_version() -> String {
    Comm::mpi_library_version()
}
