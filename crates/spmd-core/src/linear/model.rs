//! The fitted linear model shared by LinearRegression and Ridge.

use ndarray::{Array1, Array2, ArrayBase, ArrayView1, ArrayView2, Data, Ix2};
use serde::{Deserialize, Serialize};
use spmd_comm::{Comm, ReduceOp};
use spmd_gpu::Queue;

use super::Targets;
use crate::backend::Backend;
use crate::distributed::{agree, comm_or_world};
use crate::validate::{check_features, check_finite, check_same_rows, check_weights};
use crate::{Error, Float, Result};

/// A fitted linear model $\hat y = X w^\top + b$, the same on every rank.
///
/// Serialises (serde) to scikit-learn's attribute names: `coef_` (1-D for a single target,
/// `targets x features` otherwise), `intercept_` (a number for a single target) and
/// `n_features_in_`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(into = "Attributes", try_from = "Attributes")]
#[serde(bound(serialize = "F: Float", deserialize = "F: Float"))]
pub struct LinearModel<F: Float> {
    coef: Array2<F>,
    intercept: Array1<F>,
    single_target: bool,
    comm: Option<Comm>,
}

impl<F: Float> PartialEq for LinearModel<F> {
    fn eq(&self, other: &Self) -> bool {
        self.coef == other.coef
            && self.intercept == other.intercept
            && self.single_target == other.single_target
    }
}

impl<F: Float> LinearModel<F> {
    pub(crate) fn new(
        coef: Array2<F>,
        intercept: Array1<F>,
        single_target: bool,
        comm: Comm,
    ) -> Self {
        Self {
            coef,
            intercept,
            single_target,
            comm: Some(comm),
        }
    }

    /// Builds a model from its coefficients (`targets x features`) and intercepts (`targets`).
    pub fn from_parts(coef: Array2<F>, intercept: Array1<F>) -> Result<Self> {
        if coef.nrows() != intercept.len() {
            return Err(Error::Shape {
                what: "intercept".into(),
                expected: format!("{} values, one per row of coef", coef.nrows()),
                found: format!("{} values", intercept.len()),
            });
        }
        let single_target = coef.nrows() == 1;
        Ok(Self {
            coef,
            intercept,
            single_target,
            comm: None,
        })
    }

    /// Weights $w$, `targets x features` (scikit-learn's `coef_`, 2-D even for one target).
    pub fn coef(&self) -> ArrayView2<'_, F> {
        self.coef.view()
    }

    /// Intercepts $b$, one per target (scikit-learn's `intercept_`).
    pub fn intercept(&self) -> ArrayView1<'_, F> {
        self.intercept.view()
    }

    /// Number of features seen in fit (`n_features_in_`).
    pub fn n_features_in(&self) -> usize {
        self.coef.ncols()
    }

    /// Number of targets.
    pub fn n_targets(&self) -> usize {
        self.coef.nrows()
    }

    /// Whether the model was fitted on one-dimensional targets.
    pub fn single_target(&self) -> bool {
        self.single_target
    }

    /// The same model in precision `G` (the coefficients rounded or widened), so that rows of
    /// either precision are predicted without converting them.
    pub fn to_precision<G: Float>(&self) -> LinearModel<G> {
        LinearModel {
            coef: self.coef.mapv(|v| G::from_f64_lossy(v.as_f64())),
            intercept: self.intercept.mapv(|v| G::from_f64_lossy(v.as_f64())),
            single_target: self.single_target,
            comm: self.comm.clone(),
        }
    }

    /// The communicator `score` reduces over: the fit's, or `Comm::world()` for a loaded model.
    pub fn with_comm(mut self, comm: Comm) -> Self {
        self.comm = Some(comm);
        self
    }

    /// Predictions for this rank's rows, `n x targets`. Local: no communication.
    pub fn predict<S: Data<Elem = F>>(
        &self,
        x: &ArrayBase<S, Ix2>,
        queue: Option<&Queue>,
    ) -> Result<Array2<F>> {
        check_features(self.n_features_in(), x.ncols())?;
        let w = self.coef.t().mapv(|v| v.as_f64());
        let mut y = Backend::new(self.rank(), queue)?
            .rows_times(x.view(), w.view())?
            .mapv(F::from_f64_lossy);
        for mut row in y.rows_mut() {
            row.zip_mut_with(&self.intercept, |v, &b| *v = *v + b);
        }
        Ok(y)
    }

    /// $R^2$ over all ranks' rows (scikit-learn's `score`, averaged uniformly over targets).
    /// Every rank calls it and gets the same value.
    pub fn score<S: Data<Elem = F>>(
        &self,
        x: &ArrayBase<S, Ix2>,
        y: &impl Targets<F>,
        queue: Option<&Queue>,
    ) -> Result<f64> {
        self.score_weighted(x, y, None, queue)
    }

    /// [`score`](Self::score) with a weight per row (scikit-learn's `sample_weight`).
    pub fn score_weighted<S: Data<Elem = F>>(
        &self,
        x: &ArrayBase<S, Ix2>,
        y: &impl Targets<F>,
        sample_weight: Option<ArrayView1<'_, f64>>,
        queue: Option<&Queue>,
    ) -> Result<f64> {
        let comm = comm_or_world(self.comm.as_ref())?;
        let y = y.as_columns();
        let predicted = agree(
            &comm,
            check_same_rows(x.nrows(), y.nrows())
                .and_then(|_| {
                    check_features(self.n_targets(), y.ncols())
                        .map_err(|_| target_mismatch(self.n_targets(), y.ncols()))
                })
                .and_then(|_| check_finite("y", y.view(), comm.rank()))
                .and_then(|_| check_weights(sample_weight, y.nrows(), comm.rank()))
                .and_then(|_| self.predict(x, queue)),
        )?;
        r2_score(&comm, y, predicted.view(), sample_weight)
    }

    fn rank(&self) -> usize {
        self.comm.as_ref().map_or(0, Comm::rank)
    }
}

