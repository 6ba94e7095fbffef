use faer::{Mat, Side};
use ndarray::{Array1, Array2};

use crate::{Error, Result};

/// Eigenvalues (descending) and eigenvectors (as columns, same order) of a symmetric matrix.
///
/// ```
/// use ndarray::array;
/// let (values, vectors) = spmd_core::linalg::symmetric_eigen_descending(&array![[2.0, 0.0], [0.0, 5.0]])?;
/// assert_eq!(values.to_vec(), [5.0, 2.0]);
/// assert_eq!(vectors[[1, 0]].abs(), 1.0);
/// # Ok::<(), spmd_core::Error>(())
/// ```
pub fn symmetric_eigen_descending(a: &Array2<f64>) -> Result<(Array1<f64>, Array2<f64>)> {
    let n = a.nrows();
    let m = Mat::from_fn(n, n, |i, j| a[[i, j]]);
    let evd = m
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| Error::Singular(format!("eigendecomposition failed: {e:?}")))?;
    let (u, s) = (evd.U(), evd.S());
    // faer returns ascending eigenvalues.
    let values = Array1::from_shape_fn(n, |k| s[n - 1 - k]);
    let vectors = Array2::from_shape_fn((n, n), |(i, k)| u[(i, n - 1 - k)]);
    Ok((values, vectors))
}

/// Moore-Penrose pseudo-inverse of a symmetric positive semi-definite matrix, dropping
/// eigenvalues below `largest * n * roundoff * 16` (scipy's `pinvh` with its default cutoff
/// for the arithmetic used).
pub fn pinv_symmetric(a: &Array2<f64>, roundoff: f64) -> Result<Array2<f64>> {
    let n = a.nrows();
    let (values, vectors) = symmetric_eigen_descending(a)?;
    let largest = values.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let cutoff = largest * n.max(1) as f64 * roundoff * 16.0;
    let mut out = Array2::zeros((n, n));
    for k in 0..n {
        if values[k] > cutoff {
            let v = vectors.column(k);
            for i in 0..n {
                for j in 0..n {
                    out[[i, j]] += v[i] * v[j] / values[k];
                }
            }
        }
    }
    Ok(out)
}
