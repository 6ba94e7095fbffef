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
//!
//! Both sides are sorted by cell of a grid over the (up to two) coordinates along which this
//! rank's rows spread most, with cells wider than any row's upper bound: every measure here is
//! at least the difference of one coordinate, so a row is compared only with the block rows of
//! its own and the neighbouring cells, which the sort makes three runs of rows (its windows).
//!
//! On the rank's own rows the device counts the neighbourhoods, joins the core rows within
//! eps in a union-find of its own, and lists the components the other rows touch: the host
//! reads back the counts, the parents and the pairs in the rounding band, not the pairs.

use std::collections::HashSet;

use ndarray::Array2;
use spmd_gpu::kernels::dbscan::{
    pair_records, CandidateMeasure, PairInputs, PairMode, PairRecords,
};
use spmd_gpu::{DeviceRows, Readback};

use super::pairs::Finder;
use crate::neighbors::metric::Measure;
use crate::{Error, Queue, Result};

/// Rows between the bounds a record lists.
const BAND_CAP: usize = 32;
/// Components a record lists.
const COMP_CAP: usize = 8;

/// Windows (runs of block rows) per row: one per neighbouring cell along the grid's first
/// coordinate (`WINDOWS` in `dbscan_pairs.wgsl`).
const WINDOWS: usize = 3;
/// A coordinate is gridded when this rank's rows spread over at least this many cells.
const MIN_CELLS: f64 = 4.0;

/// The grid the rows are sorted by: its coordinates (at most two) and the side of a cell.
#[derive(Debug, Clone)]
struct Grid {
    dims: Vec<usize>,
    side: f64,
}

/// A row's cell: its coordinates in cells (0 where not gridded).
type Cell = (i64, i64);

impl Grid {
    fn cell(&self, row: &[f64]) -> Cell {
        let at = |k: usize| {
            self.dims.get(k).map_or(0, |&d| {
                (row[d] / self.side).floor().clamp(-1e15, 1e15) as i64
            })
        };
        (at(0), at(1))
    }

    /// The order of `n` rows (`row(i)`) sorted by cell (ties by row), and their cells.
    fn sort<'r>(&self, n: usize, row: impl Fn(usize) -> &'r [f64]) -> (Vec<usize>, Vec<Cell>) {
        let cells: Vec<Cell> = (0..n).map(|i| self.cell(row(i))).collect();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| (cells[i], i));
        let sorted = order.iter().map(|&i| cells[i]).collect();
        (order, sorted)
    }
}

/// This rank's rows on the device (sorted by cell), and how the device measures them.
pub(crate) struct DevicePairs<'q> {
    queue: &'q Queue,
    rows: DeviceRows,
    measure: CandidateMeasure,
    /// The rank's row at each sorted position.
    order: Vec<usize>,
    /// The sorted rows' cells.
    cells: Vec<Cell>,
    grid: Grid,
    /// The sorted rows' norms.
    norms: Vec<f64>,
    width: usize,
}

/// A block's rows sorted by cell: their order, cells and values.
struct SortedBlock {
    order: Vec<usize>,
    cells: Vec<Cell>,
    features: Array2<f64>,
    norm: f64,
}

/// What the device's join of this rank's own rows leaves for the host: pairs of rows in one
/// component (each row with its set's root, and the band pairs found within eps), the core
/// rows whose records overflowed (to search again on the CPU), and for each row that is not
/// core, core rows within eps that represent every component it touches (`None`: its record
/// overflowed, to search again on the CPU).
pub(super) struct OwnJoin {
    pub unions: Vec<(usize, usize)>,
    pub again: Vec<usize>,
    pub border: Vec<Option<Vec<usize>>>,
}