pub(crate) fn target_mismatch(expected: usize, found: usize) -> Error {
    Error::Shape {
        what: "y".into(),
        expected: format!("{expected} targets, as in fit"),
        found: format!("{found}"),
    }
}

/// Coefficient of determination over all ranks, averaged over targets; a constant target
/// scores 1 when predicted exactly and 0 otherwise (scikit-learn's `force_finite`).
pub(crate) fn r2_score<F: Float>(
    comm: &Comm,
    y: ArrayView2<'_, F>,
    predicted: ArrayView2<'_, F>,
    sample_weight: Option<ArrayView1<'_, f64>>,
) -> Result<f64> {
    let t = y.ncols();
    let weight = |i: usize| sample_weight.map_or(1.0, |w| w[i]);
    let mut sums = vec![0.0; t + 1];
    for (i, row) in y.rows().into_iter().enumerate() {
        let w = weight(i);
        for (s, v) in sums.iter_mut().zip(row) {
            *s += w * v.as_f64();
        }
        sums[t] += w;
    }
    comm.allreduce_in_place(&mut sums, ReduceOp::Sum)?;
    let mean = |j: usize| {
        if sums[t] > 0.0 {
            sums[j] / sums[t]
        } else {
            0.0
        }
    };
    let mut squares = vec![0.0; 2 * t];
    for (i, (row, pred)) in y.rows().into_iter().zip(predicted.rows()).enumerate() {
        let w = weight(i);
        for j in 0..t {
            let (v, p) = (row[j].as_f64(), pred[j].as_f64());
            squares[j] += w * (v - p) * (v - p);
            squares[t + j] += w * (v - mean(j)) * (v - mean(j));
        }
    }
    comm.allreduce_in_place(&mut squares, ReduceOp::Sum)?;
    let scores = (0..t).map(|j| {
        let (residual, total) = (squares[j], squares[t + j]);
        if total != 0.0 {
            1.0 - residual / total
        } else if residual == 0.0 {
            1.0
        } else {
            0.0
        }
    });
    Ok(scores.sum::<f64>() / t.max(1) as f64)
}

/// scikit-learn's attribute layout.
#[derive(Serialize, Deserialize)]
struct Attributes {
    coef_: OneOrTwo,
    intercept_: NumberOrList,
    n_features_in_: usize,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged, expecting = "a list of numbers or a list of rows of numbers")]
enum OneOrTwo {
    One(Vec<f64>),
    Two(Vec<Vec<f64>>),
}

#[derive(Serialize, Deserialize)]
#[serde(untagged, expecting = "a number or a list of numbers")]
enum NumberOrList {
    Number(f64),
    List(Vec<f64>),
}

impl<F: Float> From<LinearModel<F>> for Attributes {
    fn from(m: LinearModel<F>) -> Self {
        let rows: Vec<Vec<f64>> = m
            .coef
            .rows()
            .into_iter()
            .map(|r| r.iter().map(|v| v.as_f64()).collect())
            .collect();
        let intercept: Vec<f64> = m.intercept.iter().map(|v| v.as_f64()).collect();
        let n_features_in_ = m.coef.ncols();
        if m.single_target && rows.len() == 1 {
            Attributes {
                coef_: OneOrTwo::One(rows.into_iter().next().unwrap_or_default()),
                intercept_: NumberOrList::Number(intercept[0]),
                n_features_in_,
            }
        } else {
            Attributes {
                coef_: OneOrTwo::Two(rows),
                intercept_: NumberOrList::List(intercept),
                n_features_in_,
            }
        }
    }
}

impl<F: Float> TryFrom<Attributes> for LinearModel<F> {
    type Error = String;
    fn try_from(a: Attributes) -> std::result::Result<Self, String> {
        let (rows, single) = match a.coef_ {
            OneOrTwo::One(r) => (vec![r], true),
            OneOrTwo::Two(rows) => (rows, false),
        };
        let intercept = match a.intercept_ {
            NumberOrList::Number(v) => vec![v],
            NumberOrList::List(v) => v,
        };
        let d = a.n_features_in_;
        if rows.iter().any(|r| r.len() != d) || intercept.len() != rows.len() {
            return Err(format!(
                "coef_ must have {d} values per target and intercept_ one value per target ({} targets, {} intercepts)",
                rows.len(),
                intercept.len()
            ));
        }
        let coef = Array2::from_shape_fn((rows.len(), d), |(j, i)| F::from_f64_lossy(rows[j][i]));
        let intercept = Array1::from_iter(intercept.into_iter().map(F::from_f64_lossy));
        Ok(Self {
            coef,
            intercept,
            single_target: single,
            comm: None,
        })
    }
}
