//! What both forests share: the fit over all ranks, the trees, prediction and the out-of-bag
//! estimate.

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use spmd_comm::Comm;

use super::bins::{global_edges, Binned, Code};
use spmd_gpu::Queue;

use super::gpu::{leaves_on_device, Device, ResidentTrees};
use super::grow::{grow_batch, Plan};
use super::params::{Resolved, SharedParams};
use super::sample::{tree_samples, Draw, Rows, TreeDraws};
use super::split::{Rules, Task};
use super::subtree::{Data, Grower};
use super::tree::Tree;
use crate::backend::Backend;
use crate::distributed::GlobalShape;
use crate::progress::Progress;
use crate::{Error, Float, Result};

/// Trees grown together: one round of collectives serves all of them.
const TREES_PER_BATCH: usize = 8;
/// Nodes of at most this many rows over all ranks are grown by one process.
pub(crate) const SMALL_NODE_ROWS: u64 = 4096;

/// The fitted trees of a forest and what they were fitted on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Forest {
    pub trees: Vec<Tree>,
    /// Values per node: classes, or 1.
    pub n_values: usize,
    pub n_features: usize,
    /// Impurity-based importances, normalised.
    pub feature_importances: Vec<f64>,
    /// The trees on the GPU of the last prediction (not in the model file).
    #[serde(skip)]
    pub resident: ResidentTrees,
}

/// How a forest is fitted, beyond the shared parameters.
pub(crate) struct ForestFit<'a> {
    pub shared: SharedParams<'a>,
    pub task: Task,
    /// Weight of each class index (empty: 1 each).
    pub class_weight: Vec<f64>,
    pub balanced_subsample: bool,
    /// Nodes of at most this many rows over all ranks are grown by one process
    /// ([`SMALL_NODE_ROWS`]; the forest is the same for any value).
    pub small_rows: u64,
    /// The rank whose terminal shows progress is rank 0 of this one (`None`: of `comm`).
    pub progress_rank: Option<usize>,
}

/// This rank's rows and targets, validated.
pub(crate) struct Local<'a, F> {
    pub x: ArrayView2<'a, F>,
    /// Class index of each row (classifier), or empty.
    pub classes: &'a [u32],
    /// Target of each row (regressor), or empty.
    pub targets: &'a [f64],
    /// `sample_weight`, or empty.
    pub sample_weight: &'a [f64],
}

/// A fitted forest and, when asked for, this rank's out-of-bag predictions (`n x n_values`).
pub(crate) struct Fit {
    pub forest: Forest,
    pub oob: Option<Array2<f64>>,
}

