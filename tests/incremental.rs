//! partial_fit over batches equals the one-shot fit, and a failed batch fails finalize.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{rel_err, synthetic};
use ndarray::s;
use spmd_learn::comm::Comm;
use spmd_learn::covariance::{EmpiricalCovariance, IncrementalEmpiricalCovariance};
use spmd_learn::decomposition::{IncrementalPca, NComponents, Pca};
use spmd_learn::linear::{IncrementalLinearRegression, LinearRegression};
use spmd_learn::Queue;

const CUTS: [usize; 6] = [0, 1, 40, 41, 200, 333];

#[test]
fn batches_equal_one_shot_on_cpu_and_gpu() {
    let (x, y) = synthetic(333, 6, 2, 4);
    let x = x + 250.0; // a large mean: the merge must stay accurate
    for queue in [None, Queue::shared_for_tests()] {
        let tol = if queue.is_some_and(|q| !q.info().supports_f64) {
            1e-4
        } else {
            1e-9
        };
        let mut lin = IncrementalLinearRegression::new().comm(Comm::single());
        let mut cov = IncrementalEmpiricalCovariance::new().comm(Comm::single());
        let mut pca = IncrementalPca::new().comm(Comm::single());
        for w in CUTS.windows(2) {
            let (xb, yb) = (x.slice(s![w[0]..w[1], ..]), y.slice(s![w[0]..w[1], ..]));
            lin.partial_fit(&xb, &yb, queue).unwrap();
            cov.partial_fit(&xb, queue).unwrap();
            pca.partial_fit(&xb, queue).unwrap();
        }
        let one = LinearRegression::new()
            .comm(Comm::single())
            .fit(&x, &y, None)
            .unwrap();
        let inc = lin.finalize::<f64>().unwrap();
        assert!(rel_err(inc.coef().iter(), one.coef().iter()) < tol);
        assert!(rel_err(inc.intercept().iter(), one.intercept().iter()) < tol);

        let one = EmpiricalCovariance::new()
            .comm(Comm::single())
            .fit(&x, None)
            .unwrap();
        let inc = cov.finalize().unwrap();
        assert!(rel_err(inc.covariance().iter(), one.covariance().iter()) < tol);

        let one = Pca::new()
            .n_components(NComponents::All)
            .comm(Comm::single())
            .fit(&x, None)
            .unwrap();
        let inc = pca.finalize().unwrap();
        assert!(rel_err(inc.components().iter(), one.components().iter()) < tol);
        assert!(
            rel_err(
                inc.explained_variance().iter(),
                one.explained_variance().iter()
            ) < tol
        );
    }
}

#[test]
fn a_failed_batch_fails_finalize() {
    let (mut x, y) = synthetic(50, 3, 1, 5);
    let mut lin = IncrementalLinearRegression::new().comm(Comm::single());
    lin.partial_fit(&x.slice(s![..20, ..]), &y.slice(s![..20, ..]), None)
        .unwrap();
    x[[30, 1]] = f64::NAN;
    let err = lin
        .partial_fit(&x.slice(s![20.., ..]), &y.slice(s![20.., ..]), None)
        .unwrap_err();
    assert!(err.to_string().contains("NaN at row 10, column 1"), "{err}");
    let err = lin.finalize::<f64>().unwrap_err().to_string();
    assert!(
        err.contains("earlier partial_fit failed") && err.contains("NaN"),
        "{err}"
    );

    let mut cov = IncrementalEmpiricalCovariance::new().comm(Comm::single());
    cov.partial_fit(&x.slice(s![..20, ..]), None).unwrap();
    let err = cov
        .partial_fit(&x.slice(s![..5, ..2]), None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("3 features") && err.contains("earlier batches"),
        "{err}"
    );
    assert!(cov.finalize().is_err());

    assert!(
        IncrementalPca::new()
            .comm(Comm::single())
            .finalize()
            .is_err(),
        "no rows at all"
    );
}
