//! Where an estimator runs.

use spmd_comm::Comm;
use spmd_gpu::Queue;

/// Where an estimator runs: the ranks that work together and this rank's GPU, if any.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The ranks that fit together.
    pub comm: &'a Comm,
    /// This rank's GPU, or `None` for the CPU.
    pub queue: Option<&'a Queue>,
}

impl<'a> Context<'a> {
    /// Ranks of `comm`, each on the GPU of `queue` or on the CPU.
    pub fn new(comm: &'a Comm, queue: Option<&'a Queue>) -> Self {
        Self { comm, queue }
    }

    /// Ranks of `comm`, each on its CPU.
    pub fn cpu(comm: &'a Comm) -> Self {
        Self { comm, queue: None }
    }

    /// This rank's index.
    pub fn rank(&self) -> usize {
        self.comm.rank()
    }
}
