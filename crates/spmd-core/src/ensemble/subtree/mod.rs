//! Growing a node whose rows one process holds: depth first, from the rows' codes.
//!
//! A node of few rows (over all ranks) is grown here, on the rows of this rank when it is the
//! only rank, or on the rows gathered from every rank by the rank that owns the node. The splits
//! are the ones the histogram rounds would choose: the same non-empty bins with the same
//! integer statistics, searched in the same order.

mod feature_bins;
mod grower;
mod node;
mod row_order;

pub(crate) use feature_bins::{dense_histogram, partition};
pub(crate) use grower::Grower;
pub(crate) use node::{root_key, split_node, Data, RawNode, TreeRows};
