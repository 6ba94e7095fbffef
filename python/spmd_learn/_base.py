"""What every estimator shares: parameters, communicators, queues, arrays and collective steps."""

import json
import pickle

import numpy as np
from sklearn.base import BaseEstimator as _BaseEstimator
from sklearn.base import ClassifierMixin as _SklearnClassifierMixin
from sklearn.base import ClusterMixin as _SklearnClusterMixin
from sklearn.base import RegressorMixin as _SklearnRegressorMixin
from sklearn.base import TransformerMixin as _SklearnTransformerMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_array, column_or_1d, validate_data

from . import _native

_WORLD = None
_DEFAULT_QUEUE = None


def _world():
    global _WORLD
    if _WORLD is None:
        _WORLD = _native.Communicator()
    return _WORLD


def _same_mpi_as_mpi4py():
    from mpi4py import MPI

    theirs = MPI.Get_library_version().strip("\x00 \n")
    ours = _native.mpi_library_version().strip("\x00 \n")
    if theirs != ours:
        raise RuntimeError(
            "mpi4py and spmd_learn are linked to different MPI libraries "
            f"(mpi4py: {theirs.splitlines()[0]!r}; spmd_learn: {ours.splitlines()[0]!r}); "
            "reinstall mpi4py from source against the system MPI: "
            "pip install --no-binary mpi4py mpi4py"
        )


def communicator(comm):
    """The native communicator for `comm`: None is every rank of the job (MPI_COMM_WORLD, or this
    process alone without mpirun); an mpi4py communicator is duplicated (collective over it)."""
    if comm is None:
        return _world()
    if isinstance(comm, _native.Communicator):
        return comm
    py2f = getattr(comm, "py2f", None)
    if py2f is None:
        raise TypeError(f"comm must be an mpi4py communicator or None, not {type(comm).__name__}")
    _same_mpi_as_mpi4py()
    return _native.Communicator(py2f())


def resolve_queue(queue):
    """None or "cpu" is the CPU; "gpu" is this rank's default GPU; a Queue is itself."""
    global _DEFAULT_QUEUE
    if queue is None or (isinstance(queue, str) and queue == "cpu"):
        return None
    if isinstance(queue, _native.Queue):
        return queue
    if isinstance(queue, str) and queue == "gpu":
        if _DEFAULT_QUEUE is None:
            _DEFAULT_QUEUE = _native.Queue()
        return _DEFAULT_QUEUE
    raise TypeError(f'queue must be None, "cpu", "gpu" or a spmd_learn.Queue, not {queue!r}')


class QueuedArray(np.ndarray):
    """A numpy array that names the queue its estimator calls run on (`spmd_learn.asarray`):
    compute follows the data, as with scikit-learn-intelex's device arrays."""

    queue = None

    def __array_finalize__(self, obj):
        self.queue = getattr(obj, "queue", None)


def asarray(X, dtype=None, queue=None, sycl_queue=None, **_device_options):
    """`X` as a C-contiguous array (a view when it already is one) that carries `queue`: `fit`,
    `predict`, ... given it without `queue=` run on that queue. `sycl_queue` is another name for
    `queue`; other keywords of `dpctl.tensor.asarray` (`usm_type`, ...) are accepted and ignored:
    the rows stay in host memory and are streamed to the GPU by each call."""
    a = np.ascontiguousarray(X, dtype=dtype).view(QueuedArray)
    a.queue = resolve_queue(queue if queue is not None else sycl_queue)
    return a


def queue_of(queue, *arrays):
    """`queue`, or else the queue the first array carries, or else the one `config_context`'s
    `target_offload` names (None for the CPU)."""
    if queue is not None:
        return queue
    for a in arrays:
        carried = getattr(a, "queue", None)
        if isinstance(a, QueuedArray) and carried is not None:
            return carried
    from ._config import configured_queue

    return configured_queue()


def to_numpy(a):
    """A plain numpy array of `a` (no copy)."""
    return np.asarray(a)


