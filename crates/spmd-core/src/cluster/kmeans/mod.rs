//! Distributed k-means (scikit-learn's `KMeans`, Lloyd's algorithm).

mod element;
mod gpu;
mod init;
mod lloyd;
mod params;
#[cfg(target_arch = "x86_64")]
mod sweep_x86;

pub use params::{Init, KMeansParams, NInit};

use crate::backend::local_inertia;

use ndarray::{Array1, Array2, ArrayBase, ArrayView1, ArrayView2, Data, Ix2};
use serde::{Deserialize, Serialize};
use spmd_comm::{Comm, ReduceOp};
use spmd_gpu::Queue;

use crate::backend::{Backend, ResidentRows};
use crate::distributed::{agree, allreduce_or_fail, comm_or_world, global_shape};
use crate::partials::{combine_column_moments, ColumnMoments};
use crate::{Error, Float, Result};
use lloyd::{CpuRows, Rows, Stepper};

crate::builder::builder!(
    /// scikit-learn's `KMeans` over all ranks' rows: centroids are global, labels stay with their
    /// rows.
    ///
    /// Each Lloyd iteration assigns every local row to its nearest centre (CPU, or the GPU kernel),
    /// and one allreduce of per-cluster sums and counts, label changes and inertia gives every rank
    /// the same new centres; the stopping test uses only allreduced values, so every rank stops at the
    /// same iteration. Empty clusters are moved to the rows farthest from their centres, as
    /// scikit-learn does, agreed across ranks.
    ///
    /// All randomness is a function of `random_state` and global row indices: the same seed gives the
    /// same centres for any number of ranks.
    ///
    /// Memory: on the CPU, contiguous rows whose global column means are near zero (within 8
    /// standard deviations for f64, 1 for f32) are read in place; other rows are copied once per
    /// fit, shifted by the global means (as scikit-learn's `copy_x` centres a copy), f32 rows into
    /// an f32 copy.
    ///
    /// ```
    /// use ndarray::array;
    /// use spmd_core::cluster::{Init, KMeans};
    ///
    /// let x = array![[0.0_f64, 0.0], [0.0, 1.0], [10.0, 10.0], [10.0, 11.0]];
    /// let fitted = KMeans::new(2).init(Init::Given(array![[0.0, 0.0], [10.0, 10.0]])).fit(&x, None)?;
    /// assert_eq!(fitted.cluster_centers().row(0).to_vec(), [0.0, 0.5]);
    /// assert_eq!(fitted.labels().to_vec(), [0, 0, 1, 1]);
    /// assert!((fitted.inertia() - 1.0).abs() < 1e-12);
    /// # Ok::<(), spmd_core::Error>(())
    /// ```
    pub struct KMeans,
    KMeansParams {
        /// How the first centres are chosen.
        init: Init,
        /// Lloyd iterations at most.
        max_iter: usize,
        /// Convergence threshold (relative to the mean feature variance).
        tol: f64,
        /// Initialisations to run.
        n_init: NInit,
    }
);

impl KMeans {
    /// `n_clusters` clusters, scikit-learn's other defaults.
    pub fn new(n_clusters: usize) -> Self {
        Self {
            params: KMeansParams {
                n_clusters,
                ..KMeansParams::default()
            },
            ..Self::default()
        }
    }

    /// Seed of every random choice.
    pub fn random_state(mut self, seed: u64) -> Self {
        self.params.random_state = Some(seed);
        self
    }

    fn check(&self, d: usize) -> Result<()> {
        self.params.check()?;
        if let Init::Given(c) = &self.params.init {
            if c.dim() != (self.params.n_clusters, d) || c.iter().any(|v| !v.is_finite()) {
                return Err(Error::Shape {
                    what: "init".into(),
                    expected: format!("{} x {d} finite centres", self.params.n_clusters),
                    found: format!("{} x {}", c.nrows(), c.ncols()),
                });
            }
        }
        Ok(())
    }

    /// Clusters every rank's rows; every rank calls it and gets the same centres (and its own
    /// rows' labels).
    pub fn fit<F: Float, S: Data<Elem = F>>(
        &self,
        x: &ArrayBase<S, Ix2>,
        queue: Option<&Queue>,
    ) -> Result<FittedKMeans> {
        self.fit_with(x.view(), queue, None)
    }

