//! From the minimum spanning tree to labels and probabilities, as scikit-learn's
//! `sklearn/cluster/_hdbscan/_linkage.pyx` (`make_single_linkage`) and `_tree.pyx`
//! (`tree_to_labels`) compute them: the single-linkage tree, its condensed tree, the clusters'
//! stabilities, the selection (excess of mass or leaves, with `cluster_selection_epsilon` and
//! `max_cluster_size`), each row's label and its probability. Every rank runs it on the same
//! n - 1 edges, so every rank gets every row's label; memory O(n).
//!
//! Where scikit-learn's code has an order (the condensed tree's rows, breadth first with the
//! left child first, which numbers the clusters; the last run of a cluster's rows that gives
//! its death), this follows it, so labels are numbered as scikit-learn numbers them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::params::SelectionMethod;

/// An edge of the minimum spanning tree: from `parent` (the end nearer row 0) to `child`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Edge {
    pub parent: usize,
    pub child: usize,
    pub distance: f64,
}

/// A merge of the single-linkage tree (scikit-learn's `HIERARCHY_dtype`).
#[derive(Debug, Clone, Copy)]
struct Merge {
    left: usize,
    right: usize,
    value: f64,
    size: usize,
}

/// A row of the condensed tree (scikit-learn's `CONDENSED_dtype`).
#[derive(Debug, Clone, Copy)]
struct Condensed {
    parent: usize,
    child: usize,
    value: f64,
    size: usize,
}

/// The selection's settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Selection {
    pub min_cluster_size: usize,
    pub method: SelectionMethod,
    pub allow_single_cluster: bool,
    pub epsilon: f64,
    pub max_cluster_size: Option<usize>,
}

/// Each of the `n` rows' label (-1 for noise) and probability, from the minimum spanning tree's
/// `n - 1` edges sorted by distance (ties in the order given).
pub(crate) fn labels(edges: &[Edge], selection: Selection) -> (Vec<i64>, Vec<f64>) {
    let n = edges.len() + 1;
    if n == 1 {
        return (vec![-1], vec![0.0]);
    }
    let hierarchy = single_linkage(edges);
    let condensed = condense(&hierarchy, selection.min_cluster_size);
    let stability = stability(&condensed);
    clusters(&condensed, stability, selection, n)
}

/// scikit-learn's `make_single_linkage`, with its `UnionFind`.
fn single_linkage(edges: &[Edge]) -> Vec<Merge> {
    let n = edges.len() + 1;
    let mut parent = vec![usize::MAX; 2 * n - 1];
    let mut size: Vec<usize> = (0..2 * n - 1).map(|i| usize::from(i < n)).collect();
    let mut next_label = n;
    let fast_find = |parent: &mut Vec<usize>, mut node: usize| {
        let mut p = node;
        while parent[node] != usize::MAX {
            node = parent[node];
        }
        while p != node && parent[p] != node {
            let up = parent[p];
            parent[p] = node;
            p = up;
        }
        node
    };
    edges
        .iter()
        .map(|edge| {
            let left = fast_find(&mut parent, edge.parent);
            let right = fast_find(&mut parent, edge.child);
            let merged = size[left] + size[right];
            parent[left] = next_label;
            parent[right] = next_label;
            size[next_label] = merged;
            next_label += 1;
            Merge {
                left,
                right,
                value: edge.distance,
                size: merged,
            }
        })
        .collect()
}

/// scikit-learn's `bfs_from_hierarchy`: the nodes under `root`, breadth first, left first.
fn bfs_hierarchy(hierarchy: &[Merge], root: usize) -> Vec<usize> {
    let n = hierarchy.len() + 1;
    let mut result = Vec::new();
    let mut queue = vec![root];
    while !queue.is_empty() {
        result.extend_from_slice(&queue);
        queue = queue
            .iter()
            .filter(|&&x| x >= n)
            .flat_map(|&x| {
                let merge = &hierarchy[x - n];
                [merge.left, merge.right]
            })
            .collect();
    }
    result
}

