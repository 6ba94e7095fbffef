//! The records of DBSCAN's pair kernel ([`crate::kernels::dbscan`]): types shared by builds
//! with and without the `gpu` feature.

/// What the kernel gathers of the rows certainly within eps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairMode {
    /// The sum of their `extra` values (integer weights).
    Count = 0,
    /// Their distinct nonzero `extra` values (components of core rows).
    Components = 1,
    /// The rank's own rows against themselves (`extra`: 1 for core rows): core rows
    /// certainly within eps joined in a union-find on the device; for the other rows, their
    /// core rows within eps listed as values, one per set (representatives).
    Union = 2,
}

/// What the pair kernel compares: the block's rows, each query row's bounds on its keys and
/// its windows of block rows, and each block row's `extra` value (see
/// [`crate::kernels::dbscan::pair_records`]).
#[derive(Debug, Clone, Copy)]
pub struct PairInputs<'a> {
    /// The block's rows.
    pub block: ndarray::ArrayView2<'a, f64>,
    /// Per query row: at or below `.0` certainly within eps, above `.1` certainly not.
    pub limits: &'a [(f64, f64)],
    /// Per query row, `WINDOWS` runs `[start, end)` of block rows to compare it with.
    pub windows: &'a [(u32, u32)],
    /// Per block row: its weight, component or core flag (by mode).
    pub extra: &'a [u32],
}

/// One record per (row of this rank, chunk of the block): see [`PairRecords::record`].
#[derive(Debug, Clone)]
pub struct PairRecords {
    /// The block rows `[start, end)` of each chunk.
    pub chunks: Vec<(usize, usize)>,
    /// Rows between the bounds a record lists.
    pub band_cap: usize,
    /// Distinct values a record lists.
    pub comp_cap: usize,
    pub(crate) records: Vec<u32>,
}

/// One (row, chunk) record.
#[derive(Debug, Clone, Copy)]
pub struct PairRecord<'a> {
    /// The sum of `extra` over the rows certainly within eps (count mode).
    pub sum: u32,
    /// The rows between the bounds (the exact key decides), block rows; complete unless
    /// `band_overflow`.
    pub band: &'a [u32],
    /// Whether more rows lay between the bounds than the record lists.
    pub band_overflow: bool,
    /// The distinct nonzero `extra` values of the rows certainly within eps (components
    /// mode); complete unless `comp_overflow`.
    pub comps: &'a [u32],
    /// Whether there were more distinct values than the record lists.
    pub comp_overflow: bool,
}

impl PairRecords {
    /// The record of row `row` and chunk `chunk`.
    pub fn record(&self, row: usize, chunk: usize) -> PairRecord<'_> {
        let size = 3 + self.band_cap + self.comp_cap;
        let at = (row * self.chunks.len() + chunk) * size;
        let record = self.records.get(at..at + size).unwrap_or_default();
        let field = |k: usize| record.get(k).copied().unwrap_or(0) as usize;
        let (band, comps) = (field(1), field(2));
        let band_list = record
            .get(3..3 + band.min(self.band_cap))
            .unwrap_or_default();
        let comp_start = 3 + self.band_cap;
        let comp_list = record
            .get(comp_start..comp_start + comps.min(self.comp_cap))
            .unwrap_or_default();
        PairRecord {
            sum: field(0) as u32,
            band: band_list,
            band_overflow: band > self.band_cap,
            comps: comp_list,
            comp_overflow: comps > self.comp_cap,
        }
    }
}
