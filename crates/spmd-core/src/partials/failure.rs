use spmd_comm::Comm;

use crate::distributed::agree;
use crate::{Error, Result};

/// The first local failure of an incremental estimator's batches. Batches are local, so a
/// failure is returned where it happens and also remembered; [`FailureMemory::agree`], the first
/// collective of `finalize`, then makes every rank fail rather than wait.
#[derive(Debug, Clone, Default)]
pub struct FailureMemory {
    first: Option<String>,
}

impl FailureMemory {
    /// Passes `result` through, remembering its error if it is the first.
    pub fn remember<T>(&mut self, result: Result<T>) -> Result<T> {
        if let Err(e) = &result {
            self.first.get_or_insert_with(|| e.to_string());
        }
        result
    }

    /// Errors on every rank if any rank remembered a failure. Collective.
    pub fn agree(&self, comm: &Comm) -> Result<()> {
        let local = match &self.first {
            Some(message) => Err(Error::Input(format!(
                "an earlier partial_fit failed: {message}"
            ))),
            None => Ok(()),
        };
        agree(comm, local)
    }
}