/// scikit-learn's `_condense_tree`.
fn condense(hierarchy: &[Merge], min_cluster_size: usize) -> Vec<Condensed> {
    let root = 2 * hierarchy.len();
    let n = hierarchy.len() + 1;
    let mut next_label = n + 1;
    let nodes = bfs_hierarchy(hierarchy, root);
    let mut relabel = vec![0usize; root + 1];
    relabel[root] = n;
    let mut ignore = vec![false; root + 1];
    let mut result = Vec::new();
    let size_of = |node: usize| {
        if node >= n {
            hierarchy[node - n].size
        } else {
            1
        }
    };
    for node in nodes {
        if ignore[node] || node < n {
            continue;
        }
        let merge = hierarchy[node - n];
        let lambda = if merge.value > 0.0 {
            1.0 / merge.value
        } else {
            f64::INFINITY
        };
        let (left, right) = (merge.left, merge.right);
        let (left_count, right_count) = (size_of(left), size_of(right));
        let label = relabel[node];
        let fall_out = |sub: usize, result: &mut Vec<Condensed>, ignore: &mut Vec<bool>| {
            for sub_node in bfs_hierarchy(hierarchy, sub) {
                if sub_node < n {
                    result.push(Condensed {
                        parent: label,
                        child: sub_node,
                        value: lambda,
                        size: 1,
                    });
                }
                ignore[sub_node] = true;
            }
        };
        let big = |count: usize| count >= min_cluster_size;
        match (big(left_count), big(right_count)) {
            (true, true) => {
                for (child, count) in [(left, left_count), (right, right_count)] {
                    relabel[child] = next_label;
                    next_label += 1;
                    result.push(Condensed {
                        parent: label,
                        child: relabel[child],
                        value: lambda,
                        size: count,
                    });
                }
            }
            (false, false) => {
                fall_out(left, &mut result, &mut ignore);
                fall_out(right, &mut result, &mut ignore);
            }
            (false, true) => {
                relabel[right] = label;
                fall_out(left, &mut result, &mut ignore);
            }
            (true, false) => {
                relabel[left] = label;
                fall_out(right, &mut result, &mut ignore);
            }
        }
    }
    result
}

/// scikit-learn's `_compute_stability`: each cluster's stability, by cluster id.
fn stability(condensed: &[Condensed]) -> BTreeMap<usize, f64> {
    let smallest = condensed.iter().map(|c| c.parent).min().unwrap_or(0);
    let largest_parent = condensed.iter().map(|c| c.parent).max().unwrap_or(0);
    let largest_child = condensed
        .iter()
        .map(|c| c.child)
        .max()
        .unwrap_or(0)
        .max(smallest);
    let mut births = vec![f64::NAN; largest_child + 1];
    for c in condensed {
        births[c.child] = c.value;
    }
    births[smallest] = 0.0;
    let mut result = vec![0.0; largest_parent - smallest + 1];
    for c in condensed {
        result[c.parent - smallest] += (c.value - births[c.parent]) * c.size as f64;
    }
    result
        .into_iter()
        .enumerate()
        .map(|(i, s)| (i + smallest, s))
        .collect()
}

/// scikit-learn's `bfs_from_cluster_tree`.
fn bfs_clusters(tree: &[Condensed], root: usize) -> Vec<usize> {
    let mut result = Vec::new();
    let mut queue = vec![root];
    while !queue.is_empty() {
        result.extend_from_slice(&queue);
        let current: BTreeSet<usize> = queue.iter().copied().collect();
        queue = tree
            .iter()
            .filter(|c| current.contains(&c.parent))
            .map(|c| c.child)
            .collect();
    }
    result
}

/// scikit-learn's `max_lambdas`: the largest lambda of each parent's last run of rows.
fn max_lambdas(condensed: &[Condensed]) -> Vec<f64> {
    let largest_parent = condensed.iter().map(|c| c.parent).max().unwrap_or(0);
    let mut deaths = vec![0.0; largest_parent + 1];
    let Some(first) = condensed.first() else {
        return deaths;
    };
    let (mut current, mut max_lambda) = (first.parent, first.value);
    for c in &condensed[1..] {
        if c.parent == current {
            max_lambda = py_max(max_lambda, c.value);
        } else {
            deaths[current] = max_lambda;
            current = c.parent;
            max_lambda = c.value;
        }
    }
    deaths[current] = max_lambda;
    deaths
}

/// Python's `max(a, b)`: `b` only where `b > a`.
fn py_max(a: f64, b: f64) -> f64 {
    if b > a {
        b
    } else {
        a
    }
}

/// scikit-learn's `recurse_leaf_dfs` from the cluster tree's root.
fn leaves(tree: &[Condensed]) -> Vec<usize> {
    let Some(root) = tree.iter().map(|c| c.parent).min() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        let children: Vec<usize> = tree
            .iter()
            .filter(|c| c.parent == node)
            .map(|c| c.child)
            .collect();
        if children.is_empty() {
            out.push(node);
        }
        stack.extend(children.into_iter().rev());
    }
    out
}

