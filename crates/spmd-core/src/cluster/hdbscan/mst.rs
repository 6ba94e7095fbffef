//! The minimum spanning tree of the mutual-reachability graph over all ranks' rows, without
//! the graph: core distances by one pass of the rows around the ring of ranks, then Borůvka
//! rounds, each one ring pass in which every rank finds, for its rows, the cheapest edge
//! leaving their component, and one allgatherv in which the ranks agree on each component's
//! cheapest. Each block travels with its k-d tree ([`super::kdtree`]). Every rank ends with
//! the same n - 1 edges; a rank holds its rows, one block in flight, and O(n) component ids.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use spmd_comm::{Comm, ReduceOp};

use super::super::dbscan::UnionFind;
use super::kdtree::{Candidate, LocalTree, Nearest, Query, TreeView};
use crate::neighbors::metric::Measure;
use crate::ring::{ring_pass, Block};
use crate::{Error, Result};

/// This rank's rows and where they sit among all ranks'.
pub(super) struct LocalRows<'a> {
    /// Row-major, `width` columns.
    pub rows: &'a [f64],
    pub width: usize,
    /// Each row's global index.
    pub ids: &'a [u64],
    /// Rows over all ranks.
    pub total: u64,
}

impl LocalRows<'_> {
    fn len(&self) -> usize {
        self.rows.len().checked_div(self.width).unwrap_or(0)
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.rows[i * self.width..(i + 1) * self.width]
    }
}

/// Each row's nearest rows over all ranks ([`Nearest`]: every row within its core distance,
/// itself included), and its core distance: the distance to its `k`-th nearest row
/// (scikit-learn's `kneighbors(X, min_samples)[:, -1]`). Collective.
pub(super) fn core_distances(
    comm: &Comm,
    measure: Measure,
    local: &LocalRows<'_>,
    tree: &LocalTree,
    k: usize,
) -> Result<(Vec<Nearest>, Vec<f64>)> {
    // By position in the tree's order, so neighbouring queries search the same nodes.
    let order = tree.order();
    let mut by_position = vec![Nearest::new(measure, k); local.len()];
    let block = tree.block(local.rows, local.ids, &[]);
    ring_pass(comm, block, |block| {
        let view = TreeView::new(block, local.width);
        by_position
            .par_iter_mut()
            .zip(order.par_iter())
            .for_each(|(near, &i)| view.nearest(measure, local.row(i), near));
    })?;
    let mut near = vec![Nearest::new(measure, 0); local.len()];
    for (found, &i) in by_position.into_iter().zip(order) {
        near[i] = found;
    }
    let cores = near
        .iter()
        .map(|near| measure.distance(near.worst()))
        .collect();
    Ok((near, cores))
}

