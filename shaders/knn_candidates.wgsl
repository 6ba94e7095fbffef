// Neighbour candidates: one invocation takes one query row against one chunk of a block of
// training rows and keeps the `keep` smallest keys (ties to the lower row, as rows are visited
// in order), then writes them nearest first with their rows (block-local) and how many it kept.
// The keys are approximate (the kernel's precision); the host widens the k-th into a band
// that holds every row which could be among the exact k nearest, and computes exact keys.
// Keys come from pair_keys.wgsl (one pipeline per measure and row width).

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

const MAX_KEEP: u32 = 128u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> queries: array<vec4<Real>>;
@group(0) @binding(2) var<storage, read> rows: array<vec4<Real>>;
@group(0) @binding(3) var<storage, read_write> out_keys: array<Real>;
@group(0) @binding(4) var<storage, read_write> out_rows: array<u32>;
@group(0) @binding(5) var<storage, read_write> out_counts: array<u32>;

@compute @workgroup_size(64)
fn main(id: Invocation) {
    let index = flat_index(id);
    if (index >= params.queries * params.chunks) {
        return;
    }
    let query = index / params.chunks;
    let chunk = index % params.chunks;
    let start = chunk * params.chunk_rows;
    let end = min(start + params.chunk_rows, params.rows);
    let query_row = params.query_first + query;
    let own = i32(query_row) + bitcast<i32>(params.self_shift);
    var cached = cached_row(query_row);
    var keys: array<Real, MAX_KEEP>;
    var found: array<u32, MAX_KEEP>;
    var count = 0u;
    let keep = params.keep;
    for (var r = start; r < end; r = r + 1u) {
        if (params.exclude != 0u && i32(r) == own) {
            continue;
        }
        let key = pair_key(&cached, query_row, r);
        if (count == keep && key >= keys[keep - 1u]) {
            continue;
        }
        var at = count;
        if (count < keep) {
            count = count + 1u;
        } else {
            at = keep - 1u;
        }
        while (at > 0u && keys[at - 1u] > key) {
            keys[at] = keys[at - 1u];
            found[at] = found[at - 1u];
            at = at - 1u;
        }
        keys[at] = key;
        found[at] = r;
    }
    let base = index * keep;
    for (var i = 0u; i < count; i = i + 1u) {
        out_keys[base + i] = keys[i];
        out_rows[base + i] = found[i];
    }
    out_counts[index] = count;
}
