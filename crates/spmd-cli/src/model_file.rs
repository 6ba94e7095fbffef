//! The JSON model file on disk: a [`Model`] of the registry, read and written whole.

use std::io::Write;
use std::path::Path;

use spmd_core::registry::Model;

use crate::CliError;

/// A fitted model as stored on disk: the registry's [`Model`].
///
/// ```json
/// {"estimator": "ridge", "params": {"alpha": 0.5, "fit_intercept": true},
///  "coef_": [1.0, 2.0], "intercept_": 0.25, "n_features_in_": 2, "spmd_learn_version": "0.1.0"}
/// ```
pub type ModelFile = Model;

/// Reading and writing a [`ModelFile`].
pub trait ModelFileIo: Sized {
    /// Reads a model file.
    fn read(path: &Path) -> Result<Self, CliError>;

    /// Writes the file so that readers see the old file or the whole new one, never a part:
    /// a temporary file beside it, flushed, then renamed over it.
    fn write_atomically(&self, path: &Path) -> Result<(), CliError>;
}

impl ModelFileIo for Model {
    fn read(path: &Path) -> Result<Self, CliError> {
        let text = std::fs::read_to_string(path).map_err(|e| CliError::file(path, e))?;
        let model: Self = serde_json::from_str(&text)
            .map_err(|e| CliError::file(path, format!("not a spmd-learn model: {e}")))?;
        Ok(model.with_origin(path.display().to_string()))
    }

    fn write_atomically(&self, path: &Path) -> Result<(), CliError> {
        let name = path
            .file_name()
            .ok_or_else(|| CliError::file(path, "not a file name"))?;
        let tmp = path.with_file_name(format!(
            ".{}.tmp{}",
            name.to_string_lossy(),
            std::process::id()
        ));
        // Streamed into the file: a forest's model is hundreds of megabytes of text.
        let write = || -> std::io::Result<()> {
            let file = std::fs::File::create(&tmp)?;
            let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
            serde_json::to_writer_pretty(&mut out, self).map_err(std::io::Error::other)?;
            out.write_all(b"\n")?;
            let file = out.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            std::fs::rename(&tmp, path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            CliError::file(path, e)
        })
    }
}
