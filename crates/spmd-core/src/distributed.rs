//! The collective steps every estimator shares: agreeing on failures and on global shapes.

use spmd_comm::{Comm, Disagreement, ReduceOp};

use crate::{Error, Result};

/// Turns this rank's result into the same outcome on every rank (see [`Comm::agree`]): a rank
/// that failed returns its own error, the others [`Error::OnOtherRank`].
pub fn agree<T>(comm: &Comm, local: Result<T>) -> Result<T> {
    comm.agree(local).map_err(|d| match d {
        Disagreement::Local(e) => e,
        Disagreement::Remote { rank, message, .. } => Error::OnOtherRank { rank, message },
        Disagreement::Comm(e) => Error::Comm(e),
    })
}

/// The sample weights a fit uses on this rank, agreed over the ranks: where any rank passes
/// weights, this rank's, or 1 for each of its `rows` where it passes none; `None` where no rank
/// passes any. Errors on every rank when the weights sum to zero over all ranks. Collective
/// (one allreduce of two numbers, whether or not weights are given).
pub(crate) fn fit_weights<'a>(
    comm: &Comm,
    weights: Option<std::borrow::Cow<'a, [f64]>>,
    rows: usize,
) -> Result<Option<std::borrow::Cow<'a, [f64]>>> {
    let mut given = [
        f64::from(u8::from(weights.is_some())),
        weights.as_ref().map_or(rows as f64, |w| w.iter().sum()),
    ];
    comm.allreduce_in_place(&mut given, ReduceOp::Sum)?;
    if given[0] == 0.0 {
        return Ok(None);
    }
    if given[1] <= 0.0 {
        return Err(Error::Input(
            "the sample weights sum to zero over all ranks: at least one weight must be non-zero"
                .into(),
        ));
    }
    Ok(Some(
        weights.unwrap_or(std::borrow::Cow::Owned(vec![1.0; rows])),
    ))
}

/// The estimator's communicator, or `Comm::world()` when none was set.
pub fn comm_or_world(comm: Option<&Comm>) -> Result<Comm> {
    match comm {
        Some(c) => Ok(c.clone()),
        None => Ok(Comm::world()?),
    }
}

/// Global facts of a distributed input, equal on every rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GlobalShape {
    /// Rows over all ranks.
    pub rows: u64,
    /// Index of this rank's first row among all rows.
    pub row_offset: u64,
    /// Columns of each block (equal on every rank that holds rows).
    pub columns: [usize; 2],
}

