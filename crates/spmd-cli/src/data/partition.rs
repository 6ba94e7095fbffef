//! One partition of the global rows for every input of a fit.
//!
//! The features decide it: each rank's rows of `--x` (its `{rank}` shard, or its share of one
//! file) are global rows `start..start + rows` of `total`. Targets and sample weights are read
//! for exactly those rows, whatever their own kind of file, and must hold exactly as many rows
//! as the features: a shard as many as the features' rows on its rank, a shared file as many as
//! all ranks' features together. A mismatch is an error naming both files and both row counts,
//! found before any fit work; a file longer than the features is never cut short, nor one
//! shorter padded, since either pairs rows with the wrong targets.

use std::path::Path;

use spmd_core::Comm;

use super::{read_table, resolve, Columns, Selection, Table};
use crate::CliError;

/// Where this rank's feature rows sit among all ranks' rows, and the file they came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowPartition {
    /// The features' `--x` pattern.
    pattern: String,
    /// The features' file of this rank, as messages name it.
    features: String,
    /// Whether the features are `{rank}` shards.
    sharded: bool,
    /// This rank's rank.
    rank: usize,
    /// Global index of this rank's first row.
    start: usize,
    /// This rank's rows.
    rows: usize,
    /// Rows over all ranks.
    total: usize,
}

impl RowPartition {
    /// The partition this rank's `features`, read from `pattern`, set. Collective (one
    /// allgather of the row counts).
    pub fn of_features(pattern: &str, comm: &Comm, features: &Table) -> Result<Self, CliError> {
        let counts = comm.allgather(&[features.nrows() as u64])?;
        Ok(Self::from_counts(pattern, comm.rank(), &counts))
    }

    /// The partition of rank `rank` where rank `r` holds `counts[r]` rows of `pattern`.
    fn from_counts(pattern: &str, rank: usize, counts: &[u64]) -> Self {
        let sharded = pattern.contains("{rank}");
        let features = if sharded {
            resolve(pattern, rank).0.display().to_string()
        } else {
            pattern.to_string()
        };
        let at = |r: usize| counts[..r].iter().sum::<u64>() as usize;
        Self {
            pattern: pattern.to_string(),
            features,
            sharded,
            rank,
            start: at(rank),
            rows: counts.get(rank).copied().unwrap_or(0) as usize,
            total: at(counts.len()),
        }
    }

    /// Rows over all ranks.
    pub fn total(&self) -> usize {
        self.total
    }

    /// This rank's rows of `pattern` (targets or weights): its shard, or the same global rows
    /// of one shared file, which must hold exactly as many rows as the features. Local.
    pub fn read(&self, pattern: &str, columns: &Columns) -> Result<Table, CliError> {
        let (path, sharded) = resolve(pattern, self.rank);
        if !sharded {
            let features = if self.sharded {
                format!("the shards {}", self.pattern)
            } else {
                self.features.clone()
            };
            let selection = Selection::Aligned {
                rows: self.start..self.start + self.rows,
                total: self.total,
                features,
            };
            return read_table(&path, &selection, columns);
        }
        let table = read_table(&path, &Selection::All, columns)?;
        if table.nrows() != self.rows {
            let features = if self.sharded {
                self.features.clone()
            } else {
                format!("rank {}'s share of {}", self.rank, self.features)
            };
            return Err(row_count_mismatch(
                &path,
                table.nrows(),
                &features,
                self.rows,
            ));
        }
        Ok(table)
    }
}

/// The error of a file `path` of `found` rows read beside features (`features`, as messages
/// name them) of `expected` rows.
pub(super) fn row_count_mismatch(
    path: &Path,
    found: usize,
    features: &str,
    expected: usize,
) -> CliError {
    CliError::file(
        path,
        format!(
            "has {found} rows, but {features} {} {expected}: the features, targets and sample \
             weights must hold one row per sample",
            if features.starts_with("the shards") {
                "have"
            } else {
                "has"
            }
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_totals_follow_the_ranks_counts() {
        let p = RowPartition::from_counts("x.npy", 2, &[3, 0, 4, 5]);
        assert_eq!((p.start, p.rows, p.total), (3, 4, 12));
        assert!(!p.sharded);
        let p = RowPartition::from_counts("/d/x_{rank}.npy", 1, &[3, 0, 4]);
        assert_eq!((p.start, p.rows, p.total), (3, 0, 7));
        assert_eq!(p.features, "/d/x_1.npy");
    }
}
