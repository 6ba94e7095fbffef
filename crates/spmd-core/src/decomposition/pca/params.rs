use serde::{Deserialize, Serialize};
use spmd_comm::Comm;

use crate::{Error, Result};

/// How many components [`Pca`](super::Pca) keeps: scikit-learn's `n_components`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(untagged)]
pub enum NComponents {
    /// All: `min(n_samples, n_features)` (`None` in scikit-learn).
    #[default]
    All,
    /// This many.
    Count(usize),
    /// As many as needed to explain more than this fraction of the variance, in `(0, 1)`.
    VarianceRatio(f64),
}

impl NComponents {
    fn is_all(&self) -> bool {
        matches!(self, Self::All)
    }
}

/// Parameters of [`Pca`](super::Pca), under scikit-learn's names. The solver is scikit-learn's
/// `covariance_eigh`: the covariance is summed over ranks and eigendecomposed on every rank.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct PcaParams {
    /// Components to keep.
    #[serde(
        skip_serializing_if = "NComponents::is_all",
        with = "n_components_serde"
    )]
    pub n_components: NComponents,
    /// Scale projections to unit variance.
    pub whiten: bool,
    /// How the components are computed.
    pub svd_solver: SvdSolver,
}

/// scikit-learn's `svd_solver` for [`Pca`](super::Pca).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SvdSolver {
    /// Eigendecomposition of the covariance summed over ranks: one pass, fastest (`"auto"` is
    /// taken as this).
    #[default]
    #[serde(alias = "auto")]
    CovarianceEigh,
    /// SVD of the centred rows through TSQR: the covariance is never formed, so ill-conditioned
    /// data keep their small components accurate.
    Full,
}

impl PcaParams {
    /// Errors unless `n_components` is a positive count or a ratio in `(0, 1)`.
    pub fn check(&self) -> Result<()> {
        match self.n_components {
            NComponents::Count(0) => Err(invalid("0")),
            NComponents::VarianceRatio(r) if !(r > 0.0 && r < 1.0) => Err(invalid(&r.to_string())),
            _ => Ok(()),
        }
    }
}

fn invalid(value: &str) -> Error {
    Error::InvalidParam {
        name: "n_components",
        value: value.into(),
        expected: "a positive integer, a variance ratio in (0, 1), or None for all",
    }
}

/// `null` or absent means all; an integer a count; a fraction a variance ratio.
pub(super) mod n_components_serde {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::NComponents;

    pub fn serialize<S: Serializer>(n: &NComponents, s: S) -> Result<S::Ok, S::Error> {
        match n {
            NComponents::All => s.serialize_none(),
            NComponents::Count(c) => c.serialize(s),
            NComponents::VarianceRatio(r) => r.serialize(s),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NComponents, D::Error> {
        let value = Option::<serde_json::Value>::deserialize(d)?;
        match value {
            None | Some(serde_json::Value::Null) => Ok(NComponents::All),
            Some(serde_json::Value::Number(n)) if n.is_u64() => {
                Ok(NComponents::Count(n.as_u64().unwrap_or(0) as usize))
            }
            Some(serde_json::Value::Number(n)) => {
                Ok(NComponents::VarianceRatio(n.as_f64().unwrap_or(f64::NAN)))
            }
            Some(other) => Err(serde::de::Error::custom(format!(
                "n_components must be an integer, a fraction in (0, 1) or null, not {other}"
            ))),
        }
    }
}

/// scikit-learn's `PCA` with the `covariance_eigh` solver: the centred scatter matrix of all
/// ranks' rows is summed with one allreduce and eigendecomposed on every rank.
///
/// Components follow scikit-learn's sign convention: the entry of largest magnitude of each
/// component is positive.
///
/// ```
/// use ndarray::array;
/// use spmd_core::decomposition::{NComponents, Pca};
///
/// let x = array![[2.0_f64, 0.0], [0.0, 1.0], [-2.0, 0.0], [0.0, -1.0]];
/// let pca = Pca::new().n_components(NComponents::Count(1)).fit(&x, None)?;
/// assert_eq!(pca.components().row(0).to_vec(), [1.0, 0.0]);
/// assert!((pca.explained_variance()[0] - 8.0 / 3.0).abs() < 1e-12);
/// let projected = pca.transform(&x, None)?;
/// assert!((projected[[0, 0]] - 2.0).abs() < 1e-12);
/// # Ok::<(), spmd_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Pca {
    pub(super) params: PcaParams,
    pub(super) comm: Option<Comm>,
}

impl Pca {
    /// scikit-learn's defaults (all components, no whitening).
    pub fn new() -> Self {
        Self::default()
    }

    /// From parameters (as read from a model file or the command line).
    pub fn with_params(params: PcaParams) -> Self {
        Self { params, comm: None }
    }

    /// The ranks that fit together; `Comm::world()` by default.
    pub fn comm(mut self, comm: Comm) -> Self {
        self.comm = Some(comm);
        self
    }

    /// The parameters.
    pub fn params(&self) -> &PcaParams {
        &self.params
    }

    /// Components to keep.
    pub fn n_components(mut self, n_components: NComponents) -> Self {
        self.params.n_components = n_components;
        self
    }

    /// Scale projections to unit variance.
    pub fn whiten(mut self, whiten: bool) -> Self {
        self.params.whiten = whiten;
        self
    }
}
