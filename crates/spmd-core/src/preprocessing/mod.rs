//! Scalers: scikit-learn's [`StandardScaler`], [`MinMaxScaler`] and [`MaxAbsScaler`].
//!
//! `fit` is one pass over this rank's rows for per-column count, mean, centred sum of squares,
//! min and max (weighted where sample weights are given), then one combination across ranks:
//! every rank gets the same scaler, equal to the scaler one process would fit on all the rows.
//! `transform` and `inverse_transform` are local, one multiply-add per value. With a queue, all
//! three run on the GPU (the moments kernel, and the affine kernel with the centre subtracted on
//! the host in f64); without one, on the CPU's threads.
//! [`IncrementalScaler`] fits batch by batch (`partial_fit` local, `finalize` collective).
//!
//! Unlike scikit-learn, NaN is not ignored: it is an error naming where it is.
//!
//! ```
//! use ndarray::array;
//! use spmd_core::estimator::{Context, Dataset, Estimator, Transform};
//! use spmd_core::preprocessing::StandardScaler;
//! use spmd_core::Comm;
//!
//! let comm = Comm::single();
//! let ctx = Context::cpu(&comm);
//! let x = array![[1.0_f64, 10.0], [3.0, 10.0]];
//! let scaler = StandardScaler::default().fit(ctx, &Dataset::new(x.view()))?;
//! assert_eq!(scaler.mean().unwrap().to_vec(), [2.0, 10.0]);
//! // A constant column keeps scale 1, as in scikit-learn.
//! assert_eq!(scaler.transform(ctx, x.view())?, array![[-1.0, 0.0], [1.0, 0.0]]);
//! # Ok::<(), spmd_core::Error>(())
//! ```

mod incremental;
mod max_abs;
mod min_max;
mod moments;
mod standard;

pub use incremental::IncrementalScaler;
pub use max_abs::{FittedMaxAbsScaler, MaxAbsScaler, MaxAbsScalerParams};
pub use min_max::{FittedMinMaxScaler, MinMaxScaler, MinMaxScalerParams};
pub use moments::Scaler;
pub use standard::{FittedStandardScaler, StandardScaler, StandardScalerParams};
