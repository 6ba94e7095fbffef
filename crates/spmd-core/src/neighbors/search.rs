//! The k nearest training rows of each query row over all ranks: the training rows travel
//! around the ring of ranks in blocks while each rank keeps a running top-k per query.

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use spmd_comm::Comm;

use super::metric::Measure;
pub(crate) use crate::ring::Block;
use crate::Result;

/// One query's nearest rows so far: (ranking key, global index, carried values), nearest first,
/// ties broken by the lower global index, so the result does not depend on the order the
/// blocks arrive in.
#[derive(Debug, Clone, Default)]
pub(crate) struct TopK {
    pub found: Vec<(f64, u64)>,
    pub carried: Vec<Vec<f64>>,
}

impl TopK {
    /// The k-th smallest key so far; infinite until there are `k`.
    pub(crate) fn worst(&self, k: usize) -> f64 {
        if self.found.len() < k {
            f64::INFINITY
        } else {
            self.found.last().map_or(f64::INFINITY, |&(key, _)| key)
        }
    }

    pub(crate) fn offer(&mut self, k: usize, key: f64, index: u64, carried: &[f64]) {
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
    /// The precision the squared-distance sweep prunes in (f32 for rows fitted in f32); the
    /// keys of the pairs that pass are exact f64 either way. The GPU computes its candidate
    /// keys in it too (f64 only where the adapter has it).
    pub prune_in: Precision,
}

/// Where a device offers each block's rows to the queries' top-k (the GPU's candidate lists,
/// [`super::gpu`]) instead of the CPU's sweep.
pub(crate) trait BlockMerger {
    /// Offers `block`'s rows to every query's top-k.
    fn merge(
        &mut self,
        search: &Search<'_>,
        queries: ArrayView2<'_, f64>,
        block: &Block,
        tops: &mut [TopK],
    ) -> Result<()>;
}

/// The precision of the squared-distance sweep's pruning product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Precision {
    F32,
    F64,
}

