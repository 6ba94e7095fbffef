//! DBSCAN's fit: the two passes around the ring of ranks, and the join into clusters.

use ndarray::{ArrayBase, ArrayView1, ArrayView2, Data, Ix1, Ix2};
use spmd_comm::{Comm, ReduceOp};

use super::fitted::FittedDbscan;
use super::gpu::{DevicePairs, Gpu};
use super::join::{labels, own_components, own_components_on_device};
use super::params::Dbscan;
use super::passes::{edges, finder, neighbourhoods, LocalRows};
use crate::distributed::{agree, comm_or_world, global_shape};
use crate::validate::{check_finite, check_weights};
use crate::{Error, Float, Queue, Result};

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
        x: ArrayView2<'_, F>,
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
        // Row-major f64 rows (the ring carries them so).
        let rows: Vec<f64> = x.rows().into_iter().flatten().map(|v| v.as_f64()).collect();
        let local = LocalRows {
            rows: &rows,
            width,
            first: shape.row_offset,
        };
        let weight = |i: usize| weights.map_or(1.0, |w| w[i]);
        let finder = finder(comm, measure, self.params.eps, &rows, width)?;
        tracing::debug!(grid_dims = finder.grid_dims(), "dbscan neighbourhoods");
        let mut gpu = Gpu::open(queue, weights.is_some(), |queue| {
            let single = F::DTYPE == "float32";
            DevicePairs::new(queue, (&rows, width), (measure, self.params.eps), single)
        });

        let (mut own, others, own_on_device) =
            neighbourhoods(comm, (&finder, &mut gpu), &local, weight)?;
        // Each row's own-rank count first, then the other ranks' in ring order.
        let counts: Vec<f64> = own.iter().zip(&others).map(|(a, b)| a.count + b).collect();
        let min_samples = self.params.min_samples as f64;
        let core: Vec<bool> = counts.iter().map(|&c| c >= min_samples).collect();
        // Without core rows of its own a rank has nothing to join (every own row is its own
        // component and touches none).
        let has_core = core.contains(&true);
        let joined = (own_on_device && has_core)
            .then(|| gpu.run(|device| device.join_own(&finder, &rows, &core)))
            .flatten();
        let (component, mut touching) = match joined {
            Some(joined) => own_components_on_device(&finder, &local, joined, &core),
            None => {
                if own_on_device && has_core {
                    // The device counted but failed to join: the CPU searches every row.
                    own.iter_mut().for_each(|o| o.overflowed = true);
                }
                own_components(&finder, &local, own, &core)
            }
        };
        let edges = edges(
            comm,
            (&finder, &mut gpu),
            &local,
            (&core, &component),
            &mut touching,
        )?;
        // A GPU failure on any rank is an error on every rank (the rest ran on the CPU).
        agree(comm, gpu.outcome())?;

        let (labels, n_clusters) = labels(comm, (&core, &component), &touching, edges)?;
        let core_sample_indices: Vec<u64> = (0..core.len())
            .filter(|&i| core[i])
            .map(|i| shape.row_offset + i as u64)
            .collect();
        let mut n_core = [core_sample_indices.len() as u64];
        comm.allreduce_in_place(&mut n_core, ReduceOp::Sum)?;
        Ok(FittedDbscan {
            labels,
            core_sample_indices,
            n_clusters,
            n_core_samples: n_core[0],
            n_samples: shape.rows,
            n_features_in: width,
        })
    }
}
