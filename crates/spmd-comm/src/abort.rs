//! Ending the whole job from one rank.
//!
//! An error that every rank sees ends every rank cleanly (see [`Comm::agree`](crate::Comm)).
//! A panic is different: the panicking rank unwinds and the others wait in their next collective
//! forever. [`abort_job_on_panic`] turns a panic on any rank into the end of the job, within
//! seconds, with the panic reported as this rank's failure.

use crate::LauncherInfo;

/// Ends every rank of the job with exit code `code`: `MPI_Abort` on `MPI_COMM_WORLD` where MPI
/// is running, otherwise the end of this process.
pub fn abort_job(code: i32) -> ! {
    #[cfg(feature = "mpi")]
    if ::mpi::is_initialized() && !::mpi::is_finalized() {
        use ::mpi::traits::Communicator;
        ::mpi::topology::SimpleCommunicator::world().abort(code);
    }
    std::process::exit(code)
}

/// Installs a panic hook that prints the panic as this rank's failure
/// (`error: rank 2 panicked at src/x.rs:10:5: message; ending the job`) and then calls
/// [`abort_job`], so ranks waiting for the panicking one end too instead of hanging.
///
/// For programs, not libraries: it replaces the process's panic hook, and a panic caught with
/// `catch_unwind` still ends the job. The `spmd-learn` command line installs it first thing.
pub fn abort_job_on_panic() {
    std::panic::set_hook(Box::new(|info| {
        // The launcher's environment, not `Comm::world()`: the panic may come from inside it.
        let rank = LauncherInfo::from_env().rank.unwrap_or(0);
        let place = info
            .location()
            .map(|l| format!(" at {}:{}:{}", l.file(), l.line(), l.column()))
            .unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic with no message".into());
        // One write of the whole line, so other ranks' output cannot cut into it.
        let line = format!("error: rank {rank} panicked{place}: {message}; ending the job\n");
        let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
        abort_job(PANIC_EXIT_CODE)
    }));
}

/// The exit code of a job ended by a panic (Rust's own code for a panicking main thread).
pub const PANIC_EXIT_CODE: i32 = 101;
