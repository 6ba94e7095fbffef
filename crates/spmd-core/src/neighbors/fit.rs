//! `fit` of the neighbour estimators: each rank keeps its own rows, the ranks agree on the width and the classes.

use ndarray::{ArrayBase, ArrayView2, Data, Ix1, Ix2};
use spmd_comm::Comm;

use super::fitted::{prepared, FittedNeighbors, Targets};
use super::knn::{FittedKNeighborsClassifier, FittedKNeighborsRegressor};
use super::params::{KNeighborsClassifier, KNeighborsRegressor, NearestNeighbors, NeighborsParams};
use super::search::Precision;
use crate::classes::{encode, global_classes, local_classes, ClassLabel};
use crate::distributed::{agree, comm_or_world, global_shape};
use crate::validate::{check_finite, check_same_rows};
use crate::{Error, Float, Result};

/// Checks and keeps this rank's rows (collective: the ranks agree on the width).
fn fit_rows<F: Float>(
    comm: Comm,
    params: &NeighborsParams,
    x: ArrayView2<'_, F>,
    targets: impl FnOnce(&Comm) -> Result<Targets>,
    y_rows: Option<usize>,
) -> Result<FittedNeighbors> {
    let rank = comm.rank();
    let local = params
        .check()
        .and_then(|_| y_rows.map_or(Ok(()), |n| check_same_rows(x.nrows(), n)))
        .and_then(|_| check_finite("X", x, rank));
    agree(&comm, local)?;
    let shape = global_shape(&comm, x.nrows(), [x.ncols(), 0], ["X", "y"])?;
    if shape.rows == 0 {
        return Err(Error::Empty { what: "X" });
    }
    let targets = targets(&comm)?;
    let measure = params.metric.measure(params.p)?;
    let rows = prepared(x, measure);
    Ok(FittedNeighbors {
        params: params.clone(),
        measure,
        comm,
        rows,
        first: shape.row_offset as u64,
        total: shape.rows,
        targets,
        prune_in: if F::DTYPE == "float32" {
            Precision::F32
        } else {
            Precision::F64
        },
        resident: Default::default(),
    })
}

impl NearestNeighbors {
    /// Keeps every rank's rows for searches; every rank calls it.
    pub fn fit<F: Float, S: Data<Elem = F>>(
        &self,
        x: &ArrayBase<S, Ix2>,
    ) -> Result<FittedNeighbors> {
        let comm = comm_or_world(self.comm.as_ref())?;
        fit_rows(comm, &self.params, x.view(), |_| Ok(Targets::None), None)
    }
}

impl KNeighborsClassifier {
    /// Keeps every rank's rows and labels; the classes are the union of all ranks' labels.
    /// Every rank calls it.
    pub fn fit<F, L, S, T>(
        &self,
        x: &ArrayBase<S, Ix2>,
        y: &ArrayBase<T, Ix1>,
    ) -> Result<FittedKNeighborsClassifier>
    where
        F: Float,
        L: ClassLabel,
        S: Data<Elem = F>,
        T: Data<Elem = L>,
    {
        let comm = comm_or_world(self.comm.as_ref())?;
        let labels = agree(&comm, local_classes(y, comm.rank()))?;
        let targets = |comm: &Comm| {
            let classes = global_classes(comm, &labels)?;
            let codes = encode(&classes, &labels);
            Ok(Targets::Classes { classes, codes })
        };
        fit_rows(comm.clone(), &self.params, x.view(), targets, Some(y.len()))
            .map(FittedKNeighborsClassifier)
    }
}

impl KNeighborsRegressor {
    /// Keeps every rank's rows and targets (`n` or `n x t`, in either precision); every rank
    /// calls it.
    pub fn fit<F: Float, G: Float, S: Data<Elem = F>>(
        &self,
        x: &ArrayBase<S, Ix2>,
        y: &impl crate::linear::Targets<G>,
    ) -> Result<FittedKNeighborsRegressor> {
        let comm = comm_or_world(self.comm.as_ref())?;
        let columns = y.as_columns();
        let (one_d, n) = (y.is_single(), columns.nrows());
        let values = columns.mapv(|v| v.as_f64());
        let targets = move |comm: &Comm| {
            let local = check_finite("y", columns, comm.rank());
            agree(comm, local)?;
            Ok(Targets::Values { y: values, one_d })
        };
        fit_rows(comm, &self.params, x.view(), targets, Some(n)).map(FittedKNeighborsRegressor)
    }
}
