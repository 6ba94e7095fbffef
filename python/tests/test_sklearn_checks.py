"""scikit-learn's own estimator checks (`sklearn.utils.estimator_checks`) on every estimator, one
process, on the CPU. The only failures allowed are the ones each estimator declares, with its
reason, in `spmd_learn.expected_failed_checks` (the README lists them)."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

import spmd_learn
from spmd_learn import (
    basic_statistics,
    cluster,
    covariance,
    decomposition,
    ensemble,
    linear_model,
    naive_bayes,
    neighbors,
    preprocessing,
)

from conftest import WORLD

ESTIMATORS = [
    linear_model.LinearRegression(),
    linear_model.IncrementalLinearRegression(),
    linear_model.Ridge(),
    linear_model.LogisticRegression(),
    basic_statistics.BasicStatistics(),
    basic_statistics.IncrementalBasicStatistics(),
    covariance.EmpiricalCovariance(),
    covariance.IncrementalEmpiricalCovariance(),
    decomposition.PCA(),
    decomposition.IncrementalPCA(),
    decomposition.QR(),
    decomposition.SVD(),
    # scikit-learn checks its own KMeans and forests with these sizes too.
    cluster.KMeans(n_clusters=2, n_init=2, max_iter=5),
    cluster.DBSCAN(),
    cluster.HDBSCAN(),
    naive_bayes.MultinomialNB(),
    preprocessing.StandardScaler(),
    preprocessing.MinMaxScaler(),
    preprocessing.MaxAbsScaler(),
    neighbors.NearestNeighbors(),
    neighbors.KNeighborsClassifier(),
    neighbors.KNeighborsRegressor(),
    ensemble.RandomForestClassifier(n_estimators=5),
    ensemble.RandomForestRegressor(n_estimators=5),
]


def test_every_estimator_is_checked():
    """Every estimator class the package exports is in the list above."""
    exported = {
        cls
        for module in (
            basic_statistics, cluster, covariance, decomposition, ensemble, linear_model,
            naive_bayes, neighbors, preprocessing,
        )
        for cls in vars(module).values()
        if isinstance(cls, type) and issubclass(cls, spmd_learn._base.SpmdEstimator)
        and cls is not spmd_learn._base.SpmdEstimator and not cls.__name__.startswith("_")
    }
    assert exported == {type(e) for e in ESTIMATORS}


# The checks fit one process's rows: under mpirun there are none to collect.
@parametrize_with_checks(
    ESTIMATORS if WORLD.Get_size() == 1 else [],
    expected_failed_checks=spmd_learn.expected_failed_checks,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
