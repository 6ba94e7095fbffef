//! The regressor's threshold sweep over eight features at once, compiled for AVX-512.
//!
//! A small node searches every feature from its lists of entries sorted by code (see
//! `subtree.rs`). All of a node's lists have the same length, so eight of them advance in step,
//! one feature per lane: each step gathers the next entry of every list and its row's weight
//! and weighted target, adds them to the lane's left sums, and tries the boundary after the
//! entry where the next entry's code differs. Each lane's arithmetic and comparisons are the
//! scalar sweep's ([`Search::regression_runs`](super::split::Search::regression_runs)), in the
//! same order, so each lane finds the same threshold; only the branches are gone.

use std::arch::x86_64::{
    __m256i, __m512d, __m512i, _mm256_add_epi32, _mm256_and_si256, _mm256_cmpneq_epi32_mask,
    _mm256_i32gather_epi32, _mm256_loadu_si256, _mm256_mask_mov_epi32, _mm256_min_epu32,
    _mm256_mullo_epi32, _mm256_set1_epi32, _mm256_srli_epi32, _mm256_storeu_si256,
    _mm512_add_epi64, _mm512_add_pd, _mm512_cmp_pd_mask, _mm512_cvtepi64_pd,
    _mm512_i32gather_epi64, _mm512_mask_mov_epi64, _mm512_mask_mov_pd, _mm512_mul_pd,
    _mm512_set1_epi64, _mm512_set1_pd, _mm512_setzero_pd, _mm512_setzero_si512,
    _mm512_storeu_epi64, _mm512_storeu_pd, _mm512_sub_epi64, _CMP_GT_OQ,
};

/// Features swept together.
pub(super) const LANES: usize = 8;

/// Whether this CPU runs [`sweep`]: AVX-512 F, DQ and VL (and AVX2), checked at run time.
pub(super) fn available() -> bool {
    std::is_x86_feature_detected!("avx512f")
        && std::is_x86_feature_detected!("avx512dq")
        && std::is_x86_feature_detected!("avx512vl")
        && std::is_x86_feature_detected!("avx2")
}

/// Each lane's best boundary: the fraction $s_l^2 w_r + s_r^2 w_l$ over $w_l w_r$ (a negative
/// numerator where the lane has none), the position of the last entry on its left, and the
/// left weight and weighted-target sums there.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct LaneBests {
    pub num: [f64; LANES],
    pub den: [f64; LANES],
    pub position: [i32; LANES],
    pub weight: [i64; LANES],
    pub target: [i64; LANES],
}

/// The node's statistics and rule the sweep needs.
#[derive(Debug, Clone, Copy)]
pub(super) struct Node {
    /// Row count, weight and weighted-target sum of the node.
    pub total: [i64; 3],
    pub min_samples_leaf: i64,
}

/// Sweeps the `len` entries (`code << 16 | row`) of eight lists of `entries`, list `k` from
/// `starts[k]`, with the rows' terms (`weight, weighted target, weighted square` per row) in
/// `terms`.
///
/// A row past the end of `terms` is read as the last row.
///
/// # Panics
///
/// If a list runs past `entries` or `terms` holds no row.
pub(super) fn sweep(
    entries: &[u32],
    starts: [usize; LANES],
    len: usize,
    terms: &[i64],
    node: Node,
) -> LaneBests {
    assert!(available(), "the CPU has AVX-512 F, DQ and VL");
    assert!(entries.len() < i32::MAX as usize && terms.len() < i32::MAX as usize);
    assert!(terms.len() >= 3, "terms hold a row");
    assert!(starts.iter().all(|&s| s + len <= entries.len()));
    // SAFETY: the CPU has the features and every list lies in `entries` (asserted above); the
    // offsets fit in `i32`.
    unsafe { sweep_avx512(entries, starts, len, terms, node) }
}

