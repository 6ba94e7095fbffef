//! LogisticRegression under the [estimator contract](crate::estimator).

use super::{FittedLogisticRegression, LogisticRegression, LogisticRegressionParams};

crate::estimator::classifier_contract!(
    LogisticRegression,
    LogisticRegressionParams,
    FittedLogisticRegression
);
