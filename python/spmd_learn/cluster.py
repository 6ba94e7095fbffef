"""Clustering of the rows of every rank: `KMeans` and `DBSCAN`."""

import numpy as np

from ._base import SpmdEstimator, TransformerMixin


class KMeans(TransformerMixin, SpmdEstimator):
    """k-means over every rank's rows (scikit-learn's `KMeans`, Lloyd's algorithm): the same
    centres for any number of ranks. `labels_` holds this rank's rows' labels. `init` may be
    "k-means++", "random" or an array of centres. `verbose`, `copy_x` and `algorithm` are accepted
    and change nothing."""

    _estimator = "kmeans"
    _accepted_only = ("verbose", "copy_x", "algorithm")

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


class DBSCAN(SpmdEstimator):
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
