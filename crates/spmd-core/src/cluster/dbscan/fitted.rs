//! A fitted DBSCAN: this rank's labels and core rows, and the global counts.

use ndarray::{Array1, ArrayView1};
use serde::{Deserialize, Serialize};

/// A fitted [`Dbscan`](super::Dbscan): `labels` and `core_sample_indices` are this rank's
/// rows'; the counts are global. Serialises `n_clusters_`, `n_core_samples_`, `n_samples_` and
/// `n_features_in_` (no per-row arrays).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedDbscan {
    #[serde(skip)]
    pub(super) labels: Array1<i64>,
    #[serde(skip)]
    pub(super) core_sample_indices: Vec<u64>,
    #[serde(rename = "n_clusters_")]
    pub(super) n_clusters: usize,
    #[serde(rename = "n_core_samples_")]
    pub(super) n_core_samples: u64,
    #[serde(rename = "n_samples_")]
    pub(super) n_samples: u64,
    #[serde(rename = "n_features_in_")]
    pub(super) n_features_in: usize,
}

impl FittedDbscan {
    /// Each of this rank's rows' cluster, -1 for noise (`labels_`; empty for a model read
    /// from a file).
    pub fn labels(&self) -> ArrayView1<'_, i64> {
        self.labels.view()
    }

    /// Global row numbers of this rank's core rows, ascending (its part of
    /// `core_sample_indices_`).
    pub fn core_sample_indices(&self) -> &[u64] {
        &self.core_sample_indices
    }

    /// Clusters over all ranks.
    pub fn n_clusters(&self) -> usize {
        self.n_clusters
    }

    /// Core rows over all ranks.
    pub fn n_core_samples(&self) -> u64 {
        self.n_core_samples
    }

    /// Rows over all ranks.
    pub fn n_samples(&self) -> u64 {
        self.n_samples
    }

    /// Features per row.
    pub fn n_features_in(&self) -> usize {
        self.n_features_in
    }
}
