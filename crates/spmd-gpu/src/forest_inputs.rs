//! The plain inputs of the forest kernels, the same with and without the `gpu` feature.

/// One histogram to build: the node's rows `rows_start..rows_start + rows_len` of the rows
/// passed to `kernels::forest::histograms`, feature `feature` of `bins` bins, written from statistic `out` on,
/// with the terms of tree `tree` (its rows start at `tree * rows` in `ForestRows::set_terms`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistogramTask {
    /// First of the node's rows.
    pub rows_start: u32,
    /// Number of the node's rows.
    pub rows_len: u32,
    /// Feature.
    pub feature: u32,
    /// Bins of the feature.
    pub bins: u32,
    /// First statistic of the histogram in the output.
    pub out: u64,
    /// Tree (within the terms).
    pub tree: u32,
}

/// One tree's arrays, as `kernels::forest::DeviceTrees::upload` takes them.
#[derive(Debug, Clone, Copy)]
pub struct TreeArrays<'a> {
    /// Left child of each node (-1 for leaves).
    pub left: &'a [i32],
    /// Right child of each node.
    pub right: &'a [i32],
    /// Feature of each node.
    pub feature: &'a [i32],
    /// Threshold of each node: a row goes left when `x[feature] <= threshold`.
    pub threshold: &'a [f64],
}
