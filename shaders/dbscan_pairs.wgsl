// DBSCAN's pairs: one invocation takes one row of this rank against one chunk of a block of
// rows and sorts each pair by its key as the device computes it, against the row's bounds
// (limits.x: at or below, certainly within eps; above limits.y, certainly not; between: the
// host decides on the exact key). Only the block rows of the row's WINDOWS windows
// (windows[row * WINDOWS + w], runs of block rows: the host sorts both sides by grid cell, and
// rows outside the neighbouring cells cannot be within eps) are compared. It writes one record
// of u32s per (row, chunk):
//   [0] the sum of `extra` over the rows certainly within eps (MODE 0: their weights), or 0;
//   [1] how many rows lie between the bounds, [2] how many distinct nonzero `extra` values
//       the rows certainly within eps carry (MODE 1: their components);
//   [3 ..] the first BAND_CAP rows between the bounds (block rows), then the first COMP_CAP
//       distinct values. A count above its cap means the host searches that row again; so
//       does a band count above BAND_CAP from a row that ran out of its loop budget.
// MODE 2 (union, the rank's own rows against themselves, in the same order): `extra` marks the
// core rows; for a core row, every later core row certainly within eps is joined to it in the
// union-find `parent` (roots are the smallest members; links only ever lower a parent), and
// the later core rows between the bounds are listed as in the other modes. For a row that is
// not core, the core rows certainly within eps are listed in [2] and the distinct values
// (comps) as representatives, one per ancestor as the union-find stood when each was met (two
// rows that once shared an ancestor stay in one set), and the core rows between the bounds as
// the band.
//
// Keys come from pair_keys.wgsl (MEASURE 0 to 2 here); pipelines are specialised to the
// measure, the mode and the row width.

struct Params {
    queries: u32,      // rows of this rank in this dispatch
    rows: u32,         // rows in this upload of the block
    width4: u32,       // vec4s per row
    chunks: u32,       // chunks the upload's rows are cut into
    chunk_rows: u32,   // rows per chunk (the last may have fewer)
    query_first: u32,  // the dispatch's first row in the query buffer
    band_cap: u32,     // rows between the bounds a record holds
    comp_cap: u32,     // distinct values a record holds
    upload_start: u32, // the upload's first row in the block
    query_base: u32,   // the query buffer's first row among all of this rank's rows
    budget: u32,       // loop iterations a row may take (0: no limit); past it, [1] overflows
    pad1: u32,
}

override MODE: u32 = 0u;
const WINDOWS: u32 = 3u;
// The most distinct values a record may hold (comp_cap).
const MAX_COMP_CAP: u32 = 16u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> queries: array<vec4<Real>>;
@group(0) @binding(2) var<storage, read> rows: array<vec4<Real>>;
@group(0) @binding(3) var<storage, read> limits: array<vec2<Real>>;
// One value per block row (all uploads), and in MODE 2 per query too (the same rows).
@group(0) @binding(4) var<storage, read> extra: array<u32>;
@group(0) @binding(5) var<storage, read_write> records: array<u32>;
@group(0) @binding(6) var<storage, read> windows: array<vec2<u32>>;
@group(0) @binding(7) var<storage, read_write> parent: array<atomic<u32>>;

// The root of x's set, halving the path on the way; each step counts in `spent`.
fn find_root(start: u32, spent: ptr<function, u32>) -> u32 {
    var x = start;
    var p = atomicLoad(&parent[x]);
    while (p != x) {
        *spent = *spent + 1u;
        let grand = atomicLoad(&parent[p]);
        if (grand != p) {
            atomicMin(&parent[x], grand);
        }
        x = grand;
        p = atomicLoad(&parent[x]);
    }
    return x;
}

// Joins the set whose root is `root` with b's, and returns the joined set's root: the larger
// root is linked under the smaller, retried when another invocation linked either first.
fn unite(root: u32, b: u32, spent: ptr<function, u32>) -> u32 {
    var ra = find_root(root, spent);
    var rb = find_root(b, spent);
    while (ra != rb) {
        *spent = *spent + 1u;
        let low = min(ra, rb);
        let high = max(ra, rb);
        let swapped = atomicCompareExchangeWeak(&parent[high], high, low);
        if (swapped.exchanged) {
            return low;
        }
        ra = find_root(low, spent);
        rb = find_root(high, spent);
    }
    return ra;
}

