//! [`Dbscan`]: scikit-learn's DBSCAN over all ranks' rows, with its labels for any number of
//! ranks and any split.
//!
//! Rows stay on their ranks. Two passes around the ring of ranks (as the neighbour search's)
//! find every pair within eps: the first adds up each row's (weighted) neighbourhood, itself
//! included, so each rank knows its core rows; the second finds, for each row, the core rows
//! of other ranks within eps. Each rank first joins its own core rows into components (named
//! by their smallest global row); the second pass records the pairs of components of
//! different ranks that touch, and, for each row that is not core, the components of its core
//! neighbours. One allgatherv of the components and one of those pairs join them into
//! clusters on every rank, numbered by their smallest core row (scikit-learn's order); a row
//! that is not core takes the smallest cluster among its core neighbours', or is noise (-1).
//! A rank holds its rows, one block in flight and per-row state; the join holds one id per
//! component and one pair per pair of touching components, whatever the number of clusters
//! (in the worst case, every core row a cluster of its own, one id per core row).
//!
//! A pair is within eps when its reduced distance (the sum of squares for euclidean, of
//! `|d|^p` for minkowski) is at most eps's, computed exactly in f64 as scikit-learn's
//! `algorithm="kd_tree"` does, so pairs at exactly eps are decided alike. Where the rows
//! spread over many eps along some coordinates, pairs are found through a grid over up to
//! three of them (the cells of side eps around a row hold every row within eps); otherwise
//! every pair is looked at, each sum stopping once it exceeds eps's.
//!
//! ```
//! use ndarray::array;
//! use spmd_core::cluster::Dbscan;
//!
//! let x = array![[0.0_f64], [0.5], [1.0], [10.0], [10.5], [11.0], [30.0]];
//! let fitted = Dbscan::new().eps(0.6).min_samples(2).fit(&x, None, None)?;
//! assert_eq!(fitted.labels().to_vec(), [0, 0, 0, 1, 1, 1, -1]);
//! assert_eq!(fitted.n_clusters(), 2);
//! # Ok::<(), spmd_core::Error>(())
//! ```

mod components;
mod contract;
mod gpu;
mod pairs;

use std::collections::HashSet;

use ndarray::{Array1, ArrayBase, ArrayView1, Data, Ix1, Ix2};
use serde::{Deserialize, Serialize};
use spmd_comm::{Comm, ReduceOp};

use crate::distributed::{agree, comm_or_world, global_shape};
use crate::neighbors::metric::Measure;
use crate::neighbors::Metric;
use crate::ring::{ring_pass, Block};
use crate::validate::{check_finite, check_weights};
use crate::{Error, Float, Queue, Result};
use components::{Clusters, SharedUnionFind};
use gpu::{DevicePairs, Gpu};
use pairs::Finder;

/// Neighbours among its own rank's rows a row keeps from the first pass (4 bytes each); a row
/// with more is searched again when the components are joined.
const OWN_NEIGHBOURS: usize = 256;

