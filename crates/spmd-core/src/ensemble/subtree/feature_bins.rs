//! One feature's non-empty bins over a node's rows, and the histograms they come from.

use super::super::bins::Code;
use super::super::split::{compact, SearchBuffers, Task};

/// Moves the rows for which `goes_left` holds to the front; returns how many there are.
pub(crate) fn partition(rows: &mut [u32], goes_left: impl Fn(u32) -> bool) -> usize {
    let mut left = 0;
    for i in 0..rows.len() {
        if goes_left(rows[i]) {
            rows.swap(left, i);
            left += 1;
        }
    }
    left
}

/// Rows from which a node's codes are counting-sorted rather than compared.
pub(super) const COUNTING_SORT_ROWS: usize = 48;

/// Buffers reused from node to node.
#[derive(Default)]
pub(super) struct Scratch {
    pub(super) bins: FeatureBins,
    pub(super) search: SearchBuffers,
}

/// One feature's non-empty bins over some rows, and the buffers that find them.
#[derive(Default)]
pub(crate) struct FeatureBins {
    dense: Vec<i64>,
    pairs: Vec<(u32, u32)>,
    counts: Vec<u32>,
    pub bins: Vec<u32>,
    pub stats: Vec<i64>,
}

impl FeatureBins {
    /// The non-empty bins of one feature over `rows` and their statistics, into `self.bins` and
    /// `self.stats`: through a dense histogram when the rows are many for the bins, by sorting
    /// the rows' codes otherwise.
    pub fn feature_bins<C: Code>(
        &mut self,
        task: Task,
        (column, bins): (&[C], usize),
        rows: &[u32],
        (terms, classes): (&[i64], &[u32]),
    ) {
        let w = task.width();
        if rows.len() >= bins {
            self.dense.clear();
            self.dense.resize(bins * w, 0);
            dense_histogram(task, column, rows, (terms, classes), &mut self.dense);
            compact(&self.dense, w, &mut self.bins, &mut self.stats);
            return;
        }
        self.pairs.clear();
        if rows.len() >= COUNTING_SORT_ROWS {
            // Counting sort by code: linear in the rows and the bins.
            self.counts.clear();
            self.counts.resize(bins + 1, 0);
            for &r in rows {
                self.counts[column[r as usize].index() + 1] += 1;
            }
            for b in 1..=bins {
                self.counts[b] += self.counts[b - 1];
            }
            self.pairs.resize(rows.len(), (0, 0));
            for &r in rows {
                let code = column[r as usize].index();
                let at = &mut self.counts[code];
                self.pairs[*at as usize] = (code as u32, r);
                *at += 1;
            }
        } else {
            self.pairs
                .extend(rows.iter().map(|&r| (column[r as usize].index() as u32, r)));
            self.pairs.sort_unstable_by_key(|p| p.0);
        }
        let pairs = std::mem::take(&mut self.pairs);
        self.runs(task, pairs.iter().copied(), terms, classes);
        self.pairs = pairs;
    }

    /// The bins and statistics of `(bin, row)` pairs in ascending bin order. A run of one bin
    /// is summed in registers and stored once.
    pub(super) fn runs(
        &mut self,
        task: Task,
        pairs: impl Iterator<Item = (u32, u32)>,
        terms: &[i64],
        classes: &[u32],
    ) {
        self.bins.clear();
        self.stats.clear();
        let mut current = u32::MAX;
        match task {
            Task::Regression => {
                let mut sums = [0_i64; 4];
                for (bin, row) in pairs {
                    if bin != current {
                        if current != u32::MAX {
                            self.bins.push(current);
                            self.stats.extend_from_slice(&sums);
                        }
                        current = bin;
                        sums = [0; 4];
                    }
                    let t = &terms[3 * row as usize..3 * row as usize + 3];
                    sums[0] += 1;
                    sums[1] += t[0];
                    sums[2] += t[1];
                    sums[3] += t[2];
                }
                if current != u32::MAX {
                    self.bins.push(current);
                    self.stats.extend_from_slice(&sums);
                }
            }
            Task::Classes { .. } if task.width() <= 8 => {
                // Up to 7 classes: the run's sums stay in registers.
                let w = task.width();
                let mut sums = [0_i64; 8];
                for (bin, row) in pairs {
                    if bin != current {
                        if current != u32::MAX {
                            self.bins.push(current);
                            self.stats.extend_from_slice(&sums[..w]);
                        }
                        current = bin;
                        sums = [0; 8];
                    }
                    sums[0] += 1;
                    sums[1 + classes[row as usize] as usize] += terms[row as usize];
                }
                if current != u32::MAX {
                    self.bins.push(current);
                    self.stats.extend_from_slice(&sums[..w]);
                }
            }
            Task::Classes { .. } => {
                let w = task.width();
                for (bin, row) in pairs {
                    if bin != current {
                        self.bins.push(bin);
                        self.stats.resize(self.stats.len() + w, 0);
                        current = bin;
                    }
                    let at = self.stats.len() - w;
                    task.add_row(&mut self.stats[at..], row as usize, terms, classes);
                }
            }
        }
    }
}

/// Adds the rows' statistics to `hist` (`width()` integers per bin of `column`'s codes).
pub(crate) fn dense_histogram<C: Code>(
    task: Task,
    column: &[C],
    rows: &[u32],
    (terms, classes): (&[i64], &[u32]),
    hist: &mut [i64],
) {
    match task {
        Task::Classes { classes: k, .. } => {
            let w = 1 + k;
            for &r in rows {
                let r = r as usize;
                let at = column[r].index() * w;
                hist[at] += 1;
                hist[at + 1 + classes[r] as usize] += terms[r];
            }
        }
        Task::Regression => {
            for &r in rows {
                let r = r as usize;
                let at = column[r].index() * 4;
                let t = &terms[3 * r..3 * r + 3];
                hist[at] += 1;
                hist[at + 1] += t[0];
                hist[at + 2] += t[1];
                hist[at + 3] += t[2];
            }
        }
    }
}
