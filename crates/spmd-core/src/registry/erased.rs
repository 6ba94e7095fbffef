//! The typed side of every registry entry: each function here is instantiated for one
//! estimator type and stored in its [`Entry`](super::Entry) as a plain function pointer.

use std::any::Any;
use std::sync::Arc;

use ndarray::{Array2, ArrayView2, Axis};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::model::Model;
use super::params::{checked, parse};
use super::rows::Rows;
use super::{FitInput, FitOutput};
use crate::estimator::{
    Context, Dataset, DecisionFunction, Estimator, Fitted, InverseTransform, KNeighbors, Predict,
    PredictLogProba, Score, Transform,
};
use crate::{Error, Float, Result};

/// A fitted model of some estimator, type-erased.
pub(super) type Live = Arc<dyn Any + Send + Sync>;

/// Neighbours of each query: distances and global indices.
pub type Neighbours = (Array2<f64>, Array2<u64>);
/// Neighbours within a radius of each query: distances and global indices, per query.
pub type WithinRadius = Vec<(Vec<f64>, Vec<u64>)>;

pub(super) fn params<E: Estimator>(pairs: Map<String, Value>) -> Result<Value> {
    checked::<E::Params>(pairs)
}

/// The dataset of `x` and the rest of `input` in the features' precision `F` (targets and
/// weights are small beside the features: each is converted once), handed to `run`.
pub(super) fn with_dataset<F: Float, R>(
    x: ArrayView2<'_, F>,
    input: &FitInput<'_>,
    run: impl FnOnce(&Dataset<'_, F>) -> Result<R>,
) -> Result<R> {
    let y = input
        .y
        .as_ref()
        .map(|(y, single)| (y.to_owned_as::<F>(), *single));
    let w = match &input.sample_weight {
        Some(w) if w.dim().1 != 1 => {
            return Err(Error::Shape {
                what: "sample_weight".into(),
                expected: "one weight per row (one column)".into(),
                found: format!("{} columns", w.dim().1),
            })
        }
        Some(w) => Some(w.to_owned_as::<F>().index_axis_move(Axis(1), 0)),
        None => None,
    };
    let mut data = Dataset::new(x).maybe_sample_weight(w.as_ref().map(|w| w.view()));
    if let Some((y, single)) = &y {
        data = data.target_columns(y.view(), *single);
    }
    if let Some(classes) = input.classes {
        data = data.classes(classes);
    }
    run(&data)
}

pub(super) fn fit<E: Estimator>(
    name: &str,
    ctx: Context<'_>,
    params: &Value,
    input: &FitInput<'_>,
    local: bool,
) -> Result<FitOutput> {
    let estimator = E::from_params(parse::<E::Params>(params)?);
    let fitted = match &input.x {
        Rows::F32(x) => with_dataset(x.view(), input, |data| estimator.fit(ctx, data)),
        Rows::F64(x) => with_dataset(x.view(), input, |data| estimator.fit(ctx, data)),
    }?;
    let columns = if local {
        fitted.local_columns()
    } else {
        Vec::new()
    };
    let local = local.then(|| fitted.local_result()).flatten();
    Ok(FitOutput {
        model: Model::of(name, params.clone(), fitted)?,
        local,
        columns,
    })
}

/// The fitted model of `model`'s attributes.
pub(super) fn load<E: Estimator>(model: &Model) -> Result<Live>
where
    E::Fitted: DeserializeOwned,
{
    Ok(Arc::new(model.decode::<E::Fitted>()?))
}

/// `live` as `E`'s fitted model.
fn typed<'m, E: Estimator>(model: &Model, live: &'m Live) -> Result<&'m E::Fitted> {
    live.downcast_ref::<E::Fitted>()
        .ok_or_else(|| model.invalid("it holds a model of another estimator"))
}

/// `operation` of `x` in its own precision.
macro_rules! on_rows {
    ($x:expr, |$v:ident| $call:expr) => {
        match $x {
            Rows::F32($v) => $call,
            Rows::F64($v) => $call,
        }
    };
}

pub(super) fn predict<E: Estimator>(
    ctx: Context<'_>,
    model: &Model,
    live: &Live,
    x: Rows<'_>,
) -> Result<Array2<f64>>
where
    E::Fitted: Predict,
{
    let fitted = typed::<E>(model, live)?;
    on_rows!(x, |x| fitted.predict(ctx, x))
}

pub(super) fn transform<E: Estimator>(
    ctx: Context<'_>,
    model: &Model,
    live: &Live,
    x: Rows<'_>,
) -> Result<Array2<f64>>
where
    E::Fitted: Transform,
{
    let fitted = typed::<E>(model, live)?;
    on_rows!(x, |x| fitted.transform(ctx, x))
}

pub(super) fn inverse_transform<E: Estimator>(
    ctx: Context<'_>,
    model: &Model,
    live: &Live,
    x: Rows<'_>,
) -> Result<Array2<f64>>
where
    E::Fitted: InverseTransform,
{
    let fitted = typed::<E>(model, live)?;
    on_rows!(x, |x| fitted.inverse_transform(ctx, x))
}

pub(super) fn predict_log_proba<E: Estimator>(
    ctx: Context<'_>,
    model: &Model,
    live: &Live,
    x: Rows<'_>,
) -> Result<Array2<f64>>
where
    E::Fitted: PredictLogProba,
{
    let fitted = typed::<E>(model, live)?;
    on_rows!(x, |x| fitted.predict_log_proba(ctx, x))
}

pub(super) fn decision_function<E: Estimator>(
    ctx: Context<'_>,
    model: &Model,
    live: &Live,
    x: Rows<'_>,
) -> Result<Array2<f64>>
where
    E::Fitted: DecisionFunction,
{
    let fitted = typed::<E>(model, live)?;
    on_rows!(x, |x| fitted.decision_function(ctx, x))
}

pub(super) fn score<E: Estimator>(
    ctx: Context<'_>,
    model: &Model,
    live: &Live,
    input: &FitInput<'_>,
) -> Result<f64>
where
    E::Fitted: Score,
{
    let fitted = typed::<E>(model, live)?;
    on_rows!(&input.x, |x| with_dataset(x.view(), input, |data| fitted
        .score(ctx, data)))
}

pub(super) fn kneighbors<E: Estimator>(
    ctx: Context<'_>,
    model: &Model,
    live: &Live,
    x: Option<Rows<'_>>,
    k: Option<usize>,
) -> Result<Neighbours>
where
    E::Fitted: KNeighbors,
{
    let fitted = typed::<E>(model, live)?;
    match x {
        None => fitted.kneighbors::<f64>(ctx, None, k),
        Some(x) => on_rows!(x, |x| fitted.kneighbors(ctx, Some(x), k)),
    }
}

pub(super) fn radius_neighbors<E: Estimator>(
    ctx: Context<'_>,
    model: &Model,
    live: &Live,
    x: Option<Rows<'_>>,
    (radius, sort_results): (Option<f64>, bool),
) -> Result<WithinRadius>
where
    E::Fitted: KNeighbors,
{
    let fitted = typed::<E>(model, live)?;
    match x {
        None => fitted.radius_neighbors::<f64>(ctx, None, radius, sort_results),
        Some(x) => on_rows!(x, |x| fitted.radius_neighbors(
            ctx,
            Some(x),
            radius,
            sort_results
        )),
    }
}
