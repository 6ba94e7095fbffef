//! Estimators fitted batch by batch: `partial_fit` is local, `finalize` collective.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use serde_json::Value;
use spmd_cli::data::Rows;
use spmd_cli::ModelFile;
use spmd_core::decomposition::{IncrementalPca, IncrementalPcaParams};
use spmd_core::linear::{IncrementalLinearRegression, LinearRegressionParams};
use spmd_core::naive_bayes::{MultinomialNb, MultinomialNbParams};

use crate::arrays::{extract_optional, Input};
use crate::communicator::Communicator;
use crate::errors::{cli_error, core_error};
use crate::estimators::{json_error, Model};
use crate::queue::Queue;

enum Kind {
    Linear(IncrementalLinearRegression),
    Pca(IncrementalPca),
    NaiveBayes(MultinomialNb),
}

/// The running state of `IncrementalLinearRegression` (`"linear-regression"`),
/// `IncrementalPCA` (`"incremental-pca"`) or `MultinomialNB.partial_fit` (`"multinomial-nb"`):
/// `Incremental(name, params, comm)` with params as JSON. `comm` only names this rank in
/// messages; `finalize` is given the ranks that fit together, so that `partial_fit` stays free
/// of communication.
#[pyclass(module = "spmd_learn._native")]
pub(crate) struct Incremental {
    kind: Kind,
    /// The registry name of the finalized model and its checked parameters.
    name: &'static str,
    params: Value,
    batches: usize,
}

#[pymethods]
impl Incremental {
    #[new]
    fn new(name: &str, params: &str, comm: &Communicator) -> PyResult<Self> {
        let params: Value = serde_json::from_str(params).map_err(json_error)?;
        let comm = comm.comm.clone();
        let (kind, name) = match name {
            "linear-regression" => {
                let p: LinearRegressionParams =
                    serde_json::from_value(params.clone()).map_err(json_error)?;
                let estimator = IncrementalLinearRegression::with_params(p).comm(comm);
                (Kind::Linear(estimator), "linear-regression")
            }
            "incremental-pca" => {
                let p: IncrementalPcaParams =
                    serde_json::from_value(params.clone()).map_err(json_error)?;
                (
                    Kind::Pca(IncrementalPca::with_params(p).comm(comm)),
                    "incremental-pca",
                )
            }
            "multinomial-nb" => {
                let p: MultinomialNbParams =
                    serde_json::from_value(params.clone()).map_err(json_error)?;
                (
                    Kind::NaiveBayes(MultinomialNb::with_params(p).comm(comm)),
                    "multinomial-nb",
                )
            }
            other => {
                return Err(PyValueError::new_err(format!(
                    "`{other}` has no partial_fit"
                )))
            }
        };
        Ok(Self {
            kind,
            name,
            params,
            batches: 0,
        })
    }

    /// Adds a batch of this rank's rows (local). An error is raised here and also remembered:
    /// `finalize` then fails on every rank. `classes` and `sample_weight` (one column) are
    /// MultinomialNB's.
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
        let weights = w.as_ref().map(|w| w.rows().to_owned_as::<f64>());
        let queue = queue.map(|q| q.queue.as_ref());
        let (rows, targets) = (x.rows(), y.as_ref().map(Input::rows));
        let targets_f64 = || {
            let y = targets.as_ref().map(Rows::to_owned_as::<f64>);
            y.ok_or_else(|| spmd_core::Error::Input("partial_fit needs y".into()))
        };
        let kind = &mut self.kind;
        py.detach(|| match (kind, rows) {
            (Kind::Linear(e), rows) => {
                let y = targets_f64()?;
                match (rows, y_is_1d) {
                    (Rows::F64(x), false) => e.partial_fit(&x, &y, queue),
                    (Rows::F64(x), true) => e.partial_fit(&x, &y.column(0), queue),
                    (Rows::F32(x), false) => e.partial_fit(&x, &y.mapv(|v| v as f32), queue),
                    (Rows::F32(x), true) => {
                        e.partial_fit(&x, &y.column(0).mapv(|v| v as f32), queue)
                    }
                }
            }
            (Kind::Pca(e), Rows::F64(x)) => e.partial_fit(&x, queue),
            (Kind::Pca(e), Rows::F32(x)) => e.partial_fit(&x, queue),
            (Kind::NaiveBayes(e), rows) => {
                let y = targets_f64()?;
                let (y, classes) = (y.column(0), classes.as_deref());
                let w = weights.as_ref().map(|w| w.column(0));
                match rows {
                    Rows::F64(x) => e.partial_fit(&x, &y, classes, w, queue),
                    Rows::F32(x) => e.partial_fit(&x, &y, classes, w, queue),
                }
            }
        })
        .map_err(core_error)?;
        self.batches += 1;
        Ok(())
    }

    /// Batches added on this rank so far.
    #[getter]
    fn batches(&self) -> usize {
        self.batches
    }

    /// The model of every batch of every rank of `comm` (collective over it).
    fn finalize(&self, py: Python<'_>, comm: &Communicator) -> PyResult<Model> {
        let comm = comm.comm.clone();
        let fitted = py
            .detach(|| match &self.kind {
                Kind::Linear(e) => e
                    .clone()
                    .comm(comm)
                    .finalize::<f64>()
                    .map(|m| serde_json::to_value(&m).map_err(|e| e.to_string())),
                Kind::Pca(e) => e
                    .clone()
                    .comm(comm)
                    .finalize()
                    .map(|m| serde_json::to_value(&m).map_err(|e| e.to_string())),
                Kind::NaiveBayes(e) => e
                    .clone()
                    .comm(comm)
                    .finalize()
                    .map(|m| serde_json::to_value(&m).map_err(|e| e.to_string())),
            })
            .map_err(core_error)?
            .map_err(PyValueError::new_err)?;
        let model = ModelFile::new(self.name, self.params.clone(), fitted).map_err(cli_error)?;
        Model::new(model)
    }
}
