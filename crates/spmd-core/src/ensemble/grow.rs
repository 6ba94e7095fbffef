//! Growing a batch of trees over all ranks.
//!
//! Round after round, every rank builds the histograms of its rows for the open nodes of many
//! rows and the features each draws, one allreduce sums them, and every rank picks the same
//! split of each node from the same integer sums. A node of few rows over all ranks is instead
//! grown to the end by one process (see [`super::exchange`]), which needs no more collectives
//! per level; the splits are the same either way, so the forest does not depend on where that
//! switch happens, nor on the number of ranks.
//!
//! With `max_leaf_nodes`, each tree grows best first: every round evaluates the newest nodes
//! and splits, in each tree, the open node whose split decreases the impurity most.

use std::collections::HashMap;

use rayon::prelude::*;
use spmd_comm::{Comm, ReduceOp};

use super::bins::Code;
use super::exchange::grow_small_nodes;
use super::gpu::{Device, HistogramTask};
use super::nodes::{Growing, Open};
use super::sample::TreeSample;
use super::split::{Outcome, Rules, Search, SearchBuffers, Split};
use super::subtree::{dense_histogram, partition, root_key, split_node, Data, Grower, RawNode};
use crate::distributed::agree;
use crate::Result;

/// How the batch grows.
pub(crate) struct Plan {
    /// Nodes of at most this many rows (over all ranks) are grown by one process.
    pub small_rows: u64,
    /// Best first, to at most this many leaves per tree.
    pub max_leaf_nodes: Option<usize>,
}

