//! The communicator of spmd-learn.
//!
//! Every process (rank) of an SPMD job holds a [`Comm`]. Estimators use it for the few collectives a
//! distributed fit needs: allreduce of partial results, broadcast, allgather(v), an exclusive scan for
//! global row offsets, and [`Comm::agree`], which turns a failure on any rank into an error on every
//! rank instead of a hang.
//!
//! Two backends sit behind one API:
//! - **single process** (always available): the embedded default when the program was not started
//!   by an MPI launcher. Collectives are copies.
//! - **MPI** (cargo feature `mpi`, through rsmpi): `MPI_COMM_WORLD` when the program was started by
//!   `mpirun`/`mpiexec`/`srun`, or any communicator the user wraps with `Comm::from_mpi`.
//!
//! ```
//! use spmd_comm::{Comm, ReduceOp};
//!
//! let comm = Comm::single();
//! let mut partial = vec![1.0_f64, 2.0, 3.0];
//! comm.allreduce_in_place(&mut partial, ReduceOp::Sum)?;
//! assert_eq!(partial, [1.0, 2.0, 3.0]); // one rank: the sum is the rank's own value
//! assert_eq!(comm.exclusive_scan_sum(10_u64)?, 0);
//! # Ok::<(), spmd_comm::Error>(())
//! ```

mod abort;
mod agree;
mod backend;
mod comm;
mod error;
#[cfg(feature = "mpi")]
mod fabric_probe;
#[cfg(feature = "mpi")]
mod foreign;
mod launcher;
#[cfg(feature = "mpi")]
mod loopback_nodelay;
#[cfg(feature = "mpi")]
mod mpi;
#[cfg(feature = "mpi")]
mod mpi_lifetime;
mod offload;
mod scalar;
mod single;
mod stats;
mod world;

pub use abort::{abort_job, abort_job_on_panic, PANIC_EXIT_CODE};
pub use agree::Disagreement;
pub use comm::Comm;
pub use error::Error;
pub use launcher::LauncherInfo;
pub use offload::Offload;
pub use scalar::{ReduceOp, Scalar, ScalarKind};
pub use stats::{comm_stats_requested, CommStats};

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
