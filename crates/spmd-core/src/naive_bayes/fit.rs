//! MultinomialNB and its fit, one-shot or batch by batch.

use ndarray::{ArrayBase, ArrayView1, ArrayView2, Data, Ix1, Ix2};
use spmd_comm::{Comm, ReduceOp};
use spmd_gpu::Queue;

use super::counts::{check_counts, Counts};
use super::fitted::FittedMultinomialNb;
use super::params::MultinomialNbParams;
use crate::classes::{encode, global_classes, local_classes, ClassLabel};
use crate::distributed::{agree, comm_or_world, global_shape};
use crate::partials::FailureMemory;
use crate::validate::{check_same_rows, check_weights};
use crate::{Error, Float, Result};

/// scikit-learn's `MultinomialNB` over all ranks' rows: per-class feature counts and class
/// counts are summed with one allreduce, and every rank gets the same model.
///
/// [`fit`](Self::fit) is collective. [`partial_fit`](Self::partial_fit) adds a batch of this
/// rank's rows locally (the first call names the classes, as in scikit-learn), and
/// [`finalize`](Self::finalize) (collective) gives the model of every batch of every rank so far.
///
/// ```
/// use ndarray::array;
/// use spmd_core::naive_bayes::MultinomialNb;
///
/// let x = array![[3.0_f64, 0.0, 1.0], [2.0, 1.0, 0.0], [0.0, 4.0, 1.0], [1.0, 3.0, 2.0]];
/// let y = array![0, 0, 1, 1];
/// let model = MultinomialNb::new().fit(&x, &y, None)?;
/// assert_eq!(model.class_count().to_vec(), [2.0, 2.0]);
/// assert_eq!(model.feature_count().row(0).to_vec(), [5.0, 1.0, 1.0]);
/// // log((5 + 1) / (7 + 3))
/// assert!((model.feature_log_prob()[[0, 0]] - (0.6_f64).ln()).abs() < 1e-12);
/// assert_eq!(model.predict(&array![[5.0, 0.0, 0.0], [0.0, 5.0, 0.0]], None)?.to_vec(), [0, 1]);
/// # Ok::<(), spmd_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct MultinomialNb {
    pub(super) params: MultinomialNbParams,
    pub(super) comm: Option<Comm>,
    /// Classes and this rank's counts of the batches given to `partial_fit`.
    batches: Option<(Vec<i64>, Counts)>,
    pub(super) failure: FailureMemory,
}

impl MultinomialNb {
    /// scikit-learn's defaults (`alpha=1`, `fit_prior=True`).
    pub fn new() -> Self {
        Self::default()
    }

    /// From parameters (as read from a model file or the command line).
    pub fn with_params(params: MultinomialNbParams) -> Self {
        Self {
            params,
            ..Self::default()
        }
    }

    /// The ranks that fit together; `Comm::world()` by default.
    pub fn comm(mut self, comm: spmd_comm::Comm) -> Self {
        self.comm = Some(comm);
        self
    }

    /// The parameters.
    pub fn params(&self) -> &MultinomialNbParams {
        &self.params
    }

    /// Additive smoothing.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.params.alpha = alpha;
        self
    }

    /// Whether to learn class priors.
    pub fn fit_prior(mut self, fit_prior: bool) -> Self {
        self.params.fit_prior = fit_prior;
        self
    }

    /// Given class priors (sorted label order).
    pub fn class_prior(mut self, class_prior: Option<Vec<f64>>) -> Self {
        self.params.class_prior = class_prior;
        self
    }
}

impl MultinomialNb {
    /// [`fit_weighted`](Self::fit_weighted) on views.
    pub(super) fn fit_labelled<F: Float, L: ClassLabel>(
        &self,
        x: &ArrayView2<'_, F>,
        y: &ArrayView1<'_, L>,
        sample_weight: Option<ArrayView1<'_, f64>>,
        queue: Option<&Queue>,
    ) -> Result<FittedMultinomialNb> {
        let comm = comm_or_world(self.comm.as_ref())?;
        let rank = comm.rank();
        let labels = self.check_batch(x, y, sample_weight, rank);
        let labels = agree(&comm, labels)?;
        let shape = global_shape(&comm, x.nrows(), [x.ncols(), 0], ["X", "y"])?;
        if shape.rows == 0 {
            return Err(Error::Empty { what: "X" });
        }
        let classes = global_classes(&comm, &labels)?;
        let mut counts = Counts::zeros(classes.len(), shape.columns[0]);
        let added = counts.add(x.view(), &encode(&classes, &labels), sample_weight, queue);
        agree(&comm, added)?;
        self.model(&comm, classes, counts)
    }

    /// Adds a batch of this rank's rows. Local. `classes` (every class of the whole fit) is
    /// required on the first call and, if given later, must be the same. An error is also
    /// remembered and makes `finalize` fail on every rank.
    pub fn partial_fit<F, L, S, T>(
        &mut self,
        x: &ArrayBase<S, Ix2>,
        y: &ArrayBase<T, Ix1>,
        classes: Option<&[i64]>,
        sample_weight: Option<ArrayView1<'_, f64>>,
        queue: Option<&Queue>,
    ) -> Result<()>
    where
        F: Float,
        L: ClassLabel,
        S: Data<Elem = F>,
        T: Data<Elem = L>,
    {
        let rank = self.comm.as_ref().map_or(0, Comm::rank);
        let result = self.add_batch((x.view(), y.view()), classes, sample_weight, queue, rank);
        self.failure.remember(result)
    }

