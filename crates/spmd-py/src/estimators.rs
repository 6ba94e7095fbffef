//! Fitting and applying any estimator of the registry the command line uses.

use numpy::PyArray2;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use serde_json::{Map, Value};
use spmd_cli::{Entry, FitInput, ModelFile, Operation, Sources, ESTIMATORS};
use spmd_core::estimator::Context;

use crate::arrays::{extract_optional, to_numpy, Input};
use crate::communicator::Communicator;
use crate::errors::cli_error;
use crate::queue::Queue;

fn entry(name: &str) -> PyResult<&'static Entry> {
    ESTIMATORS
        .iter()
        .find(|e| e.name() == name)
        .ok_or_else(|| PyValueError::new_err(format!("unknown estimator `{name}`")))
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
    let checked = entry(name)?.params(pairs).map_err(cli_error)?;
    Ok(checked.to_string())
}

/// Fits the estimator `name` with checked `params` (JSON) on this rank's rows. Collective over
/// `comm`. `y` is 2-D, `y_is_1d` says whether the caller passed one column as a vector;
/// `sample_weight` is one column. Returns the model and, when `local` is set and the estimator
/// has one, this rank's per-row result (KMeans' and DBSCAN's labels).
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
) -> PyResult<(Model, Option<Bound<'py, PyArray2<f64>>>)> {
    let entry = entry(name)?;
    let params: Value = serde_json::from_str(params).map_err(json_error)?;
    let x = Input::extract(x, "X")?;
    let y = extract_optional(y, "y")?;
    let w = extract_optional(sample_weight, "sample_weight")?;
    let input = FitInput {
        x: x.rows(),
        y: y.as_ref().map(|y| (y.rows(), y_is_1d)),
        sample_weight: w.as_ref().map(Input::rows),
        sources: Sources {
            x: "<numpy array>".into(),
            ..Sources::default()
        },
    };
    let queue = queue.map(|q| q.queue.as_ref());
    let output = py
        .detach(|| entry.fit(Context::new(&comm.comm, queue), &params, &input, local))
        .map_err(cli_error)?;
    let local = output.local.as_ref().map(|l| to_numpy(py, l));
    Ok((
        Model {
            entry,
            model: output.model,
        },
        local,
    ))
}

/// A fitted model: the JSON model file of the command line, and its estimator.
#[pyclass(frozen, module = "spmd_learn._native")]
pub(crate) struct Model {
    entry: &'static Entry,
    model: ModelFile,
}

impl Model {
    /// The model of a model file.
    pub(crate) fn new(model: ModelFile) -> PyResult<Self> {
        Ok(Self {
            entry: entry(&model.estimator)?,
            model,
        })
    }
}

#[pymethods]
impl Model {
    /// A model from the JSON of [`to_json`](Self::to_json) (or a command-line model file).
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        let model: ModelFile = serde_json::from_str(text).map_err(json_error)?;
        Ok(Self {
            entry: entry(&model.estimator)?,
            model,
        })
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

    /// `operation` (`predict`, `transform` or `inverse_transform`) of this rank's rows of `x`.
    /// Local: `comm` only names this rank in messages.
    #[pyo3(signature = (operation, x, comm, queue=None))]
    fn apply<'py>(
        &self,
        py: Python<'py>,
        operation: &str,
        x: &Bound<'py, PyAny>,
        comm: &Communicator,
        queue: Option<&Queue>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let operation = match operation {
            "predict" => Operation::Predict,
            "transform" => Operation::Transform,
            "inverse_transform" => Operation::InverseTransform,
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown operation `{other}`"
                )))
            }
        };
        let x = Input::extract(x, "X")?;
        let rows = x.rows();
        let queue = queue.map(|q| q.queue.as_ref());
        let result = py
            .detach(|| {
                self.entry.apply(
                    operation,
                    Context::new(&comm.comm, queue),
                    &self.model,
                    rows,
                )
            })
            .map_err(cli_error)?;
        Ok(to_numpy(py, &result))
    }
}
