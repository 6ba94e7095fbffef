"""Every wrapped estimator against scikit-learn fitted on the concatenated rows of every rank."""

import pathlib

import numpy as np
import pytest
import sklearn.cluster
import sklearn.covariance
import sklearn.decomposition
import sklearn.linear_model
import sklearn.naive_bayes
import sklearn.preprocessing
from numpy.testing import assert_allclose, assert_array_equal

from conftest import classification_data, local, regression_data, rows_alike
from spmd_learn import (
    basic_statistics,
    cluster,
    covariance,
    decomposition,
    ensemble,
    linear_model,
    naive_bayes,
    preprocessing,
)


@pytest.mark.parametrize("targets", [1, 2])
def test_linear_regression(rng, targets):
    X, y = regression_data(rng, targets=targets)
    ours = linear_model.LinearRegression().fit(*local(X, y))
    ref = sklearn.linear_model.LinearRegression().fit(X, y)
    assert_allclose(ours.coef_, ref.coef_, rtol=1e-10, atol=1e-12)
    assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-10, atol=1e-12)
    assert np.shape(ours.coef_) == np.shape(ref.coef_)
    Xl = local(X)
    rows_alike(ours.predict, ref.predict, Xl, rtol=1e-10, atol=1e-10)
    # score is over every rank's rows: scikit-learn's score of all rows.
    assert ours.score(*local(X, y)) == pytest.approx(ref.score(X, y), rel=1e-12)
    w = rng.uniform(0.5, 2.0, size=len(X))
    assert ours.score(*local(X, y), sample_weight=local(w)) == pytest.approx(
        ref.score(X, y, sample_weight=w), rel=1e-12
    )
    # Weighted least squares, zero weights included, as scikit-learn's.
    w[::7] = 0.0
    weighted = linear_model.LinearRegression().fit(*local(X, y), sample_weight=local(w))
    ref_w = sklearn.linear_model.LinearRegression().fit(X, y, sample_weight=w)
    assert_allclose(weighted.coef_, ref_w.coef_, rtol=1e-10, atol=1e-12)
    assert_allclose(weighted.intercept_, ref_w.intercept_, rtol=1e-10, atol=1e-12)


def test_ridge(rng):
    X, y = regression_data(rng)
    ours = linear_model.Ridge(alpha=2.5).fit(*local(X, y))
    ref = sklearn.linear_model.Ridge(alpha=2.5).fit(X, y)
    assert_allclose(ours.coef_, ref.coef_, rtol=1e-10)
    assert ours.intercept_ == pytest.approx(ref.intercept_, rel=1e-10)
    assert ours.score(*local(X, y)) == pytest.approx(ref.score(X, y), rel=1e-12)


def test_logistic_regression(rng):
    X, y = classification_data(rng)
    ours = linear_model.LogisticRegression(C=0.5, tol=1e-10, max_iter=500).fit(*local(X, y))
    ref = sklearn.linear_model.LogisticRegression(C=0.5, tol=1e-10, max_iter=500).fit(X, y)
    assert_array_equal(ours.classes_, ref.classes_)
    assert ours.classes_.dtype == ref.classes_.dtype
    assert_allclose(ours.coef_, ref.coef_, rtol=1e-4, atol=1e-5)
    assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-4, atol=1e-5)
    Xl = local(X)
    rows_alike(ours.predict_proba, ref.predict_proba, Xl, atol=1e-6)
    rows_alike(ours.predict, ref.predict, Xl)
    assert ours.score(*local(X, y)) == pytest.approx(ref.score(X, y))


def test_basic_statistics(rng):
    X = rng.normal(size=(200, 4))
    ours = basic_statistics.BasicStatistics().fit(local(X))
    assert_allclose(ours.mean_, X.mean(axis=0), rtol=1e-12)
    assert_allclose(ours.variance_, X.var(axis=0, ddof=1), rtol=1e-12)
    assert_allclose(ours.min_, X.min(axis=0))
    assert_allclose(ours.max_, X.max(axis=0))
    assert_allclose(ours.sum_, X.sum(axis=0), rtol=1e-12)


