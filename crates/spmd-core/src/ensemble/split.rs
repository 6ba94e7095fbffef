//! Node statistics and the split search.
//!
//! A node's statistics are integers: its row count and, in fixed point, its weight per class
//! (classifier) or its weight, weighted target sum and weighted square sum (regressor). Integer
//! sums do not depend on the order the rows are added in, so the statistics, and every split
//! chosen from them, are the same however the rows are split over ranks, summed per rank and
//! then allreduced.

use super::params::ClassCriterion;

/// What the trees fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Task {
    /// Class weights of `classes` classes.
    Classes {
        /// Number of classes.
        classes: usize,
        /// The impurity.
        criterion: ClassCriterion,
    },
    /// The weighted moments of one target; the impurity is the variance.
    Regression,
}

impl Task {
    /// Integers per node (and per histogram bin): the row count, then the task's sums.
    pub fn width(self) -> usize {
        match self {
            Task::Classes { classes, .. } => 1 + classes,
            Task::Regression => 4,
        }
    }

    /// Fixed-point terms per row: its weight (classifier), or weight, weighted target and
    /// weighted square (regressor).
    pub fn row_width(self) -> usize {
        match self {
            Task::Classes { .. } => 1,
            Task::Regression => 3,
        }
    }

    /// Adds `row`'s terms to `stats`.
    #[inline]
    pub fn add_row(self, stats: &mut [i64], row: usize, terms: &[i64], classes: &[u32]) {
        stats[0] += 1;
        match self {
            Task::Classes { .. } => stats[1 + classes[row] as usize] += terms[row],
            Task::Regression => {
                let t = &terms[3 * row..3 * row + 3];
                stats[1] += t[0];
                stats[2] += t[1];
                stats[3] += t[2];
            }
        }
    }

    /// The node's weight, from its statistics in real units (see [`Scale::real`]).
    pub fn weight(self, real: &[f64]) -> f64 {
        match self {
            Task::Classes { .. } => real[1..].iter().sum(),
            Task::Regression => real[1],
        }
    }

    /// The node's impurity, from its statistics in real units.
    pub fn impurity(self, real: &[f64]) -> f64 {
        let w = self.weight(real);
        if w <= 0.0 {
            return 0.0;
        }
        match self {
            Task::Classes { criterion, .. } => match criterion {
                ClassCriterion::Gini => {
                    1.0 - real[1..].iter().map(|c| (c / w) * (c / w)).sum::<f64>()
                }
                ClassCriterion::Entropy | ClassCriterion::LogLoss => real[1..]
                    .iter()
                    .filter(|&&c| c > 0.0)
                    .map(|&c| -(c / w) * (c / w).log2())
                    .sum(),
            },
            Task::Regression => {
                let mean = real[2] / w;
                (real[3] / w - mean * mean).max(0.0)
            }
        }
    }

    /// A quantity that orders candidate splits as their impurity decrease does (scikit-learn's
    /// proxy): larger is better.
    fn proxy(self, left: &[f64], right: &[f64]) -> f64 {
        match self {
            Task::Classes {
                criterion: ClassCriterion::Gini,
                ..
            } => {
                let side = |s: &[f64]| {
                    let w = self.weight(s);
                    s[1..].iter().map(|c| c * c).sum::<f64>() / w
                };
                side(left) + side(right)
            }
            Task::Classes { .. } => {
                -self.weight(left) * self.impurity(left) - self.weight(right) * self.impurity(right)
            }
            Task::Regression => left[2] * left[2] / left[1] + right[2] * right[2] / right[1],
        }
    }
}

/// A tree's fixed-point scale: real value = integer x `unscale[k]` for statistic `k`.
#[derive(Debug, Clone)]
pub(crate) struct Scale {
    pub unscale: Vec<f64>,
}

impl Scale {
    /// `stats` in real units.
    pub fn real(&self, stats: &[i64]) -> Vec<f64> {
        let mut real = vec![0.0; stats.len()];
        self.real_into(stats, &mut real);
        real
    }

