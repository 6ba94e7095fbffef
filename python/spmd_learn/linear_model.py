"""Linear models: `LinearRegression`, `Ridge` and `LogisticRegression`, fitted over every rank."""

import numpy as np

from ._base import (
    ClassifierMixin,
    IncrementalMixin,
    RegressorMixin,
    SpmdEstimator,
    hyperparameters,
)


class LinearRegression(RegressorMixin, SpmdEstimator):
    """Ordinary least squares over the rows of every rank (scikit-learn's `LinearRegression`).

    `fit` is collective: each rank passes its own rows, and every rank gets the model one
    process fitting all rows would. `copy_X` and `n_jobs` are accepted and change nothing.

    >>> import numpy as np
    >>> from spmd_learn.linear_model import LinearRegression
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]])
    >>> model = LinearRegression().fit(X, X @ [2.0, -1.0] + 1.0)
    >>> np.round(model.coef_, 12).tolist(), round(model.intercept_, 12)
    ([2.0, -1.0], 1.0)
    """

    _estimator = "linear-regression"
    _accepted_only = ("copy_X", "n_jobs", "positive")
    _multi_output = True

    def __init__(self, *, fit_intercept=True, copy_X=True, n_jobs=None, positive=False, comm=None):
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.n_jobs = n_jobs
        self.positive = positive
        self.comm = comm

    def _native_params(self):
        if self.positive:
            raise ValueError("positive=True is not supported by spmd_learn's LinearRegression")
        return super()._native_params()

    @classmethod
    def get_hyperparameters(cls, op):
        """scikit-learn-intelex's tuning object for `op` ("fit" or "predict"): accepted, and a
        no-op here (see `spmd_learn._base.Hyperparameters`)."""
        return hyperparameters(cls, op)

    def fit(self, X, y, sample_weight=None, queue=None):
        """Fits on this rank's rows of `X` and `y` (collective), each row weighted by
        `sample_weight` when given; returns self."""
        self._fit(X, y, sample_weight, queue)
        return self


class IncrementalLinearRegression(IncrementalMixin, RegressorMixin, SpmdEstimator):
    """Least squares fitted batch by batch (scikit-learn-intelex's `IncrementalLinearRegression`):
    `partial_fit` adds a batch of this rank's rows without communication; the model of every
    batch of every rank, equal to one `LinearRegression` fit, is made (collectively) on the first
    use of `coef_`, `predict`, `score`, ... after it. `fit` adds this rank's rows in batches of
    `batch_size` (default five times the number of features) and finalizes."""

    _estimator = "linear-regression"
    _partial_estimator = "linear-regression"
    _multi_output = True
    _accepted_only = ("copy_X", "n_jobs", "batch_size")

    def __init__(self, *, fit_intercept=True, copy_X=True, n_jobs=None, batch_size=None, comm=None):
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.n_jobs = n_jobs
        self.batch_size = batch_size
        self.comm = comm

    @classmethod
    def get_hyperparameters(cls, op):
        """scikit-learn-intelex's tuning object for `op` ("fit" or "predict"): accepted, and a
        no-op here (see `spmd_learn._base.Hyperparameters`)."""
        return hyperparameters(cls, op)

    def fit(self, X, y, queue=None):
        """Fits on this rank's rows (collective); returns self."""
        return self._fit_incrementally(X, y, queue=queue)

    def partial_fit(self, X, y, check_input=True, queue=None):
        """Adds a batch of this rank's rows and targets (local); returns self."""
        return self._partial(X, y, None, queue)


class Ridge(RegressorMixin, SpmdEstimator):
    """Least squares with an L2 penalty `alpha` (scikit-learn's `Ridge`), over every rank."""

    _estimator = "ridge"
    _accepted_only = ("copy_X",)
    _multi_output = True

    def __init__(self, alpha=1.0, *, fit_intercept=True, copy_X=True, comm=None):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.comm = comm

    def fit(self, X, y, sample_weight=None, queue=None):
        """Fits on this rank's rows (collective); returns self."""
        self._fit(X, y, sample_weight, queue)
        return self


class LogisticRegression(ClassifierMixin, SpmdEstimator):
    """Logistic regression, binary or multinomial, with an L2 penalty (scikit-learn's
    `LogisticRegression` with `solver="lbfgs"` or `"newton-cg"`). A class may be missing from some
    ranks. `n_jobs`, `verbose` and `random_state` are accepted and change nothing."""

    _estimator = "logistic-regression"
    _accepted_only = ("n_jobs", "verbose", "random_state")

    def __init__(
        self,
        *,
        tol=1e-4,
        C=1.0,
        fit_intercept=True,
        class_weight=None,
        random_state=None,
        solver="lbfgs",
        max_iter=100,
        verbose=0,
        n_jobs=None,
        comm=None,
    ):
        self.tol = tol
        self.C = C
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.random_state = random_state
        self.solver = solver
        self.max_iter = max_iter
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.comm = comm

    def fit(self, X, y, sample_weight=None, queue=None):
        """Fits on this rank's rows (collective); returns self."""
        self._fit(X, y, sample_weight, queue)
        return self

    def decision_function(self, X, queue=None):
        """`X @ coef_.T + intercept_` for this rank's rows (local, on the GPU with a queue)."""
        scores = self._apply("decision_function", X, queue)
        return scores.ravel() if scores.shape[1] == 1 else scores
