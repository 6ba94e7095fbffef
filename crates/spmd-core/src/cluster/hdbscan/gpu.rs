//! HDBSCAN with a GPU queue: the core distances come from the neighbour search's device path
//! ([`crate::neighbors`]: each block's candidates listed on the device, their keys made exact on
//! the host), over this rank's rows of its region, which travel around the ring of ranks as
//! the neighbour search's blocks. The keys are the ones the CPU path computes, so the core
//! distances are the same to the last bit. The kept neighbours are not listed, so every row
//! searches the trees in the spanning tree's first round, on the CPU.

use ndarray::ArrayView2;
use spmd_comm::Comm;

use super::kdtree::Nearest;
use super::params::HdbscanParams;
use crate::neighbors::metric::Measure;
use crate::neighbors::NearestNeighbors;
use crate::{Error, Queue, Result};

/// Each row's (unlisted) nearest rows and core distance, searched on `queue`'s GPU.
/// Collective.
pub(super) fn core_distances(
    comm: &Comm,
    queue: &Queue,
    (params, measure): (&HdbscanParams, Measure),
    (rows, width): (&[f64], usize),
    k: usize,
) -> Result<(Vec<Nearest>, Vec<f64>)> {
    let count = rows.len().checked_div(width).unwrap_or(0);
    let x = ArrayView2::from_shape((count, width), rows)
        .map_err(|e| Error::Input(format!("HDBSCAN rows: {e}")))?;
    let fitted = NearestNeighbors::new()
        .n_neighbors(k)
        .metric(params.metric)
        .p(params.p)
        .comm(comm.clone())
        .fit(&x)?;
    let (distances, _) = fitted.kneighbors(Some(x), Some(k), Some(queue))?;
    let cores = distances.column(k - 1).to_vec();
    Ok((vec![Nearest::unlisted(measure, k); count], cores))
}
