"""Neighbour searches over the rows of every rank: `NearestNeighbors`, `KNeighborsClassifier`
and `KNeighborsRegressor` (scikit-learn's brute-force results, exactly).

`fit` keeps each rank's own training rows; unlike the other estimators, every query
(`kneighbors`, `radius_neighbors`, `predict`, `predict_proba`, `score`, the graphs) is
collective: every rank calls it, each with its own query rows (empty on some ranks if need be),
while the training rows travel around the ring of ranks. Neighbour indices are global: row
numbers of the concatenation of every rank's training rows, in rank order. Ties go to the lower
index, so results do not depend on the number of ranks.
"""

import json

import numpy as np

from . import _native
from ._base import (
    ClassifierMixin,
    NotFittedError,
    RegressorMixin,
    SpmdEstimator,
    agreed,
    as_rows,
    communicator,
    queue_of,
    resolve_queue,
)


class _Neighbors(SpmdEstimator):
    """The fitted search, its training rows (kept for pickling) and the collective queries."""

    _accepted_only = ("algorithm", "leaf_size", "metric_params", "n_jobs")

    def _native_params(self):
        if callable(getattr(self, "weights", None)):
            raise ValueError("weights must be 'uniform' or 'distance' (callables are not supported)")
        if self.metric_params:
            raise ValueError("metric_params is not supported: pass p for minkowski")
        if callable(self.metric):
            raise ValueError("metric must be a name, not a callable")
        return super()._native_params()

    def _fit_rows(self, X, y=None):
        comm = communicator(self.comm)
        self.__dict__.pop("_fit_classes", None)

        def prepare():
            params = _native.check_params(self._estimator, json.dumps(self._native_params()))
            x = as_rows(X, self, reset=True)
            return params, x, self._checked_targets(y, x.shape[0], self._targets)

        params, x, targets = agreed(comm, prepare)
        targets = None if targets is None else self._agree_targets(comm, targets)
        self._set_search(comm, params, x, targets)
        self._keep_fit_classes()
        self.n_samples_fit_ = int(json.loads(self.__dict__["_search"].attribute("n_samples_fit_")))
        # As scikit-learn names the metric it uses: minkowski with p = 1 or 2 is its special case.
        self.effective_metric_, self.effective_metric_params_ = self.metric, {}
        if self.metric == "minkowski":
            named = {1: "manhattan", 2: "euclidean"}.get(self.p)
            if named is None:
                self.effective_metric_params_ = {"p": self.p}
            else:
                self.effective_metric_ = named
        return self

    def _set_search(self, comm, params, x, targets):
        search, _, _ = _native.fit(
            self._estimator,
            params,
            x,
            comm,
            y=None if targets is None else targets[0],
            y_is_1d=bool(targets is not None and targets[1]),
        )
        # The training rows stay with the estimator (scikit-learn keeps them too): a pickled
        # copy fits them again on first use.
        self.__dict__.update(
            _search=search, _comm_native=comm, _params=params, _fit_X=x, _fit_targets=targets
        )

    def _searcher(self):
        """The fitted search and its communicator; after unpickling, fitted again (collective,
        as every query is)."""
        if self.__dict__.get("_search") is None:
            if self.__dict__.get("_fit_X") is None:
                raise NotFittedError(
                    f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                    "appropriate arguments before using this estimator."
                )
            d = self.__dict__
            self._set_search(communicator(self.comm), d["_params"], d["_fit_X"], d["_fit_targets"])
        return self.__dict__["_search"], self.__dict__["_comm_native"]

    # -- pickling: the parameters and this rank's training rows; fitted again on first use --

    def __getstate__(self):
        state = {k: v for k, v in self.__dict__.items() if k not in ("_search", "_comm_native")}
        if state.get("comm") is not None:
            state["comm"] = None  # communicators do not outlive their process
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)

    def _scoring_model(self):
        return self._searcher()

    def _apply(self, operation, X, queue=None):
        """`operation` of this rank's rows (collective: the training rows travel around)."""
        search, comm = self._searcher()
        x, q, _ = self._queries(X, queue, comm)
        return search.apply(operation, x, comm, queue=q)

    def _queries(self, X, queue, comm, argument=lambda: None):
        """This rank's query rows (None: the training rows), its queue and `argument()` (the
        query's own argument, checked), agreed on by every rank in one collective."""
        return agreed(
            comm,
            lambda: (
                None if X is None else as_rows(X, self),
                resolve_queue(queue_of(queue, X)),
                argument(),
            ),
        )

    def kneighbors(self, X=None, n_neighbors=None, return_distance=True, queue=None):
        """The `n_neighbors` nearest training rows of each of this rank's rows of `X` (None: of
        each of its training rows, itself left out): (distances, global indices), each
        `n x n_neighbors`, nearest first. Collective."""
        search, comm = self._searcher()
        count = lambda: None if n_neighbors is None else _count(n_neighbors)  # noqa: E731
        x, q, k = self._queries(X, queue, comm, count)
        distances, indices = search.kneighbors(x, k, comm, queue=q)
        return (distances, indices) if return_distance else indices

    def kneighbors_graph(self, X=None, n_neighbors=None, mode="connectivity", queue=None):
        """The k-neighbours graph of this rank's rows as a scipy CSR matrix (one column per
        training row over all ranks): 1 (`mode="connectivity"`) or the distance
        (`mode="distance"`) at each neighbour. Collective."""
        from scipy.sparse import csr_matrix

        _, comm = self._searcher()
        agreed(comm, lambda: _check_mode(mode))
        distances, indices = self.kneighbors(X, n_neighbors, queue=queue)
        rows, k = indices.shape
        data = distances.ravel() if mode == "distance" else np.ones(rows * k)
        indptr = np.arange(0, rows * k + 1, k) if k else np.zeros(rows + 1, dtype=np.int64)
        return csr_matrix((data, indices.ravel(), indptr), shape=(rows, self.n_samples_fit_))


