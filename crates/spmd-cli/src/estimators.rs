//! The command line's side of the [registry](spmd_core::registry): `NAME=VALUE` parameters,
//! and where a fit's rows came from (the models that keep their training rows record it).

use serde_json::{Map, Value};
use spmd_core::registry::{self, Entry};

use crate::data::read_whole;
use crate::CliError;

/// Where a fit's rows came from, as the command line gave them: the models that keep their
/// training rows record it and read the same rows again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    /// The `--x` pattern, absolute.
    pub x: String,
    /// The `--y` pattern, absolute.
    pub y: Option<String>,
    /// `--columns` as given (Parquet, Arrow).
    pub columns: Option<String>,
    /// `--y-column`: the targets are this column of `x`.
    pub y_column: Option<String>,
    /// `--null-as-nan`.
    pub null_as_nan: bool,
    /// `--csv-header`.
    pub csv_header: crate::data::CsvHeader,
}

/// The estimator called `name`.
pub(crate) fn find(name: &str) -> Result<&'static Entry, CliError> {
    Ok(registry::find(name)?)
}

/// `NAME=VALUE` parameters for `entry`: files named by a value read in, then checked and
/// normalised by the estimator.
pub(crate) fn params(entry: &Entry, pairs: &[String]) -> Result<Value, CliError> {
    let mut pairs = params_from_pairs(pairs)?;
    inline_array_files(&mut pairs)?;
    Ok(entry.params(pairs)?)
}

/// `NAME=VALUE` pairs as a JSON object. Values are JSON where they parse (`0.5`, `false`,
/// `[1, 2]`), Python's `True`/`False`/`None` are accepted, anything else is a string.
pub(crate) fn params_from_pairs(pairs: &[String]) -> Result<Map<String, Value>, CliError> {
    let mut map = Map::new();
    for pair in pairs {
        let (name, value) = pair
            .split_once('=')
            .filter(|(n, _)| !n.trim().is_empty())
            .ok_or_else(|| CliError::Param(format!("`{pair}` is not NAME=VALUE")))?;
        let value = match value.trim() {
            "True" => Value::Bool(true),
            "False" => Value::Bool(false),
            "None" => Value::Null,
            v => serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.into())),
        };
        if map.insert(name.trim().into(), value).is_some() {
            return Err(CliError::Param(format!("`{}` is given twice", name.trim())));
        }
    }
    Ok(map)
}

/// A parameter naming a `.npy` or `.csv` file (KMeans' `init`) is replaced by the file's rows,
/// read whole on every rank.
fn inline_array_files(params: &mut Map<String, Value>) -> Result<(), CliError> {
    for value in params.values_mut() {
        let Value::String(text) = value else { continue };
        let lower = text.to_ascii_lowercase();
        if lower.ends_with(".npy") || lower.ends_with(".csv") {
            let rows = read_whole(std::path::Path::new(text.as_str()))?;
            let rows: Vec<Vec<f64>> = rows.rows().into_iter().map(|r| r.to_vec()).collect();
            *value = serde_json::to_value(rows).map_err(|e| CliError::Param(e.to_string()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn param_values_parse_like_python() {
        let pairs: Vec<String> = ["alpha=0.5", "fit_intercept=False", "init=k-means++", "n=3"]
            .map(String::from)
            .to_vec();
        let map = params_from_pairs(&pairs).unwrap();
        assert_eq!(map["alpha"], 0.5);
        assert_eq!(map["fit_intercept"], false);
        assert_eq!(map["init"], "k-means++");
        assert_eq!(map["n"], 3);
        assert!(params_from_pairs(&["alpha".into()]).is_err());
        assert!(params_from_pairs(&["a=1".into(), "a=2".into()]).is_err());
    }

    #[test]
    fn unknown_or_mistyped_params_name_the_problem() {
        let ridge = find("ridge").unwrap();
        let err = params(ridge, &["alpa=1".into()]).unwrap_err().to_string();
        assert!(
            err.contains("unknown field `alpa`") && err.contains("alpha"),
            "{err}"
        );
        let err = params(ridge, &["alpha=big".into()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("ridge") && err.contains("big"), "{err}");
        let err = params(ridge, &["alpha=-1".into()]).unwrap_err().to_string();
        assert!(err.contains("alpha=-1"), "{err}");
        let err = find("kmeans-typo")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("linear-regression, ridge"), "{err}");
    }
}
