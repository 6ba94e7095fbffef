//! A fitted tree as flat arrays, under the names of scikit-learn's `tree_` attributes.

use serde::{Deserialize, Serialize};

use super::bins::Edges;
use super::split::{Scale, Task};
use super::subtree::RawNode;

/// scikit-learn's `TREE_LEAF`: the child of a leaf.
const LEAF: i32 = -1;
/// scikit-learn's `TREE_UNDEFINED`: the feature and threshold of a leaf.
const UNDEFINED: i32 = -2;

/// One fitted tree, nodes in depth-first order (the root first, each left subtree before its
/// right one). Node `i` sends a row left when `x[feature[i]] <= threshold[i]`; a leaf has
/// children -1 and feature -2. In a model file each array is packed (see `packed.rs`): its
/// little-endian bytes in base64 with its numpy dtype.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    /// Left child of each node (-1 for leaves).
    #[serde(with = "super::packed")]
    pub children_left: Vec<i32>,
    /// Right child of each node (-1 for leaves).
    #[serde(with = "super::packed")]
    pub children_right: Vec<i32>,
    /// Feature each node splits on (-2 for leaves).
    #[serde(with = "super::packed")]
    pub feature: Vec<i32>,
    /// Threshold of each node (-2 for leaves).
    #[serde(with = "super::packed")]
    pub threshold: Vec<f64>,
    /// Value of each node, one row of `n_values` after another: class fractions (classifier)
    /// or the mean target (regressor).
    #[serde(with = "super::packed")]
    pub value: Vec<f64>,
    /// Impurity of each node.
    #[serde(with = "super::packed")]
    pub impurity: Vec<f64>,
    /// Distinct rows drawn into each node.
    #[serde(with = "super::packed")]
    pub n_node_samples: Vec<u64>,
    /// Weight of the rows of each node (bootstrap counts times sample and class weights).
    #[serde(with = "super::packed")]
    pub weighted_n_node_samples: Vec<f64>,
}

impl Tree {
    /// The tree of `raw` nodes (root first), thresholds from `edges`, and its impurity-based
    /// feature importances (normalised to sum 1 where any split reduced the impurity).
    pub(crate) fn from_raw(
        raw: &[RawNode],
        task: Task,
        scale: &Scale,
        edges: &Edges,
    ) -> (Self, Vec<f64>) {
        let mut order = Vec::with_capacity(raw.len());
        let mut stack = vec![0_usize];
        while let Some(i) = stack.pop() {
            order.push(i);
            if raw[i].split.is_some() {
                stack.push(raw[i].children[1]);
                stack.push(raw[i].children[0]);
            }
        }
        let mut position = vec![0_i32; raw.len()];
        for (p, &i) in order.iter().enumerate() {
            position[i] = p as i32;
        }
        let values = match task {
            Task::Classes { classes, .. } => classes,
            Task::Regression => 1,
        };
        let n = order.len();
        let mut tree = Tree {
            children_left: Vec::with_capacity(n),
            children_right: Vec::with_capacity(n),
            feature: Vec::with_capacity(n),
            threshold: Vec::with_capacity(n),
            value: Vec::with_capacity(n * values),
            impurity: Vec::with_capacity(n),
            n_node_samples: Vec::with_capacity(n),
            weighted_n_node_samples: Vec::with_capacity(n),
        };
        let mut importances = vec![0.0; edges.len()];
        let weighted_impurity = |node: &RawNode| {
            let real = scale.real(&node.stats);
            task.weight(&real) * task.impurity(&real)
        };
        for &i in &order {
            let node = &raw[i];
            let real = scale.real(&node.stats);
            let w = task.weight(&real);
            match node.split {
                Some((f, bin)) => {
                    let [l, r] = node.children;
                    tree.children_left.push(position[l]);
                    tree.children_right.push(position[r]);
                    tree.feature.push(f as i32);
                    tree.threshold.push(edges[f][bin]);
                    importances[f] += weighted_impurity(node)
                        - weighted_impurity(&raw[l])
                        - weighted_impurity(&raw[r]);
                }
                None => {
                    tree.children_left.push(LEAF);
                    tree.children_right.push(LEAF);
                    tree.feature.push(UNDEFINED);
                    tree.threshold.push(f64::from(UNDEFINED));
                }
            }
            match task {
                Task::Classes { .. } => {
                    tree.value
                        .extend(real[1..].iter().map(|c| if w > 0.0 { c / w } else { 0.0 }))
                }
                Task::Regression => tree.value.push(if w > 0.0 { real[2] / w } else { 0.0 }),
            }
            tree.impurity.push(task.impurity(&real));
            tree.n_node_samples.push(node.stats[0] as u64);
            tree.weighted_n_node_samples.push(w);
        }
        let root_weight = tree.weighted_n_node_samples.first().copied().unwrap_or(0.0);
        let total: f64 = importances.iter().sum();
        if root_weight > 0.0 && total > 0.0 {
            importances.iter_mut().for_each(|v| *v /= total);
        }
        (tree, importances)
    }

    /// The impurity-based importances of the `d` features (as [`Tree::from_raw`] gives them):
    /// each split's decrease of the weighted impurity, summed per feature and normalised.
    pub(crate) fn importances(&self, d: usize) -> Vec<f64> {
        let weighted = |i: i32| {
            let i = i as usize;
            self.weighted_n_node_samples[i] * self.impurity[i]
        };
        let mut importances = vec![0.0; d];
        for (i, &f) in self.feature.iter().enumerate() {
            if let (Ok(f), true) = (usize::try_from(f), self.children_left[i] != LEAF) {
                importances[f] += weighted(i as i32)
                    - weighted(self.children_left[i])
                    - weighted(self.children_right[i]);
            }
        }
        let root_weight = self.weighted_n_node_samples.first().copied().unwrap_or(0.0);
        let total: f64 = importances.iter().sum();
        if root_weight > 0.0 && total > 0.0 {
            importances.iter_mut().for_each(|v| *v /= total);
        }
        importances
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.feature.len()
    }

    /// The leaf row `x` falls in.
    #[inline]
    pub fn leaf(&self, x: impl Fn(usize) -> f64) -> usize {
        let mut node = 0;
        while self.children_left[node] != LEAF {
            let f = self.feature[node] as usize;
            node = if x(f) <= self.threshold[node] {
                self.children_left[node]
            } else {
                self.children_right[node]
            } as usize;
        }
        node
    }

    /// Errors unless the arrays fit together as a tree over `features` features with
    /// `values` values per node (for a model read from a file).
    pub(crate) fn check(&self, features: usize, values: usize) -> Result<(), String> {
        let n = self.feature.len();
        let lengths = [
            self.children_left.len(),
            self.children_right.len(),
            self.threshold.len(),
            self.impurity.len(),
            self.n_node_samples.len(),
            self.weighted_n_node_samples.len(),
        ];
        if n == 0 || lengths.iter().any(|&l| l != n) || self.value.len() != n * values {
            return Err(format!(
                "a tree's arrays must all hold one entry per node (and value {values} per node)"
            ));
        }
        for i in 0..n {
            let (l, r) = (self.children_left[i], self.children_right[i]);
            let leaf = l == LEAF && r == LEAF;
            // Children come after their parent, so every path ends.
            let inner =
                (l as usize) > i && (r as usize) > i && (l as usize) < n && (r as usize) < n;
            let feature = self.feature[i];
            if !(leaf || inner && feature >= 0 && (feature as usize) < features) {
                return Err(format!(
                    "node {i} of a tree has children ({l}, {r}) and feature {feature}"
                ));
            }
        }
        Ok(())
    }
}
