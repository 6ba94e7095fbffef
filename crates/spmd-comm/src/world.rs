//! `Comm::world()`: the communicator of every rank the launcher started.

use std::sync::OnceLock;

use crate::{Comm, Error, LauncherInfo, Result};

static WORLD: OnceLock<std::result::Result<Comm, String>> = OnceLock::new();

impl Comm {
    /// All ranks of this job.
    ///
    /// - Built with the `mpi` feature and started by a launcher (`mpirun`, `mpiexec`, `srun`), or
    ///   with MPI already initialised by the program: `MPI_COMM_WORLD`. MPI is initialised on the
    ///   first call and finalised when the process exits.
    /// - Otherwise: the single-process communicator.
    ///
    /// Fails (on every call) when the environment shows a launcher that started several processes
    /// but this process cannot see them: built without `mpi`, or linked to another MPI than the
    /// launcher's. Running N independent copies of size 1 would be silently wrong.
    pub fn world() -> Result<Comm> {
        WORLD
            .get_or_init(|| init_world(&LauncherInfo::from_env()).map_err(|e| e.to_string()))
            .clone()
            .map_err(Error::Launcher)
    }
}

#[cfg(not(feature = "mpi"))]
fn init_world(launcher: &LauncherInfo) -> Result<Comm> {
    if launcher.is_multi_process() {
        return Err(Error::Launcher(format!(
            "this process was started by {} as one of {} processes, but spmd-learn was built \
             without the `mpi` feature, so each would fit alone; rebuild with `--features mpi`",
            launcher.launcher.unwrap_or("a launcher"),
            launcher.world_size.unwrap_or(0),
        )));
    }
    Ok(Comm::single())
}

#[cfg(feature = "mpi")]
fn init_world(launcher: &LauncherInfo) -> Result<Comm> {
    use ::mpi::topology::SimpleCommunicator;
    use ::mpi::traits::Communicator;

    if !::mpi::is_initialized() {
        if !launcher.launched() {
            tracing::debug!("no MPI launcher in the environment: single-process communicator");
            return Ok(Comm::single());
        }
        crate::fabric_probe::skip_absent_fabric_probe(launcher);
        let before = crate::loopback_nodelay::open_descriptors();
        crate::mpi_lifetime::initialize()?;
        let set = crate::loopback_nodelay::set_on_new_loopback_connections(&before);
        tracing::debug!("TCP_NODELAY set on {set} loopback connection(s) MPI_Init opened");
    }
    let world = SimpleCommunicator::world();
    let size = world.size() as usize;
    if let Some(expected) = launcher.world_size {
        if expected != size {
            return Err(Error::Launcher(format!(
                "{} started {expected} processes but MPI_COMM_WORLD has {size}: this binary is \
                 linked to a different MPI than the launcher's (run it with the mpirun of the \
                 MPI it was built against; see `MPI_PKG_CONFIG` in the README)",
                launcher.launcher.unwrap_or("the launcher"),
            )));
        }
    }
    Ok(Comm::from_mpi(world))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_launcher_gives_single_process() -> Result<()> {
        let comm = init_world(&LauncherInfo::default())?;
        assert_eq!((comm.rank(), comm.size(), comm.is_mpi()), (0, 1, false));
        Ok(())
    }

    #[cfg(not(feature = "mpi"))]
    #[test]
    fn launcher_without_mpi_feature_is_an_error() {
        let launcher = LauncherInfo {
            launcher: Some("Open MPI"),
            world_size: Some(4),
            rank: Some(1),
        };
        let err = init_world(&launcher).map(|_| ()).unwrap_err().to_string();
        assert!(
            err.contains("Open MPI") && err.contains("4 processes"),
            "{err}"
        );
        assert!(err.contains("--features mpi"), "{err}");
    }
}
