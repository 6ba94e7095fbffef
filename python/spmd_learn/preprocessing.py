"""Scalers fitted over the rows of every rank: `StandardScaler`, `MinMaxScaler`, `MaxAbsScaler`.
`transform` and `inverse_transform` are local; `copy` is accepted and changes nothing (results are
new arrays). As in scikit-learn, `fit` starts again and `partial_fit` adds a batch of this rank's
rows (local, no communication); the first use of the scaler after `partial_fit` combines every
batch of every rank (collective)."""

from ._base import IncrementalMixin, SpmdEstimator, TransformerMixin


class StandardScaler(IncrementalMixin, TransformerMixin, SpmdEstimator):
    """(x - mean_) / scale_ per column (scikit-learn's `StandardScaler`)."""

    _estimator = "standard-scaler"
    _partial_estimator = "standard-scaler"
    _accepted_only = ("copy",)

    def __init__(self, *, copy=True, with_mean=True, with_std=True, comm=None):
        self.copy = copy
        self.with_mean = with_mean
        self.with_std = with_std
        self.comm = comm

    def fit(self, X, y=None, sample_weight=None, queue=None):
        """Column means and variances of every rank's rows (collective); returns self."""
        return self._fit_incrementally(X, None, sample_weight, queue)

    def partial_fit(self, X, y=None, sample_weight=None, queue=None):
        """Adds a batch of this rank's rows (local); returns self."""
        return self._partial(X, None, sample_weight, queue)


class MinMaxScaler(IncrementalMixin, TransformerMixin, SpmdEstimator):
    """Each column mapped onto `feature_range` (scikit-learn's `MinMaxScaler`)."""

    _estimator = "min-max-scaler"
    _partial_estimator = "min-max-scaler"
    _accepted_only = ("copy",)

    def __init__(self, feature_range=(0, 1), *, copy=True, clip=False, comm=None):
        self.feature_range = feature_range
        self.copy = copy
        self.clip = clip
        self.comm = comm

    def _native_params(self):
        params = super()._native_params()
        params["feature_range"] = [float(v) for v in params["feature_range"]]
        return params

    def fit(self, X, y=None, queue=None):
        """Column minima and maxima of every rank's rows (collective); returns self."""
        return self._fit_incrementally(X, queue=queue)

    def partial_fit(self, X, y=None, queue=None):
        """Adds a batch of this rank's rows (local); returns self."""
        return self._partial(X, None, None, queue)


class MaxAbsScaler(IncrementalMixin, TransformerMixin, SpmdEstimator):
    """Each column divided by its largest absolute value (scikit-learn's `MaxAbsScaler`)."""

    _estimator = "max-abs-scaler"
    _partial_estimator = "max-abs-scaler"
    _accepted_only = ("copy",)

    def __init__(self, *, copy=True, comm=None):
        self.copy = copy
        self.comm = comm

    def fit(self, X, y=None, queue=None):
        """Column maxima of |x| over every rank's rows (collective); returns self."""
        return self._fit_incrementally(X, queue=queue)

    def partial_fit(self, X, y=None, queue=None):
        """Adds a batch of this rank's rows (local); returns self."""
        return self._partial(X, None, None, queue)
