//! Every estimator by name, as the command line and the Python package drive them: one
//! [`Entry`] per estimator, built from the [contract](crate::estimator)'s traits, so adding an
//! estimator to both front ends is one entry here.
//!
//! Parameters travel as JSON under scikit-learn's names, rows as [`Rows`] (float32 or float64
//! views), fitted models as [`Model`] (the JSON of the command line's model files, with the
//! fitted model itself kept live in the process that fitted it).
//!
//! ```
//! use ndarray::array;
//! use spmd_core::estimator::Context;
//! use spmd_core::registry::{self, FitInput, Operation, Rows};
//! use spmd_core::Comm;
//!
//! let comm = Comm::single();
//! let ctx = Context::cpu(&comm);
//! let ridge = registry::find("ridge")?;
//! let params = ridge.params(serde_json::from_str(r#"{"alpha": 0.0}"#)?)?;
//! let (x, y) = (array![[0.0_f64], [1.0], [2.0]], array![[1.0_f64], [3.0], [5.0]]);
//! let input = FitInput {
//!     y: Some((Rows::F64(y.view()), true)),
//!     ..FitInput::new(Rows::F64(x.view()))
//! };
//! let model = ridge.fit(ctx, &params, &input, false)?.model;
//! let predicted = ridge.apply(Operation::Predict, ctx, &model, Rows::F64(x.view()))?;
//! assert!((predicted[[2, 0]] - 5.0).abs() < 1e-12);
//! assert_eq!(ridge.score(ctx, &model, &input)?, 1.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod entry;
mod erased;
mod incremental;
mod model;
mod params;
mod rows;

pub use entry::{Entry, FitInput, FitOutput, Operation};
pub use erased::{Neighbours, WithinRadius};
pub use incremental::Incremental;
pub use model::Model;
pub use params::checked;
pub use rows::Rows;

use crate::cluster::{Dbscan, KMeans};
use crate::covariance::{EmpiricalCovariance, IncrementalEmpiricalCovariance};
use crate::decomposition::{IncrementalPca, Pca, Qr, Svd};
use crate::ensemble::{RandomForestClassifier, RandomForestRegressor};
use crate::linear::{IncrementalLinearRegression, LinearRegression, LogisticRegression, Ridge};
use crate::naive_bayes::MultinomialNb;
use crate::neighbors::{KNeighborsClassifier, KNeighborsRegressor, NearestNeighbors};
use crate::preprocessing::{IncrementalScaler, MaxAbsScaler, MinMaxScaler, StandardScaler};
use crate::statistics::{BasicStatistics, IncrementalBasicStatistics};
use crate::{Error, Result};