    /// `stats` in real units, into `real`.
    #[inline]
    pub fn real_into(&self, stats: &[i64], real: &mut [f64]) {
        for ((r, &s), &u) in real.iter_mut().zip(stats).zip(&self.unscale) {
            *r = s as f64 * u;
        }
    }
}

/// The stopping rules of one tree, resolved.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules {
    pub max_depth: usize,
    pub min_samples_split: u64,
    pub min_samples_leaf: u64,
    pub min_weight_leaf: f64,
    pub min_impurity_decrease: f64,
    /// The tree's total weight, which `min_impurity_decrease` is relative to.
    pub total_weight: f64,
}

/// scikit-learn's `EPSILON`: impurities at most this are pure.
const EPSILON: f64 = f64::EPSILON;

impl Rules {
    /// Whether a node at `depth` with statistics `stats` is a leaf before any split is tried.
    pub fn stops(&self, task: Task, depth: usize, stats: &[i64], real: &[f64]) -> bool {
        let n = stats[0] as u64;
        depth >= self.max_depth
            || n < self.min_samples_split
            || n < 2 * self.min_samples_leaf
            || task.weight(real) < 2.0 * self.min_weight_leaf
            || task.impurity(real) <= EPSILON
    }
}

/// The best split found so far of one node.
#[derive(Debug, Clone)]
pub(crate) struct Split {
    pub feature: usize,
    /// Rows whose code is at most this go left.
    pub bin: usize,
    /// The left child's statistics.
    pub left: Vec<i64>,
    /// The weighted impurity decrease.
    pub decrease: f64,
}

/// Buffers a search reuses from node to node.
#[derive(Debug, Default)]
pub(crate) struct SearchBuffers {
    left: Vec<i64>,
    right: Vec<i64>,
    real_left: Vec<f64>,
    real_right: Vec<f64>,
    best_left: Vec<i64>,
}

/// Searches one node's candidate splits, feature by feature in ascending order.
pub(crate) struct Search<'a> {
    task: Task,
    rules: &'a Rules,
    scale: &'a Scale,
    total: &'a [i64],
    buffers: &'a mut SearchBuffers,
    /// Feature, bin and proxy of the best split so far (its left statistics in
    /// `buffers.best_left`).
    best: Option<(usize, usize, f64)>,
    /// Whether any feature searched had rows in two bins or more.
    varied: bool,
}

impl<'a> Search<'a> {
    /// A search of the node with statistics `total`.
    pub fn new(
        task: Task,
        (rules, scale): (&'a Rules, &'a Scale),
        total: &'a [i64],
        buffers: &'a mut SearchBuffers,
    ) -> Self {
        let w = task.width();
        for v in [
            &mut buffers.left,
            &mut buffers.right,
            &mut buffers.best_left,
        ] {
            v.clear();
            v.resize(w, 0);
        }
        for v in [&mut buffers.real_left, &mut buffers.real_right] {
            v.clear();
            v.resize(w, 0.0);
        }
        Self {
            task,
            rules,
            scale,
            total,
            buffers,
            best: None,
            varied: false,
        }
    }

    /// Whether a split has been found.
    pub fn found(&self) -> bool {
        self.best.is_some()
    }

    /// What the node's statistics are of.
    pub fn task(&self) -> Task {
        self.task
    }

