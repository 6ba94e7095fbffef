//! DBSCAN by space: the ranks cut space into one region per rank, each row moves to the rank
//! of its region, and a rank also receives the rows of other regions within eps of its own
//! (its halo), so every neighbour of its rows is at hand.
//!
//! The regions are the leaves of a k-d split of a sample of the rows that every rank holds
//! alike (rows chosen by a counter-based draw on their global index, gathered once): each split
//! cuts the widest column of its part of the sample where the ranks on either side get their
//! share. A rank then counts its rows' neighbourhoods among its own and halo rows (exact for
//! its own rows), learns the halo rows' core status from their ranks, joins its core rows into
//! components, and learns the components the halo rows belong to on their ranks: a halo core
//! row in one component here and one there joins the two. The clusters and labels then follow
//! as on the ring ([`super::join::labels`]), and each label travels back to the rank and row it
//! came from. Traffic per rank: its rows out and back, its halo, and one flag and one id per
//! halo row, instead of every other rank's rows twice around the ring.
//!
//! Where the halo would be large (rows spread over few eps in many columns), the ring is kept:
//! [`plan`] decides from the sample, the same on every rank.

use spmd_comm::{Comm, Scalar};

use super::pairs::Finder;
use super::params::Across;
use crate::random::uniform;
use crate::Result;

/// Rows of the sample that space is cut by, over all ranks (all of them below this).
const SAMPLE_ROWS: f64 = 20_000.0;
/// The ring is kept where the halo would add more than half the rows.
const MAX_REPLICATION: f64 = 1.5;
/// The sample's random stream (seed 0: the cut does not change the labels, only the work).
const STREAM_SAMPLE: u64 = 0x4442_5343_414e;

/// A node of the k-d split: a region (its rank), or a cut of a column.
#[derive(Debug, Clone)]
enum Node {
    Region(usize),
    /// Rows with `row[column] < at` go to `left`, the others to `right` (node indices).
    Cut {
        column: usize,
        at: f64,
        left: usize,
        right: usize,
    },
}

/// Space cut into one region per rank.
#[derive(Debug, Clone)]
pub(in crate::cluster) struct Regions {
    nodes: Vec<Node>,
    /// Each rank's region: the lowest and highest value of each column (closed, infinite
    /// where uncut).
    boxes: Vec<(Vec<f64>, Vec<f64>)>,
}

impl Regions {
    /// The regions of `ranks` ranks from `sample` (`width` values per row, row-major).
    fn cut(sample: &[f64], width: usize, ranks: usize) -> Self {
        let mut regions = Self {
            nodes: Vec::new(),
            boxes: vec![(Vec::new(), Vec::new()); ranks],
        };
        let mut rows: Vec<usize> = (0..sample.len() / width.max(1)).collect();
        let bounds = (vec![f64::NEG_INFINITY; width], vec![f64::INFINITY; width]);
        regions.split((sample, width), &mut rows, 0..ranks, bounds);
        regions
    }

