//! Neighbour searches over all ranks' rows: [`NearestNeighbors`], [`KNeighborsClassifier`] and
//! [`KNeighborsRegressor`] (scikit-learn's brute-force search, exactly).
//!
//! `fit` is local but for agreeing on the width and, for the classifier, the union of classes:
//! each rank keeps its own training rows. `kneighbors`, `predict`, `predict_proba` and `score`
//! are collective: each rank asks for its own query rows, and the training rows travel once
//! around the ring of ranks in blocks (one block per rank), each rank keeping a running top-k
//! per query. No rank ever holds more than its own rows and one block in flight. Neighbour
//! indices are global (the row number in the concatenation of every rank's training rows), and
//! ties go to the lower index, so the result is the same for any number of ranks and any split.
//! Distances are computed exactly in f64. With a queue, the GPU lists each block's candidates
//! and the host computes the exact keys of those that may count (the neighbours are the CPU's
//! exactly; see the `gpu` module's notes); Minkowski with p other than 1 and 2, `k` above 64
//! and `radius_neighbors` search on the CPU.
//!
//! ```
//! use ndarray::array;
//! use spmd_core::neighbors::KNeighborsClassifier;
//!
//! let x = array![[0.0_f64], [1.0], [2.0], [10.0], [11.0]];
//! let y = array![0, 0, 0, 1, 1];
//! let model = KNeighborsClassifier::new().n_neighbors(3).fit(&x, &y)?;
//! let (distances, indices) = model.kneighbors(Some(array![[10.4]].view()), None, None)?;
//! assert_eq!(indices.row(0).to_vec(), [3, 4, 2]);
//! assert!((distances[[0, 2]] - 8.4).abs() < 1e-12);
//! assert_eq!(model.predict(array![[0.4], [10.6]].view(), None)?.to_vec(), [0, 1]);
//! # Ok::<(), spmd_core::Error>(())
//! ```

mod contract;
mod gpu;
pub(crate) mod metric;
mod search;

pub use metric::Metric;

use ndarray::{Array1, Array2, ArrayBase, ArrayView2, Data, Ix1, Ix2};
use serde::{Deserialize, Serialize};
use spmd_comm::Comm;

use crate::classes::{encode, global_accuracy, global_classes, local_classes, ClassLabel};
use crate::distributed::{agree, comm_or_world, global_shape};
use crate::validate::{check_features, check_finite, check_same_rows};
use crate::{Error, Float, Queue, Result};
use metric::Measure;
use search::{distances_and_indices, Block, Precision, Search, TopK};

/// How the neighbours' votes or values are weighed (scikit-learn's `weights`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weights {
    /// Every neighbour alike.
    #[default]
    Uniform,
    /// By the inverse of the distance; a query at distance 0 from some neighbours takes those
    /// alone.
    Distance,
}

/// Parameters of the neighbour estimators, under scikit-learn's names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NeighborsParams {
    /// Neighbours per query (default 5).
    pub n_neighbors: usize,
    /// How neighbours are weighed in `predict` (default uniform).
    pub weights: Weights,
    /// The distance (default minkowski, with `p`).
    pub metric: Metric,
    /// Minkowski's exponent (default 2, the euclidean distance).
    pub p: f64,
    /// The radius of [`FittedNeighbors::radius_neighbors`] (default 1).
    pub radius: f64,
}

impl Default for NeighborsParams {
    fn default() -> Self {
        Self {
            n_neighbors: 5,
            weights: Weights::Uniform,
            metric: Metric::Minkowski,
            p: 2.0,
            radius: 1.0,
        }
    }
}

impl NeighborsParams {
    /// Errors on values scikit-learn rejects.
    pub fn check(&self) -> Result<()> {
        check_k(self.n_neighbors)?;
        check_radius(self.radius)?;
        self.metric.measure(self.p).map(|_| ())
    }
}

fn check_radius(radius: f64) -> Result<()> {
    if radius.is_nan() || radius < 0.0 {
        return Err(Error::InvalidParam {
            name: "radius",
            value: radius.to_string(),
            expected: "a number >= 0",
        });
    }
    Ok(())
}

