//! The distances the neighbour searches rank by, computed exactly in f64.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A distance between rows, under scikit-learn's names. `minkowski` with `p = 2` (scikit-learn's
/// default) is the euclidean distance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// $(\sum_j |a_j - b_j|^p)^{1/p}$, with `p` from the parameters.
    #[default]
    Minkowski,
    /// $\sqrt{\sum_j (a_j - b_j)^2}$.
    Euclidean,
    /// $\sum_j (a_j - b_j)^2$.
    Sqeuclidean,
    /// $\sum_j |a_j - b_j|$.
    Manhattan,
    /// $\max_j |a_j - b_j|$.
    Chebyshev,
    /// $1 - a \cdot b / (\lVert a \rVert \lVert b \rVert)$; a zero row is at distance 1 from
    /// every row, as scikit-learn's `cosine_distances` has it.
    Cosine,
}

/// A [`Metric`] with its exponent, ready to measure: ranks rows by a key that orders like the
/// distance (the p-th power for Minkowski, so no root is taken per pair) and turns the winners'
/// keys into distances.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Measure {
    /// Sum of `|d|^p`, then its p-th root.
    Power(f64),
    /// Sum of squares, then its square root (euclidean).
    Squares { root: bool },
    /// Sum of `|d|`.
    Manhattan,
    /// Max of `|d|`.
    Chebyshev,
    /// Cosine distance of rows normalised once ([`Measure::prepare`]).
    Cosine,
}

impl Metric {
    /// The measure for exponent `p` (used by Minkowski only); an error for `p < 1`.
    pub(crate) fn measure(self, p: f64) -> Result<Measure> {
        Ok(match self {
            Metric::Minkowski if !p.is_finite() || p < 1.0 => {
                return Err(Error::InvalidParam {
                    name: "p",
                    value: p.to_string(),
                    expected: "a finite number >= 1",
                })
            }
            Metric::Minkowski if p == 2.0 => Measure::Squares { root: true },
            Metric::Minkowski if p == 1.0 => Measure::Manhattan,
            Metric::Minkowski => Measure::Power(p),
            Metric::Euclidean => Measure::Squares { root: true },
            Metric::Sqeuclidean => Measure::Squares { root: false },
            Metric::Manhattan => Measure::Manhattan,
            Metric::Chebyshev => Measure::Chebyshev,
            Metric::Cosine => Measure::Cosine,
        })
    }
}

impl Measure {
    /// The row as the measure reads it: divided by its norm for cosine (a zero row stays zero),
    /// unchanged otherwise.
    pub(crate) fn prepare(self, row: &mut [f64]) {
        if self == Measure::Cosine {
            let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
            if norm > 0.0 {
                row.iter_mut().for_each(|v| *v /= norm);
            }
        }
    }

    /// The ranking key of prepared rows `a` and `b`: smaller is nearer, in the order of the
    /// distance.
    #[inline]
    pub(crate) fn key(self, a: &[f64], b: &[f64]) -> f64 {
        let pairs = a.iter().zip(b);
        match self {
            Measure::Squares { .. } => pairs.map(|(x, y)| (x - y) * (x - y)).sum(),
            Measure::Manhattan => pairs.map(|(x, y)| (x - y).abs()).sum(),
            Measure::Chebyshev => pairs.map(|(x, y)| (x - y).abs()).fold(0.0, f64::max),
            Measure::Power(p) => pairs.map(|(x, y)| (x - y).abs().powf(p)).sum(),
            Measure::Cosine => {
                let dot: f64 = pairs.map(|(x, y)| x * y).sum();
                let zero = |r: &[f64]| r.iter().all(|v| *v == 0.0);
                if zero(a) || zero(b) {
                    1.0
                } else {
                    (1.0 - dot).clamp(0.0, 2.0)
                }
            }
        }
    }