    /// The node of `rows` (sample rows) shared by `ranks`, inside `bounds`; returns its index.
    fn split(
        &mut self,
        (sample, width): (&[f64], usize),
        rows: &mut [usize],
        ranks: std::ops::Range<usize>,
        (low, high): (Vec<f64>, Vec<f64>),
    ) -> usize {
        let at_node = self.nodes.len();
        if ranks.len() == 1 {
            self.nodes.push(Node::Region(ranks.start));
            self.boxes[ranks.start] = (low, high);
            return at_node;
        }
        let value = |r: usize, j: usize| sample[r * width + j];
        // The widest column of this part of the sample (the first on ties).
        let spread = |j: usize| {
            let (lo, hi) = rows
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &r| {
                    (lo.min(value(r, j)), hi.max(value(r, j)))
                });
            hi - lo
        };
        let column = (0..width)
            .map(|j| (j, spread(j)))
            .fold(None::<(usize, f64)>, |best, (j, s)| match best {
                Some((_, b)) if b >= s => best,
                _ => Some((j, s)),
            })
            .map_or(0, |(j, _)| j);
        rows.sort_by(|&a, &b| {
            value(a, column)
                .total_cmp(&value(b, column))
                .then(a.cmp(&b))
        });
        let left_ranks = ranks.len() / 2;
        let cut = rows.len() * left_ranks / ranks.len();
        let at = rows.get(cut).map_or(f64::INFINITY, |&r| value(r, column));
        // Rows equal to the cut go right, so the left part is the rows below it.
        let split = rows.partition_point(|&r| value(r, column) < at);
        let (left_rows, right_rows) = rows.split_at_mut(split);
        self.nodes.push(Node::Region(usize::MAX)); // replaced below
        let mut left_high = high.clone();
        left_high[column] = at;
        let mut right_low = low.clone();
        right_low[column] = at;
        let middle = ranks.start + left_ranks;
        let left = self.split(
            (sample, width),
            left_rows,
            ranks.start..middle,
            (low, left_high),
        );
        let right = self.split(
            (sample, width),
            right_rows,
            middle..ranks.end,
            (right_low, high),
        );
        self.nodes[at_node] = Node::Cut {
            column,
            at,
            left,
            right,
        };
        at_node
    }

    /// The rank whose region holds `row`.
    pub(in crate::cluster) fn owner(&self, row: &[f64]) -> usize {
        let mut node = 0;
        loop {
            match self.nodes[node] {
                Node::Region(rank) => return rank,
                Node::Cut {
                    column,
                    at,
                    left,
                    right,
                } => node = if row[column] < at { left } else { right },
            }
        }
    }

    /// The ranks other than `owner` whose regions hold a point within eps of `row` (by a bound
    /// no pair within eps exceeds, so no neighbour is missed).
    fn halo_of<'a>(
        &'a self,
        finder: &'a Finder,
        row: &'a [f64],
        owner: usize,
    ) -> impl Iterator<Item = usize> + 'a {
        self.boxes
            .iter()
            .enumerate()
            .filter(move |&(rank, (low, high))| {
                rank != owner
                    && finder
                        .measure
                        .lower_bound(row, low, high)
                        .is_none_or(|bound| bound <= finder.limit)
            })
            .map(|(rank, _)| rank)
    }
}

/// The regions to cluster by, or `None` to keep the ring: with one rank, with a measure that
/// bounds no box (cosine), when asked to, or (`Across::Auto`) where the sample says the halo
/// would add more than half the rows. `rows`: this rank's, row-major; `first`, `total`: its
/// first global row and the rows over all ranks. Collective (one allgatherv); every rank
/// decides alike.
pub(super) fn plan(
    comm: &Comm,
    (finder, across): (&Finder, Across),
    (rows, width): (&[f64], usize),
    (first, total): (u64, u64),
) -> Result<Option<Regions>> {
    let ranks = comm.size();
    if ranks == 1 || width == 0 || across == Across::Ring {
        return Ok(None);
    }
    let none = vec![0.0; width];
    if finder.measure.lower_bound(&none, &none, &none).is_none() {
        return Ok(None);
    }
    let (regions, sample) = sampled_regions(comm, (rows, width), (first, total))?;
    let copies: usize = sample
        .chunks_exact(width)
        .map(|row| 1 + regions.halo_of(finder, row, regions.owner(row)).count())
        .sum();
    let replication = copies as f64 / (sample.len() / width).max(1) as f64;
    let by_space = across == Across::Space || replication <= MAX_REPLICATION;
    tracing::info!(
        by = if by_space { "space" } else { "ring" },
        rows_per_row = format!("{replication:.3}"),
        "DBSCAN across ranks"
    );
    Ok(by_space.then_some(regions))
}

/// Space cut into one region per rank (the same on every rank), from a sample of every rank's
/// rows `rows` (`width` values each, the first of global index `first`, `total` over all ranks):
/// at most about 20,000 rows, each drawn by a counter-based draw on its global index. Returns
/// the sample too. Collective (one allgatherv).
pub(in crate::cluster) fn sampled_regions(
    comm: &Comm,
    (rows, width): (&[f64], usize),
    (first, total): (u64, u64),
) -> Result<(Regions, Vec<f64>)> {
    let rate = (SAMPLE_ROWS / total as f64).min(1.0);
    let mine: Vec<f64> = rows
        .chunks_exact(width)
        .enumerate()
        .filter(|&(i, _)| rate >= 1.0 || uniform(0, STREAM_SAMPLE, first + i as u64) < rate)
        .flat_map(|(_, row)| row.iter().copied())
        .collect();
    let (sample, _) = comm.allgatherv(&mine)?;
    Ok((Regions::cut(&sample, width, comm.size()), sample))
}

