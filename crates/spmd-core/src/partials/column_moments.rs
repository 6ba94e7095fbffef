use ndarray::ArrayView2;
use spmd_comm::{Comm, ReduceOp};
use spmd_gpu::Queue;

pub use spmd_partials::ColumnMoments;

use crate::distributed::{allreduce_sum, global_mean};
use crate::{Error, Float, Result};

/// [`ColumnMoments`] of this rank's rows on the GPU of `queue`, or on the CPU when `None`. NaN
/// or infinity is an error naming where it is.
pub fn column_moments<F: Float>(
    rank: usize,
    x: ArrayView2<'_, F>,
    queue: Option<&Queue>,
) -> Result<ColumnMoments> {
    crate::backend::Backend::new(rank, queue)?.column_moments(x)
}

/// Every rank's [`ColumnMoments`] combined: the global mean from one allreduce, the centred sums
/// of squares moved to it exactly and added by a second, and min and max by their own.
pub fn combine_column_moments(comm: &Comm, local: &ColumnMoments) -> Result<ColumnMoments> {
    let w = local.mean.len();
    let (n, mean) = global_mean(comm, local.count, &local.mean)?;
    let mut m2: Vec<f64> = (0..w)
        .map(|j| local.m2[j] + local.count * (local.mean[j] - mean[j]).powi(2))
        .collect();
    allreduce_sum(comm, &mut m2)?;
    let mut min = local.min.clone();
    comm.allreduce_in_place(&mut min, ReduceOp::Min)?;
    let mut max = local.max.clone();
    comm.allreduce_in_place(&mut max, ReduceOp::Max)?;
    Ok(ColumnMoments {
        count: n,
        mean,
        m2,
        min,
        max,
    })
}

/// The [`ColumnMoments`] of every rank's rows from each rank's `local` moments of `columns`
/// columns. Collective: agrees on the number of columns (a rank without rows may report none)
/// and is an error on every rank when no rank holds a row.
pub fn global_column_moments(
    comm: &Comm,
    local: &ColumnMoments,
    columns: usize,
) -> Result<ColumnMoments> {
    let rows = local.count;
    let shape =
        crate::distributed::global_shape(comm, usize::from(rows > 0.0), [columns, 0], ["X", "y"])?;
    if shape.rows == 0 {
        return Err(Error::Empty { what: "X" });
    }
    let width = shape.columns[0];
    if rows > 0.0 {
        combine_column_moments(comm, local)
    } else {
        combine_column_moments(comm, &ColumnMoments::empty(width))
    }
}
