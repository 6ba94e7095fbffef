//! Bad input gives an error that names the problem.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::synthetic;
use ndarray::{s, Array1, Array2};
use spmd_learn::comm::Comm;
use spmd_learn::linear::{LinearModel, LinearRegression, Ridge};
use spmd_learn::{Error, Queue};

fn ols() -> LinearRegression {
    LinearRegression::new().comm(Comm::single())
}

#[test]
fn nan_and_inf_are_located() {
    let (mut x, y) = synthetic(50, 3, 1, 1);
    x[[17, 2]] = f64::NAN;
    let y = y.column(0).to_owned();
    let queue = Queue::shared_for_tests();
    for q in [None, queue] {
        let err = ols().fit(&x, &y, q).unwrap_err();
        assert!(
            matches!(
                err,
                Error::NonFinite {
                    what: "X",
                    row: 17,
                    column: 2,
                    rank: 0,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("NaN at row 17, column 2"), "{err}");
    }
    let (x, mut y) = synthetic(50, 3, 1, 1);
    y[[3, 0]] = f64::INFINITY;
    let err = ols().fit(&x, &y, None).unwrap_err();
    assert!(
        matches!(
            err,
            Error::NonFinite {
                what: "y",
                row: 3,
                column: 0,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn shape_mismatches_are_errors() {
    let (x, y) = synthetic(50, 3, 1, 2);
    let short = y.slice(s![..40, ..]).to_owned();
    let err = ols().fit(&x, &short, None).unwrap_err().to_string();
    assert!(err.contains("50 rows") && err.contains("40 rows"), "{err}");

    let model = ols().fit(&x, &y, None).unwrap();
    let wide = Array2::<f64>::zeros((4, 5));
    let err = model.predict(&wide, None).unwrap_err().to_string();
    assert!(
        err.contains("3 features") && err.contains("5 features"),
        "{err}"
    );
}

#[test]
fn empty_input_and_bad_alpha_are_errors() {
    let x = Array2::<f64>::zeros((0, 3));
    let y = Array1::<f64>::zeros(0);
    assert!(matches!(ols().fit(&x, &y, None), Err(Error::Empty { .. })));

    let (x, y) = synthetic(10, 2, 1, 3);
    for alpha in [-1.0, f64::NAN] {
        let err = Ridge::new()
            .alpha(alpha)
            .comm(Comm::single())
            .fit(&x, &y, None)
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidParam { name: "alpha", .. }),
            "{err}"
        );
    }
}

#[test]
fn corrupt_model_json_is_rejected() {
    let bad = r#"{"coef_": [1.0, 2.0], "intercept_": 0.5, "n_features_in_": 3}"#;
    let err = serde_json::from_str::<LinearModel<f64>>(bad)
        .unwrap_err()
        .to_string();
    assert!(err.contains("3 values per target"), "{err}");
}