@compute @workgroup_size(64)
fn main(id: Invocation) {
    let index = flat_index(id);
    if (index >= params.queries * params.chunks) {
        return;
    }
    let query_row = params.query_first + index / params.chunks;
    let chunk = index % params.chunks;
    let chunk_start = chunk * params.chunk_rows;
    let chunk_end = min(chunk_start + params.chunk_rows, params.rows);
    let record = index * (3u + params.band_cap + params.comp_cap);
    let band_at = record + 3u;
    let comp_at = band_at + params.band_cap;
    var sum = 0u;
    var band = 0u;
    var distinct = 0u;
    let query = params.query_base + query_row;
    // MODE 2: whether the query is core; the root of its set as last seen (a pair is joined
    // from its lower row); for a row that is not core, the roots of its representatives.
    let core = MODE == 2u && extra[query] != 0u;
    var root = query;
    var seen_roots: array<u32, MAX_COMP_CAP>;
    var cached = cached_row(query_row);
    let bounds = limits[query_row];
    // Loop iterations so far, inner loops included: an adapter that ends long loops
    // (llvmpipe) gets a budget, and a row that would pass it is left to the host.
    var spent = 0u;
    var exhausted = false;
    for (var w = 0u; w < WINDOWS && !exhausted; w = w + 1u) {
        // The window in this upload's rows, within this chunk.
        let window = windows[query_row * WINDOWS + w];
        let start = max(chunk_start, max(window.x, params.upload_start) - params.upload_start);
        let end = min(chunk_end, max(window.y, params.upload_start) - params.upload_start);
        for (var r = start; r < end; r = r + 1u) {
            spent = spent + 1u + select(0u, params.width4, ROW_WIDTH4 == 0u);
            if (params.budget != 0u && spent > params.budget) {
                exhausted = true;
                break;
            }
            let block_row = params.upload_start + r;
            if (MODE == 2u && (extra[block_row] == 0u || (core && block_row <= query))) {
                continue;
            }
            let key = pair_key(&cached, query_row, r);
            if (key > bounds.y) {
                continue;
            }
            if (key > bounds.x) {
                if (band < params.band_cap) {
                    records[band_at + band] = r;
                }
                band = band + 1u;
                continue;
            }
            let value = extra[block_row];
            if (MODE == 0u) {
                sum = sum + value;
            } else if (MODE == 2u && core) {
                // Rows already in the query's set (their parent is its root) need no join.
                if (atomicLoad(&parent[block_row]) != root) {
                    root = unite(root, block_row, &spent);
                }
            } else if (MODE == 2u) {
                // Its grandparent stands for its set: rows that share one share the set, and
                // the links made so far have mostly brought it to the root.
                let found = atomicLoad(&parent[atomicLoad(&parent[block_row])]);
                var known = false;
                spent = spent + min(distinct, params.comp_cap);
                for (var k = 0u; k < min(distinct, params.comp_cap); k = k + 1u) {
                    if (seen_roots[k] == found) {
                        known = true;
                        break;
                    }
                }
                if (!known) {
                    if (distinct < params.comp_cap) {
                        seen_roots[distinct] = found;
                        records[comp_at + distinct] = block_row;
                    }
                    distinct = distinct + 1u;
                }
            } else if (value != 0u) {
                var seen = false;
                spent = spent + min(distinct, params.comp_cap);
                for (var k = 0u; k < min(distinct, params.comp_cap); k = k + 1u) {
                    if (records[comp_at + k] == value) {
                        seen = true;
                        break;
                    }
                }
                if (!seen) {
                    if (distinct < params.comp_cap) {
                        records[comp_at + distinct] = value;
                    }
                    distinct = distinct + 1u;
                }
            }
        }
    }
    if (exhausted) {
        band = max(band, params.band_cap + 1u);
    }
    records[record] = sum;
    records[record + 1u] = band;
    records[record + 2u] = distinct;
}
