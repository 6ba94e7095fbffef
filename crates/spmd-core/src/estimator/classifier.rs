//! The contract of the classifiers, which share one shape: labels in `y` (integer values),
//! `predict` gives labels, `transform` class probabilities (`predict_proba`), `score` accuracy.

/// Implements the contract for a classifier `$estimator` with parameters `$params` and fitted
/// type `$fitted`, whose methods are `fit_weighted(x, y, w, queue)`, `predict_on(backend, x)`,
/// `log_proba_on(backend, x)` and `score(comm, x, y, queue)`.
macro_rules! classifier_contract {
    ($estimator:ty, $params:ty, $fitted:ty) => {
        $crate::estimator::params_checked_by!($params);

        impl $crate::estimator::Estimator for $estimator {
            type Params = $params;
            type Fitted = $fitted;
            const SUPERVISED: bool = true;

            fn from_params(params: $params) -> Self {
                <$estimator>::with_params(params)
            }

            fn fit<F: $crate::Float>(
                &self,
                ctx: $crate::estimator::Context<'_>,
                data: &$crate::estimator::Dataset<'_, F>,
            ) -> $crate::Result<$fitted> {
                let y = $crate::distributed::agree(ctx.comm, data.labels())?.mapv(|v| v.as_f64());
                let w = data.weights().map(|w| w.mapv(|v| v.as_f64()));
                self.clone().comm(ctx.comm.clone()).fit_weighted(
                    &data.x(),
                    &y,
                    w.as_ref().map(|w| w.view()),
                    ctx.queue,
                )
            }
        }

        impl $crate::estimator::Fitted for $fitted {
            fn n_features_in(&self) -> usize {
                <$fitted>::n_features_in(self)
            }
        }

        impl $crate::estimator::Predict for $fitted {
            fn predict<F: $crate::Float>(
                &self,
                ctx: $crate::estimator::Context<'_>,
                x: ndarray::ArrayView2<'_, F>,
            ) -> $crate::Result<ndarray::Array2<f64>> {
                let backend = $crate::backend::Backend::new(ctx.rank(), ctx.queue)?;
                Ok(self
                    .predict_on(&backend, x)?
                    .mapv(|label| label as f64)
                    .insert_axis(ndarray::Axis(1)))
            }
        }

        impl $crate::estimator::Transform for $fitted {
            fn transform<F: $crate::Float>(
                &self,
                ctx: $crate::estimator::Context<'_>,
                x: ndarray::ArrayView2<'_, F>,
            ) -> $crate::Result<ndarray::Array2<f64>> {
                let backend = $crate::backend::Backend::new(ctx.rank(), ctx.queue)?;
                Ok(self.log_proba_on(&backend, x)?.mapv(f64::exp))
            }
        }

        impl $crate::estimator::Score for $fitted {
            fn score<F: $crate::Float>(
                &self,
                ctx: $crate::estimator::Context<'_>,
                data: &$crate::estimator::Dataset<'_, F>,
            ) -> $crate::Result<f64> {
                let y = $crate::distributed::agree(ctx.comm, data.labels())?.mapv(|v| v.as_f64());
                <$fitted>::score(self, ctx.comm, &data.x(), &y, ctx.queue)
            }
        }
    };
}

pub(crate) use classifier_contract;
