//! The WGSL sources. Each kernel's source is `shaders/common.wgsl` (the `Real` alias and the
//! invocation numbering every kernel shares) followed by `shaders/<name>.wgsl`.

/// `shaders/common.wgsl` then `shaders/<name>.wgsl` (after the files it shares with another
/// kernel, if any), as one `&'static str`.
macro_rules! kernel_source {
    ($($name:literal),+) => {
        concat!(
            include_str!("../../../shaders/common.wgsl"),
            $(include_str!(concat!("../../../shaders/", $name, ".wgsl"))),+
        )
    };
}

/// $(X - c) s + b$ per column ([`crate::kernels::affine`]).
pub const AFFINE: &str = kernel_source!("affine");
/// Gram partials ([`crate::kernels::gram`]).
pub const GRAM: &str = kernel_source!("gram");
/// Nearest centres ([`crate::kernels::kmeans::assign`]).
pub const KMEANS_ASSIGN: &str = kernel_source!("kmeans_assign");
/// Distances to every centre ([`crate::kernels::kmeans::squared_distances`]).
pub const KMEANS_DISTANCES: &str = kernel_source!("kmeans_distances");
/// The inertia of the last Lloyd step's labels ([`crate::kernels::kmeans::LloydStep::inertia`]).
pub const KMEANS_INERTIA: &str = kernel_source!("kmeans_inertia");
/// Per-cluster sums of one Lloyd step ([`crate::kernels::kmeans::LloydStep`]).
pub const KMEANS_SUMS: &str = kernel_source!("kmeans_sums");
/// Partial column sums over chunks of rows ([`crate::kernels::logistic`]).
pub const COLUMN_SUMS: &str = kernel_source!("column_sums");
/// k-means++ seeding ([`crate::kernels::kmeans_seeding`]), its random numbers on pairs of u32.
pub const KMEANS_SEEDING: &str = kernel_source!("real_math", "random_u32", "kmeans_seeding");
/// The same with 64-bit integers, where the adapter has them.
pub const KMEANS_SEEDING_INT64: &str = kernel_source!("real_math", "random_u64", "kmeans_seeding");
/// DBSCAN's pairs of a row and a block of rows ([`crate::kernels::dbscan`]).
pub const DBSCAN_PAIRS: &str = kernel_source!("pair_keys", "dbscan_pairs");
/// Neighbour candidates of query rows in a block of training rows
/// ([`crate::kernels::neighbors`]).
pub const KNN_CANDIDATES: &str =
    kernel_source!("pair_keys", "candidate_list", "knn_lists", "knn_candidates");
/// The same with each training row's loads shared by groups of 8 lanes, where the adapter has
/// subgroups of at least 8 lanes.
pub const KNN_CANDIDATES_SUBGROUP: &str = kernel_source!(
    "pair_keys",
    "candidate_list",
    "knn_lists",
    "knn_candidates_subgroup"
);
/// Each query's candidate lists of an upload merged into one ([`crate::kernels::neighbors`]).
pub const KNN_MERGE: &str = kernel_source!("candidate_list", "knn_merge");
/// Forest histograms ([`crate::kernels::forest::histograms`]).
pub const FOREST_HISTOGRAMS: &str = kernel_source!("forest_histograms");
/// Forest leaves of rows ([`crate::kernels::forest::leaves_of`]).
pub const FOREST_PREDICT: &str = kernel_source!("forest_predict");
/// Logistic regression's per-row pass ([`crate::kernels::logistic`]).
pub const LOGISTIC_ROWS: &str = kernel_source!("real_math", "logistic_rows");
/// Binary logistic regression's fused pass ([`crate::kernels::logistic`]).
pub const LOGISTIC_BINARY: &str = kernel_source!("real_math", "logistic_binary");
/// $X W$ ([`crate::kernels::matmul`]).
pub const MATMUL: &str = kernel_source!("matmul");
/// Column moments ([`crate::kernels::moments`]).
pub const MOMENTS: &str = kernel_source!("moments");
/// Compensated sums of partials into a device-resident total, the lanes folded in workgroup
/// memory ([`crate::kernels::gram`] and the other streamed kernels).
pub const REDUCE_WORKGROUP: &str = kernel_source!("reduce", "reduce_workgroup");
/// The same with the lanes folded by subgroup shuffles, where the adapter has them.
pub const REDUCE_SUBGROUP: &str = kernel_source!("reduce", "reduce_subgroup");
/// $X^\top R$ ([`crate::kernels::xt_r`]).
pub const XT_R: &str = kernel_source!("xt_r");

/// Every kernel's full source, by the name of its file in `shaders/`.
pub const SHADERS: &[(&str, &str)] = &[
    ("affine", AFFINE),
    ("column_sums", COLUMN_SUMS),
    ("dbscan_pairs", DBSCAN_PAIRS),
    ("forest_histograms", FOREST_HISTOGRAMS),
    ("forest_predict", FOREST_PREDICT),
    ("gram", GRAM),
    ("kmeans_assign", KMEANS_ASSIGN),
    ("kmeans_distances", KMEANS_DISTANCES),
    ("kmeans_inertia", KMEANS_INERTIA),
    ("kmeans_seeding", KMEANS_SEEDING),
    ("kmeans_seeding_int64", KMEANS_SEEDING_INT64),
    ("kmeans_sums", KMEANS_SUMS),
    ("knn_candidates", KNN_CANDIDATES),
    ("knn_candidates_subgroup", KNN_CANDIDATES_SUBGROUP),
    ("knn_merge", KNN_MERGE),
    ("logistic_binary", LOGISTIC_BINARY),
    ("logistic_rows", LOGISTIC_ROWS),
    ("matmul", MATMUL),
    ("moments", MOMENTS),
    ("reduce_subgroup", REDUCE_SUBGROUP),
    ("reduce_workgroup", REDUCE_WORKGROUP),
    ("xt_r", XT_R),
];

/// Files in `shaders/` that are parts of other kernels' sources, not kernels of their own.
pub const SHARED_PARTS: &[&str] = &[
    "candidate_list",
    "common",
    "knn_lists",
    "pair_keys",
    "random_u32",
    "random_u64",
    "real_math",
    "reduce",
];
