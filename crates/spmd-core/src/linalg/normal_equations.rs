use faer::{Mat, Side};

use crate::{Error, Result};

/// How [`solve_normal_equations`] solved the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SolveMethod {
    /// Cholesky factorisation of the equilibrated matrix.
    Cholesky,
    /// Minimum-norm least squares through the eigendecomposition, keeping `rank` eigenvalues.
    MinimumNorm {
        /// Numerical rank of the matrix.
        rank: usize,
    },
}

/// Solves $A X = B$ for symmetric positive semi-definite $A$ ($n \times n$, row-major) and $B$
/// ($n \times t$, row-major), returning $X$ row-major.
///
/// When $A = M^\top M$ is numerically non-singular (judged on $D A D$ with
/// $D = \mathrm{diag}(A)^{-1/2}$, so column scale does not matter) the answer comes from a Cholesky
/// factorisation. Otherwise it is the minimum-norm least-squares solution $X = A^{+} B$ from the
/// eigendecomposition: the answer scikit-learn's `lstsq` gives for collinear columns or fewer
/// rows than columns. `roundoff` is the unit roundoff the entries of $A$ were computed with; it
/// sets what counts as zero.
///
/// ```
/// use spmd_core::linalg::{solve_normal_equations, SolveMethod};
/// let a = [4.0, 2.0, 2.0, 3.0];
/// let b = [2.0, 1.0];
/// let (x, method) = solve_normal_equations(&a, &b, 2, 1, f64::EPSILON)?;
/// assert_eq!(method, SolveMethod::Cholesky);
/// assert!((x[0] - 0.5).abs() < 1e-15 && x[1].abs() < 1e-15);
/// // Two equal columns: the minimum-norm solution splits the weight evenly.
/// let (x, method) = solve_normal_equations(&[1.0, 1.0, 1.0, 1.0], &[2.0, 2.0], 2, 1, f64::EPSILON)?;
/// assert_eq!(method, SolveMethod::MinimumNorm { rank: 1 });
/// assert!((x[0] - 1.0).abs() < 1e-12 && (x[1] - 1.0).abs() < 1e-12);
/// # Ok::<(), spmd_core::Error>(())
/// ```
pub fn solve_normal_equations(
    a: &[f64],
    b: &[f64],
    n: usize,
    t: usize,
    roundoff: f64,
) -> Result<(Vec<f64>, SolveMethod)> {
    if a.len() != n * n || b.len() != n * t {
        return Err(Error::Shape {
            what: "normal equations".into(),
            expected: format!("{n}x{n} and {n}x{t}"),
            found: format!("{} and {} entries", a.len(), b.len()),
        });
    }
    if a.iter().chain(b).any(|v| !v.is_finite()) {
        return Err(Error::Singular(
            "the normal equations are not finite; rescale the data".into(),
        ));
    }
    let tol = (n.max(1) as f64) * roundoff * 16.0;
    let scale: Vec<f64> = (0..n)
        .map(|i| {
            let d = a[i * n + i];
            if d > 0.0 {
                1.0 / d.sqrt()
            } else {
                0.0
            }
        })
        .collect();
    let scaled = Mat::from_fn(n, n, |i, j| scale[i] * a[i * n + j] * scale[j]);
    if scale.iter().all(|&s| s > 0.0) {
        if let Ok(llt) = scaled.llt(Side::Lower) {
            let l = llt.L();
            let min_pivot = (0..n)
                .map(|i| l[(i, i)] * l[(i, i)])
                .fold(f64::INFINITY, f64::min);
            if min_pivot > tol {
                let rhs = Mat::from_fn(n, t, |i, j| scale[i] * b[i * t + j]);
                let y = faer::linalg::solvers::Solve::solve(&llt, &rhs);
                let x = (0..n * t)
                    .map(|k| scale[k / t] * y[(k / t, k % t)])
                    .collect();
                return Ok((x, SolveMethod::Cholesky));
            }
        }
    }
    minimum_norm(a, b, n, t, tol)
}

fn minimum_norm(
    a: &[f64],
    b: &[f64],
    n: usize,
    t: usize,
    tol: f64,
) -> Result<(Vec<f64>, SolveMethod)> {
    let a = Mat::from_fn(n, n, |i, j| a[i * n + j]);
    let evd = a
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| Error::Singular(format!("eigendecomposition failed: {e:?}")))?;
    let (u, s) = (evd.U(), evd.S());
    let values: Vec<f64> = (0..n).map(|i| s[i]).collect();
    let largest = values.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let cutoff = largest * tol;
    let b = Mat::from_fn(n, t, |i, j| b[i * t + j]);
    // X = U diag(1/λ, kept) Uᵀ B
    let mut projected = u.transpose() * &b;
    let mut rank = 0;
    for (i, &lambda) in values.iter().enumerate() {
        let keep = lambda > cutoff && largest > 0.0;
        rank += usize::from(keep);
        for j in 0..t {
            projected[(i, j)] = if keep {
                projected[(i, j)] / lambda
            } else {
                0.0
            };
        }
    }
    let x = u * projected;
    Ok((
        (0..n * t).map(|k| x[(k / t, k % t)]).collect(),
        SolveMethod::MinimumNorm { rank },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn badly_scaled_but_regular_columns_use_cholesky() -> Result<()> {
        // Columns scaled by 1e6 and 1e-3: equilibration keeps this a regular system.
        let a = [1e12 * 2.0, 1e3 * 0.5, 1e3 * 0.5, 1e-6 * 1.0];
        let b = [1e6 * 1.0, 1e-3 * 2.0];
        let (x, method) = solve_normal_equations(&a, &b, 2, 1, f64::EPSILON)?;
        assert_eq!(method, SolveMethod::Cholesky);
        // Closed form of [[2, .5], [.5, 1]] z = [1, 2], then x = z / column scale.
        let det = 2.0 - 0.25;
        let z = [(1.0 - 0.5 * 2.0) / det, (2.0 * 2.0 - 0.5) / det];
        assert!((x[0] * 1e6 - z[0]).abs() < 1e-12);
        assert!((x[1] * 1e-3 - z[1]).abs() < 1e-12);
        Ok(())
    }

    #[test]
    fn zero_column_gets_zero_coefficient() -> Result<()> {
        let a = [2.0, 0.0, 0.0, 0.0];
        let b = [4.0, 0.0];
        let (x, method) = solve_normal_equations(&a, &b, 2, 1, f64::EPSILON)?;
        assert_eq!(method, SolveMethod::MinimumNorm { rank: 1 });
        assert!((x[0] - 2.0).abs() < 1e-14 && x[1] == 0.0);
        Ok(())
    }

    #[test]
    fn rejects_non_finite_and_bad_shapes() {
        assert!(solve_normal_equations(&[f64::NAN], &[1.0], 1, 1, f64::EPSILON).is_err());
        assert!(solve_normal_equations(&[1.0, 2.0], &[1.0], 1, 1, f64::EPSILON).is_err());
    }
}
