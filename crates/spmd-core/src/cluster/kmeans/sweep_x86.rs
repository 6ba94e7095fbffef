//! The assignment sweep compiled for AVX2 + FMA: a tile of centres (transposed, one lane per
//! centre) stays in registers while a few rows stream past, so each row's products with every
//! centre, its nearest centre and its addition to that cluster's sums happen in one visit.
//!
//! A general matrix product is wasteful here: with $k = 10$ centres its microkernel leaves rows
//! idle, and its products would be written out and read back for the argmin.

use std::arch::x86_64::{
    __m256, __m256d, _mm256_add_pd, _mm256_blend_pd, _mm256_broadcast_sd, _mm256_broadcast_ss,
    _mm256_castps256_ps128, _mm256_cmp_pd, _mm256_cmp_ps, _mm256_cvtsd_f64, _mm256_cvtss_f32,
    _mm256_extractf128_ps, _mm256_fmadd_pd, _mm256_fmadd_ps, _mm256_fnmadd_pd, _mm256_fnmadd_ps,
    _mm256_hadd_pd, _mm256_hadd_ps, _mm256_loadu_pd, _mm256_loadu_ps, _mm256_min_pd, _mm256_min_ps,
    _mm256_movemask_pd, _mm256_movemask_ps, _mm256_permute2f128_pd, _mm256_permute2f128_ps,
    _mm256_permute_pd, _mm256_permute_ps, _mm256_set1_pd, _mm256_set1_ps, _mm256_setzero_pd,
    _mm256_setzero_ps, _mm256_storeu_pd, _mm_add_ps, _mm_storeu_ps, _CMP_EQ_OQ,
};

use super::element::Element;

/// Panels larger than this (bytes) would not stay in L2 while the rows stream past; the caller
/// then takes the general product.
const MAX_PANEL_BYTES: usize = 256 * 1024;

/// A SIMD vector of the element type and the operations the sweep needs.
///
/// # Safety
///
/// Every method must only run inside a function compiled with AVX2 and FMA, and a pointer
/// argument must point to `WIDTH` readable (for `load`, one for `splat`) values.
pub(super) trait Lanes: Copy {
    type Scalar: Element
        + std::ops::AddAssign
        + std::ops::Sub<Output = Self::Scalar>
        + std::ops::Mul<Output = Self::Scalar>;
    /// Lanes per vector.
    const WIDTH: usize;
    unsafe fn zero() -> Self;
    unsafe fn load(p: *const Self::Scalar) -> Self;
    unsafe fn splat(p: *const Self::Scalar) -> Self;
    /// `c - 2 a`.
    unsafe fn minus_twice(a: Self, c: Self) -> Self;
    unsafe fn mul_add(a: Self, b: Self, c: Self) -> Self;
    unsafe fn min(a: Self, b: Self) -> Self;
    /// The smallest lane in every lane.
    unsafe fn min_all(a: Self) -> Self;
    /// Bit `i` set where lane `i` of `a` equals lane `i` of `b`.
    unsafe fn eq_mask(a: Self, b: Self) -> u32;
    unsafe fn first(a: Self) -> Self::Scalar;
    /// The sums of the lanes of four vectors.
    unsafe fn sum4(a: Self, b: Self, c: Self, d: Self) -> [Self::Scalar; 4];
}

