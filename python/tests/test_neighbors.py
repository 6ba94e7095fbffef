"""The neighbour searches against scikit-learn's brute force on the concatenated training rows.

Every query is collective: each rank asks for its own rows (none on some ranks) and gets global
indices, the row numbers of the concatenated training rows.
"""

import pickle

import numpy as np
import pytest
import sklearn.neighbors
from numpy.testing import assert_allclose, assert_array_equal

from conftest import bounds, classification_data, local, regression_data
from spmd_learn import neighbors

METRICS = [
    ("minkowski", 2),
    ("minkowski", 3),
    ("euclidean", 2),
    ("sqeuclidean", 2),
    ("manhattan", 2),
    ("chebyshev", 2),
    ("cosine", 2),
]


def training_and_queries(rng, n=240, queries=90, d=4):
    return rng.normal(size=(n, d)), rng.normal(size=(queries, d))


@pytest.mark.parametrize("metric,p", METRICS)
def test_kneighbors_is_scikit_learns_brute_force(rng, metric, p):
    X, Q = training_and_queries(rng)
    ours = neighbors.NearestNeighbors(n_neighbors=6, metric=metric, p=p).fit(local(X))
    ref = sklearn.neighbors.NearestNeighbors(
        n_neighbors=6, metric=metric, p=p, algorithm="brute"
    ).fit(X)
    assert ours.n_samples_fit_ == len(X)
    distances, indices = ours.kneighbors(local(Q))
    assert indices.shape == (len(local(Q)), 6) and indices.dtype == np.int64
    if len(local(Q)):
        ref_distances, ref_indices = ref.kneighbors(local(Q))
        assert_array_equal(indices, ref_indices)
        assert_allclose(distances, ref_distances, rtol=1e-10, atol=1e-12)
    # Another k, indices only.
    only = ours.kneighbors(local(Q), n_neighbors=2, return_distance=False)
    assert_array_equal(only, indices[:, :2])


def test_training_rows_query_the_others_and_float32_rows(rng):
    X, Q = training_and_queries(rng)
    ref = sklearn.neighbors.NearestNeighbors(n_neighbors=4, algorithm="brute").fit(X)
    ours = neighbors.NearestNeighbors(n_neighbors=4).fit(local(X))
    lo, hi = bounds(len(X))
    distances, indices = ours.kneighbors()
    ref_distances, ref_indices = ref.kneighbors()
    assert_array_equal(indices, ref_indices[lo:hi])
    assert_allclose(distances, ref_distances[lo:hi], rtol=1e-10)
    # float32 rows are searched as they are (widened exactly).
    X32, Q32 = X.astype(np.float32), Q.astype(np.float32)
    ours32 = neighbors.NearestNeighbors(n_neighbors=4).fit(local(X32))
    ref32 = sklearn.neighbors.NearestNeighbors(n_neighbors=4, algorithm="brute").fit(
        X32.astype(np.float64)
    )
    _, indices32 = ours32.kneighbors(local(Q32))
    if len(local(Q)):
        assert_array_equal(indices32, ref32.kneighbors(local(Q32).astype(np.float64))[1])


