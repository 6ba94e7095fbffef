use ndarray::{ArrayView1, ArrayView2};

use crate::backend::ResidentRows;

use super::Targets;
use crate::{Error, Result};

/// This rank's rows for a fit or a score: features, optional targets and optional weights, all
/// views of the caller's memory (a memory-mapped file stays where it is).
///
/// Targets are `n x t` of the features' element type; class labels are their integer values.
#[derive(Debug, Clone)]
pub struct Dataset<'a, F> {
    x: ArrayView2<'a, F>,
    y: Option<ArrayView2<'a, F>>,
    y_is_1d: bool,
    sample_weight: Option<ArrayView1<'a, F>>,
    classes: Option<&'a [i64]>,
    resident: Option<&'a ResidentRows>,
}

impl<'a, F> Dataset<'a, F> {
    /// Features only.
    pub fn new(x: ArrayView2<'a, F>) -> Self {
        Self {
            x,
            y: None,
            y_is_1d: false,
            sample_weight: None,
            classes: None,
            resident: None,
        }
    }

    /// With targets: one-dimensional (`Array1`, `n`) or several columns (`Array2`, `n x t`).
    pub fn targets(mut self, y: &'a impl Targets<F>) -> Self {
        self.y = Some(y.as_columns());
        self.y_is_1d = y.is_single();
        self
    }

    /// With targets given as columns; `one_dimensional` says whether they were 1-D (scikit-learn
    /// then reports 1-D attributes).
    pub fn target_columns(mut self, y: ArrayView2<'a, F>, one_dimensional: bool) -> Self {
        self.y = Some(y);
        self.y_is_1d = one_dimensional;
        self
    }

    /// With a weight per row (scikit-learn's `sample_weight`).
    pub fn sample_weight(mut self, w: ArrayView1<'a, F>) -> Self {
        self.sample_weight = Some(w);
        self
    }

    /// With weights when `w` is `Some`.
    pub fn maybe_sample_weight(self, w: Option<ArrayView1<'a, F>>) -> Self {
        match w {
            Some(w) => self.sample_weight(w),
            None => self,
        }
    }

    /// With every class of the whole fit named up front (scikit-learn's `classes` argument of
    /// `partial_fit`, which a classifier fitted batch by batch needs on its first batch).
    pub fn classes(mut self, classes: &'a [i64]) -> Self {
        self.classes = Some(classes);
        self
    }

    /// The classes given with [`Self::classes`], if any.
    pub fn given_classes(&self) -> Option<&'a [i64]> {
        self.classes
    }

    /// With the features also on this rank's GPU, uploaded once by the caller
    /// ([`ResidentRows::upload`]) and reused by every fit given them. KMeans uses this copy
    /// instead of uploading its own; the other estimators do not use it yet. It must hold the
    /// rows of [`Self::x`] on the context's queue; the CPU path ignores it.
    ///
    /// ```no_run
    /// use ndarray::Array2;
    /// use spmd_core::cluster::KMeans;
    /// use spmd_core::backend::ResidentRows;
    /// use spmd_core::estimator::{Context, Dataset, Estimator};
    /// use spmd_core::{Comm, Queue};
    ///
    /// let (comm, queue) = (Comm::single(), Queue::new()?);
    /// let x = Array2::<f32>::zeros((1000, 8));
    /// let rows = ResidentRows::upload(&queue, x.view())?;
    /// let data = Dataset::new(x.view()).resident(&rows);
    /// let ctx = Context::new(&comm, Some(&queue));
    /// for k in [2, 4, 8] {
    ///     // The rows cross to the device once, for all three fits.
    ///     let model = Estimator::fit(&KMeans::new(k), ctx, &data)?;
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resident(mut self, rows: &'a ResidentRows) -> Self {
        self.resident = Some(rows);
        self
    }

    /// The device copy of the features given with [`Self::resident`], if any.
    pub fn resident_rows(&self) -> Option<&'a ResidentRows> {
        self.resident
    }

    /// The features, `n x d`.
    pub fn x(&self) -> ArrayView2<'a, F> {
        self.x
    }

    /// The targets, `n x t`, if given.
    pub fn y(&self) -> Option<ArrayView2<'a, F>> {
        self.y
    }

    /// Whether the targets were one-dimensional.
    pub fn y_is_1d(&self) -> bool {
        self.y_is_1d
    }

    /// The weights, if given.
    pub fn weights(&self) -> Option<ArrayView1<'a, F>> {
        self.sample_weight
    }

    /// The targets as one column of class labels; an error when they are missing or wider.
    pub fn labels(&self) -> Result<ArrayView1<'a, F>> {
        let y = self.y.ok_or_else(|| {
            Error::Input("a classifier needs class labels (y); none were given".into())
        })?;
        if y.ncols() != 1 {
            return Err(Error::Shape {
                what: "y".into(),
                expected: "one column of class labels".into(),
                found: format!("{} columns", y.ncols()),
            });
        }
        Ok(y.index_axis_move(ndarray::Axis(1), 0))
    }
}