    /// [`partial_fit`](Self::partial_fit) of views; `batch` is `(x, y)`.
    fn add_batch<F: Float, L: ClassLabel>(
        &mut self,
        (x, y): (ArrayView2<'_, F>, ArrayView1<'_, L>),
        classes: Option<&[i64]>,
        sample_weight: Option<ArrayView1<'_, f64>>,
        queue: Option<&Queue>,
        rank: usize,
    ) -> Result<()> {
        let labels = self.check_batch(&x, &y, sample_weight, rank)?;
        let sorted = classes.map(|given| {
            let mut sorted = given.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            sorted
        });
        if self.batches.is_none() {
            if let Some(sorted) = &sorted {
                self.batches = Some((sorted.clone(), Counts::zeros(sorted.len(), x.ncols())));
            }
        }
        let Some((known, counts)) = self.batches.as_mut() else {
            return Err(Error::Input(
                "classes must be passed on the first call to partial_fit".into(),
            ));
        };
        if let Some(sorted) = sorted.filter(|s| s != known) {
            return Err(Error::Input(format!(
                "classes {sorted:?} differ from {known:?} given to the first partial_fit"
            )));
        }
        if counts.feature_count.ncols() != x.ncols() {
            return Err(Error::Shape {
                what: "X".into(),
                expected: format!(
                    "{} features, as in earlier batches",
                    counts.feature_count.ncols()
                ),
                found: format!("{} features", x.ncols()),
            });
        }
        let encoded = encode(known, &labels);
        if let Some(i) = encoded.iter().position(|&c| c == u32::MAX) {
            return Err(Error::Input(format!(
                "y holds class {} at row {i} (local to rank {rank}), which is not among the \
                 classes {known:?}",
                labels[i]
            )));
        }
        counts.add(x.view(), &encoded, sample_weight, queue)
    }

    /// The model of every batch every rank has passed to `partial_fit`. Every rank calls it.
    pub fn finalize(&self) -> Result<FittedMultinomialNb> {
        let comm = comm_or_world(self.comm.as_ref())?;
        self.failure.agree(&comm)?;
        let (classes, d) = match &self.batches {
            Some((classes, counts)) => (classes.clone(), counts.feature_count.ncols()),
            None => (Vec::new(), 0),
        };
        // Ranks without batches adopt the others' classes; ranks with batches must agree.
        let (all, lengths) = comm.allgatherv(&classes)?;
        let shapes = comm.allgather(&[d as u64, u64::from(self.batches.is_some())])?;
        let mut agreed: Option<(&[i64], u64)> = None;
        let mut offset = 0;
        for (rank, &len) in lengths.iter().enumerate() {
            let theirs = &all[offset..offset + len];
            offset += len;
            if shapes[2 * rank + 1] == 0 {
                continue;
            }
            match agreed {
                None => agreed = Some((theirs, shapes[2 * rank])),
                Some((c, cols)) if c == theirs && cols == shapes[2 * rank] => {}
                Some(_) => {
                    return Err(Error::RankMismatch {
                        what: "the classes or features given to partial_fit",
                        detail: format!(
                            "rank {rank} has classes {theirs:?} and {} features",
                            shapes[2 * rank]
                        ),
                    })
                }
            }
        }
        let Some((classes, d)) = agreed.map(|(c, d)| (c.to_vec(), d as usize)) else {
            return Err(Error::Empty { what: "X" });
        };
        let counts = match &self.batches {
            Some((_, counts)) => counts.clone(),
            None => Counts::zeros(classes.len(), d),
        };
        self.model(&comm, classes, counts)
    }

    fn check_batch<F, L, S, T>(
        &self,
        x: &ArrayBase<S, Ix2>,
        y: &ArrayBase<T, Ix1>,
        sample_weight: Option<ArrayView1<'_, f64>>,
        rank: usize,
    ) -> Result<Vec<i64>>
    where
        F: Float,
        L: ClassLabel,
        S: Data<Elem = F>,
        T: Data<Elem = L>,
    {
        self.params.check()?;
        check_same_rows(x.nrows(), y.len())?;
        check_weights(sample_weight, x.nrows(), rank)?;
        check_counts(x.view(), rank)?;
        local_classes(y, rank)
    }

    /// Sums the counts over ranks and turns them into the model on every rank.
    fn model(&self, comm: &Comm, classes: Vec<i64>, counts: Counts) -> Result<FittedMultinomialNb> {
        let (k, d) = counts.feature_count.dim();
        let mut flat: Vec<f64> = counts
            .class_count
            .iter()
            .chain(counts.feature_count.iter())
            .copied()
            .collect();
        comm.allreduce_in_place(&mut flat, ReduceOp::Sum)?;
        if comm.size() > 1 {
            comm.broadcast(0, &mut flat)?;
        }
        let totals = Counts {
            class_count: flat[..k].to_vec(),
            feature_count: ndarray::Array2::from_shape_vec((k, d), flat[k..].to_vec())
                .map_err(|e| Error::Input(e.to_string()))?,
        };
        FittedMultinomialNb::from_counts(&self.params, classes, totals)
    }
}