/// Grows the trees of `samples` (trees `first..`) with `rules_of(root weight)`. Collective.
pub(crate) fn grow_batch<C: Code>(
    comm: &Comm,
    grower: &Grower<'_>,
    data: &Data<'_, C>,
    (samples, first): (Vec<TreeSample>, usize),
    rules_of: impl Fn(f64) -> Rules,
    (plan, device): (&Plan, Option<&mut Device<'_>>),
) -> Result<Vec<Vec<RawNode>>> {
    let task = grower.task;
    let w = task.width();
    let device = match device {
        Some(device) => {
            let terms: Vec<i64> = samples
                .iter()
                .flat_map(|s| s.terms.iter().copied())
                .collect();
            device.set_terms(comm, &terms, task.row_width())?;
            Some(&*device)
        }
        None => None,
    };
    let mut roots = vec![0_i64; samples.len() * w];
    for (sample, root) in samples.iter().zip(roots.chunks_exact_mut(w)) {
        for &r in &sample.rows {
            task.add_row(root, r as usize, &sample.terms, data.classes);
        }
    }
    if comm.size() > 1 {
        comm.allreduce_in_place(&mut roots, ReduceOp::Sum)?;
    }
    let mut trees: Vec<Growing> = samples
        .into_iter()
        .zip(roots.chunks_exact(w))
        .enumerate()
        .map(|(i, (sample, root))| {
            let real = sample.scale.real(root);
            Growing {
                tree: first + i,
                rules: rules_of(task.weight(&real)),
                nodes: vec![RawNode::new(root_key(first + i), 0, root.to_vec())],
                sample,
            }
        })
        .collect();
    let mut open: Vec<Open> = trees
        .iter()
        .enumerate()
        .map(|(t, g)| Open {
            tree: t,
            node: 0,
            start: 0,
            end: g.sample.rows.len(),
            window: 0,
        })
        .collect();
    // Best first: evaluated nodes waiting to be split, and the splits made so far per tree.
    let mut frontier: Vec<(Open, Split)> = Vec::new();
    let mut splits_made = vec![0_usize; trees.len()];
    let mut family = Family::default();
    while !open.is_empty() || !frontier.is_empty() {
        let mut small = Vec::new();
        let mut evaluate = Vec::new();
        for o in open.drain(..) {
            let g = &trees[o.tree];
            let node = &g.nodes[o.node];
            let real = g.sample.scale.real(&node.stats);
            if g.rules.stops(task, node.depth, &node.stats, &real) {
                continue;
            }
            if plan.max_leaf_nodes.is_none() && node.stats[0] as u64 <= plan.small_rows {
                small.push(o);
            } else {
                evaluate.push(o);
            }
        }
        let (outcomes, (hist, every)) =
            evaluate_nodes(comm, grower, data, &trees, (&evaluate, device), &family)?;
        let mut to_split = Vec::new();
        let mut parents = HashMap::new();
        for ((o, outcome), range) in evaluate.into_iter().zip(outcomes).zip(every) {
            // A split node's histograms serve its children's next round.
            if let (Outcome::Split(_), Some(range), None) = (&outcome, range, plan.max_leaf_nodes) {
                parents.insert((o.tree, o.node), hist[range].to_vec());
            }
            match outcome {
                Outcome::Split(split) if plan.max_leaf_nodes.is_some() => frontier.push((o, split)),
                Outcome::Split(split) => to_split.push((o, split)),
                Outcome::Constant => open.push(Open {
                    window: o.window + 1,
                    ..o
                }),
                Outcome::Leaf => {}
            }
        }
        if let Some(leaves) = plan.max_leaf_nodes {
            to_split.extend(best_of_each_tree(
                &mut frontier,
                &mut splits_made,
                leaves,
                &trees,
            ));
        }
        let split: Vec<(usize, usize)> = to_split.iter().map(|(o, _)| (o.tree, o.node)).collect();
        open.extend(split_nodes(data, &mut trees, to_split));
        family.siblings.clear();
        for (t, node) in split {
            let [left, right] = trees[t].nodes[node].children;
            family.siblings.insert((t, left), (node, right));
            family.siblings.insert((t, right), (node, left));
        }
        family.parents = parents;
        grow_small_nodes(comm, grower, data, &mut trees, small)?;
    }
    Ok(trees.into_iter().map(|g| g.nodes).collect())
}

/// Takes from `frontier`, for each tree that may still split, its node of the largest impurity
/// decrease (the first on ties); drops the frontier of trees that may not.
fn best_of_each_tree(
    frontier: &mut Vec<(Open, Split)>,
    splits_made: &mut [usize],
    leaves: usize,
    trees: &[Growing],
) -> Vec<(Open, Split)> {
    frontier.retain(|(o, _)| splits_made[o.tree] + 1 < leaves);
    let mut chosen = Vec::new();
    for (t, made) in splits_made.iter_mut().enumerate().take(trees.len()) {
        let best = frontier
            .iter()
            .enumerate()
            .filter(|(_, (o, _))| o.tree == t)
            .fold(None::<(usize, f64)>, |best, (i, (_, s))| match best {
                Some((_, d)) if d >= s.decrease => best,
                _ => Some((i, s.decrease)),
            });
        if let Some((i, _)) = best {
            chosen.push(frontier.swap_remove(i));
            *made += 1;
        }
    }
    chosen.sort_by_key(|(o, _)| (o.tree, o.node));
    chosen
}

/// Histograms kept from one round for the next: each split node's histograms of every feature
/// (when every node draws every feature), and each child's parent and sibling.
#[derive(Default)]
pub(crate) struct Family {
    /// `(tree, node)` to its histograms over all ranks.
    parents: HashMap<(usize, usize), Vec<i64>>,
    /// `(tree, child)` to `(parent, sibling)`.
    siblings: HashMap<(usize, usize), (usize, usize)>,
}

/// A node's histograms, one feature after another in one buffer.
type Histograms = Vec<i64>;

/// A round's histograms: the buffer of every node's, and where the histograms of each node that
/// drew every feature lie in it.
type RoundHistograms = (Histograms, Vec<Option<std::ops::Range<usize>>>);

/// The histograms of `nodes` over all ranks and each node's best split, with the buffer of
/// every histogram and, for each node that drew every feature, where its histograms lie. Of two siblings whose parent's histograms are kept,
/// only the one with fewer rows is built: the other's are the parent's less its sibling's,
/// exactly (integers). Collective.
fn evaluate_nodes<C: Code>(
    comm: &Comm,
    grower: &Grower<'_>,
    data: &Data<'_, C>,
    trees: &[Growing],
    (nodes, device): (&[Open], Option<&Device<'_>>),
    family: &Family,
) -> Result<(Vec<Outcome>, RoundHistograms)> {
    let w = grower.task.width();
    let every_feature = grower.max_features >= grower.bins.len();
    let index: HashMap<(usize, usize), usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, o)| ((o.tree, o.node), i))
        .collect();
    // For each node built from its parent: (the parent's histograms, the sibling's index).
    let derived: Vec<Option<(&Histograms, usize)>> = nodes
        .iter()
        .map(|o| {
            if !every_feature || o.window != 0 {
                return None;
            }
            let &(parent, sibling) = family.siblings.get(&(o.tree, o.node))?;
            let parent = family.parents.get(&(o.tree, parent))?;
            let &j = index.get(&(o.tree, sibling))?;
            let n = |node: usize| trees[o.tree].nodes[node].stats[0];
            let larger = (n(o.node), o.node) > (n(sibling), sibling);
            (larger && nodes[j].window == 0).then_some((parent, j))
        })
        .collect();
    // (node, feature) of each histogram built, one after another in one buffer.
    let mut layout = Vec::new();
    let mut features = Vec::with_capacity(nodes.len());
    let mut starts = Vec::with_capacity(nodes.len() + 1);
    let mut total = 0;
    for (i, o) in nodes.iter().enumerate() {
        starts.push(total);
        let key = trees[o.tree].nodes[o.node].key;
        let drawn = grower
            .features(trees[o.tree].tree, key, o.window)
            .unwrap_or_default();
        for &f in &drawn {
            if derived[i].is_none() {
                layout.push((i, f));
            }
            total += grower.bins[f] * w;
        }
        features.push(drawn);
    }
    starts.push(total);
    let mut hist = vec![0_i64; total];
    let built = match device {
        Some(device) => device_histograms(
            (device, grower.bins),
            trees,
            nodes,
            (&layout, &starts),
            w,
            &mut hist,
        ),
        None => {
            cpu_histograms(grower, data, trees, (nodes, &starts), &layout, &mut hist);
            Ok(())
        }
    };
    if comm.size() > 1 {
        agree(comm, built)?;
    } else {
        built?;
    }
    if comm.size() > 1 {
        comm.allreduce_in_place(&mut hist, ReduceOp::Sum)?;
    }
    for (i, d) in derived.iter().enumerate() {
        if let Some((parent, j)) = d {
            let (mine, sibling) = (starts[i]..starts[i + 1], starts[*j]..starts[j + 1]);
            let sibling: Vec<i64> = hist[sibling].to_vec();
            for ((h, p), s) in hist[mine].iter_mut().zip(parent.iter()).zip(&sibling) {
                *h = p - s;
            }
        }
    }
    let outcomes = nodes
        .par_iter()
        .zip(&features)
        .zip(&starts)
        .map(|((o, drawn), &start)| {
            let g = &trees[o.tree];
            if drawn.is_empty() {
                return Outcome::Leaf;
            }
            let stats = &g.nodes[o.node].stats;
            let mut buffers = SearchBuffers::default();
            let mut search = Search::new(
                grower.task,
                (&g.rules, &g.sample.scale),
                stats,
                &mut buffers,
            );
            let (mut bins, mut compacted) = (Vec::new(), Vec::new());
            let mut at = start;
            for &f in drawn {
                let len = grower.bins[f] * w;
                super::split::compact(&hist[at..at + len], w, &mut bins, &mut compacted);
                search.feature(f, &bins, &compacted);
                at += len;
            }
            search.finish()
        })
        .collect();
    let every = nodes
        .iter()
        .enumerate()
        .map(|(i, o)| (every_feature && o.window == 0).then(|| starts[i]..starts[i + 1]))
        .collect();
    Ok((outcomes, (hist, every)))
}

