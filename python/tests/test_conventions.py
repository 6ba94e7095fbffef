"""scikit-learn's conventions (clone, pickle, repr, set_params, NotFittedError), sub-communicators,
queues, and failures on one rank becoming exceptions on every rank."""

import pickle

import numpy as np
import pytest
import sklearn.linear_model
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone

import spmd_learn
from conftest import WORLD, classification_data, local, regression_data
from spmd_learn import cluster, decomposition, ensemble, linear_model, naive_bayes, preprocessing

SUPERVISED = [
    linear_model.LinearRegression(fit_intercept=False),
    linear_model.Ridge(alpha=0.3),
    linear_model.IncrementalLinearRegression(batch_size=7),
    linear_model.LogisticRegression(C=2.0),
    naive_bayes.MultinomialNB(alpha=0.2),
    ensemble.RandomForestClassifier(n_estimators=5, random_state=0),
    ensemble.RandomForestRegressor(n_estimators=5, max_depth=4, random_state=0),
]
UNSUPERVISED = [
    decomposition.PCA(n_components=2),
    decomposition.IncrementalPCA(n_components=2, batch_size=30),
    cluster.KMeans(n_clusters=3, random_state=1),
    preprocessing.StandardScaler(),
    preprocessing.MinMaxScaler(),
]


def _data(estimator, rng):
    X, y = classification_data(rng, n=200)
    if isinstance(estimator, naive_bayes.MultinomialNB):
        X = np.abs(X)
    regressors = (linear_model.LinearRegression, linear_model.Ridge, linear_model.IncrementalLinearRegression)
    if isinstance(estimator, regressors):
        y = y.astype(np.float64)
    return X, y


def _outputs(estimator, X):
    if hasattr(estimator, "predict"):
        return estimator.predict(X)
    return estimator.transform(X)


@pytest.mark.parametrize("estimator", SUPERVISED + UNSUPERVISED, ids=lambda e: type(e).__name__)
def test_clone_pickle_and_repr(rng, estimator):
    X, y = _data(estimator, rng)
    supervised = any(estimator is e for e in SUPERVISED)
    copy = clone(estimator)
    assert copy.get_params() == estimator.get_params()
    assert repr(copy) == repr(estimator)
    with pytest.raises(spmd_learn.NotFittedError):
        _outputs(copy, local(X))
    fitted = copy.fit(*local(X, y)) if supervised else copy.fit(local(X))
    assert fitted is copy
    restored = pickle.loads(pickle.dumps(fitted))
    assert_array_equal(_outputs(restored, local(X)), _outputs(fitted, local(X)))
    assert restored.n_features_in_ == X.shape[1]


@pytest.mark.parametrize("estimator", SUPERVISED + UNSUPERVISED, ids=lambda e: type(e).__name__)
def test_rows_without_columns_are_a_clear_error_on_every_rank(rng, estimator):
    X, y = _data(estimator, rng)
    X = X[:, :0]
    supervised = any(estimator is e for e in SUPERVISED)
    # The rank that finds it raises ValueError, as scikit-learn does; a rank told of another
    # rank's failure raises SpmdError naming it. Never a panic, never a hang.
    with pytest.raises((ValueError, spmd_learn.SpmdError), match="0 feature"):
        if supervised:
            clone(estimator).fit(*local(X, y))
        else:
            clone(estimator).fit(local(X))


def test_repr_and_set_params_follow_scikit_learn():
    ridge = linear_model.Ridge(alpha=0.5, fit_intercept=False)
    assert repr(ridge) == "Ridge(alpha=0.5, fit_intercept=False)"
    assert ridge.set_params(alpha=3.0) is ridge and ridge.alpha == 3.0
    with pytest.raises(ValueError, match="Invalid parameter"):
        ridge.set_params(alpah=1.0)
    with pytest.raises(ValueError, match="alpha"):
        linear_model.Ridge(alpha=-1.0).fit(np.ones((3, 2)), np.ones(3))


