//! Random forests: [`RandomForestClassifier`] and [`RandomForestRegressor`] (scikit-learn's
//! `RandomForestClassifier` and `RandomForestRegressor`), one model for any number of ranks.
//!
//! - **Bins**: each feature's thresholds are bin edges (`max_bins`, default 256) taken from a
//!   sample of the rows that does not depend on the split over ranks; rows are binned once per
//!   fit.
//! - **Bootstrap without moving rows**: a row's count in a tree is a Poisson draw keyed on
//!   (`random_state`, tree, global row); the features each node tries are drawn from
//!   (`random_state`, tree, node).
//! - **Training**: the trees of a batch grow together, round after round: each rank builds the
//!   histograms (row counts and class weights, or weight, weighted target and square) of its
//!   rows for the open nodes, one allreduce sums them, and every rank picks the same split
//!   (the best impurity decrease; ties to the lower feature, then the lower threshold). The sums
//!   are fixed-point integers, so they are exact in any order. A node of at most 4096 rows over
//!   all ranks is grown to the end by one rank from its gathered rows, to the same splits.
//! - **Prediction** is local on the replicated trees; `score` and the out-of-bag score are
//!   collective.
//!
//! The same `random_state` gives bit-identical trees for 1, 2 or 64 ranks and any split of the
//! rows. The trees differ from scikit-learn's own (its bootstrap draws exactly `max_samples`
//! rows, its thresholds are midpoints of the node's values), but fit the same model class: the
//! tests compare held-out accuracy and R² with scikit-learn's.
//!
//! ```
//! use ndarray::{array, Array1, Array2};
//! use spmd_core::ensemble::RandomForestClassifier;
//!
//! let x = Array2::from_shape_fn((200, 2), |(i, j)| ((i * (j + 3)) % 17) as f64);
//! let y: Array1<i64> = x.rows().into_iter().map(|r| i64::from(r[0] > 8.0)).collect();
//! let forest = RandomForestClassifier::new().n_estimators(10).random_state(0).fit(&x, &y, None)?;
//! assert_eq!(forest.classes(), [0, 1]);
//! assert_eq!(forest.predict(&array![[2.0, 5.0], [15.0, 5.0]], None)?.to_vec(), [0, 1]);
//! # Ok::<(), spmd_core::Error>(())
//! ```

mod bins;
mod classifier;
mod exchange;
mod forest;
mod gpu;
mod grow;
mod nodes;
mod packed;
mod params;
mod regressor;
mod sample;
mod split;
mod subtree;
#[cfg(target_arch = "x86_64")]
mod sweep_x86;
mod tree;

pub use classifier::{FittedRandomForestClassifier, RandomForestClassifier};
pub use params::{
    ClassCriterion, ClassWeight, ClassWeightRule, FeatureCount, FeatureRule,
    RandomForestClassifierParams, RandomForestRegressorParams, RegressionCriterion, RowCount,
};
pub use regressor::{FittedRandomForestRegressor, RandomForestRegressor};
pub use tree::Tree;
