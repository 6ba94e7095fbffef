//! QR and SVD of a matrix whose rows are spread over ranks (TSQR: tall-skinny QR).

use faer::Mat;
use ndarray::{Array1, Array2, ArrayBase, ArrayView1, ArrayView2, Data, Ix2};
use serde::{Deserialize, Serialize};
use spmd_comm::Comm;
use spmd_gpu::Queue;

use crate::backend::Backend;
use crate::distributed::{comm_or_world, global_shape};
use crate::{Error, Float, Result};

/// daal4py's distributed `qr`: $X = Q R$ over all ranks' rows, with $R$ global ($k \times d$,
/// $k = \min(n, d)$, non-negative diagonal) and $Q$ each rank's own block of rows.
///
/// Well-conditioned input (condition number below about $10^6$) takes CholeskyQR2: the global
/// Gram matrix (one fast pass, summed over ranks, on the CPU or GPU) gives
/// $R_1 = \mathrm{chol}(X^\top X)$ and $Q_1 = X R_1^{-1}$, and a second pass on $Q_1$ restores
/// orthogonality to working precision: $R = R_2 R_1$, $Q = Q_1 R_2^{-1}$. Otherwise (ill
/// conditioned, rank deficient, fewer rows than columns) it takes Householder TSQR: each rank
/// factors its rows, the small $R$ factors are gathered and factored again on every rank, and
/// each rank multiplies its $Q$ by its block of the second $Q$. Ranks with fewer rows than
/// columns, or none, take part like the others.
///
/// ```
/// use ndarray::array;
/// use spmd_core::decomposition::Qr;
///
/// let x = array![[3.0_f64, 0.0], [4.0, 5.0], [0.0, 0.0]];
/// let qr = Qr::new().fit(&x)?;
/// assert!((qr.r()[[0, 0]] - 5.0).abs() < 1e-12); // the norm of the first column
/// let rebuilt = qr.q().dot(&qr.r());
/// assert!(rebuilt.iter().zip(x.iter()).all(|(a, b)| (a - b).abs() < 1e-12));
/// # Ok::<(), spmd_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Qr {
    comm: Option<Comm>,
}

impl Qr {
    /// A QR factorisation.
    pub fn new() -> Self {
        Self::default()
    }

    /// The ranks that factor together; `Comm::world()` by default.
    pub fn comm(mut self, comm: Comm) -> Self {
        self.comm = Some(comm);
        self
    }

    /// Factors every rank's rows; every rank calls it.
    pub fn fit<F: Float, S: Data<Elem = F>>(&self, x: &ArrayBase<S, Ix2>) -> Result<FittedQr> {
        let comm = comm_or_world(self.comm.as_ref())?;
        qr(&comm, x.view(), None)
    }
}

/// A fitted [`Qr`]: the global $R$ and this rank's $Q$ block. Serialises `r_` and
/// `n_features_in_` ($Q$ stays with its rows).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "QrAttributes")]
pub struct FittedQr {
    r: Array2<f64>,
    q: Array2<f64>,
}

impl FittedQr {
    /// $R$, $k \times d$ upper triangular with a non-negative diagonal; the same on every rank.
    pub fn r(&self) -> ArrayView2<'_, f64> {
        self.r.view()
    }
    /// This rank's rows of $Q$, $n_r \times k$.
    pub fn q(&self) -> ArrayView2<'_, f64> {
        self.q.view()
    }
}

#[derive(Serialize, Deserialize)]
struct QrAttributes {
    r_: Vec<Vec<f64>>,
    n_features_in_: usize,
}

// By hand, not `serde(into)`, which would clone the model and its O(rows) Q.
impl Serialize for FittedQr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        QrAttributes {
            n_features_in_: self.r.ncols(),
            r_: self.r.rows().into_iter().map(|r| r.to_vec()).collect(),
        }
        .serialize(s)
    }
}

impl TryFrom<QrAttributes> for FittedQr {
    type Error = String;
    fn try_from(a: QrAttributes) -> std::result::Result<Self, String> {
        let d = a.n_features_in_;
        if a.r_.iter().any(|r| r.len() != d) {
            return Err(format!("every row of r_ must have {d} values"));
        }
        let k = a.r_.len();
        let r = Array2::from_shape_vec((k, d), a.r_.into_iter().flatten().collect())
            .map_err(|e| e.to_string())?;
        Ok(Self {
            q: Array2::zeros((0, k)),
            r,
        })
    }
}

