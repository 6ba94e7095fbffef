use ndarray::{Array1, Array2, ArrayView2};
use spmd_comm::Comm;
use spmd_gpu::Queue;

use super::{global_gram, GlobalGram};
use crate::distributed::{agree, global_shape};
use crate::{Error, Float, Result};

/// The scatter matrix of all ranks' rows, the input of covariance and PCA.
#[derive(Debug, Clone, PartialEq)]
pub struct GlobalScatter {
    /// Rows over all ranks.
    pub rows: u64,
    /// Column means over all rows.
    pub mean: Array1<f64>,
    /// $\sum_i (x_i - c)(x_i - c)^\top$ with $c$ the mean (or zero when not centred).
    pub scatter: Array2<f64>,
    /// Largest unit roundoff any rank's partials used.
    pub roundoff: f64,
}

impl From<GlobalGram> for GlobalScatter {
    fn from(g: GlobalGram) -> Self {
        let d = g.width;
        Self {
            rows: g.rows,
            mean: Array1::from(g.mean),
            scatter: Array2::from_shape_fn((d, d), |(i, j)| g.gram[i * d + j]),
            roundoff: g.roundoff,
        }
    }
}

/// Agrees on the shape of `x` across ranks and forms its [`GlobalScatter`]: one local pass (CPU
/// or GPU) and two allreduces. `params_ok` carries the caller's parameter check into the first
/// agreement, so a bad parameter on one rank cannot leave the others waiting.
pub fn global_scatter<F: Float>(
    comm: &Comm,
    x: ArrayView2<'_, F>,
    center: bool,
    params_ok: Result<()>,
    queue: Option<&Queue>,
) -> Result<GlobalScatter> {
    agree(comm, params_ok)?;
    let shape = global_shape(comm, x.nrows(), [x.ncols(), 0], ["X", "y"])?;
    if shape.rows == 0 {
        return Err(Error::Empty { what: "X" });
    }
    Ok(global_gram(comm, &[x], &["X"], shape.columns[0], center, queue)?.into())
}