class NearestNeighbors(_Neighbors):
    """scikit-learn's `NearestNeighbors` (brute force) over every rank's training rows. `metric`
    is "minkowski" (with `p`), "euclidean", "sqeuclidean", "manhattan", "chebyshev" or "cosine".
    `algorithm`, `leaf_size` and `n_jobs` are accepted and change nothing: the search is always
    the exact brute-force one."""

    _estimator = "nearest-neighbors"

    def __init__(
        self,
        *,
        n_neighbors=5,
        radius=1.0,
        algorithm="auto",
        leaf_size=30,
        metric="minkowski",
        p=2,
        metric_params=None,
        n_jobs=None,
        comm=None,
    ):
        self.n_neighbors = n_neighbors
        self.radius = radius
        self.algorithm = algorithm
        self.leaf_size = leaf_size
        self.metric = metric
        self.p = p
        self.metric_params = metric_params
        self.n_jobs = n_jobs
        self.comm = comm

    def fit(self, X, y=None, queue=None):
        """Keeps this rank's rows (collective: the ranks agree on the width); returns self."""
        return self._fit_rows(X)

    def radius_neighbors(
        self, X=None, radius=None, return_distance=True, sort_results=False, queue=None
    ):
        """The training rows within `radius` of each of this rank's rows of `X` (None: of each of
        its training rows, itself left out), as scikit-learn's: object arrays holding one array
        of distances and one of global indices per row, in index order (nearest first with
        `sort_results`). Collective; runs on the CPU."""
        search, comm = self._searcher()
        given = lambda: None if radius is None else float(radius)  # noqa: E731
        x, _, r = self._queries(X, queue, comm, given)
        found = search.radius_neighbors(x, r, sort_results, comm)
        distances = np.empty(len(found), dtype=object)
        indices = np.empty(len(found), dtype=object)
        for i, (d, j) in enumerate(found):
            distances[i], indices[i] = d, j
        return (distances, indices) if return_distance else indices

    def radius_neighbors_graph(
        self, X=None, radius=None, mode="connectivity", sort_results=False, queue=None
    ):
        """The radius-neighbours graph of this rank's rows as a scipy CSR matrix. Collective."""
        from scipy.sparse import csr_matrix

        _, comm = self._searcher()
        agreed(comm, lambda: _check_mode(mode))
        distances, indices = self.radius_neighbors(X, radius, sort_results=sort_results)
        counts = np.array([len(j) for j in indices], dtype=np.int64)
        indptr = np.concatenate([[0], np.cumsum(counts)])
        flat_j = np.concatenate(list(indices)) if len(indices) else np.zeros(0, dtype=np.int64)
        if mode == "distance":
            data = np.concatenate(list(distances)) if len(distances) else np.zeros(0)
        else:
            data = np.ones(len(flat_j))
        return csr_matrix((data, flat_j, indptr), shape=(len(indices), self.n_samples_fit_))