impl Lanes for __m256d {
    type Scalar = f64;
    const WIDTH: usize = 4;
    #[inline(always)]
    unsafe fn zero() -> Self {
        // SAFETY: `Lanes` runs only where AVX2 and FMA are enabled (its contract), on
        // pointers to `WIDTH` valid values the caller passes.
        unsafe { _mm256_setzero_pd() }
    }
    #[inline(always)]
    unsafe fn load(p: *const f64) -> Self {
        // SAFETY: `Lanes` runs only where AVX2 and FMA are enabled (its contract), on
        // pointers to `WIDTH` valid values the caller passes.
        unsafe { _mm256_loadu_pd(p) }
    }
    #[inline(always)]
    unsafe fn splat(p: *const f64) -> Self {
        // SAFETY: `Lanes` runs only where AVX2 and FMA are enabled (its contract), on
        // pointers to `WIDTH` valid values the caller passes.
        unsafe { _mm256_broadcast_sd(&*p) }
    }
    #[inline(always)]
    unsafe fn minus_twice(a: Self, c: Self) -> Self {
        // SAFETY: `Lanes` runs only where AVX2 and FMA are enabled (its contract), on
        // pointers to `WIDTH` valid values the caller passes.
        unsafe { _mm256_fnmadd_pd(_mm256_set1_pd(2.0), a, c) }
    }
    #[inline(always)]
    unsafe fn mul_add(a: Self, b: Self, c: Self) -> Self {
        // SAFETY: `Lanes` runs only where AVX2 and FMA are enabled (its contract), on
        // pointers to `WIDTH` valid values the caller passes.
        unsafe { _mm256_fmadd_pd(a, b, c) }
    }
    #[inline(always)]
    unsafe fn min(a: Self, b: Self) -> Self {
        // SAFETY: `Lanes` runs only where AVX2 and FMA are enabled (its contract), on
        // pointers to `WIDTH` valid values the caller passes.
        unsafe { _mm256_min_pd(a, b) }
    }
    #[inline(always)]
    unsafe fn min_all(a: Self) -> Self {
        // SAFETY: `Lanes` runs only where AVX2 and FMA are enabled (its contract), on
        // pointers to `WIDTH` valid values the caller passes.
        unsafe {
            let a = _mm256_min_pd(a, _mm256_permute2f128_pd::<1>(a, a));
            _mm256_min_pd(a, _mm256_permute_pd::<0b0101>(a))
        }
    }
    #[inline(always)]
    unsafe fn eq_mask(a: Self, b: Self) -> u32 {
        // SAFETY: `Lanes` runs only where AVX2 and FMA are enabled (its contract), on
        // pointers to `WIDTH` valid values the caller passes.
        unsafe { _mm256_movemask_pd(_mm256_cmp_pd::<_CMP_EQ_OQ>(a, b)) as u32 }
    }
    #[inline(always)]
    unsafe fn first(a: Self) -> f64 {
        // SAFETY: `Lanes` runs only where AVX2 and FMA are enabled (its contract), on
        // pointers to `WIDTH` valid values the caller passes.
        unsafe { _mm256_cvtsd_f64(a) }
    }
    #[inline(always)]
    unsafe fn sum4(a: Self, b: Self, c: Self, d: Self) -> [f64; 4] {
        // SAFETY: `Lanes` runs only where AVX2 and FMA are enabled (its contract), on
        // pointers to `WIDTH` valid values the caller passes.
        unsafe {
            let (ab, cd) = (_mm256_hadd_pd(a, b), _mm256_hadd_pd(c, d));
            let high_low = _mm256_permute2f128_pd::<0x21>(ab, cd);
            let sums = _mm256_add_pd(high_low, _mm256_blend_pd::<0b1100>(ab, cd));
            let mut out = [0.0; 4];
            _mm256_storeu_pd(out.as_mut_ptr(), sums);
            out
        }
    }
}

