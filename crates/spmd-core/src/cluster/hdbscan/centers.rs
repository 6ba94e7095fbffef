//! The centres scikit-learn's `store_centers` asks for: each cluster's mean weighted by its
//! rows' probabilities (one allreduce), and its medoid, the row whose distances to the other
//! rows of its cluster, weighted by their probabilities, add up least (one ring pass of the
//! clustered rows, then one allgatherv of each rank's best row per cluster).

use rayon::prelude::*;
use spmd_comm::{Comm, ReduceOp};

use crate::neighbors::metric::Measure;
use crate::ring::{ring_pass, Block};
use crate::Result;

/// This rank's finite rows (row-major), their width, labels and probabilities.
pub(super) type Clustered<'a> = (&'a [f64], usize, &'a [i64], &'a [f64]);

/// Each cluster's probability-weighted mean (scikit-learn's `centroids_`). Collective.
pub(super) fn centroids(
    comm: &Comm,
    (rows, width, labels, probabilities): Clustered<'_>,
    clusters: usize,
) -> Result<Vec<Vec<f64>>> {
    let stride = width + 1;
    let mut sums = vec![0.0; clusters * stride];
    for (i, (&label, &p)) in labels.iter().zip(probabilities).enumerate() {
        let Ok(c) = usize::try_from(label) else {
            continue;
        };
        let sum = &mut sums[c * stride..(c + 1) * stride];
        for (s, &v) in sum.iter_mut().zip(&rows[i * width..(i + 1) * width]) {
            *s += p * v;
        }
        sum[width] += p;
    }
    comm.allreduce_in_place(&mut sums, ReduceOp::Sum)?;
    Ok(sums
        .chunks_exact(stride)
        .map(|sum| sum[..width].iter().map(|s| s / sum[width]).collect())
        .collect())
}

/// Each cluster's medoid (scikit-learn's `medoids_`): the row of least sum of its distances to
/// the cluster's rows, each weighted by that row's probability; among equal sums, the row of
/// lower global index. Collective.
pub(super) fn medoids(
    comm: &Comm,
    measure: Measure,
    (rows, width, labels, probabilities): Clustered<'_>,
    (first, clusters): (u64, usize),
) -> Result<Vec<Vec<f64>>> {
    // The clustered rows by label: features, label, probability.
    let mut members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] >= 0).collect();
    members.sort_by_key(|&i| labels[i]);
    let stride = width + 2;
    let mut block = Block::starting_at(first, members.len() * stride);
    for &i in &members {
        block.extend(rows[i * width..(i + 1) * width].iter().copied());
        block.extend([labels[i] as f64, probabilities[i]]);
    }
    let mut totals = vec![0.0; members.len()];
    ring_pass(comm, block, |block| {
        let values = block.values();
        // The block's rows are sorted by label.
        let block_labels: Vec<f64> = values.chunks_exact(stride).map(|r| r[width]).collect();
        totals.par_iter_mut().enumerate().for_each(|(m, total)| {
            let i = members[m];
            let label = labels[i] as f64;
            let from = block_labels.partition_point(|&l| l < label);
            let to = block_labels.partition_point(|&l| l <= label);
            let row = &rows[i * width..(i + 1) * width];
            for j in from..to {
                let other = &values[j * stride..j * stride + width];
                let distance = measure.distance(measure.key(row, other));
                *total += distance * values[j * stride + width + 1];
            }
        });
    })?;
    // This rank's best row of each cluster: cluster, total, global index, features.
    let mut best: Vec<Option<(f64, u64, usize)>> = vec![None; clusters];
    for (m, &i) in members.iter().enumerate() {
        let c = labels[i] as usize;
        let candidate = (totals[m], first + i as u64, i);
        let better = best[c].is_none_or(|(t, id, _)| (candidate.0, candidate.1) < (t, id));
        if better {
            best[c] = Some(candidate);
        }
    }
    let message: Vec<f64> = best
        .iter()
        .enumerate()
        .filter_map(|(c, b)| b.map(|b| (c, b)))
        .flat_map(|(c, (total, id, i))| {
            let mut part = vec![c as f64, total, id as f64];
            part.extend_from_slice(&rows[i * width..(i + 1) * width]);
            part
        })
        .collect();
    let (gathered, _) = comm.allgatherv(&message)?;
    let mut chosen: Vec<Option<(f64, f64, Vec<f64>)>> = vec![None; clusters];
    for part in gathered.chunks_exact(width + 3) {
        let c = part[0] as usize;
        let better = chosen[c]
            .as_ref()
            .is_none_or(|(t, id, _)| (part[1], part[2]) < (*t, *id));
        if better {
            chosen[c] = Some((part[1], part[2], part[3..].to_vec()));
        }
    }
    Ok(chosen
        .into_iter()
        .map(|c| c.map_or_else(|| vec![f64::NAN; width], |(_, _, row)| row))
        .collect())
}