impl ForestFit<'_> {
    /// Fits on every rank's rows, the rounds' histograms on `queue`'s GPU where one is given.
    /// Collective.
    pub fn fit<F: Float>(
        &self,
        comm: &Comm,
        local: &Local<'_, F>,
        shape: &GlobalShape,
        queue: Option<&Queue>,
    ) -> Result<Fit> {
        if self.shared.local_trees_mode {
            return self.fit_local_trees(comm, local, shape, queue);
        }
        let resolved = self.shared.resolve(shape.rows, shape.columns[0])?;
        let seed = crate::random::agreed_seed(comm, self.shared.random_state)?;
        let edges = global_edges(
            comm,
            local.x,
            shape.row_offset,
            shape.rows,
            self.shared.max_bins,
        )?;
        let bins: Vec<usize> = edges.iter().map(|e| e.len() + 1).collect();
        let fitted = if bins.iter().all(|&b| b <= 256) {
            self.grow::<F, u8>(
                comm,
                (local, queue),
                shape,
                (&edges, &bins),
                (seed, &resolved),
            )?
        } else {
            self.grow::<F, u16>(
                comm,
                (local, queue),
                shape,
                (&edges, &bins),
                (seed, &resolved),
            )?
        };
        let oob = match self.shared.oob_score {
            true => Some(self.out_of_bag(local, shape, &fitted.trees, (seed, resolved.draw_rate))),
            false => None,
        };
        Ok(Fit {
            forest: fitted,
            oob,
        })
    }

    /// `local_trees_mode`: tree `t` of `n_estimators` is grown by the `t mod h`-th of the `h`
    /// ranks holding rows, from its rows alone (a forest fitted on one process, from a seed
    /// derived from the agreed one and that position); every rank then gathers the trees in
    /// that order. The importances are the mean over every tree that split, as in one forest.
    fn fit_local_trees<F: Float>(
        &self,
        comm: &Comm,
        local: &Local<'_, F>,
        shape: &GlobalShape,
        queue: Option<&Queue>,
    ) -> Result<Fit> {
        let seed = crate::random::agreed_seed(comm, self.shared.random_state)?;
        let rows = comm.allgather(&[local.x.nrows() as u64])?;
        let holders: Vec<usize> = (0..rows.len()).filter(|&r| rows[r] > 0).collect();
        let n_trees = self.shared.n_estimators;
        let position = holders.iter().position(|&r| r == comm.rank());
        let mine = position.map_or(0, |p| (n_trees + holders.len() - 1 - p) / holders.len());
        let grown = match position {
            Some(p) if mine > 0 => {
                let mut shared = self.shared;
                shared.n_estimators = mine;
                shared.random_state = Some(crate::random::derive(seed, p as u64));
                shared.local_trees_mode = false;
                let own = ForestFit {
                    shared,
                    task: self.task,
                    class_weight: self.class_weight.clone(),
                    balanced_subsample: self.balanced_subsample,
                    small_rows: self.small_rows,
                    progress_rank: Some(self.progress_rank.unwrap_or(comm.rank())),
                };
                let alone = Comm::single();
                let own_shape = GlobalShape {
                    rows: rows[comm.rank()],
                    row_offset: 0,
                    columns: shape.columns,
                };
                own.fit(&alone, local, &own_shape, queue)
                    .and_then(|fit| encode_trees(&fit.forest))
            }
            _ => Ok(Vec::new()),
        };
        let grown = crate::distributed::agree(comm, grown)?;
        let (all, sizes) = comm.allgatherv(&grown)?;
        let mut parts = Vec::with_capacity(holders.len());
        let mut start = 0;
        for &rank in &holders {
            let part = &all[start..start + sizes[rank]];
            start += sizes[rank];
            parts.push(decode_trees(part)?.into_iter());
        }
        let trees: Vec<Tree> = (0..n_trees)
            .filter_map(|t| parts[t % holders.len()].next())
            .collect();
        let d = shape.columns[0];
        let split = trees.iter().filter(|t| t.node_count() > 1);
        let importances: Vec<Vec<f64>> = split.map(|t| t.importances(d)).collect();
        Ok(Fit {
            forest: self.forest(trees, d, &importances),
            oob: None,
        })
    }

    /// The forest of `trees` over `d` features, its importances the normalised mean of those of
    /// the trees that split (`importances`, one list per tree).
    fn forest(&self, trees: Vec<Tree>, d: usize, importances: &[Vec<f64>]) -> Forest {
        let mut feature_importances = vec![0.0; d];
        for tree in importances {
            for (total, v) in feature_importances.iter_mut().zip(tree) {
                *total += v / importances.len() as f64;
            }
        }
        let sum: f64 = feature_importances.iter().sum();
        if sum > 0.0 {
            feature_importances.iter_mut().for_each(|v| *v /= sum);
        }
        Forest {
            trees,
            n_values: match self.task {
                Task::Classes { classes, .. } => classes,
                Task::Regression => 1,
            },
            n_features: d,
            feature_importances,
            resident: ResidentTrees::default(),
        }
    }

    /// Grows every tree on rows binned to codes `C`.
    fn grow<F: Float, C: Code>(
        &self,
        comm: &Comm,
        (local, queue): (&Local<'_, F>, Option<&Queue>),
        shape: &GlobalShape,
        (edges, bins): (&super::bins::Edges, &[usize]),
        (seed, resolved): (u64, &Resolved),
    ) -> Result<Forest> {
        let binned = Binned::<C>::new(local.x, edges);
        let codes = (binned.bytes(), std::mem::size_of::<C>(), local.x.nrows());
        let mut device = Device::upload(comm, queue, codes, local.classes)?;
        let data = Data {
            binned: &binned,
            classes: local.classes,
        };
        let grower = Grower {
            task: self.task,
            bins,
            max_features: resolved.max_features,
            seed,
        };
        let rows = Rows {
            task: self.task,
            classes: local.classes,
            targets: local.targets,
            sample_weight: local.sample_weight,
            row_offset: shape.row_offset,
            total_rows: shape.rows,
        };
        let draw = Draw {
            seed,
            bootstrap: self.shared.bootstrap,
            rate: resolved.draw_rate,
            class_weight: &self.class_weight,
            balanced_subsample: self.balanced_subsample,
        };
        let rules_of = |total_weight: f64| Rules {
            max_depth: resolved.max_depth,
            min_samples_split: resolved.min_samples_split,
            min_samples_leaf: resolved.min_samples_leaf,
            min_weight_leaf: self.shared.min_weight_fraction_leaf * total_weight,
            min_impurity_decrease: self.shared.min_impurity_decrease,
            total_weight,
        };
        let plan = Plan {
            small_rows: self.small_rows,
            max_leaf_nodes: self.shared.max_leaf_nodes,
        };
        let n_trees = self.shared.n_estimators;
        let mut progress =
            Progress::new(self.progress_rank.unwrap_or(comm.rank()), "trees", n_trees);
        let mut trees = Vec::with_capacity(n_trees);
        let mut importances = Vec::new();
        for first in (0..n_trees).step_by(TREES_PER_BATCH) {
            let batch = first..(first + TREES_PER_BATCH).min(n_trees);
            let samples = tree_samples(comm, &rows, &draw, batch.clone())?;
            let scales: Vec<_> = samples.iter().map(|s| s.scale.clone()).collect();
            let grown = grow_batch(
                comm,
                &grower,
                &data,
                (samples, first),
                rules_of,
                (&plan, device.as_mut()),
            )?;
            let converted: Vec<_> = grown
                .par_iter()
                .zip(&scales)
                .map(|(raw, scale)| Tree::from_raw(raw, self.task, scale, edges))
                .collect();
            for (tree, tree_importances) in converted {
                if tree.node_count() > 1 {
                    importances.push(tree_importances);
                }
                trees.push(tree);
            }
            progress.advance(batch.len());
            tracing::debug!(trees = trees.len(), "forest grown so far");
        }
        Ok(self.forest(trees, bins.len(), &importances))
    }

    /// Each local row's mean prediction over the trees that did not draw it (zeros where every
    /// tree did, as scikit-learn).
    fn out_of_bag<F: Float>(
        &self,
        local: &Local<'_, F>,
        shape: &GlobalShape,
        trees: &[Tree],
        (seed, rate): (u64, f64),
    ) -> Array2<f64> {
        let values = trees
            .first()
            .map_or(1, |t| t.value.len() / t.node_count().max(1));
        let draws: Vec<TreeDraws> = (0..trees.len())
            .map(|t| TreeDraws::new(seed, t, rate))
            .collect();
        let mut oob = Array2::zeros((local.x.nrows(), values));
        oob.axis_iter_mut(Axis(0))
            .into_par_iter()
            .zip(local.x.axis_iter(Axis(0)))
            .enumerate()
            .for_each(|(i, (mut out, row))| {
                let global = shape.row_offset + i as u64;
                let mut count = 0_u32;
                for (tree, draws) in trees.iter().zip(&draws) {
                    if draws.count(global) == 0 {
                        let leaf = tree.leaf(|f| row[f].as_f64());
                        for (o, v) in out.iter_mut().zip(&tree.value[leaf * values..]) {
                            *o += v;
                        }
                        count += 1;
                    }
                }
                let count = f64::from(count).max(f64::EPSILON);
                out.mapv_inplace(|v| v / count);
            });
        oob
    }
}

