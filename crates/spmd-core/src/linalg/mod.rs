//! Small dense problems solved on every rank with faer.

mod normal_equations;
mod symmetric;

pub use normal_equations::{solve_normal_equations, SolveMethod};
pub use symmetric::{pinv_symmetric, symmetric_eigen_descending};
