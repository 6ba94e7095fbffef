//! Clustering.

mod contract;
mod dbscan;
mod kmeans;

pub use dbscan::{Across, Dbscan, DbscanParams, FittedDbscan};
pub use kmeans::{FittedKMeans, Init, KMeans, KMeansParams, NInit};
