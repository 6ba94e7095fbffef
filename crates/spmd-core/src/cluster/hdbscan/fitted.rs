//! A fitted HDBSCAN: this rank's labels and probabilities, the global counts and the centres.

use ndarray::{Array1, Array2, ArrayView1};
use serde::{Deserialize, Serialize};

/// A fitted [`Hdbscan`](super::Hdbscan): `labels` and `probabilities` are this rank's rows';
/// the rest is global. Serialises `n_clusters_`, `n_samples_`, `n_features_in_` and, where
/// stored, `centroids_` and `medoids_` (no per-row arrays).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedHdbscan {
    #[serde(skip)]
    pub(super) labels: Array1<i64>,
    #[serde(skip)]
    pub(super) probabilities: Array1<f64>,
    #[serde(rename = "n_clusters_")]
    pub(super) n_clusters: usize,
    #[serde(rename = "n_samples_")]
    pub(super) n_samples: u64,
    #[serde(rename = "n_features_in_")]
    pub(super) n_features_in: usize,
    #[serde(
        rename = "centroids_",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub(super) centroids: Option<Vec<Vec<f64>>>,
    #[serde(rename = "medoids_", skip_serializing_if = "Option::is_none", default)]
    pub(super) medoids: Option<Vec<Vec<f64>>>,
}

impl FittedHdbscan {
    /// Each of this rank's rows' cluster (`labels_`): -1 for noise, -2 for a row with an
    /// infinite value, -3 for a row with a NaN (empty for a model read from a file).
    pub fn labels(&self) -> ArrayView1<'_, i64> {
        self.labels.view()
    }

    /// Each of this rank's rows' strength of membership in its cluster (`probabilities_`): 0
    /// for noise and infinite rows, NaN for rows with a NaN.
    pub fn probabilities(&self) -> ArrayView1<'_, f64> {
        self.probabilities.view()
    }

    /// Clusters over all ranks.
    pub fn n_clusters(&self) -> usize {
        self.n_clusters
    }

    /// Rows over all ranks.
    pub fn n_samples(&self) -> u64 {
        self.n_samples
    }

    /// Features per row.
    pub fn n_features_in(&self) -> usize {
        self.n_features_in
    }

    /// Each cluster's mean weighted by its rows' probabilities (`centroids_`), where
    /// `store_centers` asked for it.
    pub fn centroids(&self) -> Option<Array2<f64>> {
        self.centroids
            .as_deref()
            .map(|rows| to_array(rows, self.n_features_in))
    }

    /// Each cluster's medoid (`medoids_`), where `store_centers` asked for it.
    pub fn medoids(&self) -> Option<Array2<f64>> {
        self.medoids
            .as_deref()
            .map(|rows| to_array(rows, self.n_features_in))
    }
}

fn to_array(rows: &[Vec<f64>], width: usize) -> Array2<f64> {
    Array2::from_shape_fn((rows.len(), width), |(i, j)| {
        rows[i].get(j).copied().unwrap_or(f64::NAN)
    })
}
