//! What the environment says about how this process was started.

/// The launcher facts read from the environment: which launcher started this process and how many
/// processes it started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LauncherInfo {
    /// Launcher family (`"Open MPI"`, `"MPICH/Hydra"`, `"Slurm (PMIx)"`, `"PMIx"`, `"Slurm"`), if
    /// any.
    pub launcher: Option<&'static str>,
    /// Number of processes the launcher started, where it says.
    pub world_size: Option<usize>,
    /// This process's rank according to the launcher, where it says.
    pub rank: Option<usize>,
}

impl LauncherInfo {
    /// Reads the process environment.
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the variables through `lookup` (testable without touching the environment).
    ///
    /// Open MPI's `mpirun` and MPICH's Hydra set a size and a rank of their own and are read
    /// first (under `salloc ... mpirun`, Slurm's variables describe the allocation, not the
    /// job). A PMIx server sets a rank; Slurm's `srun --mpi=pmix` sets `PMIX_RANK` but no
    /// `PMIX_SIZE`, so the size is then read from the step's own variables
    /// (`SLURM_STEP_NUM_TASKS`, else `SLURM_NTASKS`). A Slurm step without PMIx (`srun
    /// --mpi=none`, or a PMI-2 plugin) is read from `SLURM_STEP_NUM_TASKS` and `SLURM_PROCID`;
    /// a batch script itself (`sbatch`, outside any `srun`) sets no step size and is no launch.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let number = |name: &str| lookup(name).and_then(|v| v.trim().parse::<usize>().ok());
        let probes: [(&'static str, &str, &str); 2] = [
            ("Open MPI", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK"),
            ("MPICH/Hydra", "PMI_SIZE", "PMI_RANK"),
        ];
        for (launcher, size_var, rank_var) in probes {
            let (size, rank) = (number(size_var), number(rank_var));
            if size.is_some() || rank.is_some() {
                return Self {
                    launcher: Some(launcher),
                    world_size: size,
                    rank,
                };
            }
        }
        let slurm_step = number("SLURM_STEP_NUM_TASKS");
        let in_slurm_step = slurm_step.is_some() || lookup("SLURM_STEP_ID").is_some();
        let (pmix_size, pmix_rank) = (number("PMIX_SIZE"), number("PMIX_RANK"));
        if pmix_size.is_some() || pmix_rank.is_some() {
            let slurm_size = slurm_step.or_else(|| number("SLURM_NTASKS"));
            return Self {
                launcher: Some(if in_slurm_step {
                    "Slurm (PMIx)"
                } else {
                    "PMIx"
                }),
                world_size: pmix_size.or(if in_slurm_step { slurm_size } else { None }),
                rank: pmix_rank,
            };
        }
        if slurm_step.is_some() {
            return Self {
                launcher: Some("Slurm"),
                world_size: slurm_step,
                rank: number("SLURM_PROCID"),
            };
        }
        Self::default()
    }

    /// Whether Open MPI's start-up options may be set for this launch: Open MPI's own
    /// `mpirun`, or a PMIx or Slurm launch (whose binary may be linked to Open MPI; other MPIs
    /// ignore Open MPI's variables). Not under MPICH's Hydra.
    pub fn may_run_open_mpi(&self) -> bool {
        matches!(
            self.launcher,
            Some("Open MPI" | "Slurm (PMIx)" | "PMIx" | "Slurm")
        )
    }

    /// Whether a launcher started this process.
    pub fn launched(&self) -> bool {
        self.launcher.is_some()
    }

    /// Whether the launcher started more than one process.
    pub fn is_multi_process(&self) -> bool {
        self.world_size.is_some_and(|n| n > 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(vars: &[(&str, &str)]) -> LauncherInfo {
        LauncherInfo::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn reads_each_launcher() {
        let ompi = info(&[("OMPI_COMM_WORLD_SIZE", "4"), ("OMPI_COMM_WORLD_RANK", "2")]);
        assert_eq!(
            ompi,
            LauncherInfo {
                launcher: Some("Open MPI"),
                world_size: Some(4),
                rank: Some(2)
            }
        );
        assert!(ompi.is_multi_process());
        let hydra = info(&[("PMI_SIZE", "2"), ("PMI_RANK", "0")]);
        assert_eq!(hydra.launcher, Some("MPICH/Hydra"));
        assert_eq!(hydra.world_size, Some(2));
        let pmix = info(&[("PMIX_RANK", "1")]);
        assert!(pmix.launched() && !pmix.is_multi_process());
        assert_eq!(pmix.launcher, Some("PMIx"));
        let pmix = info(&[("PMIX_RANK", "1"), ("PMIX_SIZE", "3")]);
        assert_eq!(pmix.world_size, Some(3));
    }

    /// What `srun -n 4 --mpi=pmix` sets (Slurm 22.05): a PMIx rank and no PMIx size.
    #[test]
    fn srun_with_pmix_takes_the_size_from_the_step() {
        let srun = info(&[
            ("PMIX_RANK", "2"),
            ("SLURM_STEP_NUM_TASKS", "4"),
            ("SLURM_NTASKS", "4"),
            ("SLURM_PROCID", "2"),
            ("SLURM_STEP_ID", "0"),
        ]);
        assert_eq!(
            srun,
            LauncherInfo {
                launcher: Some("Slurm (PMIx)"),
                world_size: Some(4),
                rank: Some(2)
            }
        );
        assert!(srun.is_multi_process() && srun.may_run_open_mpi());
        // A step that sets only SLURM_NTASKS still has a size.
        let older = info(&[
            ("PMIX_RANK", "0"),
            ("SLURM_NTASKS", "2"),
            ("SLURM_STEP_ID", "1"),
        ]);
        assert_eq!(older.world_size, Some(2));
    }

    /// `srun --mpi=none` (or a PMI-2 plugin): Slurm's own variables.
    #[test]
    fn srun_without_pmix_reads_slurm() {
        let srun = info(&[
            ("SLURM_STEP_NUM_TASKS", "4"),
            ("SLURM_NTASKS", "4"),
            ("SLURM_PROCID", "3"),
            ("SLURM_STEP_ID", "0"),
        ]);
        assert_eq!(srun.launcher, Some("Slurm"));
        assert_eq!((srun.world_size, srun.rank), (Some(4), Some(3)));
    }

    /// `salloc -n 4 mpirun ...`: Open MPI's variables describe the job, Slurm's the allocation.
    #[test]
    fn mpirun_inside_an_allocation_is_open_mpi() {
        let job = info(&[
            ("OMPI_COMM_WORLD_SIZE", "4"),
            ("OMPI_COMM_WORLD_RANK", "1"),
            ("PMIX_RANK", "1"),
            ("SLURM_NTASKS", "8"),
            ("SLURM_JOB_ID", "12"),
        ]);
        assert_eq!(job.launcher, Some("Open MPI"));
        assert_eq!(job.world_size, Some(4));
    }

    /// A batch script (`sbatch -n 4`) running the program itself, outside `srun`: one process.
    #[test]
    fn a_batch_script_outside_srun_is_no_launch() {
        let batch = info(&[
            ("SLURM_NTASKS", "4"),
            ("SLURM_JOB_ID", "12"),
            ("SLURM_PROCID", "0"),
        ]);
        assert!(!batch.launched() && !batch.is_multi_process());
    }

    #[test]
    fn hydra_is_not_given_open_mpi_options() {
        let hydra = info(&[("PMI_SIZE", "2"), ("PMI_RANK", "0")]);
        assert!(!hydra.may_run_open_mpi());
        assert!(!info(&[]).may_run_open_mpi());
    }

    #[test]
    fn nothing_set_means_no_launcher() {
        let none = info(&[("HOME", "/root")]);
        assert!(!none.launched());
        assert!(!none.is_multi_process());
        let one = info(&[("OMPI_COMM_WORLD_SIZE", "1")]);
        assert!(one.launched() && !one.is_multi_process());
    }
}
