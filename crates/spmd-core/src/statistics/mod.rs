//! Low-order statistics of each column.

mod basic;
mod contract;
mod incremental;
mod options;

pub use basic::{BasicStatistics, BasicStatisticsParams, FittedBasicStatistics};
pub use incremental::{IncrementalBasicStatistics, IncrementalBasicStatisticsParams};
pub use options::{ResultOptions, Statistic};