    /// Tries every threshold of `feature` given its non-empty bins in ascending order, each with
    /// its `width()` statistics (`stats` holds them one bin after another). Features must come
    /// in ascending order: ties go to the lower feature, then to the lower threshold.
    pub fn feature(&mut self, feature: usize, bins: &[u32], stats: &[i64]) {
        if bins.len() < 2 {
            return;
        }
        self.varied = true;
        let msl = self.rules.min_samples_leaf as i64;
        let unweighted = self.rules.min_weight_leaf <= 0.0;
        let found = match self.task {
            Task::Regression if unweighted => self.best_regression(stats, msl),
            Task::Classes {
                criterion: ClassCriterion::Gini,
                classes: 2,
            } if unweighted => self.best_gini_binary(stats, msl),
            Task::Classes {
                criterion: ClassCriterion::Gini,
                ..
            } if unweighted => self.best_gini(stats, msl),
            _ => self.best_any(stats, msl),
        };
        let Some((i, proxy)) = found else {
            return;
        };
        if self.best.is_none_or(|b| proxy > b.2) {
            let w = self.task.width();
            let bin = (bins[i] as usize + bins[i + 1] as usize - 1) / 2;
            self.best = Some((feature, bin, proxy));
            let best_left = &mut self.buffers.best_left;
            best_left.iter_mut().for_each(|v| *v = 0);
            for s in stats[..(i + 1) * w].chunks_exact(w) {
                best_left.iter_mut().zip(s).for_each(|(l, v)| *l += v);
            }
        }
    }

    /// The best threshold of a regressor's feature (boundary index and proxy), in the integer
    /// units of the statistics (a positive factor from the real proxy, the same for every
    /// feature of the node). The proxy $s_l^2 / w_l + s_r^2 / w_r$ is kept as a fraction and
    /// fractions are compared by cross-multiplying: no division per threshold.
    fn best_regression(&self, stats: &[i64], msl: i64) -> Option<(usize, f64)> {
        let (tn, tw, ts) = (self.total[0], self.total[1], self.total[2]);
        let (mut ln, mut lw, mut ls) = (0_i64, 0_i64, 0_i64);
        let mut best: Option<usize> = None;
        let (mut best_num, mut best_den) = (0.0_f64, 1.0_f64);
        for (i, s) in stats.chunks_exact(4).enumerate().take(stats.len() / 4 - 1) {
            ln += s[0];
            lw += s[1];
            ls += s[2];
            if ln < msl {
                continue;
            }
            if tn - ln < msl {
                break;
            }
            let (wl, wr) = (lw as f64, (tw - lw) as f64);
            let (sl, sr) = (ls as f64, (ts - ls) as f64);
            if wl <= 0.0 || wr <= 0.0 {
                continue;
            }
            let (num, den) = (sl * sl * wr + sr * sr * wl, wl * wr);
            if best.is_none() || num * best_den > best_num * den {
                best = Some(i);
                (best_num, best_den) = (num, den);
            }
        }
        best.map(|i| (i, best_num / best_den))
    }

    /// Whether [`regression_runs`](Self::regression_runs) may search this node.
    pub fn fused_regression(&self) -> bool {
        self.task == Task::Regression && self.rules.min_weight_leaf <= 0.0
    }

    /// [`feature`](Self::feature) for a regressor without a leaf-weight rule, straight from its
    /// `(bin, row)` pairs in ascending bin order and the rows' `terms`: each run of one bin is
    /// summed and each threshold tried as the runs pass, with the same arithmetic as
    /// [`best_regression`](Self::best_regression), so the same split is found.
    pub fn regression_runs(
        &mut self,
        feature: usize,
        pairs: impl Iterator<Item = (u32, u32)>,
        terms: &[i64],
    ) {
        let msl = self.rules.min_samples_leaf as i64;
        let (tn, tw, ts) = (self.total[0], self.total[1], self.total[2]);
        let mut prefix = [0_i64; 4];
        let mut run = [0_i64; 4];
        let mut current = u32::MAX;
        let mut runs = 0_usize;
        // The best threshold so far: its fraction (a negative numerator: none yet; every
        // candidate's is >= 0), the bins either side and the left statistics. Updated without a
        // branch: which candidate wins is not predictable.
        let (mut best_num, mut best_den) = (-1.0_f64, 1.0_f64);
        let (mut best_bins, mut best_left) = ((0_u32, 0_u32), [0_i64; 4]);
        let mut stop = false;
        for (bin, row) in pairs {
            if bin != current {
                if current != u32::MAX && !stop {
                    for (p, r) in prefix.iter_mut().zip(&run) {
                        *p += r;
                    }
                    let ln = prefix[0];
                    stop = tn - ln < msl;
                    let (wl, wr) = (prefix[1] as f64, (tw - prefix[1]) as f64);
                    let (sl, sr) = (prefix[2] as f64, (ts - prefix[2]) as f64);
                    let (num, den) = (sl * sl * wr + sr * sr * wl, wl * wr);
                    let valid = !stop && ln >= msl && wl > 0.0 && wr > 0.0;
                    let better = valid && num * best_den > best_num * den;
                    best_num = if better { num } else { best_num };
                    best_den = if better { den } else { best_den };
                    best_bins = if better { (current, bin) } else { best_bins };
                    best_left = if better { prefix } else { best_left };
                }
                current = bin;
                run = [0; 4];
                runs += 1;
            }
            let t = &terms[3 * row as usize..3 * row as usize + 3];
            run[0] += 1;
            run[1] += t[0];
            run[2] += t[1];
            run[3] += t[2];
        }
        if runs < 2 {
            return;
        }
        self.varied = true;
        if best_num < 0.0 {
            return;
        }
        let ((previous, next), left) = (best_bins, best_left);
        let proxy = best_num / best_den;
        if self.best.is_none_or(|b| proxy > b.2) {
            let bin = (previous as usize + next as usize - 1) / 2;
            self.best = Some((feature, bin, proxy));
            self.buffers.best_left.copy_from_slice(&left);
        }
    }

