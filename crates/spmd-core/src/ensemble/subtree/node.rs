//! The nodes of a tree as it grows, and the rows they are grown from.

use super::super::bins::Binned;
use super::super::split::{Rules, Scale, Split};
use crate::random::mix;

/// A node as it is grown: its key (which names its random feature draw), depth, integer
/// statistics and, when split, the feature, the bin and its two children.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawNode {
    pub key: u64,
    pub depth: usize,
    pub stats: Vec<i64>,
    /// `(feature, bin)`: rows whose code is at most `bin` go left.
    pub split: Option<(usize, usize)>,
    /// Indices of the children in the tree's node list (when split).
    pub children: [usize; 2],
}

impl RawNode {
    /// An unsplit node.
    pub fn new(key: u64, depth: usize, stats: Vec<i64>) -> Self {
        Self {
            key,
            depth,
            stats,
            split: None,
            children: [0, 0],
        }
    }

    /// The key of child `side` (0 left, 1 right).
    pub fn child_key(&self, side: u64) -> u64 {
        mix(self.key.wrapping_mul(2).wrapping_add(side + 1))
    }
}

/// Splits `nodes[index]` by `split`: its two children appended (left first, the right's
/// statistics the node's less the left's). Returns the left child's index.
pub(crate) fn split_node(nodes: &mut Vec<RawNode>, index: usize, split: Split) -> usize {
    let node = &nodes[index];
    let right: Vec<i64> = node
        .stats
        .iter()
        .zip(&split.left)
        .map(|(t, l)| t - l)
        .collect();
    let (depth, keys) = (node.depth + 1, [node.child_key(0), node.child_key(1)]);
    let first = nodes.len();
    nodes[index].split = Some((split.feature, split.bin));
    nodes[index].children = [first, first + 1];
    nodes.push(RawNode::new(keys[0], depth, split.left));
    nodes.push(RawNode::new(keys[1], depth, right));
    first
}

/// The key of tree `tree`'s root.
pub(crate) fn root_key(tree: usize) -> u64 {
    mix(tree as u64 + 1)
}

/// The rows trees grow from: codes and, for a classifier, class indices.
pub(crate) struct Data<'a, C> {
    pub binned: &'a Binned<C>,
    pub classes: &'a [u32],
}

/// One tree's per-row terms, scale and rules.
#[derive(Clone, Copy)]
pub(crate) struct TreeRows<'a> {
    pub tree: usize,
    pub terms: &'a [i64],
    pub scale: &'a Scale,
    pub rules: &'a Rules,
}
