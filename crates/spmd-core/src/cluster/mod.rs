//! Clustering.

mod contract;
mod kmeans;

pub(crate) use kmeans::squared_distance;
pub use kmeans::{FittedKMeans, Init, KMeans, KMeansParams, NInit};
