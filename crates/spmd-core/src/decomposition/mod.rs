//! Matrix decompositions.

mod pca;
mod tsqr;

pub use pca::{FittedPca, IncrementalPca, IncrementalPcaParams, NComponents, Pca, PcaParams};
pub use tsqr::{FittedQr, FittedSvd, Qr, Svd};
