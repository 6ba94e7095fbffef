//! Fitting batch by batch through the registry: a [`PartialFit`] behind a name.

use serde_json::Value;

use super::erased::with_dataset;
use super::model::Model;
use super::params::parse;
use super::rows::Rows;
use super::{Entry, FitInput};
use crate::estimator::{Context, PartialFit};
use crate::Result;

/// The running state of a [`PartialFit`], type-erased.
pub(super) trait Batches: Send + Sync {
    fn add(&mut self, ctx: Context<'_>, input: &FitInput<'_>) -> Result<()>;
    fn model(&self, ctx: Context<'_>, name: &str, params: &Value) -> Result<Model>;
}

struct Typed<P>(P);

impl<P: PartialFit + Send + Sync> Batches for Typed<P> {
    fn add(&mut self, ctx: Context<'_>, input: &FitInput<'_>) -> Result<()> {
        let state = &mut self.0;
        match &input.x {
            Rows::F32(x) => with_dataset(x.view(), input, |data| state.partial_fit(ctx, data)),
            Rows::F64(x) => with_dataset(x.view(), input, |data| state.partial_fit(ctx, data)),
        }
    }

    fn model(&self, ctx: Context<'_>, name: &str, params: &Value) -> Result<Model> {
        Model::of(name, params.clone(), self.0.finalize(ctx)?)
    }
}

/// No batches yet of `P` with checked `params`.
pub(super) fn begin<P: PartialFit + Send + Sync + 'static>(
    params: &Value,
) -> Result<Box<dyn Batches>> {
    Ok(Box::new(Typed(P::from_params(parse::<P::Params>(params)?))))
}

/// An estimator being fitted batch by batch: [`partial_fit`](Self::partial_fit) adds this
/// rank's batches (local; a failure is also remembered and fails `finalize` on every rank),
/// [`finalize`](Self::finalize) gives the model of every batch of every rank (collective).
///
/// ```
/// use ndarray::array;
/// use spmd_core::estimator::Context;
/// use spmd_core::registry::{self, FitInput, Rows};
/// use spmd_core::Comm;
///
/// let comm = Comm::single();
/// let ctx = Context::cpu(&comm);
/// let entry = registry::find("incremental-basic-statistics")?;
/// let mut fitting = entry.begin(&entry.params(Default::default())?)?;
/// for batch in [array![[1.0_f64], [2.0]], array![[6.0]]] {
///     fitting.partial_fit(ctx, &FitInput::new(Rows::F64(batch.view())))?;
/// }
/// let model = fitting.finalize(ctx)?;
/// assert_eq!(model.attributes["mean_"], serde_json::json!([3.0]));
/// # Ok::<(), spmd_core::Error>(())
/// ```
pub struct Incremental {
    entry: &'static Entry,
    params: Value,
    state: Box<dyn Batches>,
    batches: usize,
}

impl Incremental {
    pub(super) fn new(entry: &'static Entry, params: Value, state: Box<dyn Batches>) -> Self {
        Self {
            entry,
            params,
            state,
            batches: 0,
        }
    }

    /// Adds a batch of this rank's rows (with targets, weights and, for a classifier, every
    /// class of the whole fit, as `input` has them). Local.
    pub fn partial_fit(&mut self, ctx: Context<'_>, input: &FitInput<'_>) -> Result<()> {
        self.state.add(ctx, input)?;
        self.batches += 1;
        Ok(())
    }

    /// Batches added on this rank so far.
    pub fn batches(&self) -> usize {
        self.batches
    }

    /// The model of every batch of every rank. Collective.
    pub fn finalize(&self, ctx: Context<'_>) -> Result<Model> {
        self.state.model(ctx, self.entry.name(), &self.params)
    }
}
