//! Per-column low-order statistics over all ranks' rows.

use std::collections::BTreeMap;

use ndarray::{Array1, Array2, ArrayBase, ArrayView1, ArrayView2, Data, Ix2};
use serde::{Deserialize, Serialize};
use spmd_comm::Comm;
use spmd_gpu::Queue;

use super::{ResultOptions, Statistic};
use crate::distributed::{agree, comm_or_world};
use crate::partials::{column_moments, global_column_moments, ColumnMoments};
use crate::validate::check_finite;
use crate::{Error, Float, Result};

/// Parameters of [`BasicStatistics`], under sklearnex's names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct BasicStatisticsParams {
    /// Which statistics to report (default `"all"`).
    pub result_options: ResultOptions,
}

/// sklearnex's `BasicStatistics` (daal4py's low-order moments) over all ranks' rows: per column
/// min, max, sum, mean, second-order raw moment, variance (divided by $n - 1$), standard
/// deviation, variation, sum of squares and centred sum of squares.
///
/// Each rank reduces its rows to count, mean and centred sum of squares per column (on the CPU,
/// or the GPU kernel), and ranks merge them with the pairwise update, so a column with a large
/// mean keeps an accurate variance even in f32.
///
/// With sample weights the statistics are those of the weighted rows $w_i x_i$, as in
/// sklearnex.
///
/// ```
/// use ndarray::array;
/// use spmd_core::statistics::{BasicStatistics, Statistic};
///
/// let x = array![[1.0_f64, 2.0], [3.0, 5.0], [4.0, 9.0], [10.0, 1.0]];
/// let stats = BasicStatistics::new().fit(&x, None, None)?;
/// assert_eq!(stats.get(Statistic::Mean).unwrap().to_vec(), [4.5, 4.25]);
/// assert_eq!(stats.get(Statistic::Variance).unwrap()[0], 15.0);
/// # Ok::<(), spmd_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct BasicStatistics {
    pub(super) params: BasicStatisticsParams,
    pub(super) comm: Option<spmd_comm::Comm>,
}

impl BasicStatistics {
    /// All statistics.
    pub fn new() -> Self {
        Self::default()
    }

    /// From parameters (as read from a model file or the command line).
    pub fn with_params(params: BasicStatisticsParams) -> Self {
        Self {
            params,
            ..Self::default()
        }
    }

    /// The ranks that fit together; `Comm::world()` by default.
    pub fn comm(mut self, comm: spmd_comm::Comm) -> Self {
        self.comm = Some(comm);
        self
    }

    /// The parameters.
    pub fn params(&self) -> &BasicStatisticsParams {
        &self.params
    }
}

impl BasicStatistics {
    /// Only these statistics.
    pub fn result_options(mut self, statistics: &[Statistic]) -> Self {
        self.params.result_options = ResultOptions(statistics.to_vec());
        self
    }

    /// Statistics of every rank's rows (weighted by `sample_weight` when given); every rank
    /// calls it and gets the same values.
    pub fn fit<F: Float, S: Data<Elem = F>>(
        &self,
        x: &ArrayBase<S, Ix2>,
        sample_weight: Option<ArrayView1<'_, F>>,
        queue: Option<&Queue>,
    ) -> Result<FittedBasicStatistics> {
        let comm = comm_or_world(self.comm.as_ref())?;
        let local = weighted(x.view(), sample_weight, comm.rank()).and_then(|rows| {
            let view = rows.as_ref().map_or(x.view(), |r| r.view());
            column_moments(comm.rank(), view, queue)
        });
        let local = agree(&comm, local)?;
        FittedBasicStatistics::combine(&comm, &local, x.ncols(), &self.params.result_options)
    }
}

