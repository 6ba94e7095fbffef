// exp and log in Real for the logistic and k-means seeding kernels, written out (range
// reduction and series; Newton steps) so that they are exact to Real's precision in f64 too:
// the shading languages offer them in f32 only. Also one row of binary logistic regression,
// which both logistic kernels use.

const LN2_HI: Real = Real(0.693147180369123816490);
const LN2_LO: Real = Real(1.90821492927058770002e-10);
const LOG2_E: Real = Real(1.44269504088896338700);

// e^v: v = n ln 2 + t with |t| <= ln 2 / 2, e^t by its Taylor series (to t^14 / 14!, below
// f64's half ulp), scaled by 2^n. Underflows to 0 below about -745 (f64) or -104 (f32).
fn real_exp(v: Real) -> Real {
    if (v < Real(-745.0)) {
        return Real(0.0);
    }
    let n = round(min(v, Real(709.0)) * LOG2_E);
    let t = (v - n * LN2_HI) - n * LN2_LO;
    // Horner's rule with the coefficients 1 / j!.
    var sum = Real(1.0 / 87178291200.0);
    sum = sum * t + Real(1.0 / 6227020800.0);
    sum = sum * t + Real(1.0 / 479001600.0);
    sum = sum * t + Real(1.0 / 39916800.0);
    sum = sum * t + Real(1.0 / 3628800.0);
    sum = sum * t + Real(1.0 / 362880.0);
    sum = sum * t + Real(1.0 / 40320.0);
    sum = sum * t + Real(1.0 / 5040.0);
    sum = sum * t + Real(1.0 / 720.0);
    sum = sum * t + Real(1.0 / 120.0);
    sum = sum * t + Real(1.0 / 24.0);
    sum = sum * t + Real(1.0 / 6.0);
    sum = sum * t + Real(0.5);
    sum = sum * t + Real(1.0);
    sum = sum * t + Real(1.0);
    return ldexp(sum, i32(n));
}

// ln(v) for v > 0: the f32 logarithm, refined by two Newton steps on e^y = v (each squares
// the relative error, so the result is exact to Real's precision).
fn real_log(v: Real) -> Real {
    var y = Real(log(f32(v)));
    if (Real(1.0) + Real(1e-10) == Real(1.0)) {
        return y; // Real is f32: the built-in is exact to its precision
    }
    for (var step = 0; step < 2; step = step + 1) {
        y = y + v * real_exp(-y) - Real(1.0);
    }
    return y;
}

// ln(1 + e) for e in [0, 1].
fn log_one_plus(e: Real) -> Real {
    if (e < Real(1e-4)) {
        // Three terms of the series: exact where 1 + e would round e away.
        return e * (Real(1.0) - e * (Real(0.5) - e / Real(3.0)));
    }
    return real_log(Real(1.0) + e);
}


// One row of binary logistic regression at log-odds v, label y (0 or 1) and weight s: its
// weighted log loss, its derivative s (p - y) and its curvature s p (1 - p), with p the
// sigmoid of v formed without overflow.
fn binary_row(v: Real, y: Real, s: Real) -> vec3<Real> {
    let e = real_exp(-abs(v));
    var p = e / (Real(1.0) + e);
    if (v >= Real(0.0)) {
        p = Real(1.0) / (Real(1.0) + e);
    }
    let loss = s * (max(v, Real(0.0)) + log_one_plus(e) - y * v);
    return vec3<Real>(loss, s * (p - y), s * p * (Real(1.0) - p));
}