/// Agrees on the column counts of `X` (and `y`) and the global row count.
///
/// Ranks with no rows may pass arrays with no columns; they adopt the others' counts. Any other
/// difference is an error on every rank that lists each rank's count. Rows of zero features are
/// an error on every rank, as in scikit-learn: no estimator has anything to fit in them.
pub fn global_shape(
    comm: &Comm,
    rows: usize,
    columns: [usize; 2],
    names: [&'static str; 2],
) -> Result<GlobalShape> {
    let gathered = comm.allgather(&[rows as u64, columns[0] as u64, columns[1] as u64])?;
    let per_rank: Vec<[u64; 3]> = gathered
        .chunks_exact(3)
        .map(|c| [c[0], c[1], c[2]])
        .collect();
    let mut agreed = [None::<u64>; 2];
    for (k, name) in names.iter().enumerate() {
        let counts = per_rank
            .iter()
            .filter(|r| r[0] > 0 || r[k + 1] > 0)
            .map(|r| r[k + 1]);
        for count in counts {
            match agreed[k] {
                None => agreed[k] = Some(count),
                Some(c) if c == count => {}
                Some(_) => {
                    let detail = per_rank
                        .iter()
                        .enumerate()
                        .map(|(rank, r)| format!("rank {rank}: {}", r[k + 1]))
                        .collect::<Vec<_>>()
                        .join(", ");
                    return Err(Error::RankMismatch {
                        what: if *name == "X" {
                            "the number of features (columns of X)"
                        } else {
                            "the number of targets (columns of y)"
                        },
                        detail,
                    });
                }
            }
        }
    }
    let total: u64 = per_rank.iter().map(|r| r[0]).sum();
    if total > 0 && agreed[0] == Some(0) {
        return Err(Error::NoFeatures { rows: total });
    }
    let offset: u64 = per_rank[..comm.rank()].iter().map(|r| r[0]).sum();
    Ok(GlobalShape {
        rows: total,
        row_offset: offset,
        columns: [
            agreed[0].unwrap_or(0) as usize,
            agreed[1].unwrap_or(0) as usize,
        ],
    })
}

/// The mean over all ranks' rows from each rank's `count` rows with column means `mean`: one
/// allreduce. Returns the global count and means (zeros with no rows anywhere).
pub(crate) fn global_mean(comm: &Comm, count: f64, mean: &[f64]) -> Result<(f64, Vec<f64>)> {
    let mut totals: Vec<f64> = mean.iter().map(|m| m * count).collect();
    totals.push(count);
    allreduce_sum(comm, &mut totals)?;
    let n = totals.pop().unwrap_or(0.0);
    Ok((
        n,
        totals
            .iter()
            .map(|t| if n > 0.0 { t / n } else { 0.0 })
            .collect(),
    ))
}

/// Sums each rank's `local` values (`len` of them) over the ranks, and hands every rank rank
/// 0's sums, so iterative solvers on every rank see bit-identical numbers. If any rank's `local`
/// failed, every rank fails instead of waiting in a collective the failed rank left: the failing
/// rank with its own error, the others with [`Error::OnOtherRank`]. A failure flag rides in the
/// same allreduce, so success costs nothing extra.
///
/// ```
/// use spmd_core::{distributed::allreduce_or_fail, Comm, Error};
///
/// let comm = Comm::single();
/// assert_eq!(allreduce_or_fail(&comm, Ok(vec![1.0, 2.0]), 2)?, [1.0, 2.0]);
/// let failed = allreduce_or_fail(&comm, Err(Error::Input("device lost".into())), 2);
/// assert!(failed.is_err_and(|e| e.to_string() == "device lost"));
/// # Ok::<(), spmd_core::Error>(())
/// ```
pub fn allreduce_or_fail(comm: &Comm, local: Result<Vec<f64>>, len: usize) -> Result<Vec<f64>> {
    let mut flat = match &local {
        Ok(values) if values.len() == len => values.clone(),
        _ => vec![0.0; len],
    };
    let failed = match &local {
        Ok(values) => values.len() != len,
        Err(_) => true,
    };
    flat.push(f64::from(u8::from(failed)));
    comm.allreduce_in_place(&mut flat, ReduceOp::Sum)?;
    if flat[len] > 0.0 {
        let local = local.and_then(|values| {
            if values.len() == len {
                Ok(values)
            } else {
                Err(Error::Input(format!(
                    "{} partial sums where {len} were expected",
                    values.len()
                )))
            }
        });
        agree(comm, local)?;
        return Err(Error::Input(
            "a rank failed during a collective step".into(),
        ));
    }
    flat.truncate(len);
    if comm.size() > 1 {
        comm.broadcast(0, &mut flat)?;
    }
    Ok(flat)
}

/// Sum over ranks of `values`, in place.
pub(crate) fn allreduce_sum(comm: &Comm, values: &mut [f64]) -> Result<()> {
    comm.allreduce_in_place(values, ReduceOp::Sum)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_rank_shape() -> Result<()> {
        let comm = Comm::single();
        let shape = global_shape(&comm, 5, [3, 1], ["X", "y"])?;
        assert_eq!(
            shape,
            GlobalShape {
                rows: 5,
                row_offset: 0,
                columns: [3, 1]
            }
        );
        Ok(())
    }

    #[test]
    fn local_error_comes_back_unchanged() {
        let comm = Comm::single();
        let r: Result<()> = Err(Error::Empty { what: "X" });
        assert!(matches!(agree(&comm, r), Err(Error::Empty { what: "X" })));
    }
}
