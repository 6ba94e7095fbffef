//! The JSON model file: `estimator`, `params`, and the fitted attributes under scikit-learn's
//! names at the top level.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::CliError;

/// A fitted model as stored on disk.
///
/// ```json
/// {"estimator": "ridge", "params": {"alpha": 0.5, "fit_intercept": true},
///  "coef_": [1.0, 2.0], "intercept_": 0.25, "n_features_in_": 2, "spmd_learn_version": "0.1.0"}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFile {
    /// Kebab-case estimator name, as on the command line.
    pub estimator: String,
    /// Parameters under scikit-learn's names.
    pub params: Value,
    /// Fitted attributes (`coef_`, `intercept_`, ...), and `spmd_learn_version`.
    #[serde(flatten)]
    pub attributes: Map<String, Value>,
    /// The file it was read from, for messages.
    #[serde(skip)]
    source: Option<PathBuf>,
}

impl ModelFile {
    /// A model file for `estimator` with `params` and the serialised fitted model `fitted`.
    pub fn new(estimator: &str, params: Value, fitted: Value) -> Result<Self, CliError> {
        let Value::Object(mut attributes) = fitted else {
            return Err(CliError::Param(
                "fitted model did not serialise to an object".into(),
            ));
        };
        attributes.insert(
            "spmd_learn_version".into(),
            Value::String(env!("CARGO_PKG_VERSION").into()),
        );
        Ok(Self {
            estimator: estimator.into(),
            params,
            attributes,
            source: None,
        })
    }

    /// The fitted attributes as one JSON object.
    pub fn attributes(&self) -> Value {
        Value::Object(self.attributes.clone())
    }

    /// The fitted attributes as the estimator's fitted type.
    pub fn fitted<T: serde::de::DeserializeOwned>(&self) -> Result<T, CliError> {
        serde_json::from_value(self.attributes()).map_err(|e| {
            let path = self.source.clone().unwrap_or_else(|| "model file".into());
            CliError::file(path, format!("not a valid {} model: {e}", self.estimator))
        })
    }

    /// Reads a model file.
    pub fn read(path: &Path) -> Result<Self, CliError> {
        let text = std::fs::read_to_string(path).map_err(|e| CliError::file(path, e))?;
        let mut model: Self = serde_json::from_str(&text)
            .map_err(|e| CliError::file(path, format!("not a spmd-learn model: {e}")))?;
        model.source = Some(path.to_path_buf());
        Ok(model)
    }

    /// Writes the file so that readers see the old file or the whole new one, never a part:
    /// a temporary file beside it, flushed, then renamed over it.
    pub fn write_atomically(&self, path: &Path) -> Result<(), CliError> {
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