/// Sends `parts[r]` to rank `r`; returns what each rank sent this one. Collective.
fn exchange<T: Scalar>(comm: &Comm, parts: &[Vec<T>]) -> Result<Vec<Vec<T>>> {
    let counts: Vec<usize> = parts.iter().map(Vec::len).collect();
    let flat: Vec<T> = parts.concat();
    let (got, counts) = comm.alltoallv(&flat, &counts)?;
    let mut rest = &got[..];
    Ok(counts
        .iter()
        .map(|&c| {
            let (part, tail) = rest.split_at(c);
            rest = tail;
            part.to_vec()
        })
        .collect())
}

/// The rows a rank clusters: its region's rows and its halo, in global row order.
pub(super) struct Gathered {
    /// Row-major values.
    pub(super) rows: Vec<f64>,
    pub(super) weights: Vec<f64>,
    /// Each row's global index.
    pub(super) global: Vec<u64>,
    /// Whether the row is of this rank's region (else of the halo).
    pub(super) own: Vec<bool>,
    /// For each rank, where its region's rows (in the order it sent them) lie here.
    from: Vec<Vec<usize>>,
    /// For each rank, where the halo rows it sent lie here.
    halo_from: Vec<Vec<usize>>,
    /// For each rank, the rows of this rank's region sent to it as halo (positions here).
    halo_to: Vec<Vec<usize>>,
    /// For each rank, the rows of this rank's input it received (their positions in the input).
    sent: Vec<Vec<usize>>,
}

/// Moves each row of `rows` (this rank's input, `first` its first global row) to the rank of
/// its region, then each region's rows within eps of other regions to them. Collective (four
/// alltoallv).
pub(super) fn gather(
    comm: &Comm,
    (regions, finder): (&Regions, &Finder),
    (rows, width): (&[f64], usize),
    weight: impl Fn(usize) -> f64,
    first: u64,
) -> Result<Gathered> {
    let ranks = comm.size();
    let n = rows.len() / width;
    let mut sent = vec![Vec::new(); ranks];
    let mut values = vec![Vec::new(); ranks];
    let mut ids = vec![Vec::new(); ranks];
    for (i, row) in rows.chunks_exact(width).enumerate() {
        let to = regions.owner(row);
        sent[to].push(i);
        values[to].extend(row.iter().copied().chain([weight(i)]));
        ids[to].push(first + i as u64);
    }
    debug_assert_eq!(sent.iter().map(Vec::len).sum::<usize>(), n);
    let own_values = exchange(comm, &values)?;
    let own_ids = exchange(comm, &ids)?;
    // This region's rows, in global order (each rank's rows are in order, ranks in order).
    let own_rows: Vec<f64> = own_values.concat();
    let own_global: Vec<u64> = own_ids.concat();
    let stride = width + 1;
    let mut halo_to = vec![Vec::new(); ranks];
    let mut values = vec![Vec::new(); ranks];
    let mut ids = vec![Vec::new(); ranks];
    for (i, row) in own_rows.chunks_exact(stride).enumerate() {
        for to in regions.halo_of(finder, &row[..width], comm.rank()) {
            halo_to[to].push(i);
            values[to].extend_from_slice(row);
            ids[to].push(own_global[i]);
        }
    }
    let halo_values = exchange(comm, &values)?;
    let halo_ids = exchange(comm, &ids)?;

    // Every row here, own then halo, sorted by global index.
    let own_count = own_global.len();
    let mut entries: Vec<(u64, usize)> = own_global.iter().copied().zip(0..).collect();
    let halo_rows: Vec<f64> = halo_values.concat();
    let halo_global: Vec<u64> = halo_ids.concat();
    entries.extend(halo_global.iter().copied().zip(own_count..));
    entries.sort_unstable();
    let mut position = vec![0; entries.len()];
    let mut out = Gathered {
        rows: Vec::with_capacity(entries.len() * width),
        weights: Vec::with_capacity(entries.len()),
        global: Vec::with_capacity(entries.len()),
        own: Vec::with_capacity(entries.len()),
        from: Vec::new(),
        halo_from: Vec::new(),
        halo_to: Vec::new(),
        sent,
    };
    for (at, &(global, k)) in entries.iter().enumerate() {
        position[k] = at;
        let row = if k < own_count {
            &own_rows[k * stride..(k + 1) * stride]
        } else {
            &halo_rows[(k - own_count) * stride..(k - own_count + 1) * stride]
        };
        out.rows.extend_from_slice(&row[..width]);
        out.weights.push(row[width]);
        out.global.push(global);
        out.own.push(k < own_count);
    }
    let positions = |parts: &[Vec<u64>], base: usize| -> Vec<Vec<usize>> {
        let mut next = base;
        parts
            .iter()
            .map(|part| {
                let at = (next..next + part.len()).map(|k| position[k]).collect();
                next += part.len();
                at
            })
            .collect()
    };
    out.from = positions(&own_ids, 0);
    out.halo_from = positions(&halo_ids, own_count);
    out.halo_to = halo_to
        .into_iter()
        .map(|rows| rows.into_iter().map(|k| position[k]).collect())
        .collect();
    Ok(out)
}