impl Search<'_> {
    /// The top-k of every row of `queries` (prepared for the measure) against every rank's
    /// `local` block. Collective: each rank passes its block on `size - 1` times.
    /// With a `device`, it finds each block's candidates; a device that failed to start, or
    /// fails on any rank, is an error on every rank, after the ring.
    pub(crate) fn run(
        &self,
        queries: ArrayView2<'_, f64>,
        local: Block,
        mut device: Result<Option<&mut dyn BlockMerger>>,
    ) -> Result<Vec<TopK>> {
        let mut tops = vec![TopK::default(); queries.nrows()];
        let mut failed = None;
        let mut passed_over = 0;
        self.ring(local, |block| {
            if self.cannot_improve(queries, block, &tops) {
                passed_over += 1;
                return;
            }
            let outcome = match &mut device {
                Ok(Some(gpu)) => Some(gpu.merge(self, queries, block, &mut tops)),
                _ => None,
            };
            match outcome {
                Some(Ok(())) => return,
                // The rest of the ring on the CPU, so every rank completes it.
                Some(Err(e)) => {
                    failed.get_or_insert(e);
                    device = Ok(None);
                }
                None => {}
            }
            self.merge(queries, block, &mut tops);
        })?;
        let local = match (device, failed) {
            (Err(e), _) | (_, Some(e)) => Err(e),
            _ => Ok(()),
        };
        crate::distributed::agree(self.comm, local)?;
        if passed_over > 0 {
            tracing::debug!(passed_over, "blocks no query could gain from, not searched");
        }
        Ok(tops)
    }

    /// Whether no row of `block` can enter any query's top-k: the block's bounding box (its
    /// header) is farther from every query than the query's k-th key so far. A row at exactly
    /// that key could still enter (ties go to the lower index), so the bound must exceed it,
    /// with a margin for the rounding of powers.
    fn cannot_improve(&self, queries: ArrayView2<'_, f64>, block: &Block, tops: &[TopK]) -> bool {
        let bounds = block.header();
        if bounds.len() != 2 * self.width || self.width == 0 || queries.nrows() == 0 {
            return false;
        }
        let (low, high) = bounds.split_at(self.width);
        tops.par_iter()
            .zip(queries.axis_iter(ndarray::Axis(0)).into_par_iter())
            .all(|(top, query)| {
                let worst = top.worst(self.k);
                let query = query.to_vec();
                match self.measure.lower_bound(&query, low, high) {
                    Some(bound) => bound * (1.0 - 1e-12) > worst,
                    None => false,
                }
            })
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
                    for (r, row) in block.values().chunks_exact(stride.max(1)).enumerate() {
                        let index = block.first() + r as u64;
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

    fn ring(&self, local: Block, visit: impl FnMut(&Block)) -> Result<()> {
        crate::ring::ring_pass(self.comm, local, visit)
    }

    /// Offers rows `rows` of `block` to the top-k of query `q` (row `query`), one pair at a
    /// time, each key abandoned once it exceeds the k-th so far.
    pub(crate) fn offer_rows(
        &self,
        (q, query): (usize, &[f64]),
        block: &Block,
        rows: std::ops::Range<usize>,
        top: &mut TopK,
    ) {
        let stride = self.width + self.carry;
        let own = self.exclude_self.map(|first| first + q as u64);
        for r in rows {
            let index = block.first() + r as u64;
            if own == Some(index) {
                continue;
            }
            let row = &block.values()[r * stride..(r + 1) * stride];
            let (features, carried) = row.split_at(self.width);
            if let Some(key) = self.measure.key_within(query, features, top.worst(self.k)) {
                top.offer(self.k, key, index, carried);
            }
        }
    }

    /// Offers every row of `block` to every query's top-k.
    pub(super) fn merge(&self, queries: ArrayView2<'_, f64>, block: &Block, tops: &mut [TopK]) {
        let stride = self.width + self.carry;
        if stride == 0 {
            return;
        }
        if let Measure::Squares { .. } = self.measure {
            if queries.is_standard_layout() && self.width > 0 {
                return match self.prune_in {
                    Precision::F32 => self.merge_squares::<f32>(queries, block, tops),
                    Precision::F64 => self.merge_squares::<f64>(queries, block, tops),
                };
            }
        }
        // Tiles of queries against tiles of training rows small enough to stay in cache, so
        // each training row is read from memory once per query tile; a pair's key stops
        // adding once it exceeds the query's k-th key.
        let rows = block.values().len() / stride;
        tops.par_chunks_mut(PAIR_QUERY_TILE)
            .zip(
                queries
                    .axis_chunks_iter(ndarray::Axis(0), PAIR_QUERY_TILE)
                    .into_par_iter(),
            )
            .enumerate()
            .for_each(|(tile, (tops, q))| {
                let q: Vec<Vec<f64>> = q.rows().into_iter().map(|r| r.to_vec()).collect();
                for start in (0..rows).step_by(PAIR_TRAIN_TILE) {
                    let end = (start + PAIR_TRAIN_TILE).min(rows);
                    for (i, (top, query)) in tops.iter_mut().zip(&q).enumerate() {
                        let at = tile * PAIR_QUERY_TILE + i;
                        self.offer_rows((at, query), block, start..end, top);
                    }
                }
            });
    }
}

/// Query rows per tile of the per-pair sweep (the other metrics).
const PAIR_QUERY_TILE: usize = 64;
/// Training rows per tile of the per-pair sweep: 256 rows of 32 f64 features are 64 KiB.
const PAIR_TRAIN_TILE: usize = 256;
/// The most query rows per tile of the squared-distance sweep: each tile reads the whole
/// training block once, so the larger the tile, the less memory traffic per query. Tiles are
/// smaller where that gives every thread one (down to [`MIN_QUERY_TILE`]).
const QUERY_TILE: usize = 1024;
/// The fewest query rows per tile.
const MIN_QUERY_TILE: usize = 64;
/// Training rows per tile of the squared-distance sweep.
const TRAIN_TILE: usize = 1024;
/// Pairs the sweep's pruning test takes at once (a few SIMD vectors).
const GROUP: usize = 16;

/// Whether any of `values` is at most `threshold`: branch-free over a whole group, so it
/// compiles to a few vector compares.
#[inline]
fn any_at_most<T: PartialOrd + Copy>(values: &[T], threshold: T) -> bool {
    match <&[T; GROUP]>::try_from(values) {
        Ok(group) => group.iter().fold(false, |any, &b| any | (b <= threshold)),
        Err(_) => values.iter().any(|&b| b <= threshold),
    }
}

/// The element type of the pruning product: f64, or f32 at twice the speed (a looser bound).
trait PruneFloat: faer::traits::RealField + Copy + PartialOrd + Send + Sync {
    /// The machine epsilon.
    const EPSILON: f64;
    /// `value` rounded to nearest.
    fn near(value: f64) -> Self;
    /// The smallest value of this type at or above `value`.
    fn at_least(value: f64) -> Self;
}

impl PruneFloat for f64 {
    const EPSILON: f64 = f64::EPSILON;
    fn near(value: f64) -> Self {
        value
    }
    fn at_least(value: f64) -> Self {
        value
    }
}

impl PruneFloat for f32 {
    const EPSILON: f64 = f32::EPSILON as f64;
    fn near(value: f64) -> Self {
        value as f32
    }
    fn at_least(value: f64) -> Self {
        let rounded = value as f32;
        if f64::from(rounded) < value {
            rounded.next_up()
        } else {
            rounded
        }
    }
}

impl Search<'_> {
    /// [`Self::merge`] for squared differences, with a product to prune: a tile of queries
    /// times a tile of training rows (faer) gives $\lVert q \rVert^2 + \lVert t \rVert^2 - 2 q
    /// \cdot t$ for every pair; a pair whose value exceeds the query's k-th exact key by more
    /// than that formula's rounding bound cannot enter its top-k and is skipped, and the rest
    /// are offered with their exact key. The result is the exact top-k, as from the per-pair
    /// loop, at the product's speed.
    ///
    /// In f32 the inputs' rounding to f32 joins the product's in the bound, so the result is
    /// the same exact top-k from any rows.
    fn merge_squares<T: PruneFloat>(
        &self,
        queries: ArrayView2<'_, f64>,
        block: &Block,
        tops: &mut [TopK],
    ) {
        use faer::linalg::matmul::matmul;
        use faer::{Accum, Mat, MatRef, Par};
        let (width, stride) = (self.width, self.width + self.carry);
        let rows = block.values().len() / stride;
        if rows == 0 {
            return;
        }
        let norm = |r: &[f64]| r.iter().map(|v| v * v).sum::<f64>();
        // The expansion's rounding (and the inputs' rounding to T): within (width + 4) eps
        // (|q|^2 + |t|^2) twice over. A pair whose (1 - slack)(|q|^2 + |t|^2) - 2 q.t exceeds
        // the k-th exact key cannot enter.
        let shrink = 1.0 - 4.0 * (width as f64 + 4.0) * T::EPSILON;
        // Training rows with one more column, shrink |t|^2, and queries with -2 q and 1: the
        // product is then the bound less shrink |q|^2, compared with one load per pair.
        let aug = width + 1;
        let mut train = vec![T::near(0.0); rows * aug];
        train
            .par_chunks_mut(aug)
            .zip(block.values().par_chunks_exact(stride))
            .for_each(|(out, row)| {
                out.iter_mut()
                    .zip(&row[..width])
                    .for_each(|(o, &v)| *o = T::near(v));
                out[width] = T::near(shrink * norm(&row[..width]));
            });
        let query_tile = queries
            .nrows()
            .div_ceil(rayon::current_num_threads())
            .clamp(MIN_QUERY_TILE, QUERY_TILE);
        tops.par_chunks_mut(query_tile)
            .zip(
                queries
                    .axis_chunks_iter(ndarray::Axis(0), query_tile)
                    .into_par_iter(),
            )
            .enumerate()
            .for_each(|(tile, (tops, q))| {
                let Some(q) = q.as_slice() else {
                    return;
                };
                let n = tops.len();
                let mut scaled = vec![T::near(1.0); n * aug];
                for (out, query) in scaled.chunks_exact_mut(aug).zip(q.chunks_exact(width)) {
                    out[..width]
                        .iter_mut()
                        .zip(query)
                        .for_each(|(o, &v)| *o = T::near(-2.0 * v));
                }
                let query_terms: Vec<f64> =
                    q.chunks_exact(width).map(|r| shrink * norm(r)).collect();
                let scaled_t = MatRef::from_row_major_slice(&scaled, n, aug).transpose();
                // Column i holds query i's bounds against the tile's rows, contiguous.
                let mut bounds = Mat::<T>::zeros(TRAIN_TILE.min(rows), n);
                for start in (0..rows).step_by(TRAIN_TILE) {
                    let m = TRAIN_TILE.min(rows - start);
                    let rows_here = &train[start * aug..(start + m) * aug];
                    let train_tile = MatRef::from_row_major_slice(rows_here, m, aug);
                    let out = bounds.as_mut().subrows_mut(0, m);
                    matmul(
                        out,
                        Accum::Replace,
                        train_tile,
                        scaled_t,
                        T::near(1.0),
                        Par::Seq,
                    );
                    let values = &block.values()[start * stride..(start + m) * stride];
                    for (i, top) in tops.iter_mut().enumerate() {
                        let Some(column) = bounds.col(i).try_as_col_major() else {
                            continue;
                        };
                        let own = self
                            .exclude_self
                            .map(|first| first + (tile * query_tile + i) as u64);
                        let query = &q[i * width..(i + 1) * width];
                        let mut threshold = T::at_least(top.worst(self.k) - query_terms[i]);
                        // Groups of pairs tested branch-free (so the test vectorises); only a
                        // group with a candidate is looked at pair by pair.
                        for (g, group) in column.as_slice()[..m].chunks(GROUP).enumerate() {
                            if !any_at_most(group, threshold) {
                                continue;
                            }
                            for (j, &b) in (g * GROUP..).zip(group) {
                                if b > threshold {
                                    continue;
                                }
                                let index = block.first() + (start + j) as u64;
                                if own == Some(index) {
                                    continue;
                                }
                                let row = &values[j * stride..(j + 1) * stride];
                                let (features, carried) = row.split_at(width);
                                let key = self.measure.key(query, features);
                                top.offer(self.k, key, index, carried);
                                threshold = T::at_least(top.worst(self.k) - query_terms[i]);
                            }
                        }
                    }
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

    /// Uniform numbers in (0, 1) from the project's counter-based generator, one after another.
    fn uniform_numbers(seed: u64) -> impl FnMut() -> f64 {
        let mut counter = 0;
        move || {
            counter += 1;
            crate::random::uniform(seed, 0, counter)
        }
    }

    /// The pruned product sweep gives exactly the per-pair loop's neighbours, ties included
    /// (duplicated rows in different tiles), with and without each row's own, pruning in f64
    /// or in f32 (rows that are not f32 values, offset from the origin).
    #[test]
    fn the_product_sweep_finds_what_the_pair_loop_finds() {
        let (rows, width) = (2500, 5);
        let mut uniform = uniform_numbers(7);
        let mut x = Array2::from_shape_simple_fn((rows, width), || uniform() + 3.0);
        for r in (0..rows).step_by(7) {
            let copy = x.row((r * 13) % rows).to_owned();
            x.row_mut(r).assign(&copy);
        }
        let comm = Comm::single();
        let values: Vec<f64> = x.iter().copied().collect();
        let cases = [None, Some(0)]
            .into_iter()
            .flat_map(|e| [(e, Precision::F64), (e, Precision::F32)]);
        for (exclude_self, prune_in) in cases {
            let search = |measure| Search {
                comm: &comm,
                measure,
                width,
                carry: 0,
                k: 6,
                exclude_self,
                prune_in,
            };
            let block = || {
                let mut block = Block::starting_at(0, values.len());
                block.extend(values.iter().copied());
                block
            };
            let fast = search(Measure::Squares { root: false })
                .run(x.view(), block(), Ok(None))
                .unwrap();
            let pairs = search(Measure::Power(2.0))
                .run(x.view(), block(), Ok(None))
                .unwrap();
            // The same rows in the same order; keys to the last bit (powf against a product).
            for (f, p) in fast.iter().zip(&pairs) {
                let indices = |t: &TopK| t.found.iter().map(|&(_, i)| i).collect::<Vec<_>>();
                assert_eq!(indices(f), indices(p));
                for (&(a, _), &(b, _)) in f.found.iter().zip(&p.found) {
                    assert!((a - b).abs() <= 1e-15 * b.max(1.0), "{a} {b}");
                }
            }
        }
    }

    /// The box's bound is never above the key of a row inside it (to the last bit, for every
    /// measure that has one, rows on the box's faces included), and a block is passed over
    /// only where its bound exceeds every query's k-th key.
    #[test]
    fn a_block_is_passed_over_only_where_no_row_of_it_can_enter() {
        let mut next = uniform_numbers(3);
        let width = 5;
        let rows: Vec<Vec<f64>> = (0..400)
            .map(|_| (0..width).map(|_| 10.0 + 3.0 * next()).collect())
            .collect();
        let low: Vec<f64> = (0..width)
            .map(|j| rows.iter().map(|r| r[j]).fold(f64::INFINITY, f64::min))
            .collect();
        let high: Vec<f64> = (0..width)
            .map(|j| rows.iter().map(|r| r[j]).fold(f64::NEG_INFINITY, f64::max))
            .collect();
        let measures = [
            Measure::Squares { root: true },
            Measure::Manhattan,
            Measure::Chebyshev,
            Measure::Power(3.0),
        ];
        for _ in 0..200 {
            let query: Vec<f64> = (0..width).map(|_| 5.0 + 13.0 * next()).collect();
            for measure in measures {
                let bound = measure.lower_bound(&query, &low, &high).unwrap();
                for row in &rows {
                    assert!(bound <= measure.key(&query, row), "{measure:?}");
                }
            }
        }
        assert_eq!(Measure::Cosine.lower_bound(&[1.0], &[0.0], &[1.0]), None);

        let comm = Comm::single();
        let search = Search {
            comm: &comm,
            measure: Measure::Squares { root: false },
            width: 1,
            carry: 0,
            k: 1,
            exclude_self: None,
            prune_in: Precision::F64,
        };
        // One query at 0 whose nearest so far is at key 4 (distance 2).
        let queries = Array2::from_elem((1, 1), 0.0);
        let mut top = TopK::default();
        top.offer(1, 4.0, 9, &[]);
        let block = |low: f64, high: f64| {
            let mut block = Block::with_header(0, &[low, high], 2);
            block.extend([low, high]);
            block
        };
        let tops = [top];
        assert!(search.cannot_improve(queries.view(), &block(3.0, 5.0), &tops));
        // A row at distance 2 exactly could still enter (a lower index wins the tie).
        assert!(!search.cannot_improve(queries.view(), &block(2.0, 5.0), &tops));
        assert!(!search.cannot_improve(queries.view(), &block(-1.0, 1.0), &tops));
        // Until a query has k neighbours every block may add one.
        let empty = [TopK::default()];
        assert!(!search.cannot_improve(queries.view(), &block(3.0, 5.0), &empty));
        // No header: never passed over.
        let mut plain = Block::starting_at(0, 1);
        plain.extend([100.0]);
        assert!(!search.cannot_improve(queries.view(), &plain, &tops));
    }

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
