//! The neighbour search's GPU step: the device lists each query's candidates in a block
//! (`spmd_gpu::kernels::neighbors`), and the host turns them into the exact top-k.
//!
//! The device's keys are approximate. For a list whose k-th key is $a_k$, every row that could
//! be among the exact k nearest of its chunk has a device key within a band above $a_k$: in the
//! distance's own units (square roots for squared differences) a device value $\tilde d$ and
//! the exact $d$ satisfy $|\tilde d - d| \le \rho d + \alpha$, with $\rho = 2 (w + 4) u$ for
//! the rounding of a $w$-term sum and $\alpha = 2 u (\lVert q \rVert + \max \lVert t \rVert)$
//! for the rows' rounding to the device's precision ($u$ its unit roundoff, the norm the
//! distance's own; for cosine, on normalised rows, $\alpha = 4 (w + 4) u$ and $\rho = 0$). So
//! the exact k-th distance is at most $e = (a_k + \alpha) / (1 - \rho)$ and a row within it
//! has a device value at most $e (1 + \rho) + \alpha$. The rows inside that band get exact
//! f64 keys on the host; a full list whose last key is inside the band may have left rows
//! out, and its chunk is searched pair by pair on the host instead. The result is the CPU's,
//! exactly.

use ndarray::{s, ArrayView2};
use rayon::prelude::*;
use std::sync::Arc;

use spmd_gpu::kernels::neighbors::{
    candidates, candidates_on_device, CandidateMeasure, Candidates, MAX_KEEP,
};
use spmd_gpu::{DeviceRows, Readback};

use super::metric::Measure;
use super::search::{Block, BlockMerger, Precision, Search, TopK};
use crate::backend::KeptOnDevice;
use crate::{Queue, Result};

/// The most neighbours the device lists are sized for; larger `k` searches on the CPU.
pub const MAX_GPU_NEIGHBORS: usize = 64;
/// Values beyond this make the f32 device keys overflow: queries beyond it take f64 keys where
/// the adapter has f64, and a block beyond it against f32 keys searches on the CPU.
const F32_SAFE: f64 = 1e15;

/// A fitted search's own training rows on a GPU, kept for its next searches on the same queue.
/// A search uploads them on its first visit to its own block and reuses them after; another
/// queue, precision or row count replaces them.
pub(crate) type ResidentTraining = KeptOnDevice<(spmd_gpu::Precision, usize), DeviceRows>;

/// The rows `features` on `queue` in `precision`, kept in `resident`.
fn training_on(
    resident: &ResidentTraining,
    queue: &Queue,
    precision: spmd_gpu::Precision,
    features: ArrayView2<'_, f64>,
) -> Result<Arc<DeviceRows>> {
    resident.get_or_upload(queue, (precision, features.nrows()), || {
        Ok(match precision {
            spmd_gpu::Precision::F32 => {
                DeviceRows::upload(queue, features.mapv(|v| v as f32).view())?
            }
            spmd_gpu::Precision::F64 => DeviceRows::upload(queue, features)?,
        })
    })
}

/// The query rows on the device, and how the device measures.
pub(crate) struct DeviceSearch<'q> {
    queue: &'q Queue,
    /// This rank's own block (its first global row and rows), which `resident` keeps on the
    /// device.
    own: (u64, usize),
    resident: ResidentTraining,
    rows: DeviceRows,
    measure: CandidateMeasure,
    /// Each query row's norm in the distance's own norm.
    norms: Vec<f64>,
    /// The largest magnitude among the query values.
    largest: f64,
    keep: usize,
}

impl<'q> DeviceSearch<'q> {
    /// The device side of `search` over `queries` on `queue`'s GPU, or `None` without a queue
    /// or where the device cannot take it (Minkowski with another p, `k` above
    /// [`MAX_GPU_NEIGHBORS`], no features).
    pub(crate) fn for_queue(
        search: &Search<'_>,
        queue: Option<&'q Queue>,
        queries: ArrayView2<'_, f64>,
        (own, resident): ((u64, usize), &ResidentTraining),
    ) -> Result<Option<Self>> {
        match queue {
            Some(queue) => Self::new(search, queue, queries, (own, resident)),
            None => Ok(None),
        }
    }

