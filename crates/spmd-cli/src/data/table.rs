//! A rank's rows of a file, mapped in place or converted on reading.

use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, Axis};
use spmd_core::Float;

use crate::CliError;

use super::mapped::Mapped;

/// A rank's rows of a file: a memory map viewed in place, or rows converted on reading.
#[derive(Debug)]
pub struct Table {
    pub(super) storage: Storage,
    /// Whether the file held one dimension (targets as scikit-learn's 1-D `y`).
    pub(super) one_dimensional: bool,
    /// The file, for messages.
    pub(super) path: PathBuf,
    /// The columns' names, where the file has them (Parquet, Arrow).
    pub(super) names: Option<Vec<String>>,
}

#[derive(Debug)]
pub(crate) enum Storage {
    Mapped(Mapped),
    F64(Array2<f64>),
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))]
    F32(Array2<f32>),
}

/// A view of a [`Table`]'s rows in the file's precision: the registry's [`Rows`].
pub use spmd_core::registry::Rows;

impl Table {
    /// This rank's rows, without copying a mapped file.
    pub fn rows(&self) -> Result<Rows<'_>, CliError> {
        match &self.storage {
            Storage::Mapped(m) => m.rows().map_err(|e| CliError::file(&self.path, e)),
            Storage::F64(a) => Ok(Rows::F64(a.view())),
            Storage::F32(a) => Ok(Rows::F32(a.view())),
        }
    }

    /// Number of this rank's rows.
    pub fn nrows(&self) -> usize {
        match &self.storage {
            Storage::Mapped(m) => m.nrows(),
            Storage::F64(a) => a.nrows(),
            Storage::F32(a) => a.nrows(),
        }
    }

    /// Whether the file held a 1-D array (or one CSV column).
    pub fn one_dimensional(&self) -> bool {
        self.one_dimensional
    }

    /// The file the rows came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The columns' names, where the file has them (Parquet, Arrow).
    pub fn names(&self) -> Option<&[String]> {
        self.names.as_deref()
    }

    /// The rows as `F` (a copy: for targets and weights, small beside the features).
    pub fn to_owned_as<F: Float>(&self) -> Result<Array2<F>, CliError> {
        Ok(self.rows()?.to_owned_as())
    }

    /// The rows of a file that must hold one value per row (weights); an error naming the file
    /// otherwise.
    pub fn one_column(&self, what: &str) -> Result<Rows<'_>, CliError> {
        let rows = self.rows()?;
        match rows.dim().1 {
            1 => Ok(rows),
            k => Err(CliError::file(
                &self.path,
                format!("{what} must be one value per row, found {k} columns"),
            )),
        }
    }

    /// The single column of a file as `F` (see [`one_column`](Self::one_column)).
    pub fn column_as<F: Float>(&self, what: &str) -> Result<Array1<F>, CliError> {
        Ok(self
            .one_column(what)?
            .to_owned_as::<F>()
            .index_axis_move(Axis(1), 0))
    }
}
