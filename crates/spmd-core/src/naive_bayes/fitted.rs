use ndarray::{Array1, Array2, ArrayBase, ArrayView1, ArrayView2, Data, Ix2};
use serde::{Deserialize, Serialize};
use spmd_gpu::Queue;

use super::counts::Counts;
use super::MultinomialNbParams;
use crate::backend::Backend;
use crate::classes::log_softmax_rows;
use crate::{Error, Float, Result};

/// A fitted [`MultinomialNb`](super::MultinomialNb), the same on every rank. Serialises
/// `classes_`, `class_count_`, `feature_count_`, `class_log_prior_`, `feature_log_prob_` and
/// `n_features_in_`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "Attributes", try_from = "Attributes")]
pub struct FittedMultinomialNb {
    classes: Vec<i64>,
    class_count: Array1<f64>,
    feature_count: Array2<f64>,
    class_log_prior: Array1<f64>,
    feature_log_prob: Array2<f64>,
}

impl FittedMultinomialNb {
    pub(super) fn from_counts(
        params: &MultinomialNbParams,
        classes: Vec<i64>,
        counts: Counts,
    ) -> Result<Self> {
        let k = classes.len();
        let d = counts.feature_count.ncols();
        let alpha = params.effective_alpha();
        let mut feature_log_prob = counts.feature_count.mapv(|c| c + alpha);
        for mut row in feature_log_prob.rows_mut() {
            let log_total = row.sum().ln();
            row.mapv_inplace(|v| v.ln() - log_total);
        }
        let class_count = Array1::from(counts.class_count);
        let class_log_prior = match &params.class_prior {
            Some(prior) if prior.len() != k => {
                return Err(Error::Shape {
                    what: "class_prior".into(),
                    expected: format!("{k} values, one per class {classes:?}"),
                    found: format!("{} values", prior.len()),
                })
            }
            Some(prior) => prior.iter().map(|p| p.ln()).collect(),
            None if params.fit_prior => {
                let log_total = class_count.sum().ln();
                class_count.mapv(|c| c.ln() - log_total)
            }
            None => Array1::from_elem(k, -(k as f64).ln()),
        };
        tracing::debug!(classes = k, features = d, "multinomial naive Bayes fitted");
        Ok(Self {
            classes,
            class_count,
            feature_count: counts.feature_count,
            class_log_prior,
            feature_log_prob,
        })
    }

    /// The class labels, sorted (`classes_`).
    pub fn classes(&self) -> &[i64] {
        &self.classes
    }
    /// Number of features seen in fit (`n_features_in_`).
    pub fn n_features_in(&self) -> usize {
        self.feature_count.ncols()
    }

    /// Weighted rows per class (`class_count_`).
    pub fn class_count(&self) -> ArrayView1<'_, f64> {
        self.class_count.view()
    }
    /// Weighted feature sums per class, `classes x features` (`feature_count_`).
    pub fn feature_count(&self) -> ArrayView2<'_, f64> {
        self.feature_count.view()
    }
    /// Log prior of each class (`class_log_prior_`).
    pub fn class_log_prior(&self) -> ArrayView1<'_, f64> {
        self.class_log_prior.view()
    }
    /// Smoothed log probability of each feature given each class (`feature_log_prob_`).
    pub fn feature_log_prob(&self) -> ArrayView2<'_, f64> {
        self.feature_log_prob.view()
    }

    /// $X \log P^\top + \log \pi$: the unnormalised log posterior of each class for this rank's
    /// rows, `n x classes`. Local; on the GPU when a queue is given.
    pub fn joint_log_likelihood<F: Float, S: Data<Elem = F>>(
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
        let mut jll = self.scores_on(backend, x)?;
        log_softmax_rows(&mut jll);
        Ok(jll)
    }
}

impl FittedMultinomialNb {
    /// $X W^\top + b$ for this rank's rows on `backend`.
    pub(crate) fn scores_on<F: crate::Float>(
        &self,
        backend: &crate::backend::Backend<'_>,
        x: ndarray::ArrayView2<'_, F>,
    ) -> crate::Result<ndarray::Array2<f64>> {
        crate::classes::linear_scores(backend, x, &self.feature_log_prob, &self.class_log_prior)
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
    classes_: Vec<i64>,
    class_count_: Vec<f64>,
    feature_count_: Vec<Vec<f64>>,
    class_log_prior_: Vec<f64>,
    feature_log_prob_: Vec<Vec<f64>>,
    n_features_in_: usize,
}

fn rows(a: &Array2<f64>) -> Vec<Vec<f64>> {
    a.outer_iter().map(|r| r.to_vec()).collect()
}

impl From<FittedMultinomialNb> for Attributes {
    fn from(m: FittedMultinomialNb) -> Self {
        Self {
            n_features_in_: m.feature_log_prob.ncols(),
            classes_: m.classes,
            class_count_: m.class_count.to_vec(),
            feature_count_: rows(&m.feature_count),
            class_log_prior_: m.class_log_prior.to_vec(),
            feature_log_prob_: rows(&m.feature_log_prob),
        }
    }
}

impl TryFrom<Attributes> for FittedMultinomialNb {
    type Error = String;
    fn try_from(a: Attributes) -> std::result::Result<Self, String> {
        let (k, d) = (a.classes_.len(), a.n_features_in_);
        let matrix = |name: &str, v: &[Vec<f64>]| {
            if v.len() != k || v.iter().any(|r| r.len() != d) {
                return Err(format!("{name} must hold {k} rows of {d} values"));
            }
            Ok(Array2::from_shape_fn((k, d), |(i, j)| v[i][j]))
        };
        if k == 0 || a.class_count_.len() != k || a.class_log_prior_.len() != k {
            return Err(format!(
                "classes_, class_count_ and class_log_prior_ must hold the same number (> 0) of \
                 values, not {k}, {} and {}",
                a.class_count_.len(),
                a.class_log_prior_.len()
            ));
        }
        Ok(Self {
            feature_count: matrix("feature_count_", &a.feature_count_)?,
            feature_log_prob: matrix("feature_log_prob_", &a.feature_log_prob_)?,
            classes: a.classes_,
            class_count: Array1::from(a.class_count_),
            class_log_prior: Array1::from(a.class_log_prior_),
        })
    }
}
