//! The candidate lists of the neighbour kernel ([`crate::kernels::neighbors`]): types shared
//! by builds with and without the `gpu` feature.

/// The longest list per (query, chunk) (`MAX_KEEP` in the shader).
pub const MAX_KEEP: usize = 128;
/// What the kernel sums or takes the largest of, per pair of rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CandidateMeasure {
    /// $\sum_j (a_j - b_j)^2$.
    Squares = 0,
    /// $\sum_j |a_j - b_j|$.
    Absolute = 1,
    /// $\max_j |a_j - b_j|$.
    Largest = 2,
    /// $1 - a \cdot b$ (rows normalised by the caller).
    Cosine = 3,
}

/// Per query row, one list per chunk of the training block: up to `keep` (key, block row)
/// pairs, smallest key first, ties to the lower row.
#[derive(Debug, Clone)]
pub struct Candidates {
    /// The longest list.
    pub keep: usize,
    /// The training rows `[start, end)` of each chunk; every query has one list per chunk.
    pub chunks: Vec<(usize, usize)>,
    pub(crate) keys: Vec<f64>,
    pub(crate) rows: Vec<u32>,
    pub(crate) counts: Vec<u32>,
    /// The unit roundoff of the precision the keys were computed in.
    pub unit_roundoff: f64,
}

impl Candidates {
    /// The keys and block rows of query `query`'s list for chunk `chunk`, nearest first.
    pub fn list(&self, query: usize, chunk: usize) -> (&[f64], &[u32]) {
        let at = query * self.chunks.len() + chunk;
        let count = self.counts.get(at).copied().unwrap_or(0) as usize;
        let start = at * self.keep;
        let end = start + count.min(self.keep);
        (
            self.keys.get(start..end).unwrap_or_default(),
            self.rows.get(start..end).unwrap_or_default(),
        )
    }
}
