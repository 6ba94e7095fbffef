//! Naive Bayes classifiers: [`MultinomialNb`] (scikit-learn's `MultinomialNB`).

mod contract;
mod counts;
mod fit;
mod fitted;
mod params;

pub use fit::MultinomialNb;
pub use fitted::FittedMultinomialNb;
pub use params::MultinomialNbParams;
