//! Small dense problems solved on every rank with faer.

mod normal_equations;

pub use normal_equations::{solve_normal_equations, SolveMethod};
