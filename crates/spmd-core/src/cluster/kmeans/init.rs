//! The first centres. Every random choice is a function of the seed and global row indices,
//! never of the rank, so the same seed picks the same rows for any number of ranks. With
//! sample weights, every draw is in proportion to the rows' weights (as scikit-learn draws).

use ndarray::{Array1, Array2, ArrayView1};
use spmd_comm::ReduceOp;

use super::gpu;
use super::lloyd::Rows;
use crate::backend::squared_distance;
use crate::distributed::agree;
use crate::random::{below, uniform, uniform_in, Stream};
use crate::{Error, Float, Result};

/// Streams of the counter-based generator, one per kind of draw.
const STREAM_FIRST: u64 = 0;
const STREAM_RANDOM: u64 = 1;
const STREAM_PLUS_PLUS: u64 = 1 << 32;
const STREAM_PARALLEL: u64 = 2 << 32;

/// Rounds of oversampling in k-means||.
const PARALLEL_ROUNDS: u64 = 5;

/// The rows with these global indices, in this order, gathered from the ranks that hold them.
pub(crate) fn fetch_rows<F: Float>(rows: &Rows<'_, F>, global: &[u64]) -> Result<Array2<f64>> {
    let d = rows.x.ncols();
    let end = rows.offset + rows.x.nrows() as u64;
    let mut mine = Vec::new();
    for (slot, &g) in global.iter().enumerate() {
        if g >= rows.offset && g < end {
            mine.push(slot as f64);
            mine.extend(
                rows.x
                    .row((g - rows.offset) as usize)
                    .iter()
                    .map(|v| v.as_f64()),
            );
        }
    }
    let (all, _) = rows.comm.allgatherv(&mine)?;
    let mut out = Array2::zeros((global.len(), d));
    for record in all.chunks_exact(d + 1) {
        out.row_mut(record[0] as usize)
            .assign(&ArrayView1::from(&record[1..]));
    }
    Ok(out)
}

/// `k` distinct global rows chosen uniformly (Floyd's algorithm), or with weights, in
/// proportion to them without replacement (the `k` smallest keys $-\ln(u_i) / w_i$).
pub(crate) fn random<F: Float>(rows: &Rows<'_, F>, k: usize, seed: u64) -> Result<Array2<f64>> {
    if let Some(weights) = rows.weights {
        return weighted_random(rows, weights, k, seed);
    }
    let n = rows.total;
    let mut chosen: Vec<u64> = Vec::with_capacity(k);
    for j in n - k as u64..n {
        let t = below(seed, STREAM_RANDOM, j, j + 1);
        chosen.push(if chosen.contains(&t) { j } else { t });
    }
    fetch_rows(rows, &chosen)
}

fn weighted_random<F: Float>(
    rows: &Rows<'_, F>,
    weights: &[f64],
    k: usize,
    seed: u64,
) -> Result<Array2<f64>> {
    let stream = Stream::new(seed, STREAM_RANDOM);
    let by_key = |a: &[f64; 2], b: &[f64; 2]| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1]));
    let mut mine: Vec<[f64; 2]> = weights
        .iter()
        .enumerate()
        .filter(|(_, &w)| w > 0.0)
        .map(|(i, &w)| {
            let row = rows.offset + i as u64;
            [-uniform_in(stream, row).ln() / w, row as f64]
        })
        .collect();
    mine.sort_by(by_key);
    mine.truncate(k);
    let (all, _) = rows.comm.allgatherv(mine.as_flattened())?;
    let mut all: Vec<[f64; 2]> = all.chunks_exact(2).map(|c| [c[0], c[1]]).collect();
    if all.len() < k {
        return Err(Error::InvalidParam {
            name: "n_clusters",
            value: k.to_string(),
            expected: "at most the number of rows of non-zero weight over all ranks",
        });
    }
    all.sort_by(by_key);
    let chosen: Vec<u64> = all[..k].iter().map(|c| c[1] as u64).collect();
    fetch_rows(rows, &chosen)
}