    /// [`Self::fit`] with this rank's rows already on `queue`'s device (`rows`, the rows of `x`
    /// uploaded once with [`ResidentRows::upload`]), so that several fits share one upload.
    pub fn fit_resident<F: Float, S: Data<Elem = F>>(
        &self,
        x: &ArrayBase<S, Ix2>,
        rows: &ResidentRows,
        queue: &Queue,
    ) -> Result<FittedKMeans> {
        self.fit_with(x.view(), Some(queue), Some(rows))
    }

    pub(crate) fn fit_with<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        queue: Option<&Queue>,
        resident: Option<&ResidentRows>,
    ) -> Result<FittedKMeans> {
        let comm = comm_or_world(self.comm.as_ref())?;
        let backend = Backend::new(comm.rank(), queue);
        let local = self.check(x.ncols()).and_then(|_| {
            let backend = backend.as_ref().map_err(|e| Error::Input(e.to_string()))?;
            // On the GPU the rows are uploaded here, once, and stay for every iteration.
            gpu::moments_and_copy(backend, x, resident)
        });
        let backend = backend?;
        let (local, copy) = agree(&comm, local)?;
        let device = copy.rows();
        let shape = global_shape(&comm, x.nrows(), [x.ncols(), 0], ["X", "y"])?;
        let (n, d, k) = (shape.rows, shape.columns[0], self.params.n_clusters);
        if n == 0 {
            return Err(Error::Empty { what: "X" });
        }
        if (n as usize) < k {
            return Err(Error::InvalidParam {
                name: "n_clusters",
                value: k.to_string(),
                expected: "at most the number of rows over all ranks",
            });
        }
        let local = if x.nrows() == 0 {
            ColumnMoments::empty(d)
        } else {
            local
        };
        let moments = combine_column_moments(&comm, &local)?;
        // scikit-learn's tolerance: tol times the mean of the feature variances.
        let tol = self.params.tol * moments.m2.iter().map(|m| m / n as f64).sum::<f64>() / d as f64;
        let in_place = CpuRows::may_read_in_place::<F>(&moments);
        let cpu = backend
            .is_cpu()
            .then(|| CpuRows::new(x, &moments.mean, in_place));
        let rows = Rows {
            comm: &comm,
            x,
            offset: shape.row_offset,
            total: n,
            backend,
            shift: moments.mean,
            cpu: cpu.as_ref(),
            device,
        };
        let seed = crate::random::agreed_seed(&comm, self.params.random_state)?;
        let runs = match (self.params.n_init, &self.params.init) {
            (_, Init::Given(_)) => 1,
            (NInit::Count(c), _) => c,
            (NInit::Auto, Init::Random) => 10,
            (NInit::Auto, _) => 1,
        };
        let mut best: Option<FittedKMeans> = None;
        for run in 0..runs {
            let seed = crate::random::derive(seed, run as u64);
            let centres = match &self.params.init {
                Init::Given(c) => c.clone(),
                Init::Random => init::random(&rows, k, seed)?,
                Init::KMeansPlusPlus => init::plus_plus(&rows, k, seed)?,
                Init::KMeansParallel => init::parallel(&rows, k, seed)?,
            };
            let fitted = self.lloyd(&rows, centres, tol)?;
            tracing::debug!(
                run,
                inertia = fitted.inertia,
                n_iter = fitted.n_iter,
                "k-means run"
            );
            if best.as_ref().is_none_or(|b| fitted.inertia < b.inertia) {
                best = Some(fitted);
            }
        }
        best.ok_or_else(|| Error::Input("no k-means run".into()))
    }

    fn lloyd<F: Float>(
        &self,
        rows: &Rows<'_, F>,
        mut centres: Array2<f64>,
        tol: f64,
    ) -> Result<FittedKMeans> {
        let (k, d) = centres.dim();
        let comm = rows.comm;
        let mut labels = vec![usize::MAX; rows.x.nrows()];
        let mut stepper = Stepper::new(rows, k);
        let mut strict = false;
        let mut n_iter = 0;
        for iteration in 0..self.params.max_iter {
            let local = stepper.step(rows, &centres, &mut labels).map(|step| {
                let mut totals: Vec<f64> = step
                    .sums
                    .iter()
                    .copied()
                    .chain(step.counts.iter().copied())
                    .collect();
                totals.push(step.changed as f64);
                totals
            });
            // A failed GPU step on one rank fails every rank instead of a hang.
            let totals = allreduce_or_fail(comm, local, k * d + k + 1)?;
            let changed = totals[k * d + k];
            let mut sums = Array2::from_shape_vec((k, d), totals[..k * d].to_vec())
                .map_err(|e| Error::Input(e.to_string()))?;
            let mut counts = totals[k * d..k * d + k].to_vec();
            if counts.contains(&0.0) {
                // Relocation reads this rank's labels (every rank sees the same counts).
                let synced = stepper.sync(&mut labels);
                allreduce_or_fail(comm, synced.map(|_| Vec::new()), 0)?;
            }
            self.relocate_empty(rows, &labels, &centres, &mut sums, &mut counts)?;
            let mut new_centres = sums;
            for (mut row, &count) in new_centres.rows_mut().into_iter().zip(&counts) {
                if count > 0.0 {
                    row.mapv_inplace(|v| v / count);
                }
            }
            // Rank 0's centres, so every rank continues from bit-identical values.
            let mut flat: Vec<f64> = new_centres.iter().copied().collect();
            comm.broadcast(0, &mut flat)?;
            let new_centres =
                Array2::from_shape_vec((k, d), flat).map_err(|e| Error::Input(e.to_string()))?;
            let shift: f64 = (&new_centres - &centres).iter().map(|v| v * v).sum();
            centres = new_centres;
            n_iter = iteration + 1;
            if iteration > 0 && changed == 0.0 {
                strict = true;
                break;
            }
            if shift <= tol {
                break;
            }
        }
        if !strict {
            // Labels that match the final centres.
            let local = stepper
                .step(rows, &centres, &mut labels)
                .map(|_| Vec::new());
            allreduce_or_fail(comm, local, 0)?;
        }
        let synced = stepper.sync(&mut labels).map(|_| Vec::new());
        allreduce_or_fail(comm, synced, 0)?;
        let inertia =
            comm.allreduce_scalar(local_inertia(rows.x, &centres, &labels), ReduceOp::Sum)?;
        Ok(FittedKMeans {
            cluster_centers: centres,
            inertia,
            n_iter,
            labels: Array1::from(labels),
            rank: comm.rank(),
        })
    }

    /// Empty clusters take the rows farthest from their centres (over all ranks, ties to the
    /// lowest global row), which leave their old clusters, as scikit-learn relocates them.
    fn relocate_empty<F: Float>(
        &self,
        rows: &Rows<'_, F>,
        labels: &[usize],
        centres: &Array2<f64>,
        sums: &mut Array2<f64>,
        counts: &mut [f64],
    ) -> Result<()> {
        let empty: Vec<usize> = (0..counts.len()).filter(|&c| counts[c] == 0.0).collect();
        if empty.is_empty() {
            return Ok(());
        }
        let d = sums.ncols();
        let width = 3 + d;
        let mut mine = vec![-1.0; empty.len() * width];
        let farthest = lloyd::farthest(rows.x, centres, labels, empty.len());
        for (slot, &(distance, i)) in farthest.iter().enumerate() {
            let record = &mut mine[slot * width..(slot + 1) * width];
            record[0] = distance;
            record[1] = (rows.offset + i as u64) as f64;
            record[2] = labels[i] as f64;
            record[3..]
                .iter_mut()
                .zip(rows.x.row(i))
                .for_each(|(r, v)| *r = v.as_f64());
        }
        let all = rows.comm.allgather(&mine)?;
        let mut candidates: Vec<&[f64]> = all.chunks_exact(width).filter(|r| r[0] >= 0.0).collect();
        candidates.sort_by(|a, b| b[0].total_cmp(&a[0]).then(a[1].total_cmp(&b[1])));
        for (&cluster, record) in empty.iter().zip(candidates) {
            let (old, point) = (record[2] as usize, ArrayView1::from(&record[3..]));
            sums.row_mut(old).zip_mut_with(&point, |s, p| *s -= p);
            counts[old] -= 1.0;
            sums.row_mut(cluster).assign(&point);
            counts[cluster] = 1.0;
        }
        Ok(())
    }
}

/// A fitted [`KMeans`]: centres, inertia and iterations are global; `labels` are this rank's
/// rows'. Serialises `cluster_centers_`, `inertia_`, `n_iter_` and `n_features_in_`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "Attributes")]
pub struct FittedKMeans {
    cluster_centers: Array2<f64>,
    inertia: f64,
    n_iter: usize,
    labels: Array1<usize>,
    rank: usize,
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
        self.score_on(comm, x.view(), None)
    }

    /// [`score`](Self::score) with the nearest centres found on `queue`'s GPU when given.
    pub(crate) fn score_on<F: Float>(
        &self,
        comm: &Comm,
        x: ArrayView2<'_, F>,
        queue: Option<&Queue>,
    ) -> Result<f64> {
        let local = self.nearest(comm.rank(), x, queue).map(|(_, d)| d);
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