/// The rows $w_i x_i$, or `None` without weights.
pub(crate) fn weighted<F: Float>(
    x: ArrayView2<'_, F>,
    weights: Option<ArrayView1<'_, F>>,
    rank: usize,
) -> Result<Option<Array2<F>>> {
    let Some(w) = weights else { return Ok(None) };
    if w.len() != x.nrows() {
        return Err(Error::Shape {
            what: "sample_weight".into(),
            expected: format!("{} values, one per row", x.nrows()),
            found: format!("{}", w.len()),
        });
    }
    check_finite("sample_weight", w.insert_axis(ndarray::Axis(1)), rank)?;
    let mut rows = x.to_owned();
    for (mut row, &wi) in rows.rows_mut().into_iter().zip(w) {
        row.mapv_inplace(|v| v * wi);
    }
    Ok(Some(rows))
}

/// Fitted [`BasicStatistics`], the same on every rank. Serialises the selected statistics
/// under sklearnex's attribute names (`mean_`, `variance_`, ...) and `n_features_in_`.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedBasicStatistics {
    values: BTreeMap<Statistic, Array1<f64>>,
    n_features: usize,
}

impl FittedBasicStatistics {
    /// Combines every rank's moments and derives the selected statistics. Collective.
    pub(crate) fn combine(
        comm: &Comm,
        local: &ColumnMoments,
        columns: usize,
        options: &ResultOptions,
    ) -> Result<Self> {
        let all = global_column_moments(comm, local, columns)?;
        Ok(Self::from_moments(&all, options))
    }

    fn from_moments(m: &ColumnMoments, options: &ResultOptions) -> Self {
        let n = m.count;
        let mean = Array1::from(m.mean.clone());
        let m2 = Array1::from(m.m2.clone());
        let variance = m2.mapv(|v| v / (n - 1.0));
        let std = variance.mapv(f64::sqrt);
        let sum_squares = &m2 + &(mean.mapv(|v| v * v) * n);
        let values = options
            .0
            .iter()
            .map(|&s| {
                let v = match s {
                    Statistic::Min => Array1::from(m.min.clone()),
                    Statistic::Max => Array1::from(m.max.clone()),
                    Statistic::Sum => &mean * n,
                    Statistic::Mean => mean.clone(),
                    Statistic::SecondOrderRawMoment => &sum_squares / n,
                    Statistic::Variance => variance.clone(),
                    Statistic::StandardDeviation => std.clone(),
                    Statistic::Variation => &std / &mean,
                    Statistic::SumSquares => sum_squares.clone(),
                    Statistic::SumSquaresCentered => m2.clone(),
                };
                (s, v)
            })
            .collect();
        Self {
            values,
            n_features: mean.len(),
        }
    }

    /// One statistic per column, if it was selected.
    pub fn get(&self, statistic: Statistic) -> Option<ArrayView1<'_, f64>> {
        self.values.get(&statistic).map(|v| v.view())
    }

    /// Number of features.
    pub fn n_features_in(&self) -> usize {
        self.n_features
    }
}

impl Serialize for FittedBasicStatistics {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.values.len() + 1))?;
        for (statistic, values) in &self.values {
            map.serialize_entry(&statistic.attribute(), &values.to_vec())?;
        }
        map.serialize_entry("n_features_in_", &self.n_features)?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for FittedBasicStatistics {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let map = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        let n_features = map
            .get("n_features_in_")
            .and_then(|v| v.as_u64())
            .ok_or_else(|| serde::de::Error::missing_field("n_features_in_"))?
            as usize;
        let mut values = BTreeMap::new();
        for statistic in Statistic::ALL {
            if let Some(v) = map.get(&statistic.attribute()) {
                let v: Vec<f64> =
                    serde_json::from_value(v.clone()).map_err(serde::de::Error::custom)?;
                if v.len() != n_features {
                    return Err(serde::de::Error::custom(format!(
                        "{} must have {n_features} values",
                        statistic.attribute()
                    )));
                }
                values.insert(statistic, Array1::from(v));
            }
        }
        Ok(Self { values, n_features })
    }
}