# What every estimator reads: 2-D float64 or float32 rows, as they are when they already are, NaN
# and inf left to the native checks (which name the rank and row, and which HDBSCAN labels).
_ROWS = dict(
    accept_sparse=False,
    dtype=[np.float64, np.float32],
    order="C",
    ensure_min_samples=0,
    ensure_min_features=0,
    ensure_all_finite=False,
)


def as_rows(X, estimator=None, reset=False):
    """X as a C-contiguous float64 or float32 2-D array, checked by scikit-learn's `check_array`
    (viewed when it already is one; sparse, complex, 1-D and unconvertible input refused with
    scikit-learn's messages). With `estimator`, through scikit-learn's `validate_data`: `reset`
    records `n_features_in_` (and `feature_names_in_` for a frame), otherwise X must match them.
    A rank may hold no rows (in `fit`, no columns either: the native side takes the width from
    the other ranks, and so does `n_features_in_`); rows without columns are refused."""
    if estimator is None:
        a = check_array(X, **_ROWS)
    else:
        a = validate_data(estimator, X, reset=reset, **_ROWS)
    if a.shape[0] and not a.shape[1]:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={a.shape}) while a minimum of 1 is required."
        )
    return a


def require_y(estimator, y):
    """scikit-learn's error for a supervised estimator given no targets."""
    if y is None:
        raise ValueError(
            f"This {type(estimator).__name__} estimator requires y to be passed, but the target "
            "y is None."
        )


def same_rows(n_rows, n_targets):
    if n_targets != n_rows:
        raise ValueError(
            "Found input variables with inconsistent numbers of samples: "
            f"[{n_rows}, {n_targets}]"
        )


def as_targets(y, n_rows, multi_output=True):
    """Numeric targets as (2-D float64 array, whether they were 1-D), checked by scikit-learn's
    `check_array`. A single-output estimator given one column gets scikit-learn's
    `DataConversionWarning` and a 1-D y (several columns are refused)."""
    a = check_array(
        y, ensure_2d=False, dtype=np.float64, ensure_min_samples=0, ensure_all_finite=False,
        input_name="y",
    )
    if not multi_output:
        a = column_or_1d(a, warn=True)
    if a.ndim not in (1, 2):
        raise ValueError(f"y must be 1-D or 2-D, not {a.ndim}-D")
    same_rows(n_rows, a.shape[0])
    one_d = a.ndim == 1
    return np.ascontiguousarray(a.reshape(-1, 1) if one_d else a), one_d


def as_labels(y, n_rows):
    """Class labels of any type (numbers, strings, booleans, objects) as a 1-D array, checked as
    scikit-learn checks a classifier's targets (`DataConversionWarning` for a column;
    "Unknown label type" for continuous values), with this rank's distinct labels sorted."""
    a = column_or_1d(
        check_array(
            y, ensure_2d=False, dtype=None, ensure_min_samples=0, ensure_all_finite=False,
            input_name="y",
        ),
        warn=True,
    )
    same_rows(n_rows, a.shape[0])
    check_classification_targets(a)
    return a, np.unique(a)


def agree_classes(comm, local_classes):
    """The sorted union of every rank's labels (collective): `np.unique` of them all, as
    scikit-learn sorts `classes_`."""
    parts = comm.allgather_bytes(pickle.dumps(local_classes, protocol=pickle.HIGHEST_PROTOCOL))
    found = [pickle.loads(p) for p in parts]
    found = [f for f in found if len(f)]
    if not found:
        return local_classes
    # Every rank sees the same parts, so a mix fails every rank alike (scikit-learn's message).
    if len({f.dtype.kind in "USO" for f in found}) > 1:
        raise ValueError("Mix of label input types (string and number) over the ranks")
    return np.unique(np.concatenate(found))


def by_index(classes):
    """Whether the native side fits on each label's index in `classes` rather than on the label:
    for labels that are not numbers or booleans (strings, objects)."""
    return classes.dtype.kind not in "biuf"


def native_labels(labels, classes, unknown=False):
    """`labels` as the native side takes them, one float64 column: the labels themselves when
    they are numbers, else their index in `classes` (-1 for an unknown one, with `unknown`)."""
    if by_index(classes):
        index = encode_labels(labels, classes)
        if not unknown and (index < 0).any():
            raise ValueError(f"y holds labels that are not in classes {classes.tolist()!r}")
        return index.reshape(-1, 1)
    return np.ascontiguousarray(np.asarray(labels, dtype=np.float64).reshape(-1, 1))


