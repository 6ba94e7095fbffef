//! QR and SVD against numpy's LAPACK results (tests/fixtures/make_decomposition.py) and their
//! defining identities.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::rel_err;
use ndarray::{Array2, ArrayD};
use spmd_learn::comm::Comm;
use spmd_learn::decomposition::{FittedSvd, Qr, Svd};

fn npy(name: &str) -> ArrayD<f64> {
    common::fixture("decomposition", name)
}

#[test]
fn qr_matches_lapack_up_to_signs_and_rebuilds_x() {
    let x: Array2<f64> = npy("tall.npy").into_dimensionality().unwrap();
    let qr = Qr::new().comm(Comm::single()).fit(&x).unwrap();
    assert!(rel_err(qr.r().mapv(f64::abs).iter(), npy("qr_abs_r.npy").iter()) < 1e-12);
    assert!(rel_err(qr.q().mapv(f64::abs).iter(), npy("qr_abs_q.npy").iter()) < 1e-12);
    assert!(rel_err(qr.q().dot(&qr.r()).iter(), x.iter()) < 1e-13);
    let qtq = qr.q().t().dot(&qr.q());
    assert!(rel_err(qtq.iter(), Array2::<f64>::eye(6).iter()) < 1e-13);
    for i in 0..6 {
        assert!(qr.r()[[i, i]] >= 0.0);
        for j in 0..i {
            assert_eq!(qr.r()[[i, j]], 0.0);
        }
    }
}

#[test]
fn svd_matches_lapack_and_rebuilds_x() {
    let x: Array2<f64> = npy("tall.npy").into_dimensionality().unwrap();
    let svd = Svd::new().comm(Comm::single()).fit(&x).unwrap();
    assert!(
        rel_err(
            svd.singular_values().iter(),
            npy("svd_singular_values.npy").iter()
        ) < 1e-12
    );
    assert!(
        rel_err(
            svd.components().mapv(f64::abs).iter(),
            npy("svd_abs_vt.npy").iter()
        ) < 1e-10
    );
    let rebuilt = (&svd.u() * &svd.singular_values()).dot(&svd.components());
    assert!(rel_err(rebuilt.iter(), x.iter()) < 1e-12);
    let projected = svd.transform(&x).unwrap();
    assert!(rel_err(projected.iter(), (&svd.u() * &svd.singular_values()).iter()) < 1e-12);
    let back: FittedSvd = serde_json::from_value(serde_json::to_value(&svd).unwrap()).unwrap();
    assert_eq!(back.components(), svd.components());
}

#[test]
fn wide_input_gives_a_trapezoidal_r() {
    let x: Array2<f64> = npy("tall.npy")
        .into_dimensionality::<ndarray::Ix2>()
        .unwrap()
        .slice(ndarray::s![..4, ..])
        .to_owned();
    let qr = Qr::new().comm(Comm::single()).fit(&x).unwrap();
    assert_eq!(qr.r().dim(), (4, 6));
    assert_eq!(qr.q().dim(), (4, 4));
    assert!(rel_err(qr.q().dot(&qr.r()).iter(), x.iter()) < 1e-13);
}

#[test]
fn ill_conditioned_input_falls_back_to_householder_and_stays_orthogonal() {
    // One column scaled by 1e-9: condition number ~1e9, past CholeskyQR2's safe range.
    let mut x: Array2<f64> = npy("tall.npy").into_dimensionality().unwrap();
    x.column_mut(2).mapv_inplace(|v| v * 1e-9);
    let qr = Qr::new().comm(Comm::single()).fit(&x).unwrap();
    let qtq = qr.q().t().dot(&qr.q());
    assert!(
        rel_err(qtq.iter(), Array2::<f64>::eye(6).iter()) < 1e-13,
        "Q lost orthogonality"
    );
    assert!(rel_err(qr.q().dot(&qr.r()).iter(), x.iter()) < 1e-13);
}