fn to_faer(a: ArrayView2<'_, f64>) -> Mat<f64> {
    Mat::from_fn(a.nrows(), a.ncols(), |i, j| a[[i, j]])
}

fn to_ndarray(m: faer::MatRef<'_, f64>) -> Array2<f64> {
    Array2::from_shape_fn((m.nrows(), m.ncols()), |(i, j)| m[(i, j)])
}

/// Thin QR of `a` as ndarrays, $R$ with a non-negative diagonal.
fn thin_qr(a: &Mat<f64>) -> (Array2<f64>, Array2<f64>) {
    let qr = a.qr();
    let mut q = to_ndarray(qr.compute_thin_Q().as_ref());
    let mut r = to_ndarray(qr.thin_R());
    for i in 0..r.nrows() {
        if r[[i, i]] < 0.0 {
            r.row_mut(i).mapv_inplace(|v| -v);
            q.column_mut(i).mapv_inplace(|v| -v);
        }
    }
    (q, r)
}

/// Smallest $\min_i R_{ii} / \max_i R_{ii}$ of the first Cholesky factor for which CholeskyQR2
/// is used: a condition number up to about $10^6$, well inside its $\epsilon^{-1/2}$ limit.
const CHOLESKY_QR_MIN_RATIO: f64 = 1e-6;

/// [`Qr`] of every rank's rows. The Gram passes run on `queue` only where it computes them in
/// f64: CholeskyQR2 needs f64 Gram matrices to reach orthogonality to working precision.
pub(crate) fn qr<F: Float>(
    comm: &Comm,
    x: ArrayView2<'_, F>,
    queue: Option<&Queue>,
) -> Result<FittedQr> {
    let backend = Backend::new(comm.rank(), queue)?.in_f64::<F>();
    let queue = backend.queue();
    let shape = global_shape(comm, x.nrows(), [x.ncols(), 0], ["X", "y"])?;
    if shape.rows == 0 {
        return Err(Error::Empty { what: "X" });
    }
    let d = shape.columns[0];
    // The Gram pass finds NaN or infinity (and every rank learns of it) before anything else.
    let g1 = global_raw_gram(comm, x, d, queue)?;
    if let Some(fitted) = cholesky_qr2(comm, x, &g1, d, queue)? {
        return Ok(fitted);
    }
    tsqr(comm, &x.mapv(|v| v.as_f64()), d)
}

/// $X^\top X$ over all ranks, identical on every rank (rank 0's sum is broadcast).
fn global_raw_gram<F: Float>(
    comm: &Comm,
    x: ArrayView2<'_, F>,
    d: usize,
    queue: Option<&Queue>,
) -> Result<Array2<f64>> {
    let gram = crate::partials::global_gram(comm, &[x], &["X"], d, false, queue)?;
    let mut g = gram.gram;
    comm.broadcast(0, &mut g)?;
    Array2::from_shape_vec((d, d), g).map_err(|e| Error::Input(e.to_string()))
}

/// Upper Cholesky factor $R$ with $G = R^\top R$, if $G$ is positive definite with
/// $\min R_{ii} / \max R_{ii}$ above `min_ratio`.
fn upper_cholesky(g: &Array2<f64>, min_ratio: f64) -> Option<Array2<f64>> {
    let llt = to_faer(g.view()).llt(faer::Side::Lower).ok()?;
    let l = llt.L();
    let diag: Vec<f64> = (0..l.nrows()).map(|i| l[(i, i)]).collect();
    let (lo, hi) = diag.iter().fold((f64::INFINITY, 0.0_f64), |(lo, hi), &v| {
        (lo.min(v), hi.max(v))
    });
    (lo > min_ratio * hi).then(|| to_ndarray(l.transpose()))
}

/// $X R^{-1}$ for upper triangular $R$, as the lower-triangular solve $R^\top Z = X^\top$ on the
/// row-major rows of $X$ (which are the columns of $X^\top$).
fn right_solve_upper<F: Float>(x: ArrayView2<'_, F>, r: &Array2<f64>) -> Result<Array2<f64>> {
    use rayon::prelude::*;
    /// Rows per task: the block stays in cache between the conversion and the solve.
    const CHUNK: usize = 4096;
    let (n, d) = x.dim();
    let lower = to_faer(r.t());
    let mut z = vec![0.0_f64; n * d];
    z.par_chunks_mut(CHUNK * d.max(1))
        .enumerate()
        .for_each(|(chunk, out)| {
            let (start, rows) = (chunk * CHUNK, out.len() / d.max(1));
            let block = x.slice(ndarray::s![start..start + rows, ..]);
            match block.as_slice() {
                Some(values) => out
                    .iter_mut()
                    .zip(values)
                    .for_each(|(o, v)| *o = v.as_f64()),
                None => out
                    .iter_mut()
                    .zip(block.iter())
                    .for_each(|(o, v)| *o = v.as_f64()),
            }
            faer::linalg::triangular_solve::solve_lower_triangular_in_place(
                lower.as_ref(),
                faer::MatMut::from_column_major_slice_mut(out, d, rows),
                faer::Par::Seq,
            );
        });
    Array2::from_shape_vec((n, d), z).map_err(|e| Error::Input(e.to_string()))
}

