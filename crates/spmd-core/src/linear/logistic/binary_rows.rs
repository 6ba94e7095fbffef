//! The CPU pass of a binary fit over a block of rows: one sweep computes each row's log-odds,
//! loss, gradient contribution and curvature while the row is in cache. Vectorised with
//! explicit lanes; AVX2 + FMA where the CPU has them.

use crate::simd::{axpy, dot};

/// A block of rows (row-major, `d` values each) with their 0/1 targets and weights.
pub(super) struct BinaryRows<'a> {
    pub z: &'a [f64],
    pub d: usize,
    /// Class index (0 or 1) of each row.
    pub labels: &'a [u32],
    /// Weight of each row (`None`: 1).
    pub weights: Option<&'a [f64]>,
}

crate::simd::with_avx2_fma! {
    /// Adds the block's gradient sums to `gradient` ($d$ coefficients, then the intercept: $d + 1$
    /// values),
    /// writes each row's curvature $s p (1 - p)$, and returns the block's weighted loss.
    pub(super) fn loss_gradient(
        rows: &BinaryRows<'_>,
        w: &[f64],
        b: f64,
        curvature: &mut [f64],
        gradient: &mut [f64],
    ) -> f64;
    fast: loss_gradient_body::<true>(rows, w, b, curvature, gradient);
    plain: loss_gradient_body::<false>(rows, w, b, curvature, gradient);
}

crate::simd::with_avx2_fma! {
    /// Adds the block's Hessian-product sums $\sum_i h_i (x_i \cdot v + v_b) [x_i, 1]$ to `out`.
    pub(super) fn hessian_product(
        rows: &BinaryRows<'_>,
        v: &[f64],
        vb: f64,
        curvature: &[f64],
        out: &mut [f64],
    );
    fast: hessian_product_body::<true>(rows, v, vb, curvature, out);
    plain: hessian_product_body::<false>(rows, v, vb, curvature, out);
}

/// The log-loss $\log(1 + e^v) - y v$ of log-odds `v` and label `y` (0 or 1), and the
/// logistic function $p = 1 / (1 + e^{-v})$, without overflow for any `v`.
#[inline(always)]
pub(super) fn log_loss(v: f64, y: f64) -> (f64, f64) {
    let e = (-v.abs()).exp();
    let p = if v >= 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    };
    (v.max(0.0) + e.ln_1p() - y * v, p)
}

#[inline(always)]
fn loss_gradient_body<const FMA: bool>(
    rows: &BinaryRows<'_>,
    w: &[f64],
    b: f64,
    curvature: &mut [f64],
    gradient: &mut [f64],
) -> f64 {
    let d = rows.d;
    let (coef, intercept) = gradient.split_at_mut(d);
    let mut loss = 0.0;
    let mut intercept_sum = 0.0;
    for (i, (x, h)) in rows.z.chunks_exact(d).zip(curvature.iter_mut()).enumerate() {
        let s = rows.weights.map_or(1.0, |w| w[i]);
        let y = f64::from(rows.labels[i] == 1);
        let (row_loss, p) = log_loss(dot::<FMA>(x, w) + b, y);
        loss += s * row_loss;
        let r = s * (p - y);
        *h = s * p * (1.0 - p);
        axpy::<FMA>(r, x, coef);
        intercept_sum += r;
    }
    if let Some(g) = intercept.first_mut() {
        *g += intercept_sum;
    }
    loss
}

#[inline(always)]
fn hessian_product_body<const FMA: bool>(
    rows: &BinaryRows<'_>,
    v: &[f64],
    vb: f64,
    curvature: &[f64],
    out: &mut [f64],
) {
    let d = rows.d;
    let (coef, intercept) = out.split_at_mut(d);
    let mut intercept_sum = 0.0;
    for (x, h) in rows.z.chunks_exact(d).zip(curvature) {
        let t = h * (dot::<FMA>(x, v) + vb);
        axpy::<FMA>(t, x, coef);
        intercept_sum += t;
    }
    if let Some(g) = intercept.first_mut() {
        *g += intercept_sum;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectorised_and_plain_variants_agree() {
        let d = 11;
        let z: Vec<f64> = (0..5 * d)
            .map(|i| ((i * 37) % 17) as f64 / 8.0 - 1.0)
            .collect();
        let labels = [0, 1, 1, 0, 1];
        let weights = [1.0, 0.5, 2.0, 1.0, 0.25];
        let rows = BinaryRows {
            z: &z,
            d,
            labels: &labels,
            weights: Some(&weights),
        };
        let w: Vec<f64> = (0..d).map(|j| j as f64 / 10.0 - 0.4).collect();
        let (mut h1, mut h2) = (vec![0.0; 5], vec![0.0; 5]);
        let (mut g1, mut g2) = (vec![0.0; d + 1], vec![0.0; d + 1]);
        let l1 = loss_gradient_body::<false>(&rows, &w, 0.3, &mut h1, &mut g1);
        let l2 = loss_gradient(&rows, &w, 0.3, &mut h2, &mut g2);
        assert!((l1 - l2).abs() < 1e-12);
        assert!(g1.iter().zip(&g2).all(|(a, b)| (a - b).abs() < 1e-12));
        // Reference: plain formulas.
        let mut loss = 0.0;
        for i in 0..5 {
            let v: f64 = z[i * d..(i + 1) * d]
                .iter()
                .zip(&w)
                .map(|(x, w)| x * w)
                .sum::<f64>()
                + 0.3;
            let y = f64::from(labels[i]);
            loss += weights[i] * ((1.0 + v.exp()).ln() - y * v);
        }
        assert!((l1 - loss).abs() < 1e-12, "{l1} vs {loss}");
        let (mut o1, mut o2) = (vec![0.0; d + 1], vec![0.0; d + 1]);
        hessian_product_body::<false>(&rows, &w, 0.1, &h1, &mut o1);
        hessian_product(&rows, &w, 0.1, &h1, &mut o2);
        assert!(o1.iter().zip(&o2).all(|(a, b)| (a - b).abs() < 1e-12));
    }
}
