//! Clustering.

mod contract;
mod kmeans;

pub use kmeans::{FittedKMeans, Init, KMeans, KMeansParams, NInit};
