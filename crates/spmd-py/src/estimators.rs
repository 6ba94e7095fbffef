//! Fitting and applying any estimator of the [registry](spmd_core::registry).

use numpy::{PyArray1, PyArray2, ToPyArray};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::{Map, Value};
use spmd_core::estimator::Context;
use spmd_core::registry::{self, Entry, FitInput, Operation, ESTIMATORS};

use crate::arrays::{extract_optional, to_numpy, Input};
use crate::communicator::Communicator;
use crate::errors::core_error;
use crate::queue::Queue;

/// Distances and global indices of each query's neighbours, one row per query.
type Found<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray2<i64>>);
/// Distances and global indices of one query's neighbours within a radius.
type Within<'py> = (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<i64>>);

fn entry(name: &str) -> PyResult<&'static Entry> {
    registry::find(name).map_err(core_error)
}

/// A JSON error (parameters, models) as a `ValueError`.
pub(crate) fn json_error(e: serde_json::Error) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// The registry's names (`linear-regression`, ...).
#[pyfunction]
pub(crate) fn estimator_names() -> Vec<&'static str> {
    ESTIMATORS.iter().map(Entry::name).collect()
}

/// `params` (a JSON object) checked by the estimator `name`, with its defaults filled in, as
/// JSON. Local.
#[pyfunction]
pub(crate) fn check_params(name: &str, params: &str) -> PyResult<String> {
    let pairs: Map<String, Value> = serde_json::from_str(params).map_err(json_error)?;
    let checked = entry(name)?.params(pairs).map_err(core_error)?;
    Ok(checked.to_string())
}

/// This rank's rows of a fit, a score or a batch: `y` 2-D with whether the caller passed one
/// column as a vector, `sample_weight` one column, `classes` every class of a batch-by-batch
/// fit.
pub(crate) fn fit_input<'a>(
    x: &'a Input<'_>,
    y: Option<&'a Input<'_>>,
    y_is_1d: bool,
    sample_weight: Option<&'a Input<'_>>,
    classes: Option<&'a [i64]>,
) -> FitInput<'a> {
    FitInput {
        y: y.map(|y| (y.rows(), y_is_1d)),
        sample_weight: sample_weight.map(Input::rows),
        classes,
        ..FitInput::new(x.rows())
    }
}

/// Fits the estimator `name` with checked `params` (JSON) on this rank's rows. Collective over
/// `comm`. `y` is 2-D, `y_is_1d` says whether the caller passed one column as a vector;
/// `sample_weight` is one column. Returns the model and, when `local` is set and the estimator
/// has them, this rank's per-row result (KMeans' and DBSCAN's labels) and its other per-row
/// results by attribute name (HDBSCAN's `probabilities_`).
#[pyfunction]
#[pyo3(signature = (name, params, x, comm, y=None, y_is_1d=false, sample_weight=None, queue=None, local=false))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn fit<'py>(
    py: Python<'py>,
    name: &str,
    params: &str,
    x: &Bound<'py, PyAny>,
    comm: &Communicator,
    y: Option<&Bound<'py, PyAny>>,
    y_is_1d: bool,
    sample_weight: Option<&Bound<'py, PyAny>>,
    queue: Option<&Queue>,
    local: bool,
) -> PyResult<FitResult<'py>> {
    let entry = entry(name)?;
    let params: Value = serde_json::from_str(params).map_err(json_error)?;
    let x = Input::extract(x, "X")?;
    let y = extract_optional(y, "y")?;
    let w = extract_optional(sample_weight, "sample_weight")?;
    let input = fit_input(&x, y.as_ref(), y_is_1d, w.as_ref(), None);
    let queue = queue.map(|q| q.queue.as_ref());
    let output = py
        .detach(|| entry.fit(Context::new(&comm.comm, queue), &params, &input, local))
        .map_err(core_error)?;
    let local = output.local.as_ref().map(|l| to_numpy(py, l));
    let columns = PyDict::new(py);
    for (name, values) in &output.columns {
        columns.set_item(name, values.to_pyarray(py))?;
    }
    Ok((
        Model {
            entry,
            model: output.model,
        },
        local,
        columns,
    ))
}

/// What [`fit`] returns: the model, the per-row result, the other per-row results by name.
type FitResult<'py> = (Model, Option<Bound<'py, PyArray2<f64>>>, Bound<'py, PyDict>);

/// A fitted model: the JSON model file of the command line, its estimator, and the fitted model
/// itself.
#[pyclass(frozen, module = "spmd_learn._native")]
pub(crate) struct Model {
    entry: &'static Entry,
    model: registry::Model,
}

impl Model {
    /// A registry model, ready for use.
    pub(crate) fn new(model: registry::Model) -> PyResult<Self> {
        let entry = entry(&model.estimator)?;
        // Read back once here rather than at every call (a model that keeps its training rows
        // is only ever used live).
        let model = if entry.keeps_rows() {
            model
        } else {
            entry.load(model).map_err(core_error)?
        };
        Ok(Self { entry, model })
    }
}

/// `operation` as the registry's.
fn operation(name: &str) -> PyResult<Operation> {
    match name {
        "predict" => Ok(Operation::Predict),
        "transform" => Ok(Operation::Transform),
        "inverse_transform" => Ok(Operation::InverseTransform),
        "predict_log_proba" => Ok(Operation::PredictLogProba),
        "decision_function" => Ok(Operation::DecisionFunction),
        other => Err(PyValueError::new_err(format!(
            "unknown operation `{other}`"
        ))),
    }
}

