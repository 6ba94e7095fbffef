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
mod fit;
mod fitted;
mod gpu;
mod knn;
pub(crate) mod metric;
mod params;
mod search;

pub use fitted::{Csr, FittedNeighbors};
pub use knn::{FittedKNeighborsClassifier, FittedKNeighborsRegressor};
pub use metric::Metric;
pub use params::{
    KNeighborsClassifier, KNeighborsRegressor, NearestNeighbors, NeighborsParams, Weights,
};
