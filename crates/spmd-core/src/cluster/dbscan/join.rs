//! Joining DBSCAN's rows into clusters: this rank's components of core rows, then the clusters
//! over all ranks and each row's label.

use std::collections::HashSet;

use ndarray::Array1;
use spmd_comm::Comm;

use super::components::{Clusters, SharedUnionFind};
use super::gpu::OwnJoin;
use super::pairs::Finder;
use super::passes::{LocalRows, Own};
use crate::Result;

/// This rank's components: core rows joined through core rows within eps, each named by its
/// smallest global row; and for each row that is not core, the components of its core
/// neighbours among this rank's rows. Rows whose neighbours pass 1 did not all keep are
/// searched again.
pub(super) fn own_components(
    finder: &Finder,
    local: &LocalRows<'_>,
    own: Vec<Own>,
    core: &[bool],
) -> (Vec<u64>, Vec<HashSet<u64>>) {
    let n = local.len();
    let sets = SharedUnionFind::new(n);
    let mut border: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut again: Vec<usize> = Vec::new();
    for (i, own) in own.into_iter().enumerate() {
        if own.overflowed {
            again.push(i);
            continue;
        }
        let near = own.near.into_iter().filter(|&j| core[j as usize]);
        if core[i] {
            for j in near {
                sets.union(i, j as usize);
            }
        } else {
            border[i] = near.collect();
        }
    }
    for (i, near) in search_again(finder, local, &again, core, &sets) {
        border[i] = near;
    }
    let component: Vec<u64> = (0..n).map(|i| local.first + sets.find(i) as u64).collect();
    let touching = border
        .into_iter()
        .map(|near| near.into_iter().map(|j| component[j as usize]).collect())
        .collect();
    (component, touching)
}

/// The rows `again` searched on the CPU among this rank's rows: a core row is joined with
/// its core neighbours in `sets`; another row gets its core neighbours, returned with it.
fn search_again(
    finder: &Finder,
    local: &LocalRows<'_>,
    again: &[usize],
    core: &[bool],
    sets: &SharedUnionFind,
) -> Vec<(usize, Vec<u32>)> {
    if again.is_empty() {
        return Vec::new();
    }
    let (rows, width) = (local.rows, local.width);
    let rows_again: Vec<f64> = again
        .iter()
        .flat_map(|&i| rows[i * width..(i + 1) * width].iter().copied())
        .collect();
    let index = finder.index(rows, width);
    let mut states: Vec<(usize, Vec<u32>)> = again.iter().map(|&i| (i, Vec::new())).collect();
    finder.for_each_within(
        &rows_again,
        (rows, width),
        &index,
        &mut states,
        |(i, near), j| {
            if core[j] {
                if core[*i] {
                    sets.union(*i, j);
                } else {
                    near.push(j as u32);
                }
            }
        },
    );
    states
}

/// [`own_components`] from the device's join of this rank's rows (`joined`); rows whose device
/// records overflowed are searched on the CPU.
pub(super) fn own_components_on_device(
    finder: &Finder,
    local: &LocalRows<'_>,
    joined: OwnJoin,
    core: &[bool],
) -> (Vec<u64>, Vec<HashSet<u64>>) {
    let n = local.len();
    let sets = SharedUnionFind::new(n);
    for &(a, b) in &joined.unions {
        sets.union(a, b);
    }
    let border_again: Vec<usize> = (0..n)
        .filter(|&i| !core[i] && joined.border[i].is_none())
        .collect();
    let again: Vec<usize> = joined.again.iter().copied().chain(border_again).collect();
    let searched = search_again(finder, local, &again, core, &sets);
    let component: Vec<u64> = (0..n).map(|i| local.first + sets.find(i) as u64).collect();
    let mut touching: Vec<HashSet<u64>> = joined
        .border
        .into_iter()
        .enumerate()
        .map(|(i, near)| match near {
            Some(near) if !core[i] => near.into_iter().map(|j| component[j]).collect(),
            _ => HashSet::new(),
        })
        .collect();
    for (i, near) in searched {
        if !core[i] {
            touching[i] = near.into_iter().map(|j| component[j as usize]).collect();
        }
    }
    (component, touching)
}

/// The clusters over all ranks, from each rank's core components and the `edges` between them,
/// and each row's label: its component's cluster for a core row, else the lowest cluster it
/// touches, or -1 (noise). Also the number of clusters. Collective.
pub(super) fn labels(
    comm: &Comm,
    (core, component): (&[bool], &[u64]),
    touching: &[HashSet<u64>],
    edges: HashSet<(u64, u64)>,
) -> Result<(Array1<i64>, usize)> {
    let n = core.len();
    let mut components: Vec<u64> = (0..n).filter(|&i| core[i]).map(|i| component[i]).collect();
    components.sort_unstable();
    components.dedup();
    let mut edges: Vec<(u64, u64)> = edges.into_iter().collect();
    edges.sort_unstable();
    let clusters = Clusters::join(comm, &components, &edges)?;
    let labels = (0..n)
        .map(|i| {
            if core[i] {
                clusters.number(component[i])
            } else {
                touching[i]
                    .iter()
                    .map(|&c| clusters.number(c))
                    .min()
                    .unwrap_or(-1)
            }
        })
        .collect();
    Ok((labels, clusters.count))
}
