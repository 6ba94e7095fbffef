//! Macros for the contract impls that differ only in their types and one expression.

/// `impl Params for P` for parameter types whose checks are their own inherent `check`.
macro_rules! params_checked_by {
    ($($params:ty),* $(,)?) => {$(
        impl $crate::estimator::Params for $params {
            fn check(&self) -> $crate::Result<()> {
                <$params>::check(self)
            }
        }
    )*};
}

/// `impl Estimator for E`: parameters `P`, fitted type `T`, supervised or not, built by
/// `$from(params)`, fitted by the expression `$fit` (with `$this`, `$ctx` and `$data` bound to
/// `&self`, the context and the dataset of element type `F`). Unless `weighted: true` is given,
/// a fit given sample weights fails on every rank instead of ignoring them.
macro_rules! estimator {
    (
        $estimator:ty, $params:ty => $fitted:ty, supervised: $supervised:expr,
        $(weighted: $weighted:expr,)?
        from: $from:expr,
        fit: |$this:ident, $ctx:ident, $data:ident| $fit:expr $(,)?
    ) => {
        impl $crate::estimator::Estimator for $estimator {
            type Params = $params;
            type Fitted = $fitted;
            const SUPERVISED: bool = $supervised;

            fn from_params(params: $params) -> Self {
                $from(params)
            }

            fn fit<F: $crate::Float>(
                &self,
                $ctx: $crate::estimator::Context<'_>,
                $data: &$crate::estimator::Dataset<'_, F>,
            ) -> $crate::Result<$fitted> {
                let $this = self;
                let weighted = false $(|| $weighted)?;
                if !weighted {
                    $crate::estimator::refuse_weights($ctx, $data, stringify!($estimator))?;
                }
                $fit
            }
        }
    };
}

pub(crate) use {estimator, params_checked_by};
