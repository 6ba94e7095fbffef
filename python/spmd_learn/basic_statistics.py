"""`BasicStatistics` and `IncrementalBasicStatistics`: per-column statistics of the rows of every
rank (scikit-learn-intelex's)."""

from ._base import IncrementalMixin, SpmdEstimator


class BasicStatistics(SpmdEstimator):
    """Per-column minimum, maximum, sum, mean, variance, standard deviation, ... over every
    rank's rows (scikit-learn-intelex's `BasicStatistics`); `result_options` names the ones to
    compute ("all" or a list such as ["mean", "variance"]).

    >>> import numpy as np
    >>> from spmd_learn.basic_statistics import BasicStatistics
    >>> BasicStatistics().fit(np.array([[1.0, 2.0], [3.0, 6.0]])).mean_.tolist()
    [2.0, 4.0]
    """

    _estimator = "basic-statistics"

    def __init__(self, result_options="all", *, comm=None):
        self.result_options = result_options
        self.comm = comm

    def fit(self, X, y=None, sample_weight=None, queue=None):
        """Computes the statistics of every rank's rows (collective); returns self."""
        self._fit(X, None, sample_weight, queue)
        return self


class IncrementalBasicStatistics(IncrementalMixin, BasicStatistics):
    """`BasicStatistics` fitted batch by batch (scikit-learn-intelex's
    `IncrementalBasicStatistics`): `partial_fit` adds a batch of this rank's rows without
    communication; the statistics of every batch of every rank are made (collectively) on the
    first use of a fitted attribute after it. `fit` feeds this rank's rows in batches of
    `batch_size` (default five times the number of features).

    >>> import numpy as np
    >>> from spmd_learn.basic_statistics import IncrementalBasicStatistics
    >>> stats = IncrementalBasicStatistics(result_options=["mean"])
    >>> stats = stats.partial_fit(np.array([[1.0], [2.0]])).partial_fit(np.array([[6.0]]))
    >>> stats.mean_.tolist()
    [3.0]
    """

    _estimator = "incremental-basic-statistics"
    _partial_estimator = "incremental-basic-statistics"
    _expected_failed_checks = {
        "check_fit_score_takes_y": (
            "partial_fit(X, sample_weight) is scikit-learn-intelex's signature: a script that "
            "passes weights second would have them taken as y"
        ),
    }

    def __init__(self, result_options="all", batch_size=None, *, comm=None):
        self.result_options = result_options
        self.batch_size = batch_size
        self.comm = comm

    def fit(self, X, y=None, sample_weight=None, queue=None):
        """Forgets earlier batches, then computes the statistics of every rank's rows
        (collective); returns self."""
        return self._fit_incrementally(X, None, sample_weight, queue)

    def partial_fit(self, X, sample_weight=None, queue=None):
        """Adds a batch of this rank's rows (local), weighted by `sample_weight` when given;
        returns self."""
        return self._partial(X, None, sample_weight, queue)
