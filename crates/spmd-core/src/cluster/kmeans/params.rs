use ndarray::Array2;
use serde::{Deserialize, Serialize};
use spmd_comm::Comm;

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

/// scikit-learn's `KMeans` over all ranks' rows: centroids are global, labels stay with their
/// rows.
///
/// Each Lloyd iteration assigns every local row to its nearest centre (CPU, or the GPU kernel),
/// and one allreduce of per-cluster sums and counts, label changes and inertia gives every rank
/// the same new centres; the stopping test uses only allreduced values, so every rank stops at the
/// same iteration. Empty clusters are moved to the rows farthest from their centres, as
/// scikit-learn does, agreed across ranks.
///
/// All randomness is a function of `random_state` and global row indices: the same seed gives the
/// same centres for any number of ranks.
///
/// Memory: on the CPU, contiguous rows whose global column means are near zero (within 8
/// standard deviations for f64, 1 for f32) are read in place; other rows are copied once per
/// fit, shifted by the global means (as scikit-learn's `copy_x` centres a copy), f32 rows into
/// an f32 copy.
///
/// ```
/// use ndarray::array;
/// use spmd_core::cluster::{Init, KMeans};
///
/// let x = array![[0.0_f64, 0.0], [0.0, 1.0], [10.0, 10.0], [10.0, 11.0]];
/// let fitted = KMeans::new(2).init(Init::Given(array![[0.0, 0.0], [10.0, 10.0]])).fit(&x, None)?;
/// assert_eq!(fitted.cluster_centers().row(0).to_vec(), [0.0, 0.5]);
/// assert_eq!(fitted.labels().to_vec(), [0, 0, 1, 1]);
/// assert!((fitted.inertia() - 1.0).abs() < 1e-12);
/// # Ok::<(), spmd_core::Error>(())
#[derive(Debug, Clone, Default)]
pub struct KMeans {
    pub(super) params: KMeansParams,
    pub(super) comm: Option<Comm>,
}

impl KMeans {
    /// `n_clusters` clusters, scikit-learn's other defaults.
    pub fn new(n_clusters: usize) -> Self {
        Self {
            params: KMeansParams {
                n_clusters,
                ..KMeansParams::default()
            },
            ..Self::default()
        }
    }

    /// Seed of every random choice.
    pub fn random_state(mut self, seed: u64) -> Self {
        self.params.random_state = Some(seed);
        self
    }

    pub(super) fn check(&self, d: usize) -> Result<()> {
        self.params.check()?;
        if let Init::Given(c) = &self.params.init {
            if c.dim() != (self.params.n_clusters, d) || c.iter().any(|v| !v.is_finite()) {
                return Err(Error::Shape {
                    what: "init".into(),
                    expected: format!("{} x {d} finite centres", self.params.n_clusters),
                    found: format!("{} x {}", c.nrows(), c.ncols()),
                });
            }
        }
        Ok(())
    }

    /// From parameters (as read from a model file or the command line).
    pub fn with_params(params: KMeansParams) -> Self {
        Self { params, comm: None }
    }

    /// The ranks that fit together; `Comm::world()` by default.
    pub fn comm(mut self, comm: Comm) -> Self {
        self.comm = Some(comm);
        self
    }

    /// The parameters.
    pub fn params(&self) -> &KMeansParams {
        &self.params
    }

    /// How the first centres are chosen.
    pub fn init(mut self, init: Init) -> Self {
        self.params.init = init;
        self
    }

    /// Lloyd iterations at most.
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.params.max_iter = max_iter;
        self
    }

    /// Convergence threshold (relative to the mean feature variance).
    pub fn tol(mut self, tol: f64) -> Self {
        self.params.tol = tol;
        self
    }

    /// Initialisations to run.
    pub fn n_init(mut self, n_init: NInit) -> Self {
        self.params.n_init = n_init;
        self
    }
}