    /// [`Self::key`], or `None` as soon as a partial sum (or maximum) exceeds `limit`: the
    /// terms are never negative, so the key would too. A key that is computed is the same to
    /// the last bit as [`Self::key`]'s (the same terms added in the same order).
    pub(crate) fn key_within(self, a: &[f64], b: &[f64], limit: f64) -> Option<f64> {
        /// Terms between two looks at the partial sum.
        const STEP: usize = 8;
        let term: fn(f64, f64, f64) -> f64 = match self {
            Measure::Squares { .. } => |x, y, _| (x - y) * (x - y),
            Measure::Manhattan | Measure::Chebyshev => |x, y, _| (x - y).abs(),
            Measure::Power(_) => |x, y, p| (x - y).abs().powf(p),
            Measure::Cosine => return Some(self.key(a, b)),
        };
        let p = if let Measure::Power(p) = self { p } else { 0.0 };
        let mut partial = 0.0;
        for (a, b) in a.chunks(STEP).zip(b.chunks(STEP)) {
            for (&x, &y) in a.iter().zip(b) {
                let t = term(x, y, p);
                partial = if self == Measure::Chebyshev {
                    f64::max(partial, t)
                } else {
                    partial + t
                };
            }
            if partial > limit {
                return None;
            }
        }
        Some(partial)
    }

    /// A key no row inside the box `low..=high` (per column) can be below for row `a`: each
    /// column's gap to the box is at most the row's difference, and the terms are rounded and
    /// added as [`Self::key`] adds them, so the bound is not above any such row's key; `None`
    /// for cosine, whose rows are not bounded that way.
    #[inline]
    pub(crate) fn lower_bound(self, a: &[f64], low: &[f64], high: &[f64]) -> Option<f64> {
        let gaps = a
            .iter()
            .zip(low.iter().zip(high))
            .map(|(&x, (&lo, &hi))| (lo - x).max(x - hi).max(0.0));
        Some(match self {
            Measure::Squares { .. } => gaps.map(|g| g * g).sum(),
            Measure::Manhattan => gaps.sum(),
            Measure::Chebyshev => gaps.fold(0.0, f64::max),
            Measure::Power(p) => gaps.map(|g| g.powf(p)).sum(),
            Measure::Cosine => return None,
        })
    }

    /// The distance of a ranking key.
    pub(crate) fn distance(self, key: f64) -> f64 {
        match self {
            Measure::Squares { root: true } => key.sqrt(),
            Measure::Power(p) => key.powf(1.0 / p),
            _ => key,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_against_its_closed_form() {
        let (a, b) = ([1.0, -2.0, 3.0], [4.0, 2.0, 3.0]);
        let distance = |metric: Metric, p: f64| {
            let m = metric.measure(p).unwrap();
            let (mut a, mut b) = (a, b);
            m.prepare(&mut a);
            m.prepare(&mut b);
            m.distance(m.key(&a, &b))
        };
        assert_eq!(distance(Metric::Euclidean, 2.0), 5.0);
        assert_eq!(distance(Metric::Minkowski, 2.0), 5.0);
        assert_eq!(distance(Metric::Sqeuclidean, 2.0), 25.0);
        assert_eq!(distance(Metric::Manhattan, 2.0), 7.0);
        assert_eq!(distance(Metric::Minkowski, 1.0), 7.0);
        assert_eq!(distance(Metric::Chebyshev, 2.0), 4.0);
        let cube = (27.0_f64 + 64.0).powf(1.0 / 3.0);
        assert!((distance(Metric::Minkowski, 3.0) - cube).abs() < 1e-12);
        let cosine = 1.0 - (4.0 - 4.0 + 9.0) / (14.0_f64.sqrt() * 29.0_f64.sqrt());
        assert!((distance(Metric::Cosine, 2.0) - cosine).abs() < 1e-12);
        assert!(Metric::Minkowski.measure(0.5).is_err());
    }

    #[test]
    fn a_key_within_a_limit_is_the_key_to_the_last_bit_or_none_above_it() {
        let a: Vec<f64> = (0..19).map(|i| (i as f64 * 0.37).sin()).collect();
        let b: Vec<f64> = (0..19).map(|i| (i as f64 * 0.91).cos()).collect();
        for measure in [
            Measure::Squares { root: true },
            Measure::Manhattan,
            Measure::Chebyshev,
            Measure::Power(3.0),
            Measure::Cosine,
        ] {
            let key = measure.key(&a, &b);
            assert_eq!(measure.key_within(&a, &b, key), Some(key), "{measure:?}");
            assert_eq!(measure.key_within(&a, &b, f64::INFINITY), Some(key));
            if measure != Measure::Cosine {
                assert_eq!(measure.key_within(&a, &b, key * 0.5), None, "{measure:?}");
            }
        }
    }
}
