"""What every estimator shares: parameters, communicators, queues, arrays and collective steps."""

import inspect
import json

import numpy as np

from . import _native

try:  # scikit-learn's own class when it is installed, so `except NotFittedError` catches ours.
    from sklearn.exceptions import NotFittedError
except ImportError:  # pragma: no cover - exercised only without scikit-learn

    class NotFittedError(ValueError, AttributeError):
        """Raised when an estimator is used before `fit`."""


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
    """`queue`, or else the queue the first array carries (None for the CPU)."""
    if queue is not None:
        return queue
    for a in arrays:
        carried = getattr(a, "queue", None)
        if isinstance(a, QueuedArray) and carried is not None:
            return carried
    return None


def to_numpy(a):
    """A plain numpy array of `a` (no copy)."""
    return np.asarray(a)


def as_rows(X, name="X"):
    """X as a C-contiguous float64 or float32 2-D array: viewed when it already is one, else
    converted once (lists, Fortran order, integers, pandas frames)."""
    if hasattr(X, "to_numpy") and not isinstance(X, np.ndarray):
        X = X.to_numpy()
    a = np.asarray(X)
    if a.dtype not in (np.float64, np.float32):
        try:
            a = a.astype(np.float64)
        except (TypeError, ValueError) as e:
            raise ValueError(f"{name} must hold numbers: {e}") from None
    if a.ndim != 2:
        raise ValueError(
            f"Expected 2D array for {name}, got {a.ndim}D array instead; reshape a single "
            "feature with .reshape(-1, 1) or a single sample with .reshape(1, -1)"
        )
    return np.ascontiguousarray(a)


def as_targets(y, n_rows):
    """Targets as (2-D float array, whether they were 1-D)."""
    if hasattr(y, "to_numpy") and not isinstance(y, np.ndarray):
        y = y.to_numpy()
    a = np.asarray(y)
    if a.dtype.kind not in "fiub":
        raise ValueError(
            f"y must hold numbers (spmd_learn classifiers take numeric labels), not {a.dtype}"
        )
    one_d = a.ndim == 1
    a = a.reshape(-1, 1) if one_d else a
    if a.ndim != 2 or a.shape[0] != n_rows:
        raise ValueError(f"y has shape {np.shape(y)} but X has {n_rows} rows")
    return np.ascontiguousarray(a, dtype=np.float64), one_d


def as_weights(sample_weight, n_rows):
    """Sample weights as one float64 column."""
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.ndim == 0:
        w = np.full(n_rows, float(w))
    if w.shape != (n_rows,):
        raise ValueError(f"sample_weight has shape {w.shape}, expected ({n_rows},)")
    return np.ascontiguousarray(w.reshape(-1, 1))


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
    comm.agree(None)
    return result


def class_weight_json(class_weight):
    """`class_weight` as the native estimators read it: a dict's labels become strings."""
    if isinstance(class_weight, dict):
        return {str(k): float(v) for k, v in class_weight.items()}
    return class_weight


def _from_json(value):
    if isinstance(value, list):
        try:
            a = np.asarray(value)
        except ValueError:  # ragged
            return value
        return value if a.dtype == object else a
    return value


class _ParamsProtocol:
    """scikit-learn's parameter protocol, for when scikit-learn is not installed."""

    @classmethod
    def _get_param_names(cls):
        signature = inspect.signature(cls.__init__)
        return sorted(
            p.name
            for p in signature.parameters.values()
            if p.name != "self" and p.kind != p.VAR_KEYWORD
        )

    def get_params(self, deep=True):
        """The constructor's parameters, as scikit-learn's `get_params`."""
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params):
        """Sets constructor parameters, as scikit-learn's `set_params`; returns self."""
        valid = self._get_param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"Invalid parameter {name!r} for estimator {self!r}. "
                    f"Valid parameters are: {valid!r}."
                )
            setattr(self, name, value)
        return self

    def __repr__(self):
        defaults = {
            p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()
        }
        shown = []
        for name in self._get_param_names():
            value = getattr(self, name)
            default = defaults.get(name, inspect.Parameter.empty)
            if default is not inspect.Parameter.empty and _same(value, default):
                continue
            shown.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"


try:  # scikit-learn's base classes when installed: clone, repr, tags and pipelines as its own.
    from sklearn.base import BaseEstimator as _BaseEstimator
    from sklearn.base import ClassifierMixin as _SklearnClassifierMixin
    from sklearn.base import RegressorMixin as _SklearnRegressorMixin