    /// The node's row count, weight and weighted-target sum (a regressor's).
    pub fn regression_total(&self) -> [i64; 3] {
        [self.total[0], self.total[1], self.total[2]]
    }

    /// The rules' `min_samples_leaf`.
    pub fn min_samples_leaf(&self) -> i64 {
        self.rules.min_samples_leaf as i64
    }

    /// Records that a feature searched had rows in two bins or more.
    pub fn mark_varied(&mut self) {
        self.varied = true;
    }

    /// Offers a regressor's best threshold of `feature` found elsewhere (as
    /// [`regression_runs`](Self::regression_runs) would): rows whose code is at most `bin` go
    /// left, with statistics `left`; `proxy` is the fraction's quotient.
    pub fn offer_regression(&mut self, feature: usize, bin: usize, proxy: f64, left: [i64; 4]) {
        if self.best.is_none_or(|b| proxy > b.2) {
            self.best = Some((feature, bin, proxy));
            self.buffers.best_left.copy_from_slice(&left);
        }
    }

    /// [`best_gini`](Self::best_gini) for two classes, the same arithmetic in registers.
    fn best_gini_binary(&self, stats: &[i64], msl: i64) -> Option<(usize, f64)> {
        let (tn, t0, t1) = (self.total[0], self.total[1], self.total[2]);
        let (mut n, mut c0, mut c1) = (0_i64, 0_i64, 0_i64);
        let mut best: Option<usize> = None;
        let (mut best_num, mut best_den) = (0.0_f64, 1.0_f64);
        for (i, s) in stats.chunks_exact(3).enumerate().take(stats.len() / 3 - 1) {
            n += s[0];
            c0 += s[1];
            c1 += s[2];
            if n < msl {
                continue;
            }
            if tn - n < msl {
                break;
            }
            let (l0, l1, r0, r1) = (c0 as f64, c1 as f64, (t0 - c0) as f64, (t1 - c1) as f64);
            let (wl, wr) = ((c0 + c1) as f64, ((t0 + t1) - (c0 + c1)) as f64);
            if wl <= 0.0 || wr <= 0.0 {
                continue;
            }
            let (squares_left, squares_right) = (0.0 + l0 * l0 + l1 * l1, 0.0 + r0 * r0 + r1 * r1);
            let (num, den) = (squares_left * wr + squares_right * wl, wl * wr);
            if best.is_none() || num * best_den > best_num * den {
                best = Some(i);
                (best_num, best_den) = (num, den);
            }
        }
        best.map(|i| (i, best_num / best_den))
    }