/// CholeskyQR2 from the first Gram matrix `g1`; `None` when `g1` is too ill-conditioned.
fn cholesky_qr2<F: Float>(
    comm: &Comm,
    x: ArrayView2<'_, F>,
    g1: &Array2<f64>,
    d: usize,
    queue: Option<&Queue>,
) -> Result<Option<FittedQr>> {
    let Some(r1) = upper_cholesky(g1, CHOLESKY_QR_MIN_RATIO) else {
        return Ok(None);
    };
    let q1 = right_solve_upper(x, &r1)?;
    let g2 = global_raw_gram(comm, q1.view(), d, queue)?;
    let Some(r2) = upper_cholesky(&g2, CHOLESKY_QR_MIN_RATIO) else {
        return Ok(None);
    };
    Ok(Some(FittedQr {
        q: right_solve_upper(q1.view(), &r2)?,
        r: r2.dot(&r1),
    }))
}

/// Householder TSQR: local QR, allgather of the R factors, QR of the stack on every rank.
fn tsqr(comm: &Comm, x: &Array2<f64>, d: usize) -> Result<FittedQr> {
    let (q_local, r_local) = if x.nrows() == 0 {
        (Array2::zeros((0, 0)), Array2::zeros((0, d)))
    } else {
        thin_qr(&to_faer(x.view()))
    };

    // Every rank's R, stacked in rank order, factored again (rank 0's answer is broadcast so the
    // factors are bit-identical everywhere).
    let values: std::borrow::Cow<'_, [f64]> = r_local.as_slice().map_or_else(
        || r_local.iter().copied().collect::<Vec<_>>().into(),
        Into::into,
    );
    let (stacked, counts) = comm.allgatherv(&values)?;
    let rows_of: Vec<usize> = counts.iter().map(|c| c / d.max(1)).collect();
    let stacked = Array2::from_shape_vec((stacked.len() / d.max(1), d), stacked)
        .map_err(|e| Error::Input(e.to_string()))?;
    let (q2, r) = thin_qr(&to_faer(stacked.view()));
    let k = r.nrows();
    let mut shared: Vec<f64> = r.iter().chain(q2.iter()).copied().collect();
    comm.broadcast(0, &mut shared)?;
    let r = Array2::from_shape_vec((k, d), shared[..k * d].to_vec())
        .map_err(|e| Error::Input(e.to_string()))?;
    let q2 = Array2::from_shape_vec(q2.raw_dim(), shared[k * d..].to_vec())
        .map_err(|e| Error::Input(e.to_string()))?;
    let first: usize = rows_of[..comm.rank()].iter().sum();
    let block = q2.slice(ndarray::s![first..first + rows_of[comm.rank()], ..]);
    let q = if x.nrows() == 0 {
        Array2::zeros((0, k))
    } else {
        q_local.dot(&block)
    };
    Ok(FittedQr { r, q })
}

/// The singular value decomposition $X = U \Sigma V^\top$ over all ranks' rows, from [`Qr`]:
/// $R = U_R \Sigma V^\top$ on every rank, $U = Q U_R$ on each rank's rows.
///
/// ```
/// use ndarray::array;
/// use spmd_core::decomposition::Svd;
///
/// let x = array![[3.0_f64, 0.0], [0.0, -2.0], [0.0, 0.0]];
/// let svd = Svd::new().fit(&x)?;
/// assert!((svd.singular_values()[0] - 3.0).abs() < 1e-12 && (svd.singular_values()[1] - 2.0).abs() < 1e-12);
/// # Ok::<(), spmd_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Svd {
    comm: Option<Comm>,
}

impl Svd {
    /// A singular value decomposition.
    pub fn new() -> Self {
        Self::default()
    }

    /// The ranks that decompose together; `Comm::world()` by default.
    pub fn comm(mut self, comm: Comm) -> Self {
        self.comm = Some(comm);
        self
    }

