"""`MultinomialNB` over the rows of every rank."""

import numpy as np

from ._base import (
    ClassifierMixin,
    IncrementalMixin,
    SpmdEstimator,
    as_rows,
    as_targets,
    as_weights,
    queue_of,
    resolve_queue,
)


class MultinomialNB(IncrementalMixin, ClassifierMixin, SpmdEstimator):
    """Multinomial naive Bayes on counts (scikit-learn's `MultinomialNB`): class and feature
    counts summed over every rank; a class may be missing from some ranks.

    `fit` is collective. `partial_fit` adds a batch of this rank's rows (local, no
    communication; `classes`, every class of the whole fit, is required on the first call, as in
    scikit-learn); the first use of the model after it (a fitted attribute, `predict`, `score`,
    `pickle`) sums every batch of every rank, collectively. A sequence of `partial_fit` calls
    starts from nothing: `partial_fit` after `fit` is refused rather than continuing from the
    fitted counts."""

    _estimator = "multinomial-nb"
    _partial_estimator = "multinomial-nb"

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
        self.__dict__.pop("_incremental", None)
        self.__dict__["_pending"] = False
        self._fit(X, y, sample_weight, queue)
        return self

    def partial_fit(self, X, y, classes=None, sample_weight=None, queue=None):
        """Adds a batch of this rank's rows and labels (local); returns self."""
        if self.__dict__.get("_model") is not None and self.__dict__.get("_incremental") is None:
            raise ValueError(
                "partial_fit after fit is not supported: start a new MultinomialNB for batches"
            )

        def add(state):
            x = as_rows(X)
            targets, _ = as_targets(y, x.shape[0])
            if targets.shape[1] != 1:
                raise ValueError("MultinomialNB takes one column of labels")
            weights = None if sample_weight is None else as_weights(sample_weight, x.shape[0])
            labels = None if classes is None else _integer_labels(classes)
            state.partial_fit(
                x,
                y=targets,
                y_is_1d=True,
                queue=resolve_queue(queue_of(queue, X)),
                classes=labels,
                sample_weight=weights,
            )
            return x

        x = self._add_batch(add)
        self.n_features_in_ = x.shape[1]
        if "_y_dtype" not in self.__dict__:
            self._y_dtype = np.asarray(classes if classes is not None else y).dtype
        return self


def _integer_labels(classes):
    a = np.asarray(classes).ravel()
    if a.dtype.kind not in "iub" and not np.all(np.mod(a, 1) == 0):
        raise ValueError(f"classes must be integer labels, not {a.tolist()!r}")
    return [int(v) for v in a]