def test_empirical_covariance(rng):
    X = rng.normal(size=(200, 4)) @ rng.normal(size=(4, 4))
    ours = covariance.EmpiricalCovariance().fit(local(X))
    ref = sklearn.covariance.EmpiricalCovariance().fit(X)
    assert_allclose(ours.covariance_, ref.covariance_, rtol=1e-10, atol=1e-12)
    assert_allclose(ours.location_, ref.location_, rtol=1e-12)
    assert_allclose(ours.precision_, ref.precision_, rtol=1e-8, atol=1e-10)


def test_incremental_basic_statistics(rng):
    X = rng.normal(size=(200, 4))
    w = rng.uniform(0.5, 2.0, size=len(X))
    ours = basic_statistics.IncrementalBasicStatistics(batch_size=9).fit(local(X))
    assert_allclose(ours.mean_, X.mean(axis=0), rtol=1e-12)
    assert_allclose(ours.variance_, X.var(axis=0, ddof=1), rtol=1e-12)
    # Batch by batch on each rank, with weights: the statistics of the weighted rows w x.
    inc = basic_statistics.IncrementalBasicStatistics(result_options=["mean", "max"])
    Xl, wl = local(X), local(w)
    # A rank without rows adds one empty batch: every rank takes part in the finalize.
    for start in range(0, max(len(Xl), 1), 17):
        inc.partial_fit(Xl[start : start + 17], sample_weight=wl[start : start + 17])
    assert_allclose(inc.mean_, (w[:, None] * X).mean(axis=0), rtol=1e-12)
    assert_allclose(inc.max_, (w[:, None] * X).max(axis=0))
    assert not hasattr(inc, "variance_")


def test_incremental_empirical_covariance(rng):
    X = rng.normal(size=(200, 4)) @ rng.normal(size=(4, 4))
    ref = sklearn.covariance.EmpiricalCovariance().fit(X)
    ours = covariance.IncrementalEmpiricalCovariance(batch_size=11).fit(local(X))
    assert_allclose(ours.covariance_, ref.covariance_, rtol=1e-10, atol=1e-12)
    assert_allclose(ours.location_, ref.location_, rtol=1e-12)
    inc = covariance.IncrementalEmpiricalCovariance(store_precision=False)
    Xl = local(X)
    for start in range(0, max(len(Xl), 1), 23):
        inc.partial_fit(Xl[start : start + 23])
    assert_allclose(inc.covariance_, ref.covariance_, rtol=1e-10, atol=1e-12)
    # The batches are forgotten by fit.
    inc.fit(local(X[:50]))
    assert_allclose(inc.covariance_, np.cov(X[:50].T, bias=True), rtol=1e-10, atol=1e-12)


def _signs_aligned(ours, ref):
    signs = np.sign((ours * ref).sum(axis=1, keepdims=True))
    return ours * signs


@pytest.mark.parametrize("whiten", [False, True])
def test_pca(rng, whiten):
    X = rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6))
    ours = decomposition.PCA(n_components=3, whiten=whiten).fit(local(X))
    ref = sklearn.decomposition.PCA(n_components=3, whiten=whiten).fit(X)
    assert_allclose(ours.explained_variance_, ref.explained_variance_, rtol=1e-10)
    assert_allclose(ours.singular_values_, ref.singular_values_, rtol=1e-10)
    assert_allclose(_signs_aligned(ours.components_, ref.components_), ref.components_, atol=1e-9)
    Xl = local(X)
    signs = np.sign((ours.components_ * ref.components_).sum(axis=1))
    rows_alike(lambda x: ours.transform(x) * signs, ref.transform, Xl, atol=1e-8)
    rows_alike(
        lambda x: ours.inverse_transform(ours.transform(x)),
        lambda x: ref.inverse_transform(ref.transform(x)),
        Xl,
        atol=1e-8,
    )


def test_incremental_pca_equals_pca(rng):
    X = rng.normal(size=(300, 5)) @ rng.normal(size=(5, 5))
    ours = decomposition.IncrementalPCA(n_components=2, batch_size=37).fit(local(X))
    ref = sklearn.decomposition.PCA(n_components=2).fit(X)
    assert_allclose(ours.explained_variance_, ref.explained_variance_, rtol=1e-9)
    assert_allclose(ours.mean_, ref.mean_, rtol=1e-12, atol=1e-14)


