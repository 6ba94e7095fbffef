//! KMeans on this rank's GPU: the rows uploaded once (or given resident) and kept there for
//! every run, the Lloyd steps with the labels kept on the device, and the assignment kernel.

use ndarray::ArrayView1;
use ndarray::{Array2, ArrayView2};
use spmd_gpu::kernels::kmeans::{assign_resident, LloydStep};
use spmd_gpu::kernels::kmeans_seeding::{Added, Seeding};
use spmd_gpu::Queue;

use crate::backend::{Backend, ResidentRows};
use crate::partials::ColumnMoments;
use crate::{Float, Result};

/// This rank's rows as the device holds them.
pub(super) use spmd_gpu::DeviceRows;

/// This rank's rows on its device, where it has one.
pub(super) enum DeviceCopy<'r> {
    /// On the CPU.
    Absent,
    /// Uploaded by this fit.
    Uploaded(DeviceRows),
    /// The caller's resident copy.
    Given(&'r DeviceRows),
}

impl DeviceCopy<'_> {
    /// The rows on the device, if any.
    pub(super) fn rows(&self) -> Option<&DeviceRows> {
        match self {
            DeviceCopy::Absent => None,
            DeviceCopy::Uploaded(rows) => Some(rows),
            DeviceCopy::Given(rows) => Some(rows),
        }
    }
}

/// The column moments of this rank's rows `x` and their device copy: on a GPU, the caller's
/// `resident` copy, or the rows uploaded here once (the moments formed from that copy, so the
/// rows cross to the device once); on the CPU, the moments alone.
pub(super) fn moments_and_copy<'r, F: Float>(
    backend: &Backend<'_>,
    x: ArrayView2<'_, F>,
    resident: Option<&'r ResidentRows>,
) -> Result<(ColumnMoments, DeviceCopy<'r>)> {
    if backend.device().is_none() {
        return Ok((backend.column_moments(x)?, DeviceCopy::Absent));
    }
    if let Some(rows) = resident {
        return Ok((
            backend.resident_moments(x, &rows.0)?,
            DeviceCopy::Given(&rows.0),
        ));
    }
    let (moments, uploaded) = backend.moments_and_upload(x)?;
    Ok((
        moments,
        uploaded.map_or(DeviceCopy::Absent, DeviceCopy::Uploaded),
    ))
}

/// Lloyd steps on the device, the labels kept there between steps.
pub(super) struct LloydOnDevice<'a> {
    step: LloydStep,
    queue: &'a Queue,
    rows: &'a DeviceRows,
}

impl<'a> LloydOnDevice<'a> {
    /// Steps for `k` centres over the rows' device copy `device` on `backend`'s GPU, where the
    /// GPU can take them.
    pub(super) fn new(
        backend: &Backend<'a>,
        device: Option<&'a DeviceRows>,
        k: usize,
    ) -> Option<Self> {
        let (queue, readback) = backend.device()?;
        let device = device?;
        match LloydStep::new(queue, device, k, readback) {
            Ok(step) => step.map(|step| Self {
                step,
                queue,
                rows: device,
            }),
            Err(e) => {
                tracing::debug!(error = %e, "Lloyd steps on the device unavailable; host sums");
                None
            }
        }
    }

    /// One step: the per-cluster sums (of the shifted rows) and counts, and how many labels
    /// changed.
    pub(super) fn step(&mut self, centres: &Array2<f64>) -> Result<(Array2<f64>, Vec<f64>, u64)> {
        let totals = self.step.step(self.queue, self.rows, centres.view())?;
        Ok((totals.sums, totals.counts, totals.changed))
    }

    /// The shift of the device's rows.
    pub(super) fn shift(&self) -> &[f64] {
        self.rows.shift()
    }

    /// The inertia of the last step's labels with `centres`, summed on the device.
    pub(super) fn inertia(&self, centres: &Array2<f64>) -> Result<f64> {
        Ok(self.step.inertia(self.queue, self.rows, centres.view())?)
    }

    /// Writes the device's labels into `labels`.
    pub(super) fn labels(&self, labels: &mut [usize]) -> Result<()> {
        let found = self.step.labels(self.queue, self.rows)?;
        for (label, &new) in labels.iter_mut().zip(&found) {
            *label = new as usize;
        }
        Ok(())
    }
}

/// The nearest of `centres` to each of this rank's rows `x` (their device copy `device`, or
/// uploaded now shifted by `shift`) on `backend`'s GPU, or `None` on its CPU.
pub(super) fn nearest<F: Float>(
    backend: &Backend<'_>,
    (x, device, shift): (ArrayView2<'_, F>, Option<&DeviceRows>, &[f64]),
    centres: &Array2<f64>,
) -> Option<Result<Vec<u32>>> {
    let (queue, readback) = backend.device()?;
    let uploaded;
    let device = match device {
        Some(device) => device,
        None => match DeviceRows::upload_shifted(queue, x, Some(shift)) {
            Ok(rows) => {
                uploaded = rows;
                &uploaded
            }
            Err(e) => return Some(Err(e.into())),
        },
    };
    Some(assign_resident(queue, device, centres.view(), readback).map_err(crate::Error::from))
}

/// k-means++ seeding with the rows' distances to their nearest centre kept on the device.
pub(super) struct SeedingOnDevice<'a> {
    seeding: Seeding,
    queue: &'a Queue,
    rows: &'a DeviceRows,
}

impl<'a> SeedingOnDevice<'a> {
    /// Seeding with `trials` draws per centre over the rows' device copy `device`, where the
    /// device can take it.
    pub(super) fn new(
        backend: &Backend<'a>,
        device: Option<&'a DeviceRows>,
        trials: usize,
    ) -> Result<Option<Self>> {
        let (Some((queue, readback)), Some(rows)) = (backend.device(), device) else {
            return Ok(None);
        };
        Ok(
            Seeding::new(queue, rows, trials, readback)?.map(|seeding| Self {
                seeding,
                queue,
                rows,
            }),
        )
    }

    /// Lowers every row's distance to `centre` (or to the candidate of the last potentials
    /// with that index) and runs a race per stream base: each race's winning key and row
    /// (index among this rank's rows), if any row is at a distance.
    pub(super) fn add_and_draw(
        &mut self,
        centre: Result<usize, ArrayView1<'_, f64>>,
        bases: &[u64],
        offset: u64,
    ) -> Result<Vec<Option<(f64, usize)>>> {
        let _init = self.queue.phase("init");
        let added = centre.map_or_else(Added::Centre, Added::Candidate);
        Ok(self
            .seeding
            .add_and_draw(self.queue, self.rows, added, bases, offset)?)
    }

    /// The potential each candidate would leave over this rank's rows.
    pub(super) fn potentials(&self, candidates: &Array2<f64>) -> Result<Vec<f64>> {
        let _init = self.queue.phase("init");
        Ok(self
            .seeding
            .potentials(self.queue, self.rows, candidates.view())?)
    }
}
