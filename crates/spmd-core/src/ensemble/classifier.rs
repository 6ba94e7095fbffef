//! [`RandomForestClassifier`] and its fitted model.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};
use spmd_comm::ReduceOp;
use spmd_gpu::Queue;

use super::forest::{check_local, empty, Forest, ForestFit, Local, SMALL_NODE_ROWS};
use super::params::{ClassWeight, ClassWeightRule, RandomForestClassifierParams};
use super::sample::balanced;
use super::split::Task;
use super::tree::Tree;
use crate::backend::Backend;
use crate::classes::{encode, global_classes, local_classes, ClassLabel};
use crate::distributed::{agree, comm_or_world, global_shape};
use crate::validate::{check_same_rows, check_weights};
use crate::{Float, Result};

/// scikit-learn's `RandomForestClassifier` over all ranks' rows: the same forest for any
/// number of ranks (see the [module](super) for how).
///
/// [`fit`](Self::fit) is collective; `predict`, `predict_proba` are local; `score` is
/// collective.
#[derive(Debug, Clone, Default)]
pub struct RandomForestClassifier {
    pub(super) params: RandomForestClassifierParams,
    pub(super) comm: Option<spmd_comm::Comm>,
}

impl RandomForestClassifier {
    /// scikit-learn's defaults (100 trees, `gini`, `max_features=\"sqrt\"`, bootstrap), with `max_bins=256`.
    pub fn new() -> Self {
        Self::default()
    }

    /// From parameters (as read from a model file or the command line).
    pub fn with_params(params: RandomForestClassifierParams) -> Self {
        Self {
            params,
            ..Self::default()
        }
    }

    /// The ranks that fit together; `Comm::world()` by default.
    pub fn comm(mut self, comm: spmd_comm::Comm) -> Self {
        self.comm = Some(comm);
        self
    }

    /// The parameters.
    pub fn params(&self) -> &RandomForestClassifierParams {
        &self.params
    }

    /// Number of trees.
    pub fn n_estimators(mut self, n_estimators: usize) -> Self {
        self.params.n_estimators = n_estimators;
        self
    }

    /// Deepest level a tree grows to.
    pub fn max_depth(mut self, max_depth: Option<usize>) -> Self {
        self.params.max_depth = max_depth;
        self
    }

    /// Features drawn for each split.
    pub fn max_features(mut self, max_features: Option<super::FeatureCount>) -> Self {
        self.params.max_features = max_features;
        self
    }

    /// Leaves per tree, grown best first.
    pub fn max_leaf_nodes(mut self, max_leaf_nodes: Option<usize>) -> Self {
        self.params.max_leaf_nodes = max_leaf_nodes;
        self
    }

    /// Whether to bootstrap.
    pub fn bootstrap(mut self, bootstrap: bool) -> Self {
        self.params.bootstrap = bootstrap;
        self
    }

    /// Whether to compute the out-of-bag score.
    pub fn oob_score(mut self, oob_score: bool) -> Self {
        self.params.oob_score = oob_score;
        self
    }

    /// Class weights.
    pub fn class_weight(mut self, class_weight: Option<ClassWeight>) -> Self {
        self.params.class_weight = class_weight;
        self
    }

    /// `gini`, `entropy` or `log_loss`.
    pub fn criterion(mut self, criterion: super::ClassCriterion) -> Self {
        self.params.criterion = criterion;
        self
    }

    /// Most bins per feature.
    pub fn max_bins(mut self, max_bins: usize) -> Self {
        self.params.max_bins = max_bins;
        self
    }
}

impl RandomForestClassifier {
    /// Seed of every random draw; the same seed gives the same forest for any number of ranks.
    pub fn random_state(mut self, seed: u64) -> Self {
        self.params.random_state = Some(seed);
        self
    }