/// The first centre's global row: drawn uniformly, or with weights, in proportion to them.
/// Collective.
fn first_row<F: Float>(rows: &Rows<'_, F>, seed: u64) -> Result<u64> {
    match rows.weights {
        None => Ok(below(seed, STREAM_FIRST, 0, rows.total)),
        Some(weights) => {
            let local = local_race(weights, Stream::new(seed, STREAM_FIRST), rows.offset);
            Ok(race_winners(rows, &[local])?[0].unwrap_or(0))
        }
    }
}

/// This rank's best row of an exponential race with weights `weights` (this rank's rows): the
/// smallest $-\ln(u_i) / w_i$, ties to the lowest row, as (key, index among this rank's rows).
/// Sampling with probability proportional to the weights, decided by per-row draws.
fn local_race(weights: &[f64], stream: Stream, offset: u64) -> Option<(f64, usize)> {
    let mut best: Option<(f64, usize)> = None;
    for (i, &w) in weights.iter().enumerate() {
        if w > 0.0 {
            let key = -uniform_in(stream, offset + i as u64).ln() / w;
            if best.is_none_or(|(k, _)| key < k) {
                best = Some((key, i));
            }
        }
    }
    best
}

/// The global rows that win each race over all ranks, from each rank's best (`local`, one per
/// race): the smallest key, ties to the lowest global row; `None` where no rank had a row of
/// positive weight. Collective (one allgather).
fn race_winners<F: Float>(
    rows: &Rows<'_, F>,
    local: &[Option<(f64, usize)>],
) -> Result<Vec<Option<u64>>> {
    let mine: Vec<f64> = local
        .iter()
        .flat_map(|best| match best {
            Some((key, i)) => [*key, (rows.offset + *i as u64) as f64],
            None => [f64::INFINITY, f64::INFINITY],
        })
        .collect();
    let all = rows.comm.allgather(&mine)?;
    let races = local.len();
    Ok((0..races)
        .map(|t| {
            all.chunks_exact(2 * races)
                .map(|rank| &rank[2 * t..2 * t + 2])
                .filter(|c| c[0].is_finite())
                .min_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])))
                .map(|c| c[1] as u64)
        })
        .collect())
}

/// Each row's squared distance to its nearest chosen centre: on the host, or kept on the
/// device with the races and potentials run there.
enum Nearest<'a> {
    Host(Vec<f64>),
    Device(Box<gpu::SeedingOnDevice<'a>>),
}

impl<'a> Nearest<'a> {
    fn new<F: Float>(rows: &Rows<'a, F>, trials: usize) -> Result<Self> {
        if rows.weights.is_some() {
            // Weighted draws and potentials are the host's (every rank has weights or none).
            return Ok(Nearest::Host(Vec::new()));
        }
        let device = gpu::SeedingOnDevice::new(&rows.backend, rows.device, trials);
        Ok(match agree(rows.comm, device)? {
            Some(device) => Nearest::Device(Box::new(device)),
            None => Nearest::Host(Vec::new()),
        })
    }

    /// Lowers the distances to `centre` (sets them, for the first), the candidate `index` of
    /// the last [`Self::potentials`], then this rank's best row of each stream's race.
    fn add_and_draw<F: Float>(
        &mut self,
        rows: &Rows<'_, F>,
        (centre, index): (ArrayView1<'_, f64>, Option<usize>),
        streams: &[Stream],
    ) -> Result<Vec<Option<(f64, usize)>>> {
        match self {
            Nearest::Device(device) => {
                let bases: Vec<u64> = streams.iter().map(|s| s.base()).collect();
                // The device kept each candidate's lowered distances.
                device.add_and_draw(index.ok_or(centre), &bases, rows.offset)
            }
            Nearest::Host(d2) => {
                let fresh = d2.is_empty();
                d2.resize(rows.x.nrows(), f64::INFINITY);
                for (r, d) in rows.x.rows().into_iter().zip(d2.iter_mut()) {
                    let distance = squared_distance(r, centre);
                    *d = if fresh { distance } else { d.min(distance) };
                }
                let scores: std::borrow::Cow<'_, [f64]> = match rows.weights {
                    None => d2.as_slice().into(),
                    Some(w) => d2
                        .iter()
                        .zip(w)
                        .map(|(d, w)| w * d)
                        .collect::<Vec<_>>()
                        .into(),
                };
                Ok(streams
                    .iter()
                    .map(|&stream| local_race(&scores, stream, rows.offset))
                    .collect())
            }
        }
    }

