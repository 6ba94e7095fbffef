//! One estimator as the front ends drive it: its name, and what it can do, as function
//! pointers instantiated for its type.

use ndarray::Array2;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::erased::{self, Live, Neighbours, WithinRadius};
use super::incremental::{self, Batches, Incremental};
use super::model::Model;
use super::rows::Rows;
use crate::estimator::{
    Context, DecisionFunction, Estimator, Fitted, InverseTransform, KNeighbors, PartialFit,
    Predict, PredictLogProba, Score, Transform,
};
use crate::{Error, Result};

/// This rank's inputs to a fit, a score or a batch, in the features' precision or not.
#[derive(Debug, Clone)]
pub struct FitInput<'a> {
    /// Features, viewed in place.
    pub x: Rows<'a>,
    /// Targets (`n x t`) and whether they were 1-D.
    pub y: Option<(Rows<'a>, bool)>,
    /// One weight per row (one column).
    pub sample_weight: Option<Rows<'a>>,
    /// Every class of the whole fit, named up front (a classifier's first `partial_fit`).
    pub classes: Option<&'a [i64]>,
}

impl<'a> FitInput<'a> {
    /// Features only.
    pub fn new(x: Rows<'a>) -> Self {
        Self {
            x,
            y: None,
            sample_weight: None,
            classes: None,
        }
    }
}

/// What a fit returns: the model and, when asked for, this rank's per-row result (labels, Q,
/// U) if the estimator has one.
#[derive(Debug)]
pub struct FitOutput {
    /// The model, the same on every rank.
    pub model: Model,
    /// This rank's rows of a per-row result (only when asked for: it is O(rows)).
    pub local: Option<Array2<f64>>,
    /// This rank's rows of the other per-row results, by attribute name (only when asked for).
    pub columns: Vec<(&'static str, ndarray::Array1<f64>)>,
}

/// A per-row operation of a fitted model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `predict`.
    Predict,
    /// `transform` (a classifier's `predict_proba`).
    Transform,
    /// `inverse_transform`.
    InverseTransform,
    /// A classifier's `predict_log_proba`.
    PredictLogProba,
    /// A linear classifier's `decision_function`.
    DecisionFunction,
}

impl Operation {
    /// scikit-learn's name of the method.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Predict => "predict",
            Operation::Transform => "transform",
            Operation::InverseTransform => "inverse_transform",
            Operation::PredictLogProba => "predict_log_proba",
            Operation::DecisionFunction => "decision_function",
        }
    }
}

type ParamsFn = fn(Map<String, Value>) -> Result<Value>;
type FitFn = fn(&str, Context<'_>, &Value, &FitInput<'_>, bool) -> Result<FitOutput>;
type LoadFn = fn(&Model) -> Result<Live>;
type ApplyFn = fn(Context<'_>, &Model, &Live, Rows<'_>) -> Result<Array2<f64>>;
type ScoreFn = fn(Context<'_>, &Model, &Live, &FitInput<'_>) -> Result<f64>;
type KneighborsFn =
    fn(Context<'_>, &Model, &Live, Option<Rows<'_>>, Option<usize>) -> Result<Neighbours>;
type RadiusFn =
    fn(Context<'_>, &Model, &Live, Option<Rows<'_>>, (Option<f64>, bool)) -> Result<WithinRadius>;
type BeginFn = fn(&Value) -> Result<Box<dyn Batches>>;

/// One estimator of the [registry](super): built with [`Entry::of`] (or
/// [`Entry::keeping_rows`]) and one call per capability of its fitted model, each checked by
/// the compiler against the contract's traits.
pub struct Entry {
    name: &'static str,
    summary: &'static str,
    supervised: bool,
    keeps_rows: bool,
    params: ParamsFn,
    fit: FitFn,
    load: Option<LoadFn>,
    predict: Option<ApplyFn>,
    transform: Option<ApplyFn>,
    inverse_transform: Option<ApplyFn>,
    log_proba: Option<ApplyFn>,
    decision: Option<ApplyFn>,
    score: Option<ScoreFn>,
    kneighbors: Option<(KneighborsFn, RadiusFn)>,
    begin: Option<BeginFn>,
}

