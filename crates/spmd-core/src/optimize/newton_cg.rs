//! Truncated Newton: conjugate gradients on Hessian-vector products, as scikit-learn's
//! `newton-cg` solver runs it.

use super::line_search::strong_wolfe;
use super::{axpy, dot, max_abs, Minimum, Objective};
use crate::Result;

/// Settings of [`newton_cg`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NewtonCgOptions {
    /// Newton iterations at most.
    pub max_iter: usize,
    /// Stop when the largest gradient component is at most this.
    pub tol: f64,
    /// Conjugate-gradient iterations at most per Newton step.
    pub max_inner: usize,
}

impl Default for NewtonCgOptions {
    fn default() -> Self {
        Self {
            max_iter: 100,
            tol: 1e-4,
            max_inner: 200,
        }
    }
}

/// Minimises `objective` from `x0`.
pub fn newton_cg(
    objective: &mut impl Objective,
    x0: Vec<f64>,
    options: &NewtonCgOptions,
) -> Result<Minimum> {
    let mut x = x0;
    let (mut value, mut gradient) = objective.value_gradient(&x)?;
    let mut iterations = 0;
    let mut converged = false;
    while iterations < options.max_iter {
        if max_abs(&gradient) <= options.tol {
            converged = true;
            break;
        }
        // Forcing sequence: solve H p = -g to a relative accuracy that tightens near the
        // minimum (scikit-learn's eta = min(0.5, sqrt(|g|_1))).
        let l1: f64 = gradient.iter().map(|g| g.abs()).sum();
        let direction = conjugate_gradient(
            objective,
            &gradient,
            options.max_inner,
            l1.sqrt().min(0.5) * l1,
        )?;
        let Some(step) = strong_wolfe(objective, &x, value, &gradient, &direction, 1.0)? else {
            tracing::warn!(iterations, "Newton-CG line search found no acceptable step");
            break;
        };
        iterations += 1;
        x = step.x;
        value = step.value;
        gradient = step.gradient;
    }
    if !converged && max_abs(&gradient) <= options.tol {
        converged = true;
    }
    Ok(Minimum {
        x,
        value,
        gradient,
        iterations,
        converged,
    })
}

/// Approximately solves $H p = -g$ by conjugate gradients, stopping when the residual's
/// 1-norm is at most `tol`, on the iteration limit, or on non-positive curvature.
fn conjugate_gradient(
    objective: &mut impl Objective,
    gradient: &[f64],
    max_iter: usize,
    tol: f64,
) -> Result<Vec<f64>> {
    let tiny = 16.0 * f64::EPSILON;
    let mut p = vec![0.0; gradient.len()];
    let mut residual = gradient.to_vec();
    let mut direction: Vec<f64> = gradient.iter().map(|g| -g).collect();
    let mut rr = dot(&residual, &residual);
    let mut direction_norm2 = rr;
    for i in 0..=max_iter {
        if residual.iter().map(|r| r.abs()).sum::<f64>() <= tol {
            break;
        }
        let hd = objective.hessian_product(&direction)?;
        let curvature = dot(&direction, &hd);
        if (0.0..=tiny * direction_norm2).contains(&curvature) {
            break;
        }
        if curvature < 0.0 {
            if i == 0 {
                // Negative curvature at once: fall back to steepest descent.
                axpy(rr / curvature.abs(), &direction, &mut p);
            }
            break;
        }
        let alpha = rr / curvature;
        axpy(alpha, &direction, &mut p);
        axpy(alpha, &hd, &mut residual);
        let rr_next = dot(&residual, &residual);
        let beta = rr_next / rr;
        direction
            .iter_mut()
            .zip(&residual)
            .for_each(|(d, r)| *d = -r + beta * *d);
        direction_norm2 = rr_next + beta * beta * direction_norm2;
        rr = rr_next;
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optimize::test_functions::Rosenbrock;

    #[test]
    fn finds_the_rosenbrock_minimum() -> Result<()> {
        let options = NewtonCgOptions {
            tol: 1e-9,
            max_iter: 200,
            ..Default::default()
        };
        let min = newton_cg(&mut Rosenbrock([0.0; 2]), vec![-1.2, 1.0], &options)?;
        assert!(min.converged, "{min:?}");
        assert!(
            (min.x[0] - 1.0).abs() < 1e-7 && (min.x[1] - 1.0).abs() < 1e-7,
            "{min:?}"
        );
        Ok(())
    }
}
