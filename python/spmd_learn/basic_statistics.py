"""`BasicStatistics`: per-column statistics of the rows of every rank (scikit-learn-intelex's)."""

from ._base import SpmdEstimator


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
