"""`MultinomialNB` over the rows of every rank."""

from ._base import ClassifierMixin, SpmdEstimator


class MultinomialNB(ClassifierMixin, SpmdEstimator):
    """Multinomial naive Bayes on counts (scikit-learn's `MultinomialNB`): class and feature
    counts summed over every rank; a class may be missing from some ranks."""

    _estimator = "multinomial-nb"

    def __init__(self, *, alpha=1.0, force_alpha=True, fit_prior=True, class_prior=None, comm=None):
        self.alpha = alpha
        self.force_alpha = force_alpha
        self.fit_prior = fit_prior
        self.class_prior = class_prior
        self.comm = comm

    def _native_params(self):
        params = super()._native_params()
        if params["class_prior"] is not None:
            params["class_prior"] = [float(v) for v in params["class_prior"]]
        return params

    def fit(self, X, y, sample_weight=None, queue=None):
        """Fits on this rank's rows (collective); returns self."""
        self._fit(X, y, sample_weight, queue)
        return self
