//! [`Hdbscan`]: scikit-learn's HDBSCAN over all ranks' rows, with its labels and probabilities
//! for any number of ranks and any split, and memory O(n/P) rows plus O(n) numbers per rank.
//!
//! 0. **Rows by region.** With several ranks, each row moves to the rank of its region of space
//!    (DBSCAN's sampled k-d cut), keeping its global index, so most of its neighbours are on
//!    its rank; the labels do not depend on where a row is.
//! 1. **Core distances.** Each rank builds a k-d tree over its rows once; the rows pass around
//!    the ring of ranks in the tree's order, the tree's nodes ahead of them, and each rank
//!    keeps, for each of its rows, the `min_samples` nearest rows it meets (the row itself
//!    included, as scikit-learn's `kneighbors` does) and those at the same distance as the
//!    last.
//! 2. **Minimum spanning tree** of the mutual-reachability graph
//!    (`max(core_a, core_b, d(a, b) / alpha)`), by Borůvka rounds. In each, a row whose kept
//!    neighbours hold an edge to another component at its own core distance is settled;
//!    where any row is not, the rows pass around the ring once more and each rank finds, for
//!    each unsettled row, the cheapest edge to a row of another component (a node of a tree is
//!    passed over where all its rows are in the row's component, or where a bound from its
//!    box and its least core distance exceeds the cheapest edge the component has found). One
//!    allgatherv agrees on each component's cheapest edge, ties broken by the rows' global
//!    indices, and every rank joins the same components. About log2(n) rounds at most; in
//!    practice a few.
//! 3. **Labels.** Every rank holds the n - 1 edges, orders them as scikit-learn's Prim's
//!    algorithm from row 0 adds them, sorts them stably by weight, and runs scikit-learn's
//!    single-linkage, condensing, stability, selection and probability code ([`tree`]), so
//!    clusters are numbered as scikit-learn numbers them. Each rank keeps its rows' share.
//!
//! With a GPU queue, step 1's search runs through the neighbour search's device path instead
//! ([`gpu`]), with the same keys; the rest runs on the CPU.
//!
//! Where edges of the spanning tree have equal weights, scikit-learn's order among them comes
//! from an unstable sort, and the minimum spanning tree itself may not be unique; here the
//! spanning tree is the one of least (weight, lower row, higher row) and equal weights are
//! merged in the order of the rows they reach. The labels agree with scikit-learn's wherever
//! that order does not change the condensed tree (the tests check data of both kinds).
//!
//! ```
//! use ndarray::array;
//! use spmd_core::cluster::Hdbscan;
//!
//! let x = array![
//!     [0.0_f64, 0.0], [0.1, 0.0], [0.0, 0.1], [0.1, 0.1], [0.05, 0.05],
//!     [5.0, 5.0], [5.1, 5.0], [5.0, 5.1], [5.1, 5.1], [5.05, 5.05],
//!     [20.0, -3.0],
//! ];
//! let fitted = Hdbscan::new().min_cluster_size(3).fit(&x, None)?;
//! assert_eq!(fitted.labels().to_vec(), [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, -1]);
//! assert_eq!(fitted.n_clusters(), 2);
//! # Ok::<(), spmd_core::Error>(())
//! ```

mod centers;
mod contract;
mod fit;
mod fitted;
mod gpu;
mod kdtree;
mod mst;
mod params;
mod tree;

pub use fitted::FittedHdbscan;
pub use params::{Hdbscan, HdbscanParams, SelectionMethod, StoreCenters};