    /// Fits on views; the contract's and the inherent `fit` end here.
    fn fit_labelled<F: Float, L: ClassLabel>(
        &self,
        x: &ArrayView2<'_, F>,
        y: &ArrayView1<'_, L>,
        sample_weight: Option<ArrayView1<'_, f64>>,
        queue: Option<&Queue>,
    ) -> Result<FittedRandomForestClassifier> {
        let comm = comm_or_world(self.comm.as_ref())?;
        let rank = comm.rank();
        let shared = self.params.shared();
        let labels = shared.check().and_then(|()| {
            check_same_rows(x.nrows(), y.len())?;
            check_weights(sample_weight, x.nrows(), rank)?;
            check_local(x.view(), rank)?;
            local_classes(y, rank)
        });
        let labels = agree(&comm, labels)?;
        let shape = global_shape(&comm, x.nrows(), [x.ncols(), 0], ["X", "y"])?;
        if shape.rows == 0 {
            return Err(empty());
        }
        let classes = global_classes(&comm, &labels)?;
        let encoded = encode(&classes, &labels);
        let k = classes.len();
        let (class_weight, balanced_subsample) = match &self.params.class_weight {
            None => (Vec::new(), false),
            Some(ClassWeight::Weights(map)) => (
                classes
                    .iter()
                    .map(|c| map.get(c).copied().unwrap_or(1.0))
                    .collect(),
                false,
            ),
            Some(ClassWeight::Rule(rule)) => {
                if *rule == ClassWeightRule::BalancedSubsample && self.params.bootstrap {
                    (Vec::new(), true)
                } else {
                    let mut counts = vec![0_u64; k];
                    for &c in &encoded {
                        counts[c as usize] += 1;
                    }
                    comm.allreduce_in_place(&mut counts, ReduceOp::Sum)?;
                    (balanced(&counts), false)
                }
            }
        };
        let weights = sample_weight.map(|w| w.to_vec()).unwrap_or_default();
        let fit = ForestFit {
            shared,
            task: Task::Classes {
                classes: k,
                criterion: self.params.criterion,
            },
            class_weight,
            balanced_subsample,
            small_rows: SMALL_NODE_ROWS,
            progress_rank: None,
        };
        let local = Local {
            x: x.view(),
            classes: &encoded,
            targets: &[],
            sample_weight: &weights,
        };
        let fitted = fit.fit(&comm, &local, &shape, queue)?;
        let oob_score = match &fitted.oob {
            Some(decision) => {
                let correct = decision
                    .axis_iter(Axis(0))
                    .zip(&encoded)
                    .filter(|(p, &c)| argmax(p.as_slice().unwrap_or(&[])) == c as usize)
                    .count();
                let mut totals = [correct as u64, x.nrows() as u64];
                comm.allreduce_in_place(&mut totals, ReduceOp::Sum)?;
                Some(totals[0] as f64 / totals[1] as f64)
            }
            None => None,
        };
        Ok(FittedRandomForestClassifier {
            classes,
            forest: fitted.forest,
            oob_score,
            oob_decision_function: fitted.oob,
        })
    }
}

/// The index of the largest value (the first on ties, as `numpy.argmax`).
pub(crate) fn argmax(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    best
}

/// A fitted [`RandomForestClassifier`], the same on every rank. Serialises `classes_`,
/// `n_classes_`, `n_features_in_`, `n_outputs_`, `feature_importances_`, `oob_score_` (when
/// computed) and `estimators_` (each tree's flat arrays).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "Attributes")]
pub struct FittedRandomForestClassifier {
    classes: Vec<i64>,
    forest: Forest,
    oob_score: Option<f64>,
    oob_decision_function: Option<Array2<f64>>,
}

