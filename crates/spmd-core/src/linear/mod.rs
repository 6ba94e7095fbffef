//! Linear models: [`LinearRegression`] and [`Ridge`] from the normal equations, and
//! [`LogisticRegression`] by L-BFGS or Newton-CG.

mod contract;
mod fit;
mod incremental;
mod logistic;
pub(crate) mod model;
mod regression;
mod ridge;

pub use crate::estimator::Targets;
pub use incremental::IncrementalLinearRegression;
pub use logistic::{
    ClassWeight, FittedLogisticRegression, LogisticRegression, LogisticRegressionParams, Solver,
};
pub use model::LinearModel;
pub use regression::{LinearRegression, LinearRegressionParams};
pub use ridge::{Ridge, RidgeParams};
