//! The neighbour searches: `fit` keeps this rank's training rows; every search is collective
//! (the training rows travel around the ring of ranks), unlike the other models' `apply`.

use ndarray::ArrayView2;
use numpy::{PyArray1, PyArray2, ToPyArray};
use pyo3::prelude::*;
use spmd_cli::data::Rows;
use spmd_cli::neighbors::{fit_rows, Fitted};
use spmd_core::neighbors::NeighborsParams;

use crate::arrays::{extract_optional, to_numpy, Input};
use crate::communicator::Communicator;
use crate::errors::{cli_error, core_error};
use crate::estimators::json_error;
use crate::queue::Queue;

/// Distances and global indices of each query's neighbours, one row per query.
type Found<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray2<i64>>);
/// Distances and global indices of one query's neighbours within a radius.
type Within<'py> = (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<i64>>);

/// A fitted `NearestNeighbors`, `KNeighborsClassifier` or `KNeighborsRegressor`: this rank's
/// training rows and targets, and the ranks that searched together.
#[pyclass(frozen, module = "spmd_learn._native")]
pub(crate) struct Neighbors {
    fitted: Fitted,
}

/// Query rows, or `None` for the training rows themselves.
fn queries<'a>(x: &'a Option<Input<'_>>) -> Option<Rows<'a>> {
    x.as_ref().map(Input::rows)
}

/// Runs `search` on f64 query rows (`None`: the training rows); f32 rows are searched as
/// themselves, widened exactly.
fn with_queries<T>(
    x: Option<Rows<'_>>,
    search: impl FnOnce(Option<ArrayView2<'_, f64>>) -> spmd_core::Result<T>,
    search_f32: impl FnOnce(ArrayView2<'_, f32>) -> spmd_core::Result<T>,
) -> spmd_core::Result<T> {
    match x {
        None => search(None),
        Some(Rows::F64(x)) => search(Some(x)),
        Some(Rows::F32(x)) => search_f32(x),
    }
}

/// Keeps this rank's rows for the estimator `kind` (`nearest-neighbors`, `knn-classifier`,
/// `knn-regressor`) with checked `params` (JSON); collective over `comm`: the ranks agree on
/// the width and, for the classifier, the classes. `y` is 2-D; `y_is_1d` says whether the
/// caller passed a vector.
#[pyfunction]
#[pyo3(signature = (kind, params, x, comm, y=None, y_is_1d=false))]
pub(crate) fn fit_neighbors<'py>(
    py: Python<'py>,
    kind: &str,
    params: &str,
    x: &Bound<'py, PyAny>,
    comm: &Communicator,
    y: Option<&Bound<'py, PyAny>>,
    y_is_1d: bool,
) -> PyResult<Neighbors> {
    let params: NeighborsParams = serde_json::from_str(params).map_err(json_error)?;
    let x = Input::extract(x, "X")?;
    let y = extract_optional(y, "y")?;
    let targets = y.as_ref().map(|y| y.rows().to_owned_as::<f64>());
    let (rows, comm) = (x.rows(), &comm.comm);
    let fitted = py
        .detach(|| {
            fit_rows(
                kind,
                comm,
                &params,
                rows,
                targets.as_ref().map(|y| (y, y_is_1d)),
            )
        })
        .map_err(cli_error)?;
    Ok(Neighbors { fitted })
}

#[pymethods]
impl Neighbors {
    /// Training rows over all ranks.
    #[getter]
    fn n_samples_fit(&self) -> u64 {
        self.fitted.search().n_samples_fit()
    }

    /// The classes over all ranks, sorted (the classifier's; empty otherwise).
    #[getter]
    fn classes(&self) -> Vec<i64> {
        match &self.fitted {
            Fitted::Classifier(c) => c.classes().to_vec(),
            _ => Vec::new(),
        }
    }

    /// Distances and global indices (`n x k`, nearest first, ties to the lower index) of the
    /// `k` nearest training rows of each row of `x` (`None`: of each of this rank's training
    /// rows, itself left out). Collective.
    #[pyo3(signature = (x=None, k=None, queue=None))]
    fn kneighbors<'py>(
        &self,
        py: Python<'py>,
        x: Option<&Bound<'py, PyAny>>,
        k: Option<usize>,
        queue: Option<&Queue>,
    ) -> PyResult<Found<'py>> {
        let x = extract_optional(x, "X")?;
        let queue = queue.map(|q| q.queue.as_ref());
        let (search, rows) = (self.fitted.search(), queries(&x));
        let (distances, indices) = py
            .detach(|| {
                with_queries(
                    rows,
                    |x| search.kneighbors(x, k, queue),
                    |x| search.kneighbors(Some(x), k, queue),
                )
            })
            .map_err(core_error)?;
        Ok((
            to_numpy(py, &distances),
            indices.mapv(|i| i as i64).to_pyarray(py),
        ))
    }

    /// Distances and global indices of the training rows within `radius` of each row of `x`
    /// (`None`: of each training row, itself left out), per row. Collective.
    #[pyo3(signature = (x=None, radius=None, sort_results=false))]
    fn radius_neighbors<'py>(
        &self,
        py: Python<'py>,
        x: Option<&Bound<'py, PyAny>>,
        radius: Option<f64>,
        sort_results: bool,
    ) -> PyResult<Vec<Within<'py>>> {
        let x = extract_optional(x, "X")?;
        let (search, rows) = (self.fitted.search(), queries(&x));
        let found = py
            .detach(|| {
                with_queries(
                    rows,
                    |x| search.radius_neighbors(x, radius, sort_results),
                    |x| search.radius_neighbors(Some(x), radius, sort_results),
                )
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

    /// The classifier's class probabilities (`n x classes`) or the regressor's predictions
    /// (`n x targets`) for this rank's rows. Collective.
    #[pyo3(signature = (x, queue=None))]
    fn predict_values<'py>(
        &self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
        queue: Option<&Queue>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let x = Input::extract(x, "X")?;
        let queue = queue.map(|q| q.queue.as_ref());
        let rows = x.rows();
        let values = py
            .detach(|| match (&self.fitted, rows) {
                (Fitted::Classifier(c), Rows::F64(x)) => c.predict_proba(x, queue),
                (Fitted::Classifier(c), Rows::F32(x)) => c.predict_proba(x, queue),
                (Fitted::Regressor(r), Rows::F64(x)) => r.predict(x, queue),
                (Fitted::Regressor(r), Rows::F32(x)) => r.predict(x, queue),
                (Fitted::Search(_), _) => Err(spmd_core::Error::Input(
                    "NearestNeighbors has no predict".into(),
                )),
            })
            .map_err(core_error)?;
        Ok(to_numpy(py, &values))
    }
}
