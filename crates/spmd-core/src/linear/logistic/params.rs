use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The optimiser (scikit-learn's `solver`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Solver {
    /// Limited-memory BFGS (scikit-learn's default).
    #[default]
    #[serde(rename = "lbfgs")]
    Lbfgs,
    /// Truncated Newton with conjugate gradients on Hessian-vector products.
    #[serde(rename = "newton-cg")]
    NewtonCg,
}

/// Per-class weights multiplying the sample weights (scikit-learn's `class_weight`). Reads
/// `"balanced"` or a map from class label to weight (JSON keys are strings: `{"3": 2.0}`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ClassWeight {
    /// `n_samples / (n_classes * count(class))`, from the counts over all ranks.
    #[serde(serialize_with = "serialize_balanced")]
    Balanced,
    /// A weight per class label; classes not listed weigh 1.
    Given(BTreeMap<i64, f64>),
}

fn serialize_balanced<S: serde::Serializer>(s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str("balanced")
}

impl<'de> Deserialize<'de> for ClassWeight {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Name(String),
            Map(BTreeMap<String, f64>),
        }
        match Raw::deserialize(d).map_err(|_| {
            <D::Error as serde::de::Error>::custom(
                "class_weight must be null, \"balanced\" or a map of class label to weight",
            )
        })? {
            Raw::Name(name) if name == "balanced" => Ok(Self::Balanced),
            Raw::Name(other) => Err(serde::de::Error::custom(format!(
                "class_weight must be null, \"balanced\" or a map of class label to weight, \
                 not {other:?}"
            ))),
            Raw::Map(map) => map
                .into_iter()
                .map(|(label, weight)| match label.trim().parse::<i64>() {
                    Ok(label) => Ok((label, weight)),
                    Err(_) => Err(serde::de::Error::custom(format!(
                        "class_weight keys must be integer class labels, not {label:?}"
                    ))),
                })
                .collect::<std::result::Result<_, _>>()
                .map(Self::Given),
        }
    }
}

/// `C` from a number, `"inf"` or `null` (JSON has no infinity: serde writes it as `null`).
fn c_value<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<f64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum C {
        Number(f64),
        Name(String),
        Null(()),
    }
    match C::deserialize(d)? {
        C::Number(c) => Ok(c),
        C::Null(()) => Ok(f64::INFINITY),
        C::Name(name) if matches!(name.as_str(), "inf" | "np.inf" | "infinity") => {
            Ok(f64::INFINITY)
        }
        C::Name(other) => Err(serde::de::Error::custom(format!(
            "C must be a number > 0 or \"inf\", not {other:?}"
        ))),
    }
}

/// Parameters of [`LogisticRegression`](super::LogisticRegression), under scikit-learn's names.
/// The penalty is L2 (`C = inf`: none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogisticRegressionParams {
    /// Inverse regularisation strength, scikit-learn's `C` (default 1; `f64::INFINITY` for no
    /// penalty). The objective is the weighted mean log-loss plus
    /// $\lVert W \rVert^2 / (2\,C \sum_i s_i)$.
    #[serde(rename = "C", deserialize_with = "c_value")]
    pub c: f64,
    /// Whether to fit an (unpenalised) intercept (default true).
    pub fit_intercept: bool,
    /// Class weights (default none).
    pub class_weight: Option<ClassWeight>,
    /// Solver iterations at most (default 100).
    pub max_iter: usize,
    /// Stop when the largest gradient component is at most this (default 1e-4).
    pub tol: f64,
    /// The optimiser (default lbfgs).
    pub solver: Solver,
}

impl Default for LogisticRegressionParams {
    fn default() -> Self {
        Self {
            c: 1.0,
            fit_intercept: true,
            class_weight: None,
            max_iter: 100,
            tol: 1e-4,
            solver: Solver::Lbfgs,
        }
    }
}

impl LogisticRegressionParams {
    /// Errors on values scikit-learn rejects.
    pub fn check(&self) -> Result<()> {
        let bad = Error::invalid_param::<()>;
        if self.c.is_nan() || self.c <= 0.0 {
            return bad("C", self.c.to_string(), "a number > 0 (inf: no penalty)");
        }
        if !(self.tol >= 0.0 && self.tol.is_finite()) {
            return bad("tol", self.tol.to_string(), "a finite number >= 0");
        }
        if let Some(ClassWeight::Given(weights)) = &self.class_weight {
            if let Some((class, w)) = weights.iter().find(|(_, w)| !(**w >= 0.0 && w.is_finite())) {
                return bad(
                    "class_weight",
                    format!("{{{class}: {w}}}"),
                    "finite weights >= 0",
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> std::result::Result<LogisticRegressionParams, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn parameters_parse_under_sklearn_names() {
        assert_eq!(parse(r#"{"C": 0.5}"#).map(|p| p.c), Ok(0.5));
        assert_eq!(parse(r#"{"C": "inf"}"#).map(|p| p.c), Ok(f64::INFINITY));
        assert_eq!(parse(r#"{"C": null}"#).map(|p| p.c), Ok(f64::INFINITY));
        assert!(parse(r#"{"C": "big"}"#).is_err_and(|e| e.contains("big")));
        assert_eq!(
            parse(r#"{"class_weight": "balanced"}"#).map(|p| p.class_weight),
            Ok(Some(ClassWeight::Balanced))
        );
        let given = parse(r#"{"class_weight": {"3": 2.0, "7": 0.5}}"#).map(|p| p.class_weight);
        assert_eq!(
            given,
            Ok(Some(ClassWeight::Given(
                [(3, 2.0), (7, 0.5)].into_iter().collect()
            )))
        );
        assert!(parse(r#"{"class_weight": "heavy"}"#).is_err());
        assert_eq!(
            parse(r#"{"solver": "newton-cg"}"#).map(|p| p.solver),
            Ok(Solver::NewtonCg)
        );
        assert!(parse(r#"{"penalty": "l1"}"#).is_err_and(|e| e.contains("penalty")));
        // Serialised parameters read back the same, infinite C included.
        let params = LogisticRegressionParams {
            c: f64::INFINITY,
            class_weight: Some(ClassWeight::Balanced),
            ..Default::default()
        };
        let json = serde_json::to_string(&params).map_err(|e| e.to_string());
        assert_eq!(json.and_then(|j| parse(&j)), Ok(params));
    }
}
