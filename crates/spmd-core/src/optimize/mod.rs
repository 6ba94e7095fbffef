//! Smooth unconstrained minimisation for the iterative estimators: L-BFGS and Newton-CG, each
//! with a strong-Wolfe line search, as scikit-learn's `lbfgs` and `newton-cg` solvers run them.
//!
//! The optimisers are sequential and deterministic: given the same values and gradients they
//! take the same steps. A distributed [`Objective`] sums its terms over ranks and hands every
//! rank the same numbers, so every rank walks the same path and stops at the same iteration.

mod lbfgs;
mod line_search;
mod newton_cg;

pub use lbfgs::{lbfgs, LbfgsOptions};
pub use newton_cg::{newton_cg, NewtonCgOptions};

use crate::Result;

/// A twice-differentiable function to minimise.
pub trait Objective {
    /// Value and gradient at `w`.
    fn value_gradient(&mut self, w: &[f64]) -> Result<(f64, Vec<f64>)>;

    /// Hessian at the point of the latest [`value_gradient`](Self::value_gradient) call, times
    /// `v`. Needed by Newton-CG only.
    fn hessian_product(&mut self, v: &[f64]) -> Result<Vec<f64>>;
}

/// Where a minimisation stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct Minimum {
    /// The point.
    pub x: Vec<f64>,
    /// The value there.
    pub value: f64,
    /// The gradient there.
    pub gradient: Vec<f64>,
    /// Iterations taken.
    pub iterations: usize,
    /// Whether a stopping test was met (rather than the iteration limit or a failed line
    /// search).
    pub converged: bool,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn max_abs(a: &[f64]) -> f64 {
    a.iter().fold(0.0, |m, v| m.max(v.abs()))
}

/// `y += alpha * x`.
fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    y.iter_mut().zip(x).for_each(|(y, x)| *y += alpha * x);
}

#[cfg(test)]
pub(crate) mod test_functions {
    use super::Objective;
    use crate::Result;

    /// The Rosenbrock function in two variables (minimum 0 at (1, 1)).
    pub struct Rosenbrock(pub [f64; 2]);

    impl Objective for Rosenbrock {
        fn value_gradient(&mut self, w: &[f64]) -> Result<(f64, Vec<f64>)> {
            let (x, y) = (w[0], w[1]);
            let value = (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2);
            let gradient = vec![
                -2.0 * (1.0 - x) - 400.0 * x * (y - x * x),
                200.0 * (y - x * x),
            ];
            self.0 = [x, y];
            Ok((value, gradient))
        }
        fn hessian_product(&mut self, v: &[f64]) -> Result<Vec<f64>> {
            let [x, y] = self.0;
            let h = [
                [2.0 - 400.0 * (y - x * x) + 800.0 * x * x, -400.0 * x],
                [-400.0 * x, 200.0],
            ];
            Ok(vec![
                h[0][0] * v[0] + h[0][1] * v[1],
                h[1][0] * v[0] + h[1][1] * v[1],
            ])
        }
    }
}
