//! Which columns of a file are read, and whether a `.csv` has a header.

use std::ops::Range;

use crate::CliError;

/// Whether the first line of a `.csv` file is a header.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum CsvHeader {
    /// A header exactly when none of its fields is a number; a line with some fields numbers
    /// and others not is an error naming the line and the field.
    #[default]
    Auto,
    /// The first line is a header.
    Yes,
    /// Every line is data.
    No,
}

impl CsvHeader {
    /// Whether this is the default (models leave it out).
    pub fn is_auto(&self) -> bool {
        *self == Self::Auto
    }
}

/// How a file is read: which columns of a Parquet or Arrow file, how nulls are taken, and
/// whether a `.csv` file's first line is a header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Columns {
    /// Names, or one range of positions (`0:12`); `None`: every column but `except`.
    pub chosen: Option<ColumnChoice>,
    /// Columns left out of the default choice (the target and weight columns).
    pub except: Vec<String>,
    /// Read nulls as NaN (estimators that refuse NaN still refuse them).
    pub null_as_nan: bool,
    /// Whether a `.csv` file's first line is a header.
    pub csv_header: CsvHeader,
}

/// Columns named, or a range of positions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnChoice {
    /// These columns, in this order.
    Names(Vec<String>),
    /// Positions `start..end`.
    Positions(Range<usize>),
}

impl Columns {
    /// `--columns a,b,c` (names) or `--columns 0:12` (positions), with `--null-as-nan`.
    pub fn parse(spec: Option<&str>, null_as_nan: bool) -> Result<Self, CliError> {
        let chosen = match spec {
            None => None,
            Some(spec) => Some(match spec.split_once(':') {
                Some((a, b)) => {
                    let position = |v: &str| {
                        v.trim().parse::<usize>().map_err(|_| {
                            CliError::Param(format!(
                                "--columns {spec}: expected names a,b,c or positions START:END"
                            ))
                        })
                    };
                    ColumnChoice::Positions(position(a)?..position(b)?)
                }
                None => {
                    ColumnChoice::Names(spec.split(',').map(|n| n.trim().to_string()).collect())
                }
            }),
        };
        Ok(Self {
            chosen,
            except: Vec::new(),
            null_as_nan,
            csv_header: CsvHeader::Auto,
        })
    }

    /// This choice with `csv_header` for `.csv` files.
    pub fn with_csv_header(mut self, csv_header: CsvHeader) -> Self {
        self.csv_header = csv_header;
        self
    }

    /// The one column `name`, nulls as this choice takes them.
    pub fn only(&self, name: &str) -> Self {
        Self {
            chosen: Some(ColumnChoice::Names(vec![name.to_string()])),
            except: Vec::new(),
            null_as_nan: self.null_as_nan,
            csv_header: self.csv_header,
        }
    }

    /// Only the way a `.csv` file is read (for targets and weights in files of their own).
    pub fn csv_only(&self) -> Self {
        Self {
            csv_header: self.csv_header,
            ..Self::default()
        }
    }

    /// Whether a Parquet or Arrow option is set (other files refuse them).
    pub(crate) fn chooses_columns(&self) -> bool {
        self.chosen.is_some() || !self.except.is_empty() || self.null_as_nan
    }
}