fn check_k(k: usize) -> Result<()> {
    if k == 0 {
        return Err(Error::InvalidParam {
            name: "n_neighbors",
            value: "0".into(),
            expected: "an integer >= 1",
        });
    }
    Ok(())
}

crate::builder::builder!(
    /// scikit-learn's `NearestNeighbors` (brute force) over all ranks' rows.
    pub struct NearestNeighbors,
    NeighborsParams {
        /// Neighbours per query.
        n_neighbors: usize,
        /// The distance.
        metric: Metric,
        /// Minkowski's exponent.
        p: f64,
        /// The radius of `radius_neighbors`.
        radius: f64,
    },
    new = "scikit-learn's defaults: 5 neighbours, radius 1, minkowski with p = 2."
);

/// The classifier and the regressor: the same parameters, only what is weighed differs.
macro_rules! knn_builder {
    ($(#[$doc:meta])* pub struct $name:ident, $weighed:literal) => {
        crate::builder::builder!(
            $(#[$doc])*
            pub struct $name,
            NeighborsParams {
                /// Neighbours per query.
                n_neighbors: usize,
                #[doc = concat!("How neighbours' ", $weighed, " are weighed.")]
                weights: Weights,
                /// The distance.
                metric: Metric,
                /// Minkowski's exponent.
                p: f64,
            },
            new = "scikit-learn's defaults: 5 neighbours, uniform weights, minkowski with p = 2."
        );
    };
}

knn_builder!(
    /// scikit-learn's `KNeighborsClassifier` (brute force) over all ranks' rows.
    pub struct KNeighborsClassifier,
    "votes"
);

knn_builder!(
    /// scikit-learn's `KNeighborsRegressor` (brute force) over all ranks' rows.
    pub struct KNeighborsRegressor,
    "values"
);

/// What travels with each training row.
#[derive(Debug, Clone)]
enum Targets {
    None,
    /// Class codes (indices into `classes`).
    Classes {
        classes: Vec<i64>,
        codes: Vec<u32>,
    },
    /// Target columns, and whether `y` was one-dimensional.
    Values {
        y: Array2<f64>,
        one_d: bool,
    },
}

/// A fitted neighbour search: this rank's training rows (prepared for the metric), where they
/// start in the global order, and their targets.
#[derive(Debug, Clone)]
pub struct FittedNeighbors {
    params: NeighborsParams,
    measure: Measure,
    comm: Comm,
    rows: Array2<f64>,
    first: u64,
    total: u64,
    targets: Targets,
    /// f32 for rows fitted in f32: the squared-distance sweep prunes in that precision.
    prune_in: Precision,
}

/// A sparse matrix in compressed rows (scikit-learn's `csr_matrix`): row `r`'s entries are
/// `data[indptr[r]..indptr[r + 1]]` in the columns `indices[..]` of the same range.
#[derive(Debug, Clone, PartialEq)]
pub struct Csr {
    /// Where each row's entries start, and the end (`rows + 1` values).
    pub indptr: Vec<usize>,
    /// Column of each entry (a global training row).
    pub indices: Vec<u64>,
    /// Value of each entry.
    pub data: Vec<f64>,
    /// Columns: the training rows over all ranks.
    pub n_cols: u64,
}

/// A fitted [`KNeighborsClassifier`]; its search is [`FittedNeighbors`] (through `Deref`).
#[derive(Debug, Clone)]
pub struct FittedKNeighborsClassifier(FittedNeighbors);

/// A fitted [`KNeighborsRegressor`]; its search is [`FittedNeighbors`] (through `Deref`).
#[derive(Debug, Clone)]
pub struct FittedKNeighborsRegressor(FittedNeighbors);

impl std::ops::Deref for FittedKNeighborsClassifier {
    type Target = FittedNeighbors;
    fn deref(&self) -> &FittedNeighbors {
        &self.0
    }
}

impl std::ops::Deref for FittedKNeighborsRegressor {
    type Target = FittedNeighbors;
    fn deref(&self) -> &FittedNeighbors {
        &self.0
    }
}

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
    })
}

