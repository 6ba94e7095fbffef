//! Estimators fitted batch by batch through the registry: `partial_fit` is local, `finalize`
//! collective.

use pyo3::prelude::*;
use serde_json::Value;
use spmd_comm::Comm;
use spmd_core::estimator::Context;
use spmd_core::registry;

use crate::arrays::{extract_optional, Input};
use crate::communicator::Communicator;
use crate::errors::core_error;
use crate::estimators::{fit_input, json_error, Model};
use crate::queue::Queue;

/// The running state of any estimator of the registry that fits batch by batch
/// (`IncrementalLinearRegression` as `"linear-regression"`, `"incremental-pca"`,
/// `MultinomialNB.partial_fit` as `"multinomial-nb"`, the scalers, the incremental statistics
/// and covariance): `Incremental(name, params, comm)` with params as JSON. `comm` only names
/// this rank in messages; `finalize` is given the ranks that fit together, so that
/// `partial_fit` stays free of communication.
#[pyclass(module = "spmd_learn._native")]
pub(crate) struct Incremental {
    fitting: registry::Incremental,
    comm: Comm,
}

#[pymethods]
impl Incremental {
    #[new]
    fn new(name: &str, params: &str, comm: &Communicator) -> PyResult<Self> {
        let params: Value = serde_json::from_str(params).map_err(json_error)?;
        let entry = registry::find(name).map_err(core_error)?;
        let fitting = entry.begin(&params).map_err(core_error)?;
        Ok(Self {
            fitting,
            comm: comm.comm.clone(),
        })
    }

    /// Adds a batch of this rank's rows (local). An error is raised here and also remembered:
    /// `finalize` then fails on every rank. `classes` is a classifier's (every class of the
    /// whole fit, on the first batch).
    #[pyo3(signature = (x, y=None, y_is_1d=false, queue=None, classes=None, sample_weight=None))]
    #[allow(clippy::too_many_arguments)]
    fn partial_fit<'py>(
        &mut self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
        y: Option<&Bound<'py, PyAny>>,
        y_is_1d: bool,
        queue: Option<&Queue>,
        classes: Option<Vec<i64>>,
        sample_weight: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<()> {
        let x = Input::extract(x, "X")?;
        let y = extract_optional(y, "y")?;
        let w = extract_optional(sample_weight, "sample_weight")?;
        let input = fit_input(&x, y.as_ref(), y_is_1d, w.as_ref(), classes.as_deref());
        let ctx = Context::new(&self.comm, queue.map(|q| q.queue.as_ref()));
        let fitting = &mut self.fitting;
        py.detach(|| fitting.partial_fit(ctx, &input))
            .map_err(core_error)
    }

    /// Batches added on this rank so far.
    #[getter]
    fn batches(&self) -> usize {
        self.fitting.batches()
    }

    /// The model of every batch of every rank of `comm` (collective over it).
    fn finalize(&self, py: Python<'_>, comm: &Communicator) -> PyResult<Model> {
        let ctx = Context::cpu(&comm.comm);
        let model = py
            .detach(|| self.fitting.finalize(ctx))
            .map_err(core_error)?;
        Model::new(model)
    }
}