    fn new(
        search: &Search<'_>,
        queue: &'q Queue,
        queries: ArrayView2<'_, f64>,
        (own, resident): ((u64, usize), &ResidentTraining),
    ) -> Result<Option<Self>> {
        let measure = match search.measure {
            Measure::Squares { .. } => CandidateMeasure::Squares,
            Measure::Manhattan => CandidateMeasure::Absolute,
            Measure::Chebyshev => CandidateMeasure::Largest,
            Measure::Cosine => CandidateMeasure::Cosine,
            Measure::Power(_) => return Ok(None),
        };
        if search.k > MAX_GPU_NEIGHBORS || search.width == 0 {
            return Ok(None);
        }
        let _upload = queue.phase("upload");
        let largest = queries.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        // Keys in f32 (the band keeps the result exact, and a GPU's f32 is many times its
        // f64); in f64 only where the values would overflow f32 keys and the adapter has it.
        let wide = largest > F32_SAFE && search.prune_in == Precision::F64;
        let rows = if wide && queue.info().supports_f64 {
            DeviceRows::upload(queue, queries)?
        } else {
            DeviceRows::upload(queue, queries.mapv(|v| v as f32).view())?
        };
        let norms = queries
            .rows()
            .into_iter()
            .map(|r| norm(measure, r.iter()))
            .collect();
        Ok(Some(Self {
            queue,
            own,
            resident: resident.clone(),
            rows,
            measure,
            norms,
            largest,
            keep: (search.k + (search.k / 4).max(4)).min(MAX_KEEP),
        }))
    }

    /// Offers `block`'s rows to every query's top-k through the device's candidate lists.
    fn merge_block(
        &mut self,
        search: &Search<'_>,
        queries: ArrayView2<'_, f64>,
        block: &Block,
        tops: &mut [TopK],
    ) -> Result<()> {
        let _step = self.queue.phase("step");
        let (width, stride) = (search.width, search.width + search.carry);
        let rows = block.values().len() / stride;
        if rows == 0 || queries.nrows() == 0 {
            return Ok(());
        }
        let all = ArrayView2::from_shape((rows, stride), block.values())
            .map_err(|e| crate::Error::Input(format!("a neighbour block: {e}")))?;
        let features = all.slice(s![.., ..width]);
        let single = self.rows.precision() == spmd_gpu::Precision::F32;
        let block_largest = features.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        if single && self.largest.max(block_largest) > F32_SAFE {
            search.merge(queries, block, tops);
            return Ok(());
        }
        let block_norm = features
            .rows()
            .into_iter()
            .map(|r| norm(self.measure, r.iter()))
            .fold(0.0, f64::max);
        let self_shift = search
            .exclude_self
            .map(|first| first as i64 - block.first() as i64);
        let (queries_on_device, measure, keep) = (&self.rows, self.measure, self.keep);
        let staged = Readback::Staged;
        let lists = if (block.first(), rows) == self.own {
            let precision = queries_on_device.precision();
            let training = training_on(&self.resident, self.queue, precision, features)?;
            candidates_on_device(
                self.queue,
                queries_on_device,
                &training,
                measure,
                keep,
                self_shift,
                staged,
            )?
        } else {
            candidates(
                self.queue,
                queries_on_device,
                features,
                measure,
                keep,
                self_shift,
                staged,
            )?
        };
        let band = Band::new(self.measure, width, lists.unit_roundoff);
        tops.par_iter_mut()
            .zip(queries.axis_iter(ndarray::Axis(0)).into_par_iter())
            .zip(self.norms.par_iter())
            .enumerate()
            .for_each(|(q, ((top, query), &query_norm))| {
                let query = query.to_vec();
                let alpha = band.alpha(query_norm + block_norm);
                offer_candidates(search, &lists, (q, &query), block, top, |a| {
                    band.limit(a, alpha)
                });
            });
        Ok(())
    }
}

