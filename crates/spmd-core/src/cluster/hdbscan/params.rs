//! HDBSCAN's parameters, under scikit-learn's names.

use serde::{Deserialize, Serialize};
use spmd_comm::Comm;

use crate::neighbors::metric::Measure;
use crate::neighbors::Metric;
use crate::{Error, Result};

/// How the flat clusters are chosen from the condensed tree (scikit-learn's
/// `cluster_selection_method`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SelectionMethod {
    /// Excess of mass: the clusters of greatest stability (default).
    #[default]
    Eom,
    /// The leaves of the condensed tree.
    Leaf,
}

/// Which centres the fit stores (scikit-learn's `store_centers`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreCenters {
    /// Each cluster's mean, weighted by its rows' probabilities (`centroids_`).
    Centroid,
    /// Each cluster's row of least probability-weighted distance to its other rows
    /// (`medoids_`).
    Medoid,
    /// Both.
    Both,
}

/// Parameters of [`Hdbscan`], under scikit-learn's names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HdbscanParams {
    /// The fewest rows a cluster may hold (default 5, at least 2).
    pub min_cluster_size: usize,
    /// The neighbours, the row itself included, whose farthest gives a row's core distance;
    /// `None` (default) takes `min_cluster_size`.
    pub min_samples: Option<usize>,
    /// Clusters closer than this distance are merged (default 0).
    pub cluster_selection_epsilon: f64,
    /// The most rows an excess-of-mass cluster may hold; `None` (default) for no limit.
    pub max_cluster_size: Option<usize>,
    /// The distance: euclidean (default), manhattan, chebyshev or minkowski with `p`.
    pub metric: Metric,
    /// Minkowski's exponent (default 2; scikit-learn's `metric_params={"p": p}`).
    pub p: f64,
    /// Distances between rows are divided by it (default 1).
    pub alpha: f64,
    /// Excess of mass (default) or leaves.
    pub cluster_selection_method: SelectionMethod,
    /// Whether the whole data may be one cluster (default false).
    pub allow_single_cluster: bool,
    /// The centres to store (default none).
    pub store_centers: Option<StoreCenters>,
}

impl Default for HdbscanParams {
    fn default() -> Self {
        Self {
            min_cluster_size: 5,
            min_samples: None,
            cluster_selection_epsilon: 0.0,
            max_cluster_size: None,
            metric: Metric::Euclidean,
            p: 2.0,
            alpha: 1.0,
            cluster_selection_method: SelectionMethod::Eom,
            allow_single_cluster: false,
            store_centers: None,
        }
    }
}

impl HdbscanParams {
    /// Errors on values scikit-learn rejects, and on metrics this HDBSCAN does not offer.
    pub fn check(&self) -> Result<()> {
        self.measure().map(|_| ())
    }

    /// The neighbours that give a core distance.
    pub(super) fn k(&self) -> usize {
        self.min_samples.unwrap_or(self.min_cluster_size)
    }

    pub(super) fn measure(&self) -> Result<Measure> {
        if self.min_cluster_size < 2 {
            return Error::invalid_param(
                "min_cluster_size",
                self.min_cluster_size,
                "an integer >= 2",
            );
        }
        if self.min_samples == Some(0) {
            return Error::invalid_param("min_samples", 0, "an integer >= 1 or None");
        }
        if self.max_cluster_size == Some(0) {
            return Error::invalid_param("max_cluster_size", 0, "an integer >= 1 or None");
        }
        let epsilon = self.cluster_selection_epsilon;
        if !(epsilon.is_finite() && epsilon >= 0.0) {
            return Error::invalid_param(
                "cluster_selection_epsilon",
                epsilon,
                "a finite number >= 0",
            );
        }
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            return Error::invalid_param("alpha", self.alpha, "a finite number > 0");
        }
        match self.metric {
            Metric::Euclidean | Metric::Manhattan | Metric::Chebyshev | Metric::Minkowski => {
                self.metric.measure(self.p)
            }
            other => Error::invalid_param(
                "metric",
                format!("{other:?}").to_lowercase(),
                "euclidean, manhattan, chebyshev or minkowski",
            ),
        }
    }
}

/// scikit-learn's `HDBSCAN` over all ranks' rows.
#[derive(Debug, Clone, Default)]
pub struct Hdbscan {
    pub(super) params: HdbscanParams,
    pub(super) comm: Option<Comm>,
}

impl Hdbscan {
    /// scikit-learn's defaults: min_cluster_size 5, min_samples its value, euclidean, eom.
    pub fn new() -> Self {
        Self::default()
    }

    /// From parameters (as read from a model file or the command line).
    pub fn with_params(params: HdbscanParams) -> Self {
        Self { params, comm: None }
    }

    /// The ranks that fit together; `Comm::world()` by default.
    pub fn comm(mut self, comm: Comm) -> Self {
        self.comm = Some(comm);
        self
    }

    /// The parameters.
    pub fn params(&self) -> &HdbscanParams {
        &self.params
    }

    /// The fewest rows of a cluster.
    pub fn min_cluster_size(mut self, min_cluster_size: usize) -> Self {
        self.params.min_cluster_size = min_cluster_size;
        self
    }

    /// The neighbours, the row itself included, that give a core distance.
    pub fn min_samples(mut self, min_samples: usize) -> Self {
        self.params.min_samples = Some(min_samples);
        self
    }

    /// The distance under which clusters are merged.
    pub fn cluster_selection_epsilon(mut self, epsilon: f64) -> Self {
        self.params.cluster_selection_epsilon = epsilon;
        self
    }

    /// The most rows of an excess-of-mass cluster.
    pub fn max_cluster_size(mut self, max_cluster_size: usize) -> Self {
        self.params.max_cluster_size = Some(max_cluster_size);
        self
    }

    /// The distance.
    pub fn metric(mut self, metric: Metric) -> Self {
        self.params.metric = metric;
        self
    }

    /// Minkowski's exponent.
    pub fn p(mut self, p: f64) -> Self {
        self.params.p = p;
        self
    }

    /// The divisor of distances between rows.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.params.alpha = alpha;
        self
    }

    /// Excess of mass or leaves.
    pub fn cluster_selection_method(mut self, method: SelectionMethod) -> Self {
        self.params.cluster_selection_method = method;
        self
    }

    /// Whether all rows may form one cluster.
    pub fn allow_single_cluster(mut self, allow: bool) -> Self {
        self.params.allow_single_cluster = allow;
        self
    }

    /// The centres to store.
    pub fn store_centers(mut self, centers: StoreCenters) -> Self {
        self.params.store_centers = Some(centers);
        self
    }
}