def test_incremental_linear_regression(rng):
    """Batches on each rank (partial_fit is local; a rank without rows passes an empty batch),
    then the model of every batch of every rank: scikit-learn's fit of all rows."""
    X, y = regression_data(rng, targets=2)
    Xl, yl = local(X, y)
    ref = sklearn.linear_model.LinearRegression().fit(X, y)
    inc = linear_model.IncrementalLinearRegression()
    for start in range(0, max(len(Xl), 1), 17):
        inc.partial_fit(Xl[start : start + 17], yl[start : start + 17])
    assert_allclose(inc.coef_, ref.coef_, rtol=1e-10)  # finalizes here (collective)
    assert_allclose(inc.intercept_, ref.intercept_, rtol=1e-10)
    rows_alike(inc.predict, ref.predict, Xl, rtol=1e-10)
    X1, y1 = regression_data(rng)
    whole = linear_model.IncrementalLinearRegression(batch_size=10).fit(*local(X1, y1))
    ref1 = sklearn.linear_model.LinearRegression().fit(X1, y1)
    assert_allclose(whole.coef_, ref1.coef_, rtol=1e-10)
    assert np.shape(whole.coef_) == np.shape(ref1.coef_)
    assert whole.score(*local(X1, y1)) == pytest.approx(ref1.score(X1, y1), rel=1e-12)


def test_incremental_pca_partial_fit(rng):
    X = rng.normal(size=(240, 5)) @ rng.normal(size=(5, 5))
    Xl = local(X)
    ipca = decomposition.IncrementalPCA(n_components=3)
    for start in range(0, max(len(Xl), 1), 25):
        ipca.partial_fit(Xl[start : start + 25])
    ref = sklearn.decomposition.PCA(n_components=3).fit(X)
    assert_allclose(ipca.explained_variance_, ref.explained_variance_, rtol=1e-9)


def test_qr_and_svd(rng):
    X = rng.normal(size=(120, 4))
    qr = decomposition.QR().fit(local(X))
    r_ref = np.linalg.qr(X, mode="r")
    signs = np.sign(np.diag(qr.r_) * np.diag(r_ref))
    assert_allclose(qr.r_ * signs[:, None], r_ref, atol=1e-10)
    assert_allclose(qr.q_ @ qr.r_, local(X), atol=1e-10)
    svd = decomposition.SVD().fit(local(X))
    assert_allclose(svd.singular_values_, np.linalg.svd(X, compute_uv=False), rtol=1e-10)
    assert_allclose(svd.u_ * svd.singular_values_ @ svd.components_, local(X), atol=1e-10)


def test_kmeans(rng):
    X, _ = classification_data(rng, n=300, classes=3)
    init = X[[0, 100, 200]]
    ours = cluster.KMeans(n_clusters=3, init=init, n_init=1).fit(local(X))
    ref = sklearn.cluster.KMeans(n_clusters=3, init=init, n_init=1).fit(X)
    assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-10)
    assert_array_equal(ours.labels_, local(ref.labels_))
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-10)
    rows_alike(ours.predict, ref.predict, local(X))
    rows_alike(ours.transform, ref.transform, local(X), rtol=1e-10)
    assert ours.score(local(X)) == pytest.approx(ref.score(X), rel=1e-10)
    w = rng.uniform(0.5, 2.0, size=len(X))
    assert ours.score(local(X), sample_weight=local(w)) == pytest.approx(
        ref.score(X, sample_weight=w), rel=1e-10
    )
    assert ours.n_iter_ == ref.n_iter_


def test_dbscan(rng):
    X, _ = classification_data(rng, n=300, classes=3)
    ours = cluster.DBSCAN(eps=1.0, min_samples=6).fit(local(X))
    ref = sklearn.cluster.DBSCAN(eps=1.0, min_samples=6).fit(X)
    assert_array_equal(ours.labels_, local(ref.labels_))
    assert_array_equal(
        cluster.DBSCAN(eps=1.0, min_samples=6, metric="manhattan").fit_predict(local(X)),
        local(sklearn.cluster.DBSCAN(eps=1.0, min_samples=6, metric="manhattan").fit_predict(X)),
    )


