//! The k nearest training rows of each query row over all ranks: the training rows travel
//! around the ring of ranks in blocks while each rank keeps a running top-k per query.

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use spmd_comm::Comm;

use super::metric::Measure;
use crate::Result;

/// This rank's training rows as they travel: features (prepared for the measure), the values
/// that travel with them (targets), and the global index of the first row.
pub(crate) struct Block {
    /// Global index of row 0.
    pub first: u64,
    /// Rows x (features + carried values), row-major.
    pub values: Vec<f64>,
}

/// One query's nearest rows so far: (ranking key, global index, carried values), nearest first,
/// ties broken by the lower global index, so the result does not depend on the order the
/// blocks arrive in.
#[derive(Debug, Clone, Default)]
pub(crate) struct TopK {
    pub found: Vec<(f64, u64)>,
    pub carried: Vec<Vec<f64>>,
}

impl TopK {
    fn offer(&mut self, k: usize, key: f64, index: u64, carried: &[f64]) {
        let before = |&(k2, i2): &(f64, u64)| k2 < key || (k2 == key && i2 < index);
        let at = self.found.partition_point(before);
        if at >= k {
            return;
        }
        self.found.insert(at, (key, index));
        self.carried.insert(at, carried.to_vec());
        self.found.truncate(k);
        self.carried.truncate(k);
    }
}

/// What a search needs to know.
pub(crate) struct Search<'a> {
    pub comm: &'a Comm,
    pub measure: Measure,
    /// Features per row.
    pub width: usize,
    /// Values carried per training row (targets).
    pub carry: usize,
    /// Neighbours per query.
    pub k: usize,
    /// With `Some(first)`, query row `i` is training row `first + i` and is not its own
    /// neighbour (scikit-learn's `kneighbors(X=None)`).
    pub exclude_self: Option<u64>,
}

impl Search<'_> {
    /// The top-k of every row of `queries` (prepared for the measure) against every rank's
    /// `local` block. Collective: each rank passes its block on `size - 1` times.
    pub(crate) fn run(&self, queries: ArrayView2<'_, f64>, local: Block) -> Result<Vec<TopK>> {
        let mut tops = vec![TopK::default(); queries.nrows()];
        self.ring(local, |block| self.merge(queries, block, &mut tops))?;
        Ok(tops)
    }

    /// Every training row within `radius` of each row of `queries`: (distance, global index)
    /// pairs in the order of the index, or of the distance (then the index) with `by_distance`.
    /// Collective, as [`Self::run`].
    pub(crate) fn within(
        &self,
        queries: ArrayView2<'_, f64>,
        local: Block,
        radius: f64,
        by_distance: bool,
    ) -> Result<Vec<Vec<(f64, u64)>>> {
        let mut found = vec![Vec::new(); queries.nrows()];
        let stride = self.width + self.carry;
        self.ring(local, |block| {
            found
                .par_iter_mut()
                .zip(queries.axis_iter(ndarray::Axis(0)).into_par_iter())
                .enumerate()
                .for_each(|(q, (near, query))| {
                    let query = query.to_vec();
                    let own = self.exclude_self.map(|first| first + q as u64);
                    for (r, row) in block.values.chunks_exact(stride.max(1)).enumerate() {
                        let index = block.first + r as u64;
                        let distance = self
                            .measure
                            .distance(self.measure.key(&query, &row[..self.width]));
                        if own != Some(index) && distance <= radius {
                            near.push((distance, index));
                        }
                    }
                });
        })?;
        for near in &mut found {
            if by_distance {
                near.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            } else {
                near.sort_by_key(|&(_, index)| index);
            }
        }
        Ok(found)
    }

    /// Calls `visit` with `local`, then with each other rank's block as it comes around the
    /// ring (the previous rank's first).
    fn ring(&self, local: Block, mut visit: impl FnMut(&Block)) -> Result<()> {
        let mut block = local;
        let size = self.comm.size();
        for step in 0..size {
            visit(&block);
            if step + 1 < size {
                let mut message = Vec::with_capacity(block.values.len() + 1);
                message.push(block.first as f64);
                message.extend_from_slice(&block.values);
                let received = self.comm.ring_shift(&message)?;
                block = Block {
                    first: received.first().copied().unwrap_or(0.0) as u64,
                    values: received.get(1..).unwrap_or_default().to_vec(),
                };
            }
        }
        Ok(())
    }

    /// Offers every row of `block` to every query's top-k.
    fn merge(&self, queries: ArrayView2<'_, f64>, block: &Block, tops: &mut [TopK]) {
        let stride = self.width + self.carry;
        if stride == 0 {
            return;
        }
        tops.par_iter_mut()
            .zip(queries.axis_iter(ndarray::Axis(0)).into_par_iter())
            .enumerate()
            .for_each(|(q, (top, query))| {
                let query = query.to_vec();
                let own = self.exclude_self.map(|first| first + q as u64);
                for (r, row) in block.values.chunks_exact(stride).enumerate() {
                    let index = block.first + r as u64;
                    if own == Some(index) {
                        continue;
                    }
                    let (features, carried) = row.split_at(self.width);
                    top.offer(self.k, self.measure.key(&query, features), index, carried);
                }
            });
    }
}

/// The distances and global indices of `tops`, `n x k`.
pub(crate) fn distances_and_indices(
    measure: Measure,
    tops: &[TopK],
    k: usize,
) -> (Array2<f64>, Array2<u64>) {
    let mut distances = Array2::zeros((tops.len(), k));
    let mut indices = Array2::zeros((tops.len(), k));
    for (i, top) in tops.iter().enumerate() {
        for (j, &(key, index)) in top.found.iter().enumerate() {
            distances[[i, j]] = measure.distance(key);
            indices[[i, j]] = index;
        }
    }
    (distances, indices)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_go_to_the_lower_index_whatever_the_order_offered() {
        let mut a = TopK::default();
        let mut b = TopK::default();
        let offers = [(1.0, 7), (0.5, 9), (1.0, 3), (2.0, 1), (0.5, 2)];
        for &(key, index) in &offers {
            a.offer(3, key, index, &[]);
        }
        for &(key, index) in offers.iter().rev() {
            b.offer(3, key, index, &[]);
        }
        assert_eq!(a.found, vec![(0.5, 2), (0.5, 9), (1.0, 3)]);
        assert_eq!(a.found, b.found);
    }
}
