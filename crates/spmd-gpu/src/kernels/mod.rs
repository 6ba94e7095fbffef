//! The compute kernels. Each owns its WGSL (`shaders/<name>.wgsl`) and its pipelines.

pub mod affine;
pub mod dbscan;
pub mod forest;
pub mod gram;
pub mod kmeans;
pub mod kmeans_seeding;
pub mod logistic;
pub mod matmul;
pub mod moments;
pub mod neighbors;
mod pair_chunks;
pub mod xt_r;

pub(crate) use crate::dispatch::{
    check_shapes, input_buffer, run_dispatch, settle, Grouping, Recorder, WORKGROUP,
};