def test_hdbscan():
    # Blobs of varying density whose spanning tree has no ties that change scikit-learn's labels
    # (tests/fixtures/make_hdbscan.py); one row with a NaN.
    fixtures = pathlib.Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "hdbscan"
    X = np.load(fixtures / "varied.npy")
    X[7, 2] = np.nan
    ours = cluster.HDBSCAN(min_cluster_size=15, store_centers="both").fit(local(X))
    ref = sklearn.cluster.HDBSCAN(min_cluster_size=15, copy=True).fit(X)
    assert_array_equal(ours.labels_, local(ref.labels_))
    assert_allclose(ours.probabilities_, local(ref.probabilities_), rtol=0, atol=1e-12)
    finite = np.isfinite(X).all(axis=1)
    clean = sklearn.cluster.HDBSCAN(min_cluster_size=15, store_centers="both", copy=True)
    clean.fit(X[finite])
    assert_allclose(ours.centroids_, clean.centroids_, rtol=1e-12)
    assert_allclose(ours.medoids_, clean.medoids_, rtol=1e-12)
    manhattan = dict(min_cluster_size=15, metric="manhattan")
    assert_array_equal(
        cluster.HDBSCAN(**manhattan).fit_predict(local(X)),
        local(sklearn.cluster.HDBSCAN(**manhattan, copy=True).fit_predict(X)),
    )


def test_multinomial_nb(rng):
    X = rng.poisson(2.0, size=(300, 6)).astype(np.float64)
    y = rng.integers(0, 3, size=300)
    ours = naive_bayes.MultinomialNB(alpha=0.5).fit(*local(X, y))
    ref = sklearn.naive_bayes.MultinomialNB(alpha=0.5).fit(X, y)
    assert_allclose(ours.feature_log_prob_, ref.feature_log_prob_, rtol=1e-12)
    assert_allclose(ours.class_log_prior_, ref.class_log_prior_, rtol=1e-12)
    rows_alike(ours.predict_proba, ref.predict_proba, local(X), rtol=1e-10)
    rows_alike(ours.predict, ref.predict, local(X))
    assert ours.score(*local(X, y)) == pytest.approx(ref.score(X, y))
    rows_alike(ours.predict_log_proba, ref.predict_log_proba, local(X), rtol=1e-10)


def test_multinomial_nb_partial_fit(rng):
    """Weighted batches on each rank (local), the classes named on the first call; the model of
    every batch of every rank is scikit-learn's partial_fit of all rows. Batches after that
    add to it."""
    X = rng.poisson(2.0, size=(300, 6)).astype(np.float64)
    y = rng.integers(0, 3, size=300)
    w = rng.uniform(0.5, 2.0, size=300)
    Xl, yl, wl = local(X, y, w)
    ours = naive_bayes.MultinomialNB(alpha=0.5)
    for start in range(0, max(len(Xl), 1), 23):
        batch = slice(start, start + 23)
        ours.partial_fit(Xl[batch], yl[batch], classes=[0, 1, 2], sample_weight=wl[batch])
    ref = sklearn.naive_bayes.MultinomialNB(alpha=0.5)
    ref.partial_fit(X, y, classes=[0, 1, 2], sample_weight=w)
    assert_allclose(ours.feature_count_, ref.feature_count_, rtol=1e-12)  # sums here
    assert_allclose(ours.class_count_, ref.class_count_, rtol=1e-12)
    assert_array_equal(ours.classes_, ref.classes_)
    rows_alike(ours.predict_proba, ref.predict_proba, Xl, rtol=1e-10)
    rows_alike(ours.predict, ref.predict, Xl)
    X2 = rng.poisson(3.0, size=(80, 6)).astype(np.float64)
    y2 = rng.integers(0, 3, size=80)
    ours.partial_fit(*local(X2, y2))
    ref.partial_fit(X2, y2)
    assert_allclose(ours.feature_log_prob_, ref.feature_log_prob_, rtol=1e-12)
    # As scikit-learn: partial_fit after fit adds to the fitted counts.
    fitted = naive_bayes.MultinomialNB().fit(*local(X, y)).partial_fit(*local(X2, y2))
    ref_fitted = sklearn.naive_bayes.MultinomialNB().fit(X, y).partial_fit(X2, y2)
    assert_allclose(fitted.feature_count_, ref_fitted.feature_count_, rtol=1e-12)
    assert_allclose(fitted.feature_log_prob_, ref_fitted.feature_log_prob_, rtol=1e-12)
    with pytest.raises(ValueError, match="classes must be passed"):
        naive_bayes.MultinomialNB().partial_fit(Xl, yl)