    /// The potential each of `candidates` would leave over this rank's rows.
    fn potentials<F: Float>(
        &self,
        rows: &Rows<'_, F>,
        candidates: &Array2<f64>,
    ) -> Result<Vec<f64>> {
        match self {
            Nearest::Device(device) => device.potentials(candidates),
            Nearest::Host(d2) => Ok(candidates
                .rows()
                .into_iter()
                .map(|cand| {
                    rows.x
                        .rows()
                        .into_iter()
                        .zip(d2)
                        .enumerate()
                        .map(|(i, (r, &d))| {
                            rows.weights.map_or(1.0, |w| w[i]) * d.min(squared_distance(r, cand))
                        })
                        .sum()
                })
                .collect()),
        }
    }
}

/// Greedy k-means++ (scikit-learn's): each new centre is the best, by resulting potential, of
/// `2 + ln k` candidates drawn with probability proportional to the squared distance. With
/// the rows on a GPU, the distances, draws and potentials are computed there from the same
/// random numbers, so the same rows are drawn (up to the rounding of near-equal keys).
pub(crate) fn plus_plus<F: Float>(rows: &Rows<'_, F>, k: usize, seed: u64) -> Result<Array2<f64>> {
    let trials = 2 + (k as f64).ln() as usize;
    let mut nearest = Nearest::new(rows, trials)?;
    let first = first_row(rows, seed)?;
    let mut centres = fetch_rows(rows, &[first])?;
    let mut chosen = (centres.row(0).to_owned(), None);
    for c in 1..k {
        let streams: Vec<u64> = (0..trials)
            .map(|t| STREAM_PLUS_PLUS + (c * trials + t) as u64)
            .collect();
        let bases: Vec<Stream> = streams.iter().map(|&s| Stream::new(seed, s)).collect();
        // A device failure on one rank fails every rank.
        let local = agree(
            rows.comm,
            nearest.add_and_draw(rows, (chosen.0.view(), chosen.1), &bases),
        )?;
        let winners = race_winners(rows, &local)?;
        // Every row already coincides with a centre: any row will do.
        let candidates: Vec<u64> = winners
            .iter()
            .zip(&streams)
            .map(|(w, &stream)| w.unwrap_or_else(|| below(seed, stream, 0, rows.total)))
            .collect();
        let candidate_rows = fetch_rows(rows, &candidates)?;
        let mut potentials = agree(rows.comm, nearest.potentials(rows, &candidate_rows))?;
        rows.comm
            .allreduce_in_place(&mut potentials, ReduceOp::Sum)?;
        let best = (0..trials)
            .min_by(|&a, &b| potentials[a].total_cmp(&potentials[b]))
            .unwrap_or(0);
        chosen = (candidate_rows.row(best).to_owned(), Some(best));
        centres
            .push_row(chosen.0.view())
            .map_err(|e| Error::Input(e.to_string()))?;
    }
    Ok(centres)
}

