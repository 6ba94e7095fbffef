"""What scikit-learn users pass: labels of any type, sample weights, bad shapes, sparse data,
batches after `fit`, and scikit-learn-intelex's script helpers; at 1, 2 and 4 ranks, each rank
passing its own rows and every result compared with scikit-learn fitted on all of them."""

import numpy as np
import pytest
import scipy.sparse
import sklearn.cluster
import sklearn.decomposition
import sklearn.linear_model
import sklearn.naive_bayes
import sklearn.neighbors
import sklearn.preprocessing
from numpy.testing import assert_allclose, assert_array_equal

import spmd_learn
import spmd_learn.dpctl as dpctl
import spmd_learn.dpctl.tensor as dpt
import spmd_learn.dpnp as dpnp
from conftest import WORLD, classification_data, local, regression_data, rows_alike
from spmd_learn import (
    cluster,
    decomposition,
    ensemble,
    linear_model,
    naive_bayes,
    neighbors,
    preprocessing,
)

NAMES = np.array(["emu", "cat", "dog"])


def _gpu_everywhere():
    """Whether every rank has a GPU (lavapipe in CI): the ranks agree before a GPU fit."""
    from mpi4py import MPI

    return WORLD.allreduce(dpctl.has_gpu_devices(), op=MPI.LAND)


def _named(labels, kind):
    """Labels 0, 1, 2 as strings, objects, booleans (two classes) or floats (0, 2, 4)."""
    if kind == "str":
        return NAMES[labels]
    if kind == "object":
        return NAMES[labels].astype(object)
    if kind == "bool":
        return labels % 2 == 1
    return labels.astype(np.float64) * 2.0


# -- labels of any type ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["str", "object", "bool", "float"])
def test_classifiers_keep_their_labels(rng, kind):
    X, labels = classification_data(rng, n=300)
    y = _named(labels, kind)
    Xl, yl = local(X, y)
    ref_classes = np.unique(y)
    pairs = [
        (naive_bayes.MultinomialNB(), sklearn.naive_bayes.MultinomialNB(), np.abs),
        (neighbors.KNeighborsClassifier(3), sklearn.neighbors.KNeighborsClassifier(3), None),
        (
            linear_model.LogisticRegression(tol=1e-10, max_iter=500),
            sklearn.linear_model.LogisticRegression(tol=1e-10, max_iter=500),
            None,
        ),
    ]
    for ours, ref, transform in pairs:
        Xt = X if transform is None else transform(X)
        ours.fit(local(Xt), yl)
        ref.fit(Xt, y)
        assert_array_equal(ours.classes_, ref.classes_)
        assert_array_equal(ours.classes_, ref_classes)
        assert ours.classes_.dtype == ref_classes.dtype  # np.unique's (scikit-learn's varies)
        predicted = ours.predict(local(Xt))  # collective for kNN: every rank calls it
        assert predicted.dtype == ref_classes.dtype
        if len(predicted):
            assert_array_equal(predicted, ref.predict(local(Xt)))
        rows_alike(ours.predict_proba, ref.predict_proba, local(Xt), atol=1e-6)
        assert ours.score(local(Xt), yl) == pytest.approx(ref.score(Xt, y), rel=1e-12)
    # The forest's trees are its own: the labels map to the same trees as their indices.
    by_name = ensemble.RandomForestClassifier(n_estimators=4, random_state=0).fit(Xl, yl)
    by_index = ensemble.RandomForestClassifier(n_estimators=4, random_state=0).fit(
        Xl, np.searchsorted(ref_classes, yl)
    )
    assert_array_equal(by_name.classes_, ref_classes)
    assert_array_equal(by_name.predict(Xl), ref_classes[by_index.predict(Xl)])


def test_numeric_labels_reach_the_model_file_as_themselves(rng):
    """So a pickled model's JSON, read by the command line, predicts the labels too."""
    import json

    X, labels = classification_data(rng, n=200)
    y = np.array([3, 7, 11])[labels]
    for model in (linear_model.LogisticRegression(), naive_bayes.MultinomialNB()):
        model.fit(*local(np.abs(X), y))
        assert json.loads(model._model.attribute("classes_")) == [3, 7, 11]
        assert_array_equal(model.classes_, [3, 7, 11])
        assert set(model.predict(local(np.abs(X))).tolist()) <= {3, 7, 11}


