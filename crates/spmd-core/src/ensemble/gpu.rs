//! The forests on this rank's GPU: the binned rows uploaded once per fit, the histograms of
//! each round built there, and the leaves of `predict` found there.

use ndarray::ArrayView2;
use spmd_comm::Comm;
use std::sync::Arc;

use spmd_gpu::kernels::forest::{histograms, leaves_of, DeviceTrees, ForestRows, TreeArrays};
use spmd_gpu::{Precision, Queue};

use super::tree::Tree;
use crate::backend::{Backend, KeptOnDevice};
use crate::distributed::agree;
use crate::{Float, Result};

/// One node and feature's histogram to build: a plain record the growing code fills.
pub(crate) use spmd_gpu::kernels::forest::HistogramTask;

/// This rank's GPU and its copy of the binned rows, for the histograms of the rounds.
pub(crate) struct Device<'q> {
    queue: &'q Queue,
    rows: ForestRows,
}

impl<'q> Device<'q> {
    /// The binned rows (`codes`, `code_bytes` each, `rows` rows, with their class codes) on
    /// `queue`'s device, or `None` without one. Collective where a queue is given: an upload
    /// that fails on one rank fails every rank.
    pub(super) fn upload(
        comm: &Comm,
        queue: Option<&'q Queue>,
        (codes, code_bytes, rows): (&[u8], usize, usize),
        classes: &[u32],
    ) -> Result<Option<Self>> {
        let Some(queue) = queue else {
            return Ok(None);
        };
        let _upload = queue.phase("upload");
        let uploaded = ForestRows::upload(queue, codes, code_bytes, rows, classes)
            .map(|rows| Device { queue, rows })
            .map_err(crate::Error::from);
        Ok(Some(agree(comm, uploaded)?))
    }

    /// The trees' sample terms of the batch, `row_width` per row. Collective over `comm` when
    /// it has several ranks.
    pub(super) fn set_terms(&mut self, comm: &Comm, terms: &[i64], row_width: usize) -> Result<()> {
        let _upload = self.queue.phase("upload");
        let uploaded = self.rows.set_terms(self.queue, terms, row_width);
        let uploaded = uploaded.map_err(crate::Error::from);
        if comm.size() > 1 {
            agree(comm, uploaded)
        } else {
            uploaded
        }
    }

    /// The histograms of `tasks` over `node_rows` into `hist` (`width` statistics per bin).
    pub(super) fn histograms(
        &self,
        node_rows: &[u32],
        tasks: &[HistogramTask],
        width: usize,
        hist: &mut [i64],
    ) -> Result<()> {
        let _level = self.queue.phase("level");
        histograms(self.queue, &self.rows, node_rows, tasks, width, hist)?;
        Ok(())
    }
}

/// A fitted forest's trees on a GPU, kept for its next predictions on the same queue: the
/// first prediction uploads them, the next ones upload only their rows; another queue,
/// precision or width replaces them.
pub(crate) type ResidentTrees = KeptOnDevice<(usize, Precision), DeviceTrees>;

/// `trees` on `queue` for rows of `cols` features in `precision`, kept in `resident`.
fn trees_on(
    resident: &ResidentTrees,
    queue: &Queue,
    (trees, cols): (&[Tree], usize),
    precision: Precision,
) -> Result<Arc<DeviceTrees>> {
    resident.get_or_upload(queue, (cols, precision), || {
        let arrays: Vec<TreeArrays<'_>> = trees
            .iter()
            .map(|t| TreeArrays {
                left: &t.children_left,
                right: &t.children_right,
                feature: &t.feature,
                threshold: &t.threshold,
            })
            .collect();
        Ok(DeviceTrees::upload(queue, &arrays, cols, precision)?)
    })
}

/// The leaf each row of `x` reaches in each tree (`rows x trees`, row-major) on `backend`'s
/// GPU, where its comparisons are exact (`f32` rows, or an adapter with f64), with the trees
/// kept on the device in `resident`; `None` on the CPU or where they would not be exact.
pub(super) fn leaves_on_device<F: Float>(
    backend: &Backend<'_>,
    x: ArrayView2<'_, F>,
    (trees, resident): (&[Tree], &ResidentTrees),
) -> Option<Result<Vec<u32>>> {
    let (queue, readback) = backend.device()?;
    let precision = queue.precision_for::<F>();
    let exact = std::mem::size_of::<F>() == 4 || precision == Precision::F64;
    if !exact {
        return None;
    }
    let device = match trees_on(resident, queue, (trees, x.ncols()), precision) {
        Ok(device) => device,
        Err(e) => return Some(Err(e)),
    };
    let _predict = queue.phase("predict");
    Some(leaves_of(queue, x, &device, readback).map_err(crate::Error::from))
}
