//! Communicators created by other bindings of the same MPI library (mpi4py, a C or Fortran
//! caller), passed by their Fortran handle: the one handle type every MPI defines as an integer.

use ::mpi::ffi;
use ::mpi::topology::SimpleCommunicator;
use ::mpi::traits::FromRaw;

use crate::{Comm, Error, Result};

impl Comm {
    /// A duplicate of the communicator whose Fortran handle is `handle` (mpi4py's
    /// `comm.py2f()`), so spmd-learn's messages never meet the caller's. Collective over that
    /// communicator. The duplicate is freed when the last clone of the returned `Comm` drops,
    /// which must happen before MPI is finalised.
    ///
    /// # Safety
    /// `handle` must be the Fortran handle of a live intra-communicator of the MPI library this
    /// crate is linked to, and MPI must be initialised.
    pub unsafe fn duplicate_fortran_handle(handle: i32) -> Result<Comm> {
        if !::mpi::is_initialized() {
            return Err(Error::Mpi(
                "a communicator was given but MPI is not initialised".into(),
            ));
        }
        // SAFETY: the caller guarantees a live communicator handle of this MPI library;
        // `MPI_Comm_dup` writes a new communicator we own.
        let duplicate = unsafe {
            let comm = ffi::RSMPI_Comm_f2c(handle as ffi::RSMPI_Fint);
            if comm == ffi::RSMPI_COMM_NULL {
                return Err(Error::Mpi("the communicator is MPI_COMM_NULL".into()));
            }
            let mut duplicate = ffi::RSMPI_COMM_NULL;
            let code = ffi::MPI_Comm_dup(comm, &mut duplicate);
            if code != ffi::MPI_SUCCESS as i32 {
                return Err(Error::Mpi(format!("MPI_Comm_dup failed with code {code}")));
            }
            // SAFETY: a live intra-communicator that only the returned `Comm` uses.
            SimpleCommunicator::from_raw(duplicate)
        };
        Ok(Comm::from_mpi(duplicate))
    }

    /// The linked MPI library's own description (`MPI_Get_library_version`), e.g.
    /// `"Open MPI v4.1.4, ..."`; callable before MPI is initialised. Lets a binding check that a
    /// communicator it is handed comes from the same library.
    pub fn mpi_library_version() -> String {
        ::mpi::environment::library_version().unwrap_or_else(|_| "unknown".into())
    }
}