/// k-means|| (Bahmani et al.): rounds in which each row joins the candidates with probability
/// $\min(1, 2k\,D^2 / \phi)$, then greedy k-means++ on the candidates weighted by how many rows
/// each is nearest to. Every rank holds the same candidates in global row order.
pub(crate) fn parallel<F: Float>(rows: &Rows<'_, F>, k: usize, seed: u64) -> Result<Array2<f64>> {
    let weight = |i: usize| rows.weights.map_or(1.0, |w| w[i]);
    let first = first_row(rows, seed)?;
    let mut candidates = fetch_rows(rows, &[first])?;
    let mut d2: Vec<f64> = rows
        .x
        .rows()
        .into_iter()
        .map(|r| squared_distance(r, candidates.row(0)))
        .collect();
    let oversampling = 2.0 * k as f64;
    for round in 0..PARALLEL_ROUNDS {
        let local_phi = d2
            .iter()
            .enumerate()
            .map(|(i, d)| weight(i) * d)
            .sum::<f64>();
        let phi = rows.comm.allreduce_scalar(local_phi, ReduceOp::Sum)?;
        if phi <= 0.0 {
            break;
        }
        let stream = STREAM_PARALLEL + round;
        let picked: Vec<u64> = d2
            .iter()
            .enumerate()
            .filter(|(i, &d)| {
                uniform(seed, stream, rows.offset + *i as u64) < oversampling * weight(*i) * d / phi
            })
            .map(|(i, _)| rows.offset + i as u64)
            .collect();
        let (picked, _) = rows.comm.allgatherv(&picked)?;
        let new_rows = fetch_rows(rows, &picked)?;
        for new in new_rows.rows() {
            for (r, d) in rows.x.rows().into_iter().zip(d2.iter_mut()) {
                *d = d.min(squared_distance(r, new));
            }
            candidates
                .push_row(new)
                .map_err(|e| Error::Input(e.to_string()))?;
        }
    }
    if candidates.nrows() <= k {
        return plus_plus(rows, k, seed);
    }
    // Weight of a candidate: the (weights of the) rows nearest to it, over all ranks.
    let mut weights = vec![0.0; candidates.nrows()];
    for (i, r) in rows.x.rows().into_iter().enumerate() {
        let nearest = (0..candidates.nrows())
            .min_by(|&a, &b| {
                squared_distance(r, candidates.row(a))
                    .total_cmp(&squared_distance(r, candidates.row(b)))
            })
            .unwrap_or(0);
        weights[nearest] += weight(i);
    }
    rows.comm.allreduce_in_place(&mut weights, ReduceOp::Sum)?;
    Ok(weighted_plus_plus(
        &candidates,
        &Array1::from(weights),
        k,
        seed,
    ))
}

/// Greedy k-means++ on weighted points held by every rank (deterministic, no communication).
fn weighted_plus_plus(
    points: &Array2<f64>,
    weights: &Array1<f64>,
    k: usize,
    seed: u64,
) -> Array2<f64> {
    let n = points.nrows();
    let dist = |a: usize, c: ArrayView1<'_, f64>| -> f64 {
        points
            .row(a)
            .iter()
            .zip(c)
            .map(|(x, y)| (x - y).powi(2))
            .sum()
    };
    let pick = |scores: &[f64], stream: u64| -> usize {
        (0..n)
            .filter(|&i| scores[i] > 0.0)
            .min_by(|&a, &b| {
                (-uniform(seed, stream, a as u64).ln() / scores[a])
                    .total_cmp(&(-uniform(seed, stream, b as u64).ln() / scores[b]))
            })
            .unwrap_or(0)
    };
    let first = pick(weights.as_slice().unwrap_or(&[]), STREAM_PARALLEL + 1000);
    let mut centres = vec![first];
    let mut d2: Vec<f64> = (0..n).map(|i| dist(i, points.row(first))).collect();
    let trials = 2 + (k as f64).ln() as usize;
    while centres.len() < k {
        let scores: Vec<f64> = (0..n).map(|i| weights[i] * d2[i]).collect();
        let c = centres.len();
        let best = (0..trials)
            .map(|t| pick(&scores, STREAM_PARALLEL + 2000 + (c * trials + t) as u64))
            .min_by(|&a, &b| {
                let potential = |cand: usize| -> f64 {
                    (0..n)
                        .map(|i| weights[i] * d2[i].min(dist(i, points.row(cand))))
                        .sum()
                };
                potential(a).total_cmp(&potential(b))
            })
            .unwrap_or(0);
        for (i, d) in d2.iter_mut().enumerate() {
            *d = d.min(dist(i, points.row(best)));
        }
        centres.push(best);
    }
    Array2::from_shape_fn((k, points.ncols()), |(i, j)| points[[centres[i], j]])
}
