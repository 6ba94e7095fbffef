use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// How the first centres are chosen (scikit-learn's `init`, plus `k-means||`).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Init {
    /// Greedy k-means++ over all ranks' rows (scikit-learn's default).
    #[default]
    KMeansPlusPlus,
    /// Scalable k-means|| (Bahmani et al.): a few rounds of oversampling, then k-means++ on the
    /// weighted candidates.
    KMeansParallel,
    /// `n_clusters` distinct rows chosen uniformly.
    Random,
    /// These centres (`n_clusters x n_features`).
    Given(Array2<f64>),
}

impl Serialize for Init {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Init::KMeansPlusPlus => s.serialize_str("k-means++"),
            Init::KMeansParallel => s.serialize_str("k-means||"),
            Init::Random => s.serialize_str("random"),
            Init::Given(c) => {
                let rows: Vec<Vec<f64>> = c.rows().into_iter().map(|r| r.to_vec()).collect();
                rows.serialize(s)
            }
        }
    }
}

impl<'de> Deserialize<'de> for Init {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Name(String),
            Centres(Vec<Vec<f64>>),
        }
        match Raw::deserialize(d)? {
            Raw::Name(name) => match name.as_str() {
                "k-means++" => Ok(Init::KMeansPlusPlus),
                "k-means||" => Ok(Init::KMeansParallel),
                "random" => Ok(Init::Random),
                other => Err(serde::de::Error::custom(format!(
                    "init must be k-means++, k-means||, random or a list of centre rows (on the command line, a .npy or .csv file of them), not {other:?}"
                ))),
            },
            Raw::Centres(rows) => {
                let width = rows.first().map_or(0, Vec::len);
                if rows.iter().any(|r| r.len() != width) {
                    return Err(serde::de::Error::custom(
                        "init: every centre row must have the same length",
                    ));
                }
                let k = rows.len();
                Array2::from_shape_vec((k, width), rows.into_iter().flatten().collect())
                    .map(Init::Given)
                    .map_err(serde::de::Error::custom)
            }
        }
    }
}

/// scikit-learn's `n_init`: how many initialisations to run, keeping the lowest inertia.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(untagged)]
pub enum NInit {
    /// 1 for k-means++, k-means|| and given centres, 10 for random.
    #[default]
    #[serde(with = "auto")]
    Auto,
    /// This many.
    Count(usize),
}

mod auto {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("auto")
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<(), D::Error> {
        match String::deserialize(d)?.as_str() {
            "auto" => Ok(()),
            other => Err(serde::de::Error::custom(format!(
                "n_init must be \"auto\" or a positive integer, not {other:?}"
            ))),
        }
    }
}

/// Parameters of [`KMeans`](super::KMeans), under scikit-learn's names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KMeansParams {
    /// Number of clusters (default 8).
    pub n_clusters: usize,
    /// How the first centres are chosen: `"k-means++"` (default), `"k-means||"`, `"random"`,
    /// or the centres as a list of rows.
    pub init: Init,
    /// Initialisations to run.
    pub n_init: NInit,
    /// Lloyd iterations at most (default 300).
    pub max_iter: usize,
    /// Convergence threshold on the squared centre shift, relative to the mean feature variance
    /// (default 1e-4).
    pub tol: f64,
    /// Seed; the same seed gives the same centres whatever the number of ranks. `None`: rank 0
    /// draws one and shares it.
    pub random_state: Option<u64>,
}

impl Default for KMeansParams {
    fn default() -> Self {
        Self {
            n_clusters: 8,
            init: Init::default(),
            n_init: NInit::Auto,
            max_iter: 300,
            tol: 1e-4,
            random_state: None,
        }
    }
}

impl KMeansParams {
    /// Errors on values scikit-learn rejects.
    pub fn check(&self) -> Result<()> {
        let bad = Error::invalid_param::<()>;
        if self.n_clusters == 0 {
            return bad("n_clusters", "0".into(), "a positive integer");
        }
        if self.max_iter == 0 {
            return bad("max_iter", "0".into(), "a positive integer");
        }
        if !(self.tol >= 0.0 && self.tol.is_finite()) {
            return bad("tol", self.tol.to_string(), "a finite number >= 0");
        }
        if self.n_init == NInit::Count(0) {
            return bad("n_init", "0".into(), "\"auto\" or a positive integer");
        }
        Ok(())
    }
}
