"""`EmpiricalCovariance` and `IncrementalEmpiricalCovariance` over the rows of every rank."""

from ._base import IncrementalMixin, SpmdEstimator


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


class IncrementalEmpiricalCovariance(IncrementalMixin, EmpiricalCovariance):
    """`EmpiricalCovariance` fitted batch by batch (scikit-learn-intelex's
    `IncrementalEmpiricalCovariance`): `partial_fit` adds a batch of this rank's rows without
    communication; the estimate of every batch of every rank is made (collectively) on the first
    use of a fitted attribute after it. `fit` feeds this rank's rows in batches of `batch_size`
    (default five times the number of features)."""

    _estimator = "incremental-empirical-covariance"
    _partial_estimator = "incremental-empirical-covariance"

    def __init__(self, *, store_precision=True, assume_centered=False, batch_size=None, comm=None):
        self.store_precision = store_precision
        self.assume_centered = assume_centered
        self.batch_size = batch_size
        self.comm = comm

    def fit(self, X, y=None, queue=None):
        """Forgets earlier batches, then fits on this rank's rows (collective); returns self."""
        return self._fit_incrementally(X, queue=queue)
