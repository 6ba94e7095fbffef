//! Linear models fitted from the normal equations: [`LinearRegression`] and [`Ridge`].

mod fit;
mod incremental;
mod model;
mod regression;
mod ridge;
mod targets;

pub use incremental::IncrementalLinearRegression;
pub use model::LinearModel;
pub use regression::{LinearRegression, LinearRegressionParams};
pub use ridge::{Ridge, RidgeParams};
pub use targets::Targets;