    /// Decomposes every rank's rows; every rank calls it.
    pub fn fit<F: Float, S: Data<Elem = F>>(&self, x: &ArrayBase<S, Ix2>) -> Result<FittedSvd> {
        let comm = comm_or_world(self.comm.as_ref())?;
        svd(&comm, x.view(), None)
    }
}

/// [`Svd`] of every rank's rows, the Gram passes on `queue` where it computes in f64.
pub(crate) fn svd<F: Float>(
    comm: &Comm,
    x: ArrayView2<'_, F>,
    queue: Option<&Queue>,
) -> Result<FittedSvd> {
    let qr = qr(comm, x, queue)?;
    let svd = to_faer(qr.r.view())
        .thin_svd()
        .map_err(|e| Error::Singular(format!("SVD failed: {e:?}")))?;
    let (u_r, s, v) = (to_ndarray(svd.U()), svd.S(), to_ndarray(svd.V()));
    let k = u_r.ncols();
    let mut singular_values = Array1::from_shape_fn(k, |i| s[i]);
    let mut components = v.t().to_owned();
    let mut u_r = u_r;
    // The largest-magnitude entry of each component is positive (scikit-learn's svd_flip).
    for i in 0..k {
        let row = components.row(i);
        let largest = row
            .iter()
            .copied()
            .fold(0.0_f64, |m, v| if v.abs() > m.abs() { v } else { m });
        if largest < 0.0 {
            components.row_mut(i).mapv_inplace(|v| -v);
            u_r.column_mut(i).mapv_inplace(|v| -v);
        }
    }
    singular_values.mapv_inplace(|v| v.max(0.0));
    Ok(FittedSvd {
        u: qr.q.dot(&u_r),
        singular_values,
        components,
    })
}

/// A fitted [`Svd`]: global singular values and right vectors, this rank's rows of $U$.
/// Serialises `singular_values_`, `components_` ($V^\top$) and `n_features_in_`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "SvdAttributes")]
pub struct FittedSvd {
    u: Array2<f64>,
    singular_values: Array1<f64>,
    components: Array2<f64>,
}

impl FittedSvd {
    /// Singular values, descending.
    pub fn singular_values(&self) -> ArrayView1<'_, f64> {
        self.singular_values.view()
    }
    /// $V^\top$, $k \times d$.
    pub fn components(&self) -> ArrayView2<'_, f64> {
        self.components.view()
    }
    /// This rank's rows of $U$ (empty for a model read from a file).
    pub fn u(&self) -> ArrayView2<'_, f64> {
        self.u.view()
    }
    /// Projections $X V$ of this rank's rows (equal to $U \Sigma$ on the fitted rows).
    pub fn transform<F: Float, S: Data<Elem = F>>(
        &self,
        x: &ArrayBase<S, Ix2>,
    ) -> Result<Array2<f64>> {
        self.transform_on(&Backend::cpu(0), x.view())
    }

    /// [`transform`](Self::transform) on `backend`'s device.
    pub(crate) fn transform_on<F: Float>(
        &self,
        backend: &Backend<'_>,
        x: ArrayView2<'_, F>,
    ) -> Result<Array2<f64>> {
        backend.rows_times(x, self.components.t())
    }
}

#[derive(Serialize, Deserialize)]
struct SvdAttributes {
    singular_values_: Vec<f64>,
    components_: Vec<Vec<f64>>,
    n_features_in_: usize,
}

// By hand, not `serde(into)`, which would clone the model and its O(rows) U.
impl Serialize for FittedSvd {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        SvdAttributes {
            singular_values_: self.singular_values.to_vec(),
            components_: self
                .components
                .rows()
                .into_iter()
                .map(|r| r.to_vec())
                .collect(),
            n_features_in_: self.components.ncols(),
        }
        .serialize(s)
    }
}

impl TryFrom<SvdAttributes> for FittedSvd {
    type Error = String;
    fn try_from(a: SvdAttributes) -> std::result::Result<Self, String> {
        let (k, d) = (a.singular_values_.len(), a.n_features_in_);
        if a.components_.len() != k || a.components_.iter().any(|r| r.len() != d) {
            return Err(format!("components_ must be {k} x {d}"));
        }
        Ok(Self {
            u: Array2::zeros((0, k)),
            singular_values: Array1::from(a.singular_values_),
            components: Array2::from_shape_fn((k, d), |(i, j)| a.components_[i][j]),
        })
    }
}
