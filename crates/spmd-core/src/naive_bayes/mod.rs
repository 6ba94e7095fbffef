//! Naive Bayes classifiers.
