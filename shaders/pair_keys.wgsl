// Shared by the pair kernels (knn_candidates, dbscan_pairs): the key of a pair of rows, one
// vec4 at a time, as the host computes it (no norm expansion). The kernels declare the
// storage arrays `queries` and `rows` and a `params` with `width4` that these functions read.
//
// Each pipeline is built for one measure (MEASURE: 0 squared differences, 1 absolute
// differences, 2 largest absolute difference, 3 one less the dot product) and, where rows are
// at most MAX_ROW_WIDTH4 vec4s wide, for one width (ROW_WIDTH4): a kernel then keeps its row in
// registers and the loop over its vec4s unrolls. With ROW_WIDTH4 = 0 rows are read from
// storage, at any width.

override MEASURE: u32 = 0u;
override ROW_WIDTH4: u32 = 0u;
const MAX_ROW_WIDTH4: u32 = 16u;

// Adds one vec4 of a pair of rows to the running `acc`.
fn accumulate(acc: vec4<Real>, a: vec4<Real>, b: vec4<Real>) -> vec4<Real> {
    if (MEASURE == 0u) {
        let d = a - b;
        return acc + d * d;
    } else if (MEASURE == 1u) {
        return acc + abs(a - b);
    } else if (MEASURE == 2u) {
        return max(acc, abs(a - b));
    }
    return acc + a * b;
}

// The key of a pair from its accumulated vec4.
fn finish(acc: vec4<Real>) -> Real {
    if (MEASURE == 2u) {
        return max(max(acc.x, acc.y), max(acc.z, acc.w));
    } else if (MEASURE == 3u) {
        return 1.0 - (acc.x + acc.y + acc.z + acc.w);
    }
    return acc.x + acc.y + acc.z + acc.w;
}

// Query row `query_row` in registers (where the pipeline is built for its width).
fn cached_row(query_row: u32) -> array<vec4<Real>, MAX_ROW_WIDTH4> {
    var cached: array<vec4<Real>, MAX_ROW_WIDTH4>;
    for (var j = 0u; j < ROW_WIDTH4; j = j + 1u) {
        cached[j] = queries[query_row * ROW_WIDTH4 + j];
    }
    return cached;
}

// The key of query row `query_row` (`cached`, from cached_row) and block row `r`.
fn pair_key(cached: ptr<function, array<vec4<Real>, MAX_ROW_WIDTH4>>, query_row: u32, r: u32) -> Real {
    var acc = vec4<Real>(0.0);
    if (ROW_WIDTH4 > 0u) {
        for (var j = 0u; j < ROW_WIDTH4; j = j + 1u) {
            acc = accumulate(acc, (*cached)[j], rows[r * ROW_WIDTH4 + j]);
        }
    } else {
        let q = query_row * params.width4;
        let t = r * params.width4;
        for (var j = 0u; j < params.width4; j = j + 1u) {
            acc = accumulate(acc, queries[q + j], rows[t + j]);
        }
    }
    return finish(acc);
}
