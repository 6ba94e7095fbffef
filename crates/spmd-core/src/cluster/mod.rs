//! Clustering.

mod contract;
mod dbscan;
mod hdbscan;
mod kmeans;

pub use dbscan::{Across, Dbscan, DbscanParams, FittedDbscan};
pub use hdbscan::{FittedHdbscan, Hdbscan, HdbscanParams, SelectionMethod, StoreCenters};
pub use kmeans::{FittedKMeans, Init, KMeans, KMeansParams, NInit};