impl FittedRandomForestClassifier {
    /// The class labels, sorted (`classes_`).
    pub fn classes(&self) -> &[i64] {
        &self.classes
    }
    /// Number of features seen in fit (`n_features_in_`).
    pub fn n_features_in(&self) -> usize {
        self.forest.n_features
    }
    /// The trees (`estimators_`).
    pub fn estimators(&self) -> &[Tree] {
        &self.forest.trees
    }
    /// Impurity-based importance of each feature, summing to 1 (`feature_importances_`).
    pub fn feature_importances(&self) -> &[f64] {
        &self.forest.feature_importances
    }
    /// Accuracy on the rows each tree did not draw (`oob_score_`), when `oob_score` was set.
    pub fn oob_score(&self) -> Option<f64> {
        self.oob_score
    }
    /// This rank's rows' class probabilities from the trees that did not draw them
    /// (`oob_decision_function_`), when `oob_score` was set; `None` for a model read from a
    /// file.
    pub fn oob_decision_function(&self) -> Option<ArrayView2<'_, f64>> {
        self.oob_decision_function.as_ref().map(|a| a.view())
    }

    /// [`predict_log_proba`](Self::predict_log_proba) on `backend`.
    pub(crate) fn log_proba_on<F: Float>(
        &self,
        backend: &Backend<'_>,
        x: ArrayView2<'_, F>,
    ) -> Result<Array2<f64>> {
        Ok(self.proba_on(backend, x)?.mapv(f64::ln))
    }

    /// Class probabilities on `backend`: the mean of the trees' leaf class fractions.
    fn proba_on<F: Float>(
        &self,
        backend: &Backend<'_>,
        x: ArrayView2<'_, F>,
    ) -> Result<Array2<f64>> {
        check_local(x, backend.rank())?;
        self.forest.predict_values(backend, x)
    }

    /// Class probabilities of this rank's rows, `n x n_classes`. Local.
    pub fn predict_proba<F: Float, S: ndarray::Data<Elem = F>>(
        &self,
        x: &ndarray::ArrayBase<S, ndarray::Ix2>,
        queue: Option<&Queue>,
    ) -> Result<Array2<f64>> {
        self.proba_on(&Backend::new(0, queue)?, x.view())
    }

    /// Logarithms of [`predict_proba`](Self::predict_proba). Local.
    pub fn predict_log_proba<F: Float, S: ndarray::Data<Elem = F>>(
        &self,
        x: &ndarray::ArrayBase<S, ndarray::Ix2>,
        queue: Option<&Queue>,
    ) -> Result<Array2<f64>> {
        self.log_proba_on(&Backend::new(0, queue)?, x.view())
    }

    /// The most probable class of each of this rank's rows (ties to the lower label). Local.
    pub fn predict<F: Float, S: ndarray::Data<Elem = F>>(
        &self,
        x: &ndarray::ArrayBase<S, ndarray::Ix2>,
        queue: Option<&Queue>,
    ) -> Result<Array1<i64>> {
        self.predict_on(&Backend::new(0, queue)?, x.view())
    }

    /// [`predict`](Self::predict) on `backend`.
    pub(crate) fn predict_on<F: Float>(
        &self,
        backend: &Backend<'_>,
        x: ArrayView2<'_, F>,
    ) -> Result<Array1<i64>> {
        let proba = self.proba_on(backend, x)?;
        Ok(proba
            .axis_iter(Axis(0))
            .map(|p| self.classes[argmax(p.as_slice().unwrap_or(&[]))])
            .collect())
    }

    /// Accuracy on all ranks' rows `x` with labels `y`. Collective.
    pub fn score<F, L, S, T>(
        &self,
        comm: &spmd_comm::Comm,
        x: &ndarray::ArrayBase<S, ndarray::Ix2>,
        y: &ndarray::ArrayBase<T, ndarray::Ix1>,
        queue: Option<&Queue>,
    ) -> Result<f64>
    where
        F: Float,
        L: ClassLabel,
        S: ndarray::Data<Elem = F>,
        T: ndarray::Data<Elem = L>,
    {
        self.score_weighted(comm, x, y, None, queue)
    }

    /// [`score`](Self::score) with a weight per row (scikit-learn's `sample_weight`).
    pub fn score_weighted<F, L, S, T>(
        &self,
        comm: &spmd_comm::Comm,
        x: &ndarray::ArrayBase<S, ndarray::Ix2>,
        y: &ndarray::ArrayBase<T, ndarray::Ix1>,
        sample_weight: Option<ndarray::ArrayView1<'_, f64>>,
        queue: Option<&Queue>,
    ) -> Result<f64>
    where
        F: Float,
        L: ClassLabel,
        S: ndarray::Data<Elem = F>,
        T: ndarray::Data<Elem = L>,
    {
        crate::estimator::accuracy(self, comm, x.view(), y, sample_weight, queue)
    }
}

impl crate::estimator::Params for RandomForestClassifierParams {
    fn check(&self) -> crate::Result<()> {
        RandomForestClassifierParams::check(self)
    }
}

impl RandomForestClassifier {
    /// Fits on every rank's rows `x` and labels `y`; every rank calls it and gets the
    /// same model. The classes are the union of all ranks' labels.
    pub fn fit<F, L, S, T>(
        &self,
        x: &ndarray::ArrayBase<S, ndarray::Ix2>,
        y: &ndarray::ArrayBase<T, ndarray::Ix1>,
        queue: Option<&spmd_gpu::Queue>,
    ) -> crate::Result<FittedRandomForestClassifier>
    where
        F: crate::Float,
        L: crate::classes::ClassLabel,
        S: ndarray::Data<Elem = F>,
        T: ndarray::Data<Elem = L>,
    {
        self.fit_labelled(&x.view(), &y.view(), None, queue)
    }

