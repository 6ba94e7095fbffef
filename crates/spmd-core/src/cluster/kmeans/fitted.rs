//! A fitted KMeans: the centres, and the operations on rows they give.

use ndarray::{Array1, Array2, ArrayBase, ArrayView1, ArrayView2, Data, Ix2};
use serde::{Deserialize, Serialize};
use spmd_comm::{Comm, ReduceOp};
use spmd_gpu::Queue;

use crate::backend::Backend;
use crate::distributed::agree;
use crate::{Float, Result};

/// A fitted [`KMeans`](super::KMeans): centres, inertia and iterations are global; `labels` are this rank's
/// rows'. Serialises `cluster_centers_`, `inertia_`, `n_iter_` and `n_features_in_`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "Attributes")]
pub struct FittedKMeans {
    pub(super) cluster_centers: Array2<f64>,
    pub(super) inertia: f64,
    pub(super) n_iter: usize,
    pub(super) labels: Array1<usize>,
    pub(super) rank: usize,
}

impl FittedKMeans {
    /// Centres, `n_clusters x n_features` (`cluster_centers_`).
    pub fn cluster_centers(&self) -> ArrayView2<'_, f64> {
        self.cluster_centers.view()
    }
    /// Sum of squared distances of all ranks' rows to their centres (`inertia_`).
    pub fn inertia(&self) -> f64 {
        self.inertia
    }
    /// Lloyd iterations run (`n_iter_`).
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }
    /// Cluster of each of this rank's rows (`labels_`; empty for a model read from a file).
    pub fn labels(&self) -> ArrayView1<'_, usize> {
        self.labels.view()
    }

    /// Nearest centre of each of this rank's rows (ties to the lowest label). Local.
    pub fn predict<F: Float, S: Data<Elem = F>>(
        &self,
        x: &ArrayBase<S, Ix2>,
    ) -> Result<Array1<usize>> {
        Ok(self.nearest(self.rank, x.view(), None)?.0)
    }

    /// Euclidean distance of each of this rank's rows to every centre, `n x n_clusters`. Local.
    pub fn transform<F: Float, S: Data<Elem = F>>(
        &self,
        x: &ArrayBase<S, Ix2>,
    ) -> Result<Array2<f64>> {
        self.transform_on(self.rank, x.view(), None)
    }

    /// [`transform`](Self::transform) on `queue`'s GPU when given, errors naming `rank`.
    pub(crate) fn transform_on<F: Float>(
        &self,
        rank: usize,
        x: ArrayView2<'_, F>,
        queue: Option<&Queue>,
    ) -> Result<Array2<f64>> {
        Backend::new(rank, queue)?.distances(x, self.cluster_centers.view())
    }

    /// Minus the inertia of all ranks' rows `x` (scikit-learn's `score`). Every rank calls it.
    pub fn score<F: Float, S: Data<Elem = F>>(
        &self,
        comm: &Comm,
        x: &ArrayBase<S, Ix2>,
    ) -> Result<f64> {
        self.score_on(comm, x.view(), None, None)
    }

    /// [`score`](Self::score) with the nearest centres found on `queue`'s GPU when given.
    /// With `sample_weight`, each row's squared distance is weighed.
    pub(crate) fn score_on<F: Float>(
        &self,
        comm: &Comm,
        x: ArrayView2<'_, F>,
        sample_weight: Option<ArrayView1<'_, f64>>,
        queue: Option<&Queue>,
    ) -> Result<f64> {
        let local = crate::validate::check_weights(sample_weight, x.nrows(), comm.rank())
            .and_then(|_| self.nearest(comm.rank(), x, queue))
            .map(|(labels, total)| match sample_weight {
                None => total,
                Some(w) => labels
                    .iter()
                    .enumerate()
                    .map(|(i, &l)| {
                        w[i] * crate::backend::squared_distance(
                            x.row(i),
                            self.cluster_centers.row(l),
                        )
                    })
                    .sum(),
            });
        let local = agree(comm, local)?;
        Ok(-comm.allreduce_scalar(local, ReduceOp::Sum)?)
    }

    /// The nearest centre of each row and the sum of the squared distances to them, on the GPU
    /// of `queue` or the CPU.
    pub(crate) fn nearest<F: Float>(
        &self,
        rank: usize,
        x: ArrayView2<'_, F>,
        queue: Option<&Queue>,
    ) -> Result<(Array1<usize>, f64)> {
        Backend::new(rank, queue)?.nearest(x, self.cluster_centers.view())
    }
}

#[derive(Serialize, Deserialize)]
struct Attributes {
    cluster_centers_: Vec<Vec<f64>>,
    inertia_: f64,
    n_iter_: usize,
    n_features_in_: usize,
}

// Written by hand, not `serde(into)`, which would clone the model and its O(rows) labels.
impl Serialize for FittedKMeans {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        Attributes {
            n_features_in_: self.cluster_centers.ncols(),
            cluster_centers_: self
                .cluster_centers
                .rows()
                .into_iter()
                .map(|r| r.to_vec())
                .collect(),
            inertia_: self.inertia,
            n_iter_: self.n_iter,
        }
        .serialize(s)
    }
}

impl TryFrom<Attributes> for FittedKMeans {
    type Error = String;
    fn try_from(a: Attributes) -> std::result::Result<Self, String> {
        let (k, d) = (a.cluster_centers_.len(), a.n_features_in_);
        if k == 0 || a.cluster_centers_.iter().any(|r| r.len() != d) {
            return Err(format!(
                "cluster_centers_ must be a non-empty list of {d}-value rows"
            ));
        }
        Ok(Self {
            cluster_centers: Array2::from_shape_fn((k, d), |(i, j)| a.cluster_centers_[i][j]),
            inertia: a.inertia_,
            n_iter: a.n_iter_,
            labels: Array1::from(Vec::new()),
            rank: 0,
        })
    }
}
