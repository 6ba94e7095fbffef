//! A fitted neighbour search: this rank's training rows, and the collective queries over every rank's.

use ndarray::{Array2, ArrayView2};
use spmd_comm::Comm;

use super::gpu;
use super::metric::Measure;
use super::params::{check_k, check_radius, NeighborsParams, Weights};
use super::search::{self, distances_and_indices, Block, Precision, Search, TopK};
use crate::distributed::agree;
use crate::validate::check_finite;
use crate::{Error, Float, Queue, Result};

/// What travels with each training row.
#[derive(Debug, Clone)]
pub(super) enum Targets {
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
    pub(super) params: NeighborsParams,
    pub(super) measure: Measure,
    pub(super) comm: Comm,
    pub(super) rows: Array2<f64>,
    pub(super) first: u64,
    pub(super) total: u64,
    pub(super) targets: Targets,
    /// f32 for rows fitted in f32: the squared-distance sweep prunes in that precision.
    pub(super) prune_in: Precision,
    /// This rank's rows on the GPU of the last search that had one, for the next.
    pub(super) resident: gpu::ResidentTraining,
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
        let bounds = bounding_box(self.rows.view());
        let len = self.rows.nrows() * (width + carry);
        let mut block = Block::with_header(self.first, &bounds, len);
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
    pub(super) fn search<F: Float>(
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
        let own = ((self.first, self.rows.nrows()), &self.resident);
        let (mut started, failed) =
            match gpu::DeviceSearch::for_queue(&search, queue, queries.view(), own) {
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
    pub(super) fn weights(&self, top: &TopK) -> Vec<f64> {
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

/// `x` in f64, row-major whatever its layout (the search reads rows as slices), each row
/// prepared for `measure`.
pub(super) fn prepared<F: Float>(x: ArrayView2<'_, F>, measure: Measure) -> Array2<f64> {
    // from_shape_fn lays the rows out one after another, so each is a slice.
    let mut rows = Array2::from_shape_fn(x.dim(), |at| x[at].as_f64());
    for mut row in rows.rows_mut() {
        if let Some(row) = row.as_slice_mut() {
            measure.prepare(row);
        }
    }
    rows
}

/// The rows' bounding box: each column's least value, then each column's greatest (nothing for
/// no rows), which travels with the rows so that a rank can pass over a block none of whose
/// rows can be nearer than its queries' neighbours so far.
fn bounding_box(rows: ArrayView2<'_, f64>) -> Vec<f64> {
    if rows.nrows() == 0 {
        return Vec::new();
    }
    let width = rows.ncols();
    let mut bounds = vec![f64::INFINITY; width];
    bounds.extend(std::iter::repeat_n(f64::NEG_INFINITY, width));
    for row in rows.rows() {
        for (j, &v) in row.iter().enumerate() {
            bounds[j] = bounds[j].min(v);
            bounds[width + j] = bounds[width + j].max(v);
        }
    }
    bounds
}