    /// [`best_regression`](Self::best_regression) for a Gini classifier: the proxy
    /// $\sum_k l_k^2 / w_l + \sum_k r_k^2 / w_r$ as a fraction, compared by cross-multiplying.
    fn best_gini(&mut self, stats: &[i64], msl: i64) -> Option<(usize, f64)> {
        let w = self.task.width();
        let left = &mut self.buffers.left;
        left.iter_mut().for_each(|v| *v = 0);
        let total_weight: i64 = self.total[1..].iter().sum();
        let mut best: Option<usize> = None;
        let (mut best_num, mut best_den) = (0.0_f64, 1.0_f64);
        for (i, s) in stats.chunks_exact(w).enumerate().take(stats.len() / w - 1) {
            left.iter_mut().zip(s).for_each(|(l, v)| *l += v);
            if left[0] < msl {
                continue;
            }
            if self.total[0] - left[0] < msl {
                break;
            }
            let wl: i64 = left[1..].iter().sum();
            let (wl, wr) = (wl as f64, (total_weight - wl) as f64);
            if wl <= 0.0 || wr <= 0.0 {
                continue;
            }
            let (mut squares_left, mut squares_right) = (0.0, 0.0);
            for (l, t) in left[1..].iter().zip(&self.total[1..]) {
                let (l, r) = (*l as f64, (t - l) as f64);
                squares_left += l * l;
                squares_right += r * r;
            }
            let (num, den) = (squares_left * wr + squares_right * wl, wl * wr);
            if best.is_none() || num * best_den > best_num * den {
                best = Some(i);
                (best_num, best_den) = (num, den);
            }
        }
        best.map(|i| (i, best_num / best_den))
    }

    /// The best threshold of a feature under any criterion and leaf-weight rule, with the
    /// proxy in real units.
    fn best_any(&mut self, stats: &[i64], msl: i64) -> Option<(usize, f64)> {
        let w = self.task.width();
        let mwl = self.rules.min_weight_leaf;
        let SearchBuffers {
            left,
            right,
            real_left,
            real_right,
            ..
        } = &mut *self.buffers;
        left.iter_mut().for_each(|v| *v = 0);
        let mut best: Option<(usize, f64)> = None;
        for (i, s) in stats.chunks_exact(w).enumerate().take(stats.len() / w - 1) {
            left.iter_mut().zip(s).for_each(|(l, v)| *l += v);
            if left[0] < msl {
                continue;
            }
            for ((r, t), l) in right.iter_mut().zip(self.total).zip(left.iter()) {
                *r = t - l;
            }
            if right[0] < msl {
                break;
            }
            self.scale.real_into(left, real_left);
            self.scale.real_into(right, real_right);
            let (wl, wr) = (self.task.weight(real_left), self.task.weight(real_right));
            if wl < mwl || wr < mwl || wl <= 0.0 || wr <= 0.0 {
                continue;
            }
            let proxy = self.task.proxy(real_left, real_right);
            if best.is_none_or(|b| proxy > b.1) {
                best = Some((i, proxy));
            }
        }
        best
    }

    /// The outcome: the best split if it decreases the impurity enough.
    pub fn finish(self) -> Outcome {
        let Some((feature, bin, _)) = self.best else {
            return if self.varied {
                Outcome::Leaf
            } else {
                Outcome::Constant
            };
        };
        let mut best = Split {
            feature,
            bin,
            left: self.buffers.best_left.clone(),
            decrease: 0.0,
        };
        let right: Vec<i64> = self
            .total
            .iter()
            .zip(&best.left)
            .map(|(t, l)| t - l)
            .collect();
        best.decrease = self.decrease(&best.left, &right);
        if best.decrease + EPSILON < self.rules.min_impurity_decrease {
            Outcome::Leaf
        } else {
            Outcome::Split(best)
        }
    }

