//! Loops written so the compiler vectorises them: explicit lanes for reductions, and (on
//! x86-64) a second compilation with AVX2 and FMA chosen at run time: [`with_avx2_fma!`]
//! defines the dispatching function around an `#[inline(always)]` body, once for every caller.

/// Independent accumulators of a reduction: two AVX2 vectors of f64.
const LANES: usize = 8;

/// Defines `fn name(args) -> ret` that evaluates `fast` inside a function compiled with AVX2
/// and FMA when this CPU has them (x86-64, checked at run time), and `plain` otherwise. Both
/// expressions see the arguments by name; they call `#[inline(always)]` bodies, which are
/// therefore compiled into each variant (the `fast` one may pick fused multiply-adds).
macro_rules! with_avx2_fma {
    (
        $(#[$meta:meta])*
        $vis:vis fn $name:ident $(<$($generic:ident: $bound:path),* $(,)?>)?
            ($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)?;
        fast: $fast:expr;
        plain: $plain:expr $(;)?
    ) => {
        $(#[$meta])*
        $vis fn $name $(<$($generic: $bound),*>)? ($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                /// The body compiled with AVX2 and FMA.
                ///
                /// # Safety
                ///
                /// The CPU must have AVX2 and FMA.
                #[target_feature(enable = "avx2,fma")]
                unsafe fn fast $(<$($generic: $bound),*>)? ($($arg: $ty),*) $(-> $ret)? {
                    $fast
                }
                if $crate::simd::has_avx2_fma() {
                    // SAFETY: the CPU has AVX2 and FMA, checked just above.
                    return unsafe { fast($($arg),*) };
                }
            }
            $plain
        }
    };
}

pub(crate) use with_avx2_fma;

/// Whether this CPU runs the AVX2 + FMA variants.
pub(crate) fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `a * b + c`, fused when `FMA` (only inside functions compiled with the `fma` feature: the
/// fallback would be a slow library call).
#[inline(always)]
pub(crate) fn mul_add<const FMA: bool>(a: f64, b: f64, c: f64) -> f64 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// $a \cdot b$ over the common length.
#[inline(always)]
pub(crate) fn dot<const FMA: bool>(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let split = n / LANES * LANES;
    let mut acc = [0.0; LANES];
    for (x, y) in a[..split]
        .chunks_exact(LANES)
        .zip(b[..split].chunks_exact(LANES))
    {
        for lane in 0..LANES {
            acc[lane] = mul_add::<FMA>(x[lane], y[lane], acc[lane]);
        }
    }
    let mut sum = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (x, y) in a[split..].iter().zip(&b[split..]) {
        sum = mul_add::<FMA>(*x, *y, sum);
    }
    sum
}

/// `y += alpha * x` over the common length.
#[inline(always)]
pub(crate) fn axpy<const FMA: bool>(alpha: f64, x: &[f64], y: &mut [f64]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y = mul_add::<FMA>(alpha, *x, *y);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_and_axpy_match_plain_loops() {
        for n in [0, 1, 7, 8, 9, 33] {
            let a: Vec<f64> = (0..n).map(|i| i as f64 * 0.5 - 3.0).collect();
            let b: Vec<f64> = (0..n).map(|i| 1.0 / (i as f64 + 1.0)).collect();
            let want: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot::<false>(&a, &b) - want).abs() < 1e-12);
            assert!((dot::<true>(&a, &b) - want).abs() < 1e-12);
            let mut y = b.clone();
            axpy::<false>(2.0, &a, &mut y);
            assert!(y
                .iter()
                .zip(&a)
                .zip(&b)
                .all(|((y, a), b)| (y - (b + 2.0 * a)).abs() < 1e-12));
        }
    }
}