/// Sends each rank `r` `value(i)` for the positions `i` of `send[r]`, and hands each value
/// rank `r` sent this one to `put` with the matching position of `land[r]`. Collective (one
/// alltoallv).
fn route<T: Scalar>(
    comm: &Comm,
    (send, value): (&[Vec<usize>], impl Fn(usize) -> T),
    (land, mut put): (&[Vec<usize>], impl FnMut(usize, T)),
) -> Result<()> {
    let parts: Vec<Vec<T>> = send
        .iter()
        .map(|rows| rows.iter().map(|&i| value(i)).collect())
        .collect();
    let got = exchange(comm, &parts)?;
    for (rows, values) in land.iter().zip(got) {
        for (&i, v) in rows.iter().zip(values) {
            put(i, v);
        }
    }
    Ok(())
}

impl Gathered {
    /// Sends, for each halo row this rank sent, `value(its position here)`, and returns, for
    /// each row here, the value its region's rank sent for it (`None` for rows of this
    /// region). Collective (one alltoallv).
    pub(super) fn told_by_regions<T: Scalar>(
        &self,
        comm: &Comm,
        value: impl Fn(usize) -> T,
    ) -> Result<Vec<Option<T>>> {
        let mut out = vec![None; self.global.len()];
        route(
            comm,
            (&self.halo_to, value),
            (&self.halo_from, |i, v| out[i] = Some(v)),
        )?;
        Ok(out)
    }

    /// Sends `value(position here)` of each row of this region back to the rank it came from;
    /// returns the values of this rank's input rows, in input order. Collective (one
    /// alltoallv).
    pub(super) fn back<T: Scalar>(
        &self,
        comm: &Comm,
        n: usize,
        value: impl Fn(usize) -> T,
    ) -> Result<Vec<T>> {
        let mut out = vec![T::zeroed(); n];
        route(comm, (&self.from, value), (&self.sent, |i, v| out[i] = v))?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::neighbors::metric::Measure;

    fn finder(eps: f64, width: usize) -> Finder {
        let centre = vec![0.0; width];
        let spread = vec![10.0; width];
        Finder::new(
            Measure::Squares { root: true },
            eps,
            (width, &centre),
            &spread,
            10.0,
        )
    }

    #[test]
    fn every_rank_gets_a_share_of_the_sample() {
        let sample: Vec<f64> = (0..1000).flat_map(|i| [i as f64, (i % 7) as f64]).collect();
        for ranks in [2, 3, 4, 5, 8] {
            let regions = Regions::cut(&sample, 2, ranks);
            let mut counts = vec![0; ranks];
            for row in sample.chunks_exact(2) {
                counts[regions.owner(row)] += 1;
            }
            let share = 1000 / ranks;
            assert!(
                counts.iter().all(|&c| c + 2 >= share && c <= share + 2),
                "{ranks} ranks: {counts:?}"
            );
        }
    }

    #[test]
    fn a_row_is_in_the_halo_of_every_region_within_eps() {
        let sample: Vec<f64> = (0..100).flat_map(|i| [i as f64, 0.0]).collect();
        let regions = Regions::cut(&sample, 2, 2);
        let f = finder(1.0, 2);
        // The cut is at 50: 49.5 is within 1 of the right region, 48.5 is not.
        assert_eq!(regions.owner(&[49.5, 0.0]), 0);
        let near: Vec<usize> = regions.halo_of(&f, &[49.5, 0.0], 0).collect();
        assert_eq!(near, [1]);
        assert_eq!(regions.halo_of(&f, &[48.5, 0.0], 0).count(), 0);
        // Exactly eps away still counts (a pair at eps is within eps).
        assert_eq!(regions.halo_of(&f, &[49.0, 0.0], 0).count(), 1);
    }

    #[test]
    fn an_empty_sample_gives_every_row_to_one_rank() {
        let regions = Regions::cut(&[], 3, 4);
        let owners: std::collections::HashSet<usize> = [[0.0, 1.0, 2.0], [-5.0, 1e9, 3.0]]
            .iter()
            .map(|r| regions.owner(r))
            .collect();
        assert_eq!(owners.len(), 1);
    }
}