    /// scikit-learn's weighted impurity decrease of splitting into `left` and `right`.
    fn decrease(&self, left: &[i64], right: &[i64]) -> f64 {
        let task = self.task;
        let (node, l, r) = (
            self.scale.real(self.total),
            self.scale.real(left),
            self.scale.real(right),
        );
        let (w, wl, wr) = (task.weight(&node), task.weight(&l), task.weight(&r));
        w / self.rules.total_weight
            * (task.impurity(&node) - wr / w * task.impurity(&r) - wl / w * task.impurity(&l))
    }
}

/// What the search of a node's features found.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// Split there.
    Split(Split),
    /// No split is allowed or good enough.
    Leaf,
    /// Every feature searched holds one value in the node: try the next features drawn.
    Constant,
}

/// Compacts a dense histogram (`bins` bins of `width` statistics) to its non-empty bins.
pub(crate) fn compact(dense: &[i64], width: usize, bins: &mut Vec<u32>, stats: &mut Vec<i64>) {
    bins.clear();
    stats.clear();
    for (b, s) in dense.chunks_exact(width).enumerate() {
        if s[0] > 0 {
            bins.push(b as u32);
            stats.extend_from_slice(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of one node: `(code, weight, target)` made up, each row's terms as the regressor's
    /// (weight, weighted target, weighted square), and its entries sorted by code.
    fn node(rows: usize, codes: u32, seed: u64) -> (Vec<u32>, Vec<i64>, Vec<i64>) {
        let mut state = seed;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            state >> 33
        };
        let mut terms = Vec::new();
        let mut entries = Vec::new();
        for row in 0..rows {
            let (code, weight, target) = (next() as u32 % codes, (next() % 3) as i64, next() % 50);
            let target = target as i64 - 20;
            terms.extend([weight, weight * target, weight * target * target]);
            entries.push(code << 16 | row as u32);
        }
        entries.sort_unstable_by_key(|e| e >> 16);
        let mut total = vec![rows as i64, 0, 0, 0];
        for t in terms.chunks_exact(3) {
            for k in 0..3 {
                total[1 + k] += t[k];
            }
        }
        (entries, terms, total)
    }

    /// The split and left statistics a search finds, given how it is fed the feature.
    fn best(
        total: &[i64],
        min_samples_leaf: u64,
        feed: impl FnOnce(&mut Search<'_>),
    ) -> Option<(usize, Vec<i64>)> {
        let rules = Rules {
            max_depth: usize::MAX,
            min_samples_split: 2,
            min_samples_leaf,
            min_weight_leaf: 0.0,
            min_impurity_decrease: 0.0,
            total_weight: 1.0,
        };
        let scale = Scale {
            unscale: vec![1.0; 4],
        };
        let mut buffers = SearchBuffers::default();
        let mut search = Search::new(Task::Regression, (&rules, &scale), total, &mut buffers);
        feed(&mut search);
        match search.finish() {
            Outcome::Split(s) => Some((s.bin, s.left)),
            _ => None,
        }
    }

    /// Searching a regressor's feature from its rows sorted by code or from its compacted
    /// histogram finds the same boundary with the same statistics.
    #[test]
    fn every_regression_sweep_finds_the_histograms_split() {
        for (rows, codes, msl) in [(300, 256, 1), (40, 8, 1), (2000, 64, 3), (500, 200, 40)] {
            for seed in 0..20 {
                let (entries, terms, total) = node(rows, codes, seed);
                let mut dense = vec![0_i64; codes as usize * 4];
                for &e in &entries {
                    let (code, row) = ((e >> 16) as usize, (e & 0xFFFF) as usize);
                    Task::Regression.add_row(&mut dense[code * 4..code * 4 + 4], row, &terms, &[]);
                }
                let (mut bins, mut stats) = (Vec::new(), Vec::new());
                compact(&dense, 4, &mut bins, &mut stats);
                let histogram = best(&total, msl, |s| s.feature(0, &bins, &stats));
                let pairs = entries.iter().map(|&e| (e >> 16, e & 0xFFFF));
                let fed = best(&total, msl, |s| s.regression_runs(0, pairs, &terms));
                assert_eq!(fed, histogram, "{rows} rows, {codes} codes, seed {seed}");
            }
        }
    }
}