#[pymethods]
impl Model {
    /// A model from the JSON of [`to_json`](Self::to_json) (or a command-line model file).
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        Self::new(serde_json::from_str(text).map_err(json_error)?)
    }

    /// The model as the command line's JSON model file.
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.model).map_err(json_error)
    }

    /// The fitted attributes (`coef_`, ...) as a JSON object.
    fn attributes_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.model.attributes).map_err(json_error)
    }

    /// One fitted attribute as JSON, or `None` when the model has no attribute `name`.
    fn attribute(&self, name: &str) -> PyResult<Option<String>> {
        self.model
            .attributes
            .get(name)
            .map(serde_json::to_string)
            .transpose()
            .map_err(json_error)
    }

    /// The names of the fitted attributes.
    fn attribute_names(&self) -> Vec<String> {
        self.model.attributes.keys().cloned().collect()
    }

    /// The estimator's registry name.
    #[getter]
    fn estimator(&self) -> &'static str {
        self.entry.name()
    }

    /// `operation` (`predict`, `transform`, `inverse_transform`, `predict_log_proba` or
    /// `decision_function`) of this rank's rows of `x`.
    /// Local (`comm` only names this rank in messages), but collective for the neighbour
    /// searches.
    #[pyo3(signature = (operation, x, comm, queue=None))]
    fn apply<'py>(
        &self,
        py: Python<'py>,
        operation: &str,
        x: &Bound<'py, PyAny>,
        comm: &Communicator,
        queue: Option<&Queue>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let operation = self::operation(operation)?;
        let x = Input::extract(x, "X")?;
        let rows = x.rows();
        let queue = queue.map(|q| q.queue.as_ref());
        let ctx = Context::new(&comm.comm, queue);
        let result = py
            .detach(|| self.entry.apply(operation, ctx, &self.model, rows))
            .map_err(core_error)?;
        Ok(to_numpy(py, &result))
    }

    /// scikit-learn's `score` of every rank's rows (`y` 2-D with whether it was a vector,
    /// `sample_weight` one column): $R^2$, accuracy or minus the inertia. Collective over
    /// `comm`.
    #[pyo3(signature = (x, comm, y=None, y_is_1d=false, sample_weight=None, queue=None))]
    #[allow(clippy::too_many_arguments)]
    fn score<'py>(
        &self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
        comm: &Communicator,
        y: Option<&Bound<'py, PyAny>>,
        y_is_1d: bool,
        sample_weight: Option<&Bound<'py, PyAny>>,
        queue: Option<&Queue>,
    ) -> PyResult<f64> {
        let x = Input::extract(x, "X")?;
        let y = extract_optional(y, "y")?;
        let w = extract_optional(sample_weight, "sample_weight")?;
        let input = fit_input(&x, y.as_ref(), y_is_1d, w.as_ref(), None);
        let ctx = Context::new(&comm.comm, queue.map(|q| q.queue.as_ref()));
        py.detach(|| self.entry.score(ctx, &self.model, &input))
            .map_err(core_error)
    }

    /// Distances and global indices (`n x k`, nearest first, ties to the lower index) of the
    /// `k` nearest training rows of each row of `x` (`None`: of each of this rank's training
    /// rows, itself left out). Collective.
    #[pyo3(signature = (x, k, comm, queue=None))]
    fn kneighbors<'py>(
        &self,
        py: Python<'py>,
        x: Option<&Bound<'py, PyAny>>,
        k: Option<usize>,
        comm: &Communicator,
        queue: Option<&Queue>,
    ) -> PyResult<Found<'py>> {
        let x = extract_optional(x, "X")?;
        let rows = x.as_ref().map(Input::rows);
        let ctx = Context::new(&comm.comm, queue.map(|q| q.queue.as_ref()));
        let (distances, indices) = py
            .detach(|| self.entry.kneighbors(ctx, &self.model, rows, k))
            .map_err(core_error)?;
        Ok((
            to_numpy(py, &distances),
            indices.mapv(|i| i as i64).to_pyarray(py),
        ))
    }

    /// Distances and global indices of the training rows within `radius` of each row of `x`
    /// (`None`: of each training row, itself left out), per row. Collective.
    #[pyo3(signature = (x, radius, sort_results, comm))]
    fn radius_neighbors<'py>(
        &self,
        py: Python<'py>,
        x: Option<&Bound<'py, PyAny>>,
        radius: Option<f64>,
        sort_results: bool,
        comm: &Communicator,
    ) -> PyResult<Vec<Within<'py>>> {
        let x = extract_optional(x, "X")?;
        let rows = x.as_ref().map(Input::rows);
        let ctx = Context::cpu(&comm.comm);
        let found = py
            .detach(|| {
                self.entry
                    .radius_neighbors(ctx, &self.model, rows, radius, sort_results)
            })
            .map_err(core_error)?;
        Ok(found
            .into_iter()
            .map(|(distances, indices)| {
                let indices: Vec<i64> = indices.into_iter().map(|i| i as i64).collect();
                (distances.to_pyarray(py), indices.to_pyarray(py))
            })
            .collect())
    }
}
