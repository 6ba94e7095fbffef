//! The fitted classifier and regressor: a search whose neighbours vote, or whose values are averaged.

use ndarray::{Array1, Array2, ArrayBase, ArrayView1, ArrayView2, Data, Ix1};

use super::fitted::{FittedNeighbors, Targets};
use crate::classes::{global_accuracy, ClassLabel};
use crate::distributed::agree;
use crate::validate::{check_features, check_finite, check_same_rows, check_weights};
use crate::{Error, Float, Queue, Result};

/// A fitted [`KNeighborsClassifier`](super::KNeighborsClassifier); its search is [`FittedNeighbors`] (through `Deref`).
#[derive(Debug, Clone)]
pub struct FittedKNeighborsClassifier(pub(super) FittedNeighbors);

/// A fitted [`KNeighborsRegressor`](super::KNeighborsRegressor); its search is [`FittedNeighbors`] (through `Deref`).
#[derive(Debug, Clone)]
pub struct FittedKNeighborsRegressor(pub(super) FittedNeighbors);

impl std::ops::Deref for FittedKNeighborsClassifier {
    type Target = FittedNeighbors;
    fn deref(&self) -> &FittedNeighbors {
        &self.0
    }
}

impl std::ops::Deref for FittedKNeighborsRegressor {
    type Target = FittedNeighbors;
    fn deref(&self) -> &FittedNeighbors {
        &self.0
    }
}

impl FittedKNeighborsClassifier {
    /// The classes, sorted (scikit-learn's `classes_`).
    pub fn classes(&self) -> &[i64] {
        match &self.0.targets {
            Targets::Classes { classes, .. } => classes,
            _ => &[],
        }
    }

    /// Each row's class probabilities (`n x classes`): the weighed share of its neighbours in
    /// each class. Collective.
    pub fn predict_proba<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        queue: Option<&Queue>,
    ) -> Result<Array2<f64>> {
        let k = self.params.n_neighbors;
        let tops = self.0.search(Some(x), k, 1, queue)?;
        let classes = self.classes().len();
        let mut proba = Array2::zeros((tops.len(), classes));
        for (mut row, top) in proba.rows_mut().into_iter().zip(&tops) {
            for (w, carried) in self.0.weights(top).iter().zip(&top.carried) {
                let code = carried.first().copied().unwrap_or(0.0) as usize;
                if code < classes {
                    row[code] += w;
                }
            }
            let total: f64 = row.sum();
            if total > 0.0 {
                row.mapv_inplace(|v| v / total);
            }
        }
        Ok(proba)
    }

    /// Each row's class: the most weighed among its neighbours, ties to the lower class.
    /// Collective.
    pub fn predict<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        queue: Option<&Queue>,
    ) -> Result<Array1<i64>> {
        let proba = self.predict_proba(x, queue)?;
        let classes = self.classes();
        Ok(proba
            .rows()
            .into_iter()
            .map(|row| {
                let best = row
                    .iter()
                    .enumerate()
                    .fold(
                        (0, f64::NEG_INFINITY),
                        |b, (c, &v)| if v > b.1 { (c, v) } else { b },
                    );
                classes.get(best.0).copied().unwrap_or_default()
            })
            .collect())
    }

    /// Accuracy over all ranks' rows `x` and labels `y`. Collective.
    pub fn score<F: Float, L: ClassLabel, T: Data<Elem = L>>(
        &self,
        x: ArrayView2<'_, F>,
        y: &ArrayBase<T, Ix1>,
        queue: Option<&Queue>,
    ) -> Result<f64> {
        self.score_weighted(x, y, None, queue)
    }

    /// [`score`](Self::score) with a weight per row (scikit-learn's `sample_weight`).
    pub fn score_weighted<F: Float, L: ClassLabel, T: Data<Elem = L>>(
        &self,
        x: ArrayView2<'_, F>,
        y: &ArrayBase<T, Ix1>,
        sample_weight: Option<ArrayView1<'_, f64>>,
        queue: Option<&Queue>,
    ) -> Result<f64> {
        global_accuracy(&self.comm, self.predict(x, queue), y, sample_weight)
    }
}

impl FittedKNeighborsRegressor {
    /// Each row's prediction (`n x t`): its neighbours' targets, averaged with their weights.
    /// Collective.
    pub fn predict<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        queue: Option<&Queue>,
    ) -> Result<Array2<f64>> {
        let Targets::Values { y, .. } = &self.0.targets else {
            return Err(Error::Input("the regressor holds no targets".into()));
        };
        let t = y.ncols();
        let tops = self.0.search(Some(x), self.params.n_neighbors, t, queue)?;
        let mut out = Array2::zeros((tops.len(), t));
        for (mut row, top) in out.rows_mut().into_iter().zip(&tops) {
            let weights = self.0.weights(top);
            let total: f64 = weights.iter().sum();
            for (w, carried) in weights.iter().zip(&top.carried) {
                row.iter_mut().zip(carried).for_each(|(o, v)| *o += w * v);
            }
            row.mapv_inplace(|v| v / total);
        }
        Ok(out)
    }

    /// Whether the targets were one-dimensional.
    pub fn y_is_1d(&self) -> bool {
        matches!(self.0.targets, Targets::Values { one_d: true, .. })
    }

    /// R² over all ranks' rows (averaged over targets). Collective: `y` is checked on every
    /// rank (its rows, its targets, finite values) before the search, as
    /// [`LinearModel::score`](crate::linear::LinearModel::score) checks it.
    pub fn score<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        y: &impl crate::linear::Targets<F>,
        queue: Option<&Queue>,
    ) -> Result<f64> {
        self.score_weighted(x, y, None, queue)
    }

    /// [`score`](Self::score) with a weight per row (scikit-learn's `sample_weight`).
    pub fn score_weighted<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        y: &impl crate::linear::Targets<F>,
        sample_weight: Option<ArrayView1<'_, f64>>,
        queue: Option<&Queue>,
    ) -> Result<f64> {
        use crate::linear::model::{r2_score, target_mismatch};
        let y = y.as_columns();
        let targets = match &self.0.targets {
            Targets::Values { y, .. } => y.ncols(),
            _ => 0,
        };
        let local = check_same_rows(x.nrows(), y.nrows())
            .and_then(|_| {
                check_features(targets, y.ncols()).map_err(|_| target_mismatch(targets, y.ncols()))
            })
            .and_then(|_| check_finite("y", y, self.comm.rank()))
            .and_then(|_| check_weights(sample_weight, y.nrows(), self.comm.rank()));
        agree(&self.comm, local)?;
        let predicted = self.predict(x, queue)?;
        let y = y.mapv(|v| v.as_f64());
        r2_score(&self.comm, y.view(), predicted.view(), sample_weight)
    }
}