@pytest.mark.parametrize(
    "ours, ref",
    [
        (preprocessing.StandardScaler(), sklearn.preprocessing.StandardScaler()),
        (preprocessing.StandardScaler(with_mean=False), sklearn.preprocessing.StandardScaler(with_mean=False)),
        (preprocessing.MinMaxScaler(feature_range=(-1, 2)), sklearn.preprocessing.MinMaxScaler(feature_range=(-1, 2))),
        (preprocessing.MaxAbsScaler(), sklearn.preprocessing.MaxAbsScaler()),
    ],
    ids=["standard", "standard-no-mean", "min-max", "max-abs"],
)
def test_scalers(rng, ours, ref):
    X = rng.normal(loc=3.0, scale=2.0, size=(200, 4))
    ours.fit(local(X))
    ref.fit(X)
    Xl = local(X)
    rows_alike(ours.transform, ref.transform, Xl, rtol=1e-10, atol=1e-12)
    assert_allclose(ours.inverse_transform(ours.transform(Xl)), Xl, rtol=1e-10, atol=1e-12)


def test_float32_stays_float32_and_is_not_copied(rng):
    X, y = regression_data(rng)
    X32 = np.ascontiguousarray(local(X), dtype=np.float32)
    ours = linear_model.LinearRegression().fit(X32, local(y))
    ref = sklearn.linear_model.LinearRegression().fit(X, y)
    assert_allclose(ours.coef_, ref.coef_, rtol=1e-4, atol=1e-4)
    # Fortran order, integers and lists are converted once and give the same model.
    fortran = linear_model.LinearRegression().fit(np.asfortranarray(local(X)), local(y))
    assert_allclose(fortran.coef_, ref.coef_, rtol=1e-10)
    # (an empty list has no width: a rank without rows passes an empty array)
    rows = local(X).tolist() or np.empty((0, X.shape[1]))
    as_lists = linear_model.LinearRegression().fit(rows, local(y).tolist())
    assert_allclose(as_lists.coef_, ref.coef_, rtol=1e-10)


def test_contiguous_float_arrays_are_viewed_not_copied(rng):
    from spmd_learn._base import as_rows

    for dtype in (np.float64, np.float32):
        X = np.ascontiguousarray(rng.normal(size=(10, 3)), dtype=dtype)
        assert as_rows(X) is X
    assert as_rows(np.asfortranarray(rng.normal(size=(10, 3)))).flags["C_CONTIGUOUS"]
    assert as_rows(np.arange(6).reshape(3, 2)).dtype == np.float64


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_random_forest_is_the_single_process_forest(rng, world, kind):
    """A forest's trees do not depend on the split: every rank also fits all rows alone (over
    MPI.COMM_SELF) and gets the same predictions bit for bit; quality is near scikit-learn's."""
    from mpi4py import MPI
    import sklearn.ensemble

    if kind == "classifier":
        X, y = classification_data(rng, n=600, classes=3)
        ours_cls, ref_cls = ensemble.RandomForestClassifier, sklearn.ensemble.RandomForestClassifier
        extra = dict(class_weight={0: 1.0, 1: 2.0, 2: 1.5})
    else:
        X, y = regression_data(rng, n=600)
        ours_cls, ref_cls = ensemble.RandomForestRegressor, sklearn.ensemble.RandomForestRegressor
        extra = {}
    params = dict(n_estimators=20, random_state=3, oob_score=True, **extra)
    ours = ours_cls(**params).fit(*local(X, y))
    alone = ours_cls(comm=MPI.COMM_SELF, **params).fit(X, y)
    assert_array_equal(ours.predict(X), alone.predict(X))
    assert ours.oob_score_ == alone.oob_score_
    ref = ref_cls(**params).fit(X, y)
    assert abs(ours.oob_score_ - ref.oob_score_) < 0.05
    assert_allclose(ours.feature_importances_.sum(), 1.0)
    if kind == "classifier":
        assert ours.predict_proba(local(X)).shape == (len(local(X)), 3)
        assert ours.oob_decision_function_.shape == (len(local(X)), 3)
    else:
        assert ours.oob_prediction_.shape == (len(local(X)),)
