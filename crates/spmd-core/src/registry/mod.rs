//! Every estimator by name, as the command line and the Python package drive them: one
//! [`Entry`] per estimator, built from the [contract](crate::estimator)'s traits, so adding an
//! estimator to both front ends is one entry here.
//!
//! Parameters travel as JSON under scikit-learn's names, rows as [`Rows`] (float32 or float64
//! views), fitted models as [`Model`] (the JSON of the command line's model files, with the
//! fitted model itself kept live in the process that fitted it).
//!
//! ```
//! use ndarray::array;
//! use spmd_core::estimator::Context;
//! use spmd_core::registry::{self, FitInput, Operation, Rows};
//! use spmd_core::Comm;
//!
//! let comm = Comm::single();
//! let ctx = Context::cpu(&comm);
//! let ridge = registry::find("ridge")?;
//! let params = ridge.params(serde_json::from_str(r#"{"alpha": 0.0}"#)?)?;
//! let (x, y) = (array![[0.0_f64], [1.0], [2.0]], array![[1.0_f64], [3.0], [5.0]]);
//! let input = FitInput {
//!     y: Some((Rows::F64(y.view()), true)),
//!     ..FitInput::new(Rows::F64(x.view()))
//! };
//! let model = ridge.fit(ctx, &params, &input, false)?.model;
//! let predicted = ridge.apply(Operation::Predict, ctx, &model, Rows::F64(x.view()))?;
//! assert!((predicted[[2, 0]] - 5.0).abs() < 1e-12);
//! assert_eq!(ridge.score(ctx, &model, &input)?, 1.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod entry;
mod erased;
mod estimators;
mod incremental;
mod model;
mod params;
mod rows;

pub use entry::{Entry, FitInput, FitOutput, Operation};
pub use erased::{Neighbours, WithinRadius};
pub use estimators::{find, ESTIMATORS};
pub use incremental::Incremental;
pub use model::Model;
pub use params::checked;
pub use rows::Rows;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_has_a_unique_name_and_parses_its_defaults() {
        let mut names: Vec<&str> = ESTIMATORS.iter().map(Entry::name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ESTIMATORS.len());
        for entry in ESTIMATORS {
            let params = entry.params(Default::default());
            assert!(params.is_ok(), "{}: {params:?}", entry.name());
        }
    }

    #[test]
    fn unknown_names_and_parameters_are_named() {
        let err = find("kmeans-typo").err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("linear-regression")));
        let ridge = find("ridge").ok();
        let pairs = serde_json::from_str(r#"{"alpa": 1}"#).ok();
        let err = ridge
            .zip(pairs)
            .and_then(|(r, p)| r.params(p).err())
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("ridge") && e.contains("alpa")));
    }
}