/// The n - 1 edges of the minimum spanning tree of the mutual-reachability graph (weights
/// `max(core_i, core_j, d(i, j) / alpha)`), in the order Borůvka added them, as (lower row,
/// higher row, weight); among edges of equal weight, the one of lower rows first. Collective;
/// every rank gets the same edges.
pub(super) fn spanning_tree(
    comm: &Comm,
    (measure, alpha): (Measure, f64),
    local: &LocalRows<'_>,
    tree: &LocalTree,
    (near, cores): (&[Nearest], &[f64]),
) -> Result<Vec<Candidate>> {
    let n = usize::try_from(local.total)
        .ok()
        .filter(|&n| n < u32::MAX as usize)
        .ok_or_else(|| Error::Input("HDBSCAN takes fewer than 2^32 - 1 rows".into()))?;
    let mut sets = UnionFind::new(n);
    let mut component: Vec<u32> = (0..n as u32).collect();
    let mut edges = Vec::with_capacity(n.saturating_sub(1));
    let shared: Vec<AtomicU64> = (0..n).map(|_| AtomicU64::new(0)).collect();
    let block = tree.block(local.rows, local.ids, cores);
    // Every row's core distance by global index, for the edges to the nearest rows of other
    // ranks (a rank's rows need not be consecutive global rows).
    let (gathered_cores, _) = comm.allgatherv(cores)?;
    let (gathered_ids, _) = comm.allgatherv(local.ids)?;
    let mut all_cores = vec![f64::NAN; n];
    for (&id, &core) in gathered_ids.iter().zip(&gathered_cores) {
        all_cores[id as usize] = core;
    }
    let order = tree.order();
    let mut round = 0;
    while edges.len() + 1 < n {
        round += 1;
        for i in 0..local.len() {
            let c = component[local.ids[i] as usize] as usize;
            shared[c].store(f64::INFINITY.to_bits(), Ordering::Relaxed);
        }
        // Each row's cheapest edge to its nearest rows first; where that edge costs the row's
        // core distance and the list holds every row within it (alpha <= 1), no edge from the
        // row is cheaper, and no other edge as cheap joins rows of lower index: it is settled.
        // Rows are taken in the tree's order, so neighbouring queries search the same nodes.
        let from_nearest: Vec<(Candidate, bool)> = order
            .par_iter()
            .map(|&i| {
                let id = local.ids[i];
                let own = component[id as usize];
                let mut best = Candidate::NONE;
                for &(key, j) in &near[i].found {
                    if component[j as usize] == own {
                        continue;
                    }
                    let distance = measure.distance(key) / alpha;
                    let candidate = Candidate {
                        weight: cores[i].max(all_cores[j as usize]).max(distance),
                        low: id.min(j),
                        high: id.max(j),
                    };
                    if candidate.before(&best) {
                        best = candidate;
                    }
                }
                let settled = near[i].complete && alpha <= 1.0 && best.weight == cores[i];
                (best, settled)
            })
            .collect();
        for (&i, (candidate, _)) in order.iter().zip(&from_nearest) {
            let c = component[local.ids[i] as usize] as usize;
            shared[c].fetch_min(candidate.weight.to_bits(), Ordering::Relaxed);
        }
        let mut best: Vec<Candidate> = from_nearest.iter().map(|(b, _)| *b).collect();
        let searching = from_nearest.iter().any(|(_, settled)| !settled);
        // The ring runs only where some rank has a row to search.
        if comm.allreduce_scalar(u64::from(searching), ReduceOp::Max)? > 0 {
            ring_pass(comm, block.clone(), |block| {
                search_block(
                    block,
                    (local, order, &from_nearest),
                    (measure, alpha, cores),
                    (&component, &shared),
                    &mut best,
                );
            })?;
        }
        // This rank's cheapest edge of each component, then every rank's.
        let mut mine: BTreeMap<u32, Candidate> = BTreeMap::new();
        for (&i, candidate) in order.iter().zip(&best) {
            let c = component[local.ids[i] as usize];
            let entry = mine.entry(c).or_insert(Candidate::NONE);
            if candidate.before(entry) {
                *entry = *candidate;
            }
        }
        let message: Vec<f64> = mine
            .iter()
            .filter(|(_, e)| e.weight.is_finite())
            .flat_map(|(&c, e)| [c as f64, e.weight, e.low as f64, e.high as f64])
            .collect();
        let (gathered, _) = comm.allgatherv(&message)?;
        let mut cheapest: BTreeMap<u32, Candidate> = BTreeMap::new();
        for part in gathered.chunks_exact(4) {
            let candidate = Candidate {
                weight: part[1],
                low: part[2] as u64,
                high: part[3] as u64,
            };
            let entry = cheapest.entry(part[0] as u32).or_insert(Candidate::NONE);
            if candidate.before(entry) {
                *entry = candidate;
            }
        }
        let before = edges.len();
        for candidate in cheapest.into_values() {
            if sets.union(candidate.low as usize, candidate.high as usize) {
                edges.push(candidate);
            }
        }
        if edges.len() == before {
            return Err(Error::Input(
                "HDBSCAN: a Borůvka round joined no components (rows at infinite distance)".into(),
            ));
        }
        for (row, c) in component.iter_mut().enumerate() {
            *c = sets.find(row) as u32;
        }
        tracing::debug!(round, edges = edges.len(), "hdbscan spanning tree");
    }
    Ok(edges)
}

