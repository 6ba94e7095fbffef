//! Parameters as JSON, checked one by one so that a bad one is named.

use serde_json::{Map, Value};

use crate::estimator::Params;
use crate::{Error, Result};

/// `pairs` (names and JSON values) as `P`: each value checked alone first (so a bad one is
/// named), then together, then by `P`'s own checks; the normalised JSON (defaults filled in).
pub fn checked<P: Params>(pairs: Map<String, Value>) -> Result<Value> {
    for (name, value) in &pairs {
        let alone = Value::Object(Map::from_iter([(name.clone(), value.clone())]));
        if let Err(e) = serde_json::from_value::<P>(alone) {
            let message = e.to_string();
            if message.starts_with("unknown field") {
                return Err(Error::Params(message));
            }
            if !message.starts_with("missing field") {
                let shown = value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_string);
                return Err(Error::Params(format!(
                    "invalid parameter {name}={shown}: {message}"
                )));
            }
        }
    }
    let params: P = parse(&Value::Object(pairs))?;
    params.check()?;
    serde_json::to_value(&params).map_err(|e| Error::Params(e.to_string()))
}

/// Checked parameters (from [`checked`]) as `P`.
pub(crate) fn parse<P: Params>(params: &Value) -> Result<P> {
    serde_json::from_value(params.clone()).map_err(|e| Error::Params(e.to_string()))
}
