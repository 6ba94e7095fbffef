"""Clustering of the rows of every rank: `KMeans`, `DBSCAN` and `HDBSCAN`."""

import numpy as np

from ._base import ClusterMixin, SpmdEstimator, TransformerMixin


class KMeans(TransformerMixin, ClusterMixin, SpmdEstimator):
    """k-means over every rank's rows (scikit-learn's `KMeans`, Lloyd's algorithm): the same
    centres for any number of ranks. `labels_` holds this rank's rows' labels. `init` may be
    "k-means++", "random" or an array of centres. `verbose`, `copy_x` and `algorithm` are accepted
    and change nothing."""

    _estimator = "kmeans"
    _accepted_only = ("verbose", "copy_x", "algorithm")
    _expected_failed_checks = {
        "check_sample_weight_equivalence_on_dense_data": (
            "the seeding draws rows, so a row of weight 2 is one draw where its two copies are two "
            "(scikit-learn declares the same for its KMeans); with given centres weights equal "
            "repeated rows, which spmd_learn's own tests check"
        ),
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        n_init="auto",
        max_iter=300,
        tol=1e-4,
        verbose=0,
        random_state=None,
        copy_x=True,
        algorithm="lloyd",
        comm=None,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.copy_x = copy_x
        self.algorithm = algorithm
        self.comm = comm

    def _native_params(self):
        params = super()._native_params()
        if not isinstance(params["init"], str):
            params["init"] = np.asarray(params["init"], dtype=np.float64).tolist()
        return params

    def fit(self, X, y=None, sample_weight=None, queue=None):
        """Clusters every rank's rows (collective); returns self."""
        labels = self._fit(X, None, sample_weight, queue, local=True)
        self.labels_ = labels.ravel().astype(np.int32)
        return self

    def fit_predict(self, X, y=None, sample_weight=None, queue=None):
        """`fit`, then this rank's `labels_`."""
        return self.fit(X, sample_weight=sample_weight, queue=queue).labels_

    def predict(self, X, queue=None):
        """The nearest centre of each of this rank's rows (local)."""
        return self._apply("predict", X, queue).ravel().astype(np.int32)

    def score(self, X, y=None, sample_weight=None, queue=None):
        """Minus the inertia of every rank's rows (collective)."""
        return self._score(X, None, sample_weight, queue)


class DBSCAN(ClusterMixin, SpmdEstimator):
    """DBSCAN over every rank's rows, scikit-learn's labels for any split: `labels_` holds this
    rank's rows' labels (-1 for noise). `metric` is "euclidean", "manhattan", "chebyshev" or
    "minkowski" with `p`. `algorithm`, `leaf_size`, `metric_params` and `n_jobs` are accepted and
    change nothing."""

    _estimator = "dbscan"
    _accepted_only = ("metric_params", "algorithm", "leaf_size", "n_jobs")

    def __init__(
        self,
        eps=0.5,
        *,
        min_samples=5,
        metric="euclidean",
        metric_params=None,
        algorithm="auto",
        leaf_size=30,
        p=None,
        n_jobs=None,
        comm=None,
    ):
        self.eps = eps
        self.min_samples = min_samples
        self.metric = metric
        self.metric_params = metric_params
        self.algorithm = algorithm
        self.leaf_size = leaf_size
        self.p = p
        self.n_jobs = n_jobs
        self.comm = comm

    def _native_params(self):
        params = super()._native_params()
        if params["p"] is None:
            del params["p"]
        return params

    def fit(self, X, y=None, sample_weight=None, queue=None):
        """Clusters every rank's rows (collective); returns self."""
        labels = self._fit(X, None, sample_weight, queue, local=True)
        self.labels_ = labels.ravel().astype(np.int64)
        return self

    def fit_predict(self, X, y=None, sample_weight=None, queue=None):
        """`fit`, then this rank's `labels_`."""
        return self.fit(X, sample_weight=sample_weight, queue=queue).labels_


class HDBSCAN(ClusterMixin, SpmdEstimator):
    """HDBSCAN over every rank's rows, scikit-learn's labels and probabilities for any split:
    `labels_` and `probabilities_` hold this rank's rows' (-1 for noise, -2 for rows with an
    infinite value, -3 for rows with a NaN). `metric` is "euclidean", "manhattan", "chebyshev"
    or "minkowski" with `metric_params={"p": p}`. `centroids_` and `medoids_` (with
    `store_centers`) are over all ranks. With a queue the GPU searches the core distances'
    neighbours. `algorithm`, `leaf_size`, `n_jobs` and `copy` are accepted and change
    nothing."""

    _estimator = "hdbscan"
    _accepted_only = ("metric_params", "algorithm", "leaf_size", "n_jobs", "copy")
    _allow_nan = True

    def __init__(
        self,
        min_cluster_size=5,
        min_samples=None,
        cluster_selection_epsilon=0.0,
        max_cluster_size=None,
        metric="euclidean",
        metric_params=None,
        alpha=1.0,
        algorithm="auto",
        leaf_size=40,
        n_jobs=None,
        cluster_selection_method="eom",
        allow_single_cluster=False,
        store_centers=None,
        copy=False,
        comm=None,
    ):
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.cluster_selection_epsilon = cluster_selection_epsilon
        self.max_cluster_size = max_cluster_size
        self.metric = metric
        self.metric_params = metric_params
        self.alpha = alpha
        self.algorithm = algorithm
        self.leaf_size = leaf_size
        self.n_jobs = n_jobs
        self.cluster_selection_method = cluster_selection_method
        self.allow_single_cluster = allow_single_cluster
        self.store_centers = store_centers
        self.copy = copy
        self.comm = comm

    def _native_params(self):
        params = super()._native_params()
        p = (self.metric_params or {}).get("p")
        if p is not None:
            params["p"] = p
        return params

    def fit(self, X, y=None, queue=None):
        """Clusters every rank's rows (collective); returns self."""
        labels = self._fit(X, None, None, queue, local=True)
        self.labels_ = labels.ravel().astype(np.int64)
        self.probabilities_ = self._local_columns["probabilities_"]
        return self

    def fit_predict(self, X, y=None, queue=None):
        """`fit`, then this rank's `labels_`."""
        return self.fit(X, queue=queue).labels_
