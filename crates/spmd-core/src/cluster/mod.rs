//! Clustering.

mod contract;
mod dbscan;
mod kmeans;

pub use dbscan::{Dbscan, DbscanParams, FittedDbscan};
pub(crate) use kmeans::{local_inertia, squared_distance};
pub use kmeans::{FittedKMeans, Init, KMeans, KMeansParams, NInit};