impl Forest {
    /// The mean over the trees of each row's leaf value, `n x n_values`, on `backend`: on its
    /// GPU the device finds the leaves (where its comparisons are exact: `f32` rows, or an
    /// adapter with f64) and the host sums their values as the CPU does, in tree order. Local.
    pub fn predict_values<F: Float>(
        &self,
        backend: &Backend<'_>,
        x: ArrayView2<'_, F>,
    ) -> Result<Array2<f64>> {
        crate::validate::check_features(self.n_features, x.ncols())?;
        let values = self.n_values;
        let scale = 1.0 / self.trees.len().max(1) as f64;
        let mut out = Array2::zeros((x.nrows(), values));
        if let Some(leaves) = leaves_on_device(backend, x, (&self.trees, &self.resident)) {
            let leaves = leaves?;
            let n_trees = self.trees.len();
            out.axis_iter_mut(Axis(0))
                .into_par_iter()
                .zip(leaves.par_chunks_exact(n_trees.max(1)))
                .for_each(|(mut o, leaves)| {
                    for (tree, &leaf) in self.trees.iter().zip(leaves) {
                        let leaf = leaf as usize;
                        for (o, v) in o.iter_mut().zip(&tree.value[leaf * values..]) {
                            *o += v;
                        }
                    }
                    o.mapv_inplace(|v| v * scale);
                });
            return Ok(out);
        }
        out.axis_chunks_iter_mut(Axis(0), 256)
            .into_par_iter()
            .zip(x.axis_chunks_iter(Axis(0), 256))
            .for_each(|(mut out, x)| {
                for tree in &self.trees {
                    for (mut o, row) in out.rows_mut().into_iter().zip(x.rows()) {
                        let leaf = tree.leaf(|f| row[f].as_f64());
                        for (o, v) in o.iter_mut().zip(&tree.value[leaf * values..]) {
                            *o += v;
                        }
                    }
                }
                out.mapv_inplace(|v| v * scale);
            });
        Ok(out)
    }

