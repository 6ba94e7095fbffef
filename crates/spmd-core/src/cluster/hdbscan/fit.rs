//! HDBSCAN's fit: rows with an infinite value or a NaN set aside as scikit-learn sets them, core
//! distances and the minimum spanning tree over all ranks ([`super::mst`]), then the same
//! labelling on every rank ([`super::tree`]) and each rank's share of it.

use std::borrow::Cow;

use ndarray::{Array1, ArrayBase, ArrayView2, Data, Ix2};
use spmd_comm::{Comm, ReduceOp};

use super::super::dbscan::sampled_regions;
use super::centers::{centroids, medoids};
use super::fitted::FittedHdbscan;
use super::gpu;
use super::kdtree::{Candidate, LocalTree};
use super::mst::{core_distances, spanning_tree, LocalRows};
use super::params::{Hdbscan, StoreCenters};
use super::tree::{labels, Edge, Selection};
use crate::distributed::{agree, comm_or_world, global_shape};
use crate::{Error, Float, Queue, Result};

/// scikit-learn's labels of rows with an infinite value and of rows with a NaN.
const INFINITE: i64 = -2;
const MISSING: i64 = -3;

impl Hdbscan {
    /// Clusters every rank's rows `x`. Collective: every rank calls it, with its own rows
    /// (possibly none), and gets its rows' labels and probabilities. With a queue, the core
    /// distances' neighbour search runs on the GPU (the labels are the same); the rest on the
    /// CPU.
    pub fn fit<F: Float, S: Data<Elem = F>>(
        &self,
        x: &ArrayBase<S, Ix2>,
        queue: Option<&Queue>,
    ) -> Result<FittedHdbscan> {
        let comm = comm_or_world(self.comm.as_ref())?;
        self.fit_on(&comm, x.view(), queue)
    }

    pub(crate) fn fit_on<F: Float>(
        &self,
        comm: &Comm,
        x: ArrayView2<'_, F>,
        queue: Option<&Queue>,
    ) -> Result<FittedHdbscan> {
        let measure = agree(comm, self.params.measure())?;
        let shape = global_shape(comm, x.nrows(), [x.ncols(), 0], ["X", "y"])?;
        if shape.rows == 0 {
            return Err(Error::Empty { what: "X" });
        }
        let width = shape.columns[0];
        let kinds = row_kinds(comm, x)?;
        let rows: Vec<f64> = x
            .rows()
            .into_iter()
            .zip(&kinds)
            .filter(|(_, &kind)| kind == Kind::Finite)
            .flat_map(|(row, _)| row.iter().map(|v| v.as_f64()).collect::<Vec<_>>())
            .collect();
        let count = (rows.len() / width.max(1)) as u64;
        let first = comm.exclusive_scan_sum(count)?;
        let total = comm.allreduce_scalar(count, ReduceOp::Sum)?;
        let k = self.params.k();
        if total == 1 {
            return Err(Error::Input(
                "n_samples=1 while HDBSCAN requires more than one sample".into(),
            ));
        }
        if k as u64 > total {
            return Err(Error::Input(format!(
                "min_samples ({k}) must be at most the number of samples in X ({total})"
            )));
        }
        let (rows_here, ids) = by_region(comm, &rows, width, (first, total))?;
        let local = LocalRows {
            rows: &rows_here,
            width,
            ids: &ids,
            total,
        };
        let started = std::time::Instant::now();
        let tree = LocalTree::build(&rows_here, width);
        let (near, cores) = match queue {
            Some(queue) => {
                gpu::core_distances(comm, queue, (&self.params, measure), (&rows_here, width), k)?
            }
            None => core_distances(comm, measure, &local, &tree, k)?,
        };
        let cored = started.elapsed().as_secs_f64();
        let found = spanning_tree(
            comm,
            (measure, self.params.alpha),
            &local,
            &tree,
            (&near, &cores),
        )?;
        let spanned = started.elapsed().as_secs_f64();
        let edges = single_linkage_order(&found, total as usize);
        let selection = Selection {
            min_cluster_size: self.params.min_cluster_size,
            method: self.params.cluster_selection_method,
            allow_single_cluster: self.params.allow_single_cluster,
            epsilon: self.params.cluster_selection_epsilon,
            max_cluster_size: self.params.max_cluster_size,
        };
        let (all_labels, all_probabilities) = labels(&edges, selection);
        tracing::debug!(
            core_distances_s = cored,
            spanning_tree_s = spanned - cored,
            labels_s = started.elapsed().as_secs_f64() - spanned,
            "hdbscan phases"
        );
        let n_clusters = all_labels
            .iter()
            .copied()
            .max()
            .map_or(0, |m| (m + 1).max(0)) as usize;
        let mine = first as usize..(first + count) as usize;
        let (finite_labels, finite_probabilities) =
            (&all_labels[mine.clone()], &all_probabilities[mine]);
        let mut next = 0;
        let (mut out_labels, mut out_probabilities) = (Vec::new(), Vec::new());
        for kind in &kinds {
            let (label, probability) = match kind {
                Kind::Finite => {
                    next += 1;
                    (finite_labels[next - 1], finite_probabilities[next - 1])
                }
                Kind::Infinite => (INFINITE, 0.0),
                Kind::Missing => (MISSING, f64::NAN),
            };
            out_labels.push(label);
            out_probabilities.push(probability);
        }
        let clustered = (&rows[..], width, finite_labels, finite_probabilities);
        let store = self.params.store_centers;
        let wants = |c: StoreCenters| store == Some(c) || store == Some(StoreCenters::Both);
        let centroids = if wants(StoreCenters::Centroid) {
            Some(centroids(comm, clustered, n_clusters)?)
        } else {
            None
        };
        let medoids = if wants(StoreCenters::Medoid) {
            Some(medoids(comm, measure, clustered, (first, n_clusters))?)
        } else {
            None
        };
        Ok(FittedHdbscan {
            labels: Array1::from(out_labels),
            probabilities: Array1::from(out_probabilities),
            n_clusters,
            n_samples: shape.rows,
            n_features_in: width,
            centroids,
            medoids,
        })
    }
}

