//! DBSCAN's GPU step (`spmd_gpu::kernels::dbscan`): the device sorts each pair of a row of
//! this rank and a row of the block against bounds around eps, and the host decides the pairs
//! in between on their exact keys.
//!
//! In the distance's own units (square roots for squared differences) a device value
//! $\tilde d$ and the exact $d$ satisfy $|\tilde d - d| \le \rho d + \alpha$, with
//! $\rho = 2 (w + 4) u$ and $\alpha = 2 u (\lVert q \rVert + \max \lVert t \rVert)$ ($u$ the
//! device's unit roundoff; the norm the distance's own), as for the neighbour search. A pair
//! whose device value is at most $(1 - \rho) \epsilon - \alpha$ is within eps, one above
//! $(1 + \rho) \epsilon + \alpha$ is not (both bounds widened again by the f64 sum's own
//! rounding), and the rest get their exact key. A row whose record overflowed (more pairs
//! in between, or more components, than it lists) is searched again on the CPU.

use std::collections::HashSet;

use ndarray::ArrayView2;
use spmd_gpu::kernels::dbscan::{pair_records, CandidateMeasure, PairMode, PairRecords};
use spmd_gpu::{DeviceRows, Readback};

use super::pairs::Finder;
use crate::neighbors::metric::Measure;
use crate::{Error, Queue, Result};

/// Rows between the bounds a record lists.
const BAND_CAP: usize = 32;
/// Components a record lists.
const COMP_CAP: usize = 8;

/// This rank's rows on the device, and how the device measures them.
pub(crate) struct DevicePairs<'q> {
    queue: &'q Queue,
    rows: DeviceRows,
    measure: CandidateMeasure,
    norms: Vec<f64>,
    width: usize,
}

impl<'q> DevicePairs<'q> {
    /// The device side for `rows` (`width` values each; in f32 with `single`), or `None`
    /// where the device cannot take the measure (minkowski with p other than 1 and 2).
    pub(crate) fn new(
        queue: &'q Queue,
        rows: &[f64],
        width: usize,
        measure: Measure,
        single: bool,
    ) -> Result<Option<Self>> {
        let measure = match measure {
            Measure::Squares { .. } => CandidateMeasure::Squares,
            Measure::Manhattan => CandidateMeasure::Absolute,
            Measure::Chebyshev => CandidateMeasure::Largest,
            _ => return Ok(None),
        };
        if width == 0 {
            return Ok(None);
        }
        let n = rows.len() / width;
        let view = ArrayView2::from_shape((n, width), rows)
            .map_err(|e| crate::Error::Input(format!("dbscan rows: {e}")))?;
        let device = if single {
            DeviceRows::upload(queue, view.mapv(|v| v as f32).view())?
        } else {
            DeviceRows::upload(queue, view)?
        };
        let norms = rows.chunks_exact(width).map(|r| norm(measure, r)).collect();
        Ok(Some(Self {
            queue,
            rows: device,
            measure,
            norms,
            width,
        }))
    }

    /// Each row's bounds on the device's keys against a block whose largest norm is
    /// `block_norm`.
    fn limits(&self, eps: f64, block_norm: f64) -> Vec<(f64, f64)> {
        let unit = match self.rows.precision() {
            spmd_gpu::Precision::F32 => f64::from(f32::EPSILON) / 2.0,
            spmd_gpu::Precision::F64 => f64::EPSILON / 2.0,
        };
        let rho = 2.0 * (self.width as f64 + 4.0) * unit;
        let host = 4.0 * (self.width as f64 + 2.0) * f64::EPSILON;
        let squares = self.measure == CandidateMeasure::Squares;
        self.norms
            .iter()
            .map(|&n| {
                let alpha = 2.0 * unit * (n + block_norm);
                let lo = (1.0 - rho) * eps - alpha;
                let hi = (1.0 + rho) * eps + alpha;
                let (lo, hi) = if squares {
                    (if lo > 0.0 { lo * lo } else { -1.0 }, hi * hi)
                } else {
                    (lo, hi)
                };
                (lo - lo.abs() * host, hi + hi.abs() * host)
            })
            .collect()
    }

    fn records(
        &self,
        finder: &Finder,
        (values, stride): (&[f64], usize),
        extra: &[u32],
        mode: PairMode,
    ) -> Result<PairRecords> {
        let m = values.len() / stride.max(1);
        let all = ArrayView2::from_shape((m, stride), values)
            .map_err(|e| crate::Error::Input(format!("dbscan block: {e}")))?;
        let features = all.slice(ndarray::s![.., ..self.width]);
        let block_norm = features
            .rows()
            .into_iter()
            .map(|r| norm(self.measure, r.as_slice().unwrap_or_default()))
            .fold(0.0, f64::max);
        let limits = self.limits(finder.eps(), block_norm);
        Ok(pair_records(
            self.queue,
            &self.rows,
            features,
            &limits,
            extra,
            (self.measure, mode),
            (BAND_CAP, COMP_CAP),
            Readback::Staged,
        )?)
    }