def test_ties_go_to_the_lower_global_index(world):
    """A grid with many rows at equal distances (and duplicates): the same answer as one
    process alone, for any split."""
    from mpi4py import MPI

    grid = np.array([[i % 4, i // 4 % 3] for i in range(36)], dtype=np.float64)
    queries = np.array([[1.5, 1.0], [0.0, 0.0], [3.0, 2.0], [2.0, 1.5]])
    ours = neighbors.NearestNeighbors(n_neighbors=7, metric="manhattan").fit(local(grid))
    alone = neighbors.NearestNeighbors(n_neighbors=7, metric="manhattan", comm=MPI.COMM_SELF)
    alone.fit(grid)
    distances, indices = ours.kneighbors(local(queries))
    ref_distances, ref_indices = alone.kneighbors(local(queries))
    assert_array_equal(indices, ref_indices)
    assert_array_equal(distances, ref_distances)
    # Within equal distances, lower indices first.
    for d, j in zip(distances, indices):
        for a in range(len(d) - 1):
            assert d[a] < d[a + 1] or j[a] < j[a + 1]


def test_radius_neighbors_and_graphs(rng):
    X, Q = training_and_queries(rng, d=3)
    ours = neighbors.NearestNeighbors(n_neighbors=3, radius=1.2).fit(local(X))
    ref = sklearn.neighbors.NearestNeighbors(n_neighbors=3, radius=1.2, algorithm="brute").fit(X)
    Ql = local(Q)
    distances, indices = ours.radius_neighbors(Ql, sort_results=True)
    assert distances.dtype == object and len(indices) == len(Ql)
    graph = ours.kneighbors_graph(Ql, mode="distance")
    assert graph.shape == (len(Ql), len(X))
    radius_graph = ours.radius_neighbors_graph(Ql, radius=0.8)
    if len(Ql):
        ref_distances, ref_indices = ref.radius_neighbors(Ql, sort_results=True)
        for d, j, rd, rj in zip(distances, indices, ref_distances, ref_indices):
            assert_array_equal(j, rj)
            assert_allclose(d, rd, rtol=1e-10)
        assert_allclose(graph.toarray(), ref.kneighbors_graph(Ql, mode="distance").toarray(), rtol=1e-10)
        assert_array_equal(radius_graph.toarray(), ref.radius_neighbors_graph(Ql, radius=0.8).toarray())
    # X=None: each training row among the others.
    lo, hi = bounds(len(X))
    _, own = ours.radius_neighbors(radius=0.5)
    _, ref_own = ref.radius_neighbors(radius=0.5)
    for j, rj in zip(own, ref_own[lo:hi]):
        assert_array_equal(np.sort(j), np.sort(rj))


@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_classifier_with_classes_missing_from_ranks(rng, weights):
    X, y = classification_data(rng, n=300, classes=4)
    order = np.argsort(y, kind="stable")  # sorted by class: most ranks see only some classes
    X, y = X[order], y[order]
    Q, truth = classification_data(np.random.default_rng(11), n=80, classes=4)
    ours = neighbors.KNeighborsClassifier(n_neighbors=7, weights=weights).fit(*local(X, y))
    ref = sklearn.neighbors.KNeighborsClassifier(
        n_neighbors=7, weights=weights, algorithm="brute"
    ).fit(X, y)
    assert_array_equal(ours.classes_, ref.classes_)
    Ql = local(Q)
    proba, labels = ours.predict_proba(Ql), ours.predict(Ql)
    assert proba.shape == (len(Ql), 4) and labels.dtype == y.dtype
    if len(Ql):
        assert_allclose(proba, ref.predict_proba(Ql), rtol=1e-10, atol=1e-12)
        assert_array_equal(labels, ref.predict(Ql))
    assert ours.score(*local(Q, truth)) == pytest.approx(ref.score(Q, truth), rel=1e-12)


@pytest.mark.parametrize("targets", [1, 2])
def test_regressor(rng, targets):
    X, y = regression_data(rng, n=260, targets=targets)
    Q, truth = regression_data(np.random.default_rng(5), n=70, targets=targets)
    ours = neighbors.KNeighborsRegressor(n_neighbors=4, weights="distance").fit(*local(X, y))
    ref = sklearn.neighbors.KNeighborsRegressor(
        n_neighbors=4, weights="distance", algorithm="brute"
    ).fit(X, y)
    Ql = local(Q)
    predicted = ours.predict(Ql)
    assert predicted.shape == (len(Ql),) + np.shape(y)[1:]
    if len(Ql):
        assert_allclose(predicted, ref.predict(Ql), rtol=1e-10)
    assert ours.score(*local(Q, truth)) == pytest.approx(ref.score(Q, truth), rel=1e-10)


def test_clone_pickle_and_errors_on_every_rank(rng, world):
    from sklearn.base import clone

    X, y = classification_data(rng, n=120)
    model = neighbors.KNeighborsClassifier(n_neighbors=3).fit(*local(X, y))
    again = pickle.loads(pickle.dumps(model))
    Ql = local(X[:40])
    # The copy fits its rows again on first use (collective, as every query is).
    assert_array_equal(again.predict(Ql), model.predict(Ql))
    assert_array_equal(again.classes_, model.classes_)
    copy = clone(model)
    assert copy.get_params() == model.get_params() and not hasattr(copy, "classes_")
    with pytest.raises(ValueError, match="n_neighbors"):
        model.kneighbors(Ql, n_neighbors=len(X) + 1)
    # A query of the wrong width on one rank is a ValueError on every rank.
    bad = np.zeros((2, 3)) if world.Get_rank() == 0 else Ql
    with pytest.raises(ValueError, match="feature"):
        model.predict(bad)
    with pytest.raises(ValueError, match="metric_params"):
        neighbors.NearestNeighbors(metric_params={"w": 1}).fit(local(X))
    with pytest.raises(Exception, match="not fitted"):
        neighbors.NearestNeighbors().kneighbors(Ql)
