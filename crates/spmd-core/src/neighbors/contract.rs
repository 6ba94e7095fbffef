//! The neighbour searches under the [estimator contract](crate::estimator). Their fitted models
//! keep this rank's training rows ([`Fitted::KEEPS_ROWS`]): every query is collective, and
//! their attributes (`n_features_in_`, `n_samples_fit_`, the classifier's `classes_`) describe
//! them without holding them.

use ndarray::{Array2, ArrayView2, Axis};
use serde::ser::{Serialize, SerializeMap, Serializer};

use super::{
    FittedKNeighborsClassifier, FittedKNeighborsRegressor, FittedNeighbors, KNeighborsClassifier,
    KNeighborsRegressor, NearestNeighbors, NeighborsParams,
};
use crate::distributed::agree;
use crate::estimator::TargetColumns;
use crate::estimator::{
    refuse_weights, require_targets, Context, Dataset, Estimator, Fitted, KNeighbors, Predict,
    PredictLogProba, Score, Transform,
};
use crate::{Float, Result};

impl crate::estimator::Params for NeighborsParams {
    fn check(&self) -> crate::Result<()> {
        NeighborsParams::check(self)
    }
}

impl Estimator for NearestNeighbors {
    type Params = NeighborsParams;
    type Fitted = FittedNeighbors;
    const SUPERVISED: bool = false;

    fn from_params(params: NeighborsParams) -> Self {
        Self::with_params(params)
    }

    fn fit<F: Float>(&self, ctx: Context<'_>, data: &Dataset<'_, F>) -> Result<FittedNeighbors> {
        refuse_weights(ctx, data, "NearestNeighbors")?;
        self.clone().comm(ctx.comm.clone()).fit(&data.x())
    }
}

impl Estimator for KNeighborsClassifier {
    type Params = NeighborsParams;
    type Fitted = FittedKNeighborsClassifier;
    const SUPERVISED: bool = true;

    fn from_params(params: NeighborsParams) -> Self {
        Self::with_params(params)
    }

    fn fit<F: Float>(
        &self,
        ctx: Context<'_>,
        data: &Dataset<'_, F>,
    ) -> Result<FittedKNeighborsClassifier> {
        refuse_weights(ctx, data, "KNeighborsClassifier")?;
        let y = agree(ctx.comm, data.labels())?.mapv(|v| v.as_f64());
        self.clone().comm(ctx.comm.clone()).fit(&data.x(), &y)
    }
}

impl Estimator for KNeighborsRegressor {
    type Params = NeighborsParams;
    type Fitted = FittedKNeighborsRegressor;
    const SUPERVISED: bool = true;

    fn from_params(params: NeighborsParams) -> Self {
        Self::with_params(params)
    }

    fn fit<F: Float>(
        &self,
        ctx: Context<'_>,
        data: &Dataset<'_, F>,
    ) -> Result<FittedKNeighborsRegressor> {
        refuse_weights(ctx, data, "KNeighborsRegressor")?;
        let y = agree(ctx.comm, require_targets(data))?;
        let y = TargetColumns {
            y,
            single: data.y_is_1d(),
        };
        self.clone().comm(ctx.comm.clone()).fit(&data.x(), &y)
    }
}

/// The attributes every neighbour model reports, and `classes_` where given.
fn serialize_search<S: Serializer>(
    search: &FittedNeighbors,
    classes: Option<&[i64]>,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(None)?;
    map.serialize_entry("n_features_in_", &search.n_features_in())?;
    map.serialize_entry("n_samples_fit_", &search.n_samples_fit())?;
    if let Some(classes) = classes {
        map.serialize_entry("classes_", classes)?;
    }
    map.end()
}

impl Serialize for FittedNeighbors {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        serialize_search(self, None, s)
    }
}

impl Serialize for FittedKNeighborsClassifier {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        serialize_search(self, Some(self.classes()), s)
    }
}

impl Serialize for FittedKNeighborsRegressor {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        serialize_search(self, None, s)
    }
}

impl Fitted for FittedNeighbors {
    const KEEPS_ROWS: bool = true;

    fn n_features_in(&self) -> usize {
        self.n_features_in()
    }
}

impl KNeighbors for FittedNeighbors {
    fn kneighbors<F: Float>(
        &self,
        ctx: Context<'_>,
        x: Option<ArrayView2<'_, F>>,
        k: Option<usize>,
    ) -> Result<(Array2<f64>, Array2<u64>)> {
        self.kneighbors(x, k, ctx.queue)
    }