/// `x` in f64, row-major whatever its layout (the search reads rows as slices), each row
/// prepared for `measure`.
fn prepared<F: Float>(x: ArrayView2<'_, F>, measure: Measure) -> Array2<f64> {
    // from_shape_fn lays the rows out one after another, so each is a slice.
    let mut rows = Array2::from_shape_fn(x.dim(), |at| x[at].as_f64());
    for mut row in rows.rows_mut() {
        if let Some(row) = row.as_slice_mut() {
            measure.prepare(row);
        }
    }
    rows
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

impl FittedNeighbors {
    /// Training rows over all ranks.
    pub fn n_samples_fit(&self) -> u64 {
        self.total
    }

    /// Features per row.
    pub fn n_features_in(&self) -> usize {
        self.rows.ncols()
    }

    /// The parameters.
    pub fn params(&self) -> &NeighborsParams {
        &self.params
    }

    /// Distances and global indices (`n x k`, nearest first, ties to the lower index) of the
    /// `k` (default `n_neighbors`) nearest training rows of each row of `x`; with `x = None`,
    /// of each of this rank's training rows among the others (scikit-learn's
    /// `kneighbors(X=None)`). Collective: every rank calls it, with its own rows.
    pub fn kneighbors<F: Float>(
        &self,
        x: Option<ArrayView2<'_, F>>,
        k: Option<usize>,
        queue: Option<&Queue>,
    ) -> Result<(Array2<f64>, Array2<u64>)> {
        let k = k.unwrap_or(self.params.n_neighbors);
        let tops = self.search(x, k, 0, queue)?;
        Ok(distances_and_indices(self.measure, &tops, k))
    }

    /// The training rows within `radius` (default the parameter's) of each row of `x` (with
    /// `x = None`, of each of this rank's training rows, itself left out): distances and global
    /// indices per row, in index order, or nearest first with `sort_results` (ties to the lower
    /// index), as scikit-learn's brute-force `radius_neighbors`. Collective.
    pub fn radius_neighbors<F: Float>(
        &self,
        x: Option<ArrayView2<'_, F>>,
        radius: Option<f64>,
        sort_results: bool,
    ) -> Result<Vec<(Vec<f64>, Vec<u64>)>> {
        let radius = radius.unwrap_or(self.params.radius);
        let local = check_radius(radius).and_then(|_| self.prepare_queries(x));
        let queries = agree(&self.comm, local)?;
        let queries = queries.as_ref().unwrap_or(&self.rows);
        let (search, block) = self.search_and_block(x.is_none(), 1, 0);
        let found = search.within(queries.view(), block, radius, sort_results)?;
        Ok(found
            .into_iter()
            .map(|near| near.into_iter().unzip())
            .collect())
    }

    /// The `k`-neighbours graph of this rank's query rows (`x = None`: its training rows, each
    /// without itself), as scikit-learn's `kneighbors_graph`: a sparse matrix with one row per
    /// query and one column per training row over all ranks, holding 1 (`distance = false`,
    /// connectivity) or the distance at each neighbour. Collective.
    pub fn kneighbors_graph<F: Float>(
        &self,
        x: Option<ArrayView2<'_, F>>,
        k: Option<usize>,
        distance: bool,
        queue: Option<&Queue>,
    ) -> Result<Csr> {
        let (distances, indices) = self.kneighbors(x, k, queue)?;
        let (rows, k) = indices.dim();
        Ok(Csr {
            indptr: (0..=rows).map(|r| r * k).collect(),
            indices: indices.iter().copied().collect(),
            data: if distance {
                distances.iter().copied().collect()
            } else {
                vec![1.0; rows * k]
            },
            n_cols: self.total,
        })
    }

    /// The ring search over this rank's rows, carrying `carry` target values per row.
    fn search_and_block<'a>(
        &'a self,
        exclude_self: bool,
        k: usize,
        carry: usize,
    ) -> (Search<'a>, Block) {
        let width = self.rows.ncols();
        let mut block = Block::starting_at(self.first, self.rows.nrows() * (width + carry));
        for (i, row) in self.rows.rows().into_iter().enumerate() {
            block.extend(row.iter().copied());
            match &self.targets {
                Targets::Classes { codes, .. } if carry > 0 => block.extend([f64::from(codes[i])]),
                Targets::Values { y, .. } if carry > 0 => block.extend(y.row(i).iter().copied()),
                _ => {}
            }
        }
        let search = Search {
            comm: &self.comm,
            measure: self.measure,
            width,
            carry,
            k,
            exclude_self: exclude_self.then_some(self.first),
            prune_in: self.prune_in,
        };
        (search, block)
    }

    /// The top-k of each query with `carry` target values per neighbour.
    fn search<F: Float>(
        &self,
        x: Option<ArrayView2<'_, F>>,
        k: usize,
        carry: usize,
        queue: Option<&Queue>,
    ) -> Result<Vec<TopK>> {
        let local = self.check_query(x, k);
        let queries = agree(&self.comm, local)?;
        let queries = queries.as_ref().unwrap_or(&self.rows);
        let (search, block) = self.search_and_block(x.is_none(), k, carry);
        let (mut started, failed) =
            match gpu::DeviceSearch::for_queue(&search, queue, queries.view()) {
                Ok(device) => (device, None),
                Err(e) => (None, Some(e)),
            };
        let device = match failed {
            Some(e) => Err(e),
            None => Ok(started.as_mut().map(|d| d as &mut dyn search::BlockMerger)),
        };
        search.run(queries.view(), block, device)
    }

    /// This rank's query rows, prepared for the metric (`None`: the training rows themselves),
    /// after checking them and `k` against the training rows.
    fn check_query<F: Float>(
        &self,
        x: Option<ArrayView2<'_, F>>,
        k: usize,
    ) -> Result<Option<Array2<f64>>> {
        check_k(k)?;
        self.check_available(x.is_none(), k)?;
        self.prepare_queries(x)
    }

    /// Errors unless `k` training rows exist over all ranks (less one, for each query's own
    /// row, with `training_rows`).
    fn check_available(&self, training_rows: bool, k: usize) -> Result<()> {
        let available = self.total - u64::from(training_rows);
        if k as u64 > available {
            return Err(Error::InvalidParam {
                name: "n_neighbors",
                value: k.to_string(),
                expected: if training_rows {
                    "at most the training rows over all ranks less one (each row's own)"
                } else {
                    "at most the training rows over all ranks"
                },
            });
        }
        Ok(())
    }

    /// This rank's query rows, checked and prepared for the metric (`None`: the training rows
    /// themselves).
    fn prepare_queries<F: Float>(
        &self,
        x: Option<ArrayView2<'_, F>>,
    ) -> Result<Option<Array2<f64>>> {
        let Some(x) = x else {
            return Ok(None);
        };
        if x.ncols() != self.rows.ncols() {
            return Err(Error::Shape {
                what: "X".into(),
                expected: format!("{} features, as in fit", self.rows.ncols()),
                found: format!("{} features", x.ncols()),
            });
        }
        check_finite("X", x, self.comm.rank())?;
        Ok(Some(prepared(x, self.measure)))
    }

    /// Each neighbour's weight: 1, or its inverse distance; where some neighbours are at
    /// distance 0, those alone with weight 1 (scikit-learn's `_get_weights`).
    fn weights(&self, top: &TopK) -> Vec<f64> {
        let distances: Vec<f64> = top
            .found
            .iter()
            .map(|&(key, _)| self.measure.distance(key))
            .collect();
        match self.params.weights {
            Weights::Uniform => vec![1.0; distances.len()],
            Weights::Distance if distances.contains(&0.0) => distances
                .iter()
                .map(|&d| if d == 0.0 { 1.0 } else { 0.0 })
                .collect(),
            Weights::Distance => distances.iter().map(|d| 1.0 / d).collect(),
        }
    }
}

