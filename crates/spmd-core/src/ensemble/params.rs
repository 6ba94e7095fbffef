//! Parameters of the forests, under scikit-learn's names and with its defaults.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A count of rows given as a number (`2`) or as a fraction of all rows (`0.01`), as
/// scikit-learn's `min_samples_split`, `min_samples_leaf` and `max_samples` take it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RowCount {
    /// That many rows.
    Rows(u64),
    /// This fraction of all ranks' rows.
    Fraction(f64),
}

/// How many features a split considers (`max_features`): a rule, a number, or a fraction of
/// the features; `None` in the parameters means all of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FeatureCount {
    /// `"sqrt"` or `"log2"`.
    Rule(FeatureRule),
    /// That many features.
    Features(u64),
    /// This fraction of the features (at least one).
    Fraction(f64),
}

/// `max_features` given by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureRule {
    /// $\lfloor\sqrt{d}\rfloor$.
    Sqrt,
    /// $\lfloor\log_2 d\rfloor$.
    Log2,
}

/// How classes are weighted (`class_weight`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ClassWeight {
    /// `"balanced"` (by the class counts of all rows) or `"balanced_subsample"` (by those of
    /// each tree's bootstrap draw).
    Rule(ClassWeightRule),
    /// A weight per class label; labels not listed weigh 1. JSON keys are strings, so a
    /// label is read from its decimal text (`{"0": 1.0, "2": 3.5}`).
    Weights(#[serde(deserialize_with = "label_weights")] BTreeMap<i64, f64>),
}

/// Reads a map from class label to weight whose keys are the labels' decimal text, as JSON
/// writes integer keys. (An untagged enum hands its variants buffered content, whose string
/// keys serde does not turn into integers by itself.)
fn label_weights<'de, D>(deserializer: D) -> std::result::Result<BTreeMap<i64, f64>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let by_text = BTreeMap::<String, f64>::deserialize(deserializer)?;
    by_text
        .into_iter()
        .map(|(label, weight)| {
            label
                .trim()
                .parse::<i64>()
                .map(|label| (label, weight))
                .map_err(|_| {
                    serde::de::Error::custom(format!(
                        "class_weight keys must be integer class labels, not {label:?}"
                    ))
                })
        })
        .collect()
}

/// `class_weight` given by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassWeightRule {
    /// $n / (k \cdot n_c)$ over all rows.
    Balanced,
    /// $n / (k \cdot n_c)$ over each tree's bootstrap draw.
    BalancedSubsample,
}

/// The impurity a classifier's splits reduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ClassCriterion {
    /// Gini impurity.
    #[default]
    Gini,
    /// Shannon entropy (in bits).
    Entropy,
    /// The same as `entropy`.
    LogLoss,
}

/// The impurity a regressor's splits reduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RegressionCriterion {
    /// Weighted variance of the targets.
    #[default]
    SquaredError,
}

/// Defines a forest's parameter type: the fields every forest has, then `$extra`.
macro_rules! forest_params {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$doc:meta])* $field:ident: $ty:ty = $default:expr ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $name {
            /// Number of trees (default 100).
            pub n_estimators: usize,
            /// Deepest level a tree grows to; `None` (default): until the leaves are pure or
            /// too small to split.
            pub max_depth: Option<usize>,
            /// Fewest rows a node needs to be split (default 2).
            pub min_samples_split: RowCount,
            /// Fewest rows each leaf keeps (default 1).
            pub min_samples_leaf: RowCount,
            /// Smallest fraction of the tree's total weight each leaf keeps (default 0).
            pub min_weight_fraction_leaf: f64,
            /// Grow each tree best first to at most this many leaves; `None` (default): level
            /// by level, without a limit.
            pub max_leaf_nodes: Option<usize>,
            /// A split must reduce the weighted impurity by at least this much (default 0).
            pub min_impurity_decrease: f64,
            /// Draw each tree's rows with replacement (default true).
            pub bootstrap: bool,
            /// Score the forest on the rows each tree did not draw (default false).
            pub oob_score: bool,
            /// Rows each tree draws when `bootstrap` is set; `None` (default): as many as
            /// there are rows.
            pub max_samples: Option<RowCount>,
            /// Seed of the bootstrap and the feature draws; the same seed gives the same
            /// forest for any number of ranks. `None`: rank 0 draws one.
            pub random_state: Option<u64>,
            /// Most bins per feature (2 to 65536, default 256): the split thresholds are
            /// chosen among the bin edges.
            pub max_bins: usize,
            /// scikit-learn-intelex's `local_trees_mode`: each rank grows its share of the
            /// trees from its own rows only, with no communication while it grows them, and
            /// every rank then gathers all the trees (default false: every tree sees every
            /// rank's rows). The same seed and split give the same forest.
            pub local_trees_mode: bool,
            $( $(#[$doc])* pub $field: $ty, )*
        }

        impl Default for $name {
            fn default() -> Self {
                Self {
                    n_estimators: 100,
                    max_depth: None,
                    min_samples_split: RowCount::Rows(2),
                    min_samples_leaf: RowCount::Rows(1),
                    min_weight_fraction_leaf: 0.0,
                    max_leaf_nodes: None,
                    min_impurity_decrease: 0.0,
                    bootstrap: true,
                    oob_score: false,
                    max_samples: None,
                    random_state: None,
                    max_bins: 256,
                    local_trees_mode: false,
                    $( $field: $default, )*
                }
            }
        }

        impl $name {
            /// Errors on values scikit-learn rejects, naming the parameter.
            pub fn check(&self) -> Result<()> {
                self.shared().check()
            }

            /// The settings every forest shares.
            pub(crate) fn shared(&self) -> SharedParams<'_> {
                SharedParams {
                    n_estimators: self.n_estimators,
                    max_depth: self.max_depth,
                    min_samples_split: self.min_samples_split,
                    min_samples_leaf: self.min_samples_leaf,
                    min_weight_fraction_leaf: self.min_weight_fraction_leaf,
                    max_features: self.max_features.as_ref(),
                    max_leaf_nodes: self.max_leaf_nodes,
                    min_impurity_decrease: self.min_impurity_decrease,
                    bootstrap: self.bootstrap,
                    oob_score: self.oob_score,
                    max_samples: self.max_samples,
                    random_state: self.random_state,
                    max_bins: self.max_bins,
                    local_trees_mode: self.local_trees_mode,
                }
            }
        }
    };
}