impl Entry {
    /// `E` under the kebab-case `name`, with `fit`; its models read back from their attributes.
    pub const fn of<E: Estimator>(name: &'static str, summary: &'static str) -> Self
    where
        E::Fitted: DeserializeOwned,
    {
        Self {
            load: Some(erased::load::<E>),
            ..Self::keeping_rows::<E>(name, summary)
        }
    }

    /// `E`, whose models keep this rank's training rows ([`Fitted::KEEPS_ROWS`]): a model is
    /// used in the process that fitted it, and its queries are collective.
    pub const fn keeping_rows<E: Estimator>(name: &'static str, summary: &'static str) -> Self {
        Self {
            name,
            summary,
            supervised: E::SUPERVISED,
            keeps_rows: <E::Fitted as Fitted>::KEEPS_ROWS,
            params: erased::params::<E>,
            fit: erased::fit::<E>,
            load: None,
            predict: None,
            transform: None,
            inverse_transform: None,
            log_proba: None,
            decision: None,
            score: None,
            kneighbors: None,
            begin: None,
        }
    }

    /// With `predict`.
    pub const fn predicts<E: Estimator>(mut self) -> Self
    where
        E::Fitted: Predict,
    {
        self.predict = Some(erased::predict::<E>);
        self
    }

    /// With `transform`.
    pub const fn transforms<E: Estimator>(mut self) -> Self
    where
        E::Fitted: Transform,
    {
        self.transform = Some(erased::transform::<E>);
        self
    }

    /// With `inverse_transform`.
    pub const fn inverts<E: Estimator>(mut self) -> Self
    where
        E::Fitted: InverseTransform,
    {
        self.inverse_transform = Some(erased::inverse_transform::<E>);
        self
    }

    /// With `predict_log_proba`.
    pub const fn log_probas<E: Estimator>(mut self) -> Self
    where
        E::Fitted: PredictLogProba,
    {
        self.log_proba = Some(erased::predict_log_proba::<E>);
        self
    }

    /// With `decision_function`.
    pub const fn decides<E: Estimator>(mut self) -> Self
    where
        E::Fitted: DecisionFunction,
    {
        self.decision = Some(erased::decision_function::<E>);
        self
    }

    /// With `score`.
    pub const fn scores<E: Estimator>(mut self) -> Self
    where
        E::Fitted: Score,
    {
        self.score = Some(erased::score::<E>);
        self
    }

    /// With `kneighbors` and `radius_neighbors`.
    pub const fn searches<E: Estimator>(mut self) -> Self
    where
        E::Fitted: KNeighbors,
    {
        self.kneighbors = Some((erased::kneighbors::<E>, erased::radius_neighbors::<E>));
        self
    }

    /// With `partial_fit`, batch by batch through `P`, whose models are `E`'s.
    pub const fn batches<E: Estimator, P>(mut self) -> Self
    where
        P: PartialFit<Fitted = E::Fitted> + Send + Sync + 'static,
    {
        self.begin = Some(incremental::begin::<P>);
        self
    }