impl FittedKNeighborsClassifier {
    /// The classes, sorted (scikit-learn's `classes_`).
    pub fn classes(&self) -> &[i64] {
        match &self.0.targets {
            Targets::Classes { classes, .. } => classes,
            _ => &[],
        }
    }

    /// Each row's class probabilities (`n x classes`): the weighed share of its neighbours in
    /// each class. Collective.
    pub fn predict_proba<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        queue: Option<&Queue>,
    ) -> Result<Array2<f64>> {
        let k = self.params.n_neighbors;
        let tops = self.0.search(Some(x), k, 1, queue)?;
        let classes = self.classes().len();
        let mut proba = Array2::zeros((tops.len(), classes));
        for (mut row, top) in proba.rows_mut().into_iter().zip(&tops) {
            for (w, carried) in self.0.weights(top).iter().zip(&top.carried) {
                let code = carried.first().copied().unwrap_or(0.0) as usize;
                if code < classes {
                    row[code] += w;
                }
            }
            let total: f64 = row.sum();
            if total > 0.0 {
                row.mapv_inplace(|v| v / total);
            }
        }
        Ok(proba)
    }

    /// Each row's class: the most weighed among its neighbours, ties to the lower class.
    /// Collective.
    pub fn predict<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        queue: Option<&Queue>,
    ) -> Result<Array1<i64>> {
        let proba = self.predict_proba(x, queue)?;
        let classes = self.classes();
        Ok(proba
            .rows()
            .into_iter()
            .map(|row| {
                let best = row
                    .iter()
                    .enumerate()
                    .fold(
                        (0, f64::NEG_INFINITY),
                        |b, (c, &v)| if v > b.1 { (c, v) } else { b },
                    );
                classes.get(best.0).copied().unwrap_or_default()
            })
            .collect())
    }

    /// Accuracy over all ranks' rows `x` and labels `y`. Collective.
    pub fn score<F: Float, L: ClassLabel, T: Data<Elem = L>>(
        &self,
        x: ArrayView2<'_, F>,
        y: &ArrayBase<T, Ix1>,
        queue: Option<&Queue>,
    ) -> Result<f64> {
        global_accuracy(&self.comm, self.predict(x, queue), y)
    }
}