def encode_labels(labels, classes):
    """Each label's index in `classes` as float64, -1 for a label not among them."""
    if not len(labels):
        return np.zeros(0)
    index = np.clip(np.searchsorted(classes, labels), 0, len(classes) - 1)
    known = classes[index] == labels
    return np.where(known, index, -1).astype(np.float64)


def as_weights(sample_weight, x):
    """Sample weights as one float64 column, checked by scikit-learn's `_check_sample_weight`
    (a scalar is one weight for every row); the native side refuses negative or non-finite
    ones."""
    if not x.shape[0]:
        # A rank without rows (scikit-learn's check wants at least one).
        w = np.asarray(sample_weight, dtype=np.float64)
        if w.ndim and w.shape != (0,):
            raise ValueError(f"sample_weight.shape == {w.shape}, expected (0,)!")
        return np.zeros((0, 1))
    # One rank's weights may all be zero: check_weight_total checks the total over every rank.
    w = _check_sample_weight(sample_weight, x, dtype=np.float64, allow_all_zero_weights=True)
    return np.ascontiguousarray(w.reshape(-1, 1))


def check_weight_total(comm, sample_weight):
    """Refuses weights that are all zero over every rank, with scikit-learn's message
    (collective: every rank calls it, with its weights or None, after they were checked)."""
    given, total = comm.allreduce_sum(
        [0.0, 0.0] if sample_weight is None else [1.0, float(np.asarray(sample_weight, dtype=np.float64).sum())]
    )
    if given and total <= 0.0:
        raise ValueError("Sample weights must contain at least one non-zero number over all ranks.")


def agreed(comm, prepare):
    """Runs the local step `prepare` and agrees on its outcome (collective): if it raised on any
    rank, every rank raises (this rank its own exception, the others one naming it) instead of
    the others waiting forever in the next collective."""
    try:
        result = prepare()
    except Exception as e:  # noqa: BLE001 - any failure must reach the other ranks
        try:
            comm.agree(f"{type(e).__name__}: {e}")
        except Exception:
            pass
        raise
    try:
        comm.agree(None)
    except _native.SpmdError as e:
        raise _as_raised_there(e) from None
    return result


# Exceptions of bad input that every rank raises as the rank that found it did.
_INPUT_ERRORS = {"ValueError": ValueError, "TypeError": TypeError}


def _as_raised_there(error):
    """Another rank's failure (`rank R failed: Kind: message`) as the kind of exception that
    rank raised, when it was bad input: a `ValueError` on one rank is one on every rank."""
    text = str(error)
    _, _, rest = text.partition(" failed: ")
    kind = _INPUT_ERRORS.get(rest.split(":", 1)[0])
    return kind(text) if kind is not None else error


def expected_failed_checks(estimator):
    """The scikit-learn estimator checks `estimator` is known to fail, with the reason of each:
    pass it to `check_estimator(..., expected_failed_checks=...)` or
    `parametrize_with_checks(..., expected_failed_checks=expected_failed_checks)`."""
    return dict(getattr(estimator, "_expected_failed_checks", {}))


class Hyperparameters:
    """What `get_hyperparameters` returns: scikit-learn-intelex's knobs of oneDAL's internals
    (block sizes and the like), which have no counterpart here. Any attribute may be set on it and
    read back; none changes a result or a speed."""

    def __repr__(self):
        return f"Hyperparameters({vars(self)!r})"


def hyperparameters(cls, op):
    """The one `Hyperparameters` object of `cls` and `op` ("fit" or "predict")."""
    if op not in ("fit", "predict"):
        raise ValueError(f'op must be "fit" or "predict", not {op!r}')
    store = cls.__dict__.get("_hyperparameters")
    if store is None:
        store = {}
        setattr(cls, "_hyperparameters", store)
    return store.setdefault(op, Hyperparameters())