impl<'q> DevicePairs<'q> {
    /// The device side for `rows` (`width` values each; in f32 with `single`) and `eps`, or
    /// `None` where the device cannot take the measure (minkowski with p other than 1 and 2).
    pub(crate) fn new(
        queue: &'q Queue,
        (rows, width): (&[f64], usize),
        (measure, eps): (Measure, f64),
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
        // Each column's spread, in one pass over the rows.
        let mut low = vec![f64::INFINITY; width];
        let mut high = vec![f64::NEG_INFINITY; width];
        for row in rows.chunks_exact(width) {
            for (j, &v) in row.iter().enumerate() {
                low[j] = low[j].min(v);
                high[j] = high[j].max(v);
            }
        }
        let spread: Vec<f64> = high.iter().zip(&low).map(|(h, l)| h - l).collect();
        // Cells a little wider than eps: wider than every row's upper bound unless the
        // device's rounding is a large part of eps (then no row is pruned).
        let side = eps * 1.25;
        let mut dims: Vec<usize> = (0..width)
            .filter(|&j| side > 0.0 && spread[j] >= MIN_CELLS * side)
            .collect();
        dims.sort_by(|&a, &b| spread[b].total_cmp(&spread[a]).then(a.cmp(&b)));
        dims.truncate(2);
        let grid = Grid { dims, side };
        let (order, cells) = grid.sort(n, |i| &rows[i * width..(i + 1) * width]);
        let sorted = Array2::from_shape_fn((n, width), |(s, j)| rows[order[s] * width + j]);
        let device = if single {
            DeviceRows::upload(queue, sorted.mapv(|v| v as f32).view())?
        } else {
            DeviceRows::upload(queue, sorted.view())?
        };
        let norms = sorted
            .rows()
            .into_iter()
            .map(|r| norm(measure, r.as_slice().unwrap_or_default()))
            .collect();
        Ok(Some(Self {
            queue,
            rows: device,
            measure,
            order,
            cells,
            grid,
            norms,
            width,
        }))
    }

    /// The block's rows `(values, stride)` sorted by cell.
    fn sort_block(&self, (values, stride): (&[f64], usize)) -> SortedBlock {
        let m = values.len() / stride.max(1);
        let width = self.width;
        let (order, cells) = self
            .grid
            .sort(m, |j| &values[j * stride..j * stride + width]);
        let features =
            Array2::from_shape_fn((m, self.width), |(s, k)| values[order[s] * stride + k]);
        let norm = features
            .rows()
            .into_iter()
            .map(|r| norm(self.measure, r.as_slice().unwrap_or_default()))
            .fold(0.0, f64::max);
        SortedBlock {
            order,
            cells,
            features,
            norm,
        }
    }

    /// This rank's own rows `rows` as a block, in the order and cells the device holds them.
    fn own_block(&self, rows: &[f64]) -> SortedBlock {
        let width = self.width;
        let features = Array2::from_shape_fn((self.order.len(), width), |(s, k)| {
            rows[self.order[s] * width + k]
        });
        SortedBlock {
            order: self.order.clone(),
            cells: self.cells.clone(),
            features,
            norm: self.norms.iter().copied().fold(0.0, f64::max),
        }
    }

    /// Each sorted row's bounds on the device's keys against a block whose largest norm is
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

    /// Each sorted row's [`WINDOWS`] windows of the sorted block: the runs of rows in the
    /// cells next to its own (or the whole block, where an upper bound exceeds a cell).
    fn windows(&self, limits: &[(f64, f64)], block: &SortedBlock) -> Vec<(u32, u32)> {
        let squares = self.measure == CandidateMeasure::Squares;
        let reach = limits
            .iter()
            .map(|&(_, hi)| if squares { hi.max(0.0).sqrt() } else { hi })
            .fold(0.0, f64::max);
        let m = block.cells.len() as u32;
        // Widened for the rounding of the cells' divisions.
        if reach * (1.0 + 1e-9) > self.grid.side || self.grid.dims.is_empty() {
            let mut all = vec![(0, 0); self.cells.len() * WINDOWS];
            all.iter_mut().step_by(WINDOWS).for_each(|w| *w = (0, m));
            return all;
        }
        let run = |from: Cell, to: Cell| {
            let start = block.cells.partition_point(|&c| c < from);
            let end = block.cells.partition_point(|&c| c <= to);
            (start as u32, end.max(start) as u32)
        };
        self.cells
            .iter()
            .flat_map(|&(x, y)| (-1..=1).map(move |dx| run((x + dx, y - 1), (x + dx, y + 1))))
            .collect()
    }