except ImportError:  # pragma: no cover - exercised only without scikit-learn
    _BaseEstimator = _ParamsProtocol
    _SklearnClassifierMixin = _SklearnRegressorMixin = object


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

    def _fit(self, X, y=None, sample_weight=None, queue=None, local=False):
        comm = communicator(self.comm)

        def prepare():
            params = _native.check_params(self._estimator, json.dumps(self._native_params()))
            x = as_rows(X)
            targets = None if y is None else as_targets(y, x.shape[0])
            weights = None if sample_weight is None else as_weights(sample_weight, x.shape[0])
            return params, x, targets, weights, resolve_queue(queue_of(queue, X))

        params, x, targets, weights, q = agreed(comm, prepare)
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
        if targets is not None:
            self._y_1d = targets[1]
            self._y_dtype = np.asarray(y).dtype
        self.n_features_in_ = x.shape[1]
        self.__dict__["_local_columns"] = columns
        return local_result

    def _set_model(self, model, comm=None):
        self.__dict__["_model"] = model
        self.__dict__["_comm_native"] = comm
        self.__dict__["_attributes"] = {}

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
        """`predict`, `transform` or `inverse_transform` of this rank's rows (local)."""
        model = self._check_fitted()
        queue = resolve_queue(queue_of(queue, X))
        return model.apply(operation, as_rows(X), self._local_comm(), queue=queue)

    def _scoring_model(self):
        """The native model and the communicator a collective query runs over."""
        return self._check_fitted(), self._local_comm()

    def _score(self, X, y, sample_weight=None, queue=None):
        """scikit-learn's `score` of every rank's rows, computed by the native model
        (collective): every rank gets the value scikit-learn gives for the concatenated rows."""
        model, comm = self._scoring_model()

        def prepare():
            x = as_rows(X)
            targets = None if y is None else as_targets(y, x.shape[0])
            w = None if sample_weight is None else as_weights(sample_weight, x.shape[0])
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

    def __getattr__(self, name):
        # Fitted attributes come from the native model on first use (a forest's trees are large).
        if name.endswith("_") and not name.startswith("__"):
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


def _same(a, b):
    try:
        return bool(a == b) and type(a) is type(b)
    except Exception:  # noqa: BLE001 - arrays and other objects without a plain ==
        return a is b


class RegressorMixin(_SklearnRegressorMixin):
    """`predict` and a global `score` (R^2) for regressors."""

    def predict(self, X, queue=None):
        """Predictions for this rank's rows (local)."""
        result = self._apply("predict", X, queue)
        return result.ravel() if getattr(self, "_y_1d", True) else result

    def score(self, X, y, sample_weight=None, queue=None):
        """R^2 of the predictions over the rows of every rank (collective): every rank gets the
        value scikit-learn gives for the concatenated rows."""
        return self._score(X, y, sample_weight, queue)


class ClassifierMixin(_SklearnClassifierMixin):
    """`predict`, `predict_proba` and a global `score` (accuracy) for classifiers."""

    def _convert_attribute(self, name, value):
        if name == "classes_" and hasattr(self, "_y_dtype"):
            return np.asarray(value).astype(self._y_dtype)
        return value

    def predict(self, X, queue=None):
        """Class labels for this rank's rows (local)."""
        labels = self._apply("predict", X, queue).ravel()
        dtype = getattr(self, "_y_dtype", None)
        return labels if dtype is None else labels.astype(dtype)

    def predict_proba(self, X, queue=None):
        """Class probabilities for this rank's rows (local), columns in `classes_` order."""
        return self._apply("transform", X, queue)

    def predict_log_proba(self, X, queue=None):
        """Log of `predict_proba` (local)."""
        return self._apply("predict_log_proba", X, queue)

    def score(self, X, y, sample_weight=None, queue=None):
        """Accuracy over the rows of every rank (collective)."""
        return self._score(X, y, sample_weight, queue)


class TransformerMixin:
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
    in scikit-learn-intelex."""

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

        def add(state):
            x = as_rows(X)
            targets = None if y is None else as_targets(y, x.shape[0])
            state.partial_fit(
                x,
                y=None if targets is None else targets[0],
                y_is_1d=bool(targets is not None and targets[1]),
                queue=resolve_queue(queue_of(queue, X)),
            )
            return x, targets

        x, targets = self._add_batch(add)
        self.n_features_in_ = x.shape[1]
        if targets is not None:
            self._y_1d = targets[1]
        return self

    def _add_batch(self, add):
        """Runs `add(state)` on the running state. A failure is raised here and remembered, so
        that the collective finalize fails on every rank."""
        state = self._incremental_state()
        self.__dict__["_pending"] = True
        try:
            return add(state)
        except Exception as e:
            self.__dict__["_partial_error"] = f"{type(e).__name__}: {e}"
            raise

    def _finalize(self, comm=None):
        comm = comm or communicator(self.comm)
        self.__dict__["_pending"] = False
        comm.agree(self.__dict__.get("_partial_error"))
        model = self.__dict__["_incremental"].finalize(comm)
        self._set_model(model, comm)

    def _fit_in_batches(self, X, y, batch_size, queue):
        """`fit`: forgets earlier batches, adds this rank's rows in batches, then finalizes
        (collective)."""
        self.__dict__.pop("_incremental", None)
        self._incremental_state()
        comm = communicator(self.comm)
        x = agreed(comm, lambda: as_rows(X))
        step = max(1, int(batch_size or 5 * max(x.shape[1], 1)))
        starts = range(0, x.shape[0], step) if x.shape[0] else [0]
        for start in starts:
            try:
                self.partial_fit(
                    x[start : start + step],
                    None if y is None else np.asarray(y)[start : start + step],
                    queue=queue,
                )
            except Exception:
                break  # remembered; finalize raises it on every rank
        self._finalize(comm)