impl Lanes for __m256 {
    type Scalar = f32;
    const WIDTH: usize = 8;
    #[inline(always)]
    unsafe fn zero() -> Self {
        // SAFETY: `Lanes` runs only where AVX2 and FMA are enabled (its contract), on
        // pointers to `WIDTH` valid values the caller passes.
        unsafe { _mm256_setzero_ps() }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: `Lanes` runs only where AVX2 and FMA are enabled (its contract), on
        // pointers to `WIDTH` valid values the caller passes.
        unsafe { _mm256_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn splat(p: *const f32) -> Self {
        // SAFETY: `Lanes` runs only where AVX2 and FMA are enabled (its contract), on
        // pointers to `WIDTH` valid values the caller passes.
        unsafe { _mm256_broadcast_ss(&*p) }
    }
    #[inline(always)]
    unsafe fn minus_twice(a: Self, c: Self) -> Self {
        // SAFETY: `Lanes` runs only where AVX2 and FMA are enabled (its contract), on
        // pointers to `WIDTH` valid values the caller passes.
        unsafe { _mm256_fnmadd_ps(_mm256_set1_ps(2.0), a, c) }
    }
    #[inline(always)]
    unsafe fn mul_add(a: Self, b: Self, c: Self) -> Self {
        // SAFETY: `Lanes` runs only where AVX2 and FMA are enabled (its contract), on
        // pointers to `WIDTH` valid values the caller passes.
        unsafe { _mm256_fmadd_ps(a, b, c) }
    }
    #[inline(always)]
    unsafe fn min(a: Self, b: Self) -> Self {
        // SAFETY: `Lanes` runs only where AVX2 and FMA are enabled (its contract), on
        // pointers to `WIDTH` valid values the caller passes.
        unsafe { _mm256_min_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn min_all(a: Self) -> Self {
        // SAFETY: `Lanes` runs only where AVX2 and FMA are enabled (its contract), on
        // pointers to `WIDTH` valid values the caller passes.
        unsafe {
            let a = _mm256_min_ps(a, _mm256_permute2f128_ps::<1>(a, a));
            let a = _mm256_min_ps(a, _mm256_permute_ps::<0b0100_1110>(a));
            _mm256_min_ps(a, _mm256_permute_ps::<0b1011_0001>(a))
        }
    }
    #[inline(always)]
    unsafe fn eq_mask(a: Self, b: Self) -> u32 {
        // SAFETY: `Lanes` runs only where AVX2 and FMA are enabled (its contract), on
        // pointers to `WIDTH` valid values the caller passes.
        unsafe { _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_EQ_OQ>(a, b)) as u32 }
    }
    #[inline(always)]
    unsafe fn first(a: Self) -> f32 {
        // SAFETY: `Lanes` runs only where AVX2 and FMA are enabled (its contract), on
        // pointers to `WIDTH` valid values the caller passes.
        unsafe { _mm256_cvtss_f32(a) }
    }
    #[inline(always)]
    unsafe fn sum4(a: Self, b: Self, c: Self, d: Self) -> [f32; 4] {
        // SAFETY: `Lanes` runs only where AVX2 and FMA are enabled (its contract), on
        // pointers to `WIDTH` valid values the caller passes.
        unsafe {
            let quarters = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
            let sums = _mm_add_ps(
                _mm256_castps256_ps128(quarters),
                _mm256_extractf128_ps::<1>(quarters),
            );
            let mut out = [0.0; 4];
            _mm_storeu_ps(out.as_mut_ptr(), sums);
            out
        }
    }
}

/// Most centres sit in tiles of one to three vectors, transposed: in a tile of `L` lanes
/// starting at `first`, feature `j` of centre `first + l` is at `offset + j L + l`, and each row
/// is broadcast against them. Lanes past the last centre hold zeros and an infinite norm, so
/// they never win. The last one to three centres, when fewer than a vector, are kept row-major
/// instead and met with dot products along the row, so no lanes are wasted on padding.
pub(super) struct Panel<T> {
    tiles: Vec<Tile>,
    values: Vec<T>,
    norms: Vec<T>,
    /// The last centres, row-major, and their norms.
    rest: Vec<T>,
    rest_norms: Vec<T>,
    /// The label of the first row-major centre.
    rest_first: usize,
    d: usize,
}

struct Tile {
    first: usize,
    vectors: usize,
    /// Where the tile's values (`d x lanes`) and norms (`lanes`) start.
    values: usize,
    norms: usize,
}

impl<T: Element> Panel<T> {
    /// `centres` (k x d, row-major) with squared norms `norms`, for vectors of `width` lanes
    /// and tiles of at most `most` vectors.
    fn new(centres: &[T], norms: &[f64], d: usize, width: usize, most: usize) -> Self {
        let k = norms.len();
        let rest = match k % width {
            r if r <= MAX_REST => r,
            _ => 0,
        };
        let tiled = k - rest;
        let vectors = tiled.div_ceil(width);
        let infinity = T::from_f64(f64::INFINITY);
        let mut panel = Self {
            tiles: Vec::new(),
            values: Vec::with_capacity(vectors * width * d),
            norms: Vec::with_capacity(vectors * width),
            rest: centres[tiled * d..].to_vec(),
            rest_norms: norms[tiled..].iter().map(|&v| T::from_f64(v)).collect(),
            rest_first: tiled,
            d,
        };
        for start in (0..vectors).step_by(most) {
            let tile = Tile {
                first: start * width,
                vectors: most.min(vectors - start),
                values: panel.values.len(),
                norms: panel.norms.len(),
            };
            let lanes = tile.vectors * width;
            for j in 0..d {
                panel
                    .values
                    .extend((tile.first..tile.first + lanes).map(|c| {
                        if c < tiled {
                            centres[c * d + j]
                        } else {
                            T::default()
                        }
                    }));
            }
            panel
                .norms
                .extend((tile.first..tile.first + lanes).map(|c| {
                    if c < tiled {
                        T::from_f64(norms[c])
                    } else {
                        infinity
                    }
                }));
            panel.tiles.push(tile);
        }
        panel
    }
}

/// Centres past the last whole vector met with dot products (at most this many).
const MAX_REST: usize = 3;

/// The fused sweep for one set of centres, when this CPU has AVX2 and FMA and the centres fit
/// the kernel.
pub(super) struct Sweep<T> {
    panel: Panel<T>,
}

impl<T: Element> Sweep<T> {
    /// Lays out `centres` (k x d, row-major) with their squared norms `norms`; `None` means the
    /// caller must take the general path.
    pub fn new(centres: &[T], norms: &[f64]) -> Option<Self> {
        let k = norms.len();
        let d = centres.len().checked_div(k).unwrap_or(0);
        let (width, most) = if is::<T, f64>() { (4, 3) } else { (8, 2) };
        let panel_bytes = k.div_ceil(width) * width * d * std::mem::size_of::<T>();
        let fits = d > 0 && panel_bytes <= MAX_PANEL_BYTES;
        (fits && crate::simd::has_avx2_fma()).then(|| Self {
            panel: Panel::new(centres, norms, d, width, most),
        })
    }

    /// Labels each row of `z` (row-major) with its nearest centre (lowest label on ties), adds
    /// it to `sums` (k x d) and `counts`, and returns how many labels changed.
    pub fn run(&self, z: &[T], labels: &mut [usize], sums: &mut [f64], counts: &mut [f64]) -> u64 {
        let panel = &self.panel;
        let z = &z[..labels.len() * panel.d];
        assert_eq!(sums.len(), counts.len() * panel.d);
        // SAFETY: `new` checked AVX2 and FMA; each cast is from a type to itself.
        unsafe {
            if is::<T, f64>() {
                let (z, panel) = (cast::<T, f64>(z), cast_panel::<T, f64>(panel));
                if panel.tiles.iter().any(|t| t.vectors == 3) {
                    sweep_avx2::<__m256d, 3>(z, panel, labels, sums, counts)
                } else {
                    sweep_avx2::<__m256d, 4>(z, panel, labels, sums, counts)
                }
            } else {
                let (z, panel) = (cast::<T, f32>(z), cast_panel::<T, f32>(panel));
                if panel.tiles.iter().any(|t| t.vectors == 2) {
                    sweep_avx2::<__m256, 6>(z, panel, labels, sums, counts)
                } else {
                    sweep_avx2::<__m256, 8>(z, panel, labels, sums, counts)
                }
            }
        }
    }
}

/// Whether `T` is `U` (the element types are f32 and f64 only).
fn is<T: 'static, U: 'static>() -> bool {
    std::any::TypeId::of::<T>() == std::any::TypeId::of::<U>()
}

/// Reinterprets a slice of `T` as `U`.
///
/// # Safety
/// `T` and `U` must be the same type.
unsafe fn cast<T, U>(s: &[T]) -> &[U] {
    // SAFETY: `Lanes` runs only where AVX2 and FMA are enabled (its contract), on
    // pointers to `WIDTH` valid values the caller passes.
    unsafe { std::slice::from_raw_parts(s.as_ptr().cast(), s.len()) }
}

/// # Safety
/// `T` and `U` must be the same type.
unsafe fn cast_panel<T, U>(p: &Panel<T>) -> &Panel<U> {
    // SAFETY: `Lanes` runs only where AVX2 and FMA are enabled (its contract), on
    // pointers to `WIDTH` valid values the caller passes.
    unsafe { &*(p as *const Panel<T>).cast() }
}

/// The nearest centre so far of one row: $\lVert c \rVert^2 - 2 x \cdot c$ and `c`.
type Best<S> = (S, usize);

/// [`Sweep::run`] compiled for AVX2 and FMA, `R` rows per register block.
#[target_feature(enable = "avx2,fma")]
unsafe fn sweep_avx2<V: Lanes, const R: usize>(
    z: &[V::Scalar],
    panel: &Panel<V::Scalar>,
    labels: &mut [usize],
    sums: &mut [f64],
    counts: &mut [f64],
) -> u64 {
    let (n, d) = (labels.len(), panel.d);
    let mut changed = 0;
    let whole = n / R * R;
    for i in (0..whole).step_by(R) {
        let rows = &z[i * d..(i + R) * d];
        // SAFETY: `rows` holds R rows of `d`.
        let best = unsafe { nearest::<V, R>(rows, panel) };
        changed += add_rows(rows, &best, &mut labels[i..i + R], sums, counts);
    }
    for i in whole..n {
        let row = &z[i * d..(i + 1) * d];
        // SAFETY: `row` holds one row of `d`.
        let best = unsafe { nearest::<V, 1>(row, panel) };
        changed += add_rows(row, &best, &mut labels[i..i + 1], sums, counts);
    }
    changed
}

/// The nearest centre of each of the `R` rows of `rows` (row-major): every tile, then the
/// row-major centres.
///
/// # Safety
/// Only inside a function compiled with AVX2 and FMA; `rows` holds `R` rows of `panel.d`.
#[inline(always)]
unsafe fn nearest<V: Lanes, const R: usize>(
    rows: &[V::Scalar],
    panel: &Panel<V::Scalar>,
) -> [Best<V::Scalar>; R] {
    let mut best = [(V::Scalar::from_f64(f64::INFINITY), 0); R];
    // SAFETY: `Lanes` runs only where AVX2 and FMA are enabled (its contract), on
    // pointers to `WIDTH` valid values the caller passes.
    unsafe {
        for tile in &panel.tiles {
            match tile.vectors {
                1 => nearest_in_tile::<V, 1, R>(rows, panel, tile, &mut best),
                2 => nearest_in_tile::<V, 2, R>(rows, panel, tile, &mut best),
                _ => nearest_in_tile::<V, 3, R>(rows, panel, tile, &mut best),
            }
        }
        // Few centres by dot products along the rows: as many rows at a time as keep eight
        // accumulators.
        match panel.rest_norms.len() {
            0 => {}
            1 => dot_rows::<V, 1, 8>(rows, panel, &mut best),
            2 => dot_rows::<V, 2, 4>(rows, panel, &mut best),
            _ => dot_rows::<V, 3, 2>(rows, panel, &mut best),
        }
    }
    best
}

/// Takes `(value, index)` when `value` is smaller than `best`'s (so the lower label keeps a
/// tie), with selects rather than a branch the data would mispredict.
#[inline(always)]
fn update<S: Element>(best: &mut Best<S>, value: S, index: usize) {
    let better = value < best.0;
    best.1 = if better { index } else { best.1 };
    best.0 = if better { value } else { best.0 };
}

/// Labels the rows with `best`, adds them to their clusters' sums and counts, and returns how
/// many labels changed.
#[inline(always)]
fn add_rows<T: Element>(
    rows: &[T],
    best: &[Best<T>],
    labels: &mut [usize],
    sums: &mut [f64],
    counts: &mut [f64],
) -> u64 {
    let d = rows.len() / best.len().max(1);
    let mut changed = 0;
    for ((&(_, label), row), old) in best.iter().zip(rows.chunks_exact(d)).zip(labels) {
        changed += u64::from(*old != label);
        *old = label;
        counts[label] += 1.0;
        for (s, v) in sums[label * d..(label + 1) * d].iter_mut().zip(row) {
            *s += (*v).into();
        }
    }
    changed
}

/// Updates `best` (R rows) with the `NV` vectors of centres of one tile.
#[inline(always)]
unsafe fn nearest_in_tile<V: Lanes, const NV: usize, const R: usize>(
    rows: &[V::Scalar],
    panel: &Panel<V::Scalar>,
    tile: &Tile,
    best: &mut [Best<V::Scalar>; R],
) {
    let d = panel.d;
    // SAFETY: `Lanes` runs only where AVX2 and FMA are enabled (its contract), on
    // pointers to `WIDTH` valid values the caller passes.
    unsafe {
        let (x, values) = (rows.as_ptr(), panel.values.as_ptr().add(tile.values));
        let norms = panel.norms.as_ptr().add(tile.norms);
        let mut acc = [[V::zero(); NV]; R];
        let starts: [*const V::Scalar; R] = std::array::from_fn(|r| x.add(r * d));
        for j in 0..d {
            let mut c = [V::zero(); NV];
            for (v, c) in c.iter_mut().enumerate() {
                *c = V::load(values.add((j * NV + v) * V::WIDTH));
            }
            for (acc, start) in acc.iter_mut().zip(&starts) {
                let x = V::splat(start.add(j));
                for (a, &c) in acc.iter_mut().zip(&c) {
                    *a = V::mul_add(x, c, *a);
                }
            }
        }
        for (acc, best) in acc.iter().zip(best.iter_mut()) {
            let mut part = [V::zero(); NV];
            let mut smallest = V::zero();
            for (v, (p, &a)) in part.iter_mut().zip(acc).enumerate() {
                *p = V::minus_twice(a, V::load(norms.add(v * V::WIDTH)));
                smallest = if v == 0 { *p } else { V::min(smallest, *p) };
            }
            let smallest = V::min_all(smallest);
            let mut mask = 0_u64;
            for (v, &p) in part.iter().enumerate() {
                mask |= u64::from(V::eq_mask(p, smallest)) << (v * V::WIDTH);
            }
            let nearest = tile.first + mask.trailing_zeros() as usize;
            update(best, V::first(smallest), nearest);
        }
    }
}

/// Updates `best` of every row of `rows` with the `KR` row-major centres, `R` rows at a time.
#[inline(always)]
unsafe fn dot_rows<V: Lanes, const KR: usize, const R: usize>(
    rows: &[V::Scalar],
    panel: &Panel<V::Scalar>,
    best: &mut [Best<V::Scalar>],
) {
    let d = panel.d;
    let whole = best.len() / R * R;
    let (head, tail) = best.split_at_mut(whole);
    // SAFETY: `Lanes` runs only where AVX2 and FMA are enabled (its contract), on
    // pointers to `WIDTH` valid values the caller passes.
    unsafe {
        for (b, best) in head.chunks_exact_mut(R).enumerate() {
            nearest_by_dots::<V, KR, R>(&rows[b * R * d..(b + 1) * R * d], panel, best);
        }
        for (i, best) in tail.chunks_exact_mut(1).enumerate() {
            let row = &rows[(whole + i) * d..(whole + i + 1) * d];
            nearest_by_dots::<V, KR, 1>(row, panel, best);
        }
    }
}

/// Updates `best` of the `R` rows of `rows` with the `KR` row-major centres, by dot products
/// along the rows (one accumulator per row and centre).
#[inline(always)]
unsafe fn nearest_by_dots<V: Lanes, const KR: usize, const R: usize>(
    rows: &[V::Scalar],
    panel: &Panel<V::Scalar>,
    best: &mut [Best<V::Scalar>],
) {
    let d = panel.d;
    let whole = d / V::WIDTH * V::WIDTH;
    let (x, c) = (rows.as_ptr(), panel.rest.as_ptr());
    // SAFETY: `Lanes` runs only where AVX2 and FMA are enabled (its contract), on
    // pointers to `WIDTH` valid values the caller passes.
    unsafe {
        let mut acc = [[V::zero(); KR]; R];
        for j in (0..whole).step_by(V::WIDTH) {
            let mut centre = [V::zero(); KR];
            for (m, centre) in centre.iter_mut().enumerate() {
                *centre = V::load(c.add(m * d + j));
            }
            for (r, acc) in acc.iter_mut().enumerate() {
                let x = V::load(x.add(r * d + j));
                for (a, &centre) in acc.iter_mut().zip(&centre) {
                    *a = V::mul_add(x, centre, *a);
                }
            }
        }
        // The R x KR sums, four at a time (R KR is at most 8).
        let mut flat = [V::zero(); 8];
        for (r, acc) in acc.iter().enumerate() {
            flat[r * KR..(r + 1) * KR].copy_from_slice(acc);
        }
        let mut dots = [V::Scalar::default(); 8];
        for q in (0..R * KR).step_by(4) {
            dots[q..q + 4].copy_from_slice(&V::sum4(
                flat[q],
                flat[q + 1],
                flat[q + 2],
                flat[q + 3],
            ));
        }
        for (r, best) in best[..R].iter_mut().enumerate() {
            for m in 0..KR {
                let mut dot = dots[r * KR + m];
                for j in whole..d {
                    dot += rows[r * d + j] * panel.rest[m * d + j];
                }
                update(
                    best,
                    panel.rest_norms[m] - (dot + dot),
                    panel.rest_first + m,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows near distinct centres, so the nearest centre is clear in f32 as in f64.
    fn problem(n: usize, k: usize, d: usize) -> (Vec<f64>, Vec<f64>, Vec<usize>) {
        let centres: Vec<f64> = (0..k * d)
            .map(|i| ((i * 7919) % 101) as f64 * 0.37 - 18.0)
            .collect();
        let mut rows = Vec::with_capacity(n * d);
        let mut want = Vec::with_capacity(n);
        for i in 0..n {
            let c = (i * 31 + i / 7) % k;
            for j in 0..d {
                rows.push(centres[c * d + j] + ((i + 3 * j) % 11) as f64 * 0.01 - 0.05);
            }
            // The exact nearest (lowest label on ties), in f64.
            let distance = |c: usize| -> f64 {
                (0..d)
                    .map(|j| (rows[i * d + j] - centres[c * d + j]).powi(2))
                    .sum()
            };
            want.push((0..k).fold(0, |b, c| if distance(c) < distance(b) { c } else { b }));
        }
        (rows, centres, want)
    }

    fn run<T: Element>(
        rows: &[f64],
        centres: &[f64],
        k: usize,
        d: usize,
    ) -> (Vec<usize>, Vec<f64>, Vec<f64>, u64) {
        let rows: Vec<T> = rows.iter().map(|&v| T::from_f64(v)).collect();
        let centres: Vec<T> = centres.iter().map(|&v| T::from_f64(v)).collect();
        let norms: Vec<f64> = centres
            .chunks_exact(d)
            .map(|c| c.iter().map(|&v| v.into().powi(2)).sum())
            .collect();
        let n = rows.len() / d;
        let mut labels = vec![usize::MAX; n];
        let (mut sums, mut counts) = (vec![0.0; k * d], vec![0.0; k]);
        let changed = Sweep::new(&centres, &norms)
            .expect("this machine runs the AVX2 sweep")
            .run(&rows, &mut labels, &mut sums, &mut counts);
        (labels, sums, counts, changed)
    }

    #[test]
    fn labels_sums_and_counts_match_an_exact_reference() {
        if !crate::simd::has_avx2_fma() {
            return;
        }
        for (n, k, d) in [
            (1, 1, 1),
            (23, 3, 5),
            (100, 10, 32),
            (61, 13, 7),
            (50, 30, 3),
            (17, 16, 2),
        ] {
            let (rows, centres, want) = problem(n, k, d);
            let mut want_sums = vec![0.0; k * d];
            let mut want_counts = vec![0.0; k];
            for (i, &c) in want.iter().enumerate() {
                want_counts[c] += 1.0;
                for j in 0..d {
                    want_sums[c * d + j] += rows[i * d + j];
                }
            }
            let (labels, sums, counts, changed) = run::<f64>(&rows, &centres, k, d);
            assert_eq!(labels, want, "f64 n={n} k={k} d={d}");
            assert_eq!(counts, want_counts);
            assert_eq!(changed, n as u64);
            for (s, w) in sums.iter().zip(&want_sums) {
                assert!((s - w).abs() <= 1e-12 * w.abs().max(1.0), "{s} vs {w}");
            }
            let (labels, sums, counts, _) = run::<f32>(&rows, &centres, k, d);
            assert_eq!(labels, want, "f32 n={n} k={k} d={d}");
            assert_eq!(counts, want_counts);
            for (s, w) in sums.iter().zip(&want_sums) {
                assert!((s - w).abs() <= 1e-5 * w.abs().max(1.0), "{s} vs {w}");
            }
        }
    }

    #[test]
    fn ties_go_to_the_lowest_label_in_every_tile() {
        if !crate::simd::has_avx2_fma() {
            return;
        }
        // Centre 2 is repeated as 9 and 14 (another tile in f64); the rows sit on it.
        let d = 2;
        let mut centres: Vec<f64> = (0..15).flat_map(|c| [c as f64 * 10.0, 1.0]).collect();
        for c in [9, 14] {
            centres[c * d..(c + 1) * d].copy_from_slice(&[20.0, 1.0]);
        }
        let rows = vec![20.0, 1.0, 20.5, 1.0, 19.5, 1.0, 140.0, 1.0];
        assert_eq!(run::<f64>(&rows, &centres, 15, d).0, [2, 2, 2, 13]);
        assert_eq!(run::<f32>(&rows, &centres, 15, d).0, [2, 2, 2, 13]);
        // Labels already right are not counted as changes.
        let (labels, ..) = run::<f64>(&rows, &centres, 15, d);
        let norms: Vec<f64> = centres
            .chunks_exact(d)
            .map(|c| c.iter().map(|v| v * v).sum())
            .collect();
        let mut again = labels.clone();
        let (mut sums, mut counts) = (vec![0.0; 15 * d], vec![0.0; 15]);
        let changed =
            Sweep::new(&centres, &norms).map(|s| s.run(&rows, &mut again, &mut sums, &mut counts));
        assert_eq!((again, changed), (labels, Some(0)));
    }
}