def test_partial_fit_failure_on_one_rank_fails_the_finalize_everywhere(rng):
    X, y = regression_data(rng)
    Xl, yl = local(X, y)
    inc = linear_model.IncrementalLinearRegression()
    if WORLD.Get_rank() == WORLD.Get_size() - 1:
        with pytest.raises(ValueError):
            inc.partial_fit(np.full((3, X.shape[1]), np.nan), np.zeros(3))
    else:
        inc.partial_fit(Xl, yl)
    with pytest.raises((ValueError, spmd_learn.SpmdError)):
        inc.coef_


def test_sub_communicators_fit_different_models_at_once(rng):
    """Two groups of ranks (the even and the odd ones) fit different models at the same time,
    each equal to scikit-learn on its own group's rows."""
    group = WORLD.Get_rank() % 2
    sub = WORLD.Split(group)
    try:
        if group == 0:
            X, y = regression_data(np.random.default_rng(11))
            ours = linear_model.Ridge(alpha=0.7, comm=sub).fit(*local(X, y, comm=sub))
            ref = sklearn.linear_model.Ridge(alpha=0.7).fit(X, y)
            assert_allclose(ours.coef_, ref.coef_, rtol=1e-10)
        else:
            X, y = classification_data(np.random.default_rng(12))
            ours = naive_bayes.MultinomialNB(comm=sub).fit(*local(np.abs(X), y, comm=sub))
            ref = __import__("sklearn.naive_bayes").naive_bayes.MultinomialNB().fit(np.abs(X), y)
            assert_allclose(ours.feature_log_prob_, ref.feature_log_prob_, rtol=1e-12)
        # clone keeps the communicator; pickle drops it (the copy fits over the job's ranks).
        assert clone(ours).comm is sub
        assert pickle.loads(pickle.dumps(ours)).comm is None
    finally:
        sub.Free()


def test_bad_input_on_one_rank_raises_on_every_rank(rng):
    X, y = regression_data(rng)
    X, y = local(X, y)
    if WORLD.Get_size() > 1 and WORLD.Get_rank() == WORLD.Get_size() - 1:
        X = X.copy()
        X[0, 0] = np.nan
    expected = (ValueError, spmd_learn.SpmdError) if WORLD.Get_size() > 1 else None
    if expected is None:
        linear_model.LinearRegression().fit(X, y)
        return
    with pytest.raises(expected, match="NaN|rank"):
        linear_model.LinearRegression().fit(X, y)


def test_unconvertible_input_on_one_rank_raises_on_every_rank(rng):
    """A failure in Python, before any native call, reaches the other ranks too."""
    X, y = regression_data(rng)
    X, y = local(X, y)
    bad = WORLD.Get_rank() == WORLD.Get_size() - 1
    if bad:
        X = np.array([["a"] * X.shape[1]] * max(len(X), 1))
    with pytest.raises((ValueError, spmd_learn.SpmdError)):
        linear_model.LinearRegression().fit(X, y)
    # Every rank is still in step: a good fit works afterwards.
    X, y = regression_data(rng)
    linear_model.LinearRegression().fit(*local(X, y))


def test_queue_gpu_matches_cpu(rng):
    """`queue="gpu"` on this rank's GPU (lavapipe in CI); skipped without an adapter unless
    SPMD_REQUIRE_GPU=1."""
    import os

    try:
        queue = spmd_learn.Queue()
        found = None
    except spmd_learn.SpmdError as e:
        queue, found = None, str(e)
    found_everywhere = WORLD.allreduce(found is None, op=__import__("mpi4py").MPI.LAND)
    if not found_everywhere:
        if os.environ.get("SPMD_REQUIRE_GPU") == "1":
            pytest.fail(f"no GPU adapter: {found}")
        pytest.skip(f"no GPU adapter: {found}")
    X, y = regression_data(rng)
    cpu = linear_model.LinearRegression().fit(*local(X, y))
    gpu = linear_model.LinearRegression().fit(*local(X, y), queue=queue)
    assert_allclose(gpu.coef_, cpu.coef_, rtol=1e-6, atol=1e-8)
    assert_allclose(gpu.predict(local(X), queue="gpu"), cpu.predict(local(X)), rtol=1e-6, atol=1e-8)
    km = cluster.KMeans(n_clusters=3, init=X[:3, :3].copy(), n_init=1)
    assert_array_equal(km.fit(local(X[:, :3]), queue=queue).labels_, clone(km).fit(local(X[:, :3])).labels_)
