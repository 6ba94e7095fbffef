//! Growing a node's subtree depth first, on the rows one process holds.

use super::super::bins::Code;
use super::super::split::{Outcome, Search, Task};
use super::feature_bins::Scratch;
use super::node::{split_node, Data, RawNode, TreeRows};
use super::row_order::{Presorted, RowOrder, Unsorted};
use crate::random::{below, mix};

/// What stays fixed while a forest grows.
pub(crate) struct Grower<'a> {
    pub task: Task,
    /// Bins of each feature.
    pub bins: &'a [usize],
    pub max_features: usize,
    pub seed: u64,
}

impl Grower<'_> {
    /// Window `window` of the features node `key` of tree `tree` draws (ascending), or `None`
    /// when every feature has been offered.
    pub fn features(&self, tree: usize, key: u64, window: usize) -> Option<Vec<usize>> {
        let d = self.bins.len();
        let start = window * self.max_features;
        if start >= d {
            return None;
        }
        let end = (start + self.max_features).min(d);
        if self.max_features >= d {
            // Every feature, and the order is irrelevant: they are searched ascending.
            return Some((0..d).collect());
        }
        let mut order: Vec<usize> = (0..d).collect();
        let stream = mix(key ^ (tree as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        for i in 0..end {
            let j = i + below(self.seed, stream, i as u64, (d - i) as u64) as usize;
            order.swap(i, j);
        }
        let mut chosen = order[start..end].to_vec();
        chosen.sort_unstable();
        Some(chosen)
    }

    /// Grows `root`, whose rows are all of `data`'s (fewer than 65536), to the end; returns its
    /// nodes, `root` first, with children indexed within the list.
    pub fn grow_subtree<C: Code>(
        &self,
        data: &Data<'_, C>,
        tree: &TreeRows<'_>,
        root: RawNode,
        rows: usize,
    ) -> Vec<RawNode> {
        // Keeping every feature's rows sorted pays when most features are searched at each node.
        if self.max_features * 4 >= self.bins.len() {
            self.grow_with(data, tree, root, Presorted::new(data, self.bins, rows))
        } else {
            let order = Unsorted {
                rows: (0..rows as u32).collect(),
            };
            self.grow_with(data, tree, root, order)
        }
    }

    /// [`grow_subtree`](Self::grow_subtree), with the rows kept in `order`.
    pub(super) fn grow_with<C: Code>(
        &self,
        data: &Data<'_, C>,
        tree: &TreeRows<'_>,
        root: RawNode,
        mut order: impl RowOrder<C>,
    ) -> Vec<RawNode> {
        let task = self.task;
        let mut stack = vec![(0, 0, order.len())];
        let mut nodes = vec![root];
        let mut scratch = Scratch::default();
        while let Some((index, start, end)) = stack.pop() {
            let node = &nodes[index];
            let real = tree.scale.real(&node.stats);
            if tree.rules.stops(task, node.depth, &node.stats, &real) {
                continue;
            }
            let mut outcome = Outcome::Constant;
            let mut window = 0;
            while let (Outcome::Constant, Some(features)) =
                (&outcome, self.features(tree.tree, node.key, window))
            {
                let mut search = Search::new(
                    task,
                    (tree.rules, tree.scale),
                    &node.stats,
                    &mut scratch.search,
                );
                order.search_features(
                    data,
                    (&features, self.bins),
                    (start, end),
                    tree.terms,
                    (&mut search, &mut scratch.bins),
                );
                outcome = search.finish();
                window += 1;
            }
            let Outcome::Split(split) = outcome else {
                continue;
            };
            let left = order.split(data, (split.feature, split.bin), (start, end));
            debug_assert_eq!(left as i64, split.left[0]);
            let first = split_node(&mut nodes, index, split);
            stack.push((first + 1, start + left, end));
            stack.push((first, start, start + left));
        }
        nodes
    }
}