/// Offers query `q`'s candidates in every chunk of `block` within the band `limit` sets above
/// each list's k-th key; a chunk whose list may have left rows out is searched pair by pair.
fn offer_candidates(
    search: &Search<'_>,
    lists: &Candidates,
    (q, query): (usize, &[f64]),
    block: &Block,
    top: &mut TopK,
    limit: impl Fn(f64) -> f64,
) {
    let stride = search.width + search.carry;
    let own = search.exclude_self.map(|first| first + q as u64);
    for (chunk, &(start, end)) in lists.chunks.iter().enumerate() {
        let (keys, rows) = lists.list(q, chunk);
        let n = keys.len();
        if n == 0 {
            continue;
        }
        let bound = if n >= search.k {
            limit(keys[search.k - 1])
        } else {
            f64::INFINITY
        };
        if n == lists.keep && keys[n - 1] <= bound {
            search.offer_rows((q, query), block, start..end, top);
            continue;
        }
        for (&key, &row) in keys.iter().zip(rows) {
            if key > bound {
                break;
            }
            let row = row as usize;
            let index = block.first() + row as u64;
            if own == Some(index) {
                continue;
            }
            let values = &block.values()[row * stride..(row + 1) * stride];
            let (features, carried) = values.split_at(search.width);
            top.offer(
                search.k,
                search.measure.key(query, features),
                index,
                carried,
            );
        }
    }
}

/// A row's norm in the distance's own norm (none for cosine).
fn norm<'a>(measure: CandidateMeasure, values: impl Iterator<Item = &'a f64>) -> f64 {
    match measure {
        CandidateMeasure::Squares => values.map(|v| v * v).sum::<f64>().sqrt(),
        CandidateMeasure::Absolute => values.map(|v| v.abs()).sum(),
        CandidateMeasure::Largest => values.fold(0.0, |m, v| m.max(v.abs())),
        CandidateMeasure::Cosine => 0.0,
    }
}

/// The band above a device key that holds every row which may be nearer than it exactly.
struct Band {
    measure: CandidateMeasure,
    rho: f64,
    unit: f64,
    width: f64,
}

impl Band {
    fn new(measure: CandidateMeasure, width: usize, unit: f64) -> Self {
        let width = width as f64;
        let rho = if measure == CandidateMeasure::Cosine {
            0.0
        } else {
            2.0 * (width + 4.0) * unit
        };
        Self {
            measure,
            rho,
            unit,
            width,
        }
    }

    /// The absolute error for a query and block of norms summing to `norms`.
    fn alpha(&self, norms: f64) -> f64 {
        match self.measure {
            CandidateMeasure::Cosine => 4.0 * (self.width + 4.0) * self.unit,
            _ => 2.0 * self.unit * norms,
        }
    }

    /// The largest device key a row nearer (exactly) than the row of device key `key` can
    /// have.
    fn limit(&self, key: f64, alpha: f64) -> f64 {
        let squares = self.measure == CandidateMeasure::Squares;
        let distance = if squares { key.max(0.0).sqrt() } else { key };
        let exact = (distance + alpha) / (1.0 - self.rho);
        let device = exact * (1.0 + self.rho) + alpha;
        let key = if squares { device * device } else { device };
        // The host's own rounding of the above.
        key * (1.0 + 16.0 * f64::EPSILON) + f64::MIN_POSITIVE
    }
}

impl BlockMerger for DeviceSearch<'_> {
    fn merge(
        &mut self,
        search: &Search<'_>,
        queries: ArrayView2<'_, f64>,
        block: &Block,
        tops: &mut [TopK],
    ) -> Result<()> {
        self.merge_block(search, queries, block, tops)
    }
}