/// [`sweep`] without its checks.
///
/// # Safety
///
/// The CPU must have AVX-512 F, DQ, VL and AVX2; `entries[starts[k]..starts[k] + len]` must lie
/// in `entries` for every `k`, `terms` must hold a row, and both slices must be shorter than
/// `i32::MAX`.
#[target_feature(enable = "avx2,avx512f,avx512dq,avx512vl")]
unsafe fn sweep_avx512(
    entries: &[u32],
    starts: [usize; LANES],
    len: usize,
    terms: &[i64],
    node: Node,
) -> LaneBests {
    let mut out = LaneBests {
        num: [-1.0; LANES],
        den: [1.0; LANES],
        position: [-1; LANES],
        ..LaneBests::default()
    };
    if len < 2 {
        return out;
    }
    let [tn, tw, ts] = node.total;
    let msl = node.min_samples_leaf;
    let starts = starts.map(|s| s as i32);
    let (base, weights) = (entries.as_ptr() as *const i32, terms.as_ptr());
    // SAFETY: the CPU has the target features (this function's contract); every gather reads
    // list entries at `starts[k] + j` for `j < len`, inside `entries` (the contract), and terms
    // at `3 r` and `3 r + 1` for rows `r` clamped to the last row of `terms`.
    unsafe {
        let targets = weights.add(1);
        let mut at: __m256i = _mm256_loadu_si256(starts.as_ptr() as *const __m256i);
        let (one, three, row_mask) = (
            _mm256_set1_epi32(1),
            _mm256_set1_epi32(3),
            _mm256_set1_epi32(0xFFFF),
        );
        let last_row = _mm256_set1_epi32((terms.len() / 3 - 1) as i32);
        let (total_weight, total_target) = (_mm512_set1_epi64(tw), _mm512_set1_epi64(ts));
        let zero = _mm512_setzero_pd();
        let (mut left_weight, mut left_target): (__m512i, __m512i) =
            (_mm512_setzero_si512(), _mm512_setzero_si512());
        let (mut best_num, mut best_den): (__m512d, __m512d) =
            (_mm512_set1_pd(-1.0), _mm512_set1_pd(1.0));
        let mut best_position = _mm256_set1_epi32(-1);
        let (mut best_weight, mut best_target) = (_mm512_setzero_si512(), _mm512_setzero_si512());
        let mut entry = _mm256_i32gather_epi32::<4>(base, at);
        for j in 0..len - 1 {
            at = _mm256_add_epi32(at, one);
            let next = _mm256_i32gather_epi32::<4>(base, at);
            let row = _mm256_min_epu32(_mm256_and_si256(entry, row_mask), last_row);
            let term_at = _mm256_mullo_epi32(row, three);
            left_weight =
                _mm512_add_epi64(left_weight, _mm512_i32gather_epi64::<8>(term_at, weights));
            left_target =
                _mm512_add_epi64(left_target, _mm512_i32gather_epi64::<8>(term_at, targets));
            let ln = j as i64 + 1;
            if ln >= msl && tn - ln >= msl {
                let boundary = _mm256_cmpneq_epi32_mask(
                    _mm256_srli_epi32(entry, 16),
                    _mm256_srli_epi32(next, 16),
                );
                let wl = _mm512_cvtepi64_pd(left_weight);
                let wr = _mm512_cvtepi64_pd(_mm512_sub_epi64(total_weight, left_weight));
                let sl = _mm512_cvtepi64_pd(left_target);
                let sr = _mm512_cvtepi64_pd(_mm512_sub_epi64(total_target, left_target));
                let valid = boundary
                    & _mm512_cmp_pd_mask::<_CMP_GT_OQ>(wl, zero)
                    & _mm512_cmp_pd_mask::<_CMP_GT_OQ>(wr, zero);
                // sl * sl * wr + sr * sr * wl and wl * wr, as the scalar sweep evaluates them.
                let num = _mm512_add_pd(
                    _mm512_mul_pd(_mm512_mul_pd(sl, sl), wr),
                    _mm512_mul_pd(_mm512_mul_pd(sr, sr), wl),
                );
                let den = _mm512_mul_pd(wl, wr);
                let better = valid
                    & _mm512_cmp_pd_mask::<_CMP_GT_OQ>(
                        _mm512_mul_pd(num, best_den),
                        _mm512_mul_pd(best_num, den),
                    );
                best_num = _mm512_mask_mov_pd(best_num, better, num);
                best_den = _mm512_mask_mov_pd(best_den, better, den);
                best_position =
                    _mm256_mask_mov_epi32(best_position, better, _mm256_set1_epi32(j as i32));
                best_weight = _mm512_mask_mov_epi64(best_weight, better, left_weight);
                best_target = _mm512_mask_mov_epi64(best_target, better, left_target);
            }
            entry = next;
        }
        _mm512_storeu_pd(out.num.as_mut_ptr(), best_num);
        _mm512_storeu_pd(out.den.as_mut_ptr(), best_den);
        _mm256_storeu_si256(out.position.as_mut_ptr() as *mut __m256i, best_position);
        _mm512_storeu_epi64(out.weight.as_mut_ptr(), best_weight);
        _mm512_storeu_epi64(out.target.as_mut_ptr(), best_target);
    }
    out
}
