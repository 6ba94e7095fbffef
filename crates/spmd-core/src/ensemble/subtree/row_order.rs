//! How a subtree keeps its rows while it grows: in one list, or presorted by every feature.

use super::super::bins::Code;
use super::super::split::{Search, Task};
use super::feature_bins::{partition, FeatureBins};
use super::node::Data;

/// How a subtree keeps its rows while it grows: each node's rows are positions `start..end`.
pub(super) trait RowOrder<C: Code> {
    /// Number of rows.
    fn len(&self) -> usize;

    /// The non-empty bins of feature `f` (of `bins` bins) over the rows at `start..end`, and
    /// their statistics, into `out`.
    fn feature_bins(
        &mut self,
        task: Task,
        data: &Data<'_, C>,
        feature: (usize, usize),
        range: (usize, usize),
        terms: &[i64],
        out: &mut FeatureBins,
    );

    /// Tries the thresholds of feature `f` over the rows at `start..end` in `search`.
    fn search(
        &mut self,
        data: &Data<'_, C>,
        feature: (usize, usize),
        range: (usize, usize),
        terms: &[i64],
        (search, bins): (&mut Search<'_>, &mut FeatureBins),
    ) {
        self.feature_bins(search.task(), data, feature, range, terms, bins);
        search.feature(feature.0, &bins.bins, &bins.stats);
    }

    /// Tries the thresholds of each of `features` (ascending; `bins` holds every feature's
    /// bin count) over the rows at `start..end` in `search`.
    fn search_features(
        &mut self,
        data: &Data<'_, C>,
        features: (&[usize], &[usize]),
        range: (usize, usize),
        terms: &[i64],
        buffers: (&mut Search<'_>, &mut FeatureBins),
    ) {
        search_each(self, data, features, range, terms, buffers);
    }

    /// Moves the rows at `start..end` whose code of `feature` is at most `bin` first; returns
    /// how many there are.
    fn split(&mut self, data: &Data<'_, C>, split: (usize, usize), range: (usize, usize)) -> usize;
}

/// [`RowOrder::search_features`] one feature after another.
pub(super) fn search_each<C: Code>(
    order: &mut (impl RowOrder<C> + ?Sized),
    data: &Data<'_, C>,
    (features, bins): (&[usize], &[usize]),
    (start, end): (usize, usize),
    terms: &[i64],
    (search, feature_bins): (&mut Search<'_>, &mut FeatureBins),
) {
    for &f in features {
        order.search(
            data,
            (f, bins[f]),
            (start, end),
            terms,
            (search, feature_bins),
        );
        // Two rows split only one way: the first feature that splits them wins (ties go to
        // the lower feature).
        if end - start == 2 && search.found() {
            break;
        }
    }
}

/// The rows in one list: each feature's bins are found by a histogram or a sort.
pub(super) struct Unsorted {
    pub(super) rows: Vec<u32>,
}

impl<C: Code> RowOrder<C> for Unsorted {
    fn len(&self) -> usize {
        self.rows.len()
    }

    fn feature_bins(
        &mut self,
        task: Task,
        data: &Data<'_, C>,
        (f, bins): (usize, usize),
        (start, end): (usize, usize),
        terms: &[i64],
        out: &mut FeatureBins,
    ) {
        let column = (data.binned.column(f), bins);
        out.feature_bins(task, column, &self.rows[start..end], (terms, data.classes));
    }

    fn split(
        &mut self,
        data: &Data<'_, C>,
        (f, bin): (usize, usize),
        (start, end): (usize, usize),
    ) -> usize {
        let column = data.binned.column(f);
        partition(&mut self.rows[start..end], |r| {
            column[r as usize].index() <= bin
        })
    }
}

/// Every feature's rows kept sorted by code (each entry `code << 16 | row`), so that a node's
/// bins are one pass over its rows; a split partitions every feature's list stably.
pub(super) struct Presorted {
    rows: usize,
    entries: Vec<u32>,
    goes_left: Vec<bool>,
    right: Vec<u32>,
}

impl Presorted {
    pub(super) fn new<C: Code>(data: &Data<'_, C>, bins: &[usize], rows: usize) -> Self {
        assert!(rows < 1 << 16, "a subtree grows from fewer than 65536 rows");
        // Every entry is written below; the buffer is this thread's from the last subtree.
        let mut entries = SPARE_ENTRIES.with(|spare| std::mem::take(&mut *spare.borrow_mut()));
        entries.clear();
        entries.resize(bins.len() * rows, 0);
        let mut counts = Vec::new();
        for (f, list) in entries
            .chunks_exact_mut(rows.max(1))
            .enumerate()
            .take(bins.len())
        {
            let column = data.binned.column(f);
            counts.clear();
            counts.resize(bins[f] + 1, 0_usize);
            for c in column {
                counts[c.index() + 1] += 1;
            }
            for b in 1..counts.len() {
                counts[b] += counts[b - 1];
            }
            for (row, c) in column.iter().enumerate() {
                let at = &mut counts[c.index()];
                list[*at] = (c.index() as u32) << 16 | row as u32;
                *at += 1;
            }
        }
        Self {
            rows,
            entries,
            goes_left: vec![false; rows],
            right: Vec::with_capacity(rows),
        }
    }
}

thread_local! {
    /// The entries of this thread's last [`Presorted`], kept for the next: subtrees follow one
    /// another by the thousand, and a fresh buffer each time costs its page faults.
    static SPARE_ENTRIES: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Drop for Presorted {
    fn drop(&mut self) {
        let entries = std::mem::take(&mut self.entries);
        SPARE_ENTRIES.with(|spare| *spare.borrow_mut() = entries);
    }
}

/// Rows from which a regressor's node sweeps its features eight at a time (where the CPU can).
#[cfg(target_arch = "x86_64")]
pub(super) const LANE_SWEEP_ROWS: usize = 2;

#[cfg(target_arch = "x86_64")]
impl Presorted {
    /// A regressor's search of `features` over the rows at `start..end`, eight features at a
    /// time (see [`sweep_x86`](super::sweep_x86)): the same split as
    /// [`Search::regression_runs`] feature after feature. The left square sum, which the sweep
    /// leaves out, is summed once, for the winner.
    pub(super) fn search_in_lanes(
        &self,
        features: &[usize],
        (start, end): (usize, usize),
        terms: &[i64],
        search: &mut Search<'_>,
    ) {
        use crate::ensemble::sweep_x86::{sweep, Node, LANES};
        let len = end - start;
        let node = Node {
            total: search.regression_total(),
            min_samples_leaf: search.min_samples_leaf(),
        };
        // Feature, position of the last left entry, proxy, left weight and target sums.
        let mut winner: Option<(usize, usize, f64, i64, i64)> = None;
        for block in features.chunks(LANES) {
            // A short block repeats its last feature in the spare lanes.
            let starts: [usize; LANES] =
                std::array::from_fn(|k| block[k.min(block.len() - 1)] * self.rows + start);
            let lanes = sweep(&self.entries, starts, len, terms, node);
            for (k, &f) in block.iter().enumerate() {
                let list = &self.entries[starts[k]..starts[k] + len];
                if list[0] >> 16 == list[len - 1] >> 16 {
                    continue;
                }
                search.mark_varied();
                if lanes.num[k] < 0.0 {
                    continue;
                }
                let proxy = lanes.num[k] / lanes.den[k];
                if winner.is_none_or(|w| proxy > w.2) {
                    let position = lanes.position[k] as usize;
                    winner = Some((f, position, proxy, lanes.weight[k], lanes.target[k]));
                }
            }
        }
        let Some((f, position, proxy, weight, target)) = winner else {
            return;
        };
        let list = &self.entries[f * self.rows + start..f * self.rows + end];
        let square = list[..=position]
            .iter()
            .map(|&e| terms[3 * (e & 0xFFFF) as usize + 2])
            .sum();
        let bin = ((list[position] >> 16) + (list[position + 1] >> 16) - 1) as usize / 2;
        let left = [position as i64 + 1, weight, target, square];
        search.offer_regression(f, bin, proxy, left);
    }
}

impl<C: Code> RowOrder<C> for Presorted {
    fn len(&self) -> usize {
        self.rows
    }

    fn feature_bins(
        &mut self,
        task: Task,
        data: &Data<'_, C>,
        (f, _): (usize, usize),
        (start, end): (usize, usize),
        terms: &[i64],
        out: &mut FeatureBins,
    ) {
        let list = &self.entries[f * self.rows + start..f * self.rows + end];
        out.runs(
            task,
            list.iter().map(|&e| (e >> 16, e & 0xFFFF)),
            terms,
            data.classes,
        );
    }

    fn search(
        &mut self,
        data: &Data<'_, C>,
        feature: (usize, usize),
        (start, end): (usize, usize),
        terms: &[i64],
        (search, bins): (&mut Search<'_>, &mut FeatureBins),
    ) {
        if search.fused_regression() {
            let f = feature.0;
            let list = &self.entries[f * self.rows + start..f * self.rows + end];
            search.regression_runs(f, list.iter().map(|&e| (e >> 16, e & 0xFFFF)), terms);
        } else {
            self.feature_bins(search.task(), data, feature, (start, end), terms, bins);
            search.feature(feature.0, &bins.bins, &bins.stats);
        }
    }

    fn search_features(
        &mut self,
        data: &Data<'_, C>,
        features: (&[usize], &[usize]),
        (start, end): (usize, usize),
        terms: &[i64],
        (search, feature_bins): (&mut Search<'_>, &mut FeatureBins),
    ) {
        #[cfg(target_arch = "x86_64")]
        if search.fused_regression()
            && end - start >= LANE_SWEEP_ROWS
            && crate::ensemble::sweep_x86::available()
        {
            self.search_in_lanes(features.0, (start, end), terms, search);
            return;
        }
        search_each(
            self,
            data,
            features,
            (start, end),
            terms,
            (search, feature_bins),
        );
    }

    fn split(
        &mut self,
        _: &Data<'_, C>,
        (f, bin): (usize, usize),
        (start, end): (usize, usize),
    ) -> usize {
        let n = self.rows;
        let mut left = 0;
        for &entry in &self.entries[f * n + start..f * n + end] {
            let goes = (entry >> 16) as usize <= bin;
            self.goes_left[(entry & 0xFFFF) as usize] = goes;
            left += usize::from(goes);
        }
        for list in self.entries.chunks_exact_mut(n) {
            let segment = &mut list[start..end];
            self.right.resize(segment.len(), 0);
            let (mut at_left, mut at_right) = (0, 0);
            for i in 0..segment.len() {
                // Both writes, one kept: no branch to mispredict.
                let entry = segment[i];
                let goes = self.goes_left[(entry & 0xFFFF) as usize];
                segment[at_left] = entry;
                self.right[at_right] = entry;
                at_left += usize::from(goes);
                at_right += usize::from(!goes);
            }
            segment[at_left..].copy_from_slice(&self.right[..at_right]);
        }
        left
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;
    use crate::ensemble::bins::Binned;
    use crate::ensemble::split::Rules;
    use crate::ensemble::split::{Outcome, Scale, Search, SearchBuffers};

    /// Made-up rows: codes of `features` features (1 to 255 distinct codes each, some
    /// features constant), and the regressor's terms, weights 0 to 2.
    pub(super) fn rows(
        rows: usize,
        features: usize,
        seed: u64,
    ) -> (Binned<u8>, Vec<i64>, Vec<i64>) {
        let mut state = seed;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            state >> 33
        };
        let codes_of = |f: usize| [1, 2, 7, 1, 40, 255, 3][f % 7];
        let mut codes = Vec::new();
        for f in 0..features {
            codes.extend((0..rows).map(|_| (next() % codes_of(f)) as u8));
        }
        let mut terms = Vec::new();
        let mut total = vec![rows as i64, 0, 0, 0];
        for _ in 0..rows {
            let (weight, target) = ((next() % 3) as i64, next() as i64 % 1000 - 300);
            let t = [weight, weight * target, weight * target * target];
            for k in 0..3 {
                total[1 + k] += t[k];
            }
            terms.extend(t);
        }
        (Binned::from_columns(codes, rows), terms, total)
    }

    /// Grows a tree from `order`, checking at every node that the eight-lane search finds the
    /// split (and left statistics) of the feature-by-feature one.
    pub(super) fn grow_checking(
        order: &mut Presorted,
        data: &Data<'_, u8>,
        (features, bins): (&[usize], &[usize]),
        (rules, terms): (&Rules, &[i64]),
        (start, end): (usize, usize),
        total: Vec<i64>,
    ) -> usize {
        let scale = Scale {
            unscale: vec![1.0; 4],
        };
        let (mut each, mut lanes) = (SearchBuffers::default(), SearchBuffers::default());
        let mut search = Search::new(Task::Regression, (rules, &scale), &total, &mut each);
        let mut scratch = FeatureBins::default();
        search_each(
            order,
            data,
            (features, bins),
            (start, end),
            terms,
            (&mut search, &mut scratch),
        );
        let want = search.finish();
        let mut search = Search::new(Task::Regression, (rules, &scale), &total, &mut lanes);
        order.search_in_lanes(features, (start, end), terms, &mut search);
        let got = search.finish();
        assert_eq!(
            format!("{got:?}"),
            format!("{want:?}"),
            "rows {start}..{end}"
        );
        let Outcome::Split(split) = want else {
            return 1;
        };
        let left = RowOrder::<u8>::split(order, data, (split.feature, split.bin), (start, end));
        let right: Vec<i64> = total.iter().zip(&split.left).map(|(t, l)| t - l).collect();
        let middle = start + left;
        let searched = (features, bins);
        1 + grow_checking(
            order,
            data,
            searched,
            (rules, terms),
            (start, middle),
            split.left,
        ) + grow_checking(order, data, searched, (rules, terms), (middle, end), right)
    }

    #[test]
    pub(super) fn eight_lane_sweep_finds_the_feature_by_feature_splits() {
        if !crate::ensemble::sweep_x86::available() {
            return;
        }
        for (n, d, msl, subset) in [(600, 13, 1, false), (300, 16, 4, false), (500, 21, 1, true)] {
            for seed in 0..4 {
                let (binned, terms, total) = rows(n, d, seed);
                let bins = vec![256; d];
                let features: Vec<usize> = if subset {
                    (0..d).filter(|f| f % 3 != 1).collect()
                } else {
                    (0..d).collect()
                };
                let data = Data {
                    binned: &binned,
                    classes: &[],
                };
                let rules = Rules {
                    max_depth: usize::MAX,
                    min_samples_split: 2,
                    min_samples_leaf: msl,
                    min_weight_leaf: 0.0,
                    min_impurity_decrease: 0.0,
                    total_weight: total[1] as f64,
                };
                let mut order = Presorted::new(&data, &bins, n);
                let nodes = grow_checking(
                    &mut order,
                    &data,
                    (&features, &bins),
                    (&rules, &terms),
                    (0, n),
                    total,
                );
                assert!(nodes > n / 4, "{nodes} nodes searched");
            }
        }
    }
}