    /// Errors unless the trees fit together (for a model read from a file).
    pub fn check(&self) -> std::result::Result<(), String> {
        if self.trees.is_empty() {
            return Err("a forest needs at least one tree".into());
        }
        if self.feature_importances.len() != self.n_features {
            return Err(format!(
                "feature_importances_ must hold {} values, one per feature",
                self.n_features
            ));
        }
        self.trees
            .iter()
            .try_for_each(|t| t.check(self.n_features, self.n_values))
    }
}

/// An error for rows that are not finite, naming where.
pub(crate) fn check_local<F: Float>(x: ArrayView2<'_, F>, rank: usize) -> Result<()> {
    crate::validate::check_finite("X", x, rank)
}

/// The empty-fit error.
/// A rank's trees as the bytes another rank decodes with [`decode_trees`].
fn encode_trees(forest: &Forest) -> Result<Vec<u8>> {
    serde_json::to_vec(&forest.trees).map_err(|e| Error::Input(format!("encoding trees: {e}")))
}

fn decode_trees(bytes: &[u8]) -> Result<Vec<Tree>> {
    serde_json::from_slice(bytes).map_err(|e| Error::Input(format!("decoding trees: {e}")))
}

pub(crate) fn empty() -> Error {
    Error::Empty { what: "X" }
}

#[cfg(test)]
mod tests {
    use ndarray::Array2;

    use super::*;
    use crate::distributed::global_shape;
    use crate::ensemble::params::{
        ClassCriterion, RandomForestClassifierParams, RandomForestRegressorParams,
    };

    /// Grows the forest of `shared` and `task` on `local` with every node in rounds, none, and
    /// the default switch: the three must be the same trees.
    fn same_for_every_switch(shared: SharedParams<'_>, task: Task, local: &Local<'_, f64>) {
        let comm = Comm::single();
        let shape = global_shape(&comm, local.x.nrows(), [local.x.ncols(), 0], ["X", "y"])
            .unwrap_or_else(|e| panic!("{e}"));
        let fit = |small_rows| {
            let fit = ForestFit {
                shared,
                task,
                class_weight: Vec::new(),
                balanced_subsample: false,
                small_rows,
                progress_rank: None,
            };
            let fitted = fit.fit(&comm, local, &shape, None);
            fitted.unwrap_or_else(|e| panic!("{e}")).forest
        };
        let default = fit(SMALL_NODE_ROWS);
        assert_eq!(fit(0), default);
        assert_eq!(fit(u64::MAX), default);
        assert!(default.trees.iter().all(|t| t.node_count() > 50));
        // The importances read back from the trees (local_trees_mode's) are the grown ones.
        let d = local.x.ncols();
        let mut from_trees = vec![0.0; d];
        for tree in &default.trees {
            for (total, v) in from_trees.iter_mut().zip(tree.importances(d)) {
                *total += v / default.trees.len() as f64;
            }
        }
        let sum: f64 = from_trees.iter().sum();
        for (a, b) in from_trees.iter().zip(&default.feature_importances) {
            assert!((a / sum - b).abs() < 1e-12, "{a} vs {b}");
        }
    }

    /// The classifier does not depend on which nodes grow in histogram rounds and which by one
    /// process.
    #[test]
    fn the_forest_does_not_depend_on_where_nodes_switch_to_one_process() {
        let x = Array2::from_shape_fn((3000, 5), |(i, j)| ((i * 31 + j * 17) % 97) as f64 / 7.0);
        let classes: Vec<u32> = (0..3000).map(|i| u32::from((i * 13) % 7 < 3)).collect();
        let params = RandomForestClassifierParams {
            n_estimators: 3,
            random_state: Some(5),
            ..Default::default()
        };
        let local = Local {
            x: x.view(),
            classes: &classes,
            targets: &[],
            sample_weight: &[],
        };
        let criterion = ClassCriterion::Gini;
        let task = Task::Classes {
            classes: 2,
            criterion,
        };
        same_for_every_switch(params.shared(), task, &local);
    }

    /// The same for a regressor drawing every feature at every node, whose rounds build one
    /// sibling's histograms and take the other's from their parent's.
    #[test]
    fn the_regressor_does_not_depend_on_it_either() {
        let x = Array2::from_shape_fn((3000, 4), |(i, j)| ((i * 37 + j * 11) % 101) as f64 / 9.0);
        let targets: Vec<f64> = (0..3000)
            .map(|i| ((i * 7) % 23) as f64 / 4.0 + (i % 3) as f64)
            .collect();
        let params = RandomForestRegressorParams {
            n_estimators: 3,
            random_state: Some(6),
            ..Default::default()
        };
        let local = Local {
            x: x.view(),
            classes: &[],
            targets: &targets,
            sample_weight: &[],
        };
        same_for_every_switch(params.shared(), Task::Regression, &local);
    }
}
