// Neighbour candidates, merged on the device: one invocation per query takes its lists of one
// upload (`chunks` of them, each sorted, from knn_lists.wgsl) and keeps the `keep` smallest
// keys of them all, with their rows (upload rows), and how many it kept. The lists come in
// row order and an equal key never displaces one kept before it, so ties go to the lower row,
// as within a list; and the merged list is the upload's `keep` nearest rows by device key.

struct Params {
    queries: u32, // queries in this dispatch
    chunks: u32,  // lists per query
    keep: u32,    // the longest list, in and out
    pad0: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> in_keys: array<Real>;
@group(0) @binding(2) var<storage, read> in_rows: array<u32>;
@group(0) @binding(3) var<storage, read> in_counts: array<u32>;
@group(0) @binding(4) var<storage, read_write> out_keys: array<Real>;
@group(0) @binding(5) var<storage, read_write> out_rows: array<u32>;
@group(0) @binding(6) var<storage, read_write> out_counts: array<u32>;

@compute @workgroup_size(64)
fn main(id: Invocation) {
    let query = flat_index(id);
    if (query >= params.queries) {
        return;
    }
    let keep = params.keep;
    var keys: array<Real, MAX_KEEP>;
    var found: array<u32, MAX_KEEP>;
    var count = 0u;
    for (var c = 0u; c < params.chunks; c = c + 1u) {
        let list = query * params.chunks + c;
        let n = in_counts[list];
        for (var i = 0u; i < n; i = i + 1u) {
            let key = in_keys[list * keep + i];
            // The list is sorted: the rest of it is no nearer.
            if (count == keep && key >= keys[keep - 1u]) {
                break;
            }
            insert_candidate(&keys, &found, &count, keep, key, in_rows[list * keep + i]);
        }
    }
    for (var i = 0u; i < count; i = i + 1u) {
        out_keys[query * keep + i] = keys[i];
        out_rows[query * keep + i] = found[i];
    }
    out_counts[query] = count;
}