/// Lowers `best` (by position in the tree's `order`) to each unsettled row's cheapest edge
/// into `block`.
fn search_block(
    block: &Block,
    (local, order, from_nearest): (&LocalRows<'_>, &[usize], &[(Candidate, bool)]),
    (measure, alpha, cores): (Measure, f64, &[f64]),
    (component, shared): (&[u32], &[AtomicU64]),
    best: &mut [Candidate],
) {
    let view = TreeView::new(block, local.width);
    let components = view.components(component);
    best.par_iter_mut()
        .zip(order.par_iter())
        .zip(from_nearest.par_iter())
        .for_each(|((best, &i), &(_, settled))| {
            if settled {
                return;
            }
            let id = local.ids[i];
            let query = Query {
                measure,
                alpha,
                row: local.row(i),
                id,
                core: cores[i],
                component,
                shared: &shared[component[id as usize] as usize],
            };
            view.cheapest_edge(&query, &components, best);
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::uniform;

    /// Rows on a coarse grid (many equal distances) and duplicated rows.
    fn rows(n: usize, width: usize) -> Vec<f64> {
        let mut rows: Vec<f64> = (0..n * width)
            .map(|i| (uniform(7, 1, i as u64) * 6.0).floor())
            .collect();
        rows.extend_from_within(..10 * width);
        rows
    }

    #[test]
    fn core_distances_and_the_tree_weight_match_brute_force() {
        let width = 3;
        let data = rows(300, width);
        let n = data.len() / width;
        let measure = Measure::Squares { root: true };
        let row = |i: usize| &data[i * width..(i + 1) * width];
        let d = |a: usize, b: usize| measure.distance(measure.key(row(a), row(b)));
        let ids: Vec<u64> = (0..n as u64).collect();
        let local = LocalRows {
            rows: &data,
            width,
            ids: &ids,
            total: n as u64,
        };
        let comm = Comm::single();
        let tree = LocalTree::build(&data, width);
        let k = 6;
        let (near, cores) = core_distances(&comm, measure, &local, &tree, k).unwrap();
        for i in 0..n {
            let mut all: Vec<f64> = (0..n).map(|j| d(i, j)).collect();
            all.sort_by(f64::total_cmp);
            assert_eq!(cores[i], all[k - 1], "row {i}");
            // Every row within the core distance is kept.
            let within = (0..n).filter(|&j| d(i, j) <= cores[i]).count();
            assert!(
                !near[i].complete || near[i].found.len() == within,
                "row {i}"
            );
        }
        for alpha in [1.0, 1.7] {
            let edges =
                spanning_tree(&comm, (measure, alpha), &local, &tree, (&near, &cores)).unwrap();
            assert_eq!(edges.len(), n - 1);
            // Prim's algorithm over every pair.
            let weight = |a: usize, b: usize| cores[a].max(cores[b]).max(d(a, b) / alpha);
            let mut best = vec![f64::INFINITY; n];
            let mut in_tree = vec![false; n];
            let (mut node, mut total) = (0, 0.0);
            for _ in 1..n {
                in_tree[node] = true;
                let mut next = usize::MAX;
                for j in (0..n).filter(|&j| !in_tree[j]) {
                    best[j] = best[j].min(weight(node, j));
                    if next == usize::MAX || best[j] < best[next] {
                        next = j;
                    }
                }
                total += best[next];
                node = next;
            }
            let ours: f64 = edges.iter().map(|e| e.weight).sum();
            assert!(
                (ours - total).abs() <= 1e-9 * total,
                "alpha {alpha}: {ours} vs {total}"
            );
        }
    }
}
