//! QR and SVD of a matrix whose rows are spread over ranks (TSQR: tall-skinny QR).

use faer::Mat;
use ndarray::{Array1, Array2, ArrayBase, ArrayView1, ArrayView2, Data, Ix2};
use serde::{Deserialize, Serialize};
use spmd_comm::Comm;

use crate::distributed::{agree, comm_or_world, global_shape};
use crate::validate::{check_features, check_finite};
use crate::{Error, Float, Result};

/// daal4py's distributed `qr`: $X = Q R$ over all ranks' rows, with $R$ global ($k \times d$,
/// $k = \min(n, d)$, non-negative diagonal) and $Q$ each rank's own block of rows.
///
/// Each rank factors its rows, the small $R$ factors are gathered and factored again on every
/// rank, and each rank multiplies its $Q$ by its block of the second $Q$: one allgather of
/// $O(p d^2)$ numbers, whatever the number of rows. Ranks with fewer rows than columns, or none,
/// take part like the others.
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
        tsqr(&comm, x.view())
    }
}

/// A fitted [`Qr`]: the global $R$ and this rank's $Q$ block.
#[derive(Debug, Clone, PartialEq)]
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

fn tsqr<F: Float>(comm: &Comm, x: ArrayView2<'_, F>) -> Result<FittedQr> {
    let local = check_finite("X", x, comm.rank()).map(|_| x.mapv(|v| v.as_f64()));
    let x = agree(comm, local)?;
    let shape = global_shape(comm, x.nrows(), [x.ncols(), 0], ["X", "y"])?;
    if shape.rows == 0 {
        return Err(Error::Empty { what: "X" });
    }
    let d = shape.columns[0];
    let (q_local, r_local) = if x.nrows() == 0 {
        (Array2::zeros((0, 0)), Array2::zeros((0, d)))
    } else {
        thin_qr(&to_faer(x.view()))
    };

    // Every rank's R, stacked in rank order, factored again (rank 0's answer is broadcast so the
    // factors are bit-identical everywhere).
    let (stacked, counts) = comm.allgatherv(
        r_local
            .as_slice()
            .unwrap_or(&r_local.iter().copied().collect::<Vec<_>>()),
    )?;
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
        let qr = tsqr(&comm, x.view())?;
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
}

/// A fitted [`Svd`]: global singular values and right vectors, this rank's rows of $U$.
/// Serialises `singular_values_`, `components_` ($V^\top$) and `n_features_in_`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "SvdAttributes", try_from = "SvdAttributes")]
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
        check_features(self.components.ncols(), x.ncols())?;
        check_finite("X", x.view(), 0)?;
        Ok(x.mapv(|v| v.as_f64()).dot(&self.components.t()))
    }
}

#[derive(Serialize, Deserialize)]
struct SvdAttributes {
    singular_values_: Vec<f64>,
    components_: Vec<Vec<f64>>,
    n_features_in_: usize,
}

impl From<FittedSvd> for SvdAttributes {
    fn from(m: FittedSvd) -> Self {
        Self {
            singular_values_: m.singular_values.to_vec(),
            components_: m
                .components
                .rows()
                .into_iter()
                .map(|r| r.to_vec())
                .collect(),
            n_features_in_: m.components.ncols(),
        }
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
