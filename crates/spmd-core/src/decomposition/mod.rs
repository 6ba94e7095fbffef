//! Matrix decompositions.

mod pca;

pub use pca::{FittedPca, IncrementalPca, NComponents, Pca, PcaParams};
