//! Distributed k-means (scikit-learn's `KMeans`, Lloyd's algorithm).

mod element;
mod fit;
mod fitted;
mod gpu;
mod init;
mod lloyd;
mod params;
#[cfg(target_arch = "x86_64")]
mod sweep_x86;

pub use fitted::FittedKMeans;
pub use params::{Init, KMeans, KMeansParams, NInit};