/// Every estimator, under its kebab-case name.
pub static ESTIMATORS: &[Entry] = &[
    Entry::of::<BasicStatistics>(
        "basic-statistics",
        "per-column min, max, sum, mean, variance, ... (params: result_options; --sample-weight)",
    )
    .batches::<BasicStatistics, IncrementalBasicStatistics>(),
    Entry::of::<IncrementalBasicStatistics>(
        "incremental-basic-statistics",
        "basic-statistics fitted in batches of rows (params: result_options, batch_size; --sample-weight)",
    )
    .batches::<IncrementalBasicStatistics, IncrementalBasicStatistics>(),
    Entry::of::<LinearRegression>("linear-regression", "ordinary least squares (params: fit_intercept)")
        .predicts::<LinearRegression>()
        .scores::<LinearRegression>()
        .batches::<LinearRegression, IncrementalLinearRegression>(),
    Entry::of::<Ridge>("ridge", "least squares with an L2 penalty (params: alpha, fit_intercept)")
        .predicts::<Ridge>()
        .scores::<Ridge>(),
    Entry::of::<EmpiricalCovariance>(
        "empirical-covariance",
        "maximum-likelihood covariance (params: assume_centered, store_precision)",
    )
    .batches::<EmpiricalCovariance, IncrementalEmpiricalCovariance>(),
    Entry::of::<IncrementalEmpiricalCovariance>(
        "incremental-empirical-covariance",
        "empirical-covariance fitted in batches of rows (params: assume_centered, store_precision, batch_size)",
    )
    .batches::<IncrementalEmpiricalCovariance, IncrementalEmpiricalCovariance>(),
    Entry::of::<Pca>("pca", "principal component analysis (params: n_components, whiten, svd_solver)")
        .transforms::<Pca>()
        .inverts::<Pca>(),
    Entry::of::<IncrementalPca>(
        "incremental-pca",
        "PCA fitted in batches of rows (params: n_components, whiten, batch_size)",
    )
    .transforms::<IncrementalPca>()
    .inverts::<IncrementalPca>()
    .batches::<IncrementalPca, IncrementalPca>(),
    Entry::of::<Qr>(
        "qr",
        "QR of the rows of all ranks (TSQR); R in the model, each rank's Q with --out-local",
    ),
    Entry::of::<Svd>(
        "svd",
        "SVD of the rows of all ranks (from TSQR); transform gives X V, --out-local each rank's U",
    )
    .transforms::<Svd>(),
    Entry::of::<KMeans>(
        "kmeans",
        "k-means (params: n_clusters, init (a name or a .npy/.csv of centres), n_init, max_iter, tol, random_state); predict gives labels, transform distances, --out-local labels",
    )
    .predicts::<KMeans>()
    .transforms::<KMeans>()
    .scores::<KMeans>(),
    Entry::of::<Dbscan>(
        "dbscan",
        "DBSCAN, scikit-learn's labels for any split (params: eps, min_samples, metric, p; --sample-weight); --out-local labels, -1 for noise",
    ),
    Entry::of::<LogisticRegression>(
        "logistic-regression",
        "logistic regression, binary or multinomial (params: C, fit_intercept, class_weight, solver, max_iter, tol); predict gives labels, transform probabilities",
    )
    .predicts::<LogisticRegression>()
    .transforms::<LogisticRegression>()
    .scores::<LogisticRegression>(),
    Entry::of::<MultinomialNb>(
        "multinomial-nb",
        "multinomial naive Bayes on counts (params: alpha, force_alpha, fit_prior, class_prior); predict gives labels, transform probabilities",
    )
    .predicts::<MultinomialNb>()
    .transforms::<MultinomialNb>()
    .scores::<MultinomialNb>()
    .batches::<MultinomialNb, MultinomialNb>(),
    Entry::of::<RandomForestClassifier>(
        "random-forest-classifier",
        "random forest, the same trees for any number of ranks (params: n_estimators, criterion, max_depth, min_samples_split, min_samples_leaf, max_features, max_leaf_nodes, bootstrap, max_samples, class_weight, oob_score, random_state, max_bins; --sample-weight); predict gives labels, transform probabilities, --out-local the out-of-bag probabilities",
    )
    .predicts::<RandomForestClassifier>()
    .transforms::<RandomForestClassifier>()
    .scores::<RandomForestClassifier>(),
    Entry::of::<RandomForestRegressor>(
        "random-forest-regressor",
        "random forest of regression trees, the same for any number of ranks (params as random-forest-classifier, without class_weight; criterion=squared_error); predict gives values, --out-local the out-of-bag predictions",
    )
    .predicts::<RandomForestRegressor>()
    .scores::<RandomForestRegressor>(),
    Entry::of::<StandardScaler>(
        "standard-scaler",
        "(x - mean) / std per column (params: with_mean, with_std; --sample-weight); transform scales",
    )
    .transforms::<StandardScaler>()
    .inverts::<StandardScaler>()
    .batches::<StandardScaler, IncrementalScaler<StandardScaler>>(),
    Entry::of::<MinMaxScaler>(
        "min-max-scaler",
        "each column to feature_range (params: feature_range, clip); transform scales",
    )
    .transforms::<MinMaxScaler>()
    .inverts::<MinMaxScaler>()
    .batches::<MinMaxScaler, IncrementalScaler<MinMaxScaler>>(),
    Entry::of::<MaxAbsScaler>(
        "max-abs-scaler",
        "each column divided by its largest absolute value; transform scales",
    )
    .transforms::<MaxAbsScaler>()
    .inverts::<MaxAbsScaler>()
    .batches::<MaxAbsScaler, IncrementalScaler<MaxAbsScaler>>(),
    Entry::keeping_rows::<NearestNeighbors>(
        "nearest-neighbors",
        "k nearest neighbours, brute force (params: n_neighbors, metric, p); use with kneighbors",
    )
    .searches::<NearestNeighbors>(),
    Entry::keeping_rows::<KNeighborsClassifier>(
        "knn-classifier",
        "k-nearest-neighbours classifier (params: n_neighbors, weights, metric, p); predict gives labels, transform probabilities",
    )
    .predicts::<KNeighborsClassifier>()
    .transforms::<KNeighborsClassifier>()
    .scores::<KNeighborsClassifier>()
    .searches::<KNeighborsClassifier>(),
    Entry::keeping_rows::<KNeighborsRegressor>(
        "knn-regressor",
        "k-nearest-neighbours regressor (params: n_neighbors, weights, metric, p); predict gives values",
    )
    .predicts::<KNeighborsRegressor>()
    .scores::<KNeighborsRegressor>()
    .searches::<KNeighborsRegressor>(),
];

/// The estimator called `name`.
pub fn find(name: &str) -> Result<&'static Entry> {
    ESTIMATORS
        .iter()
        .find(|e| e.name() == name)
        .ok_or_else(|| Error::UnknownEstimator {
            name: name.into(),
            known: ESTIMATORS
                .iter()
                .map(Entry::name)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_has_a_unique_name_and_parses_its_defaults() {
        let mut names: Vec<&str> = ESTIMATORS.iter().map(Entry::name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ESTIMATORS.len());
        for entry in ESTIMATORS {
            let params = entry.params(Default::default());
            assert!(params.is_ok(), "{}: {params:?}", entry.name());
        }
    }

    #[test]
    fn unknown_names_and_parameters_are_named() {
        let err = find("kmeans-typo").err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("linear-regression")));
        let ridge = find("ridge").ok();
        let pairs = serde_json::from_str(r#"{"alpa": 1}"#).ok();
        let err = ridge
            .zip(pairs)
            .and_then(|(r, p)| r.params(p).err())
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("ridge") && e.contains("alpa")));
    }
}