    /// Kebab-case name (`linear-regression`).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// One line for `spmd-learn estimators`.
    pub fn summary(&self) -> &'static str {
        self.summary
    }

    /// Whether a fit needs targets.
    pub fn supervised(&self) -> bool {
        self.supervised
    }

    /// Whether its models keep this rank's training rows: their queries (every operation, the
    /// score, the searches) are collective, and a model read from JSON must be fitted again.
    pub fn keeps_rows(&self) -> bool {
        self.keeps_rows
    }

    /// Whether a fitted model has `operation`.
    pub fn has(&self, operation: Operation) -> bool {
        self.operation(operation).is_some()
    }

    /// Whether a fitted model has `score`.
    pub fn has_score(&self) -> bool {
        self.score.is_some()
    }

    /// Whether a fitted model answers `kneighbors` and `radius_neighbors`.
    pub fn has_kneighbors(&self) -> bool {
        self.kneighbors.is_some()
    }

    /// Whether the estimator fits batch by batch ([`begin`](Self::begin)).
    pub fn has_partial_fit(&self) -> bool {
        self.begin.is_some()
    }

    fn operation(&self, operation: Operation) -> Option<ApplyFn> {
        match operation {
            Operation::Predict => self.predict,
            Operation::Transform => self.transform,
            Operation::InverseTransform => self.inverse_transform,
            Operation::PredictLogProba => self.log_proba,
            Operation::DecisionFunction => self.decision,
        }
    }

    fn unsupported(&self, operation: &'static str) -> Error {
        Error::Unsupported {
            estimator: self.name.into(),
            operation,
        }
    }

    /// Parameters (names and JSON values) checked, each bad value named, and normalised
    /// (defaults filled in). Local.
    pub fn params(&self, pairs: Map<String, Value>) -> Result<Value> {
        (self.params)(pairs).map_err(|e| match e {
            Error::Params(m) => Error::Params(format!("{}: {m}", self.name)),
            other => other,
        })
    }

    /// Fits on this rank's rows with `params` from [`params`](Self::params), keeping the
    /// per-row result when `local` is set. Collective: a supervised estimator given no targets
    /// on some rank fails on every rank.
    pub fn fit(
        &self,
        ctx: Context<'_>,
        params: &Value,
        input: &FitInput<'_>,
        local: bool,
    ) -> Result<FitOutput> {
        (self.fit)(self.name, ctx, params, input, local)
    }

    /// `model` with its fitted model live, read back from its attributes if this process did
    /// not fit it; an error for a model that keeps its training rows and was not fitted here.
    pub fn load(&self, model: Model) -> Result<Model> {
        if model.is_live() {
            return Ok(model);
        }
        let live = self.live(&model)?;
        Ok(model.with_live(live))
    }

    fn live(&self, model: &Model) -> Result<Live> {
        if let Some(live) = model.live() {
            return Ok(live.clone());
        }
        if model.estimator != self.name {
            return Err(model.invalid(&format!("it is a {} model", model.estimator)));
        }
        match self.load {
            Some(load) => load(model),
            None => Err(model.invalid(
                "its training rows stay in the process that fitted it; fit it again here",
            )),
        }
    }

    /// `operation` of this rank's rows `x`. Local, but collective for an estimator that
    /// [keeps its rows](Self::keeps_rows).
    pub fn apply(
        &self,
        operation: Operation,
        ctx: Context<'_>,
        model: &Model,
        x: Rows<'_>,
    ) -> Result<Array2<f64>> {
        let apply = self
            .operation(operation)
            .ok_or_else(|| self.unsupported(operation.name()))?;
        apply(ctx, model, &self.live(model)?, x)
    }

    /// scikit-learn's `score` over every rank's rows of `input` (targets where the estimator
    /// needs them). Collective.
    pub fn score(&self, ctx: Context<'_>, model: &Model, input: &FitInput<'_>) -> Result<f64> {
        let score = self.score.ok_or_else(|| self.unsupported("score"))?;
        score(ctx, model, &self.live(model)?, input)
    }

    /// Distances and global indices of the `k` (default `n_neighbors`) nearest training rows of
    /// each of this rank's rows `x` (`None`: of its training rows, each without itself).
    /// Collective.
    pub fn kneighbors(
        &self,
        ctx: Context<'_>,
        model: &Model,
        x: Option<Rows<'_>>,
        k: Option<usize>,
    ) -> Result<Neighbours> {
        let (search, _) = self
            .kneighbors
            .ok_or_else(|| self.unsupported("kneighbors"))?;
        search(ctx, model, &self.live(model)?, x, k)
    }

    /// Distances and global indices of the training rows within `radius` (default the
    /// parameter's) of each of this rank's rows `x`, per row (nearest first with
    /// `sort_results`). Collective.
    pub fn radius_neighbors(
        &self,
        ctx: Context<'_>,
        model: &Model,
        x: Option<Rows<'_>>,
        radius: Option<f64>,
        sort_results: bool,
    ) -> Result<WithinRadius> {
        let (_, within) = self
            .kneighbors
            .ok_or_else(|| self.unsupported("radius_neighbors"))?;
        within(ctx, model, &self.live(model)?, x, (radius, sort_results))
    }

    /// A batch-by-batch fit with checked `params`. Local.
    pub fn begin(&'static self, params: &Value) -> Result<Incremental> {
        let begin = self.begin.ok_or_else(|| self.unsupported("partial_fit"))?;
        Ok(Incremental::new(self, params.clone(), begin(params)?))
    }
}
