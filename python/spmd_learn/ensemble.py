"""Random forests over the rows of every rank: the same trees for any number of ranks."""

from ._base import ClassifierMixin, RegressorMixin, SpmdEstimator

_FOREST_DOC = """
    Split thresholds come from at most `max_bins` global bins per feature, and the bootstrap draws
    a Poisson count per row (the limit of scikit-learn's draw), so the trees are not
    scikit-learn's own but equal for any split of the rows. With `oob_score=True`, `oob_score_`
    is over every rank's rows and `{oob}` holds this rank's rows. With `local_trees_mode=True`
    (scikit-learn-intelex's) each rank holding rows grows its share of the trees from its own rows
    alone, without communication, and every rank gathers them all: faster where rows are many, no
    longer one forest over every row (and no out-of-bag score). `n_jobs` and `verbose` are
    accepted and change nothing (progress shows on rank 0 when stderr is a terminal).
"""


class _Forest(SpmdEstimator):
    _accepted_only = ("n_jobs", "verbose")
    _expected_failed_checks = {
        "check_sample_weight_equivalence_on_dense_data": (
            "each row's bootstrap count is drawn once and multiplied by its weight, so a row of "
            "weight 2 is not two rows drawn apart (scikit-learn declares the same for its forests)"
        ),
    }
    _oob_attribute = ""

    def fit(self, X, y, sample_weight=None, queue=None):
        """Grows the forest on every rank's rows (collective); returns self."""
        oob = self._fit(X, y, sample_weight, queue, local=bool(self.oob_score))
        if oob is not None:
            setattr(self, self._oob_attribute, oob.ravel() if oob.shape[1] == 1 else oob)
        return self


class RandomForestClassifier(ClassifierMixin, _Forest):
    __doc__ = "A random forest of classification trees (scikit-learn's `RandomForestClassifier`)." + _FOREST_DOC.format(
        oob="oob_decision_function_"
    )

    _estimator = "random-forest-classifier"
    _oob_attribute = "oob_decision_function_"

    def __init__(
        self,
        n_estimators=100,
        *,
        criterion="gini",
        max_depth=None,
        min_samples_split=2,
        min_samples_leaf=1,
        min_weight_fraction_leaf=0.0,
        max_features="sqrt",
        max_leaf_nodes=None,
        min_impurity_decrease=0.0,
        bootstrap=True,
        oob_score=False,
        n_jobs=None,
        random_state=None,
        verbose=0,
        class_weight=None,
        max_samples=None,
        max_bins=256,
        local_trees_mode=False,
        comm=None,
    ):
        self.n_estimators = n_estimators
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.max_features = max_features
        self.max_leaf_nodes = max_leaf_nodes
        self.min_impurity_decrease = min_impurity_decrease
        self.bootstrap = bootstrap
        self.oob_score = oob_score
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
        self.class_weight = class_weight
        self.max_samples = max_samples
        self.max_bins = max_bins
        self.local_trees_mode = local_trees_mode
        self.comm = comm



class RandomForestRegressor(RegressorMixin, _Forest):
    __doc__ = "A random forest of regression trees (scikit-learn's `RandomForestRegressor`)." + _FOREST_DOC.format(
        oob="oob_prediction_"
    )

    _estimator = "random-forest-regressor"
    _oob_attribute = "oob_prediction_"

    def __init__(
        self,
        n_estimators=100,
        *,
        criterion="squared_error",
        max_depth=None,
        min_samples_split=2,
        min_samples_leaf=1,
        min_weight_fraction_leaf=0.0,
        max_features=1.0,
        max_leaf_nodes=None,
        min_impurity_decrease=0.0,
        bootstrap=True,
        oob_score=False,
        n_jobs=None,
        random_state=None,
        verbose=0,
        max_samples=None,
        max_bins=256,
        local_trees_mode=False,
        comm=None,
    ):
        self.n_estimators = n_estimators
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.max_features = max_features
        self.max_leaf_nodes = max_leaf_nodes
        self.min_impurity_decrease = min_impurity_decrease
        self.bootstrap = bootstrap
        self.oob_score = oob_score
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
        self.max_samples = max_samples
        self.max_bins = max_bins
        self.local_trees_mode = local_trees_mode
        self.comm = comm
