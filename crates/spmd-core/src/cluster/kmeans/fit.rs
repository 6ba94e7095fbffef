//! KMeans' fit: the moments, the initial centres, and Lloyd's steps until they settle.

use ndarray::{Array1, Array2, ArrayBase, ArrayView1, ArrayView2, Data, Ix2};
use spmd_gpu::Queue;

use super::fitted::FittedKMeans;
use super::lloyd::{CpuRows, Rows, Stepper};
use super::params::{Init, KMeans, NInit};
use super::{gpu, init};
use crate::backend::{Backend, ResidentRows};
use crate::distributed::{agree, allreduce_or_fail, comm_or_world, fit_weights, global_shape};
use crate::partials::{combine_column_moments, ColumnMoments};
use crate::validate::check_weights;
use crate::{Error, Float, Result};

impl KMeans {
    /// Clusters every rank's rows; every rank calls it and gets the same centres (and its own
    /// rows' labels).
    pub fn fit<F: Float, S: Data<Elem = F>>(
        &self,
        x: &ArrayBase<S, Ix2>,
        queue: Option<&Queue>,
    ) -> Result<FittedKMeans> {
        self.fit_with(x.view(), None, queue, None)
    }

    /// [`Self::fit`] with each row counted `sample_weight[i]` times (finite, non-negative, not
    /// all zero over the ranks), as scikit-learn's `fit(X, sample_weight=...)`: the centres are
    /// weighted means, the inertia a weighted sum, and the seeding draws rows in proportion to
    /// their weights. With a queue the GPU finds each step's nearest centres and the host sums
    /// the weighted rows.
    pub fn fit_weighted<F: Float, S: Data<Elem = F>>(
        &self,
        x: &ArrayBase<S, Ix2>,
        sample_weight: ArrayView1<'_, f64>,
        queue: Option<&Queue>,
    ) -> Result<FittedKMeans> {
        self.fit_with(x.view(), Some(sample_weight), queue, None)
    }

    /// [`Self::fit`] with this rank's rows already on `queue`'s device (`rows`, the rows of `x`
    /// uploaded once with [`ResidentRows::upload`]), so that several fits share one upload.
    pub fn fit_resident<F: Float, S: Data<Elem = F>>(
        &self,
        x: &ArrayBase<S, Ix2>,
        rows: &ResidentRows,
        queue: &Queue,
    ) -> Result<FittedKMeans> {
        self.fit_with(x.view(), None, Some(queue), Some(rows))
    }

    pub(crate) fn fit_with<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        sample_weight: Option<ArrayView1<'_, f64>>,
        queue: Option<&Queue>,
        resident: Option<&ResidentRows>,
    ) -> Result<FittedKMeans> {
        let comm = comm_or_world(self.comm.as_ref())?;
        let backend = Backend::new(comm.rank(), queue);
        // Contiguous weights (a copy only for a strided view).
        let weights: Option<std::borrow::Cow<'_, [f64]>> =
            sample_weight.map(|w| match w.to_slice() {
                Some(s) => std::borrow::Cow::Borrowed(s),
                None => std::borrow::Cow::Owned(w.to_vec()),
            });
        let local = self
            .check(x.ncols())
            .and_then(|_| check_weights(sample_weight, x.nrows(), comm.rank()))
            .and_then(|_| {
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
        let weights = fit_weights(&comm, weights, x.nrows())?;
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
            weights: weights.as_deref(),
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
            let init_phase = rows.backend.phase("init");
            let centres = match &self.params.init {
                Init::Given(c) => c.clone(),
                Init::Random => init::random(&rows, k, seed)?,
                Init::KMeansPlusPlus => init::plus_plus(&rows, k, seed)?,
                Init::KMeansParallel => init::parallel(&rows, k, seed)?,
            };
            drop(init_phase);
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
        let step_phase = rows.backend.phase("step");
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
        drop(step_phase);
        let _labels_phase = rows.backend.phase("labels");
        let synced = stepper.sync(&mut labels).map(|_| Vec::new());
        allreduce_or_fail(comm, synced, 0)?;
        // On the device where the steps ran there (a failure there fails every rank).
        let local = stepper.inertia(rows, &centres, &labels).map(|v| vec![v]);
        let inertia = allreduce_or_fail(comm, local, 1)?[0];
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
        // (distance, global row, label, weight, the row).
        let width = 4 + d;
        let mut mine = vec![-1.0; empty.len() * width];
        let farthest = super::lloyd::farthest(rows.x, centres, labels, empty.len());
        for (slot, &(distance, i)) in farthest.iter().enumerate() {
            let record = &mut mine[slot * width..(slot + 1) * width];
            record[0] = distance;
            record[1] = (rows.offset + i as u64) as f64;
            record[2] = labels[i] as f64;
            record[3] = rows.weights.map_or(1.0, |w| w[i]);
            record[4..]
                .iter_mut()
                .zip(rows.x.row(i))
                .for_each(|(r, v)| *r = v.as_f64());
        }
        let all = rows.comm.allgather(&mine)?;
        let mut candidates: Vec<&[f64]> = all.chunks_exact(width).filter(|r| r[0] >= 0.0).collect();
        candidates.sort_by(|a, b| b[0].total_cmp(&a[0]).then(a[1].total_cmp(&b[1])));
        for (&cluster, record) in empty.iter().zip(candidates) {
            // As scikit-learn: the row leaves its cluster with its weight and is the new one.
            let (old, w) = (record[2] as usize, record[3]);
            let point = ArrayView1::from(&record[4..]);
            sums.row_mut(old).zip_mut_with(&point, |s, p| *s -= w * p);
            counts[old] -= w;
            sums.row_mut(cluster)
                .zip_mut_with(&point, |s, p| *s = w * p);
            counts[cluster] = w;
        }
        Ok(())
    }
}
