//! [`RandomForestRegressor`] and its fitted model.

use ndarray::{Array1, Array2, ArrayBase, ArrayView1, ArrayView2, Axis, Data, Ix1, Ix2};
use serde::{Deserialize, Serialize};
use spmd_comm::Comm;
use spmd_gpu::Queue;

use super::forest::{check_local, empty, Forest, ForestFit, Local, SMALL_NODE_ROWS};
use super::params::RandomForestRegressorParams;
use super::split::Task;
use super::tree::Tree;
use crate::backend::Backend;
use crate::distributed::{agree, comm_or_world, global_shape};
use crate::estimator::{require_targets, Context, Dataset, Fitted, Predict, Score};
use crate::linear::model::r2_score;
use crate::validate::{check_finite, check_same_rows, check_weights};
use crate::{Error, Float, Result};

/// scikit-learn's `RandomForestRegressor` over all ranks' rows: the same forest for any
/// number of ranks (see the [module](super) for how).
///
/// ```
/// use ndarray::{array, Array1, Array2};
/// use spmd_core::ensemble::RandomForestRegressor;
///
/// let x = Array2::from_shape_fn((300, 1), |(i, _)| i as f64 / 30.0);
/// let y: Array1<f64> = x.column(0).mapv(|v| if v < 5.0 { 1.0 } else { 3.0 });
/// let forest = RandomForestRegressor::new().n_estimators(20).random_state(1).fit(&x, &y, None)?;
/// let predicted = forest.predict(&array![[1.0], [9.0]], None)?;
/// assert!((predicted[0] - 1.0).abs() < 1e-12 && (predicted[1] - 3.0).abs() < 1e-12);
/// # Ok::<(), spmd_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct RandomForestRegressor {
    pub(super) params: RandomForestRegressorParams,
    pub(super) comm: Option<spmd_comm::Comm>,
}

impl RandomForestRegressor {
    /// scikit-learn's defaults (100 trees, `squared_error`, `max_features=1.0`, bootstrap), with `max_bins=256`.
    pub fn new() -> Self {
        Self::default()
    }

    /// From parameters (as read from a model file or the command line).
    pub fn with_params(params: RandomForestRegressorParams) -> Self {
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
    pub fn params(&self) -> &RandomForestRegressorParams {
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

    /// Most bins per feature.
    pub fn max_bins(mut self, max_bins: usize) -> Self {
        self.params.max_bins = max_bins;
        self
    }
}

impl RandomForestRegressor {
    /// Seed of every random draw; the same seed gives the same forest for any number of ranks.
    pub fn random_state(mut self, seed: u64) -> Self {
        self.params.random_state = Some(seed);
        self
    }

    /// Fits on every rank's rows `x` and targets `y`. Collective.
    pub fn fit<F: Float, S: Data<Elem = F>, T: Data<Elem = f64>>(
        &self,
        x: &ArrayBase<S, Ix2>,
        y: &ArrayBase<T, Ix1>,
        queue: Option<&Queue>,
    ) -> Result<FittedRandomForestRegressor> {
        self.fit_weighted(x, y, None, queue)
    }

    /// [`fit`](Self::fit) with a weight per row (`sample_weight`).
    pub fn fit_weighted<F: Float, S: Data<Elem = F>, T: Data<Elem = f64>>(
        &self,
        x: &ArrayBase<S, Ix2>,
        y: &ArrayBase<T, Ix1>,
        sample_weight: Option<ArrayView1<'_, f64>>,
        queue: Option<&Queue>,
    ) -> Result<FittedRandomForestRegressor> {
        let comm = comm_or_world(self.comm.as_ref())?;
        let rank = comm.rank();
        let shared = self.params.shared();
        let checked = shared.check().and_then(|()| {
            check_same_rows(x.nrows(), y.len())?;
            check_weights(sample_weight, x.nrows(), rank)?;
            check_local(x.view(), rank)?;
            check_finite("y", y.view().insert_axis(Axis(1)), rank)
        });
        agree(&comm, checked)?;
        let shape = global_shape(&comm, x.nrows(), [x.ncols(), 0], ["X", "y"])?;
        if shape.rows == 0 {
            return Err(empty());
        }
        let targets = y.to_vec();
        let weights = sample_weight.map(|w| w.to_vec()).unwrap_or_default();
        let fit = ForestFit {
            shared,
            task: Task::Regression,
            class_weight: Vec::new(),
            balanced_subsample: false,
            small_rows: SMALL_NODE_ROWS,
            progress_rank: None,
        };
        let local = Local {
            x: x.view(),
            classes: &[],
            targets: &targets,
            sample_weight: &weights,
        };
        let fitted = fit.fit(&comm, &local, &shape, queue)?;
        let oob_score = match &fitted.oob {
            Some(predicted) => Some(r2_score(
                &comm,
                y.view().insert_axis(Axis(1)),
                predicted.view(),
                None,
            )?),
            None => None,
        };
        Ok(FittedRandomForestRegressor {
            forest: fitted.forest,
            oob_score,
            oob_prediction: fitted.oob.map(|p| p.column(0).to_owned()),
        })
    }
}

/// A fitted [`RandomForestRegressor`], the same on every rank. Serialises `n_features_in_`,
/// `n_outputs_`, `feature_importances_`, `oob_score_` (when computed) and `estimators_`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "Attributes")]
pub struct FittedRandomForestRegressor {
    forest: Forest,
    oob_score: Option<f64>,
    oob_prediction: Option<Array1<f64>>,
}

impl FittedRandomForestRegressor {
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
    /// $R^2$ on the rows each tree did not draw (`oob_score_`), when `oob_score` was set.
    pub fn oob_score(&self) -> Option<f64> {
        self.oob_score
    }
    /// This rank's rows' predictions by the trees that did not draw them (`oob_prediction_`),
    /// when `oob_score` was set; `None` for a model read from a file.
    pub fn oob_prediction(&self) -> Option<ArrayView1<'_, f64>> {
        self.oob_prediction.as_ref().map(|a| a.view())
    }

    /// The mean of the trees' predictions for this rank's rows. Local.
    pub fn predict<F: Float, S: Data<Elem = F>>(
        &self,
        x: &ArrayBase<S, Ix2>,
        queue: Option<&Queue>,
    ) -> Result<Array1<f64>> {
        Ok(self
            .predict_on(&Backend::new(0, queue)?, x.view())?
            .column(0)
            .to_owned())
    }

    fn predict_on<F: Float>(
        &self,
        backend: &Backend<'_>,
        x: ArrayView2<'_, F>,
    ) -> Result<Array2<f64>> {
        check_local(x, backend.rank())?;
        self.forest.predict_values(backend, x)
    }

    /// $R^2$ over all ranks' rows `x` with targets `y`. Collective.
    pub fn score<F: Float, S: Data<Elem = F>, T: Data<Elem = f64>>(
        &self,
        comm: &Comm,
        x: &ArrayBase<S, Ix2>,
        y: &ArrayBase<T, Ix1>,
        queue: Option<&Queue>,
    ) -> Result<f64> {
        let predicted =
            Backend::new(comm.rank(), queue).and_then(|b| self.predict_on(&b, x.view()));
        let predicted = agree(comm, predicted)?;
        r2_score(comm, y.view().insert_axis(Axis(1)), predicted.view(), None)
    }
}

impl crate::estimator::Params for RandomForestRegressorParams {
    fn check(&self) -> crate::Result<()> {
        RandomForestRegressorParams::check(self)
    }
}

impl crate::estimator::Estimator for RandomForestRegressor {
    type Params = RandomForestRegressorParams;
    type Fitted = FittedRandomForestRegressor;
    const SUPERVISED: bool = true;

