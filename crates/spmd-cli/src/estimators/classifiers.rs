//! The classifiers on the command line: `predict` writes labels, `transform` writes class
//! probabilities (`predict_proba`).

use ndarray::{Array1, Array2, ArrayView1};
use serde_json::{Map, Value};
use spmd_core::linear::{FittedLogisticRegression, LogisticRegression, LogisticRegressionParams};
use spmd_core::naive_bayes::{FittedMultinomialNb, MultinomialNb, MultinomialNbParams};
use spmd_core::{Comm, Queue};

use super::{model_file, need_targets, parse_params, CliEstimator, FitData};
use crate::data::TargetData;
use crate::{CliError, ModelFile};

/// Class labels from a targets file: one column.
fn labels<'a>(estimator: &str, y: Option<&'a TargetData>) -> Result<ArrayView1<'a, f64>, CliError> {
    let y = need_targets(estimator, y)?;
    if y.values.ncols() != 1 {
        return Err(CliError::Param(format!(
            "{estimator} needs one column of class labels in --y, not {}",
            y.values.ncols()
        )));
    }
    Ok(y.values.column(0))
}

fn weights<'a>(input: &'a FitData<'_>) -> Option<ArrayView1<'a, f64>> {
    input.sample_weight.map(|w| w.values.column(0))
}

/// Labels as one f64 column.
fn label_column(labels: Array1<i64>) -> Array2<f64> {
    labels.mapv(|l| l as f64).insert_axis(ndarray::Axis(1))
}

pub(super) struct LogisticRegressionCli;

impl CliEstimator for LogisticRegressionCli {
    fn name(&self) -> &'static str {
        "logistic-regression"
    }
    fn summary(&self) -> &'static str {
        "logistic regression, binary or multinomial (params: C, fit_intercept, class_weight, solver, max_iter, tol); predict gives labels, transform probabilities"
    }
    fn fit(
        &self,
        comm: &Comm,
        params: Map<String, Value>,
        input: &FitData<'_>,
        queue: Option<&Queue>,
    ) -> Result<ModelFile, CliError> {
        let params: LogisticRegressionParams = parse_params(self.name(), params)?;
        let y = labels(self.name(), input.y)?;
        let fitted = LogisticRegression::with_params(params.clone())
            .comm(comm.clone())
            .fit_weighted(input.x, &y, weights(input), queue)?;
        model_file(self.name(), &params, &fitted)
    }
    fn predict(
        &self,
        model: &ModelFile,
        x: &Array2<f64>,
        queue: Option<&Queue>,
    ) -> Result<Array2<f64>, CliError> {
        let fitted: FittedLogisticRegression = model.fitted()?;
        Ok(label_column(fitted.predict(x, queue)?))
    }
    fn transform(
        &self,
        model: &ModelFile,
        x: &Array2<f64>,
        queue: Option<&Queue>,
    ) -> Result<Array2<f64>, CliError> {
        let fitted: FittedLogisticRegression = model.fitted()?;
        Ok(fitted.predict_proba(x, queue)?)
    }
}

pub(super) struct MultinomialNbCli;

impl CliEstimator for MultinomialNbCli {
    fn name(&self) -> &'static str {
        "multinomial-nb"
    }
    fn summary(&self) -> &'static str {
        "multinomial naive Bayes on counts (params: alpha, force_alpha, fit_prior, class_prior); predict gives labels, transform probabilities"
    }
    fn fit(
        &self,
        comm: &Comm,
        params: Map<String, Value>,
        input: &FitData<'_>,
        queue: Option<&Queue>,
    ) -> Result<ModelFile, CliError> {
        let params: MultinomialNbParams = parse_params(self.name(), params)?;
        let y = labels(self.name(), input.y)?;
        let fitted = MultinomialNb::with_params(params.clone())
            .comm(comm.clone())
            .fit_weighted(input.x, &y, weights(input), queue)?;
        model_file(self.name(), &params, &fitted)
    }
    fn predict(
        &self,
        model: &ModelFile,
        x: &Array2<f64>,
        queue: Option<&Queue>,
    ) -> Result<Array2<f64>, CliError> {
        let fitted: FittedMultinomialNb = model.fitted()?;
        Ok(label_column(fitted.predict(x, queue)?))
    }
    fn transform(
        &self,
        model: &ModelFile,
        x: &Array2<f64>,
        queue: Option<&Queue>,
    ) -> Result<Array2<f64>, CliError> {
        let fitted: FittedMultinomialNb = model.fitted()?;
        Ok(fitted.predict_proba(x, queue)?)
    }
}
