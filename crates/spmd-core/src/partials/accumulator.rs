use ndarray::ArrayView2;
use spmd_comm::Comm;
use spmd_gpu::Queue;

use super::{FailureMemory, GlobalGram, Moments};
use crate::distributed::global_shape;
use crate::{Error, Float, Result};

/// The local state of an incremental (`partial_fit`) estimator: the merged [`Moments`] of every
/// batch this rank has seen. Batches are local; [`Accumulator::finalize`] is the one collective.
#[derive(Debug, Clone, Default)]
pub struct Accumulator {
    moments: Option<Moments>,
    columns: Option<[usize; 2]>,
    failure: FailureMemory,
}

impl Accumulator {
    /// Adds a batch `[x, y]` (`y` may have no columns). An error is returned here and also
    /// remembered, so `finalize` fails on every rank rather than leaving the others waiting.
    pub fn add<F: Float>(
        &mut self,
        rank: usize,
        x: ArrayView2<'_, F>,
        y: ArrayView2<'_, F>,
        queue: Option<&Queue>,
    ) -> Result<()> {
        let result = self.try_add([x, y], rank, queue);
        self.failure.remember(result)
    }

    /// Remembers a failure of the caller's own checks on a batch, as a failing
    /// [`add`](Self::add) would, and returns it.
    pub fn refuse(&mut self, error: crate::Error) -> Result<()> {
        self.failure.remember(Err(error))
    }

    /// Adds a batch of features only (covariance, PCA).
    pub fn add_rows<F: Float>(
        &mut self,
        rank: usize,
        x: ArrayView2<'_, F>,
        queue: Option<&Queue>,
    ) -> Result<()> {
        let none = ndarray::Array2::<F>::zeros((x.nrows(), 0));
        self.add(rank, x, none.view(), queue)
    }

    /// [`add`](Self::add) of `[x, y]`, not remembered.
    fn try_add<F: Float>(
        &mut self,
        [x, y]: [ArrayView2<'_, F>; 2],
        rank: usize,
        queue: Option<&Queue>,
    ) -> Result<()> {
        crate::validate::check_same_rows(x.nrows(), y.nrows())?;
        let columns = [x.ncols(), y.ncols()];
        if let Some(seen) = self.columns {
            if seen != columns {
                return Err(Error::Shape {
                    what: "batch".into(),
                    expected: format!(
                        "{} features and {} targets, as in earlier batches",
                        seen[0], seen[1]
                    ),
                    found: format!("{} and {}", columns[0], columns[1]),
                });
            }
        }
        let batch = if y.ncols() > 0 {
            Moments::of_rows(rank, &[x, y], &["X", "y"], queue)?
        } else {
            Moments::of_rows(rank, &[x], &["X"], queue)?
        };
        self.columns = Some(columns);
        match &mut self.moments {
            Some(m) => m.merge(&batch),
            None => self.moments = Some(batch),
        }
        Ok(())
    }

    /// Combines every rank's batches: the same [`GlobalGram`] a one-shot fit of all batches of
    /// all ranks would form, and the agreed `[features, targets]`. Every rank calls it.
    pub fn finalize(&self, comm: &Comm, center: bool) -> Result<(GlobalGram, [usize; 2])> {
        self.failure.agree(comm)?;
        let rows = self.moments.as_ref().map_or(0, |m| m.count as usize);
        let columns = self.columns.unwrap_or([0, 0]);
        let shape = global_shape(comm, rows, columns, ["X", "y"])?;
        if shape.rows == 0 {
            return Err(Error::Empty { what: "X" });
        }
        let width = shape.columns[0] + shape.columns[1];
        let moments = self
            .moments
            .clone()
            .unwrap_or_else(|| Moments::empty(width));
        Ok((moments.combine(comm, center)?, shape.columns))
    }
}
