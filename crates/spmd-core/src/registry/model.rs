//! A fitted model as the front ends keep it: JSON that reads back, and the live model.

use std::any::Any;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::estimator::Fitted;
use crate::{Error, Result};

/// A fitted model: the registry's name of its estimator, its parameters and its fitted
/// attributes under scikit-learn's names (the command line's model file), and, in the process
/// that fitted it, the fitted model itself, so that nothing is read back to use it.
///
/// ```json
/// {"estimator": "ridge", "params": {"alpha": 0.5, "fit_intercept": true},
///  "coef_": [1.0, 2.0], "intercept_": 0.25, "n_features_in_": 2, "spmd_learn_version": "0.1.0"}
/// ```
#[derive(Clone, Serialize, Deserialize)]
pub struct Model {
    /// Kebab-case estimator name, as on the command line.
    pub estimator: String,
    /// Parameters under scikit-learn's names.
    pub params: Value,
    /// Fitted attributes (`coef_`, `intercept_`, ...), and `spmd_learn_version`.
    #[serde(flatten)]
    pub attributes: Map<String, Value>,
    /// Where it was read from, for messages.
    #[serde(skip)]
    origin: Option<String>,
    /// The fitted model, where this process fitted or loaded it.
    #[serde(skip)]
    live: Option<Arc<dyn Any + Send + Sync>>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("estimator", &self.estimator)
            .field("params", &self.params)
            .field("attributes", &self.attributes.keys().collect::<Vec<_>>())
            .field("live", &self.live.is_some())
            .finish()
    }
}

impl PartialEq for Model {
    /// The same estimator, parameters and attributes.
    fn eq(&self, other: &Self) -> bool {
        (&self.estimator, &self.params, &self.attributes)
            == (&other.estimator, &other.params, &other.attributes)
    }
}

impl Model {
    /// The model of `fitted`, an estimator `estimator` with `params`: its attributes, and
    /// `fitted` itself kept live.
    pub(crate) fn of<T: Fitted>(estimator: &str, params: Value, fitted: T) -> Result<Self> {
        let attributes =
            serde_json::to_value(&fitted).map_err(|e| Error::InvalidModel(e.to_string()))?;
        let Value::Object(attributes) = attributes else {
            return Err(Error::InvalidModel(format!(
                "a fitted {estimator} did not serialise to an object"
            )));
        };
        let mut model = Self::from_attributes(estimator, params, attributes);
        model.live = Some(Arc::new(fitted));
        Ok(model)
    }

    /// A model from its parts, stamped with this library's version.
    pub fn from_attributes(
        estimator: &str,
        params: Value,
        mut attributes: Map<String, Value>,
    ) -> Self {
        attributes.insert(
            "spmd_learn_version".into(),
            Value::String(env!("CARGO_PKG_VERSION").into()),
        );
        Self {
            estimator: estimator.into(),
            params,
            attributes,
            origin: None,
            live: None,
        }
    }

    /// The same model, read from `origin` (a file name, for messages).
    pub fn with_origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into());
        self
    }

    /// Where the model was read from, if known.
    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }

    /// The fitted attributes as one JSON object.
    pub fn attributes(&self) -> Value {
        Value::Object(self.attributes.clone())
    }

    /// Whether the fitted model is held here (fitted or loaded by this process).
    pub fn is_live(&self) -> bool {
        self.live.is_some()
    }

    /// The live fitted model.
    pub(crate) fn live(&self) -> Option<&Arc<dyn Any + Send + Sync>> {
        self.live.as_ref()
    }

    /// The same model with `fitted` live.
    pub(crate) fn with_live(mut self, fitted: Arc<dyn Any + Send + Sync>) -> Self {
        self.live = Some(fitted);
        self
    }

    /// The fitted attributes read back as `T`.
    pub(crate) fn decode<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_value(self.attributes()).map_err(|e| self.invalid(&e.to_string()))
    }

    /// An error saying the model is not a valid model of its estimator, and why.
    pub(crate) fn invalid(&self, why: &str) -> Error {
        let origin = self.origin.as_deref().unwrap_or("model");
        Error::InvalidModel(format!(
            "{origin}: not a valid {} model: {why}",
            self.estimator
        ))
    }
}