forest_params!(
    /// Parameters of [`RandomForestClassifier`](super::RandomForestClassifier).
    RandomForestClassifierParams {
        /// `gini` (default), `entropy` or `log_loss`.
        criterion: ClassCriterion = ClassCriterion::Gini,
        /// Features drawn for each split (default `"sqrt"`).
        max_features: Option<FeatureCount> = Some(FeatureCount::Rule(FeatureRule::Sqrt)),
        /// Weights of the classes: `"balanced"`, `"balanced_subsample"` or a map from label to
        /// weight; `None` (default): 1 each.
        class_weight: Option<ClassWeight> = None,
    }
);

forest_params!(
    /// Parameters of [`RandomForestRegressor`](super::RandomForestRegressor).
    RandomForestRegressorParams {
        /// `squared_error` (the default and the only one).
        criterion: RegressionCriterion = RegressionCriterion::SquaredError,
        /// Features drawn for each split (default `1.0`: all of them).
        max_features: Option<FeatureCount> = Some(FeatureCount::Fraction(1.0)),
    }
);

/// The parameters both forests share, borrowed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SharedParams<'a> {
    pub n_estimators: usize,
    pub max_depth: Option<usize>,
    pub min_samples_split: RowCount,
    pub min_samples_leaf: RowCount,
    pub min_weight_fraction_leaf: f64,
    pub max_features: Option<&'a FeatureCount>,
    pub max_leaf_nodes: Option<usize>,
    pub min_impurity_decrease: f64,
    pub bootstrap: bool,
    pub oob_score: bool,
    pub max_samples: Option<RowCount>,
    pub random_state: Option<u64>,
    pub max_bins: usize,
    pub local_trees_mode: bool,
}

/// The settings resolved against the data's global row and feature counts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Resolved {
    pub max_depth: usize,
    pub min_samples_split: u64,
    pub min_samples_leaf: u64,
    pub max_features: usize,
    /// Expected draws of each row: `max_samples / n` (1 without bootstrap).
    pub draw_rate: f64,
}