def test_a_class_on_one_rank_only_and_class_weight_by_label(rng):
    """Every rank learns the classes of all ranks; `class_weight` names labels, as in
    scikit-learn."""
    X, labels = classification_data(rng, n=300)
    y = NAMES[labels]
    y[: len(y) // 3] = "yak"  # the first rows only: with several ranks, on rank 0 alone
    weights = {"yak": 3.0, "cat": 0.5, "dog": 1.0, "emu": 2.0}
    exact = dict(tol=1e-10, max_iter=500, class_weight=weights)
    ours = linear_model.LogisticRegression(**exact).fit(*local(X, y))
    ref = sklearn.linear_model.LogisticRegression(**exact).fit(X, y)
    assert_array_equal(ours.classes_, ["cat", "dog", "emu", "yak"])
    assert_allclose(ours.coef_, ref.coef_, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="are not in class_weight"):
        linear_model.LogisticRegression(class_weight={"cat": 1.0, "gnu": 2.0}).fit(*local(X, y))


def test_multinomial_nb_partial_fit_with_named_classes(rng):
    X, labels = classification_data(rng, n=240)
    X, y = np.abs(X), NAMES[labels]
    Xl, yl = local(X, y)
    ours = naive_bayes.MultinomialNB()
    for start in range(0, max(len(Xl), 1), 50):
        ours.partial_fit(Xl[start : start + 50], yl[start : start + 50], classes=NAMES)
    ref = sklearn.naive_bayes.MultinomialNB().partial_fit(X, y, classes=NAMES)
    assert_array_equal(ours.classes_, ref.classes_)
    assert_allclose(ours.feature_count_, ref.feature_count_, rtol=1e-12)
    if len(Xl):
        assert_array_equal(ours.predict(Xl), ref.predict(Xl))
    with pytest.raises(ValueError, match="not in classes"):
        naive_bayes.MultinomialNB().partial_fit(X[:3], ["cat", "gnu", "dog"], classes=NAMES)


def test_labels_of_strings_on_one_rank_and_numbers_on_another_fail_every_rank(rng):
    X, labels = classification_data(rng, n=200)
    y = NAMES[labels] if WORLD.Get_rank() == 0 else labels
    if WORLD.Get_size() == 1:
        return
    with pytest.raises(ValueError, match="Mix of label input types"):
        naive_bayes.MultinomialNB().fit(*local(np.abs(X), y))


def test_continuous_targets_are_refused_by_classifiers(rng):
    X, y = regression_data(rng)
    with pytest.raises(ValueError, match="Unknown label type"):
        linear_model.LogisticRegression().fit(*local(X, y))


# -- sample weights ------------------------------------------------------------------------------


def test_linear_models_take_sample_weights(rng):
    X, y = regression_data(rng, targets=2)
    w = rng.uniform(0.0, 3.0, size=len(X))
    w[::5] = 0.0
    for ours, ref in [
        (linear_model.LinearRegression(), sklearn.linear_model.LinearRegression()),
        (linear_model.Ridge(alpha=2.0), sklearn.linear_model.Ridge(alpha=2.0)),
        (linear_model.Ridge(fit_intercept=False), sklearn.linear_model.Ridge(fit_intercept=False)),
    ]:
        ours.fit(*local(X, y, w)[:2], sample_weight=local(w))
        ref.fit(X, y, sample_weight=w)
        assert_allclose(ours.coef_, ref.coef_, rtol=1e-10, atol=1e-12)
        assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-10, atol=1e-12)
    # On the GPU too where there is one (lavapipe in CI).
    if _gpu_everywhere():
        gpu = linear_model.Ridge(alpha=2.0).fit(*local(X, y), sample_weight=local(w), queue="gpu")
        ref = sklearn.linear_model.Ridge(alpha=2.0).fit(X, y, sample_weight=w)
        assert_allclose(gpu.coef_, ref.coef_, rtol=1e-6, atol=1e-8)


