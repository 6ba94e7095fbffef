"""Decompositions of the rows of every rank: `PCA`, `IncrementalPCA`, `QR` and `SVD`."""

from ._base import IncrementalMixin, SpmdEstimator, TransformerMixin


class PCA(TransformerMixin, SpmdEstimator):
    """Principal component analysis of every rank's rows (scikit-learn's `PCA` with the
    covariance eigensolver); `transform` and `inverse_transform` are local. `copy` is accepted and
    changes nothing."""

    _estimator = "pca"
    _accepted_only = ("copy",)

    def __init__(self, n_components=None, *, copy=True, whiten=False, svd_solver="covariance_eigh", comm=None):
        self.n_components = n_components
        self.copy = copy
        self.whiten = whiten
        self.svd_solver = svd_solver
        self.comm = comm

    def fit(self, X, y=None, queue=None):
        """Fits on this rank's rows (collective); returns self."""
        self._fit(X, None, None, queue)
        return self


class IncrementalPCA(IncrementalMixin, TransformerMixin, SpmdEstimator):
    """PCA fitted batch by batch (scikit-learn's `IncrementalPCA`), equal to a one-shot `PCA` of
    every batch of every rank: the batches' sums are exact, so `batch_size` changes no result.
    `partial_fit` adds a batch of this rank's rows without communication; the components of
    every batch of every rank are made (collectively) on the first use of a fitted attribute or
    `transform` after it. Besides `PCA`'s attributes it has scikit-learn's `var_`,
    `n_samples_seen_` and `batch_size_`."""

    _estimator = "incremental-pca"
    _partial_estimator = "incremental-pca"
    _accepted_only = ("copy",)

    def __init__(self, n_components=None, *, whiten=False, copy=True, batch_size=None, comm=None):
        self.n_components = n_components
        self.whiten = whiten
        self.copy = copy
        self.batch_size = batch_size
        self.comm = comm

    def fit(self, X, y=None, queue=None):
        """Forgets earlier batches, then fits on this rank's rows (collective); returns self."""
        return self._fit_incrementally(X, queue=queue)


class QR(SpmdEstimator):
    """The QR decomposition of the rows of every rank stacked (TSQR): every rank gets `r_`
    (`n_features x n_features`) and its own rows of Q as `q_`."""

    _estimator = "qr"

    def __init__(self, *, comm=None):
        self.comm = comm

    def fit(self, X, y=None, queue=None):
        """Factors every rank's rows (collective); returns self."""
        self.q_ = self._fit(X, None, None, queue, local=True)
        return self


class SVD(TransformerMixin, SpmdEstimator):
    """The thin SVD of the rows of every rank stacked, X = U diag(s) V^T: every rank gets
    `singular_values_` and `components_` (V^T) and its own rows of U as `u_`; `transform` gives
    X V."""

    _estimator = "svd"

    def __init__(self, *, comm=None):
        self.comm = comm

    def fit(self, X, y=None, queue=None):
        """Decomposes every rank's rows (collective); returns self."""
        self.u_ = self._fit(X, None, None, queue, local=True)
        return self
