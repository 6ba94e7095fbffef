//! A line search for the strong Wolfe conditions (Nocedal and Wright, algorithms 3.5 and 3.6,
//! with safeguarded cubic interpolation).

use super::{axpy, dot, Objective};
use crate::Result;

/// Sufficient decrease.
const C1: f64 = 1e-4;
/// Curvature (0.9 suits quasi-Newton and Newton directions).
const C2: f64 = 0.9;
/// Evaluations at most per search (scikit-learn asks L-BFGS-B for 50).
const MAX_EVALUATIONS: usize = 50;

/// An accepted step: the point, its value and gradient. It is always the latest point the
/// objective evaluated, so its Hessian state is current.
pub(super) struct Step {
    pub x: Vec<f64>,
    pub value: f64,
    pub gradient: Vec<f64>,
}

/// One trial: step length, value, directional derivative.
#[derive(Clone, Copy)]
struct Trial {
    alpha: f64,
    value: f64,
    slope: f64,
}

/// Searches along `direction` from `x` (value `value`, gradient `gradient`) starting with step
/// `alpha`. `None` when the direction does not descend or no acceptable step was found.
pub(super) fn strong_wolfe(
    objective: &mut impl Objective,
    x: &[f64],
    value: f64,
    gradient: &[f64],
    direction: &[f64],
    alpha: f64,
) -> Result<Option<Step>> {
    let slope0 = dot(gradient, direction);
    if slope0.is_nan() || slope0 >= 0.0 {
        return Ok(None);
    }
    let mut search = Search {
        objective,
        x,
        direction,
        value0: value,
        slope0,
        evaluations: 0,
    };
    let mut previous = Trial {
        alpha: 0.0,
        value,
        slope: slope0,
    };
    let mut alpha = alpha;
    while search.evaluations < MAX_EVALUATIONS {
        let (trial, step) = search.evaluate(alpha)?;
        if !search.sufficient(&trial) || (search.evaluations > 1 && trial.value >= previous.value) {
            return search.zoom(previous, trial);
        }
        if trial.slope.abs() <= -C2 * slope0 {
            return Ok(Some(step));
        }
        if trial.slope >= 0.0 {
            return search.zoom(trial, previous);
        }
        alpha = extrapolate(&previous, &trial);
        previous = trial;
    }
    Ok(None)
}

struct Search<'a, O> {
    objective: &'a mut O,
    x: &'a [f64],
    direction: &'a [f64],
    value0: f64,
    slope0: f64,
    evaluations: usize,
}

impl<O: Objective> Search<'_, O> {
    fn evaluate(&mut self, alpha: f64) -> Result<(Trial, Step)> {
        let mut x = self.x.to_vec();
        axpy(alpha, self.direction, &mut x);
        let (value, gradient) = self.objective.value_gradient(&x)?;
        self.evaluations += 1;
        // A non-finite value counts as far too large: the search shortens the step.
        let value = if value.is_finite() {
            value
        } else {
            f64::INFINITY
        };
        let slope = dot(&gradient, self.direction);
        Ok((
            Trial {
                alpha,
                value,
                slope,
            },
            Step { x, value, gradient },
        ))
    }

    fn sufficient(&self, t: &Trial) -> bool {
        t.value <= self.value0 + C1 * t.alpha * self.slope0
    }

    /// Narrows `[lo, hi]` (lo: the best step so far satisfying sufficient decrease) until a
    /// step meets both conditions.
    fn zoom(&mut self, mut lo: Trial, mut hi: Trial) -> Result<Option<Step>> {
        while self.evaluations < MAX_EVALUATIONS {
            let width = (hi.alpha - lo.alpha).abs();
            if width <= f64::EPSILON * lo.alpha.abs().max(1e-300) {
                return Ok(None);
            }
            let alpha = interpolate(&lo, &hi);
            let (trial, step) = self.evaluate(alpha)?;
            if !self.sufficient(&trial) || trial.value >= lo.value {
                hi = trial;
            } else {
                if trial.slope.abs() <= -C2 * self.slope0 {
                    return Ok(Some(step));
                }
                if trial.slope * (hi.alpha - lo.alpha) >= 0.0 {
                    hi = lo;
                }
                lo = trial;
            }
        }
        Ok(None)
    }
}

/// A longer step when the slope at `trial` is still negative: where the secant of the slopes
/// at `previous` and `trial` reaches zero (exact for a quadratic), between 2 and 64 times
/// `trial`'s step. The first step of a quasi-Newton method is often far too short; this
/// reaches the minimum along the line in one more evaluation rather than many doublings.
fn extrapolate(previous: &Trial, trial: &Trial) -> f64 {
    let rise = trial.slope - previous.slope;
    let secant = trial.alpha - trial.slope * (trial.alpha - previous.alpha) / rise;
    if rise > 0.0 && secant.is_finite() {
        secant.clamp(2.0 * trial.alpha, 64.0 * trial.alpha)
    } else {
        4.0 * trial.alpha
    }
}

/// The minimiser of the cubic through `a` and `b` (values and slopes), kept inside the middle
/// 80% of the interval; bisection when the cubic has no usable minimum.
fn interpolate(a: &Trial, b: &Trial) -> f64 {
    let (lo, hi) = if a.alpha < b.alpha { (a, b) } else { (b, a) };
    let bisect = 0.5 * (lo.alpha + hi.alpha);
    let margin = 0.1 * (hi.alpha - lo.alpha);
    if !hi.value.is_finite() {
        return bisect;
    }
    let d1 = lo.slope + hi.slope - 3.0 * (lo.value - hi.value) / (lo.alpha - hi.alpha);
    let radicand = d1 * d1 - lo.slope * hi.slope;
    if radicand < 0.0 {
        return bisect;
    }
    let d2 = radicand.sqrt();
    let alpha =
        hi.alpha - (hi.alpha - lo.alpha) * (hi.slope + d2 - d1) / (hi.slope - lo.slope + 2.0 * d2);
    if alpha.is_finite() {
        alpha.clamp(lo.alpha + margin, hi.alpha - margin)
    } else {
        bisect
    }
}
