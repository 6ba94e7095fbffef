//! The neighbour estimators' parameters and builders.

use serde::{Deserialize, Serialize};
use spmd_comm::Comm;

use super::Metric;
use crate::{Error, Result};

/// How the neighbours' votes or values are weighed (scikit-learn's `weights`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weights {
    /// Every neighbour alike.
    #[default]
    Uniform,
    /// By the inverse of the distance; a query at distance 0 from some neighbours takes those
    /// alone.
    Distance,
}

/// Parameters of the neighbour estimators, under scikit-learn's names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NeighborsParams {
    /// Neighbours per query (default 5).
    pub n_neighbors: usize,
    /// How neighbours are weighed in `predict` (default uniform).
    pub weights: Weights,
    /// The distance (default minkowski, with `p`).
    pub metric: Metric,
    /// Minkowski's exponent (default 2, the euclidean distance).
    pub p: f64,
    /// The radius of [`FittedNeighbors::radius_neighbors`](super::FittedNeighbors::radius_neighbors) (default 1).
    pub radius: f64,
}

impl Default for NeighborsParams {
    fn default() -> Self {
        Self {
            n_neighbors: 5,
            weights: Weights::Uniform,
            metric: Metric::Minkowski,
            p: 2.0,
            radius: 1.0,
        }
    }
}

impl NeighborsParams {
    /// Errors on values scikit-learn rejects.
    pub fn check(&self) -> Result<()> {
        check_k(self.n_neighbors)?;
        check_radius(self.radius)?;
        self.metric.measure(self.p).map(|_| ())
    }
}

pub(super) fn check_radius(radius: f64) -> Result<()> {
    if radius.is_nan() || radius < 0.0 {
        return Err(Error::InvalidParam {
            name: "radius",
            value: radius.to_string(),
            expected: "a number >= 0",
        });
    }
    Ok(())
}

pub(super) fn check_k(k: usize) -> Result<()> {
    if k == 0 {
        return Err(Error::InvalidParam {
            name: "n_neighbors",
            value: "0".into(),
            expected: "an integer >= 1",
        });
    }
    Ok(())
}

/// scikit-learn's `NearestNeighbors` (brute force) over all ranks' rows.
#[derive(Debug, Clone, Default)]
pub struct NearestNeighbors {
    pub(super) params: NeighborsParams,
    pub(super) comm: Option<Comm>,
}

/// scikit-learn's `KNeighborsClassifier` (brute force) over all ranks' rows.
#[derive(Debug, Clone, Default)]
pub struct KNeighborsClassifier {
    pub(super) params: NeighborsParams,
    pub(super) comm: Option<Comm>,
}

/// scikit-learn's `KNeighborsRegressor` (brute force) over all ranks' rows.
#[derive(Debug, Clone, Default)]
pub struct KNeighborsRegressor {
    pub(super) params: NeighborsParams,
    pub(super) comm: Option<Comm>,
}

impl NearestNeighbors {
    /// scikit-learn's defaults: 5 neighbours, radius 1, minkowski with p = 2.
    pub fn new() -> Self {
        Self::default()
    }

    /// From parameters (as read from a model file or the command line).
    pub fn with_params(params: NeighborsParams) -> Self {
        Self { params, comm: None }
    }

    /// The ranks that fit together; `Comm::world()` by default.
    pub fn comm(mut self, comm: Comm) -> Self {
        self.comm = Some(comm);
        self
    }

    /// The parameters.
    pub fn params(&self) -> &NeighborsParams {
        &self.params
    }

    /// Neighbours per query.
    pub fn n_neighbors(mut self, n_neighbors: usize) -> Self {
        self.params.n_neighbors = n_neighbors;
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

    /// The radius of `radius_neighbors`.
    pub fn radius(mut self, radius: f64) -> Self {
        self.params.radius = radius;
        self
    }
}

impl KNeighborsClassifier {
    /// scikit-learn's defaults: 5 neighbours, uniform weights, minkowski with p = 2.
    pub fn new() -> Self {
        Self::default()
    }

    /// From parameters (as read from a model file or the command line).
    pub fn with_params(params: NeighborsParams) -> Self {
        Self { params, comm: None }
    }

    /// The ranks that fit together; `Comm::world()` by default.
    pub fn comm(mut self, comm: Comm) -> Self {
        self.comm = Some(comm);
        self
    }

    /// The parameters.
    pub fn params(&self) -> &NeighborsParams {
        &self.params
    }

    /// Neighbours per query.
    pub fn n_neighbors(mut self, n_neighbors: usize) -> Self {
        self.params.n_neighbors = n_neighbors;
        self
    }

    /// How neighbours' votes are weighed.
    pub fn weights(mut self, weights: Weights) -> Self {
        self.params.weights = weights;
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
}

impl KNeighborsRegressor {
    /// scikit-learn's defaults: 5 neighbours, uniform weights, minkowski with p = 2.
    pub fn new() -> Self {
        Self::default()
    }

    /// From parameters (as read from a model file or the command line).
    pub fn with_params(params: NeighborsParams) -> Self {
        Self { params, comm: None }
    }

    /// The ranks that fit together; `Comm::world()` by default.
    pub fn comm(mut self, comm: Comm) -> Self {
        self.comm = Some(comm);
        self
    }

    /// The parameters.
    pub fn params(&self) -> &NeighborsParams {
        &self.params
    }

    /// Neighbours per query.
    pub fn n_neighbors(mut self, n_neighbors: usize) -> Self {
        self.params.n_neighbors = n_neighbors;
        self
    }

    /// How neighbours' values are weighed.
    pub fn weights(mut self, weights: Weights) -> Self {
        self.params.weights = weights;
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
}
