//! What the environment says about how this process was started.

/// The launcher facts read from the environment: which launcher started this process and how many
/// processes it started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LauncherInfo {
    /// Launcher family (`"Open MPI"`, `"MPICH/Hydra"`, `"PMIx"`, `"Slurm"`), if any.
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
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let number = |name: &str| lookup(name).and_then(|v| v.trim().parse::<usize>().ok());
        let probes: [(&'static str, &str, &str); 4] = [
            ("Open MPI", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK"),
            ("MPICH/Hydra", "PMI_SIZE", "PMI_RANK"),
            ("PMIx", "PMIX_SIZE", "PMIX_RANK"),
            ("Slurm", "SLURM_STEP_NUM_TASKS", "SLURM_PROCID"),
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
        Self::default()
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
