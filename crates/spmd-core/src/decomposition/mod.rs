//! Matrix decompositions.

mod contract;
mod pca;
mod tsqr;

pub use contract::NoParams;
pub use pca::{
    FittedPca, IncrementalPca, IncrementalPcaParams, NComponents, Pca, PcaParams, SvdSolver,
};
pub use tsqr::{FittedQr, FittedSvd, Qr, Svd};