/// The rows this rank searches for, with their global indices: with several ranks, the rows of
/// its region of space (every row moves to the rank of its region, one alltoallv), so most of a
/// row's neighbours are on its rank and the other ranks' trees are passed over at their root;
/// with one, its own (not copied). The labels do not depend on which rank holds a row.
fn by_region<'a>(
    comm: &Comm,
    rows: &'a [f64],
    width: usize,
    (first, total): (u64, u64),
) -> Result<(Cow<'a, [f64]>, Vec<u64>)> {
    let count = rows.len() / width.max(1);
    if comm.size() == 1 || width == 0 {
        return Ok((Cow::Borrowed(rows), (first..first + count as u64).collect()));
    }
    let (regions, _) = sampled_regions(comm, (rows, width), (first, total))?;
    let mut parts = vec![Vec::new(); comm.size()];
    for (i, row) in rows.chunks_exact(width).enumerate() {
        let part = &mut parts[regions.owner(row)];
        part.extend_from_slice(row);
        part.push((first + i as u64) as f64);
    }
    let counts: Vec<usize> = parts.iter().map(Vec::len).collect();
    let (got, _) = comm.alltoallv(&parts.concat(), &counts)?;
    let here: Vec<f64> = got
        .chunks_exact(width + 1)
        .flat_map(|row| row[..width].iter().copied())
        .collect();
    let ids = got
        .chunks_exact(width + 1)
        .map(|row| row[width] as u64)
        .collect();
    Ok((Cow::Owned(here), ids))
}

/// What scikit-learn makes of a row: finite, infinite (its sum is infinite) or missing (its
/// sum is NaN). Only where some rank holds a value that is not finite are rows set aside, as
/// scikit-learn sets them aside only where `X` holds one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Finite,
    Infinite,
    Missing,
}

fn row_kinds<F: Float>(comm: &Comm, x: ArrayView2<'_, F>) -> Result<Vec<Kind>> {
    let any = x.iter().any(|v| !v.as_f64().is_finite());
    let any = comm.allreduce_scalar(u64::from(any), ReduceOp::Max)? > 0;
    Ok(x.rows()
        .into_iter()
        .map(|row| {
            if !any {
                return Kind::Finite;
            }
            let sum: f64 = row.iter().map(|v| v.as_f64()).sum();
            if sum.is_nan() {
                Kind::Missing
            } else if sum.is_infinite() {
                Kind::Infinite
            } else {
                Kind::Finite
            }
        })
        .collect())
}

/// The spanning tree's edges in the order scikit-learn's Prim's algorithm from row 0 adds them
/// (each from the end already in the tree; the next edge is the cheapest leaving the tree, ties
/// to the row of lower index), then stably sorted by weight: where the tree is unique, Prim's
/// algorithm over the whole graph adds exactly these edges in this order.
fn single_linkage_order(found: &[Candidate], n: usize) -> Vec<Edge> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let mut start = vec![0usize; n + 1];
    for e in found {
        start[e.low as usize + 1] += 1;
        start[e.high as usize + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut adjacent = vec![(0usize, 0.0f64); 2 * found.len()];
    for e in found {
        let (a, b) = (e.low as usize, e.high as usize);
        adjacent[fill[a]] = (b, e.weight);
        fill[a] += 1;
        adjacent[fill[b]] = (a, e.weight);
        fill[b] += 1;
    }
    let mut in_tree = vec![false; n];
    let mut edges = Vec::with_capacity(found.len());
    // (weight's bits, row, from): weights are never negative, so their bits order as they do.
    let mut leaving = BinaryHeap::new();
    let add = |node: usize, in_tree: &mut Vec<bool>, leaving: &mut BinaryHeap<_>| {
        in_tree[node] = true;
        for &(next, weight) in &adjacent[start[node]..start[node + 1]] {
            if !in_tree[next] {
                leaving.push(Reverse((f64::to_bits(weight), next, node)));
            }
        }
    };
    if n > 0 {
        add(0, &mut in_tree, &mut leaving);
    }
    while let Some(Reverse((bits, node, from))) = leaving.pop() {
        if in_tree[node] {
            continue;
        }
        edges.push(Edge {
            parent: from,
            child: node,
            distance: f64::from_bits(bits),
        });
        add(node, &mut in_tree, &mut leaving);
    }
    edges.sort_by(|a, b| a.distance.total_cmp(&b.distance));
    edges
}