/// What the first pass keeps of a row's neighbourhood among its own rank's rows.
#[derive(Debug, Clone, Default)]
struct Own {
    /// Its weighted count.
    count: f64,
    /// Its neighbours, while there are at most [`OWN_NEIGHBOURS`].
    near: Vec<u32>,
    /// Whether it had more.
    overflowed: bool,
}

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

    fn measure(&self) -> Result<Measure> {
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

crate::builder::builder!(
    /// scikit-learn's `DBSCAN` over all ranks' rows.
    pub struct Dbscan,
    DbscanParams {
        /// The neighbourhood radius.
        eps: f64,
        /// The neighbourhood size of a core row.
        min_samples: usize,
        /// The distance.
        metric: Metric,
        /// Minkowski's exponent.
        p: f64,
    },
    new = "scikit-learn's defaults: eps 0.5, min_samples 5, euclidean."
);

/// A fitted [`Dbscan`]: `labels` and `core_sample_indices` are this rank's rows'; the counts are
/// global. Serialises `n_clusters_`, `n_core_samples_`, `n_samples_` and `n_features_in_` (no
/// per-row arrays).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedDbscan {
    #[serde(skip)]
    labels: Array1<i64>,
    #[serde(skip)]
    core_sample_indices: Vec<u64>,
    #[serde(rename = "n_clusters_")]
    n_clusters: usize,
    #[serde(rename = "n_core_samples_")]
    n_core_samples: u64,
    #[serde(rename = "n_samples_")]
    n_samples: u64,
    #[serde(rename = "n_features_in_")]
    n_features_in: usize,
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

impl Dbscan {
    /// Clusters every rank's rows `x` (with optional `sample_weight`, one per row). Collective:
    /// every rank calls it, with its own rows (possibly none), and gets its rows' labels. With
    /// a queue (and no weights), the GPU sorts each block's pairs against eps and counts them
    /// (euclidean, manhattan, chebyshev); the labels are the same.
    pub fn fit<F: Float, S: Data<Elem = F>>(
        &self,
        x: &ArrayBase<S, Ix2>,
        sample_weight: Option<&ArrayBase<S, Ix1>>,
        queue: Option<&Queue>,
    ) -> Result<FittedDbscan> {
        let comm = comm_or_world(self.comm.as_ref())?;
        let weights = sample_weight.map(|w| w.mapv(|v| v.as_f64()));
        self.fit_on(&comm, x.view(), weights.as_ref().map(|w| w.view()), queue)
    }

    pub(crate) fn fit_on<F: Float>(
        &self,
        comm: &Comm,
        x: ndarray::ArrayView2<'_, F>,
        weights: Option<ArrayView1<'_, f64>>,
        queue: Option<&Queue>,
    ) -> Result<FittedDbscan> {
        let rank = comm.rank();
        let local = self
            .params
            .measure()
            .and_then(|m| check_finite("X", x, rank).map(|_| m))
            .and_then(|m| check_weights(weights, x.nrows(), rank).map(|_| m));
        let measure = agree(comm, local)?;
        let shape = global_shape(comm, x.nrows(), [x.ncols(), 0], ["X", "y"])?;
        if shape.rows == 0 {
            return Err(Error::Empty { what: "X" });
        }
        let width = shape.columns[0];
        let (n, first) = (x.nrows(), shape.row_offset);
        // Row-major f64 rows (the ring carries them so).
        let rows: Vec<f64> = x.rows().into_iter().flatten().map(|v| v.as_f64()).collect();
        let weight = |i: usize| weights.map_or(1.0, |w| w[i]);
        let finder = finder(comm, measure, self.params.eps, &rows, width)?;
        tracing::debug!(grid_dims = finder.grid_dims(), "dbscan neighbourhoods");

        // Pass 1: the weighted neighbourhood of each row over all ranks; the first visit, this
        // rank's own rows, also keeps each row's neighbours among them, up to OWN_NEIGHBOURS.
        let mut own: Vec<Own> = vec![Own::default(); n];
        let mut counts = vec![0.0; n];
        let mut block = Block::starting_at(first, n * (width + 1));
        for i in 0..n {
            block.extend(rows[i * width..(i + 1) * width].iter().copied());
            block.extend([weight(i)]);
        }
        let mut gpu = Gpu::open(queue, weights.is_some(), |queue| {
            DevicePairs::new(queue, &rows, width, measure, F::DTYPE == "float32")
        });
        let mut visits = 0;
        ring_pass(comm, block, |block| {
            visits += 1;
            let stride = width + 1;
            let values = block.values();
            let device = gpu.run(|device| device.counts(&finder, &rows, (values, stride)));
            let index = || finder.index(values, stride);
            match (device, visits == 1) {
                (Some((found, again)), own_rows) => {
                    // The device counts; its overflowed rows, and on the own visit the
                    // neighbour lists, come from the CPU.
                    if own_rows {
                        own.iter_mut().zip(&found).for_each(|(o, &c)| {
                            o.count += c;
                            o.overflowed = true;
                        });
                    } else {
                        counts.iter_mut().zip(&found).for_each(|(c, &f)| *c += f);
                    }
                    let add = |sum: &mut f64, j: usize| *sum += values[j * stride + width];
                    let sums = cpu_rows(&finder, &rows, &again, (values, stride), &index(), add);
                    again
                        .iter()
                        .zip(sums)
                        .for_each(|(&i, sum)| counts[i] += sum);
                }
                (None, true) => {
                    finder.for_each_within(
                        &rows,
                        (values, stride),
                        &index(),
                        &mut own,
                        |own, j| {
                            own.count += values[j * stride + width];
                            if own.near.len() < OWN_NEIGHBOURS {
                                own.near.push(j as u32);
                            } else {
                                own.overflowed = true;
                            }
                        },
                    );
                }
                (None, false) => {
                    finder.for_each_within(
                        &rows,
                        (values, stride),
                        &index(),
                        &mut counts,
                        |count, j| {
                            *count += values[j * stride + width];
                        },
                    );
                }
            }
        })?;
        // Each row's own-rank count first, then the other ranks' in ring order.
        let counts: Vec<f64> = own.iter().zip(&counts).map(|(a, b)| a.count + b).collect();
        let min_samples = self.params.min_samples as f64;
        let core: Vec<bool> = counts.iter().map(|&c| c >= min_samples).collect();

        // This rank's components: core rows joined through core rows within eps, each named
        // by its smallest global row; for each row that is not core, its core neighbours.
        let sets = SharedUnionFind::new(n);
        let mut border: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut again: Vec<usize> = Vec::new();
        for (i, own) in own.into_iter().enumerate() {
            if own.overflowed {
                again.push(i);
                continue;
            }
            let near = own.near.into_iter().filter(|&j| core[j as usize]);
            if core[i] {
                near.for_each(|j| sets.union(i, j as usize));
            } else {
                border[i] = near.collect();
            }
        }
        if !again.is_empty() {
            // Rows with more neighbours than were kept: searched again, joined as found.
            let rows_again: Vec<f64> = again
                .iter()
                .flat_map(|&i| rows[i * width..(i + 1) * width].iter().copied())
                .collect();
            let index = finder.index(&rows, width);
            let mut states: Vec<(usize, Vec<u32>)> =
                again.iter().map(|&i| (i, Vec::new())).collect();
            finder.for_each_within(
                &rows_again,
                (&rows, width),
                &index,
                &mut states,
                |(i, near), j| {
                    if core[j] {
                        if core[*i] {
                            sets.union(*i, j);
                        } else {
                            near.push(j as u32);
                        }
                    }
                },
            );
            for (i, near) in states {
                border[i] = near;
            }
        }
        let component: Vec<u64> = (0..n).map(|i| first + sets.find(i) as u64).collect();
        let mut touching: Vec<HashSet<u64>> = border
            .into_iter()
            .map(|near| near.into_iter().map(|j| component[j as usize]).collect())
            .collect();

        // Pass 2: other ranks' core rows within eps of each row.
        let stride = width + 2;
        let mut block = Block::starting_at(first, n * stride);
        for i in 0..n {
            block.extend(rows[i * width..(i + 1) * width].iter().copied());
            block.extend([f64::from(u8::from(core[i])), component[i] as f64]);
        }
        let mut edges: HashSet<(u64, u64)> = HashSet::new();
        let mut visits = 0;
        ring_pass(comm, block, |block| {
            visits += 1;
            if visits == 1 {
                return; // this rank's own rows: joined above
            }
            let values = block.values();
            let m = values.len() / stride;
            let block_components: Vec<Option<u64>> = (0..m)
                .map(|j| {
                    (values[j * stride + width] > 0.5)
                        .then(|| values[j * stride + width + 1] as u64)
                })
                .collect();
            let device = gpu.run(|device| {
                device.components(&finder, &rows, (values, stride), &block_components)
            });
            let index = || finder.index(values, stride);
            let collect = |near: &mut HashSet<u64>, j: usize| {
                if let Some(id) = block_components[j] {
                    near.insert(id);
                }
            };
            let found: Vec<HashSet<u64>> = match device {
                Some((mut found, again)) => {
                    let redone =
                        cpu_rows(&finder, &rows, &again, (values, stride), &index(), collect);
                    again
                        .iter()
                        .zip(redone)
                        .for_each(|(&i, near)| found[i] = near);
                    found
                }
                None => {
                    let mut found = vec![HashSet::new(); n];
                    finder.for_each_within(&rows, (values, stride), &index(), &mut found, collect);
                    found
                }
            };
            for (i, near) in found.into_iter().enumerate() {
                if core[i] {
                    edges.extend(near.into_iter().map(|other| (component[i], other)));
                } else {
                    touching[i].extend(near);
                }
            }
        })?;

        // A GPU failure on any rank is an error on every rank (the rest ran on the CPU).
        agree(comm, gpu.outcome())?;

        // The clusters over all ranks.
        let mut components: Vec<u64> = (0..n).filter(|&i| core[i]).map(|i| component[i]).collect();
        components.sort_unstable();
        components.dedup();
        let mut edges: Vec<(u64, u64)> = edges.into_iter().collect();
        edges.sort_unstable();
        let clusters = Clusters::join(comm, &components, &edges)?;
        let labels: Array1<i64> = (0..n)
            .map(|i| {
                if core[i] {
                    clusters.number(component[i])
                } else {
                    touching[i]
                        .iter()
                        .map(|&c| clusters.number(c))
                        .min()
                        .unwrap_or(-1)
                }
            })
            .collect();
        let core_sample_indices: Vec<u64> = (0..n)
            .filter(|&i| core[i])
            .map(|i| first + i as u64)
            .collect();
        let mut n_core = [core_sample_indices.len() as u64];
        comm.allreduce_in_place(&mut n_core, ReduceOp::Sum)?;
        Ok(FittedDbscan {
            labels,
            core_sample_indices,
            n_clusters: clusters.count,
            n_core_samples: n_core[0],
            n_samples: shape.rows,
            n_features_in: width,
        })
    }
}

/// The pair finder for these rows: the grid's coordinates from every rank's spread.
/// Collective (two allreduces).
fn finder(comm: &Comm, measure: Measure, eps: f64, rows: &[f64], width: usize) -> Result<Finder> {
    let mut low = vec![f64::INFINITY; width];
    let mut high = vec![f64::NEG_INFINITY; width];
    for row in rows.chunks_exact(width.max(1)) {
        for (j, &v) in row.iter().enumerate() {
            low[j] = low[j].min(v);
            high[j] = high[j].max(v);
        }
    }
    comm.allreduce_in_place(&mut low, ReduceOp::Min)?;
    comm.allreduce_in_place(&mut high, ReduceOp::Max)?;
    let spread: Vec<f64> = low
        .iter()
        .zip(&high)
        .map(|(l, h)| (h - l).max(0.0))
        .collect();
    let largest = low
        .iter()
        .chain(&high)
        .filter(|v| v.is_finite())
        .fold(0.0_f64, |m, v| m.max(v.abs()));
    let centre: Vec<f64> = low
        .iter()
        .zip(&high)
        .map(|(l, h)| if l <= h { l + (h - l) / 2.0 } else { 0.0 })
        .collect();
    Ok(Finder::new(
        measure,
        eps,
        (width, &centre),
        &spread,
        largest,
    ))
}

/// The rows `subset` of `rows` against a block on the CPU: one state per row of the subset.
fn cpu_rows<S: Default + Clone + Send>(
    finder: &Finder,
    rows: &[f64],
    subset: &[usize],
    block: (&[f64], usize),
    index: &pairs::BlockIndex,
    visit: impl Fn(&mut S, usize) + Sync,
) -> Vec<S> {
    let width = finder.width();
    let gathered: Vec<f64> = subset
        .iter()
        .flat_map(|&i| rows[i * width..(i + 1) * width].iter().copied())
        .collect();
    let mut states = vec![S::default(); subset.len()];
    if !subset.is_empty() {
        finder.for_each_within(&gathered, block, index, &mut states, visit);
    }
    states
}
