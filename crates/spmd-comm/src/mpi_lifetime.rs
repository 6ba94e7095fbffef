//! Initialising MPI once and finalising it at process exit.

use std::sync::Mutex;

use ::mpi::environment::Universe;
use ::mpi::Threading;

use crate::{Error, Result};

static UNIVERSE: Mutex<Option<Universe>> = Mutex::new(None);

/// Initialises MPI with `MPI_THREAD_SERIALIZED` (the communicator serialises its calls) and
/// registers finalisation at exit, so `mpirun` sees every rank finish cleanly even though the
/// world communicator lives in a static.
pub(crate) fn initialize() -> Result<()> {
    let (universe, threading) = ::mpi::initialize_with_threading(Threading::Serialized)
        .ok_or_else(|| Error::Mpi("MPI was already initialised".into()))?;
    if matches!(threading, Threading::Single | Threading::Funneled) {
        tracing::warn!(?threading, "MPI offers less than MPI_THREAD_SERIALIZED");
    }
    *UNIVERSE
        .lock()
        .map_err(|_| Error::Mpi("MPI state lock poisoned".into()))? = Some(universe);
    // SAFETY: registering a plain `extern "C" fn` with the C runtime.
    let registered = unsafe { libc::atexit(finalize_at_exit) };
    if registered != 0 {
        tracing::warn!("could not register MPI finalisation at exit");
    }
    Ok(())
}

extern "C" fn finalize_at_exit() {
    if let Ok(mut universe) = UNIVERSE.lock() {
        // Dropping the universe calls MPI_Finalize.
        drop(universe.take());
    }
}
