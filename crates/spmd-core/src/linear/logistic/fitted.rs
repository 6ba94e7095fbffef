use ndarray::{Array1, Array2, ArrayBase, ArrayView1, ArrayView2, Axis, Data, Ix2};
use serde::{Deserialize, Serialize};
use spmd_gpu::Queue;

use crate::backend::Backend;
use crate::classes::log_softmax_rows;
use crate::{Float, Result};

/// A fitted [`LogisticRegression`](super::LogisticRegression), the same on every rank.
/// Serialises `coef_`, `intercept_`, `classes_`, `n_iter_` and `n_features_in_` with
/// scikit-learn's shapes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "Attributes", try_from = "Attributes")]
pub struct FittedLogisticRegression {
    coef: Array2<f64>,
    intercept: Array1<f64>,
    classes: Vec<i64>,
    n_iter: usize,
}

impl FittedLogisticRegression {
    pub(super) fn new(
        coef: Array2<f64>,
        intercept: Array1<f64>,
        classes: Vec<i64>,
        n_iter: usize,
    ) -> Self {
        Self {
            coef,
            intercept,
            classes,
            n_iter,
        }
    }

    /// Coefficients (`coef_`): `1 x n_features` for two classes, `n_classes x n_features`
    /// otherwise.
    pub fn coef(&self) -> ArrayView2<'_, f64> {
        self.coef.view()
    }
    /// Intercepts (`intercept_`), one per row of `coef`.
    pub fn intercept(&self) -> ArrayView1<'_, f64> {
        self.intercept.view()
    }
    /// The class labels, sorted (`classes_`).
    pub fn classes(&self) -> &[i64] {
        &self.classes
    }
    /// Number of features seen in fit (`n_features_in_`).
    pub fn n_features_in(&self) -> usize {
        self.coef.ncols()
    }

    /// Solver iterations (`n_iter_`).
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// $X W^\top + b$ for this rank's rows: `n x 1` for two classes (the log-odds of
    /// `classes[1]`), `n x n_classes` otherwise. Local; on the GPU when a queue is given.
    pub fn decision_function<F: Float, S: Data<Elem = F>>(
        &self,
        x: &ArrayBase<S, Ix2>,
        queue: Option<&Queue>,
    ) -> Result<Array2<f64>> {
        self.scores_on(&Backend::new(0, queue)?, x.view())
    }

    /// [`predict_log_proba`](Self::predict_log_proba) on `backend` (whose rank errors name).
    pub(crate) fn log_proba_on<F: Float>(
        &self,
        backend: &Backend<'_>,
        x: ArrayView2<'_, F>,
    ) -> Result<Array2<f64>> {
        let scores = self.scores_on(backend, x)?;
        let rows = scores.nrows();
        if self.coef.nrows() == 1 {
            // log p = -log(1 + e^-z), log(1 - p) = -log(1 + e^z).
            let log_sigmoid = |z: f64| -((-z).max(0.0) + (-z.abs()).exp().ln_1p());
            return Ok(Array2::from_shape_fn((rows, 2), |(i, c)| {
                let z = scores[[i, 0]];
                if c == 1 {
                    log_sigmoid(z)
                } else {
                    log_sigmoid(-z)
                }
            }));
        }
        let mut out = scores;
        log_softmax_rows(&mut out);
        Ok(out)
    }
}

impl FittedLogisticRegression {
    /// $X W^\top + b$ for this rank's rows on `backend`.
    pub(crate) fn scores_on<F: crate::Float>(
        &self,
        backend: &crate::backend::Backend<'_>,
        x: ndarray::ArrayView2<'_, F>,
    ) -> crate::Result<ndarray::Array2<f64>> {
        crate::classes::linear_scores(backend, x, &self.coef, &self.intercept)
    }

    /// Class probabilities of this rank's rows, `n x n_classes`. Local.
    pub fn predict_proba<F: crate::Float, S: ndarray::Data<Elem = F>>(
        &self,
        x: &ndarray::ArrayBase<S, ndarray::Ix2>,
        queue: Option<&spmd_gpu::Queue>,
    ) -> crate::Result<ndarray::Array2<f64>> {
        Ok(self.predict_log_proba(x, queue)?.mapv(f64::exp))
    }