impl SharedParams<'_> {
    /// Errors on values scikit-learn rejects, naming the parameter.
    pub fn check(&self) -> Result<()> {
        if self.n_estimators == 0 {
            return Error::invalid_param("n_estimators", 0, "an integer >= 1");
        }
        if self.max_depth == Some(0) {
            return Error::invalid_param("max_depth", 0, "an integer >= 1 or None");
        }
        match self.min_samples_split {
            RowCount::Rows(n) if n < 2 => {
                return Error::invalid_param(
                    "min_samples_split",
                    n,
                    "an integer >= 2 or a float in (0, 1]",
                )
            }
            RowCount::Fraction(f) if !(f > 0.0 && f <= 1.0) => {
                return Error::invalid_param(
                    "min_samples_split",
                    f,
                    "an integer >= 2 or a float in (0, 1]",
                )
            }
            _ => {}
        }
        match self.min_samples_leaf {
            RowCount::Rows(0) => {
                return Error::invalid_param(
                    "min_samples_leaf",
                    0,
                    "an integer >= 1 or a float in (0, 1)",
                )
            }
            RowCount::Fraction(f) if !(f > 0.0 && f < 1.0) => {
                return Error::invalid_param(
                    "min_samples_leaf",
                    f,
                    "an integer >= 1 or a float in (0, 1)",
                )
            }
            _ => {}
        }
        if !(0.0..=0.5).contains(&self.min_weight_fraction_leaf) {
            return Error::invalid_param(
                "min_weight_fraction_leaf",
                self.min_weight_fraction_leaf,
                "a float in [0, 0.5]",
            );
        }
        match self.max_features {
            Some(FeatureCount::Features(0)) => {
                return Error::invalid_param(
                    "max_features",
                    0,
                    "an integer >= 1, a float in (0, 1], \"sqrt\", \"log2\" or None",
                )
            }
            Some(FeatureCount::Fraction(f)) if !(*f > 0.0 && *f <= 1.0) => {
                return Error::invalid_param(
                    "max_features",
                    f,
                    "an integer >= 1, a float in (0, 1], \"sqrt\", \"log2\" or None",
                )
            }
            _ => {}
        }
        if let Some(leaves) = self.max_leaf_nodes.filter(|&l| l < 2) {
            return Error::invalid_param("max_leaf_nodes", leaves, "an integer >= 2 or None");
        }
        if self.min_impurity_decrease.is_nan() || self.min_impurity_decrease < 0.0 {
            return Error::invalid_param(
                "min_impurity_decrease",
                self.min_impurity_decrease,
                "a float >= 0",
            );
        }
        if self.local_trees_mode && self.oob_score {
            return Error::invalid_param(
                "oob_score",
                true,
                "False with local_trees_mode=True (a rank's trees never saw the other ranks' rows)",
            );
        }
        match self.max_samples {
            Some(_) if !self.bootstrap => {
                return Error::invalid_param(
                    "max_samples",
                    format!("{:?}", self.max_samples),
                    "None when bootstrap=False",
                )
            }
            Some(RowCount::Rows(0)) => {
                return Error::invalid_param(
                    "max_samples",
                    0,
                    "an integer >= 1, a float in (0, 1] or None",
                )
            }
            Some(RowCount::Fraction(f)) if !(f > 0.0 && f <= 1.0) => {
                return Error::invalid_param(
                    "max_samples",
                    f,
                    "an integer >= 1, a float in (0, 1] or None",
                )
            }
            _ => {}
        }
        if self.oob_score && !self.bootstrap {
            return Error::invalid_param("oob_score", true, "False when bootstrap=False");
        }
        if !(2..=65536).contains(&self.max_bins) {
            return Error::invalid_param("max_bins", self.max_bins, "an integer in [2, 65536]");
        }
        Ok(())
    }

    /// The settings for `rows` rows of `features` features (both over all ranks).
    pub fn resolve(&self, rows: u64, features: usize) -> Result<Resolved> {
        let fraction_of = |f: f64| (f * rows as f64).ceil() as u64;
        let min_samples_split = match self.min_samples_split {
            RowCount::Rows(n) => n,
            RowCount::Fraction(f) => fraction_of(f).max(2),
        };
        let min_samples_leaf = match self.min_samples_leaf {
            RowCount::Rows(n) => n,
            RowCount::Fraction(f) => fraction_of(f).max(1),
        };
        let d = features as f64;
        let max_features = match self.max_features {
            None => features,
            Some(FeatureCount::Rule(FeatureRule::Sqrt)) => d.sqrt() as usize,
            Some(FeatureCount::Rule(FeatureRule::Log2)) => d.log2() as usize,
            Some(FeatureCount::Features(n)) => *n as usize,
            Some(FeatureCount::Fraction(f)) => (f * d) as usize,
        }
        .max(1);
        if max_features > features {
            return Error::invalid_param(
                "max_features",
                max_features,
                "at most the number of features",
            );
        }
        let draw_rate = match (self.bootstrap, self.max_samples) {
            (false, _) | (true, None) => 1.0,
            (true, Some(RowCount::Rows(n))) if n > rows => {
                return Err(Error::InvalidParam {
                    name: "max_samples",
                    value: n.to_string(),
                    expected: "at most the number of rows of all ranks",
                })
            }
            (true, Some(RowCount::Rows(n))) => n as f64 / rows as f64,
            (true, Some(RowCount::Fraction(f))) => {
                ((f * rows as f64).round().max(1.0)) / rows as f64
            }
        };
        Ok(Resolved {
            max_depth: self.max_depth.unwrap_or(usize::MAX),
            min_samples_split,
            min_samples_leaf,
            max_features,
            draw_rate,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_weight_maps_take_labels_as_json_keys() {
        let read = |json: &str| serde_json::from_str::<ClassWeight>(json);
        let given = read(r#"{"0": 1.0, "2": 3.5, "-1": 0.5}"#).expect("a label map reads");
        assert_eq!(
            given,
            ClassWeight::Weights(BTreeMap::from([(-1, 0.5), (0, 1.0), (2, 3.5)]))
        );
        // What is written reads back as the same weights.
        let written = serde_json::to_string(&given).expect("weights serialise");
        assert_eq!(read(&written).expect("written weights read back"), given);
        assert_eq!(
            read(r#""balanced_subsample""#).expect("a rule reads"),
            ClassWeight::Rule(ClassWeightRule::BalancedSubsample)
        );
        assert!(read(r#"{"cat": 2.0}"#).is_err());
    }
}