/// The lambda of the cluster tree's row whose child is `child`.
fn lambda_of(tree: &[Condensed], child: usize) -> Option<f64> {
    tree.iter().find(|c| c.child == child).map(|c| c.value)
}

/// scikit-learn's `traverse_upwards`.
fn traverse_upwards(tree: &[Condensed], epsilon: f64, leaf: usize, allow_single: bool) -> usize {
    let root = tree.iter().map(|c| c.parent).min().unwrap_or(leaf);
    let mut leaf = leaf;
    loop {
        let Some(parent) = tree.iter().find(|c| c.child == leaf).map(|c| c.parent) else {
            return leaf;
        };
        if parent == root {
            return if allow_single { parent } else { leaf };
        }
        let parent_eps = lambda_of(tree, parent).map_or(f64::INFINITY, |l| 1.0 / l);
        if parent_eps > epsilon {
            return parent;
        }
        leaf = parent;
    }
}

/// scikit-learn's `epsilon_search`, the leaves taken in ascending order.
fn epsilon_search(
    leaves: &BTreeSet<usize>,
    tree: &[Condensed],
    epsilon: f64,
    allow_single: bool,
) -> BTreeSet<usize> {
    let mut selected = BTreeSet::new();
    let mut processed = BTreeSet::new();
    for &leaf in leaves {
        let eps = lambda_of(tree, leaf).map_or(f64::INFINITY, |l| 1.0 / l);
        if eps < epsilon {
            if !processed.contains(&leaf) {
                let chosen = traverse_upwards(tree, epsilon, leaf, allow_single);
                selected.insert(chosen);
                for sub in bfs_clusters(tree, chosen) {
                    if sub != chosen {
                        processed.insert(sub);
                    }
                }
            }
        } else {
            selected.insert(leaf);
        }
    }
    selected
}

/// scikit-learn's `_get_clusters`, `_do_labelling` and `get_probabilities`.
fn clusters(
    condensed: &[Condensed],
    mut stability: BTreeMap<usize, f64>,
    selection: Selection,
    n: usize,
) -> (Vec<i64>, Vec<f64>) {
    let root = condensed.iter().map(|c| c.parent).min().unwrap_or(n);
    // Descending, the root last (dropped unless a single cluster is allowed).
    let mut node_list: Vec<usize> = stability.keys().rev().copied().collect();
    if !selection.allow_single_cluster {
        node_list.pop();
    }
    let tree: Vec<Condensed> = condensed.iter().filter(|c| c.size > 1).copied().collect();
    let mut is_cluster: BTreeMap<usize, bool> = node_list.iter().map(|&c| (c, true)).collect();
    let max_cluster_size = selection.max_cluster_size.unwrap_or(n + 1);
    let mut sizes: HashMap<usize, usize> = tree.iter().map(|c| (c.child, c.size)).collect();
    if selection.allow_single_cluster {
        if let Some(&last) = node_list.last() {
            let total = tree
                .iter()
                .filter(|c| c.parent == last)
                .map(|c| c.size)
                .sum();
            sizes.insert(last, total);
        }
    }
    let epsilon = selection.epsilon;
    let keep_only = |is_cluster: &mut BTreeMap<usize, bool>, chosen: &BTreeSet<usize>| {
        for (c, flag) in is_cluster.iter_mut() {
            *flag = chosen.contains(c);
        }
    };
    match selection.method {
        SelectionMethod::Eom => {
            for &node in &node_list {
                let subtree: f64 = tree
                    .iter()
                    .filter(|c| c.parent == node)
                    .map(|c| stability.get(&c.child).copied().unwrap_or(0.0))
                    .sum();
                let own = stability.get(&node).copied().unwrap_or(0.0);
                let size = sizes.get(&node).copied().unwrap_or(0);
                if subtree > own || size > max_cluster_size {
                    is_cluster.insert(node, false);
                    stability.insert(node, subtree);
                } else {
                    for sub in bfs_clusters(&tree, node) {
                        if sub != node {
                            is_cluster.insert(sub, false);
                        }
                    }
                }
            }
            if epsilon != 0.0 && !tree.is_empty() {
                let eom: BTreeSet<usize> = is_cluster
                    .iter()
                    .filter(|(_, &f)| f)
                    .map(|(&c, _)| c)
                    .collect();
                let tree_root = tree.iter().map(|c| c.parent).min();
                let chosen = if eom.len() == 1 && eom.first().copied() == tree_root {
                    if selection.allow_single_cluster {
                        eom
                    } else {
                        BTreeSet::new()
                    }
                } else {
                    epsilon_search(&eom, &tree, epsilon, selection.allow_single_cluster)
                };
                keep_only(&mut is_cluster, &chosen);
            }
        }
        SelectionMethod::Leaf => {
            let leaves: BTreeSet<usize> = leaves(&tree).into_iter().collect();
            if leaves.is_empty() {
                is_cluster.values_mut().for_each(|f| *f = false);
                is_cluster.insert(root, true);
            }
            let chosen = if epsilon != 0.0 {
                epsilon_search(&leaves, &tree, epsilon, selection.allow_single_cluster)
            } else {
                leaves
            };
            keep_only(&mut is_cluster, &chosen);
        }
    }
    let chosen: BTreeSet<usize> = is_cluster
        .iter()
        .filter(|(_, &f)| f)
        .map(|(&c, _)| c)
        .collect();
    let label_of: HashMap<usize, i64> = chosen
        .iter()
        .enumerate()
        .map(|(i, &c)| (c, i as i64))
        .collect();
    let labels = labelling(condensed, &chosen, &label_of, selection, root);
    let probabilities = probabilities(condensed, &chosen, &labels, root);
    (labels, probabilities)
}

