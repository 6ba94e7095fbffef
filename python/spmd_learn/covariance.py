"""`EmpiricalCovariance` over the rows of every rank."""

from ._base import SpmdEstimator


class EmpiricalCovariance(SpmdEstimator):
    """Maximum-likelihood covariance of every rank's rows (scikit-learn's `EmpiricalCovariance`):
    `covariance_`, `location_` and, with `store_precision`, `precision_`."""

    _estimator = "empirical-covariance"

    def __init__(self, *, store_precision=True, assume_centered=False, comm=None):
        self.store_precision = store_precision
        self.assume_centered = assume_centered
        self.comm = comm

    def fit(self, X, y=None, queue=None):
        """Fits on this rank's rows (collective); returns self."""
        self._fit(X, None, None, queue)
        return self
