//! Matrix decompositions.

mod pca;

pub use pca::{FittedPca, NComponents, Pca, PcaParams};