    /// [`fit`](Self::fit) with a weight per row (scikit-learn's `sample_weight`).
    pub fn fit_weighted<F, L, S, T>(
        &self,
        x: &ndarray::ArrayBase<S, ndarray::Ix2>,
        y: &ndarray::ArrayBase<T, ndarray::Ix1>,
        sample_weight: Option<ndarray::ArrayView1<'_, f64>>,
        queue: Option<&spmd_gpu::Queue>,
    ) -> crate::Result<FittedRandomForestClassifier>
    where
        F: crate::Float,
        L: crate::classes::ClassLabel,
        S: ndarray::Data<Elem = F>,
        T: ndarray::Data<Elem = L>,
    {
        self.fit_labelled(&x.view(), &y.view(), sample_weight, queue)
    }
}

impl crate::estimator::Estimator for RandomForestClassifier {
    type Params = RandomForestClassifierParams;
    type Fitted = FittedRandomForestClassifier;
    const SUPERVISED: bool = true;

    fn from_params(params: RandomForestClassifierParams) -> Self {
        Self::with_params(params)
    }

    fn fit<F: crate::Float>(
        &self,
        ctx: crate::estimator::Context<'_>,
        data: &crate::estimator::Dataset<'_, F>,
    ) -> crate::Result<FittedRandomForestClassifier> {
        let (y, w) = crate::estimator::labels_and_weights(ctx, data)?;
        self.clone().comm(ctx.comm.clone()).fit_weighted(
            &data.x(),
            &y,
            w.as_ref().map(|w| w.view()),
            ctx.queue,
        )
    }
}

impl crate::estimator::ClassifierModel for FittedRandomForestClassifier {
    fn predict_on<F: crate::Float>(
        &self,
        backend: &crate::backend::Backend<'_>,
        x: ndarray::ArrayView2<'_, F>,
    ) -> crate::Result<ndarray::Array1<i64>> {
        FittedRandomForestClassifier::predict_on(self, backend, x)
    }

    fn log_proba_on<F: crate::Float>(
        &self,
        backend: &crate::backend::Backend<'_>,
        x: ndarray::ArrayView2<'_, F>,
    ) -> crate::Result<ndarray::Array2<f64>> {
        FittedRandomForestClassifier::log_proba_on(self, backend, x)
    }
}

impl crate::estimator::Fitted for FittedRandomForestClassifier {
    fn n_features_in(&self) -> usize {
        FittedRandomForestClassifier::n_features_in(self)
    }

    fn local_result(&self) -> Option<ndarray::Array2<f64>> {
        self.oob_decision_function.clone()
    }
}

/// The attributes as a model file stores them.
#[derive(Deserialize)]
struct Attributes {
    classes_: Vec<i64>,
    n_classes_: usize,
    n_features_in_: usize,
    #[serde(rename = "n_outputs_")]
    _n_outputs: usize,
    feature_importances_: Vec<f64>,
    #[serde(default)]
    oob_score_: Option<f64>,
    estimators_: Vec<Tree>,
}

/// [`Attributes`] borrowed from a fitted forest, to write it without copying its trees.
#[derive(Serialize)]
struct AttributesRef<'a> {
    classes_: &'a [i64],
    n_classes_: usize,
    n_features_in_: usize,
    n_outputs_: usize,
    feature_importances_: &'a [f64],
    #[serde(skip_serializing_if = "Option::is_none")]
    oob_score_: Option<f64>,
    estimators_: &'a [Tree],
}

impl Serialize for FittedRandomForestClassifier {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        AttributesRef {
            classes_: &self.classes,
            n_classes_: self.classes.len(),
            n_features_in_: self.forest.n_features,
            n_outputs_: 1,
            feature_importances_: &self.forest.feature_importances,
            oob_score_: self.oob_score,
            estimators_: &self.forest.trees,
        }
        .serialize(s)
    }
}

impl TryFrom<Attributes> for FittedRandomForestClassifier {
    type Error = String;
    fn try_from(a: Attributes) -> std::result::Result<Self, String> {
        if a.classes_.is_empty() || a.n_classes_ != a.classes_.len() {
            return Err("classes_ must list n_classes_ (> 0) labels".into());
        }
        let forest = Forest {
            trees: a.estimators_,
            n_values: a.n_classes_,
            n_features: a.n_features_in_,
            feature_importances: a.feature_importances_,
            resident: Default::default(),
        };
        forest.check()?;
        Ok(Self {
            classes: a.classes_,
            forest,
            oob_score: a.oob_score_,
            oob_decision_function: None,
        })
    }
}
