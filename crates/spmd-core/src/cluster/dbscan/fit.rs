//! DBSCAN's fit: the two passes around the ring of ranks, and the join into clusters.

use std::collections::HashSet;

use ndarray::{Array1, ArrayBase, ArrayView1, ArrayView2, Data, Ix1, Ix2};
use spmd_comm::{Comm, ReduceOp};

use super::fitted::FittedDbscan;
use super::gpu::{DevicePairs, Gpu};
use super::join::{labels, own_components, own_components_on_device};
use super::pairs::Finder;
use super::params::Dbscan;
use super::passes::{edges, finder, neighbourhoods, LocalRows, Own};
use super::space::{self, Regions};
use crate::distributed::{agree, comm_or_world, global_shape, GlobalShape};
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
        let single = F::DTYPE == "float32";
        let by_space = space::plan(
            comm,
            (&finder, self.across),
            (&rows, width),
            (shape.row_offset, shape.rows),
        )?;
        if let Some(regions) = by_space {
            return self.fit_by_space(
                comm,
                (&finder, &regions),
                (&rows, width, shape),
                weight,
                (queue, weights.is_some(), single),
            );
        }
        let mut gpu = Gpu::open(queue, weights.is_some(), |queue| {
            DevicePairs::new(queue, (&rows, width), (measure, self.params.eps), single)
        });

        let (own, others, own_on_device) =
            neighbourhoods(comm, (&finder, &mut gpu), &local, weight)?;
        // Each row's own-rank count first, then the other ranks' in ring order.
        let counts: Vec<f64> = own.iter().zip(&others).map(|(a, b)| a.count + b).collect();
        let min_samples = self.params.min_samples as f64;
        let core: Vec<bool> = counts.iter().map(|&c| c >= min_samples).collect();
        let (component, mut touching) =
            components((&finder, &mut gpu), &local, (own, own_on_device), &core);
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

/// This rank's components of `local`'s rows (core rows joined through core rows within eps,
/// each named by its smallest row, plus `local.first`) and, for each row that is not core, the
/// components of its core neighbours: joined on the device where it counted the rows (`own`:
/// the first visit's neighbourhoods, and whether the device made them), else on the CPU.
fn components(
    (finder, gpu): (&Finder, &mut Gpu<'_>),
    local: &LocalRows<'_>,
    (mut own, own_on_device): (Vec<Own>, bool),
    core: &[bool],
) -> (Vec<u64>, Vec<HashSet<u64>>) {
    // Without core rows of its own a rank has nothing to join (every own row is its own
    // component and touches none).
    let has_core = core.contains(&true);
    let joined = (own_on_device && has_core)
        .then(|| gpu.run(|device| device.join_own(finder, local.rows, core)))
        .flatten();
    match joined {
        Some(joined) => own_components_on_device(finder, local, joined, core),
        None => {
            if own_on_device && has_core {
                // The device counted but failed to join: the CPU searches every row.
                own.iter_mut().for_each(|o| o.overflowed = true);
            }
            own_components(finder, local, own, core)
        }
    }
}

impl Dbscan {
    /// [`Self::fit_on`] by regions of space ([`space`]): each rank clusters its region's rows
    /// with its halo and sends the labels back. Collective.
    fn fit_by_space(
        &self,
        comm: &Comm,
        (finder, regions): (&Finder, &Regions),
        (rows, width, shape): (&[f64], usize, GlobalShape),
        weight: impl Fn(usize) -> f64,
        (queue, weighted, single): (Option<&Queue>, bool, bool),
    ) -> Result<FittedDbscan> {
        let n = rows.len() / width;
        let here = space::gather(
            comm,
            (regions, finder),
            (rows, width),
            weight,
            shape.row_offset,
        )?;
        let local = LocalRows {
            rows: &here.rows,
            width,
            first: 0,
        };
        let measure = finder.measure;
        let mut gpu = Gpu::open(queue, weighted, |queue| {
            DevicePairs::new(
                queue,
                (&here.rows, width),
                (measure, self.params.eps),
                single,
            )
        });
        // The neighbourhoods of the rows here among the rows here: whole for the region's own.
        let alone = Comm::single();
        let counted = neighbourhoods(&alone, (finder, &mut gpu), &local, |i| here.weights[i]);
        let (own, _, own_on_device) = agree(comm, counted)?;
        let min_samples = self.params.min_samples as f64;
        let mut core: Vec<bool> = own.iter().map(|o| o.count >= min_samples).collect();
        // A halo row's core status comes from its region's rank.
        let told = here.told_by_regions(comm, |i| u8::from(core[i]))?;
        for (c, told) in core.iter_mut().zip(&told) {
            if let Some(flag) = told {
                *c = *flag == 1;
            }
        }
        let (component, touching) =
            components((finder, &mut gpu), &local, (own, own_on_device), &core);
        // Components named by their smallest global row.
        let component: Vec<u64> = component.iter().map(|&c| here.global[c as usize]).collect();
        let touching: Vec<HashSet<u64>> = touching
            .into_iter()
            .map(|near| near.into_iter().map(|c| here.global[c as usize]).collect())
            .collect();
        // A halo core row's component on its region's rank joins its component here.
        let theirs = here.told_by_regions(comm, |i| component[i])?;
        let edges: HashSet<(u64, u64)> = theirs
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.filter(|_| core[i]).map(|t| (component[i], t)))
            .filter(|(a, b)| a != b)
            .collect();
        agree(comm, gpu.outcome())?;
        // Every component with core rows takes part in the join (one of halo rows only is
        // joined to their regions' through the edges); the halo rows' own labels are their
        // regions' to give.
        let (labels_here, n_clusters) = labels(comm, (&core, &component), &touching, edges)?;
        let own_core: Vec<bool> = core.iter().zip(&here.own).map(|(&c, &o)| c && o).collect();
        let labels = here.back(comm, n, |i| labels_here[i])?;
        let is_core = here.back(comm, n, |i| u8::from(own_core[i]))?;
        let core_sample_indices: Vec<u64> = (0..n)
            .filter(|&i| is_core[i] == 1)
            .map(|i| shape.row_offset + i as u64)
            .collect();
        let mut n_core = [core_sample_indices.len() as u64];
        comm.allreduce_in_place(&mut n_core, ReduceOp::Sum)?;
        Ok(FittedDbscan {
            labels: Array1::from(labels),
            core_sample_indices,
            n_clusters,
            n_core_samples: n_core[0],
            n_samples: shape.rows,
            n_features_in: width,
        })
    }
}