def test_kmeans_takes_sample_weights(rng):
    X, labels = classification_data(rng, n=300, d=3)
    w = rng.uniform(0.0, 4.0, size=len(X))
    w[::6] = 0.0
    init = X[[0, 1, 2]] + 0.25
    ours = cluster.KMeans(3, init=init, n_init=1).fit(local(X), sample_weight=local(w))
    ref = sklearn.cluster.KMeans(3, init=init, n_init=1).fit(X, sample_weight=w)
    assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-10, atol=1e-10)
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-10)
    assert_array_equal(ours.labels_, local(ref.labels_))
    assert ours.n_iter_ == ref.n_iter_
    # A weight of 2 is the row twice; seeding never draws a row of weight 0.
    twice = np.repeat(X, 2, axis=0)
    repeated = cluster.KMeans(3, init=init, n_init=1).fit(local(twice))
    doubled = cluster.KMeans(3, init=init, n_init=1).fit(local(X), sample_weight=local(np.full(len(X), 2.0)))
    assert_allclose(doubled.cluster_centers_, repeated.cluster_centers_, rtol=1e-10)
    for init in ("k-means++", "random"):
        seeded = cluster.KMeans(3, init=init, n_init=1, max_iter=1, random_state=3)
        only = np.zeros(len(X))
        only[[5, 50, 150]] = 1.0  # three rows carry all the weight: they are the centres
        seeded.fit(local(X), sample_weight=local(only))
        assert_allclose(np.sort(seeded.cluster_centers_, axis=0), np.sort(X[[5, 50, 150]], axis=0))


def test_weights_that_are_all_zero_are_refused_on_every_rank(rng):
    X, y = regression_data(rng)
    for estimator in (linear_model.LinearRegression(), preprocessing.StandardScaler()):
        with pytest.raises(ValueError, match="at least one non-zero"):
            estimator.fit(*local(X, y), sample_weight=np.zeros(len(local(X))))


# -- shapes, sparse data and scikit-learn's messages ----------------------------------------------


def test_bad_shapes_get_scikit_learns_messages_on_every_rank(rng):
    X, y = regression_data(rng)
    model = linear_model.LinearRegression()
    with pytest.raises(ValueError, match=r"0 feature\(s\)"):
        model.fit(*local(X[:, :0], y))
    with pytest.raises(ValueError, match="zero rows"):
        model.fit(X[:0], y[:0])
    with pytest.raises(ValueError, match="Reshape your data"):
        model.fit(local(X)[:, 0], local(y))
    with pytest.raises(ValueError, match="requires y to be passed"):
        model.fit(local(X), None)
    with pytest.raises(TypeError, match="Sparse data was passed"):
        model.fit(scipy.sparse.csr_matrix(local(X)), local(y))
    model.fit(*local(X, y))
    with pytest.raises(ValueError, match="X has 3 features, but LinearRegression is expecting 5"):
        model.predict(local(X)[:, :3])
    with pytest.raises(ValueError, match="Complex data not supported"):
        linear_model.Ridge().fit(local(X) + 1j, local(y))


def test_a_rank_without_rows_may_fit_without_columns(rng):
    """As the native side allows: the width, and `n_features_in_`, come from the other ranks."""
    X, y = regression_data(rng)
    Xl, yl = local(X, y)
    if not len(Xl):
        Xl = np.empty((0, 0))
    model = linear_model.LinearRegression().fit(Xl, yl)
    assert model.n_features_in_ == X.shape[1]
    assert decomposition.PCA(2).fit(Xl).n_features_in_ == X.shape[1]


def test_a_bad_shape_on_one_rank_is_a_value_error_on_every_rank(rng):
    X, y = regression_data(rng)
    Xl, yl = local(X, y)
    if WORLD.Get_rank() == WORLD.Get_size() - 1:
        Xl = Xl[:, 0]  # 1-D on the last rank only
    with pytest.raises(ValueError, match="Reshape your data"):
        linear_model.LinearRegression().fit(Xl, yl)


# -- batches after fit, scikit-learn's attributes ----------------------------------------------


@pytest.mark.parametrize(
    "ours, ref",
    [
        (preprocessing.StandardScaler(), sklearn.preprocessing.StandardScaler()),
        (preprocessing.MinMaxScaler(), sklearn.preprocessing.MinMaxScaler()),
        (preprocessing.MaxAbsScaler(), sklearn.preprocessing.MaxAbsScaler()),
        # All components: scikit-learn's incremental SVD is exact then (with fewer, it approximates).
        (decomposition.IncrementalPCA(), sklearn.decomposition.IncrementalPCA()),
    ],
    ids=lambda e: type(e).__name__,
)
def test_partial_fit_goes_on_after_fit(rng, ours, ref):
    X, _ = regression_data(rng)
    X2 = rng.normal(2.0, 3.0, size=(120, X.shape[1]))
    ours.fit(local(X)).partial_fit(local(X2))
    ref.fit(X).partial_fit(X2)
    rows_alike(ours.transform, ref.transform, local(X), rtol=1e-6, atol=1e-9)
    assert ours.n_samples_seen_ == ref.n_samples_seen_
    if isinstance(ours, decomposition.IncrementalPCA):
        assert_allclose(ours.var_, ref.var_, rtol=1e-10)
        assert_allclose(ours.mean_, ref.mean_, rtol=1e-10)
        assert ours.batch_size_ == ref.batch_size_


