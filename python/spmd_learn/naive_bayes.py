"""`MultinomialNB` over the rows of every rank."""

import numpy as np

from ._base import (
    ClassifierMixin,
    IncrementalMixin,
    SpmdEstimator,
    agree_classes,
    agreed,
    as_labels,
    as_rows,
    by_index,
    communicator,
    encode_labels,
    native_labels,
)


class MultinomialNB(IncrementalMixin, ClassifierMixin, SpmdEstimator):
    """Multinomial naive Bayes on counts (scikit-learn's `MultinomialNB`): class and feature
    counts summed over every rank; a class may be missing from some ranks; labels of any type.

    `fit` is collective: the ranks agree on the classes, then count. `partial_fit` adds a batch of
    this rank's rows (local, no communication; `classes`, every class of the whole fit, is
    required on the first call, as in scikit-learn); the first use of the model after it (a
    fitted attribute, `predict`, `score`, `pickle`) sums every batch of every rank,
    collectively. As in scikit-learn, `partial_fit` after `fit` adds to the fitted counts."""

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

    _positive_only = True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True  # as scikit-learn's own MultinomialNB
        return tags

    def fit(self, X, y, sample_weight=None, queue=None):
        """Counts every rank's rows (collective); returns self."""
        comm = communicator(self.comm)

        def labels():
            x = as_rows(X, self, reset=True)
            return self._checked_targets(y, x.shape[0], self._targets)[1]

        classes = agree_classes(comm, agreed(comm, labels))
        if not len(classes):
            raise ValueError("cannot fit on zero rows: every rank's X is empty")
        self.__dict__["_classes"] = classes
        return self._fit_incrementally(X, y, sample_weight, queue)

    def partial_fit(self, X, y, classes=None, sample_weight=None, queue=None):
        """Adds a batch of this rank's rows and labels (local); returns self."""
        if classes is not None:
            given = np.unique(np.asarray(classes))
            known = self.__dict__.get("_classes")
            if self.__dict__.get("_incremental") is None:
                self.__dict__["_classes"] = given
            elif known is None or not np.array_equal(known, given):
                raise ValueError(
                    f"`classes={given.tolist()!r}` is not the same as on the first call to "
                    f"partial_fit, was: {None if known is None else known.tolist()!r}"
                )
        elif self.__dict__.get("_incremental") is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        return self._partial(X, y, sample_weight, queue)

    def _partial_targets(self, y, n_rows):
        labels, _ = as_labels(y, n_rows)
        classes = self.__dict__["_classes"]
        if (encode_labels(labels, classes) < 0).any():
            unknown = np.unique(labels[encode_labels(labels, classes) < 0]).tolist()
            raise ValueError(f"y holds labels {unknown!r} that are not in classes {classes.tolist()!r}")
        named = list(range(len(classes))) if by_index(classes) else _integer_labels(classes)
        return (native_labels(labels, classes), True), {"classes": named}


def _integer_labels(classes):
    """Numeric classes as the native state names them: integers."""
    if not np.all(np.mod(classes.astype(np.float64), 1) == 0):
        raise ValueError(f"classes must be integer labels, not {classes.tolist()!r}")
    return [int(v) for v in classes]
