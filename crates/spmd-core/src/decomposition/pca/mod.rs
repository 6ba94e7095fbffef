//! Principal component analysis.

mod fit;
mod fitted;
mod incremental;
mod params;

pub use fitted::FittedPca;
pub use incremental::{IncrementalPca, IncrementalPcaParams};
pub use params::{NComponents, Pca, PcaParams, SvdSolver};