    fn from_params(params: RandomForestRegressorParams) -> Self {
        RandomForestRegressor::with_params(params)
    }

    fn fit<F: crate::Float>(
        &self,
        ctx: crate::estimator::Context<'_>,
        data: &crate::estimator::Dataset<'_, F>,
    ) -> crate::Result<FittedRandomForestRegressor> {
        // A rank without targets, or with several columns, fails every rank.
        let y = require_targets(data).and_then(|y| match y.ncols() {
            1 => Ok(y.column(0).mapv(|v| v.as_f64())),
            columns => Err(Error::Shape {
                what: "y".into(),
                expected: "one target column (multi-output forests are not supported)".into(),
                found: format!("{columns} columns"),
            }),
        });
        let y = agree(ctx.comm, y)?;
        let w = data.weights().map(|w| w.mapv(|v| v.as_f64()));
        self.clone().comm(ctx.comm.clone()).fit_weighted(
            &data.x(),
            &y,
            w.as_ref().map(|w| w.view()),
            ctx.queue,
        )
    }
}

impl Fitted for FittedRandomForestRegressor {
    fn n_features_in(&self) -> usize {
        self.forest.n_features
    }
    /// Each row's out-of-bag prediction, when `oob_score` was set.
    fn local_result(&self) -> Option<Array2<f64>> {
        self.oob_prediction
            .as_ref()
            .map(|p| p.clone().insert_axis(Axis(1)))
    }
}

impl Predict for FittedRandomForestRegressor {
    fn predict<F: Float>(&self, ctx: Context<'_>, x: ArrayView2<'_, F>) -> Result<Array2<f64>> {
        self.predict_on(&Backend::new(ctx.rank(), ctx.queue)?, x)
    }
}

impl Score for FittedRandomForestRegressor {
    fn score<F: Float>(&self, ctx: Context<'_>, data: &Dataset<'_, F>) -> Result<f64> {
        let y = agree(ctx.comm, require_targets(data))?;
        let w = data.weights().map(|w| w.mapv(|v| v.as_f64()));
        let w = w.as_ref().map(|w| w.view());
        let predicted = crate::validate::check_weights(w, y.nrows(), ctx.rank())
            .and_then(|_| self.predict_on(&Backend::new(ctx.rank(), ctx.queue)?, data.x()));
        let predicted = agree(ctx.comm, predicted)?;
        r2_score(ctx.comm, y, predicted.mapv(F::from_f64_lossy).view(), w)
    }
}

/// The attributes as a model file stores them.
#[derive(Deserialize)]
struct Attributes {
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
    n_features_in_: usize,
    n_outputs_: usize,
    feature_importances_: &'a [f64],
    #[serde(skip_serializing_if = "Option::is_none")]
    oob_score_: Option<f64>,
    estimators_: &'a [Tree],
}

impl Serialize for FittedRandomForestRegressor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        AttributesRef {
            n_features_in_: self.forest.n_features,
            n_outputs_: 1,
            feature_importances_: &self.forest.feature_importances,
            oob_score_: self.oob_score,
            estimators_: &self.forest.trees,
        }
        .serialize(s)
    }
}

impl TryFrom<Attributes> for FittedRandomForestRegressor {
    type Error = String;
    fn try_from(a: Attributes) -> std::result::Result<Self, String> {
        let forest = Forest {
            trees: a.estimators_,
            n_values: 1,
            n_features: a.n_features_in_,
            feature_importances: a.feature_importances_,
            resident: Default::default(),
        };
        forest.check()?;
        Ok(Self {
            forest,
            oob_score: a.oob_score_,
            oob_prediction: None,
        })
    }
}
