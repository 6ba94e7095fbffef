// Neighbour candidates: one invocation takes one query row against one chunk of a block of
// training rows and keeps the `keep` smallest keys (ties to the lower row, as rows are visited
// in order), then writes them nearest first with their rows (block-local) and how many it kept.
// The keys are approximate (the kernel's precision); the host widens the k-th into a band
// that holds every row which could be among the exact k nearest, and computes exact keys.
// Keys come from pair_keys.wgsl (one pipeline per measure and row width), through `row_key`,
// which knn_candidates.wgsl and knn_candidates_subgroup.wgsl each define with their entry
// point.

struct Params {
    queries: u32,     // query rows in this dispatch
    rows: u32,        // training rows in this block
    width4: u32,      // vec4s per row (queries and training rows alike)
    keep: u32,        // list length per (query, chunk), at most MAX_KEEP
    chunks: u32,      // chunks the block's rows are cut into
    chunk_rows: u32,  // rows per chunk (the last may have fewer)
    pad3: u32,
    self_shift: u32,  // i32 bits: query row q is training row q + self_shift (when exclude)
    exclude: u32,     // 1: skip each query's own row (kneighbors without X)
    query_first: u32, // the dispatch's first query row in the query buffer
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> queries: array<vec4<Real>>;
@group(0) @binding(2) var<storage, read> rows: array<vec4<Real>>;
@group(0) @binding(3) var<storage, read_write> out_keys: array<Real>;
@group(0) @binding(4) var<storage, read_write> out_rows: array<u32>;
@group(0) @binding(5) var<storage, read_write> out_counts: array<u32>;

// A workgroup takes 64 consecutive queries against one chunk, so every lane reads the same
// training row at the same time. Lanes past the last query run the loop too (on the last
// query, writing nothing), so that `row_key` may share loads between lanes.
fn candidates(id: Invocation, group_lane: u32) {
    let query_groups = (params.queries + 63u) / 64u;
    let group = id.group.y * id.groups.x + id.group.x;
    let chunk = group / query_groups;
    if (chunk >= params.chunks) {
        return;
    }
    let query = (group % query_groups) * 64u + id.lane;
    let real_query = query < params.queries;
    let query_row = params.query_first + min(query, params.queries - 1u);
    let index = query * params.chunks + chunk;
    let start = chunk * params.chunk_rows;
    let end = min(start + params.chunk_rows, params.rows);
    let own = i32(query_row) + bitcast<i32>(params.self_shift);
    var cached = cached_row(query_row);
    var keys: array<Real, MAX_KEEP>;
    var found: array<u32, MAX_KEEP>;
    var count = 0u;
    let keep = params.keep;
    // No `continue` in the loop: every lane takes every row, so the row index stays the
    // same across the workgroup.
    for (var r = start; r < end; r = r + 1u) {
        let key = row_key(&cached, query_row, r, group_lane);
        let skip = (params.exclude != 0u && i32(r) == own)
            || (count == keep && key >= keys[keep - 1u]);
        if (!skip) {
            insert_candidate(&keys, &found, &count, keep, key, r);
        }
    }
    if (!real_query) {
        return;
    }
    let base = index * keep;
    for (var i = 0u; i < count; i = i + 1u) {
        out_keys[base + i] = keys[i];
        out_rows[base + i] = found[i];
    }
    out_counts[index] = count;
}
