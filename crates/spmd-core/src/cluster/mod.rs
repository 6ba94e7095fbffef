//! Clustering.

mod contract;
mod kmeans;

pub(crate) use kmeans::{local_inertia, squared_distance};
pub use kmeans::{FittedKMeans, Init, KMeans, KMeansParams, NInit};