/// The histograms of `layout` ((node, feature) pairs, in buffer order; `starts`: each node's
/// first statistic) on this rank's CPU.
fn cpu_histograms<C: Code>(
    grower: &Grower<'_>,
    data: &Data<'_, C>,
    trees: &[Growing],
    (nodes, starts): (&[Open], &[usize]),
    layout: &[(usize, usize)],
    hist: &mut [i64],
) {
    let w = grower.task.width();
    let mut slices = Vec::with_capacity(layout.len());
    let mut rest = hist;
    let mut position = 0;
    let mut previous = usize::MAX;
    for &(i, f) in layout {
        if i != previous {
            // Skip to the node's histograms (past those derived from a parent).
            let (_, tail) = rest.split_at_mut(starts[i] - position);
            rest = tail;
            position = starts[i];
            previous = i;
        }
        let (mine, tail) = rest.split_at_mut(grower.bins[f] * w);
        slices.push((i, f, mine));
        rest = tail;
        position += grower.bins[f] * w;
    }
    slices.into_par_iter().for_each(|(i, f, out)| {
        let o = &nodes[i];
        let g = &trees[o.tree];
        dense_histogram(
            grower.task,
            data.binned.column(f),
            &g.sample.rows[o.start..o.end],
            (&g.sample.terms, data.classes),
            out,
        );
    });
}