/// scikit-learn's `_do_labelling`, with its `TreeUnionFind`.
fn labelling(
    condensed: &[Condensed],
    chosen: &BTreeSet<usize>,
    label_of: &HashMap<usize, i64>,
    selection: Selection,
    root: usize,
) -> Vec<i64> {
    let largest = condensed.iter().map(|c| c.parent).max().unwrap_or(root);
    let mut sets = TreeUnionFind::new(largest + 1);
    for c in condensed {
        if !chosen.contains(&c.child) {
            sets.union(c.parent, c.child);
        }
    }
    let mut point_lambda = vec![f64::NAN; root];
    for c in condensed.iter().filter(|c| c.child < root) {
        point_lambda[c.child] = c.value;
    }
    let root_max = condensed
        .iter()
        .filter(|c| c.parent == root)
        .map(|c| c.value)
        .fold(f64::NEG_INFINITY, f64::max);
    (0..root)
        .map(|row| {
            let cluster = sets.find(row);
            if cluster != root {
                return label_of.get(&cluster).copied().unwrap_or(-1);
            }
            if chosen.len() == 1 && selection.allow_single_cluster {
                let threshold = if selection.epsilon != 0.0 {
                    1.0 / selection.epsilon
                } else {
                    root_max
                };
                if point_lambda[row] >= threshold {
                    return label_of.get(&cluster).copied().unwrap_or(-1);
                }
            }
            -1
        })
        .collect()
}

/// scikit-learn's `get_probabilities`.
fn probabilities(
    condensed: &[Condensed],
    chosen: &BTreeSet<usize>,
    labels: &[i64],
    root: usize,
) -> Vec<f64> {
    let clusters: Vec<usize> = chosen.iter().copied().collect();
    let deaths = max_lambdas(condensed);
    let mut result = vec![0.0; labels.len()];
    for c in condensed {
        let point = c.child;
        if point >= root {
            continue;
        }
        let Ok(label) = usize::try_from(labels[point]) else {
            continue;
        };
        let max_lambda = deaths[clusters[label]];
        result[point] = if max_lambda == 0.0 || c.value.is_infinite() {
            1.0
        } else {
            c.value.min(max_lambda) / max_lambda
        };
    }
    result
}

/// scikit-learn's `TreeUnionFind`: union by rank, ties to the first argument.
struct TreeUnionFind {
    parent: Vec<usize>,
    rank: Vec<usize>,
}

impl TreeUnionFind {
    fn new(size: usize) -> Self {
        Self {
            parent: (0..size).collect(),
            rank: vec![0; size],
        }
    }

    fn union(&mut self, x: usize, y: usize) {
        let (x, y) = (self.find(x), self.find(y));
        match self.rank[x].cmp(&self.rank[y]) {
            std::cmp::Ordering::Less => self.parent[x] = y,
            std::cmp::Ordering::Greater => self.parent[y] = x,
            std::cmp::Ordering::Equal => {
                self.parent[y] = x;
                self.rank[x] += 1;
            }
        }
    }

    fn find(&mut self, x: usize) -> usize {
        let mut root = x;
        while self.parent[root] != root {
            root = self.parent[root];
        }
        let mut node = x;
        while self.parent[node] != root {
            let up = self.parent[node];
            self.parent[node] = root;
            node = up;
        }
        root
    }
}
