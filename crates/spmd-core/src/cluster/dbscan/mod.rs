//! [`Dbscan`]: scikit-learn's DBSCAN over all ranks' rows, with its labels for any number of
//! ranks and any split.
//!
//! With several ranks, space is by default cut into one region per rank ([`Across`]): each row
//! moves to its region's rank with the rows of other regions within eps of it (its halo), the
//! ranks cluster their regions, join the components that meet in the halos, and send each label
//! back to the rank and row it came from (see `space.rs`). Where the halo would be large, and
//! with [`Across::Ring`], rows stay on their ranks instead, as follows.
//! Two passes around the ring of ranks (as the neighbour search's)
//! find every pair within eps: the first adds up each row's (weighted) neighbourhood, itself
//! included, so each rank knows its core rows; the second finds, for each row, the core rows
//! of other ranks within eps. Each rank first joins its own core rows into components (named
//! by their smallest global row); the second pass records the pairs of components of
//! different ranks that touch, and, for each row that is not core, the components of its core
//! neighbours. One allgatherv of the components and one of those pairs join them into
//! clusters on every rank, numbered by their smallest core row (scikit-learn's order); a row
//! that is not core takes the smallest cluster among its core neighbours', or is noise (-1).
//! A rank holds its rows, one block in flight and per-row state; the join holds one id per
//! component and one pair per pair of touching components, whatever the number of clusters
//! (in the worst case, every core row a cluster of its own, one id per core row).
//!
//! A pair is within eps when its reduced distance (the sum of squares for euclidean, of
//! `|d|^p` for minkowski) is at most eps's, computed exactly in f64 as scikit-learn's
//! `algorithm="kd_tree"` does, so pairs at exactly eps are decided alike. Where the rows
//! spread over many eps along some coordinates, pairs are found through a grid over up to
//! three of them (the cells of side eps around a row hold every row within eps); otherwise
//! every pair is looked at, each sum stopping once it exceeds eps's.
//!
//! ```
//! use ndarray::array;
//! use spmd_core::cluster::Dbscan;
//!
//! let x = array![[0.0_f64], [0.5], [1.0], [10.0], [10.5], [11.0], [30.0]];
//! let fitted = Dbscan::new().eps(0.6).min_samples(2).fit(&x, None, None)?;
//! assert_eq!(fitted.labels().to_vec(), [0, 0, 0, 1, 1, 1, -1]);
//! assert_eq!(fitted.n_clusters(), 2);
//! # Ok::<(), spmd_core::Error>(())
//! ```

mod components;
mod contract;
mod fit;
mod fitted;
mod gpu;
mod join;
mod pairs;
mod params;
mod passes;
mod space;

pub(in crate::cluster) use components::UnionFind;
pub use fitted::FittedDbscan;
pub use params::{Across, Dbscan, DbscanParams};
pub(in crate::cluster) use space::sampled_regions;
