use std::fmt;

use crate::{Comm, Error};

/// Why [`Comm::agree`] did not return `Ok` on this rank.
#[derive(Debug)]
pub enum Disagreement<E> {
    /// This rank failed; its own error, unchanged.
    Local(E),
    /// This rank succeeded but another failed. `rank` is the lowest failing rank, whose message
    /// this is; `failed_ranks` lists every rank that failed.
    Remote {
        /// Lowest failing rank.
        rank: usize,
        /// Every failing rank, ascending.
        failed_ranks: Vec<usize>,
        /// The lowest failing rank's error message.
        message: String,
    },
    /// The agreement itself failed.
    Comm(Error),
}

impl<E: fmt::Display> fmt::Display for Disagreement<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Local(e) => e.fmt(f),
            Self::Remote {
                rank,
                failed_ranks,
                message,
            } => {
                write!(f, "rank {rank} failed: {message}")?;
                if failed_ranks.len() > 1 {
                    write!(f, " (failing ranks: {failed_ranks:?})")?;
                }
                Ok(())
            }
            Self::Comm(e) => e.fmt(f),
        }
    }
}

impl Comm {
    /// Makes every rank learn whether any rank failed.
    ///
    /// Every rank calls this with its local result, before the collectives that follow it. If all
    /// ranks passed `Ok`, each gets its own value back. Otherwise every rank returns an error:
    /// the failing ranks their own, the others [`Disagreement::Remote`] with the lowest failing
    /// rank's message. So bad input on one rank becomes a clear error everywhere, never a hang in
    /// a collective the failing rank skipped.
    ///
    /// ```
    /// use spmd_comm::{Comm, Disagreement};
    ///
    /// let comm = Comm::single();
    /// let local: Result<u32, String> = Err("X has NaN in row 3".into());
    /// match comm.agree(local) {
    ///     Err(Disagreement::Local(message)) => assert!(message.contains("NaN")),
    ///     _ => unreachable!(),
    /// }
    /// ```
    pub fn agree<T, E: fmt::Display>(&self, local: Result<T, E>) -> Result<T, Disagreement<E>> {
        let failed_here = u8::from(local.is_err());
        let flags = self.allgather(&[failed_here]).map_err(Disagreement::Comm)?;
        let failed_ranks: Vec<usize> = flags
            .iter()
            .enumerate()
            .filter(|(_, &f)| f != 0)
            .map(|(r, _)| r)
            .collect();
        let Some(&first) = failed_ranks.first() else {
            return local.map_err(|_| unreachable_failure());
        };
        let message = match &local {
            Err(e) if self.rank() == first => e.to_string().into_bytes(),
            _ => Vec::new(),
        };
        let message = self
            .broadcast_bytes(first, message)
            .map_err(Disagreement::Comm)?;
        match local {
            Err(e) => Err(Disagreement::Local(e)),
            Ok(_) => Err(Disagreement::Remote {
                rank: first,
                failed_ranks,
                message: String::from_utf8_lossy(&message).into_owned(),
            }),
        }
    }
}

// `local` is Ok when no rank reported a failure, so this is never evaluated.
fn unreachable_failure<E>() -> Disagreement<E> {
    Disagreement::Comm(Error::Mpi("inconsistent failure flags".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_rank_ok_passes_value_through() {
        let comm = Comm::single();
        let r: Result<i32, String> = Ok(4);
        assert_eq!(comm.agree(r).ok(), Some(4));
    }

    #[test]
    fn remote_failure_names_the_rank() {
        let d: Disagreement<String> = Disagreement::Remote {
            rank: 2,
            failed_ranks: vec![2, 3],
            message: "X contains NaN".into(),
        };
        assert_eq!(
            d.to_string(),
            "rank 2 failed: X contains NaN (failing ranks: [2, 3])"
        );
    }
}
