//! Global bin edges, the same for any number of ranks and any split of the rows, and the rows
//! binned once per fit.
//!
//! The quantile summary is a sample of the rows chosen by a counter-based draw on each global
//! row index (every row when there are few), so the union of the ranks' samples is the same set
//! of rows however they are split. Every rank gathers that union and sorts each feature's
//! values: the same multiset gives the same edges. A feature with at most `max_bins` distinct
//! sampled values gets the midpoints between them as edges (splits as scikit-learn's exact
//! search would place them); otherwise the midpoints at `max_bins` evenly spaced quantiles.

use ndarray::ArrayView2;
use rayon::prelude::*;
use spmd_comm::Comm;

use crate::random::uniform;
use crate::{Float, Result};

/// Most sampled values (rows x features) every rank holds while the edges are found.
const SAMPLE_VALUES: u64 = 1 << 24;
/// Most sampled rows (as scikit-learn's histogram gradient boosting bins on 200,000 rows).
const SAMPLE_ROWS: u64 = 200_000;
/// Stream of the sample draw (a fixed seed: the edges do not depend on `random_state`).
const SAMPLE_STREAM: u64 = 0xB1_25;

/// A bin code: `u8` when a forest has at most 256 bins per feature, `u16` otherwise.
pub(crate) trait Code: bytemuck::Pod + Send + Sync + Default + 'static {
    /// The code of bin `index` (which fits).
    fn from_index(index: usize) -> Self;
    /// The bin's index.
    fn index(self) -> usize;
}

impl Code for u8 {
    fn from_index(index: usize) -> Self {
        index as u8
    }
    fn index(self) -> usize {
        self as usize
    }
}

impl Code for u16 {
    fn from_index(index: usize) -> Self {
        index as u16
    }
    fn index(self) -> usize {
        self as usize
    }
}

/// Each feature's split thresholds, ascending: a value `x` falls in bin `b` when
/// `edges[b - 1] < x <= edges[b]`, so bin `b` and below go left of threshold `edges[b]`.
pub(crate) type Edges = Vec<Vec<f64>>;

/// The edges of every feature of all ranks' rows. Collective.
pub(crate) fn global_edges<F: Float>(
    comm: &Comm,
    x: ArrayView2<'_, F>,
    row_offset: u64,
    total_rows: u64,
    max_bins: usize,
) -> Result<Edges> {
    let d = x.ncols();
    let cap = SAMPLE_ROWS.min((SAMPLE_VALUES / d.max(1) as u64).max(1));
    let rate = cap as f64 / total_rows.max(1) as f64;
    let chosen: Vec<usize> = if rate >= 1.0 {
        (0..x.nrows()).collect()
    } else {
        (0..x.nrows())
            .filter(|&i| uniform(0, SAMPLE_STREAM, row_offset + i as u64) < rate)
            .collect()
    };
    // Column after column, so each rank's part of a column arrives in one piece.
    let mut sample = vec![0.0; chosen.len() * d];
    sample
        .par_chunks_mut(chosen.len().max(1))
        .enumerate()
        .for_each(|(j, column)| {
            for (v, &i) in column.iter_mut().zip(&chosen) {
                *v = x[[i, j]].as_f64();
            }
        });
    let (all, counts) = comm.allgatherv(&sample)?;
    Ok((0..d)
        .into_par_iter()
        .map(|j| {
            let mut column = Vec::with_capacity(all.len() / d.max(1));
            let mut at = 0;
            for &count in &counts {
                let rows = count / d.max(1);
                column.extend_from_slice(&all[at + j * rows..at + (j + 1) * rows]);
                at += count;
            }
            sort_floats(&mut column);
            edges_of(&column, max_bins)
        })
        .collect())
}

/// Sorts finite floats ascending: a radix sort of their bits mapped to ordered integers.
fn sort_floats(values: &mut [f64]) {
    const DIGIT: u32 = 11;
    let key = |v: f64| {
        let bits = v.to_bits();
        if bits >> 63 == 1 {
            !bits
        } else {
            bits | 1 << 63
        }
    };
    let mut keys: Vec<u64> = values.iter().map(|&v| key(v)).collect();
    let mut other = vec![0_u64; keys.len()];
    let mut counts = vec![0_usize; 1 << DIGIT];
    for pass in 0..64_u32.div_ceil(DIGIT) {
        let shift = pass * DIGIT;
        let digit = |k: u64| ((k >> shift) & ((1 << DIGIT) - 1)) as usize;
        counts.iter_mut().for_each(|c| *c = 0);
        for &k in &keys {
            counts[digit(k)] += 1;
        }
        if counts.contains(&keys.len()) {
            continue;
        }
        let mut total = 0;
        for c in counts.iter_mut() {
            (*c, total) = (total, total + *c);
        }
        for &k in &keys {
            let at = &mut counts[digit(k)];
            other[*at] = k;
            *at += 1;
        }
        std::mem::swap(&mut keys, &mut other);
    }
    for (v, k) in values.iter_mut().zip(keys) {
        let bits = if k >> 63 == 1 { k & !(1 << 63) } else { !k };
        *v = f64::from_bits(bits);
    }
}