def test_incremental_estimators_count_the_rows_seen(rng):
    X, y = regression_data(rng)
    model = linear_model.IncrementalLinearRegression(batch_size=40).fit(*local(X, y))
    assert model.n_samples_seen_ == len(X) and model.batch_size_ == 40
    Xl, yl = local(X, y)
    model.partial_fit(Xl[:3], yl[:3])
    assert model.n_samples_seen_ == len(X) + sum(min(n, 3) for n in WORLD.allgather(len(Xl)))


def test_get_hyperparameters_is_an_accepted_no_op():
    for cls in (linear_model.IncrementalLinearRegression, linear_model.LinearRegression):
        params = cls.get_hyperparameters("fit")
        params.cpu_macro_block = 10
        assert cls.get_hyperparameters("fit").cpu_macro_block == 10
        assert cls.get_hyperparameters("predict") is not params
    with pytest.raises(ValueError, match="fit"):
        linear_model.LinearRegression.get_hyperparameters("score")


# -- scikit-learn-intelex's helpers: dpctl, dpnp, config_context -------------------------------


def test_script_helpers_run_a_ported_script(rng):
    X, y = regression_data(rng)
    queue = dpctl.SyclQueue("gpu" if dpctl.has_gpu_devices() else "cpu")
    assert dpctl.SyclQueue("cpu") == "cpu" and dpctl.has_cpu_devices()
    X_device = dpt.asarray(local(X), usm_type="device", sycl_queue=queue)
    y_device = dpnp.asarray(local(y), usm_type="device", sycl_queue=queue)
    with spmd_learn.config_context(array_api_dispatch=True, target_offload="auto"):
        model = linear_model.LinearRegression().fit(X_device, y_device)
        predicted = dpnp.asnumpy(model.predict(X_device))
    ref = sklearn.linear_model.LinearRegression().fit(X, y)
    assert_allclose(model.coef_, ref.coef_, rtol=1e-6, atol=1e-8)
    assert type(dpt.to_numpy(predicted)) is np.ndarray
    assert dpnp.float32 is np.float32 and dpnp.mean(np.ones(3)) == 1.0


def test_config_context_target_offload_picks_the_device(rng):
    X, y = regression_data(rng)
    assert spmd_learn.get_config()["target_offload"] == "auto"
    with spmd_learn.config_context(target_offload="cpu", assume_finite=True):
        assert spmd_learn.get_config()["target_offload"] == "cpu"
        assert __import__("sklearn").get_config()["assume_finite"] is True
        cpu = linear_model.Ridge().fit(*local(X, y))
    assert spmd_learn.get_config()["target_offload"] == "auto"
    with pytest.raises(ValueError, match="target_offload"):
        spmd_learn.set_config(target_offload="tpu")
    if _gpu_everywhere():
        with spmd_learn.config_context(target_offload="gpu"):
            gpu = linear_model.Ridge().fit(*local(X, y))
        assert_allclose(gpu.coef_, cpu.coef_, rtol=1e-6, atol=1e-8)


# -- scikit-learn-intelex's local trees ----------------------------------------------------------


@pytest.mark.parametrize("Forest", [ensemble.RandomForestClassifier, ensemble.RandomForestRegressor])
def test_local_trees_mode_gathers_each_ranks_trees(rng, Forest):
    """Each rank holding rows grows its share of the trees from its rows alone; every rank
    then holds them all, the same forest for the same seed and split."""
    X, labels = classification_data(rng, n=400)
    y = labels if Forest is ensemble.RandomForestClassifier else labels * 1.5
    params = dict(n_estimators=6, bootstrap=False, random_state=2, local_trees_mode=True)
    forest = Forest(**params).fit(*local(X, y))
    again = Forest(**params).fit(*local(X, y))
    assert_array_equal(forest.predict(X), again.predict(X))
    predictions = WORLD.allgather(forest.predict(X))
    for other in predictions:
        assert_array_equal(other, predictions[0])
    assert forest.score(*local(X, y)) > 0.8
    with pytest.raises(ValueError, match="local_trees_mode"):
        Forest(**params, oob_score=True).fit(*local(X, y))