/// The histograms of `layout` on this rank's GPU (`feature_bins`: each feature's bins; `starts`:
/// each node's first statistic).
fn device_histograms(
    (device, feature_bins): (&Device<'_>, &[usize]),
    trees: &[Growing],
    nodes: &[Open],
    (layout, starts): (&[(usize, usize)], &[usize]),
    width: usize,
    hist: &mut [i64],
) -> Result<()> {
    let mut node_rows = Vec::new();
    let mut first_row = Vec::with_capacity(nodes.len());
    for o in nodes {
        first_row.push(node_rows.len() as u32);
        node_rows.extend_from_slice(&trees[o.tree].sample.rows[o.start..o.end]);
    }
    let mut tasks = Vec::with_capacity(layout.len());
    let mut at = 0;
    let mut previous = usize::MAX;
    for &(i, f) in layout {
        if i != previous {
            at = starts[i];
            previous = i;
        }
        let o = &nodes[i];
        let bins = feature_bins[f];
        tasks.push(HistogramTask {
            rows_start: first_row[i],
            rows_len: (o.end - o.start) as u32,
            feature: f as u32,
            bins: bins as u32,
            out: at as u64,
            tree: o.tree as u32,
        });
        at += bins * width;
    }
    device.histograms(&node_rows, &tasks, width, hist)
}

/// Splits each node of `splits`: children appended to its tree, its rows partitioned. Returns
/// the children, open.
fn split_nodes<C: Code>(
    data: &Data<'_, C>,
    trees: &mut [Growing],
    splits: Vec<(Open, Split)>,
) -> Vec<Open> {
    let mut jobs: Vec<Vec<(Open, usize, usize, usize)>> = vec![Vec::new(); trees.len()];
    for (o, split) in splits {
        let (feature, bin) = (split.feature, split.bin);
        let first = split_node(&mut trees[o.tree].nodes, o.node, split);
        jobs[o.tree].push((o, feature, bin, first));
    }
    trees
        .par_iter_mut()
        .zip(jobs)
        .flat_map_iter(|(g, jobs)| {
            jobs.into_iter()
                .flat_map(|(o, feature, bin, first)| {
                    let column = data.binned.column(feature);
                    let rows = &mut g.sample.rows[o.start..o.end];
                    let left = o.start + partition(rows, |r| column[r as usize].index() <= bin);
                    [
                        Open {
                            node: first,
                            end: left,
                            window: 0,
                            ..o
                        },
                        Open {
                            node: first + 1,
                            start: left,
                            window: 0,
                            ..o
                        },
                    ]
                })
                .collect::<Vec<_>>()
        })
        .collect()
}