    /// Each row's count of the block rows within eps (every weight 1), and the rows whose
    /// records overflowed (their counts are left at 0, for the CPU).
    pub(crate) fn counts(
        &self,
        finder: &Finder,
        rows: &[f64],
        (values, stride): (&[f64], usize),
    ) -> Result<(Vec<f64>, Vec<usize>)> {
        let m = values.len() / stride.max(1);
        let records = self.records(finder, (values, stride), &vec![1; m], PairMode::Count)?;
        let mut counts = vec![0.0; self.norms.len()];
        let mut again = Vec::new();
        for (i, count) in counts.iter_mut().enumerate() {
            let row = &rows[i * self.width..(i + 1) * self.width];
            let mut total = 0.0;
            let mut overflowed = false;
            for c in 0..records.chunks.len() {
                let record = records.record(i, c);
                overflowed |= record.band_overflow;
                total += f64::from(record.sum);
                total += record
                    .band
                    .iter()
                    .filter(|&&j| finder.within_eps(row, &values[j as usize * stride..]))
                    .count() as f64;
            }
            if overflowed {
                again.push(i);
            } else {
                *count = total;
            }
        }
        Ok((counts, again))
    }

    /// Each row's set of block components within eps among core rows (`component[j]` for
    /// block row `j`, `None` for rows that are not core), and the rows whose records
    /// overflowed (left empty, for the CPU).
    pub(crate) fn components(
        &self,
        finder: &Finder,
        rows: &[f64],
        (values, stride): (&[f64], usize),
        component: &[Option<u64>],
    ) -> Result<(Vec<HashSet<u64>>, Vec<usize>)> {
        // Components as small integers (1-based; 0: not core) for the device.
        let mut ids: Vec<u64> = component.iter().flatten().copied().collect();
        ids.sort_unstable();
        ids.dedup();
        let extra: Vec<u32> = component
            .iter()
            .map(|c| c.map_or(0, |c| ids.binary_search(&c).map_or(0, |k| k as u32 + 1)))
            .collect();
        let records = self.records(finder, (values, stride), &extra, PairMode::Components)?;
        let mut found = vec![HashSet::new(); self.norms.len()];
        let mut again = Vec::new();
        for (i, near) in found.iter_mut().enumerate() {
            let row = &rows[i * self.width..(i + 1) * self.width];
            let mut overflowed = false;
            for c in 0..records.chunks.len() {
                let record = records.record(i, c);
                overflowed |= record.band_overflow || record.comp_overflow;
                near.extend(record.comps.iter().map(|&k| ids[k as usize - 1]));
                for &j in record.band {
                    let j = j as usize;
                    if let Some(id) = component[j] {
                        if finder.within_eps(row, &values[j * stride..]) {
                            near.insert(id);
                        }
                    }
                }
            }
            if overflowed {
                near.clear();
                again.push(i);
            }
        }
        Ok((found, again))
    }
}

/// A row's norm in the distance's own norm.
fn norm(measure: CandidateMeasure, row: &[f64]) -> f64 {
    match measure {
        CandidateMeasure::Squares => row.iter().map(|v| v * v).sum::<f64>().sqrt(),
        CandidateMeasure::Absolute => row.iter().map(|v| v.abs()).sum(),
        _ => row.iter().fold(0.0, |m, v| m.max(v.abs())),
    }
}

/// The GPU side of a fit, if any: opened once, used while it works; a failure is kept for the
/// end of the fit and the rest runs on the CPU.
pub(super) struct Gpu<'q> {
    device: Option<DevicePairs<'q>>,
    failed: Option<Error>,
}

impl<'q> Gpu<'q> {
    /// `open(queue)` unless there is no queue, or weights (the device counts rows, not
    /// weights).
    pub(super) fn open(
        queue: Option<&'q Queue>,
        weighted: bool,
        open: impl FnOnce(&'q Queue) -> Result<Option<DevicePairs<'q>>>,
    ) -> Self {
        let Some(queue) = queue else {
            return Self {
                device: None,
                failed: None,
            };
        };
        if weighted {
            tracing::warn!("DBSCAN with sample weights runs on the CPU; the GPU is not used");
            return Self {
                device: None,
                failed: None,
            };
        }
        match open(queue) {
            Ok(device) => Self {
                device,
                failed: None,
            },
            Err(e) => Self {
                device: None,
                failed: Some(e),
            },
        }
    }

    /// `step` on the device, or `None` (no device, or it failed now or before).
    pub(super) fn run<T>(&mut self, step: impl FnOnce(&DevicePairs<'q>) -> Result<T>) -> Option<T> {
        let outcome = step(self.device.as_ref()?);
        match outcome {
            Ok(value) => Some(value),
            Err(e) => {
                self.failed.get_or_insert(e);
                self.device = None;
                None
            }
        }
    }

    /// Whether the device failed.
    pub(super) fn outcome(&mut self) -> Result<()> {
        self.failed.take().map_or(Ok(()), Err)
    }
}
