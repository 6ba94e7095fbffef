//! DBSCAN's two passes around the ring of ranks: each row's weighted neighbourhood (pass 1),
//! then the other ranks' core rows within eps (pass 2), on the GPU where one is given.

use std::collections::HashSet;

use spmd_comm::{Comm, ReduceOp};

use super::gpu::Gpu;
use super::pairs::{self, Finder};
use crate::neighbors::metric::Measure;
use crate::ring::{ring_pass, Block};
use crate::Result;

/// Neighbours among its own rank's rows a row keeps from the first pass (4 bytes each); a row
/// with more is searched again when the components are joined.
pub(super) const OWN_NEIGHBOURS: usize = 256;

/// This rank's rows, row-major in f64 (the ring carries them so), and where they start.
pub(super) struct LocalRows<'a> {
    pub(super) rows: &'a [f64],
    pub(super) width: usize,
    pub(super) first: u64,
}

impl LocalRows<'_> {
    pub(super) fn len(&self) -> usize {
        self.rows.len() / self.width.max(1)
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.rows[i * self.width..(i + 1) * self.width]
    }
}

/// What the first pass keeps of a row's neighbourhood among its own rank's rows.
#[derive(Debug, Clone, Default)]
pub(super) struct Own {
    /// Its weighted count.
    pub(super) count: f64,
    /// Its neighbours, while there are at most [`OWN_NEIGHBOURS`].
    pub(super) near: Vec<u32>,
    /// Whether it had more.
    pub(super) overflowed: bool,
}

/// The pair finder for these rows: the grid's coordinates from every rank's spread.
/// Collective (two allreduces).
pub(super) fn finder(
    comm: &Comm,
    measure: Measure,
    eps: f64,
    rows: &[f64],
    width: usize,
) -> Result<Finder> {
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

/// Pass 1: the weighted neighbourhood of each row over all ranks, as (what the first visit,
/// this rank's own rows, found: its count and its neighbours among them up to
/// [`OWN_NEIGHBOURS`]) and the other ranks' counts; and whether the device counted the own
/// rows (it keeps no neighbour lists: it joins them itself, [`super::gpu::DevicePairs::join_own`]).
/// Collective.
pub(super) fn neighbourhoods(
    comm: &Comm,
    (finder, gpu): (&Finder, &mut Gpu<'_>),
    local: &LocalRows<'_>,
    weight: impl Fn(usize) -> f64,
) -> Result<(Vec<Own>, Vec<f64>, bool)> {
    let (rows, width, n) = (local.rows, local.width, local.len());
    let mut own: Vec<Own> = vec![Own::default(); n];
    let mut counts = vec![0.0; n];
    let mut block = Block::starting_at(local.first, n * (width + 1));
    for i in 0..n {
        block.extend(local.row(i).iter().copied());
        block.extend([weight(i)]);
    }
    let mut visits = 0;
    let mut own_on_device = false;
    ring_pass(comm, block, |block| {
        visits += 1;
        let stride = width + 1;
        let values = block.values();
        let device = gpu.run(|device| device.counts(finder, rows, (values, stride)));
        let index = || finder.index(values, stride);
        match (device, visits == 1) {
            (Some((found, again)), own_rows) => {
                // The device counts; its overflowed rows come from the CPU. The own rows are
                // joined on the device too, once the core rows are known.
                if own_rows {
                    own.iter_mut().zip(&found).for_each(|(o, &c)| o.count += c);
                    own_on_device = true;
                } else {
                    counts.iter_mut().zip(&found).for_each(|(c, &f)| *c += f);
                }
                let add = |sum: &mut f64, j: usize| *sum += values[j * stride + width];
                let sums = cpu_rows(finder, rows, &again, (values, stride), &index(), add);
                again
                    .iter()
                    .zip(sums)
                    .for_each(|(&i, sum)| counts[i] += sum);
            }
            (None, true) => {
                finder.for_each_within(rows, (values, stride), &index(), &mut own, |own, j| {
                    own.count += values[j * stride + width];
                    if own.near.len() < OWN_NEIGHBOURS {
                        own.near.push(j as u32);
                    } else {
                        own.overflowed = true;
                    }
                });
            }
            (None, false) => {
                finder.for_each_within(
                    rows,
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
    Ok((own, counts, own_on_device))
}

/// Pass 2: the other ranks' core rows within eps of each row: for a core row, the edges between
/// its component and theirs; for another row, the components it touches (added to
/// `touching`). Collective.
pub(super) fn edges(
    comm: &Comm,
    (finder, gpu): (&Finder, &mut Gpu<'_>),
    local: &LocalRows<'_>,
    (core, component): (&[bool], &[u64]),
    touching: &mut [HashSet<u64>],
) -> Result<HashSet<(u64, u64)>> {
    let (rows, width, n) = (local.rows, local.width, local.len());
    let stride = width + 2;
    let mut block = Block::starting_at(local.first, n * stride);
    for i in 0..n {
        block.extend(local.row(i).iter().copied());
        block.extend([f64::from(u8::from(core[i])), component[i] as f64]);
    }
    let mut edges: HashSet<(u64, u64)> = HashSet::new();
    let mut visits = 0;
    ring_pass(comm, block, |block| {
        visits += 1;
        if visits == 1 {
            return; // this rank's own rows: joined before
        }
        let values = block.values();
        let m = values.len() / stride;
        let block_components: Vec<Option<u64>> = (0..m)
            .map(|j| {
                (values[j * stride + width] > 0.5).then(|| values[j * stride + width + 1] as u64)
            })
            .collect();
        let device =
            gpu.run(|device| device.components(finder, rows, (values, stride), &block_components));
        let index = || finder.index(values, stride);
        let collect = |near: &mut HashSet<u64>, j: usize| {
            if let Some(id) = block_components[j] {
                near.insert(id);
            }
        };
        let found: Vec<HashSet<u64>> = match device {
            Some((mut found, again)) => {
                let redone = cpu_rows(finder, rows, &again, (values, stride), &index(), collect);
                again
                    .iter()
                    .zip(redone)
                    .for_each(|(&i, near)| found[i] = near);
                found
            }
            None => {
                let mut found = vec![HashSet::new(); n];
                finder.for_each_within(rows, (values, stride), &index(), &mut found, collect);
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
    Ok(edges)
}
