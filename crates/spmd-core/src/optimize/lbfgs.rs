//! Limited-memory BFGS with the stopping rules scipy's L-BFGS-B uses for scikit-learn.

use std::collections::VecDeque;

use super::line_search::strong_wolfe;
use super::{axpy, dot, max_abs, Minimum, Objective};
use crate::Result;

/// Settings of [`lbfgs`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LbfgsOptions {
    /// Iterations at most.
    pub max_iter: usize,
    /// Stop when the largest gradient component is at most this (scipy's `gtol`, scikit-learn's
    /// `tol`).
    pub gtol: f64,
    /// Stop when an iteration lowers the value by at most this fraction (scipy's `ftol`;
    /// scikit-learn passes 64 machine epsilons).
    pub ftol: f64,
    /// Correction pairs kept (scipy's `maxcor`).
    pub memory: usize,
}

impl Default for LbfgsOptions {
    fn default() -> Self {
        Self {
            max_iter: 100,
            gtol: 1e-4,
            ftol: 64.0 * f64::EPSILON,
            memory: 10,
        }
    }
}

/// Minimises `objective` from `x0`.
///
/// ```
/// # use spmd_core::optimize::{lbfgs, LbfgsOptions, Objective};
/// struct Bowl;
/// impl Objective for Bowl {
///     fn value_gradient(&mut self, w: &[f64]) -> spmd_core::Result<(f64, Vec<f64>)> {
///         Ok(((w[0] - 1.0).powi(2) + 10.0 * w[1].powi(2), vec![2.0 * (w[0] - 1.0), 20.0 * w[1]]))
///     }
///     fn hessian_product(&mut self, v: &[f64]) -> spmd_core::Result<Vec<f64>> {
///         Ok(vec![2.0 * v[0], 20.0 * v[1]])
///     }
/// }
/// let min = lbfgs(&mut Bowl, vec![0.0, 1.0], &LbfgsOptions { gtol: 1e-10, ..Default::default() })?;
/// assert!(min.converged && (min.x[0] - 1.0).abs() < 1e-9 && min.x[1].abs() < 1e-9);
/// # Ok::<(), spmd_core::Error>(())
/// ```
pub fn lbfgs(
    objective: &mut impl Objective,
    x0: Vec<f64>,
    options: &LbfgsOptions,
) -> Result<Minimum> {
    let mut x = x0;
    let (mut value, mut gradient) = objective.value_gradient(&x)?;
    let mut history: VecDeque<(Vec<f64>, Vec<f64>, f64)> = VecDeque::new();
    let mut iterations = 0;
    let mut converged = max_abs(&gradient) <= options.gtol;
    while !converged && iterations < options.max_iter {
        let direction = two_loop(&gradient, &history);
        // The first step is scaled to length 1, as L-BFGS-B does; later ones are 1.
        let alpha = if history.is_empty() {
            1.0 / dot(&direction, &direction).sqrt().max(1.0)
        } else {
            1.0
        };
        let Some(step) = strong_wolfe(objective, &x, value, &gradient, &direction, alpha)? else {
            tracing::warn!(iterations, "L-BFGS line search found no acceptable step");
            break;
        };
        iterations += 1;
        let s: Vec<f64> = step.x.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = step
            .gradient
            .iter()
            .zip(&gradient)
            .map(|(a, b)| a - b)
            .collect();
        let sy = dot(&s, &y);
        if sy > f64::EPSILON * dot(&y, &y) {
            if history.len() == options.memory {
                history.pop_front();
            }
            history.push_back((s, y, 1.0 / sy));
        }
        let decrease = (value - step.value) / value.abs().max(step.value.abs()).max(1.0);
        x = step.x;
        value = step.value;
        gradient = step.gradient;
        converged = max_abs(&gradient) <= options.gtol || decrease <= options.ftol;
    }
    Ok(Minimum {
        x,
        value,
        gradient,
        iterations,
        converged,
    })
}

/// $-H g$ for the L-BFGS inverse-Hessian approximation $H$ of `history`.
fn two_loop(gradient: &[f64], history: &VecDeque<(Vec<f64>, Vec<f64>, f64)>) -> Vec<f64> {
    let mut q: Vec<f64> = gradient.iter().map(|g| -g).collect();
    let mut alphas = Vec::with_capacity(history.len());
    for (s, y, rho) in history.iter().rev() {
        let a = rho * dot(s, &q);
        axpy(-a, y, &mut q);
        alphas.push(a);
    }
    if let Some((s, y, _)) = history.back() {
        let gamma = dot(s, y) / dot(y, y);
        q.iter_mut().for_each(|v| *v *= gamma);
    }
    for ((s, y, rho), a) in history.iter().zip(alphas.iter().rev()) {
        let b = rho * dot(y, &q);
        axpy(a - b, s, &mut q);
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optimize::test_functions::Rosenbrock;

    #[test]
    fn finds_the_rosenbrock_minimum() -> Result<()> {
        let options = LbfgsOptions {
            gtol: 1e-9,
            max_iter: 200,
            ftol: 0.0,
            ..Default::default()
        };
        let min = lbfgs(&mut Rosenbrock([0.0; 2]), vec![-1.2, 1.0], &options)?;
        assert!(min.converged, "{min:?}");
        assert!(
            (min.x[0] - 1.0).abs() < 1e-7 && (min.x[1] - 1.0).abs() < 1e-7,
            "{min:?}"
        );
        Ok(())
    }

    #[test]
    fn a_stationary_start_takes_no_iteration() -> Result<()> {
        let min = lbfgs(
            &mut Rosenbrock([0.0; 2]),
            vec![1.0, 1.0],
            &Default::default(),
        )?;
        assert_eq!((min.iterations, min.converged), (0, true));
        Ok(())
    }
}
