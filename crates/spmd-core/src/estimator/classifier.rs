//! The contract of the classifiers, which share one shape: labels in `y` (integer values),
//! `predict` gives labels, `transform` class probabilities (`predict_proba`), `score` accuracy.

/// Implements the contract for a classifier `$estimator` with parameters `$params` and fitted
/// type `$fitted`, whose methods are `fit_labelled(x, y, w, queue)` (on views),
/// `predict_on(backend, x)`, `log_proba_on(backend, x)` and `score(comm, x, y, queue)`; and the
/// estimator's inherent `fit` and `fit_weighted`. `local_result: |m| expr` gives the fitted
/// model's per-row result (none by default).
macro_rules! classifier_contract {
    ($estimator:ty, $params:ty, $fitted:ty) => {
        $crate::estimator::classifier_contract!($estimator, $params, $fitted, local_result: |_m| None);
    };
    ($estimator:ty, $params:ty, $fitted:ty, local_result: |$m:ident| $local:expr) => {
        $crate::estimator::params_checked_by!($params);

        impl $estimator {
            /// Fits on every rank's rows `x` and labels `y`; every rank calls it and gets the
            /// same model. The classes are the union of all ranks' labels.
            pub fn fit<F, L, S, T>(
                &self,
                x: &ndarray::ArrayBase<S, ndarray::Ix2>,
                y: &ndarray::ArrayBase<T, ndarray::Ix1>,
                queue: Option<&spmd_gpu::Queue>,
            ) -> $crate::Result<$fitted>
            where
                F: $crate::Float,
                L: $crate::classes::ClassLabel,
                S: ndarray::Data<Elem = F>,
                T: ndarray::Data<Elem = L>,
            {
                self.fit_labelled(&x.view(), &y.view(), None, queue)
            }

            /// [`fit`](Self::fit) with a weight per row (scikit-learn's `sample_weight`).
            pub fn fit_weighted<F, L, S, T>(
                &self,
                x: &ndarray::ArrayBase<S, ndarray::Ix2>,
                y: &ndarray::ArrayBase<T, ndarray::Ix1>,
                sample_weight: Option<ndarray::ArrayView1<'_, f64>>,
                queue: Option<&spmd_gpu::Queue>,
            ) -> $crate::Result<$fitted>
            where
                F: $crate::Float,
                L: $crate::classes::ClassLabel,
                S: ndarray::Data<Elem = F>,
                T: ndarray::Data<Elem = L>,
            {
                self.fit_labelled(&x.view(), &y.view(), sample_weight, queue)
            }
        }

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

            fn local_result(&self) -> Option<ndarray::Array2<f64>> {
                let $m = self;
                $local
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

        impl $crate::estimator::PredictLogProba for $fitted {
            fn predict_log_proba<F: $crate::Float>(
                &self,
                ctx: $crate::estimator::Context<'_>,
                x: ndarray::ArrayView2<'_, F>,
            ) -> $crate::Result<ndarray::Array2<f64>> {
                let backend = $crate::backend::Backend::new(ctx.rank(), ctx.queue)?;
                self.log_proba_on(&backend, x)
            }
        }

        impl $crate::estimator::Score for $fitted {
            fn score<F: $crate::Float>(
                &self,
                ctx: $crate::estimator::Context<'_>,
                data: &$crate::estimator::Dataset<'_, F>,
            ) -> $crate::Result<f64> {
                let y = $crate::distributed::agree(ctx.comm, data.labels())?.mapv(|v| v.as_f64());
                let w = data.weights().map(|w| w.mapv(|v| v.as_f64()));
                <$fitted>::score_weighted(self, ctx.comm, &data.x(), &y, w.as_ref().map(|w| w.view()), ctx.queue)
            }
        }
    };
}

/// Writes a fitted classifier's shared inherent methods (`predict_proba`, `predict_log_proba`,
/// `predict`, `predict_on`, `score`, and `scores_on`: $X W^\top + b$ for its fields `W` and
/// `b`, largest = most probable class) from its `log_proba_on(backend, x)` and its
/// `classes: Vec<i64>`.
macro_rules! classifier_methods {
    ($fitted:ty, scores: $weights:ident, $bias:ident) => {
        impl $fitted {
            /// $X W^\top + b$ for this rank's rows on `backend`.
            pub(crate) fn scores_on<F: $crate::Float>(
                &self,
                backend: &$crate::backend::Backend<'_>,
                x: ndarray::ArrayView2<'_, F>,
            ) -> $crate::Result<ndarray::Array2<f64>> {
                $crate::classes::linear_scores(backend, x, &self.$weights, &self.$bias)
            }

            /// Class probabilities of this rank's rows, `n x n_classes`. Local.
            pub fn predict_proba<F: $crate::Float, S: ndarray::Data<Elem = F>>(
                &self,
                x: &ndarray::ArrayBase<S, ndarray::Ix2>,
                queue: Option<&spmd_gpu::Queue>,
            ) -> $crate::Result<ndarray::Array2<f64>> {
                Ok(self.predict_log_proba(x, queue)?.mapv(f64::exp))
            }

            /// Logarithms of [`predict_proba`](Self::predict_proba), computed without
            /// overflow. Local.
            pub fn predict_log_proba<F: $crate::Float, S: ndarray::Data<Elem = F>>(
                &self,
                x: &ndarray::ArrayBase<S, ndarray::Ix2>,
                queue: Option<&spmd_gpu::Queue>,
            ) -> $crate::Result<ndarray::Array2<f64>> {
                self.log_proba_on(&$crate::backend::Backend::new(0, queue)?, x.view())
            }

            /// The most probable class of each of this rank's rows (ties to the lower
            /// label). Local.
            pub fn predict<F: $crate::Float, S: ndarray::Data<Elem = F>>(
                &self,
                x: &ndarray::ArrayBase<S, ndarray::Ix2>,
                queue: Option<&spmd_gpu::Queue>,
            ) -> $crate::Result<ndarray::Array1<i64>> {
                self.predict_on(&$crate::backend::Backend::new(0, queue)?, x.view())
            }

            /// [`predict`](Self::predict) on `backend` (whose rank errors name).
            pub(crate) fn predict_on<F: $crate::Float>(
                &self,
                backend: &$crate::backend::Backend<'_>,
                x: ndarray::ArrayView2<'_, F>,
            ) -> $crate::Result<ndarray::Array1<i64>> {
                let scores = self.scores_on(backend, x)?;
                Ok($crate::classes::best_classes(&scores, &self.classes))
            }

            /// Accuracy on all ranks' rows `x` with labels `y` (scikit-learn's `score`). Every
            /// rank calls it and gets the same value.
            pub fn score<F, L, S, T>(
                &self,
                comm: &spmd_comm::Comm,
                x: &ndarray::ArrayBase<S, ndarray::Ix2>,
                y: &ndarray::ArrayBase<T, ndarray::Ix1>,
                queue: Option<&spmd_gpu::Queue>,
            ) -> $crate::Result<f64>
            where
                F: $crate::Float,
                L: $crate::classes::ClassLabel,
                S: ndarray::Data<Elem = F>,
                T: ndarray::Data<Elem = L>,
            {
                self.score_weighted(comm, x, y, None, queue)
            }

            /// [`score`](Self::score) with a weight per row (scikit-learn's `sample_weight`).
            pub fn score_weighted<F, L, S, T>(
                &self,
                comm: &spmd_comm::Comm,
                x: &ndarray::ArrayBase<S, ndarray::Ix2>,
                y: &ndarray::ArrayBase<T, ndarray::Ix1>,
                sample_weight: Option<ndarray::ArrayView1<'_, f64>>,
                queue: Option<&spmd_gpu::Queue>,
            ) -> $crate::Result<f64>
            where
                F: $crate::Float,
                L: $crate::classes::ClassLabel,
                S: ndarray::Data<Elem = F>,
                T: ndarray::Data<Elem = L>,
            {
                let predicted = $crate::backend::Backend::new(comm.rank(), queue)
                    .and_then(|b| self.predict_on(&b, x.view()));
                $crate::classes::global_accuracy(comm, predicted, y, sample_weight)
            }
        }
    };
}

pub(crate) use classifier_contract;
pub(crate) use classifier_methods;