impl FittedKNeighborsRegressor {
    /// Each row's prediction (`n x t`): its neighbours' targets, averaged with their weights.
    /// Collective.
    pub fn predict<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        queue: Option<&Queue>,
    ) -> Result<Array2<f64>> {
        let Targets::Values { y, .. } = &self.0.targets else {
            return Err(Error::Input("the regressor holds no targets".into()));
        };
        let t = y.ncols();
        let tops = self.0.search(Some(x), self.params.n_neighbors, t, queue)?;
        let mut out = Array2::zeros((tops.len(), t));
        for (mut row, top) in out.rows_mut().into_iter().zip(&tops) {
            let weights = self.0.weights(top);
            let total: f64 = weights.iter().sum();
            for (w, carried) in weights.iter().zip(&top.carried) {
                row.iter_mut().zip(carried).for_each(|(o, v)| *o += w * v);
            }
            row.mapv_inplace(|v| v / total);
        }
        Ok(out)
    }

    /// Whether the targets were one-dimensional.
    pub fn y_is_1d(&self) -> bool {
        matches!(self.0.targets, Targets::Values { one_d: true, .. })
    }

    /// R² over all ranks' rows (averaged over targets). Collective: `y` is checked on every
    /// rank (its rows, its targets, finite values) before the search, as
    /// [`LinearModel::score`](crate::linear::LinearModel::score) checks it.
    pub fn score<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        y: &impl crate::linear::Targets<F>,
        queue: Option<&Queue>,
    ) -> Result<f64> {
        use crate::linear::model::{r2_score, target_mismatch};
        let y = y.as_columns();
        let targets = match &self.0.targets {
            Targets::Values { y, .. } => y.ncols(),
            _ => 0,
        };
        let local = check_same_rows(x.nrows(), y.nrows())
            .and_then(|_| {
                check_features(targets, y.ncols()).map_err(|_| target_mismatch(targets, y.ncols()))
            })
            .and_then(|_| check_finite("y", y, self.comm.rank()));
        agree(&self.comm, local)?;
        let predicted = self.predict(x, queue)?;
        r2_score(&self.comm, y.mapv(|v| v.as_f64()).view(), predicted.view())
    }
}
