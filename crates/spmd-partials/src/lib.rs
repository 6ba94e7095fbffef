//! The value types of spmd-learn's partial results: what one rank's pass over its rows
//! produces, on the CPU or a GPU, before ranks combine them.
//!
//! They live below both paths so that neither owns them: `spmd-gpu`'s kernels and
//! `spmd-core`'s CPU loops fill the same types.

mod column_moments;
mod host_float;
mod pack;
mod pairwise;
mod shifted_gram;

pub use column_moments::ColumnMoments;
pub use host_float::HostFloat;
pub use pack::pack_rows;
pub use pairwise::Pairwise;
pub use shifted_gram::ShiftedGram;
