//! The `spmd-learn` binary.

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    // A panic on one rank ends the job (MPI_Abort) instead of leaving the others waiting.
    spmd_comm::abort_job_on_panic();
    let outcome = spmd_cli::run(std::env::args_os());
    if spmd_comm::comm_stats_requested() {
        if let Ok(comm) = spmd_comm::Comm::world() {
            // One write of the whole line (several ranks share the terminal).
            let _ = std::io::stderr().write_all(format!("{}\n", comm.stats()).as_bytes());
        }
    }
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(spmd_cli::CliError::Usage(e)) => {
            let _ = e.print();
            if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            // Every rank fails together; rank 0 and the rank that caused it say why.
            let rank = spmd_comm::Comm::world().map(|c| c.rank()).unwrap_or(0);
            if rank == 0 || !e.is_remote() {
                // One write of the whole line: several ranks share the terminal or pipe, and
                // eprintln! writes a line in pieces that other ranks' lines can cut into.
                let line = format!("error: {e}\n");
                let _ = std::io::stderr().write_all(line.as_bytes());
            }
            ExitCode::FAILURE
        }
    }
}
