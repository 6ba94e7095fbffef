//! The registry's entries: one per estimator.

use super::Entry;
use crate::cluster::{Dbscan, Hdbscan, KMeans};
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
    Entry::of::<LinearRegression>("linear-regression", "ordinary least squares (params: fit_intercept; --sample-weight)")
        .predicts::<LinearRegression>()
        .scores::<LinearRegression>()
        .batches::<LinearRegression, IncrementalLinearRegression>(),
    Entry::of::<Ridge>("ridge", "least squares with an L2 penalty (params: alpha, fit_intercept; --sample-weight)")
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
        "k-means (params: n_clusters, init (a name or a .npy/.csv of centres), n_init, max_iter, tol, random_state; --sample-weight); predict gives labels, transform distances, --out-local labels",
    )
    .predicts::<KMeans>()
    .transforms::<KMeans>()
    .scores::<KMeans>(),
    Entry::of::<Dbscan>(
        "dbscan",
        "DBSCAN, scikit-learn's labels for any split (params: eps, min_samples, metric, p; --sample-weight); --out-local labels, -1 for noise",
    ),
    Entry::of::<Hdbscan>(
        "hdbscan",
        "HDBSCAN, scikit-learn's labels for any split (params: min_cluster_size, min_samples, cluster_selection_epsilon, max_cluster_size, metric, p, alpha, cluster_selection_method, allow_single_cluster, store_centers); --out-local labels, -1 for noise, -2/-3 for rows with inf/NaN",
    ),
    Entry::of::<LogisticRegression>(
        "logistic-regression",
        "logistic regression, binary or multinomial (params: C, fit_intercept, class_weight, solver, max_iter, tol); predict gives labels, transform probabilities",
    )
    .predicts::<LogisticRegression>()
    .transforms::<LogisticRegression>()
    .log_probas::<LogisticRegression>()
    .decides::<LogisticRegression>()
    .scores::<LogisticRegression>(),
    Entry::of::<MultinomialNb>(
        "multinomial-nb",
        "multinomial naive Bayes on counts (params: alpha, force_alpha, fit_prior, class_prior); predict gives labels, transform probabilities",
    )
    .predicts::<MultinomialNb>()
    .transforms::<MultinomialNb>()
    .log_probas::<MultinomialNb>()
    .scores::<MultinomialNb>()
    .batches::<MultinomialNb, MultinomialNb>(),
    Entry::of::<RandomForestClassifier>(
        "random-forest-classifier",
        "random forest, the same trees for any number of ranks (params: n_estimators, criterion, max_depth, min_samples_split, min_samples_leaf, max_features, max_leaf_nodes, bootstrap, max_samples, class_weight, oob_score, random_state, max_bins, local_trees_mode; --sample-weight); predict gives labels, transform probabilities, --out-local the out-of-bag probabilities",
    )
    .predicts::<RandomForestClassifier>()
    .transforms::<RandomForestClassifier>()
    .log_probas::<RandomForestClassifier>()
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
    .log_probas::<KNeighborsClassifier>()
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
