//! Open MPI's start-up without the probe for network fabrics the machine does not have.
//!
//! Open MPI's `cm` messaging layer serves Omni-Path and TrueScale networks (PSM2, PSM) and
//! libfabric (OFI) fabrics. Opening it loads and probes those libraries: about 0.2 s of every
//! rank's `MPI_Init` on a machine without such hardware, where `cm` then closes and `ob1` (shared
//! memory and TCP) is chosen anyway. On a 2-core machine that is most of what `mpirun -n 2`
//! costs over one process. So, before `MPI_Init`, when Open MPI's `mpirun` or Slurm's `srun`
//! launched this process (under `srun` the binary may be linked to Open MPI; other MPIs ignore
//! the variable), the user chose no messaging layer (`OMPI_MCA_pml`, `OMPI_MCA_mtl`, `FI_PROVIDER` unset) and the machine
//! shows no RDMA, Omni-Path, TrueScale or Slingshot device, `OMPI_MCA_pml=^cm` is set: the layer
//! Open MPI picks is the same, picked sooner. Any of those variables set by the user leaves the
//! choice to Open MPI.

use std::path::Path;

use crate::LauncherInfo;

/// The variable and value to set before `MPI_Init`, if any. `var` reads the environment;
/// `fabric_present` says whether the machine has a device `cm` could use.
fn setting(
    launcher: &LauncherInfo,
    var: impl Fn(&str) -> Option<String>,
    fabric_present: impl FnOnce() -> bool,
) -> Option<(&'static str, &'static str)> {
    if !launcher.may_run_open_mpi() {
        return None;
    }
    let chosen = ["OMPI_MCA_pml", "OMPI_MCA_mtl", "FI_PROVIDER"]
        .iter()
        .any(|name| var(name).is_some());
    if chosen || fabric_present() {
        return None;
    }
    Some(("OMPI_MCA_pml", "^cm"))
}

/// Whether a device `cm` could use is present: any RDMA device (InfiniBand, RoCE, iWARP, EFA and
/// Omni-Path's hfi1 all appear in `/sys/class/infiniband`), or the character devices of
/// Omni-Path (`/dev/hfi1*`), TrueScale (`/dev/ipath*`) or Slingshot (`/dev/cxi*`).
fn fabric_present() -> bool {
    let non_empty = |dir: &str| {
        std::fs::read_dir(dir)
            .map(|mut entries| entries.next().is_some())
            .unwrap_or(false)
    };
    let dev_named = |prefixes: &[&str]| {
        std::fs::read_dir("/dev")
            .map(|entries| {
                entries.flatten().any(|e| {
                    let name = e.file_name();
                    let name = name.to_string_lossy();
                    prefixes.iter().any(|p| name.starts_with(p))
                })
            })
            // An unreadable /dev: assume a fabric and leave Open MPI alone.
            .unwrap_or(true)
    };
    non_empty("/sys/class/infiniband")
        || Path::new("/sys/class/cxi").exists()
        || dev_named(&["hfi1", "ipath", "cxi"])
}

/// Sets `OMPI_MCA_pml=^cm` for this process when [`setting`] says so. Called once, before
/// `MPI_Init`, while spmd-comm holds its initialisation lock.
pub(crate) fn skip_absent_fabric_probe(launcher: &LauncherInfo) {
    let var = |name: &str| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned());
    if let Some((name, value)) = setting(launcher, var, fabric_present) {
        tracing::debug!("no fabric device and no messaging layer chosen: {name}={value}");
        std::env::set_var(name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open_mpi() -> LauncherInfo {
        LauncherInfo {
            launcher: Some("Open MPI"),
            world_size: Some(2),
            rank: Some(0),
        }
    }

    #[test]
    fn open_mpi_without_fabric_skips_the_probe() {
        let set = setting(&open_mpi(), |_| None, || false);
        assert_eq!(set, Some(("OMPI_MCA_pml", "^cm")));
    }

    #[test]
    fn a_fabric_or_a_users_choice_leaves_open_mpi_alone() {
        assert_eq!(setting(&open_mpi(), |_| None, || true), None);
        for chosen in ["OMPI_MCA_pml", "OMPI_MCA_mtl", "FI_PROVIDER"] {
            let var = |n: &str| (n == chosen).then(|| "ucx".to_string());
            assert_eq!(setting(&open_mpi(), var, || false), None, "{chosen}");
        }
    }

    #[test]
    fn other_launchers_are_left_alone() {
        let hydra = LauncherInfo {
            launcher: Some("MPICH/Hydra"),
            ..open_mpi()
        };
        assert_eq!(setting(&hydra, |_| None, || false), None);
        assert_eq!(setting(&LauncherInfo::default(), |_| None, || false), None);
    }

    #[test]
    fn srun_skips_the_probe_too() {
        let srun = LauncherInfo {
            launcher: Some("Slurm (PMIx)"),
            ..open_mpi()
        };
        assert_eq!(
            setting(&srun, |_| None, || false),
            Some(("OMPI_MCA_pml", "^cm"))
        );
    }
}