    fn radius_neighbors<F: Float>(
        &self,
        _ctx: Context<'_>,
        x: Option<ArrayView2<'_, F>>,
        radius: Option<f64>,
        sort_results: bool,
    ) -> Result<Vec<(Vec<f64>, Vec<u64>)>> {
        self.radius_neighbors(x, radius, sort_results)
    }
}

impl Fitted for FittedKNeighborsClassifier {
    const KEEPS_ROWS: bool = true;

    fn n_features_in(&self) -> usize {
        self.0.n_features_in()
    }
}

impl KNeighbors for FittedKNeighborsClassifier {
    fn kneighbors<F: Float>(
        &self,
        ctx: Context<'_>,
        x: Option<ArrayView2<'_, F>>,
        k: Option<usize>,
    ) -> Result<(Array2<f64>, Array2<u64>)> {
        self.0.kneighbors(x, k, ctx.queue)
    }

    fn radius_neighbors<F: Float>(
        &self,
        _ctx: Context<'_>,
        x: Option<ArrayView2<'_, F>>,
        radius: Option<f64>,
        sort_results: bool,
    ) -> Result<Vec<(Vec<f64>, Vec<u64>)>> {
        self.0.radius_neighbors(x, radius, sort_results)
    }
}

impl Fitted for FittedKNeighborsRegressor {
    const KEEPS_ROWS: bool = true;

    fn n_features_in(&self) -> usize {
        self.0.n_features_in()
    }
}

impl KNeighbors for FittedKNeighborsRegressor {
    fn kneighbors<F: Float>(
        &self,
        ctx: Context<'_>,
        x: Option<ArrayView2<'_, F>>,
        k: Option<usize>,
    ) -> Result<(Array2<f64>, Array2<u64>)> {
        self.0.kneighbors(x, k, ctx.queue)
    }

    fn radius_neighbors<F: Float>(
        &self,
        _ctx: Context<'_>,
        x: Option<ArrayView2<'_, F>>,
        radius: Option<f64>,
        sort_results: bool,
    ) -> Result<Vec<(Vec<f64>, Vec<u64>)>> {
        self.0.radius_neighbors(x, radius, sort_results)
    }
}

impl Predict for FittedKNeighborsClassifier {
    fn predict<F: Float>(&self, ctx: Context<'_>, x: ArrayView2<'_, F>) -> Result<Array2<f64>> {
        let labels = FittedKNeighborsClassifier::predict(self, x, ctx.queue)?;
        Ok(labels.mapv(|l| l as f64).insert_axis(Axis(1)))
    }
}

impl Transform for FittedKNeighborsClassifier {
    fn transform<F: Float>(&self, ctx: Context<'_>, x: ArrayView2<'_, F>) -> Result<Array2<f64>> {
        self.predict_proba(x, ctx.queue)
    }
}

impl PredictLogProba for FittedKNeighborsClassifier {
    fn predict_log_proba<F: Float>(
        &self,
        ctx: Context<'_>,
        x: ArrayView2<'_, F>,
    ) -> Result<Array2<f64>> {
        Ok(self.predict_proba(x, ctx.queue)?.mapv(f64::ln))
    }
}

impl Score for FittedKNeighborsClassifier {
    fn score<F: Float>(&self, ctx: Context<'_>, data: &Dataset<'_, F>) -> Result<f64> {
        let y = agree(ctx.comm, data.labels())?.mapv(|v| v.as_f64());
        let w = data.weights().map(|w| w.mapv(|v| v.as_f64()));
        let w = w.as_ref().map(|w| w.view());
        self.score_weighted(data.x(), &y, w, ctx.queue)
    }
}

impl Predict for FittedKNeighborsRegressor {
    fn predict<F: Float>(&self, ctx: Context<'_>, x: ArrayView2<'_, F>) -> Result<Array2<f64>> {
        FittedKNeighborsRegressor::predict(self, x, ctx.queue)
    }
}

impl Score for FittedKNeighborsRegressor {
    fn score<F: Float>(&self, ctx: Context<'_>, data: &Dataset<'_, F>) -> Result<f64> {
        let y = agree(ctx.comm, require_targets(data))?;
        let y = TargetColumns {
            y,
            single: data.y_is_1d(),
        };
        let w = data.weights().map(|w| w.mapv(|v| v.as_f64()));
        self.score_weighted(data.x(), &y, w.as_ref().map(|w| w.view()), ctx.queue)
    }
}
