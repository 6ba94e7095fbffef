//! The trees of a batch as they grow, and their open nodes: what the collective rounds and the
//! one-process growth of small nodes share.

use super::sample::TreeSample;
use super::split::Rules;
use super::subtree::{RawNode, TreeRows};

/// A tree of the batch as it grows.
pub(crate) struct Growing {
    pub tree: usize,
    pub sample: TreeSample,
    pub rules: Rules,
    pub nodes: Vec<RawNode>,
}

impl Growing {
    pub fn rows(&self) -> TreeRows<'_> {
        TreeRows {
            tree: self.tree,
            terms: &self.sample.terms,
            scale: &self.sample.scale,
            rules: &self.rules,
        }
    }
}

/// An open node: tree (in the batch), node, its rows `start..end` of the tree's sample, and the
/// window of drawn features to try next.
#[derive(Debug, Clone)]
pub(crate) struct Open {
    pub tree: usize,
    pub node: usize,
    pub start: usize,
    pub end: usize,
    pub window: usize,
}