class _WeighedNeighbors(_Neighbors):
    """The classifier's and the regressor's parameters: scikit-learn's, in its order."""

    def __init__(
        self,
        n_neighbors=5,
        *,
        weights="uniform",
        algorithm="auto",
        leaf_size=30,
        p=2,
        metric="minkowski",
        metric_params=None,
        n_jobs=None,
        comm=None,
    ):
        self.n_neighbors = n_neighbors
        self.weights = weights
        self.algorithm = algorithm
        self.leaf_size = leaf_size
        self.p = p
        self.metric = metric
        self.metric_params = metric_params
        self.n_jobs = n_jobs
        self.comm = comm


class KNeighborsClassifier(ClassifierMixin, _WeighedNeighbors):
    """scikit-learn's `KNeighborsClassifier` (brute force) over every rank's training rows. The
    classes are the union of every rank's labels (a class may be missing from some ranks); votes
    tie to the lower class. `predict`, `predict_proba` and `score` are collective. `algorithm`,
    `leaf_size` and `n_jobs` are accepted and change nothing."""

    _estimator = "knn-classifier"

    def fit(self, X, y, queue=None):
        """Keeps this rank's rows and labels; the ranks agree on the width and the classes
        (collective). Returns self."""
        self._fit_rows(X, y)
        self.classes_ = self.__dict__["_classes"]
        self.outputs_2d_ = False
        return self

    def predict_proba(self, X, queue=None):
        """The weighed share of each class among the neighbours of each of this rank's rows
        (`n x classes`, in `classes_` order). Collective."""
        search, comm = self._searcher()
        x, q, _ = self._queries(X, queue, comm)
        return search.apply("transform", x, comm, queue=q)

    def predict(self, X, queue=None):
        """The class of each of this rank's rows: the most weighed among its neighbours, ties to
        the lower class. Collective."""
        proba = self.predict_proba(X, queue=queue)
        return self.classes_[np.argmax(proba, axis=1)] if len(proba) else self.classes_[:0]


class KNeighborsRegressor(RegressorMixin, _WeighedNeighbors):
    """scikit-learn's `KNeighborsRegressor` (brute force) over every rank's training rows, for
    one or several targets. `predict` and `score` are collective. `algorithm`, `leaf_size` and
    `n_jobs` are accepted and change nothing."""

    _estimator = "knn-regressor"
    _multi_output = True

    def fit(self, X, y, queue=None):
        """Keeps this rank's rows and targets (collective: the ranks agree on the widths).
        Returns self."""
        self._fit_rows(X, y)
        self._y_1d = self.__dict__["_fit_targets"][1]
        self.outputs_2d_ = not self._y_1d
        return self

    def predict(self, X, queue=None):
        """The weighed mean of the neighbours' targets for each of this rank's rows.
        Collective."""
        search, comm = self._searcher()
        x, q, _ = self._queries(X, queue, comm)
        values = search.apply("predict", x, comm, queue=q)
        return values.ravel() if self._y_1d else values


def _count(n):
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"n_neighbors does not take {type(n).__name__} value, enter integer value")
    return int(n)


def _check_mode(mode):
    if mode not in ("connectivity", "distance"):
        raise ValueError(f'Unsupported mode, must be one of "connectivity", or "distance" but got "{mode}" instead')
