//! DBSCAN's parameters, under scikit-learn's names.

use serde::{Deserialize, Serialize};
use spmd_comm::Comm;

use crate::neighbors::metric::Measure;
use crate::neighbors::Metric;
use crate::{Error, Result};

/// Parameters of [`Dbscan`], under scikit-learn's names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DbscanParams {
    /// The neighbourhood radius (default 0.5).
    pub eps: f64,
    /// The (weighted) neighbourhood size, the row itself included, that makes a core row
    /// (default 5).
    pub min_samples: usize,
    /// The distance: euclidean (default), manhattan, chebyshev or minkowski with `p`.
    pub metric: Metric,
    /// Minkowski's exponent (default 2).
    pub p: f64,
}

impl Default for DbscanParams {
    fn default() -> Self {
        Self {
            eps: 0.5,
            min_samples: 5,
            metric: Metric::Euclidean,
            p: 2.0,
        }
    }
}

impl DbscanParams {
    /// Errors on values scikit-learn rejects, and on metrics this DBSCAN does not offer.
    pub fn check(&self) -> Result<()> {
        self.measure().map(|_| ())
    }

    pub(super) fn measure(&self) -> Result<Measure> {
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return Err(Error::InvalidParam {
                name: "eps",
                value: self.eps.to_string(),
                expected: "a finite number > 0",
            });
        }
        if self.min_samples == 0 {
            return Err(Error::InvalidParam {
                name: "min_samples",
                value: "0".into(),
                expected: "an integer >= 1",
            });
        }
        match self.metric {
            Metric::Euclidean | Metric::Manhattan | Metric::Chebyshev | Metric::Minkowski => {
                self.metric.measure(self.p)
            }
            other => Err(Error::InvalidParam {
                name: "metric",
                value: format!("{other:?}").to_lowercase(),
                expected: "euclidean, manhattan, chebyshev or minkowski",
            }),
        }
    }
}

/// How DBSCAN finds the pairs of rows of different ranks; the labels are the same either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Across {
    /// By space where a sample of the rows says the halo is small, else by the ring.
    #[default]
    Auto,
    /// Each rank's rows pass around the ring of ranks, twice.
    Ring,
    /// Space is cut into one region per rank: each row moves to its region's rank, with the
    /// rows of other regions within eps of the region.
    Space,
}

/// scikit-learn's `DBSCAN` over all ranks' rows.
#[derive(Debug, Clone, Default)]
pub struct Dbscan {
    pub(super) params: DbscanParams,
    pub(super) comm: Option<Comm>,
    pub(super) across: Across,
}

impl Dbscan {
    /// scikit-learn's defaults: eps 0.5, min_samples 5, euclidean.
    pub fn new() -> Self {
        Self::default()
    }

    /// From parameters (as read from a model file or the command line).
    pub fn with_params(params: DbscanParams) -> Self {
        Self {
            params,
            comm: None,
            across: Across::Auto,
        }
    }

    /// The ranks that fit together; `Comm::world()` by default.
    pub fn comm(mut self, comm: Comm) -> Self {
        self.comm = Some(comm);
        self
    }

    /// The parameters.
    pub fn params(&self) -> &DbscanParams {
        &self.params
    }

    /// The neighbourhood radius.
    pub fn eps(mut self, eps: f64) -> Self {
        self.params.eps = eps;
        self
    }

    /// The neighbourhood size of a core row.
    pub fn min_samples(mut self, min_samples: usize) -> Self {
        self.params.min_samples = min_samples;
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

    /// How the pairs of rows of different ranks are found ([`Across::Auto`] by default); every
    /// rank must pass the same.
    pub fn across(mut self, across: Across) -> Self {
        self.across = across;
        self
    }
}