    fn records(
        &self,
        finder: &Finder,
        block: &SortedBlock,
        extra: &[u32],
        (mode, parents): (PairMode, Option<&mut [u32]>),
    ) -> Result<PairRecords> {
        let limits = self.limits(finder.eps(), block.norm);
        let windows = self.windows(&limits, block);
        Ok(pair_records(
            self.queue,
            &self.rows,
            PairInputs {
                block: block.features.view(),
                limits: &limits,
                windows: &windows,
                extra,
            },
            (self.measure, mode),
            (BAND_CAP, COMP_CAP),
            parents,
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
        let _pairs = self.queue.phase("pairs");
        let block = self.sort_block((values, stride));
        let extra = vec![1; block.order.len()];
        let records = self.records(finder, &block, &extra, (PairMode::Count, None))?;
        let mut counts = vec![0.0; self.order.len()];
        let mut again = Vec::new();
        for (s, &i) in self.order.iter().enumerate() {
            let row = &rows[i * self.width..(i + 1) * self.width];
            let mut total = 0.0;
            let mut overflowed = false;
            for c in 0..records.chunks.len() {
                let record = records.record(s, c);
                overflowed |= record.band_overflow;
                total += f64::from(record.sum);
                total += record
                    .band
                    .iter()
                    .map(|&j| block.order[j as usize])
                    .filter(|&j| finder.within_eps(row, &values[j * stride..]))
                    .count() as f64;
            }
            if overflowed {
                again.push(i);
            } else {
                counts[i] = total;
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
        let _pairs = self.queue.phase("pairs");
        let block = self.sort_block((values, stride));
        // Components as small integers (1-based; 0: not core) for the device.
        let mut ids: Vec<u64> = component.iter().flatten().copied().collect();
        ids.sort_unstable();
        ids.dedup();
        let extra: Vec<u32> = block
            .order
            .iter()
            .map(|&j| component[j].map_or(0, |c| ids.binary_search(&c).map_or(0, |k| k as u32 + 1)))
            .collect();
        let records = self.records(finder, &block, &extra, (PairMode::Components, None))?;
        let mut found = vec![HashSet::new(); self.order.len()];
        let mut again = Vec::new();
        for (s, &i) in self.order.iter().enumerate() {
            let row = &rows[i * self.width..(i + 1) * self.width];
            let near = &mut found[i];
            let mut overflowed = false;
            for c in 0..records.chunks.len() {
                let record = records.record(s, c);
                overflowed |= record.band_overflow || record.comp_overflow;
                near.extend(record.comps.iter().map(|&k| ids[k as usize - 1]));
                for &j in record.band {
                    let j = block.order[j as usize];
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

    /// This rank's core rows (`core`, its rows `rows` being those the device holds) joined on
    /// the device: the pairs that put rows in one component, and the core rows to search
    /// again on the CPU.
    pub(super) fn join_own(&self, finder: &Finder, rows: &[f64], core: &[bool]) -> Result<OwnJoin> {
        let _join = self.queue.phase("join");
        // The union mode needs the block in the queries' own order.
        let block = self.own_block(rows);
        let extra: Vec<u32> = block.order.iter().map(|&i| u32::from(core[i])).collect();
        let mut parents: Vec<u32> = (0..block.order.len() as u32).collect();
        let records = self.records(
            finder,
            &block,
            &extra,
            (PairMode::Union, Some(&mut parents)),
        )?;
        let n = self.order.len();
        let mut unions = Vec::new();
        let mut again = Vec::new();
        let mut border = vec![Some(Vec::new()); n];
        for (s, &i) in self.order.iter().enumerate() {
            let root = root_of(&parents, s);
            if root != s {
                unions.push((i, self.order[root]));
            }
            let row = &rows[i * self.width..(i + 1) * self.width];
            let mut overflowed = false;
            let mut near = Vec::new();
            for c in 0..records.chunks.len() {
                let record = records.record(s, c);
                overflowed |= record.band_overflow || record.comp_overflow;
                near.extend(record.comps.iter().map(|&j| block.order[j as usize]));
                for &j in record.band {
                    let j = block.order[j as usize];
                    if finder.within_eps(row, &rows[j * self.width..]) {
                        near.push(j);
                    }
                }
            }
            match (core[i], overflowed) {
                (true, true) => again.push(i),
                (true, false) => unions.extend(near.into_iter().map(|j| (i, j))),
                (false, true) => border[i] = None,
                (false, false) => border[i] = Some(near),
            }
        }
        Ok(OwnJoin {
            unions,
            again,
            border,
        })
    }
}

/// The root of `s` in the device's union-find (parents never exceed their children).
fn root_of(parents: &[u32], mut s: usize) -> usize {
    while parents[s] as usize != s {
        s = parents[s] as usize;
    }
    s
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
