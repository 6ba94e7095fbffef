//! Distributed logistic regression (scikit-learn's `LogisticRegression` with an L2 penalty,
//! solvers `lbfgs` and `newton-cg`).

mod binary_rows;
mod contract;
mod fit;
mod fitted;
mod gpu;
mod objective;
mod params;

pub use fit::LogisticRegression;
pub use fitted::FittedLogisticRegression;
pub use params::{ClassWeight, LogisticRegressionParams, Solver};
