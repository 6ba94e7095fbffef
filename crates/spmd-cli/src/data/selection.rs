//! Which rows of a file this rank reads: its shard, its share of one file, or given rows.

use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::CliError;

/// The path of this rank's shard, or the shared file, and whether it is a shard.
pub fn resolve(pattern: &str, rank: usize) -> (PathBuf, bool) {
    if pattern.contains("{rank}") {
        (
            PathBuf::from(pattern.replace("{rank}", &rank.to_string())),
            true,
        )
    } else {
        (PathBuf::from(pattern), false)
    }
}

/// Rows `[start, end)` of `total` rows that rank `rank` of `size` reads from a shared file.
pub fn share(total: usize, rank: usize, size: usize) -> (usize, usize) {
    (total * rank / size, total * (rank + 1) / size)
}

/// Which rows of a file this rank reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Selection {
    /// Every row (a shard of its own).
    All,
    /// An even share of the rows: rank `rank` of `size`.
    Share { rank: usize, size: usize },
    /// These global rows of a file that holds at least as many (a piece of a shard).
    Rows(Range<usize>),
    /// These global rows of a file that must hold exactly `total` rows, as the features do:
    /// targets and weights.
    Aligned {
        /// This rank's rows.
        rows: Range<usize>,
        /// Rows the file must hold.
        total: usize,
        /// The features, as messages name them, with their verb (`x.npy has`).
        features: String,
    },
}

/// The rows `selection` picks of a first axis of `total` rows (of the file `path`, for
/// messages).
pub(crate) fn rows_of(
    selection: &Selection,
    total: usize,
    path: &Path,
) -> Result<Range<usize>, CliError> {
    match selection {
        Selection::All => Ok(0..total),
        Selection::Share { rank, size } => {
            let (start, end) = share(total, *rank, *size);
            Ok(start..end)
        }
        Selection::Rows(rows) if rows.end <= total => Ok(rows.clone()),
        Selection::Rows(rows) => Err(CliError::file(
            path,
            format!(
                "has {total} rows, fewer than the features' {} rows (this rank needs rows {}..{})",
                rows.end, rows.start, rows.end
            ),
        )),
        Selection::Aligned {
            rows,
            total: expected,
            ..
        } if total == *expected => Ok(rows.clone()),
        Selection::Aligned {
            total: expected,
            features,
            ..
        } => Err(row_count_mismatch(path, total, features, *expected)),
    }
}

/// The error of a file `path` of `found` rows read beside features of `expected` rows
/// (`features`: how messages name them, with their verb: `x.npy has`).
pub(super) fn row_count_mismatch(
    path: &Path,
    found: usize,
    features: &str,
    expected: usize,
) -> CliError {
    CliError::file(
        path,
        format!(
            "has {found} rows, but {features} {expected}: the features, targets and sample \
             weights must hold one row per sample"
        ),
    )
}
