//! One partition of the global rows for every input of a fit.
//!
//! The features decide it: each rank's rows of `--x` (its `{rank}` shard, or its share of one
//! file) are global rows `start..start + rows` of `total`. Targets and sample weights are read
//! for exactly those rows, whatever their own kind of file, and must hold exactly as many rows
//! as the features: a shard as many as the features' rows on its rank, a shared file as many as
//! all ranks' features together. A mismatch is an error naming both files and both row counts,
//! found before any fit work; a file longer than the features is never cut short, nor one
//! shorter padded, since either pairs rows with the wrong targets.

use spmd_core::Comm;

use super::columns::Columns;
use super::read::read_table;
use super::selection::{resolve, row_count_mismatch, Selection};
use super::table::Table;
use crate::CliError;

/// Where this rank's feature rows sit among all ranks' rows, and the file they came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowPartition {
    /// The features' `--x` pattern.
    pattern: String,
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
        let at = |r: usize| counts[..r].iter().sum::<u64>() as usize;
        Self {
            pattern: pattern.to_string(),
            rank,
            start: at(rank),
            rows: counts.get(rank).copied().unwrap_or(0) as usize,
            total: at(counts.len()),
        }
    }

    /// This rank's rows of `pattern` (targets or weights): its shard, or the same global rows
    /// of one shared file, which must hold exactly as many rows as the features. Local.
    pub fn read(&self, pattern: &str, columns: &Columns) -> Result<Table, CliError> {
        let (path, sharded) = resolve(pattern, self.rank);
        let (features, features_sharded) = resolve(&self.pattern, self.rank);
        let features = features.display();
        if !sharded {
            // Against all ranks' features together.
            let features = if features_sharded {
                format!("the shards {} have", self.pattern)
            } else {
                format!("{features} has")
            };
            let selection = Selection::Aligned {
                rows: self.start..self.start + self.rows,
                total: self.total,
                features,
            };
            return read_table(&path, &selection, columns);
        }
        // Against this rank's features.
        let table = read_table(&path, &Selection::All, columns)?;
        if table.nrows() != self.rows {
            let features = if features_sharded {
                format!("{features} has")
            } else {
                format!("rank {}'s share of {features} has", self.rank)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_totals_follow_the_ranks_counts() {
        let p = RowPartition::from_counts("x.npy", 2, &[3, 0, 4, 5]);
        assert_eq!((p.start, p.rows, p.total), (3, 4, 12));
        let p = RowPartition::from_counts("/d/x_{rank}.npy", 1, &[3, 0, 4]);
        assert_eq!((p.start, p.rows, p.total), (3, 0, 7));
    }
}