/// The edges of one feature from its sorted sampled values.
fn edges_of(sorted: &[f64], max_bins: usize) -> Vec<f64> {
    let mut distinct = sorted.to_vec();
    distinct.dedup();
    let mut edges: Vec<f64> = if distinct.len() <= max_bins {
        distinct.windows(2).map(|w| midpoint(w[0], w[1])).collect()
    } else {
        let last = (sorted.len() - 1) as f64;
        (1..max_bins)
            .map(|j| {
                let position = j as f64 * last / max_bins as f64;
                midpoint(
                    sorted[position.floor() as usize],
                    sorted[position.ceil() as usize],
                )
            })
            .collect()
    };
    edges.dedup();
    edges
}

/// A value between `a` and `b` (`a <= b`) that `a` is at most and `b` is above, where one
/// exists; `a` otherwise.
fn midpoint(a: f64, b: f64) -> f64 {
    let m = a + (b - a) / 2.0;
    let m = if m.is_finite() { m } else { a / 2.0 + b / 2.0 };
    if m >= b || m < a {
        a
    } else {
        m
    }
}

/// This rank's rows binned: one column of codes per feature.
#[derive(Debug, Clone)]
pub(crate) struct Binned<C> {
    codes: Vec<C>,
    rows: usize,
}

impl<C: Code> Binned<C> {
    /// The rows of `x` binned by `edges`.
    pub fn new<F: Float>(x: ArrayView2<'_, F>, edges: &Edges) -> Self {
        let rows = x.nrows();
        let mut codes = vec![C::default(); rows * x.ncols()];
        if rows > 0 {
            codes
                .par_chunks_mut(rows)
                .zip(edges.par_iter())
                .enumerate()
                .for_each(|(j, (column, edges))| {
                    for (code, v) in column.iter_mut().zip(x.column(j)) {
                        *code = C::from_index(bin_of(edges, v.as_f64()));
                    }
                });
        }
        Self { codes, rows }
    }

    /// Codes gathered from other ranks: `codes` holds `rows` codes of each feature in turn.
    pub fn from_columns(codes: Vec<C>, rows: usize) -> Self {
        Self { codes, rows }
    }

    /// Every code, feature after feature, as bytes (little-endian).
    pub fn bytes(&self) -> &[u8] {
        bytemuck::cast_slice(&self.codes)
    }

    /// Feature `j`'s codes, one per row.
    pub fn column(&self, j: usize) -> &[C] {
        &self.codes[j * self.rows..(j + 1) * self.rows]
    }
}

/// The bin of value `v`: the number of edges below it.
pub(crate) fn bin_of(edges: &[f64], v: f64) -> usize {
    edges.partition_point(|&e| e < v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_distinct_values_split_between_each() {
        let edges = edges_of(&[1.0, 1.0, 2.0, 4.0, 4.0], 256);
        assert_eq!(edges, [1.5, 3.0]);
        assert_eq!(bin_of(&edges, 1.0), 0);
        assert_eq!(bin_of(&edges, 1.5), 0);
        assert_eq!(bin_of(&edges, 2.0), 1);
        assert_eq!(bin_of(&edges, 9.0), 2);
    }

    #[test]
    fn many_values_split_at_quantiles() {
        let sorted: Vec<f64> = (0..1000).map(f64::from).collect();
        let edges = edges_of(&sorted, 4);
        assert_eq!(edges, [249.5, 499.5, 749.5]);
    }

    #[test]
    fn radix_sort_orders_floats_as_total_cmp() {
        let mut values: Vec<f64> = (0..5000)
            .map(|i| ((i * 7919) % 1000) as f64 * if i % 3 == 0 { -0.37 } else { 1.1 })
            .chain([0.0, -0.0, f64::MAX, f64::MIN, 1e-300, -1e-300])
            .collect();
        let mut expected = values.clone();
        expected.sort_by(f64::total_cmp);
        sort_floats(&mut values);
        assert_eq!(
            values.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            expected.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn adjacent_floats_keep_the_lower_as_edge() {
        let a = 1.0_f64;
        let b = f64::from_bits(a.to_bits() + 1);
        assert_eq!(midpoint(a, b), a);
        assert_eq!(bin_of(&[a], b), 1);
    }
}
