// Per-cluster sums of a block of rows, its row counts and how many rows changed cluster, for
// one Lloyd step on the device. One invocation owns one chunk of rows and one group of four
// columns and keeps a vec4 accumulator per cluster (at most 32 clusters) in private memory; it
// writes sums[(chunk * width4 + column) * clusters + c]. The invocations of column 0 also write
// counts[chunk * (clusters + 1) + c] and, last, the rows whose label changed.
//
// The first step (`fresh`) sums every row. Later steps sum only the change: the assignment set
// a bit in `moved` for each row whose label changed, and such a row is added to its new
// cluster and taken from its old one (`previous`), its count likewise; the host adds these
// changes to the totals it keeps. The bits are visited in row order, so the sums do not depend
// on the order the assignment ran in, and once few rows move a step reads few rows.

const MAX_CLUSTERS: u32 = 32u;

struct Params {
    rows: u32,        // rows in this block
    width4: u32,      // vec4s per row
    clusters: u32,    // number of centres (<= MAX_CLUSTERS)
    first: u32,       // where this block's rows start in `labels`, `previous` and `moved`'s bits
    chunk_rows: u32,  // rows one invocation sums
    chunks: u32,      // chunks in this block
    fresh: u32,       // 1: the first step: every row is summed and counts as changed
    pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<Real>>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read> previous: array<u32>;
@group(0) @binding(4) var<storage, read> moved: array<u32>;
@group(0) @binding(5) var<storage, read_write> sums: array<vec4<Real>>;
@group(0) @binding(6) var<storage, read_write> counts: array<Real>;

@compute @workgroup_size(64)
fn main(id: Invocation) {
    let index = flat_index(id);
    if (index >= params.chunks * params.width4) {
        return;
    }
    let chunk = index / params.width4;
    let column = index % params.width4;
    var acc: array<vec4<Real>, MAX_CLUSTERS>;
    var count: array<Real, MAX_CLUSTERS>;
    for (var c = 0u; c < params.clusters; c = c + 1u) {
        acc[c] = vec4<Real>(0.0);
        count[c] = Real(0.0);
    }
    var changed = Real(0.0);
    let start = chunk * params.chunk_rows;
    let end = min(start + params.chunk_rows, params.rows);
    if (params.fresh == 1u) {
        for (var r = start; r < end; r = r + 1u) {
            let label = min(labels[params.first + r], params.clusters - 1u);
            acc[label] = acc[label] + x[r * params.width4 + column];
            count[label] = count[label] + Real(1.0);
        }
        changed = Real(end - start);
    } else if (start < end) {
        // The words of `moved` that hold this chunk's rows, less the bits of other chunks.
        let lo = params.first + start;
        let hi = params.first + end;
        for (var w = lo / 32u; w <= (hi - 1u) / 32u; w = w + 1u) {
            var bits = moved[w];
            if (w == lo / 32u) {
                bits = bits & (0xffffffffu << (lo % 32u));
            }
            if (w == (hi - 1u) / 32u && hi % 32u != 0u) {
                bits = bits & (0xffffffffu >> (32u - hi % 32u));
            }
            while (bits != 0u) {
                let g = w * 32u + firstTrailingBit(bits);
                bits = bits & (bits - 1u);
                let label = min(labels[g], params.clusters - 1u);
                let before = min(previous[g], params.clusters - 1u);
                let row = x[(g - params.first) * params.width4 + column];
                acc[label] = acc[label] + row;
                acc[before] = acc[before] - row;
                count[label] = count[label] + Real(1.0);
                count[before] = count[before] - Real(1.0);
                changed = changed + Real(1.0);
            }
        }
    }
    let out = (chunk * params.width4 + column) * params.clusters;
    for (var c = 0u; c < params.clusters; c = c + 1u) {
        sums[out + c] = acc[c];
    }
    if (column == 0u) {
        let base = chunk * (params.clusters + 1u);
        for (var c = 0u; c < params.clusters; c = c + 1u) {
            counts[base + c] = count[c];
        }
        counts[base + params.clusters] = changed;
    }
}