def class_weight_json(class_weight, classes=None):
    """`class_weight` as the native estimators read it: a dict's labels become the strings of
    their indices in `classes` (the native side fits on those indices). As scikit-learn, a dict
    that leaves a class out may name no label outside `classes`."""
    if not isinstance(class_weight, dict):
        return class_weight
    if classes is None:
        # Before the ranks agree on the classes: the values are checked, under stand-in keys.
        return {str(i): float(v) for i, v in enumerate(class_weight.values())}
    if not by_index(classes):
        return {str(k): float(v) for k, v in class_weight.items()}
    named = {str(i): float(class_weight[c]) for i, c in enumerate(classes) if c in class_weight}
    if len(named) < len(classes) and len(named) != len(class_weight):
        unweighted = [c for c in classes if c not in class_weight]
        raise ValueError(f"The classes, {unweighted}, are not in class_weight")
    return named


def _from_json(value):
    if isinstance(value, list):
        try:
            a = np.asarray(value)
        except ValueError:  # ragged
            return value
        return value if a.dtype == object else a
    return value


# Fitted attributes the Python side sets itself (scikit-learn's validation reads them before
# a fit has made a native model).
_PYTHON_SIDE = frozenset(("n_features_in_", "feature_names_in_"))


class SpmdEstimator(_BaseEstimator):
    """Base of every estimator: scikit-learn's parameter protocol and the native model.

    Subclasses set `_estimator` (the registry name) and declare their parameters as keyword
    arguments of `__init__`, stored unchanged under the same names.
    """

    _estimator = ""
    # Parameters scikit-learn has that change nothing here (copies, thread counts).
    _accepted_only = ()

    def __sklearn_clone__(self):
        # As scikit-learn's clone, but the communicator is shared, not deep-copied: it names a
        # group of processes (mpi4py refuses to copy one).
        from sklearn.base import clone

        params = {
            name: value if name == "comm" else clone(value, safe=False)
            for name, value in self.get_params(deep=False).items()
        }
        return type(self)(**params)

    # -- fitting ---------------------------------------------------------------------------

    def _native_params(self):
        """The parameters the native estimator takes, as a dict."""
        skip = set(self._accepted_only) | {"comm"}
        return {n: v for n, v in self.get_params().items() if n not in skip}

    # scikit-learn checks this estimator fails on purpose, with the reason (see
    # `expected_failed_checks`; the README lists them).
    _expected_failed_checks = {}
    # What scikit-learn's checks read from the tags (set by the subclasses and mixins).
    _supervised = False
    _multi_output = False
    _allow_nan = False
    _positive_only = False

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = self._allow_nan
        tags.input_tags.positive_only = self._positive_only
        tags.target_tags.required = self._supervised
        tags.target_tags.multi_output = self._multi_output
        return tags

    def _targets(self, y, n_rows):
        """This rank's targets, checked (local): regressors' numbers; classifiers' labels."""
        return as_targets(y, n_rows, multi_output=self._multi_output)

    def _checked_targets(self, y, n_rows, read):
        """`read(y, n_rows)` for a supervised estimator (which requires y); None for another,
        whatever y it is given (scikit-learn ignores it)."""
        if not self._supervised:
            return None
        require_y(self, y)
        return read(y, n_rows)

    def _agree_targets(self, comm, targets):
        """The targets as the native fit takes them, once every rank has checked its own
        (collective where the ranks must agree, as on a classifier's classes)."""
        return targets

    def _fit(self, X, y=None, sample_weight=None, queue=None, local=False):
        comm = communicator(self.comm)
        self.__dict__.pop("_fit_classes", None)

        def prepare():
            _native.check_params(self._estimator, json.dumps(self._native_params()))
            x = as_rows(X, self, reset=True)
            targets = self._checked_targets(y, x.shape[0], self._targets)
            weights = None if sample_weight is None else as_weights(sample_weight, x)
            return x, targets, weights, resolve_queue(queue_of(queue, X))

        x, targets, weights, q = agreed(comm, prepare)
        check_weight_total(comm, weights)
        targets = None if targets is None else self._agree_targets(comm, targets)
        # After the targets: a classifier's class_weight names its classes by index.
        params = _native.check_params(self._estimator, json.dumps(self._native_params()))
        model, local_result, columns = _native.fit(
            self._estimator,
            params,
            x,
            comm,
            y=None if targets is None else targets[0],
            y_is_1d=bool(targets is not None and targets[1]),
            sample_weight=weights,
            queue=q,
            local=local,
        )
        self._set_model(model, comm)
        self._keep_fit_classes()
        if targets is not None:
            self._y_1d = targets[1]
        self.__dict__["_local_columns"] = columns
        return local_result

    def _set_model(self, model, comm=None):
        self.__dict__["_model"] = model
        self.__dict__["_comm_native"] = comm
        self.__dict__["_attributes"] = {}
        # The width every rank agreed on (a rank without rows may have passed no columns).
        width = model.attribute("n_features_in_")
        if width is not None:
            self.__dict__["n_features_in_"] = int(json.loads(width))

    def _check_fitted(self):
        if self.__dict__.get("_pending"):
            self._finalize()
        if self.__dict__.get("_model") is None:
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using this estimator."
            )
        return self.__dict__["_model"]

    def _local_comm(self):
        """The communicator of the fit, or the job's: local steps use it only to name the rank."""
        return self.__dict__.get("_comm_native") or _world()

    def _apply(self, operation, X, queue=None):
        """`predict`, `transform` or `inverse_transform` of this rank's rows (local); X must
        have the fit's features (but for `inverse_transform`, whose X is transformed rows)."""
        model = self._check_fitted()
        queue = resolve_queue(queue_of(queue, X))
        x = as_rows(X) if operation == "inverse_transform" else as_rows(X, self)
        return model.apply(operation, x, self._local_comm(), queue=queue)

    def _scoring_model(self):
        """The native model and the communicator a collective query runs over."""
        return self._check_fitted(), self._local_comm()

    def _score(self, X, y, sample_weight=None, queue=None):
        """scikit-learn's `score` of every rank's rows, computed by the native model
        (collective): every rank gets the value scikit-learn gives for the concatenated rows."""
        model, comm = self._scoring_model()

        def prepare():
            x = as_rows(X, self)
            targets = self._checked_targets(y, x.shape[0], self._score_targets)
            w = None if sample_weight is None else as_weights(sample_weight, x)
            return x, targets, w, resolve_queue(queue_of(queue, X))

        x, targets, w, q = agreed(comm, prepare)
        return model.score(
            x,
            comm,
            y=None if targets is None else targets[0],
            y_is_1d=bool(targets is not None and targets[1]),
            sample_weight=w,
            queue=q,
        )

    def _score_targets(self, y, n_rows):
        return self._targets(y, n_rows)

    def _keep_fit_classes(self):
        """After a fit succeeded: the classes it agreed on become `classes_`."""
        if "_fit_classes" in self.__dict__:
            self.__dict__["_classes"] = self.__dict__.pop("_fit_classes")

    def __getattr__(self, name):
        # Fitted attributes come from the native model on first use (a forest's trees are large).
        if name.endswith("_") and not name.startswith("__") and name not in _PYTHON_SIDE:
            if self.__dict__.get("_pending"):
                self._finalize()
            model = self.__dict__.get("_model")
            if model is not None:
                cache = self.__dict__["_attributes"]
                if name not in cache:
                    text = model.attribute(name)
                    if text is None:
                        raise AttributeError(
                            f"'{type(self).__name__}' object has no attribute '{name}'"
                        )
                    cache[name] = self._convert_attribute(name, _from_json(json.loads(text)))
                return cache[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def _convert_attribute(self, name, value):
        return value

    # -- pickling: the model travels as its JSON -------------------------------------------

    def __getstate__(self):
        if self.__dict__.get("_pending"):
            self._finalize()
        skip = ("_comm_native", "_attributes", "_incremental", "_pending", "_partial_error")
        state = {k: v for k, v in self.__dict__.items() if k not in skip}
        if state.get("_model") is not None:
            state["_model"] = state["_model"].to_json()
        if "comm" in state and state["comm"] is not None:
            # Communicators do not outlive their process; the copy fits over the job's ranks.
            state["comm"] = None
        return state

    def __setstate__(self, state):
        model = state.pop("_model", None)
        self.__dict__.update(state)
        if model is not None:
            self._set_model(_native.Model.from_json(model))


class RegressorMixin(_SklearnRegressorMixin):
    """`predict` and a global `score` (R^2) for regressors."""

    _supervised = True

    def predict(self, X, queue=None):
        """Predictions for this rank's rows (local)."""
        result = self._apply("predict", X, queue)
        return result.ravel() if getattr(self, "_y_1d", True) else result

    def score(self, X, y, sample_weight=None, queue=None):
        """R^2 of the predictions over the rows of every rank (collective): every rank gets the
        value scikit-learn gives for the concatenated rows."""
        return self._score(X, y, sample_weight, queue)


class ClassifierMixin(_SklearnClassifierMixin):
    """Labels of any type, `predict`, `predict_proba` and a global `score` (accuracy) for
    classifiers. The ranks agree on `classes_` (every rank's labels, sorted as `np.unique`
    sorts them). Numeric and boolean labels reach the native side as numbers, so the model
    (and a model file made from a pickle) holds them; other labels (strings, objects) reach it
    as their index in `classes_`. `predict` maps the native answers back, so `classes_` and the
    predictions keep the labels' own type."""

    _supervised = True

    def _targets(self, y, n_rows):
        return as_labels(y, n_rows)

    def _agree_targets(self, comm, targets):
        labels, local_classes = targets
        classes = agree_classes(comm, local_classes)
        self.__dict__["_fit_classes"] = classes
        return native_labels(labels, classes), True

    def _score_targets(self, y, n_rows):
        labels, _ = as_labels(y, n_rows)
        # A label the fit never saw (as itself, or as index -1) matches no prediction.
        return native_labels(labels, self.classes_, unknown=True), True

    def _native_params(self):
        params = super()._native_params()
        if "class_weight" in params:
            params["class_weight"] = class_weight_json(
                params["class_weight"], self.__dict__.get("_fit_classes")
            )
        return params

    def _convert_attribute(self, name, value):
        if name == "classes_" and "_classes" in self.__dict__:
            return self.__dict__["_classes"]
        return value

    def _labels(self, answers):
        """The labels of the native side's answers (label values or indices, see the class)."""
        classes = self.classes_
        answers = np.asarray(answers).ravel()
        if by_index(classes):
            return classes[answers.astype(np.intp)]
        return classes[encode_labels(answers, classes.astype(np.float64)).astype(np.intp)]

    def predict(self, X, queue=None):
        """Class labels for this rank's rows (local)."""
        return self._labels(self._apply("predict", X, queue))

    def predict_proba(self, X, queue=None):
        """Class probabilities for this rank's rows (local), columns in `classes_` order."""
        return self._apply("transform", X, queue)

    def predict_log_proba(self, X, queue=None):
        """Log of `predict_proba` (local)."""
        return self._apply("predict_log_proba", X, queue)

    def score(self, X, y, sample_weight=None, queue=None):
        """Accuracy over the rows of every rank (collective)."""
        return self._score(X, y, sample_weight, queue)


class ClusterMixin(_SklearnClusterMixin):
    """scikit-learn's clusterer tags; `fit_predict` is the subclass's."""


class TransformerMixin(_SklearnTransformerMixin):
    """`transform`, `fit_transform` and (where the estimator has one) `inverse_transform`."""

    def transform(self, X, queue=None):
        """This rank's rows transformed (local)."""
        return self._apply("transform", X, queue)

    def fit_transform(self, X, y=None, queue=None, **fit_params):
        """`fit` (collective), then `transform` of this rank's rows."""
        return self.fit(X, y, queue=queue, **fit_params).transform(X, queue=queue)

    def inverse_transform(self, X, queue=None):
        """Rows of the transformed space mapped back (local)."""
        return self._apply("inverse_transform", X, queue)


class IncrementalMixin:
    """`partial_fit` batch by batch on each rank (local, no communication); the model of every
    batch of every rank is computed on the first use of a fitted attribute, `predict`,
    `transform`, `score` or `pickle` after it, which is collective (every rank must make it), as
    in scikit-learn-intelex. `fit` starts again from nothing and adds this rank's rows; as in
    scikit-learn, `partial_fit` after `fit` goes on from the fitted batches."""

    _partial_estimator = ""

    def _incremental_state(self):
        state = self.__dict__.get("_incremental")
        if state is None:
            params = _native.check_params(self._partial_estimator, json.dumps(self._native_params()))
            # The job's communicator only names the rank in messages: partial_fit is local.
            state = _native.Incremental(self._partial_estimator, params, _world())
            self.__dict__["_incremental"] = state
            self.__dict__["_partial_error"] = None
        return state

    def partial_fit(self, X, y=None, check_input=True, queue=None):
        """Adds a batch of this rank's rows (local); returns self."""
        return self._partial(X, y, None, queue)

    def _partial_targets(self, y, n_rows):
        """A batch's targets as the native state takes them, with the state's extra keywords."""
        targets = self._targets(y, n_rows)
        return targets, {}

    def _partial(self, X, y=None, sample_weight=None, queue=None):
        """Adds a batch (local); the first batch after `fit` or of a new estimator records
        `n_features_in_`, later ones must match it."""
        first = self.__dict__.get("_incremental") is None
        if first:
            self.__dict__["_rows_added"] = 0

        def add(state):
            x = as_rows(X, self, reset=first)
            found = self._checked_targets(y, x.shape[0], self._partial_targets)
            targets, extra = found or (None, {})
            if sample_weight is not None:
                extra["sample_weight"] = as_weights(sample_weight, x)
            state.partial_fit(
                x,
                y=None if targets is None else targets[0],
                y_is_1d=bool(targets is not None and targets[1]),
                queue=resolve_queue(queue_of(queue, X)),
                **extra,
            )
            self.__dict__["_rows_added"] += x.shape[0]
            return targets

        targets = self._add_batch(add)
        if targets is not None:
            self._y_1d = targets[1]
        return self

    def _add_batch(self, add):
        """Runs `add(state)` on the running state. A failure is raised here and remembered, so
        that the collective finalize fails on every rank."""
        state = self._incremental_state()
        try:
            return add(state)
        except Exception as e:
            self.__dict__["_partial_error"] = f"{type(e).__name__}: {e}"
            raise
        finally:
            self.__dict__["_pending"] = True

    def _finalize(self, comm=None):
        comm = comm or communicator(self.comm)
        self.__dict__["_pending"] = False
        comm.agree(self.__dict__.get("_partial_error"))
        model = self.__dict__["_incremental"].finalize(comm)
        self._set_model(model, comm)
        seen = comm.allreduce_sum([float(self.__dict__.get("_rows_added", 0))])[0]
        self.__dict__["_n_samples_seen"] = int(seen)

    @property
    def n_samples_seen_(self):
        """Rows of every batch of every rank since the last `fit` (or the first `partial_fit`)."""
        self._check_fitted()
        seen = self.__dict__.get("_n_samples_seen")
        if seen is None:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute 'n_samples_seen_'")
        return seen

    @property
    def batch_size_(self):
        """`batch_size`, or five times the number of features when it is None (estimators that
        take a `batch_size`)."""
        if "batch_size" not in self.get_params(deep=False):
            raise AttributeError(f"'{type(self).__name__}' object has no attribute 'batch_size_'")
        self._check_fitted()
        return self.batch_size or 5 * self.n_features_in_

    def _fit_incrementally(self, X, y=None, sample_weight=None, queue=None):
        """`fit` (collective): forgets earlier batches, adds this rank's rows as one batch (the
        native state sums any batching alike, so `batch_size` changes no result), then
        finalizes on every rank."""
        self.__dict__.pop("_incremental", None)
        self.__dict__["_pending"] = False
        comm = communicator(self.comm)
        try:
            agreed(comm, lambda: self._partial(X, y, sample_weight, queue))
            check_weight_total(comm, sample_weight)
        except Exception:
            # A failed fit leaves no batches behind (nor a finalize pending on one rank only).
            self.__dict__.pop("_incremental", None)
            self.__dict__["_pending"] = False
            raise
        self._finalize(comm)
        return self