    /// Logarithms of [`predict_proba`](Self::predict_proba), computed without
    /// overflow. Local.
    pub fn predict_log_proba<F: crate::Float, S: ndarray::Data<Elem = F>>(
        &self,
        x: &ndarray::ArrayBase<S, ndarray::Ix2>,
        queue: Option<&spmd_gpu::Queue>,
    ) -> crate::Result<ndarray::Array2<f64>> {
        self.log_proba_on(&crate::backend::Backend::new(0, queue)?, x.view())
    }

    /// The most probable class of each of this rank's rows (ties to the lower
    /// label). Local.
    pub fn predict<F: crate::Float, S: ndarray::Data<Elem = F>>(
        &self,
        x: &ndarray::ArrayBase<S, ndarray::Ix2>,
        queue: Option<&spmd_gpu::Queue>,
    ) -> crate::Result<ndarray::Array1<i64>> {
        self.predict_on(&crate::backend::Backend::new(0, queue)?, x.view())
    }

    /// [`predict`](Self::predict) on `backend` (whose rank errors name).
    pub(crate) fn predict_on<F: crate::Float>(
        &self,
        backend: &crate::backend::Backend<'_>,
        x: ndarray::ArrayView2<'_, F>,
    ) -> crate::Result<ndarray::Array1<i64>> {
        let scores = self.scores_on(backend, x)?;
        Ok(crate::classes::best_classes(&scores, &self.classes))
    }

    /// Accuracy on all ranks' rows `x` with labels `y` (scikit-learn's `score`). Every
    /// rank calls it and gets the same value.
    pub fn score<F, L, S, T>(
        &self,
        comm: &spmd_comm::Comm,
        x: &ndarray::ArrayBase<S, ndarray::Ix2>,
        y: &ndarray::ArrayBase<T, ndarray::Ix1>,
        queue: Option<&spmd_gpu::Queue>,
    ) -> crate::Result<f64>
    where
        F: crate::Float,
        L: crate::classes::ClassLabel,
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
        queue: Option<&spmd_gpu::Queue>,
    ) -> crate::Result<f64>
    where
        F: crate::Float,
        L: crate::classes::ClassLabel,
        S: ndarray::Data<Elem = F>,
        T: ndarray::Data<Elem = L>,
    {
        crate::estimator::accuracy(self, comm, x.view(), y, sample_weight, queue)
    }
}

#[derive(Serialize, Deserialize)]
struct Attributes {
    coef_: Vec<Vec<f64>>,
    intercept_: Vec<f64>,
    classes_: Vec<i64>,
    n_iter_: Vec<usize>,
    n_features_in_: usize,
}

impl From<FittedLogisticRegression> for Attributes {
    fn from(m: FittedLogisticRegression) -> Self {
        Self {
            n_features_in_: m.coef.ncols(),
            coef_: m.coef.outer_iter().map(|r| r.to_vec()).collect(),
            intercept_: m.intercept.to_vec(),
            classes_: m.classes,
            n_iter_: vec![m.n_iter],
        }
    }
}

impl TryFrom<Attributes> for FittedLogisticRegression {
    type Error = String;
    fn try_from(a: Attributes) -> std::result::Result<Self, String> {
        let (k, d) = (a.coef_.len(), a.n_features_in_);
        let outputs = if a.classes_.len() == 2 {
            1
        } else {
            a.classes_.len()
        };
        if a.classes_.len() < 2
            || k != outputs
            || a.intercept_.len() != k
            || a.coef_.iter().any(|r| r.len() != d)
        {
            return Err(format!(
                "coef_ must hold {outputs} rows of {d} values and intercept_ {outputs} values for \
                 {} classes",
                a.classes_.len()
            ));
        }
        let mut coef = Array2::zeros((k, d));
        for (mut row, values) in coef.axis_iter_mut(Axis(0)).zip(&a.coef_) {
            row.assign(&ArrayView1::from(values));
        }
        Ok(Self {
            coef,
            intercept: Array1::from(a.intercept_),
            classes: a.classes_,
            n_iter: a.n_iter_.first().copied().unwrap_or(0),
        })
    }
}
