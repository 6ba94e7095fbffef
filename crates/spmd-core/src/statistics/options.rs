use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One statistic of [`BasicStatistics`](super::BasicStatistics), named as sklearnex names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Statistic {
    /// Smallest value.
    Min,
    /// Largest value.
    Max,
    /// $\sum x$.
    Sum,
    /// $\bar x$.
    Mean,
    /// $\frac{1}{n} \sum x^2$.
    SecondOrderRawMoment,
    /// $\frac{1}{n - 1} \sum (x - \bar x)^2$.
    Variance,
    /// Square root of the variance.
    StandardDeviation,
    /// Standard deviation over mean.
    Variation,
    /// $\sum x^2$.
    SumSquares,
    /// $\sum (x - \bar x)^2$.
    SumSquaresCentered,
}

impl Statistic {
    /// Every statistic, in sklearnex's order.
    pub const ALL: [Statistic; 10] = [
        Self::Min,
        Self::Max,
        Self::Sum,
        Self::Mean,
        Self::SecondOrderRawMoment,
        Self::Variance,
        Self::StandardDeviation,
        Self::Variation,
        Self::SumSquares,
        Self::SumSquaresCentered,
    ];

    /// The fitted attribute's name (`mean_`, `variance_`, ...).
    pub fn attribute(self) -> String {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(name)) => format!("{name}_"),
            _ => String::new(),
        }
    }
}

/// Which statistics to compute: sklearnex's `result_options`, `"all"` or a list of names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultOptions(pub Vec<Statistic>);

impl Default for ResultOptions {
    fn default() -> Self {
        Self(Statistic::ALL.to_vec())
    }
}

impl Serialize for ResultOptions {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if *self == Self::default() {
            s.serialize_str("all")
        } else {
            self.0.serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for ResultOptions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<Statistic>),
        }
        match Raw::deserialize(d)? {
            Raw::One(name) if name == "all" => Ok(Self::default()),
            Raw::One(name) => {
                serde_json::from_value::<Statistic>(serde_json::Value::String(name.clone()))
                    .map(|s| Self(vec![s]))
                    .map_err(|_| {
                        serde::de::Error::custom(format!(
                    "unknown statistic `{name}`; use \"all\" or names like \"mean\", \"variance\""
                ))
                    })
            }
            Raw::Many(list) if list.is_empty() => Err(serde::de::Error::custom(
                "result_options must name at least one statistic",
            )),
            Raw::Many(list) => Ok(Self(list)),
        }
    }
}
