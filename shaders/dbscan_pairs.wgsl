// DBSCAN's pairs: one invocation takes one row of this rank against one chunk of a block of
// rows and sorts each pair by its key as the device computes it, against the row's bounds
// (limits.x: at or below, certainly within eps; above limits.y, certainly not; between: the
// host decides on the exact key). It writes one record of u32s per (row, chunk):
//   [0] the sum of `extra` over the rows certainly within eps (MODE 0: their weights), or 0;
//   [1] how many rows lie between the bounds, [2] how many distinct nonzero `extra` values
//       the rows certainly within eps carry (MODE 1: their components);
//   [3 ..] the first BAND_CAP rows between the bounds (block rows), then the first COMP_CAP
//       distinct values. A count above its cap means the host searches that row again.
//
// Keys come from pair_keys.wgsl (MEASURE 0 to 2 here); pipelines are specialised to the
// measure, the mode and the row width.

struct Params {
    queries: u32,     // rows of this rank in this dispatch
    rows: u32,        // rows in the block
    width4: u32,      // vec4s per row
    chunks: u32,      // chunks the block's rows are cut into
    chunk_rows: u32,  // rows per chunk (the last may have fewer)
    query_first: u32, // the dispatch's first row in the query buffer
    band_cap: u32,    // rows between the bounds a record holds
    comp_cap: u32,    // distinct values a record holds
}

override MODE: u32 = 0u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> queries: array<vec4<Real>>;
@group(0) @binding(2) var<storage, read> rows: array<vec4<Real>>;
@group(0) @binding(3) var<storage, read> limits: array<vec2<Real>>;
@group(0) @binding(4) var<storage, read> extra: array<u32>;
@group(0) @binding(5) var<storage, read_write> records: array<u32>;

@compute @workgroup_size(64)
fn main(id: Invocation) {
    let index = flat_index(id);
    if (index >= params.queries * params.chunks) {
        return;
    }
    let query_row = params.query_first + index / params.chunks;
    let chunk = index % params.chunks;
    let start = chunk * params.chunk_rows;
    let end = min(start + params.chunk_rows, params.rows);
    var cached = cached_row(query_row);
    let bounds = limits[query_row];
    let record = index * (3u + params.band_cap + params.comp_cap);
    let band_at = record + 3u;
    let comp_at = band_at + params.band_cap;
    var sum = 0u;
    var band = 0u;
    var distinct = 0u;
    for (var r = start; r < end; r = r + 1u) {
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
        let value = extra[r];
        if (MODE == 0u) {
            sum = sum + value;
        } else if (value != 0u) {
            var seen = false;
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
    records[record] = sum;
    records[record + 1u] = band;
    records[record + 2u] = distinct;
}
